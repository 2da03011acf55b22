/*-------------------------------------------------------------------------
 *
 * option.c
 *		Options of the Pegasus foreign data wrapper: the table of legal
 *		options, the validator, and the typed view of a foreign table
 *		(PegFdwTable) with its column roles.
 *
 * The validator sees one catalog object at a time, so it checks names and
 * values only.  Checks that need the whole table definition (two columns
 * with one role, a missing hash key column, key column types) are made by
 * pegfdw_get_table(), which runs whenever a table is planned or modified.
 *
 * src/fdw/option.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/varlena.h"

#include "pegasus_fdw.h"

typedef enum PegFdwOptionKind
{
	OPT_STRING,
	OPT_TABLE_NAME,
	OPT_META_SERVERS,
	OPT_INT,
	OPT_LAYOUT,
	OPT_ROLE,
	OPT_AUTH,					/* 'none' or 'kerberos' */
	OPT_KERBEROS_NAME,			/* a non-empty name */
	OPT_KERBEROS_PATH,			/* a path on the database server: superuser */
	OPT_VALUE_FORMAT,			/* 'raw' or 'json' */
	OPT_BAD_DOCUMENT,			/* 'error' or 'null' */
	OPT_JSON_NULLS,				/* 'omit' or 'write' */
	OPT_FIELD,					/* a top-level key of a document */
	OPT_JSON_PATH,				/* a text array: keys from the top */
	OPT_BOOL
} PegFdwOptionKind;

typedef struct PegFdwOptionDef
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	PegFdwOptionKind kind;
	int64		min;			/* OPT_INT bounds */
	int64		max;
	const char *unit;			/* OPT_INT: what the number counts */
} PegFdwOptionDef;

/*
 * Every legal option.  The server carries connection settings and defaults
 * that a foreign table may override.
 */
static const PegFdwOptionDef legal_options[] = {
	{"meta_servers", ForeignServerRelationId, OPT_META_SERVERS, 0, 0, NULL},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000, "milliseconds"},
	{"timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000, "milliseconds"},
	{"fetch_size", ForeignServerRelationId, OPT_INT, 1, 100000, "rows per request"},
	{"batch_size", ForeignServerRelationId, OPT_INT, 1, 100000, "rows per request"},
	{"scan_parallelism", ForeignServerRelationId, OPT_INT, 1, 256, "partitions scanned at once"},
	{"scan_rate_limit", ForeignServerRelationId, OPT_INT, 0, INT_MAX, "rows per second, 0 for no limit"},
	{"async_capable", ForeignServerRelationId, OPT_BOOL, 0, 0, NULL},
	{"auth", ForeignServerRelationId, OPT_AUTH, 0, 0, NULL},
	{"kerberos_service_name", ForeignServerRelationId, OPT_KERBEROS_NAME, 0, 0, NULL},
	{"kerberos_service_fqdn", ForeignServerRelationId, OPT_KERBEROS_NAME, 0, 0, NULL},

	/* Kerberos credentials: superuser only (see check_user_mapping_option) */
	{"kerberos_principal", UserMappingRelationId, OPT_KERBEROS_NAME, 0, 0, NULL},
	{"kerberos_keytab", UserMappingRelationId, OPT_KERBEROS_PATH, 0, 0, NULL},
	{"kerberos_ccache", UserMappingRelationId, OPT_KERBEROS_PATH, 0, 0, NULL},

	{"table", ForeignTableRelationId, OPT_TABLE_NAME, 0, 0, NULL},
	{"layout", ForeignTableRelationId, OPT_LAYOUT, 0, 0, NULL},
	{"fetch_size", ForeignTableRelationId, OPT_INT, 1, 100000, "rows per request"},
	{"batch_size", ForeignTableRelationId, OPT_INT, 1, 100000, "rows per request"},
	{"scan_parallelism", ForeignTableRelationId, OPT_INT, 1, 256, "partitions scanned at once"},
	{"scan_rate_limit", ForeignTableRelationId, OPT_INT, 0, INT_MAX, "rows per second, 0 for no limit"},
	{"async_capable", ForeignTableRelationId, OPT_BOOL, 0, 0, NULL},
	{"value_format", ForeignTableRelationId, OPT_VALUE_FORMAT, 0, 0, NULL},
	{"on_bad_document", ForeignTableRelationId, OPT_BAD_DOCUMENT, 0, 0, NULL},
	{"json_nulls", ForeignTableRelationId, OPT_JSON_NULLS, 0, 0, NULL},

	{"role", AttributeRelationId, OPT_ROLE, 0, 0, NULL},
	{"sort_key", AttributeRelationId, OPT_STRING, 0, 0, NULL},
	{"field", AttributeRelationId, OPT_FIELD, 0, 0, NULL},
	{"path", AttributeRelationId, OPT_JSON_PATH, 0, 0, NULL},
	{"document", AttributeRelationId, OPT_BOOL, 0, 0, NULL},
	{NULL, InvalidOid, OPT_STRING, 0, 0, NULL}
};

#define DEFAULT_FETCH_SIZE 1000
#define DEFAULT_BATCH_SIZE 100
#define DEFAULT_SCAN_PARALLELISM 4
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_CONNECT_TIMEOUT_MS 1000

PG_FUNCTION_INFO_V1(pegasus_fdw_validator);

/* Key columns hold raw bytes: only string types map onto them one to one. */
bool
pegfdw_key_type_supported(Oid basetype)
{
	return basetype == TEXTOID || basetype == VARCHAROID ||
		basetype == BYTEAOID;
}

static const PegFdwOptionDef *
find_option(const char *name, Oid context)
{
	const PegFdwOptionDef *opt;

	for (opt = legal_options; opt->name; opt++)
	{
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return opt;
	}
	return NULL;
}

/* How a catalog is called in messages, and where its options are set. */
static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "foreign server";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "foreign table column";
		case UserMappingRelationId:
			return "user mapping";
		default:
			return "foreign-data wrapper";
	}
}

static const char *
context_command(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "CREATE SERVER or ALTER SERVER";
		case ForeignTableRelationId:
			return "CREATE FOREIGN TABLE or ALTER FOREIGN TABLE";
		case AttributeRelationId:
			return "the column's OPTIONS in CREATE FOREIGN TABLE, or ALTER FOREIGN TABLE ... ALTER COLUMN";
		default:
			return NULL;
	}
}

/*
 * Reports an unknown option.  The hint names where the option belongs when
 * it is legal on another object, else the closest legal name of this
 * context when there is a near miss, else every legal name.
 */
static void
report_unknown_option(const char *name, Oid context)
{
	const PegFdwOptionDef *opt;
	const char *best = NULL;
	Oid			elsewhere = InvalidOid;
	int			best_dist = INT_MAX;
	StringInfoData valid;
	int			nvalid = 0;

	initStringInfo(&valid);
	for (opt = legal_options; opt->name; opt++)
	{
		int			dist;

		if (opt->context != context)
		{
			if (strcmp(opt->name, name) == 0 && !OidIsValid(elsewhere))
				elsewhere = opt->context;
			continue;
		}
		appendStringInfo(&valid, "%s%s", nvalid++ ? ", " : "", opt->name);
		dist = varstr_levenshtein(name, strlen(name), opt->name,
								  strlen(opt->name), 1, 1, 1, false);
		if (dist < best_dist)
		{
			best_dist = dist;
			best = opt->name;
		}
	}

	if (OidIsValid(elsewhere))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errdetail("Option \"%s\" is an option of a %s, not of a %s.",
						   name, context_name(elsewhere), context_name(context)),
				 errhint("Set it with %s.", context_command(elsewhere))));
	/* A near miss is at most a third of the name away. */
	if (best && best_dist <= Max(2, (int) strlen(name) / 3))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errhint("Perhaps you meant the option \"%s\".", best)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 nvalid > 0 ?
			 errhint("Valid options of a %s are: %s.", context_name(context),
					 valid.data) :
			 errhint("A Pegasus %s takes no options; remove the OPTIONS clause.",
					 context_name(context))));
}

/* Parses the value of integer option opt, reporting bad syntax or range. */
static int64
parse_int_option(const PegFdwOptionDef *opt, const char *value)
{
	char	   *end;
	long long	v;
	bool		syntax_ok;

	/* strtoll would skip leading blanks and take a '+': refuse both. */
	errno = 0;
	v = strtoll(value, &end, 10);
	syntax_ok = (end != value && *end == '\0' &&
				 (isdigit((unsigned char) value[0]) || value[0] == '-'));
	if (errno != 0 || !syntax_ok || v < opt->min || v > opt->max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 syntax_ok ?
				 errdetail("The value is out of range.") :
				 errdetail("The value is not a whole number."),
				 errhint("Use an integer between " INT64_FORMAT " and " INT64_FORMAT " (%s).",
						 opt->min, opt->max, opt->unit)));
	return v;
}

/* The value of an integer option of context, already validated. */
static int64
int_option(DefElem *def, Oid context)
{
	return parse_int_option(find_option(def->defname, context),
							defGetString(def));
}

pg_noreturn static void report_bad_meta_servers(const char *value, const char *detail);

static void
report_bad_meta_servers(const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"meta_servers\": \"%s\"", value),
			 errdetail_internal("%s", detail),
			 errhint("Use a comma-separated list of host:port entries of the cluster's meta servers, such as '127.0.0.1:34601,127.0.0.1:34602'.")));
}

/*
 * Checks a meta server list: comma-separated host:port entries, each with a
 * non-empty host of name characters and a port in 1..65535.  The detail of
 * the error names the first entry that is wrong and why.
 */
static void
check_meta_servers(const char *value)
{
	const char *p = value;

	if (*value == '\0')
		report_bad_meta_servers(value, "The list is empty.");
	for (;;)
	{
		const char *entry = p;
		const char *colon = NULL;
		const char *q;
		long		port = 0;
		int			ndigits = 0;
		int			len;

		while (*p && *p != ',')
			p++;
		len = (int) (p - entry);
		for (q = entry; q < p; q++)
			if (*q == ':')
				colon = q;
		if (len == 0)
			report_bad_meta_servers(value,
									"The list has an empty entry; remove the extra comma.");
		if (colon == NULL)
			report_bad_meta_servers(value,
									psprintf("Entry \"%.*s\" has no \":port\".",
											 len, entry));
		if (colon == entry)
			report_bad_meta_servers(value,
									psprintf("Entry \"%.*s\" has no host.",
											 len, entry));
		for (q = entry; q < colon; q++)
			if (!(isalnum((unsigned char) *q) || *q == '.' || *q == '-' ||
				  *q == '_'))
				report_bad_meta_servers(value,
									psprintf("The host of entry \"%.*s\" has characters other than letters, digits, '.', '-' and '_'.",
											 len, entry));
		for (q = colon + 1; q < p; q++)
		{
			if (!isdigit((unsigned char) *q) || ++ndigits > 5)
			{
				ndigits = -1;
				break;
			}
			port = port * 10 + (*q - '0');
		}
		if (ndigits <= 0 || port < 1 || port > 65535)
			report_bad_meta_servers(value,
									psprintf("The port of entry \"%.*s\" is not a number between 1 and 65535.",
											 len, entry));
		if (*p == '\0')
			break;
		p++;
		if (*p == '\0')
			report_bad_meta_servers(value,
									"The list ends with a comma; remove it.");
	}
}

/*
 * Pegasus table names are made of letters, digits, '_', '.' and ':' (the
 * cluster's DDL refuses any other name), so another name cannot exist.
 */
static void
check_table_name(const char *value)
{
	const char *p;

	for (p = value; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '_' || *p == '.' ||
			  *p == ':'))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"table\": \"%s\"", value),
					 errdetail("Pegasus table names contain only letters, digits, '_', '.' and ':'."),
					 errhint("Give the name of the table as the cluster lists it (pegasus_fdw_list_tables).")));
}

static void
check_option_value(const PegFdwOptionDef *opt, const char *value)
{
	switch (opt->kind)
	{
		case OPT_STRING:
		case OPT_TABLE_NAME:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"\"",
								opt->name),
						 errdetail("The value must not be empty."),
						 opt->kind == OPT_TABLE_NAME ?
						 errhint("Give the name of a Pegasus table, or drop the option to use the foreign table's name.") :
						 errhint("Give the Pegasus sort key the column reads, or drop the option to use the column's name.")));
			if (opt->kind == OPT_TABLE_NAME)
				check_table_name(value);
			break;
		case OPT_META_SERVERS:
			check_meta_servers(value);
			break;
		case OPT_INT:
			(void) parse_int_option(opt, value);
			break;
		case OPT_LAYOUT:
			if (strcmp(value, "kv") != 0 && strcmp(value, "wide") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"layout\": \"%s\"",
								value),
						 errhint("Valid values are 'kv' (one row per hash key and sort key) and 'wide' (one row per hash key).")));
			break;
		case OPT_AUTH:
			if (strcmp(value, "none") != 0 && strcmp(value, "kerberos") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"auth\": \"%s\"", value),
						 errhint("Valid values are 'none' (the default) and 'kerberos'.")));
			break;
		case OPT_KERBEROS_NAME:
		case OPT_KERBEROS_PATH:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"\"", opt->name),
						 errdetail("The value must not be empty."),
						 errhint("Drop the option instead of setting it to an empty string.")));
			break;
		case OPT_ROLE:
			if (strcmp(value, "hash_key") != 0 &&
				strcmp(value, "sort_key") != 0 &&
				strcmp(value, "value") != 0 &&
				strcmp(value, "ttl") != 0 &&
				strcmp(value, "document") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"role\": \"%s\"",
								value),
						 errhint("Valid values are 'hash_key', 'sort_key', 'value', 'ttl' and 'document'.")));
			break;
		case OPT_VALUE_FORMAT:
			if (strcmp(value, "raw") != 0 && strcmp(value, "json") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"value_format\": \"%s\"",
								value),
						 errhint("Valid values are 'raw' (the value column holds the stored bytes, the default) and 'json' (columns are fields of a JSON object).")));
			break;
		case OPT_BAD_DOCUMENT:
			if (strcmp(value, "error") != 0 && strcmp(value, "null") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"on_bad_document\": \"%s\"",
								value),
						 errhint("Valid values are 'error' (the default) and 'null'.")));
			break;
		case OPT_JSON_NULLS:
			if (strcmp(value, "omit") != 0 && strcmp(value, "write") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"json_nulls\": \"%s\"",
								value),
						 errhint("Valid values are 'omit' (a NULL column is left out of the document, the default) and 'write' (it is written as JSON null).")));
			break;
		case OPT_FIELD:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"field\": \"\""),
						 errdetail("The value must not be empty."),
						 errhint("Give the top-level key of the document the column reads, or drop the option to use the column's name.")));
			break;
		case OPT_JSON_PATH:
			(void) pegfdw_parse_json_path(value, NULL);
			break;
		case OPT_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"",
									opt->name, value),
							 errhint("Use 'true' or 'false'.")));
			}
			break;
	}
}


/*
 * The Kerberos options of a user mapping decide which keys on the database
 * server a role authenticates with: a keytab or credential cache is a file
 * of the server's operating-system account, and the principal picks one of
 * a keytab's identities.  As postgres_fdw does for password_required, only
 * a superuser may set them; a user mapping without them gets no
 * credentials at all (the server's own default cache is never used).
 */
static void
check_user_mapping_option(const PegFdwOptionDef *opt)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to set option \"%s\"", opt->name),
				 errdetail("Only superusers may set the Kerberos credentials of a user mapping, since they name files and identities of the database server."),
				 errhint("Ask a superuser to set kerberos_principal and kerberos_keytab, or kerberos_ccache, in your user mapping.")));
}

/*
 * Validates the options of a server, user mapping, foreign table or column.
 */
Datum
pegasus_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	bool		have_meta = false;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const PegFdwOptionDef *opt = find_option(def->defname, catalog);

		if (opt == NULL)
			report_unknown_option(def->defname, catalog);
		check_option_value(opt, defGetString(def));
		if (catalog == UserMappingRelationId)
			check_user_mapping_option(opt);
		if (opt->kind == OPT_META_SERVERS)
			have_meta = true;
	}

	if (catalog == ForeignServerRelationId && !have_meta)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"meta_servers\" is required for a Pegasus server"),
				 errhint("Add OPTIONS (meta_servers 'host:port,...').")));

	PG_RETURN_VOID();
}

/* Applies one server or table option to a PegFdwTable. */
static void
apply_table_option(PegFdwTable *t, DefElem *def)
{
	const char *v = defGetString(def);

	if (strcmp(def->defname, "meta_servers") == 0)
		t->meta_servers = pstrdup(v);
	else if (strcmp(def->defname, "connect_timeout_ms") == 0)
		t->connect_timeout_ms = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "timeout_ms") == 0)
		t->timeout_ms = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "fetch_size") == 0)
		t->fetch_size = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "batch_size") == 0)
		t->batch_size = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "scan_parallelism") == 0)
		t->scan_parallelism = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "scan_rate_limit") == 0)
		t->scan_rate_limit = int_option(def, ForeignServerRelationId);
	else if (strcmp(def->defname, "async_capable") == 0)
		t->async_capable = defGetBoolean(def);
	else if (strcmp(def->defname, "table") == 0)
		t->table_name = pstrdup(v);
	else if (strcmp(def->defname, "layout") == 0)
		t->layout = strcmp(v, "wide") == 0 ? PEGFDW_LAYOUT_WIDE : PEGFDW_LAYOUT_KV;
	else if (strcmp(def->defname, "value_format") == 0)
		t->value_format = strcmp(v, "json") == 0 ? PEGFDW_FORMAT_JSON : PEGFDW_FORMAT_RAW;
	else if (strcmp(def->defname, "on_bad_document") == 0)
		t->bad_document_null = strcmp(v, "null") == 0;
	else if (strcmp(def->defname, "json_nulls") == 0)
		t->json_nulls_write = strcmp(v, "write") == 0;
}

void
pegfdw_get_server_options(ForeignServer *server, PegFdwServerOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	opts->timeout_ms = DEFAULT_TIMEOUT_MS;
	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *v = defGetString(def);

		if (strcmp(def->defname, "meta_servers") == 0)
			opts->meta_servers = pstrdup(v);
		else if (strcmp(def->defname, "auth") == 0)
			opts->kerberos = strcmp(v, "kerberos") == 0;
		else if (strcmp(def->defname, "kerberos_service_name") == 0)
			opts->kerberos_service_name = pstrdup(v);
		else if (strcmp(def->defname, "kerberos_service_fqdn") == 0)
			opts->kerberos_service_fqdn = pstrdup(v);
		else if (strcmp(def->defname, "connect_timeout_ms") == 0)
			opts->connect_timeout_ms = int_option(def, ForeignServerRelationId);
		else if (strcmp(def->defname, "timeout_ms") == 0)
			opts->timeout_ms = int_option(def, ForeignServerRelationId);
	}
	if (opts->meta_servers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"meta_servers\"",
						server->servername)));
}

/*
 * The role a column takes: its "role" option, else its name.  In a table of
 * documents a column named "value" is a field like any other.
 */
static PegFdwColumnRole
column_role(const char *attname, List *options, char **wide_sort_key,
			bool json)
{
	ListCell   *lc;
	const char *role = NULL;

	*wide_sort_key = NULL;
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "role") == 0)
			role = defGetString(def);
		else if (strcmp(def->defname, "sort_key") == 0)
			*wide_sort_key = pstrdup(defGetString(def));
	}
	/* A column naming a sort key reads it, whatever the column's name. */
	if (role == NULL && *wide_sort_key != NULL)
		return PEGFDW_ROLE_NONE;
	if (role == NULL)
	{
		if (json && strcmp(attname, "value") == 0)
			return PEGFDW_ROLE_NONE;
		role = attname;
	}
	if (strcmp(role, "document") == 0)
		return PEGFDW_ROLE_DOCUMENT;
	if (strcmp(role, "hash_key") == 0)
		return PEGFDW_ROLE_HASH_KEY;
	if (strcmp(role, "sort_key") == 0)
		return PEGFDW_ROLE_SORT_KEY;
	if (strcmp(role, "value") == 0)
		return PEGFDW_ROLE_VALUE;
	if (strcmp(role, "ttl") == 0)
		return PEGFDW_ROLE_TTL;
	return PEGFDW_ROLE_NONE;
}

static void
check_column_type(PegFdwTable *t, PegFdwColumn *col)
{
	switch (col->role)
	{
		case PEGFDW_ROLE_HASH_KEY:
		case PEGFDW_ROLE_SORT_KEY:
			if (!pegfdw_key_type_supported(col->basetype))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of foreign table \"%s\" cannot be a %s column of type %s",
								col->name, t->relname,
								col->role == PEGFDW_ROLE_HASH_KEY ? "hash key" : "sort key",
								format_type_be(col->typid)),
						 errhint("Key columns must be of type text, varchar or bytea.")));
			break;
		case PEGFDW_ROLE_TTL:
			if (col->basetype != INT2OID && col->basetype != INT4OID &&
				col->basetype != INT8OID)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of foreign table \"%s\" cannot be a ttl column of type %s",
								col->name, t->relname, format_type_be(col->typid)),
						 errhint("The ttl column must be of type smallint, integer or bigint.")));
			break;
		default:
			break;
	}
}

/* Records that col takes role, refusing a second column with that role. */
static void
assign_role(PegFdwTable *t, AttrNumber *slot, PegFdwColumn *col)
{
	if (*slot != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("foreign table \"%s\" has more than one %s column",
						t->relname, pegfdw_role_name(col->role)),
				 errdetail("Columns \"%s\" and \"%s\" both have the role \"%s\".",
						   t->columns[*slot - 1].name, col->name,
						   pegfdw_role_name(col->role))));
	*slot = col->attnum;
}

/*
 * Builds the typed description of foreign table relid, with server options
 * overridden by table options, and checks its definition as a whole.
 * The result is palloc'd in the current memory context.
 */
PegFdwTable *
pegfdw_get_table(Oid relid)
{
	ForeignTable *ft = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(ft->serverid);
	PegFdwTable *t = palloc0(sizeof(PegFdwTable));
	Relation	rel;
	TupleDesc	tupdesc;
	ListCell   *lc;
	int			i;

	t->relid = relid;
	t->relname = get_rel_name(relid);
	t->serverid = server->serverid;
	t->servername = pstrdup(server->servername);
	t->layout = PEGFDW_LAYOUT_KV;
	t->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	t->timeout_ms = DEFAULT_TIMEOUT_MS;
	t->fetch_size = DEFAULT_FETCH_SIZE;
	t->batch_size = DEFAULT_BATCH_SIZE;
	t->scan_parallelism = DEFAULT_SCAN_PARALLELISM;
	t->async_capable = true;
	foreach(lc, server->options)
		apply_table_option(t, (DefElem *) lfirst(lc));
	foreach(lc, ft->options)
		apply_table_option(t, (DefElem *) lfirst(lc));
	if (t->table_name == NULL)
		t->table_name = pstrdup(t->relname);

	rel = table_open(relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	t->natts = tupdesc->natts;
	t->columns = palloc0(sizeof(PegFdwColumn) * Max(t->natts, 1));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		PegFdwColumn *col = &t->columns[i];

		col->attnum = att->attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->dropped = att->attisdropped;
		if (col->dropped)
			continue;
		col->typid = att->atttypid;
		col->basetype = getBaseType(att->atttypid);
		col->typmod = att->atttypmod;
		col->collation = att->attcollation;
		{
			List	   *colopts = GetForeignColumnOptions(relid, att->attnum);

			col->role = column_role(col->name, colopts, &col->wide_sort_key,
									t->value_format == PEGFDW_FORMAT_JSON);
			pegfdw_json_column(t, col, colopts);
		}
		check_column_type(t, col);
		switch (col->role)
		{
			case PEGFDW_ROLE_HASH_KEY:
				assign_role(t, &t->hash_attno, col);
				break;
			case PEGFDW_ROLE_SORT_KEY:
				assign_role(t, &t->sort_attno, col);
				break;
			case PEGFDW_ROLE_VALUE:
				assign_role(t, &t->value_attno, col);
				break;
			case PEGFDW_ROLE_TTL:
				assign_role(t, &t->ttl_attno, col);
				break;
			case PEGFDW_ROLE_DOCUMENT:
				assign_role(t, &t->document_attno, col);
				break;
			case PEGFDW_ROLE_FIELD:
				t->nfields++;
				break;
			case PEGFDW_ROLE_NONE:
				if (col->wide_sort_key == NULL)
					col->wide_sort_key = col->name;
				break;
		}
		if (col->role != PEGFDW_ROLE_NONE && col->wide_sort_key != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("column \"%s\" of foreign table \"%s\" has the option \"sort_key\" and the role \"%s\"",
							col->name, t->relname, pegfdw_role_name(col->role)),
					 errdetail("Only the sort key columns of a table with layout 'wide' name a sort key."),
					 errhint("Drop the column option \"sort_key\", or use layout 'wide' without a role for this column.")));
	}
	table_close(rel, AccessShareLock);
	pegfdw_json_check_table(t, ft->options);

	if (t->hash_attno == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
				 errmsg("foreign table \"%s\" has no hash key column", t->relname),
				 errhint("Name a column \"hash_key\", or set the column option \"role\" to 'hash_key'.")));
	if (t->layout == PEGFDW_LAYOUT_WIDE)
	{
		AttrNumber	bad = t->value_attno ? t->value_attno :
		t->sort_attno ? t->sort_attno : t->ttl_attno;
		int			j;

		/*
		 * Two columns of one sort key would write it twice in a row (in a
		 * table of documents they read fields of it: see option_json.c).
		 */
		for (i = 0; i < t->natts && t->value_format != PEGFDW_FORMAT_JSON; i++)
		{
			PegFdwColumn *a = &t->columns[i];

			if (a->dropped || a->role != PEGFDW_ROLE_NONE)
				continue;
			for (j = i + 1; j < t->natts; j++)
			{
				PegFdwColumn *b = &t->columns[j];

				if (!b->dropped && b->role == PEGFDW_ROLE_NONE &&
					strcmp(a->wide_sort_key, b->wide_sort_key) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("columns \"%s\" and \"%s\" of foreign table \"%s\" read the same sort key \"%s\"",
									a->name, b->name, t->relname, a->wide_sort_key),
							 errhint("Give each column its own sort key with the column option \"sort_key\".")));
			}
		}

		if (bad != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("foreign table \"%s\" with layout 'wide' cannot have a %s column",
							t->relname,
							pegfdw_role_name(t->columns[bad - 1].role)),
					 errdetail("In a wide table every column other than the hash key reads the sort key it names.")));
	}
	else
	{
		for (i = 0; i < t->natts; i++)
		{
			PegFdwColumn *col = &t->columns[i];

			if (!col->dropped && col->role == PEGFDW_ROLE_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
						 errmsg("column \"%s\" of foreign table \"%s\" has no role",
								col->name, t->relname),
						 errhint("Name the column hash_key, sort_key, value or ttl, set its option \"role\", or use layout 'wide'.")));
		}
		if (t->sort_attno == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("foreign table \"%s\" has no sort key column", t->relname),
					 errhint("Name a column \"sort_key\", set the column option \"role\" to 'sort_key', or use layout 'wide'.")));
	}
	return t;
}

/* The Kerberos options of a user mapping (NULL where not set). */
void
pegfdw_get_user_mapping_options(UserMapping *um, PegFdwUserOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	foreach(lc, um->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *v = defGetString(def);

		if (strcmp(def->defname, "kerberos_principal") == 0)
			opts->kerberos_principal = pstrdup(v);
		else if (strcmp(def->defname, "kerberos_keytab") == 0)
			opts->kerberos_keytab = pstrdup(v);
		else if (strcmp(def->defname, "kerberos_ccache") == 0)
			opts->kerberos_ccache = pstrdup(v);
	}
}
