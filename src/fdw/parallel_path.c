/*-------------------------------------------------------------------------
 *
 * parallel_path.c
 *		The planner's part of parallel whole-table scans: whether a scan
 *		may run in workers, and the partial path of a whole-table scan
 *		(see parallel.c for how the processes share the partitions).
 *
 * src/fdw/parallel_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "utils/fmgroids.h"

#include "pegasus_fdw.h"

/*
 * IsForeignScanParallelSafe: scans may run in parallel workers.  Each
 * process has its own connections (the client cache is per backend) and
 * reads the table definition from the catalogs, so nothing is shared but
 * the partition counter (parallel.c).
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
