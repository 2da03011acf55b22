#!/usr/bin/env bash
# Configuration changes while a session holds a cached Pegasus client:
# ALTER SERVER of meta_servers to a dead address gives a clean error at the
# next statement, bounded by the timeouts, and altering it back works again;
# timeout_ms and fetch_size changes take effect at the next statement; DROP
# SERVER ... CASCADE of a server whose client is cached; an ALTER inside a
# transaction whose cursor still reads.  One psql session (A) runs
# throughout; the changes come from other sessions (\!) unless noted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

table=rel_config_alter
db=rel_config_alter
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_config_alter.XXXXXX")
dead=127.0.0.1:1				# nothing listens on port 1
connect_ms=300
timeout_ms=1000
cleanup()
{
	for p in ${ONEBOX_REPLICA_PORTS//,/ }; do control latency "$p" 0 >/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

setup_db $db || { not_ok "scratch database"; tap_done; exit 1; }
quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
check "create table $table" quiet sql "SELECT pegasus_fdw_create_table('pegasus', '$table', 2)"
quiet sql "ALTER SERVER pegasus OPTIONS (ADD connect_timeout_ms '$connect_ms', ADD timeout_ms '$timeout_ms');
	CREATE FOREIGN TABLE t (hash_key text, sort_key text, value text)
	  SERVER pegasus OPTIONS (table '$table');
	INSERT INTO t SELECT 'h', 's' || lpad(i::text, 3, '0'), 'v' || i FROM generate_series(1, 100) i"

# other.sh: what the other session does (sourced helpers, one command).
cat >"$work/other.sh" <<OTHER
. "$ROOT/test/reliability/lib.sh"
export PGDATABASE=$db
case "\$1" in
	sql) sql "\$2" >/dev/null || echo "other session failed: \$2" ;;
	latency) for p in ${ONEBOX_REPLICA_PORTS//,/ }; do control latency "\$p" "\$2" >/dev/null; done ;;
	reset) control reset-counters >/dev/null ;;
	multi_gets) control counters | awk '/MULTI_GET/ { n += \$3 } END { printf "multi_gets=%d\n", n }' ;;
esac
OTHER
other="bash $work/other.sh"

# Markers: "== step" starts a step; ms=N is the time of the statement before.
cat >"$work/a.sql" <<SQL
\set mark 'SELECT extract(epoch FROM clock_timestamp()) AS t0 \\\\gset'
\set ms 'SELECT ''ms='' || round((extract(epoch FROM clock_timestamp()) - :t0) * 1000)'
SELECT 'pid=' || pg_backend_pid();
\echo == cached
SELECT count(value) FROM t WHERE hash_key = 'h';
\echo == dead meta
\! $other sql "ALTER SERVER pegasus OPTIONS (SET meta_servers '$dead')"
:mark
SELECT count(value) FROM t WHERE hash_key = 'h';
:ms;
\echo == dead meta again
:mark
SELECT value FROM t WHERE hash_key = 'h' AND sort_key = 's001';
:ms;
\echo == meta back
\! $other sql "ALTER SERVER pegasus OPTIONS (SET meta_servers '$PEGASUS_TEST_META')"
SELECT count(value) FROM t WHERE hash_key = 'h';
\echo == slow replicas, short timeout
\! $other latency 2000
\! $other sql "ALTER SERVER pegasus OPTIONS (SET timeout_ms '150')"
:mark
SELECT value FROM t WHERE hash_key = 'h' AND sort_key = 's002';
:ms;
\echo == slow replicas, long timeout
\! $other sql "ALTER SERVER pegasus OPTIONS (SET timeout_ms '3000')"
SELECT value FROM t WHERE hash_key = 'h' AND sort_key = 's002';
\! $other latency 0
\echo == fetch_size 10
\! $other sql "ALTER SERVER pegasus OPTIONS (ADD fetch_size '10')"
\! $other reset
SELECT count(value) FROM t WHERE hash_key = 'h';
\! $other multi_gets
\echo == fetch_size 1000
\! $other sql "ALTER SERVER pegasus OPTIONS (SET fetch_size '1000')"
\! $other reset
SELECT count(value) FROM t WHERE hash_key = 'h';
\! $other multi_gets
\echo == table fetch_size 25
\! $other sql "ALTER FOREIGN TABLE t OPTIONS (ADD fetch_size '25')"
\! $other reset
SELECT count(value) FROM t WHERE hash_key = 'h';
\! $other multi_gets
\echo == cursor keeps its client across ALTER
BEGIN;
DECLARE c CURSOR FOR SELECT value FROM t WHERE hash_key = 'h';
FETCH 10 FROM c;
ALTER SERVER pegasus OPTIONS (SET meta_servers '$dead');
MOVE ALL FROM c;
\echo == after commit
COMMIT;
SELECT count(value) FROM t WHERE hash_key = 'h';
ALTER SERVER pegasus OPTIONS (SET meta_servers '$PEGASUS_TEST_META');
SELECT count(value) FROM t WHERE hash_key = 'h';
\echo == drop server cascade by another session
CREATE SERVER s2 FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '$PEGASUS_TEST_META');
CREATE FOREIGN TABLE t2 (hash_key text, sort_key text, value text) SERVER s2 OPTIONS (table '$table');
SELECT count(value) FROM t2 WHERE hash_key = 'h';
SELECT 'servers=' || string_agg(server_name, ',' ORDER BY server_name) FROM pegasus_fdw_connections();
\! $other sql "DROP SERVER s2 CASCADE"
SELECT count(value) FROM t2 WHERE hash_key = 'h';
SELECT 'servers=' || string_agg(server_name, ',' ORDER BY server_name) FROM pegasus_fdw_connections();
SELECT count(value) FROM t WHERE hash_key = 'h';
\echo == drop server cascade under an open cursor
CREATE SERVER s3 FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '$PEGASUS_TEST_META');
CREATE FOREIGN TABLE t3 (hash_key text, sort_key text, value text) SERVER s3 OPTIONS (table '$table');
BEGIN;
DECLARE c3 CURSOR FOR SELECT value FROM t3 WHERE hash_key = 'h';
FETCH 10 FROM c3;
DROP SERVER s3 CASCADE;
ROLLBACK;
SELECT 'fetched=' || count(*) FROM t3 WHERE hash_key = 'h';
DROP SERVER s3 CASCADE;
SELECT 'servers=' || string_agg(server_name, ',' ORDER BY server_name) FROM pegasus_fdw_connections();
\echo == end
SELECT 'pid=' || pg_backend_pid();
SQL

PGDATABASE=$db psql -X -At -f "$work/a.sql" >"$work/a.out" 2>&1
sed 's/^/# /' "$work/a.out" | grep -v '^# v[0-9]*$' | sed -n '1,120p'

# step NAME: the output of that step.
step()
{
	awk -v s="== $1" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$work/a.out"
}
# has TEXT REGEX: true when TEXT has a match; otherwise shows TEXT.
has()
{
	grep -qE -- "$2" <<<"$1" && return 0
	sed 's/^/#   | /' <<<"$1"
	return 1
}

out=$(step "cached")
check "a cached client reads" has "$out" '^100$'

out=$(step "dead meta")
check "ALTER SERVER to a dead meta server: clean error at the next statement" \
	has "$out" 'ERROR:  could not connect to the Pegasus cluster of server "pegasus"'
check "the error names the dead address" has "$out" "DETAIL:  Connection to $dead was refused"
ms=$(grep -oE '^ms=[0-9]+' <<<"$out" | cut -d= -f2)
limit=$((timeout_ms + connect_ms + 1000))
echo "# error after ${ms:-?} ms (connect_timeout_ms $connect_ms, timeout_ms $timeout_ms)"
check "the error comes within timeout_ms + connect_timeout_ms (+1 s)" in_time "${ms:-999999}" 0 "$limit"
out=$(step "dead meta again")
check "a point read fails the same way" has "$out" 'could not connect to the Pegasus cluster'
ms=$(grep -oE '^ms=[0-9]+' <<<"$out" | cut -d= -f2)
check "again within the timeouts (${ms:-?} ms)" in_time "${ms:-999999}" 0 "$limit"
check "altering meta_servers back works again" has "$(step "meta back")" '^100$'

out=$(step "slow replicas, short timeout")
check "timeout_ms lowered: the next statement times out" has "$out" 'ERROR:  Pegasus .* timed out'
ms=$(grep -oE '^ms=[0-9]+' <<<"$out" | cut -d= -f2)
# (the old timeout_ms would wait for the replies, 2 s late, and succeed)
check "the timeout is the new one (${ms:-?} ms, timeout_ms 150)" in_time "${ms:-999999}" 140 150
check "timeout_ms raised: the next statement succeeds" has "$(step "slow replicas, long timeout")" '^v2$'

n10=$(step "fetch_size 10" | grep -oE '^multi_gets=[0-9]+' | cut -d= -f2)
n1000=$(step "fetch_size 1000" | grep -oE '^multi_gets=[0-9]+' | cut -d= -f2)
n25=$(step "table fetch_size 25" | grep -oE '^multi_gets=[0-9]+' | cut -d= -f2)
echo "# range read of 100 rows: $n10 requests at fetch_size 10, $n1000 at 1000, $n25 at table fetch_size 25"
check "server fetch_size 10 takes effect at the next statement" test "${n10:-0}" -ge 10
check "server fetch_size 1000 takes effect at the next statement" test "${n1000:-99}" -le 2
check "table fetch_size overrides the server's" test "${n25:-0}" -ge 4 -a "${n25:-99}" -le 5

check "an open cursor keeps reading from its client after ALTER SERVER" \
	has "$(step "cursor keeps its client across ALTER")" '^MOVE 90$'
out=$(step "after commit")
check "after commit the altered meta_servers are used" has "$out" 'could not connect'
check "and altering back recovers" has "$out" '^100$'

out=$(step "drop server cascade by another session")
check "the second server's client is cached" has "$out" '^servers=pegasus,s2$'
check "its dropped table is reported as missing" has "$out" 'ERROR:  relation "t2" does not exist'
check "the dropped server's client is gone" has "$out" '^servers=pegasus$'
check "the other server still reads" test "$(grep -c '^100$' <<<"$out")" -eq 2

out=$(step "drop server cascade under an open cursor")
check "DROP SERVER under an open cursor is refused" has "$out" 'ERROR:  cannot DROP .* because it is being used by active queries'
check "after rollback the table reads" has "$out" '^fetched=100$'
check "after DROP SERVER only the first client is left" has "$out" '^servers=pegasus$'

expect_eq "session A ran to the end on one backend" \
	"$(grep -m1 '^pid=' "$work/a.out")" "$(step end | grep '^pid=')"
check "no backend crashed" test "$(grep -c 'server closed the connection\|terminated by signal' "$work/a.out")" -eq 0

quiet sql "DROP FOREIGN TABLE t"
check "drop table $table" quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
quiet psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
tap_done
