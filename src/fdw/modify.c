/*-------------------------------------------------------------------------
 *
 * modify.c
 *		Write path of the Pegasus foreign data wrapper: INSERT (and COPY
 *		into a foreign table) as Pegasus set / multi_set.
 *
 * kv layout: each row is one set of (hash key, sort key) = value, with the
 * ttl column (seconds, NULL or 0 = none) as its TTL.  wide layout: each row
 * is one multi_set of its non-null columns under the hash key.  Pegasus
 * cannot store a NULL value or an empty hash key, so those are refused.
 *
 * src/fdw/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"

typedef struct PegFdwModifyState
{
	PegFdwTable *table;
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusTable *pt;
	MemoryContext row_cxt;
	bool		pinned;
} PegFdwModifyState;

/* Unpins the client when the query ends, also on error. */
static void
modify_reset_callback(void *arg)
{
	PegFdwModifyState *ms = (PegFdwModifyState *) arg;

	if (ms->pinned)
		pegfdw_unpin_entry(ms->entry);
	ms->pinned = false;
}

int
pegfdw_modify_capabilities(Relation rel)
{
	return (1 << CMD_INSERT);
}

void
pegfdw_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					List *fdw_private, int subplan_index, int eflags)
{
	PegFdwModifyState *ms;
	MemoryContextCallback *cb;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	ms = palloc0(sizeof(PegFdwModifyState));
	ms->table = pegfdw_get_table(RelationGetRelid(rinfo->ri_RelationDesc));
	ms->io = pegfdw_make_type_io(ms->table);
	ms->pt = pegfdw_open_table(ms->table, &ms->entry);
	pegfdw_pin_entry(ms->entry);
	ms->pinned = true;
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = modify_reset_callback;
	cb->arg = ms;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	ms->row_cxt = AllocSetContextCreate(CurrentMemoryContext,
										"pegasus_fdw insert rows",
										ALLOCSET_SMALL_SIZES);
	rinfo->ri_FdwState = ms;
}

static PegasusSlice
column_bytes(PegFdwModifyState *ms, TupleTableSlot *slot, AttrNumber attno,
			 bool *isnull)
{
	PegasusSlice sl = {NULL, 0};
	const char *data;
	size_t		len;
	Datum		d;

	d = slot_getattr(slot, attno, isnull);
	if (*isnull)
		return sl;
	pegfdw_datum_to_bytes(ms->table, ms->io, &ms->table->columns[attno - 1],
						  d, &data, &len);
	sl.data = data;
	sl.len = len;
	return sl;
}

static void
refuse_null(PegFdwModifyState *ms, AttrNumber attno)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("null value in column \"%s\" of foreign table \"%s\" cannot be stored in Pegasus",
					ms->table->columns[attno - 1].name, ms->table->relname)));
}

static PegasusSlice
hash_key_of(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		isnull;
	PegasusSlice h = column_bytes(ms, slot, ms->table->hash_attno, &isnull);

	if (isnull)
		refuse_null(ms, ms->table->hash_attno);
	if (h.len == 0 || h.len >= PEGASUS_MAX_HASH_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid hash key for foreign table \"%s\"", ms->table->relname),
				 errdetail("Pegasus hash keys must be between 1 and %d bytes long.",
						   PEGASUS_MAX_HASH_KEY_LEN - 1)));
	return h;
}

static int32
ttl_of(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d;
	int64		ttl;
	Oid			t;

	if (ms->table->ttl_attno == 0)
		return 0;
	d = slot_getattr(slot, ms->table->ttl_attno, &isnull);
	if (isnull)
		return 0;
	t = ms->table->columns[ms->table->ttl_attno - 1].basetype;
	ttl = t == INT8OID ? DatumGetInt64(d) : t == INT2OID ? DatumGetInt16(d) :
		DatumGetInt32(d);
	if (ttl < 0 || ttl > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ttl " INT64_FORMAT " for foreign table \"%s\"",
						ttl, ms->table->relname),
				 errdetail("The ttl is a number of seconds; 0 or NULL means no expiry.")));
	return (int32) ttl;
}

TupleTableSlot *
pegfdw_exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				   TupleTableSlot *planSlot)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	PegFdwTable *t = ms->table;
	MemoryContext oldcxt;
	PegasusError err;
	bool		ok;
	bool		isnull;

	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	pegasus_error_clear(&err);
	if (t->layout == PEGFDW_LAYOUT_KV)
	{
		PegasusSlice h = hash_key_of(ms, slot);
		PegasusSlice s = column_bytes(ms, slot, t->sort_attno, &isnull);
		PegasusSlice v = {NULL, 0};

		if (isnull)
			refuse_null(ms, t->sort_attno);
		if (t->value_attno)
		{
			v = column_bytes(ms, slot, t->value_attno, &isnull);
			if (isnull)
				refuse_null(ms, t->value_attno);
		}
		ok = pegasus_table_set(ms->pt, h, s, v, ttl_of(ms, slot),
							   t->timeout_ms, &err);
	}
	else
	{
		PegasusSlice h = hash_key_of(ms, slot);
		PegasusSlice *sorts = palloc(sizeof(PegasusSlice) * t->natts);
		PegasusSlice *values = palloc(sizeof(PegasusSlice) * t->natts);
		int			n = 0;
		int			i;

		for (i = 0; i < t->natts; i++)
		{
			PegFdwColumn *c = &t->columns[i];

			if (c->dropped || c->role != PEGFDW_ROLE_NONE)
				continue;
			values[n] = column_bytes(ms, slot, c->attnum, &isnull);
			if (isnull)
				continue;
			sorts[n].data = c->wide_sort_key;
			sorts[n].len = strlen(c->wide_sort_key);
			n++;
		}
		ok = true;
		if (n > 0)
			ok = pegasus_table_multi_set(ms->pt, h, sorts, values, n, 0,
										 t->timeout_ms, &err);
	}
	if (!ok)
		pegfdw_note_failure(ms->entry, &err);
	pegfdw_check_call(ok, &err, t->servername, t->table_name);
	MemoryContextSwitchTo(oldcxt);
	return slot;
}

void
pegfdw_end_modify(EState *estate, ResultRelInfo *rinfo)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;

	if (ms == NULL)
		return;
	if (ms->row_cxt)
	{
		MemoryContextDelete(ms->row_cxt);
		ms->row_cxt = NULL;
	}
	modify_reset_callback(ms);
}
