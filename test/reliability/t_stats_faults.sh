#!/usr/bin/env bash
# Faults show in pegasus_fdw_stats where they happened: ERR_BUSY as retries
# of the call that got through, a replica slower than timeout_ms as a
# timeout and an error, a moved primary as a retry; pegasus_fdw.log_retries
# logs each retry with its cause, pegasus_fdw.log_min_duration_ms logs a
# call above the threshold and not one below it, and EXPLAIN ANALYZE shows
# the time a scan, a batched join, a write and a delete waited on the
# replica.  One session throughout,
# so that the counts are visible whatever the store (a backend's own counts
# are in its view even without shared memory).
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_stats_faults || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table sf_data >/dev/null' EXIT

T=600
# one partition: every request goes to the same replica
app=$(create_table sf_data 1)
port=$(replica_of "$app" 0)
sql "CREATE SERVER pegasus_sf FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '$T');
     CREATE FOREIGN TABLE sf (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus_sf OPTIONS (table 'sf_data');
     INSERT INTO sf VALUES ('h', 's', 'v')" >/dev/null

GET="SELECT value FROM sf WHERE hash_key = 'h' AND sort_key = 's';"
ROW="SELECT calls, errors, retries, timeouts FROM pegasus_fdw_stats
     WHERE server_name = 'pegasus_sf' AND table_name = 'sf_data' AND operation = 'get';"
# REPLICA PORT: the get row of pegasus_fdw_replica_stats for that replica
REPLICA_ROW()
{
	echo "SELECT calls, errors, retries, timeouts FROM pegasus_fdw_replica_stats
	      WHERE server_name = 'pegasus_sf' AND operation = 'get' AND replica = '127.0.0.1:$1';"
}
log_since() { tail -c +"$(($1 + 1))" "$PG_LOG"; }

sess_open sf_sess
sess_run "SET pegasus_fdw.log_retries = on;" >/dev/null
expect_eq "a first get works" "v" "$(sess_run "$GET")"
sess_run "SELECT pegasus_fdw_stats_reset('pegasus_sf');" >/dev/null

# throttled twice, then served: one call, two retries, no error
pos=$(stat -c %s "$PG_LOG")
control fail "$port" RPC_RRDB_RRDB_GET 2 ERR_BUSY >/dev/null
expect_eq "a get turned away twice with ERR_BUSY succeeds" "v" "$(sess_run "$GET")"
expect_eq "ERR_BUSY: 1 call, 0 errors, 2 retries, 0 timeouts" "1|0|2|0" "$(sess_run "$ROW")"
expect_eq "ERR_BUSY: the same under the replica that refused and then served it" "1|0|2|0" \
	"$(sess_run "$(REPLICA_ROW "$port")")"
sleep 0.3
n=$(log_since "$pos" | grep -c 'pegasus get on table "sf_data" of server "pegasus_sf" retried .*cause ERR_BUSY')
expect_eq "log_retries: each retry logged with its cause" "2" "$n"

# slower than timeout_ms: a timeout, counted as one
control latency "$port" 3000 >/dev/null
out=$(sess_run "$GET")
control latency "$port" 0 >/dev/null
expect_match "a slow replica gives a timeout error" "timed out" "$out"
expect_eq "latency: 2 calls, 1 error, 1 timeout" "2|1|2|1" "$(sess_run "$ROW")"
expect_eq "the timeout is the last error" "PEGASUS_ERR_TIMEOUT" \
	"$(sess_run "SELECT last_error_code FROM pegasus_fdw_stats
	             WHERE server_name = 'pegasus_sf' AND operation = 'get';")"
sleep 0.5	# the late reply is discarded before the next fault

# the primary moves: the old one refuses, the client refreshes and retries
other=$(other_replica "$port")
control move sf_data 0 "$other" >/dev/null
expect_eq "a get after the primary moved succeeds" "v" "$(sess_run "$GET")"
got=$(sess_run "$ROW")
expect_eq "moved primary: 3 calls, still 1 error" "3|1" "$(cut -d'|' -f1,2 <<<"$got")"
r=$(cut -d'|' -f3 <<<"$got")
if [ "${r:-0}" -ge 3 ]; then ok "moved primary: the refused attempt is a retry"; else
	not_ok "moved primary: the refused attempt is a retry"; echo "#   row: $got"; fi
# per replica: the call whose last attempt reached the new primary is its
expect_eq "moved primary: the new primary's row has the call that reached it" "1|0" \
	"$(sess_run "$(REPLICA_ROW "$other")" | cut -d'|' -f1,2)"
expect_eq "moved primary: the old primary's row keeps the 2 calls it answered, 1 timed out" "2|1|2|1" \
	"$(sess_run "$(REPLICA_ROW "$port")")"
expect_eq "pegasus_fdw_partitions shows the new primary" "127.0.0.1:$other" \
	"$(sess_run "SELECT primary_replica FROM pegasus_fdw_partitions('pegasus_sf', 'sf_data')
	             WHERE partition_index = 0;")"

# the slow-call log: above the threshold, and not below
sess_run "SET pegasus_fdw.log_min_duration_ms = 150;" >/dev/null
pos=$(stat -c %s "$PG_LOG")
control latency "$other" 300 >/dev/null
expect_eq "a get slower than the threshold works" "v" "$(sess_run "$GET")"
# EXPLAIN ANALYZE shows the node's time waited on the replica
out=$(sess_run "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) $GET")
w=$(sed -nE 's/.*Pegasus Wait Time: ([0-9]+)\.[0-9]+ ms.*/\1/p' <<<"$out" | head -1)
if [ "${w:-0}" -ge 300 ]; then ok "EXPLAIN ANALYZE: Pegasus Wait Time includes the latency (${w} ms)"; else
	not_ok "EXPLAIN ANALYZE: Pegasus Wait Time includes the latency"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
# and so do a batched key join, a write and a delete (the first Wait Time
# of a plan is its top node's)
sess_run "CREATE TEMP TABLE sf_keys AS SELECT 'h'::text AS k, s FROM (VALUES ('s'), ('x1'), ('x2'), ('x3'), ('x4'), ('x5'), ('x6'), ('x7'), ('x8'), ('x9')) v(s);
          ANALYZE sf_keys;" >/dev/null
top_wait()
{
	sed -nE 's/.*Pegasus Wait Time: ([0-9]+)\.[0-9]+ ms.*/\1/p' <<<"$1" | head -1
}
for stmt in "SELECT count(value) FROM sf_keys k JOIN sf ON sf.hash_key = k.k AND sf.sort_key = k.s" \
	"INSERT INTO sf VALUES ('h', 's2', 'v2')" \
	"DELETE FROM sf WHERE hash_key = 'h' AND sort_key = 's2'"; do
	out=$(sess_run "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) $stmt;")
	# the node that shows it: the last one opened above its line
	node=$(awk '/\(actual/ { n = $0; sub(/^ *(-> *)?/, "", n); sub(/ *\(actual.*/, "", n) }
		/Pegasus Wait Time/ { print n; exit }' <<<"$out")
	w=$(top_wait "$out")
	# the reply leaves 300 ms after the request arrives: a little less
	# than that after the client started to wait
	if [ "${w:-0}" -ge 280 ]; then ok "EXPLAIN ANALYZE: $node waited the latency (${w} ms)"; else
		not_ok "EXPLAIN ANALYZE: the top node of '$stmt' shows a Pegasus Wait Time with the latency"
		printf '%s\n' "$out" | sed 's/^/#   /'; fi
done
expect_match "the join ran as a batched key join" "Pegasus Batched Key Join" \
	"$(sess_run "EXPLAIN (COSTS OFF) SELECT count(value) FROM sf_keys k JOIN sf ON sf.hash_key = k.k AND sf.sort_key = k.s;")"
control latency "$other" 0 >/dev/null
sleep 0.3
line=$(log_since "$pos" | grep 'duration: .* ms  pegasus get on table "sf_data" of server "pegasus_sf"')
expect_match "a call above log_min_duration_ms is logged with partition, replica, records, bytes, retries" \
	"partition 0, replica 127\.0\.0\.1:$other, records sent 1, received 1, bytes sent [0-9]+, received [0-9]+, retries 0" "$line"
ms=$(sed -nE 's/.*duration: ([0-9]+)\.[0-9]+ ms  pegasus get.*/\1/p' <<<"$line" | head -1)
if [ "${ms:-0}" -ge 300 ]; then ok "the logged duration includes the latency (${ms} ms)"; else
	not_ok "the logged duration includes the latency"; echo "#   line: $line"; fi
sess_run "SET pegasus_fdw.log_min_duration_ms = 2000;" >/dev/null
pos=$(stat -c %s "$PG_LOG")
expect_eq "a fast get works" "v" "$(sess_run "$GET")"
sleep 0.3
expect_no_match "a call below log_min_duration_ms is not logged" \
	'pegasus get on table "sf_data"' "$(log_since "$pos")"

sess_close
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
