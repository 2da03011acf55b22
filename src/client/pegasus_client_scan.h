/*-------------------------------------------------------------------------
 *
 * pegasus_client_scan.h
 *		Public API of the client, scanners: over one hash key, over
 *		partitions, and the unordered scanners of a whole table.
 *
 * Part of pegasus_client.h (its conventions apply), which includes it.
 *
 * src/client/pegasus_client_scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_SCAN_H
#define PEGASUS_CLIENT_SCAN_H

#ifndef PEGASUS_CLIENT_H
#error "include pegasus_client.h, which includes this file"
#endif

/* ----------------------------------------------------------------------
 * Scanners
 * ---------------------------------------------------------------------- */

typedef struct PegasusScanOptions
{
	int			batch_size;		/* rows per RPC; default 1000 (server cap) */
	bool		start_inclusive;	/* hash-key scanner; default true */
	bool		stop_inclusive; /* hash-key scanner; default false */
	PegasusFilter hash_key_filter;	/* default none */
	PegasusFilter sort_key_filter;	/* default none */
	bool		no_value;		/* values come back empty */
	bool		return_expire_ts;	/* fill expire_ts_seconds/ttl in rows */
	bool		only_return_count;	/* server counts; next() yields no rows,
									 * see pegasus_scanner_count() */
	int64_t		limit;			/* stop after this many rows; 0 = no limit */
	double		max_rows_per_second;	/* rate limit; 0 = none */
	double		max_batches_per_second; /* rate limit; 0 = none */
	int			timeout_ms;		/* deadline of each RPC round; 0 = client
								 * default */
	int			max_concurrency;	/* partition scanner: partitions in flight;
									 * default 4 */
} PegasusScanOptions;

extern void pegasus_scan_options_init(PegasusScanOptions *opts);

/* One row yielded by a scanner; the slices are valid until the next call
 * on the scanner. */
typedef struct PegasusScanRow
{
	PegasusSlice hash_key;
	PegasusSlice sort_key;
	PegasusSlice value;
	int32_t		expire_ts_seconds;	/* absolute Pegasus time, 0 = none */
	int32_t		ttl_seconds;	/* remaining; -1 = none (needs
								 * return_expire_ts) */
	int			partition_index;
} PegasusScanRow;

/*
 * Scanner over the rows of one hash key (not empty) with sort keys between
 * start and stop (empty start = first, empty stop = last; inclusivity and
 * filters in opts, NULL = defaults).  An empty range yields no rows without
 * any RPC.  Reverse order is not supported by Pegasus scanners.  The first
 * batch is requested at once.
 */
extern PegasusScanner *pegasus_table_get_scanner(PegasusTable *table,
												 PegasusSlice hash_key,
												 PegasusSlice start_sort_key,
												 PegasusSlice stop_sort_key,
												 const PegasusScanOptions *opts,
												 PegasusError *err);

/*
 * Splits the whole table into min(partition count, max_split) scanners,
 * each covering a set of partitions visited one after the other (partitions
 * are dealt out as the Java client does).  Returns the number of scanners
 * and an array *out (free the array with pegasus_scanners_free_array() after
 * closing each scanner), or -1 with err filled.
 */
extern int	pegasus_table_get_unordered_scanners(PegasusTable *table,
												 int max_split,
												 const PegasusScanOptions *opts,
												 PegasusScanner ***out,
												 PegasusError *err);

extern void pegasus_scanners_free_array(PegasusScanner **scanners);

/*
 * Scanner over the whole contents of the given partitions (indexes in
 * [0, pegasus_table_scan_partition_count())), keeping up to
 * opts->max_concurrency partition scans in flight and yielding rows from
 * whichever batch arrived first.  Rows of one partition come in storage
 * order; partitions interleave.  npartitions 0 with partitions NULL means
 * every partition.  A partition that splits while it is scanned is
 * followed into its children: every row of the partition's key range is
 * yielded once.
 */
extern PegasusScanner *pegasus_table_get_partition_scanner(PegasusTable *table,
														   const int *partitions,
														   int npartitions,
														   const PegasusScanOptions *opts,
														   PegasusError *err);

/*
 * The same with indexes under partition_count, a power of two the table
 * had (several processes dividing one scan pass the count one of them
 * read, so that they divide the same key space even if a split happens
 * in between).  A count above the cached routing's refreshes it first.
 */
extern PegasusScanner *pegasus_table_get_partition_scanner_of(PegasusTable *table,
															  const int *partitions,
															  int npartitions,
															  int partition_count,
															  const PegasusScanOptions *opts,
															  PegasusError *err);

/*
 * Yields the next row: returns 1 and fills row, 0 when the scan is complete
 * (or the limit was reached), -1 on error (err filled; the scanner can then
 * only be closed).  While the caller consumes one batch the next one is
 * already being fetched.  A lost server context (replica restarted, primary
 * moved) is resumed from the last key received, so each row is yielded once.
 */
extern int	pegasus_scanner_next(PegasusScanner *scanner, PegasusScanRow *row,
								 PegasusError *err);

/* Rows yielded so far; with only_return_count, rows counted by the server. */
extern int64_t pegasus_scanner_count(const PegasusScanner *scanner);

/*
 * Sends clear_scanner for every live server context (fire-and-forget: the
 * requests are written at once where the socket takes them; never waits,
 * never calls the wait hook) and frees the scanner.  A request of the
 * scanner still in flight is kept, and the context its reply names is
 * cleared when the reply arrives.  NULL ok.
 */
extern void pegasus_scanner_close(PegasusScanner *scanner);

#endif							/* PEGASUS_CLIENT_SCAN_H */
