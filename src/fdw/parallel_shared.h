/*-------------------------------------------------------------------------
 *
 * parallel_shared.h
 *		The state the processes of a parallel scan share in dynamic shared
 *		memory: set up by parallel.c, read by parallel_claim.c as each
 *		process claims its next partition.
 *
 * src/fdw/parallel_shared.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_PARALLEL_SHARED_H
#define PEGFDW_PARALLEL_SHARED_H

#include "port/atomics.h"

struct PegFdwParallelShared
{
	pg_atomic_uint32 next_partition;	/* next partition to claim */
	uint32		npartitions;	/* of the table when the scan began */
	char		ccache[MAXPGPATH];	/* Kerberos: the leader's credentials, or "" */
};

#endif							/* PEGFDW_PARALLEL_SHARED_H */
