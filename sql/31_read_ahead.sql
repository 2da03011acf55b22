--
-- Reads ahead: sort-key ranges request page n + 1 while page n is emitted,
-- and the batched key join makes a batch's keys distinct with a hash
-- table; neither may emit a page twice, skip one or lose a duplicate key
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_ahead', 4);
CREATE FOREIGN TABLE ahead (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_ahead', fetch_size '7');
-- hash key 'r': 100 sort keys; hash keys 'h0'..'h39': 5 sort keys each
INSERT INTO ahead SELECT 'r', 's' || lpad(i::text, 3, '0'), 'v' || i
  FROM generate_series(0, 99) i;
INSERT INTO ahead SELECT 'h' || (i / 5), 's' || (i % 5), 'w' || i
  FROM generate_series(0, 199) i;
CREATE TABLE ahead_local AS SELECT * FROM ahead;

-- a range in pages of 7, forward and reverse: every record once, in order
-- (the window runs in the scan's order)
SELECT count(*) AS records, count(DISTINCT sort_key) AS distinct_keys,
       count(*) FILTER (WHERE prev >= sort_key) AS out_of_order,
       min(sort_key), max(sort_key)
  FROM (SELECT sort_key, lag(sort_key) OVER () AS prev
          FROM ahead WHERE hash_key = 'r' AND sort_key >= 's003') r;
SELECT count(*) AS records, count(DISTINCT sort_key) AS distinct_keys,
       count(*) FILTER (WHERE prev <= sort_key) AS out_of_order
  FROM (SELECT sort_key, lag(sort_key) OVER () AS prev
          FROM (SELECT sort_key FROM ahead WHERE hash_key = 'r' AND sort_key < 's090'
                ORDER BY sort_key DESC) d) r;
SELECT string_agg(sort_key, ',') FROM ahead WHERE hash_key = 'r' AND sort_key BETWEEN 's010' AND 's030';
-- a LIMIT the scan is told of: only the pages it needs (7 + 7 + 6 rows);
-- one it is not told of (a filter on the value): one page ahead at most
SELECT explain_analyze($$
  SELECT sort_key FROM ahead WHERE hash_key = 'r' AND sort_key >= 's050' LIMIT 20$$, false);
SELECT explain_analyze($$
  SELECT sort_key FROM ahead WHERE hash_key = 'r' AND value <> 'v1' LIMIT 10$$, false);
SELECT sort_key FROM ahead WHERE hash_key = 'r' AND value <> 'v1' LIMIT 10;

-- the batched key join, keys in random order with duplicates (within a
-- batch and across batches of 16): the rows of a join with the local copy
SET pegasus_fdw.join_batch_size = 16;
SELECT setseed(0.27);
CREATE TABLE ahead_pairs AS
  SELECT i AS id, 'h' || (random() * 45)::int AS k, 's' || (random() * 6)::int AS s
  FROM generate_series(1, 400) i ORDER BY random();
-- some NULL and empty keys, which match nothing
UPDATE ahead_pairs SET k = NULL WHERE id % 37 = 0;
UPDATE ahead_pairs SET s = '' WHERE id % 41 = 0;
SELECT count(*) AS pairs, count(DISTINCT (k, s)) AS distinct_pairs FROM ahead_pairs;
EXPLAIN (COSTS OFF)
  SELECT p.id, f.value FROM ahead_pairs p JOIN ahead f ON f.hash_key = p.k AND f.sort_key = p.s;
CREATE TEMP TABLE got AS
  SELECT p.id, f.value FROM ahead_pairs p JOIN ahead f ON f.hash_key = p.k AND f.sort_key = p.s;
CREATE TEMP TABLE want AS
  SELECT p.id, f.value FROM ahead_pairs p JOIN ahead_local f ON f.hash_key = p.k AND f.sort_key = p.s;
SELECT (SELECT count(*) FROM got) AS rows,
       (SELECT count(*) FROM (TABLE got EXCEPT ALL TABLE want) d) AS extra,
       (SELECT count(*) FROM (TABLE want EXCEPT ALL TABLE got) d) AS missing;
DROP TABLE got, want;
-- left and anti joins of the same pairs
SELECT count(*), count(f.value), sum(length(f.value))
  FROM ahead_pairs p LEFT JOIN ahead f ON f.hash_key = p.k AND f.sort_key = p.s;
SELECT count(*), count(f.value), sum(length(f.value))
  FROM ahead_pairs p LEFT JOIN ahead_local f ON f.hash_key = p.k AND f.sort_key = p.s;
SELECT count(*) FROM ahead_pairs p
  WHERE NOT EXISTS (SELECT FROM ahead f WHERE f.hash_key = p.k AND f.sort_key = p.s);
SELECT count(*) FROM ahead_pairs p
  WHERE NOT EXISTS (SELECT FROM ahead_local f WHERE f.hash_key = p.k AND f.sort_key = p.s);

-- hash keys only, in random order with duplicates: a range per distinct
-- hash key (pages of 7 over 5 or 100 records), joined to every outer row
-- of that hash key
CREATE TABLE ahead_hashes AS
  SELECT i AS id, CASE WHEN i % 9 = 0 THEN 'r' ELSE 'h' || (random() * 45)::int END AS k
  FROM generate_series(1, 200) i ORDER BY random();
EXPLAIN (COSTS OFF)
  SELECT h.id, f.sort_key FROM ahead_hashes h JOIN ahead f ON f.hash_key = h.k;
CREATE TEMP TABLE got AS
  SELECT h.id, f.sort_key, f.value FROM ahead_hashes h JOIN ahead f ON f.hash_key = h.k;
CREATE TEMP TABLE want AS
  SELECT h.id, f.sort_key, f.value FROM ahead_hashes h JOIN ahead_local f ON f.hash_key = h.k;
SELECT (SELECT count(*) FROM got) AS rows,
       (SELECT count(*) FROM (TABLE got EXCEPT ALL TABLE want) d) AS extra,
       (SELECT count(*) FROM (TABLE want EXCEPT ALL TABLE got) d) AS missing;
DROP TABLE got, want;
RESET pegasus_fdw.join_batch_size;

DROP TABLE ahead_pairs, ahead_hashes, ahead_local;
DROP FOREIGN TABLE ahead;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_ahead');
