#!/usr/bin/env bash
# Reads and a bulk load while the table splits (onebox "split", driven phase
# by phase, split_lib.sh): a serial scan, a parallel scan with 4 workers, a
# range read of hash keys, count(*), a wide-layout scan (one row per hash
# key, also for the hash keys a split cuts) and an INSERT ... SELECT of 200,000
# rows, each started before the split, during copying, in the middle of
# the registrations and after the last one (compaction then lands in the
# middle).  Every record must come exactly once, every row inserted must be
# there, and the onebox must see no protocol violation.
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/split_lib.sh"

setup_db rel_split_scan || { not_ok "scratch database"; tap_done; exit 1; }
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_split.XXXXXX")
trap 'restore_onebox; all_latency 0; control split-delay 200 >/dev/null;
      control drop-table sp_data >/dev/null; rm -rf "$work"' EXIT

ROWS=20000					# 500 hash keys of 40 sort keys
RANGE_ROWS=4000			# per range hash key ra, rb, rc, rd
INSERT_ROWS=200000
PARTS=8					# a leader and 4 workers need 5 partitions or more
sql "CREATE FOREIGN TABLE sp (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value bigint)
       SERVER pegasus OPTIONS (table 'sp_data', fetch_size '100');
     CREATE FOREIGN TABLE spw (hash_key text COLLATE \"C\", s1 bigint, s20 bigint, k000001 bigint)
       SERVER pegasus OPTIONS (table 'sp_data', layout 'wide', fetch_size '100')" >/dev/null

# the statements: name | RPCs that tell progress | SQL (no "|" in it) | expected output
PAR="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 4;"
ALL_SUM=$((ROWS * (ROWS + 1) / 2 + 4 * RANGE_ROWS * (RANGE_ROWS + 1) / 2))
ALL_ROWS=$((ROWS + 4 * RANGE_ROWS))
CASES=(
	"serial scan|RPC_RRDB_RRDB_SCAN RPC_RRDB_RRDB_GET_SCANNER|SET max_parallel_workers_per_gather = 0; SELECT count(value), count(DISTINCT (hash_key, sort_key)), sum(value) FROM sp|$ALL_ROWS|$ALL_ROWS|$ALL_SUM"
	"parallel scan, 4 workers|RPC_RRDB_RRDB_SCAN RPC_RRDB_RRDB_GET_SCANNER|$PAR SELECT count(value), count(DISTINCT (hash_key, sort_key)), sum(value) FROM sp|$ALL_ROWS|$ALL_ROWS|$ALL_SUM"
	"range read|RPC_RRDB_RRDB_MULTI_GET|SELECT count(value), count(DISTINCT (hash_key, sort_key)), sum(value) FROM sp WHERE hash_key IN ('ra', 'rb', 'rc', 'rd') AND sort_key >= 'k'|$((4 * RANGE_ROWS))|$((4 * RANGE_ROWS))|$((4 * RANGE_ROWS * (RANGE_ROWS + 1) / 2))"
	"count(*)|RPC_RRDB_RRDB_SCAN RPC_RRDB_RRDB_GET_SCANNER|SELECT count(*) FROM sp|$ALL_ROWS"
	"wide-layout scan|RPC_RRDB_RRDB_SCAN RPC_RRDB_RRDB_GET_SCANNER|SET max_parallel_workers_per_gather = 0; SELECT count(*), count(DISTINCT hash_key), sum(s1), sum(s20), sum(k000001) FROM spw|504|504|374750|5124750|4"
	"INSERT ... SELECT of $INSERT_ROWS rows|RPC_RRDB_RRDB_MULTI_PUT|INSERT INTO sp SELECT concat('i', g % 1000), concat('n', g), g FROM generate_series(1, $INSERT_ROWS) g|"
)

# fresh_table: sp_data with PARTS partitions and the base rows
fresh_table()
{
	control drop-table sp_data >/dev/null
	control create sp_data $PARTS >/dev/null
	sql "INSERT INTO sp SELECT 'h' || (g % 500), 's' || (g / 500), g FROM generate_series(1, $ROWS) g;
	     INSERT INTO sp SELECT r, 'k' || lpad(g::text, 6, '0'), g
	       FROM generate_series(1, $RANGE_ROWS) g, unnest(ARRAY['ra', 'rb', 'rc', 'rd']) r" >/dev/null
}

# plan check: the parallel case really has 4 workers
fresh_table
plan=$(sql "$PAR EXPLAIN (COSTS OFF) SELECT count(value) FROM sp")
expect_match "the parallel case plans 4 workers" "Workers Planned: 4" "$plan"
plan=$(sql "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM sp")
expect_match "the count(*) case is the scanner's server-side count" "count" "$plan"

# started after 0 (before the split), 1 (copying), PARTS + 1 (half of the
# registrations) and 2 * PARTS + 1 (every child registered) actions
STARTS=(0 1 $((PARTS + 1)) $((2 * PARTS + 1)))
PHASES=("before the split" "during copying" "half registered" "before compaction")
for c in "${CASES[@]}"; do
	IFS='|' read -r -a F <<<"$c"
	name=${F[0]}
	SPLIT_RPCS=${F[1]}
	q=${F[2]}
	want=$(IFS='|'; echo "${F[*]:3}")
	for i in "${!STARTS[@]}"; do
		fresh_table
		split_reset $PARTS
		for ((a = 0; a < STARTS[i]; a++)); do split_action sp_data; done
		control reset-counters >/dev/null
		all_latency 2
		sql "$q" >"$work/out" 2>&1 &
		pid=$!
		landed=$(split_drive sp_data "$pid")
		wait "$pid"
		rc=$?
		all_latency 0
		out=$(tr '\n' ' ' <"$work/out" | sed 's/ $//')
		[ -n "$want" ] || [ "$rc" -ne 0 ] ||
			out=$(sql "SELECT count(*), count(DISTINCT sort_key), sum(value) FROM sp WHERE hash_key LIKE 'i%'" | tr '\n' ' ' | sed 's/ $//')
		exp=$want
		[ -n "$exp" ] || exp="$INSERT_ROWS|$INSERT_ROWS|$((INSERT_ROWS * (INSERT_ROWS + 1) / 2))"
		echo "# $name started ${PHASES[$i]}: $landed split actions landed while it ran"
		expect_eq "$name started ${PHASES[$i]}: every record exactly once" "$exp" "$out"
		expect_match "$name started ${PHASES[$i]}: the split completed" "phase=none partitions=$((2 * PARTS))" \
			"$(control split-status sp_data)"
	done
done

expect_eq "no protocol violation" "OK 0" "$(control violations)"
tap_done
