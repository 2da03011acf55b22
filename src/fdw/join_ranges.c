/*-------------------------------------------------------------------------
 *
 * join_ranges.c
 *		The batched key join when only the hash key is bound (kv layout):
 *		each distinct hash key of a batch read as a sort-key range, or as
 *		one multi_get of a sort-key list, and its records joined to the
 *		batch's outer rows of that hash key.
 *
 * Each distinct hash key is a sort-key range (multi_get_range pages of
 * fetch_size, PEGFDW_JOIN_RANGES_IN_FLIGHT hash keys requested at once,
 * each reader asking for its next page as soon as one arrives, so that
 * every range reads one page ahead of the rows being emitted); every record
 * is joined to the batch's outer rows of its hash key as it arrives, and
 * the outer rows left unmatched (left, anti) follow once the batch's ranges
 * are read.  With a sort_key = ANY (array) condition the read of a hash key
 * is instead one multi_get of the sort keys its outer rows' arrays hold
 * (their union, sorted and distinct; none: no request), with the same hash
 * keys in flight; the condition is still checked for each outer row.
 *
 * src/fdw/join_ranges.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "join_internal.h"

static int
slice_cmp(const void *a, const void *b)
{
	return pegasus_slice_compare(*(const PegasusSlice *) a,
								 *(const PegasusSlice *) b);
}

/*
 * The sort keys the outer rows of distinct key k ask for, sorted and
 * distinct, into list_keys (batch memory; slices into the rows' lists).
 */
static int
group_sort_keys(PegFdwJoinState *js, int k)
{
	int			total = 0;
	int			n = 0;
	int			g;
	int			i;

	for (g = js->group[k]; g < js->group[k + 1]; g++)
		total += js->sorted[g].nlist;
	if (total > js->list_cap)
	{
		js->list_keys = MemoryContextAlloc(js->batch->batch_cxt,
										   sizeof(PegasusSlice) * total);
		js->list_cap = total;
	}
	for (g = js->group[k]; g < js->group[k + 1]; g++)
		for (i = 0; i < js->sorted[g].nlist; i++)
		{
			js->list_keys[n].data = js->sorted[g].list[i].data;
			js->list_keys[n].len = js->sorted[g].list[i].len;
			n++;
		}
	if (n == 0)
		return 0;
	qsort(js->list_keys, n, sizeof(PegasusSlice), slice_cmp);
	total = 1;
	for (i = 1; i < n; i++)
		if (slice_cmp(&js->list_keys[total - 1], &js->list_keys[i]) != 0)
			js->list_keys[total++] = js->list_keys[i];
	return total;
}

/* Opens range readers up to PEGFDW_JOIN_RANGES_IN_FLIGHT ahead of cur. */
static void
open_readers(PegFdwJoinState *js)
{
	while (js->next_reader < js->batch->ndistinct &&
		   js->next_reader < js->cur + PEGFDW_JOIN_RANGES_IN_FLIGHT)
	{
		KeyRef	   *k = &js->batch->keys[js->next_reader];
		PegasusMultiGetOptions opts;
		PegasusSlice hash = {k->hash.data, k->hash.len};
		PegasusSlice none = {NULL, 0};
		PegasusStats before;
		PegasusStats after;
		PegasusError err;
		PegasusRangeReader *r;
		bool		no_value = !pegfdw_value_needed(js->table, js->needed);

		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		if (js->list_expr)
		{
			int			n;

			r = NULL;
			n = group_sort_keys(js, js->next_reader);
			pegasus_multi_get_options_init(&opts);
			opts.no_value = no_value;
			if (n > 0)
				r = pegasus_table_keys_reader(js->pt, hash, js->list_keys, n,
											  &opts, js->table->timeout_ms,
											  &err);
			js->keys_sent += n;
			if (n == 0)
			{
				/* no sort key asked for: the hash key has no record to read */
				js->readers[js->next_reader % PEGFDW_JOIN_RANGES_IN_FLIGHT] = NULL;
				js->next_reader++;
				continue;
			}
		}
		else
		{
			pegasus_multi_get_options_init(&opts);
			opts.start_inclusive = true;
			opts.stop_inclusive = false;
			opts.max_fetch_count = js->table->fetch_size;
			opts.no_value = no_value;
			r = pegasus_table_range_reader(js->pt, hash, none, none, &opts, 0,
										   js->table->timeout_ms, &err);
			js->keys_sent++;
		}
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		js->wait_us += after.wait_us - before.wait_us;
		if (r == NULL)
			pegfdw_note_failure(js->entry, &err);
		pegfdw_check_call(r != NULL, &err, js->table->servername,
						  js->table->table_name);
		js->readers[js->next_reader % PEGFDW_JOIN_RANGES_IN_FLIGHT] = r;
		js->next_reader++;
	}
}

/*
 * Ranges: moves to the next record of the batch's hash keys, converting it
 * into inner_values.  Returns false when every range of the batch is read.
 */
static bool
next_range_record(PegFdwJoinState *js)
{
	for (;;)
	{
		PegasusRangeReader **reader;
		PegasusStats before;
		PegasusStats after;
		PegasusError err;
		int			r;

		if (js->page && js->page_pos < js->page->count)
		{
			PegasusKV  *kv = &js->page->items[js->page_pos++];
			KeyRef	   *k = &js->batch->keys[js->cur];
			PegasusSlice hash = {k->hash.data, k->hash.len};
			MemoryContext old;

			MemoryContextReset(js->rec_cxt);
			old = MemoryContextSwitchTo(js->rec_cxt);
			pegfdw_fill_kv_columns(js->table, js->io, js->needed, hash,
								   kv->sort_key, &kv->value, -1,
								   js->inner_values, js->inner_nulls);
			MemoryContextSwitchTo(old);
			js->gpos = js->group[js->cur];
			return true;
		}
		if (js->page)
		{
			pegasus_kvlist_free(js->page);
			js->page = NULL;
		}
		if (js->cur >= js->batch->ndistinct)
			return false;
		open_readers(js);
		reader = &js->readers[js->cur % PEGFDW_JOIN_RANGES_IN_FLIGHT];
		if (*reader == NULL)
		{
			/* a hash key without sort keys to ask for */
			js->cur++;
			continue;
		}
		pegasus_error_clear(&err);
		pegasus_client_get_stats(js->client, &before);
		r = pegasus_range_reader_next(*reader, &js->page, &err);
		pegasus_client_get_stats(js->client, &after);
		js->rpcs += after.rpcs_sent - before.rpcs_sent;
		js->wait_us += after.wait_us - before.wait_us;
		js->rows_received += after.rows_received - before.rows_received;
		if (r < 0)
		{
			js->page = NULL;
			pegfdw_note_failure(js->entry, &err);
			pegfdw_check_call(false, &err, js->table->servername,
							  js->table->table_name);
		}
		js->page_pos = 0;
		if (r == 0)
		{
			pegasus_range_reader_close(*reader);
			*reader = NULL;
			js->page = NULL;
			js->cur++;
		}
	}
}

/*
 * Ranges: the next joined row of the batch.  Each record is joined to the
 * outer rows of its hash key; then the outer rows without a match follow
 * (left, anti).  Returns NULL at the end of the batch.
 */
TupleTableSlot *
pegfdw_join_next_range_row(PegFdwJoinState *js)
{
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (js->have_record && js->gpos < js->group[js->cur + 1])
		{
			int			row = js->sorted[js->gpos++].row;
			bool		was_matched = js->matched[row];
			TupleTableSlot *scan;

			ExecStoreMinimalTuple(js->batch->rows[row].tuple, js->outer_slot, false);
			scan = pegfdw_join_fill_outer(js);
			pegfdw_join_fill_inner(js);
			econtext->ecxt_scantuple = scan;
			MemoryContextReset(js->row_cxt);
			{
				MemoryContext old = MemoryContextSwitchTo(js->row_cxt);
				bool		ok = ExecQual(js->match_qual, econtext);

				MemoryContextSwitchTo(old);
				if (!ok)
					continue;
			}
			js->matched[row] = true;
			if (js->jointype == JOIN_INNER || js->jointype == JOIN_LEFT ||
				(js->jointype == JOIN_SEMI && !was_matched))
				return scan;
			continue;
		}
		if (js->cur < js->batch->ndistinct)
		{
			ErrorContextCallback errcb;
			BatchContext bc;

			bc.js = js;
			bc.keys = js->batch->ndistinct;
			errcb.callback = pegfdw_join_batch_error_context;
			errcb.arg = &bc;
			errcb.previous = error_context_stack;
			error_context_stack = &errcb;
			js->have_record = next_range_record(js);
			error_context_stack = errcb.previous;
			if (js->have_record)
				continue;
		}
		js->have_record = false;
		/* the batch's ranges are read: the outer rows without a match */
		while (js->tail < js->batch->nrows)
		{
			int			row = js->tail++;

			if (js->matched[row] ||
				(js->jointype != JOIN_LEFT && js->jointype != JOIN_ANTI))
				continue;
			ExecStoreMinimalTuple(js->batch->rows[row].tuple, js->outer_slot, false);
			return pegfdw_join_fill_outer(js);
		}
		return NULL;
	}
}
