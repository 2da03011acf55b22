--
-- Asynchronous execution and partitioned tables of foreign partitions: a
-- Pegasus table per day, one partitioned table over them (and a second
-- server for a table of another cluster, here the same onebox).
--
\getenv meta PEGASUS_TEST_META
CREATE SERVER pegasus_b FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta');
CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus_b;

SELECT pegasus_fdw_create_table('pegasus', 'regress_day_' || d, 4)
FROM unnest(ARRAY['1207', '1208', '1209']) d;
CREATE TABLE ev (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  PARTITION BY RANGE (sort_key);
CREATE FOREIGN TABLE ev_1207 PARTITION OF ev
  FOR VALUES FROM ('2026-12-07') TO ('2026-12-08')
  SERVER pegasus OPTIONS (table 'regress_day_1207', fetch_size '20');
CREATE FOREIGN TABLE ev_1208 PARTITION OF ev
  FOR VALUES FROM ('2026-12-08') TO ('2026-12-09')
  SERVER pegasus OPTIONS (table 'regress_day_1208', fetch_size '20');
-- the last day on the other server
CREATE FOREIGN TABLE ev_1209 PARTITION OF ev
  FOR VALUES FROM ('2026-12-09') TO ('2026-12-10')
  SERVER pegasus_b OPTIONS (table 'regress_day_1209', fetch_size '20');

-- INSERT is routed to each day's table, in batches
INSERT INTO ev
  SELECT 'u' || (i % 10),
         '2026-12-0' || (7 + i % 3) || ' ' || lpad((i / 3)::text, 5, '0'),
         md5(i::text)
  FROM generate_series(0, 599) i;
SELECT 'ev_1207' AS part, count(*), min(sort_key), max(sort_key) FROM ev_1207
UNION ALL SELECT 'ev_1208', count(*), min(sort_key), max(sort_key) FROM ev_1208
UNION ALL SELECT 'ev_1209', count(*), min(sort_key), max(sort_key) FROM ev_1209
ORDER BY 1;
-- a row outside every partition is refused before anything is sent
INSERT INTO ev VALUES ('u1', '2026-12-10 00000', 'x');  -- ERROR
-- COPY into the partitioned table is routed too
COPY ev FROM stdin;
u1	2026-12-07 99990	copied 1
u2	2026-12-08 99991	copied 2
u3	2026-12-09 99992	copied 3
\.
SELECT tableoid::regclass, * FROM ev WHERE value LIKE 'copied%' ORDER BY 1;
-- the same rows in a local partitioned table
CREATE TABLE ev_local (LIKE ev) PARTITION BY RANGE (sort_key);
CREATE TABLE ev_local_1207 PARTITION OF ev_local FOR VALUES FROM ('2026-12-07') TO ('2026-12-08');
CREATE TABLE ev_local_1208 PARTITION OF ev_local FOR VALUES FROM ('2026-12-08') TO ('2026-12-09');
CREATE TABLE ev_local_1209 PARTITION OF ev_local FOR VALUES FROM ('2026-12-09') TO ('2026-12-10');
INSERT INTO ev_local SELECT * FROM ev;

-- ===================================================================
-- every scan shape runs as an Async Foreign Scan
-- ===================================================================
-- whole-table scans
EXPLAIN (COSTS OFF) SELECT count(value), sum(length(value)) FROM ev;
SELECT count(value), sum(length(value)) FROM ev;
SELECT count(value), sum(length(value)) FROM ev_local;
-- sort-key ranges of one hash key
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sort_key FROM ev WHERE hash_key = 'u3' AND sort_key >= '2026-12-07 00100';
SELECT count(*), min(sort_key), max(sort_key) FROM ev
WHERE hash_key = 'u3' AND sort_key >= '2026-12-07 00100';
SELECT count(*), min(sort_key), max(sort_key) FROM ev_local
WHERE hash_key = 'u3' AND sort_key >= '2026-12-07 00100';
-- multi_get: listed sort keys of one hash key
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM ev WHERE hash_key = 'u1'
  AND sort_key IN ('2026-12-07 00007', '2026-12-08 00007', '2026-12-09 00007', '2026-12-08 00017');
SELECT * FROM ev WHERE hash_key = 'u1'
  AND sort_key IN ('2026-12-07 00007', '2026-12-08 00007', '2026-12-09 00007', '2026-12-08 00017')
ORDER BY sort_key;
-- batch_get: (hash key, sort key) pairs
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM ev WHERE hash_key IN ('u0', 'u1', 'u2')
  AND sort_key IN ('2026-12-07 00010', '2026-12-08 00010', '2026-12-09 00010');
SELECT * FROM ev WHERE hash_key IN ('u0', 'u1', 'u2')
  AND sort_key IN ('2026-12-07 00010', '2026-12-08 00010', '2026-12-09 00010')
ORDER BY sort_key;
-- point gets (of a UNION ALL: the partition key would prune all but one)
CREATE VIEW ev_all AS
  SELECT * FROM ev_1207 UNION ALL SELECT * FROM ev_1208 UNION ALL SELECT * FROM ev_1209;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM ev_all WHERE hash_key = 'u1' AND sort_key = '2026-12-08 00000';
SELECT * FROM ev_all WHERE hash_key = 'u1' AND sort_key = '2026-12-08 00000';
-- a hash-key lookup cannot be pruned: every day is asked at once
SELECT count(*), min(sort_key), max(sort_key) FROM ev WHERE hash_key = 'u7';
SELECT count(*), min(sort_key), max(sort_key) FROM ev_local WHERE hash_key = 'u7';

-- ===================================================================
-- pruning on the partition key
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT count(*) FROM ev WHERE sort_key >= '2026-12-08';
SELECT count(*) FROM ev WHERE sort_key >= '2026-12-08';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM ev WHERE hash_key = 'u1' AND sort_key = '2026-12-08 00000';
SELECT * FROM ev WHERE hash_key = 'u1' AND sort_key = '2026-12-08 00000';
-- pruning at execution time (a parameter)
PREPARE day_count(text) AS SELECT count(*) FROM ev WHERE sort_key >= $1 AND sort_key < $1 || '~';
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE day_count('2026-12-09');
EXECUTE day_count('2026-12-09');
RESET plan_cache_mode;
DEALLOCATE day_count;

-- ===================================================================
-- LIMIT, ORDER BY, joins and partition-wise aggregation
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT * FROM ev LIMIT 5;
SELECT count(*) FROM (SELECT * FROM ev LIMIT 5) l;
SELECT count(*) FROM (SELECT * FROM ev WHERE value LIKE 'a%' LIMIT 7) l;
SELECT hash_key, count(*), min(sort_key) FROM ev GROUP BY hash_key ORDER BY 1;
SELECT hash_key, count(*), min(sort_key) FROM ev_local GROUP BY hash_key ORDER BY 1;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT sort_key < '2026-12-08' AS first_day, count(*) FROM ev GROUP BY 1;
SELECT substr(sort_key, 1, 10) AS day, count(*) FROM ev GROUP BY 1 ORDER BY 1;
RESET enable_partitionwise_aggregate;
SET enable_partitionwise_join = on;
SELECT count(*), count(l.value) FROM ev e JOIN ev_local l USING (hash_key, sort_key);
RESET enable_partitionwise_join;
-- a rescanned Append (the inner side of a nested loop)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT k, count(e.*) FROM (VALUES ('u1'), ('u2')) v(k)
  JOIN ev e ON e.hash_key = v.k AND e.sort_key LIKE '2026-12-0%' GROUP BY k ORDER BY k;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- ===================================================================
-- EXPLAIN ANALYZE: counters per child
-- ===================================================================
CREATE FUNCTION explain_children(q text) RETURNS TABLE (rel text, async boolean,
                                                        rows numeric, rpcs_seen boolean)
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON, TIMING OFF) ' || q INTO plan;
  RETURN QUERY
    WITH RECURSIVE nodes(n) AS (
      SELECT plan->0->'Plan'
      UNION ALL
      SELECT c FROM nodes, json_array_elements(n->'Plans') c
    )
    SELECT n->>'Relation Name', (n->>'Async Capable')::boolean,
           round((n->>'Actual Rows')::numeric), (n->>'Pegasus RPCs')::int > 0
    FROM nodes WHERE n->>'Node Type' = 'Foreign Scan' ORDER BY 1;
END $$;
SELECT * FROM explain_children('SELECT * FROM ev');
SELECT * FROM explain_children('SELECT * FROM ev WHERE hash_key = ''u4''');

-- ===================================================================
-- async_capable 'false' on a table or a server: an ordinary Foreign Scan
-- ===================================================================
ALTER FOREIGN TABLE ev_1208 OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT * FROM ev;
SELECT count(value), sum(length(value)) FROM ev;
ALTER FOREIGN TABLE ev_1208 OPTIONS (DROP async_capable);
ALTER SERVER pegasus OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT * FROM ev;
ALTER SERVER pegasus OPTIONS (DROP async_capable);
ALTER SERVER pegasus OPTIONS (ADD async_capable 'maybe');  -- ERROR
SET enable_async_append = off;
EXPLAIN (COSTS OFF) SELECT * FROM ev;
SELECT count(value), sum(length(value)) FROM ev;
RESET enable_async_append;

-- ===================================================================
-- the daily routine: tomorrow's table attached, an expired one dropped
-- ===================================================================
SELECT pegasus_fdw_create_table('pegasus', 'regress_day_1210', 4);
CREATE FOREIGN TABLE ev_1210 PARTITION OF ev
  FOR VALUES FROM ('2026-12-10') TO ('2026-12-11')
  SERVER pegasus OPTIONS (table 'regress_day_1210');
INSERT INTO ev VALUES ('u1', '2026-12-10 00000', 'tomorrow');
SELECT tableoid::regclass, * FROM ev WHERE sort_key >= '2026-12-10';
DROP VIEW ev_all;
ALTER TABLE ev DETACH PARTITION ev_1207;
DROP FOREIGN TABLE ev_1207;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_day_1207');
SELECT count(*), min(sort_key) FROM ev;

DROP FUNCTION explain_children(text);
DROP TABLE ev, ev_local;
SELECT pegasus_fdw_drop_table(s, 'regress_day_' || d)
FROM (VALUES ('pegasus', '1208'), ('pegasus_b', '1209'), ('pegasus', '1210')) v(s, d);
DROP USER MAPPING FOR CURRENT_USER SERVER pegasus_b;
DROP SERVER pegasus_b;
