#!/usr/bin/env bash
# Answers of a live cluster through SQL: ERR_OPERATION_DISABLED (bulk load
# ingestion; incr on a duplication master), ERR_DISK_INSUFFICIENT,
# ERR_DISK_IO_ERROR, ERR_RETRY_EXHAUSTED and an error name the client does
# not know each fail the statement at once (one request, no retry) with
# SQLSTATE HV000, a detail naming the error and its meaning, and a hint;
# ERR_SPLITTING is retried and the statement succeeds.  A meta server that
# sends no host_port fields (release 2.5) routes the same.  Write throttling
# (ERR_BUSY) is waited out; a split in random order, paused in a parent's
# window and cancelled, leaves the table as it was with its count halved.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_split_errors || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control host-port-fields on >/dev/null; control split-mode sequential >/dev/null;
	control split-delay 200 >/dev/null; control drop-table se_data >/dev/null' EXIT
create_table se_data 4 >/dev/null
sql "CREATE FOREIGN TABLE se (hash_key text, sort_key text COLLATE \"C\", value bigint)
       SERVER pegasus OPTIONS (table 'se_data');
     INSERT INTO se VALUES ('h', 'a', 1), ('h', 'n', 10)" >/dev/null

# verbose: runs SQL with the SQLSTATE shown, one line
verbose()
{
	printf '\\set VERBOSITY verbose\n%s\n' "$1" | session | tr '\n' ' '
}

# name | RPC | statement | words the detail must have | words the hint must have
CASES=(
	"ERR_OPERATION_DISABLED|RPC_RRDB_RRDB_PUT|INSERT INTO se VALUES ('h', 'b', 2)|bulk load|bulk load has been ingested"
	"ERR_OPERATION_DISABLED|RPC_RRDB_RRDB_INCR|UPDATE se SET value = value + 1 WHERE hash_key = 'h' AND sort_key = 'n'|duplication master|enable_atomic_idempotent"
	"ERR_DISK_INSUFFICIENT|RPC_RRDB_RRDB_PUT|INSERT INTO se VALUES ('h', 'c', 3)|short of space|Free disk space"
	"ERR_DISK_IO_ERROR|RPC_RRDB_RRDB_PUT|INSERT INTO se VALUES ('h', 'd', 4)|I/O errors|Check the disks"
	"ERR_RETRY_EXHAUSTED|RPC_RRDB_RRDB_GET|SELECT value FROM se WHERE hash_key = 'h' AND sort_key = 'a'|its own retries|Retry the statement later"
	"ERR_NEWER_THAN_THIS_CLIENT|RPC_RRDB_RRDB_GET|SELECT value FROM se WHERE hash_key = 'h' AND sort_key = 'a'|does not know this error|newer than this extension"
)
for c in "${CASES[@]}"; do
	IFS='|' read -r e rpc q detail hint <<<"$c"
	control reset-counters >/dev/null
	control fail '*' "$rpc" 1 "$e" >/dev/null
	out=$(verbose "$q")
	n=$(rpc_count "$rpc")
	control clear-faults >/dev/null
	expect_match "$e on ${rpc#RPC_RRDB_RRDB_}: SQLSTATE HV000, the error named" \
		"ERROR:  HV000: could not execute Pegasus .* DETAIL:  Pegasus server .* with $e\." "$out"
	expect_match "$e on ${rpc#RPC_RRDB_RRDB_}: the detail says what it means" "$detail" "$out"
	expect_match "$e on ${rpc#RPC_RRDB_RRDB_}: a hint" "HINT:  .*$hint" "$out"
	expect_eq "$e on ${rpc#RPC_RRDB_RRDB_}: sent once, not retried" 1 "$n"
done
expect_eq "nothing was written by the refused statements" "a|1 n|10" \
	"$(sql "SELECT sort_key, value FROM se ORDER BY sort_key" | tr '\n' ' ' | sed 's/ $//')"

control fail '*' RPC_RRDB_RRDB_PUT 2 ERR_SPLITTING >/dev/null
out=$(sql "INSERT INTO se VALUES ('h', 'e', 5)")
control clear-faults >/dev/null
expect_eq "ERR_SPLITTING is retried: the INSERT succeeds" "" "$out"
expect_eq "ERR_SPLITTING is retried: the row is there" 5 \
	"$(sql "SELECT value FROM se WHERE hash_key = 'h' AND sort_key = 'e'")"

control host-port-fields off >/dev/null
expect_eq "without host_port fields: a new session routes by rpc_address" "1|5|10" \
	"$(sql "SELECT string_agg(value::text, '|' ORDER BY sort_key) FROM se WHERE hash_key = 'h'")"
control host-port-fields on >/dev/null

# throttled writes: ERR_BUSY is backed off from, every row arrives
control app-env se_data replica.write_throttling '4*reject*10' >/dev/null
out=$(sql "INSERT INTO se SELECT 't' || i, 's', i FROM generate_series(1, 12) i")
control app-env se_data replica.write_throttling >/dev/null
expect_eq "write throttling: the INSERT succeeds" "" "$out"
expect_eq "write throttling: every row is there" 12 "$(sql "SELECT count(*) FROM se WHERE hash_key LIKE 't%'")"

# a split in random order, paused in a parent's window, then cancelled
control split-delay 86400000 >/dev/null
control split-mode random 5 3 >/dev/null
control split se_data >/dev/null
control split-step se_data >/dev/null
control split-pause se_data >/dev/null
expect_eq "paused split: reads see every row" 15 "$(sql "SELECT count(*) FROM se")"
out=$(sql "INSERT INTO se VALUES ('h', 'p', 7)")
expect_eq "paused split: a write succeeds" "" "$out"
expect_eq "split cancelled: back to 4 partitions" "OK partitions=4" "$(control split-cancel se_data)"
expect_eq "cancelled split: a new session reads every row" 16 "$(sql "SELECT count(*) FROM se")"
expect_eq "cancelled split: the row written while paused" 7 \
	"$(sql "SELECT value FROM se WHERE hash_key = 'h' AND sort_key = 'p'")"

expect_eq "no protocol violation" "OK 0" "$(control violations)"

tap_done
