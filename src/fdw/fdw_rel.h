/*-------------------------------------------------------------------------
 *
 * fdw_rel.h
 *		The structs every part of the FDW shares (a foreign table and its
 *		columns, a planned request, the planner state of a relation) and the
 *		test that tells this wrapper's relations from others.
 *
 * The planner and executor parts (src/fdw) and the front door
 * (pegasus_fdw.c) include it through pegasus_fdw.h; the test lives in
 * fdw_rel.c, so that no part has to call into the front door.
 *
 * src/fdw/fdw_rel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_FDW_REL_H
#define PEGFDW_FDW_REL_H

#include "nodes/pathnodes.h"

/* Role a column of a foreign table plays. */
typedef enum PegFdwColumnRole
{
	PEGFDW_ROLE_NONE = 0,		/* wide layout: a sort key column */
	PEGFDW_ROLE_HASH_KEY,
	PEGFDW_ROLE_SORT_KEY,
	PEGFDW_ROLE_VALUE,
	PEGFDW_ROLE_TTL,
	PEGFDW_ROLE_FIELD,			/* value_format 'json': a field of the document */
	PEGFDW_ROLE_DOCUMENT		/* value_format 'json': the whole document */
} PegFdwColumnRole;

/* The name of a role, as the column option "role" spells it. */
static inline const char *
pegfdw_role_name(PegFdwColumnRole role)
{
	static const char *const names[] = {
		"", "hash_key", "sort_key", "value", "ttl", "field", "document"
	};

	return names[role];
}

/* How a record's value maps onto columns (table option value_format). */
typedef enum PegFdwValueFormat
{
	PEGFDW_FORMAT_RAW = 0,		/* the value column holds the bytes */
	PEGFDW_FORMAT_JSON			/* columns are fields of a JSON object */
} PegFdwValueFormat;

typedef enum PegFdwLayout
{
	PEGFDW_LAYOUT_KV = 0,		/* one SQL row per (hash key, sort key) */
	PEGFDW_LAYOUT_WIDE			/* one SQL row per hash key */
} PegFdwLayout;

/* One column of a foreign table, as the FDW sees it. */
typedef struct PegFdwColumn
{
	AttrNumber	attnum;
	char	   *name;
	Oid			typid;			/* declared type */
	Oid			basetype;		/* base type if typid is a domain */
	int32		typmod;
	Oid			collation;
	bool		dropped;
	PegFdwColumnRole role;
	char	   *wide_sort_key;	/* wide layout: the sort key it reads */
	char	  **json_path;		/* field or document: keys from the top */
	int			json_npath;		/* 0 for the document column */
} PegFdwColumn;

/* Reading state of JSON documents (json_doc_read.c). */
typedef struct PegFdwDocReader PegFdwDocReader;

/*
 * Everything the FDW needs to know about one foreign table: the cluster
 * (server options), the Pegasus table and the column roles.  Built by
 * pegfdw_get_table(), which also checks the definition as a whole.
 */
typedef struct PegFdwTable
{
	Oid			relid;
	char	   *relname;		/* foreign table name */
	Oid			serverid;
	char	   *servername;
	char	   *meta_servers;
	char	   *table_name;		/* Pegasus table */
	PegFdwLayout layout;
	int			connect_timeout_ms;
	int			timeout_ms;
	int			fetch_size;
	int			batch_size;
	int			scan_parallelism;
	double		scan_rate_limit;	/* rows per second, 0 = off */
	bool		async_capable;	/* may run concurrently under an Append */

	AttrNumber	hash_attno;		/* 0 when absent */
	AttrNumber	sort_attno;
	AttrNumber	value_attno;
	AttrNumber	ttl_attno;
	int			natts;
	PegFdwColumn *columns;		/* indexed by attnum - 1 */

	/* value_format 'json' */
	PegFdwValueFormat value_format;
	bool		bad_document_null;	/* on_bad_document 'null' */
	bool		json_nulls_write;	/* json_nulls 'write' */
	AttrNumber	document_attno; /* 0 when absent */
	int			nfields;		/* field columns */
	PegFdwDocReader *doc;		/* set up by pegfdw_make_type_io */
} PegFdwTable;

/* Options of one server, as the connection cache needs them. */
typedef struct PegFdwServerOptions
{
	char	   *meta_servers;
	int			connect_timeout_ms;
	int			timeout_ms;
	bool		kerberos;		/* auth 'kerberos' */
	char	   *kerberos_service_name;	/* NULL = default */
	char	   *kerberos_service_fqdn;	/* NULL = each endpoint's host */
} PegFdwServerOptions;

/* Kerberos credentials of a user mapping (set by superusers only) */
typedef struct PegFdwUserOptions
{
	char	   *kerberos_principal;
	char	   *kerberos_keytab;
	char	   *kerberos_ccache;
} PegFdwUserOptions;

/* Which Pegasus operation a scan runs (see pushdown.c). */
typedef enum PegFdwOperation
{
	PEGFDW_OP_SCAN = 0,			/* every partition, concurrently */
	PEGFDW_OP_POINT,			/* get / multi_get / batch_get */
	PEGFDW_OP_RANGE,			/* multi_get_range pages within hash keys */
	PEGFDW_OP_COUNT_HASH,		/* count(*) of hash keys: sortkey_count */
	PEGFDW_OP_COUNT_SCAN		/* count(*) of the table: counting scanner */
} PegFdwOperation;

/*
 * Kinds of pushed conditions.  Each pushed condition is a (kind, expression)
 * pair: the kinds travel in fdw_private, the expressions in fdw_exprs, in
 * the same order, so that parameters are evaluated at execution time.
 */
typedef enum PegFdwCondKind
{
	PEGFDW_COND_HASH_EQ = 0,	/* hash_key = expr */
	PEGFDW_COND_HASH_IN,		/* hash_key = ANY(array expr) */
	PEGFDW_COND_SORT_EQ,
	PEGFDW_COND_SORT_IN,
	PEGFDW_COND_SORT_GT,
	PEGFDW_COND_SORT_GE,
	PEGFDW_COND_SORT_LT,
	PEGFDW_COND_SORT_LE,
	PEGFDW_COND_HASH_PREFIX,	/* server-side key filters; expr is a Const */
	PEGFDW_COND_HASH_POSTFIX,
	PEGFDW_COND_HASH_ANYWHERE,
	PEGFDW_COND_SORT_PREFIX,
	PEGFDW_COND_SORT_POSTFIX,
	PEGFDW_COND_SORT_ANYWHERE,
	PEGFDW_COND_KEY_PAIRS		/* (hash_key, sort_key) IN ((h, s), ...): expr
								 * is ARRAY[h1, s1, h2, s2, ...] */
} PegFdwCondKind;

/* A condition the planner can hand to Pegasus. */
typedef struct PegFdwCond
{
	PegFdwCondKind kind;
	Expr	   *expr;			/* value, array or pattern */
	RestrictInfo *rinfo;		/* the clause it came from */
	bool		exact;			/* Pegasus applies it exactly: no recheck */
} PegFdwCond;

/*
 * A scan request as planned: the operation and the conditions it uses.
 * Built by pegfdw_choose_request() from a set of candidate conditions.
 */
typedef struct PegFdwRequest
{
	PegFdwOperation op;
	List	   *conds;			/* PegFdwCond *, pushed */
	List	   *local_rinfos;	/* RestrictInfos left to check locally */
	bool		has_hash_eq;	/* exactly one hash key value */
	bool		has_hash_in;
	bool		has_sort_point;
	bool		reverse;
	bool		no_value;
	bool		need_ttl;
	int64		limit;			/* rows the scan may stop after, -1 = all */
} PegFdwRequest;

/*
 * Planner state of a foreign base relation (RelOptInfo->fdw_private).
 */
typedef struct PegFdwRelationInfo
{
	PegFdwTable *table;
	List	   *candidates;		/* PegFdwCond * from baserestrictinfo */
	List	   *other_rinfos;	/* restrictions no condition came from */
	PegFdwRequest *base;		/* request of the unparameterized path */
	Bitmapset  *attrs_used;
	int			partition_count;
	double		table_rows;		/* estimated rows in the whole table */
	double		rows_per_hash_key;
} PegFdwRelationInfo;

/* Per-path choice handed from GetForeignPaths to GetForeignPlan. */
typedef struct PegFdwPathSpec
{
	PegFdwRequest *request;
} PegFdwPathSpec;

/*
 * Items in fdw_private of a Pegasus ForeignScan.  Built by pegfdw_build_plan
 * with list_make*() in this order; read by pegfdw_begin_scan and the EXPLAIN
 * code with list_nth(..., PegFdwScanPrivate...).
 */
enum PegFdwScanPrivateIndex
{
	PegFdwScanPrivateOperation,	/* Integer: PegFdwOperation */
	PegFdwScanPrivateTableOid,	/* Integer: foreign table OID */
	PegFdwScanPrivateCondKinds, /* Integer list, parallel to fdw_exprs */
	PegFdwScanPrivateRetrievedAttrs,	/* Integer list of attnums used */
	PegFdwScanPrivateFlags,		/* Integer: PEGFDW_FLAG_* bits */
	PegFdwScanPrivateLimit,		/* Integer: row limit, -1 = none */
	PegFdwScanPrivateDescription	/* String: the request, for EXPLAIN */
};

#define PEGFDW_FLAG_REVERSE		0x01
#define PEGFDW_FLAG_NO_VALUE	0x02
#define PEGFDW_FLAG_NEED_TTL	0x04

/* in fdw_rel.c */
extern bool pegfdw_is_pegasus_rel(RelOptInfo *rel);

#endif							/* PEGFDW_FDW_REL_H */
