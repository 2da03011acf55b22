#!/usr/bin/env bash
# Lost updates: 8 sessions each run 1,000 "UPDATE ... SET value = value + 1"
# on one key of a bigint value column at the same time.  The UPDATE is
# Pegasus's atomic incr, so the counter ends at exactly 8,000; a second key
# taking +1 from four sessions and -1 from four others ends at 0.
# RACE_SESSIONS / RACE_UPDATES change the sizes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

sessions=${RACE_SESSIONS:-8}
updates=${RACE_UPDATES:-1000}
table=rel_race_incr
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_race_incr.XXXXXX")
trap 'rm -rf "$work"' EXIT

setup_db rel_race_incr || { not_ok "scratch database"; tap_done; exit 1; }
sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')" >/dev/null 2>&1
check "create table $table" quiet sql "SELECT pegasus_fdw_create_table('pegasus', '$table', 4)"
sql "CREATE FOREIGN TABLE t (hash_key text, sort_key text, value bigint)
       SERVER pegasus OPTIONS (table '$table')" >/dev/null
sql "INSERT INTO t VALUES ('race', 'counter', 0), ('race', 'updown', 0)" >/dev/null

upd="UPDATE t SET value = value + 1 WHERE hash_key = 'race' AND sort_key = 'counter'"
plan=$(sql "EXPLAIN (VERBOSE, COSTS OFF) $upd")
if [ $? -ne 0 ]; then
	skip "concurrent increments are not lost" "UPDATE of a foreign table not available: ${plan%%$'\n'*}"
elif ! grep -qi 'incr' <<<"$plan"; then
	skip "concurrent increments are not lost" "UPDATE is not pushed down as Pegasus incr (EXPLAIN VERBOSE: $(echo "$plan" | tr '\n' ' '))"
else
	ok "UPDATE value = value + 1 is planned as incr"
	echo "$upd;" >"$work/inc.sql"
	echo "UPDATE t SET value = value + 1 WHERE hash_key = 'race' AND sort_key = 'updown';" >"$work/up.sql"
	echo "UPDATE t SET value = value - 1 WHERE hash_key = 'race' AND sort_key = 'updown';" >"$work/down.sql"
	# The three runs overlap: 8 sessions on one key, 2 x (sessions/2) on another.
	pgbench -n -c "$sessions" -j 2 -t "$updates" -f "$work/inc.sql" >"$work/inc.out" 2>&1 &
	p1=$!
	pgbench -n -c $((sessions / 2)) -j 1 -t "$updates" -f "$work/up.sql" >"$work/up.out" 2>&1 &
	p2=$!
	pgbench -n -c $((sessions / 2)) -j 1 -t "$updates" -f "$work/down.sql" >"$work/down.out" 2>&1 &
	p3=$!
	rc1=0; rc2=0; rc3=0
	wait $p1 || rc1=$?
	wait $p2 || rc2=$?
	wait $p3 || rc3=$?
	for f in inc up down; do
		grep -E 'processed|failed|aborted|ERROR' "$work/$f.out" | sed "s/^/# $f: /"
	done
	expect_eq "pgbench runs finish without errors" "0 0 0" "$rc1 $rc2 $rc3"
	expect_eq "every increment of $sessions x $updates sessions is counted" \
		"$((sessions * updates))" \
		"$(sql "SELECT value FROM t WHERE hash_key = 'race' AND sort_key = 'counter'")"
	expect_eq "concurrent +1 and -1 cancel out" "0" \
		"$(sql "SELECT value FROM t WHERE hash_key = 'race' AND sort_key = 'updown'")"
	# An UPDATE that finds no row changes nothing and creates nothing.
	expect_eq "UPDATE of an absent key reports 0 rows" "UPDATE 0" \
		"$(psql -X -At -c "UPDATE t SET value = value + 1 WHERE hash_key = 'race' AND sort_key = 'absent'" 2>&1)"
	expect_eq "UPDATE of an absent key creates no row" "0" \
		"$(sql "SELECT count(*) FROM t WHERE hash_key = 'race' AND sort_key = 'absent'")"
fi

sql "DROP FOREIGN TABLE t" >/dev/null
check "drop table $table" quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS rel_race_incr" >/dev/null 2>&1
tap_done
