#!/usr/bin/env bash
# Installs the Debian packages pegasus_fdw needs to build and test, when any is
# missing.  Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(gcc make pkg-config libglib2.0-dev libthrift-c-glib-dev libjson-glib-dev
	postgresql-15 postgresql-server-dev-15 postgresql-contrib netcat-openbsd)
# Extra packages a caller asks for, e.g. `install-deps.sh valgrind`.
packages+=("$@")

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
