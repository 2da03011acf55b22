#!/usr/bin/env bash
# Lost updates of documents: 8 sessions each set a different field of the
# same 1,000 documents (value_format 'json'), in lockstep, for 60 s.  An
# UPDATE of a field is a read and a check_and_set on the bytes read, so a
# session that meets another's write reads the document again and writes
# its field on top: at the end every session's last acknowledged value of
# its field is in every document, and a field no session writes is intact.
# The retries are counted (EXPLAIN ANALYZE of each UPDATE); an UPDATE that
# runs out of attempts fails with 40001 and is not acknowledged.
# JSON_RACE_SESSIONS / JSON_RACE_DOCS / JSON_RACE_SECONDS change the sizes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load/common.sh"

sessions=${JSON_RACE_SESSIONS:-8}
docs=${JSON_RACE_DOCS:-1000}
seconds=${JSON_RACE_SECONDS:-60}
table=rel_json_race
work=$(mktemp -d "$PEGASUS_WORKDIR/rel_json_race.XXXXXX")
trap 'rm -rf "$work"' EXIT

setup_db rel_json_race || { not_ok "scratch database"; tap_done; exit 1; }
sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')" >/dev/null 2>&1
check "create table $table" quiet sql "SELECT pegasus_fdw_create_table('pegasus', '$table', 4)"
cols=$(for ((k = 0; k < sessions; k++)); do printf ', f%d bigint' "$k"; done)
sql "CREATE FOREIGN TABLE d (hash_key text, sort_key text, keep text$cols)
       SERVER pegasus OPTIONS (table '$table', value_format 'json')" >/dev/null
sql "CREATE FOREIGN TABLE d_raw (hash_key text, sort_key text, value text)
       SERVER pegasus OPTIONS (table '$table')" >/dev/null
sql "CREATE TABLE acks (k int, doc int, v int, PRIMARY KEY (k, doc));
     CREATE TABLE runs (k int, passes int, updates int, retries bigint, failures int)" >/dev/null
check "documents loaded" quiet sql "INSERT INTO d_raw SELECT 'doc' || i, 's',
       '{\"keep\": \"intact ' || i || '\", \"other\": {\"n\": ' || i || '}}'
       FROM generate_series(0, $docs - 1) i"

# One session: pass after pass over the documents, setting its field to the
# pass number, until the deadline; acknowledged values go to acks.
for ((k = 0; k < sessions; k++)); do
	cat >"$work/s$k.sql" <<SQL
DO \$\$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '$seconds seconds';
  p int := 0;
  n int := 0;
  i int;
  plan json;
  retries bigint := 0;
  fails int := 0;
BEGIN
  WHILE clock_timestamp() < deadline LOOP
    p := p + 1;
    FOR i IN 0..$docs - 1 LOOP
      EXIT WHEN clock_timestamp() >= deadline;
      BEGIN
        EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) '
                       'UPDATE d SET f$k = %s WHERE hash_key = %L AND sort_key = ''s''',
                       p, 'doc' || i) INTO plan;
        retries := retries + (plan -> 0 -> 'Plan' ->> 'Pegasus Document Retries')::int;
        INSERT INTO acks VALUES ($k, i, p) ON CONFLICT (k, doc) DO UPDATE SET v = excluded.v;
        n := n + 1;
      EXCEPTION WHEN serialization_failure THEN
        fails := fails + 1;
      END;
    END LOOP;
  END LOOP;
  INSERT INTO runs VALUES ($k, p, n, retries, fails);
END \$\$;
SQL
done
pids=()
for ((k = 0; k < sessions; k++)); do
	psql -X -q -v ON_ERROR_STOP=1 -f "$work/s$k.sql" >"$work/s$k.out" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do
	rc=0
	wait "$p" || rc=$?
	rcs="$rcs$rc "
done
expect_eq "$sessions sessions run for ${seconds} s without errors" \
	"$(printf '0 %.0s' $(seq "$sessions"))" "$rcs"
for ((k = 0; k < sessions; k++)); do
	grep -E 'ERROR|DETAIL' "$work/s$k.out" | sed "s/^/# session $k: /" | head -5
done
sql "SELECT format('# session %s: %s passes, %s updates acknowledged, %s retries, %s failed with 40001',
                   k, passes, updates, retries, failures) FROM runs ORDER BY k"
totals=$(sql "SELECT sum(updates) || ' ' || sum(retries) || ' ' || sum(failures) FROM runs")
read -r total retries failures <<<"$totals"
echo "# $total updates acknowledged, $retries retries after a concurrent write, $failures failed with 40001"
expect_eq "every session reported" "$sessions" "$(sql "SELECT count(*) FROM runs")"
if [ "${total:-0}" -gt 0 ]; then ok "updates were acknowledged"; else not_ok "updates were acknowledged"; fi
if [ "${retries:-0}" -gt 0 ]; then
	ok "sessions met each other's writes and retried"
else
	skip "sessions met each other's writes and retried" "no conflict in this run"
fi

lost_q=$(for ((k = 0; k < sessions; k++)); do
	printf '%sSELECT count(*) AS n FROM d JOIN acks a ON a.k = %d AND d.hash_key = '"'"'doc'"'"' || a.doc WHERE d.f%d IS DISTINCT FROM a.v' \
		"$( [ "$k" -gt 0 ] && echo ' UNION ALL ')" "$k" "$k"
done)
lost=$(sql "SELECT sum(n) FROM ($lost_q) l")
expect_eq "no acknowledged update is lost (every field holds its session's last value)" "0" "$lost"
expect_eq "fields no session writes are intact" "0" \
	"$(sql "SELECT count(*) FROM d_raw r
	         WHERE r.value::jsonb -> 'keep' IS DISTINCT FROM to_jsonb('intact ' || substr(r.hash_key, 4))
	            OR r.value::jsonb #> '{other,n}' IS DISTINCT FROM to_jsonb(substr(r.hash_key, 4)::int)")"
expect_eq "every document is still a JSON object" "$docs" \
	"$(sql "SELECT count(*) FROM d_raw WHERE jsonb_typeof(value::jsonb) = 'object'")"

sql "DROP FOREIGN TABLE d, d_raw" >/dev/null
check "drop table $table" quiet sql "SELECT pegasus_fdw_drop_table('pegasus', '$table')"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS rel_json_race" >/dev/null 2>&1
tap_done
