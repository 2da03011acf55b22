/*-------------------------------------------------------------------------
 *
 * compat.h
 *		What differs between the PostgreSQL versions pegasus_fdw supports
 *		(15 to 19), in one place.
 *
 * The FDW's code is written against the current API; for an older server
 * the macros below map a current call onto the older one.  A function-like
 * macro named like the function it wraps is not expanded again inside its
 * own expansion, so `create_foreignscan_path(...)` below calls the real
 * function with the older argument list.
 *
 * src/fdw/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_COMPAT_H
#define PEGFDW_COMPAT_H

#include "postgres.h"

#include "access/stratnum.h"
#include "executor/instrument.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "nodes/pathnodes.h"
#include "optimizer/pathnode.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/wait_event.h"

/* 16 moved the varlena macros (VARSIZE_ANY ...) to varatt.h; from 19 on,
 * postgres.h no longer includes it. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
/* PG_TEMP_FILES_DIR and PG_TEMP_FILE_PREFIX moved from storage/fd.h */
#include "common/file_utils.h"
#endif

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 200000
#error "pegasus_fdw supports PostgreSQL 15 to 19"
#endif

/*
 * EXPLAIN: 18 moved ExplainState to commands/explain_state.h and the
 * ExplainProperty* functions to commands/explain_format.h.
 */
#if PG_VERSION_NUM >= 180000
#include "commands/explain.h"
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#else
#include "commands/explain.h"
#endif

/*
 * Path constructors: 17 added fdw_restrictinfo (after fdw_outerpath), 18
 * added disabled_nodes (after rows).  The code passes both.
 */
#if PG_VERSION_NUM < 180000
#if PG_VERSION_NUM >= 170000
#define create_foreignscan_path(root, rel, target, rows, disabled_nodes, \
								startup_cost, total_cost, pathkeys, \
								required_outer, fdw_outerpath, \
								fdw_restrictinfo, fdw_private) \
	create_foreignscan_path(root, rel, target, rows, startup_cost, total_cost, \
							pathkeys, required_outer, fdw_outerpath, \
							fdw_restrictinfo, fdw_private)
#define create_foreign_upper_path(root, rel, target, rows, disabled_nodes, \
								  startup_cost, total_cost, pathkeys, \
								  fdw_outerpath, fdw_restrictinfo, fdw_private) \
	create_foreign_upper_path(root, rel, target, rows, startup_cost, \
							  total_cost, pathkeys, fdw_outerpath, \
							  fdw_restrictinfo, fdw_private)
#else
#define create_foreignscan_path(root, rel, target, rows, disabled_nodes, \
								startup_cost, total_cost, pathkeys, \
								required_outer, fdw_outerpath, \
								fdw_restrictinfo, fdw_private) \
	create_foreignscan_path(root, rel, target, rows, startup_cost, total_cost, \
							pathkeys, required_outer, fdw_outerpath, \
							fdw_private)
#define create_foreign_upper_path(root, rel, target, rows, disabled_nodes, \
								  startup_cost, total_cost, pathkeys, \
								  fdw_outerpath, fdw_restrictinfo, fdw_private) \
	create_foreign_upper_path(root, rel, target, rows, startup_cost, \
							  total_cost, pathkeys, fdw_outerpath, \
							  fdw_private)
#endif
#endif

/*
 * Wait event sets: since 17 a set belongs to a resource owner (NULL: to
 * nobody, freed explicitly) and lives in TopMemoryContext.  Before, it lived
 * in a memory context: TopMemoryContext for one kept across queries, the
 * current context for one freed at the end of the wait.
 */
#if PG_VERSION_NUM < 170000
#define CreateWaitEventSet(owner, nevents) \
	CreateWaitEventSet((owner) == NULL ? TopMemoryContext : CurrentMemoryContext, \
					   (nevents))
#endif

/*
 * Named wait events of extensions (pg_stat_activity.wait_event) came in
 * 17; before, every wait of an extension is "Extension".
 */
#if PG_VERSION_NUM < 170000
#define WaitEventExtensionNew(name) ((uint32) PG_WAIT_EXTENSION)
#endif

/*
 * Does collation compare bytewise, as Pegasus orders keys?  18 dropped
 * lc_collate_is_c() for a flag of the collation's locale.
 */
static inline bool
pegfdw_collation_is_c(Oid collation)
{
	if (!OidIsValid(collation))
		return false;
#if PG_VERSION_NUM >= 180000
	return pg_newlocale_from_collation(collation)->collate_is_c;
#else
	return lc_collate_is_c(collation);
#endif
}

/* Does a path key sort descending?  18 made its strategy a CompareType. */
static inline bool
pegfdw_pathkey_is_desc(const PathKey *pk)
{
#if PG_VERSION_NUM >= 180000
	return pk->pk_cmptype == COMPARE_GT;
#else
	return pk->pk_strategy == BTGreaterStrategyNumber;
#endif
}

/*
 * 18 counts the disabled nodes (enable_* = off) of every path, compared by
 * add_path before costs: a path built by hand carries those of its inputs.
 */
static inline void
pegfdw_path_inherit_disabled(Path *path, const Path *input)
{
#if PG_VERSION_NUM >= 180000
	path->disabled_nodes = input->disabled_nodes;
#else
	(void) path;
	(void) input;
#endif
}

/* 16 added the outer joins that can null a Var (varnullingrels). */
static inline void
pegfdw_var_copy_nullingrels(Var *dst, const Var *src)
{
#if PG_VERSION_NUM >= 160000
	dst->varnullingrels = bms_copy(src->varnullingrels);
#else
	(void) dst;
	(void) src;
#endif
}

/*
 * JSON parser (common/jsonapi.h): from 16 on, semantic actions return a
 * JsonParseErrorType; 17 gave makeJsonLexContextCstringLen a caller-owned
 * context as first argument (and const input).  Actions are declared
 * PEGFDW_JSON_ACTION name(...) and end with PEGFDW_JSON_ACTION_DONE.
 */
#include "common/jsonapi.h"
#if PG_VERSION_NUM >= 160000
#define PEGFDW_JSON_ACTION static JsonParseErrorType
#define PEGFDW_JSON_ACTION_DONE return JSON_SUCCESS
#else
#define PEGFDW_JSON_ACTION static void
#define PEGFDW_JSON_ACTION_DONE return
#endif

/* A lexer over len bytes of json (need_escapes: de-escaped strings). */
static inline JsonLexContext *
pegfdw_json_lexer(JsonLexContext *storage, const char *json, size_t len,
				  bool need_escapes)
{
#if PG_VERSION_NUM >= 170000
	return makeJsonLexContextCstringLen(storage, json, len,
										GetDatabaseEncoding(), need_escapes);
#else
	(void) storage;
	return makeJsonLexContextCstringLen((char *) json, (int) len,
										GetDatabaseEncoding(), need_escapes);
#endif
}

/*
 * A type's input function that returns false, with *edata set, for a data
 * error (class 22) instead of raising it.  16 has soft errors; 15 catches
 * the error (other errors are raised in both).
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
static inline bool
pegfdw_input_soft(FmgrInfo *flinfo, char *str, Oid ioparam, int32 typmod,
				  Datum *result, ErrorData **edata)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};

	escontext.details_wanted = true;
	if (InputFunctionCallSafe(flinfo, str, ioparam, typmod,
							  (Node *) &escontext, result))
		return true;
	*edata = escontext.error_data;
	return false;
#else
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		*result = InputFunctionCall(flinfo, str, ioparam, typmod);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
		{
			FreeErrorData(e);
			PG_RE_THROW();
		}
		FlushErrorState();
		*edata = e;
		ok = false;
	}
	PG_END_TRY();
	return ok;
#endif
}

/*
 * Shared memory of the call statistics (src/fdw/stats_shared.c).  17 added
 * named DSM segments, so that an extension loaded without
 * shared_preload_libraries can have shared memory; 19 gave their
 * initializer an argument.  19 also names an LWLock tranche when it is
 * created, instead of registering the name in every backend.
 */
#if PG_VERSION_NUM >= 170000
#define PEGFDW_HAVE_NAMED_DSM 1
#include "storage/dsm_registry.h"
#endif
#if PG_VERSION_NUM >= 190000
#define PEGFDW_DSM_INIT_ARGS void *ptr, void *arg
#define pegfdw_named_dsm(name, size, init, found) \
	GetNamedDSMSegment((name), (size), (init), (found), NULL)
#define pegfdw_new_tranche(name) LWLockNewTrancheId(name)
#define pegfdw_register_tranche(id, name) ((void) 0)
#elif PG_VERSION_NUM >= 170000
#define PEGFDW_DSM_INIT_ARGS void *ptr
#define pegfdw_named_dsm(name, size, init, found) \
	GetNamedDSMSegment((name), (size), (init), (found))
#define pegfdw_new_tranche(name) LWLockNewTrancheId()
#define pegfdw_register_tranche(id, name) LWLockRegisterTranche((id), (name))
#else
#define pegfdw_new_tranche(name) LWLockNewTrancheId()
#define pegfdw_register_tranche(id, name) LWLockRegisterTranche((id), (name))
#endif

/*
 * 18 added custom kinds of cumulative statistics, which a library loaded by
 * shared_preload_libraries registers (src/fdw/stats_shared.c).
 */
#if PG_VERSION_NUM >= 180000
#define PEGFDW_HAVE_CUSTOM_PGSTAT 1
#endif

/* 18 replaced pg_attribute_noreturn(), written after a declaration, by
 * pg_noreturn, written before it. */
#ifndef pg_noreturn
#define pg_noreturn _Noreturn
#endif

/*
 * A plan node's instrumentation (PlanState.instrument): PostgreSQL 19
 * calls its struct NodeInstrumentation.
 */
#if PG_VERSION_NUM >= 190000
typedef NodeInstrumentation PegFdwNodeInstrumentation;
#else
typedef Instrumentation PegFdwNodeInstrumentation;
#endif

#endif							/* PEGFDW_COMPAT_H */
