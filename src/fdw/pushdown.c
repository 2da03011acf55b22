/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *		Which WHERE conditions Pegasus can evaluate, and which operation a
 *		scan runs as.  Every pushdown rule of the FDW lives in this file.
 *
 * Pegasus compares keys as unsigned bytes.  So:
 *  - equality on a key is pushed when the comparison's collation is
 *    deterministic (equal means byte-equal); bytea always;
 *  - a sort-key range (<, <=, >, >=) is pushed only when the comparison
 *    orders by bytes: the "C"/"POSIX" collations, the text_pattern_ops
 *    operators, or bytea;
 *  - LIKE 'p%', '%s' and '%x%' become the server's prefix, postfix and
 *    anywhere key filters when the pattern has no other wildcard or escape
 *    (exact, no recheck); a pattern starting with a literal run becomes a
 *    prefix filter and is rechecked locally.  ILIKE is never pushed;
 *  - hash-key ranges are never pushed (hash keys are not stored in order).
 * A pushed condition whose value is NULL, an empty hash key or an oversized
 * one matches nothing (checked at execution, see scan.c).  Anything not
 * pushed is evaluated locally.
 *
 * Operation choice (pegfdw_choose_request):
 *  - hash key = v or IN (...), sort key = v or IN (...): point lookups
 *    (get, multi_get, or batch_get across hash keys);
 *  - hash key = v or IN (...) otherwise: sort-key range within each hash key
 *    (multi_get_range pages), with one sort-key filter;
 *  - no hash key value: scan of every partition, with one hash-key filter
 *    and one sort-key filter.
 *
 * src/fdw/pushdown.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/ruleutils.h"

#include "pegasus_fdw.h"

/* Strips binary-compatible relabeling (varchar as text). */
static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* Is node a Var of column attno of baserel? */
static bool
is_column(Node *node, RelOptInfo *baserel, AttrNumber attno)
{
	Var		   *var = (Var *) strip_relabel(node);

	return attno != 0 && var && IsA(var, Var) &&
		var->varno == (int) baserel->relid && var->varlevelsup == 0 &&
		var->varattno == attno;
}

/*
 * Can expr be evaluated before the scan starts: no column of baserel, no
 * volatile function, no subplan?  Columns of other relations make a
 * parameterized path.
 */
static bool
is_runtime_value(PlannerInfo *root, Expr *expr, RelOptInfo *baserel)
{
	Relids		varnos = pull_varnos(root, (Node *) expr);

	return !bms_is_member(baserel->relid, varnos) &&
		!contain_volatile_functions((Node *) expr) &&
		!contain_subplans((Node *) expr) &&
		!contain_agg_clause((Node *) expr) &&
		!contain_window_function((Node *) expr);
}

/*
 * The btree strategy of opno as a bytewise comparison of a key of the given
 * type, or 0 when it does not compare bytes.  Equality needs only a
 * deterministic collation; ordering needs a bytewise one.
 */
static int
bytewise_strategy(Oid opno, Oid keytype, Oid collid)
{
	int			strategy;

	if (keytype == BYTEAOID)
		return get_op_opfamily_strategy(opno, BYTEA_BTREE_FAM_OID);

	strategy = get_op_opfamily_strategy(opno, TEXT_PATTERN_BTREE_FAM_OID);
	if (strategy != 0)
		return strategy;
	strategy = get_op_opfamily_strategy(opno, TEXT_BTREE_FAM_OID);
	if (strategy == 0 || !OidIsValid(collid))
		return 0;
	if (strategy == BTEqualStrategyNumber)
		return get_collation_isdeterministic(collid) ? strategy : 0;
	return pegfdw_collation_is_c(collid) ? strategy : 0;
}

/*
 * Analyses a LIKE pattern (backslash escapes).  Returns the filter kind
 * offset (0 prefix, 1 postfix, 2 anywhere, -1 none) and the literal, and
 * whether the filter is exactly the pattern.
 */
static int
analyse_like(const char *pat, int len, char **literal, int *litlen,
			 bool *exact)
{
	int			lead = 0;
	int			trail = 0;
	int			i;
	bool		special = false;

	while (lead < len && pat[lead] == '%')
		lead++;
	while (trail < len - lead && pat[len - 1 - trail] == '%')
		trail++;
	for (i = lead; i < len - trail; i++)
		if (pat[i] == '%' || pat[i] == '_' || pat[i] == '\\')
			special = true;
	/* an escaped trailing percent is a literal: be conservative */
	if (trail > 0 && len - trail - 1 >= 0 && pat[len - trail - 1] == '\\')
		special = true;

	*exact = true;
	if (!special && len - lead - trail > 0)
	{
		*literal = pnstrdup(pat + lead, len - lead - trail);
		*litlen = len - lead - trail;
		if (lead == 0 && trail > 0)
			return 0;
		if (lead > 0 && trail == 0)
			return 1;
		if (lead > 0 && trail > 0)
			return 2;
		return -1;				/* no wildcard at all: leave it local */
	}

	/* A literal run before the first wildcard still narrows the scan. */
	for (i = 0; i < len; i++)
		if (pat[i] == '%' || pat[i] == '_' || pat[i] == '\\')
			break;
	if (i == 0)
		return -1;
	*literal = pnstrdup(pat, i);
	*litlen = i;
	*exact = false;
	return 0;
}

/* Makes a Const of type typid holding the given bytes (text or bytea). */
static Const *
make_bytes_const(Oid typid, const char *data, int len)
{
	bytea	   *b = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return makeConst(typid, -1, typid == BYTEAOID ? InvalidOid : DEFAULT_COLLATION_OID,
					 -1, PointerGetDatum(b), false, false);
}

static PegFdwCond *
make_cond(PegFdwCondKind kind, Expr *expr, RestrictInfo *rinfo, bool exact)
{
	PegFdwCond *c = palloc(sizeof(PegFdwCond));

	c->kind = kind;
	c->expr = expr;
	c->rinfo = rinfo;
	c->exact = exact;
	return c;
}

/* Tries to read a LIKE clause on a key column as a key filter. */
static PegFdwCond *
like_condition(OpExpr *op, RestrictInfo *rinfo, bool is_hash, Oid keytype)
{
	Const	   *pat = (Const *) strip_relabel(lsecond(op->args));
	char	   *literal;
	int			litlen;
	bool		exact;
	int			which;
	PegFdwCondKind base = is_hash ? PEGFDW_COND_HASH_PREFIX : PEGFDW_COND_SORT_PREFIX;

	if (!IsA(pat, Const) || pat->constisnull)
		return NULL;
	which = analyse_like(VARDATA_ANY(DatumGetPointer(pat->constvalue)),
						 VARSIZE_ANY_EXHDR(DatumGetPointer(pat->constvalue)),
						 &literal, &litlen, &exact);
	if (which < 0)
		return NULL;
	return make_cond(base + which,
					 (Expr *) make_bytes_const(keytype == BYTEAOID ? BYTEAOID : TEXTOID,
											   literal, litlen),
					 rinfo, exact);
}

/*
 * Reads an equality of a key column with a runtime value: returns the value
 * and sets *is_hash, or returns NULL.
 */
static Expr *
key_equality(PlannerInfo *root, RelOptInfo *baserel, PegFdwTable *table,
			 Node *clause, bool *is_hash)
{
	OpExpr	   *op = (OpExpr *) clause;
	Node	   *left;
	Node	   *right;
	Oid			opno;
	AttrNumber	attno;

	if (!IsA(op, OpExpr) || list_length(op->args) != 2)
		return NULL;
	left = linitial(op->args);
	right = lsecond(op->args);
	opno = op->opno;
	if (!is_column(left, baserel, table->hash_attno) &&
		!is_column(left, baserel, table->sort_attno))
	{
		Node	   *tmp = left;

		left = right;
		right = tmp;
		opno = get_commutator(opno);
		if (!OidIsValid(opno))
			return NULL;
	}
	*is_hash = is_column(left, baserel, table->hash_attno);
	if (!*is_hash && !is_column(left, baserel, table->sort_attno))
		return NULL;
	attno = *is_hash ? table->hash_attno : table->sort_attno;
	if (!is_runtime_value(root, (Expr *) right, baserel) ||
		bytewise_strategy(opno, table->columns[attno - 1].basetype,
						  op->inputcollid) != BTEqualStrategyNumber)
		return NULL;
	return (Expr *) right;
}

/*
 * (hash_key, sort_key) IN ((h1, s1), (h2, s2), ...), which PostgreSQL
 * reads as an OR of (hash_key = h AND sort_key = s) arms: the pairs for
 * one batch_get (kv layout; both keys of one type).
 */
static PegFdwCond *
pairs_condition(PlannerInfo *root, RelOptInfo *baserel, PegFdwTable *table,
				RestrictInfo *rinfo)
{
	BoolExpr   *or = (BoolExpr *) rinfo->orclause;
	ArrayExpr  *arr;
	Oid			keytype;
	ListCell   *lc;

	if (table->layout != PEGFDW_LAYOUT_KV || table->sort_attno == 0 ||
		or == NULL || !is_orclause(or))
		return NULL;
	keytype = table->columns[table->hash_attno - 1].basetype;
	if ((keytype == BYTEAOID) !=
		(table->columns[table->sort_attno - 1].basetype == BYTEAOID))
		return NULL;
	keytype = keytype == BYTEAOID ? BYTEAOID : TEXTOID;

	arr = makeNode(ArrayExpr);
	arr->array_typeid = keytype == BYTEAOID ? BYTEAARRAYOID : TEXTARRAYOID;
	arr->element_typeid = keytype;
	arr->array_collid = keytype == BYTEAOID ? InvalidOid : DEFAULT_COLLATION_OID;
	arr->multidims = false;
	arr->location = -1;
	foreach(lc, or->args)
	{
		Node	   *arm = lfirst(lc);
		List	   *args;
		Expr	   *h = NULL;
		Expr	   *s = NULL;
		ListCell   *la;

		if (IsA(arm, RestrictInfo))
			arm = (Node *) ((RestrictInfo *) arm)->clause;
		if (!is_andclause(arm))
			return NULL;
		args = ((BoolExpr *) arm)->args;
		if (list_length(args) != 2)
			return NULL;
		foreach(la, args)
		{
			Node	   *c = lfirst(la);
			bool		is_hash;
			Expr	   *v;

			if (IsA(c, RestrictInfo))
				c = (Node *) ((RestrictInfo *) c)->clause;
			v = key_equality(root, baserel, table, c, &is_hash);
			if (v == NULL || exprType((Node *) v) != keytype)
				return NULL;
			if (is_hash)
				h = v;
			else
				s = v;
		}
		if (h == NULL || s == NULL)
			return NULL;
		arr->elements = lappend(lappend(arr->elements, h), s);
	}
	return make_cond(PEGFDW_COND_KEY_PAIRS, (Expr *) arr, rinfo, true);
}

/* Reads one restriction as a pushable condition, or returns NULL. */
static PegFdwCond *
condition_of(PlannerInfo *root, RelOptInfo *baserel, PegFdwTable *table,
			 RestrictInfo *rinfo)
{
	Expr	   *clause = rinfo->clause;
	AttrNumber	hash = table->hash_attno;
	AttrNumber	sort = table->layout == PEGFDW_LAYOUT_KV ? table->sort_attno : 0;

	if (rinfo->pseudoconstant)
		return NULL;
	if (rinfo->orclause)
		return pairs_condition(root, baserel, table, rinfo);

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left = linitial(op->args);
		Node	   *right = lsecond(op->args);
		Oid			opno = op->opno;
		bool		is_hash;
		Oid			keytype;
		int			strategy;

		if (!is_column(left, baserel, hash) && !is_column(left, baserel, sort))
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
			opno = get_commutator(opno);
			if (!OidIsValid(opno))
				return NULL;
		}
		is_hash = is_column(left, baserel, hash);
		if (!is_hash && !is_column(left, baserel, sort))
			return NULL;
		if (!is_runtime_value(root, (Expr *) right, baserel))
			return NULL;
		keytype = table->columns[(is_hash ? hash : sort) - 1].basetype;

		if (get_opcode(opno) == F_TEXTLIKE || get_opcode(opno) == F_BYTEALIKE)
		{
			OpExpr		tmp = *op;

			if (opno != op->opno)
				return NULL;	/* pattern on the left: not a key filter */
			tmp.args = list_make2(left, right);
			return like_condition(&tmp, rinfo, is_hash, keytype);
		}

		strategy = bytewise_strategy(opno, keytype, op->inputcollid);
		if (strategy == BTEqualStrategyNumber)
			return make_cond(is_hash ? PEGFDW_COND_HASH_EQ : PEGFDW_COND_SORT_EQ,
							 (Expr *) right, rinfo, true);
		if (is_hash || strategy == 0)
			return NULL;
		switch (strategy)
		{
			case BTLessStrategyNumber:
				return make_cond(PEGFDW_COND_SORT_LT, (Expr *) right, rinfo, true);
			case BTLessEqualStrategyNumber:
				return make_cond(PEGFDW_COND_SORT_LE, (Expr *) right, rinfo, true);
			case BTGreaterEqualStrategyNumber:
				return make_cond(PEGFDW_COND_SORT_GE, (Expr *) right, rinfo, true);
			case BTGreaterStrategyNumber:
				return make_cond(PEGFDW_COND_SORT_GT, (Expr *) right, rinfo, true);
		}
		return NULL;
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Node	   *left = linitial(saop->args);
		Node	   *right = lsecond(saop->args);
		bool		is_hash = is_column(left, baserel, hash);
		Oid			keytype;

		if (!saop->useOr || (!is_hash && !is_column(left, baserel, sort)))
			return NULL;
		if (!is_runtime_value(root, (Expr *) right, baserel))
			return NULL;
		keytype = table->columns[(is_hash ? hash : sort) - 1].basetype;
		if (bytewise_strategy(saop->opno, keytype, saop->inputcollid) !=
			BTEqualStrategyNumber)
			return NULL;
		return make_cond(is_hash ? PEGFDW_COND_HASH_IN : PEGFDW_COND_SORT_IN,
						 (Expr *) right, rinfo, true);
	}
	return NULL;
}

/*
 * Reads the conditions Pegasus can use from a list of RestrictInfos.
 * Returns PegFdwCond *s; *rest receives the RestrictInfos that gave none.
 */
List *
pegfdw_collect_conditions(PlannerInfo *root, RelOptInfo *baserel,
						  PegFdwTable *table, List *rinfos, List **rest)
{
	List	   *conds = NIL;
	ListCell   *lc;

	*rest = NIL;
	foreach(lc, rinfos)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		PegFdwCond *cond = condition_of(root, baserel, table, rinfo);

		if (cond)
			conds = lappend(conds, cond);
		else
			*rest = lappend(*rest, rinfo);
	}
	return conds;
}

static PegFdwCond *
first_of(List *conds, PegFdwCondKind a, PegFdwCondKind b)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (c->kind == a)
			return c;
	}
	foreach(lc, conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (c->kind == b)
			return c;
	}
	return NULL;
}

/* Picks one key filter (an exact one first, prefix preferred). */
static PegFdwCond *
pick_filter(List *conds, PegFdwCondKind prefix)
{
	ListCell   *lc;
	PegFdwCond *best = NULL;

	foreach(lc, conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (c->kind < prefix || c->kind > prefix + 2)
			continue;
		if (best == NULL || (c->exact && !best->exact) ||
			(c->exact == best->exact && c->kind == prefix && best->kind != prefix))
			best = c;
	}
	return best;
}

/*
 * Chooses the operation for a set of candidate conditions.  Conditions not
 * used, and used ones that are not exact, go to local_rinfos together with
 * other_rinfos.
 */
PegFdwRequest *
pegfdw_choose_request(PegFdwTable *table, List *conds, List *other_rinfos)
{
	PegFdwRequest *req = palloc0(sizeof(PegFdwRequest));
	PegFdwCond *hash = first_of(conds, PEGFDW_COND_HASH_EQ, PEGFDW_COND_HASH_IN);
	List	   *used = NIL;
	ListCell   *lc;

	req->limit = -1;
	if (hash)
	{
		PegFdwCond *point = first_of(conds, PEGFDW_COND_SORT_EQ, PEGFDW_COND_SORT_IN);

		used = lappend(used, hash);
		req->has_hash_eq = (hash->kind == PEGFDW_COND_HASH_EQ);
		req->has_hash_in = !req->has_hash_eq;
		if (point || table->layout == PEGFDW_LAYOUT_WIDE)
		{
			req->op = PEGFDW_OP_POINT;
			if (point)
				used = lappend(used, point);
			req->has_sort_point = (point != NULL);
		}
		else
		{
			PegFdwCond *filter = pick_filter(conds, PEGFDW_COND_SORT_PREFIX);

			req->op = PEGFDW_OP_RANGE;
			foreach(lc, conds)
			{
				PegFdwCond *c = lfirst(lc);

				if (c->kind >= PEGFDW_COND_SORT_GT && c->kind <= PEGFDW_COND_SORT_LE)
					used = lappend(used, c);
			}
			if (filter)
				used = lappend(used, filter);
		}
	}
	else if ((hash = first_of(conds, PEGFDW_COND_KEY_PAIRS, PEGFDW_COND_KEY_PAIRS)))
	{
		/* (hash key, sort key) pairs: batch_get */
		used = lappend(used, hash);
		req->op = PEGFDW_OP_POINT;
		req->has_hash_in = true;
		req->has_sort_point = true;
	}
	else
	{
		PegFdwCond *hf = pick_filter(conds, PEGFDW_COND_HASH_PREFIX);
		PegFdwCond *sf = table->layout == PEGFDW_LAYOUT_KV ?
		pick_filter(conds, PEGFDW_COND_SORT_PREFIX) : NULL;

		req->op = PEGFDW_OP_SCAN;
		if (hf)
			used = lappend(used, hf);
		if (sf)
			used = lappend(used, sf);
	}

	req->conds = used;
	req->local_rinfos = list_copy(other_rinfos);
	foreach(lc, conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (!list_member_ptr(used, c) || !c->exact)
			req->local_rinfos = list_append_unique_ptr(req->local_rinfos, c->rinfo);
	}
	return req;
}

static bool
contains_exec_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param_walker, context);
}

/*
 * Appends a short SQL rendering of a runtime value.  The request is
 * described at plan time, when a value computed by a subquery (a PARAM_EXEC
 * Param) has no plan to be named after, so such a value is shown as
 * "(subquery)"; deparse_expression() needs that plan from PostgreSQL 17 on.
 */
static void
append_value(StringInfo buf, PlannerInfo *root, Expr *expr, PegFdwTable *table)
{
	Node	   *node = strip_relabel((Node *) expr);

	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		RangeTblEntry *rte = planner_rt_fetch(var->varno, root);

		appendStringInfo(buf, "%s.%s", quote_identifier(rte->eref->aliasname),
						 quote_identifier(get_rte_attribute_name(rte, var->varattno)));
		return;
	}
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
	{
		appendStringInfoString(buf, "(subquery)");
		return;
	}
	if (contain_var_clause(node) || contains_exec_param_walker(node, NULL))
	{
		appendStringInfoString(buf, "(expression)");
		return;
	}
	appendStringInfoString(buf,
						   deparse_expression(node,
											  deparse_context_for(table->relname, table->relid),
											  false, false));
}

static const char *
filter_name(PegFdwCondKind kind)
{
	switch (kind)
	{
		case PEGFDW_COND_HASH_PREFIX:
		case PEGFDW_COND_SORT_PREFIX:
			return "prefix";
		case PEGFDW_COND_HASH_POSTFIX:
		case PEGFDW_COND_SORT_POSTFIX:
			return "postfix";
		default:
			return "anywhere";
	}
}

/* The operation name EXPLAIN shows. */
static const char *
operation_name(PegFdwTable *table, PegFdwRequest *req)
{
	switch (req->op)
	{
		case PEGFDW_OP_SCAN:
			return "scan";
		case PEGFDW_OP_POINT:
			if (req->has_hash_in)
				return "batch_get";
			if (table->layout == PEGFDW_LAYOUT_KV && req->has_sort_point)
			{
				ListCell   *lc;

				foreach(lc, req->conds)
					if (((PegFdwCond *) lfirst(lc))->kind == PEGFDW_COND_SORT_EQ)
						return "get";
			}
			return "multi_get";
		case PEGFDW_OP_RANGE:
			return "multi_get_range";
		case PEGFDW_OP_COUNT_HASH:
			return "sortkey_count";
		case PEGFDW_OP_COUNT_SCAN:
			return "scan count";
	}
	return "?";
}

/*
 * Describes a request for EXPLAIN VERBOSE, the way postgres_fdw shows its
 * remote SQL: operation, table, key conditions, filters and flags.
 */
char *
pegfdw_describe_request(PlannerInfo *root, PegFdwTable *table,
						PegFdwRequest *req)
{
	StringInfoData buf;
	ListCell   *lc;
	const char *hashname = table->columns[table->hash_attno - 1].name;
	const char *sortname = table->sort_attno ?
	table->columns[table->sort_attno - 1].name : "sort_key";
	int			n = 0;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s on table %s", operation_name(table, req),
					 quote_identifier(table->table_name));
	foreach(lc, req->conds)
	{
		PegFdwCond *c = lfirst(lc);
		bool		is_hash = (c->kind == PEGFDW_COND_HASH_EQ ||
							   c->kind == PEGFDW_COND_HASH_IN ||
							   (c->kind >= PEGFDW_COND_HASH_PREFIX &&
								c->kind <= PEGFDW_COND_HASH_ANYWHERE));
		const char *col = is_hash ? hashname : sortname;

		appendStringInfoString(&buf, n++ ? " AND " : " WHERE ");
		switch (c->kind)
		{
			case PEGFDW_COND_HASH_EQ:
			case PEGFDW_COND_SORT_EQ:
				appendStringInfo(&buf, "%s = ", col);
				break;
			case PEGFDW_COND_HASH_IN:
			case PEGFDW_COND_SORT_IN:
				appendStringInfo(&buf, "%s = ANY ", col);
				break;
			case PEGFDW_COND_SORT_GT:
				appendStringInfo(&buf, "%s > ", col);
				break;
			case PEGFDW_COND_SORT_GE:
				appendStringInfo(&buf, "%s >= ", col);
				break;
			case PEGFDW_COND_SORT_LT:
				appendStringInfo(&buf, "%s < ", col);
				break;
			case PEGFDW_COND_SORT_LE:
				appendStringInfo(&buf, "%s <= ", col);
				break;
			case PEGFDW_COND_KEY_PAIRS:
				appendStringInfo(&buf, "(%s, %s) = ANY pairs of ", hashname, sortname);
				break;
			default:
				appendStringInfo(&buf, "%s filter %s ", col, filter_name(c->kind));
				break;
		}
		append_value(&buf, root, c->expr, table);
	}
	if (table->layout == PEGFDW_LAYOUT_WIDE)
		appendStringInfoString(&buf, " (wide)");
	if (req->reverse)
		appendStringInfoString(&buf, " reverse");
	if (req->no_value)
		appendStringInfoString(&buf, " no_value");
	if (req->need_ttl)
		appendStringInfoString(&buf, " with ttl");
	if (req->limit >= 0)
		appendStringInfo(&buf, " limit " INT64_FORMAT, req->limit);
	return buf.data;
}
