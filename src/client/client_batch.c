/*-------------------------------------------------------------------------
 *
 * client_batch.c
 *		batch_get: reads of keys across partitions, one call per partition,
 *		all in flight together.
 *
 * The bulk writes (one multi_set / multi_del per hash key) are the write
 * pipe's (client_write_pipe.c).
 *
 * src/client/client_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "client_internal.h"

/* ----------------------------------------------------------------------
 * batch_get
 * ---------------------------------------------------------------------- */

typedef struct BatchPart
{
	PegasusCall call;
	GArray	   *key_index;		/* size_t: positions in the caller's keys */
	PegasusFullKey *keys;
} BatchPart;

static void
batch_parts_free(GPtrArray *parts)
{
	guint		p;

	for (p = 0; p < parts->len; p++)
	{
		BatchPart  *bp = g_ptr_array_index(parts, p);

		pegasus_call_cleanup(&bp->call);
		g_array_free(bp->key_index, TRUE);
		g_free(bp->keys);
		g_free(bp);
	}
	g_ptr_array_free(parts, TRUE);
}

/*
 * One batch_get call per partition serving the keys at positions todo,
 * grouped under the effective partition count (a child not yet registered
 * is its parent's), each sent as a grouped call (route_count).  A parent
 * serves both its own keys (under the current count) and those of a child
 * not yet registered (under half of it): its call names the smaller count,
 * so that once that child registers the parent turns the call away and the
 * keys are regrouped, instead of the parent reading the child's keys from
 * its stale copy.
 */
static GPtrArray *
batch_group(PegasusTable *table, const PegasusCompositeKey *keys, GArray *todo,
			int64_t deadline)
{
	GHashTable *by_part = g_hash_table_new(g_direct_hash, g_direct_equal);
	GPtrArray  *parts = g_ptr_array_new();
	guint		t,
				p;

	for (t = 0; t < todo->len; t++)
	{
		size_t		i = g_array_index(todo, size_t, t);
		PegasusSlice hk = keys[i].hash_key;
		int			count;
		int			pidx = pegasus_table_effective_partition(table,
															 pegasus_codec_hash_key_partition_hash(hk.data, hk.len),
															 &count);
		BatchPart  *bp = g_hash_table_lookup(by_part, GINT_TO_POINTER(pidx + 1));

		if (bp == NULL)
		{
			bp = g_new0(BatchPart, 1);
			bp->key_index = g_array_new(FALSE, FALSE, sizeof(size_t));
			pegasus_call_init(&bp->call, table, PEGASUS_RPC_BATCH_GET, "batch_get",
							  true, 0, deadline);
			bp->call.fixed_partition = pidx;
			bp->call.route_count = count;
			g_hash_table_insert(by_part, GINT_TO_POINTER(pidx + 1), bp);
			g_ptr_array_add(parts, bp);
		}
		else if (count < bp->call.route_count)
			bp->call.route_count = count;
		g_array_append_val(bp->key_index, i);
	}
	g_hash_table_destroy(by_part);
	for (p = 0; p < parts->len; p++)
	{
		BatchPart  *bp = g_ptr_array_index(parts, p);
		guint		j;

		bp->keys = g_new0(PegasusFullKey, bp->key_index->len);
		for (j = 0; j < bp->key_index->len; j++)
		{
			size_t		ki = g_array_index(bp->key_index, size_t, j);

			bp->keys[j].hash_key = pegasus_blob_of(keys[ki].hash_key);
			bp->keys[j].sort_key = pegasus_blob_of(keys[ki].sort_key);
		}
		bp->call.req.u.batch_get.keys = bp->keys;
		bp->call.req.u.batch_get.n_keys = bp->key_index->len;
	}
	return parts;
}

/* Stores the answer of one finished part in list; false with err on error */
static bool
batch_take(PegasusTable *table, const PegasusCompositeKey *keys, BatchPart *bp,
		   PegasusKVList *list, GPtrArray *owner, PegasusError *err)
{
	PegasusBatchGetResponse *r = &bp->call.reply->resp.u.batch_get;
	guint32		d = 0;
	guint		j;

	if (r->error != 0 && r->error != 7)
	{
		pegasus_error_set_where(err, bp->call.endpoint, table->app_id,
								bp->call.partition_index);
		pegasus_error_set_storage(err, "batch_get", r->error);
		return false;
	}
	/* the reply keeps request order and omits absent keys */
	for (j = 0; j < bp->key_index->len; j++)
	{
		size_t		ki = g_array_index(bp->key_index, size_t, j);
		PegasusKV  *kv = &list->items[ki];

		if (d < r->n_data &&
			pegasus_codec_blob_equal(r->data[d].hash_key, bp->keys[j].hash_key) &&
			pegasus_codec_blob_equal(r->data[d].sort_key, bp->keys[j].sort_key))
		{
			kv->hash_key = pegasus_slice_of(r->data[d].hash_key);
			kv->sort_key = pegasus_slice_of(r->data[d].sort_key);
			kv->value = pegasus_slice_of(r->data[d].value);
			kv->found = true;
			d++;
		}
		else
		{
			kv->hash_key = pegasus_owner_copy(owner, keys[ki].hash_key);
			kv->sort_key = pegasus_owner_copy(owner, keys[ki].sort_key);
			kv->found = false;
		}
	}
	table->client->stats.rows_received += r->n_data;
	g_ptr_array_add(owner, pegasus_call_take_reply(&bp->call));
	return true;
}

/*
 * A batch_get under way: the keys are grouped per partition and every group
 * is one batch_get, all in flight together.  A group whose partition has
 * split meanwhile (ERR_PARENT_PARTITION_MISUSED on its grouped call) is
 * regrouped under the new routing and sent again, in rounds until every
 * key is answered.
 */
struct PegasusBatchGet
{
	PegasusTable *table;
	const PegasusCompositeKey *keys;	/* the caller's, valid until finish */
	int64_t		deadline;
	PegasusKVList *list;
	GPtrArray  *owner;
	GArray	   *todo;			/* keys of the next round */
	GPtrArray  *parts;			/* the round in flight, or NULL */
	int			round_count;	/* partition count of the last round */
	int			backoff_ms;
};

static void
batch_get_free(PegasusBatchGet *bg)
{
	if (bg->parts)
		batch_parts_free(bg->parts);
	if (bg->todo)
		g_array_free(bg->todo, TRUE);
	if (bg->list)
		pegasus_kvlist_free(bg->list);
	g_free(bg);
}

/* Sends the next round: the keys of todo, grouped.  false with err set. */
static bool
batch_round_start(PegasusBatchGet *bg, PegasusError *err)
{
	PegasusTable *table = bg->table;
	guint		p;

	if (table->stale && !pegasus_route_refresh(table, bg->deadline, err))
		return false;
	if (bg->round_count > 0 && table->partition_count <= bg->round_count)
	{
		/* turned away, but the meta server shows no split yet */
		if (pegasus_net_sleep(table->client,
							  MIN(bg->deadline, pegasus_now_us() + (int64_t) bg->backoff_ms * 1000)) < 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INTERRUPTED, "batch_get",
							  "The request was interrupted.");
			return false;
		}
		bg->backoff_ms = MIN(bg->backoff_ms * 2, table->client->opts.retry_backoff_max_ms);
	}
	bg->round_count = table->partition_count;
	bg->parts = batch_group(table, bg->keys, bg->todo, bg->deadline);
	g_array_set_size(bg->todo, 0);
	for (p = 0; p < bg->parts->len; p++)
		pegasus_call_start(&((BatchPart *) g_ptr_array_index(bg->parts, p))->call);
	/* on the wire now, not at the first wait */
	pegasus_net_flush(table->client);
	return true;
}

PegasusBatchGet *
pegasus_table_batch_get_start(PegasusTable *table, const PegasusCompositeKey *keys,
							  size_t n, int timeout_ms, PegasusError *err)
{
	PegasusBatchGet *bg;
	size_t		i;

	pegasus_error_clear(err);
	for (i = 0; i < n; i++)
		if (!pegasus_check_hash_key(keys[i].hash_key, false, "batch_get", err))
			return NULL;

	bg = g_new0(PegasusBatchGet, 1);
	bg->table = table;
	bg->keys = keys;
	bg->deadline = pegasus_deadline(table->client, timeout_ms);
	bg->backoff_ms = table->client->opts.retry_backoff_ms;
	bg->list = g_new0(PegasusKVList, 1);
	bg->list->count = n;
	bg->list->items = g_new0(PegasusKV, MAX(n, 1));
	bg->list->all_fetched = true;
	bg->owner = pegasus_owner_new(NULL);
	bg->list->owner = bg->owner;
	bg->todo = g_array_new(FALSE, FALSE, sizeof(size_t));
	for (i = 0; i < n; i++)
		g_array_append_val(bg->todo, i);
	if (n > 0 && !batch_round_start(bg, err))
	{
		batch_get_free(bg);
		return NULL;
	}
	return bg;
}

bool
pegasus_batch_get_finish(PegasusBatchGet *bg, PegasusKVList **out,
						 PegasusError *err)
{
	PegasusTable *table = bg->table;
	bool		ok = true;

	*out = NULL;
	pegasus_error_clear(err);
	while (ok && bg->parts != NULL)
	{
		GPtrArray  *parts = bg->parts;
		PegasusCall **calls;
		guint		p;

		calls = g_new0(PegasusCall *, MAX(parts->len, 1));
		for (p = 0; p < parts->len; p++)
			calls[p] = &((BatchPart *) g_ptr_array_index(parts, p))->call;
		pegasus_calls_run(calls, parts->len, bg->deadline);
		g_free(calls);
		for (p = 0; p < parts->len && ok; p++)
		{
			BatchPart  *bp = g_ptr_array_index(parts, p);

			if (bp->call.state == PEGASUS_CALL_DONE)
				ok = batch_take(table, bg->keys, bp, bg->list, bg->owner, err);
			else if (bp->call.split_seen && pegasus_now_us() < bg->deadline)
				g_array_append_vals(bg->todo, bp->key_index->data, bp->key_index->len);
			else
			{
				*err = bp->call.err;
				ok = false;
			}
		}
		batch_parts_free(parts);
		bg->parts = NULL;
		if (ok && bg->todo->len > 0)
			ok = batch_round_start(bg, err);
	}
	if (ok)
	{
		*out = bg->list;
		bg->list = NULL;
	}
	batch_get_free(bg);
	return ok;
}

void
pegasus_batch_get_cancel(PegasusBatchGet *bg)
{
	if (bg != NULL)
		batch_get_free(bg);
}

bool
pegasus_table_batch_get(PegasusTable *table, const PegasusCompositeKey *keys,
						size_t n, int timeout_ms, PegasusKVList **out,
						PegasusError *err)
{
	PegasusBatchGet *bg = pegasus_table_batch_get_start(table, keys, n,
														timeout_ms, err);

	*out = NULL;
	if (bg == NULL)
		return false;
	return pegasus_batch_get_finish(bg, out, err);
}

bool
pegasus_batch_get_ready(const PegasusBatchGet *bg)
{
	guint		p;

	if (bg->parts == NULL)
		return true;
	for (p = 0; p < bg->parts->len; p++)
		if (!pegasus_call_ready(&((BatchPart *) g_ptr_array_index(bg->parts, p))->call))
			return false;
	return true;
}
