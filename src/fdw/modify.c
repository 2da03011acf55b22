/*-------------------------------------------------------------------------
 *
 * modify.c
 *		Write path of the Pegasus foreign data wrapper: INSERT (also COPY
 *		and tuple routing), UPDATE and DELETE, row by row or in batches.
 *
 * kv layout: a row is one record (hash key, sort key) = value with the ttl
 * column (seconds, NULL or 0 = none) as its TTL.  INSERT is set, DELETE is
 * del, UPDATE is set of the new value; an UPDATE that moves a row to
 * another sort key of the same hash key is one check_and_mutate (delete
 * old + put new, atomic); one that changes the hash key is a multi_del and
 * a multi_set on two hash keys (not atomic).  INSERT ... ON CONFLICT DO
 * NOTHING is check_and_set with check type value_not_exist.
 *
 * wide layout: a row is the mapped sort keys of one hash key.  INSERT is
 * one multi_set of the non-null columns; UPDATE writes only the updated
 * columns (NULL removes the sort key), atomically in one check_and_mutate;
 * DELETE removes the mapped sort keys with one multi_del.
 *
 * Batching: rows are encoded (and refused, if Pegasus cannot store them)
 * as they arrive and kept in a buffer of batch_size rows (or fewer, when
 * they reach PEGFDW_BATCH_BYTES).  A full buffer is sent as groups, one per
 * run of rows that share a hash key, kind and TTL and fit one request of at
 * most PEGFDW_MAX_WRITE_BYTES (a multi_set or multi_del, atomic in Pegasus);
 * the groups of a batch are sent concurrently by pegasus_table_write_groups.
 * Buffering is used for INSERT through ExecForeignBatchInsert, for COPY and
 * tuple routing, and for UPDATE and DELETE, whenever no RETURNING list,
 * ON CONFLICT clause, WITH CHECK OPTION or row trigger needs to see each
 * row's outcome at once.
 *
 * Rows whose UPDATE changes their keys are held until the end of the
 * statement, so that the scan feeding the UPDATE cannot meet them again at
 * their new keys (pages of a range read see earlier writes).
 *
 * src/fdw/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"

/* Keys shown in an error detail, per kind of outcome. */
#define PEGFDW_SHOWN_KEYS	3

/*
 * Bytes of rows a batch holds and sends at once: a batch of large rows is
 * sent when it reaches this size, whatever batch_size says, and an INSERT
 * batch (sized by the executor) is sent in parts of at most this size, which
 * bounds the memory of the requests in flight.
 */
#define PEGFDW_BATCH_BYTES	(8 * PEGFDW_MAX_WRITE_BYTES)

/*
 * One row to write, encoded.  kv layout: nkeys is 1.  A put carries values,
 * a delete does not.  Every slice points into the buffer's memory context.
 */
typedef struct PegFdwWriteRow
{
	PegasusSlice hash_key;
	int			nkeys;
	PegasusSlice *sort_keys;
	PegasusSlice *values;		/* NULL for a delete */
	int32		ttl;
} PegFdwWriteRow;

typedef struct PegFdwModifyState
{
	PegFdwTable *table;
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;
	PegasusTable *pt;
	CmdType		operation;
	MemoryContext row_cxt;		/* one row, reset per row */
	MemoryContext batch_cxt;	/* the buffered rows */
	MemoryContext moves_cxt;	/* key-changing updates, until the end */
	PegFdwPin  *pin;			/* the client's entry, until the query ends */
	bool		on_conflict_nothing;
	bool		buffered;		/* rows may be held in the buffer */
	int			batch_size;

	AttrNumber	hash_junk;		/* row identity in the plan's output */
	AttrNumber	sort_junk;
	AttrNumber	oldrow_junk;	/* DELETE ... RETURNING: the old row */
	Bitmapset  *updated;		/* UPDATE: attnos of the SET columns */

	PegFdwWriteRow *rows;		/* the buffer */
	int			nrows;
	size_t		batch_bytes;	/* their size, as row_bytes counts it */
	PegFdwWriteRow *moves;		/* key-changing updates: old then new */
	int			nmoves;
	int			maxmoves;

	/* statistics, for EXPLAIN ANALYZE and error details */
	int64		rpcs;
	int64		rows_written;	/* rows whose write was confirmed */
	int64		rows_skipped;	/* ON CONFLICT DO NOTHING */
} PegFdwModifyState;

int
pegfdw_modify_capabilities(Relation rel)
{
	return (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE);
}

/*
 * Output functions of every column, set up in a long-lived context (the
 * conversion code would otherwise set them up in the per-row context).
 */
static void
prepare_output_functions(PegFdwModifyState *ms)
{
	int			i;

	for (i = 0; i < ms->table->natts; i++)
	{
		PegFdwColumn *c = &ms->table->columns[i];
		Oid			outfunc;
		bool		isvarlena;

		if (c->dropped || ms->io[i].out_ready)
			continue;
		getTypeOutputInfo(c->typid, &outfunc, &isvarlena);
		fmgr_info_cxt(outfunc, &ms->io[i].out, CurrentMemoryContext);
		ms->io[i].out_ready = true;
	}
}

/* Can rows be held back, i.e. nobody needs each row's outcome at once? */
static bool
buffering_allowed(ModifyTable *plan, ResultRelInfo *rinfo, CmdType operation,
				  bool on_conflict)
{
	TriggerDesc *td = rinfo->ri_TrigDesc;

	/*
	 * BeginForeignModify runs before the executor sets up RETURNING and
	 * WITH CHECK OPTION of the result relation, so the plan is asked.
	 */
	if (rinfo->ri_projectReturning != NULL || on_conflict ||
		rinfo->ri_WithCheckOptions != NIL)
		return false;
	if (plan != NULL &&
		(plan->returningLists != NIL || plan->withCheckOptionLists != NIL))
		return false;
	if (td == NULL)
		return true;
	switch (operation)
	{
		case CMD_INSERT:
			return !td->trig_insert_after_row && !td->trig_insert_before_row &&
				!td->trig_insert_instead_row;
		case CMD_UPDATE:
			return !td->trig_update_after_row;
		case CMD_DELETE:
			return !td->trig_delete_after_row;
		default:
			return false;
	}
}

/*
 * Sets up the write state of rinfo.  insert_only: COPY and tuple routing
 * (BeginForeignInsert), which insert whatever the statement is.
 */
static void
begin_write(ModifyTableState *mtstate, ResultRelInfo *rinfo, bool insert_only)
{
	PegFdwModifyState *ms;
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;

	ms = palloc0(sizeof(PegFdwModifyState));
	ms->table = pegfdw_get_table(RelationGetRelid(rinfo->ri_RelationDesc));
	ms->io = pegfdw_make_type_io(ms->table);
	prepare_output_functions(ms);
	ms->client = pegfdw_get_client(ms->table->serverid, &ms->entry);
	ms->pt = pegfdw_open_table(ms->table, &ms->entry);
	ms->pin = pegfdw_pin_until_reset(ms->entry, CurrentMemoryContext);
	ms->row_cxt = AllocSetContextCreate(CurrentMemoryContext,
										"pegasus_fdw modified row",
										ALLOCSET_SMALL_SIZES);
	ms->batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
										  "pegasus_fdw write batch",
										  ALLOCSET_DEFAULT_SIZES);
	ms->moves_cxt = AllocSetContextCreate(CurrentMemoryContext,
										  "pegasus_fdw moved rows",
										  ALLOCSET_DEFAULT_SIZES);

	ms->operation = insert_only ? CMD_INSERT : mtstate->operation;
	ms->on_conflict_nothing = ms->operation == CMD_INSERT &&
		mtstate->operation == CMD_INSERT && plan != NULL &&
		plan->onConflictAction == ONCONFLICT_NOTHING;
	if (ms->on_conflict_nothing && ms->table->layout == PEGFDW_LAYOUT_WIDE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT is not supported for foreign table \"%s\" of wide layout",
						ms->table->relname),
				 errdetail("A wide row is several Pegasus records; Pegasus cannot check that none of them exists and write them in one step.")));
	ms->batch_size = Max(ms->table->batch_size, 1);
	ms->buffered = ms->batch_size > 1 &&
		buffering_allowed(insert_only ? NULL : plan, rinfo, ms->operation,
						  ms->on_conflict_nothing);
	ms->rows = palloc(sizeof(PegFdwWriteRow) * ms->batch_size);

	if (ms->operation == CMD_UPDATE || ms->operation == CMD_DELETE)
	{
		Plan	   *subplan = outerPlanState(mtstate)->plan;
		char		name[NAMEDATALEN];

		snprintf(name, sizeof(name), PEGFDW_ROWID_HASH_KEY "%d",
				 ms->table->hash_attno);
		ms->hash_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, name);
		if (!AttributeNumberIsValid(ms->hash_junk))
			elog(ERROR, "could not find junk column \"%s\"", name);
		if (ms->table->layout == PEGFDW_LAYOUT_KV)
		{
			snprintf(name, sizeof(name), PEGFDW_ROWID_SORT_KEY "%d",
					 ms->table->sort_attno);
			ms->sort_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, name);
			if (!AttributeNumberIsValid(ms->sort_junk))
				elog(ERROR, "could not find junk column \"%s\"", name);
		}
		ms->oldrow_junk = ExecFindJunkAttributeInTlist(subplan->targetlist,
													   PEGFDW_ROWID_OLD_ROW);
		if (ms->operation == CMD_UPDATE)
		{
			Bitmapset  *cols = ExecGetUpdatedCols(rinfo, mtstate->ps.state);
			int			k = -1;

			while ((k = bms_next_member(cols, k)) >= 0)
				ms->updated = bms_add_member(ms->updated,
											 k + FirstLowInvalidHeapAttributeNumber);
		}
	}
	rinfo->ri_FdwState = ms;
}

void
pegfdw_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					List *fdw_private, int subplan_index, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	begin_write(mtstate, rinfo, false);
}

void
pegfdw_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	/* an UPDATE moving rows into a partition it also updates */
	if (rinfo->ri_FdwState != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot route rows into foreign table \"%s\" that the same statement updates",
						RelationGetRelationName(rinfo->ri_RelationDesc))));
	begin_write(mtstate, rinfo, true);
}

/* ----------------------------------------------------------------------
 * Encoding and validation (nothing is sent before a row passes these)
 * ---------------------------------------------------------------------- */

/* The bytes of a value of column attno, copied into the current context. */
static PegasusSlice
encode_value(PegFdwModifyState *ms, AttrNumber attno, Datum d)
{
	const char *data;
	size_t		len;
	char	   *copy;
	PegasusSlice sl;

	pegfdw_datum_to_bytes(ms->table, ms->io, &ms->table->columns[attno - 1],
						  d, &data, &len);
	copy = palloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	sl.data = copy;
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
column_bytes(PegFdwModifyState *ms, TupleTableSlot *slot, AttrNumber attno,
			 bool *isnull)
{
	PegasusSlice sl = {NULL, 0};
	Datum		d = slot_getattr(slot, attno, isnull);

	if (*isnull)
		return sl;
	return encode_value(ms, attno, d);
}

static void
check_hash_key(PegFdwModifyState *ms, PegasusSlice h)
{
	if (h.len == 0 || h.len >= PEGASUS_MAX_HASH_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid hash key for foreign table \"%s\"", ms->table->relname),
				 errdetail("Pegasus hash keys must be between 1 and %d bytes long.",
						   PEGASUS_MAX_HASH_KEY_LEN - 1),
				 errhint("Give every row a non-empty hash key of at most %d bytes, or leave out the rows whose hash key is empty or longer.",
						 PEGASUS_MAX_HASH_KEY_LEN - 1)));
}

static PegasusSlice
hash_key_of(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		isnull;
	PegasusSlice h = column_bytes(ms, slot, ms->table->hash_attno, &isnull);

	if (isnull)
		refuse_null(ms, ms->table->hash_attno);
	check_hash_key(ms, h);
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

/* A kv row of slot, as a put. */
static void
encode_kv_put(PegFdwModifyState *ms, TupleTableSlot *slot, PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;
	bool		isnull;

	row->hash_key = hash_key_of(ms, slot);
	row->nkeys = 1;
	row->sort_keys = palloc(sizeof(PegasusSlice));
	row->values = palloc0(sizeof(PegasusSlice));
	row->sort_keys[0] = column_bytes(ms, slot, t->sort_attno, &isnull);
	if (isnull)
		refuse_null(ms, t->sort_attno);
	if (t->value_attno)
	{
		row->values[0] = column_bytes(ms, slot, t->value_attno, &isnull);
		if (isnull)
			refuse_null(ms, t->value_attno);
	}
	row->ttl = ttl_of(ms, slot);
}

/*
 * A wide row of slot: puts of its non-null mapped columns (only those in
 * only_cols when not NULL).  Null columns go to *dels (when not NULL).
 */
static void
encode_wide_row(PegFdwModifyState *ms, TupleTableSlot *slot,
				Bitmapset *only_cols, PegFdwWriteRow *row, PegFdwWriteRow *dels)
{
	PegFdwTable *t = ms->table;
	int			i;

	row->hash_key = hash_key_of(ms, slot);
	row->nkeys = 0;
	row->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
	row->values = palloc(sizeof(PegasusSlice) * t->natts);
	row->ttl = 0;
	if (dels)
	{
		dels->hash_key = row->hash_key;
		dels->nkeys = 0;
		dels->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
		dels->values = NULL;
		dels->ttl = 0;
	}
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		PegasusSlice sk;
		PegasusSlice v;
		bool		isnull;

		if (c->dropped || c->role != PEGFDW_ROLE_NONE)
			continue;
		if (only_cols && !bms_is_member(c->attnum, only_cols))
			continue;
		sk.data = c->wide_sort_key;
		sk.len = strlen(c->wide_sort_key);
		v = column_bytes(ms, slot, c->attnum, &isnull);
		if (!isnull)
		{
			row->sort_keys[row->nkeys] = sk;
			row->values[row->nkeys++] = v;
		}
		else if (dels)
			dels->sort_keys[dels->nkeys++] = sk;
	}
}

/* Every mapped sort key of a wide row, as a delete of hash key h. */
static void
wide_delete_row(PegFdwModifyState *ms, PegasusSlice h, PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;
	int			i;

	row->hash_key = h;
	row->nkeys = 0;
	row->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
	row->values = NULL;
	row->ttl = 0;
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (c->dropped || c->role != PEGFDW_ROLE_NONE)
			continue;
		row->sort_keys[row->nkeys].data = c->wide_sort_key;
		row->sort_keys[row->nkeys++].len = strlen(c->wide_sort_key);
	}
}

/* Copies a row (slices included) into the current memory context. */
static PegFdwWriteRow
copy_row(const PegFdwWriteRow *src)
{
	PegFdwWriteRow r = *src;
	int			i;

	r.hash_key.data = memcpy(palloc(src->hash_key.len + 1), src->hash_key.data,
							 src->hash_key.len);
	r.sort_keys = palloc(sizeof(PegasusSlice) * Max(src->nkeys, 1));
	r.values = src->values ? palloc(sizeof(PegasusSlice) * Max(src->nkeys, 1)) : NULL;
	for (i = 0; i < src->nkeys; i++)
	{
		r.sort_keys[i].len = src->sort_keys[i].len;
		r.sort_keys[i].data = memcpy(palloc(src->sort_keys[i].len + 1),
									 src->sort_keys[i].data,
									 src->sort_keys[i].len);
		if (src->values)
		{
			r.values[i].len = src->values[i].len;
			r.values[i].data = memcpy(palloc(src->values[i].len + 1),
									  src->values[i].data,
									  src->values[i].len);
		}
	}
	return r;
}

/* What a row adds to the size of a write request (see PEGFDW_MAX_WRITE_BYTES). */
static size_t
row_bytes(const PegFdwWriteRow *r)
{
	size_t		n = 0;
	int			k;

	for (k = 0; k < r->nkeys; k++)
		n += PEGFDW_WRITE_ENTRY_BYTES + r->sort_keys[k].len +
			(r->values ? r->values[k].len : 0);
	return n;
}

/* ----------------------------------------------------------------------
 * Error details
 * ---------------------------------------------------------------------- */

/* A key for a message: printable bytes as they are, others escaped. */
void
pegfdw_append_key(StringInfo buf, PegasusSlice k)
{
	const unsigned char *p = k.data;
	size_t		i;
	size_t		n = Min(k.len, 40);

	appendStringInfoChar(buf, '"');
	for (i = 0; i < n; i++)
	{
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			appendStringInfoChar(buf, (char) p[i]);
		else
			appendStringInfo(buf, "\\x%02x", p[i]);
	}
	if (k.len > n)
		appendStringInfoString(buf, "...");
	appendStringInfoChar(buf, '"');
}

static void
append_row_key(StringInfo buf, PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	appendStringInfoChar(buf, '(');
	pegfdw_append_key(buf, r->hash_key);
	if (ms->table->layout == PEGFDW_LAYOUT_KV && r->nkeys == 1)
	{
		appendStringInfoString(buf, ", ");
		pegfdw_append_key(buf, r->sort_keys[0]);
	}
	appendStringInfoChar(buf, ')');
}

static int
sqlstate_of_write(PegasusErrorKind code)
{
	switch (code)
	{
		case PEGASUS_ERR_CONNECT:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		case PEGASUS_ERR_IO:
			return ERRCODE_CONNECTION_FAILURE;
		case PEGASUS_ERR_INTERRUPTED:
			return ERRCODE_QUERY_CANCELED;
		case PEGASUS_ERR_INVALID_ARGUMENT:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

/*
 * Reports a failed batch: which rows are known written, known not written
 * and of unknown outcome.  status[i] is the outcome of rows[i].
 */
typedef struct BatchFailure
{
	PegFdwModifyState *ms;
	int			n;
	int			written;
	int			unknown;
} BatchFailure;

static void
batch_failure_context(void *arg)
{
	BatchFailure *f = (BatchFailure *) arg;
	int			not_written = f->n - f->written - f->unknown;

	errcontext("writing a batch of %d rows to Pegasus table \"%s\": %d written, %d of unknown outcome, %d not written; "
			   INT64_FORMAT " rows of earlier batches written",
			   f->n, f->ms->table->table_name, f->written, f->unknown,
			   not_written, f->ms->rows_written);
}

static void
report_batch_failure(PegFdwModifyState *ms, PegasusError *err,
					 const PegFdwWriteRow *rows, const PegasusGroupStatus *status,
					 int n)
{
	StringInfoData detail;
	BatchFailure failure;
	ErrorContextCallback cb;
	int			counts[4] = {0, 0, 0, 0};
	int			i;
	int			k;
	static const char *const labels[4] = {
		"not attempted", "written", "not written", "of unknown outcome"
	};

	for (i = 0; i < n; i++)
		counts[status[i]]++;
	initStringInfo(&detail);
	appendStringInfo(&detail, "%s Of the %d rows of this batch, %d were written, %d were not written and %d may or may not have been written.",
					 err->message, n, counts[PEGASUS_GROUP_DONE],
					 counts[PEGASUS_GROUP_FAILED] + counts[PEGASUS_GROUP_PENDING],
					 counts[PEGASUS_GROUP_UNKNOWN]);
	for (k = PEGASUS_GROUP_DONE; k <= PEGASUS_GROUP_UNKNOWN; k++)
	{
		int			shown = 0;

		for (i = 0; i < n && shown < PEGFDW_SHOWN_KEYS; i++)
		{
			PegasusGroupStatus s = status[i] == PEGASUS_GROUP_PENDING ?
				PEGASUS_GROUP_FAILED : status[i];

			if ((int) s != k)
				continue;
			appendStringInfoString(&detail, shown == 0 ? " Rows " : ", ");
			if (shown == 0)
				appendStringInfo(&detail, "%s include ", labels[k]);
			append_row_key(&detail, ms, &rows[i]);
			shown++;
		}
		if (shown > 0)
			appendStringInfoChar(&detail, '.');
	}
	if (ms->rows_written > 0)
		appendStringInfo(&detail, " " INT64_FORMAT " rows of earlier batches of this statement were written.",
						 ms->rows_written);
	pegfdw_note_failure(ms->entry, err);

	/* a cancel or timeout raised while waiting says what the batch did */
	failure.ms = ms;
	failure.n = n;
	failure.written = counts[PEGASUS_GROUP_DONE];
	failure.unknown = counts[PEGASUS_GROUP_UNKNOWN];
	cb.callback = batch_failure_context;
	cb.arg = &failure;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	pegfdw_check_call(true, err, ms->table->servername, ms->table->table_name);
	error_context_stack = cb.previous;

	ereport(ERROR,
			(errcode(sqlstate_of_write(err->code)),
			 errmsg("could not write a batch of %d rows to Pegasus table \"%s\"",
					n, ms->table->table_name),
			 errdetail_internal("%s", detail.data),
			 pegfdw_error_hint(err) ? errhint("%s", pegfdw_error_hint(err)) : 0,
			 err->endpoint[0] ?
			 errcontext("remote Pegasus request: %s at %s", err->rpc[0] ? err->rpc : "write",
						err->endpoint) : 0));
}

/* Error context of a failed write: what the statement wrote before it. */
static void
written_before_context(void *arg)
{
	PegFdwModifyState *ms = (PegFdwModifyState *) arg;

	if (ms->rows_written > 0)
		errcontext("%lld rows of this statement were written to Pegasus before this error",
				   (long long) ms->rows_written);
}

/* Runs a client call's bookkeeping and reports its failure. */
static void
finish_call(PegFdwModifyState *ms, bool ok, PegasusError *err,
			const PegasusStats *before)
{
	PegasusStats after;
	ErrorContextCallback cb;

	pegasus_client_get_stats(ms->client, &after);
	ms->rpcs += (int64) (after.rpcs_sent - before->rpcs_sent);
	if (!ok)
		pegfdw_note_failure(ms->entry, err);
	cb.callback = written_before_context;
	cb.arg = ms;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	pegfdw_check_call(ok, err, ms->table->servername, ms->table->table_name);
	error_context_stack = cb.previous;
}

/* ----------------------------------------------------------------------
 * Sending
 * ---------------------------------------------------------------------- */

/* One row, at once, with the plainest operation. */
static void
write_row_now(PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	PegasusError err;
	PegasusStats before;
	bool		ok = true;
	PegFdwTable *t = ms->table;

	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	if (r->nkeys == 0)
		return;
	if (r->values)
	{
		if (t->layout == PEGFDW_LAYOUT_KV)
			ok = pegasus_table_set(ms->pt, r->hash_key, r->sort_keys[0],
								   r->values[0], r->ttl, t->timeout_ms, &err);
		else
			ok = pegasus_table_multi_set(ms->pt, r->hash_key, r->sort_keys,
										 r->values, r->nkeys, r->ttl,
										 t->timeout_ms, &err);
	}
	else
	{
		if (t->layout == PEGFDW_LAYOUT_KV)
			ok = pegasus_table_del(ms->pt, r->hash_key, r->sort_keys[0],
								   t->timeout_ms, &err);
		else
			ok = pegasus_table_multi_del(ms->pt, r->hash_key, r->sort_keys,
										 r->nkeys, t->timeout_ms, NULL, &err);
	}
	finish_call(ms, ok, &err, &before);
	ms->rows_written++;
}

typedef struct SortItem
{
	const PegFdwWriteRow *row;
	int			index;
} SortItem;

static int
compare_by_hash_key(const void *a, const void *b)
{
	const SortItem *x = a;
	const SortItem *y = b;
	int			c = pegasus_slice_compare(x->row->hash_key, y->row->hash_key);

	if (c != 0)
		return c;
	return x->index - y->index;
}

/*
 * Sends rows[0..n) as write groups: rows of one hash key, in their order,
 * go into one group while kind and TTL stay the same and the request stays
 * within PEGFDW_MAX_WRITE_BYTES (a row larger than that goes alone, for
 * Pegasus to refuse); groups of one hash key are applied in order, groups
 * of different hash keys concurrently, PEGFDW_BATCH_BYTES at a time.
 */
static void
send_rows(PegFdwModifyState *ms, const PegFdwWriteRow *rows, int n)
{
	SortItem   *items;
	PegasusWriteGroup *groups;
	size_t	   *group_bytes;
	int		   *group_of;		/* row index -> group */
	int			ngroups = 0;
	int			i;
	int			first;
	int			last;
	PegasusError err;
	PegasusStats before;
	bool		ok;

	if (n == 0)
		return;
	if (n == 1)
	{
		write_row_now(ms, &rows[0]);
		return;
	}
	items = palloc(sizeof(SortItem) * n);
	for (i = 0; i < n; i++)
	{
		items[i].row = &rows[i];
		items[i].index = i;
	}
	qsort(items, n, sizeof(SortItem), compare_by_hash_key);
	groups = palloc0(sizeof(PegasusWriteGroup) * n);
	group_bytes = palloc(sizeof(size_t) * n);
	group_of = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		const PegFdwWriteRow *r = items[i].row;
		PegasusWriteGroup *g = ngroups > 0 ? &groups[ngroups - 1] : NULL;
		bool		is_put = r->values != NULL;
		size_t		bytes = row_bytes(r);

		if (r->nkeys == 0)
		{
			group_of[items[i].index] = -1;
			continue;
		}
		if (g == NULL || pegasus_slice_compare(g->hash_key, r->hash_key) != 0 ||
			(g->kind == PEGASUS_WRITE_MULTI_SET) != is_put ||
			g->ttl_seconds != r->ttl ||
			group_bytes[ngroups - 1] + bytes > PEGFDW_MAX_WRITE_BYTES)
		{
			g = &groups[ngroups++];
			g->kind = is_put ? PEGASUS_WRITE_MULTI_SET : PEGASUS_WRITE_MULTI_DEL;
			g->hash_key = r->hash_key;
			g->ttl_seconds = r->ttl;
			g->count = 0;
			g->status = PEGASUS_GROUP_PENDING;
			group_bytes[ngroups - 1] = PEGFDW_WRITE_REQUEST_BYTES + r->hash_key.len;
		}
		g->count += r->nkeys;
		group_bytes[ngroups - 1] += bytes;
		group_of[items[i].index] = ngroups - 1;
	}

	/* fill each group's keys, rows in order (later rows win in Pegasus) */
	{
		int			gi = -1;
		PegasusSlice *sk = NULL;
		PegasusSlice *vals = NULL;
		size_t		used = 0;

		for (i = 0; i < n; i++)
		{
			const PegFdwWriteRow *r = items[i].row;
			int			g = group_of[items[i].index];
			int			k;

			if (g < 0)
				continue;
			if (g != gi)
			{
				gi = g;
				sk = palloc(sizeof(PegasusSlice) * groups[g].count);
				vals = groups[g].kind == PEGASUS_WRITE_MULTI_SET ?
					palloc(sizeof(PegasusSlice) * groups[g].count) : NULL;
				groups[g].sort_keys = sk;
				groups[g].values = vals;
				used = 0;
			}
			for (k = 0; k < r->nkeys; k++)
			{
				sk[used] = r->sort_keys[k];
				if (vals)
					vals[used] = r->values[k];
				used++;
			}
		}
	}

	if (ngroups == 0)
		return;
	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = true;
	for (first = 0; ok && first < ngroups; first = last)
	{
		size_t		bytes = group_bytes[first];

		for (last = first + 1;
			 last < ngroups && bytes + group_bytes[last] <= PEGFDW_BATCH_BYTES;
			 last++)
			bytes += group_bytes[last];
		ok = pegasus_table_write_groups(ms->pt, &groups[first], last - first,
										ms->table->timeout_ms, &err);
	}
	{
		PegasusStats after;

		pegasus_client_get_stats(ms->client, &after);
		ms->rpcs += (int64) (after.rpcs_sent - before.rpcs_sent);
	}
	if (!ok)
	{
		PegasusGroupStatus *status = palloc(sizeof(PegasusGroupStatus) * n);

		for (i = 0; i < n; i++)
			status[i] = group_of[i] < 0 ? PEGASUS_GROUP_DONE :
				groups[group_of[i]].status;
		report_batch_failure(ms, &err, rows, status, n);
	}
	pegfdw_check_call(true, &err, ms->table->servername, ms->table->table_name);
	ms->rows_written += n;
}

/* Sends the buffered rows and empties the buffer. */
static void
flush_buffer(PegFdwModifyState *ms)
{
	MemoryContext oldcxt;

	if (ms->nrows == 0)
		return;
	/* the batch's memory holds the groups too; the current row is kept */
	oldcxt = MemoryContextSwitchTo(ms->batch_cxt);
	send_rows(ms, ms->rows, ms->nrows);
	MemoryContextSwitchTo(oldcxt);
	ms->nrows = 0;
	ms->batch_bytes = 0;
	MemoryContextReset(ms->batch_cxt);
}

/* Queues a row (encoded in row_cxt) or writes it at once. */
static void
queue_row(PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	MemoryContext oldcxt;

	if (!ms->buffered)
	{
		write_row_now(ms, r);
		return;
	}
	oldcxt = MemoryContextSwitchTo(ms->batch_cxt);
	ms->rows[ms->nrows++] = copy_row(r);
	MemoryContextSwitchTo(oldcxt);
	ms->batch_bytes += row_bytes(r);
	if (ms->nrows >= ms->batch_size || ms->batch_bytes >= PEGFDW_BATCH_BYTES)
		flush_buffer(ms);
}

/* ----------------------------------------------------------------------
 * INSERT
 * ---------------------------------------------------------------------- */

/*
 * WITH CHECK OPTION of a view over the table: PostgreSQL checks the row
 * after the FDW has written it, which Pegasus cannot take back, so the
 * check runs before the write as well.
 */
static void
check_view_options(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot)
{
	if (rinfo->ri_WithCheckOptions != NIL)
		ExecWithCheckOptions(WCO_VIEW_CHECK, rinfo, slot, estate);
}

/* kv INSERT ... ON CONFLICT DO NOTHING: check_and_set; false = skipped. */
static bool
insert_if_absent(PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	PegasusCheckAndSetOptions opts;
	PegasusCheckResult result;
	PegasusError err;
	PegasusStats before;
	PegasusSlice none = {NULL, 0};
	bool		ok;
	bool		done;

	memset(&opts, 0, sizeof(opts));
	memset(&result, 0, sizeof(result));
	opts.set_ttl_seconds = r->ttl;
	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_table_check_and_set(ms->pt, r->hash_key, r->sort_keys[0],
									 PEGASUS_CHECK_VALUE_NOT_EXIST, none,
									 r->sort_keys[0], r->values[0], &opts,
									 ms->table->timeout_ms, &result, &err);
	done = ok && result.succeeded;
	if (ok)
		pegasus_check_result_free(&result);
	finish_call(ms, ok, &err, &before);
	if (done)
		ms->rows_written++;
	else
		ms->rows_skipped++;
	return done;
}

TupleTableSlot *
pegfdw_exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				   TupleTableSlot *planSlot)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	PegFdwWriteRow row;
	bool		inserted = true;

	check_view_options(estate, rinfo, slot);
	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	if (ms->table->layout == PEGFDW_LAYOUT_KV)
		encode_kv_put(ms, slot, &row);
	else
		encode_wide_row(ms, slot, NULL, &row, NULL);
	if (ms->on_conflict_nothing)
		inserted = insert_if_absent(ms, &row);
	else
		queue_row(ms, &row);
	MemoryContextSwitchTo(oldcxt);
	return inserted ? slot : NULL;
}

int
pegfdw_batch_size(ResultRelInfo *rinfo)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	PegFdwTable *t;

	/* Core batches INSERT only; it needs each row's outcome otherwise. */
	if (rinfo->ri_projectReturning != NULL || rinfo->ri_WithCheckOptions != NIL)
		return 1;
	if (rinfo->ri_TrigDesc &&
		(rinfo->ri_TrigDesc->trig_insert_before_row ||
		 rinfo->ri_TrigDesc->trig_insert_after_row))
		return 1;
	if (ms)
		return ms->on_conflict_nothing ? 1 : ms->batch_size;
	t = pegfdw_get_table(RelationGetRelid(rinfo->ri_RelationDesc));
	return Max(t->batch_size, 1);
}

TupleTableSlot **
pegfdw_exec_batch_insert(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot **slots, TupleTableSlot **planSlots,
						 int *numSlots)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	PegFdwWriteRow *rows;
	int			i;

	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	rows = palloc(sizeof(PegFdwWriteRow) * *numSlots);
	for (i = 0; i < *numSlots; i++)
	{
		if (ms->table->layout == PEGFDW_LAYOUT_KV)
			encode_kv_put(ms, slots[i], &rows[i]);
		else
			encode_wide_row(ms, slots[i], NULL, &rows[i], NULL);
	}
	send_rows(ms, rows, *numSlots);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(ms->row_cxt);
	return slots;
}

/* ----------------------------------------------------------------------
 * UPDATE and DELETE
 * ---------------------------------------------------------------------- */

/* The old row's key column, from the plan's junk column. */
static PegasusSlice
junk_key(PegFdwModifyState *ms, TupleTableSlot *planSlot, AttrNumber junk,
		 AttrNumber attno)
{
	bool		isnull;
	Datum		d = ExecGetJunkAttribute(planSlot, junk, &isnull);

	if (isnull)
		elog(ERROR, "row identity column of foreign table \"%s\" is null",
			 ms->table->relname);
	return encode_value(ms, attno, d);
}

/* Holds a key-changing update (delete old, put new) until the end. */
static void
defer_move(PegFdwModifyState *ms, const PegFdwWriteRow *del,
		   const PegFdwWriteRow *put)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(ms->moves_cxt);

	if (ms->nmoves + 2 > ms->maxmoves)
	{
		ms->maxmoves = Max(64, ms->maxmoves * 2);
		ms->moves = ms->moves ?
			repalloc(ms->moves, sizeof(PegFdwWriteRow) * ms->maxmoves) :
			palloc(sizeof(PegFdwWriteRow) * ms->maxmoves);
	}
	ms->moves[ms->nmoves++] = copy_row(del);
	ms->moves[ms->nmoves++] = copy_row(put);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * One check_and_mutate without a check: the mutations of one hash key,
 * applied atomically and in order.
 */
static void
mutate_now(PegFdwModifyState *ms, PegasusSlice h, PegasusMutation *muts,
		   int n)
{
	PegasusCheckResult result;
	PegasusError err;
	PegasusStats before;
	PegasusSlice none = {NULL, 0};
	bool		ok;

	if (n == 0)
		return;
	memset(&result, 0, sizeof(result));
	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_table_check_and_mutate(ms->pt, h, muts[0].sort_key,
										PEGASUS_CHECK_NO_CHECK, none, muts, n,
										false, ms->table->timeout_ms, &result,
										&err);
	if (ok)
		pegasus_check_result_free(&result);
	finish_call(ms, ok, &err, &before);
}

static int
compare_moves(const void *a, const void *b)
{
	return compare_by_hash_key(a, b);
}

/*
 * End of the part of muts[start..n) that begins at start and fits one
 * write request of hash key h (at least one mutation).
 */
static int
cut_mutations(PegasusSlice h, const PegasusMutation *muts, int start, int n)
{
	size_t		bytes = PEGFDW_WRITE_REQUEST_BYTES + h.len;
	int			end;

	for (end = start; end < n; end++)
	{
		size_t		b = PEGFDW_WRITE_ENTRY_BYTES + muts[end].sort_key.len +
			muts[end].value.len;

		if (end > start && bytes + b > PEGFDW_MAX_WRITE_BYTES)
			break;
		bytes += b;
	}
	return end;
}

/*
 * Applies the held key-changing updates: per hash key, one
 * check_and_mutate that first deletes the old keys and then puts the new
 * ones (so that rows swapping keys end right), or a multi_del when the hash
 * key only loses rows.  Mutations too large for one request are sent as
 * several, in the same order.
 */
static void
apply_moves(PegFdwModifyState *ms)
{
	SortItem   *items;
	int			n = ms->nmoves;
	int			i;
	int			start;
	MemoryContext oldcxt;

	if (n == 0)
		return;
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	items = palloc(sizeof(SortItem) * n);
	for (i = 0; i < n; i++)
	{
		items[i].row = &ms->moves[i];
		items[i].index = i;
	}
	qsort(items, n, sizeof(SortItem), compare_moves);
	for (start = 0; start < n; start = i)
	{
		int			nputs = 0;
		int			total = 0;
		int			j;
		int			m = 0;
		int			end;
		PegasusMutation *muts;

		for (i = start; i < n &&
			 pegasus_slice_compare(items[i].row->hash_key, items[start].row->hash_key) == 0; i++)
		{
			total += items[i].row->nkeys;
			if (items[i].row->values)
				nputs += items[i].row->nkeys;
		}
		muts = palloc0(sizeof(PegasusMutation) * Max(total, 1));
		for (j = start; j < i; j++)
		{
			const PegFdwWriteRow *r = items[j].row;
			int			k;

			if (r->values)
				continue;
			for (k = 0; k < r->nkeys; k++)
			{
				muts[m].op = PEGASUS_MUTATE_DELETE;
				muts[m++].sort_key = r->sort_keys[k];
			}
		}
		for (j = start; j < i; j++)
		{
			const PegFdwWriteRow *r = items[j].row;
			int			k;

			if (!r->values)
				continue;
			for (k = 0; k < r->nkeys; k++)
			{
				muts[m].op = PEGASUS_MUTATE_PUT;
				muts[m].sort_key = r->sort_keys[k];
				muts[m].value = r->values[k];
				muts[m++].ttl_seconds = r->ttl;
			}
		}
		for (j = 0; j < m; j = end)
		{
			PegasusSlice h = items[start].row->hash_key;

			end = cut_mutations(h, muts, j, m);
			if (nputs == 0)
			{
				PegasusSlice *keys = palloc(sizeof(PegasusSlice) * (end - j));
				PegasusError err;
				PegasusStats before;
				bool		ok;
				int			k;

				for (k = j; k < end; k++)
					keys[k - j] = muts[k].sort_key;
				pegasus_error_clear(&err);
				pegasus_client_get_stats(ms->client, &before);
				ok = pegasus_table_multi_del(ms->pt, h, keys, end - j,
											 ms->table->timeout_ms, NULL, &err);
				finish_call(ms, ok, &err, &before);
			}
			else
				mutate_now(ms, h, muts + j, end - j);
		}
	}
	ms->rows_written += n / 2;
	ms->nmoves = 0;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(ms->row_cxt);
	MemoryContextReset(ms->moves_cxt);
	ms->moves = NULL;
	ms->maxmoves = 0;
}

static bool
slices_equal(PegasusSlice a, PegasusSlice b)
{
	return pegasus_slice_compare(a, b) == 0;
}

static void
update_kv(PegFdwModifyState *ms, TupleTableSlot *slot,
		  TupleTableSlot *planSlot)
{
	PegFdwTable *t = ms->table;
	PegFdwWriteRow put;
	PegFdwWriteRow del;
	PegasusSlice old_h = junk_key(ms, planSlot, ms->hash_junk, t->hash_attno);
	PegasusSlice old_s = junk_key(ms, planSlot, ms->sort_junk, t->sort_attno);

	encode_kv_put(ms, slot, &put);
	if (slices_equal(old_h, put.hash_key) && slices_equal(old_s, put.sort_keys[0]))
	{
		queue_row(ms, &put);
		return;
	}
	del.hash_key = old_h;
	del.nkeys = 1;
	del.sort_keys = &old_s;
	del.values = NULL;
	del.ttl = 0;
	defer_move(ms, &del, &put);
}

static void
update_wide(PegFdwModifyState *ms, TupleTableSlot *slot,
			TupleTableSlot *planSlot)
{
	PegFdwWriteRow put;
	PegFdwWriteRow dels;
	PegasusSlice old_h = junk_key(ms, planSlot, ms->hash_junk,
								  ms->table->hash_attno);

	if (!slices_equal(old_h, hash_key_of(ms, slot)))
	{
		/* a new hash key: the whole row moves */
		PegFdwWriteRow old;

		encode_wide_row(ms, slot, NULL, &put, NULL);
		wide_delete_row(ms, old_h, &old);
		defer_move(ms, &old, &put);
		return;
	}
	encode_wide_row(ms, slot, ms->updated, &put, &dels);
	if (dels.nkeys == 0)
	{
		queue_row(ms, &put);
		return;
	}
	if (put.nkeys == 0)
	{
		queue_row(ms, &dels);
		return;
	}
	/* puts and removals of one hash key: one atomic check_and_mutate */
	{
		PegasusMutation *muts = palloc0(sizeof(PegasusMutation) *
										(put.nkeys + dels.nkeys));
		int			m = 0;
		int			k;

		flush_buffer(ms);
		for (k = 0; k < dels.nkeys; k++)
		{
			muts[m].op = PEGASUS_MUTATE_DELETE;
			muts[m++].sort_key = dels.sort_keys[k];
		}
		for (k = 0; k < put.nkeys; k++)
		{
			muts[m].op = PEGASUS_MUTATE_PUT;
			muts[m].sort_key = put.sort_keys[k];
			muts[m++].value = put.values[k];
		}
		mutate_now(ms, put.hash_key, muts, m);
		ms->rows_written++;
	}
}

TupleTableSlot *
pegfdw_exec_update(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				   TupleTableSlot *planSlot)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	MemoryContext oldcxt;

	check_view_options(estate, rinfo, slot);
	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	if (ms->table->layout == PEGFDW_LAYOUT_KV)
		update_kv(ms, slot, planSlot);
	else
		update_wide(ms, slot, planSlot);
	MemoryContextSwitchTo(oldcxt);
	return slot;
}

/* DELETE ... RETURNING: the deleted row, from the old-row junk column. */
static void
fill_old_row(PegFdwModifyState *ms, TupleTableSlot *slot,
			 TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		d;
	HeapTupleHeader td;
	HeapTupleData tuple;

	ExecClearTuple(slot);
	if (!AttributeNumberIsValid(ms->oldrow_junk))
	{
		ExecStoreAllNullTuple(slot);
		return;
	}
	d = ExecGetJunkAttribute(planSlot, ms->oldrow_junk, &isnull);
	if (isnull)
	{
		ExecStoreAllNullTuple(slot);
		return;
	}
	td = DatumGetHeapTupleHeader(d);
	tuple.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;
	ExecForceStoreHeapTuple(&tuple, slot, false);
	slot_getallattrs(slot);
	ExecMaterializeSlot(slot);
}

TupleTableSlot *
pegfdw_exec_delete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				   TupleTableSlot *planSlot)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	PegFdwWriteRow del;
	PegasusSlice h;
	PegasusSlice s;

	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	h = junk_key(ms, planSlot, ms->hash_junk, ms->table->hash_attno);
	if (ms->table->layout == PEGFDW_LAYOUT_KV)
	{
		s = junk_key(ms, planSlot, ms->sort_junk, ms->table->sort_attno);
		del.hash_key = h;
		del.nkeys = 1;
		del.sort_keys = &s;
		del.values = NULL;
		del.ttl = 0;
	}
	else
		wide_delete_row(ms, h, &del);
	queue_row(ms, &del);
	MemoryContextSwitchTo(oldcxt);
	if (rinfo->ri_projectReturning)
		fill_old_row(ms, slot, planSlot);
	return slot;
}

void
pegfdw_end_modify(EState *estate, ResultRelInfo *rinfo)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;

	if (ms == NULL)
		return;
	flush_buffer(ms);
	apply_moves(ms);
	if (ms->row_cxt)
	{
		MemoryContextDelete(ms->row_cxt);
		MemoryContextDelete(ms->batch_cxt);
		MemoryContextDelete(ms->moves_cxt);
		ms->row_cxt = NULL;
	}
	pegfdw_release_pin(ms->pin);
}

/* ----------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------- */

void
pegfdw_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					  List *fdw_private, int subplan_index, ExplainState *es)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	PegFdwTable *t = ms ? ms->table :
		pegfdw_get_table(RelationGetRelid(rinfo->ri_RelationDesc));
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;
	CmdType		op = mtstate->operation;
	bool		kv = t->layout == PEGFDW_LAYOUT_KV;
	bool		on_conflict = plan->onConflictAction != ONCONFLICT_NONE;
	int			batch;
	const char *what;

	if (ms)
		batch = ms->buffered ? ms->batch_size : 1;
	else
		batch = buffering_allowed(plan, rinfo, op, on_conflict) ?
			Max(t->batch_size, 1) : 1;
	if (op == CMD_INSERT && on_conflict)
		what = "check_and_set (value_not_exist) per row";
	else if (op == CMD_INSERT)
		what = kv ? (batch > 1 ? "set, batched as multi_set per hash key" : "set per row") :
			(batch > 1 ? "multi_set per row, batched per hash key" : "multi_set per row");
	else if (op == CMD_UPDATE)
		what = kv ? "set per row (check_and_mutate to move a row within its hash key)" :
			"multi_set / multi_del of the updated columns per row";
	else
		what = kv ? (batch > 1 ? "del, batched as multi_del per hash key" : "del per row") :
			"multi_del of the mapped sort keys per row";
	if (es->verbose)
	{
		ExplainPropertyText("Pegasus Request", what, es);
		ExplainPropertyInteger("Pegasus Batch Size", NULL, batch, es);
	}
	if (es->analyze && ms)
	{
		ExplainPropertyInteger("Pegasus Write RPCs", NULL, ms->rpcs, es);
		if (plan->onConflictAction == ONCONFLICT_NOTHING)
			ExplainPropertyInteger("Pegasus Rows Skipped", NULL,
								   ms->rows_skipped, es);
	}
}
