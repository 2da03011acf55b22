/*-------------------------------------------------------------------------
 *
 * replica_read.c
 *	  Point and range reads of a replica (protocol 4.1, 4.6-4.9): get, ttl,
 *	  multi_get, batch_get, sortkey_count; plus helpers shared by the other
 *	  replica handlers (filters, expiry, integer parsing, key building).
 *
 * Iteration mirrors RocksDB as a Pegasus replica configures it by default
 * (rocksdb_filter_type = prefix): a forward iterator seeded with a key of
 * hash key H stops being valid when it leaves H (prefix_same_as_start),
 * while reverse iteration is total-order.  This decides when a range read
 * that stopped on a limit reports error 7 (a further record exists).  With
 * --rocksdb-filter-type common every iterator is total-order.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------------ */

static gboolean
contains(const guint8 *hay, gsize hlen, const guint8 *needle, gsize nlen)
{
	gsize		i;

	if (nlen == 0)
		return TRUE;
	if (hlen < nlen)
		return FALSE;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return TRUE;
	return FALSE;
}

gboolean
onebox_filter_match(gint32 type, PegasusBlob pattern, const guint8 *data, gsize len)
{
	if (type == PEGASUS_FT_NO_FILTER || pattern.len == 0)
		return TRUE;
	if (len < pattern.len)
		return FALSE;
	switch (type)
	{
		case PEGASUS_FT_MATCH_ANYWHERE:
			return contains(data, len, pattern.data, pattern.len);
		case PEGASUS_FT_MATCH_PREFIX:
			return memcmp(data, pattern.data, pattern.len) == 0;
		case PEGASUS_FT_MATCH_POSTFIX:
			return memcmp(data + len - pattern.len, pattern.data, pattern.len) == 0;
		default:
			return FALSE;
	}
}

gboolean
onebox_value_expired(const OneboxValue *v, guint32 now)
{
	return v->expire_ts > 0 && v->expire_ts <= now;
}

gboolean
onebox_parse_int64(const guint8 *data, gsize len, gint64 *out)
{
	char		buf[64];
	char	   *end;
	long long	v;

	/* strtoll base 0 over the whole string, as the server's buf2int64 */
	if (len == 0 || len >= sizeof(buf) || memchr(data, '\0', len) != NULL)
		return FALSE;
	memcpy(buf, data, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 0);
	if ((gsize) (end - buf) != len || errno != 0)
		return FALSE;
	*out = v;
	return TRUE;
}

guint32
onebox_write_expire(OneboxPartition *part, guint32 expire_ts)
{
	if (expire_ts == 0 && part->table->default_ttl != 0)
		return onebox_pegasus_now() + part->table->default_ttl;
	return expire_ts;
}

guint8 *
onebox_make_key(OneboxCall *call, PegasusBlob hash_key, PegasusBlob sort_key, gsize *len)
{
	guint8	   *k = g_malloc(2 + hash_key.len + sort_key.len + 1);

	k[0] = (guint8) (hash_key.len >> 8);
	k[1] = (guint8) hash_key.len;
	if (hash_key.len)
		memcpy(k + 2, hash_key.data, hash_key.len);
	if (sort_key.len)
		memcpy(k + 2 + hash_key.len, sort_key.data, sort_key.len);
	*len = 2 + hash_key.len + sort_key.len;
	g_ptr_array_add(call->scratch, k);
	return k;
}

/* Exclusive upper bound of (H, P): u16 len | H | P, last non-FF byte + 1 */
static guint8 *
make_next_key(OneboxCall *call, PegasusBlob hash_key, PegasusBlob prefix, gsize *len)
{
	guint8	   *k = onebox_make_key(call, hash_key, prefix, len);
	gsize		n = *len;

	while (n > 0 && k[n - 1] == 0xFF)
		n--;
	if (n == 0)
	{
		/* all bytes 0xFF: nothing is above it; keep it inclusive-ish */
		return k;
	}
	k[n - 1]++;
	*len = n;
	return k;
}

static PegasusBlob
value_blob(const OneboxValue *v)
{
	return pegasus_codec_blob(v->data, v->len);
}

/* Iterator validity under prefix_same_as_start (see file header) */
static gboolean
iter_valid(OneboxIter *it, const guint8 *prefix, gsize prefix_len)
{
	const OneboxKey *k;

	if (it == NULL)
		return FALSE;
	if (prefix == NULL)
		return TRUE;
	k = onebox_iter_key(it);
	return k->len >= prefix_len && memcmp(k->data, prefix, prefix_len) == 0;
}

static gsize
hash_prefix_len(const guint8 *key, gsize len)
{
	if (len < 2)
		return len;
	return MIN(len, 2 + (((gsize) key[0] << 8) | key[1]));
}

/* ------------------------------------------------------------------------
 * get, ttl
 * ------------------------------------------------------------------------ */

void
onebox_replica_get(OneboxCall *call)
{
	PegasusReadResponse *rs = &call->reply->u.get;
	PegasusBlob key = call->req->u.key;
	const OneboxValue *v = onebox_store_get(call->part->store, key.data, key.len);

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (v == NULL || onebox_value_expired(v, onebox_pegasus_now()))
	{
		rs->error = PEGASUS_RDB_NOT_FOUND;
		return;
	}
	rs->error = PEGASUS_RDB_OK;
	rs->value = value_blob(v);
}

void
onebox_replica_ttl(OneboxCall *call)
{
	PegasusTtlResponse *rs = &call->reply->u.ttl;
	PegasusBlob key = call->req->u.key;
	const OneboxValue *v = onebox_store_get(call->part->store, key.data, key.len);
	guint32		now = onebox_pegasus_now();

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (v == NULL || onebox_value_expired(v, now))
	{
		rs->error = PEGASUS_RDB_NOT_FOUND;
		return;
	}
	rs->error = PEGASUS_RDB_OK;
	rs->ttl_seconds = v->expire_ts > 0 ? (gint32) (v->expire_ts - now) : -1;
}

/* ------------------------------------------------------------------------
 * multi_get
 * ------------------------------------------------------------------------ */

static void
multi_get_points(OneboxCall *call, GArray *kvs, gint32 *error)
{
	const PegasusMultiGetRequest *rq = &call->req->u.multi_get;
	guint32		now = onebox_pegasus_now();
	guint32		max_count = ONEBOX_MULTI_GET_MAX_COUNT;
	gint64		max_size = rq->max_kv_size > 0 ? rq->max_kv_size : INT_MAX;
	guint32		count = 0;
	gint64		size = 0;
	guint32		i;

	if (rq->max_kv_count > 0 && (guint32) rq->max_kv_count < max_count)
		max_count = (guint32) rq->max_kv_count;
	*error = PEGASUS_RDB_OK;
	for (i = 0; i < rq->n_sort_keys; i++)
	{
		gsize		klen;
		guint8	   *k = onebox_make_key(call, rq->hash_key, rq->sort_keys[i], &klen);
		const OneboxValue *v = onebox_store_get(call->part->store, k, klen);
		PegasusKeyValue kv;

		if (v == NULL || onebox_value_expired(v, now))
			continue;
		/* the limit is checked before adding each found key */
		if (count >= max_count || size >= max_size)
		{
			*error = PEGASUS_RDB_INCOMPLETE;
			return;
		}
		memset(&kv, 0, sizeof(kv));
		kv.key = rq->sort_keys[i];
		if (!rq->no_value)
			kv.value = value_blob(v);
		g_array_append_val(kvs, kv);
		count++;
		size += kv.key.len + kv.value.len;
	}
}

/* One visited record of a range read; TRUE if it was returned */
static gboolean
multi_get_take(const PegasusMultiGetRequest *rq, OneboxIter *it, guint32 now,
			   GArray *kvs, gint64 *size)
{
	const OneboxKey *k = onebox_iter_key(it);
	const OneboxValue *v = onebox_iter_value(it);
	gsize		hlen = hash_prefix_len(k->data, k->len);
	PegasusKeyValue kv;

	if (onebox_value_expired(v, now))
		return FALSE;
	if (!onebox_filter_match(rq->sort_key_filter_type, rq->sort_key_filter_pattern,
							 k->data + hlen, k->len - hlen))
		return FALSE;
	memset(&kv, 0, sizeof(kv));
	kv.key = pegasus_codec_blob(k->data + hlen, k->len - hlen);
	if (!rq->no_value)
		kv.value = value_blob(v);
	g_array_append_val(kvs, kv);
	*size += kv.key.len + kv.value.len;
	return TRUE;
}

static void
multi_get_range(OneboxCall *call, GArray *kvs, gint32 *error)
{
	const PegasusMultiGetRequest *rq = &call->req->u.multi_get;
	guint32		now = onebox_pegasus_now();
	guint32		max_count = ONEBOX_MULTI_GET_MAX_COUNT;
	gint64		max_size = MIN(rq->max_kv_size > 0 ? rq->max_kv_size : INT_MAX,
							   ONEBOX_MULTI_GET_MAX_SIZE);
	guint32		count = 0;
	guint32		iterations = 0;
	gint64		size = 0;
	gboolean	complete = FALSE;
	gboolean	start_incl = rq->start_inclusive;
	gboolean	stop_incl;
	gsize		start_len,
				stop_len;
	const guint8 *start,
			   *stop;
	OneboxIter *it;
	const guint8 *prefix = NULL;
	gsize		prefix_len = 0;
	int			c;

	start = onebox_make_key(call, rq->hash_key, rq->start_sortkey, &start_len);
	if (rq->stop_sortkey.len == 0)
	{
		stop = make_next_key(call, rq->hash_key, pegasus_codec_blob(NULL, 0), &stop_len);
		stop_incl = FALSE;
	}
	else
	{
		stop = onebox_make_key(call, rq->hash_key, rq->stop_sortkey, &stop_len);
		stop_incl = rq->stop_inclusive;
	}

	/* a sort-key prefix filter narrows the range */
	if (rq->sort_key_filter_type == PEGASUS_FT_MATCH_PREFIX &&
		rq->sort_key_filter_pattern.len > 0)
	{
		gsize		ps_len,
					pe_len;
		const guint8 *ps = onebox_make_key(call, rq->hash_key,
										   rq->sort_key_filter_pattern, &ps_len);
		const guint8 *pe = make_next_key(call, rq->hash_key,
										 rq->sort_key_filter_pattern, &pe_len);

		if (onebox_bytes_cmp(ps, ps_len, start, start_len) > 0)
		{
			start = ps;
			start_len = ps_len;
			start_incl = TRUE;
		}
		if (onebox_bytes_cmp(pe, pe_len, stop, stop_len) <= 0)
		{
			stop = pe;
			stop_len = pe_len;
			stop_incl = FALSE;
		}
	}

	*error = PEGASUS_RDB_OK;
	c = onebox_bytes_cmp(start, start_len, stop, stop_len);
	if (c > 0 || (c == 0 && (!start_incl || !stop_incl)))
		return;

	if (rq->max_kv_count > 0 && (guint32) rq->max_kv_count < max_count)
		max_count = (guint32) rq->max_kv_count;

	if (!rq->reverse)
	{
		gboolean	first_exclusive = !start_incl;

		if (onebox.prefix_iteration)
		{
			prefix = start;
			prefix_len = 2 + rq->hash_key.len;
		}
		it = onebox_store_seek(call->part->store, start, start_len, TRUE);
		while (count < max_count && iterations < ONEBOX_MULTI_GET_MAX_COUNT &&
			   size < max_size && iter_valid(it, prefix, prefix_len))
		{
			const OneboxKey *k = onebox_iter_key(it);

			c = onebox_bytes_cmp(k->data, k->len, stop, stop_len);
			if (c > 0 || (c == 0 && !stop_incl))
			{
				complete = TRUE;
				break;
			}
			if (first_exclusive)
			{
				first_exclusive = FALSE;
				if (onebox_bytes_cmp(k->data, k->len, start, start_len) == 0)
				{
					it = onebox_store_next(it);
					continue;
				}
			}
			iterations++;
			if (multi_get_take(rq, it, now, kvs, &size))
				count++;
			if (c == 0)
			{
				complete = TRUE;
				break;
			}
			it = onebox_store_next(it);
		}
	}
	else
	{
		gboolean	first_exclusive = !stop_incl;
		guint		i,
					n;

		/* reverse seeks are total-order on a real replica too */
		it = onebox_store_seek_for_prev(call->part->store, stop, stop_len, TRUE);
		while (count < max_count && iterations < ONEBOX_MULTI_GET_MAX_COUNT &&
			   size < max_size && it != NULL)
		{
			const OneboxKey *k = onebox_iter_key(it);

			c = onebox_bytes_cmp(k->data, k->len, start, start_len);
			if (c < 0 || (c == 0 && !start_incl))
			{
				complete = TRUE;
				break;
			}
			if (first_exclusive)
			{
				first_exclusive = FALSE;
				if (onebox_bytes_cmp(k->data, k->len, stop, stop_len) == 0)
				{
					it = onebox_store_prev(it);
					continue;
				}
			}
			iterations++;
			if (multi_get_take(rq, it, now, kvs, &size))
				count++;
			if (c == 0)
			{
				complete = TRUE;
				break;
			}
			it = onebox_store_prev(it);
		}
		/* results are always in ascending sort-key order */
		n = kvs->len;
		for (i = 0; i < n / 2; i++)
		{
			PegasusKeyValue tmp = g_array_index(kvs, PegasusKeyValue, i);

			g_array_index(kvs, PegasusKeyValue, i) = g_array_index(kvs, PegasusKeyValue, n - 1 - i);
			g_array_index(kvs, PegasusKeyValue, n - 1 - i) = tmp;
		}
		prefix = NULL;
	}

	/* stopped on a limit while the iterator still points at a record */
	if (!complete && iter_valid(it, prefix, prefix_len))
		*error = PEGASUS_RDB_INCOMPLETE;
}

void
onebox_replica_multi_get(OneboxCall *call)
{
	const PegasusMultiGetRequest *rq = &call->req->u.multi_get;
	PegasusMultiGetResponse *rs = &call->reply->u.multi_get;
	GArray	   *kvs;

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (rq->sort_key_filter_type < PEGASUS_FT_NO_FILTER ||
		rq->sort_key_filter_type > PEGASUS_FT_MATCH_POSTFIX)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	kvs = g_array_new(FALSE, FALSE, sizeof(PegasusKeyValue));
	if (rq->n_sort_keys > 0)
		multi_get_points(call, kvs, &rs->error);
	else
		multi_get_range(call, kvs, &rs->error);
	rs->n_kvs = kvs->len;
	rs->kvs = (PegasusKeyValue *) g_array_free(kvs, FALSE);
	g_ptr_array_add(call->scratch, rs->kvs);
}

/* ------------------------------------------------------------------------
 * batch_get, sortkey_count
 * ------------------------------------------------------------------------ */

void
onebox_replica_batch_get(OneboxCall *call)
{
	const PegasusBatchGetRequest *rq = &call->req->u.batch_get;
	PegasusBatchGetResponse *rs = &call->reply->u.batch_get;
	guint32		now = onebox_pegasus_now();
	guint32		i,
				n = 0;

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (rq->n_keys == 0)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	rs->error = PEGASUS_RDB_OK;
	rs->data = g_new0(PegasusFullData, rq->n_keys);
	g_ptr_array_add(call->scratch, rs->data);
	for (i = 0; i < rq->n_keys; i++)
	{
		gsize		klen;
		guint8	   *k = onebox_make_key(call, rq->keys[i].hash_key, rq->keys[i].sort_key, &klen);
		const OneboxValue *v = onebox_store_get(call->part->store, k, klen);

		if (v == NULL || onebox_value_expired(v, now))
			continue;
		rs->data[n].hash_key = rq->keys[i].hash_key;
		rs->data[n].sort_key = rq->keys[i].sort_key;
		rs->data[n].value = value_blob(v);
		n++;
	}
	rs->n_data = n;
}

void
onebox_replica_sortkey_count(OneboxCall *call)
{
	PegasusCountResponse *rs = &call->reply->u.sortkey_count;
	PegasusBlob hk = call->req->u.key;
	guint32		now = onebox_pegasus_now();
	gsize		start_len,
				stop_len;
	const guint8 *start = onebox_make_key(call, hk, pegasus_codec_blob(NULL, 0), &start_len);
	const guint8 *stop = make_next_key(call, hk, pegasus_codec_blob(NULL, 0), &stop_len);
	OneboxIter *it;
	gint64		count = 0;

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	for (it = onebox_store_seek(call->part->store, start, start_len, TRUE); it != NULL;
		 it = onebox_store_next(it))
	{
		const OneboxKey *k = onebox_iter_key(it);

		if (onebox_bytes_cmp(k->data, k->len, stop, stop_len) >= 0)
			break;
		if (!onebox_value_expired(onebox_iter_value(it), now))
			count++;
	}
	rs->error = PEGASUS_RDB_OK;
	rs->count = count;
}
