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
 * the groups join the client's write pipe, which keeps PEGFDW_WRITE_WINDOW
 * batches in flight while the next one is encoded.
 * Buffering is used for INSERT through ExecForeignBatchInsert, for COPY and
 * tuple routing, and for UPDATE and DELETE, whenever no RETURNING list,
 * ON CONFLICT clause, WITH CHECK OPTION or row trigger needs to see each
 * row's outcome at once.
 *
 * Rows whose UPDATE changes their keys are held until the end of the
 * statement, so that the scan feeding the UPDATE cannot meet them again at
 * their new keys (pages of a range read see earlier writes).
 *
 * This file holds the executor callbacks; rows are encoded in
 * modify_encode.c, batched and sent in modify_send.c, key-changing updates
 * applied in modify_move.c, and explained in modify_explain.c.
 *
 * src/fdw/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"

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
bool
pegfdw_buffering_allowed(ModifyTable *plan, ResultRelInfo *rinfo, CmdType operation,
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
		pegfdw_buffering_allowed(insert_only ? NULL : plan, rinfo, ms->operation,
						  ms->on_conflict_nothing);
	ms->state_cxt = CurrentMemoryContext;
	ms->rows = MemoryContextAlloc(ms->batch_cxt,
								  sizeof(PegFdwWriteRow) * ms->batch_size);

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
		if (ms->operation == CMD_UPDATE &&
			ms->table->value_format == PEGFDW_FORMAT_JSON &&
			IsA(outerPlanState(mtstate), ForeignScanState) &&
			((ForeignScan *) subplan)->operation == CMD_SELECT &&
			((ForeignScan *) subplan)->scan.scanrelid == rinfo->ri_RangeTableIndex)
		{
			/* the scan keeps the value of each row it returns */
			ms->source_scan = (ForeignScanState *) outerPlanState(mtstate);
			pegfdw_scan_keep_last(ms->source_scan);
		}
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
	pegfdw_finish_write_call(ms, ok, &err, &before);
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
		pegfdw_encode_kv_put(ms, slot, &row);
	else
		pegfdw_encode_wide_row(ms, slot, NULL, &row, NULL);
	if (ms->on_conflict_nothing)
		inserted = insert_if_absent(ms, &row);
	else
		pegfdw_queue_row(ms, &row);
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
	MemoryContext cxt = pegfdw_batch_context(ms);
	MemoryContext oldcxt;
	PegFdwWriteRow *rows;
	int			i;

	/* the rows stay in their own context while they are in flight */
	oldcxt = MemoryContextSwitchTo(cxt);
	rows = palloc(sizeof(PegFdwWriteRow) * *numSlots);
	for (i = 0; i < *numSlots; i++)
	{
		if (ms->table->layout == PEGFDW_LAYOUT_KV)
			pegfdw_encode_kv_put(ms, slots[i], &rows[i]);
		else
			pegfdw_encode_wide_row(ms, slots[i], NULL, &rows[i], NULL);
	}
	MemoryContextSwitchTo(oldcxt);
	pegfdw_send_rows(ms, rows, *numSlots, cxt);
	return slots;
}

/* ----------------------------------------------------------------------
 * UPDATE and DELETE
 * ---------------------------------------------------------------------- */

static bool
slices_equal(PegasusSlice a, PegasusSlice b)
{
	return pegasus_slice_compare(a, b) == 0;
}

/* false: the row was not updated (a document whose record is gone) */
static bool
update_kv(PegFdwModifyState *ms, TupleTableSlot *slot,
		  TupleTableSlot *planSlot)
{
	PegFdwTable *t = ms->table;
	PegFdwWriteRow put;
	PegFdwWriteRow del;
	PegasusSlice old_h = pegfdw_junk_key(ms, planSlot, ms->hash_junk, t->hash_attno);
	PegasusSlice old_s = pegfdw_junk_key(ms, planSlot, ms->sort_junk, t->sort_attno);

	if (t->value_format == PEGFDW_FORMAT_JSON)
	{
		/* only the updated fields change: see json_doc_modify.c */
		pegfdw_encode_kv_keys(ms, slot, &put);
		return pegfdw_json_update(ms, slot, old_h, old_s, &put);
	}
	pegfdw_encode_kv_put(ms, slot, &put);
	if (slices_equal(old_h, put.hash_key) && slices_equal(old_s, put.sort_keys[0]))
	{
		pegfdw_queue_row(ms, &put);
		return true;
	}
	del.hash_key = old_h;
	del.nkeys = 1;
	del.sort_keys = &old_s;
	del.values = NULL;
	del.ttl = 0;
	pegfdw_defer_move(ms, &del, &put);
	return true;
}

static void
update_wide(PegFdwModifyState *ms, TupleTableSlot *slot,
			TupleTableSlot *planSlot)
{
	PegFdwWriteRow put;
	PegFdwWriteRow dels;
	PegasusSlice old_h = pegfdw_junk_key(ms, planSlot, ms->hash_junk,
								  ms->table->hash_attno);

	if (ms->table->value_format == PEGFDW_FORMAT_JSON)
	{
		/* only the updated fields change: see json_doc_modify.c */
		pegfdw_json_update_wide(ms, slot, old_h);
		return;
	}
	if (!slices_equal(old_h, pegfdw_row_hash_key(ms, slot)))
	{
		/* a new hash key: the whole row moves */
		PegFdwWriteRow old;

		pegfdw_encode_wide_row(ms, slot, NULL, &put, NULL);
		pegfdw_wide_delete_row(ms, old_h, &old);
		pegfdw_defer_move(ms, &old, &put);
		return;
	}
	pegfdw_encode_wide_row(ms, slot, ms->updated, &put, &dels);
	if (dels.nkeys == 0)
	{
		pegfdw_queue_row(ms, &put);
		return;
	}
	if (put.nkeys == 0)
	{
		pegfdw_queue_row(ms, &dels);
		return;
	}
	/* puts and removals of one hash key: one atomic check_and_mutate */
	{
		PegasusMutation *muts = palloc0(sizeof(PegasusMutation) *
										(put.nkeys + dels.nkeys));
		int			m = 0;
		int			k;

		pegfdw_flush_buffer(ms);
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
		pegfdw_mutate_now(ms, put.hash_key, muts, m);
		ms->rows_written++;
	}
}

TupleTableSlot *
pegfdw_exec_update(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				   TupleTableSlot *planSlot)
{
	PegFdwModifyState *ms = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	bool		updated = true;

	check_view_options(estate, rinfo, slot);
	MemoryContextReset(ms->row_cxt);
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	if (ms->table->layout == PEGFDW_LAYOUT_KV)
		updated = update_kv(ms, slot, planSlot);
	else
		update_wide(ms, slot, planSlot);
	MemoryContextSwitchTo(oldcxt);
	return updated ? slot : NULL;
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
	h = pegfdw_junk_key(ms, planSlot, ms->hash_junk, ms->table->hash_attno);
	if (ms->table->layout == PEGFDW_LAYOUT_KV)
	{
		s = pegfdw_junk_key(ms, planSlot, ms->sort_junk, ms->table->sort_attno);
		del.hash_key = h;
		del.nkeys = 1;
		del.sort_keys = &s;
		del.values = NULL;
		del.ttl = 0;
	}
	else
		pegfdw_wide_delete_row(ms, h, &del);
	pegfdw_queue_row(ms, &del);
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
	pegfdw_json_flush_updates(ms);
	pegfdw_flush_buffer(ms);
	pegfdw_apply_moves(ms);
	pegasus_write_pipe_free(ms->pipe);
	ms->pipe = NULL;
	if (ms->row_cxt)
	{
		MemoryContextDelete(ms->row_cxt);
		MemoryContextDelete(ms->batch_cxt);
		MemoryContextDelete(ms->moves_cxt);
		if (ms->doc_cxt)
			MemoryContextDelete(ms->doc_cxt);
		ms->doc_cxt = NULL;
		ms->row_cxt = NULL;
	}
	pegfdw_release_pin(ms->pin);
}
