#!/usr/bin/env bash
# Secured clusters against a real MIT KDC: a onebox with --auth kerberos
# (Cyrus SASL GSSAPI, mandatory_auth) and --acl, reached by pegasus-cli and
# through SQL with credentials from keytabs and credential caches; the
# failures (wrong principal, missing keytab, KDC down, clock skew, expired
# ticket) are immediate errors naming the Kerberos reason; servers without
# auth and servers too old to negotiate are still reached; ACLs decide
# reads, writes and DDL; who may set credentials in SQL; cancel during a
# hanging negotiation; a KDC that stops answering holds no backend beyond
# statement_timeout, a cancel or connect_timeout_ms, whether initial
# credentials or a service ticket are awaited; a restarted replica is
# negotiated with again.
. "$(dirname "$0")/lib.sh"
. "$ROOT/test/lib/kdc.sh"

if ! kdc_available; then
	skip "Kerberos tests" "krb5-kdc, krb5-user or libsasl2-modules-gssapi-mit is not installed (test/install-deps.sh installs them)"
	tap_done
	exit 0
fi

# A secured onebox of its own, on the suite's ports less 10000 plus 30:
# below the kernel's ephemeral range (32768 and up), where outgoing
# connections of a busy machine would often hold one of them.
AMETA=$((ONEBOX_META_PORT - 9970))
AREP1=$((${ONEBOX_REPLICA_PORTS%%,*} - 9970))
AREPS="$AREP1,$((AREP1 + 1)),$((AREP1 + 2))"
ACTL=$((ONEBOX_CONTROL_PORT - 9970))
: "${KDC_PORT:=$((ONEBOX_CONTROL_PORT - 9950))}"
export KDC_PORT
KDIR="$PEGASUS_WORKDIR/kerberos"
AOB_PID=

actl() { ONEBOX_CONTROL_PORT=$ACTL onebox_control "$@"; }
# show OUTPUT: the error lines of an expected failure, as TAP comments
show() { printf '%s\n' "$1" | grep -E 'ERROR|DETAIL|pegasus-cli' | sed 's/^/#   /'; }

cleanup()
{
	[ -n "${VG_FD:-}" ] && exec {VG_FD}>&-
	[ -n "${VG_PID:-}" ] && kill "$VG_PID" 2>/dev/null
	if [ -n "$AOB_PID" ]; then kill "$AOB_PID" 2>/dev/null; wait "$AOB_PID" 2>/dev/null; fi
	kdc_stop
	control clear-faults >/dev/null 2>&1
	# the suite's PostgreSQL as it was: without this script's Kerberos files
	restart_pg -u KRB5_CONFIG -u KRB5_KDC_PROFILE -u KRB5CCNAME PATH="$PATH" >/dev/null 2>&1
}
trap cleanup EXIT

mkdir -p "$KDIR"
chmod 755 "$KDIR"
kdc_start "$KDIR/kdc" || { not_ok "KDC starts"; tap_done; exit 1; }
chmod 755 "$KDIR/kdc"
for p in pegasus/127.0.0.1 alice bob admin carol; do kdc_addprinc "$p"; done
kdc_keytab "$KDIR/service.keytab" pegasus/127.0.0.1
# carol's tickets live 30 s, less than the client's renewal margin (60 s):
# every new connection obtains new ones
kdc_kadmin "modprinc -maxlife 30sec carol"
for u in alice bob admin carol; do kdc_keytab "$KDIR/$u.keytab" "$u"; done
chmod 644 "$KDIR"/*.keytab "$KDIR/kdc/krb5.conf"
ok "a throwaway KDC with realm $KDC_REALM on 127.0.0.1:$KDC_PORT"

# start_secured_onebox: like onebox_start, moving the ports up when one
# is taken (they lie in the ephemeral range)
start_secured_onebox()
{
	local attempt i
	for attempt in 1 2 3 4 5; do
		: >"$KDIR/onebox.out"
		test/onebox/pegasus-onebox --meta-port "$AMETA" --replica-ports "$AREPS" \
			--control-port "$ACTL" --table sec:4 --table open:2 \
			--auth kerberos --keytab "$KDIR/service.keytab" --acl --super-users admin \
			>"$KDIR/onebox.out" 2>"$KDIR/onebox.log" &
		AOB_PID=$!
		for i in $(seq 1 100); do
			grep -q '^ready$' "$KDIR/onebox.out" 2>/dev/null && return 0
			kill -0 "$AOB_PID" 2>/dev/null || break
			sleep 0.1
		done
		wait "$AOB_PID" 2>/dev/null
		AOB_PID=
		grep -q 'Address already in use' "$KDIR/onebox.log" || return 1
		AMETA=$((AMETA + 5)) ACTL=$((ACTL + 5)) AREP1=$((AREP1 + 5))
		AREPS="$AREP1,$((AREP1 + 1)),$((AREP1 + 2))"
	done
	return 1
}
if ! start_secured_onebox; then
	not_ok "secured onebox starts (--auth kerberos --acl --super-users admin)"
	sed 's/^/# /' "$KDIR/onebox.log"
	tap_done
	exit 1
fi
ok "secured onebox starts (--auth kerberos --acl --super-users admin)"
actl app-env sec replica_access_controller.allowed_users alice,carol >/dev/null

ACLI=("$ROOT/src/tools/pegasus-cli" --meta "127.0.0.1:$AMETA" --timeout 3000)
as_user() { local u=$1; shift; "${ACLI[@]}" --kerberos-principal "$u" --kerberos-keytab "$KDIR/$u.keytab" "$@" 2>&1; }
count_of() { actl counters | awk -v p="$1" -v r="$2" '$1 == p && $2 == r { print $3 }'; }

# --- pegasus-cli -------------------------------------------------------
actl reset-counters >/dev/null
expect_eq "cli: a write with a valid keytab" "OK" \
	"$(as_user alice --table sec set hk sk v1 >/dev/null && echo OK)"
expect_eq "cli: the read sees it" "v1" "$(as_user alice --table sec get hk sk)"
nmeta=$(count_of "$AMETA" RPC_NEGOTIATION)
nrep=$(actl counters | awk -v m="$AMETA" '$2 == "RPC_NEGOTIATION" && $1 != m { s += $3 } END { print s + 0 }')
# two processes, each one connection to the meta server and one to a replica
expect_eq "cli: every new connection negotiates, meta (5 round trips each)" "10" "$nmeta"
expect_eq "cli: every new connection negotiates, replica (5 round trips each)" "10" "$nrep"
echo "# round trips of a new authenticated connection: $((nmeta / 2)) RPC_NEGOTIATION"

before=$(actl counters | awk '$1 == "unauthenticated" { print $2 }')
out=$("${ACLI[@]}" --timeout 500 --table sec get hk sk 2>&1)
after=$(actl counters | awk '$1 == "unauthenticated" { print $2 }')
check "cli: without credentials the server drops the requests" test "$after" -gt "$before"
check "cli: ... and the call fails" test -n "$out"

out=$(as_user alice --kerberos-keytab "$KDIR/bob.keytab" --table sec get hk sk)
case "$out" in
	*"no suitable keys for alice@$KDC_REALM"*) ok "cli: wrong principal for the keytab names the reason"; show "$out" ;;
	*) not_ok "cli: wrong principal for the keytab names the reason"; echo "# $out" ;;
esac
out=$(as_user alice --kerberos-keytab "$KDIR/missing.keytab" --table sec get hk sk)
case "$out" in
	*"Key table file '$KDIR/missing.keytab' not found"*) ok "cli: a missing keytab names the file"; show "$out" ;;
	*) not_ok "cli: a missing keytab names the file"; echo "# $out" ;;
esac

kdc_stop
out=$(as_user alice --table sec get hk sk)
case "$out" in
	*"Cannot contact any KDC for realm '$KDC_REALM'"*) ok "cli: KDC down is an immediate error"; show "$out" ;;
	*) not_ok "cli: KDC down is an immediate error"; echo "# $out" ;;
esac
kdc_resume || not_ok "KDC starts again"

if command -v faketime >/dev/null; then
	out=$(faketime -f '+2h' "${ACLI[@]}" --kerberos-principal alice \
		--kerberos-keytab "$KDIR/alice.keytab" --table sec get hk sk 2>&1)
	case "$out" in
		*"Clock skew too great"*) ok "cli: clock skew names the reason"; show "$out" ;;
		*) not_ok "cli: clock skew names the reason"; echo "# $out" ;;
	esac
else
	skip "cli: clock skew names the reason" "faketime is not installed"
fi

before=$(grep -c 'AS_REQ.*ISSUE.*carol@' "$KDIR/kdc/kdc.log")
expect_eq "cli: credentials about to expire are renewed for a new connection" "v1" \
	"$(as_user carol --table sec get hk sk)"
after=$(grep -c 'AS_REQ.*ISSUE.*carol@' "$KDIR/kdc/kdc.log")
expect_eq "cli: ... once per connection (meta, replica)" "2" "$((after - before))"

# a credential cache whose ticket has expired
KRB5CCNAME="FILE:$KDIR/short.ccache" kinit -l 3s -k -t "$KDIR/alice.keytab" alice
for i in $(seq 1 100); do
	KRB5CCNAME="FILE:$KDIR/short.ccache" klist -s || break
	sleep 0.1
done
out=$("${ACLI[@]}" --kerberos-ccache "FILE:$KDIR/short.ccache" --table sec get hk sk 2>&1)
case "$out" in
	*"expired"*) ok "cli: an expired ticket names the reason"; show "$out" ;;
	*) not_ok "cli: an expired ticket names the reason"; echo "# $out" ;;
esac
KRB5CCNAME="FILE:$KDIR/alice.ccache" kinit -k -t "$KDIR/alice.keytab" alice
chmod 644 "$KDIR/alice.ccache"
expect_eq "cli: a valid credential cache" "v1" \
	"$("${ACLI[@]}" --kerberos-ccache "FILE:$KDIR/alice.ccache" --table sec get hk sk 2>&1)"

# the suite's onebox has no auth (SASL_AUTH_DISABLE); then it is "too old"
"${CLI[@]}" create_app open_krb --partitions 2 >/dev/null 2>&1
expect_eq "cli: a server without auth answers SASL_AUTH_DISABLE: success" "OK" \
	"$("${CLI[@]}" --kerberos-principal alice --kerberos-keytab "$KDIR/alice.keytab" \
		--table open_krb set a b c >/dev/null 2>&1 && echo OK)"
control fail '*' RPC_NEGOTIATION 100 ERR_HANDLER_NOT_FOUND >/dev/null
expect_eq "cli: an old server (ERR_HANDLER_NOT_FOUND) counts as success" "c" \
	"$("${CLI[@]}" --kerberos-principal alice --kerberos-keytab "$KDIR/alice.keytab" \
		--table open_krb get a b 2>&1)"
control clear-faults >/dev/null
"${CLI[@]}" drop_app open_krb >/dev/null 2>&1

# ACLs
out=$(as_user bob --table sec get hk sk)
case "$out" in
	*ERR_ACL_DENY*) ok "cli: a user not in allowed_users is denied (ERR_ACL_DENY)"; show "$out" ;;
	*) not_ok "cli: a user not in allowed_users is denied"; echo "# $out" ;;
esac
expect_eq "cli: a super user passes the replica ACL" "v1" "$(as_user admin --table sec get hk sk)"
expect_eq "cli: a table without allowed_users is open to everyone" "OK" \
	"$(as_user bob --table open set x y z >/dev/null && echo OK)"
out=$(as_user alice create_app made_by_alice --partitions 2)
case "$out" in
	*ERR_ACL_DENY*) ok "cli: a normal user may not create a table"; show "$out" ;;
	*) not_ok "cli: a normal user may not create a table"; echo "# $out" ;;
esac
expect_eq "cli: a super user creates a table" "OK" \
	"$(as_user admin create_app made_by_admin --partitions 2 >/dev/null && echo OK)"
out=$(as_user alice drop_app made_by_admin)
case "$out" in
	*ERR_ACL_DENY*) ok "cli: a normal user may not drop a table"; show "$out" ;;
	*) not_ok "cli: a normal user may not drop a table"; echo "# $out" ;;
esac
expect_eq "cli: a super user drops it" "OK" \
	"$(as_user admin drop_app made_by_admin >/dev/null && echo OK)"

# --- SQL ---------------------------------------------------------------
restart_pg PATH="$PATH" KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="FILE:$KDIR/nobody.ccache" ||
	{ not_ok "PostgreSQL restarts with KRB5_CONFIG"; tap_done; exit 1; }
setup_db rel_auth || { not_ok "scratch database"; tap_done; exit 1; }
psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_pegasus_krb" >/dev/null 2>&1
sql "CREATE ROLE regress_pegasus_krb LOGIN;
     CREATE SERVER sec FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '127.0.0.1:$AMETA', auth 'kerberos', timeout_ms '3000');
     GRANT USAGE ON FOREIGN SERVER sec TO regress_pegasus_krb;
     CREATE USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (kerberos_principal 'alice', kerberos_keytab '$KDIR/alice.keytab');
     CREATE FOREIGN TABLE sec_t (hash_key text, sort_key text, value text) SERVER sec
       OPTIONS (table 'sec');
     GRANT SELECT, INSERT ON sec_t TO regress_pegasus_krb;
     CREATE FOREIGN TABLE open_t (hash_key text, sort_key text, value text) SERVER sec
       OPTIONS (table 'open');
     GRANT SELECT ON open_t TO regress_pegasus_krb;" >/dev/null
expect_eq "sql: a write with a valid keytab" "" \
	"$(sql "INSERT INTO sec_t VALUES ('hk', 'sql', 'from sql')")"
expect_eq "sql: reads through meta and replica connections" "v1|from sql" \
	"$(sql "SELECT string_agg(value, '|' ORDER BY sort_key) FROM sec_t WHERE hash_key = 'hk'")"

# parallel workers log in with the leader's tickets, not with the KDC: with
# the KDC down, a session whose leader holds tickets still scans in parallel
PAR="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
     SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
PAR_Q="SELECT count(*), max(value) FROM sec_t"
mkfifo "$KDIR/par.in"
psql -X -q -At -v ON_ERROR_STOP=0 -f - <"$KDIR/par.in" >"$KDIR/par.out" 2>&1 &
par_pid=$!
exec {PAR_FD}>"$KDIR/par.in"
# par_wait MARK: until the session has printed MARK (30 s at most)
par_wait()
{
	local i
	for ((i = 0; i < 1500; i++)); do
		grep -q "^$1\$" "$KDIR/par.out" && return 0
		kill -0 "$par_pid" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}
printf '%s\n%s;\n\\echo @@1\n' "$PAR" "$PAR_Q" >&"$PAR_FD"
par_wait @@1 || echo "# the first parallel scan did not end: $(tr '\n' ' ' <"$KDIR/par.out")"
kdc_stop
printf 'EXPLAIN (COSTS OFF) %s;\n%s;\n\\echo @@2\n' "$PAR_Q" "$PAR_Q" >&"$PAR_FD"
par_wait @@2 || echo "# the parallel scan without KDC did not end: $(tr '\n' ' ' <"$KDIR/par.out")"
# closed before the KDC starts again: a KDC started with the FIFO's write
# end open would keep psql from ever seeing its end
exec {PAR_FD}>&-
for ((i = 0; i < 500; i++)); do kill -0 "$par_pid" 2>/dev/null || break; sleep 0.02; done
if kill -0 "$par_pid" 2>/dev/null; then
	not_ok "sql: the parallel session ends"
	kill "$par_pid"
fi
wait "$par_pid"
kdc_resume || not_ok "KDC starts again"
out=$(cat "$KDIR/par.out")
expect_match "sql: the scan is parallel" "Parallel Foreign Scan" "$out"
expect_eq "sql: with the KDC down, a parallel scan uses the leader's tickets" \
	"$(sed -n 1p <<<"$out")" "$(grep -E '^[0-9]+\|' <<<"$out" | sed -n 2p)"
expect_no_match "sql: ... and no worker asked the KDC" "ERROR" "$out"
check "sql: the leader's credential cache copies are gone at transaction end" \
	[ -z "$(ls "$PGHOST/data/base/pgsql_tmp/" 2>/dev/null | grep pegasus_krb5cc)" ]

# who may set what
out=$(psql -X -q -At -U regress_pegasus_krb -c "CREATE USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (kerberos_principal 'alice', kerberos_keytab '$KDIR/alice.keytab')" 2>&1)
case "$out" in
	*'permission denied to set option "kerberos_principal"'*) ok "sql: a non-superuser may not set Kerberos credentials"; show "$out" ;;
	*) not_ok "sql: a non-superuser may not set Kerberos credentials"; echo "# $out" ;;
esac
sql "CREATE USER MAPPING FOR regress_pegasus_krb SERVER sec" >/dev/null
out=$(psql -X -q -At -U regress_pegasus_krb -v VERBOSITY=verbose -c "SELECT count(*) FROM sec_t" 2>&1)
case "$out" in
	*"ERROR:  28000: could not authenticate"*"has no Kerberos credentials"*) ok "sql: a mapping without credentials never uses the server's own"; show "$out" ;;
	*) not_ok "sql: a mapping without credentials never uses the server's own"; echo "# $out" ;;
esac

# a user mapping of bob: denied by the table's ACL, named in the error
sql "ALTER USER MAPPING FOR regress_pegasus_krb SERVER sec
       OPTIONS (ADD kerberos_principal 'bob', ADD kerberos_keytab '$KDIR/bob.keytab')" >/dev/null
out=$(psql -X -q -At -U regress_pegasus_krb -v VERBOSITY=verbose -c "SELECT count(*) FROM sec_t" 2>&1)
case "$out" in
	*"ERROR:  42501: permission denied for Pegasus table \"sec\""*"principal \"bob@$KDC_REALM\""*) ok "sql: ERR_ACL_DENY is 42501 naming the principal"; show "$out" ;;
	*) not_ok "sql: ERR_ACL_DENY is 42501 naming the principal"; echo "# $out" ;;
esac
expect_eq "sql: bob reads a table without allowed_users" "1" \
	"$(psql -X -q -At -U regress_pegasus_krb -c "SELECT count(*) FROM open_t WHERE hash_key = 'x'" 2>&1)"
out=$(sql "SELECT pegasus_fdw_create_table('sec', 'sql_made', 2)" 2>&1)
case "$out" in
	*"permission denied for Pegasus table"*) ok "sql: a normal user may not create a table"; show "$out" ;;
	*) not_ok "sql: a normal user may not create a table"; echo "# $out" ;;
esac
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (SET kerberos_principal 'admin', SET kerberos_keytab '$KDIR/admin.keytab')" >/dev/null
expect_eq "sql: a super user creates and drops a table" "|" \
	"$(sql "SELECT pegasus_fdw_create_table('sec', 'sql_made', 2)")|$(sql "SELECT pegasus_fdw_drop_table('sec', 'sql_made')")"

sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (SET kerberos_principal 'alice', SET kerberos_keytab '$KDIR/bob.keytab')" >/dev/null
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SELECT count(*) FROM sec_t" 2>&1)
case "$out" in
	*"ERROR:  28000: could not authenticate to the Pegasus cluster of server \"sec\""*"no suitable keys"*"HINT:"*kerberos_keytab*) ok "sql: a wrong principal is 28000 with the reason and a hint"; show "$out" ;;
	*) not_ok "sql: a wrong principal is 28000 with the reason and a hint"; echo "# $out" ;;
esac
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_principal, DROP kerberos_keytab, ADD kerberos_ccache 'FILE:$KDIR/alice.ccache')" >/dev/null
expect_eq "sql: credentials from a credential cache" "2" \
	"$(sql "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'")"

# a server without auth answers SASL_AUTH_DISABLE: SQL goes on
"${CLI[@]}" create_app open_sql --partitions 2 >/dev/null 2>&1
sql "CREATE SERVER plain FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', auth 'kerberos');
     CREATE USER MAPPING FOR CURRENT_USER SERVER plain
       OPTIONS (kerberos_principal 'alice', kerberos_keytab '$KDIR/alice.keytab');
     CREATE FOREIGN TABLE plain_t (hash_key text, sort_key text, value text) SERVER plain
       OPTIONS (table 'open_sql')" >/dev/null
expect_eq "sql: a server without auth (SASL_AUTH_DISABLE) is read and written" "1" \
	"$(sql "INSERT INTO plain_t VALUES ('a', 'b', 'c')" && sql "SELECT count(*) FROM plain_t")"
"${CLI[@]}" drop_app open_sql >/dev/null 2>&1

# while a cursor holds alice's client, another role reaches the same server
# with its own (one client per user mapping), and the cursor goes on as alice
out=$(psql -X -q -At -v VERBOSITY=verbose -c "BEGIN" \
	-c "DECLARE c CURSOR FOR SELECT value FROM sec_t WHERE hash_key = 'hk' ORDER BY sort_key" \
	-c "FETCH 1 FROM c" -c "SET ROLE regress_pegasus_krb" \
	-c "SELECT count(*) FROM open_t WHERE hash_key = 'x'" \
	-c "RESET ROLE" -c "FETCH 1 FROM c" \
	-c "SELECT string_agg(server_name || ':' || user_name, ',' ORDER BY user_name) FROM pegasus_fdw_connections() WHERE server_name = 'sec'" 2>&1)
expect_eq "sql: two roles' mappings of one server in one transaction, each with its own client" \
	"v1|1|from sql|sec:postgres,sec:regress_pegasus_krb" "$(tr '\n' '|' <<<"$out" | sed 's/|$//')"

# a SECURITY DEFINER function of another role reads the server while a scan
# of it under the caller's mapping is open
sql "CREATE FUNCTION bob_count(k text) RETURNS bigint LANGUAGE sql SECURITY DEFINER
       AS \$\$ SELECT count(*) FROM open_t WHERE hash_key = k \$\$;
     ALTER FUNCTION bob_count(text) OWNER TO regress_pegasus_krb" >/dev/null
expect_eq "sql: a SECURITY DEFINER function of another role inside a scan of the same server" \
	"sk:1,sql:1" \
	"$(sql "SELECT string_agg(sort_key || ':' || bob_count('x'), ',' ORDER BY sort_key) FROM sec_t WHERE hash_key = 'hk'")"

# cancel while a negotiation hangs (the server never answers it)
sql "ALTER SERVER sec OPTIONS (ADD connect_timeout_ms '600000')" >/dev/null
actl fail "$AMETA" RPC_NEGOTIATION 1 noreply >/dev/null
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SET statement_timeout = '300ms'" \
	-c "SELECT count(*) FROM sec_t" 2>&1)
case "$out" in
	*"57014"*) ok "sql: statement_timeout cancels a hanging negotiation"; show "$out" ;;
	*) not_ok "sql: statement_timeout cancels a hanging negotiation"; echo "# $out" ;;
esac
actl clear-faults >/dev/null

# pg_stat_activity names the wait of a negotiation that does not finish
named=$(sql "SELECT current_setting('server_version_num')::int >= 170000")
[ "$named" = t ] && want=Extension/PegasusNegotiate || want=Extension/Extension
actl fail "$AMETA" RPC_NEGOTIATION 1 noreply >/dev/null
psql -X -q -At -c "SET application_name = 'krb_wait'" -c "SET statement_timeout = '4s'" \
	-c "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'" >"$KDIR/wait.out" 2>&1 &
wait_pid=$!
ev=
for i in $(seq 1 200); do
	ev=$(sql "SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity
	           WHERE application_name = 'krb_wait' AND state = 'active'")
	[ "$ev" = "$want" ] && break
	sleep 0.05
done
expect_eq "sql: a backend negotiating waits on $want" "$want" "$ev"
wait "$wait_pid"
actl clear-faults >/dev/null

# --- a KDC that stops answering ----------------------------------------
# Paused (SIGSTOP), the KDC still accepts TCP connections and answers
# nothing: left alone, a Kerberos exchange waits for krb5.conf's timeouts
# (tens of seconds over TCP).  A backend waits for it through the wait hook
# (in pg_stat_activity: the negotiation's wait event, not a backend busy in
# libkrb5), so statement_timeout and pg_cancel_backend end the wait at once
# and connect_timeout_ms (600 s here) bounds it; whether it waits for
# initial credentials (a new backend with a keytab) or for a service ticket
# (a credential cache that holds only a ticket granting ticket).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
logpos=$(stat -c %s "$PGHOST/postgres.log")
KRB5CCNAME="FILE:$KDIR/tgt.ccache" kinit -k -t "$KDIR/alice.keytab" alice
chmod 644 "$KDIR/tgt.ccache"
# the backend stores the service ticket it gets there
[ "$(id -u)" -eq 0 ] && chown postgres "$KDIR/tgt.ccache"
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_ccache, ADD kerberos_principal 'alice', ADD kerberos_keytab '$KDIR/alice.keytab')" >/dev/null

# kdc_by_timeout WHAT: a new backend's first query, statement_timeout 300 ms
kdc_by_timeout()
{
	local t0 ms out
	t0=$(now_ms)
	out=$(psql -X -q -At -v VERBOSITY=verbose -c "SET statement_timeout = '300ms'" \
		-c "SELECT count(*) FROM sec_t" 2>&1)
	ms=$(($(now_ms) - t0))
	echo "# $1, statement_timeout 300ms: the query ended after $ms ms"
	case "$out" in
		*"57014"*) check "kdc paused, $1: statement_timeout ends the wait (57014, $ms ms)" \
			in_time "$ms" 300 1300 ;;
		*) not_ok "kdc paused, $1: statement_timeout ends the wait (57014)"; echo "# $out" ;;
	esac
}

# kdc_by_cancel WHAT: the same query, pg_cancel_backend from another session
kdc_by_cancel()
{
	local t0 ms out ev pid i
	psql -X -q -At -v VERBOSITY=verbose -c "SET application_name = 'krb_kdc'" \
		-c "SELECT count(*) FROM sec_t" >"$KDIR/kdc_cancel.out" 2>&1 &
	pid=$!
	ev=
	for i in $(seq 1 200); do
		ev=$(sql "SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity
		           WHERE application_name = 'krb_kdc' AND state = 'active'")
		[ "$ev" = "$want" ] && break
		sleep 0.05
	done
	expect_eq "kdc paused, $1: the backend waits in the wait hook ($want)" "$want" "$ev"
	t0=$(now_ms)
	sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'krb_kdc'" >/dev/null
	wait "$pid"
	ms=$(($(now_ms) - t0))
	out=$(cat "$KDIR/kdc_cancel.out")
	echo "# $1, pg_cancel_backend: the query ended $ms ms after the cancel"
	case "$out" in
		*"57014"*) check "kdc paused, $1: pg_cancel_backend ends the wait (57014, $ms ms)" \
			in_time "$ms" 0 1000 ;;
		*) not_ok "kdc paused, $1: pg_cancel_backend ends the wait (57014)"; echo "# $out" ;;
	esac
}

kdc_pause
rc=0
timeout 5 env KRB5CCNAME="FILE:$KDIR/paused.ccache" kinit -k -t "$KDIR/alice.keytab" alice \
	>/dev/null 2>&1 || rc=$?
expect_eq "kdc paused: kinit by itself still waits after 5 s (timeout's exit 124)" "124" "$rc"

kdc_by_timeout "initial credentials"
kdc_by_cancel "initial credentials"
# planning asks for the table's partition count first (and goes on with a
# default when it cannot), then the scan asks: two waits of 1500 ms
sql "ALTER SERVER sec OPTIONS (SET connect_timeout_ms '1500')" >/dev/null
t0=$(now_ms)
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SELECT count(*) FROM sec_t" 2>&1)
ms=$(($(now_ms) - t0))
case "$out" in
	*"28000"*"The Kerberos KDC did not answer within 1500 ms"*)
		check "kdc paused: connect_timeout_ms bounds each wait for credentials (28000, $ms ms)" \
			in_time "$ms" 1500 3000; show "$out" ;;
	*) not_ok "kdc paused: connect_timeout_ms bounds each wait for credentials (28000)"; echo "# $out" ;;
esac
sql "ALTER SERVER sec OPTIONS (SET connect_timeout_ms '600000')" >/dev/null

sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_principal, DROP kerberos_keytab, ADD kerberos_ccache 'FILE:$KDIR/tgt.ccache')" >/dev/null
expect_eq "kdc paused: the credential cache holds a ticket granting ticket only" "0" \
	"$(klist -c "FILE:$KDIR/tgt.ccache" | grep -c 'pegasus/')"
kdc_by_timeout "service ticket"
kdc_by_cancel "service ticket"
t0=$(now_ms)
out=$(as_user alice --table sec get hk sk)
ms=$(($(now_ms) - t0))
case "$out" in
	*"The Kerberos KDC did not answer within 1000 ms"*)
		check "kdc paused: pegasus-cli's wait ends at its connect timeout (1000 ms; $ms ms)" \
			in_time "$ms" 1000 1000; show "$out" ;;
	*) not_ok "kdc paused: pegasus-cli's wait ends at its connect timeout"; echo "# $out" ;;
esac

kdc_unpause
# what the interrupted backends had asked is answered now, to nobody
sleep 1
tgs_of() { grep -c 'TGS_REQ.*ISSUE.*alice@.* for pegasus/' "$KDIR/kdc/kdc.log"; }
tgs=$(tgs_of)
expect_eq "kdc again: the next query succeeds (credential cache)" "2" \
	"$(sql "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'")"
expect_eq "kdc again: ... its service ticket asked for once (GSSAPI and the other connections found it in the cache)" \
	"1" "$(($(tgs_of) - tgs))"
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_ccache, ADD kerberos_principal 'alice', ADD kerberos_keytab '$KDIR/alice.keytab')" >/dev/null
tgs=$(tgs_of)
expect_eq "kdc again: the next query succeeds (keytab)" "2" \
	"$(sql "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'")"
expect_eq "kdc again: ... one service ticket for the backend" "1" "$(($(tgs_of) - tgs))"
expect_eq "kdc again: pegasus-cli (the default wait hook) authenticates" "v1" \
	"$(as_user alice --table sec get hk sk)"
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_principal, DROP kerberos_keytab, ADD kerberos_ccache 'FILE:$KDIR/alice.ccache')" >/dev/null
# A backend whose credentials are still good goes on while the KDC does not
# answer: carol's tickets live 30 s, inside the renewal margin (60 s), so
# each new connection tries to renew them; with the KDC paused the renewal
# waits connect_timeout_ms, fails, and the connection uses the tickets it
# has (the service ticket is renewed in the background).
sql "ALTER SERVER sec OPTIONS (SET connect_timeout_ms '1000')" >/dev/null
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_ccache, ADD kerberos_principal 'carol', ADD kerberos_keytab '$KDIR/carol.keytab')" >/dev/null
restart_replicas="bash -c 'exec 7<>/dev/tcp/127.0.0.1/$ACTL; for p in ${AREPS//,/ }; do echo stop \$p >&7; read -r l <&7; echo start \$p >&7; read -r l <&7; done'"
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'" \
	-c "\\! kill -STOP $KDC_PID" -c "\\! $restart_replicas" \
	-c "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'" -c "\\! kill -CONT $KDC_PID" 2>&1)
kill -CONT "$KDC_PID" 2>/dev/null
expect_eq "kdc paused: a backend whose tickets are still good makes new connections with them" \
	"$(printf '2\n2')" "$out"
sql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec
       OPTIONS (DROP kerberos_principal, DROP kerberos_keytab, ADD kerberos_ccache 'FILE:$KDIR/alice.ccache')" >/dev/null
sql "ALTER SERVER sec OPTIONS (SET connect_timeout_ms '600000')" >/dev/null

# the backends left KDC jobs behind when they exited
out=$(tail -c +"$((logpos + 1))" "$PGHOST/postgres.log" | grep -E 'PANIC|terminated by signal|was terminated|server process .* exited with exit code [1-9]')
expect_eq "kdc: no backend crashed or was terminated (server log)" "" "$out"

# a restarted replica: the new connection negotiates again
actl reset-counters >/dev/null
out=$(psql -X -q -At -c "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'" \
	-c "\\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/$ACTL; for p in ${AREPS//,/ }; do echo stop \$p >&7; read -r l <&7; echo start \$p >&7; read -r l <&7; done'" \
	-c "SELECT count(*) FROM sec_t WHERE hash_key = 'hk'" 2>&1)
expect_eq "sql: reads before and after the replicas restart" "$(printf '2\n2')" "$out"
nrep=$(actl counters | awk -v m="$AMETA" '$2 == "RPC_NEGOTIATION" && $1 != m { s += $3 } END { print s + 0 }')
expect_eq "sql: the reconnection negotiated again (2 x 5 round trips)" "10" "$nrep"

# --- a backend under valgrind, authenticating --------------------------
# A stand-alone backend (postgres --single) under memcheck: reads and
# writes with keytab credentials, an ACL denial, a wrong keytab, a
# disconnect and a new negotiation; no invalid access through pegasus_fdw,
# nothing definitely lost through it.
if command -v valgrind >/dev/null; then
	VG="$KDIR/vg"
	mkdir -p "$VG"
	run=()
	if [ "$(id -u)" -eq 0 ]; then chown postgres "$VG"; run=(runuser -u postgres --); fi
	# read by valgrind as postgres: a copy, not the checkout's file
	supp=$(pg_copy "$ROOT/test/reliability/valgrind.supp")
	(cd / && "${run[@]}" "$PG_BINDIR/initdb" -D "$VG/data" -U postgres -A trust --no-sync \
		--locale=C.UTF-8 -E UTF8 >"$VG/initdb.log" 2>&1) ||
		sed 's/^/# initdb: /' "$VG/initdb.log" | tail -5
	mkfifo "$VG/in"
	chown postgres "$VG/in" 2>/dev/null
	: >"$VG/out"
	: >"$VG/err"
	(cd / && "${run[@]}" env KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="FILE:$KDIR/nobody.ccache" \
		valgrind --leak-check=full --num-callers=40 \
		--suppressions="$supp" --log-file="$VG/valgrind.log" \
		"$PG_BINDIR/postgres" --single -D "$VG/data" -c max_stack_depth=2MB postgres \
		<"$VG/in" >"$VG/out" 2>"$VG/err") &
	VG_PID=$!
	exec {VG_FD}>"$VG/in"
	# vsql STATEMENT: one statement in the backend; its values and ERROR lines
	vsql()
	{
		local errpos outpos i mark
		# a file, not a variable: vsql often runs in a $(...) subshell
		mark=$(($(cat "$VG/mark" 2>/dev/null || echo 0) + 1))
		echo "$mark" >"$VG/mark"
		errpos=$(stat -c %s "$VG/err")
		outpos=$(stat -c %s "$VG/out")
		# a backend that has ended reads nothing: SIGPIPE would end this
		# script and lose every check after it
		if ! kill -0 "$VG_PID" 2>/dev/null || ! (trap '' PIPE
			printf '%s\nSELECT '"'"'vgmark_%d'"'"';\n' "$1" "$mark" >&"$VG_FD") 2>/dev/null; then
			echo "ERROR: the backend under valgrind has ended"
			if [ ! -e "$VG/gone" ]; then
				: >"$VG/gone"
				tail -n 5 "$VG/err" "$VG/valgrind.log" 2>/dev/null | sed 's/^/# /' >&2
			fi
			return
		fi
		for ((i = 0; i < 3000; i++)); do
			grep -q "\"vgmark_$mark\"" "$VG/out" && break
			kill -0 "$VG_PID" 2>/dev/null || break
			sleep 0.05
		done
		tail -c +"$((outpos + 1))" "$VG/out" | grep -v vgmark | sed -n 's/^\t *[0-9]*: [^=]* = "\(.*\)"\t.*/\1/p' | paste -sd'|'
		tail -c +"$((errpos + 1))" "$VG/err" | sed -n 's/^.*\] \(ERROR: .*\)/\1/p' | head -2
	}
	vsql "CREATE EXTENSION pegasus_fdw;" >/dev/null
	vsql "CREATE SERVER sec FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '127.0.0.1:$AMETA', auth 'kerberos', timeout_ms '30000', connect_timeout_ms '30000');" >/dev/null
	vsql "CREATE USER MAPPING FOR CURRENT_USER SERVER sec OPTIONS (kerberos_principal 'alice', kerberos_keytab '$KDIR/alice.keytab');" >/dev/null
	vsql "CREATE FOREIGN TABLE sec_t (hash_key text, sort_key text, value text) SERVER sec OPTIONS (table 'sec');" >/dev/null
	bad=()
	for r in 1 2 3; do
		[ -z "$(vsql "INSERT INTO sec_t VALUES ('vg', 'r$r', 'x');")" ] || bad+=("insert $r")
		[ "$(vsql "SELECT count(*) FROM sec_t WHERE hash_key = 'vg';")" = "$r" ] || bad+=("read $r")
		vsql "SELECT pegasus_fdw_disconnect_all();" >/dev/null
		vsql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec OPTIONS (SET kerberos_principal 'bob', SET kerberos_keytab '$KDIR/bob.keytab');" >/dev/null
		# no pipe into grep -q: its early exit would fail the writer with SIGPIPE
		[[ $(vsql "SELECT count(*) FROM sec_t;") == *"permission denied"* ]] || bad+=("ACL $r")
		vsql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec OPTIONS (SET kerberos_principal 'alice');" >/dev/null
		[[ $(vsql "SELECT count(*) FROM sec_t;") == *"could not authenticate"* ]] || bad+=("wrong keytab $r")
		vsql "ALTER USER MAPPING FOR CURRENT_USER SERVER sec OPTIONS (SET kerberos_keytab '$KDIR/alice.keytab');" >/dev/null
	done
	exec {VG_FD}>&-
	for _ in $(seq 1 600); do kill -0 "$VG_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$VG_PID"
	vg_status=$?
	vg_how=0
	valgrind_ended "$VG/valgrind.log" "$vg_status" || vg_how=$?
fi
if command -v valgrind >/dev/null && [ "$vg_how" -eq 2 ]; then
	skip "a backend under valgrind, authenticating" "valgrind cannot emulate an instruction this machine's libraries chose (see above)"
elif command -v valgrind >/dev/null; then
	expect_eq "valgrind: authenticated reads, writes, ACL and credential errors in a backend" "" "${bad[*]}"
	expect_eq "valgrind: the backend exited normally" "0" "$vg_status"
	ours=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and dest|Argument)/ { blk = $0; inblk = 1; next }
		inblk && /^==[0-9]+== *$/ { if (blk ~ /pegasus_|pegfdw_/) { print blk; n++ } inblk = 0; next }
		inblk { blk = blk "\n" $0 }' "$VG/valgrind.log")
	expect_eq "valgrind: no invalid access or uninitialised use through pegasus_fdw" "" "$ours"
	leaks=$(awk '/are definitely lost in loss record/ { blk = $0; inblk = 1; next }
		inblk && /^==[0-9]+== *$/ { if (blk ~ /pegasus_|pegfdw_/) print blk; inblk = 0; next }
		inblk { blk = blk "\n" $0 }' "$VG/valgrind.log")
	expect_eq "valgrind: nothing definitely lost through pegasus_fdw" "" "$leaks"
else
	skip "a backend under valgrind, authenticating" "valgrind is not installed"
fi

expect_eq "secured onebox: no protocol violations" "OK 0" "$(actl violations)"
psql -X -q -d postgres -c "DROP DATABASE rel_auth" >/dev/null 2>&1
psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_pegasus_krb" >/dev/null 2>&1
tap_done
