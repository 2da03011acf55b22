/*-------------------------------------------------------------------------
 *
 * client_write_pipe.c
 *		The write pipe: write groups of several batches in flight at once,
 *		so that a caller encodes its next batch while replies to earlier
 *		ones arrive.
 *
 * Every group is one multi_set / multi_del call (prepared and finished
 * here; pegasus_table_write_groups sends one batch through a pipe of its own).  A group waits for every earlier group (in any batch)
 * that writes one of its records (hash key and sort key) to finish, so the
 * later of two writes to a record wins; groups of one hash key that share
 * no record run side by side (a load under one hash key is not serialised
 * behind its own round trips).  Records are looked up only while a hash key
 * has two groups unfinished: a group alone under its hash key registers
 * just the hash key, and its records when a second group arrives (its
 * slices are still the caller's then).  Calls
 * start while fewer than max_calls are in flight and their request bytes
 * stay under max_bytes; new requests are written at once (the connection
 * layer otherwise writes at the next wait).  Progress is made when the
 * caller reaps the oldest batch.
 *
 * Batches may be sent in rounds (pegasus_write_pipe_set_rounds): a batch
 * added is held until round_batches are held, until a batch has been held
 * round_wait_us (checked when one is added or the caller pokes the pipe),
 * or until the caller reaps one still held.  On a loopback or a LAN, each
 * write to a socket costs the sender about as much as encoding a few dozen
 * rows (most of it waking the server), so a load of small batches goes
 * faster when several are written together; with a window of two rounds
 * or more the server works on the round before meanwhile.  A held batch's
 * deadline starts when it is released.
 *
 * src/client/client_write_pipe.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "client_internal.h"

/* calls kept in flight at once by pegasus_table_write_groups */
#define MAX_ACTIVE_CALLS 256

/* ----------------------------------------------------------------------
 * Write groups: one multi_set / multi_del call each
 * ---------------------------------------------------------------------- */

bool
pegasus_write_group_validate(const PegasusWriteGroup *g, size_t i,
							 PegasusError *err)
{
	const char *op = g->kind == PEGASUS_WRITE_MULTI_DEL ? "multi_del" : "multi_set";

	if (g->kind != PEGASUS_WRITE_MULTI_SET && g->kind != PEGASUS_WRITE_MULTI_DEL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Write group %zu has an unknown kind.", i);
		return false;
	}
	if (!pegasus_check_hash_key(g->hash_key, false, op, err))
		return false;
	if (g->count == 0 || g->sort_keys == NULL ||
		(g->kind == PEGASUS_WRITE_MULTI_SET && g->values == NULL))
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "Write group %zu has no rows.", i);
		return false;
	}
	if (g->kind == PEGASUS_WRITE_MULTI_SET && g->ttl_seconds < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The TTL must not be negative.");
		return false;
	}
	return true;
}

/*
 * Marks every group pending and validates them all: one invalid group
 * refuses the whole call (every group FAILED, nothing sent).
 */
bool
pegasus_write_groups_check(PegasusWriteGroup *groups, size_t n,
						   PegasusError *err)
{
	size_t		i;

	pegasus_error_clear(err);
	for (i = 0; i < n; i++)
	{
		groups[i].status = PEGASUS_GROUP_PENDING;
		groups[i].error_code = PEGASUS_OK;
	}
	for (i = 0; i < n; i++)
		if (!pegasus_write_group_validate(&groups[i], i, err))
		{
			size_t		j;

			for (j = 0; j < n; j++)
			{
				groups[j].status = PEGASUS_GROUP_FAILED;
				groups[j].error_code = PEGASUS_ERR_INVALID_ARGUMENT;
			}
			return false;
		}
	return true;
}

void
pegasus_write_group_prepare(GroupCall *gc, PegasusTable *table,
							const PegasusWriteGroup *g, int64_t deadline)
{
	uint64_t	h = pegasus_codec_hash_key_partition_hash(g->hash_key.data,
														  g->hash_key.len);
	size_t		j;

	if (g->kind == PEGASUS_WRITE_MULTI_SET)
	{
		PegasusMultiPutRequest *u;

		pegasus_call_init(&gc->call, table, PEGASUS_RPC_MULTI_PUT, "multi_set",
						  true, h, deadline);
		gc->kvs = g_new0(PegasusKeyValue, g->count);
		for (j = 0; j < g->count; j++)
		{
			gc->kvs[j].key = pegasus_blob_of(g->sort_keys[j]);
			gc->kvs[j].value = pegasus_blob_of(g->values[j]);
		}
		u = &gc->call.req.u.multi_put;
		u->hash_key = pegasus_blob_of(g->hash_key);
		u->kvs = gc->kvs;
		u->n_kvs = g->count;
		u->expire_ts_seconds = pegasus_codec_expire_ts_from_ttl(g->ttl_seconds);
	}
	else
	{
		PegasusMultiRemoveRequest *u;

		pegasus_call_init(&gc->call, table, PEGASUS_RPC_MULTI_REMOVE, "multi_del",
						  true, h, deadline);
		gc->keys = g_new0(PegasusBlob, g->count);
		for (j = 0; j < g->count; j++)
			gc->keys[j] = pegasus_blob_of(g->sort_keys[j]);
		u = &gc->call.req.u.multi_remove;
		u->hash_key = pegasus_blob_of(g->hash_key);
		u->sort_keys = gc->keys;
		u->n_sort_keys = g->count;
	}
}

/* Records the outcome of a finished group call; true if it succeeded. */
bool
pegasus_write_group_finish(GroupCall *gc, PegasusWriteGroup *g,
						   PegasusError *first_err)
{
	PegasusCall *call = &gc->call;
	bool		ok = false;

	gc->finished = true;
	if (call->state == PEGASUS_CALL_DONE)
	{
		int32_t		code = g->kind == PEGASUS_WRITE_MULTI_SET ?
			call->reply->resp.u.put.error : call->reply->resp.u.multi_remove.error;

		if (code == 0)
		{
			g->status = PEGASUS_GROUP_DONE;
			g->error_code = PEGASUS_OK;
			ok = true;
		}
		else
		{
			pegasus_error_set_storage(&call->err, call->op, code);
			g->status = PEGASUS_GROUP_FAILED;
			g->error_code = PEGASUS_ERR_STORAGE;
		}
	}
	else
	{
		g->error_code = call->err.code;
		g->status = call->err.outcome_unknown ? PEGASUS_GROUP_UNKNOWN :
			PEGASUS_GROUP_FAILED;
	}
	if (!ok && first_err->code == PEGASUS_OK)
		*first_err = call->err;
	pegasus_call_cleanup(call);
	g_free(gc->kvs);
	gc->kvs = NULL;
	g_free(gc->keys);
	gc->keys = NULL;
	return ok;
}

/* what a request costs besides its keys and values (about) */
#define PIPE_REQUEST_BYTES 128
#define PIPE_ENTRY_BYTES 32

typedef struct PipeBatch PipeBatch;
typedef struct PipeGroup PipeGroup;

/*
 * A key of the pipe's table of last writers: one record a group writes, or
 * (whole_hash_key) the group's hash key.
 */
typedef struct PipeRecord
{
	PegasusSlice hash_key;
	PegasusSlice sort_key;
	uint32_t	hash;
	bool		whole_hash_key;
} PipeRecord;

struct PipeGroup
{
	GroupCall	gc;
	PegasusWriteGroup *group;
	PipeBatch  *batch;
	PipeRecord *records;		/* nrecords, in the batch's array */
	size_t		nrecords;
	PipeRecord	hash_key;		/* whole_hash_key */
	PipeGroup  *prev_same;		/* the group of its hash key before it */
	PipeGroup  *next_same;
	bool		registered;		/* its records are in the table */
	GPtrArray  *waiters;		/* later groups waiting for this one */
	PipeGroup  *last_waiter;	/* the last one added to waiters */
	int			blockers;		/* earlier groups it waits for */
	size_t		bytes;
};

struct PipeBatch
{
	PipeGroup  *pgs;
	PipeRecord *records;
	size_t		n;
	size_t		next;			/* groups before it have all started */
	size_t		done;
	int			timeout_ms;
	int64_t		deadline;		/* set when released */
	bool		released;		/* its groups may start */
	bool		ok;
	PegasusError err;
};

struct PegasusWritePipe
{
	PegasusTable *table;
	int			max_calls;
	size_t		max_bytes;
	GQueue		batches;		/* PipeBatch *, oldest first */
	GHashTable *last;			/* PipeRecord * -> its latest PipeGroup * */
	GPtrArray  *active;			/* PipeGroup * started, not retired */
	size_t		active_bytes;
	int			round_batches;	/* batches held before they are sent */
	int64_t		round_wait_us;	/* the longest a batch is held */
	int			held;			/* batches added, not yet released */
	int64_t		first_held_us;
	int64_t		last_add_us;
	bool		stopped;
	bool		interrupted;
};

static guint
record_hash(gconstpointer p)
{
	return ((const PipeRecord *) p)->hash;
}

/* keys are short: a loop beats a call to memcmp */
static inline bool
bytes_equal(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a;
	const uint8_t *y = b;
	size_t		i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static gboolean
record_equal(gconstpointer a, gconstpointer b)
{
	const PipeRecord *x = a;
	const PipeRecord *y = b;

	return x->hash == y->hash && x->whole_hash_key == y->whole_hash_key &&
		x->hash_key.len == y->hash_key.len && x->sort_key.len == y->sort_key.len &&
		bytes_equal(x->sort_key.data, y->sort_key.data, x->sort_key.len) &&
		bytes_equal(x->hash_key.data, y->hash_key.data, x->hash_key.len);
}

/* FNV-1a over the hash key, its length, then the sort key */
static uint32_t
record_hash_of(PegasusSlice hash_key, PegasusSlice sort_key)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < hash_key.len; i++)
		h = (h ^ ((const uint8_t *) hash_key.data)[i]) * 16777619u;
	h = (h ^ (uint32_t) hash_key.len) * 16777619u;
	for (i = 0; i < sort_key.len; i++)
		h = (h ^ ((const uint8_t *) sort_key.data)[i]) * 16777619u;
	return h;
}

PegasusWritePipe *
pegasus_write_pipe_new(PegasusTable *table, int max_calls, size_t max_bytes)
{
	PegasusWritePipe *pipe = g_new0(PegasusWritePipe, 1);

	pipe->table = table;
	pipe->max_calls = MAX(max_calls, 1);
	pipe->max_bytes = max_bytes;
	g_queue_init(&pipe->batches);
	pipe->last = g_hash_table_new(record_hash, record_equal);
	pipe->active = g_ptr_array_new();
	pipe->round_batches = 1;
	return pipe;
}

void
pegasus_write_pipe_set_rounds(PegasusWritePipe *pipe, int round_batches,
							  int64_t round_wait_us)
{
	pipe->round_batches = MAX(round_batches, 1);
	pipe->round_wait_us = MAX(round_wait_us, 0);
}

size_t
pegasus_write_pipe_batches(const PegasusWritePipe *pipe)
{
	return g_queue_get_length((GQueue *) &pipe->batches);
}

static size_t
group_bytes(const PegasusWriteGroup *g)
{
	size_t		n = PIPE_REQUEST_BYTES + g->hash_key.len;
	size_t		i;

	for (i = 0; i < g->count; i++)
		n += PIPE_ENTRY_BYTES + g->sort_keys[i].len +
			(g->values ? g->values[i].len : 0);
	return n;
}

/* Starts the groups that may start, oldest batch first. */
static void
pipe_fill(PegasusWritePipe *pipe)
{
	GList	   *l;
	int64_t		now = pegasus_now_us();

	for (l = pipe->batches.head; l != NULL; l = l->next)
	{
		PipeBatch  *b = l->data;
		size_t		i;

		if (!b->released)
			return;				/* batches are released oldest first */
		for (i = b->next; i < b->n; i++)
		{
			PipeGroup  *pg = &b->pgs[i];

			if (pg->gc.started)
			{
				if (i == b->next)
					b->next++;
				continue;
			}
			if (pg->blockers > 0)
				continue;
			if (!pipe->stopped && !pipe->interrupted && pipe->active->len > 0 &&
				((int) pipe->active->len >= pipe->max_calls ||
				 pipe->active_bytes + pg->bytes > pipe->max_bytes))
				return;
			pegasus_write_group_prepare(&pg->gc, pipe->table, pg->group,
										b->deadline);
			pg->gc.started = true;
			if (pipe->stopped)
				pegasus_call_abandon(&pg->gc.call, PEGASUS_ERR_INTERRUPTED,
									 "The write was not sent: an earlier write of the statement failed.");
			else if (pipe->interrupted)
				pegasus_call_abandon(&pg->gc.call, PEGASUS_ERR_INTERRUPTED,
									 "The request was interrupted.");
			else if (now >= b->deadline)
				pegasus_call_abandon(&pg->gc.call, PEGASUS_ERR_TIMEOUT,
									 "The write was not sent before the deadline.");
			else
				pegasus_call_start(&pg->gc.call);
			g_ptr_array_add(pipe->active, pg);
			pipe->active_bytes += pg->bytes;
			if (i == b->next)
				b->next++;
		}
	}
}

/* Records the outcome of every finished call in flight. */
static void
pipe_retire(PegasusWritePipe *pipe)
{
	guint		k = 0;

	while (k < pipe->active->len)
	{
		PipeGroup  *pg = g_ptr_array_index(pipe->active, k);
		PipeBatch  *b = pg->batch;

		if (!pegasus_call_finished(&pg->gc.call))
		{
			k++;
			continue;
		}
		if (!pegasus_write_group_finish(&pg->gc, pg->group, &b->err))
			b->ok = false;
		b->done++;
		pipe->active_bytes -= pg->bytes;
		if (pg->waiters != NULL)
		{
			guint		w;

			for (w = 0; w < pg->waiters->len; w++)
				((PipeGroup *) g_ptr_array_index(pg->waiters, w))->blockers--;
			g_ptr_array_free(pg->waiters, TRUE);
			pg->waiters = NULL;
		}
		g_ptr_array_remove_index_fast(pipe->active, k);
	}
}

/* Puts pg's records in the table, after the groups they must wait for. */
static void
pipe_register(PegasusWritePipe *pipe, PipeGroup *pg, bool wait)
{
	size_t		j;

	for (j = 0; j < pg->nrecords; j++)
	{
		PipeRecord *r = &pg->records[j];
		PipeGroup  *prev;

		r->hash_key = pg->group->hash_key;
		r->sort_key = pg->group->sort_keys[j];
		r->hash = record_hash_of(r->hash_key, r->sort_key);
		r->whole_hash_key = false;
		prev = wait ? g_hash_table_lookup(pipe->last, r) : NULL;
		if (prev != NULL && prev != pg && !prev->gc.finished &&
			prev->last_waiter != pg)
		{
			if (prev->waiters == NULL)
				prev->waiters = g_ptr_array_new();
			g_ptr_array_add(prev->waiters, pg);
			prev->last_waiter = pg;
			pg->blockers++;
		}
		g_hash_table_replace(pipe->last, r, pg);
	}
	pg->registered = true;
}

/*
 * Enters a new group: alone under its hash key, only the hash key; after
 * an unfinished group of it, its records, and those of the earlier groups
 * not yet registered (at most one: the first of the run).
 */
static void
pipe_link(PegasusWritePipe *pipe, PipeGroup *pg)
{
	PipeGroup  *prev;

	pg->hash_key.hash_key = pg->group->hash_key;
	pg->hash_key.sort_key.data = NULL;
	pg->hash_key.sort_key.len = 0;
	pg->hash_key.hash = record_hash_of(pg->group->hash_key, pg->hash_key.sort_key) ^ 0x5bd1e995u;
	pg->hash_key.whole_hash_key = true;
	prev = g_hash_table_lookup(pipe->last, &pg->hash_key);
	if (prev != NULL && !prev->gc.finished)
	{
		PipeGroup  *g;

		pg->prev_same = prev;
		prev->next_same = pg;
		for (g = prev; g != NULL && !g->registered && !g->gc.finished; g = g->prev_same)
			pipe_register(pipe, g, false);
		pipe_register(pipe, pg, true);
	}
	g_hash_table_replace(pipe->last, &pg->hash_key, pg);
}

/* Releases every held batch: their groups start and are written now. */
static void
pipe_release(PegasusWritePipe *pipe)
{
	GList	   *l;

	for (l = pipe->batches.tail; l != NULL; l = l->prev)
	{
		PipeBatch  *b = l->data;

		if (b->released)
			break;
		b->released = true;
		b->deadline = pegasus_deadline(pipe->table->client, b->timeout_ms);
	}
	pipe->held = 0;
	pipe_fill(pipe);
	pegasus_net_flush(pipe->table->client);
}

void
pegasus_write_pipe_send(PegasusWritePipe *pipe)
{
	if (pipe->held > 0)
		pipe_release(pipe);
}

void
pegasus_write_pipe_poke(PegasusWritePipe *pipe)
{
	if (pipe->held > 0 &&
		pegasus_now_us() - pipe->first_held_us >= pipe->round_wait_us)
		pipe_release(pipe);
}

bool
pegasus_write_pipe_add(PegasusWritePipe *pipe, PegasusWriteGroup *groups,
					   size_t n, int timeout_ms, PegasusError *err)
{
	PipeBatch  *b;
	size_t		i;
	size_t		nrecords = 0;
	int64_t		now;

	if (!pegasus_write_groups_check(groups, n, err))
		return false;

	b = g_new0(PipeBatch, 1);
	b->pgs = g_new0(PipeGroup, MAX(n, 1));
	for (i = 0; i < n; i++)
		nrecords += groups[i].count;
	b->records = g_new(PipeRecord, MAX(nrecords, 1));
	b->n = n;
	b->ok = true;
	b->timeout_ms = timeout_ms;
	pegasus_error_clear(&b->err);
	nrecords = 0;
	for (i = 0; i < n; i++)
	{
		PipeGroup  *pg = &b->pgs[i];

		pg->group = &groups[i];
		pg->batch = b;
		pg->bytes = group_bytes(&groups[i]);
		pg->records = &b->records[nrecords];
		pg->nrecords = groups[i].count;
		nrecords += groups[i].count;
		pipe_link(pipe, pg);
	}
	g_queue_push_tail(&pipe->batches, b);
	now = pegasus_now_us();
	if (pipe->held++ == 0)
		pipe->first_held_us = now;
	/* adds further apart than the wait: one batch a round */
	if (pipe->held >= pipe->round_batches ||
		now - pipe->first_held_us >= pipe->round_wait_us ||
		now - pipe->last_add_us >= pipe->round_wait_us)
		pipe_release(pipe);
	pipe->last_add_us = now;
	return true;
}

/*
 * Frees a batch.  pipe->last is NULL when the whole pipe goes: its records'
 * slices may already be gone then, so they are not read.
 */
static void
batch_free(PegasusWritePipe *pipe, PipeBatch *b)
{
	size_t		i;

	for (i = 0; i < b->n; i++)
	{
		PipeGroup  *pg = &b->pgs[i];
		size_t		j;

		if (pipe->last != NULL)
		{
			for (j = 0; pg->registered && j < pg->nrecords; j++)
				if (g_hash_table_lookup(pipe->last, &pg->records[j]) == pg)
					g_hash_table_remove(pipe->last, &pg->records[j]);
			if (g_hash_table_lookup(pipe->last, &pg->hash_key) == pg)
				g_hash_table_remove(pipe->last, &pg->hash_key);
		}
		if (pg->prev_same != NULL)
			pg->prev_same->next_same = NULL;
		if (pg->next_same != NULL)
			pg->next_same->prev_same = NULL;
		if (pg->gc.started && !pg->gc.finished)
		{
			pegasus_call_cleanup(&pg->gc.call);
			g_free(pg->gc.kvs);
			g_free(pg->gc.keys);
		}
		if (pg->waiters != NULL)
			g_ptr_array_free(pg->waiters, TRUE);
	}
	g_free(b->records);
	g_free(b->pgs);
	g_free(b);
}

bool
pegasus_write_pipe_reap(PegasusWritePipe *pipe, PegasusError *err)
{
	PipeBatch  *b = g_queue_peek_head(&pipe->batches);
	bool		ok;

	pegasus_error_clear(err);
	if (b == NULL)
		return true;
	if (!b->released)
		pipe_release(pipe);
	for (;;)
	{
		PegasusCall *local[64];
		PegasusCall **calls;
		guint		k;

		pipe_fill(pipe);
		pipe_retire(pipe);
		if (b->done >= b->n)
			break;
		if (pipe->active->len == 0)
		{
			/* retiring unblocked groups: start them */
			pipe_fill(pipe);
			if (pipe->active->len == 0)
			{
				/* cannot happen: the oldest batch waits only on itself */
				pegasus_error_set(&b->err, PEGASUS_ERR_INTERNAL, "write",
								  "The write pipe has groups it cannot start.");
				b->ok = false;
				break;
			}
		}
		calls = pipe->active->len <= G_N_ELEMENTS(local) ? local :
			g_new(PegasusCall *, pipe->active->len);
		for (k = 0; k < pipe->active->len; k++)
			calls[k] = &((PipeGroup *) g_ptr_array_index(pipe->active, k))->gc.call;
		if (pegasus_calls_step(calls, (int) pipe->active->len, b->deadline) < 0)
			pipe->interrupted = true;
		if (calls != local)
			g_free(calls);
	}
	g_queue_pop_head(&pipe->batches);
	ok = b->ok;
	*err = b->err;
	batch_free(pipe, b);
	return ok;
}

void
pegasus_write_pipe_stop(PegasusWritePipe *pipe)
{
	pipe->stopped = true;
}

void
pegasus_write_pipe_free(PegasusWritePipe *pipe)
{
	PipeBatch  *b;

	if (pipe == NULL)
		return;
	g_hash_table_destroy(pipe->last);
	pipe->last = NULL;
	while ((b = g_queue_pop_head(&pipe->batches)) != NULL)
		batch_free(pipe, b);
	g_ptr_array_free(pipe->active, TRUE);
	g_free(pipe);
}

/* One batch through a write pipe of its own: the same scheduling. */
bool
pegasus_table_write_groups(PegasusTable *table, PegasusWriteGroup *groups,
						   size_t n, int timeout_ms, PegasusError *err)
{
	PegasusWritePipe *pipe;
	bool		ok;

	if (n == 0)
		return pegasus_write_groups_check(groups, n, err);
	pipe = pegasus_write_pipe_new(table, MAX_ACTIVE_CALLS, SIZE_MAX);
	ok = pegasus_write_pipe_add(pipe, groups, n, timeout_ms, err) &&
		pegasus_write_pipe_reap(pipe, err);
	pegasus_write_pipe_free(pipe);
	return ok;
}
