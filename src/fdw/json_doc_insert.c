/*-------------------------------------------------------------------------
 *
 * json_doc_insert.c
 *		The documents an INSERT (or COPY) writes (value_format 'json'), and
 *		the pieces of a row's document that UPDATE shares: the edits of
 *		its field columns, the text of its document column, and the error
 *		for a document that cannot take them.  See json_doc_modify.c for
 *		the rules.
 *
 * src/fdw/json_doc_insert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"
#include "json_doc.h"

/* Is c a field column of the document of sort key sk (kv: sk NULL)? */
static bool
field_of(PegFdwTable *t, PegFdwColumn *c, const char *sk)
{
	if (c->dropped || c->json_npath == 0)
		return false;
	if (sk == NULL)
		return c->role == PEGFDW_ROLE_FIELD;
	return c->role == PEGFDW_ROLE_NONE && strcmp(c->wide_sort_key, sk) == 0;
}

/* The document column of sort key sk (kv: sk NULL, the table's), or 0. */
AttrNumber
pegfdw_doc_document_of(PegFdwTable *t, const char *sk)
{
	int			i;

	if (sk == NULL)
		return t->document_attno;
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (!c->dropped && c->role == PEGFDW_ROLE_NONE && c->json_npath == 0 &&
			strcmp(c->wide_sort_key, sk) == 0)
			return c->attnum;
	}
	return 0;
}

/*
 * Edits for the field columns of slot: every one (only == NULL) or those
 * whose attnums are in only.  With skip_nulls, NULL columns make no edit.
 * Returns their number; edits has room for every column.
 */
int
pegfdw_doc_slot_edits(PegFdwModifyState *ms, TupleTableSlot *slot, Bitmapset *only,
		   bool skip_nulls, PegFdwDocEdit *edits, const char *sk)
{
	PegFdwTable *t = ms->table;
	int			n = 0;
	int			i;

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		bool		isnull;
		Datum		d;

		if (!field_of(t, c, sk))
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

/* The text of the document column (of sort key sk) of slot, or NULL. */
char *
pegfdw_doc_document_text(PegFdwModifyState *ms, TupleTableSlot *slot, const char *sk)
{
	AttrNumber	a = pegfdw_doc_document_of(ms->table, sk);
	bool		isnull;
	Datum		d;

	if (a == 0)
		return NULL;
	d = slot_getattr(slot, a, &isnull);
	if (isnull)
		return NULL;
	return OutputFunctionCall(&ms->io[a - 1].out, d);
}

/* A document that cannot take the edits: of a new row (h NULL) or stored. */
void
pegfdw_doc_report_not_object(PegFdwModifyState *ms, const PegasusSlice *h,
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
static PegasusSlice
insert_value(PegFdwModifyState *ms, TupleTableSlot *slot, const char *sk,
			 bool *any)
{
	PegFdwDocEdit *edits = palloc(sizeof(PegFdwDocEdit) * Max(ms->table->natts, 1));
	char	   *base = pegfdw_doc_document_text(ms, slot, sk);
	int			n = pegfdw_doc_slot_edits(ms, slot, NULL, base != NULL, edits, sk);
	PegasusSlice v;
	char	   *why;
	int			i;

	*any = base != NULL;
	for (i = 0; i < n; i++)
		if (edits[i].json != NULL && strcmp(edits[i].json, "null") != 0)
			*any = true;
	v.data = pegfdw_doc_patch(base ? base : "{}", base ? strlen(base) : 2,
							  edits, n, NULL, &why);
	if (v.data == NULL)
		pegfdw_doc_report_not_object(ms, NULL, NULL, why);
	v.len = strlen(v.data);
	return v;
}

PegasusSlice
pegfdw_json_insert_value(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		any;

	return insert_value(ms, slot, NULL, &any);
}

/* Is column i the first of the columns of its sort key (wide)? */
bool
pegfdw_doc_leads_group(PegFdwTable *t, int i)
{
	return !t->columns[i].dropped && t->columns[i].role == PEGFDW_ROLE_NONE &&
		pegfdw_doc_group_leader(t, i + 1);
}

/*
 * INSERT of a wide row of documents (row->hash_key set by the caller):
 * one put per sort key that some column of the row gives a value (a sort
 * key whose columns are all NULL gets no record).
 */
void
pegfdw_json_wide_insert_row(PegFdwModifyState *ms, TupleTableSlot *slot,
							PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;
	int			i;

	row->nkeys = 0;
	row->sort_keys = palloc(sizeof(PegasusSlice) * Max(t->natts, 1));
	row->values = palloc(sizeof(PegasusSlice) * Max(t->natts, 1));
	row->ttl = 0;
	for (i = 0; i < t->natts; i++)
	{
		PegasusSlice v;
		bool		any;

		if (!pegfdw_doc_leads_group(t, i))
			continue;
		v = insert_value(ms, slot, t->columns[i].wide_sort_key, &any);
		if (!any)
			continue;
		row->sort_keys[row->nkeys].data = t->columns[i].wide_sort_key;
		row->sort_keys[row->nkeys].len = strlen(t->columns[i].wide_sort_key);
		row->values[row->nkeys++] = v;
	}
}

