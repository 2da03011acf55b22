--
-- The batched key join: local rows joined to a Pegasus table on its keys,
-- the keys of a batch of local rows read with batch_get
--
-- the table of 02_select, through a foreign table nobody has analyzed
CREATE FOREIGN TABLE kvn (hash_key text COLLATE "C", sort_key text COLLATE "C",
                          value jsonb, ttl integer)
  SERVER pegasus OPTIONS (table 'regress_kv');
CREATE TABLE outer_keys (id int, k varchar(8), s text COLLATE "C");
INSERT INTO outer_keys VALUES
  (1, 'h1', 's011'), (2, 'h2', 's012'), (3, 'h3', 'missing'), (4, NULL, 's001'),
  (5, 'h1', 's011'), (6, 'h1', NULL), (7, '', 's001'), (8, 'zz', 's001'),
  (9, 'h4', 's004'), (10, 'h1', '');
ANALYZE outer_keys;

-- not analyzed, a few rows: one batch_get instead of a lookup per row
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s;
-- duplicates kept, NULL, empty and missing keys match nothing
SELECT o.id, kv.hash_key, kv.sort_key, kv.value
  FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s;
SELECT o.id, kv.value FROM outer_keys o LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s
  ORDER BY 1;
EXPLAIN (COSTS OFF)
  SELECT o.id FROM outer_keys o
  WHERE EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.sort_key = o.s);
SELECT o.id FROM outer_keys o
  WHERE EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.sort_key = o.s) ORDER BY 1;
EXPLAIN (COSTS OFF)
  SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.sort_key = o.s);
SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.sort_key = o.s) ORDER BY 1;
-- IN (SELECT ...) on a row of both keys is a semi join too
SELECT o.id FROM outer_keys o WHERE (o.k, o.s) IN (SELECT hash_key, sort_key FROM kvn) ORDER BY 1;

-- other join conditions, the table's own restrictions and filters after
-- an outer join are checked as usual
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s AND (kv.value->>'i')::int > o.id + 5
  WHERE kv.value IS NULL OR kv.value->>'i' <> '4';
SELECT o.id, kv.value FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s AND (kv.value->>'i')::int > o.id + 5
  WHERE kv.value IS NULL OR kv.value->>'i' <> '4'
  ORDER BY 1;
SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.sort_key = o.s
                    AND kv.value->>'i' = '11')
  ORDER BY 1;

-- keys computed from the outer row, and a sort key fixed by a constant
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o
  JOIN kvn kv ON kv.hash_key = 'h' || o.id AND kv.sort_key = 's00' || o.id;
SELECT o.id, kv.value FROM outer_keys o
  JOIN kvn kv ON kv.hash_key = 'h' || o.id AND kv.sort_key = 's00' || o.id ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key = 's011';
SELECT o.id, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key = 's011' ORDER BY 1;

-- batches: 3 outer rows each; counters in EXPLAIN ANALYZE
SET pegasus_fdw.join_batch_size = 3;
SELECT explain_analyze($$
  SELECT o.id, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s$$, false);
SELECT o.id, kv.value FROM outer_keys o LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s
  ORDER BY 1;
RESET pegasus_fdw.join_batch_size;

-- rescanned with a new parameter for each outer value
SELECT g, (SELECT string_agg(o.id::text, ',' ORDER BY o.id) FROM outer_keys o
           JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s WHERE o.id <= g)
  FROM generate_series(1, 6, 2) g;

-- wide layout: the mapped columns' sort keys of each hash key
SELECT pegasus_fdw_create_table('pegasus', 'regress_join_wide', 4);
CREATE FOREIGN TABLE join_wide (hash_key text, name text, city text, age int)
  SERVER pegasus OPTIONS (table 'regress_join_wide', layout 'wide');
INSERT INTO join_wide VALUES ('h1', 'ann', 'rome', 30), ('h2', 'bob', NULL, 40),
  ('h4', NULL, 'oslo', NULL);
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, w.* FROM outer_keys o JOIN join_wide w ON w.hash_key = o.k;
SELECT o.id, w.* FROM outer_keys o JOIN join_wide w ON w.hash_key = o.k ORDER BY 1;
SELECT o.id, w.name FROM outer_keys o LEFT JOIN join_wide w ON w.hash_key = o.k ORDER BY 1;
SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM join_wide w WHERE w.hash_key = o.k AND w.age > 35) ORDER BY 1;
SELECT explain_analyze($$
  SELECT o.id FROM outer_keys o WHERE EXISTS (SELECT FROM join_wide w WHERE w.hash_key = o.k)$$, false);

-- only the hash key bound (kv layout): a range per distinct hash key, 16
-- hash keys in flight
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.sort_key FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k;
SELECT o.id, count(*), min(kv.sort_key), max(kv.sort_key)
  FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k GROUP BY 1 ORDER BY 1;
SELECT o.id, kv.sort_key FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key < 's005' ORDER BY 1, 2;
SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k AND kv.value->>'i' = '24')
  ORDER BY 1;
SET pegasus_fdw.join_batch_size = 3;
SELECT explain_analyze($$
  SELECT o.id FROM outer_keys o WHERE EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k)$$, false);
RESET pegasus_fdw.join_batch_size;

-- the hash key bound and the sort key in a list: one multi_get of those
-- sort keys per distinct hash key, 16 hash keys in flight
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.sort_key FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key IN ('s011', 's021', 'missing');
SELECT o.id, kv.sort_key, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key IN ('s011', 's021', 'missing') ORDER BY 1, 2;
-- a list of outer values: each outer row keeps only its own sort keys
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT o.id, kv.sort_key FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = ANY (ARRAY[o.s, 's031']);
SELECT o.id, kv.sort_key FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = ANY (ARRAY[o.s, 's031'])
  ORDER BY 1, 2;
SELECT explain_analyze($$
  SELECT o.id, kv.sort_key FROM outer_keys o
  LEFT JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = ANY (ARRAY[o.s, 's031'])$$, false);
SELECT o.id FROM outer_keys o
  WHERE NOT EXISTS (SELECT FROM kvn kv WHERE kv.hash_key = o.k
                    AND kv.sort_key = ANY (ARRAY[o.s, 's002']))
  ORDER BY 1;
-- counters: 5 distinct usable hash keys (h1..h4, zz; '' matches nothing),
-- one multi_get each; keys sent are the (hash key, sort key) pairs asked for
SET pegasus_fdw.join_batch_size = 3;
SELECT explain_analyze($$
  SELECT o.id, kv.sort_key FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key = ANY ('{s011,s012,s013}')$$, false);
RESET pegasus_fdw.join_batch_size;
SELECT explain_analyze($$
  SELECT o.id, kv.sort_key FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k
  WHERE kv.sort_key = ANY ('{s011,s012,s013}')$$, false);

-- not offered: the ttl column (a lookup of its own per row), UPDATE,
-- DELETE and row locks (rows may be rechecked), or switched off
EXPLAIN (COSTS OFF)
  SELECT o.id, kv.ttl FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s;
EXPLAIN (COSTS OFF)
  UPDATE kvn kv SET value = kv.value FROM outer_keys o
  WHERE kv.hash_key = o.k AND kv.sort_key = o.s;
EXPLAIN (COSTS OFF)
  SELECT o.id FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s
  FOR UPDATE OF o;
SET pegasus_fdw.enable_batched_join = off;
EXPLAIN (COSTS OFF)
  SELECT o.id, kv.value FROM outer_keys o JOIN kvn kv ON kv.hash_key = o.k AND kv.sort_key = o.s;
RESET pegasus_fdw.enable_batched_join;

-- many outer rows, table not analyzed: batches, not a scan of the table
CREATE TABLE many_keys AS
  SELECT i AS id, 'h' || (i % 12) AS k, 's' || lpad((i % 250)::text, 3, '0') AS s
  FROM generate_series(1, 5000) i;
ANALYZE many_keys;
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM many_keys m JOIN kvn kv ON kv.hash_key = m.k AND kv.sort_key = m.s;
SELECT count(*), count(DISTINCT (m.k, m.s)) FROM many_keys m
  JOIN kvn kv ON kv.hash_key = m.k AND kv.sort_key = m.s;

DROP TABLE outer_keys, many_keys;
DROP FOREIGN TABLE join_wide;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_join_wide');

-- once ANALYZE has counted the table, an outer set larger than the table
-- is joined to one scan of it
CREATE FOREIGN TABLE kv_counted (hash_key text COLLATE "C", sort_key text COLLATE "C",
                                 value jsonb, ttl integer)
  SERVER pegasus OPTIONS (table 'regress_kv');
ANALYZE kv_counted;
CREATE TABLE all_keys AS
  SELECT 'h' || (i % 10) AS k, 's' || lpad((i % 300)::text, 3, '0') AS s
  FROM generate_series(1, 3000) i;
ANALYZE all_keys;
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM all_keys a JOIN kv_counted kv ON kv.hash_key = a.k AND kv.sort_key = a.s;
SELECT count(*) FROM all_keys a JOIN kv_counted kv ON kv.hash_key = a.k AND kv.sort_key = a.s;
-- a table ANALYZE found this small is read in one scan round, as cheap as
-- one batch
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM (SELECT * FROM all_keys LIMIT 20) a
  JOIN kv_counted kv ON kv.hash_key = a.k AND kv.sort_key = a.s;
DROP TABLE all_keys;
DROP FOREIGN TABLE kv_counted;

-- parameter arrays and key pairs in generic plans: batch_get
SET plan_cache_mode = force_generic_plan;
PREPARE by_hash_keys(text[]) AS
  SELECT hash_key, sort_key FROM kvn WHERE hash_key = ANY ($1) AND sort_key = 's011';
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_hash_keys('{h1,h2}');
EXECUTE by_hash_keys('{h1,h2,NULL,h1,""}');
PREPARE by_key_lists(text[], text[]) AS
  SELECT hash_key, sort_key FROM kvn WHERE hash_key = ANY ($1) AND sort_key = ANY ($2)
  ORDER BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_key_lists('{h1,h2}', '{s011,s012}');
EXECUTE by_key_lists('{h1,h2}', '{s011,s012,s001}');
-- (hash_key, sort_key) IN ((...), (...)): the listed pairs only
PREPARE by_pairs(text, text, text, text, text, text) AS
  SELECT hash_key, sort_key, value FROM kvn
  WHERE (hash_key, sort_key) IN (($1, $2), ($3, $4), ($5, $6));
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_pairs('h1', 's011', 'h2', 's012', 'h3', 'x');
EXECUTE by_pairs('h1', 's011', 'h2', 's012', 'h3', 'x');
EXECUTE by_pairs('h1', 's011', NULL, 's012', 'h1', 's011');
EXECUTE by_pairs('h2', 's011', 'h1', 's012', '', 's001');
SELECT explain_analyze($$
  EXECUTE by_pairs('h1', 's011', 'h1', 's011', 'h4', 's004')$$, false);
-- pairs as two arrays: a join with unnest, i.e. the batched key join
PREPARE by_pair_arrays(text[], text[]) AS
  SELECT kv.hash_key, kv.sort_key, kv.value
  FROM unnest($1, $2) AS p(h, s) JOIN kvn kv ON kv.hash_key = p.h AND kv.sort_key = p.s;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_pair_arrays('{h1,h2}', '{s011,s012}');
EXECUTE by_pair_arrays('{h1,h2,h3,h1,NULL}', '{s011,s012,nope,s011,s001}');
-- an OR that is not a list of pairs stays local
SET max_parallel_workers_per_gather = 0;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT hash_key FROM kvn
  WHERE (hash_key = 'h1' AND sort_key = 's011') OR (hash_key = 'h2' AND value IS NULL);
DEALLOCATE ALL;
RESET plan_cache_mode;
RESET max_parallel_workers_per_gather;
DROP FOREIGN TABLE kvn;
