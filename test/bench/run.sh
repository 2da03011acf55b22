#!/usr/bin/env bash
# Benchmarks of pegasus_fdw against the embedded client it is built on.
#
# Builds and installs the extension, starts a onebox and a throwaway
# PostgreSQL (ports of their own, see below), loads data with pegasus-cli,
# then measures each workload through SQL and with `pegasus-cli bench` in the
# same run:
#   point      one connection, prepared point SELECT (pgbench -M prepared,
#              random keys)                  vs  bench get (sequential gets)
#   scan       SELECT sum(octet_length(value)) over the whole table, without and
#              with 1, 2 and 4 parallel workers
#                                            vs  bench scan (partition scanner)
#   scan memory  peak memory (VmHWM) of the backend scanning ROWS and
#              BIG_ROWS records: it should not grow with the table
#   range      one hash key's sort keys >= 'a'
#                                            vs  bench range (multi_get_range pages)
#   load       INSERT ... SELECT FROM generate_series
#                                            vs  bench load (multi_set groups)
#   join       JOIN_KEYS local keys joined to the table, plan as chosen (the
#              keys of every join row in generated order: numeric order of
#              the hash keys)
#                                            vs  bench mget (batch_get)
#   batched join  (with join) tables nobody has analyzed: 20 hash keys and
#              2,000 pairs joined to a 200,000-record table, plan as chosen
#                                            vs  a full scan and hash join;
#              100,000 and 1,000,000 outer rows through the batched key
#              join: rate and the backend's peak memory
#   pairs      JOIN_KEYS (hash key, sort key) pairs joined to the
#              ROWS-record table, not analyzed, the pairs as generated,
#              sorted and in random order
#                                            vs  bench mget (batch_get)
#   local      the same scan and point SELECT on a local table
#   stats      point SELECT and serial scan with pegasus_fdw.track_calls on
#              and off, runs alternating (the cost of the call statistics)
#   shapes, contended, pgref  load shapes, load beside a busy core and
#              postgres_fdw references: see test/bench/load_shapes.sh
#   async      many Pegasus tables as the partitions of one partitioned
#              table, async_capable 'true' vs 'false', with and without
#              added latency: see test/bench/async.sh
#   docs       documents (value_format 'json'): field columns against a
#              jsonb column and the raw scan, and UPDATE of one field
#              against INSERT of whole documents: see test/bench/docs.sh
# Each figure is the median of RUNS runs (min and max shown); a workload
# whose run takes more than MAX_RUN_SECONDS is run once.  The table is
# printed and written as JSON to test/bench/results.json, and drawn as a
# bar chart in test/bench/results.svg (test/bench/chart.py, with python3).
#
# Options (or environment variables):
#   --quick                 small sizes, one run: a smoke test
#   --runs N                BENCH_RUNS (3)
#   --rows N                BENCH_ROWS: scanned table (1000000)
#   --big-rows N            BENCH_BIG_ROWS: second table for memory (5000000)
#   --range-rows N          BENCH_RANGE_ROWS: sort keys of the range key (200000)
#   --load-rows N           BENCH_LOAD_ROWS: rows inserted (1000000)
#   --join-keys N           BENCH_JOIN_KEYS: local keys joined (10000)
#   --point-seconds N       BENCH_POINT_SECONDS: pgbench duration (5)
#   --doc-rows N            BENCH_DOC_ROWS: documents scanned (1000000)
#   --doc-update-rows N     BENCH_DOC_UPDATE_ROWS: documents updated (100000)
#   --only LIST             BENCH_ONLY: comma-separated workloads to run
#                           (point,scan,memory,range,load,join,pairs,
#                           local,stats,shapes,contended,pgref,docs,async)
#   BENCH_MAX_RUN_SECONDS   (30)
# Ports: BENCH_META_PORT (41601), BENCH_REPLICA_PORTS (41801,41802,41803),
# BENCH_CONTROL_PORT (41901), BENCH_PG_PORT (51432).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

RUNS=${BENCH_RUNS:-3}
ROWS=${BENCH_ROWS:-1000000}
BIG_ROWS=${BENCH_BIG_ROWS:-5000000}
RANGE_ROWS=${BENCH_RANGE_ROWS:-200000}
LOAD_ROWS=${BENCH_LOAD_ROWS:-1000000}
JOIN_KEYS=${BENCH_JOIN_KEYS:-10000}
POINT_SECONDS=${BENCH_POINT_SECONDS:-5}
DOC_ROWS=${BENCH_DOC_ROWS:-1000000}
DOC_UPDATE_ROWS=${BENCH_DOC_UPDATE_ROWS:-100000}
ONLY=${BENCH_ONLY:-point,scan,memory,range,load,join,pairs,local,stats,shapes,contended,pgref,docs,async}
MAX_RUN_SECONDS=${BENCH_MAX_RUN_SECONDS:-30}

usage()
{
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
		--quick)
			RUNS=1 ROWS=100000 BIG_ROWS=300000 RANGE_ROWS=20000 LOAD_ROWS=20000
			JOIN_KEYS=1000 POINT_SECONDS=2 DOC_ROWS=100000 DOC_UPDATE_ROWS=10000 ;;
		--runs) RUNS=$2; shift ;;
		--rows) ROWS=$2; shift ;;
		--big-rows) BIG_ROWS=$2; shift ;;
		--range-rows) RANGE_ROWS=$2; shift ;;
		--load-rows) LOAD_ROWS=$2; shift ;;
		--join-keys) JOIN_KEYS=$2; shift ;;
		--point-seconds) POINT_SECONDS=$2; shift ;;
		--doc-rows) DOC_ROWS=$2; shift ;;
		--doc-update-rows) DOC_UPDATE_ROWS=$2; shift ;;
		--only) ONLY=$2; shift ;;
		-h|--help) usage ;;
		*) echo "unknown option: $1" >&2; usage ;;
	esac
	shift
done

export ONEBOX_META_PORT=${BENCH_META_PORT:-41601}
export ONEBOX_REPLICA_PORTS=${BENCH_REPLICA_PORTS:-41801,41802,41803}
export ONEBOX_CONTROL_PORT=${BENCH_CONTROL_PORT:-41901}
export PG_TEST_PORT=${BENCH_PG_PORT:-51432}

test/install-deps.sh postgresql-client-15 || exit 1
. test/lib/cluster.sh
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

echo "== building and installing"
make -s -j"$(nproc)" >/dev/null && make -s install >/dev/null || {
	echo "build failed; run make to see why" >&2
	exit 1
}
cluster_init
# The ports lie in the kernel's ephemeral range: a client socket of another
# program may hold one for a moment, so a failed start is tried again.
for attempt in 1 2 3; do
	onebox_start --table bench:8 --table bench_big:8 --table bench_range:8 \
		--table load_fdw:8 --table load_raw:8 && break
	[ "$attempt" -eq 3 ] && exit 1
	sleep 2
done
pg_start || exit 1
WORK=$PEGASUS_WORKDIR
CLI=(src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --timeout 30000)
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
# The joined keys are rows 0, S, 2S, ... with S a multiple of the 10 sort
# keys a hash key has: every key has sort key '0', so the keys can also be
# written as hash_key = ANY (...) AND sort_key = '0'.
JOIN_STRIDE=$((ROWS / JOIN_KEYS / 10 * 10))
[ "$JOIN_STRIDE" -ge 10 ] || JOIN_STRIDE=10

wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# ---------------------------------------------------------------------------
# results: one line per workload in $WORK/results.tsv:
#   workload <TAB> unit <TAB> fdw median <TAB> min <TAB> max <TAB> raw median
#   <TAB> min <TAB> max <TAB> note <TAB> runs <TAB> postgres_fdw median <TAB> min
#   <TAB> max

# Median, min and max of numbers on stdin, one a line: "median min max".
stats()
{
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "null null null"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", fmt(m), fmt(v[1]), fmt(v[NR]) }
	function fmt(x) { return (x >= 100) ? sprintf("%.0f", x) : sprintf("%.2f", x) }'
}

# record WORKLOAD UNIT FDW_FILE RAW_FILE NOTE [PG_FDW_FILE]
record()
{
	local fdw raw pg="null null null"
	fdw=$(stats <"$3")
	if [ -n "$4" ]; then raw=$(stats <"$4"); else raw="null null null"; fi
	[ -n "${6:-}" ] && pg=$(stats <"$6")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${fdw// /$'\t'}" "${raw// /$'\t'}" \
		"$5" "$(wc -l <"$3")" "${pg// /$'\t'}" >>"$WORK/results.tsv"
}

# repeat FILE COMMAND...: runs COMMAND (which prints one number) RUNS times,
# appending each number to FILE; a slow run ends the repetition.
repeat()
{
	local file=$1 i t0 v
	shift
	: >"$file"
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s)
		v=$("$@") || { echo "   run failed: $*" >&2; return 1; }
		echo "$v" >>"$file"
		printf '   %-48s %s\n' "$(basename "$file" .txt) run $i" "$v"
		[ $(($(date +%s) - t0)) -gt "$MAX_RUN_SECONDS" ] && break
	done
	return 0
}

# rate COUNT SETUP QUERY: COUNT / seconds of QUERY
sql_rate()
{
	local ms
	ms=$("${PSQL[@]}" -At -c "$2" \
		-c "SELECT 1 FROM t WHERE hash_key = '0' AND sort_key = '0'" \
		-c '\timing on' -c "$3" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
	[ -n "$ms" ] || return 1
	awk -v n="$1" -v ms="$ms" 'BEGIN { printf "%.0f\n", n / (ms / 1000) }'
}

# cli_rate ARGS...: the number of pegasus-cli bench's result line
cli_rate()
{
	"${CLI[@]}" "$@" >"$WORK/cli.out" 2>&1 || { cat "$WORK/cli.out" >&2; return 1; }
	awk '/^result:/ { print $3 }' "$WORK/cli.out"
}

# pgbench_tps TABLE: prepared point SELECTs for POINT_SECONDS, one client
pgbench_tps()
{
	cat >"$WORK/point_$1.sql" <<SQL
\\set h random(0, $((ROWS / 10 - 1)))
\\set s random(0, 9)
SELECT value FROM $1 WHERE hash_key = :h AND sort_key = :s;
SQL
	pgbench -n -M prepared -c 1 -T "$POINT_SECONDS" -f "$WORK/point_$1.sql" \
		postgres >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; return 1; }
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out" | awk '{ printf "%.0f\n", $1 }'
}

# pgbench_norpc_tps: the point SELECT with an empty hash key, which the FDW
# answers without any RPC: what planning and executing costs by itself
pgbench_norpc_tps()
{
	cat >"$WORK/point_norpc.sql" <<SQL
\\set s random(0, 9)
SELECT value FROM t WHERE hash_key = '' AND sort_key = :s;
SQL
	pgbench -n -M prepared -c 1 -T "$POINT_SECONDS" -f "$WORK/point_norpc.sql" \
		postgres >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; return 1; }
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out" | awk '{ printf "%.0f\n", $1 }'
}

# peak_kb TABLE: VmHWM (kB) of a backend after scanning TABLE
peak_kb()
{
	"${PSQL[@]}" -At -c "SET max_parallel_workers_per_gather = 0" \
		-c "SELECT sum(octet_length(value)) FROM $1" \
		-c "SELECT substring(pg_read_file('/proc/self/status') from 'VmHWM:\\s*(\\d+)')" | tail -1
}

# ---------------------------------------------------------------------------
# batched key join helpers

# plan_summary FILE: the plan's join and scan nodes, "A > B > C"
plan_summary()
{
	grep -oE '(Pegasus Batched Key Join|Nested Loop|Hash Join|Merge Join|Foreign Scan|Seq Scan|Parallel [A-Za-z ]+)' \
		"$1" | paste -sd '>' | sed 's/>/ > /g'
}

# sql_ms SETUP QUERY: milliseconds of QUERY
sql_ms()
{
	"${PSQL[@]}" -At -c "$1" -c "SELECT 1 FROM t WHERE hash_key = '0' AND sort_key = '0'" \
		-c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 |
		awk 'NF { printf "%.1f\n", $1; ok = 1 } END { exit !ok }'
}

# join_rate_mem COUNT SETUP QUERY: "rate peak_MB" of QUERY in a new backend
join_rate_mem()
{
	"${PSQL[@]}" -At -c "$2" -c '\timing on' -c "$3" -c '\timing off' \
		-c "SELECT substring(pg_read_file('/proc/self/status') from 'VmHWM:\\s*(\\d+)')" |
		awk -v n="$1" '/^Time: / { ms = $2 } /^[0-9]+$/ { kb = $1 }
			END { if (!ms || !kb) exit 1; printf "%.0f %.1f\n", n / (ms / 1000), kb / 1024 }'
}

# outer_keys NAME N TABLE_ROWS: N (hash key, sort key) pairs of loaded rows,
# spread evenly over the first TABLE_ROWS rows (row r: r/10, r%10)
outer_keys()
{
	local step=$(($3 / $2))
	[ "$step" -ge 1 ] || step=1
	"${PSQL[@]}" -c "CREATE TABLE $1 AS SELECT ((k * $step) / 10)::text COLLATE \"C\" AS hash_key,
	                   ((k * $step) % 10)::text COLLATE \"C\" AS sort_key
	                 FROM generate_series(0, $2 - 1) k" -c "ANALYZE $1"
}

# ---------------------------------------------------------------------------
echo "== loading $ROWS rows (and $RANGE_ROWS sort keys of one hash key) with pegasus-cli"
"${CLI[@]}" --table bench bench load "$ROWS" >/dev/null || exit 1
if wants range; then
	"${CLI[@]}" --table bench_range bench load "$RANGE_ROWS" r >/dev/null || exit 1
fi
if wants memory; then
	echo "== loading $BIG_ROWS rows into a second table"
	"${CLI[@]}" --table bench_big bench load "$BIG_ROWS" >/dev/null || exit 1
fi

"${PSQL[@]}" -v meta="$PEGASUS_TEST_META" <<'SQL' || exit 1
CREATE EXTENSION pegasus_fdw;
CREATE SERVER pegasus FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta', timeout_ms '30000');
CREATE FOREIGN TABLE t (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench');
CREATE FOREIGN TABLE t_big (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench_big');
CREATE FOREIGN TABLE t_range (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench_range');
CREATE FOREIGN TABLE t_load (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'load_fdw');
SQL
# statistics of the scanned table, so that the join is planned with its size
"${PSQL[@]}" -c "ANALYZE t" || exit 1
"${PSQL[@]}" -c "CREATE TABLE keys AS SELECT ((k * $JOIN_STRIDE) / 10)::text COLLATE \"C\" AS hash_key,
                   ((k * $JOIN_STRIDE) % 10)::text COLLATE \"C\" AS sort_key
                 FROM generate_series(0, $JOIN_KEYS - 1) k" -c "ANALYZE keys" || exit 1
if wants local; then
	echo "== copying the rows into a local table"
	"${PSQL[@]}" -c "CREATE TABLE local_t AS SELECT * FROM t" \
		-c "ALTER TABLE local_t ADD PRIMARY KEY (hash_key, sort_key)" \
		-c "VACUUM ANALYZE local_t" || exit 1
fi
: >"$WORK/results.tsv"
echo "== measuring ($RUNS runs each)"
SERIAL="SET max_parallel_workers_per_gather = 0"

if wants point; then
	repeat "$WORK/point_fdw.txt" pgbench_tps t &&
	repeat "$WORK/point_raw.txt" cli_rate --table bench bench get 20000 --rows "$ROWS" &&
	record "point lookup" ops/s "$WORK/point_fdw.txt" "$WORK/point_raw.txt" \
		"pgbench -M prepared, 1 connection; raw: sequential gets"
	repeat "$WORK/point_norpc.txt" pgbench_norpc_tps &&
	record "point lookup without RPC" ops/s "$WORK/point_norpc.txt" "" \
		"hash_key = '': answered by the FDW without asking Pegasus"
fi

if wants scan; then
	repeat "$WORK/scan_raw.txt" cli_rate --table bench bench scan || exit 1
	repeat "$WORK/scan_fdw.txt" sql_rate "$ROWS" "$SERIAL" "SELECT sum(octet_length(value)) FROM t" &&
	record "scan $ROWS rows" rows/s "$WORK/scan_fdw.txt" "$WORK/scan_raw.txt" \
		"SELECT sum(octet_length(value)); no parallel workers"
	for w in 1 2 4; do
		repeat "$WORK/scan_w$w.txt" sql_rate "$ROWS" \
			"SET max_parallel_workers_per_gather = $w; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET parallel_leader_participation = on" \
			"SELECT sum(octet_length(value)) FROM t" &&
		record "scan $ROWS rows, $w workers" rows/s "$WORK/scan_w$w.txt" "$WORK/scan_raw.txt" \
			"Gather + Parallel Foreign Scan"
	done
	"${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 2" -c "SET parallel_setup_cost = 0" \
		-c "SET parallel_tuple_cost = 0" \
		-c "EXPLAIN (COSTS OFF) SELECT sum(octet_length(value)) FROM t" >"$WORK/scan_plan.txt" 2>&1
fi

# the statistics' cost: the same point SELECT and scan, alternating runs
# with the call statistics on and off
if wants stats; then
	for f in st_point_on st_point_off st_scan_on st_scan_off; do : >"$WORK/$f.txt"; done
	for i in $(seq 1 "$RUNS"); do
		for mode in on off; do
			v=$(PGOPTIONS="-c pegasus_fdw.track_calls=$mode" pgbench_tps t) || exit 1
			echo "$v" >>"$WORK/st_point_$mode.txt"
			printf '   %-48s %s\n' "point, statistics $mode, run $i" "$v"
			v=$(sql_rate "$ROWS" "$SERIAL; SET pegasus_fdw.track_calls = $mode" \
				"SELECT sum(octet_length(value)) FROM t") || exit 1
			echo "$v" >>"$WORK/st_scan_$mode.txt"
			printf '   %-48s %s\n' "scan, statistics $mode, run $i" "$v"
		done
	done
	record "point lookup, statistics on" ops/s "$WORK/st_point_on.txt" "" \
		"pegasus_fdw.track_calls = on; runs alternate with off"
	record "point lookup, statistics off" ops/s "$WORK/st_point_off.txt" "" \
		"pegasus_fdw.track_calls = off"
	record "scan $ROWS rows, statistics on" rows/s "$WORK/st_scan_on.txt" "" \
		"pegasus_fdw.track_calls = on; no parallel workers"
	record "scan $ROWS rows, statistics off" rows/s "$WORK/st_scan_off.txt" "" \
		"pegasus_fdw.track_calls = off"
fi

if wants memory; then
	peak_kb t >"$WORK/mem1.kb" && peak_kb t_big >"$WORK/mem5.kb" || exit 1
	awk '{ printf "%.1f\n", $1 / 1024 }' "$WORK/mem1.kb" >"$WORK/mem1.txt"
	awk '{ printf "%.1f\n", $1 / 1024 }' "$WORK/mem5.kb" >"$WORK/mem5.txt"
	record "scan peak memory, $ROWS rows" MB "$WORK/mem1.txt" "" "backend VmHWM after the scan"
	record "scan peak memory, $BIG_ROWS rows" MB "$WORK/mem5.txt" "" "backend VmHWM after the scan"
fi

if wants range; then
	repeat "$WORK/range_raw.txt" cli_rate --table bench_range bench range r a &&
	repeat "$WORK/range_fdw.txt" sql_rate "$RANGE_ROWS" "$SERIAL" \
		"SELECT sum(octet_length(value)) FROM t_range WHERE hash_key = 'r' AND sort_key >= 'a'" &&
	record "range $RANGE_ROWS sort keys" rows/s "$WORK/range_fdw.txt" "$WORK/range_raw.txt" \
		"one hash key, sort_key >= 'a'"
fi

if wants load; then
	repeat "$WORK/load_raw.txt" cli_rate --table load_raw bench load "$LOAD_ROWS" &&
	repeat "$WORK/load_fdw.txt" sql_rate "$LOAD_ROWS" "$SERIAL" \
		"INSERT INTO t_load SELECT (i / 10)::text, (i % 10)::text, repeat('v', 100) FROM generate_series(0, $LOAD_ROWS - 1) i" &&
	record "load $LOAD_ROWS rows" rows/s "$WORK/load_fdw.txt" "$WORK/load_raw.txt" \
		"INSERT ... SELECT generate_series (batch_size 100, the default); raw: multi_set groups"
	# the raw client sends 1000 rows a round: so does batch_size 1000
	"${PSQL[@]}" -c "ALTER FOREIGN TABLE t_load OPTIONS (ADD batch_size '1000')" || exit 1
	repeat "$WORK/load_fdw1000.txt" sql_rate "$LOAD_ROWS" "$SERIAL" \
		"INSERT INTO t_load SELECT (i / 10)::text, (i % 10)::text, repeat('v', 100) FROM generate_series(0, $LOAD_ROWS - 1) i" &&
	record "load $LOAD_ROWS rows, batch_size 1000" rows/s "$WORK/load_fdw1000.txt" \
		"$WORK/load_raw.txt" "INSERT ... SELECT generate_series with batch_size 1000"
fi

if wants join; then
	JOIN_SQL="SELECT sum(length(t.value)) FROM keys k JOIN t ON t.hash_key = k.hash_key AND t.sort_key = k.sort_key"
	repeat "$WORK/join_raw.txt" cli_rate --table bench bench mget "$JOIN_KEYS" \
		--rows $((JOIN_STRIDE * JOIN_KEYS)) &&
	repeat "$WORK/join_fdw.txt" sql_rate "$JOIN_KEYS" "$SERIAL" "$JOIN_SQL" &&
	"${PSQL[@]}" -c "$SERIAL" -c "EXPLAIN (COSTS OFF) $JOIN_SQL" >"$WORK/join_plan.txt" 2>&1
	plan=$(plan_summary "$WORK/join_plan.txt")
	record "join $JOIN_KEYS keys in generated order" ops/s "$WORK/join_fdw.txt" "$WORK/join_raw.txt" \
		"plan: $plan; raw: batch_get"
	# the same keys handed over as an array: batch_get from the FDW too
	ANY_SQL="SELECT sum(octet_length(value)) FROM t WHERE hash_key = ANY (ARRAY(SELECT hash_key FROM keys)) AND sort_key = '0'"
	repeat "$WORK/join_any.txt" sql_rate "$JOIN_KEYS" "$SERIAL" "$ANY_SQL" &&
	record "join $JOIN_KEYS keys in generated order as ANY(array)" ops/s "$WORK/join_any.txt" "$WORK/join_raw.txt" \
		"hash_key = ANY (ARRAY(SELECT ...)): batch_get of 1000 keys a call"
fi

# batched key join: joins to tables that were never analyzed
if wants join; then
	JOIN_TABLE_ROWS=$((ROWS < 200000 ? ROWS : 200000))
	"${CLI[@]}" --partitions 8 create_app bench_join >/dev/null &&
	"${CLI[@]}" --table bench_join bench load "$JOIN_TABLE_ROWS" >/dev/null || exit 1
	"${PSQL[@]}" <<'SQL' || exit 1
CREATE FOREIGN TABLE t_join (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench_join');
CREATE FOREIGN TABLE t_na (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench');
SQL
	"${PSQL[@]}" -c "CREATE TABLE hk20 AS SELECT ((k * ($JOIN_TABLE_ROWS / 10 / 20))::text) COLLATE \"C\" AS hash_key
	                 FROM generate_series(0, 19) k" -c "ANALYZE hk20" || exit 1
	outer_keys pairs2000 2000 "$JOIN_TABLE_ROWS" || exit 1
	FULL_SCAN="SET pegasus_fdw.enable_batched_join = off; SET enable_nestloop = off; $SERIAL"
	for q in "hk20:SELECT sum(length(t.value)) FROM hk20 k JOIN t_join t ON t.hash_key = k.hash_key:20 hash keys" \
		"pairs2000:SELECT sum(length(t.value)) FROM pairs2000 k JOIN t_join t ON t.hash_key = k.hash_key AND t.sort_key = k.sort_key:2000 pairs"; do
		name=${q%%:*}; rest=${q#*:}; sql=${rest%:*}; label=${rest##*:}
		repeat "$WORK/bj_$name.txt" sql_ms "$SERIAL" "$sql" &&
		repeat "$WORK/bj_${name}_scan.txt" sql_ms "$FULL_SCAN" "$sql" &&
		"${PSQL[@]}" -c "$SERIAL" -c "EXPLAIN (COSTS OFF) $sql" >"$WORK/bj_${name}_plan.txt" 2>&1
		record "join $label in generated order, $JOIN_TABLE_ROWS records not analyzed" ms "$WORK/bj_$name.txt" \
			"$WORK/bj_${name}_scan.txt" \
			"plan: $(plan_summary "$WORK/bj_${name}_plan.txt"); raw column: full scan + hash join; ratio below 0.1 wanted"
	done

	# jit off: the LLVM libraries would count in the peak memory
	FORCED="SET jit = off; SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_nestloop = off; $SERIAL"
	for n in 100000 1000000; do
		[ "$n" -le "$ROWS" ] || continue
		outer_keys "outer_$n" "$n" "$ROWS" || exit 1
		join_rate_mem "$n" "$FORCED" \
			"SELECT sum(length(t.value)) FROM outer_$n k JOIN t_na t ON t.hash_key = k.hash_key AND t.sort_key = k.sort_key" \
			>"$WORK/bj_$n.out" || exit 1
		awk '{ print $1 }' "$WORK/bj_$n.out" >"$WORK/bj_${n}_rate.txt"
		awk '{ print $2 }' "$WORK/bj_$n.out" >"$WORK/bj_${n}_mem.txt"
		record "batched join $n outer rows in generated order" ops/s "$WORK/bj_${n}_rate.txt" "$WORK/join_raw.txt" \
			"Pegasus Batched Key Join (other joins off), one run; raw: batch_get"
		record "batched join peak memory, $n rows" MB "$WORK/bj_${n}_mem.txt" "" \
			"backend VmHWM after the join"
	done
	"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE hk20, pairs2000" \
		-c "DROP TABLE IF EXISTS outer_100000, outer_1000000" >/dev/null
fi

# the batched key join of JOIN_KEYS (hash key, sort key) pairs in three key
# orders: as generated (numeric order of the hash keys), sorted (byte order,
# the order of the table's keys) and random, each against the raw client's
# batch_get of the same pairs in the same run
if wants pairs; then
	"${PSQL[@]}" <<'SQL' || exit 1
CREATE FOREIGN TABLE IF NOT EXISTS t_na (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench');
SQL
	"${PSQL[@]}" -c "SELECT setseed(0.5)" \
		-c "CREATE TABLE pairs_sorted AS SELECT hash_key AS k, sort_key AS s FROM keys ORDER BY 1, 2" \
		-c "CREATE TABLE pairs_random AS SELECT hash_key AS k, sort_key AS s FROM keys ORDER BY random()" \
		-c "CREATE TABLE pairs_generated AS SELECT hash_key AS k, sort_key AS s FROM keys" \
		-c "ANALYZE pairs_sorted" -c "ANALYZE pairs_random" -c "ANALYZE pairs_generated" \
		>/dev/null || exit 1
	[ -f "$WORK/join_raw.txt" ] ||
		repeat "$WORK/join_raw.txt" cli_rate --table bench bench mget "$JOIN_KEYS" \
			--rows $((JOIN_STRIDE * JOIN_KEYS))
	for order in generated sorted random; do
		PAIRS_SQL="SELECT count(f.value), sum(octet_length(f.value)) FROM pairs_$order p JOIN t_na f ON f.hash_key = p.k AND f.sort_key = p.s"
		repeat "$WORK/pairs_$order.txt" sql_rate "$JOIN_KEYS" "$SERIAL" "$PAIRS_SQL" &&
		"${PSQL[@]}" -c "$SERIAL" -c "EXPLAIN (COSTS OFF) $PAIRS_SQL" >"$WORK/pairs_${order}_plan.txt" 2>&1
		record "join $JOIN_KEYS pairs in $order order, $ROWS records not analyzed" ops/s \
			"$WORK/pairs_$order.txt" "$WORK/join_raw.txt" \
			"plan: $(plan_summary "$WORK/pairs_${order}_plan.txt"); raw: batch_get of the same pairs"
	done
	"${PSQL[@]}" -c "DROP TABLE pairs_sorted, pairs_random, pairs_generated" >/dev/null
fi

if wants local; then
	repeat "$WORK/local_scan.txt" sql_rate "$ROWS" "$SERIAL" "SELECT sum(octet_length(value)) FROM local_t" &&
	record "local table scan $ROWS rows" rows/s "$WORK/local_scan.txt" "" \
		"plain PostgreSQL table, no parallel workers"
	repeat "$WORK/local_point.txt" pgbench_tps local_t &&
	record "local table point lookup" ops/s "$WORK/local_point.txt" "" \
		"primary key index, pgbench -M prepared"
fi

. test/bench/load_shapes.sh
. test/bench/docs.sh
. test/bench/async.sh
wants docs && { run_docs || exit 1; }
wants async && { run_async || exit 1; }
wants shapes && run_load_shapes
wants contended && run_load_contended
wants pgref && run_pgref

# ---------------------------------------------------------------------------
echo
printf '%-44s %7s %11s %11s %11s %11s %7s %11s %7s\n' workload unit fdw "(min" "max)" raw ratio \
	pg_fdw "vs pg"
awk -F'\t' '{
	ratio = ($6 == "null" || $6 == 0) ? "-" : sprintf("%.2f", $3 / $6)
	raw = ($6 == "null") ? "-" : $6
	pg = ($11 == "" || $11 == "null") ? "-" : $11
	vspg = (pg == "-" || $11 == 0) ? "-" : sprintf("%.2f", $3 / $11)
	printf "%-44s %7s %11s %11s %11s %11s %7s %11s %7s\n", $1, $2, $3, "(" $4, $5 ")", raw, ratio, pg, vspg
}' "$WORK/results.tsv"
echo
awk -F'\t' '{ printf "  %s: %s\n", $1, $9 }' "$WORK/results.tsv"
if [ -f "$WORK/scan_plan.txt" ]; then
	echo; echo "parallel scan plan (2 workers):"; sed 's/^/  /' "$WORK/scan_plan.txt"
fi
if [ -f "$WORK/join_plan.txt" ]; then
	echo; echo "join plan:"; sed 's/^/  /' "$WORK/join_plan.txt"
fi

awk -F'\t' 'BEGIN { print "[" }
function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
{
	ratio = ($6 == "null" || $6 == 0) ? "null" : sprintf("%.4f", $3 / $6)
	pg = ($11 == "") ? "null" : $11
	vspg = (pg == "null" || pg == 0) ? "null" : sprintf("%.4f", $3 / pg)
	printf "%s  {\"workload\": %s, \"fdw\": %s, \"raw\": %s, \"unit\": %s, \"ratio\": %s, \"fdw_min\": %s, \"fdw_max\": %s, \"raw_min\": %s, \"raw_max\": %s, \"runs\": %d, \"note\": %s, \"postgres_fdw\": %s, \"postgres_fdw_min\": %s, \"postgres_fdw_max\": %s, \"ratio_postgres_fdw\": %s}", \
		(NR > 1 ? ",\n" : ""), js($1), $3, $6, js($2), ratio, $4, $5, $7, $8, $10, js($9), pg, \
		($12 == "" ? "null" : $12), ($13 == "" ? "null" : $13), vspg
}
END { print "\n]" }' "$WORK/results.tsv" >test/bench/results.json
echo
echo "written to test/bench/results.json"
# the chart: FDW, raw client and postgres_fdw per workload (python3, optional)
if command -v python3 >/dev/null; then
	python3 test/bench/chart.py test/bench/results.json test/bench/results.svg
else
	echo "no python3: test/bench/results.svg not drawn"
fi
