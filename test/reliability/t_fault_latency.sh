#!/usr/bin/env bash
# Replies slower than timeout_ms: each kind of statement fails with a clear
# timeout error close to the deadline (not later), a write says its outcome
# is unknown, and the next statement on the same session returns the right
# data (late replies of the abandoned requests are never taken for answers).
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_fault_latency || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table fl_data >/dev/null' EXIT

T=600
SLACK=700
# one partition: every request goes to the same replica and connection
app=$(create_table fl_data 1)
port=$(replica_of "$app" 0)
sql "CREATE SERVER pegasus_t FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '$T');
     CREATE FOREIGN TABLE fl (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus_t OPTIONS (table 'fl_data', fetch_size '100');
     INSERT INTO fl SELECT 'h' || (i % 10), 's' || lpad(i::text, 4, '0'), i::text
       FROM generate_series(1, 500) i" >/dev/null

sess_open fl_sess
pid=$(sess_run "SELECT pg_backend_pid();")
sess_run "SELECT count(*) FROM fl;" >/dev/null	# routing cached

# name|statement|what the next statement must return
CASES=(
	"point get|SELECT value FROM fl WHERE hash_key = 'h1' AND sort_key = 's0001';"
	"multi_get|SELECT value FROM fl WHERE hash_key = 'h2' AND sort_key IN ('s0002', 's0012');"
	"range read|SELECT count(*) FROM fl WHERE hash_key = 'h3' AND sort_key > 's0100';"
	"hash key count|SELECT count(*) FROM fl WHERE hash_key = 'h4';"
	"whole-table scan|SELECT count(*), sum(value::int) FROM fl;"
	"INSERT|INSERT INTO fl VALUES ('new', 'k', 'v');"
)
n=0
for c in "${CASES[@]}"; do
	name=${c%%|*}
	stmt=${c#*|}
	n=$((n + 1))
	# 6 s late: beyond timeout_ms + SLACK + the load margin
	control latency "$port" 6000 >/dev/null
	t0=$(now_ms)
	out=$(sess_run "$stmt")
	el=$(($(now_ms) - t0))
	control latency "$port" 0 >/dev/null
	expect_match "$name: a slow replica gives a timeout error" \
		"ERROR:  Pegasus .* on table \"fl_data\" timed out" "$out"
	if in_time "$el" "$T" $((T + SLACK)); then
		ok "$name: the error comes at timeout_ms (${el} ms)"
	else
		not_ok "$name: the error comes at timeout_ms"
		printf '#   took %s ms, timeout_ms %s, load margin %s ms\n' "$el" "$T" "$LOAD_SLACK_MS"
	fi
	[ "$name" = INSERT ] && expect_match "INSERT: the timeout says the write may have been applied" \
		"may or may not have been applied" "$out"
	# the next statements on the same session see fresh, correct answers
	expect_eq "$name: next statement on the session is right" "$((n * 7))" \
		"$(sess_run "SELECT value FROM fl WHERE hash_key = 'h$(((n * 7) % 10))' AND sort_key = 's$(printf %04d $((n * 7)))';")"
	expect_eq "$name: the session's backend is the same" "$pid" "$(sess_run "SELECT pg_backend_pid();")"
done
expect_eq "a full scan after the timeouts is complete" "501|125250" \
	"$(sess_run "SELECT count(*), sum(CASE WHEN value = 'v' THEN 0 ELSE value::int END) FROM fl;")"

# latency below the deadline is only slow, not an error
control latency "$port" 200 >/dev/null
expect_eq "latency below timeout_ms is not an error" "1" \
	"$(sess_run "SELECT value FROM fl WHERE hash_key = 'h1' AND sort_key = 's0001';")"
control latency "$port" 0 >/dev/null
sess_close
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
