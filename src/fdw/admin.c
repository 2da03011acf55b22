/*-------------------------------------------------------------------------
 *
 * admin.c
 *		Table administration from SQL (create, drop, list Pegasus tables)
 *		and IMPORT FOREIGN SCHEMA.
 *
 * Imported tables have the columns hash_key text, sort_key text,
 * value text and ttl integer.  Values that are not valid text in the
 * database encoding then fail to read; change the value column to bytea
 * (ALTER FOREIGN TABLE ... ALTER COLUMN value TYPE bytea) for binary data.
 * With OPTIONS (value_format 'json'), tables of documents: a column per
 * top-level field found in a sample of the records (import_json.c), the
 * document column and the ttl.
 *
 * src/fdw/admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "pegasus_fdw.h"

PG_FUNCTION_INFO_V1(pegasus_fdw_create_table);
PG_FUNCTION_INFO_V1(pegasus_fdw_drop_table);
PG_FUNCTION_INFO_V1(pegasus_fdw_list_tables);

static ForeignServer *
server_of(Name name)
{
	ForeignServer *server = GetForeignServerByName(NameStr(*name), false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);

	if (strcmp(fdw->fdwname, "pegasus_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a Pegasus server", server->servername)));
	return server;
}

static void
check_admin_call(bool ok, PegasusError *err, ForeignServer *server,
				 const char *table)
{
	PegFdwConnEntry *entry;

	if (!ok)
	{
		pegfdw_get_client(server->serverid, &entry);
		pegfdw_note_failure(entry, err);
	}
	pegfdw_check_call(ok, err, server->servername, table);
}

Datum
pegasus_fdw_create_table(PG_FUNCTION_ARGS)
{
	ForeignServer *server = server_of(PG_GETARG_NAME(0));
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		partitions = PG_GETARG_INT32(2);
	PegasusClient *client = pegfdw_get_client(server->serverid, NULL);
	PegasusAppCreateOptions opts;
	PegasusError err;
	int32_t		app_id = 0;
	bool		ok;

	if (partitions < 1 || (partitions & (partitions - 1)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid partition count %d", partitions),
				 errhint("The partition count must be a power of two.")));
	pegasus_create_app_options_init(&opts);
	opts.partition_count = partitions;
	pegasus_error_clear(&err);
	ok = pegasus_client_create_app(client, table, &opts, 30000, &app_id, &err);
	check_admin_call(ok, &err, server, table);
	pegasus_client_invalidate(client, table);
	PG_RETURN_VOID();
}

Datum
pegasus_fdw_drop_table(PG_FUNCTION_ARGS)
{
	ForeignServer *server = server_of(PG_GETARG_NAME(0));
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PegasusClient *client = pegfdw_get_client(server->serverid, NULL);
	PegasusError err;
	bool		ok;

	pegasus_error_clear(&err);
	ok = pegasus_client_drop_app(client, table, false, 30000, &err);
	check_admin_call(ok, &err, server, table);
	pegasus_client_invalidate(client, table);
	PG_RETURN_VOID();
}

/* Lists the available tables of a server's cluster (caller frees). */
static PegasusAppList *
list_apps(ForeignServer *server)
{
	PegasusClient *client = pegfdw_get_client(server->serverid, NULL);
	PegasusAppList *apps = NULL;
	PegasusError err;
	bool		ok;

	pegasus_error_clear(&err);
	ok = pegasus_client_list_apps(client, true, 30000, &apps, &err);
	check_admin_call(ok, &err, server, NULL);
	return apps;
}

Datum
pegasus_fdw_list_tables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ForeignServer *server = server_of(PG_GETARG_NAME(0));
	PegasusAppList *apps;
	size_t		i;

	InitMaterializedSRF(fcinfo, 0);
	apps = list_apps(server);
	/* copy everything out before anything can raise an error */
	for (i = 0; i < apps->count; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(apps->apps[i].name);
		values[1] = Int32GetDatum(apps->apps[i].app_id);
		values[2] = Int32GetDatum(apps->apps[i].partition_count);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pegasus_app_list_free(apps);
	return (Datum) 0;
}

/* Is name selected by the statement's LIMIT TO / EXCEPT list? */
static bool
table_selected(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			listed = true;
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

/*
 * The options of IMPORT FOREIGN SCHEMA: value_format 'raw' (the default)
 * or 'json', and for documents sample, the records read to infer columns.
 */
static void
import_options(ImportForeignSchemaStmt *stmt, bool *json, int *sample)
{
	ListCell   *lc;
	bool		have_sample = false;

	*json = false;
	*sample = 1000;
	foreach(lc, stmt->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *v = defGetString(def);

		if (strcmp(def->defname, "value_format") == 0)
		{
			if (strcmp(v, "json") != 0 && strcmp(v, "raw") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"value_format\": \"%s\"", v),
						 errhint("Valid values are 'raw' (the default) and 'json'.")));
			*json = strcmp(v, "json") == 0;
		}
		else if (strcmp(def->defname, "sample") == 0)
		{
			char	   *end;
			long		n;

			errno = 0;
			n = strtol(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 1000000)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"sample\": \"%s\"", v),
						 errhint("Use an integer between 1 and 1000000 (records read per table).")));
			*sample = (int) n;
			have_sample = true;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errhint("Valid options of IMPORT FOREIGN SCHEMA are: value_format, sample.")));
	}
	if (have_sample && !*json)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"sample\" requires value_format 'json'"),
				 errhint("Add OPTIONS (value_format 'json') to infer the columns of documents.")));
}

List *
pegfdw_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	PegasusAppList *apps;
	List	   *names = NIL;
	List	   *commands = NIL;
	ListCell   *lc;
	size_t		i;
	bool		json;
	int			sample;

	import_options(stmt, &json, &sample);
	apps = list_apps(server);
	for (i = 0; i < apps->count; i++)
		names = lappend(names, pstrdup(apps->apps[i].name));
	pegasus_app_list_free(apps);

	foreach(lc, names)
	{
		char	   *name = lfirst(lc);
		StringInfoData buf;

		if (!table_selected(stmt, name))
			continue;
		initStringInfo(&buf);
		if (json)
		{
			appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (hash_key text, sort_key text",
							 quote_identifier(name));
			pegfdw_import_json_columns(&buf, server, name, sample);
			appendStringInfo(&buf,
							 ", document jsonb OPTIONS (document 'true'), ttl integer) SERVER %s OPTIONS (\"table\" %s, value_format 'json')",
							 quote_identifier(server->servername),
							 quote_literal_cstr(name));
		}
		else
			appendStringInfo(&buf,
							 "CREATE FOREIGN TABLE %s (hash_key text, sort_key text, value text, ttl integer) SERVER %s OPTIONS (\"table\" %s)",
							 quote_identifier(name),
							 quote_identifier(server->servername),
							 quote_literal_cstr(name));
		commands = lappend(commands, buf.data);
	}
	return commands;
}
