# Shell functions that start and stop the processes tests, the demo and the
# benchmarks need: a onebox and a throwaway PostgreSQL cluster.  Source this
# file; call cluster_cleanup from an EXIT trap so everything started is
# stopped even when a step fails.
#
# Settings (environment, with defaults):
#   PEGASUS_WORKDIR   scratch directory (created by cluster_init)
#   ONEBOX_META_PORT, ONEBOX_REPLICA_PORTS, ONEBOX_CONTROL_PORT
#   PG_TEST_PORT

: "${ONEBOX_META_PORT:=35601}"
: "${ONEBOX_REPLICA_PORTS:=35801,35802,35803}"
: "${ONEBOX_CONTROL_PORT:=35901}"
: "${PG_TEST_PORT:=55432}"

PG_BINDIR=$(pg_config --bindir)
ONEBOX_PID=
PG_DATA=

cluster_init()
{
	PEGASUS_WORKDIR=$(mktemp -d /tmp/pegasus_fdw.XXXXXX)
	chmod 755 "$PEGASUS_WORKDIR"
	export PEGASUS_WORKDIR
}

# pg_copy FILE: prints the path of a copy of FILE in the work directory that
# the postgres user can read.  Whatever runs as that user (the server,
# valgrind) must not read the checkout: it may lie in a directory only root
# can enter (a clone under /root or inside a mktemp -d).
pg_copy()
{
	local dir="$PEGASUS_WORKDIR/for-postgres" name
	name=$(basename "$1")
	mkdir -p "$dir" && chmod 755 "$dir" && cp "$1" "$dir/$name" &&
		chmod 644 "$dir/$name" && echo "$dir/$name"
}

# Starts the onebox; extra arguments (e.g. --table NAME:N) are passed on.
# Waits for its "ready" line.  When one of its ports is taken (they lie in
# the kernel's ephemeral range, so an outgoing connection may hold one), it
# tries again with every port moved up by 10.  Exports the ports it got.
onebox_start()
{
	local attempt
	for attempt in 1 2 3 4 5; do
		onebox_start_once "$@" && return 0
		grep -q 'Address already in use' "$PEGASUS_WORKDIR/onebox.log" || return 1
		ONEBOX_META_PORT=$((ONEBOX_META_PORT + 10))
		ONEBOX_CONTROL_PORT=$((ONEBOX_CONTROL_PORT + 10))
		ONEBOX_REPLICA_PORTS=$(echo "$ONEBOX_REPLICA_PORTS" | tr , '\n' |
			while read -r p; do echo $((p + 10)); done | paste -sd,)
		echo "trying the onebox on ports $ONEBOX_META_PORT, $ONEBOX_REPLICA_PORTS" >&2
	done
	return 1
}

onebox_start_once()
{
	local log="$PEGASUS_WORKDIR/onebox.log" fifo="$PEGASUS_WORKDIR/onebox.out" i
	: >"$fifo"
	test/onebox/pegasus-onebox --meta-port "$ONEBOX_META_PORT" \
		--replica-ports "$ONEBOX_REPLICA_PORTS" \
		--control-port "$ONEBOX_CONTROL_PORT" "$@" >"$fifo" 2>"$log" &
	ONEBOX_PID=$!
	for i in $(seq 1 300); do
		if grep -q '^ready$' "$fifo" 2>/dev/null; then
			export ONEBOX_META_PORT ONEBOX_REPLICA_PORTS ONEBOX_CONTROL_PORT
			export PEGASUS_TEST_META="127.0.0.1:$ONEBOX_META_PORT"
			export PEGASUS_TEST_CONTROL="127.0.0.1:$ONEBOX_CONTROL_PORT"
			return 0
		fi
		if ! kill -0 "$ONEBOX_PID" 2>/dev/null; then
			echo "onebox exited before it was ready:" >&2
			cat "$log" >&2
			ONEBOX_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "onebox did not print ready within 30 seconds" >&2
	return 1
}

onebox_stop()
{
	if [ -n "$ONEBOX_PID" ]; then
		kill "$ONEBOX_PID" 2>/dev/null
		wait "$ONEBOX_PID" 2>/dev/null
		ONEBOX_PID=
	fi
}

# Sends one command to the onebox control port and prints the reply.  A
# reply that is exactly OK is followed by data lines and END; any other reply
# is one line.  ONEBOX_CONTROL_PORT names the port.
onebox_control()
{
	local reply wait=5
	exec 7<>"/dev/tcp/127.0.0.1/$ONEBOX_CONTROL_PORT" || return 1
	printf '%s\n' "$*" >&7
	while IFS= read -r -t "$wait" reply <&7; do
		reply=${reply%$'\r'}
		[ "$reply" = END ] && break
		printf '%s\n' "$reply"
		[ "$reply" = OK ] || [ "$wait" != 5 ] || break
		wait=2
	done
	exec 7>&-
}

# Starts a throwaway PostgreSQL cluster owned by the postgres user (root
# cannot run postgres), listening only on a Unix socket in the work dir.
pg_start()
{
	local dir="$PEGASUS_WORKDIR/pg"
	mkdir -p "$dir"
	PG_DATA="$dir/data"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$dir"
		as_pg() { runuser -u postgres -- "$@"; }
	else
		as_pg() { "$@"; }
	fi
	(cd / && as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres -A trust \
		--no-sync --locale=C.UTF-8 -E UTF8 >"$dir/initdb.log" 2>&1) || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PG_TEST_PORT
fsync = off
max_parallel_workers_per_gather = 2
CONF
	# PEGASUS_PRELOAD=1: the statistics in the main shared memory
	if [ -n "${PEGASUS_PRELOAD:-}" ]; then
		echo "shared_preload_libraries = 'pegasus_fdw'" >>"$PG_DATA/postgresql.conf"
	fi
	(cd / && as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t 60 start >/dev/null) || {
		cat "$dir/postgres.log" >&2
		return 1
	}
	export PGHOST="$dir" PGPORT="$PG_TEST_PORT" PGUSER=postgres
}

pg_stop()
{
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		(cd / && as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1)
	fi
	PG_DATA=
}

cluster_cleanup()
{
	onebox_stop
	pg_stop
	if [ -n "${PEGASUS_WORKDIR:-}" ] && [ -z "${PEGASUS_KEEP_WORKDIR:-}" ]; then
		rm -rf "$PEGASUS_WORKDIR"
	fi
}
