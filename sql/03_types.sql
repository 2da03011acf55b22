--
-- Column types: keys as text, varchar and bytea; values of several types
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_types', 2);

CREATE FOREIGN TABLE t_bytes (hash_key bytea, sort_key bytea, value bytea)
  SERVER pegasus OPTIONS (table 'regress_types');
INSERT INTO t_bytes VALUES ('\x0001ff'::bytea, '\x00'::bytea, '\xdeadbeef00'::bytea),
                           ('\x0001ff'::bytea, '\xff00'::bytea, ''::bytea),
                           ('\x0001ff'::bytea, '\x'::bytea, '\x01'::bytea);
SELECT * FROM t_bytes WHERE hash_key = '\x0001ff'::bytea ORDER BY sort_key;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM t_bytes WHERE hash_key = '\x0001ff'::bytea AND sort_key > '\x00'::bytea ORDER BY sort_key DESC;
SELECT sort_key FROM t_bytes WHERE hash_key = '\x0001ff'::bytea AND sort_key > '\x00'::bytea ORDER BY sort_key DESC;

-- the same records read as text: bytes that are not valid text are reported
CREATE FOREIGN TABLE t_text (hash_key bytea, sort_key bytea, value text)
  SERVER pegasus OPTIONS (table 'regress_types');
SELECT value FROM t_text WHERE hash_key = '\x0001ff'::bytea AND sort_key = '\x00'::bytea;  -- ERROR

-- varchar keys, integer and json values
CREATE FOREIGN TABLE t_int (hash_key varchar(10), sort_key varchar(10), value bigint, ttl smallint)
  SERVER pegasus OPTIONS (table 'regress_types');
INSERT INTO t_int VALUES ('n', 'a', 42, NULL), ('n', 'b', -7, NULL), ('n', 'c', 9000000000, 3600);
SELECT hash_key, sort_key, value, ttl > 3500 AS ttl_ok FROM t_int WHERE hash_key = 'n' ORDER BY sort_key;
SELECT sum(value) FROM t_int WHERE hash_key = 'n' AND sort_key IN ('a', 'b');
EXPLAIN (VERBOSE, COSTS OFF) SELECT value FROM t_int WHERE hash_key = 'n' AND sort_key = 'a';
INSERT INTO t_int VALUES ('n', 'd', NULL, NULL);  -- ERROR
INSERT INTO t_int VALUES (NULL, 'd', 1, NULL);  -- ERROR
INSERT INTO t_int VALUES ('', 'd', 1, NULL);  -- ERROR
INSERT INTO t_int VALUES ('n', 'd', 1, -5);  -- ERROR

CREATE FOREIGN TABLE t_json (hash_key text, sort_key text, value json)
  SERVER pegasus OPTIONS (table 'regress_types');
INSERT INTO t_json VALUES ('j', '1', '{"a": [1, 2]}'), ('j', '2', '"x"');
SELECT sort_key, value, json_typeof(value) FROM t_json WHERE hash_key = 'j' ORDER BY 1;
INSERT INTO t_json VALUES ('j', '3', 'not json');  -- ERROR
-- a stored value that is not valid for the column type
INSERT INTO t_int VALUES ('j', '3', 5, NULL);
CREATE FOREIGN TABLE t_numbers (hash_key text, sort_key text, value numeric)
  SERVER pegasus OPTIONS (table 'regress_types');
SELECT value FROM t_numbers WHERE hash_key = 'j' ORDER BY sort_key;  -- ERROR

-- other types through their text form
CREATE FOREIGN TABLE t_misc (hash_key text, sort_key text, value date)
  SERVER pegasus OPTIONS (table 'regress_types');
INSERT INTO t_misc VALUES ('d', 'x', '2024-02-29');
SELECT value + 1 AS next_day FROM t_misc WHERE hash_key = 'd';

DROP FOREIGN TABLE t_bytes, t_text, t_int, t_json, t_numbers, t_misc;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_types');
