/*-------------------------------------------------------------------------
 *
 * client_range.c
 *		Range readers: the sort keys of one hash key in multi_get_range
 *		pages, the next page requested as soon as the previous one arrives.
 *
 * A page that a limit cut short (server code 7) is continued from its edge
 * key: the last one going forward, the first one in reverse (pages are
 * ascending either way), exclusive.  Since that key is known when the page
 * arrives, the next request goes out before the caller starts consuming the
 * page, so the caller's work on one page overlaps the round trip of the
 * next.  The requests are exactly those of the synchronous loop over
 * pegasus_table_multi_get_range (same pages, same count).  Each request
 * is written to the socket as soon as it is made, not at the next wait: at
 * most one page is ever read ahead of the caller.
 *
 * A keys reader (pegasus_table_keys_reader) asks instead for a list of sort
 * keys of the hash key, ascending: the server answers them in request
 * order, so a reply cut short by a limit is continued with the keys after
 * its last record.
 *
 * src/client/client_range.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

struct PegasusRangeReader
{
	PegasusTable *table;
	PegasusMultiGetOptions opts;
	int			timeout_ms;
	int64_t		max_rows;		/* 0 = all */
	int64_t		received;
	GByteArray *hash_key;		/* private copies: requests point into them */
	GByteArray *start;
	GByteArray *stop;
	GByteArray *pattern;
	GByteArray **keys;			/* keys reader: the sort keys, ascending */
	PegasusBlob *blobs;			/* the request's view of keys */
	size_t		nkeys;
	size_t		first;			/* keys reader: next key to ask for */
	PegasusCall call;
	bool		in_flight;
	bool		done;			/* nothing more to request */
	bool		failed;
	PegasusError err;
};

static GByteArray *
copy_bytes(PegasusSlice s)
{
	GByteArray *b = g_byte_array_sized_new((guint) s.len + 1);

	if (s.len > 0)
		g_byte_array_append(b, s.data, (guint) s.len);
	return b;
}

static PegasusSlice
slice_of_array(const GByteArray *b)
{
	PegasusSlice s;

	s.data = b->data;
	s.len = b->len;
	return s;
}

/* Sends the request of the next page. */
static void
range_send(PegasusRangeReader *r)
{
	PegasusMultiGetRequest *u;
	int32_t		count = r->opts.max_fetch_count;

	if (r->max_rows > 0)
	{
		int64_t		left = r->max_rows - r->received;

		if (count <= 0 || left < count)
			count = (int32_t) MIN(left, (int64_t) INT32_MAX);
	}
	pegasus_call_cleanup(&r->call);
	pegasus_call_init(&r->call, r->table, PEGASUS_RPC_MULTI_GET, "multi_get",
					  true,
					  pegasus_codec_hash_key_partition_hash(r->hash_key->data,
															r->hash_key->len),
					  pegasus_deadline(r->table->client, r->timeout_ms));
	u = &r->call.req.u.multi_get;
	u->hash_key = pegasus_blob_of(slice_of_array(r->hash_key));
	u->max_kv_count = count > 0 ? count : -1;
	u->max_kv_size = r->opts.max_fetch_size > 0 ? r->opts.max_fetch_size : -1;
	u->no_value = r->opts.no_value;
	u->start_sortkey = pegasus_blob_of(slice_of_array(r->start));
	u->stop_sortkey = pegasus_blob_of(slice_of_array(r->stop));
	u->start_inclusive = r->opts.start_inclusive;
	u->stop_inclusive = r->opts.stop_inclusive;
	u->sort_key_filter_type = r->opts.sort_key_filter.type;
	u->sort_key_filter_pattern = pegasus_blob_of(slice_of_array(r->pattern));
	u->reverse = r->opts.reverse;
	if (r->nkeys > 0)
	{
		u->sort_keys = r->blobs + r->first;
		u->n_sort_keys = r->nkeys - r->first;
	}
	r->in_flight = true;
	pegasus_call_start(&r->call);
	/*
	 * Written now: a request with a reply otherwise waits in the queue until
	 * someone waits, and the page would not overlap the caller's work.
	 */
	pegasus_net_flush(r->table->client);
}

PegasusRangeReader *
pegasus_table_range_reader(PegasusTable *table, PegasusSlice hash_key,
						   PegasusSlice start_sort_key,
						   PegasusSlice stop_sort_key,
						   const PegasusMultiGetOptions *opts,
						   int64_t max_rows, int timeout_ms,
						   PegasusError *err)
{
	PegasusRangeReader *r;

	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "multi_get", err))
		return NULL;
	if (opts != NULL && ((int) opts->sort_key_filter.type < 0 ||
						 opts->sort_key_filter.type > 3))
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "multi_get",
						  "Unknown key filter type.");
		return NULL;
	}
	if (max_rows < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "multi_get",
						  "The row limit must not be negative.");
		return NULL;
	}
	r = g_new0(PegasusRangeReader, 1);
	r->table = table;
	if (opts != NULL)
		r->opts = *opts;
	else
		pegasus_multi_get_options_init(&r->opts);
	r->timeout_ms = timeout_ms;
	r->max_rows = max_rows;
	r->hash_key = copy_bytes(hash_key);
	r->start = copy_bytes(start_sort_key);
	r->stop = copy_bytes(stop_sort_key);
	r->pattern = copy_bytes(r->opts.sort_key_filter.pattern);
	r->opts.sort_key_filter.pattern = slice_of_array(r->pattern);
	pegasus_error_clear(&r->err);
	range_send(r);				/* the first page is on its way now */
	return r;
}

/*
 * Takes the arrived page: a list of the records, and the request of the
 * next page when this one was cut short.
 */
static PegasusKVList *
range_receive(PegasusRangeReader *r)
{
	PegasusMultiGetResponse *m = &r->call.reply->resp.u.multi_get;
	PegasusKVList *list = g_new0(PegasusKVList, 1);
	GPtrArray  *owner;
	PegasusSlice hk;
	bool		more;
	guint32		i;

	list->all_fetched = (m->error == 0);
	list->count = m->n_kvs;
	list->items = g_new0(PegasusKV, MAX(m->n_kvs, 1));
	owner = pegasus_owner_new(pegasus_call_take_reply(&r->call));
	hk = pegasus_owner_copy(owner, slice_of_array(r->hash_key));
	for (i = 0; i < m->n_kvs; i++)
	{
		list->items[i].hash_key = hk;
		list->items[i].sort_key = pegasus_slice_of(m->kvs[i].key);
		list->items[i].value = pegasus_slice_of(m->kvs[i].value);
		list->items[i].expire_ts_seconds = m->kvs[i].expire_ts_seconds;
		list->items[i].found = true;
	}
	list->owner = owner;
	r->table->client->stats.rows_received += m->n_kvs;
	r->received += (int64_t) list->count;

	more = !list->all_fetched && list->count > 0 &&
		(r->max_rows == 0 || r->received < r->max_rows);
	if (more && r->nkeys > 0)
	{
		PegasusSlice edge = list->items[list->count - 1].sort_key;

		/* the keys up to the last record's have been answered */
		while (r->first < r->nkeys &&
			   pegasus_slice_compare(slice_of_array(r->keys[r->first]), edge) <= 0)
			r->first++;
		if (r->first < r->nkeys)
			range_send(r);
		else
			r->done = true;
	}
	else if (more)
	{
		PegasusSlice edge = list->items[r->opts.reverse ? 0 : list->count - 1].sort_key;

		/* the edge key lives in the page, which the caller frees: copy it */
		if (r->opts.reverse)
		{
			g_byte_array_set_size(r->stop, 0);
			g_byte_array_append(r->stop, edge.data, (guint) edge.len);
			r->opts.stop_inclusive = false;
		}
		else
		{
			g_byte_array_set_size(r->start, 0);
			g_byte_array_append(r->start, edge.data, (guint) edge.len);
			r->opts.start_inclusive = false;
		}
		range_send(r);
	}
	else
		r->done = true;
	return list;
}

int
pegasus_range_reader_next(PegasusRangeReader *r, PegasusKVList **page,
						  PegasusError *err)
{
	PegasusCall *call = &r->call;
	int32_t		code;

	*page = NULL;
	err->code = PEGASUS_OK;
	if (r->failed)
	{
		*err = r->err;
		return -1;
	}
	if (!r->in_flight)
		return 0;
	while (!pegasus_call_finished(call))
	{
		if (pegasus_calls_step(&call, 1, call->deadline) < 0)
		{
			pegasus_error_set(&r->err, PEGASUS_ERR_INTERRUPTED, "multi_get",
							  "The multi_get request was interrupted.");
			break;
		}
	}
	r->in_flight = false;
	if (r->err.code == PEGASUS_OK && call->state != PEGASUS_CALL_DONE)
		r->err = call->err;
	if (r->err.code == PEGASUS_OK)
	{
		code = call->reply->resp.u.multi_get.error;
		if (code == 0 || code == 7)
		{
			*page = range_receive(r);
			return 1;
		}
		pegasus_error_set_storage(&r->err, "multi_get", code);
		pegasus_error_set_where(&r->err, call->endpoint, r->table->app_id,
								call->partition_index);
	}
	r->failed = true;
	*err = r->err;
	return -1;
}

void
pegasus_range_reader_close(PegasusRangeReader *r)
{
	size_t		i;

	if (r == NULL)
		return;
	/* a request still in flight is dropped; its reply will be discarded */
	pegasus_call_cleanup(&r->call);
	g_byte_array_free(r->hash_key, TRUE);
	g_byte_array_free(r->start, TRUE);
	g_byte_array_free(r->stop, TRUE);
	g_byte_array_free(r->pattern, TRUE);
	for (i = 0; i < r->nkeys; i++)
		g_byte_array_free(r->keys[i], TRUE);
	g_free(r->keys);
	g_free(r->blobs);
	g_free(r);
}

PegasusRangeReader *
pegasus_table_keys_reader(PegasusTable *table, PegasusSlice hash_key,
						  const PegasusSlice *sort_keys, size_t n_sort_keys,
						  const PegasusMultiGetOptions *opts, int timeout_ms,
						  PegasusError *err)
{
	PegasusSlice none = {NULL, 0};
	PegasusRangeReader *r;
	size_t		i;

	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "multi_get", err))
		return NULL;
	if (n_sort_keys == 0 || sort_keys == NULL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "multi_get",
						  "The sort key list is empty.");
		return NULL;
	}
	for (i = 1; i < n_sort_keys; i++)
		if (pegasus_slice_compare(sort_keys[i - 1], sort_keys[i]) >= 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "multi_get",
							  "The sort keys are not ascending and distinct.");
			return NULL;
		}
	r = g_new0(PegasusRangeReader, 1);
	r->table = table;
	pegasus_multi_get_options_init(&r->opts);
	if (opts != NULL)
	{
		r->opts.max_fetch_count = opts->max_fetch_count;
		r->opts.max_fetch_size = opts->max_fetch_size;
		r->opts.no_value = opts->no_value;
	}
	r->timeout_ms = timeout_ms;
	r->hash_key = copy_bytes(hash_key);
	r->start = copy_bytes(none);
	r->stop = copy_bytes(none);
	r->pattern = copy_bytes(none);
	r->opts.sort_key_filter.pattern = slice_of_array(r->pattern);
	r->keys = g_new(GByteArray *, n_sort_keys);
	r->blobs = g_new(PegasusBlob, n_sort_keys);
	r->nkeys = n_sort_keys;
	for (i = 0; i < n_sort_keys; i++)
	{
		r->keys[i] = copy_bytes(sort_keys[i]);
		r->blobs[i] = pegasus_blob_of(slice_of_array(r->keys[i]));
	}
	pegasus_error_clear(&r->err);
	range_send(r);				/* the request is on its way now */
	return r;
}

bool
pegasus_range_reader_ready(const PegasusRangeReader *r)
{
	return r->failed || !r->in_flight || pegasus_call_ready(&r->call);
}
