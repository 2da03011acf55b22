/*-------------------------------------------------------------------------
 *
 * pegasus_fdw.c
 *		Foreign data wrapper for Apache Pegasus: the module's front door.
 *
 * This file holds the handler and the FdwRoutine callbacks, each of which
 * unpacks its state and calls into src/fdw: planning in plan.c (pushdown
 * rules in pushdown.c), scans in scan.c, writes in modify.c (planned in
 * plan_modify.c, direct modifications in direct_modify.c), asynchronous
 * execution under an Append in scan_async.c, options in
 * option.c, connections and error reporting in connection.c.
 *
 * pegasus_fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"

#include "pegasus_fdw.h"
#include "join.h"
#include "stats.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* before pegfdw_join_init, which reserves the GUC prefix */
	pegfdw_stats_init();
	pegfdw_write_init();
	pegfdw_join_init();
}

PG_FUNCTION_INFO_V1(pegasus_fdw_handler);

static void
pegasusGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid)
{
	pegfdw_paths(root, baserel, foreigntableid);
}

static ForeignScan *
pegasusGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel,
					  Oid foreigntableid, ForeignPath *best_path,
					  List *tlist, List *scan_clauses, Plan *outer_plan)
{
	return pegfdw_build_plan(root, foreignrel, foreigntableid, best_path,
							 tlist, scan_clauses, outer_plan);
}

static void
pegasusGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
							RelOptInfo *input_rel, RelOptInfo *output_rel,
							void *extra)
{
	pegfdw_upper_paths(root, stage, input_rel, output_rel, extra);
}

static void
pegasusBeginForeignScan(ForeignScanState *node, int eflags)
{
	pegfdw_begin_scan(node, eflags);
}

static TupleTableSlot *
pegasusIterateForeignScan(ForeignScanState *node)
{
	return pegfdw_iterate_scan(node);
}

static void
pegasusReScanForeignScan(ForeignScanState *node)
{
	pegfdw_rescan(node);
}

static void
pegasusEndForeignScan(ForeignScanState *node)
{
	pegfdw_end_scan(node);
}

static void
pegasusExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	pegfdw_explain_scan(node, es);
}

static bool
pegasusIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel,
								 RangeTblEntry *rte)
{
	return pegfdw_parallel_safe(root, rel, rte) && !pegfdw_async_member(rel, rte);
}

static Size
pegasusEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return pegfdw_parallel_estimate(node, pcxt);
}

static void
pegasusInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								void *coordinate)
{
	pegfdw_parallel_initialize(node, pcxt, coordinate);
}

static void
pegasusReInitializeDSMForeignScan(ForeignScanState *node,
								  ParallelContext *pcxt, void *coordinate)
{
	pegfdw_parallel_reinitialize(node, pcxt, coordinate);
}

static void
pegasusInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
								   void *coordinate)
{
	pegfdw_parallel_initialize_worker(node, toc, coordinate);
}

static void
pegasusShutdownForeignScan(ForeignScanState *node)
{
	pegfdw_parallel_shutdown(node);
}

static bool
pegasusIsForeignPathAsyncCapable(ForeignPath *path)
{
	return pegfdw_async_capable_path((Path *) path);
}

static void
pegasusForeignAsyncRequest(AsyncRequest *areq)
{
	pegfdw_async_request(areq);
}

static void
pegasusForeignAsyncConfigureWait(AsyncRequest *areq)
{
	pegfdw_async_configure_wait(areq);
}

static void
pegasusForeignAsyncNotify(AsyncRequest *areq)
{
	pegfdw_async_notify(areq);
}

static bool
pegasusAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						   BlockNumber *totalpages)
{
	return pegfdw_analyze_table(relation, func, totalpages);
}

static List *
pegasusImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return pegfdw_import_schema(stmt, serverOid);
}

static void
pegasusBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						  List *fdw_private, int subplan_index, int eflags)
{
	pegfdw_begin_modify(mtstate, rinfo, fdw_private, subplan_index, eflags);
}

static TupleTableSlot *
pegasusExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return pegfdw_exec_insert(estate, rinfo, slot, planSlot);
}

static TupleTableSlot **
pegasusExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
							  TupleTableSlot **slots, TupleTableSlot **planSlots,
							  int *numSlots)
{
	return pegfdw_exec_batch_insert(estate, rinfo, slots, planSlots, numSlots);
}

static int
pegasusGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	return pegfdw_batch_size(rinfo);
}

static TupleTableSlot *
pegasusExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return pegfdw_exec_update(estate, rinfo, slot, planSlot);
}

static TupleTableSlot *
pegasusExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return pegfdw_exec_delete(estate, rinfo, slot, planSlot);
}

static void
pegasusAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
							   RangeTblEntry *target_rte,
							   Relation target_relation)
{
	pegfdw_add_update_targets(root, rtindex, target_rte, target_relation);
}

static bool
pegasusPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
						Index resultRelation, int subplan_index)
{
	return pegfdw_plan_direct_modify(root, plan, resultRelation, subplan_index);
}

static void
pegasusBeginDirectModify(ForeignScanState *node, int eflags)
{
	pegfdw_begin_direct_modify(node, eflags);
}

static TupleTableSlot *
pegasusIterateDirectModify(ForeignScanState *node)
{
	return pegfdw_iterate_direct_modify(node);
}

static void
pegasusEndDirectModify(ForeignScanState *node)
{
	pegfdw_end_direct_modify(node);
}

static void
pegasusExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							List *fdw_private, int subplan_index,
							ExplainState *es)
{
	pegfdw_explain_modify(mtstate, rinfo, fdw_private, subplan_index, es);
}

static void
pegasusExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	pegfdw_explain_direct_modify(node, es);
}

static void
pegasusEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	pegfdw_end_modify(estate, rinfo);
}

static void
pegasusBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	pegfdw_begin_insert(mtstate, rinfo);
}

static void
pegasusEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	pegfdw_end_modify(estate, rinfo);
}

static int
pegasusIsForeignRelUpdatable(Relation rel)
{
	return pegfdw_modify_capabilities(rel);
}

Datum
pegasus_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	/* pegfdw_is_pegasus_rel (fdw_rel.c) knows this wrapper by this one */
	routine->GetForeignRelSize = pegfdw_rel_size;
	routine->GetForeignPaths = pegasusGetForeignPaths;
	routine->GetForeignPlan = pegasusGetForeignPlan;
	routine->GetForeignUpperPaths = pegasusGetForeignUpperPaths;
	routine->BeginForeignScan = pegasusBeginForeignScan;
	routine->IterateForeignScan = pegasusIterateForeignScan;
	routine->ReScanForeignScan = pegasusReScanForeignScan;
	routine->EndForeignScan = pegasusEndForeignScan;
	routine->ExplainForeignScan = pegasusExplainForeignScan;
	routine->IsForeignScanParallelSafe = pegasusIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = pegasusEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = pegasusInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = pegasusReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = pegasusInitializeWorkerForeignScan;
	routine->ShutdownForeignScan = pegasusShutdownForeignScan;
	routine->IsForeignPathAsyncCapable = pegasusIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = pegasusForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = pegasusForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = pegasusForeignAsyncNotify;
	routine->AnalyzeForeignTable = pegasusAnalyzeForeignTable;
	routine->ImportForeignSchema = pegasusImportForeignSchema;

	routine->BeginForeignModify = pegasusBeginForeignModify;
	routine->ExecForeignInsert = pegasusExecForeignInsert;
	routine->EndForeignModify = pegasusEndForeignModify;
	routine->BeginForeignInsert = pegasusBeginForeignInsert;
	routine->EndForeignInsert = pegasusEndForeignInsert;
	routine->IsForeignRelUpdatable = pegasusIsForeignRelUpdatable;
	routine->ExecForeignBatchInsert = pegasusExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = pegasusGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = pegasusExecForeignUpdate;
	routine->ExecForeignDelete = pegasusExecForeignDelete;
	routine->AddForeignUpdateTargets = pegasusAddForeignUpdateTargets;
	routine->PlanDirectModify = pegasusPlanDirectModify;
	routine->BeginDirectModify = pegasusBeginDirectModify;
	routine->IterateDirectModify = pegasusIterateDirectModify;
	routine->EndDirectModify = pegasusEndDirectModify;
	routine->ExplainForeignModify = pegasusExplainForeignModify;
	routine->ExplainDirectModify = pegasusExplainDirectModify;

	PG_RETURN_POINTER(routine);
}
