--
-- INSERT and COPY: set per row, batches of multi_set per hash key,
-- ON CONFLICT DO NOTHING as check_and_set, bad input refused before sending
--
\getenv meta PEGASUS_TEST_META
SELECT pegasus_fdw_create_table('pegasus', 'regress_w10', 4);
CREATE FOREIGN TABLE w10 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
                          ttl integer)
  SERVER pegasus OPTIONS (table 'regress_w10');
-- RPCs sent by the client of server pegasus so far
CREATE FUNCTION w10_rpcs() RETURNS bigint LANGUAGE sql
  AS $$ SELECT rpcs_sent FROM pegasus_fdw_connections() WHERE server_name = 'pegasus' $$;

-- ===================================================================
-- single rows, TTL, RETURNING
-- ===================================================================
INSERT INTO w10 VALUES ('a', '1', 'one', NULL), ('a', '2', 'two', 100000) RETURNING *;
INSERT INTO w10 (hash_key, sort_key, value) VALUES ('b', '1', 'x');
SELECT hash_key, sort_key, value, ttl BETWEEN 99000 AND 100000 AS has_ttl FROM w10 ORDER BY 1, 2;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 multi_get a
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 ttl a 1
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 ttl a 2 | awk '{ print ($1 > 99000 && $1 <= 100000) ? "ttl ok" : "ttl wrong: " $1 }'
-- a second INSERT of a key overwrites it (Pegasus set)
INSERT INTO w10 VALUES ('b', '1', 'y');
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 get b 1
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO w10 VALUES ('a', '1', 'x');

-- ===================================================================
-- batching: rows sharing a hash key in one batch are one multi_set
-- ===================================================================
-- 1000 rows over 10 hash keys, batch_size 100 (default): each batch holds
-- 10 rows of each hash key, so 10 multi_set per batch, 100 in all
SELECT explain_analyze($$
INSERT INTO w10 SELECT 'h' || (i % 10), lpad(i::text, 4, '0'), 'v' || i, NULL
  FROM generate_series(1, 1000) i$$);
SELECT count(*), count(DISTINCT hash_key) FROM w10 WHERE hash_key LIKE 'h%';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 sortkey_count h7
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 get h7 0997
-- the same statement with batch_size 1: one RPC per row
ALTER FOREIGN TABLE w10 OPTIONS (ADD batch_size '1');
SELECT w10_rpcs() AS r0 \gset
INSERT INTO w10 SELECT 'h' || (i % 10), lpad(i::text, 4, '0'), 'w' || i, NULL
  FROM generate_series(1, 1000) i;
SELECT w10_rpcs() - :r0 AS rpcs_batch_size_1;
-- batch_size 1000: one batch, one multi_set per hash key
ALTER FOREIGN TABLE w10 OPTIONS (SET batch_size '1000');
SELECT w10_rpcs() AS r0 \gset
INSERT INTO w10 SELECT 'h' || (i % 10), lpad(i::text, 4, '0'), 'u' || i, NULL
  FROM generate_series(1, 1000) i;
SELECT w10_rpcs() - :r0 AS rpcs_batch_size_1000;
SELECT count(*) FILTER (WHERE value LIKE 'u%') AS rewritten FROM w10 WHERE hash_key LIKE 'h%';
ALTER FOREIGN TABLE w10 OPTIONS (DROP batch_size);
-- with RETURNING rows go one by one (PostgreSQL does not batch them)
SELECT w10_rpcs() AS r0 \gset
INSERT INTO w10 SELECT 'r', i::text, 'r' || i, NULL FROM generate_series(1, 5) i RETURNING sort_key;
SELECT w10_rpcs() - :r0 AS rpcs_returning;

-- duplicates in one batch: the later row wins
INSERT INTO w10 VALUES ('d', '1', 'first', NULL), ('d', '1', 'second', NULL);
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 get d 1
-- TTL changes within one hash key: groups keep the row order
INSERT INTO w10 VALUES ('t', '1', 'a', NULL), ('t', '1', 'b', 5000), ('t', '1', 'c', NULL),
                       ('t', '2', 'd', 5000);
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 get t 1
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 ttl t 1
SELECT sort_key, value, ttl > 4000 AS has_ttl FROM w10 WHERE hash_key = 't' ORDER BY 1;

-- ===================================================================
-- COPY batches too
-- ===================================================================
-- the file lies in the data directory: no /tmp, no collision between two
-- clusters (COPY TO takes only an absolute path)
SELECT current_setting('data_directory') || '/pegasus_fdw_regress_w10.copy' AS w10_copy \gset
COPY (SELECT 'c' || (i % 2), lpad(i::text, 3, '0'), 'copy ' || i, NULL::int
      FROM generate_series(1, 250) i) TO :'w10_copy';
SELECT w10_rpcs() AS r0 \gset
COPY w10 FROM :'w10_copy';
-- 3 batches (100, 100, 50 rows) of 2 hash keys each
SELECT w10_rpcs() - :r0 AS rpcs_copy;
SELECT hash_key, count(*), min(value), max(sort_key) FROM w10 WHERE hash_key IN ('c0', 'c1')
  GROUP BY 1 ORDER BY 1;
COPY w10 FROM STDIN;
cs	1	tab	\N
cs	2	ttl	7000
\.
SELECT sort_key, value, ttl > 6000 AS has_ttl FROM w10 WHERE hash_key = 'cs' ORDER BY 1;
\setenv W10_COPY :w10_copy
\! rm -f "$W10_COPY"

-- ===================================================================
-- ON CONFLICT DO NOTHING: check_and_set where the value does not exist
-- ===================================================================
INSERT INTO w10 VALUES ('oc', '1', 'kept', NULL);
-- the command tag counts the rows really inserted
\set QUIET off
INSERT INTO w10 VALUES ('oc', '1', 'lost', NULL) ON CONFLICT DO NOTHING;
INSERT INTO w10 VALUES ('oc', '1', 'lost', NULL), ('oc', '2', 'new', 6000), ('oc', '3', 'new', NULL)
  ON CONFLICT DO NOTHING RETURNING *;
\set QUIET on
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 multi_get oc
SELECT sort_key, value, ttl > 5000 AS has_ttl FROM w10 WHERE hash_key = 'oc' ORDER BY 1;
SELECT explain_analyze($$
INSERT INTO w10 VALUES ('oc', '3', 'x', NULL), ('oc', '4', 'x', NULL) ON CONFLICT DO NOTHING$$);
-- ON CONFLICT with a target or DO UPDATE: not possible on a foreign table
INSERT INTO w10 VALUES ('oc', '1', 'x', NULL) ON CONFLICT (hash_key) DO NOTHING;  -- ERROR
INSERT INTO w10 VALUES ('oc', '1', 'x', NULL)
  ON CONFLICT (hash_key, sort_key) DO UPDATE SET value = 'y';  -- ERROR
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 get oc 1

-- ===================================================================
-- bad input is refused before anything of its batch is sent
-- ===================================================================
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), (NULL, '2', 'x', NULL);  -- ERROR
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), ('', '2', 'x', NULL);  -- ERROR
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), (repeat('k', 65535), '2', 'x', NULL);  -- ERROR
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), ('bad', NULL, 'x', NULL);  -- ERROR
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), ('bad', '2', NULL, NULL);  -- ERROR
INSERT INTO w10 VALUES ('bad', '1', 'x', NULL), ('bad', '2', 'x', -5);  -- ERROR
-- COPY's own error context names the input line up to PostgreSQL 15 and only
-- the table from 16 on (it sends rows to a foreign table in batches), so it
-- is left out here; the error, its detail and its hint are still checked.
\set SHOW_CONTEXT never
COPY w10 FROM STDIN;  -- ERROR
bad	1	x	\N
bad	2	x	-1
\.
\set SHOW_CONTEXT errors
-- nothing of those statements reached Pegasus
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w10 sortkey_count bad
-- the longest hash key Pegasus takes
INSERT INTO w10 VALUES (repeat('k', 65534), '1', 'long', NULL);
SELECT length(hash_key), value FROM w10 WHERE hash_key = repeat('k', 65534);
-- an empty sort key and an empty value are fine
INSERT INTO w10 VALUES ('e', '', '', NULL);
SELECT * FROM w10 WHERE hash_key = 'e';

DROP FUNCTION w10_rpcs();
DROP FOREIGN TABLE w10;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_w10');
