# Helpers shared by the race, configuration, load and leftover scripts of
# test/reliability (sourced after lib.sh).

# quiet COMMAND...: runs the command with its output discarded; its status.
quiet()
{
	"$@" >/dev/null 2>&1
}

# psql_tags SQL: runs statements, prints each command tag (INSERT 0 1, ...)
# and error on its own line.
psql_tags()
{
	psql -X -At -c "$1" 2>&1
}

# app_status NAME: the status of a Pegasus table as list_apps shows it
# ("available", "dropped", ...), empty when the cluster never had it.  A
# name that was created again lists several times: the last entry counts.
app_status()
{
	"${CLI[@]}" list_apps 2>/dev/null | awk -F'\t' -v n="$1" '$1 == n { s = $4 } END { print s }'
}
