/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Executor side of Pegasus foreign scans: the callbacks (begin,
 *		iterate, rescan, end, EXPLAIN) that run the chosen operation and
 *		turn records into tuples (records are read by scan_fetch.c, the
 *		pushed conditions evaluated by scan_conditions.c, wide rows
 *		assembled by scan_wide.c; the state is in scan_internal.h).
 *
 * Memory: the scan state lives in the query context.  Condition values are
 * copied into param_cxt (reset at rescan); each reply (a PegasusKVList or
 * a scanner batch) belongs to the client and is freed before the next one
 * is requested; tuples are built in row_cxt, reset for every row.  So memory
 * stays flat however many rows are scanned.
 *
 * Client objects (scanners, result lists) are not palloc'd: a reset
 * callback on the query context frees them when the query ends or fails;
 * EndForeignScan frees them earlier in the normal case.  The callback makes
 * no RPC and raises no error (scanner close is fire-and-forget).
 *
 * src/fdw/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "scan_internal.h"

static void
scan_reset_callback(void *arg)
{
	PegFdwScanState *s = (PegFdwScanState *) arg;

	pegfdw_scan_release(s);
	/*
	 * An async child may stop (LIMIT, an error elsewhere) with several
	 * batches in flight: their contexts are cleared as their replies come.
	 */
	if (s->async_mode && s->client)
		(void) pegasus_client_drain_scans(s->client, PEGASUS_CLEANUP_TIMEOUT_MS);
	pegfdw_release_pin(s->pin);
}


void
pegfdw_begin_scan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	PegFdwScanState *s = palloc0(sizeof(PegFdwScanState));
	MemoryContextCallback *cb;
	List	   *priv = fsplan->fdw_private;
	int			flags;

	node->fdw_state = s;
	s->op = intVal(list_nth(priv, PegFdwScanPrivateOperation));
	s->table = pegfdw_get_table((Oid) intVal(list_nth(priv, PegFdwScanPrivateTableOid)));
	s->kinds = (List *) list_nth(priv, PegFdwScanPrivateCondKinds);
	flags = intVal(list_nth(priv, PegFdwScanPrivateFlags));
	s->reverse = (flags & PEGFDW_FLAG_REVERSE) != 0;
	s->no_value = (flags & PEGFDW_FLAG_NO_VALUE) != 0;
	s->need_ttl = (flags & PEGFDW_FLAG_NEED_TTL) != 0;
	s->limit = intVal(list_nth(priv, PegFdwScanPrivateLimit));
	s->description = strVal(list_nth(priv, PegFdwScanPrivateDescription));
	s->async_mode = node->ss.ps.async_capable;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	s->io = pegfdw_make_type_io(s->table);
	{
		ListCell   *lc;

		/* only the retrieved columns are converted; the rest stay NULL */
		s->needed = palloc0(sizeof(bool) * Max(s->table->natts, 1));
		foreach(lc, (List *) list_nth(priv, PegFdwScanPrivateRetrievedAttrs))
			s->needed[lfirst_int(lc) - 1] = true;
	}
	s->exprstates = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	s->param_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "pegasus_fdw scan parameters",
										 ALLOCSET_SMALL_SIZES);
	s->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
									   "pegasus_fdw rows",
									   ALLOCSET_DEFAULT_SIZES);
	/*
	 * A parallel worker connects once it has the leader's Kerberos
	 * credentials (pegfdw_parallel_initialize_worker), so that it need not
	 * ask the KDC for its own.
	 */
	if (!(IsParallelWorker() && node->ss.ps.plan->parallel_aware))
		pegfdw_scan_connect(node, NULL);

	cb = MemoryContextAllocZero(estate->es_query_cxt, sizeof(MemoryContextCallback));
	cb->func = scan_reset_callback;
	cb->arg = s;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, cb);
}

/*
 * Opens the scan's Pegasus table and holds its client.  handed_ccache, if
 * not empty, names the Kerberos credentials a parallel leader handed over.
 */
void
pegfdw_scan_connect(ForeignScanState *node, const char *handed_ccache)
{
	PegFdwScanState *s = node->fdw_state;

	if (handed_ccache != NULL && handed_ccache[0] != '\0')
		pegfdw_use_handed_credentials(s->table->serverid, handed_ccache);

	s->pt = pegfdw_open_table(s->table, &s->entry);
	s->pin = pegfdw_pin_until_reset(s->entry, node->ss.ps.state->es_query_cxt);
	s->client = pegfdw_get_client(s->table->serverid, NULL);
}

/* The leader's credentials for the workers of a parallel scan (parallel.c). */
bool
pegfdw_scan_export_credentials(ForeignScanState *node, char *ccache, size_t len)
{
	PegFdwScanState *s = node->fdw_state;

	return s->entry != NULL && pegfdw_export_credentials(s->entry, ccache, len);
}

TupleTableSlot *
pegfdw_iterate_scan(ForeignScanState *node)
{
	PegFdwScanState *s = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext oldcxt;
	Record		rec;
	bool		got = false;

	if (!s->started)
	{
		pegfdw_scan_evaluate_conditions(node, s);
		s->started = true;
	}
	ExecClearTuple(slot);

	/* under an async Append: return nothing rather than wait */
	if (s->async_mode && !s->force_block && !pegfdw_scan_io_ready(s))
	{
		s->would_block = true;
		return slot;
	}

	if (s->op == PEGFDW_OP_COUNT_HASH || s->op == PEGFDW_OP_COUNT_SCAN)
	{
		if (s->done)
			return slot;
		s->done = true;
		slot->tts_values[0] = Int64GetDatum(s->empty ? 0 : pegfdw_scan_run_count(s));
		slot->tts_isnull[0] = false;
		return ExecStoreVirtualTuple(slot);
	}

	if (s->empty || (s->limit >= 0 && s->returned >= s->limit))
	{
		pegfdw_scan_release(s);
		return slot;
	}

	MemoryContextReset(s->row_cxt);
	oldcxt = MemoryContextSwitchTo(s->row_cxt);
	if (s->table->layout == PEGFDW_LAYOUT_WIDE)
	{
		got = pegfdw_scan_next_wide_row(s, slot);
		MemoryContextSwitchTo(oldcxt);
		if (got)
			s->returned++;
		return slot;
	}

	switch (s->op)
	{
		case PEGFDW_OP_SCAN:
			got = !s->done && pegfdw_scan_next_record(s, &rec, NULL);
			if (!got)
				s->done = true;
			break;
		case PEGFDW_OP_POINT:
			got = pegfdw_scan_next_point_record(s, &rec);
			break;
		case PEGFDW_OP_RANGE:
			got = pegfdw_scan_next_range_record(s, &rec);
			break;
		default:
			elog(ERROR, "unexpected pegasus_fdw operation %d", (int) s->op);
	}
	if (got)
	{
		pegfdw_fill_kv_columns(s->table, s->io, s->needed, rec.hash, rec.sort,
							   rec.has_value ? &rec.value : NULL, rec.ttl,
							   slot->tts_values, slot->tts_isnull);
		ExecStoreVirtualTuple(slot);
		s->returned++;
		if (s->keep_last)
			pegfdw_scan_note_last(s, &rec);
	}
	MemoryContextSwitchTo(oldcxt);
	return slot;
}

void
pegfdw_rescan(ForeignScanState *node)
{
	PegFdwScanState *s = node->fdw_state;

	pegfdw_scan_release(s);
	s->started = false;
	s->done = false;
	s->hidx = s->sidx = 0;
	s->kvpos = 0;
	s->returned = 0;
	s->wide = NULL;
	s->flush_idx = 0;
	s->op = intVal(list_nth(((ForeignScan *) node->ss.ps.plan)->fdw_private,
							PegFdwScanPrivateOperation));
}

/*
 * Partitions a scan of the table divides it into (parallel.c shares it):
 * during a split, the parents of children not yet registered.
 */
int
pegfdw_scan_partition_count(ForeignScanState *node)
{
	PegFdwScanState *s = node->fdw_state;

	return Max(pegasus_table_scan_partition_count(s->pt), 1);
}

/*
 * Attaches the shared state of a parallel scan (parallel.c), or with NULL
 * detaches it as the shared memory goes away: the scan then ends, its
 * scanners closed, until a rescan attaches it again.
 */
void
pegfdw_scan_set_shared(ForeignScanState *node, PegFdwParallelShared *shared)
{
	PegFdwScanState *s = node->fdw_state;

	if (s == NULL || s->io == NULL)
		return;
	if (shared == NULL && s->shared != NULL)
	{
		pegfdw_scan_release(s);
		s->done = true;
	}
	s->shared = shared;
}

void
pegfdw_end_scan(ForeignScanState *node)
{
	PegFdwScanState *s = node->fdw_state;

	if (s == NULL || s->io == NULL)
		return;
	scan_reset_callback(s);
}

void
pegfdw_explain_scan(ForeignScanState *node, ExplainState *es)
{
	PegFdwScanState *s = node->fdw_state;

	if (es->verbose)
		ExplainPropertyText("Pegasus Request", s->description, es);
	if (es->analyze && s->io)
	{
		ExplainPropertyInteger("Pegasus RPCs", NULL, (int64) s->rpcs, es);
		ExplainPropertyInteger("Pegasus Rows Received", NULL, (int64) s->rows, es);
		ExplainPropertyInteger("Pegasus Bytes Received", NULL, (int64) s->bytes, es);
		if (es->timing)
			ExplainPropertyFloat("Pegasus Wait Time", "ms",
								 (double) s->wait_us / 1000.0, 3, es);
		if (s->table->value_format == PEGFDW_FORMAT_JSON)
			ExplainPropertyInteger("Pegasus Bad Documents", NULL,
								   (int64) pegfdw_doc_bad_count(s->table), es);
	}
}
