#!/usr/bin/env bash
# pg_stat_activity shows what a backend waits for on Pegasus: from
# PostgreSQL 17 on the wait events PegasusRead, PegasusWrite, PegasusMeta and
# PegasusBackoff (type Extension); before 17 every such wait is
# Extension/Extension.  Each case slows one endpoint down (or stops it), runs
# a statement in another session and polls pg_stat_activity until that
# session shows the expected wait (at most 10 s), then lets it finish.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_wait_events || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control latency "$ONEBOX_META_PORT" 0 >/dev/null; control drop-table we_data >/dev/null' EXIT

app=$(create_table we_data 1)
port=$(replica_of "$app" 0)
sql "CREATE FOREIGN TABLE we (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'we_data');
     ALTER SERVER pegasus OPTIONS (ADD timeout_ms '20000');
     INSERT INTO we VALUES ('h', 's', 'v')" >/dev/null

named=$(sql "SELECT current_setting('server_version_num')::int >= 170000")

# expected KIND: what pg_stat_activity shows for a wait of that kind.
expected()
{
	if [ "$named" = t ]; then echo "Extension/$1"; else echo "Extension/Extension"; fi
}

# poll_wait WANT: the session's wait as type/event, polled until it is WANT
# (or 10 s passed; then the last one seen).
poll_wait()
{
	local i ev=
	for i in $(seq 1 200); do
		ev=$(sql "SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity
		           WHERE application_name = 'we_sess' AND state = 'active'")
		[ "$ev" = "$1" ] && break
		sleep 0.05
	done
	echo "$ev"
}

sess_open we_sess
expect_eq "session works" "v" "$(sess_run "SELECT value FROM we WHERE hash_key = 'h' AND sort_key = 's';")"

# a read waiting for its reply
control latency "$port" 2000 >/dev/null
sess_send "SELECT value FROM we WHERE hash_key = 'h' AND sort_key = 's';"
want=$(expected PegasusRead)
expect_eq "a point read waits on $want" "$want" "$(poll_wait "$want")"
expect_eq "the read ends with its row" "v" "$(sess_wait)"

# a write waiting for its reply
sess_send "INSERT INTO we VALUES ('h', 't', 'w');"
want=$(expected PegasusWrite)
expect_eq "an insert waits on $want" "$want" "$(poll_wait "$want")"
sess_wait >/dev/null
control latency "$port" 0 >/dev/null
expect_eq "the insert was written" "w" "$(sql "SELECT value FROM we WHERE hash_key = 'h' AND sort_key = 't'")"

# a new connection asks the meta server for the table's partitions
sess_run "SELECT pegasus_fdw_disconnect_all();" >/dev/null
control latency "$ONEBOX_META_PORT" 2000 >/dev/null
sess_send "SELECT value FROM we WHERE hash_key = 'h' AND sort_key = 's';"
want=$(expected PegasusMeta)
expect_eq "routing a new connection waits on $want" "$want" "$(poll_wait "$want")"
expect_eq "the read ends with its row" "v" "$(sess_wait)"
control latency "$ONEBOX_META_PORT" 0 >/dev/null

# a replica that refuses connections: the client backs off between retries
control stop "$port" >/dev/null
sess_send "SELECT value FROM we WHERE hash_key = 'h' AND sort_key = 's';"
want=$(expected PegasusBackoff)
expect_eq "retrying a stopped replica waits on $want" "$want" "$(poll_wait "$want")"
control start "$port" >/dev/null
expect_eq "the read ends with its row once the replica is back" "v" "$(sess_wait)"

sess_close
tap_done
