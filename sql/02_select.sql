--
-- SELECT and pushdown: every operation shown by EXPLAIN VERBOSE
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_kv', 4);
CREATE FOREIGN TABLE kv (hash_key text COLLATE "C", sort_key text COLLATE "C",
                         value jsonb, ttl integer)
  SERVER pegasus OPTIONS (table 'regress_kv', fetch_size '7');
INSERT INTO kv
  SELECT 'h' || (i % 10), 's' || lpad(i::text, 3, '0'), jsonb_build_object('i', i),
         CASE WHEN i % 25 = 0 THEN 100000 END
  FROM generate_series(1, 200) i;
INSERT INTO kv VALUES ('h1', '', '"empty sort key"', NULL);

-- ===================================================================
-- whole-table scan
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kv;
SELECT count(*), count(value), count(ttl), min(sort_key), max(sort_key) FROM kv;
SELECT hash_key, sort_key, ttl > 99000 AS has_ttl FROM kv WHERE ttl IS NOT NULL ORDER BY 2;
-- no value needed: no_value
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key, sort_key FROM kv;

-- ===================================================================
-- get, multi_get, batch_get
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kv WHERE hash_key = 'h1' AND sort_key = 's011';
SELECT * FROM kv WHERE hash_key = 'h1' AND sort_key = 's011';
SELECT * FROM kv WHERE hash_key = 'h1' AND sort_key = 's012';  -- absent
SELECT * FROM kv WHERE hash_key = 'h1' AND sort_key = '';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key, value FROM kv WHERE hash_key = 'h2' AND sort_key IN ('s002', 's012', 's013', 's002');
SELECT sort_key, value FROM kv WHERE hash_key = 'h2' AND sort_key IN ('s002', 's012', 's013', 's002');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT * FROM kv WHERE hash_key = ANY (ARRAY['h3', 'h4']) AND sort_key = ANY (ARRAY['s003', 's004', 's014']);
SELECT hash_key, sort_key FROM kv
  WHERE hash_key = ANY (ARRAY['h3', 'h4']) AND sort_key = ANY (ARRAY['s003', 's004', 's014'])
  ORDER BY 1, 2;

-- ===================================================================
-- sort-key ranges within a hash key (multi_get_range, pages of fetch_size)
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT sort_key FROM kv WHERE hash_key = 'h5';
SELECT count(*), min(sort_key), max(sort_key) FROM (SELECT sort_key FROM kv WHERE hash_key = 'h5') s;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h5' AND sort_key > 's050' AND sort_key <= 's105';
SELECT sort_key FROM kv WHERE hash_key = 'h5' AND sort_key > 's050' AND sort_key <= 's105';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h5' AND sort_key BETWEEN 's100' AND 's150';
SELECT sort_key FROM kv WHERE hash_key = 'h5' AND sort_key BETWEEN 's100' AND 's150';
SELECT sort_key FROM kv WHERE hash_key = 'h5' AND sort_key > 's150' AND sort_key < 's100';  -- empty
SELECT sort_key FROM kv WHERE hash_key = 'h1' AND sort_key <= '';  -- only the empty sort key
SELECT count(*) FROM kv WHERE hash_key = 'h1' AND sort_key >= '';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key LIKE 's1%';
SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key LIKE 's1%';
-- a pattern with another wildcard: prefix filter plus local recheck
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key LIKE 's1_6';
SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key LIKE 's1_6';
-- ILIKE is never pushed
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key ILIKE 'S1%';
SELECT sort_key FROM kv WHERE hash_key = 'h6' AND sort_key ILIKE 'S1%';

-- ORDER BY sort_key: no local sort; DESC reads in reverse
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h7' ORDER BY sort_key;
SELECT sort_key FROM kv WHERE hash_key = 'h7' ORDER BY sort_key;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = 'h7' ORDER BY sort_key DESC LIMIT 4;
SELECT sort_key FROM kv WHERE hash_key = 'h7' ORDER BY sort_key DESC LIMIT 4;
SELECT sort_key FROM kv WHERE hash_key = 'h7' AND sort_key < 's150' ORDER BY sort_key DESC LIMIT 3 OFFSET 2;

-- several hash keys
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT hash_key, sort_key FROM kv WHERE hash_key IN ('h8', 'h9', 'nope') AND sort_key >= 's190';
SELECT hash_key, sort_key FROM kv WHERE hash_key IN ('h8', 'h9', 'nope') AND sort_key >= 's190' ORDER BY 1, 2;

-- ===================================================================
-- scans with server-side key filters
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key, sort_key FROM kv WHERE sort_key LIKE '%99';
SELECT hash_key, sort_key FROM kv WHERE sort_key LIKE '%99' ORDER BY 2;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT hash_key, sort_key FROM kv WHERE hash_key LIKE 'h%' AND sort_key LIKE '%17%';
SELECT hash_key, sort_key FROM kv WHERE hash_key LIKE 'h%' AND sort_key LIKE '%17%' ORDER BY 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key FROM kv WHERE hash_key LIKE '%3';
SELECT DISTINCT hash_key FROM kv WHERE hash_key LIKE '%3';
-- escapes are not pushed
SELECT count(*) FROM kv WHERE sort_key LIKE 's\_%';

-- ===================================================================
-- conditions that match nothing
-- ===================================================================
SELECT * FROM kv WHERE hash_key = '';
SELECT * FROM kv WHERE hash_key = NULL;
SELECT * FROM kv WHERE hash_key = repeat('x', 70000);
SELECT * FROM kv WHERE hash_key = 'h1' AND sort_key IN (NULL);
SELECT * FROM kv WHERE hash_key IN ('', NULL);

-- ===================================================================
-- a non-C collation: equality is pushed, ranges are not
-- ===================================================================
CREATE FOREIGN TABLE kv_default (hash_key text, sort_key text, value jsonb)
  SERVER pegasus OPTIONS (table 'regress_kv');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv_default WHERE hash_key = 'h5' AND sort_key COLLATE "C" > 's190';
SELECT sort_key FROM kv_default WHERE hash_key = 'h5' AND sort_key COLLATE "C" > 's190';
-- text_pattern_ops operators compare bytes whatever the collation
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv_default WHERE hash_key = 'h5' AND sort_key ~>~ 's190';
SELECT sort_key FROM kv_default WHERE hash_key = 'h5' AND sort_key ~>~ 's190';

-- ===================================================================
-- count(*), LIMIT
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM kv;
SELECT count(*) FROM kv;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM kv WHERE hash_key = 'h1';
SELECT count(*) FROM kv WHERE hash_key = 'h1';
SELECT count(*) FROM kv WHERE hash_key IN ('h1', 'h2', 'h2');
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM kv WHERE sort_key LIKE 's1%';
SELECT count(*) FROM kv WHERE sort_key LIKE 's1%';
-- a local filter keeps the count local
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM kv WHERE value->>'i' = '5';
SELECT count(*) FROM kv WHERE value->>'i' = '5';
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key FROM kv LIMIT 5;
SELECT count(*) FROM (SELECT hash_key FROM kv LIMIT 5) s;
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key FROM kv WHERE value->>'i' = '5' LIMIT 5;

-- ===================================================================
-- parameters
-- ===================================================================
PREPARE by_key(text, text) AS
  SELECT sort_key FROM kv WHERE hash_key = $1 AND sort_key >= $2 ORDER BY sort_key;
EXECUTE by_key('h3', 's180');
EXECUTE by_key('h4', 's180');
EXECUTE by_key('h5', 's180');
EXECUTE by_key('h6', 's180');
EXECUTE by_key('h7', 's180');
EXECUTE by_key('h8', 's180');
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_key('h9', 's180');
EXECUTE by_key(NULL, 's180');
DEALLOCATE by_key;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sort_key FROM kv WHERE hash_key = lower('H1') AND sort_key = 's' || '011';
SELECT sort_key FROM kv WHERE hash_key = lower('H1') AND sort_key = 's' || '011';

-- EXPLAIN ANALYZE shows the work done
SELECT explain_analyze($$
  SELECT sort_key FROM kv WHERE hash_key = 'h1' AND sort_key = 's011'$$, false);
