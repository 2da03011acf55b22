#!/usr/bin/env bash
# Load: 16 pgbench clients (LOAD_CLIENTS) for LOAD_SECONDS (default 60) mix
# writes (INSERT, UPDATE and DELETE when the FDW supports them), point
# reads, range reads and full scans against one Pegasus table.  Each client
# writes only its own keys (hash keys c<client>_<0..4>, sort keys s0..s19)
# and records every acknowledged write in local tables in the same
# statement (a WITH over the write's RETURNING: a log, and the last value of
# each key), so:
#   * every read of a client's own key must see that client's last write
#     (checked inside the transaction: a mismatch aborts the client);
#   * no transaction may fail;
#   * at the end the table holds exactly the last logged value of every key.
# Another session alters the server every 2 s meanwhile, so every client's
# cached Pegasus connection is rebuilt many times under load.  With
# LOAD_SPLITS=N (t_split_load.sh) the table also splits N times during the
# run, each split going through its phases at LOAD_SPLIT_DELAY_MS (default
# 300) per phase and compacted after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

clients=${LOAD_CLIENTS:-16}
seconds=${LOAD_SECONDS:-60}
table=rel_load
db=rel_load
dir="$ROOT/test/reliability/load"
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_load.XXXXXX")
trap 'rm -rf "$work"' EXIT

setup_db $db || { not_ok "scratch database"; tap_done; exit 1; }
quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
check "create table $table" quiet sql "SELECT pegasus_fdw_create_table('pegasus', '$table', 8)"
quiet sql "
	CREATE FOREIGN TABLE kv (hash_key text, sort_key text, value bigint)
	  SERVER pegasus OPTIONS (table '$table');
	CREATE TABLE load_log (id bigserial PRIMARY KEY, op text, c int, h int, s int, v bigint);
	CREATE TABLE load_state (c int, h int, s int, v bigint, PRIMARY KEY (c, h, s));
	CREATE VIEW live_keys AS SELECT c, h, s, v FROM load_state WHERE v IS NOT NULL;
	-- Logs an acknowledged write and keeps the last value of its key
	-- (v NULL: deleted).
	CREATE FUNCTION record_write(op text, c int, h int, s int, v bigint) RETURNS void
	LANGUAGE sql AS \$\$
	  INSERT INTO load_log (op, c, h, s, v) VALUES (op, c, h, s, v);
	  INSERT INTO load_state VALUES (c, h, s, v)
	    ON CONFLICT (c, h, s) DO UPDATE SET v = excluded.v;
	\$\$;
	CREATE FUNCTION expect_same(got anyelement, want anyelement, what text) RETURNS void
	LANGUAGE plpgsql AS \$\$
	BEGIN
	  IF got IS DISTINCT FROM want THEN
	    RAISE EXCEPTION 'lost or phantom write: % read %, the log says %', what, got, want;
	  END IF;
	END \$\$"

# Which writes the FDW supports decides the mix; the others are skipped.
scripts=(-f "$dir/write.sql@40" -f "$dir/read_point.sql@30" -f "$dir/read_range.sql@15"
	-f "$dir/scan.sql@1")
mix="insert 40, point read 30, range read 15, scan 1"
quiet sql "INSERT INTO kv VALUES ('probe', 's', 1)"
if quiet sql "UPDATE kv SET value = 2 WHERE hash_key = 'probe' AND sort_key = 's'"; then
	scripts+=(-f "$dir/update.sql@5")
	mix+=", update 5"
	ok "UPDATE available: in the mix"
else
	skip "UPDATE in the load mix" "UPDATE of a foreign table not available"
fi
plan=$(sql "EXPLAIN (VERBOSE, COSTS OFF) UPDATE kv SET value = value + 1
        WHERE hash_key = 'probe' AND sort_key = 's'")
if grep -qi incr <<<"$plan"; then
	scripts+=(-f "$dir/incr.sql@5")
	mix+=", increment 5"
	ok "UPDATE value = value + 1 as incr available: in the mix"
else
	skip "increments in the load mix" "UPDATE value = value + 1 is not pushed down as incr"
fi
if quiet sql "DELETE FROM kv WHERE hash_key = 'probe' AND sort_key = 's'"; then
	scripts+=(-f "$dir/delete.sql@4")
	mix+=", delete 4"
	ok "DELETE available: in the mix"
else
	skip "DELETE in the load mix" "DELETE of a foreign table not available"
fi
quiet "${CLI[@]}" --table "$table" del probe s
echo "# $clients clients, $seconds s: $mix"

# Meanwhile another session alters the server every 2 s: every client's
# cached connection is rebuilt at its next statement, under load.
quiet sql "ALTER SERVER pegasus OPTIONS (ADD fetch_size '1000')"
quiet control reset-counters
(
	end=$((SECONDS + seconds - 2))
	n=0
	while [ $SECONDS -lt $end ]; do
		sleep 2
		size=$((n % 2 == 0 ? 50 : 1000))
		PGDATABASE=$db sql "ALTER SERVER pegasus OPTIONS (SET fetch_size '$size')" >/dev/null ||
			echo "alter failed" >>"$work/alter.err"
		n=$((n + 1))
	done
	echo "$n" >"$work/alters"
) &
alter_pid=$!
splits=${LOAD_SPLITS:-0}
split_pid=
if [ "$splits" -gt 0 ]; then
	control split-delay "${LOAD_SPLIT_DELAY_MS:-300}" >/dev/null
	(
		# once the load runs: split, wait for every child, compact; again
		while [ "$(control counters | awk '/MULTI_PUT|RRDB_PUT/ { n += $3 } END { print n + 0 }')" -lt 100 ]; do
			sleep 0.05
		done
		for ((k = 0; k < splits; k++)); do
			control split "$table" >>"$work/split.log"
			until control split-status "$table" | grep -qE 'phase=split'; do
				sleep 0.05
			done
			control split-status "$table" >>"$work/split.log"
			control compact "$table" >>"$work/split.log"
		done
	) &
	split_pid=$!
fi
PGDATABASE=$db pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" "${scripts[@]}" \
	>"$work/pgbench.out" 2>&1
rc=$?
wait "$alter_pid"
if [ -n "$split_pid" ]; then
	wait "$split_pid"
	sed 's/^/# split: /' "$work/split.log"
	control split-delay 200 >/dev/null
	expect_eq "the table split $splits times during the load" \
		"$((8 << splits))" "$(control split-status "$table" | sed -nE 's/.*phase=none partitions=([0-9]+).*/\1/p')"
fi
alters=$(cat "$work/alters" 2>/dev/null || echo 0)
routes=$(control counters | awk '/QUERY_PARTITION_CONFIG/ { n += $3 } END { print n + 0 }')
echo "# the server was altered $alters times during the run; $routes routing queries"
check "ALTER SERVER succeeded under load" test ! -s "$work/alter.err"
# Each ALTER makes each client start again with a routing query.
check "clients were rebuilt after the ALTERs" test "$routes" -ge $((clients * alters / 2))
grep -E 'processed|failed|aborted|latency average|tps|^SQL script|transactions' "$work/pgbench.out" |
	sed 's/^/# /'
grep -E 'ERROR|error|abort' "$work/pgbench.out" | sort | uniq -c | sort -rn | sed -n '1,5s/^/# /p'
expect_eq "pgbench finished without an aborted client" 0 "$rc"
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$work/pgbench.out")
expect_eq "no failed transactions" 0 "${failed:-0}"
processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/pgbench.out")
check "transactions ran (${processed:-0})" test "${processed:-0}" -gt 0
# Every INSERT transaction pgbench counted is in the log (a transaction the
# time limit cut short may be logged and not counted).
n=$(awk 'index($0, "SQL script") == 1 { on = (index($0, "/write.sql") > 0) }
	on && /- [0-9]+ transactions/ { print $2; exit }' "$work/pgbench.out")
logged=$(sql "SELECT count(*) FROM load_log WHERE op = 'insert'")
echo "# insert: $n transactions, $logged logged; $(sql "SELECT string_agg(op || ' ' || n, ', ')
	FROM (SELECT op, count(*) n FROM load_log GROUP BY op ORDER BY op) o")"
check "every INSERT pgbench counted is logged" test "${n:-x}" -le "${logged:-0}"

# Final state: the table equals the last logged value of every key.
quiet sql "CREATE TABLE final AS SELECT hash_key, sort_key, value FROM kv"
diffs=$(sql "SELECT coalesce(f.hash_key, 'c' || e.c || '_' || e.h) || '/' ||
	            coalesce(f.sort_key, 's' || e.s) || ' table ' || coalesce(f.value::text, 'absent') ||
	            ' log ' || coalesce(e.v::text, 'absent')
	     FROM final f FULL JOIN live_keys e
	       ON f.hash_key = 'c' || e.c || '_' || e.h AND f.sort_key = 's' || e.s
	     WHERE f.value IS DISTINCT FROM e.v ORDER BY 1 LIMIT 5")
echo "# final table: $(sql "SELECT count(*) FROM final") records, $(sql "SELECT count(*) FROM live_keys") expected"
expect_eq "the final contents equal the last acknowledged write of every key" "" "$diffs"
check "the final table is not empty" test "$(sql "SELECT count(*) FROM final")" -gt 0

quiet sql "DROP FOREIGN TABLE kv"
check "drop table $table" quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
quiet psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
tap_done
