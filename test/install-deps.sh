#!/usr/bin/env bash
# Installs the Debian packages pegasus_fdw needs to build and test, when any is
# missing.  Safe to run repeatedly; does nothing when everything is present.
#
# The PostgreSQL major version is, in this order: $PG_MAJOR; the newest server
# installed (/usr/lib/postgresql/N); the one `pg_config` names; the default of
# this Debian release (the `postgresql` package's dependency).
set -euo pipefail

pg_major()
{
	local v
	if [ -n "${PG_MAJOR:-}" ]; then
		echo "$PG_MAJOR"
		return
	fi
	v=$(ls -v /usr/lib/postgresql/*/bin/postgres 2>/dev/null | tail -n1 |
		sed -E 's|^/usr/lib/postgresql/([0-9]+)/.*|\1|')
	if [ -z "$v" ] && command -v pg_config >/dev/null; then
		v=$(pg_config --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
	fi
	if [ -z "$v" ]; then
		v=$(apt-cache depends postgresql 2>/dev/null |
			sed -nE 's/.*Depends: postgresql-([0-9]+)$/\1/p' | sed -n 1p)
	fi
	echo "${v:-15}"
}

major=$(pg_major)
# libicu-dev: the server headers include unicode/ucol.h (utils/pg_locale.h)
# when PostgreSQL was built with ICU, as Debian's is.
packages=(gcc make pkg-config libglib2.0-dev libthrift-c-glib-dev libjson-glib-dev
	libicu-dev "postgresql-$major" "postgresql-server-dev-$major" netcat-openbsd
	libsasl2-dev libsasl2-modules-gssapi-mit libkrb5-dev krb5-user krb5-kdc
	krb5-admin-server faketime)
# Extra packages a caller asks for, e.g. `install-deps.sh valgrind`;
# --packaging adds what building the Debian packages needs (test/ci/package.sh).
for arg in "$@"; do
	case "$arg" in
		--packaging) packages+=(build-essential debhelper dpkg-dev fakeroot git postgresql-common
			postgresql-server-dev-all) ;;
		*) packages+=("$arg") ;;
	esac
done

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages: ${missing[*]}; run this script as root to install them" >&2
	exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
