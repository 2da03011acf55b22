/*-------------------------------------------------------------------------
 *
 * client_scan_open.c
 *		Opening scanners: over one hash key, over chosen partitions, and the
 *		unordered scanners that share a table's partitions among them.
 *
 * Each constructor checks its options, sets up the scanner's cursors (see
 * client_scan.c) and starts them; client_scan.c fetches and yields.
 *
 * src/client/client_scan_open.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"
#include "client_scan_internal.h"

static int
key_compare(const GByteArray *a, const GByteArray *b)
{
	PegasusSlice x = {a->data, a->len};
	PegasusSlice y = {b->data, b->len};

	return pegasus_slice_compare(x, y);
}

static PegasusScanner *
scanner_new(PegasusTable *table, const PegasusScanOptions *opts)
{
	PegasusScanner *s = g_new0(PegasusScanner, 1);

	s->table = table;
	if (opts != NULL)
		s->opts = *opts;
	else
		pegasus_scan_options_init(&s->opts);
	if (s->opts.batch_size <= 0)
		s->opts.batch_size = DEFAULT_BATCH;
	s->hk_pattern = g_byte_array_new();
	s->sk_pattern = g_byte_array_new();
	if (s->opts.hash_key_filter.pattern.len > 0)
		g_byte_array_append(s->hk_pattern, s->opts.hash_key_filter.pattern.data,
							s->opts.hash_key_filter.pattern.len);
	if (s->opts.sort_key_filter.pattern.len > 0)
		g_byte_array_append(s->sk_pattern, s->opts.sort_key_filter.pattern.data,
							s->opts.sort_key_filter.pattern.len);
	s->max_inflight = 1;
	s->rate_start_us = pegasus_now_us();
	pegasus_error_clear(&s->err);
	table->client->scanners = g_list_prepend(table->client->scanners, s);
	return s;
}

static bool
validate_scan_options(const PegasusScanOptions *opts, PegasusError *err)
{
	if (opts == NULL)
		return true;
	if ((int) opts->hash_key_filter.type < 0 || opts->hash_key_filter.type > 3 ||
		(int) opts->sort_key_filter.type < 0 || opts->sort_key_filter.type > 3)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "Unknown key filter type.");
		return false;
	}
	if (opts->limit < 0 || opts->max_rows_per_second < 0 ||
		opts->max_batches_per_second < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "Scan limits must not be negative.");
		return false;
	}
	return true;
}

/* ----------------------------------------------------------------------
 * Constructors
 * ---------------------------------------------------------------------- */

PegasusScanner *
pegasus_table_get_scanner(PegasusTable *table, PegasusSlice hash_key,
						  PegasusSlice start_sort_key,
						  PegasusSlice stop_sort_key,
						  const PegasusScanOptions *opts, PegasusError *err)
{
	PegasusScanner *s;
	ScanCursor *c;
	GByteArray *tmp;
	int			cmp;

	pegasus_error_clear(err);
	if (!pegasus_check_hash_key(hash_key, false, "scan", err) ||
		!validate_scan_options(opts, err))
		return NULL;
	s = scanner_new(table, opts);
	c = cursor_new(s);
	cursor_init(c, -1, pegasus_codec_hash_key_partition_hash(hash_key.data,
															 hash_key.len));

	pegasus_codec_key_encode(hash_key.data, hash_key.len, start_sort_key.data,
							 start_sort_key.len, c->start_key);
	c->start_inclusive = s->opts.start_inclusive;
	if (stop_sort_key.len == 0)
	{
		pegasus_codec_key_next_of_hash_key(hash_key.data, hash_key.len,
										   c->stop_key);
		c->stop_inclusive = false;
	}
	else
	{
		pegasus_codec_key_encode(hash_key.data, hash_key.len, stop_sort_key.data,
								 stop_sort_key.len, c->stop_key);
		c->stop_inclusive = s->opts.stop_inclusive;
	}

	/* a sort-key prefix narrows the range, as the server does for multi_get */
	if (s->opts.sort_key_filter.type == PEGASUS_FILTER_PREFIX &&
		s->sk_pattern->len > 0)
	{
		tmp = g_byte_array_new();
		pegasus_codec_key_encode(hash_key.data, hash_key.len,
								 s->sk_pattern->data, s->sk_pattern->len, tmp);
		if (key_compare(tmp, c->start_key) > 0)
		{
			g_byte_array_set_size(c->start_key, 0);
			g_byte_array_append(c->start_key, tmp->data, tmp->len);
			c->start_inclusive = true;
		}
		g_byte_array_set_size(tmp, 0);
		pegasus_codec_key_next_of_prefix(hash_key.data, hash_key.len,
										 s->sk_pattern->data, s->sk_pattern->len,
										 tmp);
		if (key_compare(tmp, c->stop_key) <= 0)
		{
			g_byte_array_set_size(c->stop_key, 0);
			g_byte_array_append(c->stop_key, tmp->data, tmp->len);
			c->stop_inclusive = false;
		}
		g_byte_array_free(tmp, TRUE);
	}

	cmp = key_compare(c->start_key, c->stop_key);
	if (cmp > 0 || (cmp == 0 && (!c->start_inclusive || !c->stop_inclusive)))
	{
		/* empty range: decided here, nothing is sent */
		c->started = true;
		c->finished = true;
		s->next_cursor = 1;
	}
	pegasus_scanner_start(s);	/* the first batch is on its way now */
	return s;
}

static bool
ensure_routing(PegasusTable *table, int timeout_ms, PegasusError *err)
{
	if (!table->stale)
		return true;
	return pegasus_route_refresh(table, pegasus_deadline(table->client, timeout_ms),
								 err);
}

/*
 * max_inflight 0: opts->max_concurrency (or the default).  count: the
 * partition count the indexes are under (0: the scan partition count).
 */
static PegasusScanner *
partition_scanner_create(PegasusTable *table, const int *partitions,
						 int npartitions, int count,
						 const PegasusScanOptions *opts,
						 int max_inflight, PegasusError *err)
{
	PegasusScanner *s;
	int			timeout_ms = opts ? opts->timeout_ms : 0;
	int			i;

	pegasus_error_clear(err);
	if (!validate_scan_options(opts, err) ||
		!ensure_routing(table, timeout_ms, err))
		return NULL;
	if (count < 0 || count > 65536 || (count & (count - 1)) != 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "The partition count %d is not a power of two.", count);
		return NULL;
	}
	/* a count newer than the cached routing: ask the meta server */
	if (count > table->partition_count &&
		!pegasus_route_refresh(table, pegasus_deadline(table->client, timeout_ms), err))
		return NULL;
	if (count > table->partition_count)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "Table \"%s\" has %d partitions, not %d.",
						  table->name, table->partition_count, count);
		return NULL;
	}
	if (count == 0)
		count = pegasus_table_scan_partition_count(table);
	if (npartitions < 0 || (npartitions > 0 && partitions == NULL))
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "The partition list is invalid.");
		return NULL;
	}
	for (i = 0; i < npartitions; i++)
		if (partitions[i] < 0 || partitions[i] >= count)
		{
			pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
							  "Partition %d does not exist in table \"%s\" (%d partitions).",
							  partitions[i], table->name, count);
			return NULL;
		}
	s = scanner_new(table, opts);
	s->full_scan = true;
	for (i = 0; i < (npartitions > 0 ? npartitions : count); i++)
		cursor_init_partition(cursor_new(s), npartitions > 0 ? partitions[i] : i,
							  count);
	if (max_inflight > 0)
		s->max_inflight = max_inflight;
	else
		s->max_inflight = s->opts.max_concurrency > 0 ?
			s->opts.max_concurrency : DEFAULT_CONCURRENCY;
	pegasus_scanner_start(s);	/* the first batches are on their way now */
	return s;
}

PegasusScanner *
pegasus_table_get_partition_scanner(PegasusTable *table, const int *partitions,
									int npartitions,
									const PegasusScanOptions *opts,
									PegasusError *err)
{
	return partition_scanner_create(table, partitions, npartitions, 0, opts, 0,
									err);
}

PegasusScanner *
pegasus_table_get_partition_scanner_of(PegasusTable *table,
									   const int *partitions, int npartitions,
									   int partition_count,
									   const PegasusScanOptions *opts,
									   PegasusError *err)
{
	if (partition_count <= 0)
	{
		pegasus_error_clear(err);
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "The partition count must be positive.");
		return NULL;
	}
	return partition_scanner_create(table, partitions, npartitions,
									partition_count, opts, 0, err);
}

/*
 * Splits the table into min(P, max_split) scanners; each gets P / S
 * partitions and the first P mod S one more, dealt from the highest index
 * down, and visits its own partitions in ascending order (as the Java
 * client does).
 */
int
pegasus_table_get_unordered_scanners(PegasusTable *table, int max_split,
									 const PegasusScanOptions *opts,
									 PegasusScanner ***out, PegasusError *err)
{
	int			p;
	int			split;
	int			next;
	int			i;
	PegasusScanner **arr;

	*out = NULL;
	pegasus_error_clear(err);
	if (max_split <= 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "scan",
						  "The split count must be positive.");
		return -1;
	}
	if (!validate_scan_options(opts, err) ||
		!ensure_routing(table, opts ? opts->timeout_ms : 0, err))
		return -1;
	p = pegasus_table_scan_partition_count(table);
	split = MIN(p, max_split);
	arr = g_new0(PegasusScanner *, split + 1);
	next = p;
	for (i = 0; i < split; i++)
	{
		int			size = p / split + (i < p % split ? 1 : 0);
		int		   *parts = g_new(int, size);
		int			j;

		for (j = 0; j < size; j++)
			parts[size - 1 - j] = --next;
		/* one partition at a time, each scanner on its own */
		arr[i] = partition_scanner_create(table, parts, size, p, opts, 1, err);
		g_free(parts);
		if (arr[i] == NULL)
		{
			while (--i >= 0)
				pegasus_scanner_close(arr[i]);
			g_free(arr);
			return -1;
		}
	}
	*out = arr;
	return split;
}

void
pegasus_scanners_free_array(PegasusScanner **scanners)
{
	g_free(scanners);
}
