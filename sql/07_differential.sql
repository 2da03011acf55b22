--
-- Differential test: the same rows in a local table and in Pegasus must
-- give the same answer to every query (EXCEPT ALL both ways is empty).
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_diff', 8);
CREATE FOREIGN TABLE diff_remote (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
                                  ttl integer)
  SERVER pegasus OPTIONS (table 'regress_diff', fetch_size '5');
CREATE TABLE diff_local (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
                         ttl integer);
SELECT setseed(0.42);
INSERT INTO diff_local
  SELECT DISTINCT ON (h, s) h, s, v, t FROM (
    SELECT chr(97 + (random() * 5)::int) || (random() * 6)::int AS h,
           CASE WHEN random() < 0.1 THEN 100000 END AS t,
           CASE WHEN random() < 0.05 THEN '' ELSE
             chr(97 + (random() * 3)::int) || lpad(((random() * 40)::int)::text, 2, '0') END AS s,
           md5(random()::text) AS v
    FROM generate_series(1, 600)) g;
INSERT INTO diff_remote SELECT * FROM diff_local;
-- remaining TTLs shrink with time: compare whether a row has one
UPDATE diff_local SET ttl = 1 WHERE ttl IS NOT NULL;
CREATE VIEW diff_remote_v AS
  SELECT hash_key, sort_key, value, CASE WHEN ttl > 0 THEN 1 END AS ttl FROM diff_remote;
SELECT count(*) > 300 AS enough FROM diff_local;

-- Runs the query template against both tables and counts differing rows.
CREATE FUNCTION diff_check(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  ql text := replace(q, '{T}', 'diff_local');
  qr text := replace(q, '{T}', 'diff_remote_v');
BEGIN
  EXECUTE format('SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s)) d',
                 ql, qr, qr, ql) INTO n;
  RETURN n;
END $$;

CREATE TABLE diff_queries (q text);
SELECT setseed(0.7);
INSERT INTO diff_queries
  SELECT format('SELECT * FROM {T} WHERE hash_key = %L', chr(97 + (random() * 5)::int) || (random() * 6)::int)
  FROM generate_series(1, 10)
UNION ALL
  SELECT format('SELECT * FROM {T} WHERE hash_key = %L AND sort_key %s %L',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                (ARRAY['<', '<=', '>', '>=', '='])[1 + (random() * 4)::int],
                chr(97 + (random() * 3)::int) || lpad(((random() * 40)::int)::text, 2, '0'))
  FROM generate_series(1, 40)
UNION ALL
  SELECT format('SELECT hash_key, sort_key, value FROM {T} WHERE hash_key = %L AND sort_key %s %L',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                (ARRAY['<', '<=', '>', '>=', '='])[1 + (random() * 4)::int],
                chr(97 + (random() * 3)::int) || lpad(((random() * 40)::int)::text, 2, '0'))
  FROM generate_series(1, 30)
UNION ALL
  SELECT format('SELECT * FROM {T} WHERE hash_key = %L AND sort_key %s %L',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                (ARRAY['<', '>'])[1 + (random())::int], '')
  FROM generate_series(1, 6)
UNION ALL
  SELECT format('SELECT * FROM {T} WHERE hash_key IN (%L, %L) AND sort_key BETWEEN %L AND %L',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                chr(97 + (random() * 3)::int), chr(97 + (random() * 3)::int) || '3')
  FROM generate_series(1, 20)
UNION ALL
  SELECT format('SELECT * FROM {T} WHERE hash_key = %L AND sort_key IN (%L, %L, %L)',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                chr(97 + (random() * 3)::int) || lpad(((random() * 40)::int)::text, 2, '0'),
                chr(97 + (random() * 3)::int) || lpad(((random() * 40)::int)::text, 2, '0'),
                '')
  FROM generate_series(1, 20)
UNION ALL
  SELECT format('SELECT hash_key, sort_key FROM {T} WHERE sort_key LIKE %L', p)
  FROM unnest(ARRAY['a%', '%1', '%2%', 'b_1', '', '%', 'c%0']) p
UNION ALL
  SELECT format('SELECT hash_key, sort_key FROM {T} WHERE hash_key LIKE %L AND sort_key LIKE %L', p, s)
  FROM unnest(ARRAY['a%', '%3', '%c%']) p, unnest(ARRAY['a%', '%9']) s
UNION ALL
  SELECT format('SELECT count(*) FROM {T} WHERE hash_key = %L', chr(97 + (random() * 5)::int) || (random() * 6)::int)
  FROM generate_series(1, 5)
UNION ALL
  SELECT 'SELECT count(*) FROM {T}'
UNION ALL
  SELECT format('SELECT count(*) FROM {T} WHERE sort_key LIKE %L', p)
  FROM unnest(ARRAY['a%', '%1', '%2%']) p
UNION ALL
  SELECT format('SELECT * FROM (SELECT sort_key FROM {T} WHERE hash_key = %L ORDER BY sort_key %s LIMIT %s) s',
                chr(97 + (random() * 5)::int) || (random() * 6)::int,
                (ARRAY['ASC', 'DESC'])[1 + (random())::int], 1 + (random() * 8)::int)
  FROM generate_series(1, 20)
UNION ALL
  SELECT format('SELECT * FROM {T} WHERE sort_key > %L AND hash_key >= %L', 'b', 'c');

SELECT count(*) AS queries FROM diff_queries;
-- every query must give the same rows
SELECT q, diff_check(q) AS differing FROM diff_queries WHERE diff_check(q) <> 0;
-- and most queries return rows
CREATE FUNCTION local_rows(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (%s) r', replace(q, '{T}', 'diff_local')) INTO n;
  RETURN n;
END $$;
SELECT count(*) FILTER (WHERE local_rows(q) > 0) > 50 AS mostly_nonempty FROM diff_queries;

-- ordered reads return rows in bytewise order
SELECT h, array_agg(sort_key ORDER BY sort_key) = (SELECT array_agg(sort_key) FROM
         (SELECT sort_key FROM diff_remote WHERE hash_key = h ORDER BY sort_key) o) AS same_order
  FROM (SELECT DISTINCT hash_key AS h FROM diff_local LIMIT 5) hk
  JOIN diff_local ON diff_local.hash_key = hk.h GROUP BY h ORDER BY h;

DROP FUNCTION diff_check(text), local_rows(text);
DROP TABLE diff_local, diff_queries;
DROP VIEW diff_remote_v;
DROP FOREIGN TABLE diff_remote;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_diff');
