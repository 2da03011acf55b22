#!/usr/bin/env bash
# CI step: the Debian packages, built and tested the way users get them.
#   1. installs what packaging needs (test/install-deps.sh --packaging);
#   2. copies the tree (tracked and unignored files, no build outputs) to a
#      temporary directory and runs `dpkg-buildpackage -us -uc -b` there;
#   3. installs the postgresql-NN-pegasus-fdw and pegasus-fdw-tools it built;
#   4. runs test/installcheck.sh of the copy, which holds no pegasus_fdw.so,
#      against each installed PostgreSQL major, and the installed pegasus-cli
#      against a onebox;
#   5. removes the packages and the copy, whatever happened.
# The last line is "package: N passed, N failed"; the exit status is non-zero
# when anything failed.  Runs as root (it installs packages), needs no stdin.
# PACKAGE_KEEP_WORKDIR=1 keeps the build directory and its logs.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
	echo "$0 installs Debian packages: run it as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
exec </dev/null
test/install-deps.sh --packaging || exit 1

passed=0
failed=0
failures=()
installed=()
WORK=$(mktemp -d /tmp/pegasus_fdw_pkg.XXXXXX)
chmod 755 "$WORK"
SRC="$WORK/src"

note_result()
{
	# $1 = ok|fail, $2 = name
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "  ok: $2"
	else
		failed=$((failed + 1))
		failures+=("$2")
		echo "  FAILED: $2"
	fi
}

finish()
{
	trap - EXIT
	if [ ${#installed[@]} -gt 0 ]; then
		echo "== remove packages"
		if dpkg --purge "${installed[@]}" >"$WORK/remove.log" 2>&1; then
			note_result ok "packages removed: ${installed[*]}"
		else
			tail -20 "$WORK/remove.log"
			note_result fail "dpkg --purge ${installed[*]}"
		fi
	fi
	if [ -z "${PACKAGE_KEEP_WORKDIR:-}" ]; then
		rm -rf "$WORK"
	else
		echo "build directory kept: $WORK"
	fi
	echo
	if [ ${#failures[@]} -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${failures[@]}"
	fi
	echo "package: $passed passed, $failed failed"
	# An EXIT trap's plain `exit` would keep the script's status: say it.
	if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then exit 0; fi
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

# Packages of this source left installed (by an interrupted run, or by
# hand) would be replaced and then removed: only in CI is that wanted.
present=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'postgresql-*-pegasus-fdw' \
	pegasus-fdw-tools 2>/dev/null | awk '$1 == "installed" { print $2 }')
if [ -n "$present" ]; then
	if [ "${CI:-}" != true ]; then
		echo "already installed: $present; remove them first (this script removes what it installs)"
		note_result fail "no pegasus_fdw package installed beforehand"
		exit 1
	fi
	echo "replacing installed packages (CI=true): $present"
fi

# One version everywhere: the control file's default_version (as semver),
# META.json (PGXN) and its provides entry, debian/changelog.
echo "== versions"
ctl=$(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" pegasus_fdw.control)
semver=$ctl
while [ "$(echo "$semver" | tr -cd . | wc -c)" -lt 2 ]; do semver=$semver.0; done
meta=$(perl -MJSON::PP -e 'local $/; my $m = decode_json(<STDIN>);
	print "$m->{version} $m->{provides}{pegasus_fdw}{version} $m->{\"meta-spec\"}{version}"' <META.json)
deb=$(dpkg-parsechangelog -l debian/changelog -S Version | sed 's/-[^-]*$//')
echo "  pegasus_fdw.control $ctl, META.json (version, provides, meta-spec) $meta, debian/changelog $deb"
if [ "$meta" = "$semver $semver 1.0.0" ] && [ "$deb" = "$semver" ]; then
	note_result ok "versions agree: $semver"
else
	note_result fail "versions differ: control $ctl, META.json $meta, debian/changelog $deb"
fi

echo "== copy of the tree: $SRC"
mkdir -p "$SRC"
if git -c safe.directory="$ROOT" -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -c safe.directory="$ROOT" -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		tar -C "$ROOT" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$SRC" -xf -
else
	tar -C "$ROOT" --exclude=./.git -cf - . | tar -C "$SRC" -xf -
fi
[ -f "$SRC/debian/rules" ] || { note_result fail "copy of the tree"; exit 1; }

echo "== dpkg-buildpackage -us -uc -b"
start=$SECONDS
if (cd "$SRC" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$WORK/build.log" 2>&1; then
	note_result ok "package build ($((SECONDS - start)) s)"
else
	tail -60 "$WORK/build.log"
	note_result fail "dpkg-buildpackage"
	exit 1
fi
if grep -E '^[^ ]+\.[ch]:[0-9]+:([0-9]+:)? warning:' "$WORK/build.log"; then
	note_result fail "package build warnings"
fi

debs=()
majors=()
for deb in "$WORK"/*.deb; do
	pkg=$(dpkg-deb -f "$deb" Package)
	case "$pkg" in
		*-dbgsym) continue ;;
		postgresql-*-pegasus-fdw) majors+=("$(echo "$pkg" | sed -E 's/^postgresql-([0-9]+)-.*/\1/')") ;;
	esac
	debs+=("$deb")
	echo "  $(basename "$deb")"
done
if [ ${#majors[@]} -eq 0 ] || [ ${#debs[@]} -ne $((${#majors[@]} + 1)) ]; then
	note_result fail "one postgresql-NN-pegasus-fdw per major and pegasus-fdw-tools built"
	exit 1
fi

echo "== install"
for deb in "${debs[@]}"; do installed+=("$(dpkg-deb -f "$deb" Package)"); done
if apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$WORK/install.log" 2>&1; then
	note_result ok "packages installed: ${installed[*]}"
else
	tail -30 "$WORK/install.log"
	note_result fail "apt-get install of the built packages"
	exit 1
fi

# The copy is clean after the build (debian/rules ends with make clean):
# whatever the tests load must come from the packages.
if [ -e "$SRC/pegasus_fdw.so" ]; then
	note_result fail "the build tree has no pegasus_fdw.so"
fi

for v in "${majors[@]}"; do
	pgc=/usr/lib/postgresql/$v/bin/pg_config
	echo "== installcheck on PostgreSQL $v (installed files)"
	for f in "$($pgc --pkglibdir)/pegasus_fdw.so" "$($pgc --sharedir)/extension/pegasus_fdw.control"; do
		# (no pipe into grep -q: under pipefail its writer's SIGPIPE fails the test)
		if grep -q "^postgresql-$v-pegasus-fdw:" <<<"$(dpkg-query -S "$f" 2>/dev/null)"; then
			note_result ok "$f is from postgresql-$v-pegasus-fdw"
		else
			note_result fail "$f is not from postgresql-$v-pegasus-fdw"
		fi
	done
	out="$WORK/installcheck-$v.out"
	(cd "$SRC" && PG_CONFIG=$pgc timeout 1200 bash test/installcheck.sh) >"$out" 2>&1
	rc=$?
	sed 's/^/  /' "$out"
	summary=$(grep -E '^installcheck: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	if [ -z "$summary" ]; then
		note_result fail "installcheck on PostgreSQL $v printed no summary (exit $rc)"
		continue
	fi
	n_ok=$(echo "$summary" | sed -E 's/^installcheck: ([0-9]+) passed.*/\1/')
	n_bad=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + n_ok))
	failed=$((failed + n_bad))
	[ "$n_bad" -eq 0 ] || failures+=("installcheck on PostgreSQL $v: $n_bad failed")
	if [ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ]; then
		note_result fail "installcheck on PostgreSQL $v (exit $rc)"
	fi
	echo "  installcheck on PostgreSQL $v: $n_ok passed, $n_bad failed"
done

# pegasus-fdw-tools: the installed pegasus-cli writes and reads a record.
echo "== installed pegasus-cli"
(
	cd "$SRC" || exit 1
	. test/lib/cluster.sh
	trap cluster_cleanup EXIT
	cluster_init
	onebox_start --table pkg_cli:4 >/dev/null || exit 1
	cli=/usr/bin/pegasus-cli
	"$cli" --meta "$PEGASUS_TEST_META" --table pkg_cli set hash sort value-from-package || exit 1
	got=$("$cli" --meta "$PEGASUS_TEST_META" --table pkg_cli get hash sort) || exit 1
	echo "  get: $got"
	[ "$got" = value-from-package ]
) >"$WORK/cli.out" 2>&1
rc=$?
sed 's/^/  /' "$WORK/cli.out"
if [ "$rc" -eq 0 ]; then
	note_result ok "/usr/bin/pegasus-cli set and get against the onebox"
else
	note_result fail "/usr/bin/pegasus-cli set and get against the onebox"
fi
