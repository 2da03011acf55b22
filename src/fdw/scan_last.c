/*-------------------------------------------------------------------------
 *
 * scan_last.c
 *		The record a scan returned last, kept for the UPDATE it feeds.
 *
 * An UPDATE of a document writes it back only if its stored bytes are
 * still those the scan read (json_doc_modify.c), so the scan keeps the
 * keys and value of the row it returned last, in the query's memory.  The
 * UPDATE asks for them with the row identity it got: when the keys differ
 * (a plan node between the scan and the UPDATE held rows back) it has no
 * record and reads the value again.
 *
 * src/fdw/scan_last.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/execnodes.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "scan_internal.h"

/* Asks the scan of node to keep its last record (before it starts). */
void
pegfdw_scan_keep_last(ForeignScanState *node)
{
	PegFdwScanState *s = node->fdw_state;
	MemoryContext old;

	if (s == NULL || s->io == NULL || s->keep_last ||
		s->table->layout != PEGFDW_LAYOUT_KV)
		return;
	old = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
	initStringInfo(&s->last_hash);
	initStringInfo(&s->last_sort);
	initStringInfo(&s->last_value);
	MemoryContextSwitchTo(old);
	s->keep_last = true;
}

static void
keep(StringInfo buf, PegasusSlice sl)
{
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, sl.data, (int) sl.len);
}

void
pegfdw_scan_note_last(PegFdwScanState *s, const Record *rec)
{
	s->last_valid = rec->has_value;
	if (!rec->has_value)
		return;
	keep(&s->last_hash, rec->hash);
	keep(&s->last_sort, rec->sort);
	keep(&s->last_value, rec->value);
}

static bool
same(StringInfo buf, PegasusSlice sl)
{
	return (size_t) buf->len == sl.len &&
		(sl.len == 0 || memcmp(buf->data, sl.data, sl.len) == 0);
}

/*
 * The value of record (h, s) if it is the one the scan of node (may be
 * NULL) returned last; points into the scan's memory until its next row.
 */
bool
pegfdw_scan_last_record(ForeignScanState *node, PegasusSlice h, PegasusSlice s,
						PegasusSlice *value)
{
	PegFdwScanState *st = node ? node->fdw_state : NULL;

	if (st == NULL || !st->keep_last || !st->last_valid ||
		!same(&st->last_hash, h) || !same(&st->last_sort, s))
		return false;
	value->data = st->last_value.data;
	value->len = st->last_value.len;
	return true;
}
