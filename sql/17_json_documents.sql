--
-- Records that hold documents: value_format 'json'
--
-- plans stay serial, as in the other files
SET max_parallel_workers_per_gather = 0;
SELECT pegasus_fdw_create_table('pegasus', 'regress_docs', 4);
-- the same records as stored, to write test data and to see what is written
CREATE FOREIGN TABLE docs_raw (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_docs');

-- ===================================================================
-- options
-- ===================================================================
CREATE FOREIGN TABLE bad (hash_key text, sort_key text) SERVER pegasus
  OPTIONS (table 'regress_docs', value_format 'xml');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text) SERVER pegasus
  OPTIONS (table 'regress_docs', on_bad_document 'skip');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text) SERVER pegasus
  OPTIONS (table 'regress_docs', json_nulls 'maybe');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, a text OPTIONS (path 'a.b'))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, a text OPTIONS (path '{}'))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, a text OPTIONS (field ''))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, a jsonb OPTIONS (document 'maybe'))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');  -- ERROR
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, a text OPTIONS (fields 'x'))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');  -- ERROR
-- combinations are checked when the table is used
CREATE FOREIGN TABLE bad (hash_key text, sort_key text, value text OPTIONS (field 'x'))
  SERVER pegasus OPTIONS (table 'regress_docs');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN value OPTIONS (DROP field);
ALTER FOREIGN TABLE bad OPTIONS (ADD on_bad_document 'null');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad OPTIONS (DROP on_bad_document, ADD value_format 'json');
ALTER FOREIGN TABLE bad ALTER COLUMN value OPTIONS (ADD role 'value');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN value OPTIONS (DROP role, ADD field 'x', ADD path '{x}');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN value OPTIONS (DROP field, SET path '{x,y}');
ALTER FOREIGN TABLE bad ADD COLUMN x jsonb;
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN x OPTIONS (ADD field 'y');
ALTER FOREIGN TABLE bad ADD COLUMN y text OPTIONS (field 'y');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad DROP COLUMN y;
ALTER FOREIGN TABLE bad ADD COLUMN d text OPTIONS (document 'true');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN d TYPE jsonb;
ALTER FOREIGN TABLE bad ADD COLUMN d2 json OPTIONS (role 'document');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad DROP COLUMN d2;
ALTER FOREIGN TABLE bad ALTER COLUMN d OPTIONS (ADD field 'z');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN d OPTIONS (DROP field);
ALTER FOREIGN TABLE bad ALTER COLUMN hash_key OPTIONS (ADD field 'h');
SELECT * FROM bad;  -- ERROR
ALTER FOREIGN TABLE bad ALTER COLUMN hash_key OPTIONS (DROP field);
DROP FOREIGN TABLE bad;

-- ===================================================================
-- reading fields
-- ===================================================================
CREATE FOREIGN TABLE docs (
  hash_key text COLLATE "C", sort_key text COLLATE "C",
  name text, age int, big bigint, score numeric, ratio float8, active bool,
  born date, seen timestamptz, tags jsonb, note varchar(8),
  city text OPTIONS (path '{address,city}'),
  zip text OPTIONS (path '{address,"zip code"}'),
  nick text OPTIONS (field 'nick name'),
  doc jsonb OPTIONS (document 'true'))
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');
INSERT INTO docs_raw VALUES
  ('a', '1', '{"name": "Ann", "age": 31, "big": 9007199254740993, "score": 1.5e2, "ratio": -0.25,
               "active": true, "born": "1990-01-02", "seen": "2024-05-06T07:08:09Z",
               "tags": ["x", {"y": 1}], "note": "short", "address": {"city": "Oslo", "zip code": "0150"},
               "nick name": "annie", "unmapped": {"kept": [1, 2, 3]}}'),
  ('a', '2', '{"name": null, "age": 7}'),
  ('a', '3', '{}'),
  ('b', '1', '{"name": "C\u00e9cile \"Q\" \\ ✓", "age": -2147483648, "name": "last wins",
               "address": {"city": {"nested": true}}, "score": 0.10, "ratio": 1e308}'),
  ('b', '2', '{"age": 1, "address": "not an object", "tags": "a string", "active": false}');
SELECT hash_key, sort_key, name, age, big, score, ratio, active, born, seen, tags, note, city, zip, nick
  FROM docs ORDER BY 1, 2;
SELECT hash_key, sort_key, doc FROM docs ORDER BY 1, 2;
SELECT doc -> 'unmapped' AS unmapped FROM docs WHERE hash_key = 'a' AND sort_key = '1';
-- fields as ->> and #>> give them
SELECT d.hash_key, d.sort_key
  FROM docs d JOIN docs_raw r USING (hash_key, sort_key)
 WHERE d.name IS DISTINCT FROM r.value::jsonb ->> 'name'
    OR d.city IS DISTINCT FROM r.value::jsonb #>> '{address,city}'
    OR d.score IS DISTINCT FROM (r.value::jsonb ->> 'score')::numeric
    OR d.tags IS DISTINCT FROM r.value::jsonb -> 'tags';
-- a key join reads the documents of the keys it looks up
CREATE TEMP TABLE want (h text, s text);
INSERT INTO want VALUES ('a', '1'), ('b', '1'), ('z', '9');
SELECT w.h, d.name, d.age FROM want w JOIN docs d ON d.hash_key = w.h AND d.sort_key = w.s ORDER BY 1;

-- ===================================================================
-- EXPLAIN: keys are pushed, conditions on fields run locally
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM docs WHERE hash_key = 'a' AND age > 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT name, city FROM docs WHERE city LIKE 'O%';
-- no field read: no values fetched
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key, sort_key FROM docs WHERE hash_key = 'a';
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM docs;
SELECT name FROM docs WHERE hash_key = 'a' AND age > 3;
SELECT name, city FROM docs WHERE city LIKE 'O%';

-- ===================================================================
-- bad documents and fields
-- ===================================================================
INSERT INTO docs_raw VALUES ('c', '1', '[1, 2]'), ('c', '2', 'not json'),
  ('c', '3', '{"age": "x"}'), ('c', '4', '{"age": 2147483648}'), ('c', '5', '{"note": "far too long"}'),
  ('c', '6', '{"born": "not a date"}'), ('c', '7', '{"age": 1.5}'), ('c', '8', '"just a string"');
SELECT name FROM docs WHERE hash_key = 'c' AND sort_key = '1';  -- ERROR
SELECT name FROM docs WHERE hash_key = 'c' AND sort_key = '2';  -- ERROR
SELECT name FROM docs WHERE hash_key = 'c' AND sort_key = '8';  -- ERROR
SELECT age FROM docs WHERE hash_key = 'c' AND sort_key = '3';  -- ERROR
SELECT age FROM docs WHERE hash_key = 'c' AND sort_key = '4';  -- ERROR
SELECT note FROM docs WHERE hash_key = 'c' AND sort_key = '5';  -- ERROR
SELECT born FROM docs WHERE hash_key = 'c' AND sort_key = '6';  -- ERROR
SELECT age FROM docs WHERE hash_key = 'c' AND sort_key = '7';  -- ERROR
-- a field not read is not converted
SELECT name FROM docs WHERE hash_key = 'c' AND sort_key = '3';
ALTER FOREIGN TABLE docs OPTIONS (ADD on_bad_document 'null');
SELECT sort_key, name, age, note, born, doc FROM docs WHERE hash_key = 'c' ORDER BY 1;
SELECT explain_analyze($$SELECT sort_key, age, note, born FROM docs WHERE hash_key = 'c'$$, false);
ALTER FOREIGN TABLE docs OPTIONS (DROP on_bad_document);
DELETE FROM docs WHERE hash_key = 'c';

-- ===================================================================
-- INSERT and COPY
-- ===================================================================
INSERT INTO docs (hash_key, sort_key, name, age, score, ratio, active, born, tags, city, nick)
  VALUES ('i', '1', 'Ann "A"', 31, 12.50, 'NaN', true, '2000-01-01', '{"b": 1, "a": [true]}', 'Oslo', 'an');
INSERT INTO docs (hash_key, sort_key, age) VALUES ('i', '2', NULL);
-- a whole document, and fields on top of one
INSERT INTO docs (hash_key, sort_key, doc) VALUES ('i', '3', '{"name": "Zed", "extra": [1, 2]}');
INSERT INTO docs (hash_key, sort_key, doc, age, city) VALUES ('i', '4', '{"age": 1, "address": {"zip code": "9"}}', 2, 'Rome');
INSERT INTO docs (hash_key, sort_key, doc) VALUES ('i', '5', '[1]');  -- ERROR
COPY docs (hash_key, sort_key, name, age, city) FROM stdin;
i	6	copied	6	Bergen
i	7	\N	7	\N
\.
SELECT sort_key, value FROM docs_raw WHERE hash_key = 'i' ORDER BY 1;
SELECT sort_key, name, age, score, ratio, city, zip FROM docs WHERE hash_key = 'i' ORDER BY 1;
-- json_nulls 'write': NULL columns are written as JSON null
ALTER FOREIGN TABLE docs OPTIONS (ADD json_nulls 'write');
INSERT INTO docs (hash_key, sort_key, name, age) VALUES ('i', '8', 'n', NULL);
SELECT value FROM docs_raw WHERE hash_key = 'i' AND sort_key = '8';
ALTER FOREIGN TABLE docs OPTIONS (DROP json_nulls);
-- ON CONFLICT DO NOTHING checks that the record does not exist
\set QUIET off
INSERT INTO docs (hash_key, sort_key, name) VALUES ('i', '1', 'again'), ('i', '9', 'new')
  ON CONFLICT DO NOTHING;
\set QUIET on
SELECT sort_key, name FROM docs WHERE hash_key = 'i' AND sort_key IN ('1', '9') ORDER BY 1;

-- ===================================================================
-- UPDATE changes the fields it sets and nothing else
-- ===================================================================
INSERT INTO docs_raw VALUES ('u', '1',
  '{ "name" : "Keep",  "unmapped": {"deep": [1, 2.50, 3]}, "age": 10 , "address": {"zip code": "1"}}');
EXPLAIN (VERBOSE, COSTS OFF) UPDATE docs SET age = age + 1 WHERE hash_key = 'u' AND sort_key = '1';
UPDATE docs SET age = age + 1 WHERE hash_key = 'u' AND sort_key = '1';
SELECT value FROM docs_raw WHERE hash_key = 'u';
UPDATE docs SET city = 'Rome', name = NULL WHERE hash_key = 'u';
SELECT value FROM docs_raw WHERE hash_key = 'u';
UPDATE docs SET tags = '[1, {"x": null}]', nick = 'k' WHERE hash_key = 'u' RETURNING name, age, city, tags;
SELECT value FROM docs_raw WHERE hash_key = 'u';
-- setting the document replaces the object, then sets the fields
UPDATE docs SET doc = '{"fresh": 1, "age": 0}', age = 3 WHERE hash_key = 'i' AND sort_key = '3';
SELECT value FROM docs_raw WHERE hash_key = 'i' AND sort_key = '3';
-- a field inside a value that is not an object cannot be set
UPDATE docs SET city = 'x' WHERE hash_key = 'b' AND sort_key = '2';  -- ERROR
-- a record deleted meanwhile is not updated
\set QUIET off
UPDATE docs SET age = 5 WHERE hash_key = 'zz';
\set QUIET on
-- moving a record keeps its document
UPDATE docs SET sort_key = '2', age = 0 WHERE hash_key = 'u' AND sort_key = '1';
SELECT sort_key, value FROM docs_raw WHERE hash_key = 'u';
UPDATE docs SET sort_key = '1' WHERE hash_key = 'u';
-- never a direct incr, whatever the statement looks like
CREATE FOREIGN TABLE counters (hash_key text, sort_key text, value bigint)
  SERVER pegasus OPTIONS (table 'regress_docs', value_format 'json');
INSERT INTO counters VALUES ('n', '1', 41);
EXPLAIN (VERBOSE, COSTS OFF) UPDATE counters SET value = value + 1 WHERE hash_key = 'n' AND sort_key = '1';
UPDATE counters SET value = value + 1 WHERE hash_key = 'n' AND sort_key = '1';
SELECT value FROM docs_raw WHERE hash_key = 'n';
DROP FOREIGN TABLE counters;

-- ===================================================================
-- concurrent writers: check_and_set sees them
-- ===================================================================
-- a trigger writes another field of the record between the scan's read and
-- the UPDATE's conditional write: the UPDATE reads it again and keeps it
CREATE FUNCTION docs_meddle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE docs_raw SET value = replace(value, TG_ARGV[0], TG_ARGV[1])
   WHERE hash_key = NEW.hash_key AND sort_key = NEW.sort_key;
  RETURN NEW;
END $$;
CREATE TRIGGER meddle BEFORE UPDATE ON docs FOR EACH ROW
  EXECUTE FUNCTION docs_meddle('"zip code": "1"', '"zip code": "2"');
SELECT explain_analyze($$UPDATE docs SET age = 100 WHERE hash_key = 'u' AND sort_key = '1'$$, false);
SELECT value FROM docs_raw WHERE hash_key = 'u';
DROP TRIGGER meddle ON docs;
-- a concurrent change of a field the UPDATE sets is a serialization failure
CREATE TRIGGER meddle BEFORE UPDATE ON docs FOR EACH ROW
  EXECUTE FUNCTION docs_meddle('"age":100', '"age":200');
UPDATE docs SET age = 101 WHERE hash_key = 'u' AND sort_key = '1';  -- ERROR
DROP TRIGGER meddle ON docs;
SELECT age FROM docs WHERE hash_key = 'u';

-- DELETE is unchanged
DELETE FROM docs WHERE hash_key = 'u';
SELECT count(*) FROM docs_raw WHERE hash_key = 'u';

-- ===================================================================
-- wide layout: a column per (sort key, field)
-- ===================================================================
CREATE FOREIGN TABLE wdocs (hash_key text COLLATE "C",
   name text OPTIONS (sort_key 'profile', field 'name'),
   city text OPTIONS (sort_key 'profile', path '{address,city}'),
   profile jsonb OPTIONS (sort_key 'profile', document 'true'),
   visits int OPTIONS (sort_key 'stats', field 'visits'),
   last timestamptz OPTIONS (sort_key 'stats', field 'last'))
  SERVER pegasus OPTIONS (table 'regress_docs', layout 'wide', value_format 'json');
INSERT INTO docs_raw VALUES ('w1', 'profile', '{"name": "Ann", "address": {"city": "Oslo"}, "extra": 1}'),
  ('w1', 'stats', '{"visits": 3, "last": "2024-01-01T00:00:00Z", "other": [1]}'),
  ('w2', 'profile', '{"name": "Bob"}');
SELECT * FROM wdocs WHERE hash_key IN ('w1', 'w2') ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key, name, visits FROM wdocs WHERE hash_key = 'w1' AND visits > 1;
INSERT INTO wdocs (hash_key, name, city, visits) VALUES ('w3', 'Cid', 'Rome', 7), ('w4', NULL, NULL, 1);
UPDATE wdocs SET visits = visits + 1, city = 'Bergen' WHERE hash_key = 'w1';
UPDATE wdocs SET visits = 1 WHERE hash_key = 'w2';
SELECT hash_key, sort_key, value FROM docs_raw WHERE hash_key LIKE 'w%' ORDER BY 1, 2;
-- a key join reads each sort key's document once
CREATE TEMP TABLE wk (h text COLLATE "C");
INSERT INTO wk VALUES ('w1'), ('w3'), ('w9');
ANALYZE wk;
EXPLAIN (COSTS OFF) SELECT k.h, w.name, w.visits, w.city FROM wk k JOIN wdocs w ON w.hash_key = k.h ORDER BY 1;
SELECT k.h, w.name, w.visits, w.city FROM wk k JOIN wdocs w ON w.hash_key = k.h ORDER BY 1;
-- a new hash key moves every sort key's document
UPDATE wdocs SET hash_key = 'w5' WHERE hash_key = 'w3';
SELECT hash_key, sort_key, value FROM docs_raw WHERE hash_key IN ('w3', 'w5') ORDER BY 1, 2;
DELETE FROM wdocs WHERE hash_key LIKE 'w%';
SELECT count(*) FROM docs_raw WHERE hash_key LIKE 'w%';
ALTER FOREIGN TABLE wdocs ADD COLUMN p2 json OPTIONS (sort_key 'profile', document 'true');
SELECT * FROM wdocs;  -- ERROR
DROP FOREIGN TABLE wdocs;

-- ===================================================================
-- IMPORT FOREIGN SCHEMA infers the columns of documents
-- ===================================================================
SELECT pegasus_fdw_create_table('pegasus', 'regress_docs_import', 2);
CREATE FOREIGN TABLE imp_raw (hash_key text, sort_key text, value text)
  SERVER pegasus OPTIONS (table 'regress_docs_import');
INSERT INTO imp_raw VALUES
  ('a', '1', '{"flag": true, "count": 1, "amount": 1, "at": "2024-01-02T03:04:05Z", "name": "x",
               "mixed": 1, "obj": {"k": 1}, "nothing": null, "ttl": 5, "Odd Name": "y"}'),
  ('a', '2', '{"flag": false, "count": 9223372036854775807, "amount": 2.5, "at": "2024-02-03",
               "name": "2024-01-01", "mixed": "one", "obj": [1]}'),
  ('b', '1', '{"count": -3, "amount": 1e3}'),
  ('b', '2', 'not a document'),
  ('b', '3', '[1, 2]');
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA whatever LIMIT TO (regress_docs_import) FROM SERVER pegasus INTO imp
  OPTIONS (value_format 'json', sample '100');
SELECT attname, format_type(atttypid, atttypmod), attfdwoptions FROM pg_attribute
 WHERE attrelid = 'imp.regress_docs_import'::regclass AND attnum > 0 ORDER BY attnum;
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'imp.regress_docs_import'::regclass;
ALTER FOREIGN TABLE imp.regress_docs_import OPTIONS (ADD on_bad_document 'null');
SELECT hash_key, sort_key, flag, count, amount, at, mixed, obj, "Odd Name", field_ttl
  FROM imp.regress_docs_import ORDER BY 1, 2;
IMPORT FOREIGN SCHEMA whatever FROM SERVER pegasus INTO imp OPTIONS (sample '10');  -- ERROR
IMPORT FOREIGN SCHEMA whatever FROM SERVER pegasus INTO imp OPTIONS (value_format 'json', sample '0');  -- ERROR
IMPORT FOREIGN SCHEMA whatever FROM SERVER pegasus INTO imp OPTIONS (samples '10');  -- ERROR
DROP SCHEMA imp CASCADE;
DROP FOREIGN TABLE imp_raw;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_docs_import');

DROP FUNCTION docs_meddle();
DROP FOREIGN TABLE docs, docs_raw;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_docs');
RESET max_parallel_workers_per_gather;
