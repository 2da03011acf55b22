/*-------------------------------------------------------------------------
 *
 * replica_scan.c
 *	  Scanners (protocol 4.13): get_scanner, scan, clear_scanner and the
 *	  per-partition scan contexts.
 *
 * A context remembers the key the iterator pointed at when the batch
 * stopped; the next scan seeks there again (records written in between
 * may therefore show up, which a client cannot tell from a real server).
 * Every call that leaves the scan unfinished stores the context under a
 * new id; the old id is dead.  Contexts idle for 5 minutes of onebox clock
 * (control "clock" advances it) disappear: scan then answers error 1.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

struct OneboxScanContext
{
	gint64		id;
	gint64		expire_ms;
	guint8	   *next_key;
	gsize		next_len;
	guint8	   *prefix;			/* NULL = total-order iteration */
	gsize		prefix_len;
	guint8	   *stop;
	gsize		stop_len;
	gboolean	stop_inclusive;
	gint32		hk_filter_type;
	PegasusBlob hk_filter;		/* owned copies */
	gint32		sk_filter_type;
	PegasusBlob sk_filter;
	gint32		batch;
	gboolean	no_value;
	gboolean	return_expire_ts;
	gboolean	only_return_count;
	gboolean	validate_hash;	/* validate_partition_hash asked (default) */
	guint64		reply_conn;		/* connection of the reply that named this id */
	gboolean	at_risk;		/* that reply may never have reached the client */
	gboolean	clear_refused;	/* a clear_scanner of it was refused (throttled, splitting) */
	gint64		opened_ms;		/* onebox clock at get_scanner */
	gint32		batches;		/* replies that named a context so far */
};

/* Parameters of one batch */
typedef struct ScanParams
{
	const guint8 *prefix;
	gsize		prefix_len;
	const guint8 *stop;
	gsize		stop_len;
	gboolean	stop_inclusive;
	gint32		hk_filter_type;
	PegasusBlob hk_filter;
	gint32		sk_filter_type;
	PegasusBlob sk_filter;
	gint32		batch;
	gboolean	no_value;
	gboolean	return_expire_ts;
	gboolean	only_return_count;
	gboolean	validate_hash;
} ScanParams;

void
onebox_scan_context_free(gpointer p)
{
	OneboxScanContext *ctx = p;

	g_free(ctx->next_key);
	g_free(ctx->prefix);
	g_free(ctx->stop);
	g_free((gpointer) ctx->hk_filter.data);
	g_free((gpointer) ctx->sk_filter.data);
	g_free(ctx);
}

static PegasusBlob
blob_copy(PegasusBlob b)
{
	return pegasus_codec_blob(b.len ? g_memdup2(b.data, b.len) : NULL, b.len);
}

static gboolean
iter_valid(OneboxIter *it, const ScanParams *sp)
{
	const OneboxKey *k;

	if (it == NULL)
		return FALSE;
	if (sp->prefix == NULL)
		return TRUE;
	k = onebox_iter_key(it);
	return k->len >= sp->prefix_len && memcmp(k->data, sp->prefix, sp->prefix_len) == 0;
}

static gboolean
record_matches(const ScanParams *sp, const OneboxKey *k)
{
	PegasusBlob hk,
				sk;

	if (sp->hk_filter_type == PEGASUS_FT_NO_FILTER && sp->sk_filter_type == PEGASUS_FT_NO_FILTER)
		return TRUE;
	if (!pegasus_codec_key_restore(k->data, k->len, &hk, &sk))
		return FALSE;
	return onebox_filter_match(sp->hk_filter_type, sp->hk_filter, hk.data, hk.len) &&
		onebox_filter_match(sp->sk_filter_type, sp->sk_filter, sk.data, sk.len);
}

/*
 * Run one batch from `it`.  `start` (when not NULL) is an exclusive start
 * key to skip.  Returns the iterator position after the loop and sets
 * *complete when the stop bound was reached.
 */
static OneboxIter *
run_batch(OneboxCall *call, const ScanParams *sp, OneboxIter *it,
		  const guint8 *skip_key, gsize skip_len, guint32 max_iterations,
		  GArray *kvs, gint32 *count, gboolean *complete)
{
	guint32		now = onebox_pegasus_now();
	guint32		iterations = 0;

	/*
	 * validate_key_value_for_scan: with the split env set, records of the
	 * other half (kept until compaction) are skipped, by the partition
	 * version of this very batch.
	 */
	gboolean	validate = sp->validate_hash &&
		onebox_table_validates_hash(call->part->table);

	*complete = FALSE;
	*count = 0;
	while (*count < sp->batch && iterations < max_iterations && iter_valid(it, sp))
	{
		const OneboxKey *k = onebox_iter_key(it);
		const OneboxValue *v = onebox_iter_value(it);
		int			c = onebox_bytes_cmp(k->data, k->len, sp->stop, sp->stop_len);

		if (c > 0 || (c == 0 && !sp->stop_inclusive))
		{
			*complete = TRUE;
			break;
		}
		if (skip_key != NULL)
		{
			gboolean	same = onebox_bytes_cmp(k->data, k->len, skip_key, skip_len) == 0;

			skip_key = NULL;
			if (same)
			{
				it = onebox_store_next(it);
				continue;
			}
		}
		iterations++;
		if (!onebox_value_expired(v, now) &&
			(!validate ||
			 onebox_partition_owns_hash(call->part,
										pegasus_codec_key_partition_hash(k->data, k->len))) &&
			record_matches(sp, k))
		{
			(*count)++;
			if (!sp->only_return_count)
			{
				PegasusKeyValue kv;

				memset(&kv, 0, sizeof(kv));
				kv.key = pegasus_codec_blob(k->data, k->len);
				if (!sp->no_value)
					kv.value = pegasus_codec_blob(v->data, v->len);
				if (sp->return_expire_ts)
				{
					kv.has_expire_ts_seconds = TRUE;
					kv.expire_ts_seconds = (gint32) v->expire_ts;
				}
				g_array_append_val(kvs, kv);
			}
		}
		if (c == 0)
		{
			*complete = TRUE;
			break;
		}
		it = onebox_store_next(it);
	}
	return it;
}

/* Fill the response after a batch: kvs / kv_count, context id */
static void
finish_batch(OneboxCall *call, const ScanParams *sp, OneboxScanContext *ctx,
			 OneboxIter *it, GArray *kvs, gint32 count, gboolean complete)
{
	PegasusScanResponse *rs = &call->reply->u.scan;
	OneboxPartition *part = call->part;

	rs->error = PEGASUS_RDB_OK;
	if (sp->only_return_count)
	{
		rs->has_kv_count = TRUE;
		rs->kv_count = count;
	}
	rs->n_kvs = kvs->len;
	rs->kvs = (PegasusKeyValue *) g_array_free(kvs, FALSE);
	g_ptr_array_add(call->scratch, rs->kvs);

	if (!complete && iter_valid(it, sp))
	{
		const OneboxKey *k = onebox_iter_key(it);
		gint64	   *idkey;

		g_free(ctx->next_key);
		ctx->next_key = g_memdup2(k->data, k->len);
		ctx->next_len = k->len;
		ctx->id = onebox_partition_next_context_id(part, &idkey);
		ctx->expire_ms = onebox_now_ms() + ONEBOX_SCAN_IDLE_MS;
		/*
		 * A reply that is corrupted, delayed by injected latency (the
		 * client may have given up on it and closed the connection) or sent
		 * in a stream already corrupted may never reach the client.
		 */
		ctx->reply_conn = call->conn ? call->conn->id : 0;
		ctx->batches++;
		ctx->at_risk = call->conn == NULL || call->conn->poisoned ||
			call->ep->corrupt != ONEBOX_CORRUPT_NONE || call->ep->latency_ms > 0;
		g_hash_table_insert(part->scanners, idkey, ctx);
		rs->context_id = ctx->id;
	}
	else
	{
		onebox_scan_context_free(ctx);
		rs->context_id = -1;
	}
}

static void
params_from_context(const OneboxScanContext *ctx, ScanParams *sp)
{
	sp->prefix = ctx->prefix;
	sp->prefix_len = ctx->prefix_len;
	sp->stop = ctx->stop;
	sp->stop_len = ctx->stop_len;
	sp->stop_inclusive = ctx->stop_inclusive;
	sp->hk_filter_type = ctx->hk_filter_type;
	sp->hk_filter = ctx->hk_filter;
	sp->sk_filter_type = ctx->sk_filter_type;
	sp->sk_filter = ctx->sk_filter;
	sp->batch = ctx->batch;
	sp->no_value = ctx->no_value;
	sp->return_expire_ts = ctx->return_expire_ts;
	sp->only_return_count = ctx->only_return_count;
	sp->validate_hash = ctx->validate_hash;
}

static gboolean
filter_type_ok(gint32 t)
{
	return t >= PEGASUS_FT_NO_FILTER && t <= PEGASUS_FT_MATCH_POSTFIX;
}

void
onebox_replica_get_scanner(OneboxCall *call)
{
	const PegasusGetScannerRequest *rq = &call->req->u.get_scanner;
	PegasusScanResponse *rs = &call->reply->u.scan;
	const guint8 *start = rq->start_key.data;
	gsize		start_len = rq->start_key.len;
	gboolean	start_incl = rq->start_inclusive;
	OneboxScanContext *ctx;
	ScanParams	sp;
	PegasusBlob hk,
				sk;
	GArray	   *kvs;
	OneboxIter *it;
	gint32		count;
	gboolean	complete;
	int			c;

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (!filter_type_ok(rq->hash_key_filter_type) || !filter_type_ok(rq->sort_key_filter_type))
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}

	/* a hash-key prefix filter can only move the start (hash keys are not ordered) */
	if (rq->hash_key_filter_type == PEGASUS_FT_MATCH_PREFIX &&
		rq->hash_key_filter_pattern.len > 0)
	{
		gsize		ps_len;
		guint8	   *ps = onebox_make_key(call, rq->hash_key_filter_pattern,
										 pegasus_codec_blob(NULL, 0), &ps_len);

		if (onebox_bytes_cmp(ps, ps_len, start, start_len) > 0)
		{
			start = ps;
			start_len = ps_len;
			start_incl = TRUE;
		}
	}

	/* empty range: error 0, no rows, context id left at 0 */
	c = onebox_bytes_cmp(start, start_len, rq->stop_key.data, rq->stop_key.len);
	if (c > 0 || (c == 0 && (!start_incl || !rq->stop_inclusive)))
	{
		rs->error = PEGASUS_RDB_OK;
		return;
	}

	ctx = g_new0(OneboxScanContext, 1);
	ctx->opened_ms = onebox_now_ms();
	ctx->stop = g_memdup2(rq->stop_key.data, rq->stop_key.len);
	ctx->stop_len = rq->stop_key.len;
	ctx->stop_inclusive = rq->stop_inclusive;
	ctx->hk_filter_type = rq->hash_key_filter_type;
	ctx->hk_filter = blob_copy(rq->hash_key_filter_pattern);
	ctx->sk_filter_type = rq->sort_key_filter_type;
	ctx->sk_filter = blob_copy(rq->sort_key_filter_pattern);
	ctx->batch = (rq->batch_size > 0 && rq->batch_size < ONEBOX_SCAN_MAX_COUNT)
		? rq->batch_size : ONEBOX_SCAN_MAX_COUNT;
	ctx->no_value = rq->no_value;
	ctx->return_expire_ts = rq->has_return_expire_ts && rq->return_expire_ts;
	ctx->only_return_count = rq->has_only_return_count && rq->only_return_count;
	ctx->validate_hash = !rq->has_validate_partition_hash || rq->validate_partition_hash;

	/*
	 * With the prefix bloom filter a scan on one hash key (non-empty hash
	 * key in the start key, no full_scan) never leaves that hash key.
	 */
	pegasus_codec_key_restore(rq->start_key.data, rq->start_key.len, &hk, &sk);
	if (onebox.prefix_iteration && hk.len > 0 && !(rq->has_full_scan && rq->full_scan))
	{
		ctx->prefix_len = 2 + hk.len;
		ctx->prefix = g_memdup2(start, ctx->prefix_len);
	}

	params_from_context(ctx, &sp);
	kvs = g_array_new(FALSE, FALSE, sizeof(PegasusKeyValue));
	it = onebox_store_seek(call->part->store, start, start_len, TRUE);
	it = run_batch(call, &sp, it, start_incl ? NULL : start, start_len,
				   ONEBOX_SCAN_MAX_COUNT, kvs, &count, &complete);
	finish_batch(call, &sp, ctx, it, kvs, count, complete);
}

void
onebox_replica_scan(OneboxCall *call)
{
	PegasusScanResponse *rs = &call->reply->u.scan;
	gint64		id = call->req->u.scan.context_id;
	OneboxScanContext *ctx = NULL;
	gpointer	key = NULL;
	ScanParams	sp;
	GArray	   *kvs;
	OneboxIter *it;
	gint32		count;
	gboolean	complete;

	rs->app_id = call->part->table->app_id;
	rs->partition_index = call->part->pidx;
	rs->server = pegasus_codec_blob_str(call->ep->server_name);
	if (!g_hash_table_steal_extended(call->part->scanners, &id, &key, (gpointer *) &ctx))
	{
		rs->error = PEGASUS_RDB_NOT_FOUND;
		return;
	}
	g_free(key);
	if (ctx->expire_ms <= onebox_now_ms())
	{
		onebox_scan_context_free(ctx);
		rs->error = PEGASUS_RDB_NOT_FOUND;
		return;
	}
	params_from_context(ctx, &sp);
	kvs = g_array_new(FALSE, FALSE, sizeof(PegasusKeyValue));
	it = onebox_store_seek(call->part->store, ctx->next_key, ctx->next_len, TRUE);
	/* a scan call may iterate at most `batch` records */
	it = run_batch(call, &sp, it, NULL, 0, (guint32) ctx->batch, kvs, &count, &complete);
	finish_batch(call, &sp, ctx, it, kvs, count, complete);
}

void
onebox_replica_clear_scanner(OneboxCall *call)
{
	gint64		id = call->req->u.context_id;

	g_hash_table_remove(call->part->scanners, &id);
	/* never answered once dispatched */
	call->send_reply = FALSE;
}

guint
onebox_scanner_count(void)
{
	guint		n = 0;
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		gint32		p;

		if (t->parts == NULL)
			continue;
		for (p = 0; p < t->partition_count; p++)
			n += g_hash_table_size(t->parts[p]->scanners);
	}
	return n;
}

/* Calls fn on every open scan context */
static void
each_context(void (*fn) (OneboxScanContext *ctx, gpointer data), gpointer data)
{
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		gint32		p;
		GHashTableIter it;
		gpointer	v;

		if (t->parts == NULL)
			continue;
		for (p = 0; p < t->partition_count; p++)
		{
			g_hash_table_iter_init(&it, t->parts[p]->scanners);
			while (g_hash_table_iter_next(&it, NULL, &v))
				fn(v, data);
		}
	}
}

static void
count_at_risk(OneboxScanContext *ctx, gpointer n)
{
	if (ctx->at_risk)
		(*(guint *) n)++;
}

/* Contexts still open whose last reply may never have reached the client */
guint
onebox_scanner_count_at_risk(void)
{
	guint		n = 0;

	each_context(count_at_risk, &n);
	return n;
}

static void
count_refused(OneboxScanContext *ctx, gpointer n)
{
	if (ctx->clear_refused && !ctx->at_risk)
		(*(guint *) n)++;
}

/*
 * Contexts still open that the client asked to clear, but whose
 * clear_scanner the replica refused (ERR_BUSY of read throttling,
 * ERR_SPLITTING, ERR_INVALID_STATE): a real replica keeps those until they
 * expire too.  Not counting those already at risk.
 */
guint
onebox_scanner_count_refused(void)
{
	guint		n = 0;

	each_context(count_refused, &n);
	return n;
}

/* The replica refused a clear_scanner of context id on part */
void
onebox_scanner_clear_refused(OneboxPartition *part, gint64 id)
{
	OneboxScanContext *ctx;

	if (part != NULL && (ctx = g_hash_table_lookup(part->scanners, &id)) != NULL)
		ctx->clear_refused = TRUE;
}

static void
mark_if_on_conn(OneboxScanContext *ctx, gpointer conn_id)
{
	if (ctx->reply_conn == *(guint64 *) conn_id)
		ctx->at_risk = TRUE;
}

/*
 * One line per open context, for the control command scanner-list: what a
 * test needs to tell which client left it (the connection and whether it is
 * still open, the scan's shape, its age).
 */
void
onebox_scanner_describe(void (*emit) (const char *line, gpointer data), gpointer data)
{
	gint64		now = onebox_now_ms();
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		gint32		p;
		GHashTableIter it;
		gpointer	v;

		if (t->parts == NULL)
			continue;
		for (p = 0; p < t->partition_count; p++)
		{
			g_hash_table_iter_init(&it, t->parts[p]->scanners);
			while (g_hash_table_iter_next(&it, NULL, &v))
			{
				OneboxScanContext *ctx = v;
				char	   *line;

				line = g_strdup_printf("%s.%d id=%" G_GINT64_FORMAT " conn=%" G_GUINT64_FORMAT
									   " conn_open=%d at_risk=%d clear_refused=%d age_ms=%" G_GINT64_FORMAT
									   " idle_ms=%" G_GINT64_FORMAT " batches=%d batch=%d"
									   " count_only=%d no_value=%d hk_filter=%d sk_filter=%d"
									   " prefix=%d stop=%d",
									   t->name, p, ctx->id, ctx->reply_conn,
									   onebox_conn_is_open(ctx->reply_conn), ctx->at_risk,
									   ctx->clear_refused,
									   now - ctx->opened_ms,
									   now - (ctx->expire_ms - ONEBOX_SCAN_IDLE_MS),
									   ctx->batches, ctx->batch, ctx->only_return_count,
									   ctx->no_value, ctx->hk_filter_type, ctx->sk_filter_type,
									   ctx->prefix != NULL, ctx->stop != NULL);
				emit(line, data);
				g_free(line);
			}
		}
	}
}

/* The connection conn_id went away with replies the client may not have read */
void
onebox_scanner_conn_lost(guint64 conn_id)
{
	each_context(mark_if_on_conn, &conn_id);
}

static gboolean
context_expired(gpointer key, gpointer value, gpointer now)
{
	return ((OneboxScanContext *) value)->expire_ms <= *(gint64 *) now;
}

/*
 * Removes the contexts that pred selects, of every partition whose primary
 * is replica (-1: of all partitions); returns how many.
 */
static guint
remove_contexts(int replica, GHRFunc pred, gpointer data)
{
	guint		n = 0;
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		gint32		p;

		if (t->parts == NULL)
			continue;
		for (p = 0; p < t->partition_count; p++)
			if (replica < 0 || t->parts[p]->primary == replica)
				n += g_hash_table_foreach_remove(t->parts[p]->scanners, pred, data);
	}
	return n;
}

void
onebox_scanner_expire(void)
{
	gint64		now = onebox_now_ms();

	(void) remove_contexts(-1, context_expired, &now);
}

static gboolean
context_any(gpointer key, gpointer value, gpointer data)
{
	return TRUE;
}

/*
 * Drops every scan context, as a replica server that restarts loses them;
 * returns how many.  A client's next scan on one gets error 1 (not found).
 */
guint
onebox_scanner_drop_all(void)
{
	return remove_contexts(-1, context_any, NULL);
}

/* The contexts of the partitions a replica serves, gone with its process. */
guint
onebox_scanner_drop_replica(int replica)
{
	return remove_contexts(replica, context_any, NULL);
}
