#!/usr/bin/env bash
# pegasus_fdw_stats across restarts of PostgreSQL.  Preloaded on 18 and
# later, the counts are a custom kind of PostgreSQL's cumulative statistics:
# a clean restart keeps them (the statistics file), a crash loses them, as
# it loses PostgreSQL's own.  Anywhere else they live in shared memory and
# any restart starts them from zero.  Each count is read by a new session:
# the counts are the cluster's, not one backend's (15 without preloading
# has no shared store, and this script says so).
. "$(dirname "$0")/lib.sh"

setup_db rel_stats_restart || { not_ok "scratch database"; tap_done; exit 1; }
trap 'control drop-table sr_data >/dev/null' EXIT

PG_LOG="$PGHOST/postgres.log"
version=$(sql "SHOW server_version_num")
preloaded=$(sql "SELECT current_setting('shared_preload_libraries') ~ 'pegasus_fdw'")
persistent=f
[ "$preloaded" = t ] && [ "$version" -ge 180000 ] && persistent=t

control drop-table sr_data >/dev/null
control create sr_data 2 >/dev/null
sql "CREATE SERVER pegasus_sr FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META');
     CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus_sr;
     CREATE FOREIGN TABLE sr (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus_sr OPTIONS (table 'sr_data');
     INSERT INTO sr VALUES ('h', 's', 'v')" >/dev/null
# the view has rows now: the insert was counted
scope=$(sql "SELECT DISTINCT scope FROM pegasus_fdw_stats()")
echo "# PostgreSQL $version, preloaded: $preloaded, scope: $scope, kept by a clean restart: $persistent"

GETS="SELECT count(value) FROM sr WHERE hash_key = 'h' AND sort_key = 's';"
CALLS="SELECT coalesce(sum(calls), 0) FROM pegasus_fdw_stats
       WHERE server_name = 'pegasus_sr' AND operation = 'get';"
# wait_db: true once the restarted server accepts the scratch database
wait_db()
{
	local i
	for ((i = 0; i < 300; i++)); do
		sql "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

if [ "$scope" != cluster ]; then
	skip "counts across restarts" "no shared store here (PostgreSQL $version without shared_preload_libraries)"
	tap_done
	exit
fi

sql "SELECT pegasus_fdw_stats_reset('pegasus_sr')" >/dev/null
for _ in 1 2 3 4 5; do sql "$GETS" >/dev/null; done
expect_eq "5 gets in 5 sessions: 5 calls" "5" "$(sql "$CALLS")"

if [ "$persistent" = t ]; then
	expect_match "the statistics kind is registered at start-up" \
		'registered custom cumulative statistics "pegasus_fdw" with ID [0-9]+' "$(cat "$PG_LOG")"
fi

RESET_TIME="SELECT DISTINCT stats_reset FROM pegasus_fdw_stats WHERE server_name = 'pegasus_sr';"
reset_before=$(sql "$RESET_TIME")

# a clean restart: kept where PostgreSQL keeps its own counts
check "a clean restart (pg_ctl restart -m fast)" restart_pg -m fast
check "the server accepts connections again" wait_db
if [ "$persistent" = t ]; then
	expect_eq "the 5 calls survive a clean restart" "5" "$(sql "$CALLS")"
	expect_eq "the time of the last reset survives too" "$reset_before" "$(sql "$RESET_TIME")"
else
	expect_eq "shared memory starts from zero after a restart" "0" "$(sql "$CALLS")"
fi
sql "$GETS" >/dev/null
expect_eq "counting goes on after the restart" "$([ "$persistent" = t ] && echo 6 || echo 1)" "$(sql "$CALLS")"

# a crash: PostgreSQL discards the statistics file's counts, and so ours
check "a crash (pg_ctl restart -m immediate)" restart_pg -m immediate
check "the server accepts connections after crash recovery" wait_db
expect_eq "a crash starts the counts from zero" "0" "$(sql "$CALLS")"

# a reset is a reset for good: a clean restart does not bring counts back
sql "$GETS" >/dev/null
sql "SELECT pegasus_fdw_stats_reset()" >/dev/null
check "a clean restart after a reset" restart_pg -m fast
check "the server accepts connections again after it" wait_db
expect_eq "reset counts stay reset across a clean restart" "0" "$(sql "$CALLS")"

psql -X -q -d postgres -c "DROP DATABASE rel_stats_restart" >/dev/null 2>&1
tap_done
