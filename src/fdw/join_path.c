/*-------------------------------------------------------------------------
 *
 * join_path.c
 *		Planning of the batched key join (see join.h): a path offered to
 *		PostgreSQL through set_join_pathlist_hook when a join binds the keys
 *		of a Pegasus table to values of the other side, and its plan.
 *
 * The path is offered when:
 *  - the inner side is a Pegasus foreign table (a plain base relation) and
 *    the join is inner, left, semi or anti;
 *  - a join clause binds the hash key with an equality Pegasus can answer
 *    (pushdown.c's rules) to an expression of the outer side only; for the
 *    kv layout another may bind the sort key (to the outer side or to a
 *    constant): batch_get of the pairs; else a sort_key = ANY (array)
 *    condition (array of the outer side or constant) makes it one multi_get
 *    of the array's sort keys per hash key; else a range read per hash key;
 *    the wide layout needs the hash key only;
 *  - the node reads no whole-row, system or ttl column of the table and
 *    no placeholder, and the outer side is not parameterized;
 *  - the query is a SELECT without row locks (no EvalPlanQual rechecks).
 * Its cost is the outer path's plus pegfdw_batched_join_cost (plan.c) plus
 * the usual per-row CPU; add_path compares it with the nested loops, hash
 * and merge joins PostgreSQL builds.
 *
 * src/fdw/join_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/guc.h"

#include "fdw_rel.h"
#include "pegasus_fdw.h"
#include "join.h"

bool		pegfdw_enable_batched_join = true;
int			pegfdw_join_batch_size = 1000;

static set_join_pathlist_hook_type prev_join_pathlist_hook = NULL;

static Plan *plan_batched_join(PlannerInfo *root, RelOptInfo *rel,
							   CustomPath *best_path, List *tlist,
							   List *clauses, List *custom_plans);

static const CustomPathMethods path_methods = {
	.CustomName = PEGFDW_JOIN_NAME,
	.PlanCustomPath = plan_batched_join,
};

static const CustomScanMethods scan_methods = {
	.CustomName = PEGFDW_JOIN_NAME,
	.CreateCustomScanState = pegfdw_join_create_state,
};

/*
 * Items of a path's custom_private (planner only, never copied).
 */
enum PathPrivateIndex
{
	PathPrivateInnerRelid,		/* Integer */
	PathPrivateJoinType,		/* Integer */
	PathPrivateRestrictList,	/* the join's RestrictInfos */
	PathPrivateKeyRinfos,		/* the RestrictInfos used as keys */
	PathPrivateKeyExprs,		/* hash key expr [, sort key expr] */
	PathPrivateSortList			/* the sort-key array expr, or NULL */
};

/* A key condition with its value taken from outer (or from nothing). */
static PegFdwCond *
outer_key(PlannerInfo *root, List *conds, PegFdwCondKind kind,
		  Relids outer_relids)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (c->kind == kind &&
			bms_is_subset(pull_varnos(root, (Node *) c->expr), outer_relids))
			return c;
	}
	return NULL;
}

/* Does any expression hold a PlaceHolderVar? */
static bool
has_placeholders(List *exprs)
{
	List	   *vars = pull_var_clause((Node *) exprs, PVC_INCLUDE_PLACEHOLDERS);
	ListCell   *lc;

	foreach(lc, vars)
		if (IsA(lfirst(lc), PlaceHolderVar))
			return true;
	return false;
}

/* Does the node read only ordinary columns of the table, no ttl? */
static bool
inner_columns_ok(PegFdwTable *table, Index relid, List *exprs)
{
	Bitmapset  *attrs = NULL;
	int			i = -1;

	pull_varattnos((Node *) exprs, relid, &attrs);
	while ((i = bms_next_member(attrs, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;

		if (attno <= 0 || attno > table->natts ||
			(table->layout == PEGFDW_LAYOUT_KV && attno == table->ttl_attno))
			return false;
	}
	return true;
}

static bool
has_pseudoconstant(List *rinfos)
{
	ListCell   *lc;

	foreach(lc, rinfos)
		if (lfirst_node(RestrictInfo, lc)->pseudoconstant)
			return true;
	return false;
}

static int
mapped_columns(PegFdwTable *table)
{
	int			n = 0;
	int			i;

	for (i = 0; i < table->natts; i++)
		if (!table->columns[i].dropped && table->columns[i].role == PEGFDW_ROLE_NONE)
			n++;
	return n;
}

static void
add_batched_join_path(PlannerInfo *root, RelOptInfo *joinrel,
					  RelOptInfo *outerrel, RelOptInfo *innerrel,
					  JoinType jointype, JoinPathExtraData *extra)
{
	PegFdwRelationInfo *fpinfo = innerrel->fdw_private;
	PegFdwTable *table = fpinfo->table;
	Path	   *outer_path = outerrel->cheapest_total_path;
	List	   *rest;
	List	   *conds;
	PegFdwCond *hash;
	PegFdwCond *sort = NULL;
	PegFdwCond *list = NULL;
	List	   *key_rinfos;
	List	   *key_exprs;
	List	   *checked;
	CustomPath *path;
	double		outer_rows;
	double		keys_per_row = 1;
	double		received;
	QualCost	qual_cost;
	Cost		run;

	if (outer_path == NULL || outer_path->param_info != NULL ||
		!bms_is_empty(innerrel->lateral_relids) ||
		has_pseudoconstant(extra->restrictlist) ||
		has_pseudoconstant(innerrel->baserestrictinfo))
		return;

	conds = pegfdw_collect_conditions(root, innerrel, table,
									  extra->restrictlist, &rest);
	hash = outer_key(root, conds, PEGFDW_COND_HASH_EQ, outerrel->relids);
	if (hash == NULL)
		return;
	key_rinfos = list_make1(hash->rinfo);
	key_exprs = list_make1(hash->expr);
	if (table->layout == PEGFDW_LAYOUT_KV)
	{
		sort = outer_key(root, conds, PEGFDW_COND_SORT_EQ, outerrel->relids);
		/* or a sort key fixed by the table's own restriction */
		if (sort == NULL)
			sort = outer_key(root, fpinfo->candidates, PEGFDW_COND_SORT_EQ, NULL);
		/* without one, each hash key is read as a range */
		if (sort)
		{
			key_rinfos = lappend(key_rinfos, sort->rinfo);
			key_exprs = lappend(key_exprs, sort->expr);
		}
		else if (table->sort_attno == 0)
			return;
		else
		{
			/* a list of sort keys narrows each hash key's read; the condition
			 * itself stays a match condition, checked per outer row */
			list = outer_key(root, conds, PEGFDW_COND_SORT_IN, outerrel->relids);
			if (list == NULL)
				list = outer_key(root, fpinfo->candidates, PEGFDW_COND_SORT_IN, NULL);
		}
	}
	else
		keys_per_row = Max(mapped_columns(table), 1);

	/* the columns and clauses the node evaluates */
	checked = list_concat(list_copy(joinrel->reltarget->exprs),
						  extract_actual_clauses(extra->restrictlist, false));
	checked = list_concat(checked,
						  extract_actual_clauses(innerrel->baserestrictinfo, false));
	if (!inner_columns_ok(table, innerrel->relid, checked) ||
		has_placeholders(checked) ||
		contain_volatile_functions((Node *) key_exprs) ||
		(list && contain_volatile_functions((Node *) list->expr)))
		return;

	outer_rows = Max(outer_path->rows, 1);
	if (list)
		run = pegfdw_batched_list_join_cost(fpinfo, outer_rows,
											PEGFDW_JOIN_RANGES_IN_FLIGHT,
											list->expr, &received);
	else if (table->layout == PEGFDW_LAYOUT_KV && sort == NULL)
	{
		received = Min(outer_rows * fpinfo->rows_per_hash_key, fpinfo->table_rows);
		run = pegfdw_batched_range_join_cost(fpinfo, outer_rows,
											 PEGFDW_JOIN_RANGES_IN_FLIGHT,
											 received);
	}
	else
	{
		received = Min(outer_rows * keys_per_row, fpinfo->table_rows);
		run = pegfdw_batched_join_cost(fpinfo, outer_rows, pegfdw_join_batch_size,
									   keys_per_row, received);
	}
	cost_qual_eval(&qual_cost, extra->restrictlist, root);
	run += outer_rows * (cpu_tuple_cost + qual_cost.per_tuple) +
		joinrel->rows * cpu_tuple_cost;

	path = makeNode(CustomPath);
	path->path.pathtype = T_CustomScan;
	path->path.parent = joinrel;
	path->path.pathtarget = joinrel->reltarget;
	path->path.param_info = NULL;
	path->path.parallel_aware = false;
	path->path.parallel_safe = false;
	path->path.parallel_workers = 0;
	path->path.rows = joinrel->rows;
	path->path.startup_cost = outer_path->startup_cost + qual_cost.startup +
		pegfdw_batched_join_cost(fpinfo, Min(outer_rows, pegfdw_join_batch_size),
								 pegfdw_join_batch_size, keys_per_row, 1);
	path->path.total_cost = outer_path->total_cost + qual_cost.startup + run;
	path->path.pathkeys = NIL;
	pegfdw_path_inherit_disabled(&path->path, outer_path);
	path->flags = 0;
	path->custom_paths = list_make1(outer_path);
	path->custom_private = list_make5(makeInteger((int) innerrel->relid),
									  makeInteger((int) jointype),
									  extra->restrictlist, key_rinfos,
									  key_exprs);
	path->custom_private = lappend(path->custom_private,
								   list ? list->expr : NULL);
	path->methods = &path_methods;
	add_path(joinrel, (Path *) path);
}

/*
 * set_join_pathlist_hook: offers the batched key join where it applies.
 * PostgreSQL calls it for both orders of the two sides; only the order
 * with the Pegasus table inside is taken.
 */
static void
join_pathlist_hook(PlannerInfo *root, RelOptInfo *joinrel,
				   RelOptInfo *outerrel, RelOptInfo *innerrel,
				   JoinType jointype, JoinPathExtraData *extra)
{
	if (prev_join_pathlist_hook)
		prev_join_pathlist_hook(root, joinrel, outerrel, innerrel, jointype,
								extra);
	/* UPDATE, DELETE and row locks may recheck joined rows (EvalPlanQual),
	 * which the node does not support */
	if (!pegfdw_enable_batched_join || root->parse->commandType != CMD_SELECT ||
		root->rowMarks != NIL)
		return;
	if (jointype != JOIN_INNER && jointype != JOIN_LEFT &&
		jointype != JOIN_SEMI && jointype != JOIN_ANTI)
		return;
	if (innerrel->reloptkind != RELOPT_BASEREL ||
		innerrel->rtekind != RTE_RELATION ||
		!pegfdw_is_pegasus_rel(innerrel) || innerrel->fdw_private == NULL)
		return;
	add_batched_join_path(root, joinrel, outerrel, innerrel, jointype, extra);
}

/* Column of the outer plan giving Var var. */
static int
outer_column(List *outer_tlist, Var *var)
{
	ListCell   *lc;

	foreach(lc, outer_tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Var		   *v = (Var *) tle->expr;

		if (IsA(v, Var) && v->varno == var->varno &&
			v->varattno == var->varattno && v->varlevelsup == 0)
			return tle->resno;
	}
	elog(ERROR, "pegasus_fdw: outer column %d of relation %d not found",
		 (int) var->varattno, (int) var->varno);
	return 0;
}

/*
 * The node evaluates its key expressions and match conditions below the
 * join, where the inner side's Vars are not yet nulled by it, but reads
 * them from custom_scan_tlist, which PostgreSQL (16 on) wants to hold one
 * entry per column, with the nulling of the references above the join.  So
 * Vars of those expressions take the nulling of the entry of their column
 * (nulling is planner bookkeeping; execution does not read it).
 */
static Node *
align_nulling_mutator(Node *node, List *tlist)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		ListCell   *lc;

		foreach(lc, tlist)
		{
			Var		   *tv = (Var *) lfirst_node(TargetEntry, lc)->expr;

			if (IsA(tv, Var) && tv->varno == var->varno &&
				tv->varattno == var->varattno && tv->varlevelsup == var->varlevelsup)
			{
				Var		   *nv = palloc(sizeof(Var));

				*nv = *var;
				pegfdw_var_copy_nullingrels(nv, tv);
				return (Node *) nv;
			}
		}
		return node;
	}
	return expression_tree_mutator(node, align_nulling_mutator, tlist);
}

/* PlanCustomPath: the CustomScan node (see join.h for its layout). */
static Plan *
plan_batched_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
				  List *tlist, List *clauses, List *custom_plans)
{
	List	   *priv = best_path->custom_private;
	Index		inner_relid = intVal(list_nth(priv, PathPrivateInnerRelid));
	JoinType	jointype = intVal(list_nth(priv, PathPrivateJoinType));
	List	   *restrictlist = list_nth(priv, PathPrivateRestrictList);
	List	   *key_rinfos = list_nth(priv, PathPrivateKeyRinfos);
	List	   *key_exprs = list_nth(priv, PathPrivateKeyExprs);
	Expr	   *sort_list = list_nth(priv, PathPrivateSortList);
	RelOptInfo *innerrel = find_base_rel(root, inner_relid);
	PegFdwRelationInfo *fpinfo = innerrel->fdw_private;
	Plan	   *outer_plan = linitial(custom_plans);
	CustomScan *cscan = makeNode(CustomScan);
	List	   *rinfos;
	List	   *joinquals;
	List	   *otherquals;
	List	   *vars;
	List	   *scan_tlist;
	List	   *inner_attnos = NIL;
	List	   *outer_cols = NIL;
	ListCell   *lc;

	rinfos = list_difference_ptr(restrictlist, key_rinfos);
	if (IS_OUTER_JOIN(jointype))
		extract_actual_join_clauses(rinfos, rel->relids, &joinquals, &otherquals);
	else
	{
		joinquals = extract_actual_clauses(rinfos, false);
		otherquals = NIL;
	}
	joinquals = list_concat(joinquals,
							extract_actual_clauses(list_difference_ptr(innerrel->baserestrictinfo,
																	   key_rinfos),
												   false));

	/* the columns read above the join first, then those read below it */
	vars = pull_var_clause((Node *) list_make2(tlist, otherquals),
						   PVC_RECURSE_PLACEHOLDERS);
	scan_tlist = add_to_flat_tlist(NIL, vars);
	cscan->custom_exprs = list_copy(key_exprs);
	if (sort_list)
		cscan->custom_exprs = lappend(cscan->custom_exprs, sort_list);
	cscan->custom_exprs = (List *)
		align_nulling_mutator((Node *) list_concat(cscan->custom_exprs, joinquals),
							  scan_tlist);
	vars = pull_var_clause((Node *) cscan->custom_exprs, PVC_RECURSE_PLACEHOLDERS);
	scan_tlist = add_to_flat_tlist(scan_tlist, vars);
	foreach(lc, scan_tlist)
	{
		Var		   *var = (Var *) lfirst_node(TargetEntry, lc)->expr;

		if (var->varno == (int) inner_relid)
		{
			inner_attnos = lappend_int(inner_attnos, var->varattno);
			outer_cols = lappend_int(outer_cols, 0);
		}
		else
		{
			inner_attnos = lappend_int(inner_attnos, 0);
			outer_cols = lappend_int(outer_cols,
									 outer_column(outer_plan->targetlist, var));
		}
	}

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = otherquals;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_scan_tlist = scan_tlist;
	cscan->custom_private = list_make5(makeInteger((int) fpinfo->table->relid),
									   makeInteger((int) jointype),
									   makeInteger(list_length(key_exprs)),
									   makeInteger(pegfdw_join_batch_size),
									   inner_attnos);
	cscan->custom_private = lappend(cscan->custom_private, outer_cols);
	cscan->custom_private = lappend(cscan->custom_private,
									makeInteger(sort_list != NULL));
	cscan->methods = &scan_methods;
	return &cscan->scan.plan;
}

/* Registers the hook, the node and the settings (from _PG_init). */
void
pegfdw_join_init(void)
{
	DefineCustomBoolVariable("pegasus_fdw.enable_batched_join",
							 "Lets the planner join local rows to Pegasus tables in batches of key lookups.",
							 NULL, &pegfdw_enable_batched_join, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pegasus_fdw.join_batch_size",
							"Outer rows whose keys a batched key join looks up together.",
							NULL, &pegfdw_join_batch_size, 1000, 1, 100000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pegasus_fdw");
	RegisterCustomScanMethods(&scan_methods);
	prev_join_pathlist_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = join_pathlist_hook;
}
