#!/usr/bin/env bash
# Meta server failover, on a onebox of its own with two meta endpoints
# (ports from RELIABILITY_PORT_BASE, by default the suite's meta port - 551:
# metas +621 and +622, replicas +821..+823, control +921).  The FDW's meta_servers lists both:
# a follower forwards to the leader, a stopped leader is skipped once the
# other meta server leads, cached routing survives a meta outage, and with
# no meta server at all the error is clear and comes by timeout_ms.
. "$(dirname "$0")/fault_lib.sh"

OWN_LOG="$PEGASUS_WORKDIR/meta_onebox.log"
OWN_PID=

setup_db rel_fault_meta || { not_ok "scratch database"; tap_done; exit 1; }
trap 'kill $OWN_PID 2>/dev/null; wait $OWN_PID 2>/dev/null' EXIT

# Ports of the range can be taken for a moment by the local end of some
# connection (they are in the ephemeral range): try a few sets.
for try in 0 1 2 3 4; do
	B=$((RELIABILITY_PORT_BASE + try * 5))
	MA=$((B + 621))
	MB=$((B + 622))
	REPL="$((B + 821)),$((B + 822)),$((B + 823))"
	CP=$((B + 921))
	"$ROOT/test/onebox/pegasus-onebox" --meta-port "$MA,$MB" --replica-ports "$REPL" \
		--control-port "$CP" --table fmeta:4 >"$OWN_LOG.out" 2>"$OWN_LOG" &
	OWN_PID=$!
	for _ in $(seq 1 600); do
		grep -q '^ready$' "$OWN_LOG.out" 2>/dev/null && break
		kill -0 "$OWN_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready$' "$OWN_LOG.out" && break
	kill "$OWN_PID" 2>/dev/null
	wait "$OWN_PID" 2>/dev/null
done
if ! grep -q '^ready$' "$OWN_LOG.out"; then
	not_ok "own onebox with two meta ports starts"
	sed 's/^/# /' "$OWN_LOG"
	tap_done
	exit 1
fi
ok "own onebox with two meta ports starts"

ctl()
{
	PEGASUS_TEST_CONTROL=127.0.0.1:$CP control "$@"
}

A=127.0.0.1:$MA
BB=127.0.0.1:$MB
sql "CREATE SERVER two_meta FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$A,$BB', timeout_ms '3000', connect_timeout_ms '500');
     CREATE SERVER two_meta_rev FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$BB,$A', timeout_ms '3000', connect_timeout_ms '500');
     CREATE SERVER two_meta_short FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$A,$BB', timeout_ms '1000', connect_timeout_ms '300');
     CREATE FOREIGN TABLE tm (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER two_meta OPTIONS (table 'fmeta');
     CREATE FOREIGN TABLE tm_rev (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER two_meta_rev OPTIONS (table 'fmeta');
     CREATE FOREIGN TABLE tm_short (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER two_meta_short OPTIONS (table 'fmeta');
     INSERT INTO tm SELECT 'h' || (i % 25), 's' || lpad(i::text, 4, '0'), i::text
       FROM generate_series(1, 500) i" >/dev/null
WANT="500|125250"
Q="SELECT count(*), sum(value::int) FROM %s"

expect_eq "both meta servers up: a new session reads everything" "$WANT" "$(sql "$(printf "$Q" tm)")"
t0=$(now_ms)
out=$(sql "$(printf "$Q" tm_rev)")
el=$(($(now_ms) - t0))
expect_eq "follower listed first: it forwards to the leader" "$WANT" "$out"
within "follower listed first: no waiting" 1000 "$el"

# a session that has its routing before the meta outage
sess_open fmeta_sess
pid=$(sess_run "SELECT pg_backend_pid();")
# the routing is cached per backend: no parallel workers, which have their own
sess_run "SET max_parallel_workers_per_gather = 0;" >/dev/null
sess_run "$(printf "$Q" tm);" >/dev/null

# --- the leader stops, the other meta server takes over ------------------
ctl stop "$MA" >/dev/null
ctl leader "$MB" >/dev/null
t0=$(now_ms)
out=$(sql "$(printf "$Q" tm)")
el=$(($(now_ms) - t0))
expect_eq "leader stopped, second meta server leads: a new session reads everything" "$WANT" "$out"
within "leader stopped: the second meta server is used at once" 1500 "$el"
expect_eq "leader stopped: the cached routing still serves the old session" "$WANT" \
	"$(sess_run "$(printf "$Q" tm);")"
# primaries move (partition i starts on replica (2 + i) mod 3) while the first
# meta server is down: the refresh goes to the second
RQ="SELECT routing_refreshes FROM pegasus_fdw_connections() WHERE server_name = 'two_meta';"
r0=$(sess_run "$RQ")
for i in 0 1 2 3; do
	ctl move fmeta "$i" "$((B + 821 + i % 3))" >/dev/null
done
expect_eq "partitions moved during the outage: the old session refreshes from the second meta server" \
	"$WANT" "$(sess_run "$(printf "$Q" tm);")"
r1=$(sess_run "$RQ")
check "partitions moved during the outage: the routing was refreshed ($r0 -> $r1)" \
	[ "${r1:-0}" -gt "${r0:-0}" ]
expect_eq "same backend" "$pid" "$(sess_run "SELECT pg_backend_pid();")"

# --- the first meta server is back as a follower --------------------------
ctl start "$MA" >/dev/null
expect_eq "old leader back as follower: a new session is forwarded" "$WANT" "$(sql "$(printf "$Q" tm)")"

# --- the leader stops and nobody takes over --------------------------------
ctl stop "$MB" >/dev/null
t0=$(now_ms)
out=$(sql "$(printf "$Q" tm_short)")
el=$(($(now_ms) - t0))
expect_match "leader stopped, follower still forwards to it: a clear error" \
	"ERROR:  (could not connect to the Pegasus cluster|.*meta server)" "$out"
printf "%s\n" "$out" | sed "s/^/# /"
within "leader stopped, no new leader: the error comes by timeout_ms" $((300 + 1000 + 1200)) "$el"
ctl leader "$MA" >/dev/null
expect_eq "new leader elected: reads work again" "$WANT" "$(sql "$(printf "$Q" tm)")"

# --- a meta server that does not answer is skipped after a second ----------
ctl fail "$MA" RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX 1 noreply >/dev/null
ctl start "$MB" >/dev/null
t0=$(now_ms)
out=$(sql "$(printf "$Q" tm)")
el=$(($(now_ms) - t0))
ctl clear-faults >/dev/null
expect_eq "leader swallows a query: the statement still succeeds" "$WANT" "$out"
within "leader swallows a query: the next attempt comes within about a second" 2500 "$el"

# --- no meta server at all -----------------------------------------------
ctl stop "$MA" >/dev/null
ctl stop "$MB" >/dev/null
t0=$(now_ms)
out=$(sql "$(printf "$Q" tm_short)")
el=$(($(now_ms) - t0))
expect_match "no meta server: could not connect" \
	"ERROR:  could not connect to the Pegasus cluster of server \"two_meta_short\"" "$out"
expect_match "no meta server: the detail names a meta server" "127.0.0.1:($MA|$MB)" "$out"
printf "%s\n" "$out" | sed "s/^/# /"
within "no meta server: the error comes by timeout_ms" $((300 + 1000 + 1200)) "$el"
expect_eq "no meta server: cached routing still serves reads" "$WANT" \
	"$(sess_run "$(printf "$Q" tm);")"
ctl start "$MA" >/dev/null
ctl start "$MB" >/dev/null
expect_eq "meta servers back: a new session reads everything" "$WANT" "$(sql "$(printf "$Q" tm)")"
sess_close
expect_eq "no protocol violation on the own onebox" "OK 0" "$(ctl violations)"
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
