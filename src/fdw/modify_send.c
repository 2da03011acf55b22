/*-------------------------------------------------------------------------
 *
 * modify_send.c
 *		Batching and sending of encoded rows, and the failure accounting:
 *		a failed batch names the rows written, not written and of unknown
 *		outcome, and what earlier batches of the statement wrote.
 *
 * src/fdw/modify_send.c
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
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"

/* pegasus_fdw.write_round_batches */
int			pegfdw_write_round_batches = PEGFDW_WRITE_ROUND;

/* Defines the write path's settings (from _PG_init). */
void
pegfdw_write_init(void)
{
	DefineCustomIntVariable("pegasus_fdw.write_round_batches",
							"Write batches a statement sends together.",
							"A batch is held until this many are ready, or until the next is slow to come; 1 sends each batch at once.",
							&pegfdw_write_round_batches, PEGFDW_WRITE_ROUND, 1, 16,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Batches in flight at most: two rounds, and never fewer than four. */
static int
write_window(void)
{
	return Max(PEGFDW_WRITE_WINDOW, 2 * pegfdw_write_round_batches);
}

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
					 int n, const int *later, int nlater)
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
	if (nlater > 0)
		appendStringInfo(&detail, " Of the %d rows of %d later batches in flight, %d were written, %d were not written and %d may or may not have been written.",
						 later[0] + later[1] + later[2] + later[3], nlater,
						 later[PEGASUS_GROUP_DONE],
						 later[PEGASUS_GROUP_FAILED] + later[PEGASUS_GROUP_PENDING],
						 later[PEGASUS_GROUP_UNKNOWN]);
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
void
pegfdw_finish_write_call(PegFdwModifyState *ms, bool ok, PegasusError *err,
			const PegasusStats *before)
{
	PegasusStats after;
	ErrorContextCallback cb;

	pegasus_client_get_stats(ms->client, &after);
	ms->rpcs += (int64) (after.rpcs_sent - before->rpcs_sent);
	ms->wait_us += (int64) (after.wait_us - before->wait_us);
	if (!ok)
		pegfdw_note_failure(ms->entry, err);
	cb.callback = written_before_context;
	cb.arg = ms;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	pegfdw_check_call(ok, err, ms->table->servername, ms->table->table_name);
	error_context_stack = cb.previous;
}

/* One row, at once, with the plainest operation. */
static void
write_row_now(PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	PegasusError err;
	PegasusStats before;
	bool		ok = true;
	PegFdwTable *t = ms->table;

	pegfdw_drain_writes(ms);
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
	pegfdw_finish_write_call(ms, ok, &err, &before);
	ms->rows_written++;
}

int
pegfdw_compare_rows_by_hash_key(const void *a, const void *b)
{
	const SortItem *x = a;
	const SortItem *y = b;
	int			c = pegasus_slice_compare(x->row->hash_key, y->row->hash_key);

	if (c != 0)
		return c;
	return x->index - y->index;
}

/*
 * A context for a batch's rows and groups: they live until the batch is
 * reaped.  Reaped batches' contexts are kept for reuse.
 */
MemoryContext
pegfdw_batch_context(PegFdwModifyState *ms)
{
	MemoryContext cxt;

	if (ms->spare_cxts != NIL)
	{
		cxt = linitial(ms->spare_cxts);
		ms->spare_cxts = list_delete_first(ms->spare_cxts);
		return cxt;
	}
	return AllocSetContextCreate(ms->state_cxt, "pegasus_fdw write batch",
								 ALLOCSET_DEFAULT_SIZES);
}

/* The pipe is GLib memory: freed when the query's memory goes. */
static void
free_pipe(void *arg)
{
	PegFdwModifyState *ms = (PegFdwModifyState *) arg;

	pegasus_write_pipe_free(ms->pipe);
	ms->pipe = NULL;
}

/* Adds the RPCs sent since the last look to the statement's count. */
static void
count_rpcs(PegFdwModifyState *ms, const PegasusStats *before)
{
	PegasusStats after;

	pegasus_client_get_stats(ms->client, &after);
	ms->rpcs += (int64) (after.rpcs_sent - before->rpcs_sent);
	ms->wait_us += (int64) (after.wait_us - before->wait_us);
}

/* Row outcomes of a reaped batch. */
static PegasusGroupStatus *
batch_status(PegFdwSentBatch *b)
{
	PegasusGroupStatus *status = palloc(sizeof(PegasusGroupStatus) * Max(b->n, 1));
	int			i;

	for (i = 0; i < b->n; i++)
		status[i] = b->group_of[i] < 0 ? PEGASUS_GROUP_DONE :
			b->groups[b->group_of[i]].status;
	return status;
}

/* Empties a batch context and keeps it for the next batch. */
static void
spare_context(PegFdwModifyState *ms, MemoryContext cxt)
{
	MemoryContext oldcxt;

	MemoryContextReset(cxt);
	oldcxt = MemoryContextSwitchTo(ms->state_cxt);
	ms->spare_cxts = lappend(ms->spare_cxts, cxt);
	MemoryContextSwitchTo(oldcxt);
}

static void
recycle_batch(PegFdwModifyState *ms, PegFdwSentBatch *b)
{
	spare_context(ms, b->cxt);
	pfree(b);
}

/*
 * Waits for the oldest batch in flight.  A failure stops the pipe: groups
 * not yet sent are not sent, those in flight are waited for, and the
 * failed batch is reported with what it and the later batches wrote.
 */
static void
reap_oldest(PegFdwModifyState *ms)
{
	PegFdwSentBatch *b = linitial(ms->inflight);
	PegasusError err;
	PegasusStats before;
	bool		ok;
	int			later[4] = {0, 0, 0, 0};
	int			nlater = 0;
	PegasusGroupStatus *status;

	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_write_pipe_reap(ms->pipe, &err);
	ms->inflight = list_delete_first(ms->inflight);
	ms->inflight_bytes -= b->bytes;
	if (ok)
	{
		count_rpcs(ms, &before);
		ms->rows_written += b->n;
		recycle_batch(ms, b);
		return;
	}
	pegasus_write_pipe_stop(ms->pipe);
	while (ms->inflight != NIL)
	{
		PegFdwSentBatch *lb = linitial(ms->inflight);
		PegasusError lerr;
		PegasusGroupStatus *ls;
		int			i;

		(void) pegasus_write_pipe_reap(ms->pipe, &lerr);
		ms->inflight = list_delete_first(ms->inflight);
		ms->inflight_bytes -= lb->bytes;
		ls = batch_status(lb);
		for (i = 0; i < lb->n; i++)
			later[ls[i]]++;
		nlater++;
	}
	count_rpcs(ms, &before);
	status = batch_status(b);
	report_batch_failure(ms, &err, b->rows, status, b->n, later, nlater);
}

/* Waits until every batch in flight has been written. */
void
pegfdw_drain_writes(PegFdwModifyState *ms)
{
	while (ms->inflight != NIL)
		reap_oldest(ms);
}

/*
 * Sends rows[0..n), which live in batch context cxt (the batch owns it
 * from now on), as write groups: rows of one hash key, in their order, go
 * into one group while kind and TTL stay the same and the request stays
 * within PEGFDW_MAX_WRITE_BYTES (a row larger than that goes alone, for
 * Pegasus to refuse).  The groups join the pipe, which keeps
 * write_window() batches in flight (and at most PEGFDW_BATCH_BYTES of
 * requests), sent in rounds of pegasus_fdw.write_round_batches: the caller
 * encodes the next batch while earlier ones are written.
 * Groups of one hash key are applied in order, across batches too.
 */
void
pegfdw_send_rows(PegFdwModifyState *ms, const PegFdwWriteRow *rows, int n,
				 MemoryContext cxt)
{
	SortItem   *items;
	PegasusWriteGroup *groups;
	size_t	   *group_bytes;
	int		   *group_of;		/* row index -> group */
	int			ngroups = 0;
	int			i;
	PegasusError err;
	PegasusStats before;
	PegFdwSentBatch *b;
	MemoryContext oldcxt;
	size_t		batch_bytes = 0;

	if (n == 0 || (n == 1 && ms->inflight == NIL))
	{
		if (n == 1)
			write_row_now(ms, &rows[0]);
		spare_context(ms, cxt);
		return;
	}
	oldcxt = MemoryContextSwitchTo(cxt);
	items = palloc(sizeof(SortItem) * n);
	for (i = 0; i < n; i++)
	{
		items[i].row = &rows[i];
		items[i].index = i;
	}
	qsort(items, n, sizeof(SortItem), pegfdw_compare_rows_by_hash_key);
	groups = palloc0(sizeof(PegasusWriteGroup) * n);
	group_bytes = palloc(sizeof(size_t) * n);
	group_of = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		const PegFdwWriteRow *r = items[i].row;
		PegasusWriteGroup *g = ngroups > 0 ? &groups[ngroups - 1] : NULL;
		bool		is_put = r->values != NULL;
		size_t		bytes = pegfdw_row_bytes(r);

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
		batch_bytes += bytes;
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
	b = MemoryContextAlloc(ms->state_cxt, sizeof(PegFdwSentBatch));
	b->cxt = cxt;
	b->rows = rows;
	b->n = n;
	b->bytes = batch_bytes;
	b->groups = groups;
	b->group_of = group_of;
	MemoryContextSwitchTo(oldcxt);

	if (ms->pipe == NULL)
	{
		MemoryContextCallback *cb = MemoryContextAlloc(ms->state_cxt,
													   sizeof(MemoryContextCallback));

		ms->pipe = pegasus_write_pipe_new(ms->pt, PEGFDW_WRITE_CALLS,
										  PEGFDW_BATCH_BYTES);
		pegasus_write_pipe_set_rounds(ms->pipe, pegfdw_write_round_batches,
									  PEGFDW_WRITE_ROUND_WAIT_US);
		cb->func = free_pipe;
		cb->arg = ms;
		MemoryContextRegisterResetCallback(ms->state_cxt, cb);
	}
	pegasus_client_get_stats(ms->client, &before);
	if (!pegasus_write_pipe_add(ms->pipe, groups, ngroups, ms->table->timeout_ms,
								&err))
	{
		/* an invalid group: nothing of this batch was sent */
		int			none[4] = {0, 0, 0, 0};

		pegfdw_drain_writes(ms);
		report_batch_failure(ms, &err, rows, batch_status(b), n, none, 0);
	}
	count_rpcs(ms, &before);
	oldcxt = MemoryContextSwitchTo(ms->state_cxt);
	ms->inflight = lappend(ms->inflight, b);
	ms->inflight_bytes += b->bytes;
	MemoryContextSwitchTo(oldcxt);
	while (list_length(ms->inflight) > write_window() ||
		   (ms->inflight_bytes > PEGFDW_INFLIGHT_BYTES && list_length(ms->inflight) > 1))
		reap_oldest(ms);
}

/* Sends the buffered rows; they stay in flight. */
static void
send_buffer(PegFdwModifyState *ms)
{
	MemoryContext cxt = ms->batch_cxt;
	PegFdwWriteRow *rows = ms->rows;
	int			n = ms->nrows;

	if (n == 0)
		return;
	/* the rows go with their context; the buffer gets a fresh one */
	ms->batch_cxt = pegfdw_batch_context(ms);
	ms->rows = MemoryContextAlloc(ms->batch_cxt,
								  sizeof(PegFdwWriteRow) * ms->batch_size);
	ms->nrows = 0;
	ms->batch_bytes = 0;
	pegfdw_send_rows(ms, rows, n, cxt);
}

/* Sends the buffered rows and waits until everything sent is written. */
void
pegfdw_flush_buffer(PegFdwModifyState *ms)
{
	send_buffer(ms);
	pegfdw_drain_writes(ms);
}

/* Queues a row (encoded in row_cxt) or writes it at once. */
void
pegfdw_queue_row(PegFdwModifyState *ms, const PegFdwWriteRow *r)
{
	MemoryContext oldcxt;

	if (!ms->buffered)
	{
		write_row_now(ms, r);
		return;
	}
	/* a batch held for a round goes out if rows come slowly */
	if (ms->pipe != NULL)
		pegasus_write_pipe_poke(ms->pipe);
	oldcxt = MemoryContextSwitchTo(ms->batch_cxt);
	ms->rows[ms->nrows++] = pegfdw_copy_row(r);
	MemoryContextSwitchTo(oldcxt);
	ms->batch_bytes += pegfdw_row_bytes(r);
	if (ms->nrows >= ms->batch_size || ms->batch_bytes >= PEGFDW_BATCH_BYTES)
		send_buffer(ms);
}

/*
 * One check_and_mutate without a check: the mutations of one hash key,
 * applied atomically and in order.
 */
void
pegfdw_mutate_now(PegFdwModifyState *ms, PegasusSlice h, PegasusMutation *muts,
		   int n)
{
	PegasusCheckResult result;
	PegasusError err;
	PegasusStats before;
	PegasusSlice none = {NULL, 0};
	bool		ok;

	if (n == 0)
		return;
	pegfdw_drain_writes(ms);
	memset(&result, 0, sizeof(result));
	pegasus_error_clear(&err);
	pegasus_client_get_stats(ms->client, &before);
	ok = pegasus_table_check_and_mutate(ms->pt, h, muts[0].sort_key,
										PEGASUS_CHECK_NO_CHECK, none, muts, n,
										false, ms->table->timeout_ms, &result,
										&err);
	if (ok)
		pegasus_check_result_free(&result);
	pegfdw_finish_write_call(ms, ok, &err, &before);
}
