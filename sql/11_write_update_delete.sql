--
-- UPDATE and DELETE (kv layout): row identity by key, set / del per row,
-- key changes, direct DELETE by multi_del batches, direct incr
--
\getenv meta PEGASUS_TEST_META
SELECT pegasus_fdw_create_table('pegasus', 'regress_w11', 4);
CREATE FOREIGN TABLE w11 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
                          ttl integer)
  SERVER pegasus OPTIONS (table 'regress_w11');
INSERT INTO w11 SELECT 'h' || (i % 4), lpad(i::text, 3, '0'), 'v' || i, NULL
  FROM generate_series(1, 400) i;
INSERT INTO w11 VALUES ('u', 'a', 'va', NULL), ('u', 'b', 'vb', NULL), ('u', 'c', 'vc', 9000);

-- ===================================================================
-- UPDATE of the value: set
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) UPDATE w11 SET value = 'new' WHERE hash_key = 'u' AND sort_key = 'a';
UPDATE w11 SET value = 'new' WHERE hash_key = 'u' AND sort_key = 'a' RETURNING *;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get u
-- the ttl column keeps the record's TTL; setting it changes it
UPDATE w11 SET value = value || '!' WHERE hash_key = 'u' AND sort_key = 'c';
SELECT value, ttl BETWEEN 8000 AND 9000 AS kept FROM w11 WHERE hash_key = 'u' AND sort_key = 'c';
UPDATE w11 SET ttl = NULL WHERE hash_key = 'u' AND sort_key = 'c';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 ttl u c
UPDATE w11 SET ttl = 3000 WHERE hash_key = 'u' AND sort_key = 'b';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 ttl u b | awk '{ print ($1 > 2900 && $1 <= 3000) ? "ttl ok" : "ttl wrong: " $1 }'
-- many rows: batched like INSERT (100 rows of one hash key, batch_size 100)
SELECT explain_analyze($$
UPDATE w11 SET value = upper(value) WHERE hash_key = 'h1'$$);
SELECT count(*) FILTER (WHERE value LIKE 'V%') AS upper_rows, count(*) FROM w11 WHERE hash_key = 'h1';
-- a local filter: only the matching rows are written
UPDATE w11 SET value = 'five' WHERE hash_key = 'h1' AND value LIKE '%5';
SELECT value = 'five' AS five, count(*) FROM w11 WHERE hash_key = 'h1' GROUP BY 1 ORDER BY 1;

-- ===================================================================
-- UPDATE of keys
-- ===================================================================
-- within a hash key: one check_and_mutate (delete old, put new), atomic
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo reset-counters >&7; read -r -t 5 r <&7; echo "$r"'
UPDATE w11 SET sort_key = 'z' WHERE hash_key = 'u' AND sort_key = 'a';
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo counters >&7; while read -r -t 2 p r c <&7; do [ "$p" = END ] && break; case $r in *PUT|*REMOVE|*CHECK_AND_*) n="$n $r=$c";; esac; done; echo "writes:$n"'

\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get u
-- rows swapping keys end right
UPDATE w11 SET sort_key = CASE sort_key WHEN 'b' THEN 'z' ELSE 'b' END
  WHERE hash_key = 'u' AND sort_key IN ('b', 'z')
  RETURNING hash_key, sort_key, value, ttl > 2900 AS has_ttl;  -- the TTL ticks
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get u
-- keys moved forward are not met again by the scan feeding the UPDATE
UPDATE w11 SET sort_key = sort_key || 'x' WHERE hash_key = 'h2';
SELECT count(*), min(sort_key), max(sort_key), count(*) FILTER (WHERE sort_key LIKE '%xx')
  FROM w11 WHERE hash_key = 'h2';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 sortkey_count h2
-- to another hash key: multi_del + multi_set (not atomic)
UPDATE w11 SET hash_key = 'moved' WHERE hash_key = 'u' AND sort_key = 'c' RETURNING *;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get u
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get moved
-- bad new values are refused before anything is written
UPDATE w11 SET hash_key = '' WHERE hash_key = 'u';  -- ERROR
UPDATE w11 SET value = NULL WHERE hash_key = 'u';  -- ERROR
UPDATE w11 SET ttl = -1 WHERE hash_key = 'u';  -- ERROR
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 multi_get u

-- ===================================================================
-- DELETE
-- ===================================================================
-- one row: del
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w11 WHERE hash_key = 'u' AND sort_key = 'b';
DELETE FROM w11 WHERE hash_key = 'u' AND sort_key = 'b' RETURNING *;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 exist u b
-- a whole hash key: direct, keys read without values, multi_del batches
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w11 WHERE hash_key = 'h3';
SELECT explain_analyze($$DELETE FROM w11 WHERE hash_key = 'h3'$$);
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 sortkey_count h3
-- the command tag counts rows really removed
\set QUIET off
DELETE FROM w11 WHERE hash_key = 'h3';
DELETE FROM w11 WHERE hash_key = 'h0' AND sort_key >= '100' AND sort_key < '200';
\set QUIET on
SELECT count(*), min(sort_key), max(sort_key) FROM w11 WHERE hash_key = 'h0';
\set QUIET off
DELETE FROM w11 WHERE hash_key = 'h0' AND sort_key IN ('004', '008', '999');
DELETE FROM w11 WHERE hash_key = 'h0' AND sort_key LIKE '3%';
\set QUIET on
SELECT count(*) FROM w11 WHERE hash_key = 'h0';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 sortkey_count h0
-- a local filter or RETURNING: row by row (batched)
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w11 WHERE hash_key = 'h0' AND value LIKE '%2';
DELETE FROM w11 WHERE hash_key = 'h0' AND value LIKE '%2';
DELETE FROM w11 WHERE hash_key = 'h0' AND sort_key > '390' RETURNING sort_key, value;
SELECT count(*) FROM w11 WHERE hash_key = 'h0';
-- no hash key: a scan feeding row-by-row deletes
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w11 WHERE hash_key <> 'moved';
\set QUIET off
DELETE FROM w11 WHERE hash_key <> 'moved';
\set QUIET on
SELECT * FROM w11;
DELETE FROM w11;
SELECT count(*) FROM w11;

-- ===================================================================
-- UPDATE value = value + n on an integer value: one incr
-- ===================================================================
CREATE FOREIGN TABLE w11n (hash_key text, sort_key text, value bigint)
  SERVER pegasus OPTIONS (table 'regress_w11');
CREATE FOREIGN TABLE w11i (hash_key text, sort_key text, value integer)
  SERVER pegasus OPTIONS (table 'regress_w11');
INSERT INTO w11n VALUES ('n', 'c', 10);
EXPLAIN (VERBOSE, COSTS OFF) UPDATE w11n SET value = value + 5 WHERE hash_key = 'n' AND sort_key = 'c';
SELECT explain_analyze($$
UPDATE w11n SET value = value + 5 WHERE hash_key = 'n' AND sort_key = 'c'$$);
UPDATE w11n SET value = value - 3 WHERE hash_key = 'n' AND sort_key = 'c' RETURNING *;
UPDATE w11n SET value = 100 + value WHERE hash_key = 'n' AND sort_key = 'c' RETURNING value, sort_key;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 get n c
PREPARE bump(bigint) AS UPDATE w11n SET value = value + $1 WHERE hash_key = 'n' AND sort_key = 'c' RETURNING value;
EXECUTE bump(1000);
EXECUTE bump(-2000);
DEALLOCATE bump;
-- a missing record is not created
\set QUIET off
UPDATE w11n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'missing';
UPDATE w11n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'c';
\set QUIET on
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 exist n missing
-- in WITH, a direct incr or DELETE does not count in the statement's command tag
CREATE TABLE w11_log (v bigint);
INSERT INTO w11n VALUES ('d', '1', 1), ('d', '2', 2), ('d', '3', 3);
EXPLAIN (VERBOSE, COSTS OFF)
WITH d AS (DELETE FROM w11n WHERE hash_key = 'd') INSERT INTO w11_log VALUES (0);
\set QUIET off
WITH u AS (UPDATE w11n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'c' RETURNING value)
  INSERT INTO w11_log SELECT value FROM u;
WITH d AS (DELETE FROM w11n WHERE hash_key = 'd') INSERT INTO w11_log VALUES (0);
\set QUIET on
SELECT v FROM w11_log ORDER BY 1;
SELECT count(*) FROM w11n WHERE hash_key = 'd';
DROP TABLE w11_log;
-- other forms are not incr
EXPLAIN (VERBOSE, COSTS OFF) UPDATE w11n SET value = value * 2 WHERE hash_key = 'n' AND sort_key = 'c';
EXPLAIN (VERBOSE, COSTS OFF) UPDATE w11n SET value = value + 1 WHERE hash_key = 'n';
-- the result must fit the column: refused before incr is sent
INSERT INTO w11i VALUES ('n', 'i', 2147483647);
UPDATE w11i SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 'i';  -- ERROR
\echo :LAST_ERROR_SQLSTATE
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 get n i
-- a stored value that is not an integer
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w11 set n s abc
UPDATE w11n SET value = value + 1 WHERE hash_key = 'n' AND sort_key = 's';  -- ERROR

DROP FOREIGN TABLE w11, w11n, w11i;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_w11');
