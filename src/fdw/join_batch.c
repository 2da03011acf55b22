/*-------------------------------------------------------------------------
 *
 * join_batch.c
 *		Batches of the batched key join: the outer rows of a batch read and
 *		stored, their key expressions evaluated, the keys made distinct
 *		with a hash table (so that any key order costs the same), and the
 *		move from one batch to the next.
 *
 * src/fdw/join_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "join_internal.h"

/* The bytes of a key value (text, varchar or bytea), copied. */
static bool
eval_key(ExprState *es, ExprContext *econtext, KeyBytes *out)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(es, econtext, &isnull);
	struct varlena *v;

	if (isnull)
		return false;
	v = PG_DETOAST_DATUM_PACKED(d);
	out->len = VARSIZE_ANY_EXHDR(v);
	out->data = palloc(out->len + 1);
	memcpy(out->data, VARDATA_ANY(v), out->len);
	out->data[out->len] = '\0';
	return true;
}

/* The non-NULL elements of a sort-key array (text, varchar or bytea). */
static int
eval_key_list(ExprState *es, ExprContext *econtext, KeyBytes **out)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(es, econtext, &isnull);
	ArrayType  *arr;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			n = 0;
	int			i;

	*out = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(d);
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign,
					  &elems, &nulls, &nelems);
	*out = palloc(sizeof(KeyBytes) * Max(nelems, 1));
	for (i = 0; i < nelems; i++)
	{
		struct varlena *v;

		if (nulls[i])
			continue;
		v = PG_DETOAST_DATUM_PACKED(elems[i]);
		(*out)[n].len = VARSIZE_ANY_EXHDR(v);
		(*out)[n].data = palloc((*out)[n].len + 1);
		memcpy((*out)[n].data, VARDATA_ANY(v), (*out)[n].len);
		(*out)[n].data[(*out)[n].len] = '\0';
		n++;
	}
	return n;
}


static uint32
key_hash(const KeyRef *k)
{
	uint32		h = hash_bytes((const unsigned char *) k->hash.data, (int) k->hash.len);

	if (k->sort.len > 0)
		h = hash_combine(h, hash_bytes((const unsigned char *) k->sort.data,
									   (int) k->sort.len));
	return h;
}

static bool
key_equal(const KeyRef *x, const KeyRef *y)
{
	return x->hash.len == y->hash.len && x->sort.len == y->sort.len &&
		memcmp(x->hash.data, y->hash.data, x->hash.len) == 0 &&
		(x->sort.len == 0 || memcmp(x->sort.data, y->sort.data, x->sort.len) == 0);
}

/*
 * Makes the batch's nkeys keys (b->keys, in outer order) distinct with an
 * open-addressing hash table, so that the cost does not depend on the order
 * the keys come in: b->keys becomes the distinct keys in order of first
 * appearance, and each outer row points at its own.  For ranges every key
 * is kept in js->sorted too, grouped by distinct key (a counting sort, outer
 * order within a group), js->group[d] being the first of key d's group.
 */
static void
distinct_keys(PegFdwJoinState *js, BatchBuf *b, int nkeys)
{
	KeyRef	   *all = b->keys;
	KeyRef	   *distinct = all;
	int		   *of_key = NULL;	/* ranges: distinct index of each key */
	int		   *slots;
	uint32	   *hashes;
	uint32		mask = 15;
	int			i;

	while (mask < (uint32) nkeys * 2)
		mask = mask * 2 + 1;
	slots = MemoryContextAlloc(b->batch_cxt, sizeof(int) * (mask + 1));
	memset(slots, -1, sizeof(int) * (mask + 1));
	hashes = MemoryContextAlloc(b->batch_cxt, sizeof(uint32) * Max(nkeys, 1));
	if (js->ranges)
	{
		/* the keys stay in all; the distinct ones are copied apart */
		distinct = MemoryContextAlloc(b->batch_cxt, sizeof(KeyRef) * Max(nkeys, 1));
		of_key = MemoryContextAlloc(b->batch_cxt, sizeof(int) * Max(nkeys, 1));
	}
	for (i = 0; i < nkeys; i++)
	{
		KeyRef	   *k = &all[i];
		uint32		h = key_hash(k);
		uint32		s = h & mask;
		int			d;

		while ((d = slots[s]) >= 0 &&
			   !(hashes[d] == h && key_equal(&distinct[d], k)))
			s = (s + 1) & mask;
		if (d < 0)
		{
			/* a new one; without ranges written in place (d <= i) */
			d = b->ndistinct++;
			slots[s] = d;
			hashes[d] = h;
			distinct[d] = *k;
		}
		b->rows[k->row].key = d;
		if (of_key)
			of_key[i] = d;
	}
	b->keys = distinct;
	if (!js->ranges)
		return;

	/* every key, grouped by distinct key: the outer rows of a hash key */
	js->group = MemoryContextAllocZero(b->batch_cxt, sizeof(int) * (b->ndistinct + 1));
	js->sorted = MemoryContextAlloc(b->batch_cxt, sizeof(KeyRef) * Max(nkeys, 1));
	js->nsorted = nkeys;
	js->matched = MemoryContextAllocZero(b->batch_cxt, sizeof(bool) * b->nrows);
	for (i = 0; i < nkeys; i++)
		js->group[of_key[i] + 1]++;
	for (i = 0; i < b->ndistinct; i++)
		js->group[i + 1] += js->group[i];
	/* hashes is free now: it counts the keys placed in each group */
	memset(hashes, 0, sizeof(uint32) * b->ndistinct);
	for (i = 0; i < nkeys; i++)
	{
		int			d = of_key[i];

		js->sorted[js->group[d] + hashes[d]++] = all[i];
	}
}

/*
 * Reads a batch of outer rows into b with their distinct keys (every key,
 * grouped, for ranges).  Returns false when the outer side had no more rows.
 */
bool
pegfdw_join_read_batch(PegFdwJoinState *js, BatchBuf *b)
{
	PlanState  *outer = linitial(js->css.custom_ps);
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	MemoryContext old;
	Size		bytes = 0;
	int			nkeys = 0;

	b->nrows = b->ndistinct = 0;
	if (js->outer_done)
		return false;
	old = MemoryContextSwitchTo(b->batch_cxt);
	b->rows = palloc(sizeof(OuterRow) * js->batch_rows);
	b->keys = palloc(sizeof(KeyRef) * js->batch_rows);
	while (b->nrows < js->batch_rows && bytes < PEGFDW_JOIN_BATCH_BYTES)
	{
		TupleTableSlot *slot;
		OuterRow   *row;
		KeyRef	   *k = &b->keys[nkeys];
		bool		ok;

		MemoryContextSwitchTo(old);
		slot = ExecProcNode(outer);
		MemoryContextSwitchTo(b->batch_cxt);
		if (TupIsNull(slot))
		{
			js->outer_done = true;
			break;
		}
		row = &b->rows[b->nrows];
		row->tuple = ExecCopySlotMinimalTuple(slot);
		row->key = -1;
		bytes += row->tuple->t_len;
		ExecStoreMinimalTuple(row->tuple, js->outer_slot, false);
		econtext->ecxt_scantuple = pegfdw_join_fill_outer(js);
		ok = eval_key(js->hash_expr, econtext, &k->hash) &&
			k->hash.len > 0 && k->hash.len < PEGASUS_MAX_HASH_KEY_LEN;
		if (ok && js->sort_expr)
			ok = eval_key(js->sort_expr, econtext, &k->sort);
		else
			k->sort.data = NULL, k->sort.len = 0;
		k->nlist = 0;
		if (ok && js->list_expr)
		{
			int			j;

			k->nlist = eval_key_list(js->list_expr, econtext, &k->list);
			for (j = 0; j < k->nlist; j++)
				bytes += k->list[j].len;
		}
		if (ok)
		{
			k->row = b->nrows;
			bytes += k->hash.len + k->sort.len;
			nkeys++;
		}
		b->nrows++;
		js->outer_rows++;
	}
	MemoryContextSwitchTo(old);
	if (b->nrows == 0)
		return false;

	distinct_keys(js, b, nkeys);
	js->batches++;
	return true;
}

/*
 * Moves to the next batch of outer rows with their inner rows read.
 * Returns false when the outer side has no more rows.  On the batch_get
 * path the batch after it is read and sent before its rows are emitted,
 * so that the cluster answers while they are: two batches at most.
 */
bool
pegfdw_join_next_batch(PegFdwJoinState *js)
{
	BatchBuf   *done = js->batch;

	pegfdw_join_free_replies(js);
	MemoryContextReset(done->batch_cxt);
	done->nrows = done->ndistinct = 0;
	js->list_keys = NULL;
	js->list_cap = 0;
	js->pos = 0;
	if (js->ahead)
	{
		js->batch = js->ahead;
		js->ahead = NULL;
	}
	else
	{
		if (!pegfdw_join_read_batch(js, js->batch))
			return false;
		if (js->ranges)
		{
			js->next_reader = js->cur = js->tail = 0;
			js->have_record = false;
			js->page_pos = 0;
			return true;
		}
		pegfdw_join_start_batch(js, js->batch);
	}
	pegfdw_join_finish_batch(js, js->batch);
	if (!js->outer_done)
	{
		BatchBuf   *next = js->batch == &js->bufs[0] ? &js->bufs[1] : &js->bufs[0];

		if (pegfdw_join_read_batch(js, next))
		{
			js->ahead = next;
			pegfdw_join_start_batch(js, next);
		}
	}
	return true;
}
