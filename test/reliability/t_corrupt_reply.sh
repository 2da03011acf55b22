#!/usr/bin/env bash
# Corrupt, truncated, oversized replies, replies with a wrong name or a
# seqid no request had: each gives an ERROR (or, for a read cut short, a
# transparent re-send), never a crash; the backend stays the same, the
# connection is dropped and made again, and the next statement is right.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_corrupt || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table cr_data >/dev/null' EXIT

META_PORT=${PEGASUS_TEST_META##*:}
app=$(create_table cr_data 1)
port=$(replica_of "$app" 0)
sql "CREATE FOREIGN TABLE cr (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'cr_data', fetch_size '100');
     INSERT INTO cr SELECT 'h' || (i % 10), 's' || lpad(i::text, 4, '0'), i::text
       FROM generate_series(1, 600) i" >/dev/null
crashes0=$(crash_count)

sess_open cr_sess
pid=$(sess_run "SELECT pg_backend_pid();")
sess_run "SELECT count(*) FROM cr;" >/dev/null

# name|statement|its correct result
OPS=(
	"get|SELECT value FROM cr WHERE hash_key = 'h1' AND sort_key = 's0001';|1"
	"multi_get|SELECT string_agg(value, ',' ORDER BY sort_key) FROM cr WHERE hash_key = 'h2' AND sort_key IN ('s0002', 's0012');|2,12"
	"scan|SELECT count(*) FILTER (WHERE hash_key <> 'new'), sum(CASE WHEN hash_key = 'new' THEN 0 ELSE value::int END) FROM cr;|600|180300"
	"insert|INSERT INTO cr VALUES ('new', 'k@N@', 'v');|"
)
N=0
connects()
{
	sess_run "SELECT sum(connects) FROM pegasus_fdw_connections();"
}

for mode in garbage truncated oversized badname badseqid; do
	for op in "${OPS[@]}"; do
		IFS='|' read -r name stmt want <<<"$op"
		want=${op#*|*|}
		N=$((N + 1))
		stmt=${stmt//@N@/$N}
		c0=$(connects)
		control corrupt "$port" "$mode" >/dev/null
		t0=$(now_ms)
		out=$(sess_run "$stmt")
		el=$(($(now_ms) - t0))
		tag="$mode reply to $name"
		if grep -q "ERROR:" <<<"$out"; then
			if grep -qE "ERROR:  (could not execute Pegasus|could not write a batch|could not confirm Pegasus)" <<<"$out" &&
				grep -qE "malformed|invalid frame|seqid|closed|exceeds" <<<"$out" &&
				in_time "$el" 0 2000; then
				ok "$tag: a clear error (${el} ms)"
			else
				not_ok "$tag: a clear error"
				printf '#   %s ms: %s\n' "$el" "$(tr '\n' ' ' <<<"$out")"
			fi
			[ "$name" = insert ] && expect_match "$tag: the write is reported as possibly applied" \
				"may or may not" "$out"
		elif [ "$mode" = truncated ] && [ "$out" = "$want" ]; then
			# the connection closed mid-reply: a read is re-sent, so is an
			# idempotent write
			ok "$tag: re-sent on a new connection"
		else
			not_ok "$tag: an error or, when cut short, a re-send"
			printf '#   %s ms: %s\n' "$el" "$(tr '\n' ' ' <<<"$out")"
		fi
		expect_eq "$tag: same backend" "$pid" "$(sess_run "SELECT pg_backend_pid();")"
		expect_eq "$tag: next statement is right" "$N" \
			"$(sess_run "SELECT value FROM cr WHERE hash_key = 'h$((N % 10))' AND sort_key = 's$(printf %04d $N)';")"
		c1=$(connects)
		check "$tag: the connection was made again ($c0 -> $c1 connects)" [ "$c1" -gt "$c0" ]
	done
	# the meta server's reply (list_apps)
	control reset-counters >/dev/null
	control corrupt "$META_PORT" "$mode" >/dev/null
	out=$(sess_run "SELECT count(*) > 0 FROM pegasus_fdw_list_tables('pegasus');")
	n=$(rpc_count RPC_CM_LIST_APPS)
	if [ "$out" = t ]; then
		# meta requests are reads here: asked again on a new connection
		check "$mode reply of the meta server: asked again ($n requests)" [ "$n" -ge 2 ]
	else
		expect_match "$mode reply of the meta server: a clear error" \
			"ERROR:  .*(Pegasus|meta)" "$out"
	fi
	expect_eq "$mode reply of the meta server: next call works" "t" \
		"$(sess_run "SELECT count(*) > 0 FROM pegasus_fdw_list_tables('pegasus');")"
done
expect_eq "everything is still there" "$((600 + 0))" \
	"$(sess_run "SELECT count(*) FROM cr WHERE hash_key <> 'new';")"
sess_close
expect_eq "no backend crashed" "$crashes0" "$(crash_count)"
expect_no_match "no server process exited abnormally" \
	"terminated by signal|server process .* exited with exit code [1-9]" "$(cat "$PG_LOG" 2>/dev/null)"
tap_done
