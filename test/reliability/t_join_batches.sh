#!/usr/bin/env bash
# The batched key join under faults: cancel and statement_timeout stop it
# while a batch waits for a slow replica; a batch_get refused by the server
# fails the statement with an error that names the batch; a retryable
# refusal is retried; each time the next statement on the same backend gets
# the right answer.  The same for a join reading sort-key lists with
# multi_get.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_join_batches || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table jb_data >/dev/null' EXIT

# one partition: every batch_get goes to the same replica
app=$(create_table jb_data 1)
port=$(replica_of "$app" 0)
sql "CREATE FOREIGN TABLE jb (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'jb_data');
     INSERT INTO jb SELECT 'h' || (i % 100), 's' || (i / 100), i::text
       FROM generate_series(0, 2999) i;
     CREATE TABLE jb_keys AS
       SELECT 'h' || (i % 100) AS k, 's' || (i / 100) AS s FROM generate_series(0, 4999) i;
     ANALYZE jb_keys" >/dev/null

JOIN="SELECT count(*), sum(jb.value::int) FROM jb_keys k JOIN jb ON jb.hash_key = k.k AND jb.sort_key = k.s;"
RIGHT="3000|4498500"

sess_open jb_sess
pid=$(sess_run "SELECT pg_backend_pid();")
expect_match "the join runs as a batched key join" "Pegasus Batched Key Join" \
	"$(sess_run "EXPLAIN (COSTS OFF) $JOIN")"
expect_eq "the join is right without faults" "$RIGHT" "$(sess_run "$JOIN")"

# cancel while a batch waits: each batch_get takes 3 s
control latency "$port" 3000 >/dev/null
sess_send "$JOIN"
for i in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND state = 'active'
	            AND wait_event_type = 'Extension'")" = 1 ] && break
	sleep 0.05
done
sql "SELECT pg_cancel_backend($pid)" >/dev/null
out=$(sess_wait)
control latency "$port" 0 >/dev/null
expect_match "cancel stops a batch waiting for its reply" "canceling statement due to user request" "$out"
expect_eq "after the cancel, the join on the same backend is right" "$RIGHT" "$(sess_run "$JOIN")"

# statement_timeout while a batch waits
control latency "$port" 3000 >/dev/null
sess_run "SET statement_timeout = 500;" >/dev/null
out=$(sess_run "$JOIN")
sess_run "RESET statement_timeout;" >/dev/null
control latency "$port" 0 >/dev/null
expect_match "statement_timeout stops a batch waiting for its reply" \
	"canceling statement due to statement timeout" "$out"
expect_eq "after the timeout, the join on the same backend is right" "$RIGHT" "$(sess_run "$JOIN")"

# the first batch_get is refused: the error names the batch
control fail '*' RPC_RRDB_RRDB_BATCH_GET 1 ERR_UNKNOWN >/dev/null
out=$(sess_run "$JOIN")
control clear-faults >/dev/null
expect_match "a refused batch_get fails the join" "ERROR: .*Pegasus" "$out"
expect_match "the error names the batch" \
	'reading batch 1 of a batched key join \([0-9]+ keys\) from Pegasus table "jb_data"' "$out"
expect_eq "after the error, the join on the same backend is right" "$RIGHT" "$(sess_run "$JOIN")"

# a retryable refusal is retried and the answer is complete
control fail '*' RPC_RRDB_RRDB_BATCH_GET 1 ERR_BUSY >/dev/null
expect_eq "a busy replica is retried within the batch" "$RIGHT" "$(sess_run "$JOIN")"
control clear-faults >/dev/null

# wide layout and ranges too: the answer equals a local copy's
sql "CREATE TABLE jb_local AS SELECT * FROM jb" >/dev/null
expect_eq "a hash-key-only join (ranges) equals the local answer" \
	"$(sess_run "SELECT count(*), sum(l.value::int) FROM jb_keys k JOIN jb_local l ON l.hash_key = k.k;")" \
	"$(sess_run "SELECT count(*), sum(jb.value::int) FROM jb_keys k JOIN jb ON jb.hash_key = k.k;")"

# sort-key lists: one multi_get per hash key, under the same faults
LJOIN="SELECT count(*), sum(jb.value::int) FROM jb_keys k JOIN jb
         ON jb.hash_key = k.k AND jb.sort_key = ANY (ARRAY[k.s, 's0']);"
LRIGHT=$(sess_run "SELECT count(*), sum(l.value::int) FROM jb_keys k JOIN jb_local l
                     ON l.hash_key = k.k AND l.sort_key = ANY (ARRAY[k.s, 's0']);")
expect_match "the local answer of the list join is rows" '^[1-9][0-9]*\|[0-9]+$' "$LRIGHT"
for g in enable_hashjoin enable_mergejoin enable_nestloop; do
	sess_run "SET $g = off;" >/dev/null
done
expect_match "the list join reads with multi_get" "Pegasus Request: multi_get of hash_key = k.k with 2 sort keys" \
	"$(sess_run "EXPLAIN (COSTS OFF) $LJOIN")"
expect_eq "the list join equals the local answer" "$LRIGHT" "$(sess_run "$LJOIN")"
control latency "$port" 3000 >/dev/null
sess_send "$LJOIN"
for i in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND state = 'active'
	            AND wait_event_type = 'Extension'")" = 1 ] && break
	sleep 0.05
done
sql "SELECT pg_cancel_backend($pid)" >/dev/null
out=$(sess_wait)
control latency "$port" 0 >/dev/null
expect_match "cancel stops a multi_get of the list join" "canceling statement due to user request" "$out"
expect_eq "after the cancel, the list join is right" "$LRIGHT" "$(sess_run "$LJOIN")"
control fail '*' RPC_RRDB_RRDB_MULTI_GET 1 ERR_UNKNOWN >/dev/null
out=$(sess_run "$LJOIN")
control clear-faults >/dev/null
expect_match "a refused multi_get fails the list join, naming the batch" \
	'reading batch 1 of a batched key join \([0-9]+ keys\) from Pegasus table "jb_data"' "$out"
expect_eq "after the error, the list join is right" "$LRIGHT" "$(sess_run "$LJOIN")"
for g in enable_hashjoin enable_mergejoin enable_nestloop; do
	sess_run "RESET $g;" >/dev/null
done
expect_eq "the session's backend is the same" "$pid" "$(sess_run "SELECT pg_backend_pid();")"
sess_close
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
