/*-------------------------------------------------------------------------
 *
 * parallel.c
 *		Parallel whole-table scans: PostgreSQL's parallel workers (and the
 *		leader) share the partitions of the Pegasus table.
 *
 * Only a plain scan of the whole table gets a partial path: key lookups
 * and ranges are too small to share, and a count(*) that Pegasus counts
 * ships no rows at all.  The processes of a parallel scan share one counter in dynamic
 * shared memory; each claims the next partition from it when it needs one
 * (so a slow partition does not hold back the others), scans it completely
 * with its own connection, and claims again.  Every partition is claimed by
 * exactly one process, so every record is returned exactly once, whatever
 * the number of workers actually launched (none included: the leader then
 * claims them all).  A rescan of the Gather resets the counter before the
 * workers start again.  Server-side filters apply in every process alike.
 *
 * This file holds the executor's part (the shared counter's setup in each
 * process); parallel_path.c the planner's.
 *
 * src/fdw/parallel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "catalog/pg_aggregate.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "port/atomics.h"
#include "utils/fmgroids.h"

#include "pegasus_fdw.h"
#include "parallel_shared.h"


/* EstimateDSMForeignScan */
Size
pegfdw_parallel_estimate(ForeignScanState *node, ParallelContext *pcxt)
{
	return sizeof(PegFdwParallelShared);
}

/*
 * InitializeDSMForeignScan (leader, after BeginForeignScan): the counter
 * starts at partition 0; the partition count is the leader's, so that all
 * processes split the same set.
 */
void
pegfdw_parallel_initialize(ForeignScanState *node, ParallelContext *pcxt,
						   void *coordinate)
{
	PegFdwParallelShared *shared = (PegFdwParallelShared *) coordinate;

	pg_atomic_init_u32(&shared->next_partition, 0);
	shared->npartitions = (uint32) pegfdw_scan_partition_count(node);
	/* workers log in with the leader's tickets: no KDC round trip each */
	if (!pegfdw_scan_export_credentials(node, shared->ccache, sizeof(shared->ccache)))
		shared->ccache[0] = '\0';
	pegfdw_scan_set_shared(node, shared);
}

/*
 * ReInitializeDSMForeignScan: the Gather is rescanned; the leader's scan
 * was reset by ReScanForeignScan, and new workers will start from scratch.
 */
void
pegfdw_parallel_reinitialize(ForeignScanState *node, ParallelContext *pcxt,
							 void *coordinate)
{
	PegFdwParallelShared *shared = (PegFdwParallelShared *) coordinate;

	pg_atomic_write_u32(&shared->next_partition, 0);
	pegfdw_scan_set_shared(node, shared);
}

/* InitializeWorkerForeignScan (worker, after BeginForeignScan) */
void
pegfdw_parallel_initialize_worker(ForeignScanState *node, shm_toc *toc,
								  void *coordinate)
{
	PegFdwParallelShared *shared = (PegFdwParallelShared *) coordinate;

	pegfdw_scan_connect(node, shared->ccache);
	pegfdw_scan_set_shared(node, shared);
}

/*
 * ShutdownForeignScan: the shared memory is about to go away.  A parallel
 * scan ends here (closing its scanners); other scans are left alone, since
 * a cursor may still fetch from them.
 */
void
pegfdw_parallel_shutdown(ForeignScanState *node)
{
	/* direct modifications are ForeignScans too, with another state */
	if (!node->ss.ps.plan->parallel_aware)
		return;
	pegfdw_scan_set_shared(node, NULL);
}
