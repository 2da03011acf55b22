/*-------------------------------------------------------------------------
 *
 * scan_internal.h
 *		The executor state of a Pegasus foreign scan, shared by scan.c (running
 *		the operation, building tuples) and scan_conditions.c (evaluating the
 *		pushed conditions).
 *
 * src/fdw/scan_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_SCAN_INTERNAL_H
#define PEGFDW_SCAN_INTERNAL_H

#include "pegasus_fdw.h"

/* Sort keys per multi_get / keys per batch_get request. */
#define POINT_CHUNK 1000

typedef struct Bytes
{
	char	   *data;
	size_t		len;
} Bytes;

/* A pending wide row of one partition (wide layout scans). */
typedef struct WideRow
{
	bool		active;
	Bytes		hash;
	Bytes	   *values;			/* per attnum - 1; data NULL = missing */
} WideRow;

typedef struct PegFdwScanState
{
	PegFdwTable *table;
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;		/* of entry, which stays pinned */
	PegasusTable *pt;
	PegFdwPin  *pin;			/* the client's entry, until the query ends */

	/* the plan */
	PegFdwOperation op;
	List	   *kinds;
	List	   *exprstates;
	bool		reverse;
	bool		no_value;
	bool		need_ttl;
	int64		limit;
	char	   *description;
	bool	   *needed;			/* per attnum - 1: read above the scan */

	MemoryContext param_cxt;
	MemoryContext row_cxt;

	/* condition values, set at the first fetch after begin / rescan */
	bool		started;
	bool		empty;			/* the conditions match nothing */
	int			nhash;
	Bytes	   *hash;
	int			nsort;
	Bytes	   *sort;
	int			npairs;			/* (hash key, sort key) pairs: batch_get */
	Bytes	   *pair_hash;
	Bytes	   *pair_sort;
	bool		has_lo;
	bool		lo_incl;
	Bytes		lo;
	bool		has_hi;
	bool		hi_incl;
	Bytes		hi;
	PegasusFilter hfilter;
	PegasusFilter sfilter;

	/* progress */
	bool		done;
	int			hidx;			/* current hash key (point, range) */
	int			sidx;			/* next sort key chunk (point) */
	PegasusKVList *kvl;
	size_t		kvpos;
	PegasusValue value;
	bool		value_held;
	PegasusScanner *scanner;
	int64		returned;

	/* parallel scans (parallel.c): partitions claimed one at a time */
	PegFdwParallelShared *shared;
	PegasusScanner *next_scanner;	/* the next claimed partition, started */

	/* ranges: pages of the current hash key, the next one prefetched */
	PegasusRangeReader *reader;

	/* asynchronous execution under an Append (scan_async.c) */
	bool		async_mode;		/* the plan node is async capable */
	bool		would_block;	/* the last fetch stopped: no reply yet */
	bool		force_block;	/* fetch even if it waits */
	PegasusBatchGet *bg;		/* point lookups: the chunk in flight */
	PegasusCompositeKey *bg_keys;	/* its keys (valid until finished) */

	/* wide scans */
	int			nparts;
	WideRow    *wide;
	int			flush_idx;		/* flushing pending rows at the end */

	/* the last record returned, kept for an UPDATE of documents */
	bool		keep_last;
	bool		last_valid;
	StringInfoData last_hash;
	StringInfoData last_sort;
	StringInfoData last_value;

	/* counters for EXPLAIN ANALYZE */
	uint64		rpcs;
	uint64		bytes;
	uint64		rows;
	uint64		wait_us;		/* waiting on replicas */
	PegasusStats before;
	uint64		before_wait_us;
} PegFdwScanState;

/* One record handed to the tuple builder. */
typedef struct Record
{
	PegasusSlice hash;
	PegasusSlice sort;
	PegasusSlice value;
	bool		has_value;
	int32		ttl;			/* <= 0: none */
} Record;

/* in scan_fetch.c */
extern void pegfdw_scan_release(PegFdwScanState *s);
extern void pegfdw_scan_stats_begin(PegFdwScanState *s);
extern void pegfdw_scan_check(PegFdwScanState *s, bool ok, PegasusError *err);
extern PegasusSlice pegfdw_scan_slice(const Bytes *b);
extern bool pegfdw_scan_next_record(PegFdwScanState *s, Record *rec,
									int *partition);
extern bool pegfdw_scan_fetch_point_chunk(PegFdwScanState *s, int nsort,
										  Bytes *sorts);
extern bool pegfdw_scan_next_point_record(PegFdwScanState *s, Record *rec);
extern bool pegfdw_scan_next_range_record(PegFdwScanState *s, Record *rec);
extern int64 pegfdw_scan_run_count(PegFdwScanState *s);
extern void pegfdw_scan_start_io(PegFdwScanState *s);
extern bool pegfdw_scan_io_ready(PegFdwScanState *s);
extern bool pegfdw_scan_async_point_chunk(PegFdwScanState *s);

/* in scan_wide.c */
extern bool pegfdw_scan_next_wide_row(PegFdwScanState *s, TupleTableSlot *slot);

/* in scan_last.c */
extern void pegfdw_scan_note_last(PegFdwScanState *s, const Record *rec);

/* in scan_conditions.c */
extern int	pegfdw_scan_sort_unique(Bytes *keys, int n);
extern void pegfdw_scan_evaluate_conditions(ForeignScanState *node,
											PegFdwScanState *s);

#endif							/* PEGFDW_SCAN_INTERNAL_H */
