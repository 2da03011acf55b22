#!/usr/bin/env bash
# Query cancel (pg_cancel_backend from another session) and
# statement_timeout stop a long scan and a statement waiting on a slow RPC
# within a second; the backend stays usable and the next statement gets
# correct data, never a reply meant for the abandoned request.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_cancel || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table cq_data >/dev/null; control drop-table cq_pdata >/dev/null' EXIT

app=$(create_table cq_data 1)
port=$(replica_of "$app" 0)
sql "CREATE FOREIGN TABLE cq (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'cq_data', fetch_size '100');
     CREATE FOREIGN TABLE cq_slow (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'cq_data', fetch_size '50', scan_rate_limit '200');
     INSERT INTO cq SELECT 'h' || (i % 10), 's' || lpad(i::text, 4, '0'), i::text
       FROM generate_series(1, 2000) i" >/dev/null
create_table cq_pdata 8 >/dev/null
sql "CREATE FOREIGN TABLE cq_par (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'cq_pdata', fetch_size '20', scan_rate_limit '100');
     INSERT INTO cq_par SELECT * FROM cq" >/dev/null

LONG_SCAN="SELECT sum(value::int) FROM cq_slow;"	# 10 s at 200 rows per second
SLOW_GET="SELECT value FROM cq WHERE hash_key = 'h1' AND sort_key = 's0001';"

sess_open cq_sess
pid=$(sess_run "SELECT pg_backend_pid();")
expect_eq "data is there" "2000" "$(sess_run "SELECT count(*) FROM cq;")"

# cancel_during NAME STATEMENT [LATENCY [PORT]]: cancels the statement once
# it waits in the FDW (CANCEL_WAIT=any: once it runs).  The faults last
# long (scans of 10 s, replies 6 s late) so that a cancel that is not
# honoured at once exceeds the time limit even with its load margin.
CANCEL_WAIT=
cancel_during()
{
	local name=$1 stmt=$2 lat=${3:-0} lport=${4:-$port} t0 el out
	[ "$lat" -gt 0 ] && control latency "$lport" "$lat" >/dev/null
	sess_send "$stmt"
	check "$name: the statement is running when cancelled" wait_running "$pid" $CANCEL_WAIT
	t0=$(now_ms)
	sql "SELECT pg_cancel_backend($pid)" >/dev/null
	out=$(sess_wait)
	el=$(($(now_ms) - t0))
	control latency "$lport" 0 >/dev/null
	expect_match "$name: cancelled" "canceling statement due to user request" "$out"
	within "$name: cancel takes effect within one second" 1000 "$el"
}

# timeout_during NAME STATEMENT [LATENCY]: statement_timeout of 700 ms.
timeout_during()
{
	local name=$1 stmt=$2 lat=${3:-0} t0 el out
	[ "$lat" -gt 0 ] && control latency "$port" "$lat" >/dev/null
	sess_run "SET statement_timeout = 700;" >/dev/null
	t0=$(now_ms)
	out=$(sess_run "$stmt")
	el=$(($(now_ms) - t0))
	sess_run "RESET statement_timeout;" >/dev/null
	control latency "$port" 0 >/dev/null
	expect_match "$name: statement_timeout ends it" "canceling statement due to statement timeout" "$out"
	if in_time "$el" 700 1700; then
		ok "$name: within one second of statement_timeout (${el} ms)"
	else
		not_ok "$name: within one second of statement_timeout"
		printf '#   took %s ms, statement_timeout 700 ms, load margin %s ms\n' "$el" "$LOAD_SLACK_MS"
	fi
}

# after NAME: the same backend answers the next statements correctly.
after()
{
	expect_eq "$1: same backend afterwards" "$pid" "$(sess_run "SELECT pg_backend_pid();")"
	expect_eq "$1: next point read is right" "7" \
		"$(sess_run "SELECT value FROM cq WHERE hash_key = 'h7' AND sort_key = 's0007';")"
	expect_eq "$1: next multi_get is right" "3,13" \
		"$(sess_run "SELECT string_agg(value, ',' ORDER BY sort_key) FROM cq WHERE hash_key = 'h3' AND sort_key IN ('s0003', 's0013');")"
	expect_eq "$1: next scan is complete" "2000|2001000" \
		"$(sess_run "SELECT count(*), sum(value::int) FROM cq;")"
}

cancel_during "long scan" "$LONG_SCAN"
after "long scan cancel"
cancel_during "slow RPC" "$SLOW_GET" 6000
after "slow RPC cancel"
# a late reply must not be taken for the answer of a new request on the
# same connection: cancel, then ask at once while the old reply is due
cancel_during "slow multi_get" \
	"SELECT string_agg(value, ',' ORDER BY sort_key) FROM cq WHERE hash_key = 'h5' AND sort_key IN ('s0005', 's0015');" 1500
after "slow multi_get cancel"
# a meta server call (list_apps) that does not come back
cancel_during "slow meta call" "SELECT count(*) FROM pegasus_fdw_list_tables('pegasus');" 6000 \
	"${PEGASUS_TEST_META##*:}"
after "slow meta call cancel"
# a parallel scan: the leader and its workers all stop
sess_run "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;" >/dev/null
PAR_SCAN="SELECT sum(value::int) FROM cq_par;"
expect_match "the parallel plan is used" "Parallel Foreign Scan" \
	"$(sess_run "EXPLAIN (COSTS OFF) ${PAR_SCAN}")"
CANCEL_WAIT=any cancel_during "parallel scan" "$PAR_SCAN"
expect_eq "parallel scan: no worker is left running" "0" \
	"$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'")"
sess_run "RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;" >/dev/null
after "parallel scan cancel"
timeout_during "long scan" "$LONG_SCAN"
after "long scan timeout"
timeout_during "slow RPC" "$SLOW_GET" 6000
after "slow RPC timeout"

# an idle session: the cancel of nothing does no harm to the next query
# (the signal is pending on the backend when pg_cancel_backend returns,
# so it arrives before the next statement does)
sql "SELECT pg_cancel_backend($pid)" >/dev/null
after "idle cancel"
sess_close
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
