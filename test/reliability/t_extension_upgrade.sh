#!/usr/bin/env bash
# The extension's update path: a database made with an older version and
# updated step by step (ALTER EXTENSION ... UPDATE) ends with the same
# objects as one made at the default version, and its views answer.
. "$(dirname "$0")/lib.sh"

setup_db rel_ext_upgrade || { not_ok "scratch database"; tap_done; exit 1; }

default=$(sql "SELECT default_version FROM pg_available_extensions WHERE name = 'pegasus_fdw'")
# objects of the extension: their identities, sorted
OBJECTS="SELECT string_agg(pg_describe_object(classid, objid, 0), E'\n' ORDER BY 1)
           FROM pg_depend
          WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
            AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pegasus_fdw');"
fresh=$(sql "$OBJECTS")
check "the default version ($default) has objects" test -n "$fresh"

sql "DROP EXTENSION pegasus_fdw CASCADE" >/dev/null 2>&1
expect_eq "version 1.0 installs" "1.0" \
	"$(sql "CREATE EXTENSION pegasus_fdw VERSION '1.0'; SELECT extversion FROM pg_extension WHERE extname = 'pegasus_fdw'")"
expect_eq "1.0 has no statistics view" "0" \
	"$(sql "SELECT count(*) FROM pg_class WHERE relname = 'pegasus_fdw_stats'")"
for v in $(sql "SELECT target FROM pg_extension_update_paths('pegasus_fdw')
                WHERE source = '1.0' AND target <> '1.0' AND path IS NOT NULL ORDER BY target"); do
	expect_eq "ALTER EXTENSION UPDATE TO '$v'" "$v" \
		"$(sql "ALTER EXTENSION pegasus_fdw UPDATE TO '$v'; SELECT extversion FROM pg_extension WHERE extname = 'pegasus_fdw'")"
done
expect_eq "the update path ends at the default version" "$default" \
	"$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pegasus_fdw'")"
updated=$(sql "$OBJECTS")
if [ "$updated" = "$fresh" ]; then
	ok "updated from 1.0: the same objects as a fresh install"
else
	not_ok "updated from 1.0: the same objects as a fresh install"
	diff <(echo "$fresh") <(echo "$updated") | sed 's/^/#   /'
fi
expect_eq "the updated views answer" "0|0" \
	"$(sql "SELECT (SELECT count(*) FROM pegasus_fdw_stats WHERE server_name = 'none'),
	               (SELECT count(*) FROM pegasus_fdw_replica_stats WHERE server_name = 'none')")"

psql -X -q -d postgres -c "DROP DATABASE rel_ext_upgrade" >/dev/null 2>&1
tap_done
