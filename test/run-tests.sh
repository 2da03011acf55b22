#!/usr/bin/env bash
# Runs the whole pegasus_fdw test suite on this machine:
#   1. installs missing Debian packages, builds everything, installs the extension;
#   2. starts a onebox (Pegasus-compatible server) and a throwaway PostgreSQL;
#   3. runs the layout check (test/layout: no call circles between files,
#      no long files), the unit tests (codec, onebox semantics, client), the
#      pg_regress suite (SQL behaviour, EXPLAIN, differential tests) and the
#      reliability scripts of test/reliability (faults, bad input,
#      concurrency, load);
#   4. checks the onebox saw no protocol violation;
#   5. stops everything it started, whatever happened.
# The last line is "total: N passed, N failed, N skipped"; the exit status is
# non-zero when anything failed.
#
# Options: --unit-only, --regress-only, --reliability-only (RELIABILITY_TESTS=glob
# picks scripts of test/reliability), --no-unit, --no-regress, --no-reliability;
# --quick: pg_regress and a reliability smoke (the harness, wait events, cancel,
# batched joins, Kerberos, statistics across restarts, the update path);
# --pg N: against PostgreSQL N, in a Debian root made by test/pg-root.sh
# (unless N is this machine's); --shuffle SEED: the reliability scripts in
# an order drawn from SEED (t_zz_* still last: they check what the others
# left).  PEGASUS_VALGRIND=1 runs the unit tests under valgrind;
# PEGASUS_PRELOAD=1 starts PostgreSQL with shared_preload_libraries =
# 'pegasus_fdw'.
#
# The checkout may lie in any directory root can use, even one the postgres
# user cannot enter (a clone under /root or inside a mktemp -d): what runs
# as postgres reads only copies in the work directory (PEGASUS_WORKDIR).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
run_unit=1
run_regress=1
run_reliability=1
pg_version=
shuffle_seed=
usage="usage: $0 [--pg N] [--shuffle SEED] [--unit-only|--regress-only|--reliability-only|--quick]"
while [ $# -gt 0 ]; do
	case "$1" in
		--unit-only) run_regress=0; run_reliability=0 ;;
		--regress-only) run_unit=0; run_reliability=0 ;;
		--reliability-only) run_unit=0; run_regress=0 ;;
		--no-unit) run_unit=0 ;;
		--no-regress) run_regress=0 ;;
		--no-reliability) run_reliability=0 ;;
		--quick)
			# pg_regress (differential tests included) and a reliability smoke
			run_unit=0
			: "${RELIABILITY_TESTS:=t_smoke.sh t_wait_events.sh t_cancel_query.sh t_join_batches.sh t_auth_kerberos.sh t_stats_restart.sh t_extension_upgrade.sh}" ;;
		--pg)
			[ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
			pg_version=$2
			shift ;;
		--shuffle)
			[ $# -ge 2 ] && [ -n "$2" ] || { echo "$usage" >&2; exit 2; }
			shuffle_seed=$2
			shift ;;
		*) echo "$usage" >&2; exit 2 ;;
	esac
	shift
done
# RELIABILITY_TESTS: globs (space-separated) selecting test/reliability
# scripts (default all).
: "${RELIABILITY_TESTS:=t_*.sh}"
export RELIABILITY_TESTS

# --pg N: the same run against PostgreSQL N, inside a Debian root that has
# it (test/pg-root.sh), unless N is the PostgreSQL of this machine.
if [ -n "$pg_version" ]; then
	host_major=$(pg_config --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
	if [ "$pg_version" != "$host_major" ]; then
		args=()
		[ "$run_unit" -eq 1 ] || args+=(--no-unit)
		[ "$run_regress" -eq 1 ] || args+=(--no-regress)
		[ "$run_reliability" -eq 1 ] || args+=(--no-reliability)
		[ -z "$shuffle_seed" ] || args+=(--shuffle "$shuffle_seed")
		exec bash test/pg-root.sh run "$pg_version" env RELIABILITY_TESTS="$RELIABILITY_TESTS" \
			PEGASUS_VALGRIND="${PEGASUS_VALGRIND:-}" PEGASUS_PRELOAD="${PEGASUS_PRELOAD:-}" \
			${ONEBOX_META_PORT:+ONEBOX_META_PORT=$ONEBOX_META_PORT} \
			${ONEBOX_REPLICA_PORTS:+ONEBOX_REPLICA_PORTS=$ONEBOX_REPLICA_PORTS} \
			${ONEBOX_CONTROL_PORT:+ONEBOX_CONTROL_PORT=$ONEBOX_CONTROL_PORT} \
			${PG_TEST_PORT:+PG_TEST_PORT=$PG_TEST_PORT} \
			bash test/run-tests.sh "${args[@]}"
	fi
fi

# valgrind: the unit tests with PEGASUS_VALGRIND=1, and a backend under
# valgrind in the reliability scripts that use one (t_valgrind_backend, and
# t_auth_kerberos's authenticating backend).
extra_pkgs=()
# in name order (t_zz_leftovers.sh last), each once
reliability_scripts()
{
	local g f
	for g in $RELIABILITY_TESTS; do
		for f in test/reliability/$g; do
			[ -f "$f" ] && echo "$f"
		done
	done | awk '!seen[$0]++'
}
# shuffled SEED: the scripts of stdin in the order of the SHA-256 of
# "SEED NAME" (the same order for a seed on every machine), t_zz_* last in
# name order.
shuffled()
{
	local f
	while IFS= read -r f; do
		case "$f" in
			*/t_zz_*) printf '~ %s\n' "$f" ;;
			*) printf '%s %s\n' "$(printf '%s %s' "$1" "${f##*/}" | sha256sum | cut -c1-16)" "$f" ;;
		esac
	done | LC_ALL=C sort | cut -d' ' -f2-
}
selected=$(reliability_scripts)
[ -z "$shuffle_seed" ] || selected=$(shuffled "$shuffle_seed" <<<"$selected")
if { [ "$run_unit" -eq 1 ] && [ -n "${PEGASUS_VALGRIND:-}" ]; } ||
	{ [ "$run_reliability" -eq 1 ] &&
		[[ "$selected" == *valgrind* || "$selected" == *t_auth_kerberos* ]]; }; then
	extra_pkgs+=(valgrind)
fi
test/install-deps.sh "${extra_pkgs[@]}" || exit 1

. test/lib/cluster.sh

passed=0
failed=0
skipped=0
failures=()

note_result()
{
	# $1 = ok|fail|skip, $2 = name
	case "$1" in
		ok) passed=$((passed + 1)) ;;
		skip) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)); failures+=("$2") ;;
	esac
}

# exit_reason RC: how a command with exit status RC (as timeout(1) reports
# it) ended, e.g. "killed by SIGPIPE, exit 141", "timed out, exit 124".
exit_reason()
{
	local rc=$1 sig
	if [ "$rc" -eq 124 ]; then
		echo "timed out after 900 s, exit $rc"
	elif [ "$rc" -gt 128 ] && sig=$(kill -l $((rc - 128)) 2>/dev/null); then
		echo "killed by SIG${sig#SIG}, exit $rc"
	else
		echo "exit $rc"
	fi
}

# run_tap NAME COMMAND...: runs a program that prints TAP, counts its checks:
# each "ok" passed (or skipped), each "not ok" failed, and one more failed
# check when the program ended otherwise badly (a non-zero exit or signal
# with no "not ok" to explain it, missing results, no result at all).  A
# failing program is listed once with how it ended; its failures and last
# lines are shown.
run_tap()
{
	local name=$1 out="$PEGASUS_WORKDIR/$1.out" rc n_ok n_skip n_bad n_plan why extra=0
	shift
	timeout 900 "$@" >"$out" 2>&1
	rc=$?
	n_ok=$(grep -cE '^ok [0-9]+' "$out")
	n_skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	n_bad=$(grep -cE '^not ok' "$out")
	# the plan line "1..N" of a program that printed one
	n_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | tail -1)
	why=$(exit_reason "$rc")
	if [ -n "$n_plan" ] && [ "$n_plan" -ne $((n_ok + n_bad)) ]; then
		why="$why, $((n_ok + n_bad)) of $n_plan results"
		extra=1
	elif [ -z "$n_plan" ] && [ "$rc" -ne 0 ]; then
		why="$why, ended after $((n_ok + n_bad)) results"
		extra=1
	elif [ $((n_ok + n_bad)) -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ]; }; then
		extra=1
	fi
	printf '%-28s %3d ok, %d skipped, %d failed (%s)\n' "$name" \
		$((n_ok - n_skip)) "$n_skip" $((n_bad + extra)) "$why"
	grep -E '^# .*skipped|^ok .*# SKIP' "$out" | sed -n '1,5s/^/    /p'
	passed=$((passed + n_ok - n_skip))
	skipped=$((skipped + n_skip))
	if [ "$rc" -ne 0 ] || [ $((n_bad + extra)) -gt 0 ]; then
		failed=$((failed + n_bad + extra))
		[ "$n_bad" -eq 0 ] || why="$n_bad of $((n_ok + n_bad)) checks failed, $why"
		failures+=("$name ($why)")
		grep -E -A3 '^not ok|ERROR|CRITICAL|FAIL|==[0-9]+==' "$out" | sed -n '1,40s/^/    /p'
		echo "    --- last lines of $name:"
		tail -n 15 "$out" | sed 's/^/    | /'
	fi
}

finish()
{
	cluster_cleanup
	echo
	if [ ${#failures[@]} -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${failures[@]}"
	fi
	echo "total: $passed passed, $failed failed, $skipped skipped"
}
trap finish EXIT
trap 'exit 130' INT TERM

echo "== build"
if ! make -s -j"$(nproc)" >build.log 2>&1; then
	cat build.log
	note_result fail build
	exit 1
fi
if grep -n 'warning:' build.log; then
	note_result fail "build warnings"
fi
make -s install >/dev/null || { note_result fail "make install"; exit 1; }
rm -f build.log

cluster_init
echo "== onebox"
onebox_start || { note_result fail "onebox start"; exit 1; }

if [ "$run_unit" -eq 1 ]; then
	echo "== layout"
	# calls between files go one way, no source file over 1,000 lines
	run_tap layout bash test/layout/check.sh
	echo "== unit tests"
	for prog in test/unit/test_*; do
		[ -x "$prog" ] && [ "${prog%.c}" = "$prog" ] && [ "${prog%.o}" = "$prog" ] || continue
		cmd=("$prog" --tap)
		if [ -n "${PEGASUS_VALGRIND:-}" ]; then
			cmd=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite
				--error-exitcode=99 "${cmd[@]}")
		fi
		run_tap "$(basename "$prog")" "${cmd[@]}"
	done
fi

if [ "$run_regress" -eq 1 ] || [ "$run_reliability" -eq 1 ]; then
	echo "== PostgreSQL"
	pg_start || { note_result fail "postgres start"; exit 1; }
fi

if [ "$run_regress" -eq 1 ]; then
	echo "== pg_regress"
	out="$PEGASUS_WORKDIR/regress.out"
	make -s installcheck >"$out" 2>&1
	rc=$?
	grep -E '\.\.\. |^(ok|not ok) ' "$out" | sed 's/^/  /'
	n_regress=0
	while IFS= read -r line; do
		n_regress=$((n_regress + 1))
		name=$(sed -E 's/^(test +|(not )?ok +[0-9]+ +- +)//; s/ .*//' <<<"$line")
		case "$line" in
			*"... ok"*|ok\ *) note_result ok "$name" ;;
			*) note_result fail "regress $name" ;;
		esac
	done < <(grep -E '\.\.\. (ok|FAILED|failed)|^(ok|not ok) ' "$out")
	# every file of sql/ must have been counted, or the counting itself failed
	if [ "$n_regress" -ne "$(ls sql/*.sql | wc -l)" ]; then
		cat "$out"
		note_result fail "pg_regress: $n_regress results for $(ls sql/*.sql | wc -l) test files"
	fi
	if [ "$rc" -ne 0 ]; then
		[ -f regression.diffs ] && head -200 regression.diffs
		grep -qE 'FAILED|failed|not ok' "$out" || { cat "$out"; note_result fail "pg_regress (exit $rc)"; }
	fi
fi

if [ "$run_reliability" -eq 1 ]; then
	echo "== reliability"
	if [ -n "$shuffle_seed" ]; then
		echo "shuffled with seed $shuffle_seed (again: --shuffle $shuffle_seed):"
		for script in $selected; do basename "$script" .sh; done | paste -sd' ' | fold -s -w 76 | sed 's/ *$//; s/^/  /'
	fi
	for script in $selected; do
		[ -f "$script" ] || continue
		run_tap "$(basename "$script" .sh)" bash "$script"
	done
fi

echo "== onebox protocol violations"
v=$(onebox_control violations | grep -oE '[0-9]+' | tail -1)
echo "violations: ${v:-unknown}"
if [ "${v:-x}" = 0 ]; then
	note_result ok "no protocol violations"
else
	note_result fail "onebox protocol violations: ${v:-unknown}"
	grep -i 'violation' "$PEGASUS_WORKDIR/onebox.log" | sed -n '1,20p'
fi

[ "$failed" -eq 0 ]
