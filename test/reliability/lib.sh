# Helpers for the reliability scripts (test/reliability/t_*.sh).  The suite
# runs each script with bash after starting a onebox and a throwaway
# PostgreSQL; the environment carries PGHOST/PGPORT/PGUSER,
# PEGASUS_TEST_META (host:port of the meta server), PEGASUS_TEST_CONTROL
# (host:port of the onebox control port), ONEBOX_* ports and PEGASUS_WORKDIR.
# A script prints TAP ("ok N - name", "not ok N - name", "ok N - name # SKIP
# why") and exits non-zero when something failed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/test/lib/cluster.sh"
CLI=("$ROOT/src/tools/pegasus-cli" --meta "$PEGASUS_TEST_META")
TAP_N=0
TAP_FAILED=0

ok()
{
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok()
{
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

skip()
{
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# check NAME COMMAND...: ok when the command succeeds.
check()
{
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   actual:   %s\n' "$2" "$3"
	fi
}

# sql QUERY: runs one statement, prints unaligned tuples only; the exit status
# is psql's (non-zero on ERROR).
sql()
{
	psql -X -q -At -v ON_ERROR_STOP=1 -c "$1" 2>&1
}

# control COMMAND...: one onebox control command; prints the reply.
control()
{
	ONEBOX_CONTROL_PORT=${PEGASUS_TEST_CONTROL##*:} onebox_control "$@"
}

# expect_match NAME REGEX TEXT
expect_match()
{
	if grep -qE -- "$2" <<<"$3"; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected to match: %s\n' "$2"
		printf '%s\n' "$3" | sed -n '1,8s/^/#   got: /p'
	fi
}

# expect_no_match NAME REGEX TEXT
expect_no_match()
{
	if grep -qE -- "$2" <<<"$3"; then
		not_ok "$1"
		printf '%s\n' "$3" | grep -E -- "$2" | sed -n '1,5s/^/#   got: /p'
	else
		ok "$1"
	fi
}

# A scratch database per script keeps scripts independent.
setup_db()
{
	local db=$1
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
	export PGDATABASE=$db
	sql "CREATE EXTENSION pegasus_fdw;
	     CREATE SERVER pegasus FOREIGN DATA WRAPPER pegasus_fdw
	       OPTIONS (meta_servers '$PEGASUS_TEST_META')" >/dev/null
}

# Upper time limits get LOAD_SLACK_MS more (default 1500): on a loaded
# machine psql, the backend and the onebox are slow to be scheduled, so the
# limits are the specified deadline plus this margin, and every fault a
# limit measures lasts well beyond limit + margin (a wrong behaviour still
# exceeds it).  Lower limits need no margin: load only makes things slower.
: "${LOAD_SLACK_MS:=1500}"

# in_time MS MS_MIN MS_MAX: true when MS_MIN <= MS <= MS_MAX + LOAD_SLACK_MS.
in_time()
{
	[ "$1" -ge "$2" ] && [ "$1" -le $(($3 + LOAD_SLACK_MS)) ]
}

# restart_pg [-m MODE] [ENV...]: the suite's PostgreSQL again, shut down in
# MODE (fast unless told; immediate is a crash), with the environment
# changed as env(1) arguments say (its backends read KRB5_CONFIG, say).
restart_pg()
{
	local data="$PGHOST/data" run=() mode=fast
	if [ "${1:-}" = -m ]; then
		mode=$2
		shift 2
	fi
	[ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
	(cd / && "${run[@]}" env "$@" "$(pg_config --bindir)/pg_ctl" -D "$data" -m "$mode" \
		-l "$PGHOST/postgres.log" -w -t 60 restart >/dev/null)
}

# valgrind_ended LOG STATUS: how a backend under valgrind ended, as TAP
# comments when it did not exit 0 (valgrind's "Process terminating" block
# names the signal and the stack).  Returns 2 when valgrind itself could not
# run the program: an instruction of this CPU its emulator does not know,
# which ends the program with SIGILL whatever the program does.
valgrind_ended()
{
	local log=$1 status=$2
	[ "$status" -eq 0 ] && return 0
	echo "# the backend under valgrind ended with status $status"
	awk 'tolower($0) ~ /process terminating|unhandled instruction|unrecognised instruction/ { n = 30 }
		n > 0 { print "#   " $0; n-- }' "$log" 2>/dev/null | head -n 40
	if grep -qiE 'unhandled instruction bytes|unrecognised instruction' "$log" 2>/dev/null; then
		return 2
	fi
	return 1
}

tap_done()
{
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
