#!/usr/bin/env bash
# Racing inserts: 8 sessions run "INSERT ... ON CONFLICT DO NOTHING" over the
# same keys at the same moment.  Pegasus check_and_set (value_not_exist)
# decides each key once: the command tags of all sessions add up to the
# number of keys, each key is reported inserted by exactly one session, and
# the stored value names that session.  RACE_SESSIONS / RACE_KEYS change
# the sizes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

sessions=${RACE_SESSIONS:-8}
nkeys=${RACE_KEYS:-300}
table=rel_race_insert
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_race_insert.XXXXXX")
trap 'rm -rf "$work"' EXIT

setup_db rel_race_insert || { not_ok "scratch database"; tap_done; exit 1; }
quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
check "create table $table" quiet sql "SELECT pegasus_fdw_create_table('pegasus', '$table', 4)"
quiet sql "CREATE FOREIGN TABLE t (hash_key text, sort_key text, value text)
             SERVER pegasus OPTIONS (table '$table')"

# Probe: a second INSERT of an existing key must neither report nor store.
quiet sql "INSERT INTO t VALUES ('probe', 'k', 'first')"
tag=$(psql_tags "INSERT INTO t VALUES ('probe', 'k', 'second') ON CONFLICT DO NOTHING")
stored=$(sql "SELECT value FROM t WHERE hash_key = 'probe' AND sort_key = 'k'")
if [ "$tag" != "INSERT 0 0" ] || [ "$stored" != first ]; then
	skip "racing INSERT ... ON CONFLICT DO NOTHING inserts each key once" \
		"ON CONFLICT DO NOTHING not available as check_and_set (a second INSERT of an existing key gave \"$tag\" and left \"$stored\")"
else
	ok "ON CONFLICT DO NOTHING keeps an existing row (INSERT 0 0)"
	start=$(date -u -d '+3 seconds' '+%Y-%m-%d %H:%M:%S.%N+00')
	for s in $(seq 1 "$sessions"); do
		{
			# Open the cached client, then start together.
			echo "SELECT count(*) FROM t WHERE hash_key = 'probe';"
			echo "SELECT pg_sleep(greatest(0, extract(epoch FROM '$start'::timestamptz - clock_timestamp())));"
			for n in $(seq 1 "$nkeys"); do
				printf "INSERT INTO t VALUES ('h%d', 'key%04d', 'session %d') ON CONFLICT DO NOTHING;\n" \
					$((n % 16)) "$n" "$s"
			done
		} >"$work/s$s.sql"
	done
	for s in $(seq 1 "$sessions"); do
		psql -X -At -f "$work/s$s.sql" >"$work/s$s.out" 2>&1 &
	done
	wait
	errors=$(cat "$work"/s*.out | grep -c 'ERROR')
	expect_eq "no session got an error" 0 "$errors"
	grep -h ERROR "$work"/s*.out | sort | uniq -c | sed -n '1,5s/^/# /p'
	# Per session, the i-th INSERT tag belongs to key i.
	for s in $(seq 1 "$sessions"); do
		grep -E '^INSERT 0 [01]$' "$work/s$s.out" | awk -v s="$s" '{ print NR, s, $3 }'
	done >"$work/tags"
	expect_eq "every session reported every statement" "$((sessions * nkeys))" \
		"$(wc -l <"$work/tags" | tr -d ' ')"
	expect_eq "command tags add up to the number of keys" "$nkeys" \
		"$(awk '{ n += $3 } END { print n + 0 }' "$work/tags")"
	expect_eq "each key was inserted by exactly one session" "$nkeys" \
		"$(awk '$3 == 1 { c[$1]++ } END { for (k in c) if (c[k] == 1) n++; print n + 0 }' "$work/tags")"
	awk '$3 == 1 { printf "h%d\tkey%04d\tsession %d\n", $1 % 16, $1, $2 }' "$work/tags" | sort >"$work/expected"
	sql "SELECT hash_key, sort_key, value FROM t WHERE hash_key <> 'probe'" |
		tr '|' '\t' | sort >"$work/stored"
	expect_eq "the stored value of each key names the session that inserted it" "" \
		"$(diff "$work/expected" "$work/stored" | sed -n '1,5p')"
	winners=$(awk '$3 == 1 { print $2 }' "$work/tags" | sort -u | wc -l | tr -d ' ')
	echo "# keys won by $winners different sessions"
fi

quiet sql "DROP FOREIGN TABLE t"
check "drop table $table" quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
quiet psql -X -q -d postgres -c "DROP DATABASE IF EXISTS rel_race_insert"
tap_done
