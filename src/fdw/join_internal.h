/*-------------------------------------------------------------------------
 *
 * join_internal.h
 *		State of the batched key join's executor node, shared by the files
 *		that run it: join_exec.c (the node's methods and the rows of the
 *		batch_get path), join_batch.c (batches of outer rows and their
 *		distinct keys), join_batch_get.c (batch_get calls) and
 *		join_ranges.c (a range or sort-key list per hash key).
 *
 * src/fdw/join_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_JOIN_INTERNAL_H
#define PEGFDW_JOIN_INTERNAL_H

#include "executor/tuptable.h"
#include "nodes/execnodes.h"

#include "pegasus_fdw.h"
#include "join.h"

typedef struct KeyBytes
{
	char	   *data;
	size_t		len;
} KeyBytes;

/* One outer row of the batch. */
typedef struct OuterRow
{
	MinimalTuple tuple;
	int			key;			/* distinct key index, -1 = matches nothing */
} OuterRow;

/* A key of the batch before de-duplication. */
typedef struct KeyRef
{
	KeyBytes	hash;
	KeyBytes	sort;
	int			row;
	KeyBytes   *list;			/* sort-key list of the row */
	int			nlist;
} KeyRef;

/*
 * A batch: its outer rows and distinct keys in cxt (reset per batch), its
 * batch_get calls, under way (pending) or answered (replies; client memory),
 * the arrays of both in the query context so that the reset callback can
 * still read them.
 */
typedef struct BatchBuf
{
	MemoryContext batch_cxt;
	OuterRow   *rows;
	int			nrows;
	KeyRef	   *keys;			/* distinct keys, in order of first appearance */
	int			ndistinct;
	PegasusBatchGet **pending;	/* per call */
	PegasusKVList **replies;	/* per call */
	int			ncalls;
	int			cap;			/* entries of pending and replies */
} BatchBuf;

typedef struct PegFdwJoinState
{
	CustomScanState css;

	/* the plan */
	PegFdwTable *table;
	JoinType	jointype;
	int			nkeys;
	int			batch_rows;
	int			natts;			/* entries of custom_scan_tlist */
	int		   *inner_attno;	/* per entry: inner attnum or 0 */
	int		   *outer_col;		/* per entry: outer resno or 0 */
	bool	   *needed;			/* per inner attnum - 1 */
	ExprState  *hash_expr;
	ExprState  *sort_expr;		/* kv layout */
	ExprState  *list_expr;		/* kv layout: sort-key array */
	int			nexprs;			/* key expressions in custom_exprs */
	ExprState  *match_qual;
	int			nwide;			/* wide layout: mapped columns */
	int		   *wide_attno;
	KeyBytes   *wide_sort;

	/* execution */
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;
	PegasusTable *pt;
	PegFdwPin  *pin;
	MemoryContext query_cxt;
	MemoryContext row_cxt;
	TupleTableSlot *outer_slot; /* a stored outer row */
	Datum	   *inner_values;
	bool	   *inner_nulls;

	/* the current batch, and the next one read ahead (batch_get path) */
	BatchBuf	bufs[2];
	BatchBuf   *batch;			/* the current batch */
	BatchBuf   *ahead;			/* the next one, or NULL */
	int			pos;
	bool		outer_done;

	/* ranges (kv layout, hash key only) */
	bool		ranges;
	int		   *group;			/* per distinct key: first index in sorted */
	KeyRef	   *sorted;			/* the batch's keys grouped by distinct key
								 * (outer order within a group) */
	int			nsorted;
	bool	   *matched;		/* per outer row of the batch */
	PegasusRangeReader *readers[PEGFDW_JOIN_RANGES_IN_FLIGHT];
	int			next_reader;	/* distinct key of the next reader to open */
	int			cur;			/* distinct key being read */
	PegasusKVList *page;
	size_t		page_pos;		/* next record of the page */
	bool		have_record;	/* inner_values hold the current record */
	int			gpos;			/* next outer row of the record's group */
	int			tail;			/* unmatched outer rows: next row */
	MemoryContext rec_cxt;
	PegasusSlice *list_keys;	/* a hash key's sort keys to ask for */
	int			list_cap;

	/* counters for EXPLAIN ANALYZE */
	uint64		batches;
	uint64		rpcs;
	uint64		wait_us;		/* blocked on the cluster's answers */
	uint64		keys_sent;
	uint64		rows_received;
	int64		outer_rows;
} PegFdwJoinState;

/* The error context of a batch being read: which batch, how many keys. */
typedef struct BatchContext
{
	PegFdwJoinState *js;
	int			keys;
} BatchContext;

/* in join_rows.c */
extern TupleTableSlot *pegfdw_join_fill_outer(PegFdwJoinState *js);
extern void pegfdw_join_fill_inner(PegFdwJoinState *js);
extern void pegfdw_join_free_replies(PegFdwJoinState *js);
extern void pegfdw_join_free_batches(PegFdwJoinState *js);
extern void pegfdw_join_batch_error_context(void *arg);
extern void pegfdw_join_push_batch_context(PegFdwJoinState *js,
										   ErrorContextCallback *errcb,
										   BatchContext *bc, int keys);

/* in join_batch.c */
extern bool pegfdw_join_read_batch(PegFdwJoinState *js, BatchBuf *b);
extern bool pegfdw_join_next_batch(PegFdwJoinState *js);

/* in join_batch_get.c */
extern void pegfdw_join_start_batch(PegFdwJoinState *js, BatchBuf *b);
extern void pegfdw_join_finish_batch(PegFdwJoinState *js, BatchBuf *b);
extern bool pegfdw_join_build_inner(PegFdwJoinState *js, int k);

/* in join_ranges.c */
extern TupleTableSlot *pegfdw_join_next_range_row(PegFdwJoinState *js);

#endif							/* PEGFDW_JOIN_INTERNAL_H */
