#!/usr/bin/env bash
# A replica endpoint stops and comes back, between statements and during
# one: statements that need it fail with a connection error after the
# deadline while it is down, work again once it is back (same session), and
# a statement during which it restarts completes with every row.
. "$(dirname "$0")/fault_lib.sh"

setup_db rel_fault_endpoint || { not_ok "scratch database"; tap_done; exit 1; }
trap 'restore_onebox; control drop-table fe_data >/dev/null' EXIT

T=800
app=$(create_table fe_data 4)
sql "CREATE SERVER pegasus_t FOREIGN DATA WRAPPER pegasus_fdw
       OPTIONS (meta_servers '$PEGASUS_TEST_META', timeout_ms '$T', connect_timeout_ms '300');
     CREATE FOREIGN TABLE fe (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus_t OPTIONS (table 'fe_data', fetch_size '20');
     CREATE FOREIGN TABLE fe_long (hash_key text, sort_key text COLLATE \"C\", value text)
       SERVER pegasus OPTIONS (table 'fe_data', fetch_size '20');
     CREATE TABLE src AS SELECT 'h' || (i % 40) AS hash_key, 's' || lpad(i::text, 5, '0') AS sort_key,
       i::text AS value FROM generate_series(1, 2000) i;
     INSERT INTO fe SELECT * FROM src" >/dev/null
victim=$(replica_of "$app" 0)
SCAN_Q="SELECT count(*), sum(value::int), count(DISTINCT (hash_key, sort_key)) FROM %s;"
want=$(sql "$(printf "$SCAN_Q" src)")

sess_open fe_sess
pid=$(sess_run "SELECT pg_backend_pid();")
expect_eq "scan before the stop" "$want" "$(sess_run "$(printf "$SCAN_Q" fe)")"

# --- between statements -----------------------------------------------
control stop "$victim" >/dev/null
t0=$(now_ms)
out=$(sess_run "$(printf "$SCAN_Q" fe)")
el=$(($(now_ms) - t0))
expect_match "stopped replica: the scan fails with a connection error" \
	"ERROR:  could not connect to the Pegasus cluster of server \"pegasus_t\"" "$out"
expect_match "stopped replica: the error names the endpoint" "$victim" "$out"
within "stopped replica: the error comes by timeout_ms" $((T + 700)) "$el"
control start "$victim" >/dev/null
expect_eq "restarted replica: the same session reads everything" "$want" \
	"$(sess_run "$(printf "$SCAN_Q" fe)")"
expect_eq "restarted replica: same backend" "$pid" "$(sess_run "SELECT pg_backend_pid();")"

# --- during a scan: down for 0.5 s, back before the deadline -------------
all_latency 15
sess_send "$(printf "$SCAN_Q" fe_long)"
check "the scan is waiting on a replica when the replica stops" wait_running "$pid"
control stop "$victim" >/dev/null
sleep 0.5
control start "$victim" >/dev/null
out=$(sess_wait)
all_latency 0
expect_eq "replica restarting during a scan: every row exactly once" "$want" "$out"

# --- during a point-read loop: connection dropped (drop) ------------------
# replies 0.5 s late: the join (a few batches of keys) is still waiting
# for them when the connections drop
all_latency 500
sess_send "SELECT count(*) FROM src s JOIN fe_long f USING (hash_key, sort_key) WHERE s.value::int % 50 = 0;"
check "the join is waiting on a replica when the connections drop" wait_running "$pid"
control drop "$victim" >/dev/null
out=$(sess_wait)
all_latency 0
expect_eq "connections dropped during parameterized reads: the join is complete" "40" "$out"

# --- during an INSERT ------------------------------------------------------
# replies 0.5 s late: the INSERT is still waiting for them when the replica
# stops (without latency it may be over before)
all_latency 500
sess_send "INSERT INTO fe_long SELECT 'w' || hash_key, sort_key, value FROM src WHERE value::int <= 300;"
check "the INSERT is waiting on a replica when the replica stops" wait_running "$pid"
control stop "$victim" >/dev/null
sleep 0.4
control start "$victim" >/dev/null
out=$(sess_wait)
all_latency 0
expect_eq "replica restarting during an INSERT: the INSERT succeeds" "" "$out"
expect_eq "replica restarting during an INSERT: every row is stored" "300|45150" \
	"$(sess_run "SELECT count(*), sum(value::int) FROM fe WHERE hash_key LIKE 'wh%';")"

# --- a stopped replica during an INSERT that cannot wait for it -----------
control stop "$victim" >/dev/null
out=$(sess_run "INSERT INTO fe SELECT 'x' || hash_key, sort_key, value FROM src WHERE value::int <= 100;")
control start "$victim" >/dev/null
expect_match "replica down for the whole INSERT: a connection error or a batch report" \
	"ERROR:  could not (connect to the Pegasus cluster|write a batch of)" "$out"
expect_match "replica down for the whole INSERT: the cause is the refused connection" \
	"refused" "$out"
expect_no_match "replica down for the whole INSERT: no row is of unknown outcome (nothing reached the replica)" \
	"[1-9][0-9]* may or may not" "$out"
written=$(sed -n 's/.* \([0-9][0-9]*\) were written.*/\1/p' <<<"$out")
expect_eq "replica down for the whole INSERT: exactly the rows reported written are stored" \
	"${written:-0}" "$(sess_run "SELECT count(*) FROM fe WHERE hash_key LIKE 'x%';")"
expect_eq "after the failed INSERT: same backend" "$pid" "$(sess_run "SELECT pg_backend_pid();")"
expect_eq "after the failed INSERT: the scan is complete" "$want" \
	"$(sess_run "$(printf "$SCAN_Q" "fe WHERE hash_key NOT LIKE 'w%' AND hash_key NOT LIKE 'x%'")")"
sess_close
sql "SELECT 1" >/dev/null
expect_eq "no backend crashed" "0" "$(crash_count)"
tap_done
