# A throwaway MIT Kerberos KDC for the tests of secured clusters.  Source
# this file; kdc_start makes a realm in a directory of its own (database,
# stash, kdc.conf, krb5.conf, log), listening on 127.0.0.1 only, and points
# KRB5_CONFIG / KRB5_KDC_PROFILE at it; call kdc_stop from an EXIT trap.
#
# Settings (environment, with defaults):
#   KDC_PORT    UDP and TCP port of the KDC (default ONEBOX_CONTROL_PORT + 50)
#   KDC_REALM   realm name (default PEGASUS.TEST)
#
#   kdc_available              the packages are installed (krb5kdc, kdb5_util,
#                              kadmin.local, kinit and the SASL GSSAPI plugin)
#   kdc_start DIR              creates the realm and starts krb5kdc
#   kdc_addprinc NAME [ARGS]   adds a principal with a random key
#   kdc_keytab FILE NAME...    writes the principals' current keys to FILE
#   kdc_stop / kdc_resume      stops (the realm stays) / starts it again
#   kdc_pause / kdc_unpause    SIGSTOP / SIGCONT: while paused its ports
#                              still accept (the kernel's backlog) and
#                              nothing is answered, as a KDC that hangs
#   kdc_kadmin QUERY           runs one kadmin.local query

: "${KDC_REALM:=PEGASUS.TEST}"
KDC_DIR=
KDC_PID=

kdc_available()
{
	command -v krb5kdc >/dev/null && command -v kdb5_util >/dev/null &&
		command -v kadmin.local >/dev/null && command -v kinit >/dev/null &&
		ls /usr/lib/*/sasl2/libgssapiv2.so >/dev/null 2>&1
}

# kdc.conf and krb5.conf of KDC_DIR for KDC_PORT
kdc_write_config()
{
	cat >"$KDC_DIR/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$KDC_PORT
	kdc_tcp_listen = 127.0.0.1:$KDC_PORT

[realms]
	$KDC_REALM = {
		database_name = $KDC_DIR/principal
		key_stash_file = $KDC_DIR/stash
		acl_file = $KDC_DIR/kadm5.acl
		max_life = 10h
		max_renewable_life = 0
		supported_enctypes = aes256-cts-hmac-sha1-96:normal
		default_principal_flags = +preauth
	}

[logging]
	kdc = FILE:$KDC_DIR/kdc.log
EOF
	# Host names stay as written (no DNS): service principals are
	# SERVICE/127.0.0.1 or SERVICE/localhost as the tests choose.
	cat >"$KDC_DIR/krb5.conf" <<EOF
[libdefaults]
	default_realm = $KDC_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	default_ccache_name = FILE:$KDC_DIR/ccache.default
	default_client_keytab_name = FILE:$KDC_DIR/client.keytab.none
	kdc_timeout = 1000
	max_retries = 1
	# a skewed clock is an error, not silently corrected from the KDC's
	kdc_timesync = 0

[realms]
	$KDC_REALM = {
		kdc = 127.0.0.1:$KDC_PORT
	}
EOF
}

kdc_start()
{
	local attempt
	KDC_DIR=$1
	: "${KDC_PORT:=$(( ${ONEBOX_CONTROL_PORT:-35901} + 50 ))}"
	mkdir -p "$KDC_DIR"
	kdc_write_config
	# backends (the postgres user) read krb5.conf whatever root's umask
	chmod 755 "$KDC_DIR"
	chmod 644 "$KDC_DIR/krb5.conf"
	: >"$KDC_DIR/kadm5.acl"
	export KRB5_CONFIG="$KDC_DIR/krb5.conf"
	export KRB5_KDC_PROFILE="$KDC_DIR/kdc.conf"
	export KRB5CCNAME="FILE:$KDC_DIR/ccache.default"
	kdb5_util create -s -r "$KDC_REALM" -P "kdc-master-$$" >"$KDC_DIR/kdb5_util.log" 2>&1 ||
		{ cat "$KDC_DIR/kdb5_util.log" >&2; return 1; }
	# the port may be taken (it lies in the ephemeral range): move up
	for attempt in 1 2 3 4 5; do
		kdc_resume && return 0
		grep -q 'Address already in use' "$KDC_DIR/kdc.out" "$KDC_DIR/kdc.log" 2>/dev/null ||
			return 1
		KDC_PORT=$((KDC_PORT + 1))
		kdc_write_config
	done
	return 1
}

# Starts krb5kdc on the existing realm; waits until its TCP port answers.
kdc_resume()
{
	local i
	: >"$KDC_DIR/kdc.out"
	krb5kdc -n -P "$KDC_DIR/kdc.pid" >>"$KDC_DIR/kdc.out" 2>&1 &
	KDC_PID=$!
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$KDC_PORT") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$KDC_PID" 2>/dev/null; then
			echo "krb5kdc exited:" >&2
			cat "$KDC_DIR/kdc.out" "$KDC_DIR/kdc.log" >&2 2>/dev/null
			KDC_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "krb5kdc did not listen on port $KDC_PORT within 10 seconds" >&2
	return 1
}

kdc_stop()
{
	if [ -n "$KDC_PID" ]; then
		kill "$KDC_PID" 2>/dev/null
		# a paused KDC acts on the signal once it runs again
		kill -CONT "$KDC_PID" 2>/dev/null
		wait "$KDC_PID" 2>/dev/null
		KDC_PID=
	fi
}

kdc_pause()
{
	[ -n "$KDC_PID" ] && kill -STOP "$KDC_PID"
}

kdc_unpause()
{
	[ -n "$KDC_PID" ] && kill -CONT "$KDC_PID"
}

kdc_kadmin()
{
	kadmin.local -r "$KDC_REALM" -q "$1" >>"$KDC_DIR/kadmin.log" 2>&1
}

kdc_addprinc()
{
	local name=$1
	shift
	kdc_kadmin "addprinc -randkey $* $name"
}

kdc_keytab()
{
	local file=$1
	shift
	local p
	for p in "$@"; do
		kdc_kadmin "ktadd -k $file -norandkey $p" || return 1
	done
}
