/*-------------------------------------------------------------------------
 *
 * scan_fetch.c
 *		The steps a Pegasus foreign scan reads records with, for every
 *		operation: partition scanners (serial, or claiming partitions in a
 *		parallel scan), point lookups (multi_get, batch_get, and batch_get
 *		chunks read ahead under an asynchronous Append), sort-key ranges and
 *		counts; the counters around each client call and the error check
 *		after it; and whether the next row is there without waiting.  The
 *		executor callbacks (scan.c), wide rows (scan_wide.c) and the
 *		asynchronous Append (scan_async.c) are built on these, and nothing
 *		here calls back into them.
 *
 * src/fdw/scan_fetch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "scan_internal.h"

/* Frees the client objects the scan holds; no RPC, no error. */
void
pegfdw_scan_release(PegFdwScanState *s)
{
	if (s->kvl)
	{
		pegasus_kvlist_free(s->kvl);
		s->kvl = NULL;
	}
	if (s->value_held)
	{
		pegasus_value_free(&s->value);
		s->value_held = false;
	}
	if (s->scanner)
	{
		pegasus_scanner_close(s->scanner);
		s->scanner = NULL;
	}
	if (s->next_scanner)
	{
		pegasus_scanner_close(s->next_scanner);
		s->next_scanner = NULL;
	}
	if (s->reader)
	{
		pegasus_range_reader_close(s->reader);
		s->reader = NULL;
	}
	if (s->bg)
	{
		pegasus_batch_get_cancel(s->bg);
		s->bg = NULL;
		s->bg_keys = NULL;		/* in param_cxt */
	}
}


/*
 * Counters around each client call (other scans may use the same client
 * in between).  They run for every row, so the client is not looked up in
 * the connection cache each time: the pinned entry keeps it.
 */
static void
stats_begin(PegFdwScanState *s)
{
	pegasus_client_get_stats(s->client, &s->before);
	s->before_wait_us = pegasus_client_wait_us(s->client);
}

static void
stats_end(PegFdwScanState *s)
{
	PegasusStats after;

	pegasus_client_get_stats(s->client, &after);
	s->rpcs += after.rpcs_sent - s->before.rpcs_sent;
	s->bytes += after.bytes_received - s->before.bytes_received;
	s->rows += after.rows_received - s->before.rows_received;
	s->wait_us += pegasus_client_wait_us(s->client) - s->before_wait_us;
}

/* After a client call: rethrow hook errors, interrupts, then failures. */
static void
check(PegFdwScanState *s, bool ok, PegasusError *err)
{
	stats_end(s);
	if (!ok)
	{
		pegfdw_note_failure(s->entry, err);
		/*
		 * Close the scanners now, so that their clear_scanner requests go out
		 * on connections that are still open: the transaction-end callback
		 * may close them before the executor's memory is reset.
		 */
		pegfdw_scan_release(s);
	}
	pegfdw_check_call(ok, err, s->table->servername, s->table->table_name);
}

void
pegfdw_scan_stats_begin(PegFdwScanState *s)
{
	stats_begin(s);
}

void
pegfdw_scan_check(PegFdwScanState *s, bool ok, PegasusError *err)
{
	check(s, ok, err);
}

PegasusSlice
pegfdw_scan_slice(const Bytes *b)
{
	PegasusSlice sl;

	sl.data = b->data;
	sl.len = b->len;
	return sl;
}

/* Remaining TTL of one record, or -1 (one RPC). */
static int32
fetch_ttl(PegFdwScanState *s, PegasusSlice hash, PegasusSlice sort)
{
	PegasusError err;
	int32_t		ttl = -1;
	bool		ok;

	pegasus_error_clear(&err);
	stats_begin(s);
	ok = pegasus_table_ttl(s->pt, hash, sort, s->table->timeout_ms, &ttl, &err);
	check(s, ok, &err);
	return ttl;
}

static void
scan_options(PegFdwScanState *s, PegasusScanOptions *opts)
{
	pegasus_scan_options_init(opts);
	opts->batch_size = Min(s->table->fetch_size, 1000);
	opts->hash_key_filter = s->hfilter;
	opts->sort_key_filter = s->sfilter;
	opts->no_value = s->no_value;
	opts->return_expire_ts = s->need_ttl;
	opts->max_rows_per_second = s->table->scan_rate_limit;
	opts->timeout_ms = s->table->timeout_ms;
	opts->max_concurrency = s->table->scan_parallelism;
	if (s->limit > 0 && s->table->layout == PEGFDW_LAYOUT_KV)
		opts->limit = s->limit;
}

static void
open_partition_scanner(PegFdwScanState *s, bool only_count)
{
	PegasusScanOptions opts;
	PegasusError err;

	scan_options(s, &opts);
	opts.only_return_count = only_count;
	pegasus_error_clear(&err);
	stats_begin(s);
	s->scanner = pegasus_table_get_partition_scanner(s->pt, NULL, 0, &opts, &err);
	check(s, s->scanner != NULL, &err);
}

/*
 * Parallel scans: a scanner over the next partition this process claims,
 * or NULL when none is left.
 */
static PegasusScanner *
open_claimed_scanner(PegFdwScanState *s)
{
	PegasusScanOptions opts;
	PegasusError err;
	PegasusScanner *scanner;
	int			count;
	int			p = pegfdw_parallel_claim(s->shared, &count);

	if (p < 0)
		return NULL;
	scan_options(s, &opts);
	pegasus_error_clear(&err);
	stats_begin(s);
	scanner = pegasus_table_get_partition_scanner_of(s->pt, &p, 1, count, &opts, &err);
	check(s, scanner != NULL, &err);
	return scanner;
}

/*
 * Next row of a parallel scan: the partitions this process claims, one
 * after the other.  The next one is claimed (and its first batch
 * requested) as soon as the current one starts, so the process always has
 * a batch on its way.
 */
static int
next_parallel_row(PegFdwScanState *s, PegasusScanRow *row)
{
	for (;;)
	{
		PegasusError err;
		int			r;

		if (s->scanner == NULL)
		{
			s->scanner = s->next_scanner ? s->next_scanner : open_claimed_scanner(s);
			s->next_scanner = NULL;
			if (s->scanner == NULL)
				return 0;
			s->next_scanner = open_claimed_scanner(s);
		}
		stats_begin(s);
		r = pegasus_scanner_next(s->scanner, row, &err);
		check(s, r >= 0, &err);
		if (r > 0)
			return r;
		pegasus_scanner_close(s->scanner);
		s->scanner = NULL;
	}
}

/* Next record of a whole-table scan (partition: where it comes from). */
bool
pegfdw_scan_next_record(PegFdwScanState *s, Record *rec, int *partition)
{
	PegasusScanRow row;
	PegasusError err;
	int			r;

	if (s->shared)
		r = next_parallel_row(s, &row);
	else
	{
		if (s->scanner == NULL)
			open_partition_scanner(s, false);
		stats_begin(s);
		r = pegasus_scanner_next(s->scanner, &row, &err);
		check(s, r >= 0, &err);
	}
	if (r == 0)
		return false;
	rec->hash = row.hash_key;
	rec->sort = row.sort_key;
	rec->value = row.value;
	rec->has_value = !s->no_value;
	rec->ttl = s->need_ttl ? row.ttl_seconds : -1;
	if (partition)
		*partition = row.partition_index;
	return true;
}

/*
 * Fetches the next chunk of point lookups into s->kvl: multi_get for one
 * hash key, batch_get across hash keys.  Returns false when all are done.
 */
bool
pegfdw_scan_fetch_point_chunk(PegFdwScanState *s, int nsort, Bytes *sorts)
{
	PegasusError err;
	bool		ok;

	pegasus_error_clear(&err);
	if (s->npairs > 0)
	{
		/* batch_get over the listed pairs */
		int			n = Min(POINT_CHUNK, s->npairs - s->sidx);
		PegasusCompositeKey *keys;
		int			i;

		if (n <= 0)
			return false;
		keys = palloc(sizeof(PegasusCompositeKey) * n);
		for (i = 0; i < n; i++)
		{
			keys[i].hash_key = pegfdw_scan_slice(&s->pair_hash[s->sidx + i]);
			keys[i].sort_key = pegfdw_scan_slice(&s->pair_sort[s->sidx + i]);
		}
		stats_begin(s);
		ok = pegasus_table_batch_get(s->pt, keys, n, s->table->timeout_ms,
									 &s->kvl, &err);
		check(s, ok, &err);
		pfree(keys);
		s->sidx += n;
		return true;
	}
	if (s->nhash == 1)
	{
		PegasusSlice *keys;
		PegasusMultiGetOptions opts;
		int			n = Min(POINT_CHUNK, nsort - s->sidx);
		int			i;

		if (n <= 0)
			return false;
		keys = palloc(sizeof(PegasusSlice) * n);
		for (i = 0; i < n; i++)
			keys[i] = pegfdw_scan_slice(&sorts[s->sidx + i]);
		pegasus_multi_get_options_init(&opts);
		opts.no_value = s->no_value;
		stats_begin(s);
		ok = pegasus_table_multi_get(s->pt, pegfdw_scan_slice(&s->hash[0]), keys, n, &opts,
									 s->table->timeout_ms, &s->kvl, &err);
		check(s, ok, &err);
		pfree(keys);
		if (!s->kvl->all_fetched && s->kvl->count > 0)
		{
			/* resume after the last key returned (keys are ascending) */
			PegasusKV  *last = &s->kvl->items[s->kvl->count - 1];

			while (i > 0 && !(sorts[s->sidx].len == last->sort_key.len &&
							  memcmp(sorts[s->sidx].data, last->sort_key.data,
									 last->sort_key.len) == 0))
			{
				s->sidx++;
				i--;
			}
			s->sidx++;
		}
		else
			s->sidx += n;
		return true;
	}
	else
	{
		/* batch_get over (hash key, sort key) pairs */
		int			total = s->nhash * nsort;
		int			n = Min(POINT_CHUNK, total - s->sidx);
		PegasusCompositeKey *keys;
		int			i;

		if (n <= 0)
			return false;
		keys = palloc(sizeof(PegasusCompositeKey) * n);
		for (i = 0; i < n; i++)
		{
			int			k = s->sidx + i;

			keys[i].hash_key = pegfdw_scan_slice(&s->hash[k / nsort]);
			keys[i].sort_key = pegfdw_scan_slice(&sorts[k % nsort]);
		}
		stats_begin(s);
		ok = pegasus_table_batch_get(s->pt, keys, n, s->table->timeout_ms,
									 &s->kvl, &err);
		check(s, ok, &err);
		pfree(keys);
		s->sidx += n;
		return true;
	}
}

/* Next record of point lookups (kv layout). */
bool
pegfdw_scan_next_point_record(PegFdwScanState *s, Record *rec)
{
	for (;;)
	{
		if (s->nhash == 1 && s->nsort == 1 && !s->async_mode)
		{
			PegasusError err;
			bool		ok;

			if (s->sidx > 0)
				return false;
			s->sidx = 1;
			pegasus_error_clear(&err);
			stats_begin(s);
			ok = pegasus_table_get(s->pt, pegfdw_scan_slice(&s->hash[0]), pegfdw_scan_slice(&s->sort[0]),
								   s->table->timeout_ms, &s->value, &err);
			check(s, ok, &err);
			s->value_held = true;
			if (!s->value.found)
				return false;
			rec->hash = pegfdw_scan_slice(&s->hash[0]);
			rec->sort = pegfdw_scan_slice(&s->sort[0]);
			rec->value = s->value.value;
			rec->has_value = !s->no_value;
			rec->ttl = s->need_ttl ? fetch_ttl(s, rec->hash, rec->sort) : -1;
			return true;
		}
		if (s->kvl && s->kvpos < s->kvl->count)
		{
			PegasusKV  *kv = &s->kvl->items[s->kvpos++];

			if (!kv->found)
				continue;
			rec->hash = s->nhash == 1 ? pegfdw_scan_slice(&s->hash[0]) : kv->hash_key;
			rec->sort = kv->sort_key;
			rec->value = kv->value;
			rec->has_value = !s->no_value;
			rec->ttl = s->need_ttl ? fetch_ttl(s, rec->hash, rec->sort) : -1;
			return true;
		}
		if (s->kvl)
		{
			pegasus_kvlist_free(s->kvl);
			s->kvl = NULL;
		}
		s->kvpos = 0;
		if (s->async_mode ? !pegfdw_scan_async_point_chunk(s) :
			!pegfdw_scan_fetch_point_chunk(s, s->nsort, s->sort))
			return false;
	}
}

/* Opens the range reader of the current hash key (its first page asked). */
static void
open_range_reader(PegFdwScanState *s)
{
	PegasusError err;
	PegasusMultiGetOptions opts;
	PegasusSlice start = {NULL, 0};
	PegasusSlice stop = {NULL, 0};

	pegasus_multi_get_options_init(&opts);
	opts.no_value = s->no_value;
	opts.reverse = s->reverse;
	opts.sort_key_filter = s->sfilter;
	opts.start_inclusive = true;
	opts.stop_inclusive = false;
	opts.max_fetch_count = s->table->fetch_size;
	if (s->has_lo)
	{
		start = pegfdw_scan_slice(&s->lo);
		opts.start_inclusive = s->lo_incl;
	}
	if (s->has_hi)
	{
		stop = pegfdw_scan_slice(&s->hi);
		opts.stop_inclusive = s->hi_incl;
	}
	pegasus_error_clear(&err);
	stats_begin(s);
	s->reader = pegasus_table_range_reader(s->pt, pegfdw_scan_slice(&s->hash[s->hidx]),
										   start, stop, &opts,
										   s->limit > 0 ? Max(s->limit - s->returned, 1) : 0,
										   s->table->timeout_ms, &err);
	check(s, s->reader != NULL, &err);
}

/*
 * Fetches the next page of the current hash key's range into s->kvl.
 * Pages hold at most fetch_size records; the range reader continues a page
 * that may be truncated from its last key (first key when reverse), and
 * asks for that next page as soon as this one arrives.  Returns false when
 * the hash key has no more pages.
 */
static bool
fetch_range_page(PegFdwScanState *s)
{
	PegasusError err;
	int			r;

	if (s->reader == NULL)
		open_range_reader(s);
	stats_begin(s);
	r = pegasus_range_reader_next(s->reader, &s->kvl, &err);
	check(s, r >= 0, &err);
	s->kvpos = 0;
	if (r > 0)
		return true;
	pegasus_range_reader_close(s->reader);
	s->reader = NULL;
	return false;
}

/*
 * Forward ranges when the ttl column is needed: a scanner on the hash key
 * returns each record's expiry with it (multi_get does not), saving one ttl
 * RPC per row.  This opens the current hash key's scanner.
 */
static void
open_range_scanner(PegFdwScanState *s)
{
	PegasusError err;
	PegasusScanOptions opts;
	PegasusSlice start = {NULL, 0};
	PegasusSlice stop = {NULL, 0};

	scan_options(s, &opts);
	opts.hash_key_filter.type = PEGASUS_FILTER_NONE;
	opts.return_expire_ts = true;
	opts.start_inclusive = true;
	opts.stop_inclusive = false;
	opts.limit = s->limit > 0 ? s->limit - s->returned : 0;
	if (s->has_lo)
	{
		start = pegfdw_scan_slice(&s->lo);
		opts.start_inclusive = s->lo_incl;
	}
	if (s->has_hi)
	{
		stop = pegfdw_scan_slice(&s->hi);
		opts.stop_inclusive = s->hi_incl;
	}
	pegasus_error_clear(&err);
	stats_begin(s);
	s->scanner = pegasus_table_get_scanner(s->pt, pegfdw_scan_slice(&s->hash[s->hidx]),
										   start, stop, &opts, &err);
	check(s, s->scanner != NULL, &err);
}

/* Next record of a forward range through hash-key scanners. */
static bool
next_range_scanner_record(PegFdwScanState *s, Record *rec)
{
	for (;;)
	{
		PegasusScanRow row;
		PegasusError err;
		int			r;

		if (s->scanner == NULL)
		{
			if (s->hidx >= s->nhash)
				return false;
			open_range_scanner(s);
		}
		pegasus_error_clear(&err);
		stats_begin(s);
		r = pegasus_scanner_next(s->scanner, &row, &err);
		check(s, r >= 0, &err);
		if (r > 0)
		{
			rec->hash = pegfdw_scan_slice(&s->hash[s->hidx]);
			rec->sort = row.sort_key;
			rec->value = row.value;
			rec->has_value = !s->no_value;
			rec->ttl = row.ttl_seconds;
			return true;
		}
		pegasus_scanner_close(s->scanner);
		s->scanner = NULL;
		s->hidx++;
	}
}

/* Next record of sort-key ranges (kv layout), hash key by hash key. */
bool
pegfdw_scan_next_range_record(PegFdwScanState *s, Record *rec)
{
	if (s->need_ttl && !s->reverse)
		return next_range_scanner_record(s, rec);
	for (;;)
	{
		if (s->kvl && s->kvpos < s->kvl->count)
		{
			size_t		i = s->reverse ? s->kvl->count - 1 - s->kvpos : s->kvpos;
			PegasusKV  *kv = &s->kvl->items[i];

			s->kvpos++;
			rec->hash = pegfdw_scan_slice(&s->hash[s->hidx]);
			rec->sort = kv->sort_key;
			rec->value = kv->value;
			rec->has_value = !s->no_value;
			rec->ttl = s->need_ttl ? fetch_ttl(s, rec->hash, rec->sort) : -1;
			return true;
		}
		if (s->kvl)
		{
			pegasus_kvlist_free(s->kvl);
			s->kvl = NULL;
		}
		if (s->hidx >= s->nhash)
			return false;
		if (!fetch_range_page(s))
			s->hidx++;
	}
}

/* count(*) answered by Pegasus. */
int64
pegfdw_scan_run_count(PegFdwScanState *s)
{
	PegasusError err;
	int64		total = 0;
	int			i;

	if (s->op == PEGFDW_OP_COUNT_SCAN)
	{
		PegasusScanRow row;
		int			r;

		open_partition_scanner(s, true);
		do
		{
			pegasus_error_clear(&err);
			stats_begin(s);
			r = pegasus_scanner_next(s->scanner, &row, &err);
			check(s, r >= 0, &err);
		} while (r > 0);
		total = pegasus_scanner_count(s->scanner);
		pegasus_scanner_close(s->scanner);
		s->scanner = NULL;
		return total;
	}

	for (i = 0; i < s->nhash; i++)
	{
		int64_t		count = 0;
		bool		ok;

		pegasus_error_clear(&err);
		stats_begin(s);
		ok = pegasus_table_sortkey_count(s->pt, pegfdw_scan_slice(&s->hash[i]),
										 s->table->timeout_ms, &count, &err);
		check(s, ok, &err);
		if (count < 0)
		{
			/* the server gave up on time: count key-only pages instead */
			Record		rec;
			int			saved_nhash = s->nhash;

			s->no_value = true;
			s->need_ttl = false;
			s->hidx = i;
			s->nhash = i + 1;
			count = 0;
			while (pegfdw_scan_next_range_record(s, &rec))
				count++;
			s->nhash = saved_nhash;
		}
		total += count;
	}
	return total;
}

/*
 * Puts the request of the scan's next step on the wire, if it is not out
 * yet, without waiting (asynchronous execution).
 */
void
pegfdw_scan_start_io(PegFdwScanState *s)
{
	if (s->empty || s->done || s->shared ||
		(s->limit >= 0 && s->returned >= s->limit))
		return;
	switch (s->op)
	{
		case PEGFDW_OP_SCAN:
			if (s->scanner == NULL)
				open_partition_scanner(s, false);
			break;
		case PEGFDW_OP_RANGE:
			if (s->table->layout != PEGFDW_LAYOUT_KV || s->hidx >= s->nhash ||
				(s->kvl && s->kvpos < s->kvl->count))
				break;
			if (s->need_ttl && !s->reverse)
			{
				if (s->scanner == NULL)
					open_range_scanner(s);
			}
			else if (s->reader == NULL)
				open_range_reader(s);
			break;
		default:
			break;
	}
}

/* Starts a batch_get over the next POINT_CHUNK keys; false if none left. */
static bool
start_point_chunk(PegFdwScanState *s)
{
	int			total = s->npairs > 0 ? s->npairs : s->nhash * s->nsort;
	int			n = Min(POINT_CHUNK, total - s->sidx);
	PegasusError err;
	int			i;

	if (n <= 0)
		return false;
	s->bg_keys = MemoryContextAlloc(s->param_cxt, sizeof(PegasusCompositeKey) * n);
	for (i = 0; i < n; i++)
	{
		int			k = s->sidx + i;

		if (s->npairs > 0)
		{
			s->bg_keys[i].hash_key = pegfdw_scan_slice(&s->pair_hash[k]);
			s->bg_keys[i].sort_key = pegfdw_scan_slice(&s->pair_sort[k]);
		}
		else
		{
			s->bg_keys[i].hash_key = pegfdw_scan_slice(&s->hash[k / s->nsort]);
			s->bg_keys[i].sort_key = pegfdw_scan_slice(&s->sort[k % s->nsort]);
		}
	}
	s->sidx += n;
	pegasus_error_clear(&err);
	pegfdw_scan_stats_begin(s);
	s->bg = pegasus_table_batch_get_start(s->pt, s->bg_keys, n,
										  s->table->timeout_ms, &err);
	pegfdw_scan_check(s, s->bg != NULL, &err);
	return true;
}

/*
 * Point lookups in async mode: collects the chunk in flight (starting one
 * if none is) into s->kvl, waiting if need be, and starts the next one.
 * false when no key is left.
 */
bool
pegfdw_scan_async_point_chunk(PegFdwScanState *s)
{
	PegasusError err;
	PegasusBatchGet *bg;
	PegasusCompositeKey *keys;
	bool		ok;

	if (s->bg == NULL && !start_point_chunk(s))
		return false;
	bg = s->bg;
	keys = s->bg_keys;
	s->bg = NULL;
	s->bg_keys = NULL;
	pegasus_error_clear(&err);
	pegfdw_scan_stats_begin(s);
	ok = pegasus_batch_get_finish(bg, &s->kvl, &err);
	pegfdw_scan_check(s, ok, &err);
	pfree(keys);
	s->kvpos = 0;
	/* the next chunk travels while this one is emitted */
	(void) start_point_chunk(s);
	return true;
}

/* Is the next row there without waiting?  Starts the step's request. */
bool
pegfdw_scan_io_ready(PegFdwScanState *s)
{
	if (s->empty || s->done || (s->limit >= 0 && s->returned >= s->limit))
		return true;
	if (s->op != PEGFDW_OP_SCAN && s->op != PEGFDW_OP_RANGE &&
		s->op != PEGFDW_OP_POINT)
		return true;			/* counts run to completion */
	if (s->table->layout != PEGFDW_LAYOUT_KV && s->op != PEGFDW_OP_SCAN)
		return true;
	if (s->kvl && s->kvpos < s->kvl->count)
		return true;
	if (s->op == PEGFDW_OP_POINT)
	{
		if (s->bg == NULL && !start_point_chunk(s))
			return true;		/* no key left: the end */
	}
	else
		pegfdw_scan_start_io(s);
	if (s->scanner && pegasus_scanner_ready(s->scanner))
		return true;
	if (s->reader && pegasus_range_reader_ready(s->reader))
		return true;
	if (s->bg && pegasus_batch_get_ready(s->bg))
		return true;
	if (s->scanner == NULL && s->reader == NULL && s->bg == NULL)
		return true;
	/* see what has arrived since */
	pegasus_client_pump(s->client);
	if (s->scanner)
		return pegasus_scanner_ready(s->scanner);
	if (s->reader)
		return pegasus_range_reader_ready(s->reader);
	return pegasus_batch_get_ready(s->bg);
}
