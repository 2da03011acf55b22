--
-- layout 'wide': one row per hash key, one column per sort key
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_wide', 4);
CREATE FOREIGN TABLE profiles (
  hash_key text,
  name text,
  age integer,
  city text OPTIONS (sort_key 'c'))
  SERVER pegasus OPTIONS (table 'regress_wide', layout 'wide');
INSERT INTO profiles VALUES ('p1', 'ann', 31, 'paris'), ('p2', 'bob', NULL, 'rome'),
                            ('p3', NULL, 5, NULL), ('p4', NULL, NULL, NULL);
-- the same data seen as key-value records
CREATE FOREIGN TABLE profiles_kv (hash_key text, sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_wide');
SELECT * FROM profiles_kv ORDER BY 1, 2;
INSERT INTO profiles_kv VALUES ('p2', 'other', 'not a column');

EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM profiles;
SELECT * FROM profiles ORDER BY hash_key;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM profiles WHERE hash_key = 'p1';
SELECT * FROM profiles WHERE hash_key = 'p1';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM profiles WHERE hash_key IN ('p2', 'p3', 'p4', 'zz');
SELECT * FROM profiles WHERE hash_key IN ('p2', 'p3', 'p4', 'zz') ORDER BY 1;
SELECT name, age FROM profiles WHERE age > 10;
SELECT count(*) FROM profiles;
SELECT * FROM profiles WHERE hash_key LIKE 'p%' ORDER BY 1 LIMIT 2;

DROP FOREIGN TABLE profiles, profiles_kv;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_wide');
