#!/usr/bin/env bash
# Scans whose cursors begin again, through SQL: a count(*) with a
# server-side key filter while every primary moves is exact (a count-only
# cursor that lost its context counts its partition again, taking back
# what it had counted), and so are plain counts, row scans and parallel
# scans under the same moves.  Then the scan contexts a failed scan leaves
# on the replicas: none once the session has ended, whether a replica
# answered after the deadline or stopped in the middle of the scan; a
# truncated reply loses at most the contexts its connection's lost replies
# named.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_scan_restart || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table rel_scan_restart >/dev/null' EXIT

PARTS=8
app=$(create_table rel_scan_restart $PARTS)
check "app id of the test table" [ -n "$app" ]
sql "CREATE SERVER short FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '1000');
     CREATE TABLE src AS
       SELECT 'h' || (g % 997) AS hash_key, 's' || g AS sort_key, 'v' || g AS value
       FROM generate_series(1, 20000) g;
     CREATE FOREIGN TABLE rp (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'rel_scan_restart', fetch_size '100');
     CREATE FOREIGN TABLE rp_short (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER short OPTIONS (table 'rel_scan_restart', fetch_size '100');
     INSERT INTO rp SELECT * FROM src" >/dev/null

declare -a MOVED=()
# move_all: every primary of the table to another replica.
move_all()
{
	local i cur
	for i in $(seq 0 $((PARTS - 1))); do
		cur=$(replica_of "$app" "$i")
		[ -n "${MOVED[$i]:-}" ] && cur=${MOVED[$i]}
		MOVED[$i]=$(other_replica "$cur")
		control move rel_scan_restart "$i" "${MOVED[$i]}" >/dev/null
	done
}

# scanners: the onebox's open scan contexts.
scanners()
{
	control scanner-count | sed -n 's/^OK \([0-9]*\).*/\1/p'
}

# clearable: open scan contexts but those named only by replies that may
# never have reached the client (at_risk), which no client can clear.
clearable()
{
	control scanner-count | sed -n 's/^OK \([0-9]*\).*at_risk=\([0-9]*\).*/\1 \2/p' |
		{ read -r n r && echo $((n - r)); }
}

# wait_clearable SECONDS: until every open context is one no client can clear.
wait_clearable()
{
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		[ "$(clearable)" -le 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_scanners MAX SECONDS: until at most MAX contexts are open.
wait_scanners()
{
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ "$(scanners)" -le "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

PAR="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
     SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"

# under_moves NAME QUERY [SETTINGS]: QUERY gives the same answer on rp
# while every primary moves as on the local copy.
under_moves()
{
	local name=$1 q=$2 settings=${3:-} want got bg
	want=$(sql "$(printf "$q" src)")
	all_latency 15
	printf '%s\n%s;\n' "$settings" "$(printf "$q" rp)" |
		PGAPPNAME=sr_moves session >"$PEGASUS_WORKDIR/sr_moves.out" &
	bg=$!
	if wait_app_running sr_moves any; then
		move_all
	else
		not_ok "$name: the statement was seen running"
	fi
	wait $bg
	all_latency 0
	got=$(grep -v '^SET$' "$PEGASUS_WORKDIR/sr_moves.out")
	expect_eq "$name" "$want" "$got"
}

control drop-scanners >/dev/null
under_moves "filtered count(*) during moves is exact" \
	"SELECT count(*) FROM %s WHERE hash_key LIKE 'h1%%'"
under_moves "count(*) during moves is exact" "SELECT count(*) FROM %s"
under_moves "sort-key filtered count during moves is exact" \
	"SELECT count(*) FROM %s WHERE sort_key LIKE 's12%%'"
under_moves "filtered row scan during moves returns each row once" \
	"SELECT count(*), count(DISTINCT (hash_key, sort_key)), md5(string_agg(value, ',' ORDER BY value)) FROM %s WHERE hash_key LIKE 'h2%%'"
under_moves "parallel filtered count during moves is exact" \
	"SELECT count(*) FROM %s WHERE hash_key LIKE 'h3%%'" "$PAR"
under_moves "parallel row scan during moves returns each row once" \
	"SELECT count(*), count(DISTINCT (hash_key, sort_key)), sum(length(value)) FROM %s" "$PAR"
check "no scan context is left after scans under moves" wait_scanners 0 5

# --- a replica slower than the deadline: the scan fails ----------------------
# (serial scans: a parallel worker that exits waits 250 ms at most for the
# replies its replicas still owe, since its leader waits for it)
slow=$(replica_of "$app" 0)
control latency "$slow" 3000 >/dev/null
out=$(sql "SET max_parallel_workers_per_gather = 0; SELECT count(value) FROM rp_short")
expect_match "a scan that meets a replica slower than timeout_ms fails" "ERROR" "$out"
control latency "$slow" 0 >/dev/null
# the session has ended: the late replies were read and their contexts cleared
check "no scan context is left after the failed scan (slow replica): $(scanners)" \
	wait_scanners 0 10

# --- a replica stopped in the middle of the scan -----------------------------
stopped=$(replica_of "$app" 1)
all_latency 20
printf 'SET max_parallel_workers_per_gather = 0; SELECT count(value) FROM rp_short;\n' | PGAPPNAME=sr_stop session \
	>"$PEGASUS_WORKDIR/sr_stop.out" &
bg=$!
wait_app_running sr_stop
sleep 0.2
control stop "$stopped" >/dev/null
wait $bg
all_latency 0
expect_match "a scan whose replica stops fails" "ERROR" "$(cat "$PEGASUS_WORKDIR/sr_stop.out")"
control start "$stopped" >/dev/null
# what the stopped replica held could not be cleared: one per partition at most
on_stopped=0
for i in $(seq 0 $((PARTS - 1))); do
	[ "$(replica_of "$app" "$i")" = "$stopped" ] && on_stopped=$((on_stopped + 1))
done
check "after the stopped replica's scan, only its own contexts may be left ($(scanners) <= $on_stopped)" \
	wait_scanners "$on_stopped" 10
check "after the stopped replica's scan, none that a client could clear is left ($(clearable))" \
	wait_clearable 10
control drop-scanners >/dev/null

# --- a truncated reply: the scan succeeds ------------------------------------
want=$(sql "SELECT count(*), sum(length(value)) FROM src")
all_latency 10
printf 'SELECT count(*), sum(length(value)) FROM rp;\n' | PGAPPNAME=sr_trunc session \
	>"$PEGASUS_WORKDIR/sr_trunc.out" &
bg=$!
wait_app_running sr_trunc
control corrupt "$(replica_of "$app" 2)" truncated >/dev/null
wait $bg
all_latency 0
expect_eq "a scan that meets a truncated reply returns every row once" "$want" \
	"$(cat "$PEGASUS_WORKDIR/sr_trunc.out")"
# the replies lost with the connection named contexts nobody can clear
check "after a truncated reply, at most the lost replies' contexts are left ($(scanners) <= 4)" \
	wait_scanners 4 10
check "after a truncated reply, none that a client could clear is left ($(clearable))" \
	wait_clearable 10
control drop-scanners >/dev/null
tap_done
