/*-------------------------------------------------------------------------
 *
 * parallel_claim.c
 *		Hands out the partitions of a parallel scan, one at a time, from the
 *		counter its processes share (see parallel.c).
 *
 * The scan (scan.c) claims here and parallel.c sets the counter up, so
 * that the two call each other in neither direction.
 *
 * src/fdw/parallel_claim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pegasus_fdw.h"
#include "parallel_shared.h"

/*
 * The next partition for this process to scan, or -1 when every partition
 * has been claimed; *partition_count is the count it is an index under
 * (the leader's, even if this process's routing has seen a split since:
 * its scanner follows the split).  The counter only grows (to at most the
 * partition count plus the number of processes), so it cannot wrap.
 */
int
pegfdw_parallel_claim(PegFdwParallelShared *shared, int *partition_count)
{
	uint32		p;

	*partition_count = (int) shared->npartitions;
	if (pg_atomic_read_u32(&shared->next_partition) >= shared->npartitions)
		return -1;
	p = pg_atomic_fetch_add_u32(&shared->next_partition, 1);
	return p < shared->npartitions ? (int) p : -1;
}
