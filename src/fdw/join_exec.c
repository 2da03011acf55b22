/*-------------------------------------------------------------------------
 *
 * join_exec.c
 *		Executor node of the batched key join (see join.h): its methods
 *		(begin, next row, rescan, end, EXPLAIN) and the rows of the
 *		batch_get path.
 *
 * The node reads a batch of outer rows (pegasus_fdw.join_batch_size rows,
 * and no more than PEGFDW_JOIN_BATCH_BYTES of them) and their distinct keys
 * (join_batch.c), reads the distinct keys with batch_get
 * (join_batch_get.c; in the wide layout the keys are every mapped column's
 * sort key of each hash key), reads the next batch of outer rows and sends
 * its batch_get calls, so that the cluster answers them meanwhile, then
 * emits the batch's rows in outer order: each outer row has at most one
 * inner row, which matches when it exists and the match conditions hold.
 * Inner join: matched rows; left: every outer row, NULLs when unmatched;
 * semi: matched outer rows once; anti: unmatched outer rows.  An outer key
 * that is NULL, empty (Pegasus holds no empty hash key) or too long matches
 * nothing, as in PostgreSQL.  When only the hash key is bound (kv layout)
 * each distinct hash key is read as a range or a sort-key list instead
 * (join_ranges.c).
 *
 * Memory: a batch's outer tuples and keys live in its batch_cxt, reset
 * when the batch is done; the batch_get replies and calls under way are
 * client memory freed at the next batch, at the end, or by a reset callback
 * on the query context when the query fails; each row's inner values live
 * in row_cxt, reset per row.  So memory is bounded by two batches (the
 * current one and the one read ahead) whatever the number of outer rows.
 * Waits for the cluster are interruptible (the client's wait hook); an
 * error while reading a batch says which batch in its context.
 *
 * src/fdw/join_exec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"

#include "join_internal.h"

static void begin_join(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_join(CustomScanState *node);
static void end_join(CustomScanState *node);
static void rescan_join(CustomScanState *node);
static void explain_join(CustomScanState *node, List *ancestors,
						 ExplainState *es);

static const CustomExecMethods exec_methods = {
	.CustomName = PEGFDW_JOIN_NAME,
	.BeginCustomScan = begin_join,
	.ExecCustomScan = exec_join,
	.EndCustomScan = end_join,
	.ReScanCustomScan = rescan_join,
	.ExplainCustomScan = explain_join,
};

Node *
pegfdw_join_create_state(CustomScan *cscan)
{
	PegFdwJoinState *js = (PegFdwJoinState *) newNode(sizeof(PegFdwJoinState), T_CustomScanState);

	js->css.methods = &exec_methods;
	return (Node *) js;
}


static void
join_reset_callback(void *arg)
{
	PegFdwJoinState *js = (PegFdwJoinState *) arg;

	pegfdw_join_free_batches(js);
	pegfdw_release_pin(js->pin);
	js->pin = NULL;
}

static void
begin_join(CustomScanState *node, EState *estate, int eflags)
{
	PegFdwJoinState *js = (PegFdwJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *priv = cscan->custom_private;
	List	   *inner_attnos = list_nth(priv, PegFdwJoinPrivateInnerAttnos);
	List	   *outer_cols = list_nth(priv, PegFdwJoinPrivateOuterCols);
	PlanState  *outer;
	MemoryContextCallback *cb;
	ListCell   *lc;
	int			i;

	js->table = pegfdw_get_table((Oid) intVal(list_nth(priv, PegFdwJoinPrivateTableOid)));
	js->jointype = (JoinType) intVal(list_nth(priv, PegFdwJoinPrivateJoinType));
	js->nkeys = intVal(list_nth(priv, PegFdwJoinPrivateNKeys));
	js->batch_rows = intVal(list_nth(priv, PegFdwJoinPrivateBatchRows));
	js->nexprs = js->nkeys + intVal(list_nth(priv, PegFdwJoinPrivateSortList));

	outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(outer);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	js->natts = list_length(inner_attnos);
	js->inner_attno = palloc0(sizeof(int) * Max(js->natts, 1));
	js->outer_col = palloc0(sizeof(int) * Max(js->natts, 1));
	js->needed = palloc0(sizeof(bool) * Max(js->table->natts, 1));
	i = 0;
	foreach(lc, inner_attnos)
	{
		js->inner_attno[i] = lfirst_int(lc);
		if (js->inner_attno[i] > 0)
			js->needed[js->inner_attno[i] - 1] = true;
		i++;
	}
	i = 0;
	foreach(lc, outer_cols)
		js->outer_col[i++] = lfirst_int(lc);

	js->hash_expr = ExecInitExpr(linitial(cscan->custom_exprs), &node->ss.ps);
	if (js->nkeys > 1)
		js->sort_expr = ExecInitExpr(lsecond(cscan->custom_exprs), &node->ss.ps);
	else if (js->nexprs > 1)
		js->list_expr = ExecInitExpr(lsecond(cscan->custom_exprs), &node->ss.ps);
	js->match_qual = ExecInitQual(list_copy_tail(cscan->custom_exprs, js->nexprs),
								  &node->ss.ps);

	if (js->table->layout == PEGFDW_LAYOUT_WIDE)
	{
		PegFdwTable *t = js->table;

		js->wide_attno = palloc(sizeof(int) * Max(t->natts, 1));
		js->wide_sort = palloc(sizeof(KeyBytes) * Max(t->natts, 1));
		for (i = 0; i < t->natts; i++)
			if (!t->columns[i].dropped && t->columns[i].role == PEGFDW_ROLE_NONE &&
				(t->value_format != PEGFDW_FORMAT_JSON ||
				 pegfdw_doc_group_leader(t, i + 1)))
			{
				/* documents: one key per sort key, read by all its columns */
				js->wide_attno[js->nwide] = i + 1;
				js->wide_sort[js->nwide].data = t->columns[i].wide_sort_key;
				js->wide_sort[js->nwide].len = strlen(t->columns[i].wide_sort_key);
				js->nwide++;
			}
	}

	js->io = pegfdw_make_type_io(js->table);
	js->inner_values = palloc0(sizeof(Datum) * Max(js->table->natts, 1));
	js->inner_nulls = palloc0(sizeof(bool) * Max(js->table->natts, 1));
	js->outer_slot = ExecInitExtraTupleSlot(estate, ExecGetResultType(outer),
											&TTSOpsMinimalTuple);
	for (i = 0; i < 2; i++)
	{
		BatchBuf   *b = &js->bufs[i];

		b->batch_cxt = AllocSetContextCreate(estate->es_query_cxt,
											 "pegasus_fdw join batch",
											 ALLOCSET_DEFAULT_SIZES);
		b->cap = 1;
		b->pending = palloc0(sizeof(PegasusBatchGet *));
		b->replies = palloc0(sizeof(PegasusKVList *));
	}
	js->batch = &js->bufs[0];
	js->query_cxt = estate->es_query_cxt;
	js->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"pegasus_fdw join rows",
										ALLOCSET_DEFAULT_SIZES);
	js->rec_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"pegasus_fdw join records",
										ALLOCSET_DEFAULT_SIZES);
	js->ranges = js->table->layout == PEGFDW_LAYOUT_KV && js->nkeys == 1;
	js->pt = pegfdw_open_table(js->table, &js->entry);
	js->pin = pegfdw_pin_until_reset(js->entry, estate->es_query_cxt);
	js->client = pegfdw_get_client(js->table->serverid, NULL);

	cb = MemoryContextAllocZero(estate->es_query_cxt, sizeof(MemoryContextCallback));
	cb->func = join_reset_callback;
	cb->arg = js;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, cb);
}


/* ExecScan access method: the next joined row in the scan slot. */
static TupleTableSlot *
next_row(ScanState *ss)
{
	PegFdwJoinState *js = (PegFdwJoinState *) ss;
	ExprContext *econtext = ss->ps.ps_ExprContext;

	MemoryContextReset(js->row_cxt);
	if (js->ranges)
	{
		for (;;)
		{
			TupleTableSlot *slot;

			if (js->batch->nrows > 0 && (slot = pegfdw_join_next_range_row(js)) != NULL)
				return slot;
			if (!pegfdw_join_next_batch(js))
				return ExecClearTuple(ss->ss_ScanTupleSlot);
		}
	}
	for (;;)

	{
		OuterRow   *row;
		TupleTableSlot *scan;
		bool		matched = false;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (js->pos >= js->batch->nrows && !pegfdw_join_next_batch(js))
			return ExecClearTuple(ss->ss_ScanTupleSlot);
		if (js->pos >= js->batch->nrows)
			continue;
		row = &js->batch->rows[js->pos++];
		ExecStoreMinimalTuple(row->tuple, js->outer_slot, false);
		scan = pegfdw_join_fill_outer(js);
		if (row->key >= 0)
		{
			old = MemoryContextSwitchTo(js->row_cxt);
			if (pegfdw_join_build_inner(js, row->key))
			{
				pegfdw_join_fill_inner(js);
				econtext->ecxt_scantuple = scan;
				matched = ExecQual(js->match_qual, econtext);
			}
			MemoryContextSwitchTo(old);
		}
		switch (js->jointype)
		{
			case JOIN_INNER:
			case JOIN_SEMI:
				if (matched)
					return scan;
				break;
			case JOIN_LEFT:
				if (!matched)
					scan = pegfdw_join_fill_outer(js);
				return scan;
			case JOIN_ANTI:
				if (!matched)
					return pegfdw_join_fill_outer(js);
				break;
			default:
				elog(ERROR, "unexpected join type %d", (int) js->jointype);
		}
	}
}

static bool
recheck_row(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
exec_join(CustomScanState *node)
{
	return ExecScan(&node->ss, next_row, recheck_row);
}

static void
end_join(CustomScanState *node)
{
	PegFdwJoinState *js = (PegFdwJoinState *) node;

	ExecEndNode(linitial(node->custom_ps));
	if (js->io)
		join_reset_callback(js);
}

static void
rescan_join(CustomScanState *node)
{
	PegFdwJoinState *js = (PegFdwJoinState *) node;
	PlanState  *outer = linitial(node->custom_ps);
	int			i;

	pegfdw_join_free_batches(js);
	for (i = 0; i < 2 && js->batch; i++)
	{
		MemoryContextReset(js->bufs[i].batch_cxt);
		js->bufs[i].nrows = js->bufs[i].ndistinct = 0;
	}
	js->list_keys = NULL;
	js->list_cap = 0;
	js->pos = 0;
	js->have_record = false;
	js->cur = js->next_reader = js->tail = 0;
	js->outer_done = false;
	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(outer, node->ss.ps.chgParam);
	if (outer->chgParam == NULL)
		ExecReScan(outer);
}

static const char *
join_type_name(JoinType jt)
{
	switch (jt)
	{
		case JOIN_INNER:
			return "Inner";
		case JOIN_LEFT:
			return "Left";
		case JOIN_SEMI:
			return "Semi";
		case JOIN_ANTI:
			return "Anti";
		default:
			return "?";
	}
}

static void
explain_join(CustomScanState *node, List *ancestors, ExplainState *es)
{
	PegFdwJoinState *js = (PegFdwJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *dpcontext;
	StringInfoData buf;
	List	   *quals;
	int			nkeys = intVal(list_nth(cscan->custom_private, PegFdwJoinPrivateNKeys));
	int			batch = intVal(list_nth(cscan->custom_private, PegFdwJoinPrivateBatchRows));
	int			nexprs = nkeys + intVal(list_nth(cscan->custom_private, PegFdwJoinPrivateSortList));

	dpcontext = set_deparse_context_plan(es->deparse_cxt, &cscan->scan.plan,
										 ancestors);
	ExplainPropertyText("Join Type", join_type_name(js->jointype), es);
	initStringInfo(&buf);
	if (nkeys > 1)
		appendStringInfo(&buf, "batch_get of (hash_key, sort_key) = (%s, %s)",
						 deparse_expression(linitial(cscan->custom_exprs), dpcontext, true, false),
						 deparse_expression(lsecond(cscan->custom_exprs), dpcontext, true, false));
	else if (nexprs > 1)
	{
		Node	   *list = lsecond(cscan->custom_exprs);

		appendStringInfo(&buf, "multi_get of hash_key = %s with ",
						 deparse_expression(linitial(cscan->custom_exprs), dpcontext, true, false));
		if (IsA(list, ArrayExpr))
			appendStringInfo(&buf, "%d sort keys (%s)",
							 list_length(((ArrayExpr *) list)->elements),
							 deparse_expression(list, dpcontext, true, false));
		else if (IsA(list, Const) && !((Const *) list)->constisnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(((Const *) list)->constvalue);

			appendStringInfo(&buf, "%d sort keys (%s)",
							 ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)),
							 deparse_expression(list, dpcontext, true, false));
		}
		else
			appendStringInfo(&buf, "the sort keys of %s",
							 deparse_expression(list, dpcontext, true, false));
		appendStringInfo(&buf, ", %d hash keys in flight", PEGFDW_JOIN_RANGES_IN_FLIGHT);
	}
	else if (js->table->layout == PEGFDW_LAYOUT_KV)
		appendStringInfo(&buf, "multi_get_range of hash_key = %s, %d hash keys in flight",
						 deparse_expression(linitial(cscan->custom_exprs), dpcontext, true, false),
						 PEGFDW_JOIN_RANGES_IN_FLIGHT);
	else
		appendStringInfo(&buf, "batch_get of hash_key = %s, every column's sort key",
						 deparse_expression(linitial(cscan->custom_exprs), dpcontext, true, false));
	appendStringInfo(&buf, ", %d keys per batch", batch);
	ExplainPropertyText("Pegasus Request", buf.data, es);
	quals = list_copy_tail(cscan->custom_exprs, nexprs);
	if (quals != NIL)
	{
		Node	   *q = (Node *) (list_length(quals) == 1 ? linitial(quals) :
								  (Node *) make_ands_explicit(quals));

		ExplainPropertyText("Join Filter",
							deparse_expression(q, dpcontext, true, false), es);
	}
	if (es->analyze && js->io)
	{
		ExplainPropertyInteger("Pegasus Batches", NULL, (int64) js->batches, es);
		ExplainPropertyInteger("Pegasus RPCs", NULL, (int64) js->rpcs, es);
		ExplainPropertyInteger("Pegasus Keys Sent", NULL, (int64) js->keys_sent, es);
		ExplainPropertyInteger("Pegasus Rows Received", NULL,
							   (int64) js->rows_received, es);
		if (es->timing)
			ExplainPropertyFloat("Pegasus Wait Time", "ms",
								 (double) js->wait_us / 1000.0, 3, es);
	}
}
