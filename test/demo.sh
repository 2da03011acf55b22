#!/usr/bin/env bash
# The pegasus_fdw demo: builds and installs the extension, starts a onebox
# (a Pegasus-compatible server) and a throwaway PostgreSQL, loads sample data
# and runs example queries — point reads, ranges, scans with server-side
# filters, a join with a local table, writes — then stops everything.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
test/install-deps.sh || exit 1
: "${ONEBOX_META_PORT:=34601}"
: "${ONEBOX_REPLICA_PORTS:=34801,34802,34803}"
: "${ONEBOX_CONTROL_PORT:=34901}"
: "${PG_TEST_PORT:=55433}"
. test/lib/cluster.sh
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

echo "== building pegasus_fdw"
make -s -j"$(nproc)" >/dev/null && make -s install >/dev/null || {
	echo "build failed; run make to see why" >&2
	exit 1
}
cluster_init
echo "== starting a onebox on 127.0.0.1:$ONEBOX_META_PORT and a throwaway PostgreSQL"
onebox_start || exit 1
pg_start || exit 1

META="$PEGASUS_TEST_META"
CLI=(src/tools/pegasus-cli --meta "$META")

echo "== creating Pegasus table \"users\" (8 partitions) with pegasus-cli"
"${CLI[@]}" --table users create_app --partitions 8 || exit 1
echo "== writing two records with pegasus-cli, the rest through SQL"
"${CLI[@]}" --table users set alice profile '{"name": "Alice", "city": "Paris", "age": 34}' || exit 1
"${CLI[@]}" --table users set alice session '{"token": "s-41", "device": "phone"}' --ttl 3600 || exit 1

psql -X -q -v ON_ERROR_STOP=1 -v meta="$META" <<'SQL' || exit 1
\pset footer off
\echo '== CREATE EXTENSION, SERVER and FOREIGN TABLE'
CREATE EXTENSION pegasus_fdw;
CREATE SERVER pegasus FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers :'meta');
-- COLLATE "C": Pegasus orders sort keys bytewise, so ranges on sort_key
-- can be sent to the server.
CREATE FOREIGN TABLE users (hash_key text, sort_key text COLLATE "C", value jsonb, ttl integer)
  SERVER pegasus OPTIONS (table 'users');

\echo '== INSERT through SQL'
INSERT INTO users (hash_key, sort_key, value) VALUES
  ('bob',   'profile', '{"name": "Bob", "city": "Lyon", "age": 27}'),
  ('carol', 'profile', '{"name": "Carol", "city": "Paris", "age": 41}'),
  ('dave',  'profile', '{"name": "Dave", "city": "Nice", "age": 19}');
INSERT INTO users (hash_key, sort_key, value)
  SELECT 'bob', 'visit:' || to_char(d, 'YYYY-MM-DD'), jsonb_build_object('page', 'home', 'n', i)
  FROM generate_series(1, 5) i, LATERAL (SELECT date '2026-11-01' + i AS d) x;

\echo '== a point read (hash key and sort key): one get'
EXPLAIN (VERBOSE, COSTS OFF) SELECT value FROM users WHERE hash_key = 'alice' AND sort_key = 'profile';
SELECT value FROM users WHERE hash_key = 'alice' AND sort_key = 'profile';

\echo '== every record of one hash key, with its remaining TTL'
SELECT sort_key, value, ttl > 3000 AS has_ttl FROM users WHERE hash_key = 'alice' ORDER BY sort_key;

\echo '== a sort-key range inside one hash key'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sort_key, value->>'n' AS n FROM users
 WHERE hash_key = 'bob' AND sort_key >= 'visit:2026-11-03' ORDER BY sort_key;
SELECT sort_key, value->>'n' AS n FROM users
 WHERE hash_key = 'bob' AND sort_key >= 'visit:2026-11-03' ORDER BY sort_key;

\echo '== a whole-table scan with a server-side sort-key filter'
EXPLAIN (VERBOSE, COSTS OFF) SELECT hash_key, value->>'city' AS city FROM users WHERE sort_key LIKE 'prof%';
SELECT hash_key, value->>'city' AS city FROM users WHERE sort_key LIKE 'prof%' ORDER BY hash_key;

\echo '== a join with a local table'
CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric);
INSERT INTO orders VALUES (1, 'alice', 12.50), (2, 'bob', 99.00), (3, 'alice', 7.25), (4, 'erin', 3.00);
ANALYZE orders;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.id, o.customer, u.value->>'city' AS city, o.amount
  FROM orders o JOIN users u ON u.hash_key = o.customer AND u.sort_key = 'profile'
 ORDER BY o.id;
SELECT o.id, o.customer, u.value->>'city' AS city, o.amount
  FROM orders o JOIN users u ON u.hash_key = o.customer AND u.sort_key = 'profile'
 ORDER BY o.id;

\echo '== aggregates'
SELECT value->>'city' AS city, count(*) AS people, avg((value->>'age')::int)::numeric(5,1) AS avg_age
  FROM users WHERE sort_key = 'profile' GROUP BY 1 ORDER BY 1;

\echo '== writes: an atomic increment (Pegasus incr), an UPDATE, a DELETE of a whole hash key'
-- a second view of the same Pegasus table, whose values are integers
CREATE FOREIGN TABLE counters (hash_key text, sort_key text COLLATE "C", value bigint)
  SERVER pegasus OPTIONS (table 'users');
INSERT INTO counters VALUES ('alice', 'logins', 0);
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE counters SET value = value + 1 WHERE hash_key = 'alice' AND sort_key = 'logins';
UPDATE counters SET value = value + 1 WHERE hash_key = 'alice' AND sort_key = 'logins' RETURNING value;
UPDATE users SET value = value || '{"city": "Lille"}' WHERE hash_key = 'carol' AND sort_key = 'profile'
  RETURNING value;
DELETE FROM users WHERE hash_key = 'dave' RETURNING sort_key;
SELECT count(*) AS records FROM users;
SQL
rc=$?
echo "== reading back through pegasus-cli: bob's records"
"${CLI[@]}" --table users scan bob || rc=1
exit $rc
