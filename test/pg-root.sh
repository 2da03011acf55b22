#!/usr/bin/env bash
# Runs the project against another PostgreSQL major version inside a Debian
# root made with debootstrap, so that versions the host's Debian does not ship
# (17 from Debian 13, 18 from unstable, 19 from unstable + experimental) are
# tested from the same source tree; 15 (Debian 12) too, for a long run that
# must not share the host's installed extension with other runs.
#
#   test/pg-root.sh build N        make (or check) the root for PostgreSQL N
#   test/pg-root.sh run N CMD...   run CMD inside it, in a copy of this tree
#   test/pg-root.sh shell N        an interactive shell there
#
# Roots live under $PEGASUS_ROOT_CACHE (default /var/cache/pegasus_fdw) and
# are kept between runs: a root is rebuilt only when it is missing, broken
# (no ready marker, failing sanity check) or its package list changed.  The
# Debian mirror is the one this machine's apt sources already use.  /proc and
# a tmpfs on /dev/shm are mounted for the command and unmounted afterwards,
# whatever happens.  Must run as root.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${PEGASUS_ROOT_CACHE:=/var/cache/pegasus_fdw}"

# Packages every root gets: what the build and the suite need.
base_packages="ca-certificates gcc make pkg-config libc6-dev libglib2.0-dev
	libthrift-c-glib-dev libjson-glib-dev libicu-dev netcat-openbsd procps
	util-linux python3 locales-all libsasl2-dev libkrb5-dev
	libsasl2-modules-gssapi-mit krb5-kdc krb5-admin-server krb5-user faketime"

die() { echo "pg-root: $*" >&2; exit 1; }

usage() { die "usage: $0 build N | run N CMD... | shell N"; }

# suite_of N: the Debian suite that ships PostgreSQL N, and whether the
# packages come from experimental on top of it.
suite_of()
{
	case "$1" in
		15) echo "bookworm" ;;	# this machine's own: for runs kept apart from its install
		17) echo "trixie" ;;
		18) echo "sid" ;;
		19) echo "sid experimental" ;;
		*) return 1 ;;
	esac
}

# The first Debian archive URI of this machine's apt sources (deb822 or
# one-line format), without a trailing slash.  The security archive is
# skipped: it has no suites of its own for unstable.
apt_mirror()
{
	local uri
	uri=$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	} | grep -v -e security -e '^$' | grep -m1 -i debian || true)
	[ -n "$uri" ] || die "no Debian archive found in the apt sources of this machine"
	echo "${uri%/}"
}

root_dir() { echo "$PEGASUS_ROOT_CACHE/pg$1-$(suite_of "$1" | tr ' ' '+')"; }

# One user of a root at a time: a second run would replace the first one's
# copy of the tree and unmount its /proc.  Held until this script exits.
lock_root()
{
	mkdir -p "$PEGASUS_ROOT_CACHE"
	exec 9>"$(root_dir "$1").lock"
	if ! flock -n 9; then
		echo "pg-root: waiting for another run in the PostgreSQL $1 root"
		flock 9
	fi
}

packages_of() { echo "$base_packages postgresql-$1 postgresql-server-dev-$1" | tr -s ' \t\n' ' '; }

# Mounts what PostgreSQL needs inside the root; umount_root undoes it.
# The mounts are recorded so that only what was mounted here is unmounted.
MOUNTED=()
mount_root()
{
	local r=$1
	if ! mountpoint -q "$r/proc"; then
		mount -t proc proc "$r/proc" && MOUNTED+=("$r/proc")
	fi
	mkdir -p "$r/dev/shm"
	if ! mountpoint -q "$r/dev/shm"; then
		mount -t tmpfs -o mode=1777,size=1g tmpfs "$r/dev/shm" && MOUNTED+=("$r/dev/shm")
	fi
}

umount_root()
{
	local m i
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		m=${MOUNTED[$i]}
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	MOUNTED=()
}

in_root()
{
	local r=$1
	shift
	chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@"
}

# A root is usable when its marker names the same package list and its
# PostgreSQL runs.
root_ok()
{
	local r=$1 n=$2
	[ -f "$r/.pegasus_fdw_ready" ] || return 1
	[ "$(cat "$r/.pegasus_fdw_ready")" = "$(packages_of "$n")" ] || return 1
	[ -x "$r/usr/lib/postgresql/$n/bin/postgres" ] || return 1
	in_root "$r" "/usr/lib/postgresql/$n/bin/postgres" --version >/dev/null 2>&1
}

build_root()
{
	local n=$1 r suite extra mirror apt_opts t0
	suite_of "$n" >/dev/null || die "no Debian suite known for PostgreSQL $n (known: 15, 17, 18, 19)"
	r=$(root_dir "$n")
	read -r suite extra <<<"$(suite_of "$n")"
	if root_ok "$r" "$n"; then
		echo "pg-root: PostgreSQL $n root ready at $r (cached)"
		return 0
	fi
	t0=$(date +%s)
	command -v debootstrap >/dev/null || "$ROOT/test/install-deps.sh" debootstrap
	mirror=$(apt_mirror)
	echo "pg-root: building the PostgreSQL $n root ($suite${extra:+ + $extra}) at $r"
	umount_root
	rm -rf "$r.new"
	mkdir -p "$PEGASUS_ROOT_CACHE"
	if ! debootstrap --variant=minbase "$suite" "$r.new" "$mirror" >"$PEGASUS_ROOT_CACHE/debootstrap-pg$n.log" 2>&1; then
		tail -30 "$PEGASUS_ROOT_CACHE/debootstrap-pg$n.log" >&2
		die "debootstrap of $suite failed (log: $PEGASUS_ROOT_CACHE/debootstrap-pg$n.log)"
	fi
	# Unstable's Release files may be older than their Valid-Until here.
	apt_opts="-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false"
	{
		echo "deb $mirror $suite main"
		[ -z "$extra" ] || echo "deb $mirror $extra main"
	} >"$r.new/etc/apt/sources.list"
	rm -f "$r.new/etc/apt/sources.list.d/"*.sources
	echo 'Acquire::Check-Valid-Until "false";' >"$r.new/etc/apt/apt.conf.d/99pegasus-fdw-valid-until"
	# No services start inside the root while packages install.
	printf '#!/bin/sh\nexit 101\n' >"$r.new/usr/sbin/policy-rc.d"
	chmod +x "$r.new/usr/sbin/policy-rc.d"
	# postgresql-common must not create a default cluster in the root.
	mkdir -p "$r.new/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" >"$r.new/etc/postgresql-common/createcluster.d/no-main.conf"
	MOUNTED=()
	mount_root "$r.new"
	local rc=0
	{
		in_root "$r.new" apt-get $apt_opts update -qq &&
		if [ -n "$extra" ]; then
			in_root "$r.new" apt-get $apt_opts install -y -qq $base_packages postgresql-common &&
			in_root "$r.new" apt-get $apt_opts install -y -qq -t "$extra" \
				"postgresql-$n" "postgresql-server-dev-$n"
		else
			in_root "$r.new" apt-get $apt_opts install -y -qq $(packages_of "$n")
		fi
	} >"$PEGASUS_ROOT_CACHE/apt-pg$n.log" 2>&1 || rc=$?
	umount_root
	if [ "$rc" -ne 0 ]; then
		tail -30 "$PEGASUS_ROOT_CACHE/apt-pg$n.log" >&2
		die "installing PostgreSQL $n in the root failed (log: $PEGASUS_ROOT_CACHE/apt-pg$n.log)"
	fi
	in_root "$r.new" apt-get clean
	packages_of "$n" >"$r.new/.pegasus_fdw_ready"
	rm -rf "$r"
	mv "$r.new" "$r"
	echo "pg-root: PostgreSQL $n root built in $(( $(date +%s) - t0 )) s"
}

# Copies the tree (tracked and untracked files, no build products) into the
# root, with ../shared beside it when the tree has one, so the root builds
# from exactly this source without touching the host's build.
copy_tree()
{
	local r=$1 dest=$1/build
	rm -rf "$dest"
	mkdir -p "$dest/pegasus_fdw"
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# --ignore-failed-read: a tracked file deleted in the work tree.
		(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
			tar -C "$dest/pegasus_fdw" -xf -
	else
		tar -C "$ROOT" --exclude='*.o' --exclude='*.so' --exclude='*.a' -cf - . |
			tar -C "$dest/pegasus_fdw" -xf -
	fi
	[ ! -d "$ROOT/../shared" ] || cp -a "$ROOT/../shared" "$dest/shared"
}

run_in_root()
{
	local n=$1 r rc=0
	shift
	build_root "$n"
	r=$(root_dir "$n")
	copy_tree "$r"
	# the host's names (its own host name among them), as a chroot needs:
	# without it every lookup of the local name waits for DNS
	cp /etc/hosts "$r/etc/hosts"
	MOUNTED=()
	trap umount_root EXIT
	trap 'exit 130' INT TERM
	mount_root "$r"
	in_root "$r" /bin/bash -c 'cd /build/pegasus_fdw && exec "$@"' bash "$@" || rc=$?
	umount_root
	trap - EXIT
	return "$rc"
}

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot)"
[ $# -ge 2 ] || usage
cmd=$1 n=$2
shift 2
suite_of "$n" >/dev/null || die "no Debian suite known for PostgreSQL $n (known: 15, 17, 18, 19)"
lock_root "$n"
case "$cmd" in
	build) build_root "$n" ;;
	run) [ $# -gt 0 ] || usage; run_in_root "$n" "$@" ;;
	shell) run_in_root "$n" /bin/bash -i ;;
	*) usage ;;
esac
