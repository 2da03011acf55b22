--
-- Joins with local tables: lookups per outer row for small outer sets
-- (parameterized paths; the batched key join of 09_batched_join is off)
--
SET pegasus_fdw.enable_batched_join = off;
CREATE TABLE wanted (k text COLLATE "C", s text COLLATE "C");
INSERT INTO wanted VALUES ('h1', 's011'), ('h2', 's012'), ('h3', 'missing');
ANALYZE wanted;

EXPLAIN (VERBOSE, COSTS OFF)
  SELECT w.k, w.s, kv.value FROM wanted w JOIN kv ON kv.hash_key = w.k AND kv.sort_key = w.s;
SELECT w.k, w.s, kv.value FROM wanted w JOIN kv ON kv.hash_key = w.k AND kv.sort_key = w.s
  ORDER BY 1;
SELECT w.k, w.s, kv.value FROM wanted w LEFT JOIN kv ON kv.hash_key = w.k AND kv.sort_key = w.s
  ORDER BY 1;

EXPLAIN (VERBOSE, COSTS OFF)
  SELECT w.k, count(*) FROM wanted w JOIN kv ON kv.hash_key = w.k GROUP BY w.k;
SELECT w.k, count(*) FROM wanted w JOIN kv ON kv.hash_key = w.k GROUP BY w.k ORDER BY 1;

-- a large outer set: batches of keys instead of a lookup per row
RESET pegasus_fdw.enable_batched_join;
CREATE TABLE many AS SELECT 'h' || (i % 10) AS k, 's' || lpad(i::text, 3, '0') AS s
  FROM generate_series(1, 5000) i;
ANALYZE many;
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM many JOIN kv ON kv.hash_key = many.k AND kv.sort_key = many.s;
SELECT count(*) FROM many JOIN kv ON kv.hash_key = many.k AND kv.sort_key = many.s;

-- a subquery supplying the keys
SELECT count(*) FROM kv WHERE hash_key = (SELECT min(k) FROM wanted);
SELECT sort_key FROM kv WHERE hash_key = 'h4' AND sort_key IN (SELECT s FROM wanted UNION SELECT 's004')
  ORDER BY 1;

DROP TABLE wanted, many;
