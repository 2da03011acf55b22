/*-------------------------------------------------------------------------
 *
 * join_batch_get.c
 *		The batched key join's batch_get calls: a batch's distinct keys
 *		sent PEGFDW_JOIN_KEYS_PER_CALL keys a call, every call (and every
 *		partition of each call) under way at once, their answers awaited,
 *		and the inner row of a distinct key built from them.
 *
 * src/fdw/join_batch_get.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "join_internal.h"

static int
batch_keys(PegFdwJoinState *js, BatchBuf *b)
{
	return b->ndistinct * (js->table->layout == PEGFDW_LAYOUT_WIDE ? js->nwide : 1);
}

/*
 * Sends batch b's distinct keys with batch_get, PEGFDW_JOIN_KEYS_PER_CALL
 * keys a call, every call under way at once.
 */
void
pegfdw_join_start_batch(PegFdwJoinState *js, BatchBuf *b)
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
	pegfdw_join_push_batch_context(js, &errcb, &bc, total);
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
		js->wait_us += after.wait_us - before.wait_us;
		js->keys_sent += n;
		if (b->pending[c] == NULL)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(b->pending[c] != NULL, &err, js->table->servername,
						  js->table->table_name);
	}
	error_context_stack = errcb.previous;
}

/* Waits for the answers of batch b's calls. */
void
pegfdw_join_finish_batch(PegFdwJoinState *js, BatchBuf *b)
{
	ErrorContextCallback errcb;
	BatchContext bc;
	int			c;

	pegfdw_join_push_batch_context(js, &errcb, &bc, batch_keys(js, b));
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
		js->wait_us += after.wait_us - before.wait_us;
		js->rows_received += after.rows_received - before.rows_received;
		if (!ok)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(ok, &err, js->table->servername, js->table->table_name);
	}
	error_context_stack = errcb.previous;
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
bool
pegfdw_join_build_inner(PegFdwJoinState *js, int k)
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
