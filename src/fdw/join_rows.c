/*-------------------------------------------------------------------------
 *
 * join_rows.c
 *		What every part of the batched key join shares: the scan slot
 *		filled from the outer row and the inner row, a batch's client
 *		memory freed, and the error context naming the batch being read.
 *		It calls no other file of the join, so that the node's methods
 *		(join_exec.c), its batches (join_batch.c) and the calls
 *		(join_batch_get.c, join_ranges.c) all point here.
 *
 * src/fdw/join_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/tuptable.h"

#include "join_internal.h"

/* Frees a batch's replies and drops its calls under way. */
static void
release_batch(BatchBuf *b)
{
	int			i;

	for (i = 0; i < b->ncalls; i++)
	{
		if (b->pending[i])
			pegasus_batch_get_cancel(b->pending[i]);
		if (b->replies[i])
			pegasus_kvlist_free(b->replies[i]);
		b->pending[i] = NULL;
		b->replies[i] = NULL;
	}
	b->ncalls = 0;
}

/* Frees the current batch's replies and range readers. */
void
pegfdw_join_free_replies(PegFdwJoinState *js)
{
	int			i;

	if (js->batch)
		release_batch(js->batch);
	for (i = 0; i < PEGFDW_JOIN_RANGES_IN_FLIGHT; i++)
		if (js->readers[i])
		{
			pegasus_range_reader_close(js->readers[i]);
			js->readers[i] = NULL;
		}
	if (js->page)
	{
		pegasus_kvlist_free(js->page);
		js->page = NULL;
	}
}

/* Frees both batches' client memory; the next batch read ahead is gone. */
void
pegfdw_join_free_batches(PegFdwJoinState *js)
{
	pegfdw_join_free_replies(js);
	if (js->ahead)
		release_batch(js->ahead);
	js->ahead = NULL;
}

/* Puts the outer row in outer_slot into the scan slot, inner columns NULL. */
TupleTableSlot *
pegfdw_join_fill_outer(PegFdwJoinState *js)
{
	TupleTableSlot *scan = js->css.ss.ss_ScanTupleSlot;
	int			i;

	ExecClearTuple(scan);
	slot_getallattrs(js->outer_slot);
	for (i = 0; i < js->natts; i++)
	{
		int			col = js->outer_col[i];

		scan->tts_isnull[i] = true;
		if (col > 0)
		{
			scan->tts_values[i] = js->outer_slot->tts_values[col - 1];
			scan->tts_isnull[i] = js->outer_slot->tts_isnull[col - 1];
		}
	}
	return ExecStoreVirtualTuple(scan);
}

/* Adds the inner row's columns (inner_values/nulls) to the scan slot. */
void
pegfdw_join_fill_inner(PegFdwJoinState *js)
{
	TupleTableSlot *scan = js->css.ss.ss_ScanTupleSlot;
	int			i;

	for (i = 0; i < js->natts; i++)
	{
		int			attno = js->inner_attno[i];

		if (attno > 0)
		{
			scan->tts_values[i] = js->inner_values[attno - 1];
			scan->tts_isnull[i] = js->inner_nulls[attno - 1];
		}
	}
}

/* The error context of a batch being read: which batch, how many keys. */
void
pegfdw_join_batch_error_context(void *arg)
{
	BatchContext *bc = arg;

	errcontext("reading batch " UINT64_FORMAT " of a batched key join (%d keys) from Pegasus table \"%s\"",
			   bc->js->batches, bc->keys, bc->js->table->table_name);
}

/* Pushes the error context naming the batch being read. */
void
pegfdw_join_push_batch_context(PegFdwJoinState *js, ErrorContextCallback *errcb,
				   BatchContext *bc, int keys)
{
	bc->js = js;
	bc->keys = keys;
	errcb->callback = pegfdw_join_batch_error_context;
	errcb->arg = bc;
	errcb->previous = error_context_stack;
	error_context_stack = errcb;
}
