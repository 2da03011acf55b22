# Helpers of the fault, cancel, corrupt and valgrind scripts (sourced after
# lib.sh is loaded by this file).  Replica ports come from
# ONEBOX_REPLICA_PORTS (the suite's default when it is not exported).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${ONEBOX_REPLICA_PORTS:=35801,35802,35803}"
IFS=, read -r -a REPLICA_PORTS <<<"$ONEBOX_REPLICA_PORTS"
PG_LOG="$PEGASUS_WORKDIR/pg/postgres.log"
# Ports of the oneboxes scripts start themselves (meta failover): derived
# from RELIABILITY_PORT_BASE, by default next to the suite's own onebox
# ports (meta port + 70 and up), so that runs given different ports stay
# apart without further settings.
: "${RELIABILITY_PORT_BASE:=$((${ONEBOX_META_PORT:-35601} - 551))}"

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# session: runs the SQL on stdin in one psql session, continuing after
# errors; prints tuples (unaligned) and error lines.
session()
{
	psql -X -q -At -v ON_ERROR_STOP=0 -f - 2>&1
}

# crash_count: backend crashes the postmaster has logged so far.
crash_count()
{
	local n
	n=$(grep -cE 'terminated by signal|server process .* exited with exit code [^0]' \
		"$PG_LOG" 2>/dev/null)
	echo "${n:-0}"
}

# replica_of APP_ID PIDX: the port serving a partition of a table created
# by the onebox (partition i of app a is on replica (a + i) mod n).
replica_of()
{
	echo "${REPLICA_PORTS[$((($1 + $2) % ${#REPLICA_PORTS[@]}))]}"
}

# other_replica PORT: some replica port other than PORT.
other_replica()
{
	local i
	for i in "${!REPLICA_PORTS[@]}"; do
		if [ "${REPLICA_PORTS[$i]}" = "$1" ]; then
			echo "${REPLICA_PORTS[$(((i + 1) % ${#REPLICA_PORTS[@]}))]}"
			return
		fi
	done
	echo "${REPLICA_PORTS[0]}"
}

# create_table NAME PARTITIONS: creates a Pegasus table, prints its app id.
create_table()
{
	control drop-table "$1" >/dev/null
	control create "$1" "$2" | sed -n 's/^OK app_id=\([0-9]*\).*/\1/p'
}

# rpc_count NAME: requests named NAME the onebox received on all endpoints
# since the last reset-counters.
rpc_count()
{
	control counters | awk -v n="$1" '$2 == n { s += $3 } END { print s + 0 }'
}

# all_latency MS: the same reply delay on every replica.
all_latency()
{
	local p
	for p in "${REPLICA_PORTS[@]}"; do control latency "$p" "$1" >/dev/null; done
}

# restore_onebox: disarm faults, restart stopped replicas (cleanup traps).
restore_onebox()
{
	local p
	control clear-faults >/dev/null
	for p in "${REPLICA_PORTS[@]}"; do control start "$p" >/dev/null; done
}

# within NAME MS_MAX MS: ok when MS <= MS_MAX + LOAD_SLACK_MS.
within()
{
	if [ "$3" -le $(($2 + LOAD_SLACK_MS)) ]; then
		ok "$1 (${3} ms)"
	else
		not_ok "$1"
		printf '#   took %s ms, limit %s ms + %s ms for load\n' "$3" "$2" "$LOAD_SLACK_MS"
	fi
}

# wait_until SECONDS SQL: polls until the query returns t (the state a
# statement of another session must have reached); false after SECONDS.
wait_until()
{
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		[ "$(sql "$2")" = t ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_running PID [any]: waits until the backend PID runs a statement and
# waits in the FDW (an RPC or a rate-limit pause); with "any", until it
# runs a statement at all (a parallel leader waits for its workers).
wait_running()
{
	local cond="state = 'active'"
	[ "${2:-}" = any ] || cond="$cond AND wait_event_type = 'Extension'"
	wait_until 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE pid = $1 AND $cond"
}

# wait_app_running APPNAME [any]: the same for the session whose
# application_name is APPNAME (the first backend of that name).
wait_app_running()
{
	local pid i
	for ((i = 0; i < 600; i++)); do
		pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'
		           AND backend_type = 'client backend' ORDER BY backend_start LIMIT 1")
		[ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ] && wait_running "$pid" "${2:-}"
}

# One long-lived psql session driven statement by statement, so that
# control commands and timings can be placed between its statements.
#   sess_open NAME; sess_run SQL; sess_send SQL; sess_wait; sess_close
SESS_N=0
SESS_FD=
SESS_OUT=
SESS_PID=
SESS_START=0

sess_open()
{
	local fifo="$PEGASUS_WORKDIR/$1.in"
	SESS_OUT="$PEGASUS_WORKDIR/$1.out"
	rm -f "$fifo"
	mkfifo "$fifo"
	: >"$SESS_OUT"
	echo 0 >"$SESS_OUT.n"
	PGAPPNAME=$1 psql -X -q -At -v ON_ERROR_STOP=0 -f - <"$fifo" >"$SESS_OUT" 2>&1 &
	SESS_PID=$!
	exec {SESS_FD}>"$fifo"
}

# sess_send SQL: sends one statement (ending with ;) without waiting.
sess_send()
{
	# kept in files: callers often run these in $(...) subshells
	SESS_N=$(($(cat "$SESS_OUT.n" 2>/dev/null || echo 0) + 1))
	echo "$SESS_N" >"$SESS_OUT.n"
	stat -c %s "$SESS_OUT" >"$SESS_OUT.start"
	# once psql has ended (its backend died), a write into its FIFO would
	# kill this script with SIGPIPE and lose every later check: say so
	# in the session's output instead
	if ! kill -0 "$SESS_PID" 2>/dev/null || ! (trap '' PIPE
		printf '%s\n\\echo @@done %d\n' "$1" "$SESS_N" >&"$SESS_FD") 2>/dev/null; then
		printf 'ERROR:  the session has ended\n@@done %d\n' "$SESS_N" >>"$SESS_OUT"
	fi
}

# sess_wait [SECONDS]: waits for the last sent statement, prints its output.
sess_wait()
{
	local i limit=$((${1:-30} * 50))
	SESS_N=$(cat "$SESS_OUT.n")
	SESS_START=$(cat "$SESS_OUT.start")
	for ((i = 0; i < limit; i++)); do
		grep -q "^@@done $SESS_N\$" "$SESS_OUT" && break
		if ! kill -0 "$SESS_PID" 2>/dev/null; then
			grep -q "^@@done $SESS_N\$" "$SESS_OUT" ||
				printf 'ERROR:  the session has ended\n@@done %d\n' "$SESS_N" >>"$SESS_OUT"
			break
		fi
		sleep 0.02
	done
	tail -c +"$((SESS_START + 1))" "$SESS_OUT" | sed "/^@@done $SESS_N\$/,\$d"
}

sess_run()
{
	sess_send "$1"
	sess_wait "${2:-30}"
}

sess_close()
{
	exec {SESS_FD}>&-
	wait "$SESS_PID" 2>/dev/null
}
