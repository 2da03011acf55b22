/*-------------------------------------------------------------------------
 *
 * pegasus_client_write.h
 *		Public API of the client, operations across partitions: batch_get,
 *		bulk writes in groups, and the write pipe that keeps batches in flight.
 *
 * Part of pegasus_client.h (its conventions apply), which includes it.
 *
 * src/client/pegasus_client_write.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_WRITE_H
#define PEGASUS_CLIENT_WRITE_H

#ifndef PEGASUS_CLIENT_H
#error "include pegasus_client.h, which includes this file"
#endif

/* ----------------------------------------------------------------------
 * Multi-partition operations
 * ---------------------------------------------------------------------- */

typedef struct PegasusCompositeKey
{
	PegasusSlice hash_key;		/* not empty */
	PegasusSlice sort_key;
} PegasusCompositeKey;

/*
 * Reads n keys that may live in different partitions: keys are grouped per
 * partition and the groups are sent concurrently.  *out has exactly n items,
 * item i answering keys[i] (found = false when absent).  All or nothing: any
 * failed group fails the call.  A group whose partition splits before it
 * is answered is regrouped under the new routing and sent again.
 */
extern bool pegasus_table_batch_get(PegasusTable *table,
									const PegasusCompositeKey *keys, size_t n,
									int timeout_ms, PegasusKVList **out,
									PegasusError *err);

/*
 * The same in two steps, for a caller with other work while the requests
 * are out: start sends them (the keys must stay valid until finish or
 * cancel) and returns NULL with err on a refusal; finish waits for the
 * answers (as pegasus_table_batch_get) and releases the handle, cancel
 * releases it without waiting (replies still in flight are discarded).
 */
typedef struct PegasusBatchGet PegasusBatchGet;

extern PegasusBatchGet *pegasus_table_batch_get_start(PegasusTable *table,
													  const PegasusCompositeKey *keys,
													  size_t n, int timeout_ms,
													  PegasusError *err);
extern bool pegasus_batch_get_finish(PegasusBatchGet *bg, PegasusKVList **out,
									 PegasusError *err);
extern void pegasus_batch_get_cancel(PegasusBatchGet *bg);

typedef enum PegasusWriteKind
{
	PEGASUS_WRITE_MULTI_SET = 0,	/* sort_keys[i] = values[i] */
	PEGASUS_WRITE_MULTI_DEL = 1 /* delete sort_keys[i] */
} PegasusWriteKind;

typedef enum PegasusGroupStatus
{
	PEGASUS_GROUP_PENDING = 0,	/* not attempted (input value) */
	PEGASUS_GROUP_DONE,			/* the server confirmed the write */
	PEGASUS_GROUP_FAILED,		/* definitely not applied */
	PEGASUS_GROUP_UNKNOWN		/* sent, no answer: may have been applied */
} PegasusGroupStatus;

/*
 * One hash key's worth of a bulk write.  Inputs: kind, hash_key (not empty),
 * sort_keys, values (MULTI_SET only), count (> 0), ttl_seconds (MULTI_SET
 * only).  Outputs: status, error_code (PEGASUS_OK when done).
 */
typedef struct PegasusWriteGroup
{
	PegasusWriteKind kind;
	PegasusSlice hash_key;
	const PegasusSlice *sort_keys;
	const PegasusSlice *values;
	size_t		count;
	int32_t		ttl_seconds;
	PegasusGroupStatus status;	/* out */
	PegasusErrorKind error_code;	/* out */
} PegasusWriteGroup;

/*
 * Sends one multi_set / multi_del per group, all concurrently (pipelined
 * across partitions and connections), retrying retryable failures within the
 * deadline.  Returns true when every group is DONE; otherwise false with err
 * describing the first failure and each group's status telling what
 * happened to it.  Writes to one record (hash key and sort key) are applied
 * in array order.
 */
extern bool pegasus_table_write_groups(PegasusTable *table,
									   PegasusWriteGroup *groups, size_t n,
									   int timeout_ms, PegasusError *err);

/*
 * A write pipe keeps write groups of several batches in flight: a batch is
 * added (its groups start as the window allows) and the caller goes on
 * preparing the next while replies arrive; batches are reaped oldest first.
 * Writes to one record (hash key and sort key) are applied in the order
 * they were added, across batches; groups that share no record may run at
 * once, even under one hash key.  At most max_calls requests and about max_bytes of
 * request bytes are in flight (one group is always allowed).
 */
typedef struct PegasusWritePipe PegasusWritePipe;

extern PegasusWritePipe *pegasus_write_pipe_new(PegasusTable *table,
												int max_calls,
												size_t max_bytes);

/*
 * Adds a batch; groups (and the slices they point to) must stay valid until
 * the batch is reaped.  Each batch has its own deadline, timeout_ms from
 * now.  false with err when a group is invalid: nothing is added then, and
 * every group of the batch is FAILED.
 */
extern bool pegasus_write_pipe_add(PegasusWritePipe *pipe,
								   PegasusWriteGroup *groups, size_t n,
								   int timeout_ms, PegasusError *err);

/* Batches added and not yet reaped. */
extern size_t pegasus_write_pipe_batches(const PegasusWritePipe *pipe);

/*
 * Sends batches in rounds: an added batch is held (nothing of it sent)
 * until round_batches are held, until one has been held round_wait_us, or
 * until the caller reaps one; a batch added longer than round_wait_us
 * after the one before (the first batch, too) is sent at once with
 * whatever is held.  A held batch's deadline starts when it is sent.
 * The default, round_batches 1, sends every batch when it is added.
 */
extern void pegasus_write_pipe_set_rounds(PegasusWritePipe *pipe,
										  int round_batches,
										  int64_t round_wait_us);

/* Sends the held batches if the oldest has been held round_wait_us. */
extern void pegasus_write_pipe_poke(PegasusWritePipe *pipe);

/* Sends the held batches now. */
extern void pegasus_write_pipe_send(PegasusWritePipe *pipe);

/*
 * Waits until the oldest batch has finished and reaps it: its groups'
 * status tell what happened to each.  true when every group is DONE;
 * otherwise false with err describing the batch's first failure.
 */
extern bool pegasus_write_pipe_reap(PegasusWritePipe *pipe, PegasusError *err);

/*
 * Starts no more groups: those not yet sent are FAILED (not attempted);
 * groups in flight still finish, and batches are reaped as before.
 */
extern void pegasus_write_pipe_stop(PegasusWritePipe *pipe);

/* Frees the pipe; requests in flight are abandoned. */
extern void pegasus_write_pipe_free(PegasusWritePipe *pipe);

#endif							/* PEGASUS_CLIENT_WRITE_H */
