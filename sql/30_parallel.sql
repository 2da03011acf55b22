--
-- Parallel whole-table scans: workers share the partitions; every record
-- is returned exactly once, with or without workers, filters and rescans.
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_par', 8);
CREATE FOREIGN TABLE par (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_par', fetch_size '50');
CREATE TABLE par_local (hash_key text COLLATE "C", sort_key text COLLATE "C", value text);
INSERT INTO par_local
  SELECT 'h' || (i % 97), 's' || lpad(i::text, 5, '0'), md5(i::text)
  FROM generate_series(1, 3000) i;
INSERT INTO par SELECT * FROM par_local;
ANALYZE par_local;

-- make a parallel plan the cheapest one
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF) SELECT count(value), sum(length(value)) FROM par;
SELECT count(value), sum(length(value)) FROM par;
SELECT count(value), sum(length(value)) FROM par_local;

-- every row once: a copy made by a parallel scan equals the local table
EXPLAIN (COSTS OFF) SELECT * FROM par;
CREATE TABLE par_copy AS SELECT * FROM par;
SELECT count(*) AS copied,
       (SELECT count(*) FROM (SELECT * FROM par_copy EXCEPT ALL SELECT * FROM par_local) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM par_local EXCEPT ALL SELECT * FROM par_copy) d) AS missing
FROM par_copy;
DROP TABLE par_copy;

-- the workers alone (the leader only gathers)
SET parallel_leader_participation = off;
SELECT count(value), count(DISTINCT (hash_key, sort_key)), sum(length(value)) FROM par;
RESET parallel_leader_participation;

-- no worker available: the leader claims every partition itself
SET max_parallel_workers = 0;
EXPLAIN (COSTS OFF) SELECT count(value) FROM par;
SELECT count(value), sum(length(value)) FROM par;
RESET max_parallel_workers;

-- server-side filters apply in every process
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(value) FROM par WHERE hash_key LIKE 'h1%';
SELECT count(value) FROM par WHERE hash_key LIKE 'h1%';
SELECT count(value) FROM par_local WHERE hash_key LIKE 'h1%';
-- and local conditions
SELECT count(value), min(sort_key), max(sort_key) FROM par WHERE value LIKE '%ab%';
SELECT count(value), min(sort_key), max(sort_key) FROM par_local WHERE value LIKE '%ab%';

-- rescans: the Gather in a subquery runs again for each outer row (its
-- workers do the scanning each time)
SET parallel_leader_participation = off;
-- PostgreSQL 19 names the subplan "SubPlan expr_1" (earlier: "SubPlan 1"):
-- expected/30_parallel_2.out.
EXPLAIN (COSTS OFF)
  SELECT v.n, (SELECT count(p.value) FILTER (WHERE length(p.hash_key) = v.n) FROM par p)
  FROM (VALUES (1), (2), (3)) v(n);
SELECT v.n, (SELECT count(p.value) FILTER (WHERE length(p.hash_key) = v.n) FROM par p)
  FROM (VALUES (1), (2), (3)) v(n);
SELECT v.n, (SELECT count(p.value) FILTER (WHERE length(p.hash_key) = v.n) FROM par_local p)
  FROM (VALUES (1), (2), (3)) v(n);
RESET parallel_leader_participation;

-- a LIMIT above the Gather
SELECT count(*) FROM (SELECT * FROM par LIMIT 10) s;

-- count(*) alone is still one counting request, not a parallel scan
-- (count(value) above was a parallel scan)
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM par;
SELECT count(*) FROM par;

-- key lookups and ranges are not shared
EXPLAIN (COSTS OFF) SELECT count(value) FROM par WHERE hash_key = 'h5';
SELECT count(value) FROM par WHERE hash_key = 'h5';

-- wide layout: the records of a hash key stay in one partition, so in
-- one process
SELECT pegasus_fdw_create_table('pegasus', 'regress_par_wide', 8);
CREATE FOREIGN TABLE par_wide (hash_key text, a text, b integer)
  SERVER pegasus OPTIONS (table 'regress_par_wide', layout 'wide');
INSERT INTO par_wide SELECT 'k' || i, md5(i::text), i FROM generate_series(1, 1000) i;
-- From PostgreSQL 16 on the planner may sort the rows for count(DISTINCT)
-- (presorted aggregates) and gather them sorted: expected/30_parallel_1.out
-- (16 to 18) and expected/30_parallel_2.out (19).
EXPLAIN (COSTS OFF) SELECT count(*), count(a), sum(b), count(DISTINCT hash_key) FROM par_wide;
SELECT count(*), count(a), sum(b), count(DISTINCT hash_key) FROM par_wide;
DROP FOREIGN TABLE par_wide;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_par_wide');

-- serial answer for comparison
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT count(value), sum(length(value)) FROM par;
SELECT count(value), sum(length(value)) FROM par;

RESET ALL;
DROP TABLE par_local;
DROP FOREIGN TABLE par;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_par');
