/*-------------------------------------------------------------------------
 *
 * modify_move.c
 *		UPDATEs that change a row's keys: held until the end of the statement
 *		(so that the scan feeding the UPDATE cannot meet the rows again at
 *		their new keys), then applied per hash key.
 *
 * src/fdw/modify_move.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"

/* Holds a key-changing update (delete old, put new) until the end. */
void
pegfdw_defer_move(PegFdwModifyState *ms, const PegFdwWriteRow *del,
		   const PegFdwWriteRow *put)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(ms->moves_cxt);

	if (ms->nmoves + 2 > ms->maxmoves)
	{
		ms->maxmoves = Max(64, ms->maxmoves * 2);
		ms->moves = ms->moves ?
			repalloc(ms->moves, sizeof(PegFdwWriteRow) * ms->maxmoves) :
			palloc(sizeof(PegFdwWriteRow) * ms->maxmoves);
	}
	ms->moves[ms->nmoves++] = pegfdw_copy_row(del);
	ms->moves[ms->nmoves++] = pegfdw_copy_row(put);
	MemoryContextSwitchTo(oldcxt);
}

static int
compare_moves(const void *a, const void *b)
{
	return pegfdw_compare_rows_by_hash_key(a, b);
}

/*
 * End of the part of muts[start..n) that begins at start and fits one
 * write request of hash key h (at least one mutation).
 */
static int
cut_mutations(PegasusSlice h, const PegasusMutation *muts, int start, int n)
{
	size_t		bytes = PEGFDW_WRITE_REQUEST_BYTES + h.len;
	int			end;

	for (end = start; end < n; end++)
	{
		size_t		b = PEGFDW_WRITE_ENTRY_BYTES + muts[end].sort_key.len +
			muts[end].value.len;

		if (end > start && bytes + b > PEGFDW_MAX_WRITE_BYTES)
			break;
		bytes += b;
	}
	return end;
}

/*
 * Applies the held key-changing updates: per hash key, one
 * check_and_mutate that first deletes the old keys and then puts the new
 * ones (so that rows swapping keys end right), or a multi_del when the hash
 * key only loses rows.  Mutations too large for one request are sent as
 * several, in the same order.
 */
void
pegfdw_apply_moves(PegFdwModifyState *ms)
{
	SortItem   *items;
	int			n = ms->nmoves;
	int			i;
	int			start;
	MemoryContext oldcxt;

	if (n == 0)
		return;
	oldcxt = MemoryContextSwitchTo(ms->row_cxt);
	items = palloc(sizeof(SortItem) * n);
	for (i = 0; i < n; i++)
	{
		items[i].row = &ms->moves[i];
		items[i].index = i;
	}
	qsort(items, n, sizeof(SortItem), compare_moves);
	for (start = 0; start < n; start = i)
	{
		int			nputs = 0;
		int			total = 0;
		int			j;
		int			m = 0;
		int			end;
		PegasusMutation *muts;

		for (i = start; i < n &&
			 pegasus_slice_compare(items[i].row->hash_key, items[start].row->hash_key) == 0; i++)
		{
			total += items[i].row->nkeys;
			if (items[i].row->values)
				nputs += items[i].row->nkeys;
		}
		muts = palloc0(sizeof(PegasusMutation) * Max(total, 1));
		for (j = start; j < i; j++)
		{
			const PegFdwWriteRow *r = items[j].row;
			int			k;

			if (r->values)
				continue;
			for (k = 0; k < r->nkeys; k++)
			{
				muts[m].op = PEGASUS_MUTATE_DELETE;
				muts[m++].sort_key = r->sort_keys[k];
			}
		}
		for (j = start; j < i; j++)
		{
			const PegFdwWriteRow *r = items[j].row;
			int			k;

			if (!r->values)
				continue;
			for (k = 0; k < r->nkeys; k++)
			{
				muts[m].op = PEGASUS_MUTATE_PUT;
				muts[m].sort_key = r->sort_keys[k];
				muts[m].value = r->values[k];
				muts[m++].ttl_seconds = r->ttl;
			}
		}
		for (j = 0; j < m; j = end)
		{
			PegasusSlice h = items[start].row->hash_key;

			end = cut_mutations(h, muts, j, m);
			if (nputs == 0)
			{
				PegasusSlice *keys = palloc(sizeof(PegasusSlice) * (end - j));
				PegasusError err;
				PegasusStats before;
				bool		ok;
				int			k;

				for (k = j; k < end; k++)
					keys[k - j] = muts[k].sort_key;
				pegasus_error_clear(&err);
				pegasus_client_get_stats(ms->client, &before);
				ok = pegasus_table_multi_del(ms->pt, h, keys, end - j,
											 ms->table->timeout_ms, NULL, &err);
				pegfdw_finish_write_call(ms, ok, &err, &before);
			}
			else
				pegfdw_mutate_now(ms, h, muts + j, end - j);
		}
	}
	ms->rows_written += n / 2;
	ms->nmoves = 0;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(ms->row_cxt);
	MemoryContextReset(ms->moves_cxt);
	ms->moves = NULL;
	ms->maxmoves = 0;
}
