/*-------------------------------------------------------------------------
 *
 * client_scan_internal.h
 *		A scanner and its cursors (see client_scan.c), shared by the files
 *		that open scanners (client_scan_open.c) and fetch from them
 *		(client_scan.c).
 *
 * src/client/client_scan_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_SCAN_INTERNAL_H
#define PEGASUS_CLIENT_SCAN_INTERNAL_H

#include <string.h>

#include "client_internal.h"

#define DEFAULT_BATCH 1000
#define DEFAULT_CONCURRENCY 4

typedef struct ScanCursor
{
	int			partition;		/* fixed index, or -1: route by hash */
	int			count;			/* partition count that index is under */
	int			report_index;	/* partition_index of its rows (see below) */
	uint64_t	partition_hash;
	GByteArray *start_key;		/* full rrdb keys */
	GByteArray *stop_key;
	bool		start_inclusive;
	bool		stop_inclusive;
	GByteArray *last_key;		/* last key received; resume point */
	bool		have_last;
	int64_t		context_id;
	bool		has_context;	/* context_id is live on the server */
	int64_t		rows;			/* counted by this cursor (count-only) */
	bool		count_keys;		/* count-only, by keys (see cursor_follow_split) */
	int64_t		split_deadline; /* misused without a larger count: until */
	int			split_backoff_ms;
	bool		started;
	bool		finished;		/* server said -1 (or empty range) */
	bool		in_flight;
	PegasusCall call;
	PegasusReply *ready;		/* received, not yet consumed */
	char		endpoint[PEGASUS_ENDPOINT_LEN]; /* of the live context */
	PegasusRequestHeader ctx_header;	/* header that reached it */
} ScanCursor;

struct PegasusScanner
{
	PegasusTable *table;
	PegasusScanOptions opts;
	GByteArray *hk_pattern;		/* private copies of the filter patterns */
	GByteArray *sk_pattern;
	bool		full_scan;		/* partition scans */
	ScanCursor **cursors;		/* grow when a partition splits */
	int			ncursors;
	int			next_cursor;	/* first cursor not yet started */
	int			max_inflight;

	PegasusReply *cur;			/* batch being yielded */
	ScanCursor *cur_cursor;
	guint32		cur_pos;

	int64_t		count;			/* rows yielded (or counted) */
	int64_t		batches;
	int64_t		rate_start_us;
	bool		failed;
	PegasusError err;
};

static inline ScanCursor *
cursor_new(PegasusScanner *s)
{
	ScanCursor *c = g_new0(ScanCursor, 1);

	s->cursors = g_renew(ScanCursor *, s->cursors, s->ncursors + 1);
	s->cursors[s->ncursors++] = c;
	return c;
}

static inline void
cursor_init(ScanCursor *c, int partition, uint64_t hash)
{
	memset(c, 0, sizeof(*c));
	c->partition = partition;
	c->partition_hash = hash;
	c->start_key = g_byte_array_new();
	c->stop_key = g_byte_array_new();
	c->last_key = g_byte_array_new();
	c->context_id = -1;
}

/* A cursor over a whole partition, an index under count partitions. */
static inline void
cursor_init_partition(ScanCursor *c, int partition, int count)
{
	static const guint8 lo[2] = {0x00, 0x00};
	static const guint8 hi[2] = {0xFF, 0xFF};

	cursor_init(c, partition, pegasus_route_group_hash(partition, count));
	c->count = count;
	c->report_index = partition;
	g_byte_array_append(c->start_key, lo, 2);
	g_byte_array_append(c->stop_key, hi, 2);
	c->start_inclusive = true;
	c->stop_inclusive = false;
}

/* in client_scan.c */
extern void pegasus_scanner_start(PegasusScanner *s);

#endif							/* PEGASUS_CLIENT_SCAN_INTERNAL_H */
