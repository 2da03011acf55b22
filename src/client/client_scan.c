/*-------------------------------------------------------------------------
 *
 * client_scan.c
 *		Scanners: over one hash key, over sets of partitions (unordered
 *		scanners, and the concurrent partition scanner).
 *
 * A scanner is a list of "cursors", one per key range: the hash-key
 * scanner has one (routed by the hash key), the partition scanners one per
 * partition (routed by index, full_scan).  Up to max_inflight cursors are
 * active at a time.  Each active cursor keeps one RPC in flight
 * (get_scanner, then scan(context_id) while the context is live), so the
 * next batch is on its way while the caller consumes the current one; a
 * cursor holds at most one received batch that is not yet consumed.
 *
 * Context ids: after error 0, -1 means "partition finished"; any other
 * value, negative ones included, is a live context to scan again and to
 * clear on close.  Error 1 (context lost: expired, replica restarted,
 * primary moved) resumes with get_scanner from the last key received,
 * exclusive, so every row is yielded once.  Empty ranges are detected
 * locally and cost no RPC.
 *
 * Partition splits.  A partition cursor scans partition p under the count
 * it was created with (N), with the partition hash p | ~(N - 1) and
 * validate_partition_hash.  Until p has registered its child, p serves
 * all of its keys; from the first batch after that, it would silently
 * skip the half that moved to child p + N (the official clients' unordered
 * scanners lose those rows), but the partition hash now selects the child,
 * so p answers ERR_PARENT_PARTITION_MISUSED instead.  The cursor then
 * refreshes the routing and becomes p under 2N (the same server context
 * goes on, now skipping the moved half), and a new cursor scans p + N from
 * the same resume point: the child holds a copy of the parent's records,
 * and every moved record before that point came from the parent.  A
 * count-only cursor, which has no resume key, starts over under 2N with its
 * count taken back.  Hash-key cursors are routed by their hash key: a
 * parent's context is lost to them, which resumes at the child.
 *
 * A replica validates partition hashes only while its table's env
 * replica.split.validate_partition_hash is "true" (the meta server sets it
 * when a split starts; an operator may turn it off).  Without it neither
 * ERR_PARENT_PARTITION_MISUSED nor the skipping happens, and parent and
 * child both return the other half's records (compaction keeps them too).
 * So a partition cursor keeps only the records whose hash selects its own
 * index under its count, and a count-only cursor that has followed a split
 * counts keys (no values) it has checked so, rather than the server's
 * counts.
 *
 * Rows carry the partition index of the cursor they come from, and the
 * rows of one hash key come together from one partition; an embedder may
 * rely on that (the FDW's wide layout assembles rows per partition).  At
 * a split, the rest of the hash key last received continues in the child
 * when the key moved, so the child then reports the parent's index and
 * the parent the child's.
 *
 * This file fetches and yields; the scanners are opened in
 * client_scan_open.c, and client_scan_internal.h holds the two structs.
 *
 * src/client/client_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"
#include "client_scan_internal.h"

void
pegasus_scan_options_init(PegasusScanOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->batch_size = DEFAULT_BATCH;
	opts->start_inclusive = true;
	opts->stop_inclusive = false;
	opts->max_concurrency = DEFAULT_CONCURRENCY;
}

/*
 * Gives up what the cursor holds on the server: the request in flight (its
 * reply's context is cleared when it arrives) and the live context.
 */
static void
cursor_release(PegasusScanner *s, ScanCursor *c)
{
	if (c->in_flight)
	{
		/* the reply will create a context: have it cleared on arrival */
		pegasus_net_request_abandon_scan(c->call.nreq);
		c->call.nreq = NULL;
		c->in_flight = false;
	}
	pegasus_call_cleanup(&c->call);
	if (c->has_context)
		pegasus_net_clear_scanner(s->table->client, c->endpoint,
								  &c->ctx_header, c->context_id);
	c->has_context = false;
}

static void
cursor_free(PegasusScanner *s, ScanCursor *c)
{
	cursor_release(s, c);
	pegasus_reply_free(c->ready);
	c->ready = NULL;
	g_byte_array_free(c->start_key, TRUE);
	g_byte_array_free(c->stop_key, TRUE);
	g_byte_array_free(c->last_key, TRUE);
	g_free(c);
}

static void cursor_send(PegasusScanner *s, ScanCursor *c);

/* ----------------------------------------------------------------------
 * Fetching
 * ---------------------------------------------------------------------- */

static int
effective_batch(PegasusScanner *s)
{
	int			b = s->opts.batch_size;

	if (s->opts.limit > 0 && !s->opts.only_return_count)
	{
		int64_t		left = s->opts.limit - s->count;

		if (left > 0 && left < b)
			b = (int) left;
	}
	return b;
}

/* Issues get_scanner (fresh or resuming) or scan for cursor c. */
static void
cursor_send(PegasusScanner *s, ScanCursor *c)
{
	int64_t		deadline = pegasus_deadline(s->table->client, s->opts.timeout_ms);

	pegasus_call_cleanup(&c->call);
	if (c->has_context)
	{
		pegasus_call_init(&c->call, s->table, PEGASUS_RPC_SCAN, "scan", true,
						  c->partition_hash, deadline);
		c->call.req.u.scan.context_id = c->context_id;
		/* the context is consumed by this call; the reply names a new one */
		c->has_context = false;
	}
	else
	{
		PegasusGetScannerRequest *u;

		pegasus_call_init(&c->call, s->table, PEGASUS_RPC_GET_SCANNER, "scan",
						  true, c->partition_hash, deadline);
		u = &c->call.req.u.get_scanner;
		if (c->have_last)
		{
			u->start_key = pegasus_codec_blob(c->last_key->data, c->last_key->len);
			u->start_inclusive = false;
		}
		else
		{
			u->start_key = pegasus_codec_blob(c->start_key->data, c->start_key->len);
			u->start_inclusive = c->start_inclusive;
		}
		u->stop_key = pegasus_codec_blob(c->stop_key->data, c->stop_key->len);
		u->stop_inclusive = c->stop_inclusive;
		u->batch_size = effective_batch(s);
		u->no_value = s->opts.no_value;
		u->hash_key_filter_type = s->opts.hash_key_filter.type;
		u->hash_key_filter_pattern = pegasus_codec_blob(s->hk_pattern->data,
														s->hk_pattern->len);
		u->sort_key_filter_type = s->opts.sort_key_filter.type;
		u->sort_key_filter_pattern = pegasus_codec_blob(s->sk_pattern->data,
														s->sk_pattern->len);
		u->has_validate_partition_hash = true;
		u->validate_partition_hash = s->full_scan;
		u->has_return_expire_ts = true;
		u->return_expire_ts = s->opts.return_expire_ts;
		u->has_full_scan = s->full_scan;
		u->full_scan = s->full_scan;
		u->has_only_return_count = true;
		u->only_return_count = s->opts.only_return_count && !c->count_keys;
		if (c->count_keys)
			u->no_value = true;
	}
	c->call.fixed_partition = c->partition;
	c->call.route_count = c->partition >= 0 ? c->count : 0;
	c->in_flight = true;
	pegasus_call_start(&c->call);
}

/*
 * Cursors that occupy a concurrency slot: started and not yet finished, or
 * holding a batch not yet taken.  (The batch being yielded does not count,
 * so the next partition starts while the last batch of one is consumed.)
 */
static int
active_cursors(PegasusScanner *s)
{
	int			i;
	int			n = 0;

	for (i = 0; i < s->ncursors; i++)
	{
		ScanCursor *c = s->cursors[i];

		if (c->started && (!c->finished || c->ready != NULL || c->in_flight))
			n++;
	}
	return n;
}

/* Starts cursors up to the concurrency limit, and refills drained ones. */
static void
scanner_feed(PegasusScanner *s)
{
	int			i;
	int			active = active_cursors(s);

	while (active < s->max_inflight && s->next_cursor < s->ncursors)
	{
		ScanCursor *c = s->cursors[s->next_cursor++];

		if (c->started)
			continue;
		c->started = true;
		active++;
		cursor_send(s, c);
	}
	for (i = 0; i < s->ncursors; i++)
	{
		ScanCursor *c = s->cursors[i];

		if (c->started && !c->finished && !c->in_flight && c->ready == NULL)
			cursor_send(s, c);
	}
}

/* Sends the first batches of a new scanner (client_scan_open.c). */
void
pegasus_scanner_start(PegasusScanner *s)
{
	scanner_feed(s);
}

/*
 * The count a cursor of partition under old expands to: the table's, or
 * half of it while a child of partition's key space under the latest split
 * is not registered yet (its parent serves it: a later split of the table
 * may be under way while the cursor follows an earlier one).
 */
static int
cursor_split_count(const PegasusTable *table, int partition, int old)
{
	int			c = table->partition_count;
	int			i;

	for (i = partition + c / 2; c > old && i < c; i += old)
		if (table->routes[i].ballot < 0)
			return c / 2;
	return c;
}

/*
 * A count-only cursor that must begin again has no resume key (the server
 * returns counts, not keys): it counts its range again from the start, so
 * what it counted so far is taken back.  Rows cursors resume after their
 * last key instead, and keep what they yielded.
 */
static void
cursor_restart_count(PegasusScanner *s, ScanCursor *c)
{
	if (!s->opts.only_return_count || c->count_keys)
		return;
	s->count -= c->rows;
	c->rows = 0;
	c->have_last = false;
}

/*
 * Cursor c's partition has split (its call failed with split_seen): see
 * the file header.  false on failure (s->err filled).
 */
static bool
cursor_follow_split(PegasusScanner *s, ScanCursor *c)
{
	PegasusTable *table = s->table;
	int64_t		deadline = pegasus_deadline(table->client, s->opts.timeout_ms);
	PegasusError err;
	int			old = c->count;
	int			count;
	int			continues = -1;
	int			j;

	/* a scan turned away did not consume its context */
	if (c->call.req.rpc == PEGASUS_RPC_SCAN)
		c->has_context = true;
	if (!pegasus_route_refresh(table, deadline, &err))
	{
		s->err = err;
		return false;
	}
	count = cursor_split_count(table, c->partition, old);
	if (count <= old)
	{
		/* the meta server does not show the split yet: ask again later */
		int64_t		now = pegasus_now_us();

		if (c->split_deadline == 0)
		{
			c->split_deadline = deadline;
			c->split_backoff_ms = table->client->opts.retry_backoff_ms;
		}
		if (now >= c->split_deadline)
		{
			s->err = c->call.err;
			return false;
		}
		if (pegasus_net_sleep(table->client,
							  MIN(c->split_deadline,
								  now + (int64_t) c->split_backoff_ms * 1000)) < 0)
		{
			pegasus_error_set(&s->err, PEGASUS_ERR_INTERRUPTED, "scan",
							  "The scan was interrupted.");
			return false;
		}
		c->split_backoff_ms = MIN(c->split_backoff_ms * 2,
								  table->client->opts.retry_backoff_max_ms);
		cursor_send(s, c);
		return true;
	}
	c->split_deadline = 0;
	if (s->opts.only_return_count && !c->count_keys)
	{
		cursor_restart_count(s, c);
		c->count_keys = true;
		if (c->has_context)
		{
			PegasusRequestHeader h = c->ctx_header;

			h.partition_hash = pegasus_route_group_hash(c->partition, count);
			pegasus_net_clear_scanner(table->client, c->endpoint, &h, c->context_id);
			c->has_context = false;
		}
	}
	/* the cursor that continues the hash key last received keeps the index */
	if (c->have_last)
	{
		int			owner = pegasus_codec_partition_index(pegasus_codec_key_partition_hash(c->last_key->data,
																						   c->last_key->len),
														  count);

		continues = owner != c->partition ? owner : -1;
	}
	for (j = 1; j < count / old; j++)
	{
		ScanCursor *child = cursor_new(s);

		cursor_init_partition(child, c->partition + j * old, count);
		child->count_keys = s->opts.only_return_count;
		g_byte_array_set_size(child->start_key, 0);
		g_byte_array_append(child->start_key, c->start_key->data, c->start_key->len);
		child->start_inclusive = c->start_inclusive;
		g_byte_array_set_size(child->stop_key, 0);
		g_byte_array_append(child->stop_key, c->stop_key->data, c->stop_key->len);
		child->stop_inclusive = c->stop_inclusive;
		if (c->have_last)
		{
			g_byte_array_append(child->last_key, c->last_key->data, c->last_key->len);
			child->have_last = true;
		}
		if (child->partition == continues)
		{
			child->report_index = c->report_index;
			c->report_index = child->partition;
		}
	}
	c->count = count;
	c->partition_hash = pegasus_route_group_hash(c->partition, c->count);
	if (c->has_context)
		c->ctx_header.partition_hash = c->partition_hash;
	cursor_send(s, c);
	return true;
}

/*
 * Keeps the records of kvs[0..n) in c's key space, those whose hash selects
 * c->partition under c->count (see the file header); returns how many.
 * The records of one hash key come together, so the hash is computed once
 * per hash key.
 */
static guint32
cursor_keep_own(const ScanCursor *c, PegasusKeyValue *kvs, guint32 n)
{
	const guint8 *prev = NULL;
	gsize		prev_len = 0;
	bool		prev_own = true;
	guint32		kept = 0;
	guint32		i;

	for (i = 0; i < n; i++)
	{
		const guint8 *k = kvs[i].key.data;
		gsize		len = kvs[i].key.len;
		gsize		hk_len = len >= 2 ? 2 + (((gsize) k[0] << 8) | k[1]) : len;
		bool		own;

		if (len < 2 || hk_len > len)
			own = true;			/* malformed: the yield reports it */
		/* an empty hash key hashes its sort key: no sharing then */
		else if (prev != NULL && hk_len > 2 && hk_len == prev_len &&
				 memcmp(k, prev, hk_len) == 0)
			own = prev_own;
		else
		{
			own = pegasus_codec_partition_index(pegasus_codec_key_partition_hash(k, len),
												c->count) == c->partition;
			prev = k;
			prev_len = hk_len;
			prev_own = own;
		}
		if (own)
		{
			if (kept != i)
				kvs[kept] = kvs[i];
			kept++;
		}
	}
	return kept;
}

/*
 * Handles the finished call of cursor c: queues the batch, remembers the
 * resume point and context, or resumes after a lost context.  false on
 * failure (s->err filled).
 */
static bool
cursor_receive(PegasusScanner *s, ScanCursor *c)
{
	PegasusScanResponse *r;
	PegasusReply *reply;

	c->in_flight = false;
	if (c->call.state == PEGASUS_CALL_FAILED && c->call.split_seen)
		return cursor_follow_split(s, c);
	if (c->call.state != PEGASUS_CALL_DONE)
	{
		s->err = c->call.err;
		return false;
	}
	c->split_deadline = 0;
	r = &c->call.reply->resp.u.scan;
	if (r->error == 1 && c->call.req.rpc == PEGASUS_RPC_SCAN)
	{
		/* context lost: start over after the last key received */
		c->has_context = false;
		cursor_restart_count(s, c);
		cursor_send(s, c);
		return true;
	}
	if (r->error != 0)
	{
		pegasus_error_set_storage(&s->err, "scan", r->error);
		pegasus_error_set_where(&s->err, c->call.endpoint,
								s->table->app_id, c->call.partition_index);
		return false;
	}
	reply = pegasus_call_take_reply(&c->call);
	if (r->n_kvs > 0)
	{
		PegasusBlob last = r->kvs[r->n_kvs - 1].key;

		g_byte_array_set_size(c->last_key, 0);
		g_byte_array_append(c->last_key, last.data, last.len);
		c->have_last = true;
	}
	if (r->context_id == -1)
		c->finished = true;
	else
	{
		c->has_context = true;
		c->context_id = r->context_id;
		g_strlcpy(c->endpoint, c->call.endpoint, sizeof(c->endpoint));
		c->ctx_header = c->call.req.header;
	}
	s->table->client->stats.rows_received += r->n_kvs;
	if (c->partition >= 0)
		r->n_kvs = cursor_keep_own(c, r->kvs, r->n_kvs);
	if (s->opts.only_return_count)
	{
		int64_t		n = r->has_kv_count && !c->count_keys ? r->kv_count :
			(int64_t) r->n_kvs;

		s->count += n;
		c->rows += n;
	}
	if (r->n_kvs == 0 || s->opts.only_return_count)
	{
		/* nothing to yield (count only, filtered, or end): go on at once */
		pegasus_reply_free(reply);
		if (!c->finished)
			cursor_send(s, c);
	}
	else
		c->ready = reply;

	/*
	 * The next batch of this cursor is requested when this one is taken
	 * for yielding (scanner_feed), so one batch is fetched while the
	 * previous one is consumed and at most one waits per cursor.
	 */
	return true;
}

/* Takes a ready batch, if any, as the current one. */
static bool
take_ready(PegasusScanner *s)
{
	int			i;

	for (i = 0; i < s->ncursors; i++)
	{
		ScanCursor *c = s->cursors[i];

		if (c->ready == NULL)
			continue;
		s->cur = c->ready;
		s->cur_cursor = c;
		s->cur_pos = 0;
		c->ready = NULL;
		s->batches++;
		return true;
	}
	return false;
}

static bool
all_done(PegasusScanner *s)
{
	int			i;

	for (i = 0; i < s->ncursors; i++)
		if (!s->cursors[i]->finished || s->cursors[i]->ready != NULL ||
			s->cursors[i]->in_flight)
			return false;
	return true;
}

/* Sleeps as needed to keep under the configured rates. */
static int
rate_wait(PegasusScanner *s)
{
	int64_t		until = 0;

	if (s->opts.max_rows_per_second > 0)
		until = s->rate_start_us +
			(int64_t) (s->count * 1e6 / s->opts.max_rows_per_second);
	if (s->opts.max_batches_per_second > 0)
		until = MAX(until, s->rate_start_us +
					(int64_t) (s->batches * 1e6 / s->opts.max_batches_per_second));
	if (until > pegasus_now_us())
		return pegasus_net_sleep(s->table->client, until);
	return 0;
}

static int
scanner_fail(PegasusScanner *s, PegasusError *err)
{
	s->failed = true;
	if (s->err.code == PEGASUS_OK)
		pegasus_error_set(&s->err, PEGASUS_ERR_INTERNAL, "scan",
						  "The scan failed.");
	*err = s->err;
	return -1;
}

int
pegasus_scanner_next(PegasusScanner *s, PegasusScanRow *row,
					 PegasusError *err)
{
	/* err is filled on failure; clearing all of it for every row is costly */
	err->code = PEGASUS_OK;
	if (s->failed)
	{
		*err = s->err;
		return -1;
	}
	for (;;)
	{
		/* rows left in the current batch? */
		if (s->cur != NULL)
		{
			PegasusScanResponse *r = &s->cur->resp.u.scan;

			if (s->opts.limit > 0 && s->count >= s->opts.limit &&
				!s->opts.only_return_count)
				return 0;
			if (s->cur_pos < r->n_kvs && !s->opts.only_return_count)
			{
				PegasusKeyValue *kv = &r->kvs[s->cur_pos++];
				PegasusBlob hk;
				PegasusBlob sk;

				if (!pegasus_codec_key_restore(kv->key.data, kv->key.len, &hk, &sk))
				{
					pegasus_error_set(&s->err, PEGASUS_ERR_PROTOCOL, "scan",
									  "The server returned a malformed key.");
					return scanner_fail(s, err);
				}
				row->hash_key = pegasus_slice_of(hk);
				row->sort_key = pegasus_slice_of(sk);
				row->value = pegasus_slice_of(kv->value);
				row->expire_ts_seconds = kv->expire_ts_seconds;
				if (kv->expire_ts_seconds > 0)
					row->ttl_seconds = MAX(0, (int32_t) (kv->expire_ts_seconds -
														 (int64_t) pegasus_codec_pegasus_now()));
				else
					row->ttl_seconds = -1;
				row->partition_index = s->cur_cursor->partition >= 0 ?
					s->cur_cursor->report_index :
					s->cur_cursor->call.partition_index;
				s->count++;
				return 1;
			}
			pegasus_reply_free(s->cur);
			s->cur = NULL;
		}
		if (s->opts.limit > 0 && s->count >= s->opts.limit &&
			!s->opts.only_return_count)
			return 0;

		/* the next batch: already here, or wait for one */
		scanner_feed(s);
		if (take_ready(s))
		{
			scanner_feed(s);	/* refill the cursor just drained */
			if (rate_wait(s) < 0)
			{
				pegasus_error_set(&s->err, PEGASUS_ERR_INTERRUPTED, "scan",
								  "The scan was interrupted.");
				return scanner_fail(s, err);
			}
			continue;
		}
		if (all_done(s))
			return 0;
		{
			PegasusCall *calls[64];
			PegasusCall **cl = s->ncursors <= 64 ? calls :
				g_new(PegasusCall *, s->ncursors);
			int			n = 0;
			int			i;
			int64_t		deadline = 0;
			bool		ok = true;

			for (i = 0; i < s->ncursors; i++)
				if (s->cursors[i]->in_flight)
				{
					cl[n++] = &s->cursors[i]->call;
					if (deadline == 0 || s->cursors[i]->call.deadline < deadline)
						deadline = s->cursors[i]->call.deadline;
				}
			if (n > 0 && pegasus_calls_step(cl, n, deadline) < 0)
			{
				pegasus_error_set(&s->err, PEGASUS_ERR_INTERRUPTED, "scan",
								  "The scan was interrupted.");
				ok = false;
			}
			for (i = 0; ok && i < s->ncursors; i++)
			{
				ScanCursor *c = s->cursors[i];

				if (c->in_flight && pegasus_call_finished(&c->call))
					ok = cursor_receive(s, c);
			}
			if (cl != calls)
				g_free(cl);
			if (!ok)
				return scanner_fail(s, err);
			if (n == 0 && !take_ready(s) && all_done(s))
				return 0;
		}
	}
}

int64_t
pegasus_scanner_count(const PegasusScanner *scanner)
{
	return scanner->count;
}

void
pegasus_scanner_close(PegasusScanner *s)
{
	PegasusClient *client;
	int			i;

	if (s == NULL)
		return;
	client = s->table->client;
	client->scanners = g_list_remove(client->scanners, s);
	pegasus_reply_free(s->cur);
	for (i = 0; i < s->ncursors; i++)
		cursor_free(s, s->cursors[i]);
	/* the clears go out now, not at some later wait that may never come */
	pegasus_net_flush(client);
	g_free(s->cursors);
	g_byte_array_free(s->hk_pattern, TRUE);
	g_byte_array_free(s->sk_pattern, TRUE);
	g_free(s);
}

/*
 * Stops every open scanner of client and gives up its server state (see
 * pegasus_client_release_scans): the scanners fail from now on, and closing
 * them later sends nothing.
 */
void
pegasus_scanners_release(PegasusClient *client)
{
	GList	   *l;

	for (l = client->scanners; l != NULL; l = l->next)
	{
		PegasusScanner *s = l->data;
		int			i;

		for (i = 0; i < s->ncursors; i++)
		{
			s->cursors[i]->finished = true;
			cursor_release(s, s->cursors[i]);
		}
		if (!s->failed)
		{
			s->failed = true;
			pegasus_error_set(&s->err, PEGASUS_ERR_IO, "scan",
							  "The scan was stopped: its connections were closed by the client.");
		}
	}
}

bool
pegasus_scanner_ready(const PegasusScanner *s)
{
	int			i;
	bool		waiting = false;

	if (s->failed)
		return true;
	if (s->cur != NULL &&
		(s->cur_pos < s->cur->resp.u.scan.n_kvs || s->opts.only_return_count))
		return true;
	if (s->opts.limit > 0 && s->count >= s->opts.limit && !s->opts.only_return_count)
		return true;
	for (i = 0; i < s->ncursors; i++)
	{
		const ScanCursor *c = s->cursors[i];

		if (c->ready != NULL)
			return true;
		if (c->in_flight)
		{
			if (pegasus_call_ready(&c->call))
				return true;
			waiting = true;
		}
	}
	/* nothing in flight: next starts cursors or finds the scan complete */
	return !waiting;
}
