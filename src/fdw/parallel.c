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


/*
 * IsForeignScanParallelSafe: scans may run in parallel workers.  Each
 * process has its own connections (the client cache is per backend) and
 * reads the table definition from the catalogs, so nothing is shared but
 * the partition counter above.
 */
bool
pegfdw_parallel_safe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	return true;
}

/*
 * Share of the work of one process when nworkers workers run and the leader
 * takes part as PostgreSQL expects (the same rule as for heap scans: the
 * leader also has to gather, so it contributes less as workers are added).
 */
static double
parallel_divisor(int nworkers)
{
	double		divisor = nworkers;

	if (parallel_leader_participation)
	{
		double		leader = 1.0 - 0.3 * nworkers;

		if (leader > 0)
			divisor += leader;
	}
	return divisor;
}

/*
 * Will the query be a bare count(*) of this table that Pegasus counts
 * (see pegfdw_upper_paths)?  One counting request ships no rows: a
 * parallel scan shipping them all is never better, so none is offered.
 */
static bool
count_is_pushed(PlannerInfo *root, RelOptInfo *baserel)
{
	PegFdwRelationInfo *fpinfo = baserel->fdw_private;
	Query	   *parse = root->parse;
	TargetEntry *te;
	Aggref	   *agg;

	if (!parse->hasAggs || parse->groupClause || parse->groupingSets ||
		parse->havingQual || parse->hasWindowFuncs ||
		list_length(parse->targetList) != 1 ||
		!bms_equal(root->all_baserels, baserel->relids) ||
		fpinfo->table->layout != PEGFDW_LAYOUT_KV ||
		fpinfo->base->local_rinfos != NIL)
		return false;
	te = linitial(parse->targetList);
	if (!IsA(te->expr, Aggref))
		return false;
	agg = (Aggref *) te->expr;
	return agg->aggfnoid == F_COUNT_ && agg->aggstar && agg->aggfilter == NULL &&
		agg->aggdistinct == NIL && agg->aggorder == NIL &&
		agg->aggkind == AGGKIND_NORMAL;
}

/*
 * Adds a partial path next to serial, the unparameterized whole-table scan
 * path: the same request, its rows and its per-row cost (row_cost, part of
 * serial's run cost) divided among the processes.  The RPC part is not
 * divided: a serial scan already keeps several partitions in flight, so
 * more processes do not make the cluster answer faster; what they share
 * is receiving and converting the rows, and the plan above the scan.  The
 * number of workers is capped by the partitions (a process needs at least
 * one to claim) and max_parallel_workers_per_gather.
 */
void
pegfdw_add_partial_path(PlannerInfo *root, RelOptInfo *baserel,
						ForeignPath *serial, int npartitions, Cost row_cost)
{
	PegFdwPathSpec *spec = linitial(serial->fdw_private);
	PegFdwPathSpec *pspec;
	PegFdwRequest *req;
	ForeignPath *path;
	int			nworkers;
	double		divisor;
	Cost		run;

	if (!baserel->consider_parallel || spec->request->op != PEGFDW_OP_SCAN ||
		serial->path.param_info != NULL || serial->path.pathkeys != NIL ||
		count_is_pushed(root, baserel))
		return;
	nworkers = Min(max_parallel_workers_per_gather, npartitions - 1);
	if (nworkers <= 0)
		return;

	/* a LIMIT is applied above the Gather; each process reads its share */
	req = palloc(sizeof(PegFdwRequest));
	*req = *spec->request;
	req->limit = -1;
	pspec = palloc0(sizeof(PegFdwPathSpec));
	pspec->request = req;

	divisor = parallel_divisor(nworkers);
	row_cost = Min(row_cost, serial->path.total_cost - serial->path.startup_cost);
	run = serial->path.total_cost - serial->path.startup_cost - row_cost;
	path = create_foreignscan_path(root, baserel, NULL,
								   clamp_row_est(serial->path.rows / divisor),
								   serial->path.disabled_nodes,
								   serial->path.startup_cost,
								   serial->path.startup_cost + run + row_cost / divisor,
								   NIL, NULL, NULL, NIL, list_make1(pspec));
	path->path.parallel_aware = true;
	path->path.parallel_safe = true;
	path->path.parallel_workers = nworkers;
	add_partial_path(baserel, (Path *) path);
}

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
