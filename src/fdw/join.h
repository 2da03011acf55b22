/*-------------------------------------------------------------------------
 *
 * join.h
 *		The batched key join: a custom scan node joining a local relation
 *		(outer) to a Pegasus table (inner) on the table's keys, reading the
 *		inner rows of a batch of outer rows with batch_get (the next batch
 *		sent while the current one is emitted), one multi_get per hash
 *		key of sort-key lists, or ranges.  Planned in join_path.c, run in
 *		join_exec.c and the files join_internal.h names.
 *
 * src/fdw/join.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_JOIN_H
#define PEGFDW_JOIN_H

#include "nodes/extensible.h"

#define PEGFDW_JOIN_NAME "Pegasus Batched Key Join"

/*
 * Plan of the node: custom_plans holds the outer plan; custom_exprs are the
 * key expressions (hash key, then the sort key if bound, or else the array
 * of a sort_key = ANY (array) condition when the node reads lists) followed by
 * the match conditions (join clauses not used as keys and the Pegasus
 * table's own restrictions, ANDed), all over custom_scan_tlist; plan.qual
 * holds the filters applied after an outer join.  custom_scan_tlist lists
 * the Vars of both sides the node reads; for each of its entries
 * custom_private gives the inner attnum or the outer plan's column.
 */
enum PegFdwJoinPrivateIndex
{
	PegFdwJoinPrivateTableOid,	/* Integer: foreign table OID */
	PegFdwJoinPrivateJoinType,	/* Integer: JoinType */
	PegFdwJoinPrivateNKeys,		/* Integer: 1 (hash key; kv layout: ranges)
								 * or 2 (and sort key) */
	PegFdwJoinPrivateBatchRows, /* Integer: outer rows per batch */
	PegFdwJoinPrivateInnerAttnos,	/* Integer list per custom_scan_tlist
									 * entry: inner attnum or 0 */
	PegFdwJoinPrivateOuterCols, /* Integer list per entry: outer resno or 0 */
	PegFdwJoinPrivateSortList	/* Integer: 1 when a sort-key list follows
								 * the hash key in custom_exprs (kv layout,
								 * NKeys 1: a multi_get per hash key) */
};

/* Outer rows of one batch are also bounded by their bytes. */
#define PEGFDW_JOIN_BATCH_BYTES		(8 * 1024 * 1024)
/* (hash key, sort key) pairs per batch_get call. */
#define PEGFDW_JOIN_KEYS_PER_CALL	1000
/* Hash keys whose ranges or sort-key lists are requested at once. */
#define PEGFDW_JOIN_RANGES_IN_FLIGHT	16

extern bool pegfdw_enable_batched_join;
extern int	pegfdw_join_batch_size;

/* in join_path.c */
extern void pegfdw_join_init(void);

/* in join_exec.c */
extern Node *pegfdw_join_create_state(CustomScan *cscan);

#endif							/* PEGFDW_JOIN_H */
