/*-------------------------------------------------------------------------
 *
 * json_doc_modify.c
 *		INSERT and UPDATE of tables of documents (value_format 'json').
 *
 * INSERT (and COPY) writes the object the row's field columns make, in
 * column order, starting from the document column when it is not NULL.  A
 * NULL field is left out (json_nulls 'omit') or written as JSON null
 * (json_nulls 'write'); on top of a document column it leaves the
 * document's field alone, so that a row given as a whole document keeps
 * its fields.
 *
 * UPDATE changes the fields of the SET columns and nothing else: the value
 * the scan read is patched (json_doc_write.c) and written with
 * check_and_set, checking that the stored bytes are still those read.  When
 * another writer changed the record in between, the check fails and
 * returns the current value: if a field this UPDATE sets was changed, the
 * value it computed may rest on what is no longer there, so it fails with
 * a serialization failure (40001) as PostgreSQL does for a concurrent
 * update under REPEATABLE READ; otherwise the patch is applied to the
 * current value and written again, PEGFDW_DOC_UPDATE_ATTEMPTS times at
 * most.  So a concurrent writer of other fields is never overwritten.  A
 * record deleted in between is not updated.  An UPDATE that sets the
 * document column replaces the whole object (then its fields), and fails on
 * any concurrent change.  An UPDATE that moves the record to other keys
 * writes the patched document there and deletes the old record at the end
 * of the statement, as for raw values (no check).
 *
 * The value the scan read comes from the scan itself when it feeds the
 * UPDATE directly (pegfdw_scan_last_record); under a join it is read
 * again with get, and the check then covers the time from that read on.
 *
 * src/fdw/json_doc_modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"
#include "json_doc.h"

/*
 * Edits for the field columns of slot: every one (only == NULL) or those
 * whose attnums are in only.  With skip_nulls, NULL columns make no edit.
 * Returns their number; edits has room for every column.
 */
static int
slot_edits(PegFdwModifyState *ms, TupleTableSlot *slot, Bitmapset *only,
		   bool skip_nulls, PegFdwDocEdit *edits)
{
	PegFdwTable *t = ms->table;
	int			n = 0;
	int			i;

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		bool		isnull;
		Datum		d;

		if (c->dropped || c->role != PEGFDW_ROLE_FIELD)
			continue;
		if (only && !bms_is_member(c->attnum, only))
			continue;
		d = slot_getattr(slot, c->attnum, &isnull);
		if (isnull && skip_nulls)
			continue;
		edits[n].col = c;
		edits[n].path = c->json_path;
		edits[n].npath = c->json_npath;
		if (isnull)
			edits[n].json = t->json_nulls_write ? "null" : NULL;
		else
		{
			StringInfoData buf;

			initStringInfo(&buf);
			pegfdw_datum_to_json(&buf, c, &ms->io[i].out, d);
			edits[n].json = buf.data;
		}
		n++;
	}
	return n;
}

/* The text of the document column of slot, or NULL. */
static char *
document_text(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	AttrNumber	a = ms->table->document_attno;
	bool		isnull;
	Datum		d;

	if (a == 0)
		return NULL;
	d = slot_getattr(slot, a, &isnull);
	if (isnull)
		return NULL;
	return OutputFunctionCall(&ms->io[a - 1].out, d);
}

pg_noreturn static void report_not_object(PegFdwModifyState *ms,
										  const PegasusSlice *h,
										  const PegasusSlice *s,
										  const char *why);

/* A document that cannot take the edits: of a new row (h NULL) or stored. */
static void
report_not_object(PegFdwModifyState *ms, const PegasusSlice *h,
				  const PegasusSlice *s, const char *why)
{
	StringInfoData keys;

	initStringInfo(&keys);
	if (h)
		pegfdw_append_record_keys(&keys, *h, *s);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_JSON_TEXT),
			 h ?
			 errmsg("cannot write the fields of the document with %s of foreign table \"%s\"",
					keys.data, ms->table->relname) :
			 errmsg("cannot make the document of a row of foreign table \"%s\"",
					ms->table->relname),
			 errdetail_internal("%s", why)));
}

/*
 * The value an INSERT writes for slot, in the current memory context.
 */
PegasusSlice
pegfdw_json_insert_value(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	PegFdwDocEdit *edits = palloc(sizeof(PegFdwDocEdit) * Max(ms->table->natts, 1));
	char	   *base = document_text(ms, slot);
	int			n = slot_edits(ms, slot, NULL, base != NULL, edits);
	PegasusSlice v;
	char	   *why;

	v.data = pegfdw_doc_patch(base ? base : "{}", base ? strlen(base) : 2,
							  edits, n, NULL, &why);
	if (v.data == NULL)
		report_not_object(ms, NULL, NULL, why);
	v.len = strlen(v.data);
	return v;
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

pg_noreturn static void report_conflict(PegFdwModifyState *ms, PegasusSlice h,
										PegasusSlice s, const char *detail);

static void
report_conflict(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s,
				const char *detail)
{
	StringInfoData keys;

	initStringInfo(&keys);
	pegfdw_append_record_keys(&keys, h, s);
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent update of a document of foreign table \"%s\"",
					ms->table->relname),
			 errdetail("The record with %s %s", keys.data, detail),
			 errhint("The transaction might succeed if retried.")));
}

/* The record's stored value, read now; false when there is none. */
static bool
read_value(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s,
		   PegasusSlice *v)
{
	PegasusValue value;
	PegasusError err;
	PegasusStats before;
	bool		ok;
	bool		found = false;

	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_table_get(ms->pt, h, s, ms->table->timeout_ms, &value, &err);
	if (ok && value.found)
	{
		v->data = pnstrdup(value.value.data, value.value.len);
		v->len = value.value.len;
		found = true;
	}
	if (ok)
		pegasus_value_free(&value);
	pegfdw_finish_write_call(ms, ok, &err, &before);
	return found;
}

/*
 * One conditional write of a patched document.  Returns 1 when written, 0
 * when the record is gone, -1 when it changed (*current is then its value
 * now, in the current memory context).
 */
static int
write_if_unchanged(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s,
				   PegasusSlice stored, const char *doc, int32 ttl,
				   PegasusSlice *current)
{
	PegasusCheckAndSetOptions opts;
	PegasusCheckResult result;
	PegasusError err;
	PegasusStats before;
	PegasusSlice v;
	bool		ok;
	int			outcome = 1;

	memset(&opts, 0, sizeof(opts));
	memset(&result, 0, sizeof(result));
	opts.set_ttl_seconds = ttl;
	opts.return_check_value = true;
	v.data = doc;
	v.len = strlen(doc);
	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_table_check_and_set(ms->pt, h, s, PEGASUS_CHECK_BYTES_EQUAL,
									 stored, s, v, &opts,
									 ms->table->timeout_ms, &result, &err);
	if (ok && !result.succeeded)
	{
		if (result.check_value_returned && result.check_value_exist)
		{
			current->data = pnstrdup(result.check_value.data,
									 result.check_value.len);
			current->len = result.check_value.len;
			outcome = -1;
		}
		else
			outcome = 0;
	}
	if (ok)
		pegasus_check_result_free(&result);
	pegfdw_finish_write_call(ms, ok, &err, &before);
	return outcome;
}

/*
 * UPDATE of one document (kv layout): the row identity old_h/old_s, the
 * new row in slot.  Returns false when the record no longer exists.
 */
bool
pegfdw_json_update(PegFdwModifyState *ms, TupleTableSlot *slot,
				   PegasusSlice old_h, PegasusSlice old_s,
				   const PegFdwWriteRow *put)
{
	PegFdwTable *t = ms->table;
	PegFdwDocEdit *edits = palloc(sizeof(PegFdwDocEdit) * Max(t->natts, 1));
	bool		doc_set = t->document_attno != 0 &&
		bms_is_member(t->document_attno, ms->updated);
	char	   *new_doc = doc_set ? document_text(ms, slot) : NULL;
	int			n = slot_edits(ms, slot, ms->updated, false, edits);
	bool		moved = pegasus_slice_compare(old_h, put->hash_key) != 0 ||
		pegasus_slice_compare(old_s, put->sort_keys[0]) != 0;
	char	  **first = NULL;
	PegasusSlice stored;
	int			attempt;

	if (!pegfdw_scan_last_record(ms->source_scan, old_h, old_s, &stored) &&
		!read_value(ms, old_h, old_s, &stored))
		return false;
	for (attempt = 1;; attempt++)
	{
		char	  **found;
		char	   *why;
		char	   *doc;
		PegasusSlice current;
		int			i;
		int			outcome;

		if (doc_set)
			doc = pegfdw_doc_patch(new_doc ? new_doc : "{}",
								   new_doc ? strlen(new_doc) : 2,
								   edits, n, &found, &why);
		else
			doc = pegfdw_doc_patch(stored.data, stored.len, edits, n,
								   &found, &why);
		if (doc == NULL)
			report_not_object(ms, doc_set ? NULL : &old_h, &old_s, why);
		if (first == NULL)
			first = found;
		else
			for (i = 0; i < n; i++)
				if (!same_text(first[i], found[i]))
					report_conflict(ms, old_h, old_s,
									psprintf("had its field \"%s\" changed by another writer after this statement read it.",
											 pegfdw_json_path_name(edits[i].col)));
		if (moved)
		{
			PegFdwWriteRow del;
			PegFdwWriteRow newrow = *put;
			PegasusSlice v;

			v.data = doc;
			v.len = strlen(doc);
			newrow.values = &v;
			del.hash_key = old_h;
			del.nkeys = 1;
			del.sort_keys = &old_s;
			del.values = NULL;
			del.ttl = 0;
			pegfdw_defer_move(ms, &del, &newrow);
			return true;
		}
		outcome = write_if_unchanged(ms, old_h, old_s, stored, doc, put->ttl,
									 &current);
		if (outcome >= 0)
		{
			if (outcome > 0)
				ms->rows_written++;
			return outcome > 0;
		}
		ms->doc_retries++;
		if (doc_set)
			report_conflict(ms, old_h, old_s,
							"was changed by another writer while this statement replaced its document.");
		if (attempt >= PEGFDW_DOC_UPDATE_ATTEMPTS)
			report_conflict(ms, old_h, old_s,
							psprintf("was changed by other writers %d times while this statement wrote it.",
									 attempt));
		stored = current;
	}
}
