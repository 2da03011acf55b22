--
-- Write failures: a batch that fails part-way says which rows are known
-- written, known not written and of unknown outcome; incr is never retried
-- once it may have reached the server
--
\getenv meta PEGASUS_TEST_META
CREATE SERVER pegasus_w14 FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta', timeout_ms '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus_w14;
SELECT pegasus_fdw_create_table('pegasus_w14', 'regress_w14', 4);
CREATE FOREIGN TABLE w14 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus_w14 OPTIONS (table 'regress_w14');
CREATE FOREIGN TABLE w14n (hash_key text, sort_key text, value bigint)
  SERVER pegasus_w14 OPTIONS (table 'regress_w14');
INSERT INTO w14 VALUES ('warm', '1', 'x');
-- Runs a statement expected to fail; returns its message and detail with
-- the replica endpoint (which one answers first varies) masked.
CREATE FUNCTION w14_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
  d text;
  c text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, c = PG_EXCEPTION_CONTEXT;
  RETURN m || E'\n' || regexp_replace(d, '127\.0\.0\.1:[0-9]+', 'HOST:PORT', 'g') ||
    coalesce(E'\n' || (SELECT string_agg(l, E'\n') FROM regexp_split_to_table(c, E'\n') l
                        WHERE l LIKE '%of this statement%'), '');
END $$;

-- the first multi_set reaching each replica fails with a non-retryable error
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_MULTI_PUT 1 ERR_INVALID_DATA" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w14_error($$INSERT INTO w14 SELECT 'k' || (i % 8), i::text, 'v' || i FROM generate_series(1, 40) i$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
-- the rows the error reports as written are there, the others are not
SELECT count(*) AS rows_written, count(DISTINCT hash_key) AS hash_keys_written
  FROM w14 WHERE hash_key LIKE 'k%';

-- a statement that fails after writing rows one by one says how many it wrote:
-- RETURNING keeps the rows apart, the sort-key move comes last and fails
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_CHECK_AND_MUTATE 1 ERR_INVALID_DATA" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w14_error($$UPDATE w14 SET value = 'upd', sort_key = CASE sort_key WHEN '3' THEN 'moved' ELSE sort_key END
                   WHERE hash_key = 'k3' RETURNING sort_key$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
SELECT sort_key, value FROM w14 WHERE hash_key = 'k3' ORDER BY 1;

-- no reply at all: every row of the batch has an unknown outcome
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_MULTI_PUT 1000 noreply" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w14_error($$INSERT INTO w14 VALUES ('u1', '1', 'x'), ('u2', '1', 'x')$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'

-- incr whose reply is lost: not retried, the outcome is unknown
INSERT INTO w14n VALUES ('n', 'c', 1);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo reset-counters >&7; read -r -t 5 r <&7; echo "fail * RPC_RRDB_RRDB_INCR 1 noreply" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w14_error($$UPDATE w14n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'c'$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo counters >&7; while read -r -t 2 p r c <&7; do [ "$p" = END ] && break; case $r in *INCR) n="$n $r=$c";; esac; done; echo "sent:$n"; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
UPDATE w14n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'c' RETURNING value;

DROP FUNCTION w14_error(text);
DROP FOREIGN TABLE w14, w14n;
SELECT pegasus_fdw_drop_table('pegasus_w14', 'regress_w14');
DROP SERVER pegasus_w14 CASCADE;
