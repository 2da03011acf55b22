/*-------------------------------------------------------------------------
 *
 * client_ops.c
 *		Single-partition operations: get, set, del, exist, ttl, incr,
 *		multi_get, multi_set, multi_del, del_range, sortkey_count,
 *		check_and_set, check_and_mutate.
 *
 * Each operation validates its arguments before any I/O, fills a codec
 * request, runs it as one PegasusCall (routing, retries, deadline) and
 * interprets the storage code of the response.  Results keep the reply
 * frame alive and point into it instead of copying values.
 *
 * src/client/client_ops.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

/* multi_get page size used by del_range */
#define DEL_RANGE_BATCH 1000

/* Sets up call for a key-addressed RPC on (hash_key, sort_key). */
static bool
prepare_key_call(PegasusCall *call, PegasusTable *table, PegasusRpc rpc,
				 const char *op, bool idempotent, PegasusSlice hash_key,
				 PegasusSlice sort_key, int timeout_ms, GByteArray *keybuf,
				 PegasusError *err)
{
	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, op, err))
		return false;
	pegasus_codec_key_encode(hash_key.data, hash_key.len, sort_key.data,
							 sort_key.len, keybuf);
	pegasus_call_init(call, table, rpc, op, idempotent,
					  pegasus_codec_key_partition_hash(keybuf->data, keybuf->len),
					  pegasus_deadline(table->client, timeout_ms));
	return true;
}

/* ----------------------------------------------------------------------
 * get / set / del / exist / ttl / incr
 * ---------------------------------------------------------------------- */

bool
pegasus_table_get(PegasusTable *table, PegasusSlice hash_key,
				  PegasusSlice sort_key, int timeout_ms, PegasusValue *value,
				  PegasusError *err)
{
	PegasusCall call;
	GByteArray *key = g_byte_array_new();
	bool		ok = false;

	memset(value, 0, sizeof(*value));
	if (prepare_key_call(&call, table, PEGASUS_RPC_GET, "get", true, hash_key,
						 sort_key, timeout_ms, key, err))
	{
		call.req.u.key = pegasus_codec_blob(key->data, key->len);
		if (pegasus_call_run(&call, err))
		{
			PegasusReadResponse *r = &call.reply->resp.u.get;

			if (r->error == 0)
			{
				value->found = true;
				value->value = pegasus_slice_of(r->value);
				value->owner = pegasus_owner_new(pegasus_call_take_reply(&call));
				table->client->stats.rows_received++;
				ok = true;
			}
			else if (r->error == 1)
				ok = true;
			else
			{
				pegasus_error_set_storage(err, "get", r->error);
			}
		}
		pegasus_call_cleanup(&call);
	}
	g_byte_array_free(key, TRUE);
	return ok;
}

bool
pegasus_table_set(PegasusTable *table, PegasusSlice hash_key,
				  PegasusSlice sort_key, PegasusSlice value,
				  int32_t ttl_seconds, int timeout_ms, PegasusError *err)
{
	PegasusCall call;
	GByteArray *key = g_byte_array_new();
	bool		ok = false;

	if (ttl_seconds < 0)
	{
		pegasus_error_clear(err);
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "set",
						  "The TTL must not be negative.");
	}
	else if (prepare_key_call(&call, table, PEGASUS_RPC_PUT, "set", true,
							  hash_key, sort_key, timeout_ms, key, err))
	{
		PegasusUpdateRequest *u = &call.req.u.put;

		u->key = pegasus_codec_blob(key->data, key->len);
		u->value = pegasus_blob_of(value);
		u->expire_ts_seconds = pegasus_codec_expire_ts_from_ttl(ttl_seconds);
		if (pegasus_call_run(&call, err))
		{
			if (call.reply->resp.u.put.error == 0)
				ok = true;
			else
				pegasus_error_set_storage(err, "set", call.reply->resp.u.put.error);
		}
		pegasus_call_cleanup(&call);
	}
	g_byte_array_free(key, TRUE);
	return ok;
}

bool
pegasus_table_del(PegasusTable *table, PegasusSlice hash_key,
				  PegasusSlice sort_key, int timeout_ms, PegasusError *err)
{
	PegasusCall call;
	GByteArray *key = g_byte_array_new();
	bool		ok = false;

	if (prepare_key_call(&call, table, PEGASUS_RPC_REMOVE, "del", true,
						 hash_key, sort_key, timeout_ms, key, err))
	{
		call.req.u.key = pegasus_codec_blob(key->data, key->len);
		if (pegasus_call_run(&call, err))
		{
			if (call.reply->resp.u.put.error == 0)
				ok = true;
			else
				pegasus_error_set_storage(err, "del", call.reply->resp.u.put.error);
		}
		pegasus_call_cleanup(&call);
	}
	g_byte_array_free(key, TRUE);
	return ok;
}

static bool
ttl_common(PegasusTable *table, const char *op, PegasusSlice hash_key,
		   PegasusSlice sort_key, int timeout_ms, int32_t *ttl_seconds,
		   PegasusError *err)
{
	PegasusCall call;
	GByteArray *key = g_byte_array_new();
	bool		ok = false;

	if (prepare_key_call(&call, table, PEGASUS_RPC_TTL, op, true, hash_key,
						 sort_key, timeout_ms, key, err))
	{
		call.req.u.key = pegasus_codec_blob(key->data, key->len);
		if (pegasus_call_run(&call, err))
		{
			PegasusTtlResponse *r = &call.reply->resp.u.ttl;

			if (r->error == 0)
			{
				*ttl_seconds = r->ttl_seconds;
				ok = true;
			}
			else if (r->error == 1)
			{
				*ttl_seconds = -2;
				ok = true;
			}
			else
				pegasus_error_set_storage(err, op, r->error);
		}
		pegasus_call_cleanup(&call);
	}
	g_byte_array_free(key, TRUE);
	return ok;
}

bool
pegasus_table_ttl(PegasusTable *table, PegasusSlice hash_key,
				  PegasusSlice sort_key, int timeout_ms, int32_t *ttl_seconds,
				  PegasusError *err)
{
	return ttl_common(table, "ttl", hash_key, sort_key, timeout_ms,
					  ttl_seconds, err);
}

bool
pegasus_table_exist(PegasusTable *table, PegasusSlice hash_key,
					PegasusSlice sort_key, int timeout_ms, bool *exists,
					PegasusError *err)
{
	int32_t		ttl = -2;

	if (!ttl_common(table, "exist", hash_key, sort_key, timeout_ms, &ttl, err))
		return false;
	*exists = (ttl != -2);
	return true;
}

bool
pegasus_table_incr(PegasusTable *table, PegasusSlice hash_key,
				   PegasusSlice sort_key, int64_t increment,
				   int32_t ttl_seconds, int timeout_ms, int64_t *new_value,
				   PegasusError *err)
{
	PegasusCall call;
	GByteArray *key = g_byte_array_new();
	bool		ok = false;

	if (ttl_seconds < -1)
	{
		pegasus_error_clear(err);
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "incr",
						  "The TTL of incr must be -1 (clear), 0 (keep) or positive.");
	}
	else if (prepare_key_call(&call, table, PEGASUS_RPC_INCR, "incr", false,
							  hash_key, sort_key, timeout_ms, key, err))
	{
		PegasusIncrRequest *u = &call.req.u.incr;

		u->key = pegasus_codec_blob(key->data, key->len);
		u->increment = increment;
		u->expire_ts_seconds = ttl_seconds > 0 ?
			pegasus_codec_expire_ts_from_ttl(ttl_seconds) : ttl_seconds;
		if (pegasus_call_run(&call, err))
		{
			PegasusIncrResponse *r = &call.reply->resp.u.incr;

			if (r->error == 0)
			{
				*new_value = r->new_value;
				ok = true;
			}
			else
				pegasus_error_set_storage(err, "incr", r->error);
		}
		pegasus_call_cleanup(&call);
	}
	g_byte_array_free(key, TRUE);
	return ok;
}

/* ----------------------------------------------------------------------
 * multi_get
 * ---------------------------------------------------------------------- */

void
pegasus_multi_get_options_init(PegasusMultiGetOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->start_inclusive = true;
	opts->stop_inclusive = false;
	opts->max_fetch_count = -1;
	opts->max_fetch_size = -1;
}

static bool
check_filter(const PegasusFilter *f, const char *op, PegasusError *err)
{
	if ((int) f->type < PEGASUS_FILTER_NONE || f->type > PEGASUS_FILTER_POSTFIX)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Unknown key filter type %d.", (int) f->type);
		return false;
	}
	return true;
}

/* Builds a PegasusKVList from a multi_get reply (taking the reply). */
static PegasusKVList *
kvlist_from_multi_get(PegasusCall *call, PegasusSlice hash_key)
{
	PegasusKVList *list = g_new0(PegasusKVList, 1);
	PegasusMultiGetResponse *r = &call->reply->resp.u.multi_get;
	GPtrArray  *owner;
	PegasusSlice hk;
	guint32		i;

	list->all_fetched = (r->error == 0);
	list->count = r->n_kvs;
	list->items = g_new0(PegasusKV, MAX(r->n_kvs, 1));
	owner = pegasus_owner_new(pegasus_call_take_reply(call));
	hk = pegasus_owner_copy(owner, hash_key);
	for (i = 0; i < r->n_kvs; i++)
	{
		list->items[i].hash_key = hk;
		list->items[i].sort_key = pegasus_slice_of(r->kvs[i].key);
		list->items[i].value = pegasus_slice_of(r->kvs[i].value);
		list->items[i].expire_ts_seconds = r->kvs[i].expire_ts_seconds;
		list->items[i].found = true;
	}
	list->owner = owner;
	call->table->client->stats.rows_received += r->n_kvs;
	return list;
}

static bool
multi_get_common(PegasusTable *table, const char *op, PegasusSlice hash_key,
				 const PegasusSlice *sort_keys, size_t n_sort_keys,
				 PegasusSlice start, PegasusSlice stop,
				 const PegasusMultiGetOptions *opts, int timeout_ms,
				 PegasusKVList **out, PegasusError *err)
{
	PegasusMultiGetOptions defaults;
	PegasusCall call;
	PegasusMultiGetRequest *u;
	PegasusBlob *blobs = NULL;
	bool		ok = false;
	size_t		i;

	*out = NULL;
	pegasus_error_clear(err);
	if (opts == NULL)
	{
		pegasus_multi_get_options_init(&defaults);
		opts = &defaults;
	}
	if (!pegasus_check_hash_key(hash_key, false, op, err) ||
		!check_filter(&opts->sort_key_filter, op, err))
		return false;
	if (n_sort_keys > 0 && sort_keys == NULL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The sort key list is missing.");
		return false;
	}
	pegasus_call_init(&call, table, PEGASUS_RPC_MULTI_GET, op, true,
					  pegasus_codec_hash_key_partition_hash(hash_key.data, hash_key.len),
					  pegasus_deadline(table->client, timeout_ms));
	u = &call.req.u.multi_get;
	u->hash_key = pegasus_blob_of(hash_key);
	if (n_sort_keys > 0)
	{
		blobs = g_new(PegasusBlob, n_sort_keys);
		for (i = 0; i < n_sort_keys; i++)
			blobs[i] = pegasus_blob_of(sort_keys[i]);
		u->sort_keys = blobs;
		u->n_sort_keys = n_sort_keys;
	}
	u->max_kv_count = opts->max_fetch_count > 0 ? opts->max_fetch_count : -1;
	u->max_kv_size = opts->max_fetch_size > 0 ? opts->max_fetch_size : -1;
	u->no_value = opts->no_value;
	u->start_sortkey = pegasus_blob_of(start);
	u->stop_sortkey = pegasus_blob_of(stop);
	u->start_inclusive = opts->start_inclusive;
	u->stop_inclusive = opts->stop_inclusive;
	u->sort_key_filter_type = opts->sort_key_filter.type;
	u->sort_key_filter_pattern = pegasus_blob_of(opts->sort_key_filter.pattern);
	u->reverse = opts->reverse;
	if (pegasus_call_run(&call, err))
	{
		int32_t		code = call.reply->resp.u.multi_get.error;

		if (code == 0 || code == 7)
		{
			*out = kvlist_from_multi_get(&call, hash_key);
			ok = true;
		}
		else
			pegasus_error_set_storage(err, op, code);
	}
	pegasus_call_cleanup(&call);
	g_free(blobs);
	return ok;
}

bool
pegasus_table_multi_get(PegasusTable *table, PegasusSlice hash_key,
						const PegasusSlice *sort_keys, size_t n_sort_keys,
						const PegasusMultiGetOptions *opts, int timeout_ms,
						PegasusKVList **out, PegasusError *err)
{
	PegasusSlice empty = {NULL, 0};

	return multi_get_common(table, "multi_get", hash_key, sort_keys,
							n_sort_keys, empty, empty, opts, timeout_ms, out,
							err);
}

bool
pegasus_table_multi_get_range(PegasusTable *table, PegasusSlice hash_key,
							  PegasusSlice start_sort_key,
							  PegasusSlice stop_sort_key,
							  const PegasusMultiGetOptions *opts,
							  int timeout_ms, PegasusKVList **out,
							  PegasusError *err)
{
	return multi_get_common(table, "multi_get", hash_key, NULL, 0,
							start_sort_key, stop_sort_key, opts, timeout_ms,
							out, err);
}

/* ----------------------------------------------------------------------
 * multi_set / multi_del / del_range / sortkey_count
 * ---------------------------------------------------------------------- */

bool
pegasus_table_multi_set(PegasusTable *table, PegasusSlice hash_key,
						const PegasusSlice *sort_keys,
						const PegasusSlice *values, size_t n,
						int32_t ttl_seconds, int timeout_ms, PegasusError *err)
{
	PegasusWriteGroup g;

	memset(&g, 0, sizeof(g));
	g.kind = PEGASUS_WRITE_MULTI_SET;
	g.hash_key = hash_key;
	g.sort_keys = sort_keys;
	g.values = values;
	g.count = n;
	g.ttl_seconds = ttl_seconds;
	return pegasus_table_write_groups(table, &g, 1, timeout_ms, err);
}

bool
pegasus_table_multi_del(PegasusTable *table, PegasusSlice hash_key,
						const PegasusSlice *sort_keys, size_t n,
						int timeout_ms, int64_t *deleted, PegasusError *err)
{
	PegasusWriteGroup g;
	bool		ok;

	memset(&g, 0, sizeof(g));
	g.kind = PEGASUS_WRITE_MULTI_DEL;
	g.hash_key = hash_key;
	g.sort_keys = sort_keys;
	g.count = n;
	ok = pegasus_table_write_groups(table, &g, 1, timeout_ms, err);
	if (deleted != NULL)
		*deleted = ok ? (int64_t) n : 0;
	return ok;
}

void
pegasus_del_range_options_init(PegasusDelRangeOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->start_inclusive = true;
	opts->stop_inclusive = false;
}

bool
pegasus_table_del_range(PegasusTable *table, PegasusSlice hash_key,
						PegasusSlice start_sort_key,
						PegasusSlice stop_sort_key,
						const PegasusDelRangeOptions *opts, int timeout_ms,
						int64_t *deleted, PegasusError *err)
{
	PegasusDelRangeOptions defaults;
	PegasusMultiGetOptions mg;
	int64_t		total = 0;
	int64_t		deadline = pegasus_deadline(table->client, timeout_ms);
	GByteArray *next = g_byte_array_new();
	PegasusSlice start = start_sort_key;
	bool		ok = true;

	if (opts == NULL)
	{
		pegasus_del_range_options_init(&defaults);
		opts = &defaults;
	}
	pegasus_multi_get_options_init(&mg);
	mg.start_inclusive = opts->start_inclusive;
	mg.stop_inclusive = opts->stop_inclusive;
	mg.sort_key_filter = opts->sort_key_filter;
	mg.max_fetch_count = DEL_RANGE_BATCH;
	mg.no_value = true;
	for (;;)
	{
		PegasusKVList *list = NULL;
		PegasusSlice *keys;
		int			left_ms = (int) ((deadline - pegasus_now_us()) / 1000);
		size_t		i;
		bool		more;

		if (left_ms <= 0)
		{
			pegasus_error_clear(err);
			pegasus_error_set(err, PEGASUS_ERR_TIMEOUT, "del_range",
							  "The del_range request did not complete within its deadline.");
			ok = false;
			break;
		}
		if (!pegasus_table_multi_get_range(table, hash_key, start, stop_sort_key,
										   &mg, left_ms, &list, err))
		{
			ok = false;
			break;
		}
		more = !list->all_fetched;
		if (list->count > 0)
		{
			keys = g_new(PegasusSlice, list->count);
			for (i = 0; i < list->count; i++)
				keys[i] = list->items[i].sort_key;
			left_ms = MAX(1, (int) ((deadline - pegasus_now_us()) / 1000));
			if (!pegasus_table_multi_del(table, hash_key, keys, list->count,
										 left_ms, NULL, err))
				ok = false;
			else
				total += list->count;
			/* continue after the last key deleted, exclusive */
			g_byte_array_set_size(next, 0);
			g_byte_array_append(next, list->items[list->count - 1].sort_key.data,
								list->items[list->count - 1].sort_key.len);
			start.data = next->data;
			start.len = next->len;
			mg.start_inclusive = false;
			g_free(keys);
		}
		else
			more = false;		/* nothing returned: nothing left */
		pegasus_kvlist_free(list);
		if (!ok || !more)
			break;
	}
	g_byte_array_free(next, TRUE);
	if (deleted != NULL)
		*deleted = total;
	return ok;
}

bool
pegasus_table_sortkey_count(PegasusTable *table, PegasusSlice hash_key,
							int timeout_ms, int64_t *count, PegasusError *err)
{
	PegasusCall call;
	bool		ok = false;

	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "sortkey_count", err))
		return false;
	pegasus_call_init(&call, table, PEGASUS_RPC_SORTKEY_COUNT, "sortkey_count",
					  true,
					  pegasus_codec_hash_key_partition_hash(hash_key.data, hash_key.len),
					  pegasus_deadline(table->client, timeout_ms));
	call.req.u.key = pegasus_blob_of(hash_key);
	if (pegasus_call_run(&call, err))
	{
		PegasusCountResponse *r = &call.reply->resp.u.sortkey_count;

		if (r->error == 0)
		{
			*count = r->count;
			ok = true;
		}
		else
			pegasus_error_set_storage(err, "sortkey_count", r->error);
	}
	pegasus_call_cleanup(&call);
	return ok;
}

/* ----------------------------------------------------------------------
 * check_and_set / check_and_mutate
 * ---------------------------------------------------------------------- */

static bool
check_type_valid(PegasusCheckType t, const char *op, PegasusError *err)
{
	if ((int) t < PEGASUS_CHECK_NO_CHECK || t > PEGASUS_CHECK_INT_GREATER)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Unknown check type %d.", (int) t);
		return false;
	}
	return true;
}

/* Interprets a check_and_* reply (same response layout for both). */
static bool
check_result_from_reply(PegasusCall *call, const char *op,
						PegasusCheckResult *result, PegasusError *err)
{
	PegasusCheckAndSetResponse *r = &call->reply->resp.u.check_and_set;

	if (r->error != 0 && r->error != 13)
	{
		pegasus_error_set_storage(err, op, r->error);
		return false;
	}
	result->succeeded = (r->error == 0);
	result->check_value_returned = r->check_value_returned;
	result->check_value_exist = r->check_value_exist;
	result->check_value = pegasus_slice_of(r->check_value);
	result->owner = pegasus_owner_new(pegasus_call_take_reply(call));
	return true;
}

bool
pegasus_table_check_and_set(PegasusTable *table, PegasusSlice hash_key,
							PegasusSlice check_sort_key,
							PegasusCheckType check_type,
							PegasusSlice check_operand,
							PegasusSlice set_sort_key, PegasusSlice set_value,
							const PegasusCheckAndSetOptions *opts,
							int timeout_ms, PegasusCheckResult *result,
							PegasusError *err)
{
	PegasusCall call;
	PegasusCheckAndSetRequest *u;
	bool		ok = false;

	memset(result, 0, sizeof(*result));
	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "check_and_set", err) ||
		!check_type_valid(check_type, "check_and_set", err))
		return false;
	if (opts != NULL && opts->set_ttl_seconds < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "check_and_set",
						  "The TTL must not be negative.");
		return false;
	}
	pegasus_call_init(&call, table, PEGASUS_RPC_CHECK_AND_SET, "check_and_set",
					  false,
					  pegasus_codec_hash_key_partition_hash(hash_key.data, hash_key.len),
					  pegasus_deadline(table->client, timeout_ms));
	u = &call.req.u.check_and_set;
	u->hash_key = pegasus_blob_of(hash_key);
	u->check_sort_key = pegasus_blob_of(check_sort_key);
	u->check_type = check_type;
	u->check_operand = pegasus_blob_of(check_operand);
	u->set_diff_sort_key = set_sort_key.len != check_sort_key.len ||
		(set_sort_key.len > 0 &&
		 memcmp(set_sort_key.data, check_sort_key.data, set_sort_key.len) != 0);
	u->set_sort_key = pegasus_blob_of(set_sort_key);
	u->set_value = pegasus_blob_of(set_value);
	u->set_expire_ts_seconds =
		pegasus_codec_expire_ts_from_ttl(opts ? opts->set_ttl_seconds : 0);
	u->return_check_value = opts ? opts->return_check_value : false;
	if (pegasus_call_run(&call, err))
		ok = check_result_from_reply(&call, "check_and_set", result, err);
	pegasus_call_cleanup(&call);
	return ok;
}

bool
pegasus_table_check_and_set_many(PegasusTable *table,
								 PegasusCheckAndSetItem *items, size_t n,
								 int timeout_ms, PegasusError *err)
{
	PegasusCall *calls;
	PegasusCall **ptrs;
	int64_t		deadline = pegasus_deadline(table->client, timeout_ms);
	bool		ok = true;
	size_t		i;

	pegasus_error_clear(err);
	for (i = 0; i < n; i++)
	{
		items[i].done = false;
		memset(&items[i].result, 0, sizeof(items[i].result));
		pegasus_error_clear(&items[i].err);
		if (!pegasus_check_hash_key(items[i].hash_key, false, "check_and_set", err) ||
			!check_type_valid(items[i].check_type, "check_and_set", err))
			return false;
		if (items[i].opts.set_ttl_seconds < 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "check_and_set",
							  "The TTL must not be negative.");
			return false;
		}
	}
	if (n == 0)
		return true;
	calls = g_new0(PegasusCall, n);
	ptrs = g_new0(PegasusCall *, n);
	for (i = 0; i < n; i++)
	{
		PegasusCheckAndSetItem *it = &items[i];
		PegasusCheckAndSetRequest *u;

		pegasus_call_init(&calls[i], table, PEGASUS_RPC_CHECK_AND_SET,
						  "check_and_set", false,
						  pegasus_codec_hash_key_partition_hash(it->hash_key.data,
																it->hash_key.len),
						  deadline);
		u = &calls[i].req.u.check_and_set;
		u->hash_key = pegasus_blob_of(it->hash_key);
		u->check_sort_key = pegasus_blob_of(it->check_sort_key);
		u->check_type = it->check_type;
		u->check_operand = pegasus_blob_of(it->check_operand);
		u->set_diff_sort_key = it->set_sort_key.len != it->check_sort_key.len ||
			(it->set_sort_key.len > 0 &&
			 memcmp(it->set_sort_key.data, it->check_sort_key.data,
					it->set_sort_key.len) != 0);
		u->set_sort_key = pegasus_blob_of(it->set_sort_key);
		u->set_value = pegasus_blob_of(it->set_value);
		u->set_expire_ts_seconds =
			pegasus_codec_expire_ts_from_ttl(it->opts.set_ttl_seconds);
		u->return_check_value = it->opts.return_check_value;
		ptrs[i] = &calls[i];
	}
	(void) pegasus_calls_run(ptrs, (int) n, deadline);
	for (i = 0; i < n; i++)
	{
		PegasusCheckAndSetItem *it = &items[i];

		if (calls[i].state == PEGASUS_CALL_DONE)
		{
			pegasus_error_clear(&it->err);
			pegasus_error_set_where(&it->err, calls[i].endpoint,
									table->app_id, calls[i].partition_index);
			it->done = check_result_from_reply(&calls[i], "check_and_set",
											   &it->result, &it->err);
		}
		else
			it->err = calls[i].err;
		if (!it->done && ok)
		{
			*err = it->err;
			ok = false;
		}
		pegasus_call_cleanup(&calls[i]);
	}
	g_free(ptrs);
	g_free(calls);
	return ok;
}

bool
pegasus_table_check_and_mutate(PegasusTable *table, PegasusSlice hash_key,
							   PegasusSlice check_sort_key,
							   PegasusCheckType check_type,
							   PegasusSlice check_operand,
							   const PegasusMutation *mutations, size_t n,
							   bool return_check_value, int timeout_ms,
							   PegasusCheckResult *result, PegasusError *err)
{
	PegasusCall call;
	PegasusCheckAndMutateRequest *u;
	PegasusMutate *list;
	bool		ok = false;
	size_t		i;

	memset(result, 0, sizeof(*result));
	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "check_and_mutate", err) ||
		!check_type_valid(check_type, "check_and_mutate", err))
		return false;
	if (n == 0 || mutations == NULL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "check_and_mutate",
						  "The mutation list is empty.");
		return false;
	}
	for (i = 0; i < n; i++)
	{
		if ((mutations[i].op != PEGASUS_MUTATE_PUT &&
			 mutations[i].op != PEGASUS_MUTATE_DELETE) ||
			mutations[i].ttl_seconds < 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "check_and_mutate",
							  "Mutation %zu has an unknown operation or a negative TTL.", i);
			return false;
		}
	}
	list = g_new0(PegasusMutate, n);
	for (i = 0; i < n; i++)
	{
		list[i].operation = mutations[i].op;
		list[i].sort_key = pegasus_blob_of(mutations[i].sort_key);
		if (mutations[i].op == PEGASUS_MUTATE_PUT)
		{
			list[i].value = pegasus_blob_of(mutations[i].value);
			list[i].set_expire_ts_seconds =
				pegasus_codec_expire_ts_from_ttl(mutations[i].ttl_seconds);
		}
	}
	pegasus_call_init(&call, table, PEGASUS_RPC_CHECK_AND_MUTATE,
					  "check_and_mutate", false,
					  pegasus_codec_hash_key_partition_hash(hash_key.data, hash_key.len),
					  pegasus_deadline(table->client, timeout_ms));
	u = &call.req.u.check_and_mutate;
	u->hash_key = pegasus_blob_of(hash_key);
	u->check_sort_key = pegasus_blob_of(check_sort_key);
	u->check_type = check_type;
	u->check_operand = pegasus_blob_of(check_operand);
	u->mutate_list = list;
	u->n_mutate_list = n;
	u->return_check_value = return_check_value;
	if (pegasus_call_run(&call, err))
		ok = check_result_from_reply(&call, "check_and_mutate", result, err);
	pegasus_call_cleanup(&call);
	g_free(list);
	return ok;
}
