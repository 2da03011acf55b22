#!/usr/bin/env bash
# Runs the pg_regress suite the PGXS way (`make installcheck`) against the
# pegasus_fdw that is INSTALLED in the PostgreSQL pg_config names (by
# `make install` or by the postgresql-NN-pegasus-fdw package), not against
# this tree's build:
#   1. builds only the onebox and pegasus-cli of this tree (the tests call
#      both), never the extension;
#   2. starts the onebox and a throwaway PostgreSQL cluster (test/lib/cluster.sh);
#   3. runs `make installcheck`: the installed PostgreSQL's pg_regress and psql
#      against that cluster, which loads the installed pegasus_fdw.so;
#   4. checks that the backend mapped the installed pegasus_fdw.so and that
#      the onebox saw no protocol violation;
#   5. stops both, whatever happened.
# The last line is "installcheck: N passed, N failed"; the exit status is
# non-zero when anything failed.
#
# PG_CONFIG picks another PostgreSQL (default: pg_config in PATH); the ports
# are those of test/lib/cluster.sh (ONEBOX_*_PORT(S), PG_TEST_PORT).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ $# -eq 0 ] || { echo "usage: $0 (settings through PG_CONFIG and the port variables)" >&2; exit 2; }

if [ -n "${PG_CONFIG:-}" ]; then
	PATH="$("$PG_CONFIG" --bindir):$PATH"
	export PATH
fi
export PG_CONFIG=${PG_CONFIG:-pg_config}
PG_MAJOR=$("$PG_CONFIG" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p') \
	test/install-deps.sh || exit 1

. test/lib/cluster.sh

passed=0
failed=0
failures=()

note_result()
{
	# $1 = ok|fail, $2 = name
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$2")
	fi
}

finish()
{
	cluster_cleanup
	if [ ${#failures[@]} -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${failures[@]}"
	fi
	echo "installcheck: $passed passed, $failed failed"
}
trap finish EXIT
trap 'exit 130' INT TERM

pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
installed_so="$pkglibdir/pegasus_fdw.so"
echo "== installed pegasus_fdw ($("$PG_CONFIG" --version))"
for f in "$installed_so" "$sharedir/extension/pegasus_fdw.control"; do
	if [ ! -f "$f" ]; then
		echo "$f is missing: install the extension first (make install, or the postgresql-NN-pegasus-fdw package)"
		note_result fail "pegasus_fdw installed"
		exit 1
	fi
	owner=$(dpkg-query -S "$f" 2>/dev/null | cut -d: -f1)
	echo "  $f${owner:+ (package $owner)}"
done

echo "== build onebox and pegasus-cli"
if ! make -s -j2 test/onebox/pegasus-onebox src/tools/pegasus-cli >"$ROOT/installcheck-build.log" 2>&1; then
	cat "$ROOT/installcheck-build.log"
	note_result fail "onebox build"
	exit 1
fi
rm -f "$ROOT/installcheck-build.log"

cluster_init
echo "== onebox"
onebox_start || { note_result fail "onebox start"; exit 1; }
echo "== PostgreSQL"
pg_start || { note_result fail "postgres start"; exit 1; }

echo "== make installcheck"
out="$PEGASUS_WORKDIR/installcheck.out"
make -s installcheck >"$out" 2>&1
rc=$?
grep -E '\.\.\. |^(ok|not ok) ' "$out" | sed 's/^/  /'
while IFS= read -r line; do
	# "test NAME ... ok" (PostgreSQL 15), "ok N - NAME" / "not ok N - NAME" (16+)
	name=$(echo "$line" | sed -E 's/^(test +|(not )?ok +[0-9]+ +- +)//; s/ .*//')
	case "$line" in
		*"... ok"*|ok\ *) note_result ok "$name" ;;
		*) note_result fail "regress $name" ;;
	esac
done < <(grep -E '\.\.\. (ok|FAILED|failed)|^(ok|not ok) ' "$out")
if [ "$rc" -ne 0 ]; then
	[ -f regression.diffs ] && head -200 regression.diffs
	grep -qE 'FAILED|failed|not ok' "$out" || { cat "$out"; note_result fail "pg_regress (exit $rc)"; }
fi

# The backend reads its own memory map: the pegasus_fdw.so it loaded must
# be the installed one, not a file of this tree.
echo "== loaded library"
loaded=$(psql -X -q -At -d postgres -c "LOAD 'pegasus_fdw'" -c "
	SELECT DISTINCT m[1] FROM regexp_matches(pg_read_file('/proc/self/maps'),
		'(/\S*pegasus_fdw\.so)', 'g') AS m" 2>&1)
echo "  backend mapped: ${loaded:-nothing}"
if [ "$loaded" = "$installed_so" ]; then
	note_result ok "installed pegasus_fdw.so loaded"
else
	note_result fail "backend loaded ${loaded:-no pegasus_fdw.so}, not $installed_so"
fi

echo "== onebox protocol violations"
v=$(onebox_control violations | grep -oE '[0-9]+' | tail -1)
echo "  violations: ${v:-unknown}"
if [ "${v:-x}" = 0 ]; then
	note_result ok "no protocol violations"
else
	note_result fail "onebox protocol violations: ${v:-unknown}"
	grep -i 'violation' "$PEGASUS_WORKDIR/onebox.log" | sed -n '1,20s/^/  /p'
fi

[ "$failed" -eq 0 ]
