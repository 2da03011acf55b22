#!/usr/bin/env bash
# Runs last: the suite leaves no Pegasus table behind.  Every table a test
# creates is named regress_* (pg_regress) or rel_* (reliability scripts)
# and dropped by its creator, so at the end no table is available except
# those named in LEFTOVER_EXPECTED (space-separated; the suite's onebox
# starts with none).  Scratch databases left in PostgreSQL are listed too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

expected=" ${LEFTOVER_EXPECTED:-} "
apps=$("${CLI[@]}" list_apps 2>&1)
check "list_apps answers" test $? -eq 0
echo "$apps" | awk -F'\t' '{ print "# " $1 " (app " $2 ", " $4 ")" }' | tail -40

# The last entry of a name is its current state (a name can be reused).
available=$(echo "$apps" | awk -F'\t' 'NF >= 4 { s[$1] = $4 } END { for (n in s) if (s[n] == "available") print n }' | sort)
ours=()
others=()
for name in $available; do
	case "$expected" in *" $name "*) continue ;; esac
	case "$name" in
		regress_*|rel_*) ours+=("$name") ;;
		*) others+=("$name") ;;
	esac
done
expect_eq "every regress_* and rel_* table was dropped by its test" "" "${ours[*]}"
expect_eq "no other table was left on the cluster" "" "${others[*]}"
seen=$(echo "$apps" | awk -F'\t' '$1 ~ /^(regress|rel)_/' | wc -l | tr -d ' ')
echo "# $seen tables created by the suite over the run"

dbs=$(psql -X -At -d postgres -c "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database
	WHERE datname LIKE 'rel\_%'" 2>/dev/null)
[ -n "$dbs" ] && echo "# scratch databases left in PostgreSQL: $dbs"
tap_done
