/*-------------------------------------------------------------------------
 *
 * scan_wide.c
 *		Rows of a wide table (layout 'wide'): the records of one hash key
 *		gathered into one row, a column per mapped sort key (with documents,
 *		every column of a sort key reads its one value).
 *
 * Point lookups read every column's sort key of each hash key; scans keep
 * one row being assembled per partition the records come from (a hash
 * key's records are contiguous in their partition).  The values of a row
 * are copied into param_cxt until the row is emitted.
 *
 * src/fdw/scan_wide.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "scan_internal.h"

/* Columns of a wide table. */
static int
wide_column_of(PegFdwTable *t, PegasusSlice sort)
{
	int			i;

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (!c->dropped && c->role == PEGFDW_ROLE_NONE &&
			strlen(c->wide_sort_key) == sort.len &&
			memcmp(c->wide_sort_key, sort.data, sort.len) == 0)
			return i;
	}
	return -1;
}

static void
wide_store_tuple(PegFdwScanState *s, TupleTableSlot *slot, WideRow *w)
{
	PegFdwTable *t = s->table;
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < t->natts; i++)
		slot->tts_isnull[i] = true;
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (c->dropped)
			continue;
		if (c->role == PEGFDW_ROLE_HASH_KEY)
		{
			slot->tts_values[i] = pegfdw_bytes_to_datum(t, s->io, c, w->hash.data,
														w->hash.len);
			slot->tts_isnull[i] = false;
		}
		else if (w->values[i].data && t->value_format == PEGFDW_FORMAT_JSON)
		{
			/* the document of the sort key: every column reading it */
			PegasusSlice h = {w->hash.data, w->hash.len};
			PegasusSlice v = {w->values[i].data, w->values[i].len};

			pegfdw_doc_fill_wide(t, NULL, h, c->wide_sort_key, v,
								 slot->tts_values, slot->tts_isnull);
		}
		else if (w->values[i].data)
		{
			slot->tts_values[i] = pegfdw_bytes_to_datum(t, s->io, c, w->values[i].data,
														w->values[i].len);
			slot->tts_isnull[i] = false;
		}
	}
	ExecStoreVirtualTuple(slot);
}

static void
wide_start(PegFdwScanState *s, WideRow *w, PegasusSlice hash)
{
	int			i;

	if (w->values == NULL)
		w->values = MemoryContextAllocZero(s->param_cxt,
										   sizeof(Bytes) * Max(s->table->natts, 1));
	for (i = 0; i < s->table->natts; i++)
	{
		if (w->values[i].data)
			pfree(w->values[i].data);
		w->values[i].data = NULL;
	}
	if (w->hash.data)
		pfree(w->hash.data);
	w->hash.data = MemoryContextAlloc(s->param_cxt, hash.len + 1);
	memcpy(w->hash.data, hash.data, hash.len);
	w->hash.len = hash.len;
	w->active = true;
}

static void
wide_set(PegFdwScanState *s, WideRow *w, int col, PegasusSlice value)
{
	w->values[col].data = MemoryContextAlloc(s->param_cxt, value.len + 1);
	memcpy(w->values[col].data, value.data, value.len);
	w->values[col].len = value.len;
}

/*
 * Next row of a wide table.  Point lookups read every column's sort key of
 * each hash key; scans gather consecutive records of one hash key per
 * partition (records of a hash key are contiguous in their partition).
 */
bool
pegfdw_scan_next_wide_row(PegFdwScanState *s, TupleTableSlot *slot)
{
	PegFdwTable *t = s->table;
	Record		rec;
	int			part;

	if (s->wide == NULL)
	{
		/*
		 * One row being assembled per partition the rows come from: the
		 * partitions of the table, and those of two splits during the scan
		 * (its scanner reports the children's indexes then).
		 */
		s->nparts = s->op == PEGFDW_OP_SCAN ?
			Max(pegasus_table_partition_count(s->pt), 1) * 4 : 1;
		s->wide = MemoryContextAllocZero(s->param_cxt, sizeof(WideRow) * s->nparts);
	}

	if (s->op == PEGFDW_OP_POINT)
	{
		/* column sort keys, once */
		if (s->sort == NULL)
		{
			int			i;
			MemoryContext old = MemoryContextSwitchTo(s->param_cxt);

			s->sort = palloc0(sizeof(Bytes) * Max(t->natts, 1));
			for (i = 0; i < t->natts; i++)
				if (!t->columns[i].dropped && t->columns[i].role == PEGFDW_ROLE_NONE)
				{
					s->sort[s->nsort].data = t->columns[i].wide_sort_key;
					s->sort[s->nsort++].len = strlen(t->columns[i].wide_sort_key);
				}
			s->nsort = pegfdw_scan_sort_unique(s->sort, s->nsort);
			MemoryContextSwitchTo(old);
			if (s->nsort == 0)
				return false;
		}
		for (;;)
		{
			if (s->kvl && s->kvpos < s->kvl->count)
			{
				PegasusKV  *kv = &s->kvl->items[s->kvpos++];
				PegasusSlice h = s->nhash == 1 ? pegfdw_scan_slice(&s->hash[0]) : kv->hash_key;
				WideRow    *w = &s->wide[0];
				int			col;

				if (!kv->found || (col = wide_column_of(t, kv->sort_key)) < 0)
					continue;
				if (w->active && (w->hash.len != h.len ||
								  memcmp(w->hash.data, h.data, h.len) != 0))
				{
					wide_store_tuple(s, slot, w);
					wide_start(s, w, h);
					wide_set(s, w, col, kv->value);
					return true;
				}
				if (!w->active)
					wide_start(s, w, h);
				wide_set(s, w, col, kv->value);
				continue;
			}
			if (s->kvl)
			{
				pegasus_kvlist_free(s->kvl);
				s->kvl = NULL;
			}
			s->kvpos = 0;
			if (!pegfdw_scan_fetch_point_chunk(s, s->nsort, s->sort))
				break;
		}
		if (s->wide[0].active)
		{
			wide_store_tuple(s, slot, &s->wide[0]);
			s->wide[0].active = false;
			return true;
		}
		return false;
	}

	/* scan */
	if (!s->done)
	{
		while (pegfdw_scan_next_record(s, &rec, &part))
		{
			WideRow    *w = &s->wide[part % s->nparts];
			int			col = wide_column_of(t, rec.sort);

			if (col < 0)
				continue;
			if (w->active && (w->hash.len != rec.hash.len ||
							  memcmp(w->hash.data, rec.hash.data, rec.hash.len) != 0))
			{
				wide_store_tuple(s, slot, w);
				wide_start(s, w, rec.hash);
				wide_set(s, w, col, rec.value);
				return true;
			}
			if (!w->active)
				wide_start(s, w, rec.hash);
			wide_set(s, w, col, rec.value);
		}
		s->done = true;
	}
	while (s->flush_idx < s->nparts)
	{
		WideRow    *w = &s->wide[s->flush_idx++];

		if (w->active)
		{
			wide_store_tuple(s, slot, w);
			w->active = false;
			return true;
		}
	}
	return false;
}
