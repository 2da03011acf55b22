#!/usr/bin/env bash
# Error codes injected on every RPC the FDW (and the client library under
# it) uses: rejections that are safe to retry are retried and the statement
# succeeds with the right data; other errors fail at once with a clear
# message; a request that gets no reply fails within timeout_ms.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_fault_inject || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table fi_data >/dev/null' EXIT

META_PORT=${PEGASUS_TEST_META##*:}
SHORT_MS=500
create_table fi_data 4 >/dev/null
sql "CREATE SERVER pegasus_short FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '$SHORT_MS',
                connect_timeout_ms '300');
     CREATE FOREIGN TABLE fi (hash_key text, sort_key text COLLATE \"C\", value text, ttl int)
       SERVER pegasus OPTIONS (table 'fi_data', fetch_size '50');
     CREATE FOREIGN TABLE fi_wide (hash_key text, a text, b text)
       SERVER pegasus OPTIONS (table 'fi_data', layout 'wide');
     CREATE FOREIGN TABLE fi_short (hash_key text, sort_key text COLLATE \"C\", value text, ttl int)
       SERVER pegasus_short OPTIONS (table 'fi_data', fetch_size '50');
     CREATE FOREIGN TABLE fi_short_wide (hash_key text, a text, b text)
       SERVER pegasus_short OPTIONS (table 'fi_data', layout 'wide');
     INSERT INTO fi SELECT 'h' || (i % 20), 's' || lpad(i::text, 4, '0'), i::text, NULL
       FROM generate_series(1, 400) i" >/dev/null
CLI=("$ROOT/src/tools/pegasus-cli" --meta "$PEGASUS_TEST_META" --table fi_data)

# One SQL case per RPC: name, RPC name, query (%s = table), expected result.
# INSERT cases write a fresh key (@N@ is replaced by a counter) and read it back.
CASES=(
	"get|RPC_RRDB_RRDB_GET|SELECT value FROM %s WHERE hash_key = 'h1' AND sort_key = 's0001'|1"
	"ttl|RPC_RRDB_RRDB_TTL|SELECT value, coalesce(ttl, -1) FROM %s WHERE hash_key = 'h1' AND sort_key = 's0001'|1|-1"
	"multi_get|RPC_RRDB_RRDB_MULTI_GET|SELECT string_agg(value, ',' ORDER BY sort_key) FROM %s WHERE hash_key = 'h2' AND sort_key IN ('s0002', 's0022')|2,22"
	"multi_get range|RPC_RRDB_RRDB_MULTI_GET|SELECT count(*), sum(value::int) FROM %s WHERE hash_key = 'h3' AND sort_key > 's0100'|15|3645"
	"batch_get|RPC_RRDB_RRDB_BATCH_GET|SELECT string_agg(value, ',' ORDER BY value) FROM %s WHERE hash_key IN ('h1', 'h2', 'h3', 'h4') AND sort_key IN ('s0001', 's0002')|1,2"
	"sortkey_count|RPC_RRDB_RRDB_SORTKEY_COUNT|SELECT count(*) FROM %s WHERE hash_key = 'h5'|20"
	"get_scanner|RPC_RRDB_RRDB_GET_SCANNER|SELECT count(*), sum(value::int) FROM %s|400|80200"
	"scan|RPC_RRDB_RRDB_SCAN|SELECT count(*), sum(value::int) FROM %s|400|80200"
	"put|RPC_RRDB_RRDB_PUT|INSERT INTO %s VALUES ('ins', 'k@N@', 'v@N@')|"
	"multi_put|RPC_RRDB_RRDB_MULTI_PUT|INSERT INTO %s_wide VALUES ('wide@N@', 'a@N@', 'b@N@')|"
)
SEQ=0

# run_case TABLE CASE: runs a case's statement once, prints its output.
case_field()
{
	local IFS='|'
	read -r -a F <<<"$1"
}

run_stmt()
{
	local q=${F[2]}
	q=${q//@N@/$SEQ}
	sql "$(printf "$q" "$1")"
}

# verify_insert: the row of the last INSERT case is there (by the default server)
verify_insert()
{
	case ${F[1]} in
		RPC_RRDB_RRDB_PUT) sql "SELECT value FROM fi WHERE hash_key = 'ins' AND sort_key = 'k$SEQ'" ;;
		RPC_RRDB_RRDB_MULTI_PUT) sql "SELECT a || b FROM fi_wide WHERE hash_key = 'wide$SEQ'" ;;
	esac
}

expected_of()
{
	local e=("${F[@]:3}")
	local IFS='|'
	case ${F[1]} in
		RPC_RRDB_RRDB_PUT) echo "v$SEQ" ;;
		RPC_RRDB_RRDB_MULTI_PUT) echo "a${SEQ}b${SEQ}" ;;
		*) echo "${e[*]}" ;;
	esac
}

RETRIED="ERR_INVALID_STATE ERR_OBJECT_NOT_FOUND ERR_BUSY ERR_SPLITTING ERR_NOT_ENOUGH_MEMBER ERR_CAPACITY_EXCEEDED ERR_PARENT_PARTITION_MISUSED ERR_SESSION_RESET"
FAILING="ERR_TIMEOUT ERR_ACL_DENY ERR_INVALID_DATA ERR_UNKNOWN"

for c in "${CASES[@]}"; do
	case_field "$c"
	name=${F[0]}
	rpc=${F[1]}

	# baseline: how many such requests the statement sends without faults
	SEQ=$((SEQ + 1))
	control reset-counters >/dev/null
	out=$(run_stmt fi)
	[ -n "${F[3]}" ] || out=$(verify_insert)
	base=$(rpc_count "$rpc")
	expect_eq "$name: result without faults" "$(expected_of)" "$out"
	if [ "$base" -lt 1 ]; then
		not_ok "$name: the statement sends $rpc"
		continue
	fi

	for e in $RETRIED; do
		SEQ=$((SEQ + 1))
		control reset-counters >/dev/null
		control fail '*' "$rpc" 1 "$e" >/dev/null
		t0=$(now_ms)
		out=$(run_stmt fi)
		el=$(($(now_ms) - t0))
		[ -n "${F[3]}" ] || [ -n "$out" ] || out=$(verify_insert)
		n=$(rpc_count "$rpc")
		control clear-faults >/dev/null
		if [ "$out" = "$(expected_of)" ] && [ "$n" -gt "$base" ] && in_time "$el" 0 3000; then
			ok "$name: $e is retried and the statement succeeds"
		else
			not_ok "$name: $e is retried and the statement succeeds"
			printf '#   output: %s\n#   %s requests: %s (without faults %s), %s ms\n' \
				"$out" "$rpc" "$n" "$base" "$el"
		fi
	done

	for e in $FAILING; do
		SEQ=$((SEQ + 1))
		control fail '*' "$rpc" 1 "$e" >/dev/null
		t0=$(now_ms)
		out=$(run_stmt fi)
		el=$(($(now_ms) - t0))
		control clear-faults >/dev/null
		if grep -q "^ERROR: .*Pegasus" <<<"$out" && grep -q "answered .* with $e" <<<"$out" &&
			in_time "$el" 0 1000; then
			ok "$name: $e fails at once with a clear error"
		else
			not_ok "$name: $e fails at once with a clear error"
			printf '#   %s ms: %s\n' "$el" "$(tr '\n' ' ' <<<"$out")"
		fi
	done

	# no reply at all: the statement ends at timeout_ms with a timeout error
	SEQ=$((SEQ + 1))
	control fail '*' "$rpc" 1 noreply >/dev/null
	t0=$(now_ms)
	out=$(run_stmt fi_short)
	el=$(($(now_ms) - t0))
	control clear-faults >/dev/null
	if grep -q "^ERROR: .*timed out" <<<"$out" && in_time "$el" "$SHORT_MS" $((SHORT_MS + 1000)); then
		ok "$name: no reply fails with a timeout after timeout_ms (${el} ms)"
	else
		not_ok "$name: no reply fails with a timeout after timeout_ms"
		printf '#   %s ms: %s\n' "$el" "$(tr '\n' ' ' <<<"$out")"
	fi
	case $rpc in
		*PUT)
			expect_match "$name: a write without reply says its outcome is unknown" \
				"may or may not have been applied" "$out" ;;
	esac
done

# --- backoff and deadline of retries ---------------------------------------
# five rejections in a row: waits of 10, 20, 40, 80 and 160 ms, then success
control fail '*' RPC_RRDB_RRDB_GET 5 ERR_BUSY >/dev/null
t0=$(now_ms)
out=$(sql "SELECT value FROM fi WHERE hash_key = 'h1' AND sort_key = 's0001'")
el=$(($(now_ms) - t0))
control clear-faults >/dev/null
expect_eq "five ERR_BUSY in a row: still retried" "1" "$out"
if in_time "$el" 300 1500; then
	ok "five ERR_BUSY in a row: exponential backoff (${el} ms)"
else
	not_ok "five ERR_BUSY in a row: exponential backoff"
	printf '#   took %s ms, expected about 310 ms of backoff\n' "$el"
fi
# rejections without end: the statement fails at timeout_ms, naming the cause
control fail '*' RPC_RRDB_RRDB_GET 1000 ERR_BUSY >/dev/null
t0=$(now_ms)
out=$(sql "SELECT value FROM fi_short WHERE hash_key = 'h1' AND sort_key = 's0001'")
el=$(($(now_ms) - t0))
control clear-faults >/dev/null
expect_match "endless ERR_BUSY: the error names the last answer" "answered get with ERR_BUSY" "$out"
if in_time "$el" $((SHORT_MS - 50)) $((SHORT_MS + 1000)); then
	ok "endless ERR_BUSY: retries stop at timeout_ms (${el} ms)"
else
	not_ok "endless ERR_BUSY: retries stop at timeout_ms"
	printf '#   took %s ms, timeout_ms %s\n' "$el" "$SHORT_MS"
fi

# --- the meta server's query_cfg (each new session opens the table) -------
# Planning asks for the partition count (and falls back to a default when
# that fails), execution opens the table again: two requests per statement.
QCFG=RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX
for e in ERR_BUSY ERR_INVALID_STATE ERR_SESSION_RESET; do
	control reset-counters >/dev/null
	control fail "$META_PORT" "$QCFG" 2 "$e" >/dev/null
	out=$(sql "SELECT value FROM fi WHERE hash_key = 'h1' AND sort_key = 's0001'")
	n=$(rpc_count "$QCFG")
	control clear-faults >/dev/null
	expect_eq "query_cfg: $e from the meta server is retried ($n requests)" "1" "$out"
done
for e in ERR_ACL_DENY ERR_UNKNOWN; do
	control fail "$META_PORT" "$QCFG" 2 "$e" >/dev/null
	t0=$(now_ms)
	out=$(sql "SELECT value FROM fi WHERE hash_key = 'h1' AND sort_key = 's0001'")
	el=$(($(now_ms) - t0))
	control clear-faults >/dev/null
	expect_match "query_cfg: $e from the meta server is a clear error" \
		"answered query_cfg with $e" "$out"
	within "query_cfg: $e fails at once" 1000 "$el"
done
control fail "$META_PORT" "$QCFG" 2 noreply >/dev/null
t0=$(now_ms)
out=$(sql "SELECT value FROM fi_short WHERE hash_key = 'h1' AND sort_key = 's0001'")
el=$(($(now_ms) - t0))
control clear-faults >/dev/null
expect_match "query_cfg: no reply from the meta server is a timeout error" "^ERROR: .*(timed out|in time)" "$out"
within "query_cfg: no reply ends within connect_timeout_ms + timeout_ms" $((300 + SHORT_MS + 1000)) "$el"
expect_eq "query_cfg: the next session works" "1" \
	"$(sql "SELECT value FROM fi_short WHERE hash_key = 'h1' AND sort_key = 's0001'")"

# --- write RPCs the FDW does not issue yet, through the same client --------
"${CLI[@]}" set dh a 1 >/dev/null
"${CLI[@]}" multi_set mh a 1 b 2 >/dev/null
"${CLI[@]}" set cnt c 10 >/dev/null
for e in ERR_INVALID_STATE ERR_BUSY; do
	control fail '*' RPC_RRDB_RRDB_REMOVE 1 "$e" >/dev/null
	"${CLI[@]}" del dh a >/dev/null 2>&1
	expect_eq "remove: $e is retried" "false" "$("${CLI[@]}" exist dh a 2>&1)"
	"${CLI[@]}" set dh a 1 >/dev/null
	control fail '*' RPC_RRDB_RRDB_MULTI_REMOVE 1 "$e" >/dev/null
	"${CLI[@]}" multi_del mh a b >/dev/null 2>&1
	expect_eq "multi_remove: $e is retried" "0" "$("${CLI[@]}" sortkey_count mh 2>&1)"
	"${CLI[@]}" multi_set mh a 1 b 2 >/dev/null
	# a rejected incr was not applied: retrying it adds exactly once
	before=$("${CLI[@]}" get cnt c)
	control fail '*' RPC_RRDB_RRDB_INCR 1 "$e" >/dev/null
	after=$("${CLI[@]}" incr cnt c 1 2>&1)
	expect_eq "incr: $e is retried and applied once" "$((before + 1))" "$after"
	control fail '*' RPC_RRDB_RRDB_CHECK_AND_SET 1 "$e" >/dev/null
	"${CLI[@]}" del cas "$e" >/dev/null
	expect_eq "check_and_set: $e is retried" "succeeded" \
		"$("${CLI[@]}" check_and_set cas "$e" value_not_exist "" "$e" v 2>&1)"
	control clear-faults >/dev/null
done
for rpc in INCR CHECK_AND_SET; do
	control fail '*' "RPC_RRDB_RRDB_$rpc" 1 noreply >/dev/null
	t0=$(now_ms)
	if [ $rpc = INCR ]; then
		out=$("${CLI[@]}" --timeout $SHORT_MS incr cnt c 1 2>&1)
	else
		out=$("${CLI[@]}" --timeout $SHORT_MS check_and_set cas x value_not_exist "" x v 2>&1)
	fi
	rc=$?
	el=$(($(now_ms) - t0))
	control clear-faults >/dev/null
	if [ $rc -ne 0 ] && grep -q "may or may not have been applied" <<<"$out" &&
		in_time "$el" 0 $((SHORT_MS + 1000)); then
		ok "${rpc,,}: no reply is not re-sent and reports an unknown outcome (${el} ms)"
	else
		not_ok "${rpc,,}: no reply is not re-sent and reports an unknown outcome"
		printf '#   rc %s, %s ms: %s\n' "$rc" "$el" "$out"
	fi
done

expect_eq "no protocol violation" "OK 0" "$(control violations)"
tap_done
