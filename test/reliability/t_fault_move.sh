#!/usr/bin/env bash
# Partition primaries move while statements run: a whole-table scan and a
# sort-key range read return every row exactly once, an INSERT completes
# after the routing refresh.  Replies are slowed down and pages kept small
# so that the moves land in the middle of each statement.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_fault_move || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table fm_data >/dev/null; control drop-table fm_ins >/dev/null' EXIT

PARTS=8
app=$(create_table fm_data $PARTS)
create_table fm_ins $PARTS >/dev/null
sql "CREATE TABLE src AS
       SELECT 'h' || (i % 60) AS hash_key, 's' || lpad(i::text, 6, '0') AS sort_key,
              i::text AS value FROM generate_series(1, 3000) i
       UNION ALL
       SELECT 'big', 'r' || lpad(i::text, 6, '0'), (i * 7)::text FROM generate_series(1, 600) i;
     CREATE FOREIGN TABLE fm_data (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'fm_data', fetch_size '20');
     CREATE FOREIGN TABLE fm_ins (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'fm_ins', fetch_size '20', batch_size '10');
     INSERT INTO fm_data SELECT * FROM src" >/dev/null
check "app id of the test table" [ -n "$app" ]

# move_all: every partition of TABLE to another replica (ballot + 1 each).
move_all()
{
	local i cur
	for i in $(seq 0 $((PARTS - 1))); do
		cur=$(replica_of "$app" "$i")
		[ -n "${MOVED[$i]:-}" ] && cur=${MOVED[$i]}
		MOVED[$i]=$(other_replica "$cur")
		control move "$1" "$i" "${MOVED[$i]}" >/dev/null
	done
}
declare -a MOVED=()

SCAN_Q="SELECT count(*), sum(value::bigint), count(DISTINCT (hash_key, sort_key)),
               md5(string_agg(hash_key || '/' || sort_key || '=' || value, ',' ORDER BY hash_key, sort_key))
        FROM %s"
want_scan=$(sql "$(printf "$SCAN_Q" src)")
got_plain=$(sql "$(printf "$SCAN_Q" fm_data)")
expect_eq "scan without faults matches the loaded rows" "$want_scan" "$got_plain"

# --- whole-table scan, every primary moves mid-scan -----------------------
all_latency 15
t0=$(now_ms)
{
	printf '%s;\n' "$(printf "$SCAN_Q" fm_data)"
	echo "SELECT routing_refreshes FROM pegasus_fdw_connections();"
} | PGAPPNAME=fm_scan session >"$PEGASUS_WORKDIR/fm_scan.out" &
bg=$!
check "the scan runs when the primaries move" wait_app_running fm_scan
move_all fm_data
t_move=$(($(now_ms) - t0))
wait $bg
t_end=$(($(now_ms) - t0))
out=$(cat "$PEGASUS_WORKDIR/fm_scan.out")
expect_eq "scan during moves returns every row exactly once" "$want_scan" "$(sed -n 1p <<<"$out")"
check "moves happened while the scan ran (moved at ${t_move} ms, ended at ${t_end} ms)" \
	[ "$t_end" -gt "$((t_move + 50))" ]
refreshes=$(sed -n 2p <<<"$out")
check "the scan refreshed its routing after the moves (refreshes: $refreshes)" \
	[ "${refreshes:-0}" -ge 2 ]

# --- the same scan shared by parallel workers --------------------------------
PAR="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
     SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
expect_match "the parallel plan is used" "Parallel Foreign Scan" \
	"$(printf '%s\nEXPLAIN (COSTS OFF) %s;\n' "$PAR" "$(printf "$SCAN_Q" fm_data)" | session)"
t0=$(now_ms)
printf '%s\n%s;\n' "$PAR" "$(printf "$SCAN_Q" fm_data)" | PGAPPNAME=fm_par session >"$PEGASUS_WORKDIR/fm_par.out" &
bg=$!
check "the parallel scan runs when the primaries move" wait_app_running fm_par any
move_all fm_data
t_move=$(($(now_ms) - t0))
wait $bg
t_end=$(($(now_ms) - t0))
expect_eq "parallel scan during moves returns every row exactly once" "$want_scan" \
	"$(cat "$PEGASUS_WORKDIR/fm_par.out")"
check "moves happened while the parallel scan ran (moved at ${t_move} ms, ended at ${t_end} ms)" \
	[ "$t_end" -gt "$((t_move + 50))" ]

# --- sort-key range read in pages, primaries move mid-read ----------------
RANGE_Q="SELECT count(*), sum(value::bigint), md5(string_agg(sort_key, ',' ORDER BY sort_key))
         FROM %s WHERE hash_key = 'big' AND sort_key >= 'r000101'"
want_range=$(sql "$(printf "$RANGE_Q" src)")
ORDER_Q="SELECT md5(string_agg(sort_key, ',')) FROM (SELECT sort_key FROM %s
         WHERE hash_key = 'big' AND sort_key >= 'r000101' ORDER BY sort_key) s"
want_order=$(sql "$(printf "$ORDER_Q" src)")
all_latency 40
t0=$(now_ms)
{
	printf '%s;\n' "$(printf "$RANGE_Q" fm_data)"
} | PGAPPNAME=fm_range session >"$PEGASUS_WORKDIR/fm_range.out" &
bg=$!
check "the range read runs when the primaries move" wait_app_running fm_range
move_all fm_data
t_move=$(($(now_ms) - t0))
wait $bg
t_end=$(($(now_ms) - t0))
expect_eq "range read during moves returns every row exactly once" "$want_range" \
	"$(cat "$PEGASUS_WORKDIR/fm_range.out")"
check "moves happened while the range read ran (moved at ${t_move} ms, ended at ${t_end} ms)" \
	[ "$t_end" -gt "$((t_move + 50))" ]

# ordered range read (served in key order by the server) across a move
{
	printf '%s;\n' "$(printf "$ORDER_Q" fm_data)"
} | PGAPPNAME=fm_order session >"$PEGASUS_WORKDIR/fm_order.out" &
bg=$!
check "the ordered range read runs when the primaries move" wait_app_running fm_order
move_all fm_data
wait $bg
expect_eq "ordered range read during moves keeps the order" "$want_order" \
	"$(cat "$PEGASUS_WORKDIR/fm_order.out")"

# --- INSERT while the primaries move ---------------------------------------
# 400 rows in batches of 10, each batch a round trip of at least 250 ms (with
# four batches in flight, the INSERT takes more than 2.5 s: a loaded machine
# may take most of a second to see it running and move the primaries)
all_latency 250
t0=$(now_ms)
{
	echo "INSERT INTO fm_ins SELECT hash_key, sort_key, value FROM src WHERE hash_key <> 'big' AND sort_key <= 's000400';"
} | PGAPPNAME=fm_ins session >"$PEGASUS_WORKDIR/fm_ins.out" &
bg=$!
check "the INSERT runs when the primaries move" wait_app_running fm_ins
MOVED=()
move_all fm_ins
t_move=$(($(now_ms) - t0))
wait $bg
t_end=$(($(now_ms) - t0))
all_latency 0
out=$(cat "$PEGASUS_WORKDIR/fm_ins.out")
expect_eq "INSERT during moves succeeds after the routing refresh" "" "$out"
check "moves happened while the INSERT ran (moved at ${t_move} ms, ended at ${t_end} ms)" \
	[ "$t_end" -gt "$t_move" ]
INS_Q="SELECT count(*), sum(value::bigint), md5(string_agg(hash_key || '/' || sort_key, ',' ORDER BY hash_key, sort_key))
       FROM %s"
expect_eq "every inserted row is stored once" \
	"$(sql "$(printf "$INS_Q" "(SELECT * FROM src WHERE hash_key <> 'big' AND sort_key <= 's000400') s")")" \
	"$(sql "$(printf "$INS_Q" fm_ins)")"

tap_done
