/*-------------------------------------------------------------------------
 *
 * client_batch.c
 *		Operations spanning partitions: batch_get and the bulk write fan-out
 *		(one multi_set / multi_del per hash key, all in flight together).
 *
 * src/client/client_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "client_internal.h"

/* calls kept in flight at once by pegasus_table_write_groups */
#define MAX_ACTIVE_CALLS 256

/* ----------------------------------------------------------------------
 * Bulk writes
 * ---------------------------------------------------------------------- */

bool
pegasus_write_group_validate(const PegasusWriteGroup *g, size_t i,
							 PegasusError *err)
{
	const char *op = g->kind == PEGASUS_WRITE_MULTI_DEL ? "multi_del" : "multi_set";

	if (g->kind != PEGASUS_WRITE_MULTI_SET && g->kind != PEGASUS_WRITE_MULTI_DEL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Write group %zu has an unknown kind.", i);
		return false;
	}
	if (!pegasus_check_hash_key(g->hash_key, false, op, err))
		return false;
	if (g->count == 0 || g->sort_keys == NULL ||
		(g->kind == PEGASUS_WRITE_MULTI_SET && g->values == NULL))
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Write group %zu has no rows.", i);
		return false;
	}
	if (g->kind == PEGASUS_WRITE_MULTI_SET && g->ttl_seconds < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The TTL must not be negative.");
		return false;
	}
	return true;
}

/*
 * Marks every group pending and validates them all: one invalid group
 * refuses the whole call (every group FAILED, nothing sent).
 */
bool
pegasus_write_groups_check(PegasusWriteGroup *groups, size_t n,
						   PegasusError *err)
{
	size_t		i;

	pegasus_error_clear(err);
	for (i = 0; i < n; i++)
	{
		groups[i].status = PEGASUS_GROUP_PENDING;
		groups[i].error_code = PEGASUS_OK;
	}
	for (i = 0; i < n; i++)
		if (!pegasus_write_group_validate(&groups[i], i, err))
		{
			size_t		j;

			for (j = 0; j < n; j++)
			{
				groups[j].status = PEGASUS_GROUP_FAILED;
				groups[j].error_code = PEGASUS_ERR_INVALID_ARGUMENT;
			}
			return false;
		}
	return true;
}

void
pegasus_write_group_prepare(GroupCall *gc, PegasusTable *table,
							const PegasusWriteGroup *g, int64_t deadline)
{
	uint64_t	h = pegasus_codec_hash_key_partition_hash(g->hash_key.data,
														  g->hash_key.len);
	size_t		j;

	if (g->kind == PEGASUS_WRITE_MULTI_SET)
	{
		PegasusMultiPutRequest *u;

		pegasus_call_init(&gc->call, table, PEGASUS_RPC_MULTI_PUT, "multi_set",
						  true, h, deadline);
		gc->kvs = g_new0(PegasusKeyValue, g->count);
		for (j = 0; j < g->count; j++)
		{
			gc->kvs[j].key = pegasus_blob_of(g->sort_keys[j]);
			gc->kvs[j].value = pegasus_blob_of(g->values[j]);
		}
		u = &gc->call.req.u.multi_put;
		u->hash_key = pegasus_blob_of(g->hash_key);
		u->kvs = gc->kvs;
		u->n_kvs = g->count;
		u->expire_ts_seconds = pegasus_codec_expire_ts_from_ttl(g->ttl_seconds);
	}
	else
	{
		PegasusMultiRemoveRequest *u;

		pegasus_call_init(&gc->call, table, PEGASUS_RPC_MULTI_REMOVE, "multi_del",
						  true, h, deadline);
		gc->keys = g_new0(PegasusBlob, g->count);
		for (j = 0; j < g->count; j++)
			gc->keys[j] = pegasus_blob_of(g->sort_keys[j]);
		u = &gc->call.req.u.multi_remove;
		u->hash_key = pegasus_blob_of(g->hash_key);
		u->sort_keys = gc->keys;
		u->n_sort_keys = g->count;
	}
}

/* Records the outcome of a finished group call; true if it succeeded. */
bool
pegasus_write_group_finish(GroupCall *gc, PegasusWriteGroup *g,
						   PegasusError *first_err)
{
	PegasusCall *call = &gc->call;
	bool		ok = false;

	gc->finished = true;
	if (call->state == PEGASUS_CALL_DONE)
	{
		int32_t		code = g->kind == PEGASUS_WRITE_MULTI_SET ?
			call->reply->resp.u.put.error : call->reply->resp.u.multi_remove.error;

		if (code == 0)
		{
			g->status = PEGASUS_GROUP_DONE;
			g->error_code = PEGASUS_OK;
			ok = true;
		}
		else
		{
			pegasus_error_set_storage(&call->err, call->op, code);
			g->status = PEGASUS_GROUP_FAILED;
			g->error_code = PEGASUS_ERR_STORAGE;
		}
	}
	else
	{
		g->error_code = call->err.code;
		g->status = call->err.outcome_unknown ? PEGASUS_GROUP_UNKNOWN :
			PEGASUS_GROUP_FAILED;
	}
	if (!ok && first_err->code == PEGASUS_OK)
		*first_err = call->err;
	pegasus_call_cleanup(call);
	g_free(gc->kvs);
	gc->kvs = NULL;
	g_free(gc->keys);
	gc->keys = NULL;
	return ok;
}

/* One batch through a write pipe of its own: the same scheduling. */
bool
pegasus_table_write_groups(PegasusTable *table, PegasusWriteGroup *groups,
						   size_t n, int timeout_ms, PegasusError *err)
{
	PegasusWritePipe *pipe;
	bool		ok;

	if (n == 0)
		return pegasus_write_groups_check(groups, n, err);
	pipe = pegasus_write_pipe_new(table, MAX_ACTIVE_CALLS, SIZE_MAX);
	ok = pegasus_write_pipe_add(pipe, groups, n, timeout_ms, err) &&
		pegasus_write_pipe_reap(pipe, err);
	pegasus_write_pipe_free(pipe);
	return ok;
}

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
