#!/usr/bin/env bash
# The batched key join while the table splits (onebox "split", driven phase
# by phase, split_lib.sh): local (hash_key, sort_key) pairs joined with
# batch_get, and local hash keys joined as sort-key ranges (multi_get), each
# started before the split, during copying, in the middle of the
# registrations and after the last one (compaction then lands in the
# middle).  Small batches and a reply delay keep the join running while the
# split advances; the driver steps the split only after the join has sent
# more requests, and the test checks that steps landed while it ran.  Every
# answer must equal the same join against a local copy of the data, and
# the onebox must see no protocol violation.
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/split_lib.sh"

setup_db rel_split_join || { not_ok "scratch database"; tap_done; exit 1; }
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_split_join.XXXXXX")
trap 'restore_onebox; all_latency 0; control split-delay 200 >/dev/null;
      control drop-table sj_data >/dev/null; rm -rf "$work"' EXIT

ROWS=20000					# 500 hash keys of 40 sort keys
PARTS=8
sql "CREATE FOREIGN TABLE sj (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value bigint)
       SERVER pegasus OPTIONS (table 'sj_data', fetch_size '25');
     CREATE TABLE sj_local (hash_key text COLLATE \"C\", sort_key text COLLATE \"C\", value bigint);
     INSERT INTO sj_local SELECT 'h' || (g % 500), 's' || (g / 500), g FROM generate_series(1, $ROWS) g;
     -- 4000 pairs: repeats, and sort keys s40 .. s49 that match nothing
     CREATE TABLE sj_pairs AS
       SELECT i AS id, 'h' || (i * 7 % 500) AS k, 's' || (i % 50) AS s FROM generate_series(1, 4000) i;
     -- 600 hash keys: h500 .. h599 match nothing
     CREATE TABLE sj_hkeys AS SELECT i AS id, 'h' || i AS k FROM generate_series(0, 599) i;
     ANALYZE sj_local; ANALYZE sj_pairs; ANALYZE sj_hkeys" >/dev/null

# the joins: name | RPCs that tell progress | SELECT list and join, Pegasus side "sj"
CASES=(
	"key join (batch_get)|RPC_RRDB_RRDB_BATCH_GET|count(*), count(DISTINCT p.id), sum(sj.value) FROM sj_pairs p JOIN sj ON sj.hash_key = p.k AND sj.sort_key = p.s"
	"left key join (batch_get)|RPC_RRDB_RRDB_BATCH_GET|count(*), count(sj.value), sum(sj.value) FROM sj_pairs p LEFT JOIN sj ON sj.hash_key = p.k AND sj.sort_key = p.s"
	"hash-key join (ranges)|RPC_RRDB_RRDB_MULTI_GET|count(*), count(DISTINCT (h.id, sj.sort_key)), sum(sj.value) FROM sj_hkeys h JOIN sj ON sj.hash_key = h.k"
)
# small batches keep the join going; a split doubles the partitions a batch
# reaches, which can make the planner prefer a lookup per row: the other
# joins are disabled so that every phase runs the batched key join
SLOW="SET pegasus_fdw.join_batch_size = 50; SET enable_nestloop = off; SET enable_hashjoin = off; SET enable_mergejoin = off;"

# fresh_table: sj_data with PARTS partitions and the rows of sj_local
fresh_table()
{
	control drop-table sj_data >/dev/null
	control create sj_data $PARTS >/dev/null
	sql "INSERT INTO sj SELECT * FROM sj_local" >/dev/null
}

STARTS=(0 1 $((PARTS + 1)) $((2 * PARTS + 1)))
PHASES=("before the split" "during copying" "half registered" "before compaction")
for c in "${CASES[@]}"; do
	IFS='|' read -r -a F <<<"$c"
	name=${F[0]}
	SPLIT_RPCS=${F[1]}
	q="$SLOW SELECT ${F[2]}"
	want=$(sql "SELECT $(sed 's/JOIN sj ON/JOIN sj_local l ON/; s/sj\./l./g' <<<"${F[2]}")")
	for i in "${!STARTS[@]}"; do
		fresh_table
		split_reset $PARTS
		for ((a = 0; a < STARTS[i]; a++)); do split_action sj_data; done
		expect_match "$name started ${PHASES[$i]}: the plan is a batched key join" \
			"Pegasus Batched Key Join" "$(sql "$SLOW EXPLAIN (COSTS OFF) SELECT ${F[2]}")"
		control reset-counters >/dev/null
		all_latency 3
		sql "$q" >"$work/out" 2>&1 &
		pid=$!
		landed=$(split_drive sj_data "$pid")
		wait "$pid"
		all_latency 0
		out=$(tr '\n' ' ' <"$work/out" | sed 's/ $//')
		echo "# $name started ${PHASES[$i]}: $landed split actions landed while it ran"
		expect_eq "$name started ${PHASES[$i]}: the answer equals the local join" "$want" "$out"
		if [ "$landed" -ge 1 ]; then
			ok "$name started ${PHASES[$i]}: the split advanced while it ran"
		else
			not_ok "$name started ${PHASES[$i]}: the split advanced while it ran"
		fi
		expect_match "$name started ${PHASES[$i]}: the split completed" "phase=none partitions=$((2 * PARTS))" \
			"$(control split-status sj_data)"
	done
done

expect_eq "no protocol violation" "OK 0" "$(control violations)"
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
