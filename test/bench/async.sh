# Many Pegasus tables read at once (asynchronous Append), sourced by run.sh.
#
#   async  16 and 30 Pegasus tables as the partitions of one partitioned
#          table, read with async_capable 'true' (the default) and 'false';
#          first with the onebox adding ASYNC_LATENCY_MS to every reply of
#          every replica, then without:
#            hash-key lookup over 16 partitions the partition key cannot
#                     prune (the partition key is the sort key)
#            aggregate over 16 tables of ASYNC_SMALL_ROWS records (4x wanted)
#            LIMIT 10 over 30 partitions   vs  LIMIT 10 over one table
#          without latency:
#            aggregate over 16 tables of ASYNC_BIG_ROWS records (0.95x wanted)
#            a pruned point lookup through the partitioned table
#                                          vs  the same on the foreign table
#                     (pgbench -M prepared; within 10% wanted)
# Figures are milliseconds per query (medians of RUNS), except the point
# lookups (ops/s).  Needs run.sh's helpers (repeat, record, sql_ms).

ASYNC_SMALL_ROWS=${BENCH_ASYNC_SMALL_ROWS:-1000}
ASYNC_BIG_ROWS=${BENCH_ASYNC_BIG_ROWS:-100000}
ASYNC_LATENCY_MS=${BENCH_ASYNC_LATENCY_MS:-2}

# async_tables PREFIX N ROWS: Pegasus tables PREFIX_0 .. PREFIX_N-1 of ROWS
# records each, and a partitioned table PREFIX of them by sort key: records
# of table p have sort keys 'pNN-...' and hash keys shared by all tables.
async_tables()
{
	local prefix=$1 n=$2 rows=$3 p sql
	sql="CREATE TABLE $prefix (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value text)
	       PARTITION BY RANGE (sort_key);"
	for p in $(seq 0 $((n - 1))); do
		"${CLI[@]}" --partitions 8 create_app "${prefix}_$p" >/dev/null || return 1
		sql+="CREATE FOREIGN TABLE ${prefix}_$p PARTITION OF $prefix
		        FOR VALUES FROM ('p$(printf %02d "$p")-') TO ('p$(printf %02d "$p")~')
		        SERVER pegasus OPTIONS (table '${prefix}_$p', batch_size '1000');
		      INSERT INTO ${prefix}_$p SELECT (i % 100)::text, 'p$(printf %02d "$p")-' || i, md5(i::text)
		        FROM generate_series(0, $rows - 1) i;"
	done
	"${PSQL[@]}" -c "$sql" >/dev/null
}

# async_ms CAPABLE QUERY: milliseconds of QUERY with async_capable CAPABLE
async_ms()
{
	sql_ms "ALTER SERVER pegasus OPTIONS (SET async_capable '$1')" "$2"
}

# async_pair NAME QUERY NOTE: QUERY timed async and not
async_pair()
{
	local f=${1// /_}
	repeat "$WORK/async_${f}_on.txt" async_ms true "$2" &&
	repeat "$WORK/async_${f}_off.txt" async_ms false "$2" || return 1
	record "async: $1" ms "$WORK/async_${f}_on.txt" "$WORK/async_${f}_off.txt" \
		"$3; fdw: async_capable 'true', raw column: 'false'"
}

# async_point_tps QUERY: prepared point SELECTs for POINT_SECONDS
async_point_tps()
{
	echo "$1" >"$WORK/async_point.sql"
	pgbench -n -M prepared -c 1 -T "$POINT_SECONDS" -f "$WORK/async_point.sql" \
		postgres >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; return 1; }
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out" | awk '{ printf "%.0f\n", $1 }'
}

# async_latency MS: every replica adds MS to each reply (0 = off)
async_latency()
{
	local port
	for port in ${ONEBOX_REPLICA_PORTS//,/ }; do
		onebox_control "latency $port $1" >/dev/null || return 1
	done
}

run_async()
{
	local lat=$ASYNC_LATENCY_MS
	echo "== async: 16 tables of $ASYNC_SMALL_ROWS, 30 tables of 100, 16 tables of $ASYNC_BIG_ROWS records"
	"${PSQL[@]}" -c "ALTER SERVER pegasus OPTIONS (ADD async_capable 'true')" >/dev/null
	async_tables asm 16 "$ASYNC_SMALL_ROWS" &&
	async_tables a30 30 100 &&
	async_tables abig 16 "$ASYNC_BIG_ROWS" || return 1
	"${PSQL[@]}" -c "CREATE FOREIGN TABLE a_one (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value text)
	                   SERVER pegasus OPTIONS (table 'a30_0')" >/dev/null || return 1

	async_latency "$lat" || return 1
	async_pair "hash-key lookup over 16 partitions, ${lat} ms latency" \
		"SELECT count(*) FROM asm WHERE hash_key = '42'" \
		"the partition key (sort key) cannot prune it: 16 multi_get ranges"
	async_pair "aggregate over 16 x $ASYNC_SMALL_ROWS, ${lat} ms latency" \
		"SELECT count(*), sum(length(value)) FROM asm" "whole-table scans (4x wanted)"
	async_pair "LIMIT 10 over 30 partitions, ${lat} ms latency" \
		"SELECT * FROM a30 LIMIT 10" "whole-table scans stopped after 10 rows"
	repeat "$WORK/async_one_limit.txt" async_ms true "SELECT * FROM a_one LIMIT 10" &&
	record "async: LIMIT 10 over one table, ${lat} ms latency" ms "$WORK/async_one_limit.txt" "" \
		"the same query on one foreign table"
	async_latency 0 || return 1

	async_pair "hash-key lookup over 16 partitions, no latency" \
		"SELECT count(*) FROM asm WHERE hash_key = '42'" "as above, no added latency"
	async_pair "aggregate over 16 x $ASYNC_SMALL_ROWS, no latency" \
		"SELECT count(*), sum(length(value)) FROM asm" "as above, no added latency"
	async_pair "aggregate over 16 x $ASYNC_BIG_ROWS, no latency" \
		"SELECT count(*), sum(length(value)) FROM abig" "whole-table scans (0.95x wanted: raw / fdw)"
	"${PSQL[@]}" -c "ALTER SERVER pegasus OPTIONS (SET async_capable 'true')" >/dev/null
	repeat "$WORK/async_point_part.txt" async_point_tps \
		"SELECT value FROM abig WHERE hash_key = '7' AND sort_key = 'p05-7';" &&
	repeat "$WORK/async_point_ft.txt" async_point_tps \
		"SELECT value FROM abig_5 WHERE hash_key = '7' AND sort_key = 'p05-7';" &&
	record "async: pruned point lookup through the partitioned table" ops/s \
		"$WORK/async_point_part.txt" "$WORK/async_point_ft.txt" \
		"pgbench -M prepared; raw column: the same lookup on the foreign table (within 10% wanted)"
}
