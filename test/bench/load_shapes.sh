# Load shapes and PostgreSQL-native references, sourced by run.sh.
#
#   shapes     the same LOAD_ROWS rows of 40-byte values loaded in four
#              shapes, each through the FDW (default batch size), the raw
#              client's load of the same shape and postgres_fdw
#              (batch_size 100) into a table of this PostgreSQL:
#                one    one record per hash key (a users table)
#                ten    ten sort keys per hash key, in key order
#                shuf   the same rows shuffled (ORDER BY md5, into a local
#                       table beforehand, so no load pays for the sort); raw: one
#                       record a request, since few rows of a hash key
#                       meet in a batch
#                single every row under one hash key
#   contended  the one-record-per-hash-key load with a busy loop pinned to
#              one core beside it: FDW, raw and postgres_fdw
#   pgref      postgres_fdw references for the point lookup (pgbench) and
#              the whole-table scan (WHERE random() >= 0, so that the
#              aggregate is not pushed down), into a copy of the table;
#              and the point-lookup ceiling 1 / (1/no_rpc + 1/raw) with the
#              FDW's share of it
# Needs run.sh's helpers (repeat, record, sql_rate, cli_rate, pgbench_tps).

# The SELECT producing shape $1's rows.
shape_select()
{
	local n=$LOAD_ROWS
	case "$1" in
		one) echo "SELECT i::text, '0', repeat('v', 40) FROM generate_series(0, $n - 1) i" ;;
		ten) echo "SELECT (i / 10)::text, (i % 10)::text, repeat('v', 40) FROM generate_series(0, $n - 1) i" ;;
		shuf) echo "SELECT * FROM shape_shuffled" ;;
		single) echo "SELECT 'h', lpad(i::text, 8, '0'), repeat('v', 40) FROM generate_series(0, $n - 1) i" ;;
	esac
}

# pegasus-cli bench arguments of shape $1's raw load.
shape_raw_args()
{
	case "$1" in
		one|shuf) echo "--sort-keys 1 --value-size 40 bench load $LOAD_ROWS" ;;
		ten) echo "--value-size 40 bench load $LOAD_ROWS" ;;
		single) echo "--value-size 40 bench load $LOAD_ROWS h" ;;
	esac
}

shape_title()
{
	case "$1" in
		one) echo "one record per hash key" ;;
		ten) echo "10 sort keys per hash key" ;;
		shuf) echo "10 sort keys, shuffled" ;;
		single) echo "all under one hash key" ;;
	esac
}

# The loopback postgres_fdw server, its target tables and the copy of t.
pgref_setup()
{
	[ -n "${PGREF_READY:-}" ] && return 0
	"${PSQL[@]}" -v host="$PGHOST" -v port="$PGPORT" <<'SQL' || return 1
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host :'host', port :'port', dbname 'postgres', batch_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER loopback OPTIONS (user 'postgres');
CREATE TABLE pg_load (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
  PRIMARY KEY (hash_key, sort_key));
CREATE FOREIGN TABLE pg_load_ft (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER loopback OPTIONS (table_name 'pg_load');
CREATE FOREIGN TABLE t_shape (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'load_fdw');
SQL
	"${PSQL[@]}" -c "CREATE TABLE shape_shuffled AS
		SELECT (i / 10)::text AS hash_key, (i % 10)::text AS sort_key, repeat('v', 40) AS value
		FROM generate_series(0, $LOAD_ROWS - 1) i ORDER BY md5(i::text)" || return 1
	PGREF_READY=1
}

# once FILE COMMAND...: runs COMMAND (which prints one number) and appends
# the number to FILE
once()
{
	local file=$1 v
	shift
	v=$("$@") || { echo "   run failed: $*" >&2; return 1; }
	echo "$v" >>"$file"
	printf '   %-48s %s\n' "$(basename "$file" .txt) run $(wc -l <"$file")" "$v"
}

# shape_run SHAPE TAG: FDW, raw and postgres_fdw rates of one shape.  The
# three take turns, RUNS times, so that a slow moment of the machine falls
# on all three alike.
shape_run()
{
	local s=$1 tag=$2 sel raw i
	sel=$(shape_select "$s")
	read -ra raw <<<"$(shape_raw_args "$s")"
	: >"$WORK/${tag}_raw.txt"
	: >"$WORK/${tag}_fdw.txt"
	: >"$WORK/${tag}_pg.txt"
	for i in $(seq 1 "$RUNS"); do
		once "$WORK/${tag}_raw.txt" cli_rate --table load_raw "${raw[@]}" &&
		once "$WORK/${tag}_fdw.txt" sql_rate "$LOAD_ROWS" "$SERIAL" \
			"INSERT INTO t_shape $sel" &&
		once "$WORK/${tag}_pg.txt" sql_rate "$LOAD_ROWS" "$SERIAL; TRUNCATE pg_load" \
			"INSERT INTO pg_load_ft $sel" || return 1
	done
}

# with_hog COMMAND...: runs COMMAND beside a busy loop pinned to core 0
with_hog()
{
	local hog rc
	taskset -c 0 sh -c 'while :; do :; done' &
	hog=$!
	"$@"
	rc=$?
	kill "$hog"
	wait "$hog" 2>/dev/null
	return $rc
}

run_load_shapes()
{
	local s
	pgref_setup || exit 1
	for s in one ten shuf single; do
		shape_run "$s" "shape_$s" &&
		record "load $LOAD_ROWS, $(shape_title "$s")" rows/s "$WORK/shape_${s}_fdw.txt" \
			"$WORK/shape_${s}_raw.txt" "INSERT ... SELECT, 40-byte values, batch_size default; raw: $(shape_raw_args "$s")" \
			"$WORK/shape_${s}_pg.txt"
	done
}

run_load_contended()
{
	pgref_setup || exit 1
	with_hog shape_run one contended &&
	record "load $LOAD_ROWS, one per hash key, busy core" rows/s "$WORK/contended_fdw.txt" \
		"$WORK/contended_raw.txt" "as 'one record per hash key', with a busy loop pinned to core 0" \
		"$WORK/contended_pg.txt"
}

run_pgref()
{
	pgref_setup || exit 1
	"${PSQL[@]}" -c "CREATE TABLE IF NOT EXISTS local_t AS SELECT * FROM t" \
		-c "ALTER TABLE local_t DROP CONSTRAINT IF EXISTS local_t_pkey" \
		-c "ALTER TABLE local_t ADD PRIMARY KEY (hash_key, sort_key)" \
		-c "VACUUM ANALYZE local_t" \
		-c "CREATE FOREIGN TABLE pg_t (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value text)
		      SERVER loopback OPTIONS (table_name 'local_t')" || exit 1
	[ -s "$WORK/point_fdw.txt" ] || repeat "$WORK/point_fdw.txt" pgbench_tps t
	[ -s "$WORK/point_raw.txt" ] || repeat "$WORK/point_raw.txt" cli_rate --table bench bench get 20000 --rows "$ROWS"
	[ -s "$WORK/point_norpc.txt" ] || repeat "$WORK/point_norpc.txt" pgbench_norpc_tps
	repeat "$WORK/point_pg.txt" pgbench_tps pg_t &&
	record "point lookup vs postgres_fdw" ops/s "$WORK/point_fdw.txt" "$WORK/point_raw.txt" \
		"pgbench -M prepared; postgres_fdw: the same rows in a table of this PostgreSQL" \
		"$WORK/point_pg.txt"
	# the rate the SQL round trip and the raw round trip allow together
	paste "$WORK/point_norpc.txt" "$WORK/point_raw.txt" |
		awk -F'\t' '$1 > 0 && $2 > 0 { printf "%.0f\n", 1 / (1 / $1 + 1 / $2) }' >"$WORK/point_ceiling.txt"
	record "point lookup, share of ceiling" ops/s "$WORK/point_fdw.txt" "$WORK/point_ceiling.txt" \
		"raw column: the ceiling 1 / (1/no_rpc + 1/raw); ratio: the FDW's share of it"
	[ -s "$WORK/scan_fdw.txt" ] || repeat "$WORK/scan_fdw.txt" sql_rate "$ROWS" "$SERIAL" "SELECT sum(octet_length(value)) FROM t"
	[ -s "$WORK/scan_raw.txt" ] || repeat "$WORK/scan_raw.txt" cli_rate --table bench bench scan
	repeat "$WORK/scan_pg.txt" sql_rate "$ROWS" "$SERIAL" \
		"SELECT sum(octet_length(value)) FROM pg_t WHERE random() >= 0" &&
	record "scan $ROWS rows vs postgres_fdw" rows/s "$WORK/scan_fdw.txt" "$WORK/scan_raw.txt" \
		"no parallel workers; postgres_fdw: WHERE random() >= 0 keeps the aggregate local" \
		"$WORK/scan_pg.txt"
}
