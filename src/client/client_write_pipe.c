/*-------------------------------------------------------------------------
 *
 * client_write_pipe.c
 *		The write pipe: write groups of several batches in flight at once,
 *		so that a caller encodes its next batch while replies to earlier
 *		ones arrive.
 *
 * Every group is one multi_set / multi_del call (client_batch.c prepares
 * and finishes them).  A group waits for the previous group of its hash key
 * (in any batch) to finish, so the later of two writes to a key wins.  Calls
 * start while fewer than max_calls are in flight and their request bytes
 * stay under max_bytes; new requests are written at once (the connection
 * layer otherwise writes at the next wait).  Progress is made when the
 * caller reaps the oldest batch.
 *
 * src/client/client_write_pipe.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

/* what a request costs besides its keys and values (about) */
#define PIPE_REQUEST_BYTES 128
#define PIPE_ENTRY_BYTES 32

typedef struct PipeBatch PipeBatch;

typedef struct PipeGroup
{
	GroupCall	gc;
	PegasusWriteGroup *group;
	PipeBatch  *batch;
	struct PipeGroup *next_same;	/* the next group of its hash key */
	GBytes	   *key;
	size_t		bytes;
	bool		blocked;		/* an earlier group of its hash key runs */
} PipeGroup;

struct PipeBatch
{
	PipeGroup  *pgs;
	size_t		n;
	size_t		next;			/* groups before it have all started */
	size_t		done;
	int64_t		deadline;
	bool		ok;
	PegasusError err;
};

struct PegasusWritePipe
{
	PegasusTable *table;
	int			max_calls;
	size_t		max_bytes;
	GQueue		batches;		/* PipeBatch *, oldest first */
	GHashTable *last;			/* hash key -> its latest PipeGroup * */
	GPtrArray  *active;			/* PipeGroup * started, not retired */
	size_t		active_bytes;
	bool		stopped;
	bool		interrupted;
};

PegasusWritePipe *
pegasus_write_pipe_new(PegasusTable *table, int max_calls, size_t max_bytes)
{
	PegasusWritePipe *pipe = g_new0(PegasusWritePipe, 1);

	pipe->table = table;
	pipe->max_calls = MAX(max_calls, 1);
	pipe->max_bytes = max_bytes;
	g_queue_init(&pipe->batches);
	pipe->last = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
									   (GDestroyNotify) g_bytes_unref, NULL);
	pipe->active = g_ptr_array_new();
	return pipe;
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

		for (i = b->next; i < b->n; i++)
		{
			PipeGroup  *pg = &b->pgs[i];

			if (pg->gc.started)
			{
				if (i == b->next)
					b->next++;
				continue;
			}
			if (pg->blocked)
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
		if (pg->next_same != NULL)
			pg->next_same->blocked = false;
		g_ptr_array_remove_index_fast(pipe->active, k);
	}
}

bool
pegasus_write_pipe_add(PegasusWritePipe *pipe, PegasusWriteGroup *groups,
					   size_t n, int timeout_ms, PegasusError *err)
{
	PipeBatch  *b;
	size_t		i;

	if (!pegasus_write_groups_check(groups, n, err))
		return false;

	b = g_new0(PipeBatch, 1);
	b->pgs = g_new0(PipeGroup, MAX(n, 1));
	b->n = n;
	b->ok = true;
	b->deadline = pegasus_deadline(pipe->table->client, timeout_ms);
	pegasus_error_clear(&b->err);
	for (i = 0; i < n; i++)
	{
		PipeGroup  *pg = &b->pgs[i];
		PipeGroup  *prev;

		pg->group = &groups[i];
		pg->batch = b;
		pg->bytes = group_bytes(&groups[i]);
		pg->key = g_bytes_new(groups[i].hash_key.data, groups[i].hash_key.len);
		prev = g_hash_table_lookup(pipe->last, pg->key);
		if (prev != NULL && !prev->gc.finished)
		{
			prev->next_same = pg;
			pg->blocked = true;
		}
		g_hash_table_replace(pipe->last, g_bytes_ref(pg->key), pg);
	}
	g_queue_push_tail(&pipe->batches, b);
	pipe_fill(pipe);
	pegasus_net_flush(pipe->table->client);
	return true;
}

static void
batch_free(PegasusWritePipe *pipe, PipeBatch *b)
{
	size_t		i;

	for (i = 0; i < b->n; i++)
	{
		PipeGroup  *pg = &b->pgs[i];

		if (g_hash_table_lookup(pipe->last, pg->key) == pg)
			g_hash_table_remove(pipe->last, pg->key);
		if (pg->gc.started && !pg->gc.finished)
		{
			pegasus_call_cleanup(&pg->gc.call);
			g_free(pg->gc.kvs);
			g_free(pg->gc.keys);
		}
		g_bytes_unref(pg->key);
	}
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
	while ((b = g_queue_pop_head(&pipe->batches)) != NULL)
		batch_free(pipe, b);
	g_ptr_array_free(pipe->active, TRUE);
	g_hash_table_destroy(pipe->last);
	g_free(pipe);
}
