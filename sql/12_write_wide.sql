--
-- Writes of the wide layout: INSERT is one multi_set per row, UPDATE
-- writes only the updated columns (NULL removes the sort key), DELETE
-- removes the mapped sort keys only
--
\getenv meta PEGASUS_TEST_META
SELECT pegasus_fdw_create_table('pegasus', 'regress_w12', 4);
CREATE FOREIGN TABLE w12 (hash_key text, name text, age integer,
                          city text OPTIONS (sort_key 'c'))
  SERVER pegasus OPTIONS (table 'regress_w12', layout 'wide');
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO w12 VALUES ('p1', 'ann', 31, 'paris');
INSERT INTO w12 VALUES ('p1', 'ann', 31, 'paris'), ('p2', 'bob', NULL, 'rome')
  RETURNING *;
INSERT INTO w12 SELECT 'q' || i, 'n' || i, i, NULL FROM generate_series(1, 50) i;
SELECT count(*), sum(age) FROM w12 WHERE hash_key LIKE 'q%';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p2
-- a sort key no column maps
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 set p1 other keep

-- UPDATE writes only the SET columns: a value written meanwhile by
-- someone else to another column survives
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 set p1 name ann2
EXPLAIN (VERBOSE, COSTS OFF) UPDATE w12 SET age = 32 WHERE hash_key = 'p1';
UPDATE w12 SET age = 32 WHERE hash_key = 'p1' RETURNING age, city;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p1
-- NULL removes the sort key, in one atomic check_and_mutate with the puts
UPDATE w12 SET city = NULL, age = 33 WHERE hash_key = 'p1';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p1
SELECT * FROM w12 WHERE hash_key IN ('p1', 'p2') ORDER BY 1;
-- only NULLs: multi_del
UPDATE w12 SET name = NULL WHERE hash_key = 'p2';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p2
-- many rows, batched
UPDATE w12 SET age = age + 100 WHERE hash_key LIKE 'q%';
SELECT count(*), sum(age) FROM w12 WHERE hash_key LIKE 'q%';
-- a new hash key moves the whole row
UPDATE w12 SET hash_key = 'p9' WHERE hash_key = 'p2';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p2
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p9

-- DELETE removes the mapped sort keys only
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w12 WHERE hash_key = 'p1';
DELETE FROM w12 WHERE hash_key = 'p1' RETURNING *;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w12 multi_get p1
\set QUIET off
DELETE FROM w12 WHERE hash_key LIKE 'q%' AND age > 140;
\set QUIET on
SELECT count(*) FROM w12 WHERE hash_key LIKE 'q%';

-- errors
INSERT INTO w12 VALUES ('p3', 'x', 1, 'y') ON CONFLICT DO NOTHING;  -- ERROR
INSERT INTO w12 VALUES (NULL, 'x', 1, 'y');  -- ERROR
UPDATE w12 SET hash_key = '' WHERE hash_key = 'p9';  -- ERROR
SELECT * FROM w12 WHERE hash_key = 'p9';

DROP FOREIGN TABLE w12;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_w12');
