/*-------------------------------------------------------------------------
 *
 * modify_internal.h
 *		Declarations shared by the write path's files (not for the rest of
 *		the FDW):
 *	modify.c			the executor callbacks: INSERT, UPDATE, DELETE
 *	modify_encode.c		rows encoded (and refused) before anything is sent
 *	modify_send.c		batching, sending and the failure accounting
 *	modify_move.c		key-changing updates, applied at statement end
 *	modify_explain.c	EXPLAIN of a ModifyTable on a foreign table
 *
 * src/fdw/modify_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_MODIFY_INTERNAL_H
#define PEGFDW_MODIFY_INTERNAL_H

#include "nodes/execnodes.h"
#include "nodes/plannodes.h"

#include "pegasus_fdw.h"

/* Keys shown in an error detail, per kind of outcome. */
#define PEGFDW_SHOWN_KEYS	3

/*
 * Bytes of rows a batch holds and sends at once: a batch of large rows is
 * sent when it reaches this size, whatever batch_size says, and an INSERT
 * batch (sized by the executor) is sent in parts of at most this size, which
 * bounds the memory of the requests in flight.
 */
#define PEGFDW_BATCH_BYTES	(8 * PEGFDW_MAX_WRITE_BYTES)

/*
 * Batches in flight at once (the pipe also keeps at most PEGFDW_WRITE_CALLS
 * requests and PEGFDW_BATCH_BYTES of them in flight): while they are
 * written, the next batch is encoded.
 */
#define PEGFDW_WRITE_WINDOW	4
#define PEGFDW_WRITE_CALLS	256

extern int	pegfdw_write_round_batches;

/*
 * Batches are written in rounds of pegasus_fdw.write_round_batches
 * (default PEGFDW_WRITE_ROUND; see the write pipe): a batch is held until
 * the round is full, and alone when batches come more than
 * PEGFDW_WRITE_ROUND_WAIT_US apart.  A write to a socket costs the sender
 * and the server a wake-up each, about as much as a few dozen rows: rounds
 * of eight load ten sort keys per hash key (ten requests a batch) a fifth
 * faster than rounds of two and cost nothing to one record per hash key
 * (a hundred requests a batch), whose server works on the round before
 * meanwhile (doc/benchmarks.md).
 */
#define PEGFDW_WRITE_ROUND	8
#define PEGFDW_WRITE_ROUND_WAIT_US	1000

/*
 * Bytes of rows in flight at most, whatever the window: four batches of
 * PEGFDW_BATCH_BYTES, so that rounds of large rows hold no more memory
 * than four batches did before rounds.
 */
#define PEGFDW_INFLIGHT_BYTES	(4 * PEGFDW_BATCH_BYTES)

/*
 * One row to write, encoded.  kv layout: nkeys is 1.  A put carries values,
 * a delete does not.  Every slice points into the buffer's memory context.
 */
typedef struct PegFdwWriteRow
{
	PegasusSlice hash_key;
	int			nkeys;
	PegasusSlice *sort_keys;
	PegasusSlice *values;		/* NULL for a delete */
	int32		ttl;
} PegFdwWriteRow;

/* A batch in the pipe: its rows and groups, in a context of its own. */
typedef struct PegFdwSentBatch
{
	MemoryContext cxt;
	const PegFdwWriteRow *rows;
	int			n;
	size_t		bytes;			/* as pegfdw_row_bytes counts them */
	PegasusWriteGroup *groups;
	int		   *group_of;		/* row -> its group, -1 for none */
} PegFdwSentBatch;

typedef struct PegFdwModifyState
{
	PegFdwTable *table;
	PegFdwTypeIO *io;
	PegFdwConnEntry *entry;
	PegasusClient *client;
	PegasusTable *pt;
	CmdType		operation;
	MemoryContext row_cxt;		/* one row, reset per row */
	MemoryContext batch_cxt;	/* the buffered rows */
	MemoryContext moves_cxt;	/* key-changing updates, until the end */
	MemoryContext state_cxt;	/* this state's own */
	PegFdwPin  *pin;			/* the client's entry, until the query ends */
	bool		on_conflict_nothing;
	bool		buffered;		/* rows may be held in the buffer */
	int			batch_size;

	AttrNumber	hash_junk;		/* row identity in the plan's output */
	AttrNumber	sort_junk;
	AttrNumber	oldrow_junk;	/* DELETE ... RETURNING: the old row */
	Bitmapset  *updated;		/* UPDATE: attnos of the SET columns */

	PegFdwWriteRow *rows;		/* the buffer (in batch_cxt) */
	int			nrows;
	size_t		batch_bytes;	/* their size, as pegfdw_row_bytes counts it */
	PegFdwWriteRow *moves;		/* key-changing updates: old then new */
	int			nmoves;
	int			maxmoves;

	PegasusWritePipe *pipe;		/* batches in flight (NULL until the first) */
	List	   *inflight;		/* PegFdwSentBatch *, oldest first */
	size_t		inflight_bytes; /* their rows' bytes */
	List	   *spare_cxts;		/* batch contexts to reuse */

	/* documents: the scan feeding an UPDATE, which keeps what it read */
	struct ForeignScanState *source_scan;
	struct PegFdwDocUpdate *doc_updates;	/* UPDATEs held (doc_cxt) */
	int			ndoc_updates;
	int		   *doc_slots;		/* open-addressed index of doc_updates + 1 */
	int			doc_nslots;		/* a power of two, twice batch_size or more */
	MemoryContext doc_cxt;

	/* statistics, for EXPLAIN ANALYZE and error details */
	int64		doc_retries;	/* documents written again after a conflict */
	int64		rpcs;
	int64		wait_us;		/* blocked on the cluster's answers */
	int64		rows_written;	/* rows whose write was confirmed */
	int64		rows_skipped;	/* ON CONFLICT DO NOTHING */
} PegFdwModifyState;

typedef struct SortItem
{
	const PegFdwWriteRow *row;
	int			index;
} SortItem;

/* in modify.c */
extern bool pegfdw_buffering_allowed(ModifyTable *plan, ResultRelInfo *rinfo,
									 CmdType operation, bool on_conflict);

/* in modify_encode.c */
extern PegasusSlice pegfdw_row_hash_key(PegFdwModifyState *ms,
										TupleTableSlot *slot);
extern void pegfdw_encode_kv_put(PegFdwModifyState *ms, TupleTableSlot *slot,
								 PegFdwWriteRow *row);
extern void pegfdw_encode_kv_keys(PegFdwModifyState *ms, TupleTableSlot *slot,
								  PegFdwWriteRow *row);
extern void pegfdw_encode_wide_row(PegFdwModifyState *ms, TupleTableSlot *slot,
								   Bitmapset *only_cols, PegFdwWriteRow *row,
								   PegFdwWriteRow *dels);
extern void pegfdw_wide_delete_row(PegFdwModifyState *ms, PegasusSlice h,
								   PegFdwWriteRow *row);
extern PegasusSlice pegfdw_junk_key(PegFdwModifyState *ms,
									TupleTableSlot *planSlot, AttrNumber junk,
									AttrNumber attno);
extern PegFdwWriteRow pegfdw_copy_row(const PegFdwWriteRow *src);
extern size_t pegfdw_row_bytes(const PegFdwWriteRow *r);

/* in modify_send.c */
extern void pegfdw_finish_write_call(PegFdwModifyState *ms, bool ok,
									 PegasusError *err,
									 const PegasusStats *before);
extern int	pegfdw_compare_rows_by_hash_key(const void *a, const void *b);
extern MemoryContext pegfdw_batch_context(PegFdwModifyState *ms);
extern void pegfdw_send_rows(PegFdwModifyState *ms, const PegFdwWriteRow *rows,
							 int n, MemoryContext cxt);
extern void pegfdw_drain_writes(PegFdwModifyState *ms);
extern void pegfdw_flush_buffer(PegFdwModifyState *ms);
extern void pegfdw_queue_row(PegFdwModifyState *ms, const PegFdwWriteRow *r);
extern void pegfdw_mutate_now(PegFdwModifyState *ms, PegasusSlice h,
							  PegasusMutation *muts, int n);

/* in json_doc_insert.c */
struct PegFdwDocEdit;
extern AttrNumber pegfdw_doc_document_of(PegFdwTable *t, const char *sk);
extern bool pegfdw_doc_leads_group(PegFdwTable *t, int i);
extern PegasusSlice pegfdw_json_insert_value(PegFdwModifyState *ms,
											 TupleTableSlot *slot);
extern void pegfdw_json_wide_insert_row(PegFdwModifyState *ms,
										TupleTableSlot *slot,
										PegFdwWriteRow *row);
extern int	pegfdw_doc_slot_edits(PegFdwModifyState *ms, TupleTableSlot *slot,
								  Bitmapset *only, bool skip_nulls,
								  struct PegFdwDocEdit *edits, const char *sk);
extern char *pegfdw_doc_document_text(PegFdwModifyState *ms, TupleTableSlot *slot,
									  const char *sk);
pg_noreturn extern void pegfdw_doc_report_not_object(PegFdwModifyState *ms,
													 const PegasusSlice *h,
													 const PegasusSlice *s,
													 const char *why);

/* in json_doc_modify.c */
extern bool pegfdw_json_update(PegFdwModifyState *ms, TupleTableSlot *slot,
							   PegasusSlice old_h, PegasusSlice old_s,
							   const PegFdwWriteRow *put);
extern void pegfdw_json_flush_updates(PegFdwModifyState *ms);
extern void pegfdw_json_update_wide(PegFdwModifyState *ms, TupleTableSlot *slot,
									PegasusSlice old_h);

/* in modify_move.c */
extern void pegfdw_defer_move(PegFdwModifyState *ms, const PegFdwWriteRow *del,
							  const PegFdwWriteRow *put);
extern void pegfdw_apply_moves(PegFdwModifyState *ms);

#endif							/* PEGFDW_MODIFY_INTERNAL_H */
