#!/usr/bin/env bash
# The soak: a onebox (two meta endpoints, three replicas) and a throwaway
# PostgreSQL, the extension installed, S sessions of mixed SQL on foreign
# tables of 8 partitions (split to 16 and 32 during the run) and a fault
# scheduler beside them; the driver is test/soak/soak.c (and the files beside it).  Stops everything
# it started whatever happens.  The last line is `soak: N passed, N failed`
# (invariant checks); the exit status is non-zero when one failed.
#
#   bash test/soak/run.sh --minutes N --sessions S [--seed X] [--result FILE]
#                         [--faults KIND,...] [--no-install] [--keep] [--ci] [--pg N]
#                         [--auth kerberos] [--isolated]
#   bash test/soak/run.sh --ci      # 2 minutes, 8 sessions, every fault kind at least once
#
# Ports (environment): SOAK_META_PORT (28601; the second meta endpoint is the
# next port), SOAK_REPLICA_PORTS (28801,28802,28803), SOAK_CONTROL_PORT
# (28901), SOAK_PG_PORT (58432); below the ephemeral range, so that a stopped
# endpoint's port is not taken by an outgoing connection before it restarts.
# --auth kerberos: a throwaway KDC, a onebox that requires Kerberos, and the
# faults kdc_pause (the KDC stops answering) besides tickets that expire.
# --pg N runs it against PostgreSQL N inside a Debian root (test/pg-root.sh),
# unless N is this machine's PostgreSQL and --isolated is not given (a root
# has its own installed extension: other runs on the machine cannot swap it).
# Logs: the work directory (kept with --keep or when an invariant failed),
# its path printed at the start.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2

MINUTES=10
SESSIONS=16
SEED=
RESULT=
FAULTS=
INSTALL=1
KEEP=
CI_MODE=
AUTH=none
PG_VERSION=
ISOLATED=
EXTRA=()
ALL_ARGS=("$@")
usage()
{
	sed -n '2,19s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) MINUTES=$2; shift ;;
	--sessions) SESSIONS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--result) RESULT=$2; shift ;;
	--faults) FAULTS=$2; shift ;;
	--auth) AUTH=$2; shift ;;
	--pg) PG_VERSION=$2; shift ;;
	--isolated) ISOLATED=1 ;;
	--no-install) INSTALL= ;;
	--keep) KEEP=1 ;;
	--ci) CI_MODE=1; MINUTES=2; SESSIONS=8 ;;
	--fault-gap-ms|--statement-timeout-ms|--timeout-ms|--pipeline-rate) EXTRA+=("$1" "$2"); shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "soak: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$PG_VERSION" ]; then
	host_major=$(pg_config --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
	if [ "$PG_VERSION" != "$host_major" ] || [ -n "$ISOLATED" ]; then
		inner=()
		skip=
		for a in "${ALL_ARGS[@]}"; do
			if [ -n "$skip" ]; then skip=; continue; fi
			[ "$a" = --pg ] && { skip=1; continue; }
			[ "$a" = --isolated ] && continue
			inner+=("$a")
		done
		exec bash test/pg-root.sh run "$PG_VERSION" bash test/soak/run.sh "${inner[@]}"
	fi
fi
case $AUTH in
	none | kerberos) ;;
	*) echo "soak: --auth is none or kerberos" >&2; exit 2 ;;
esac
: "${SEED:=$(date +%s)}"
SECONDS_RUN=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')

export ONEBOX_META_PORT=${SOAK_META_PORT:-28601}
export ONEBOX_REPLICA_PORTS=${SOAK_REPLICA_PORTS:-28801,28802,28803}
export ONEBOX_CONTROL_PORT=${SOAK_CONTROL_PORT:-28901}
export PG_TEST_PORT=${SOAK_PG_PORT:-58432}
. "$ROOT/test/lib/cluster.sh"

STATUS=2
cleanup()
{
	trap - EXIT INT TERM
	[ -n "${SOAK_PID:-}" ] && kill "$SOAK_PID" 2>/dev/null && wait "$SOAK_PID" 2>/dev/null
	if [ "$STATUS" -ne 0 ] || [ -n "$KEEP" ]; then
		PEGASUS_KEEP_WORKDIR=1
		[ -n "${PEGASUS_WORKDIR:-}" ] && echo "soak: logs kept in $PEGASUS_WORKDIR"
	fi
	[ "$AUTH" = kerberos ] && { kill -CONT "${KDC_PID:-0}" 2>/dev/null; kdc_stop; }
	cluster_cleanup
	exit "$STATUS"
}
trap cleanup EXIT
trap 'STATUS=130; exit' INT TERM

echo "soak: building"
make -s -j2 >/dev/null || { echo "soak: build failed" >&2; exit; }
make -s test/soak/soak >/dev/null || { echo "soak: building the driver failed" >&2; exit; }
if [ -n "$INSTALL" ]; then
	make -s install >/dev/null || { echo "soak: make install failed" >&2; exit; }
fi

cluster_init
ONEBOX_AUTH=()
if [ "$AUTH" = kerberos ]; then
	# A KDC of its own; the soak's principal gets tickets that live 90 s,
	# which the client renews 60 s before they end: every new connection of
	# a backend whose tickets are older than 30 s asks the KDC again.
	. "$ROOT/test/lib/kdc.sh"
	kdc_available || { echo "soak: --auth kerberos needs krb5-kdc, krb5-user and libsasl2-modules-gssapi-mit" >&2; exit; }
	: "${KDC_PORT:=$((ONEBOX_CONTROL_PORT + 50))}"
	export KDC_PORT
	kdc_start "$PEGASUS_WORKDIR/kdc" || { echo "soak: the KDC did not start" >&2; exit; }
	kdc_addprinc pegasus/127.0.0.1
	kdc_addprinc soak
	kdc_kadmin "modprinc -maxlife 90sec soak"
	kdc_keytab "$PEGASUS_WORKDIR/service.keytab" pegasus/127.0.0.1
	kdc_keytab "$PEGASUS_WORKDIR/soak.keytab" soak
	KEYTAB=$(pg_copy "$PEGASUS_WORKDIR/soak.keytab")
	ONEBOX_AUTH=(--auth kerberos --keytab "$PEGASUS_WORKDIR/service.keytab")
	EXTRA+=(--server-options "auth 'kerberos'"
		--mapping-options "kerberos_principal 'soak', kerberos_keytab '$KEYTAB'"
		--kdc-pid "$KDC_PID")
	echo "soak: Kerberos realm $KDC_REALM, KDC on port $KDC_PORT (pid $KDC_PID)"
fi
# two meta endpoints: the second follows until a fault makes it the leader
started=
for attempt in 1 2 3 4 5; do
	META2=$((ONEBOX_META_PORT + 1))
	if onebox_start_once --meta-port "$ONEBOX_META_PORT,$META2" "${ONEBOX_AUTH[@]}"; then
		started=1
		break
	fi
	grep -q 'Address already in use' "$PEGASUS_WORKDIR/onebox.log" || break
	ONEBOX_META_PORT=$((ONEBOX_META_PORT + 10))
	ONEBOX_CONTROL_PORT=$((ONEBOX_CONTROL_PORT + 10))
	ONEBOX_REPLICA_PORTS=$(echo "$ONEBOX_REPLICA_PORTS" | tr , '\n' |
		while read -r p; do echo $((p + 10)); done | paste -sd,)
done
[ -n "$started" ] || { echo "soak: the onebox did not start" >&2; exit; }
pg_start || { echo "soak: PostgreSQL did not start" >&2; exit; }
# room for the sessions, the checker and the scheduler
psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = $((SESSIONS + 20))" >/dev/null
(cd / && as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PEGASUS_WORKDIR/pg/postgres.log" -w -t 60 restart >/dev/null) ||
	{ echo "soak: PostgreSQL did not restart" >&2; exit; }
psql -X -q -d postgres -c "CREATE DATABASE soak" >/dev/null || exit

echo "soak: work directory $PEGASUS_WORKDIR; onebox meta $ONEBOX_META_PORT,$META2 replicas $ONEBOX_REPLICA_PORTS control $ONEBOX_CONTROL_PORT; PostgreSQL $PG_TEST_PORT"
[ -n "$RESULT" ] || RESULT="$PEGASUS_WORKDIR/soak-result.json"
args=(--seconds "$SECONDS_RUN" --sessions "$SESSIONS" --seed "$SEED"
	--conninfo "host=$PGHOST port=$PGPORT user=postgres dbname=soak"
	--meta "127.0.0.1:$ONEBOX_META_PORT,127.0.0.1:$META2"
	--meta-ports "$ONEBOX_META_PORT,$META2"
	--replica-ports "$ONEBOX_REPLICA_PORTS" --control-port "$ONEBOX_CONTROL_PORT"
	--pg-log "$PEGASUS_WORKDIR/pg/postgres.log" --result "$RESULT"
	--log-dir "$PEGASUS_WORKDIR" "${EXTRA[@]}")
[ -n "$FAULTS" ] && args+=(--faults "$FAULTS")
[ -n "$CI_MODE" ] && args+=(--ci)
auth_arg=
[ "$AUTH" = none ] || auth_arg=" --auth $AUTH"
echo "soak: reproduce with: bash test/soak/run.sh --minutes $MINUTES --sessions $SESSIONS --seed $SEED${FAULTS:+ --faults $FAULTS}$auth_arg"
test/soak/soak "${args[@]}" &
SOAK_PID=$!
wait "$SOAK_PID"
STATUS=$?
SOAK_PID=
echo "soak: result file $RESULT"
exit
