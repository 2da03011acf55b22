/*-------------------------------------------------------------------------
 *
 * modify_explain.c
 *		EXPLAIN of INSERT, UPDATE and DELETE on a foreign table: the Pegasus
 *		requests they send, the batch size and (ANALYZE) the RPCs.
 *
 * src/fdw/modify_explain.c
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
		batch = pegfdw_buffering_allowed(plan, rinfo, op, on_conflict) ?
			Max(t->batch_size, 1) : 1;
	if (op == CMD_INSERT && on_conflict)
		what = "check_and_set (value_not_exist) per row";
	else if (op == CMD_INSERT)
		what = kv ? (batch > 1 ? "set, batched as multi_set per hash key" : "set per row") :
			(batch > 1 ? "multi_set per row, batched per hash key" : "multi_set per row");
	else if (op == CMD_UPDATE && t->value_format == PEGFDW_FORMAT_JSON)
		what = kv ? "check_and_set (bytes_equal on the document read) per row, patching the updated fields" :
			"check_and_set (bytes_equal on the document read) per updated sort key, patching the updated fields";
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
		/* batches still in flight are counted once they are written */
		pegfdw_json_flush_updates(ms);
		pegfdw_drain_writes(ms);
		ExplainPropertyInteger("Pegasus Write RPCs", NULL, ms->rpcs, es);
		if (es->timing)
			ExplainPropertyFloat("Pegasus Wait Time", "ms",
								 (double) ms->wait_us / 1000.0, 3, es);
		if (op == CMD_UPDATE && t->value_format == PEGFDW_FORMAT_JSON)
			ExplainPropertyInteger("Pegasus Document Retries", NULL,
								   ms->doc_retries, es);
		if (plan->onConflictAction == ONCONFLICT_NOTHING)
			ExplainPropertyInteger("Pegasus Rows Skipped", NULL,
								   ms->rows_skipped, es);
	}
}
