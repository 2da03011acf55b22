--
-- Bad input: every option value the validator refuses, definition mistakes,
-- bytes that are not text, key and value limits, empty keys and values that
-- do not parse.  Every refusal says what is wrong and how to fix it.
--
\getenv meta PEGASUS_TEST_META

-- ===================================================================
-- server options (01_options covers the common cases)
-- ===================================================================
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1,,127.0.0.1:2');  -- ERROR, empty entry
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers ':34601');  -- ERROR, no host
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers 'meta host:34601');  -- ERROR, host characters
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:0');  -- ERROR, port 0
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:34601,127.0.0.1:3x');  -- ERROR, names the second entry
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', meta_servers '127.0.0.1:2');  -- ERROR, twice
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', timeout_ms '10ms');  -- ERROR, not a number
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', timeout_ms '99999999999999999999');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', timeout_ms '');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', connect_timeout_ms '0');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', timeout_ms '3600001');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', batch_size '100001');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', scan_parallelism '257');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', scan_rate_limit '-1');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', fetch_size ' 10');  -- ERROR, space
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', fetch_size '+10');  -- ERROR
-- options of other objects: the hint says where they go
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', table 'kv');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', layout 'wide');  -- ERROR
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', role 'value');  -- ERROR
-- bounds are inclusive
CREATE SERVER bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers 'a:1,b.c-d_e:65535', timeout_ms '3600000',
           connect_timeout_ms '1', fetch_size '100000', batch_size '1',
           scan_parallelism '256', scan_rate_limit '2147483647');
-- meta_servers cannot be dropped from a server
ALTER SERVER bad OPTIONS (DROP meta_servers);  -- ERROR
ALTER SERVER bad OPTIONS (SET meta_servers 'nowhere');  -- ERROR
ALTER SERVER bad OPTIONS (ADD tabel 'x');  -- ERROR, near miss
DROP SERVER bad;
-- the wrapper takes no options, user mappings only Kerberos credentials
ALTER FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '127.0.0.1:1');  -- ERROR
CREATE USER MAPPING FOR PUBLIC SERVER pegasus OPTIONS (user 'x');  -- ERROR

-- ===================================================================
-- table and column options
-- ===================================================================
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (table '');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (table 'my-table');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (table 'a b');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (layout 'KV');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (timeout_ms '100');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (scan_parallelism '0');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text) SERVER pegasus OPTIONS (role 'hash_key');  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text OPTIONS (table 'x')) SERVER pegasus;  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text OPTIONS (role '')) SERVER pegasus;  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text OPTIONS (role 'HASH_KEY')) SERVER pegasus;  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text, c text OPTIONS (sort_key '')) SERVER pegasus;  -- ERROR
CREATE FOREIGN TABLE t_bad (hash_key text, c text OPTIONS (sortkey 'x')) SERVER pegasus;  -- ERROR, near miss
-- names from Pegasus's alphabet are accepted
CREATE FOREIGN TABLE t_ok (hash_key text, sort_key text, value text)
  SERVER pegasus OPTIONS (table 'Temp_2.x:y');
ALTER FOREIGN TABLE t_ok OPTIONS (SET table 'x/y');  -- ERROR
ALTER FOREIGN TABLE t_ok ALTER COLUMN value OPTIONS (ADD role 'values');  -- ERROR
DROP FOREIGN TABLE t_ok;

-- definition mistakes found when the table is used
CREATE FOREIGN TABLE t_kv_sortkey (hash_key text, sort_key text,
  value text OPTIONS (sort_key 'v')) SERVER pegasus;
SELECT * FROM t_kv_sortkey;  -- ERROR, a kv column cannot name a sort key
CREATE FOREIGN TABLE t_role_sortkey (h text OPTIONS (role 'hash_key', sort_key 'x'),
  a text) SERVER pegasus OPTIONS (layout 'wide');
SELECT * FROM t_role_sortkey;  -- ERROR
CREATE FOREIGN TABLE t_same_sortkey (hash_key text, a text OPTIONS (sort_key 'x'),
  x text) SERVER pegasus OPTIONS (layout 'wide');
SELECT * FROM t_same_sortkey;  -- ERROR, both read sort key x
CREATE FOREIGN TABLE t_twovalues (hash_key text, sort_key text, value text,
  v2 text OPTIONS (role 'value')) SERVER pegasus;
SELECT * FROM t_twovalues;  -- ERROR
CREATE FOREIGN TABLE t_nosort (hash_key text, value text) SERVER pegasus;
SELECT * FROM t_nosort;  -- ERROR
CREATE FOREIGN TABLE t_ttl_numeric (hash_key text, sort_key text, ttl numeric) SERVER pegasus;
SELECT * FROM t_ttl_numeric;  -- ERROR
CREATE FOREIGN TABLE t_sort_int (hash_key text, sort_key int) SERVER pegasus;
SELECT * FROM t_sort_int;  -- ERROR
DROP FOREIGN TABLE t_kv_sortkey, t_role_sortkey, t_same_sortkey, t_twovalues,
  t_nosort, t_ttl_numeric, t_sort_int;

-- ===================================================================
-- data: one Pegasus table read through several column types
-- ===================================================================
SELECT pegasus_fdw_create_table('pegasus', 'regress_bad_input', 4);
CREATE FOREIGN TABLE bin (hash_key bytea, sort_key bytea, value bytea)
  SERVER pegasus OPTIONS (table 'regress_bad_input');
CREATE FOREIGN TABLE txt (hash_key text, sort_key text, value text, ttl bigint)
  SERVER pegasus OPTIONS (table 'regress_bad_input');
CREATE FOREIGN TABLE num (hash_key text, sort_key text, value integer, ttl smallint)
  SERVER pegasus OPTIONS (table 'regress_bad_input');

-- RPCs sent by this backend to the cluster since the last mark
CREATE FUNCTION pg_temp.rpcs() RETURNS bigint LANGUAGE sql AS
  $$SELECT rpcs_sent FROM pegasus_fdw_connections() WHERE server_name = 'pegasus'$$;

-- NUL bytes in keys and values round-trip through bytea
INSERT INTO bin VALUES ('\x00'::bytea, '\x00'::bytea, '\x00'::bytea),
                       ('\x00'::bytea, '\x0000'::bytea, '\x610062'::bytea),
                       ('\x00'::bytea, '\x'::bytea, '\x'::bytea),
                       ('\x6e00756c'::bytea, '\x00ff'::bytea, '\x00000000'::bytea);
SELECT * FROM bin WHERE hash_key = '\x00'::bytea ORDER BY sort_key;
SELECT value FROM bin WHERE hash_key = '\x00'::bytea AND sort_key = '\x0000'::bytea;
SELECT sort_key FROM bin WHERE hash_key = '\x00'::bytea AND sort_key > '\x00'::bytea;
SELECT hash_key, sort_key FROM bin WHERE hash_key IN ('\x00'::bytea, '\x6e00756c'::bytea)
  AND sort_key IN ('\x00ff'::bytea, '\x'::bytea) ORDER BY 1, 2;
-- the same bytes through text columns: a clean 22021 naming the record
SELECT value FROM bin WHERE hash_key = '\x6e00756c'::bytea;
CREATE FOREIGN TABLE bin_hash (hash_key bytea, sort_key text, value text)
  SERVER pegasus OPTIONS (table 'regress_bad_input');
SELECT sort_key FROM bin_hash WHERE hash_key = '\x00'::bytea;  -- ERROR
\echo :LAST_ERROR_SQLSTATE
SELECT sort_key FROM bin_hash WHERE hash_key = '\x6e00756c'::bytea;  -- ERROR
-- a whole-table read meets them in partition order: only the SQLSTATE is stable
\set VERBOSITY sqlstate
SELECT value FROM txt;  -- ERROR
\set VERBOSITY default
DROP FOREIGN TABLE bin_hash;

-- invalid UTF-8 written by another client (pegasus-cli), read as text
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input set utf8 latin1 0x63e97465
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input set utf8 cut 0x41e282
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input set utf8 good 0xe282ac
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input set 0xff badkey x
SELECT value FROM txt WHERE hash_key = 'utf8' AND sort_key = 'good';
SELECT value FROM txt WHERE hash_key = 'utf8' AND sort_key = 'latin1';  -- ERROR
\echo :LAST_ERROR_SQLSTATE
SELECT value FROM txt WHERE hash_key = 'utf8' AND sort_key = 'cut';  -- ERROR, truncated sequence
\echo :LAST_ERROR_SQLSTATE
SELECT sort_key, value FROM txt WHERE hash_key = 'utf8' AND sort_key > 'a';  -- ERROR, a range read stops too
SELECT count(*) FROM txt WHERE hash_key = 'utf8';  -- counting converts nothing
SELECT sort_key FROM txt WHERE hash_key = 'utf8' AND sort_key >= 'good';
SELECT convert_from(value, 'LATIN1') FROM bin
  WHERE hash_key = 'utf8'::bytea AND sort_key = 'latin1'::bytea;
-- a hash key that is not text fails a whole-table read through a text key column
\set VERBOSITY sqlstate
SELECT count(*) FROM txt WHERE value = 'x';  -- ERROR
\set VERBOSITY default
SELECT count(*) FROM bin WHERE hash_key = '\xff'::bytea;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input del 0xff badkey
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input del 0x00 0x00
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input del 0x00 0x0000
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input del 0x00 ''
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_bad_input del 0x6e00756c 0x00ff
SELECT count(*) FROM bin WHERE hash_key IN ('\x00'::bytea, '\x6e00756c'::bytea, '\xff'::bytea);

-- ===================================================================
-- empty strings and NULL
-- ===================================================================
INSERT INTO bin VALUES ('\x'::bytea, 's'::bytea, 'v'::bytea);  -- ERROR
INSERT INTO txt VALUES ('', 's', 'v');  -- ERROR
INSERT INTO txt VALUES ('e', NULL, 'v');  -- ERROR
INSERT INTO txt VALUES ('e', 's', NULL);  -- ERROR
-- an empty sort key and an empty value are real values, not NULL
INSERT INTO txt VALUES ('e', '', ''), ('e', 's', 'v');
SELECT sort_key = '' AS empty_sort, value IS NULL AS null_value, value = '' AS empty_value
  FROM txt WHERE hash_key = 'e' ORDER BY sort_key;
SELECT value FROM txt WHERE hash_key = 'e' AND sort_key = '';
SELECT count(*) FROM txt WHERE hash_key = 'e' AND sort_key <= '';
-- reads with an empty, NULL or oversized hash key match nothing and send no request
SELECT count(*) FROM txt;
SELECT pg_temp.rpcs() AS mark \gset
SELECT * FROM txt WHERE hash_key = '';
SELECT * FROM txt WHERE hash_key = '' AND sort_key = 's';
SELECT count(*) FROM txt WHERE hash_key = '';
SELECT * FROM txt WHERE hash_key = NULL;
SELECT * FROM txt WHERE hash_key IN ('', NULL);
SELECT * FROM txt WHERE hash_key = repeat('k', 65535) AND sort_key = 's';
PREPARE get_one(text) AS SELECT value FROM txt WHERE hash_key = $1 AND sort_key = 's';
EXECUTE get_one('');
EXECUTE get_one(NULL);
SELECT pg_temp.rpcs() - :mark AS rpcs_sent;
-- while the non-empty keys of a list are still read
SELECT hash_key, value FROM txt WHERE hash_key IN ('', 'e') AND sort_key = 's';
EXECUTE get_one('e');
DEALLOCATE get_one;

-- ===================================================================
-- long keys and values
-- ===================================================================
INSERT INTO txt VALUES (repeat('k', 65534), 's', 'longest hash key');
SELECT length(hash_key), value FROM txt WHERE hash_key = repeat('k', 65534);
SELECT pg_temp.rpcs() AS mark \gset
INSERT INTO txt VALUES (repeat('k', 65535), 's', 'one byte too long');  -- ERROR
INSERT INTO bin VALUES (decode(repeat('00', 70000), 'hex'), 's', 'v');  -- ERROR
-- multi-byte characters count in bytes
INSERT INTO txt VALUES (repeat('é', 32768), 's', 'v');  -- ERROR, 65536 bytes
SELECT pg_temp.rpcs() - :mark AS rpcs_sent;
-- sort keys and values have no limit of their own, only the write size
INSERT INTO txt VALUES ('long', repeat('s', 200000), repeat('v', 500000));
SELECT length(sort_key), length(value), md5(value) = md5(repeat('v', 500000)) AS same
  FROM txt WHERE hash_key = 'long';
SELECT length(value) FROM txt WHERE hash_key = 'long' AND sort_key = repeat('s', 200000);
-- a write above the cluster's max_allowed_write_size (1 MiB by default)
\set VERBOSITY terse
INSERT INTO txt VALUES ('long', 'big', repeat('v', 2000000));  -- ERROR
\set VERBOSITY default
SELECT count(*) FROM txt WHERE hash_key = 'long';

-- ===================================================================
-- stored values that are not valid for the column type
-- ===================================================================
INSERT INTO txt VALUES ('n', 'abc', 'abc'), ('n', 'empty', ''), ('n', 'big', '9000000000'),
                       ('n', 'ok', ' 42 '), ('n', 'frac', '1.5');
SELECT value FROM num WHERE hash_key = 'n' AND sort_key = 'ok';
SELECT value FROM num WHERE hash_key = 'n' AND sort_key = 'abc';  -- ERROR names the key
\echo :LAST_ERROR_SQLSTATE
SELECT value FROM num WHERE hash_key = 'n' AND sort_key = 'empty';  -- ERROR
SELECT value FROM num WHERE hash_key = 'n' AND sort_key = 'big';  -- ERROR, out of range
\echo :LAST_ERROR_SQLSTATE
SELECT value FROM num WHERE hash_key = 'n' AND sort_key = 'frac';  -- ERROR
SELECT sum(value) FROM num WHERE hash_key = 'n';  -- ERROR at the first bad record
-- the same records read as text and as bytea
SELECT sort_key, value FROM txt WHERE hash_key = 'n' ORDER BY sort_key;
-- a key longer than a varchar column
CREATE FOREIGN TABLE short (hash_key varchar(3), sort_key varchar(3), value text)
  SERVER pegasus OPTIONS (table 'regress_bad_input');
SELECT value FROM short WHERE hash_key = 'n' AND sort_key = 'abc';
SELECT sort_key FROM short WHERE hash_key = 'n';  -- ERROR, sort key "empty" is too long
\echo :LAST_ERROR_SQLSTATE
-- values written through a type are read back through it
CREATE FOREIGN TABLE js (hash_key text, sort_key text, value jsonb)
  SERVER pegasus OPTIONS (table 'regress_bad_input');
SELECT value FROM js WHERE hash_key = 'n' AND sort_key = 'abc';  -- ERROR
INSERT INTO js VALUES ('j', 'a', '{"b": [1, null]}');
SELECT value -> 'b' FROM js WHERE hash_key = 'j';
-- a ttl too large for a smallint column is refused, not clamped
INSERT INTO txt VALUES ('t', 'day', 'x', 86400), ('t', 'min', 'x', 60);
SELECT sort_key, ttl FROM num WHERE hash_key = 't' AND sort_key = 'min';
SELECT sort_key, ttl FROM num WHERE hash_key = 't' AND sort_key = 'day';  -- ERROR
\echo :LAST_ERROR_SQLSTATE
SELECT sort_key, ttl BETWEEN ttl_min AND ttl_max AS ttl_ok FROM txt,
  (VALUES ('day', 86000, 86400), ('min', 1, 60)) AS e(k, ttl_min, ttl_max)
  WHERE hash_key = 't' AND sort_key = k ORDER BY 1;

DROP FOREIGN TABLE bin, txt, num, short, js;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_bad_input');
