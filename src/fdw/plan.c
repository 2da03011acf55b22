/*-------------------------------------------------------------------------
 *
 * plan.c
 *		Planning of scans on Pegasus foreign tables: size estimates, paths
 *		(plain, ordered by sort key, parameterized by join keys), counts
 *		pushed as upper paths, and the ForeignScan plan node.
 *
 * Cost model (the only place Pegasus costs are set; the batched key join
 * of join_path.c is costed by pegfdw_batched_join_cost,
 * pegfdw_batched_range_join_cost and pegfdw_batched_list_join_cost below).  One cost unit is
 * PostgreSQL's, about the time of reading a local page.  Costs come from
 * round trips and rows:
 *  - a round trip (one request and its reply) costs PEGFDW_RPC_COST; the
 *    requests of one round sent concurrently (one per partition of a
 *    batch_get or of a scan) add PEGFDW_PARALLEL_RPC_COST each;
 *  - a record received and converted costs PEGFDW_ROW_COST, a key sent in a
 *    batch PEGFDW_KEY_COST (the server's lookup), plus cpu_tuple_cost per
 *    row returned;
 *  - get: one round; multi_get / batch_get: one round, its partitions in
 *    parallel; a sort-key range: one round per page of fetch_size records;
 *    a scan: (partitions + records / fetch_size) requests, scan_parallelism
 *    of them at a time, plus every record;
 *  - a parameterized path pays its request once per outer row; the batched
 *    key join pays one round per batch of outer rows, every distinct key
 *    and every row received, or with the hash key only one round per
 *    page for every PEGFDW_JOIN_RANGES_IN_FLIGHT hash keys (with a sort-key
 *    list, one multi_get round for as many, plus every sort key asked for).
 * Size without ANALYZE: the cluster tells the partition count cheaply (the
 * routing is cached) and nothing about record counts, so the table is
 * assumed large: PEGFDW_DEFAULT_ROWS_PER_PARTITION records per partition.
 * Guessing large costs little when wrong (keyed access to a small table is
 * fast anyway), guessing small makes a full scan beat keyed access.  Hence,
 * without hints or ANALYZE: outer rows go through the batched key join (a
 * lookup per outer row where it does not apply), and a scan plus hash join
 * is chosen only when the outer set covers a large share of the (assumed)
 * table.  ANALYZE replaces the guess by the sampled count.
 *
 * src/fdw/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/stratnum.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"

#include "pegasus_fdw.h"

#define PEGFDW_RPC_COST			100.0
#define PEGFDW_PARALLEL_RPC_COST	10.0
#define PEGFDW_ROW_COST			0.02
#define PEGFDW_KEY_COST			0.2
#define PEGFDW_DEFAULT_PARTITIONS	8
#define PEGFDW_DEFAULT_ROWS_PER_PARTITION	100000.0
#define PEGFDW_DEFAULT_ROWS_PER_HASH_KEY	10.0

/*
 * Partition count of the table, asking the cluster (routing is cached).
 * Planning does not fail when the cluster is unreachable: the default is
 * used and the scan reports the problem.
 */
static int
partition_count(PegFdwTable *table)
{
	PegFdwConnEntry *entry;
	PegasusClient *client = pegfdw_get_client(table->serverid, &entry);
	PegasusError err;
	PegasusTable *pt;

	pegasus_error_clear(&err);
	pt = pegasus_client_open_table(client, table->table_name,
								   table->connect_timeout_ms, &err);
	if (pt == NULL)
	{
		pegfdw_note_failure(entry, &err);
		return PEGFDW_DEFAULT_PARTITIONS;
	}
	return Max(pegasus_table_partition_count(pt), 1);
}

/* Attributes needed above the scan and by local conditions. */
static Bitmapset *
needed_attrs(RelOptInfo *baserel, List *local_exprs)
{
	Bitmapset  *attrs = NULL;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	pull_varattnos((Node *) local_exprs, baserel->relid, &attrs);
	return attrs;
}

static bool
attr_needed(Bitmapset *attrs, AttrNumber attno)
{
	return attno != 0 &&
		(bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, attrs) ||
		 bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs));
}

static void
set_request_flags(PegFdwTable *table, PegFdwRequest *req, Bitmapset *attrs)
{
	if (table->layout == PEGFDW_LAYOUT_WIDE)
	{
		req->no_value = false;
		req->need_ttl = false;
		return;
	}
	req->no_value = !attr_needed(attrs, table->value_attno);
	if (table->value_format == PEGFDW_FORMAT_JSON)
	{
		int			i;

		/* documents: the value is needed for any field or the document */
		req->no_value = true;
		for (i = 0; i < table->natts; i++)
			if ((table->columns[i].role == PEGFDW_ROLE_FIELD ||
				 table->columns[i].role == PEGFDW_ROLE_DOCUMENT) &&
				attr_needed(attrs, i + 1))
				req->no_value = false;
	}
	req->need_ttl = attr_needed(attrs, table->ttl_attno);
}

/* Number of values an IN-list expression holds, for estimates. */
static double
list_size(Expr *expr)
{
	if (IsA(expr, Const) && !((Const *) expr)->constisnull)
	{
		ArrayType  *arr = DatumGetArrayTypeP(((Const *) expr)->constvalue);

		return Max(ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)), 1);
	}
	if (IsA(expr, ArrayExpr))
		return Max(list_length(((ArrayExpr *) expr)->elements), 1);
	return 10;
}

static PegFdwCond *
find_kind(PegFdwRequest *req, PegFdwCondKind k1, PegFdwCondKind k2)
{
	ListCell   *lc;

	foreach(lc, req->conds)
	{
		PegFdwCond *c = lfirst(lc);

		if (c->kind == k1 || c->kind == k2)
			return c;
	}
	return NULL;
}

/* Estimated startup and total cost of running req returning rows rows. */
static void
request_cost(PegFdwRelationInfo *fpinfo, PegFdwRequest *req, double rows,
			 Cost *startup, Cost *total)
{
	PegFdwTable *table = fpinfo->table;
	double		nhash = 1;
	PegFdwCond *hc = find_kind(req, PEGFDW_COND_HASH_EQ, PEGFDW_COND_HASH_IN);
	double		fetched;
	double		rpcs;

	if (hc && hc->kind == PEGFDW_COND_HASH_IN)
		nhash = list_size(hc->expr);
	else if ((hc = find_kind(req, PEGFDW_COND_KEY_PAIRS, PEGFDW_COND_KEY_PAIRS)))
		nhash = Max(list_size(hc->expr) / 2, 1);
	switch (req->op)
	{
		case PEGFDW_OP_SCAN:
		case PEGFDW_OP_COUNT_SCAN:
			rpcs = (double) fpinfo->partition_count / table->scan_parallelism +
				fpinfo->table_rows / table->fetch_size / table->scan_parallelism;
			fetched = req->op == PEGFDW_OP_SCAN ? fpinfo->table_rows : 0;
			/* server-side filters still visit every record */
			if (req->conds != NIL && req->op == PEGFDW_OP_SCAN)
				fetched = Max(rows, fpinfo->table_rows * 0.1);
			*startup = PEGFDW_RPC_COST;
			*total = PEGFDW_RPC_COST * rpcs + fetched * PEGFDW_ROW_COST +
				rows * cpu_tuple_cost + fpinfo->table_rows * 0.001;
			return;
		case PEGFDW_OP_POINT:
			/* one round; batch_get sends one request per partition at once */
			rpcs = 1;
			if (req->has_hash_in)
				rpcs += (Min(nhash, fpinfo->partition_count) - 1) *
					PEGFDW_PARALLEL_RPC_COST / PEGFDW_RPC_COST;
			break;
		case PEGFDW_OP_RANGE:
		case PEGFDW_OP_COUNT_HASH:
			rpcs = nhash * (1 + fpinfo->rows_per_hash_key / table->fetch_size);
			break;
		default:
			rpcs = 1;
	}
	fetched = rows;
	if (req->op == PEGFDW_OP_RANGE && find_kind(req, PEGFDW_COND_SORT_PREFIX,
												PEGFDW_COND_SORT_POSTFIX))
		fetched = Max(rows, nhash * fpinfo->rows_per_hash_key);
	*startup = PEGFDW_RPC_COST;
	*total = PEGFDW_RPC_COST * rpcs + fetched * PEGFDW_ROW_COST +
		rows * cpu_tuple_cost;
}

/*
 * Cost of the batched key join's lookups (join_exec.c): outer_rows outer rows cut
 * into batches of batch_rows, keys_per_row keys each (1, or the mapped sort
 * keys of a wide table), rows records received.  One round per batch with
 * the batch's partitions in parallel, then every key and every record.
 * Excludes the outer side and the join's own per-row work.
 */
Cost
pegfdw_batched_join_cost(PegFdwRelationInfo *fpinfo, double outer_rows,
						 int batch_rows, double keys_per_row, double rows)
{
	double		batches = ceil(Max(outer_rows, 1) / Max(batch_rows, 1));
	double		keys = Max(outer_rows, 1) * keys_per_row;
	double		per_batch = Min(keys / batches, fpinfo->partition_count);

	return batches * (PEGFDW_RPC_COST +
					  (Max(per_batch, 1) - 1) * PEGFDW_PARALLEL_RPC_COST) +
		keys * PEGFDW_KEY_COST + rows * PEGFDW_ROW_COST;
}

/*
 * Cost of the batched key join's range reads (join_exec.c; kv layout,
 * hash key only): every hash key of outer_rows a range of rows_per_hash_key
 * records in fetch_size pages, in_flight hash keys requested at once, rows
 * records received.
 */
Cost
pegfdw_batched_range_join_cost(PegFdwRelationInfo *fpinfo, double outer_rows,
							   int in_flight, double rows)
{
	double		keys = Max(outer_rows, 1);
	double		pages = 1 + fpinfo->rows_per_hash_key / fpinfo->table->fetch_size;

	return ceil(keys / Max(in_flight, 1)) * pages * PEGFDW_RPC_COST +
		keys * pages * PEGFDW_PARALLEL_RPC_COST + rows * PEGFDW_ROW_COST;
}

/*
 * Cost of the batched key join's sort-key lists (join_exec.c; kv layout,
 * hash key bound, sort key = ANY (sort_list)): every hash key of outer_rows
 * one multi_get of the list's keys, in_flight hash keys requested at once.
 * *rows receives the records expected.
 */
Cost
pegfdw_batched_list_join_cost(PegFdwRelationInfo *fpinfo, double outer_rows,
							  int in_flight, Expr *sort_list, double *rows)
{
	double		keys = Max(outer_rows, 1);
	double		per_key = list_size(sort_list);

	*rows = Min(keys * Min(per_key, Max(fpinfo->rows_per_hash_key, 1)),
				fpinfo->table_rows);
	return ceil(keys / Max(in_flight, 1)) * PEGFDW_RPC_COST +
		keys * PEGFDW_PARALLEL_RPC_COST + keys * per_key * PEGFDW_KEY_COST +
		*rows * PEGFDW_ROW_COST;
}

/*
 * GetForeignRelSize: reads the table definition, sorts restrictions into
 * pushable conditions and the rest, and estimates the number of rows.
 */
void
pegfdw_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	PegFdwRelationInfo *fpinfo = palloc0(sizeof(PegFdwRelationInfo));
	PegFdwTable *table = pegfdw_get_table(foreigntableid);
	List	   *local_exprs;
	Selectivity sel;

	baserel->fdw_private = fpinfo;
	fpinfo->table = table;
	fpinfo->partition_count = partition_count(table);
	fpinfo->candidates = pegfdw_collect_conditions(root, baserel, table,
												   baserel->baserestrictinfo,
												   &fpinfo->other_rinfos);
	fpinfo->base = pegfdw_choose_request(table, fpinfo->candidates,
										 fpinfo->other_rinfos);
	local_exprs = extract_actual_clauses(fpinfo->base->local_rinfos, false);
	fpinfo->attrs_used = needed_attrs(baserel, local_exprs);
	set_request_flags(table, fpinfo->base, fpinfo->attrs_used);

	/* ANALYZE fills reltuples; until then guess from the partition count. */
	if (baserel->tuples > 0)
		fpinfo->table_rows = baserel->tuples;
	else
		fpinfo->table_rows = fpinfo->partition_count *
			PEGFDW_DEFAULT_ROWS_PER_PARTITION;
	fpinfo->rows_per_hash_key = PEGFDW_DEFAULT_ROWS_PER_HASH_KEY;
	if (baserel->tuples <= 0)
		baserel->tuples = fpinfo->table_rows;

	sel = clauselist_selectivity(root, baserel->baserestrictinfo, 0,
								 JOIN_INNER, NULL);
	baserel->rows = clamp_row_est(fpinfo->table_rows * sel);
	if (fpinfo->base->op == PEGFDW_OP_POINT)
	{
		/* one row per key pair at most */
		PegFdwCond *h = find_kind(fpinfo->base, PEGFDW_COND_HASH_EQ, PEGFDW_COND_HASH_IN);
		PegFdwCond *s = find_kind(fpinfo->base, PEGFDW_COND_SORT_EQ, PEGFDW_COND_SORT_IN);
		PegFdwCond *p = find_kind(fpinfo->base, PEGFDW_COND_KEY_PAIRS, PEGFDW_COND_KEY_PAIRS);
		double		n;

		if (p)
			n = Max(list_size(p->expr) / 2, 1);
		else
			n = (h->kind == PEGFDW_COND_HASH_IN ? list_size(h->expr) : 1) *
				(s ? (s->kind == PEGFDW_COND_SORT_IN ? list_size(s->expr) : 1) : 1);
		if (p || s || table->layout == PEGFDW_LAYOUT_WIDE)
			baserel->rows = clamp_row_est(Min(baserel->rows, n));
	}
}

/*
 * Is the rel's output limited to root->limit_tuples rows by a constant
 * LIMIT with nothing between the scan and the limit but (matching) order?
 */
static int64
hard_limit(PlannerInfo *root, RelOptInfo *baserel, PegFdwRequest *req,
		   List *pathkeys)
{
	Query	   *parse = root->parse;

	if (root->limit_tuples <= 0 || req->local_rinfos != NIL)
		return -1;
	if (!parse->limitCount || !IsA(parse->limitCount, Const))
		return -1;
	if (parse->limitOffset && !IsA(parse->limitOffset, Const))
		return -1;
	if (!bms_equal(root->all_baserels, baserel->relids))
		return -1;
	if (root->query_pathkeys != NIL &&
		!pathkeys_contained_in(root->query_pathkeys, pathkeys))
		return -1;
	if (root->limit_tuples > (double) PG_INT32_MAX)
		return -1;
	return (int64) root->limit_tuples;
}

/*
 * If the query orders by the sort key (bytewise) and req reads one hash
 * key's range, returns the query's pathkeys and sets *reverse for DESC.
 */
static List *
sort_key_pathkeys(PlannerInfo *root, RelOptInfo *baserel, PegFdwTable *table,
				  PegFdwRequest *req, bool *reverse)
{
	PathKey    *pk;
	ListCell   *lc;
	Oid			keytype;

	if (req->op != PEGFDW_OP_RANGE || !req->has_hash_eq ||
		list_length(root->query_pathkeys) != 1)
		return NIL;
	pk = linitial(root->query_pathkeys);
	keytype = table->columns[table->sort_attno - 1].basetype;
	if (keytype == BYTEAOID ? pk->pk_opfamily != BYTEA_BTREE_FAM_OID :
		!(pk->pk_opfamily == TEXT_PATTERN_BTREE_FAM_OID ||
		  (pk->pk_opfamily == TEXT_BTREE_FAM_OID &&
		   OidIsValid(pk->pk_eclass->ec_collation) &&
		   pegfdw_collation_is_c(pk->pk_eclass->ec_collation))))
		return NIL;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Node	   *e = (Node *) em->em_expr;

		while (e && IsA(e, RelabelType))
			e = (Node *) ((RelabelType *) e)->arg;
		if (e && IsA(e, Var) && ((Var *) e)->varno == (int) baserel->relid &&
			((Var *) e)->varattno == table->sort_attno &&
			((Var *) e)->varlevelsup == 0)
		{
			*reverse = pegfdw_pathkey_is_desc(pk);
			return root->query_pathkeys;
		}
	}
	return NIL;
}

static ForeignPath *
make_path(PlannerInfo *root, RelOptInfo *baserel, PegFdwRequest *req,
		  double rows, List *pathkeys, Relids required_outer)
{
	PegFdwRelationInfo *fpinfo = baserel->fdw_private;
	PegFdwPathSpec *spec = palloc0(sizeof(PegFdwPathSpec));
	Cost		startup;
	Cost		total;
	double		fetched = rows;

	if (req->limit > 0)
		fetched = Min(rows, (double) req->limit);
	request_cost(fpinfo, req, fetched, &startup, &total);
	spec->request = req;
	return create_foreignscan_path(root, baserel, NULL, rows, 0, startup, total,
								   pathkeys, required_outer, NULL, NIL,
								   list_make1(spec));
}

static PegFdwRequest *
copy_request(PegFdwRequest *req)
{
	PegFdwRequest *c = palloc(sizeof(PegFdwRequest));

	*c = *req;
	return c;
}

/* EC callback: members that are our hash key (or sort key) column. */
static bool
ec_member_is_key(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				 EquivalenceMember *em, void *arg)
{
	AttrNumber	attno = *(AttrNumber *) arg;
	Node	   *e = (Node *) em->em_expr;

	while (e && IsA(e, RelabelType))
		e = (Node *) ((RelabelType *) e)->arg;
	return e && IsA(e, Var) && ((Var *) e)->varno == (int) rel->relid &&
		((Var *) e)->varattno == attno && ((Var *) e)->varlevelsup == 0;
}

/*
 * Adds paths parameterized by a join on the hash key (and the sort key when
 * the same outer relations give it too): one lookup per outer row.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel)
{
	PegFdwRelationInfo *fpinfo = baserel->fdw_private;
	PegFdwTable *table = fpinfo->table;
	AttrNumber	hash = table->hash_attno;
	AttrNumber	sort = table->layout == PEGFDW_LAYOUT_KV ? table->sort_attno : 0;
	List	   *hash_clauses;
	List	   *sort_clauses = NIL;
	List	   *rest;
	List	   *join_conds;
	ListCell   *lc;

	hash_clauses = generate_implied_equalities_for_column(root, baserel,
														  ec_member_is_key,
														  &hash, NULL);
	if (sort)
		sort_clauses = generate_implied_equalities_for_column(root, baserel,
															  ec_member_is_key,
															  &sort, NULL);
	/* plain join clauses too (e.g. hash_key = ANY (t.keys)) */
	hash_clauses = list_concat(hash_clauses, list_copy(baserel->joininfo));

	join_conds = pegfdw_collect_conditions(root, baserel, table,
										   list_concat(hash_clauses, sort_clauses),
										   &rest);
	foreach(lc, join_conds)
	{
		PegFdwCond *hc = lfirst(lc);
		Relids		outer;
		List	   *conds;
		List	   *param_rinfos;
		ListCell   *lc2;
		PegFdwRequest *req;
		double		rows;
		ForeignPath *path;

		if (hc->kind != PEGFDW_COND_HASH_EQ && hc->kind != PEGFDW_COND_HASH_IN)
			continue;
		outer = bms_difference(hc->rinfo->clause_relids, baserel->relids);
		if (bms_is_empty(outer) || bms_overlap(outer, baserel->relids))
			continue;
		conds = list_make1(hc);
		param_rinfos = list_make1(hc->rinfo);
		foreach(lc2, join_conds)
		{
			PegFdwCond *sc = lfirst(lc2);

			if (sc->kind == PEGFDW_COND_SORT_EQ &&
				bms_is_subset(bms_difference(sc->rinfo->clause_relids,
											 baserel->relids), outer))
			{
				conds = lappend(conds, sc);
				param_rinfos = lappend(param_rinfos, sc->rinfo);
				break;
			}
		}
		conds = list_concat(conds, list_copy(fpinfo->candidates));
		req = pegfdw_choose_request(table, conds, fpinfo->other_rinfos);
		set_request_flags(table, req, fpinfo->attrs_used);
		rows = get_parameterized_baserel_size(root, baserel, param_rinfos);
		if (req->op == PEGFDW_OP_POINT && req->has_sort_point)
			rows = Min(rows, 1);
		else if (req->op == PEGFDW_OP_RANGE)
			rows = Min(rows, fpinfo->rows_per_hash_key);
		rows = clamp_row_est(rows);
		path = make_path(root, baserel, req, rows, NIL, outer);
		add_path(baserel, (Path *) path);
	}
}

/*
 * GetForeignPaths: the plain path, a path ordered by the sort key when the
 * query wants that order, and parameterized paths for key joins.
 */
void
pegfdw_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	PegFdwRelationInfo *fpinfo = baserel->fdw_private;
	PegFdwRequest *req = copy_request(fpinfo->base);
	List	   *pathkeys;
	bool		reverse = false;
	ForeignPath *plain;

	req->limit = hard_limit(root, baserel, req, NIL);
	plain = make_path(root, baserel, req, baserel->rows, NIL, NULL);
	/* whole-table scans may also be shared by parallel workers */
	pegfdw_add_partial_path(root, baserel, plain, fpinfo->partition_count,
							fpinfo->table_rows * PEGFDW_ROW_COST +
							baserel->rows * cpu_tuple_cost);
	add_path(baserel, (Path *) plain);

	pathkeys = sort_key_pathkeys(root, baserel, fpinfo->table, fpinfo->base,
								 &reverse);
	if (pathkeys != NIL)
	{
		req = copy_request(fpinfo->base);
		req->reverse = reverse;
		req->limit = hard_limit(root, baserel, req, pathkeys);
		add_path(baserel, (Path *) make_path(root, baserel, req, baserel->rows,
											 pathkeys, NULL));
	}

	add_parameterized_paths(root, baserel);
}

/* Builds fdw_exprs and the kinds list from a request's conditions. */
static void
conditions_to_lists(PegFdwRequest *req, List **exprs, List **kinds)
{
	ListCell   *lc;

	*exprs = NIL;
	*kinds = NIL;
	foreach(lc, req->conds)
	{
		PegFdwCond *c = lfirst(lc);

		*exprs = lappend(*exprs, c->expr);
		*kinds = lappend_int(*kinds, c->kind);
	}
}

static List *
attrs_to_list(PegFdwTable *table, Bitmapset *attrs)
{
	List	   *list = NIL;
	int			i;

	for (i = 1; i <= table->natts; i++)
		if (attr_needed(attrs, i))
			list = lappend_int(list, i);
	return list;
}

/*
 * Must match enum PegFdwScanPrivateIndex.
 */
static List *
make_private(PlannerInfo *root, PegFdwTable *table, PegFdwRequest *req,
			 List *kinds, List *retrieved)
{
	int			flags = 0;
	List	   *private;

	if (req->reverse)
		flags |= PEGFDW_FLAG_REVERSE;
	if (req->no_value)
		flags |= PEGFDW_FLAG_NO_VALUE;
	if (req->need_ttl)
		flags |= PEGFDW_FLAG_NEED_TTL;
	private = list_make5(makeInteger(req->op),
						 makeInteger((int) table->relid),
						 kinds, retrieved, makeInteger(flags));
	private = lappend(private, makeInteger((int) req->limit));
	private = lappend(private,
					  makeString(pegfdw_describe_request(root, table, req)));
	return private;
}

/*
 * GetForeignPlan.  The conditions are chosen again from scan_clauses (for a
 * parameterized path these include the join clauses, possibly as new
 * RestrictInfo objects), giving the same request as the path.
 */
ForeignScan *
pegfdw_build_plan(PlannerInfo *root, RelOptInfo *foreignrel,
				  Oid foreigntableid, ForeignPath *best_path, List *tlist,
				  List *scan_clauses, Plan *outer_plan)
{
	PegFdwPathSpec *spec = linitial(best_path->fdw_private);
	PegFdwRequest *req;
	List	   *exprs;
	List	   *kinds;
	List	   *local_exprs;
	List	   *private;

	if (IS_UPPER_REL(foreignrel))
	{
		/* count(*): all restrictions were pushed (see pegfdw_upper_paths) */
		PegFdwRelationInfo *fpinfo = foreignrel->fdw_private;
		List	   *scan_tlist = add_to_flat_tlist(NIL,
												   foreignrel->reltarget->exprs);

		req = spec->request;
		conditions_to_lists(req, &exprs, &kinds);
		private = make_private(root, fpinfo->table, req, kinds, NIL);
		return make_foreignscan(tlist, NIL, 0, exprs, private, scan_tlist,
								NIL, outer_plan);
	}
	else
	{
		PegFdwRelationInfo *fpinfo = foreignrel->fdw_private;
		List	   *rest;
		List	   *conds;
		Bitmapset  *attrs;

		conds = pegfdw_collect_conditions(root, foreignrel, fpinfo->table,
										  scan_clauses, &rest);
		req = pegfdw_choose_request(fpinfo->table, conds, rest);
		req->reverse = spec->request->reverse;
		req->limit = req->local_rinfos == NIL ? spec->request->limit : -1;
		local_exprs = extract_actual_clauses(req->local_rinfos, false);
		attrs = needed_attrs(foreignrel, local_exprs);
		set_request_flags(fpinfo->table, req, attrs);
		conditions_to_lists(req, &exprs, &kinds);
		private = make_private(root, fpinfo->table, req, kinds,
							   attrs_to_list(fpinfo->table, attrs));
		if (fpinfo->table->value_format == PEGFDW_FORMAT_JSON)
		{
			StringInfoData desc;

			initStringInfo(&desc);
			appendStringInfoString(&desc, strVal(llast(private)));
			pegfdw_describe_fields(&desc, fpinfo->table, foreignrel->relid,
								   attrs, local_exprs);
			llast(private) = makeString(desc.data);
		}
		return make_foreignscan(tlist, local_exprs, foreignrel->relid, exprs,
								private, NIL, NIL, outer_plan);
	}
}

/* Is the target list exactly count(*)? */
static bool
is_bare_count(PathTarget *target)
{
	Aggref	   *agg;

	if (list_length(target->exprs) != 1 || !IsA(linitial(target->exprs), Aggref))
		return false;
	agg = linitial(target->exprs);
	return agg->aggfnoid == F_COUNT_ && agg->aggstar && agg->aggfilter == NULL &&
		agg->aggdistinct == NIL && agg->aggorder == NIL &&
		agg->aggkind == AGGKIND_NORMAL;
}

/*
 * GetForeignUpperPaths: a bare count(*) over a Pegasus table whose
 * restrictions are all pushed runs as sortkey_count (one hash key per
 * value, no sort-key condition) or as a server-side counting scan.
 */
void
pegfdw_upper_paths(PlannerInfo *root, UpperRelationKind stage,
				   RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra)
{
	PegFdwRelationInfo *in_info = input_rel->fdw_private;
	PegFdwRelationInfo *out_info;
	Query	   *parse = root->parse;
	PegFdwRequest *req;
	PegFdwPathSpec *spec;
	Cost		startup;
	Cost		total;
	ForeignPath *path;

	if (stage != UPPERREL_GROUP_AGG || in_info == NULL ||
		input_rel->reloptkind != RELOPT_BASEREL || output_rel->fdw_private)
		return;
	if (in_info->table->layout != PEGFDW_LAYOUT_KV)
		return;
	if (parse->groupClause || parse->groupingSets || parse->havingQual ||
		parse->hasWindowFuncs || !is_bare_count(output_rel->reltarget))
		return;
	if (in_info->base->local_rinfos != NIL)
		return;

	req = copy_request(in_info->base);
	req->limit = -1;
	req->no_value = true;
	req->need_ttl = false;
	if (req->op == PEGFDW_OP_SCAN)
		req->op = PEGFDW_OP_COUNT_SCAN;
	else if (req->op == PEGFDW_OP_RANGE && list_length(req->conds) == 1)
		req->op = PEGFDW_OP_COUNT_HASH;
	else
		return;

	out_info = palloc0(sizeof(PegFdwRelationInfo));
	*out_info = *in_info;
	output_rel->fdw_private = out_info;
	request_cost(in_info, req, 1, &startup, &total);
	/* much cheaper than shipping every row to count it locally */
	total = total * 0.5;
	spec = palloc0(sizeof(PegFdwPathSpec));
	spec->request = req;
	path = create_foreign_upper_path(root, output_rel, output_rel->reltarget,
									 1, 0, startup, total, NIL, NULL, NIL,
									 list_make1(spec));
	add_path(output_rel, (Path *) path);
}
