/*-------------------------------------------------------------------------
 *
 * join_exec.c
 *		Executor side of the batched key join (see join.h).
 *
 * The node reads a batch of outer rows (pegasus_fdw.join_batch_size rows,
 * and no more than PEGFDW_JOIN_BATCH_BYTES of them), evaluates their key
 * expressions, sorts the keys and drops duplicates, reads the distinct keys
 * with batch_get (PEGFDW_JOIN_KEYS_PER_CALL keys a call, the calls and the
 * partitions of each call concurrently; in the wide layout the keys are
 * every mapped column's sort key of each hash key), reads the next batch
 * of outer rows and sends its batch_get calls, so that the cluster answers
 * them meanwhile, then emits the batch's rows in outer order: each outer row has at most one inner row, which matches when it
 * exists and the match conditions hold.  Inner join: matched rows; left:
 * every outer row, NULLs when unmatched; semi: matched outer rows once;
 * anti: unmatched outer rows.  An outer key that is NULL, empty (Pegasus
 * holds no empty hash key) or too long matches nothing, as in PostgreSQL.
 *
 * When only the hash key is bound (kv layout), each distinct hash key of the
 * batch is read as a sort-key range (multi_get_range pages of fetch_size,
 * PEGFDW_JOIN_RANGES_IN_FLIGHT hash keys requested at once, each reader
 * asking for its next page as soon as one arrives); every record is joined
 * to the batch's outer rows of its hash key as it arrives, and the outer
 * rows left unmatched (left, anti) follow once the batch's ranges are read.
 * With a sort_key = ANY (array) condition the read of a hash key is instead
 * one multi_get of the sort keys its outer rows' arrays hold (their union,
 * sorted and distinct; none: no request), with the same hash keys in
 * flight; the condition is still checked for each outer row.
 *
 * Memory: a batch's outer tuples and keys live in its batch_cxt, reset
 * when the batch is done; the batch_get replies and calls under way are
 * client memory freed at the next batch, at the end, or by a reset callback
 * on the query context when the query fails; each row's inner values live
 * in row_cxt, reset per row.  So memory is bounded by two batches (the
 * current one and the one read ahead) whatever the number of outer rows.  Waits
 * for the cluster are interruptible (the client's wait hook); an error
 * while reading a batch says which batch in its context.
 *
 * src/fdw/join_exec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"

#include "pegasus_fdw.h"
#include "join.h"

typedef struct KeyBytes
{
	char	   *data;
	size_t		len;
} KeyBytes;

/* One outer row of the batch. */
typedef struct OuterRow
{
	MinimalTuple tuple;
	int			key;			/* distinct key index, -1 = matches nothing */
} OuterRow;

/* A key of the batch before de-duplication. */
typedef struct KeyRef
{
	KeyBytes	hash;
	KeyBytes	sort;
	int			row;
	KeyBytes   *list;			/* sort-key list of the row */
	int			nlist;
} KeyRef;

/*
 * A batch: its outer rows and distinct keys in cxt (reset per batch), its
 * batch_get calls, under way (pending) or answered (replies; client memory),
 * the arrays of both in the query context so that the reset callback can
 * still read them.
 */
typedef struct BatchBuf
{
	MemoryContext batch_cxt;
	OuterRow   *rows;
	int			nrows;
	KeyRef	   *keys;			/* distinct keys, sorted */
	int			ndistinct;
	PegasusBatchGet **pending;	/* per call */
	PegasusKVList **replies;	/* per call */
	int			ncalls;
	int			cap;			/* entries of pending and replies */
} BatchBuf;

typedef struct PegFdwJoinState
{
	CustomScanState css;

	/* the plan */
	PegFdwTable *table;
	JoinType	jointype;
	int			nkeys;
	int			batch_rows;
	int			natts;			/* entries of custom_scan_tlist */
	int		   *inner_attno;	/* per entry: inner attnum or 0 */
	int		   *outer_col;		/* per entry: outer resno or 0 */
	bool	   *needed;			/* per inner attnum - 1 */
	ExprState  *hash_expr;
	ExprState  *sort_expr;		/* kv layout */
	ExprState  *list_expr;		/* kv layout: sort-key array */
	int			nexprs;			/* key expressions in custom_exprs */
	ExprState  *match_qual;
	int			nwide;			/* wide layout: mapped columns */
	int		   *wide_attno;
	KeyBytes   *wide_sort;

	/* execution */
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;
	PegasusTable *pt;
	PegFdwPin  *pin;
	MemoryContext query_cxt;
	MemoryContext row_cxt;
	TupleTableSlot *outer_slot; /* a stored outer row */
	Datum	   *inner_values;
	bool	   *inner_nulls;

	/* the current batch, and the next one read ahead (batch_get path) */
	BatchBuf	bufs[2];
	BatchBuf   *batch;			/* the current batch */
	BatchBuf   *ahead;			/* the next one, or NULL */
	int			pos;
	bool		outer_done;

	/* ranges (kv layout, hash key only) */
	bool		ranges;
	int		   *group;			/* per distinct key: first index in sorted */
	KeyRef	   *sorted;			/* the batch's keys sorted, duplicates kept */
	int			nsorted;
	bool	   *matched;		/* per outer row of the batch */
	PegasusRangeReader *readers[PEGFDW_JOIN_RANGES_IN_FLIGHT];
	int			next_reader;	/* distinct key of the next reader to open */
	int			cur;			/* distinct key being read */
	PegasusKVList *page;
	size_t		page_pos;		/* next record of the page */
	bool		have_record;	/* inner_values hold the current record */
	int			gpos;			/* next outer row of the record's group */
	int			tail;			/* unmatched outer rows: next row */
	MemoryContext rec_cxt;
	PegasusSlice *list_keys;	/* a hash key's sort keys to ask for */
	int			list_cap;

	/* counters for EXPLAIN ANALYZE */
	uint64		batches;
	uint64		rpcs;
	uint64		keys_sent;
	uint64		rows_received;
	int64		outer_rows;
} PegFdwJoinState;

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
static void
free_replies(PegFdwJoinState *js)
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
static void
free_batches(PegFdwJoinState *js)
{
	free_replies(js);
	if (js->ahead)
		release_batch(js->ahead);
	js->ahead = NULL;
}

static void
join_reset_callback(void *arg)
{
	PegFdwJoinState *js = (PegFdwJoinState *) arg;

	free_batches(js);
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

static int
keyref_cmp(const void *a, const void *b)
{
	const KeyRef *x = a;
	const KeyRef *y = b;
	PegasusSlice xs = {x->hash.data, x->hash.len};
	PegasusSlice ys = {y->hash.data, y->hash.len};
	int			c = pegasus_slice_compare(xs, ys);

	if (c != 0)
		return c;
	xs.data = x->sort.data;
	xs.len = x->sort.len;
	ys.data = y->sort.data;
	ys.len = y->sort.len;
	return pegasus_slice_compare(xs, ys);
}

/* The bytes of a key value (text, varchar or bytea), copied. */
static bool
eval_key(ExprState *es, ExprContext *econtext, KeyBytes *out)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(es, econtext, &isnull);
	struct varlena *v;

	if (isnull)
		return false;
	v = PG_DETOAST_DATUM_PACKED(d);
	out->len = VARSIZE_ANY_EXHDR(v);
	out->data = palloc(out->len + 1);
	memcpy(out->data, VARDATA_ANY(v), out->len);
	out->data[out->len] = '\0';
	return true;
}

/* The non-NULL elements of a sort-key array (text, varchar or bytea). */
static int
eval_key_list(ExprState *es, ExprContext *econtext, KeyBytes **out)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(es, econtext, &isnull);
	ArrayType  *arr;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			n = 0;
	int			i;

	*out = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(d);
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign,
					  &elems, &nulls, &nelems);
	*out = palloc(sizeof(KeyBytes) * Max(nelems, 1));
	for (i = 0; i < nelems; i++)
	{
		struct varlena *v;

		if (nulls[i])
			continue;
		v = PG_DETOAST_DATUM_PACKED(elems[i]);
		(*out)[n].len = VARSIZE_ANY_EXHDR(v);
		(*out)[n].data = palloc((*out)[n].len + 1);
		memcpy((*out)[n].data, VARDATA_ANY(v), (*out)[n].len);
		(*out)[n].data[(*out)[n].len] = '\0';
		n++;
	}
	return n;
}

/* Puts the outer row in outer_slot into the scan slot, inner columns NULL. */
static TupleTableSlot *
fill_outer(PegFdwJoinState *js)
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
static void
fill_inner(PegFdwJoinState *js)
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

typedef struct BatchContext
{
	PegFdwJoinState *js;
	int			keys;
} BatchContext;

static void
batch_error_context(void *arg)
{
	BatchContext *bc = arg;

	errcontext("reading batch " UINT64_FORMAT " of a batched key join (%d keys) from Pegasus table \"%s\"",
			   bc->js->batches, bc->keys, bc->js->table->table_name);
}

/* Pushes the error context naming the batch being read. */
static void
push_batch_context(PegFdwJoinState *js, ErrorContextCallback *errcb,
				   BatchContext *bc, int keys)
{
	bc->js = js;
	bc->keys = keys;
	errcb->callback = batch_error_context;
	errcb->arg = bc;
	errcb->previous = error_context_stack;
	error_context_stack = errcb;
}

static int
batch_keys(PegFdwJoinState *js, BatchBuf *b)
{
	return b->ndistinct * (js->table->layout == PEGFDW_LAYOUT_WIDE ? js->nwide : 1);
}

/*
 * Sends batch b's distinct keys with batch_get, PEGFDW_JOIN_KEYS_PER_CALL
 * keys a call, every call under way at once.
 */
static void
start_batch(PegFdwJoinState *js, BatchBuf *b)
{
	int			per_key = js->table->layout == PEGFDW_LAYOUT_WIDE ? js->nwide : 1;
	int			total = batch_keys(js, b);
	int			ncalls = (total + PEGFDW_JOIN_KEYS_PER_CALL - 1) / PEGFDW_JOIN_KEYS_PER_CALL;
	PegasusCompositeKey *ck;
	ErrorContextCallback errcb;
	BatchContext bc;
	int			c;
	int			i;

	if (ncalls > b->cap)
	{
		/* in the query context: the reset callback reads them */
		b->pending = repalloc(b->pending, sizeof(PegasusBatchGet *) * ncalls);
		b->replies = repalloc(b->replies, sizeof(PegasusKVList *) * ncalls);
		b->cap = ncalls;
	}
	for (c = 0; c < ncalls; c++)
	{
		b->pending[c] = NULL;
		b->replies[c] = NULL;
	}
	b->ncalls = ncalls;
	/* the calls read the keys until they are answered */
	ck = MemoryContextAlloc(b->batch_cxt, sizeof(PegasusCompositeKey) * Max(total, 1));
	for (i = 0; i < total; i++)
	{
		KeyRef	   *k = &b->keys[i / per_key];
		KeyBytes   *sort = js->table->layout == PEGFDW_LAYOUT_WIDE ?
		&js->wide_sort[i % per_key] : &k->sort;

		ck[i].hash_key.data = k->hash.data;
		ck[i].hash_key.len = k->hash.len;
		ck[i].sort_key.data = sort->data;
		ck[i].sort_key.len = sort->len;
	}
	push_batch_context(js, &errcb, &bc, total);
	for (c = 0; c < ncalls; c++)
	{
		int			first = c * PEGFDW_JOIN_KEYS_PER_CALL;
		int			n = Min(PEGFDW_JOIN_KEYS_PER_CALL, total - first);
		PegasusStats before;
		PegasusStats after;
		PegasusError err;

		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		b->pending[c] = pegasus_table_batch_get_start(js->pt, ck + first, n,
													  js->table->timeout_ms, &err);
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		js->keys_sent += n;
		if (b->pending[c] == NULL)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(b->pending[c] != NULL, &err, js->table->servername,
						  js->table->table_name);
	}
	error_context_stack = errcb.previous;
}

/* Waits for the answers of batch b's calls. */
static void
finish_batch(PegFdwJoinState *js, BatchBuf *b)
{
	ErrorContextCallback errcb;
	BatchContext bc;
	int			c;

	push_batch_context(js, &errcb, &bc, batch_keys(js, b));
	for (c = 0; c < b->ncalls; c++)
	{
		PegasusBatchGet *bg = b->pending[c];
		PegasusStats before;
		PegasusStats after;
		PegasusError err;
		bool		ok;

		b->pending[c] = NULL;	/* finish releases it, whatever happens */
		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		ok = pegasus_batch_get_finish(bg, &b->replies[c], &err);
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		js->rows_received += after.rows_received - before.rows_received;
		if (!ok)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(ok, &err, js->table->servername, js->table->table_name);
	}
	error_context_stack = errcb.previous;
}

/*
 * Reads a batch of outer rows into b with their distinct keys (every key,
 * grouped, for ranges).  Returns false when the outer side had no more rows.
 */
static bool
read_batch(PegFdwJoinState *js, BatchBuf *b)
{
	PlanState  *outer = linitial(js->css.custom_ps);
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	MemoryContext old;
	Size		bytes = 0;
	int			nkeys = 0;
	int			i;

	b->nrows = b->ndistinct = 0;
	if (js->outer_done)
		return false;
	old = MemoryContextSwitchTo(b->batch_cxt);
	b->rows = palloc(sizeof(OuterRow) * js->batch_rows);
	b->keys = palloc(sizeof(KeyRef) * js->batch_rows);
	while (b->nrows < js->batch_rows && bytes < PEGFDW_JOIN_BATCH_BYTES)
	{
		TupleTableSlot *slot;
		OuterRow   *row;
		KeyRef	   *k = &b->keys[nkeys];
		bool		ok;

		MemoryContextSwitchTo(old);
		slot = ExecProcNode(outer);
		MemoryContextSwitchTo(b->batch_cxt);
		if (TupIsNull(slot))
		{
			js->outer_done = true;
			break;
		}
		row = &b->rows[b->nrows];
		row->tuple = ExecCopySlotMinimalTuple(slot);
		row->key = -1;
		bytes += row->tuple->t_len;
		ExecStoreMinimalTuple(row->tuple, js->outer_slot, false);
		econtext->ecxt_scantuple = fill_outer(js);
		ok = eval_key(js->hash_expr, econtext, &k->hash) &&
			k->hash.len > 0 && k->hash.len < PEGASUS_MAX_HASH_KEY_LEN;
		if (ok && js->sort_expr)
			ok = eval_key(js->sort_expr, econtext, &k->sort);
		else
			k->sort.data = NULL, k->sort.len = 0;
		k->nlist = 0;
		if (ok && js->list_expr)
		{
			int			j;

			k->nlist = eval_key_list(js->list_expr, econtext, &k->list);
			for (j = 0; j < k->nlist; j++)
				bytes += k->list[j].len;
		}
		if (ok)
		{
			k->row = b->nrows;
			bytes += k->hash.len + k->sort.len;
			nkeys++;
		}
		b->nrows++;
		js->outer_rows++;
	}
	MemoryContextSwitchTo(old);
	if (b->nrows == 0)
		return false;

	/* distinct keys, each outer row pointing at its own */
	qsort(b->keys, nkeys, sizeof(KeyRef), keyref_cmp);
	if (js->ranges)
	{
		/* keep every key: the outer rows of a hash key are a group of them */
		js->sorted = b->keys;
		js->nsorted = nkeys;
		b->keys = MemoryContextAlloc(b->batch_cxt, sizeof(KeyRef) * Max(nkeys, 1));
		js->group = MemoryContextAlloc(b->batch_cxt, sizeof(int) * (nkeys + 1));
		js->matched = MemoryContextAllocZero(b->batch_cxt, sizeof(bool) * b->nrows);
	}
	for (i = 0; i < nkeys; i++)
	{
		KeyRef	   *k = js->ranges ? &js->sorted[i] : &b->keys[i];

		if (b->ndistinct == 0 || keyref_cmp(&b->keys[b->ndistinct - 1], k) != 0)
		{
			if (js->ranges)
				js->group[b->ndistinct] = i;
			b->keys[b->ndistinct++] = *k;
		}
		b->rows[k->row].key = b->ndistinct - 1;
	}
	js->batches++;
	if (js->ranges)
		js->group[b->ndistinct] = nkeys;
	return true;
}

/*
 * Moves to the next batch of outer rows with their inner rows read.
 * Returns false when the outer side has no more rows.  On the batch_get
 * path the batch after it is read and sent before its rows are emitted,
 * so that the cluster answers while they are: two batches at most.
 */
static bool
next_batch(PegFdwJoinState *js)
{
	BatchBuf   *done = js->batch;

	free_replies(js);
	MemoryContextReset(done->batch_cxt);
	done->nrows = done->ndistinct = 0;
	js->list_keys = NULL;
	js->list_cap = 0;
	js->pos = 0;
	if (js->ahead)
	{
		js->batch = js->ahead;
		js->ahead = NULL;
	}
	else
	{
		if (!read_batch(js, js->batch))
			return false;
		if (js->ranges)
		{
			js->next_reader = js->cur = js->tail = 0;
			js->have_record = false;
			js->page_pos = 0;
			return true;
		}
		start_batch(js, js->batch);
	}
	finish_batch(js, js->batch);
	if (!js->outer_done)
	{
		BatchBuf   *next = js->batch == &js->bufs[0] ? &js->bufs[1] : &js->bufs[0];

		if (read_batch(js, next))
		{
			js->ahead = next;
			start_batch(js, next);
		}
	}
	return true;
}

/* The reply to key k's entry j (0 for the kv layout). */
static PegasusKV *
reply_of(PegFdwJoinState *js, int k, int j)
{
	int			per_key = js->table->layout == PEGFDW_LAYOUT_WIDE ? js->nwide : 1;
	int			idx = k * per_key + j;

	return &js->batch->replies[idx / PEGFDW_JOIN_KEYS_PER_CALL]->items[idx % PEGFDW_JOIN_KEYS_PER_CALL];
}

/* Builds the inner row of distinct key k; false when it does not exist. */
static bool
build_inner(PegFdwJoinState *js, int k)
{
	PegFdwTable *t = js->table;
	int			i;

	if (t->layout == PEGFDW_LAYOUT_KV)
	{
		PegasusKV  *kv = reply_of(js, k, 0);

		if (!kv->found)
			return false;
		pegfdw_fill_kv_columns(t, js->io, js->needed, kv->hash_key, kv->sort_key,
							   &kv->value, -1, js->inner_values, js->inner_nulls);
		return true;
	}
	else
	{
		bool		any = false;

		for (i = 0; i < t->natts; i++)
			js->inner_nulls[i] = true;
		for (i = 0; i < js->nwide; i++)
		{
			PegasusKV  *kv = reply_of(js, k, i);
			int			attno = js->wide_attno[i];

			if (!kv->found)
				continue;
			any = true;
			if (t->value_format == PEGFDW_FORMAT_JSON)
			{
				PegasusSlice h = {js->batch->keys[k].hash.data,
				js->batch->keys[k].hash.len};

				pegfdw_doc_fill_wide(t, js->needed, h,
									 t->columns[attno - 1].wide_sort_key, kv->value,
									 js->inner_values, js->inner_nulls);
			}
			else if (js->needed[attno - 1])
			{
				js->inner_values[attno - 1] =
					pegfdw_bytes_to_datum(t, js->io, &t->columns[attno - 1],
										  kv->value.data, kv->value.len);
				js->inner_nulls[attno - 1] = false;
			}
		}
		if (any && js->needed[t->hash_attno - 1])
		{
			js->inner_values[t->hash_attno - 1] =
				pegfdw_bytes_to_datum(t, js->io, &t->columns[t->hash_attno - 1],
									  js->batch->keys[k].hash.data, js->batch->keys[k].hash.len);
			js->inner_nulls[t->hash_attno - 1] = false;
		}
		return any;
	}
}

static int
slice_cmp(const void *a, const void *b)
{
	return pegasus_slice_compare(*(const PegasusSlice *) a,
								 *(const PegasusSlice *) b);
}

/*
 * The sort keys the outer rows of distinct key k ask for, sorted and
 * distinct, into list_keys (batch memory; slices into the rows' lists).
 */
static int
group_sort_keys(PegFdwJoinState *js, int k)
{
	int			total = 0;
	int			n = 0;
	int			g;
	int			i;

	for (g = js->group[k]; g < js->group[k + 1]; g++)
		total += js->sorted[g].nlist;
	if (total > js->list_cap)
	{
		js->list_keys = MemoryContextAlloc(js->batch->batch_cxt,
										   sizeof(PegasusSlice) * total);
		js->list_cap = total;
	}
	for (g = js->group[k]; g < js->group[k + 1]; g++)
		for (i = 0; i < js->sorted[g].nlist; i++)
		{
			js->list_keys[n].data = js->sorted[g].list[i].data;
			js->list_keys[n].len = js->sorted[g].list[i].len;
			n++;
		}
	if (n == 0)
		return 0;
	qsort(js->list_keys, n, sizeof(PegasusSlice), slice_cmp);
	total = 1;
	for (i = 1; i < n; i++)
		if (slice_cmp(&js->list_keys[total - 1], &js->list_keys[i]) != 0)
			js->list_keys[total++] = js->list_keys[i];
	return total;
}

/* Opens range readers up to PEGFDW_JOIN_RANGES_IN_FLIGHT ahead of cur. */
static void
open_readers(PegFdwJoinState *js)
{
	while (js->next_reader < js->batch->ndistinct &&
		   js->next_reader < js->cur + PEGFDW_JOIN_RANGES_IN_FLIGHT)
	{
		KeyRef	   *k = &js->batch->keys[js->next_reader];
		PegasusMultiGetOptions opts;
		PegasusSlice hash = {k->hash.data, k->hash.len};
		PegasusSlice none = {NULL, 0};
		PegasusStats before;
		PegasusStats after;
		PegasusError err;
		PegasusRangeReader *r;
		bool		no_value = !pegfdw_value_needed(js->table, js->needed);

		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		if (js->list_expr)
		{
			int			n;

			r = NULL;
			n = group_sort_keys(js, js->next_reader);
			pegasus_multi_get_options_init(&opts);
			opts.no_value = no_value;
			if (n > 0)
				r = pegasus_table_keys_reader(js->pt, hash, js->list_keys, n,
											  &opts, js->table->timeout_ms,
											  &err);
			js->keys_sent += n;
			if (n == 0)
			{
				/* no sort key asked for: the hash key has no record to read */
				js->readers[js->next_reader % PEGFDW_JOIN_RANGES_IN_FLIGHT] = NULL;
				js->next_reader++;
				continue;
			}
		}
		else
		{
			pegasus_multi_get_options_init(&opts);
			opts.start_inclusive = true;
			opts.stop_inclusive = false;
			opts.max_fetch_count = js->table->fetch_size;
			opts.no_value = no_value;
			r = pegasus_table_range_reader(js->pt, hash, none, none, &opts, 0,
										   js->table->timeout_ms, &err);
			js->keys_sent++;
		}
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		if (r == NULL)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(r != NULL, &err, js->table->servername,
						  js->table->table_name);
		js->readers[js->next_reader % PEGFDW_JOIN_RANGES_IN_FLIGHT] = r;
		js->next_reader++;
	}
}

/*
 * Ranges: moves to the next record of the batch's hash keys, converting it
 * into inner_values.  Returns false when every range of the batch is read.
 */
static bool
next_range_record(PegFdwJoinState *js)
{
	for (;;)
	{
		PegasusRangeReader **reader;
		PegasusStats before;
		PegasusStats after;
		PegasusError err;
		int			r;

		if (js->page && js->page_pos < js->page->count)
		{
			PegasusKV  *kv = &js->page->items[js->page_pos++];
			KeyRef	   *k = &js->batch->keys[js->cur];
			PegasusSlice hash = {k->hash.data, k->hash.len};
			MemoryContext old;

			MemoryContextReset(js->rec_cxt);
			old = MemoryContextSwitchTo(js->rec_cxt);
			pegfdw_fill_kv_columns(js->table, js->io, js->needed, hash,
								   kv->sort_key, &kv->value, -1,
								   js->inner_values, js->inner_nulls);
			MemoryContextSwitchTo(old);
			js->gpos = js->group[js->cur];
			return true;
		}
		if (js->page)
		{
			pegasus_kvlist_free(js->page);
			js->page = NULL;
		}
		if (js->cur >= js->batch->ndistinct)
			return false;
		open_readers(js);
		reader = &js->readers[js->cur % PEGFDW_JOIN_RANGES_IN_FLIGHT];
		if (*reader == NULL)
		{
			/* a hash key without sort keys to ask for */
			js->cur++;
			continue;
		}
		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		r = pegasus_range_reader_next(*reader, &js->page, &err);
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		js->rows_received += after.rows_received - before.rows_received;
		if (r < 0)
		{
			js->page = NULL;
			pegfdw_note_failure(js->entry, &err);
			pegfdw_check_call(false, &err, js->table->servername,
							  js->table->table_name);
		}
		js->page_pos = 0;
		if (r == 0)
		{
			pegasus_range_reader_close(*reader);
			*reader = NULL;
			js->page = NULL;
			js->cur++;
		}
	}
}

/*
 * Ranges: the next joined row of the batch.  Each record is joined to the
 * outer rows of its hash key; then the outer rows without a match follow
 * (left, anti).  Returns NULL at the end of the batch.
 */
static TupleTableSlot *
next_range_row(PegFdwJoinState *js)
{
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (js->have_record && js->gpos < js->group[js->cur + 1])
		{
			int			row = js->sorted[js->gpos++].row;
			bool		was_matched = js->matched[row];
			TupleTableSlot *scan;

			ExecStoreMinimalTuple(js->batch->rows[row].tuple, js->outer_slot, false);
			scan = fill_outer(js);
			fill_inner(js);
			econtext->ecxt_scantuple = scan;
			MemoryContextReset(js->row_cxt);
			{
				MemoryContext old = MemoryContextSwitchTo(js->row_cxt);
				bool		ok = ExecQual(js->match_qual, econtext);

				MemoryContextSwitchTo(old);
				if (!ok)
					continue;
			}
			js->matched[row] = true;
			if (js->jointype == JOIN_INNER || js->jointype == JOIN_LEFT ||
				(js->jointype == JOIN_SEMI && !was_matched))
				return scan;
			continue;
		}
		if (js->cur < js->batch->ndistinct)
		{
			ErrorContextCallback errcb;
			BatchContext bc;

			bc.js = js;
			bc.keys = js->batch->ndistinct;
			errcb.callback = batch_error_context;
			errcb.arg = &bc;
			errcb.previous = error_context_stack;
			error_context_stack = &errcb;
			js->have_record = next_range_record(js);
			error_context_stack = errcb.previous;
			if (js->have_record)
				continue;
		}
		js->have_record = false;
		/* the batch's ranges are read: the outer rows without a match */
		while (js->tail < js->batch->nrows)
		{
			int			row = js->tail++;

			if (js->matched[row] ||
				(js->jointype != JOIN_LEFT && js->jointype != JOIN_ANTI))
				continue;
			ExecStoreMinimalTuple(js->batch->rows[row].tuple, js->outer_slot, false);
			return fill_outer(js);
		}
		return NULL;
	}
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

			if (js->batch->nrows > 0 && (slot = next_range_row(js)) != NULL)
				return slot;
			if (!next_batch(js))
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
		if (js->pos >= js->batch->nrows && !next_batch(js))
			return ExecClearTuple(ss->ss_ScanTupleSlot);
		if (js->pos >= js->batch->nrows)
			continue;
		row = &js->batch->rows[js->pos++];
		ExecStoreMinimalTuple(row->tuple, js->outer_slot, false);
		scan = fill_outer(js);
		if (row->key >= 0)
		{
			old = MemoryContextSwitchTo(js->row_cxt);
			if (build_inner(js, row->key))
			{
				fill_inner(js);
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
					scan = fill_outer(js);
				return scan;
			case JOIN_ANTI:
				if (!matched)
					return fill_outer(js);
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

	free_batches(js);
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
	}
}
