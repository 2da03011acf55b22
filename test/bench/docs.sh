# Documents (value_format 'json'), sourced by run.sh.
#
#   docs   DOC_ROWS documents of 10 fields (about 200 bytes each):
#            fields   SELECT of 3 typed field columns with aggregates
#                                      vs  the raw client's scan (no JSON)
#            jsonb    the same aggregates over one jsonb value column,
#                     (value ->> 'f')::type in the query
#                                      vs  the raw client's scan
#            text     the values read as text, no JSON (the FDW's own scan)
#                                      vs  the raw client's scan
#          and the ratio of the two SELECTs (fields / jsonb, 1.5 wanted;
#          fields / raw, 0.8 wanted); then DOC_UPDATE_ROWS documents:
#            update   UPDATE of one field of every document (the scan's read
#                     and a check_and_set per row, batch_size of them at once)
#                                      vs  INSERT of the whole documents
#                     (blind, batched; 0.5 wanted)
# Needs run.sh's helpers (repeat, record, sql_rate, cli_rate).

# The SELECT producing documents i = 0 .. $1 - 1 as (hash_key, sort_key, text).
doc_rows()
{
	echo "SELECT (i / 10)::text, (i % 10)::text,
	        format('{\"f0\": %s, \"f1\": %s, \"f2\": %s, \"f3\": \"name%s\", \"f4\": %s, \"f5\": \"2024-01-%s\", \"f6\": {\"a\": %s}, \"f7\": [1, 2, 3], \"f8\": \"%s\", \"f9\": null}',
	               i, i % 1000, i * 0.5, i % 100, (i % 2 = 0)::text, lpad((1 + i % 28)::text, 2, '0'), i % 7, repeat('x', 40))
	      FROM generate_series(0, $1 - 1) i"
}

run_docs()
{
	local rows=$DOC_ROWS upd=$DOC_UPDATE_ROWS
	echo "== documents: loading $rows documents of 10 fields"
	"${CLI[@]}" --partitions 8 create_app bench_docs >/dev/null &&
	"${CLI[@]}" --partitions 8 create_app bench_docs_upd >/dev/null || return 1
	"${PSQL[@]}" <<SQL || return 1
CREATE FOREIGN TABLE docs_text (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench_docs', batch_size '1000');
CREATE FOREIGN TABLE docs_jsonb (hash_key text COLLATE "C", sort_key text COLLATE "C", value jsonb)
  SERVER pegasus OPTIONS (table 'bench_docs');
CREATE FOREIGN TABLE docs_fields (hash_key text COLLATE "C", sort_key text COLLATE "C",
    f0 bigint, f1 int, f2 numeric, f3 text, f4 bool, f5 date, f6 jsonb, f7 jsonb, f8 text, f9 text)
  SERVER pegasus OPTIONS (table 'bench_docs', value_format 'json');
CREATE FOREIGN TABLE upd_text (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'bench_docs_upd', batch_size '1000');
CREATE FOREIGN TABLE upd_fields (hash_key text COLLATE "C", sort_key text COLLATE "C",
    f0 bigint, f1 int, f2 numeric, f3 text)
  SERVER pegasus OPTIONS (table 'bench_docs_upd', value_format 'json', batch_size '1000');
INSERT INTO docs_text $(doc_rows "$rows");
SQL
	local fields="SELECT sum(f0), avg(f1), max(f3) FROM docs_fields"
	local jsonb="SELECT sum((value ->> 'f0')::bigint), avg((value ->> 'f1')::int), max(value ->> 'f3') FROM docs_jsonb"
	repeat "$WORK/docs_raw.txt" cli_rate --table bench_docs bench scan &&
	repeat "$WORK/docs_fields.txt" sql_rate "$rows" "$SERIAL" "$fields" &&
	repeat "$WORK/docs_jsonb.txt" sql_rate "$rows" "$SERIAL" "$jsonb" &&
	repeat "$WORK/docs_text.txt" sql_rate "$rows" "$SERIAL" \
		"SELECT sum(octet_length(value)) FROM docs_text" || return 1
	record "documents: 3 fields of $rows" rows/s "$WORK/docs_fields.txt" "$WORK/docs_raw.txt" \
		"$fields; raw: the client's scan, no JSON (0.8 wanted)"
	record "documents: the same as jsonb" rows/s "$WORK/docs_jsonb.txt" "$WORK/docs_raw.txt" \
		"$jsonb; raw: the client's scan"
	record "documents: read as text" rows/s "$WORK/docs_text.txt" "$WORK/docs_raw.txt" \
		"SELECT sum(octet_length(value)) of a text value column: the FDW's scan without JSON"
	# field columns against the jsonb column: the ratio of the medians
	paste "$WORK/docs_fields.txt" "$WORK/docs_jsonb.txt" |
		awk '{ printf "%.2f\n", $1 / $2 }' >"$WORK/docs_ratio.txt"
	record "documents: fields / jsonb" ratio "$WORK/docs_ratio.txt" "" \
		"rows/s of the field columns over rows/s of (value ->> 'f')::type (1.5 wanted)"

	echo "== documents: UPDATE of one field of $upd documents"
	local load="INSERT INTO upd_text $(doc_rows "$upd")"
	repeat "$WORK/docs_insert.txt" sql_rate "$upd" "$SERIAL" "$load" &&
	repeat "$WORK/docs_update.txt" sql_rate "$upd" "$SERIAL" \
		"UPDATE upd_fields SET f1 = f1 + 1" || return 1
	record "documents: UPDATE one field of $upd" rows/s "$WORK/docs_update.txt" \
		"$WORK/docs_insert.txt" \
		"the scan's read and a check_and_set per row, 1000 check_and_sets at once (batch_size 1000); raw column: blind INSERT of the whole documents, batch_size 1000 (0.5 wanted)"
	"${PSQL[@]}" -c "DROP FOREIGN TABLE docs_text, docs_jsonb, docs_fields, upd_text, upd_fields" >/dev/null
}
