/*-------------------------------------------------------------------------
 *
 * pegasus_fdw.h
 *		Declarations shared by the files of the Pegasus foreign data wrapper,
 *		grouped by the file that defines them.
 *
 * FDW files talk to Pegasus only through src/client/pegasus_client.h, which
 * uses plain C types; no GLib or thrift header is included here.
 *
 * src/fdw/pegasus_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_FDW_H
#define PEGASUS_FDW_H

#include "compat.h"

#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/rel.h"

#include "pegasus_client.h"

#include "fdw_rel.h"

/* Executor state of a connection use (held by scans and modifies). */
typedef struct PegFdwConnEntry PegFdwConnEntry;

/* in option.c */
extern PegFdwTable *pegfdw_get_table(Oid relid);
extern void pegfdw_get_server_options(ForeignServer *server,
									  PegFdwServerOptions *opts);
extern void pegfdw_get_user_mapping_options(UserMapping *um,
											PegFdwUserOptions *opts);
extern bool pegfdw_key_type_supported(Oid basetype);

/* in option_json.c */
extern int	pegfdw_parse_json_path(const char *value, char ***keys);
extern void pegfdw_json_column(PegFdwTable *t, PegFdwColumn *col,
							   List *options);
extern void pegfdw_json_check_table(PegFdwTable *t, List *table_options);
extern bool pegfdw_value_needed(PegFdwTable *t, const bool *needed);
extern char *pegfdw_json_path_name(PegFdwColumn *col);

/* in connection.c */
extern PegasusClient *pegfdw_get_client(Oid serverid, PegFdwConnEntry **entry);
extern PegasusTable *pegfdw_open_table(PegFdwTable *table,
									   PegFdwConnEntry **entry_out);
extern void pegfdw_mark_uncertain(PegFdwConnEntry *entry);
extern void pegfdw_note_failure(PegFdwConnEntry *entry, const PegasusError *err);
typedef struct PegFdwPin PegFdwPin;
extern PegFdwPin *pegfdw_pin_until_reset(PegFdwConnEntry *entry, MemoryContext cxt);
extern void pegfdw_release_pin(PegFdwPin *pin);
extern void pegfdw_report_error(int elevel, const PegasusError *err,
								const char *servername, const char *tablename);
extern void pegfdw_check_call(bool ok, const PegasusError *err,
							  const char *servername, const char *tablename);
extern const char *pegfdw_error_hint(const PegasusError *err);
extern bool pegfdw_export_credentials(PegFdwConnEntry *entry, char *ccache,
									  size_t len);
extern void pegfdw_use_handed_credentials(Oid serverid, const char *ccache);

/* in pushdown.c */
extern List *pegfdw_collect_conditions(PlannerInfo *root, RelOptInfo *baserel,
									   PegFdwTable *table, List *rinfos,
									   List **rest);
extern PegFdwRequest *pegfdw_choose_request(PegFdwTable *table, List *conds,
											List *other_rinfos);
extern char *pegfdw_describe_request(PlannerInfo *root, PegFdwTable *table,
									 PegFdwRequest *request);

/* in plan.c */
extern void pegfdw_rel_size(PlannerInfo *root, RelOptInfo *baserel,
							Oid foreigntableid);
extern void pegfdw_paths(PlannerInfo *root, RelOptInfo *baserel,
						 Oid foreigntableid);
extern ForeignScan *pegfdw_build_plan(PlannerInfo *root, RelOptInfo *foreignrel,
									  Oid foreigntableid, ForeignPath *best_path,
									  List *tlist, List *scan_clauses,
									  Plan *outer_plan);
extern void pegfdw_upper_paths(PlannerInfo *root, UpperRelationKind stage,
							   RelOptInfo *input_rel, RelOptInfo *output_rel,
							   void *extra);
extern Cost pegfdw_batched_join_cost(PegFdwRelationInfo *fpinfo,
									 double outer_rows, int batch_rows,
									 double keys_per_row, double rows);
extern Cost pegfdw_batched_range_join_cost(PegFdwRelationInfo *fpinfo,
										   double outer_rows, int in_flight,
										   double rows);
extern Cost pegfdw_batched_list_join_cost(PegFdwRelationInfo *fpinfo,
										  double outer_rows, int in_flight,
										  Expr *sort_list, double *rows);

/* in scan.c */
extern void pegfdw_begin_scan(ForeignScanState *node, int eflags);
extern TupleTableSlot *pegfdw_iterate_scan(ForeignScanState *node);
extern void pegfdw_rescan(ForeignScanState *node);
extern void pegfdw_end_scan(ForeignScanState *node);
extern void pegfdw_explain_scan(ForeignScanState *node, struct ExplainState *es);

/* in convert.c */

/* Per-column conversion state (input/output functions), lazily set up. */
typedef struct PegFdwTypeIO
{
	bool		in_ready;
	bool		out_ready;
	FmgrInfo	in;
	FmgrInfo	out;
	Oid			ioparam;
} PegFdwTypeIO;

extern PegFdwTypeIO *pegfdw_make_type_io(PegFdwTable *table);
extern Datum pegfdw_bytes_to_datum(PegFdwTable *table, PegFdwTypeIO *io,
								   PegFdwColumn *col, const char *data,
								   size_t len);
extern void pegfdw_datum_to_bytes(PegFdwTable *table, PegFdwTypeIO *io,
								  PegFdwColumn *col, Datum value,
								  const char **data, size_t *len);
extern void pegfdw_fill_kv_row(PegFdwTable *table, PegFdwTypeIO *io,
							   PegasusSlice hash_key, PegasusSlice sort_key,
							   const PegasusSlice *value, int32 ttl_seconds,
							   Datum *values, bool *nulls);

/* in modify.c */
extern void pegfdw_begin_modify(ModifyTableState *mtstate,
								ResultRelInfo *rinfo, List *fdw_private,
								int subplan_index, int eflags);
extern TupleTableSlot *pegfdw_exec_insert(EState *estate, ResultRelInfo *rinfo,
										  TupleTableSlot *slot,
										  TupleTableSlot *planSlot);
extern void pegfdw_end_modify(EState *estate, ResultRelInfo *rinfo);
extern int	pegfdw_modify_capabilities(Relation rel);

/* in import.c */
extern List *pegfdw_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* in analyze.c */
extern bool pegfdw_analyze_table(Relation relation, AcquireSampleRowsFunc *func,
								 BlockNumber *totalpages);

/* ----------------------------------------------------------------------
 * Write path (modify*.c, plan_modify.c, direct_modify.c)
 * ---------------------------------------------------------------------- */

/*
 * Names of the row identity columns an UPDATE or DELETE adds to its scan:
 * the hash key and sort key columns (the attnum follows the prefix, so
 * that tables of one inheritance tree with other column numbers do not
 * clash), and for DELETE ... RETURNING the whole old row.
 */
#define PEGFDW_ROWID_HASH_KEY	"pegasus_hash_key_"
#define PEGFDW_ROWID_SORT_KEY	"pegasus_sort_key_"
#define PEGFDW_ROWID_OLD_ROW	"pegasus_old_row"

/*
 * Pegasus refuses a write request whose body is larger than the cluster's
 * max_allowed_write_size, 1 MiB by default.  Writes are cut so that each
 * request stays within it: a request is estimated from above as
 * PEGFDW_WRITE_REQUEST_BYTES plus the hash key, plus PEGFDW_WRITE_ENTRY_BYTES
 * plus the sort key and value of every record it writes or removes.
 */
#define PEGFDW_MAX_WRITE_BYTES		1048576
#define PEGFDW_WRITE_REQUEST_BYTES	128
#define PEGFDW_WRITE_ENTRY_BYTES	32

/* Kinds of direct modification (first item of the direct-modify info). */
typedef enum PegFdwDirectKind
{
	PEGFDW_DIRECT_DELETE = 0,	/* multi_del of the keys a key-only scan reads */
	PEGFDW_DIRECT_INCR			/* UPDATE value = value +/- n of one record */
} PegFdwDirectKind;

/*
 * fdw_private of a ForeignScan turned into a direct modification:
 * list_make2(info, scan private), info being (Integer kind, Integer sign,
 * Integer table OID, Integer set_processed: 1 when the statement's command
 * tag counts the rows, i.e. the plan's canSetTag); the scan private is the
 * list described by PegFdwScanPrivateIndex.  For incr, fdw_exprs are
 * (hash key, sort key, increment).
 */
enum PegFdwDirectInfoIndex
{
	PegFdwDirectInfoKind,
	PegFdwDirectInfoSign,
	PegFdwDirectInfoTableOid,
	PegFdwDirectInfoSetProcessed
};

/* in modify_send.c */
extern void pegfdw_append_key(StringInfo buf, PegasusSlice key);

/* in modify.c */
extern int	pegfdw_batch_size(ResultRelInfo *rinfo);
extern TupleTableSlot **pegfdw_exec_batch_insert(EState *estate,
												 ResultRelInfo *rinfo,
												 TupleTableSlot **slots,
												 TupleTableSlot **planSlots,
												 int *numSlots);
extern TupleTableSlot *pegfdw_exec_update(EState *estate, ResultRelInfo *rinfo,
										  TupleTableSlot *slot,
										  TupleTableSlot *planSlot);
extern TupleTableSlot *pegfdw_exec_delete(EState *estate, ResultRelInfo *rinfo,
										  TupleTableSlot *slot,
										  TupleTableSlot *planSlot);
extern void pegfdw_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo);

/* in modify_explain.c */
extern void pegfdw_explain_modify(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo, List *fdw_private,
								  int subplan_index, struct ExplainState *es);

/* in plan_modify.c */
extern void pegfdw_add_update_targets(PlannerInfo *root, Index rtindex,
									  RangeTblEntry *target_rte,
									  Relation target_relation);
extern bool pegfdw_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
									  Index resultRelation, int subplan_index);

/* in direct_modify.c */
extern void pegfdw_begin_direct_modify(ForeignScanState *node, int eflags);
extern TupleTableSlot *pegfdw_iterate_direct_modify(ForeignScanState *node);
extern void pegfdw_end_direct_modify(ForeignScanState *node);
extern void pegfdw_explain_direct_modify(ForeignScanState *node,
										 struct ExplainState *es);

/* ----------------------------------------------------------------------
 * Parallel scans (parallel.c and parallel_claim.c, with hooks in plan.c and
 * scan.c)
 * ---------------------------------------------------------------------- */

/* State shared by the processes of a parallel scan (in DSM). */
typedef struct PegFdwParallelShared PegFdwParallelShared;

/* in parallel_path.c */
extern bool pegfdw_parallel_safe(PlannerInfo *root, RelOptInfo *rel,
								 RangeTblEntry *rte);
extern void pegfdw_add_partial_path(PlannerInfo *root, RelOptInfo *baserel,
									ForeignPath *serial, int npartitions,
									Cost row_cost);

/* in parallel.c */
extern Size pegfdw_parallel_estimate(ForeignScanState *node,
									 struct ParallelContext *pcxt);
extern void pegfdw_parallel_initialize(ForeignScanState *node,
									   struct ParallelContext *pcxt,
									   void *coordinate);
extern void pegfdw_parallel_reinitialize(ForeignScanState *node,
										 struct ParallelContext *pcxt,
										 void *coordinate);
extern void pegfdw_parallel_initialize_worker(ForeignScanState *node,
											  struct shm_toc *toc,
											  void *coordinate);
extern void pegfdw_parallel_shutdown(ForeignScanState *node);

/* in parallel_claim.c, for scan.c */
extern int	pegfdw_parallel_claim(PegFdwParallelShared *shared,
								  int *partition_count);

/* in scan.c, for parallel.c */
extern int	pegfdw_scan_partition_count(ForeignScanState *node);
extern void pegfdw_scan_connect(ForeignScanState *node,
								const char *handed_ccache);
extern bool pegfdw_scan_export_credentials(ForeignScanState *node,
										   char *ccache, size_t len);
extern void pegfdw_scan_set_shared(ForeignScanState *node,
								   PegFdwParallelShared *shared);

/* in scan_last.c: the record a scan feeding an UPDATE returned last */
extern void pegfdw_scan_keep_last(ForeignScanState *node);
extern bool pegfdw_scan_last_record(ForeignScanState *node, PegasusSlice h,
									PegasusSlice s, PegasusSlice *value);

/* in convert.c: a record's columns, only those needed */
extern void pegfdw_fill_kv_columns(PegFdwTable *table, PegFdwTypeIO *io,
								   const bool *needed,
								   PegasusSlice hash_key, PegasusSlice sort_key,
								   const PegasusSlice *value, int32 ttl_seconds,
								   Datum *values, bool *nulls);

/* modify_send.c */
extern void pegfdw_write_init(void);

/* in record_keys.c */
extern void pegfdw_show_key(StringInfo buf, const PegasusSlice *key);
extern void pegfdw_append_record_keys(StringInfo buf, PegasusSlice hash_key,
									  PegasusSlice sort_key);

/* in import_json.c */
extern void pegfdw_import_json_columns(StringInfo buf, ForeignServer *server,
									   const char *name, int sample);

/* in json_doc_plan.c */
extern void pegfdw_describe_fields(StringInfo buf, PegFdwTable *t, Index relid,
								   Bitmapset *attrs, List *local_exprs);

/* in json_doc_read.c */
extern PegFdwDocReader *pegfdw_doc_reader_create(PegFdwTable *table);
extern void pegfdw_doc_fill(PegFdwTable *table, const bool *needed,
							PegasusSlice hash_key, PegasusSlice sort_key,
							PegasusSlice value, Datum *values, bool *nulls);
extern void pegfdw_doc_fill_wide(PegFdwTable *table, const bool *needed,
								 PegasusSlice hash_key, const char *sort_key,
								 PegasusSlice value, Datum *values, bool *nulls);
extern bool pegfdw_doc_group_leader(PegFdwTable *table, AttrNumber attno);
extern uint64 pegfdw_doc_bad_count(PegFdwTable *table);

/* in scan_async.c */
struct AsyncRequest;
extern bool pegfdw_async_capable_path(Path *path);
extern bool pegfdw_async_member(RelOptInfo *rel, RangeTblEntry *rte);
extern void pegfdw_async_request(struct AsyncRequest *areq);
extern void pegfdw_async_configure_wait(struct AsyncRequest *areq);
extern void pegfdw_async_notify(struct AsyncRequest *areq);

#endif							/* PEGASUS_FDW_H */
