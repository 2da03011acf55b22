/*-------------------------------------------------------------------------
 *
 * plan_modify.c
 *		Planning of UPDATE and DELETE on Pegasus foreign tables: the row
 *		identity columns, and the statements run as direct modifications.
 *
 * A row is identified by its hash key (and sort key, kv layout), so the
 * scan under an UPDATE or DELETE outputs those columns as junk columns.
 *
 * Direct modifications skip the row-by-row protocol:
 * - DELETE of a kv table whose conditions are a hash key equality and
 *   optionally sort-key conditions, all handled by Pegasus (no local filter,
 *   no RETURNING, no row trigger): the scan reads keys only (no_value) and
 *   the keys are removed with multi_del batches.
 * - UPDATE t SET value = value + n (or - n) WHERE hash_key = c AND
 *   sort_key = c on an integer value column: one incr.
 *
 * src/fdw/plan_modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"

static void
add_key_var(PlannerInfo *root, Index rtindex, PegFdwTable *t, AttrNumber attno,
			const char *prefix)
{
	PegFdwColumn *c = &t->columns[attno - 1];
	Var		   *var = makeVar(rtindex, attno, c->typid, c->typmod, c->collation, 0);
	char		name[NAMEDATALEN];

	snprintf(name, sizeof(name), "%s%d", prefix, attno);
	add_row_identity_var(root, var, rtindex, pstrdup(name));
}

/*
 * AddForeignUpdateTargets: the key columns identify the row; DELETE ...
 * RETURNING also needs the old row, which the scan already holds.
 */
void
pegfdw_add_update_targets(PlannerInfo *root, Index rtindex,
						  RangeTblEntry *target_rte, Relation target_relation)
{
	PegFdwTable *t = pegfdw_get_table(RelationGetRelid(target_relation));

	add_key_var(root, rtindex, t, t->hash_attno, PEGFDW_ROWID_HASH_KEY);
	if (t->layout == PEGFDW_LAYOUT_KV)
		add_key_var(root, rtindex, t, t->sort_attno, PEGFDW_ROWID_SORT_KEY);
	if (root->parse->commandType == CMD_DELETE &&
		root->parse->returningList != NIL)
	{
		Var		   *var = makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1,
								  InvalidOid, 0);

		add_row_identity_var(root, var, rtindex, PEGFDW_ROWID_OLD_ROW);
	}
}

static bool
has_row_triggers(Oid relid, CmdType operation)
{
	Relation	rel = table_open(relid, NoLock);
	TriggerDesc *td = rel->trigdesc;
	bool		result = false;

	if (td)
		result = operation == CMD_UPDATE ?
			(td->trig_update_before_row || td->trig_update_after_row) :
			(td->trig_delete_before_row || td->trig_delete_after_row);
	table_close(rel, NoLock);
	return result;
}

/* Is expr the Var of column attno of relation rtindex? */
static bool
is_column(Node *expr, Index rtindex, AttrNumber attno)
{
	Var		   *v;

	if (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var))
		return false;
	v = (Var *) expr;
	return v->varno == (int) rtindex && v->varattno == attno && v->varlevelsup == 0;
}

static bool
is_int_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/*
 * Is expr "value + n", "n + value" or "value - n" with n free of columns
 * and of volatile functions?  Returns n and the sign.
 */
static bool
match_increment(Node *expr, Index rtindex, AttrNumber value_attno,
				Expr **amount, int *sign)
{
	OpExpr	   *op;
	char	   *name;
	Node	   *l;
	Node	   *r;

	if (expr == NULL || !IsA(expr, OpExpr))
		return false;
	op = (OpExpr *) expr;
	if (list_length(op->args) != 2)
		return false;
	name = get_opname(op->opno);
	if (name == NULL || (strcmp(name, "+") != 0 && strcmp(name, "-") != 0))
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	if (!is_int_type(exprType(l)) || !is_int_type(exprType(r)))
		return false;
	if (is_column(l, rtindex, value_attno))
	{
		*amount = (Expr *) r;
		*sign = strcmp(name, "+") == 0 ? 1 : -1;
	}
	else if (strcmp(name, "+") == 0 && is_column(r, rtindex, value_attno))
	{
		*amount = (Expr *) l;
		*sign = 1;
	}
	else
		return false;
	if (contain_vars_of_level((Node *) *amount, 0) ||
		contain_volatile_functions((Node *) *amount) ||
		contain_subplans((Node *) *amount))
		return false;
	return true;
}

/*
 * RETURNING of an incr may use the key columns and the value only (the
 * TTL is not read).
 */
static bool
returning_supported(List *returning, Index rtindex, PegFdwTable *t)
{
	Bitmapset  *attrs = NULL;
	int			k = -1;

	pull_varattnos((Node *) returning, rtindex, &attrs);
	while ((k = bms_next_member(attrs, k)) >= 0)
	{
		AttrNumber	a = k + FirstLowInvalidHeapAttributeNumber;

		if (a != t->hash_attno && a != t->sort_attno && a != t->value_attno)
			return false;
	}
	return true;
}

bool
pegfdw_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
						  Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte;
	ForeignScan *fscan;
	PegFdwTable *t;
	List	   *priv;
	List	   *kinds;
	ListCell   *lc;
	int			nhash = 0;
	int			nsort_eq = 0;
	int			nother = 0;
	int			scan_op;
	Expr	   *hash_expr = NULL;
	Expr	   *sort_expr = NULL;
	int			sign = 1;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	if (list_length(plan->resultRelations) != 1 || subplan_index != 0)
		return false;
	if (outerPlan(plan) == NULL || !IsA(outerPlan(plan), ForeignScan))
		return false;
	fscan = (ForeignScan *) outerPlan(plan);
	if (fscan->scan.scanrelid != resultRelation || fscan->scan.plan.qual != NIL ||
		list_length(fscan->fdw_private) <= PegFdwScanPrivateDescription)
		return false;
	rte = planner_rt_fetch(resultRelation, root);
	if (has_row_triggers(rte->relid, operation))
		return false;
	t = pegfdw_get_table(rte->relid);
	if (t->layout != PEGFDW_LAYOUT_KV)
		return false;

	priv = fscan->fdw_private;
	scan_op = intVal(list_nth(priv, PegFdwScanPrivateOperation));
	kinds = (List *) list_nth(priv, PegFdwScanPrivateCondKinds);
	if (scan_op != PEGFDW_OP_POINT && scan_op != PEGFDW_OP_RANGE)
		return false;
	if (intVal(list_nth(priv, PegFdwScanPrivateLimit)) >= 0)
		return false;
	if (list_length(kinds) != list_length(fscan->fdw_exprs))
		return false;
	{
		ListCell   *le;

		forboth(lc, kinds, le, fscan->fdw_exprs)
		{
			switch (lfirst_int(lc))
			{
				case PEGFDW_COND_HASH_EQ:
					nhash++;
					hash_expr = lfirst(le);
					break;
				case PEGFDW_COND_SORT_EQ:
					nsort_eq++;
					sort_expr = lfirst(le);
					break;
				case PEGFDW_COND_SORT_IN:
				case PEGFDW_COND_SORT_GT:
				case PEGFDW_COND_SORT_GE:
				case PEGFDW_COND_SORT_LT:
				case PEGFDW_COND_SORT_LE:
				case PEGFDW_COND_SORT_PREFIX:
				case PEGFDW_COND_SORT_POSTFIX:
				case PEGFDW_COND_SORT_ANYWHERE:
					nother++;
					break;
				default:
					return false;
			}
		}
	}
	if (nhash != 1)
		return false;

	if (operation == CMD_DELETE)
	{
		if (plan->returningLists != NIL)
			return false;
		fscan->fdw_private =
			list_make2(list_make4(makeInteger(PEGFDW_DIRECT_DELETE),
								  makeInteger(1), makeInteger((int) t->relid),
								  makeInteger(plan->canSetTag ? 1 : 0)),
					   priv);
	}
	else
	{
		List	   *tlist = NIL;
		List	   *colnos = NIL;
		TargetEntry *tle;
		PegFdwColumn *vc;
		Expr	   *amount;

		/* a document's fields are patched, never overwritten blindly */
		if (t->value_format == PEGFDW_FORMAT_JSON)
			return false;
		if (nsort_eq != 1 || nother != 0 || t->value_attno == 0)
			return false;
		vc = &t->columns[t->value_attno - 1];
		if (!is_int_type(vc->typid))
			return false;
		get_translated_update_targetlist(root, resultRelation, &tlist, &colnos);
		if (list_length(colnos) != 1 || linitial_int(colnos) != t->value_attno)
			return false;
		tle = linitial_node(TargetEntry, tlist);
		if (!match_increment((Node *) tle->expr, resultRelation,
							 t->value_attno, &amount, &sign))
			return false;
		if (plan->returningLists != NIL &&
			!returning_supported(linitial(plan->returningLists),
								 resultRelation, t))
			return false;
		fscan->fdw_exprs = list_make3(hash_expr, sort_expr, amount);
		fscan->fdw_private =
			list_make2(list_make4(makeInteger(PEGFDW_DIRECT_INCR),
								  makeInteger(sign), makeInteger((int) t->relid),
								  makeInteger(plan->canSetTag ? 1 : 0)),
					   priv);
	}
	fscan->operation = operation;
	fscan->resultRelation = resultRelation;
	fscan->scan.plan.async_capable = false;
	return true;
}
