/*-------------------------------------------------------------------------
 *
 * analyze.c
 *		ANALYZE of Pegasus foreign tables: a reservoir sample taken while
 *		scanning every partition (Pegasus has no sampling read).
 *
 * Tables with the wide layout are not sampled (ANALYZE skips them).
 *
 * src/fdw/analyze.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/vacuum.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "pegasus_fdw.h"

typedef struct SampleState
{
	Relation	rel;
	PegFdwTable *table;
	PegasusScanner *scanner;
} SampleState;

static void
close_sample_scanner(void *arg)
{
	SampleState *ss = (SampleState *) arg;

	if (ss->scanner)
		pegasus_scanner_close(ss->scanner);
	ss->scanner = NULL;
}

static int
pegfdw_acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows,
						   int targrows, double *totalrows,
						   double *totaldeadrows)
{
	SampleState *ss = palloc0(sizeof(SampleState));
	PegFdwTable *table = pegfdw_get_table(RelationGetRelid(relation));
	PegFdwTypeIO *io = pegfdw_make_type_io(table);
	PegFdwConnEntry *entry;
	PegasusTable *pt = pegfdw_open_table(table, &entry);
	PegasusScanOptions opts;
	PegasusError err;
	MemoryContextCallback *cb;
	MemoryContext row_cxt;
	MemoryContext oldcxt;
	ReservoirStateData rstate;
	Datum	   *values = palloc(sizeof(Datum) * Max(table->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(table->natts, 1));
	double		seen = 0;
	int			numrows = 0;
	int			r;

	ss->table = table;
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = close_sample_scanner;
	cb->arg = ss;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pegasus_fdw analyze",
									ALLOCSET_DEFAULT_SIZES);

	pegasus_scan_options_init(&opts);
	opts.batch_size = Min(table->fetch_size, 1000);
	opts.return_expire_ts = (table->ttl_attno != 0);
	opts.max_concurrency = table->scan_parallelism;
	opts.timeout_ms = table->timeout_ms;
	pegasus_error_clear(&err);
	ss->scanner = pegasus_table_get_partition_scanner(pt, NULL, 0, &opts, &err);
	if (ss->scanner == NULL)
		pegfdw_note_failure(entry, &err);
	pegfdw_check_call(ss->scanner != NULL, &err, table->servername, table->table_name);

	reservoir_init_selection_state(&rstate, targrows);
	for (;;)
	{
		PegasusScanRow row;
		int			pos = -1;
		bool		replace = false;

		pegasus_error_clear(&err);
		r = pegasus_scanner_next(ss->scanner, &row, &err);
		if (r < 0)
			pegfdw_note_failure(entry, &err);
		pegfdw_check_call(r >= 0, &err, table->servername, table->table_name);
		if (r == 0)
			break;
		seen++;
		if (numrows < targrows)
			pos = numrows++;
		else if (reservoir_get_next_S(&rstate, seen, targrows) < 1)
		{
			pos = (int) (targrows * sampler_random_fract(&rstate.randstate));
			replace = true;
		}
		if (pos < 0)
			continue;
		MemoryContextReset(row_cxt);
		oldcxt = MemoryContextSwitchTo(row_cxt);
		pegfdw_fill_kv_row(table, io, row.hash_key, row.sort_key, &row.value,
						   row.ttl_seconds, values, nulls);
		MemoryContextSwitchTo(oldcxt);
		if (replace)
			heap_freetuple(rows[pos]);
		rows[pos] = heap_form_tuple(RelationGetDescr(relation), values, nulls);
	}
	close_sample_scanner(ss);
	MemoryContextDelete(row_cxt);

	*totalrows = seen;
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": table contains %.0f rows, %d rows in sample",
					RelationGetRelationName(relation), seen, numrows)));
	return numrows;
}

bool
pegfdw_analyze_table(Relation relation, AcquireSampleRowsFunc *func,
					 BlockNumber *totalpages)
{
	PegFdwTable *table = pegfdw_get_table(RelationGetRelid(relation));

	if (table->layout != PEGFDW_LAYOUT_KV)
		return false;
	*func = pegfdw_acquire_sample_rows;
	*totalpages = 1;
	return true;
}
