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
 * When the write path may hold rows (no RETURNING, no trigger after the
 * row, ...), such UPDATEs are sent in batches of check_and_sets at once
 * (pegfdw_json_flush_updates).
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
#include "common/hashfn.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"
#include "json_doc.h"

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
 * One conditional write of a patched document, if the record still holds
 * *stored (stored NULL: if there is no record).  Returns 1 when written, 0
 * when the record is gone, -1 when it changed (*current is then its value
 * now, in the current memory context).
 */
static int
write_if_unchanged(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s,
				   const PegasusSlice *stored, const char *doc, int32 ttl,
				   PegasusSlice *current)
{
	PegasusSlice none = {NULL, 0};
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
	ok = pegasus_table_check_and_set(ms->pt, h, s,
									 stored ? PEGASUS_CHECK_BYTES_EQUAL :
									 PEGASUS_CHECK_VALUE_NOT_EXIST,
									 stored ? *stored : none, s, v, &opts,
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

/* ----------------------------------------------------------------------
 * UPDATEs of documents in batches
 *
 * When nothing needs each row's outcome at once (the write path's
 * buffering rules), the UPDATEs of a statement that set fields (not the
 * document, not the keys) are held and written batch_size at a time: every
 * held document is patched and all their check_and_sets are sent at once;
 * those that meet a concurrent write are patched again from the value
 * returned and sent in the next round, the same attempts and conflicts as
 * one at a time.  A row is then counted as updated when it is held: one
 * deleted before its write is not recreated, and not written.
 * ---------------------------------------------------------------------- */

/* One held UPDATE; everything lives in ms->doc_cxt. */
typedef struct PegFdwDocUpdate
{
	PegasusSlice h;
	PegasusSlice s;
	PegasusSlice stored;		/* the value read, then the latest one */
	PegFdwDocEdit *edits;
	int			nedits;
	char	  **first;			/* the edited fields as first read */
	char	   *doc;			/* the patched document of this round */
	int32		ttl;
	int			attempts;
	bool		finished;
} PegFdwDocUpdate;

static PegasusSlice
copy_slice(PegasusSlice sl)
{
	PegasusSlice c;

	c.data = pnstrdup(sl.data, sl.len);
	c.len = sl.len;
	return c;
}

/* Sends the held UPDATEs, round after round until each is finished. */
void
pegfdw_json_flush_updates(PegFdwModifyState *ms)
{
	PegFdwDocUpdate *u = ms->doc_updates;
	PegasusCheckAndSetItem *items;
	int		   *which;
	int			n = ms->ndoc_updates;
	int			left = n;
	MemoryContext old;
	int			i;

	if (n == 0)
		return;
	old = MemoryContextSwitchTo(ms->doc_cxt);
	items = palloc(sizeof(PegasusCheckAndSetItem) * n);
	which = palloc(sizeof(int) * n);
	while (left > 0)
	{
		PegasusError err;
		PegasusStats before;
		int			m = 0;
		int			k;
		bool		ok;

		for (i = 0; i < n; i++)
		{
			char	  **found;
			char	   *why;

			if (u[i].finished)
				continue;
			u[i].doc = pegfdw_doc_patch(u[i].stored.data, u[i].stored.len,
										u[i].edits, u[i].nedits, &found, &why);
			if (u[i].doc == NULL)
				pegfdw_doc_report_not_object(ms, &u[i].h, &u[i].s, why);
			if (u[i].first == NULL)
				u[i].first = found;
			else
				for (k = 0; k < u[i].nedits; k++)
					if (!same_text(u[i].first[k], found[k]))
						report_conflict(ms, u[i].h, u[i].s,
										psprintf("had its field \"%s\" changed by another writer after this statement read it.",
												 pegfdw_json_path_name(u[i].edits[k].col)));
			memset(&items[m], 0, sizeof(items[m]));
			items[m].hash_key = u[i].h;
			items[m].check_sort_key = u[i].s;
			items[m].check_type = PEGASUS_CHECK_BYTES_EQUAL;
			items[m].check_operand = u[i].stored;
			items[m].set_sort_key = u[i].s;
			items[m].set_value.data = u[i].doc;
			items[m].set_value.len = strlen(u[i].doc);
			items[m].opts.set_ttl_seconds = u[i].ttl;
			items[m].opts.return_check_value = true;
			which[m++] = i;
		}
		pegasus_error_clear(&err);
		pegasus_client_get_stats(ms->client, &before);
		ok = pegasus_table_check_and_set_many(ms->pt, items, m,
											  ms->table->timeout_ms, &err);
		for (k = 0; k < m; k++)
		{
			PegFdwDocUpdate *x = &u[which[k]];
			PegasusCheckResult *r = &items[k].result;

			if (!items[k].done)
				continue;
			if (r->succeeded || !r->check_value_returned || !r->check_value_exist)
			{
				/* written, or the record is gone */
				x->finished = true;
				left--;
				if (r->succeeded)
					ms->rows_written++;
			}
			else
			{
				x->stored = copy_slice(r->check_value);
				ms->doc_retries++;
				if (++x->attempts >= PEGFDW_DOC_UPDATE_ATTEMPTS)
				{
					MemoryContextSwitchTo(old);
					report_conflict(ms, x->h, x->s,
									psprintf("was changed by other writers %d times while this statement wrote it.",
											 x->attempts));
				}
			}
			pegasus_check_result_free(r);
		}
		pegfdw_finish_write_call(ms, ok, &err, &before);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(ms->doc_cxt);
	ms->doc_updates = NULL;
	ms->ndoc_updates = 0;
	ms->doc_slots = NULL;
}

/*
 * The slot of ms->doc_slots that holds the update of (h, s), or the empty
 * one where it would go (the table is never more than half full).
 */
static int *
held_slot(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s)
{
	uint32		mask = (uint32) ms->doc_nslots - 1;
	uint32		i = hash_combine(hash_bytes((const unsigned char *) h.data, (int) h.len),
								 hash_bytes((const unsigned char *) s.data, (int) s.len)) & mask;

	for (;; i = (i + 1) & mask)
	{
		int			held = ms->doc_slots[i];

		if (held == 0 ||
			(pegasus_slice_compare(ms->doc_updates[held - 1].h, h) == 0 &&
			 pegasus_slice_compare(ms->doc_updates[held - 1].s, s) == 0))
			return &ms->doc_slots[i];
	}
}

/*
 * Holds an UPDATE of record (h, s), stored being the value read; sends
 * the held ones first when the batch is full or holds the record already.
 */
static void
hold_update(PegFdwModifyState *ms, PegasusSlice h, PegasusSlice s,
			PegasusSlice stored, PegFdwDocEdit *edits, int n, int32 ttl)
{
	MemoryContext old;
	PegFdwDocUpdate *u;
	int		   *slot;
	int			i;

	if (ms->ndoc_updates > 0 && *held_slot(ms, h, s) != 0)
		pegfdw_json_flush_updates(ms);
	if (ms->doc_cxt == NULL)
		ms->doc_cxt = AllocSetContextCreate(ms->state_cxt,
											"pegasus_fdw document updates",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ms->doc_cxt);
	if (ms->doc_updates == NULL)
	{
		ms->doc_updates = palloc(sizeof(PegFdwDocUpdate) * ms->batch_size);
		ms->doc_nslots = 4;
		while (ms->doc_nslots < 2 * ms->batch_size)
			ms->doc_nslots *= 2;
		ms->doc_slots = palloc0(sizeof(int) * ms->doc_nslots);
	}
	u = &ms->doc_updates[ms->ndoc_updates++];
	memset(u, 0, sizeof(*u));
	u->h = copy_slice(h);
	u->s = copy_slice(s);
	u->stored = copy_slice(stored);
	u->edits = palloc(sizeof(PegFdwDocEdit) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		u->edits[i] = edits[i];
		u->edits[i].json = edits[i].json ? pstrdup(edits[i].json) : NULL;
	}
	u->nedits = n;
	u->ttl = ttl;
	slot = held_slot(ms, u->h, u->s);
	*slot = ms->ndoc_updates;
	MemoryContextSwitchTo(old);
	if (ms->ndoc_updates >= ms->batch_size)
		pegfdw_json_flush_updates(ms);
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
	char	   *new_doc = doc_set ? pegfdw_doc_document_text(ms, slot, NULL) : NULL;
	int			n = pegfdw_doc_slot_edits(ms, slot, ms->updated, false, edits, NULL);
	bool		moved = pegasus_slice_compare(old_h, put->hash_key) != 0 ||
		pegasus_slice_compare(old_s, put->sort_keys[0]) != 0;
	char	  **first = NULL;
	PegasusSlice stored;
	int			attempt;

	if (!pegfdw_scan_last_record(ms->source_scan, old_h, old_s, &stored) &&
		!read_value(ms, old_h, old_s, &stored))
		return false;
	if (ms->buffered && !doc_set && !moved)
	{
		hold_update(ms, old_h, old_s, stored, edits, n, put->ttl);
		return true;
	}
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
			pegfdw_doc_report_not_object(ms, doc_set ? NULL : &old_h, &old_s, why);
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
		outcome = write_if_unchanged(ms, old_h, old_s, &stored, doc, put->ttl,
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

/* Does the UPDATE set a column of the document of sort key sk? */
static bool
group_updated(PegFdwModifyState *ms, const char *sk)
{
	PegFdwTable *t = ms->table;
	int			i;

	for (i = 0; i < t->natts; i++)
		if (!t->columns[i].dropped && t->columns[i].role == PEGFDW_ROLE_NONE &&
			strcmp(t->columns[i].wide_sort_key, sk) == 0 &&
			bms_is_member(i + 1, ms->updated))
			return true;
	return false;
}

/*
 * UPDATE of the document of sort key sk of hash key h (wide layout), as
 * pegfdw_json_update does for a record, except that a missing record is
 * created (check value_not_exist).
 */
static void
update_group(PegFdwModifyState *ms, TupleTableSlot *slot, PegasusSlice h,
			 const char *sk)
{
	PegFdwDocEdit *edits = palloc(sizeof(PegFdwDocEdit) * Max(ms->table->natts, 1));
	AttrNumber	doc_attno = pegfdw_doc_document_of(ms->table, sk);
	bool		doc_set = doc_attno != 0 && bms_is_member(doc_attno, ms->updated);
	char	   *new_doc = doc_set ? pegfdw_doc_document_text(ms, slot, sk) : NULL;
	int			n = pegfdw_doc_slot_edits(ms, slot, ms->updated, false, edits, sk);
	PegasusSlice s = {sk, strlen(sk)};
	PegasusSlice stored;
	bool		found = read_value(ms, h, s, &stored);
	char	  **first = NULL;
	int			attempt;

	for (attempt = 1;; attempt++)
	{
		const char *base = doc_set ? (new_doc ? new_doc : "{}") :
		found ? stored.data : "{}";
		size_t		len = doc_set ? strlen(base) : found ? stored.len : 2;
		char	  **fields;
		char	   *why;
		char	   *doc = pegfdw_doc_patch(base, len, edits, n, &fields, &why);
		PegasusSlice current;
		int			outcome;
		int			i;

		if (doc == NULL)
			pegfdw_doc_report_not_object(ms, doc_set ? NULL : &h, &s, why);
		if (first == NULL)
			first = fields;
		else
			for (i = 0; i < n; i++)
				if (!same_text(first[i], fields[i]))
					report_conflict(ms, h, s,
									psprintf("had its field \"%s\" changed by another writer after this statement read it.",
											 pegfdw_json_path_name(edits[i].col)));
		outcome = write_if_unchanged(ms, h, s, found ? &stored : NULL, doc, 0,
									 &current);
		if (outcome > 0)
			return;
		ms->doc_retries++;
		if (doc_set)
			report_conflict(ms, h, s,
							"was changed by another writer while this statement replaced its document.");
		if (attempt >= PEGFDW_DOC_UPDATE_ATTEMPTS)
			report_conflict(ms, h, s,
							psprintf("was changed by other writers %d times while this statement wrote it.",
									 attempt));
		found = outcome < 0;
		if (found)
			stored = current;
	}
}

/*
 * UPDATE of a wide row of documents: each sort key with an updated column
 * is patched and written by check_and_set on its own (the row as a whole
 * is not atomic).  A new hash key moves the row: every sort key's stored
 * document, patched, goes to the new hash key at the end of the statement
 * and the old records are deleted.
 */
void
pegfdw_json_update_wide(PegFdwModifyState *ms, TupleTableSlot *slot,
						PegasusSlice old_h)
{
	PegFdwTable *t = ms->table;
	PegasusSlice new_h = pegfdw_row_hash_key(ms, slot);
	bool		moved = pegasus_slice_compare(old_h, new_h) != 0;
	PegFdwWriteRow put;
	PegFdwWriteRow del;
	int			i;

	put.hash_key = new_h;
	put.nkeys = 0;
	put.sort_keys = palloc(sizeof(PegasusSlice) * Max(t->natts, 1));
	put.values = palloc(sizeof(PegasusSlice) * Max(t->natts, 1));
	put.ttl = 0;
	del = put;
	del.hash_key = old_h;
	del.sort_keys = palloc(sizeof(PegasusSlice) * Max(t->natts, 1));
	del.values = NULL;
	for (i = 0; i < t->natts; i++)
	{
		const char *sk;
		PegasusSlice s;
		PegasusSlice stored;
		PegFdwDocEdit *edits;
		bool		found;
		char	   *why;
		int			n;
		AttrNumber	doc_attno;

		if (!pegfdw_doc_leads_group(t, i))
			continue;
		sk = t->columns[i].wide_sort_key;
		if (!moved)
		{
			if (group_updated(ms, sk))
				update_group(ms, slot, old_h, sk);
			continue;
		}
		s.data = sk;
		s.len = strlen(sk);
		found = read_value(ms, old_h, s, &stored);
		edits = palloc(sizeof(PegFdwDocEdit) * Max(t->natts, 1));
		n = pegfdw_doc_slot_edits(ms, slot, ms->updated, false, edits, sk);
		doc_attno = pegfdw_doc_document_of(t, sk);
		if (doc_attno != 0 && bms_is_member(doc_attno, ms->updated))
		{
			/* the document is set too: it is the base */
			char	   *d = pegfdw_doc_document_text(ms, slot, sk);

			stored.data = d ? d : "{}";
			stored.len = strlen(stored.data);
			if (found)
				del.sort_keys[del.nkeys++] = s;
			found = true;
		}
		else if (found)
			del.sort_keys[del.nkeys++] = s;
		if (!found && n == 0)
			continue;
		put.sort_keys[put.nkeys] = s;
		put.values[put.nkeys].data =
			pegfdw_doc_patch(found ? stored.data : "{}", found ? stored.len : 2,
							 edits, n, NULL, &why);
		if (put.values[put.nkeys].data == NULL)
			pegfdw_doc_report_not_object(ms, &old_h, &s, why);
		put.values[put.nkeys].len = strlen(put.values[put.nkeys].data);
		put.nkeys++;
	}
	if (moved)
		pegfdw_defer_move(ms, &del, &put);
	else
		ms->rows_written++;
}
