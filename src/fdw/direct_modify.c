/*-------------------------------------------------------------------------
 *
 * direct_modify.c
 *		Execution of direct modifications (see plan_modify.c).
 *
 * DELETE: the scan planned for the statement runs as it would for a
 * SELECT, reading keys only (its value is not needed, so it asks Pegasus
 * for no values); the keys it yields are removed in multi_del batches of
 * batch_size keys (fewer when the keys are large: a request stays within
 * PEGFDW_MAX_WRITE_BYTES), one per hash key, sent concurrently, a few
 * batches in flight through the client's write pipe while the scan reads
 * the next keys.  The command
 * tag counts the keys removed.  Each batch is atomic per hash key; the
 * whole is not.
 *
 * UPDATE ... SET value = value + n: get, then incr.  incr adds to a missing
 * record as if it held 0, creating it, so the read keeps UPDATE from
 * creating rows; a record deleted between the two calls is created again.
 * The read also checks the stored value: Pegasus parses it as C strtoll
 * with base 0 does (a leading 0 is octal, 0x hexadecimal, leading blanks
 * and '+' are taken, empty is 0), PostgreSQL in decimal, so only a plain
 * decimal means the same number to both; anything else is refused, and so
 * is a result out of the column's range, before incr is sent.  An incr is
 * never sent twice: when its reply is lost the statement fails saying the
 * outcome is unknown.
 *
 * src/fdw/direct_modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "common/int.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "pegasus_fdw.h"

typedef struct PegFdwDirectState
{
	PegFdwDirectKind kind;
	int			sign;
	PegFdwTable *table;
	char	   *scan_description;
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;
	PegasusTable *pt;
	PegFdwPin  *pin;			/* the client's entry, until the query ends */
	bool		started;
	bool		done;
	bool		set_processed;	/* the command tag counts the rows */
	List	   *exprstates;		/* incr: hash key, sort key, amount */
	void	   *scan_state;		/* DELETE: the key scan's state */
	MemoryContext batch_cxt;
	int			batch_size;
	PegasusSlice *hash_keys;	/* DELETE: keys waiting for multi_del */
	PegasusSlice *sort_keys;
	int			nkeys;
	size_t		key_bytes;		/* their size in multi_del requests */
	int64		processed;
	int64		rpcs;			/* writes (and the get of an incr) */
	int64		read_rpcs;		/* DELETE: the key reads */
	int64		wait_us;		/* blocked on the cluster's answers */
	MemoryContext query_cxt;
	PegasusWritePipe *pipe;		/* DELETE: batches in flight */
	List	   *inflight;		/* PegFdwDeleteBatch *, oldest first */
} PegFdwDirectState;

/* A multi_del batch in the pipe; its keys and groups live in cxt. */
typedef struct PegFdwDeleteBatch
{
	MemoryContext cxt;
	PegasusWriteGroup *groups;
	int			ngroups;
	int			nkeys;
} PegFdwDeleteBatch;

/* Batches of a direct DELETE in flight at once, as for other writes. */
#define PEGFDW_DELETE_WINDOW 4

void
pegfdw_begin_direct_modify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *info = linitial(fsplan->fdw_private);
	List	   *scanpriv = lsecond(fsplan->fdw_private);
	PegFdwDirectState *ds = palloc0(sizeof(PegFdwDirectState));

	ds->kind = intVal(list_nth(info, PegFdwDirectInfoKind));
	ds->sign = intVal(list_nth(info, PegFdwDirectInfoSign));
	ds->table = pegfdw_get_table((Oid) intVal(list_nth(info, PegFdwDirectInfoTableOid)));
	ds->set_processed = intVal(list_nth(info, PegFdwDirectInfoSetProcessed)) != 0;
	ds->scan_description = strVal(list_nth(scanpriv, PegFdwScanPrivateDescription));
	ds->batch_size = Max(ds->table->batch_size, 1);

	if (ds->kind == PEGFDW_DIRECT_DELETE)
	{
		/* The key scan sees a plan node with its own private list. */
		ForeignScan *scan = palloc(sizeof(ForeignScan));

		memcpy(scan, fsplan, sizeof(ForeignScan));
		scan->fdw_private = scanpriv;
		node->ss.ps.plan = (Plan *) scan;
		pegfdw_begin_scan(node, eflags);
		ds->scan_state = node->fdw_state;
	}
	node->fdw_state = ds;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	ds->io = pegfdw_make_type_io(ds->table);
	ds->client = pegfdw_get_client(ds->table->serverid, &ds->entry);
	ds->pt = pegfdw_open_table(ds->table, &ds->entry);
	ds->pin = pegfdw_pin_until_reset(ds->entry, estate->es_query_cxt);
	ds->query_cxt = estate->es_query_cxt;
	ds->batch_cxt = AllocSetContextCreate(estate->es_query_cxt,
										  "pegasus_fdw direct modify",
										  ALLOCSET_DEFAULT_SIZES);
	if (ds->kind == PEGFDW_DIRECT_INCR)
		ds->exprstates = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	else
	{
		ds->hash_keys = MemoryContextAlloc(ds->batch_cxt,
										   sizeof(PegasusSlice) * ds->batch_size);
		ds->sort_keys = MemoryContextAlloc(ds->batch_cxt,
										   sizeof(PegasusSlice) * ds->batch_size);
	}
}

static void
count_rpcs(PegFdwDirectState *ds, const PegasusStats *before)
{
	PegasusStats after;

	pegasus_client_get_stats(ds->client, &after);
	ds->rpcs += (int64) (after.rpcs_sent - before->rpcs_sent);
	ds->wait_us += (int64) (after.wait_us - before->wait_us);
}

/* Bytes of a text or bytea datum, copied into the current context. */
static PegasusSlice
varlena_bytes(Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	PegasusSlice sl;
	char	   *copy = palloc(VARSIZE_ANY_EXHDR(v) + 1);

	memcpy(copy, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	copy[VARSIZE_ANY_EXHDR(v)] = '\0';
	sl.data = copy;
	sl.len = VARSIZE_ANY_EXHDR(v);
	return sl;
}

/* The pipe is GLib memory: freed when the query's memory goes. */
static void
free_delete_pipe(void *arg)
{
	PegFdwDirectState *ds = (PegFdwDirectState *) arg;

	pegasus_write_pipe_free(ds->pipe);
	ds->pipe = NULL;
}

/* Rows of a reaped batch that were removed and of unknown outcome. */
static void
count_outcomes(const PegFdwDeleteBatch *b, int64 *done, int64 *unknown)
{
	int			i;

	for (i = 0; i < b->ngroups; i++)
	{
		if (b->groups[i].status == PEGASUS_GROUP_DONE)
			*done += b->groups[i].count;
		else if (b->groups[i].status == PEGASUS_GROUP_UNKNOWN)
			*unknown += b->groups[i].count;
	}
}

/*
 * Waits for the oldest batch in flight.  A failure stops the pipe (keys not
 * yet sent are not sent), waits for the rest and reports the batch, with
 * what the later batches in flight removed.
 */
static void
reap_deletes(PegFdwDirectState *ds)
{
	PegFdwDeleteBatch *b = linitial(ds->inflight);
	PegasusError err;
	PegasusStats before;
	int64		done = 0;
	int64		unknown = 0;
	int64		later = 0;
	int64		later_done = 0;
	int64		later_unknown = 0;
	StringInfoData detail;

	pegasus_client_get_stats(ds->client, &before);
	ds->inflight = list_delete_first(ds->inflight);
	if (pegasus_write_pipe_reap(ds->pipe, &err))
	{
		count_rpcs(ds, &before);
		ds->processed += b->nkeys;
		MemoryContextDelete(b->cxt);
		pfree(b);
		return;
	}
	pegasus_write_pipe_stop(ds->pipe);
	while (ds->inflight != NIL)
	{
		PegFdwDeleteBatch *lb = linitial(ds->inflight);
		PegasusError lerr;

		ds->inflight = list_delete_first(ds->inflight);
		(void) pegasus_write_pipe_reap(ds->pipe, &lerr);
		later += lb->nkeys;
		count_outcomes(lb, &later_done, &later_unknown);
	}
	count_rpcs(ds, &before);
	count_outcomes(b, &done, &unknown);
	initStringInfo(&detail);
	appendStringInfo(&detail, "%s Of this batch, " INT64_FORMAT " rows were removed, " INT64_FORMAT " were not and " INT64_FORMAT " may or may not have been removed; " INT64_FORMAT " rows of earlier batches of this statement were removed.",
					 err.message, done, (int64) b->nkeys - done - unknown,
					 unknown, ds->processed);
	if (later > 0)
		appendStringInfo(&detail, " Of the " INT64_FORMAT " rows of later batches in flight, " INT64_FORMAT " were removed, " INT64_FORMAT " were not and " INT64_FORMAT " may or may not have been removed.",
						 later, later_done, later - later_done - later_unknown,
						 later_unknown);
	pegfdw_note_failure(ds->entry, &err);
	pegfdw_check_call(true, &err, ds->table->servername, ds->table->table_name);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("could not delete a batch of %d rows from Pegasus table \"%s\"",
					b->nkeys, ds->table->table_name),
			 pegfdw_error_hint(&err) ? errhint("%s", pegfdw_error_hint(&err)) : 0,
			 errdetail_internal("%s", detail.data)));
}

/*
 * Sends the waiting keys, one multi_del per hash key, concurrently; the
 * batch joins the pipe (PEGFDW_DELETE_WINDOW batches in flight) while the
 * scan reads the next keys.
 */
static void
send_deletes(PegFdwDirectState *ds)
{
	PegFdwDeleteBatch *b;
	PegasusWriteGroup *groups;
	int			ngroups = 0;
	int			i;
	PegasusError err;
	PegasusStats before;
	MemoryContext oldcxt;

	if (ds->nkeys == 0)
		return;
	oldcxt = MemoryContextSwitchTo(ds->batch_cxt);
	groups = palloc0(sizeof(PegasusWriteGroup) * ds->nkeys);

	/*
	 * The scan yields the keys of one hash key together (a hash-key scan is
	 * in key order), so runs of equal hash keys make the groups.
	 */
	for (i = 0; i < ds->nkeys; i++)
	{
		if (ngroups == 0 ||
			pegasus_slice_compare(groups[ngroups - 1].hash_key, ds->hash_keys[i]) != 0)
		{
			PegasusWriteGroup *g = &groups[ngroups++];

			g->kind = PEGASUS_WRITE_MULTI_DEL;
			g->hash_key = ds->hash_keys[i];
			g->sort_keys = &ds->sort_keys[i];
			g->count = 0;
		}
		groups[ngroups - 1].count++;
	}
	MemoryContextSwitchTo(oldcxt);
	b = MemoryContextAlloc(ds->query_cxt, sizeof(PegFdwDeleteBatch));
	b->cxt = ds->batch_cxt;
	b->groups = groups;
	b->ngroups = ngroups;
	b->nkeys = ds->nkeys;

	/* the next keys go into a context of their own */
	ds->batch_cxt = AllocSetContextCreate(ds->query_cxt,
										  "pegasus_fdw direct modify",
										  ALLOCSET_DEFAULT_SIZES);
	ds->hash_keys = MemoryContextAlloc(ds->batch_cxt,
									   sizeof(PegasusSlice) * ds->batch_size);
	ds->sort_keys = MemoryContextAlloc(ds->batch_cxt,
									   sizeof(PegasusSlice) * ds->batch_size);
	ds->nkeys = 0;
	ds->key_bytes = 0;

	if (ds->pipe == NULL)
	{
		MemoryContextCallback *cb = MemoryContextAlloc(ds->query_cxt,
													   sizeof(MemoryContextCallback));

		ds->pipe = pegasus_write_pipe_new(ds->pt, 256, 8 * PEGFDW_MAX_WRITE_BYTES);
		cb->func = free_delete_pipe;
		cb->arg = ds;
		MemoryContextRegisterResetCallback(ds->query_cxt, cb);
	}
	pegasus_client_get_stats(ds->client, &before);
	if (!pegasus_write_pipe_add(ds->pipe, groups, ngroups, ds->table->timeout_ms,
								&err))
	{
		/* cannot happen: the keys came from Pegasus */
		pegfdw_check_call(false, &err, ds->table->servername,
						  ds->table->table_name);
	}
	count_rpcs(ds, &before);
	oldcxt = MemoryContextSwitchTo(ds->query_cxt);
	ds->inflight = lappend(ds->inflight, b);
	MemoryContextSwitchTo(oldcxt);
	while (list_length(ds->inflight) > PEGFDW_DELETE_WINDOW)
		reap_deletes(ds);
}

/* Sends the waiting keys and waits until every batch is done. */
static void
flush_deletes(PegFdwDirectState *ds)
{
	send_deletes(ds);
	while (ds->inflight != NIL)
		reap_deletes(ds);
}

static void
run_delete(ForeignScanState *node, PegFdwDirectState *ds)
{
	PegFdwTable *t = ds->table;

	for (;;)
	{
		TupleTableSlot *slot;
		bool		hnull;
		bool		snull;
		Datum		h;
		Datum		s;
		struct varlena *hv;
		struct varlena *sv;
		size_t		bytes;
		MemoryContext oldcxt;
		PegasusStats before;
		PegasusStats after;

		node->fdw_state = ds->scan_state;
		pegasus_client_get_stats(ds->client, &before);
		PG_TRY();
		{
			slot = pegfdw_iterate_scan(node);
		}
		PG_FINALLY();
		{
			node->fdw_state = ds;
		}
		PG_END_TRY();
		pegasus_client_get_stats(ds->client, &after);
		ds->read_rpcs += (int64) (after.rpcs_sent - before.rpcs_sent);
		ds->wait_us += (int64) (after.wait_us - before.wait_us);
		if (TupIsNull(slot))
			break;
		h = slot_getattr(slot, t->hash_attno, &hnull);
		s = slot_getattr(slot, t->sort_attno, &snull);
		if (hnull || snull)
			continue;
		hv = PG_DETOAST_DATUM_PACKED(h);
		sv = PG_DETOAST_DATUM_PACKED(s);

		/*
		 * Keys go in one request per run of a hash key (see flush_deletes);
		 * the batch is sent first when this key would take the requests
		 * over the write size limit.
		 */
		bytes = PEGFDW_WRITE_ENTRY_BYTES + VARSIZE_ANY_EXHDR(sv);
		if (ds->nkeys == 0 ||
			ds->hash_keys[ds->nkeys - 1].len != VARSIZE_ANY_EXHDR(hv) ||
			memcmp(ds->hash_keys[ds->nkeys - 1].data, VARDATA_ANY(hv),
				   VARSIZE_ANY_EXHDR(hv)) != 0)
			bytes += PEGFDW_WRITE_REQUEST_BYTES + VARSIZE_ANY_EXHDR(hv);
		if (ds->nkeys > 0 && ds->key_bytes + bytes > PEGFDW_MAX_WRITE_BYTES)
		{
			send_deletes(ds);
			bytes = PEGFDW_WRITE_REQUEST_BYTES + VARSIZE_ANY_EXHDR(hv) +
				PEGFDW_WRITE_ENTRY_BYTES + VARSIZE_ANY_EXHDR(sv);
		}
		oldcxt = MemoryContextSwitchTo(ds->batch_cxt);
		ds->hash_keys[ds->nkeys] = varlena_bytes(PointerGetDatum(hv));
		ds->sort_keys[ds->nkeys] = varlena_bytes(PointerGetDatum(sv));
		MemoryContextSwitchTo(oldcxt);
		ds->nkeys++;
		ds->key_bytes += bytes;
		if (ds->nkeys >= ds->batch_size)
			send_deletes(ds);
	}
	flush_deletes(ds);
	if (ds->set_processed)
		node->ss.ps.state->es_processed += ds->processed;
}

/* What parse_plain_decimal found. */
typedef enum PegFdwDecimal
{
	PEGFDW_DECIMAL_OK,
	PEGFDW_DECIMAL_INVALID,		/* not a plain decimal integer */
	PEGFDW_DECIMAL_RANGE		/* a plain decimal outside int64 */
} PegFdwDecimal;

/*
 * Parses a stored value that Pegasus's incr and PostgreSQL read as the same
 * number: an optional minus sign, then decimal digits without leading zeros
 * ("0" itself excepted), nothing else.
 */
static PegFdwDecimal
parse_plain_decimal(const char *p, size_t len, int64 *out)
{
	size_t		i = 0;
	bool		neg = false;
	bool		range = false;
	uint64		limit;
	uint64		acc = 0;

	if (len > 0 && p[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i == len || (p[i] == '0' && len - i > 1))
		return PEGFDW_DECIMAL_INVALID;
	limit = neg ? (uint64) PG_INT64_MAX + 1 : (uint64) PG_INT64_MAX;
	for (; i < len; i++)
	{
		unsigned	d = (unsigned char) p[i] - '0';

		if (d > 9)
			return PEGFDW_DECIMAL_INVALID;
		if (acc > (limit - d) / 10)
			range = true;
		else
			acc = acc * 10 + d;
	}
	if (range)
		return PEGFDW_DECIMAL_RANGE;
	if (neg)
		*out = acc == (uint64) PG_INT64_MAX + 1 ? PG_INT64_MIN : -(int64) acc;
	else
		*out = (int64) acc;
	return PEGFDW_DECIMAL_OK;
}

/* "(hash key, sort key)" of a record, for messages. */
static char *
record_text(PegasusSlice h, PegasusSlice s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	pegfdw_append_key(&buf, h);
	appendStringInfoString(&buf, ", ");
	pegfdw_append_key(&buf, s);
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/* Does v fit the value column's type? */
static bool
fits_value_column(PegFdwDirectState *ds, int64 v)
{
	Oid			t = ds->table->columns[ds->table->value_attno - 1].typid;

	return !((t == INT4OID && (v < PG_INT32_MIN || v > PG_INT32_MAX)) ||
			 (t == INT2OID && (v < PG_INT16_MIN || v > PG_INT16_MAX)));
}

/*
 * Refuses an increment of a stored value that Pegasus and PostgreSQL would
 * not read alike, or whose result would not fit the column; nothing has
 * been sent but the read.
 */
static void
check_incr(PegFdwDirectState *ds, PegasusSlice h, PegasusSlice s,
		   PegasusSlice stored, int64 amount)
{
	PegFdwTable *t = ds->table;
	PegFdwColumn *vc = &t->columns[t->value_attno - 1];
	StringInfoData shown;
	int64		base = 0;
	int64		result;
	PegFdwDecimal parsed = parse_plain_decimal(stored.data, stored.len, &base);

	if (parsed == PEGFDW_DECIMAL_OK &&
		!pg_add_s64_overflow(base, amount, &result) &&
		fits_value_column(ds, result))
		return;
	initStringInfo(&shown);
	pegfdw_append_key(&shown, stored);
	if (parsed == PEGFDW_DECIMAL_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("cannot increment the value of foreign table \"%s\"",
						t->relname),
				 errdetail("Record %s holds %s, which is not a plain decimal integer (an optional minus sign and digits without leading zeros), so Pegasus could read it as another number than PostgreSQL does, or not at all. The value was not changed.",
						   record_text(h, s), shown.data)));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("incremented value of column \"%s\" of foreign table \"%s\" would be out of range for type %s",
					vc->name, t->relname, format_type_be(vc->typid)),
			 errdetail("Record %s holds %s and the increment is " INT64_FORMAT ". The value was not changed.",
					   record_text(h, s), shown.data, amount)));
}

/* The new value as a Datum of the value column's type, range-checked. */
static Datum
incr_result_datum(PegFdwDirectState *ds, int64 v)
{
	Oid			t = ds->table->columns[ds->table->value_attno - 1].typid;

	/* checked before incr, but another client may have changed the value */
	if (!fits_value_column(ds, v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value " INT64_FORMAT " of column \"%s\" is out of range for type %s",
						v, ds->table->columns[ds->table->value_attno - 1].name,
						format_type_be(t)),
				 errdetail("Pegasus has already stored the new value.")));
	if (t == INT8OID)
		return Int64GetDatum(v);
	if (t == INT4OID)
		return Int32GetDatum((int32) v);
	return Int16GetDatum((int16) v);
}

static TupleTableSlot *
run_incr(ForeignScanState *node, PegFdwDirectState *ds)
{
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	PegFdwTable *t = ds->table;
	ResultRelInfo *rinfo = node->resultRelInfo;
	Datum		vals[3];
	bool		nulls[3];
	ListCell   *lc;
	int			i = 0;
	PegasusSlice h;
	PegasusSlice s;
	int64		amount;
	int64		new_value = 0;
	PegasusValue current;
	PegasusSlice stored;
	PegasusError err;
	PegasusStats before;
	bool		ok;
	Oid			amount_type;
	Datum		result;

	foreach(lc, ds->exprstates)
	{
		vals[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]);
		i++;
	}
	ExecClearTuple(slot);
	/* NULL keys match nothing; value + NULL is NULL, which Pegasus cannot store */
	if (nulls[0] || nulls[1])
		return slot;
	if (nulls[2])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("null value in column \"%s\" of foreign table \"%s\" cannot be stored in Pegasus",
						t->columns[t->value_attno - 1].name, t->relname)));
	amount_type = exprType((Node *) ((ExprState *) lthird(ds->exprstates))->expr);
	amount = amount_type == INT8OID ? DatumGetInt64(vals[2]) :
		amount_type == INT2OID ? DatumGetInt16(vals[2]) : DatumGetInt32(vals[2]);
	if (ds->sign < 0)
	{
		if (amount == PG_INT64_MIN)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
		amount = -amount;
	}
	h = varlena_bytes(vals[0]);
	s = varlena_bytes(vals[1]);
	if (h.len == 0 || h.len >= PEGASUS_MAX_HASH_KEY_LEN)
		return slot;			/* no such record can exist */

	pegasus_error_clear(&err);
	pegasus_client_get_stats(ds->client, &before);
	memset(&current, 0, sizeof(current));
	ok = pegasus_table_get(ds->pt, h, s, t->timeout_ms, &current, &err);
	count_rpcs(ds, &before);
	if (!ok)
		pegfdw_note_failure(ds->entry, &err);
	pegfdw_check_call(ok, &err, t->servername, t->table_name);
	if (!current.found)
	{
		pegasus_value_free(&current);
		return slot;
	}
	/* copied, so that no client memory is held when an error is raised */
	stored.len = current.value.len;
	stored.data = palloc(stored.len + 1);
	if (stored.len > 0)
		memcpy((char *) stored.data, current.value.data, stored.len);
	pegasus_value_free(&current);
	check_incr(ds, h, s, stored, amount);

	pegasus_error_clear(&err);
	pegasus_client_get_stats(ds->client, &before);
	ok = pegasus_table_incr(ds->pt, h, s, amount, 0, t->timeout_ms,
							&new_value, &err);
	count_rpcs(ds, &before);
	if (!ok)
	{
		pegfdw_note_failure(ds->entry, &err);
		pegfdw_check_call(true, &err, t->servername, t->table_name);
		if (err.code == PEGASUS_ERR_STORAGE && err.storage_code == 4)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("cannot increment the value of foreign table \"%s\"",
							t->relname),
					 errdetail("Pegasus refused incr of record %s: the stored value is not a decimal integer or the result overflows.",
							   record_text(h, s))));
		if (err.code == PEGASUS_ERR_OUTCOME_UNKNOWN || err.outcome_unknown)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("outcome of Pegasus incr on table \"%s\" is unknown", t->table_name),
					 errdetail("%s It was not sent again: applying an increment twice would change the value twice.",
							   err.message),
					 errhint("Read the row to see whether the value changed.")));
		pegfdw_check_call(false, &err, t->servername, t->table_name);
	}
	ds->processed = 1;
	if (ds->set_processed)
		node->ss.ps.state->es_processed += 1;
	result = incr_result_datum(ds, new_value);
	if (rinfo == NULL || rinfo->ri_projectReturning == NULL)
		return slot;

	/* The returned row: the keys and the new value (no other column). */
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	slot->tts_values[t->hash_attno - 1] =
		pegfdw_bytes_to_datum(t, ds->io, &t->columns[t->hash_attno - 1], h.data, h.len);
	slot->tts_isnull[t->hash_attno - 1] = false;
	slot->tts_values[t->sort_attno - 1] =
		pegfdw_bytes_to_datum(t, ds->io, &t->columns[t->sort_attno - 1], s.data, s.len);
	slot->tts_isnull[t->sort_attno - 1] = false;
	slot->tts_values[t->value_attno - 1] = result;
	slot->tts_isnull[t->value_attno - 1] = false;
	ExecStoreVirtualTuple(slot);
	rinfo->ri_projectReturning->pi_exprContext->ecxt_scantuple = slot;
	return slot;
}

TupleTableSlot *
pegfdw_iterate_direct_modify(ForeignScanState *node)
{
	PegFdwDirectState *ds = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (ds->done)
		return ExecClearTuple(slot);
	ds->done = true;
	if (ds->kind == PEGFDW_DIRECT_DELETE)
	{
		run_delete(node, ds);
		return ExecClearTuple(slot);
	}
	return run_incr(node, ds);
}

void
pegfdw_end_direct_modify(ForeignScanState *node)
{
	PegFdwDirectState *ds = node->fdw_state;

	if (ds == NULL)
		return;
	if (ds->scan_state)
	{
		node->fdw_state = ds->scan_state;
		pegfdw_end_scan(node);
		node->fdw_state = ds;
	}
	pegasus_write_pipe_free(ds->pipe);
	ds->pipe = NULL;
	pegfdw_release_pin(ds->pin);
}

void
pegfdw_explain_direct_modify(ForeignScanState *node, ExplainState *es)
{
	PegFdwDirectState *ds = node->fdw_state;

	if (es->verbose)
	{
		if (ds->kind == PEGFDW_DIRECT_DELETE)
		{
			char	   *text = psprintf("multi_del in batches of %d keys, of the keys read by: %s",
										ds->batch_size, ds->scan_description);

			ExplainPropertyText("Pegasus Request", text, es);
		}
		else
		{
			ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
			List	   *ctx = set_deparse_context_plan(es->deparse_cxt,
													   (Plan *) fsplan, NIL);
			char	   *amount = deparse_expression(lthird(fsplan->fdw_exprs),
													ctx, false, false);
			char	   *text = psprintf("incr by %s%s of the record of: %s",
										ds->sign < 0 ? "-" : "", amount,
										ds->scan_description);

			ExplainPropertyText("Pegasus Request", text, es);
		}
	}
	if (es->analyze && ds->io)
	{
		if (ds->kind == PEGFDW_DIRECT_DELETE)
			ExplainPropertyInteger("Pegasus Read RPCs", NULL, ds->read_rpcs, es);
		ExplainPropertyInteger("Pegasus Write RPCs", NULL, ds->rpcs, es);
		ExplainPropertyInteger("Pegasus Rows Modified", NULL, ds->processed, es);
		if (es->timing)
			ExplainPropertyFloat("Pegasus Wait Time", "ms",
								 (double) ds->wait_us / 1000.0, 3, es);
	}
}
