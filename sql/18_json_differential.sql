--
-- Differential test of documents: the same random documents in a local
-- jsonb column and in Pegasus.  Field columns must answer as ->> / #>>
-- with casts do on the local table, and UPDATEs of fields must leave the
-- documents that jsonb_set leaves (compared as jsonb, i.e. up to key
-- order and blanks).
--
SET max_parallel_workers_per_gather = 0;
SELECT pegasus_fdw_create_table('pegasus', 'regress_jdiff', 8);
CREATE FOREIGN TABLE jd_raw (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_jdiff');
CREATE FOREIGN TABLE jd_remote (
  hash_key text COLLATE "C", sort_key text COLLATE "C",
  i int, b bigint, n numeric, f float8, t text COLLATE "C", ok bool, d date, ts timestamptz,
  city text OPTIONS (path '{o,city}') COLLATE "C",
  lat float8 OPTIONS (path '{o,geo,lat}'),
  arr jsonb, doc jsonb OPTIONS (document 'true'))
  SERVER pegasus OPTIONS (table 'regress_jdiff', value_format 'json', fetch_size '7');
CREATE TABLE jd_local (hash_key text COLLATE "C", sort_key text COLLATE "C", doc jsonb);
CREATE VIEW jd_local_v AS
  SELECT hash_key, sort_key, (doc ->> 'i')::int AS i, (doc ->> 'b')::bigint AS b,
         (doc ->> 'n')::numeric AS n, (doc ->> 'f')::float8 AS f, (doc ->> 't') COLLATE "C" AS t,
         (doc ->> 'ok')::bool AS ok, (doc ->> 'd')::date AS d, (doc ->> 'ts')::timestamptz AS ts,
         (doc #>> '{o,city}') COLLATE "C" AS city, (doc #>> '{o,geo,lat}')::float8 AS lat,
         NULLIF(doc -> 'arr', 'null') AS arr, doc
    FROM jd_local;

-- (a JSON null reads as NULL, also in a jsonb column)
-- random documents: fields missing or null at random, numbers at the
-- limits of their types, text with quotes, backslashes and non-ASCII
SELECT setseed(0.26);
CREATE FUNCTION jd_pick(p float8, v jsonb) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT CASE WHEN random() < p THEN 'null'::jsonb ELSE v END $$;
INSERT INTO jd_local
SELECT DISTINCT ON (h, s) h, s, doc - missing FROM (
  SELECT 'h' || (random() * 20)::int AS h, lpad(((random() * 30)::int)::text, 2, '0') AS s,
    jsonb_build_object(
      'i', jd_pick(0.1, to_jsonb((ARRAY[-2147483648, 2147483647, 0, -1,
                     (random() * 2000 - 1000)::int])[1 + (random() * 4)::int])),
      'b', jd_pick(0.1, to_jsonb((ARRAY[-9223372036854775808, 9223372036854775807,
                     (random() * 1e15)::bigint])[1 + (random() * 2)::int])),
      'n', jd_pick(0.1, (ARRAY['1.5e3', '0.10', '-0', '123456789012345678901234567890.5',
                     round((random() * 1000)::numeric, 3)::text])[1 + (random() * 4)::int]::jsonb),
      'f', jd_pick(0.1, (ARRAY['1e308', '-2.5e-300', '0.1', '3', (random() * 100)::text])
                     [1 + (random() * 4)::int]::jsonb),
      't', jd_pick(0.1, to_jsonb((ARRAY['plain', 'quote " and \ back', 'Grüße ✓ 日本',
                     E'tab\there', md5(random()::text)])[1 + (random() * 4)::int])),
      'ok', jd_pick(0.1, to_jsonb(random() < 0.5)),
      'd', jd_pick(0.1, to_jsonb(('2000-01-01'::date + (random() * 9000)::int)::text)),
      'ts', jd_pick(0.1, to_jsonb('2020-01-01 00:00:00+00'::timestamptz + random() * interval '900 days')),
      'o', CASE WHEN random() < 0.2 THEN '{}'::jsonb ELSE jsonb_build_object(
             'city', jd_pick(0.1, to_jsonb((ARRAY['Oslo', 'Rome', 'Zürich'])[1 + (random() * 2)::int])),
             'geo', jsonb_build_object('lat', jd_pick(0.1, to_jsonb(round((random() * 180 - 90)::numeric, 4))))) END,
      'arr', jd_pick(0.1, (ARRAY['[]', '[1, "two", null, {"x": [3]}]', '{"k": "v"}', '"str"', '7'])
                     [1 + (random() * 4)::int]::jsonb),
      'x', jsonb_build_object('unmapped', random() < 0.5, 'deep', jsonb_build_array(1, 'a'))) AS doc,
    (SELECT array_agg(k) FROM unnest(ARRAY['i', 'b', 'n', 'f', 't', 'ok', 'd', 'ts', 'o', 'arr']) k
      WHERE random() < 0.15) AS missing
  FROM generate_series(1, 500) g) q;
INSERT INTO jd_raw SELECT hash_key, sort_key, doc::text FROM jd_local;
SELECT count(*) > 300 AS enough FROM jd_local;

CREATE FUNCTION jd_check(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  ql text := replace(q, '{T}', 'jd_local_v');
  qr text := replace(q, '{T}', 'jd_remote');
BEGIN
  EXECUTE format('SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s)) d',
                 ql, qr, qr, ql) INTO n;
  RETURN n;
END $$;

-- every column, whole table and per hash key
SELECT jd_check('SELECT * FROM {T}') AS whole_table;
CREATE TABLE jd_queries (q text);
SELECT setseed(0.5);
INSERT INTO jd_queries
  SELECT format('SELECT hash_key, sort_key, %s FROM {T} WHERE hash_key = %L',
                (ARRAY['i', 'b', 'n', 'f', 't', 'ok', 'd', 'ts', 'city', 'lat', 'arr'])[1 + (random() * 10)::int],
                'h' || (random() * 20)::int)
  FROM generate_series(1, 25)
UNION ALL
  SELECT format('SELECT hash_key, sort_key, i, t FROM {T} WHERE i %s %s',
                (ARRAY['<', '<=', '>', '>=', '='])[1 + (random() * 4)::int], (random() * 2000 - 1000)::int)
  FROM generate_series(1, 10)
UNION ALL
  SELECT format('SELECT sort_key, n, f FROM {T} WHERE hash_key = %L AND (n > %s OR f < %s)',
                'h' || (random() * 20)::int, round((random() * 1000)::numeric, 1), (random() * 50)::int)
  FROM generate_series(1, 10)
UNION ALL
  SELECT format('SELECT city, count(*), sum(i), min(lat), max(ts), bool_or(ok) FROM {T} WHERE %s GROUP BY city',
                (ARRAY['ok', 'NOT ok', 'i IS NULL', 'city IS NOT NULL', 'd > ''2010-01-01''', 'arr IS NULL', 'true'])
                [1 + (random() * 6)::int])
  FROM generate_series(1, 10)
UNION ALL
  SELECT format('SELECT hash_key, sort_key FROM {T} WHERE t = %L OR b = %s',
                (ARRAY['plain', 'quote " and \ back', 'Grüße ✓ 日本'])[1 + (random() * 2)::int],
                (ARRAY['-9223372036854775808', '9223372036854775807', '0'])[1 + (random() * 2)::int])
  FROM generate_series(1, 5)
UNION ALL
  SELECT format('SELECT hash_key, sort_key, doc -> %L FROM {T} WHERE hash_key >= %L',
                (ARRAY['x', 'o', 'arr', 'nothing'])[1 + (random() * 3)::int], 'h' || (random() * 20)::int)
  FROM generate_series(1, 5);
SELECT count(*) AS queries, sum(jd_check(q)) AS differing_rows FROM jd_queries;
SELECT q FROM jd_queries WHERE jd_check(q) <> 0;

-- random UPDATE sequences: each sets (or removes, with NULL) one field of
-- the records of one hash key, on both sides
-- (jsonb_set adds only the last key of a path; a field column adds the
-- objects missing above it too, so nested fields are set where their
-- parent object exists)
CREATE FUNCTION jd_update(col text, path text[], val text, typ text, h text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cond text := format('hash_key = %L', h);
BEGIN
  IF array_length(path, 1) > 1 THEN
    cond := cond || format(' AND jsonb_typeof(doc #> %L) = ''object''',
                           path[1:array_length(path, 1) - 1]);
  END IF;
  EXECUTE format('UPDATE jd_remote SET %I = %s::%s WHERE %s', col,
                 coalesce(quote_literal(val), 'NULL'), typ, cond);
  IF val IS NULL THEN
    EXECUTE format('UPDATE jd_local SET doc = doc #- %L WHERE %s', path, cond);
  ELSE
    EXECUTE format('UPDATE jd_local SET doc = jsonb_set(doc, %L, to_jsonb(%L::%s)) WHERE %s',
                   path, val, typ, cond);
  END IF;
END $$;
SELECT setseed(0.9);
CREATE TABLE jd_updates AS
  SELECT g, u.col, u.path, CASE WHEN random() < 0.15 THEN NULL ELSE u.val END AS val, u.typ,
         'h' || (random() * 20)::int AS h
    FROM generate_series(1, 60) g,
    LATERAL (SELECT * FROM (VALUES
      ('i', '{i}'::text[], ((random() * 2000)::int - 1000)::text, 'int', 1),
      ('b', '{b}', '9223372036854775807', 'bigint', 2),
      ('n', '{n}', round((random() * 100)::numeric, 2)::text, 'numeric', 3),
      ('f', '{f}', (random() * 10)::text, 'float8', 4),
      ('t', '{t}', (ARRAY['new "text"', 'Grüße', 'back\slash'])[1 + (random() * 2)::int], 'text', 5),
      ('ok', '{ok}', (random() < 0.5)::text, 'bool', 6),
      ('d', '{d}', '2024-02-29', 'date', 7),
      ('ts', '{ts}', '2024-02-29 12:34:56+00', 'timestamptz', 8),
      ('city', '{o,city}', 'Lyon', 'text', 9),
      ('lat', '{o,geo,lat}', '-12.5', 'float8', 10),
      ('arr', '{arr}', '[{"a": 1}, 2]', 'jsonb', 11)) v(col, path, val, typ, k)
      WHERE k = 1 + (g * 7 + (random() * 3)::int) % 11) u;
SELECT count(*) FROM (SELECT jd_update(col, path, val, typ, h) FROM jd_updates ORDER BY g) s;
-- the stored documents, compared as jsonb
SELECT count(*) AS differing_documents
  FROM jd_local l FULL JOIN jd_raw r USING (hash_key, sort_key)
 WHERE l.doc IS DISTINCT FROM r.value::jsonb;
SELECT jd_check('SELECT * FROM {T}') AS whole_table_after_updates;

-- documents written from field columns read back as they were written
TRUNCATE jd_local;
DELETE FROM jd_remote;
INSERT INTO jd_remote (hash_key, sort_key, i, b, n, f, t, ok, d, ts, city, lat, arr)
  SELECT 'w' || g % 5, g::text, g - 50, g * 1000000000000, g / 7.0, g / 3.0, 't' || g || ' ✓',
         g % 2 = 0, '2020-01-01'::date + g, '2020-01-01 00:00:00+00'::timestamptz + g * interval '1 hour',
         CASE WHEN g % 3 > 0 THEN 'c' || g % 3 END, CASE WHEN g % 4 > 0 THEN g / 4.0 END,
         CASE WHEN g % 5 > 0 THEN jsonb_build_array(g, 'x') END
    FROM generate_series(1, 100) g;
INSERT INTO jd_local SELECT hash_key, sort_key, doc FROM jd_remote;
SELECT jd_check('SELECT * FROM {T}') AS written_and_read;
SELECT count(*) AS differing_documents
  FROM jd_local l FULL JOIN jd_raw r USING (hash_key, sort_key)
 WHERE l.doc IS DISTINCT FROM r.value::jsonb;

DROP FUNCTION jd_check(text), jd_update(text, text[], text, text, text), jd_pick(float8, jsonb);
DROP TABLE jd_queries, jd_updates;
DROP VIEW jd_local_v;
DROP TABLE jd_local;
DROP FOREIGN TABLE jd_remote, jd_raw;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_jdiff');
RESET max_parallel_workers_per_gather;
