/*-------------------------------------------------------------------------
 *
 * fdw_rel.c
 *		Tells the relations of this foreign data wrapper from others.
 *
 * The batched key join (join_path.c) plans only over Pegasus tables; it
 * asks here rather than in the front door, so that calls between the
 * files go one way: front door -> planner and executor parts -> client.
 *
 * src/fdw/fdw_rel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "foreign/fdwapi.h"

#include "pegasus_fdw.h"

/*
 * Is rel a foreign table of this wrapper?  The handler (pegasus_fdw.c) sets
 * GetForeignRelSize to pegfdw_rel_size, which no other wrapper has.
 */
bool
pegfdw_is_pegasus_rel(RelOptInfo *rel)
{
	return rel->fdwroutine != NULL &&
		rel->fdwroutine->GetForeignRelSize == pegfdw_rel_size;
}
