#!/usr/bin/env bash
# A PostgreSQL backend under valgrind (memcheck) runs the FDW through the
# faults of the other scripts: retried and failing error codes, corrupt
# replies, timeouts, statement_timeout, moves, a stopped replica, unknown
# write outcomes, an early-closed scan.  Expected: no invalid access,
# uninitialised use or bad free in a stack through pegasus_fdw.so, and no
# "definitely lost" memory that grows with the number of rounds (measured
# with vgdb after the first round and at the end).  The client unit tests
# run under valgrind too.
#
# The backend is a stand-alone one (postgres --single) on a throwaway data
# directory, fed statement by statement through a FIFO.  CI runs 4 rounds
# (2 to warm up, 2 measured); RELIABILITY_VALGRIND_LONG=1 runs 11 and every
# unit test program (RELIABILITY_VALGRIND_ROUNDS sets the count).
. "$(dirname "$0")/fault_lib.sh"

if ! command -v valgrind >/dev/null || ! command -v vgdb >/dev/null; then
	skip "backend under valgrind" "valgrind is not installed"
	tap_done
	exit 0
fi
ROUNDS=${RELIABILITY_VALGRIND_ROUNDS:-3}
[ -n "${RELIABILITY_VALGRIND_LONG:-}" ] && ROUNDS=${RELIABILITY_VALGRIND_ROUNDS:-10}
BIN=$(pg_config --bindir)
VG="$PEGASUS_WORKDIR/vg"
# read by valgrind as postgres: a copy, not the checkout's file
SUPP=$(pg_copy "$ROOT/test/reliability/valgrind.supp") || {
	not_ok "valgrind suppressions copied to the work directory"
	tap_done
	exit 1
}
VG_PID=
rm -rf "$VG"
mkdir -p "$VG"
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$VG"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

cleanup()
{
	[ -n "${VG_FD:-}" ] && exec {VG_FD}>&-
	if [ -n "$VG_PID" ]; then
		for _ in $(seq 1 300); do kill -0 "$VG_PID" 2>/dev/null || break; sleep 0.1; done
		kill "$VG_PID" 2>/dev/null
	fi
	restore_onebox
	control drop-table vg_data >/dev/null
}
trap cleanup EXIT

app=$(create_table vg_data 1)
port=$(replica_of "$app" 0)

(cd / && as_pg "$BIN/initdb" -D "$VG/data" -U postgres -A trust --no-sync \
	--locale=C.UTF-8 -E UTF8 >"$VG/initdb.log" 2>&1) || {
	not_ok "throwaway data directory"
	sed 's/^/# /' "$VG/initdb.log" | tail -5
	tap_done
	exit 1
}
mkfifo "$VG/in"
chown postgres "$VG/in" 2>/dev/null
: >"$VG/out"
: >"$VG/err"
(cd / && as_pg valgrind --leak-check=full --num-callers=40 --track-origins=no \
	--suppressions="$SUPP" --log-file="$VG/valgrind.log" \
	"$BIN/postgres" --single -D "$VG/data" -c max_stack_depth=2MB postgres \
	<"$VG/in" >"$VG/out" 2>"$VG/err") &
VG_PID=$!
exec {VG_FD}>"$VG/in"

# backend_gone: true once the stand-alone backend has ended; says once why
# (its last lines and valgrind's), so a failure is diagnosed from the log.
backend_gone()
{
	kill -0 "$VG_PID" 2>/dev/null && return 1
	if [ ! -e "$VG/gone" ]; then
		: >"$VG/gone"
		{
			echo "# the backend under valgrind has ended; its last lines:"
			tail -n 8 "$VG/err" | sed 's/^/#   /'
			echo "# valgrind:"
			if grep -q 'Process terminating' "$VG/valgrind.log"; then
				grep -A 10 'Process terminating' "$VG/valgrind.log" | sed -n '1,11s/^/#   /p'
			else
				grep -vE '^==[0-9]+== *$' "$VG/valgrind.log" | tail -n 12 | sed 's/^/#   /'
			fi
		} >&2
	fi
	return 0
}

# vsql STATEMENT: runs one statement (one line) in the stand-alone
# backend, waits for it; prints its result values and ERROR lines.  Once
# the backend has ended it prints an ERROR line instead: a write into the
# FIFO nobody reads would kill this script with SIGPIPE, losing every check
# after it.
vsql()
{
	local errpos outpos i
	# a file, not a variable: vsql often runs in a $(...) subshell
	MARK=$(($(cat "$VG/mark" 2>/dev/null || echo 0) + 1))
	echo "$MARK" >"$VG/mark"
	errpos=$(stat -c %s "$VG/err")
	outpos=$(stat -c %s "$VG/out")
	if backend_gone || ! (trap '' PIPE
		printf '%s\nSELECT '"'"'vgmark_%d'"'"';\n' "$1" "$MARK" >&"$VG_FD") 2>/dev/null; then
		backend_gone
		echo "ERROR: the backend under valgrind has ended"
		return
	fi
	for ((i = 0; i < 3000; i++)); do
		grep -q "\"vgmark_$MARK\"" "$VG/out" && break
		backend_gone && break
		sleep 0.05
	done
	tail -c +"$((outpos + 1))" "$VG/out" | grep -v vgmark |
		sed -n 's/^\t *[0-9]*: [^=]* = "\(.*\)"\t.*/\1/p' | paste -sd'|'
	tail -c +"$((errpos + 1))" "$VG/err" | sed -n 's/^.*\] \(ERROR: .*\)/\1/p' | sed -n '1,2p'
	grep -q "\"vgmark_$MARK\"" "$VG/out" || echo "ERROR: no answer from the backend under valgrind"
}

# has TEXT WORDS: true when TEXT contains WORDS (no pipe into grep -q: the
# writer would get SIGPIPE when grep stops early)
has()
{
	[[ $1 == *"$2"* ]]
}

expect_eq "backend under valgrind answers" "1" "$(vsql "SELECT 1;")"
bpid=$(vsql "SELECT pg_backend_pid();")
vsql "CREATE EXTENSION pegasus_fdw;" >/dev/null
vsql "CREATE SERVER pg FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '$PEGASUS_TEST_META');" >/dev/null
vsql "CREATE SERVER pgs FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '400', connect_timeout_ms '200');" >/dev/null
vsql "CREATE FOREIGN TABLE v (hash_key text, sort_key text COLLATE \"C\", value text) SERVER pg OPTIONS (table 'vg_data', fetch_size '40');" >/dev/null
vsql "CREATE FOREIGN TABLE vs (hash_key text, sort_key text COLLATE \"C\", value text) SERVER pgs OPTIONS (table 'vg_data', fetch_size '40');" >/dev/null
vsql "CREATE FOREIGN TABLE vw (hash_key text, a text, b text) SERVER pg OPTIONS (table 'vg_data', layout 'wide');" >/dev/null
out=$(vsql "INSERT INTO v SELECT 'h' || (i % 10), 's' || lpad(i::text, 4, '0'), i::text FROM generate_series(1, 300) i;")
expect_eq "rows loaded through the backend under valgrind" "" "$out"

GET="SELECT value FROM v WHERE hash_key = 'h1' AND sort_key = 's0001';"
GETS="SELECT value FROM vs WHERE hash_key = 'h1' AND sort_key = 's0001';"
MGET="SELECT string_agg(value, ',' ORDER BY sort_key) FROM v WHERE hash_key = 'h2' AND sort_key IN ('s0002', 's0012');"
SCAN="SELECT count(*), sum(value::int) FROM v WHERE hash_key LIKE 'h%';"
RANGE="SELECT count(*) FROM v WHERE hash_key = 'h3' AND sort_key > 's0100';"

# one_round N: every fault once; prints nothing, counts bad outcomes in BAD
one_round()
{
	local r=$1 out other
	BAD=()
	[ "$(vsql "$SCAN")" = "300|45150" ] || BAD+=("scan")
	control fail "$port" RPC_RRDB_RRDB_GET 1 ERR_BUSY >/dev/null
	[ "$(vsql "$GET")" = 1 ] || BAD+=("retried ERR_BUSY")
	control fail "$port" RPC_RRDB_RRDB_GET 1 ERR_ACL_DENY >/dev/null
	has "$(vsql "$GET")" "ERROR:" || BAD+=("ERR_ACL_DENY error")
	for mode in garbage truncated oversized badname badseqid; do
		control corrupt "$port" "$mode" >/dev/null
		out=$(vsql "$GET")
		[ "$out" = 1 ] || has "$out" "ERROR:" || BAD+=("corrupt $mode get")
		control corrupt "$port" "$mode" >/dev/null
		out=$(vsql "$MGET")
		[ "$out" = "2,12" ] || has "$out" "ERROR:" || BAD+=("corrupt $mode multi_get")
	done
	control corrupt "$port" garbage >/dev/null
	has "$(vsql "$SCAN")" "ERROR:" || BAD+=("corrupt scan")
	control latency "$port" 1500 >/dev/null
	has "$(vsql "$GETS")" "timed out" || BAD+=("timeout")
	control latency "$port" 2000 >/dev/null
	vsql "SET statement_timeout = 300;" >/dev/null
	has "$(vsql "$SCAN")" "statement timeout" || BAD+=("statement_timeout")
	vsql "RESET statement_timeout;" >/dev/null
	control latency "$port" 0 >/dev/null
	control fail "$port" RPC_RRDB_RRDB_MULTI_PUT 1 ERR_BUSY >/dev/null
	control fail "$port" RPC_RRDB_RRDB_PUT 1 ERR_BUSY >/dev/null
	out=$(vsql "INSERT INTO v SELECT 'w$r', 's' || i, i::text FROM generate_series(1, 30) i;")
	[ -z "$out" ] || BAD+=("retried INSERT: $out")
	control clear-faults >/dev/null
	control fail "$port" RPC_RRDB_RRDB_MULTI_PUT 1 noreply >/dev/null
	control fail "$port" RPC_RRDB_RRDB_PUT 1 noreply >/dev/null
	has "$(vsql "INSERT INTO vs VALUES ('u$r', 'a', '1'), ('u$r', 'b', '2');")" "ERROR:" ||
		BAD+=("unknown INSERT outcome")
	control clear-faults >/dev/null
	has "$(vsql "INSERT INTO vw VALUES ('wide$r', 'x', 'y');")" "ERROR:" && BAD+=("wide INSERT")
	other=$(other_replica "$port")
	control move vg_data 0 "$other" >/dev/null
	port=$other
	[ "$(vsql "$RANGE")" = 20 ] || BAD+=("range read after a move")
	control stop "$port" >/dev/null
	out=$(vsql "$GETS")
	grep -qE "could not connect|timed out" <<<"$out" || BAD+=("stopped replica: $out")
	control start "$port" >/dev/null
	[ "$(vsql "SELECT count(*) FROM (SELECT * FROM v LIMIT 3) s;")" = 3 ] || BAD+=("LIMIT")
	vsql "SELECT count(*) FROM pegasus_fdw_connections();" >/dev/null
	vsql "SELECT pegasus_fdw_disconnect_all();" >/dev/null
	[ "$(vsql "$MGET")" = "2,12" ] || BAD+=("multi_get after disconnect")
}

# leak_summary: "DEFINITE REACHABLE" bytes now (vgdb monitor command)
leak_summary()
{
	(cd / && as_pg vgdb --pid="$bpid" leak_check summary 2>&1) |
		sed -n 's/.*\(definitely lost\|still reachable\): \([0-9,]*\) .*/\2/p' | tr -d , |
		paste -sd' '
}

one_round 0
expect_eq "round 1: every fault gives the expected outcome" "" "${BAD[*]}"
# two warm-up rounds fill PostgreSQL's caches; then the heap must stay put
one_round 1
expect_eq "round 2: every fault gives the expected outcome" "" "${BAD[*]}"
read -r lost1 reach1 <<<"$(leak_summary)"
check "leak check after the warm-up rounds (definitely lost: ${lost1:-?} bytes)" [ -n "$lost1" ]
for r in $(seq 2 "$ROUNDS"); do
	one_round "$r"
	expect_eq "round $((r + 1)): every fault gives the expected outcome" "" "${BAD[*]}"
done
read -r lostn reachn <<<"$(leak_summary)"
expect_eq "definitely lost memory does not grow over $((ROUNDS - 1)) more rounds" \
	"${lost1:-x}" "${lostn:-y}"
if [ -n "$reach1" ] && [ -n "$reachn" ] && [ $((reachn - reach1)) -le 65536 ]; then
	ok "reachable memory does not grow over $((ROUNDS - 1)) more rounds ($reach1 -> $reachn bytes)"
else
	not_ok "reachable memory does not grow over $((ROUNDS - 1)) more rounds"
	echo "#   still reachable: ${reach1:-?} bytes after warm-up, ${reachn:-?} at the end"
fi
expect_eq "same backend process throughout" "$bpid" "$(vsql "SELECT pg_backend_pid();")"

# end the backend, then read valgrind's report
exec {VG_FD}>&-
VG_FD=
for _ in $(seq 1 600); do kill -0 "$VG_PID" 2>/dev/null || break; sleep 0.1; done
wait "$VG_PID"
vg_status=$?
valgrind_ended "$VG/valgrind.log" "$vg_status"
expect_eq "backend exited normally" "0" "$vg_status"
VG_PID=
report="$VG/valgrind.log"
# error blocks: from a "==PID== <kind>" line to the next blank one
ours=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and dest|Argument)/ { blk = $0; inblk = 1; next }
	inblk && /^==[0-9]+== *$/ { if (blk ~ /pegasus_fdw|pegasus_|pegfdw_/) { print blk; n++ } inblk = 0; next }
	inblk { blk = blk "\n" $0 }' "$report")
if [ -z "$ours" ]; then
	ok "no invalid access or uninitialised use through pegasus_fdw under valgrind"
else
	not_ok "no invalid access or uninitialised use through pegasus_fdw under valgrind"
	printf '%s\n' "$ours" | sed -n '1,40s/^/#   /p'
fi
leaks=$(awk '/are definitely lost in loss record/ { blk = $0; inblk = 1; next }
	inblk && /^==[0-9]+== *$/ { if (blk ~ /pegasus_fdw|pegasus_|pegfdw_/) print blk; inblk = 0; next }
	inblk { blk = blk "\n" $0 }' "$report")
if [ -z "$leaks" ]; then
	ok "no memory definitely lost through pegasus_fdw at exit"
else
	not_ok "no memory definitely lost through pegasus_fdw at exit"
	printf '%s\n' "$leaks" | sed -n '1,40s/^/#   /p'
fi
others=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched)' "$report")
echo "# valgrind reports outside pegasus_fdw: $others (see $report)"

# --- the client's own tests under valgrind ---------------------------------
if [ -n "${RELIABILITY_VALGRIND_LONG:-}" ]; then
	progs=("$ROOT"/test/unit/test_*)
else
	progs=("$ROOT/test/unit/test_client_faults" "$ROOT/test/unit/test_client_scan")
fi
for prog in "${progs[@]}"; do
	[ -x "$prog" ] && [ "${prog%.c}" = "$prog" ] && [ "${prog%.o}" = "$prog" ] || continue
	out=$(valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 "$prog" --tap 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q '^not ok' <<<"$out"; then
		ok "$(basename "$prog") under valgrind"
	else
		not_ok "$(basename "$prog") under valgrind (exit $rc)"
		grep -E '^not ok|==[0-9]+==' <<<"$out" | sed -n '1,20s/^/#   /p'
	fi
done
tap_done
