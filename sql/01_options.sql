--
-- Options: validator errors, table definition checks, server setup
--
\getenv meta PEGASUS_TEST_META
CREATE EXTENSION IF NOT EXISTS pegasus_fdw;

-- EXPLAIN ANALYZE for the tests that follow, one output on every PostgreSQL
-- version: from 18 on, EXPLAIN ANALYZE prints row counts with two decimals
-- (rows=1.00) and buffer usage by default.
CREATE FUNCTION explain_analyze(query text, with_verbose boolean DEFAULT true)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF'
      || CASE WHEN with_verbose THEN ', VERBOSE' ELSE '' END || ') ' || query
  LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END
$$;

-- ===================================================================
-- server options
-- ===================================================================
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw;  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_server '127.0.0.1:1');  -- ERROR, hint
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:99999');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1,');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', timeout_ms 'soon');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', fetch_size '0');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', bogus 'x');  -- ERROR, list of valid options
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers 'localhost:34601,127.0.0.1:34602', timeout_ms '2000',
           connect_timeout_ms '500', fetch_size '100', batch_size '50',
           scan_parallelism '2', scan_rate_limit '0');
DROP SERVER bad;

CREATE SERVER pegasus FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta');
CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus;
CREATE USER MAPPING FOR PUBLIC SERVER pegasus OPTIONS (password 'x');  -- ERROR

-- ===================================================================
-- table and column options
-- ===================================================================
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (tabel 'x');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (layout 'tall');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (fetch_size '-1');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (meta_servers 'x:1');  -- ERROR
CREATE FOREIGN TABLE t_bad (k text OPTIONS (role 'key')) SERVER pegasus;  -- ERROR
CREATE FOREIGN TABLE t_bad (k text OPTIONS (rol 'hash_key')) SERVER pegasus;  -- ERROR

-- definition checks run when the table is first used
CREATE FOREIGN TABLE t_nohash (sort_key text, value text) SERVER pegasus;
SELECT * FROM t_nohash;  -- ERROR
CREATE FOREIGN TABLE t_tworoles (hash_key text, k text OPTIONS (role 'hash_key'),
  sort_key text, value text) SERVER pegasus;
SELECT * FROM t_tworoles;  -- ERROR
CREATE FOREIGN TABLE t_inthash (hash_key integer, sort_key text, value text) SERVER pegasus;
SELECT * FROM t_inthash;  -- ERROR
CREATE FOREIGN TABLE t_wide_value (hash_key text, value text) SERVER pegasus
  OPTIONS (layout 'wide');
SELECT * FROM t_wide_value;  -- ERROR
CREATE FOREIGN TABLE t_norole (hash_key text, sort_key text, extra text) SERVER pegasus;
SELECT * FROM t_norole;  -- ERROR
CREATE FOREIGN TABLE t_textttl (hash_key text, sort_key text, ttl text) SERVER pegasus;
SELECT * FROM t_textttl;  -- ERROR
DROP FOREIGN TABLE t_nohash, t_tworoles, t_inthash, t_wide_value, t_norole, t_textttl;

-- roles by column option
CREATE FOREIGN TABLE t_roles (
  k bytea OPTIONS (role 'hash_key'),
  s varchar(20) OPTIONS (role 'sort_key'),
  v bytea OPTIONS (role 'value'),
  expires bigint OPTIONS (role 'ttl'))
  SERVER pegasus OPTIONS (table 'no_such_table', fetch_size '10');
\set VERBOSITY terse
SELECT * FROM t_roles;  -- ERROR, the cluster has no such table
\set VERBOSITY default
DROP FOREIGN TABLE t_roles;

-- an unreachable cluster
CREATE SERVER nowhere FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', connect_timeout_ms '200', timeout_ms '500');
CREATE FOREIGN TABLE t_nowhere (hash_key text, sort_key text, value text) SERVER nowhere;
\set VERBOSITY terse
SELECT * FROM t_nowhere;  -- ERROR
\set VERBOSITY default
DROP FOREIGN TABLE t_nowhere;
DROP SERVER nowhere;
