/*-------------------------------------------------------------------------
 *
 * option_json.c
 *		Options of tables whose records hold JSON documents (table option
 *		value_format 'json'): which field each column reads, the document
 *		column, and the checks of their combinations.
 *
 * In such a table every column other than the hash key, the sort key and
 * the ttl is a field of the record's JSON object: the top-level key of the
 * column's name by default, the key of the column option "field", or the
 * keys from the top of the column option "path" ('{address,city}', as the
 * #> operator takes them).  A json or jsonb column with the option
 * document 'true' (or the role 'document') holds the whole object.  Two
 * columns may not write one field, nor one a field inside another's: an
 * UPDATE of both would have no single answer.
 *
 * src/fdw/option_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "pegasus_fdw.h"

/*
 * Parses a path option, a text array as the #> operator takes it
 * ('{address,city}'), into its keys; returns their number (at least 1).
 * keys may be NULL to check only.
 */
int
pegfdw_parse_json_path(const char *value, char ***keys)
{
	volatile Datum arr = (Datum) 0;
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		arr = OidInputFunctionCall(F_ARRAY_IN, (char *) value, TEXTOID, -1);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"path\": \"%s\"", value),
				 errdetail("The value is not a text array."),
				 errhint("Write the keys from the top of the document as the #> operator takes them, such as '{address,city}'.")));
	a = DatumGetArrayTypeP(arr);
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (ARR_NDIM(a) > 1 || n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"path\": \"%s\"", value),
				 errdetail("A path is a one-dimensional array of at least one key."),
				 errhint("Write the keys from the top of the document as the #> operator takes them, such as '{address,city}'.")));
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"path\": \"%s\"", value),
					 errdetail("Key %d of the path is NULL.", i + 1),
					 errhint("Write the keys from the top of the document as the #> operator takes them, such as '{address,city}'.")));
	if (keys)
	{
		*keys = palloc(sizeof(char *) * n);
		for (i = 0; i < n; i++)
			(*keys)[i] = TextDatumGetCString(elems[i]);
	}
	return n;
}

pg_noreturn static void report_needs_json(PegFdwTable *t, PegFdwColumn *col,
										  const char *option);

static void
report_needs_json(PegFdwTable *t, PegFdwColumn *col, const char *option)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("column \"%s\" of foreign table \"%s\" has the option \"%s\" but the table's values are not documents",
					col->name, t->relname, option),
			 errdetail("Only a table with value_format 'json' maps columns onto the fields of a document."),
			 errhint("Set the table option value_format to 'json', or drop the column option \"%s\".",
					 option)));
}

/*
 * Reads the document options of col (field, path, document) and, in a
 * table of documents, gives every column that is not a key or the ttl the
 * role of a field or of the document.  Called by pegfdw_get_table for each
 * column once its role option (or name) is known.
 */
void
pegfdw_json_column(PegFdwTable *t, PegFdwColumn *col, List *options)
{
	ListCell   *lc;
	const char *field = NULL;
	const char *path = NULL;
	bool		has_doc = false;
	bool		doc = false;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			field = defGetString(def);
		else if (strcmp(def->defname, "path") == 0)
			path = defGetString(def);
		else if (strcmp(def->defname, "document") == 0)
		{
			has_doc = true;
			doc = defGetBoolean(def);
		}
	}

	if (t->value_format != PEGFDW_FORMAT_JSON)
	{
		if (field)
			report_needs_json(t, col, "field");
		if (path)
			report_needs_json(t, col, "path");
		if (has_doc)
			report_needs_json(t, col, "document");
		if (col->role == PEGFDW_ROLE_DOCUMENT)
			report_needs_json(t, col, "role");
		return;
	}

	if (field && path)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("column \"%s\" of foreign table \"%s\" has both the options \"field\" and \"path\"",
						col->name, t->relname),
				 errhint("Use \"field\" for a top-level key or \"path\" for a nested one, not both.")));
	if (doc && col->role != PEGFDW_ROLE_NONE &&
		col->role != PEGFDW_ROLE_DOCUMENT)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("column \"%s\" of foreign table \"%s\" cannot be the document and have the role \"%s\"",
						col->name, t->relname, pegfdw_role_name(col->role)),
				 errhint("Drop the option \"document\" or the option \"role\".")));
	if (doc)
		col->role = PEGFDW_ROLE_DOCUMENT;

	switch (col->role)
	{
		case PEGFDW_ROLE_DOCUMENT:
			if (field || path)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("document column \"%s\" of foreign table \"%s\" cannot name a field",
								col->name, t->relname),
						 errdetail("The document column holds the whole JSON object of the record."),
						 errhint("Drop the option \"%s\", or make the column a field column without the option \"document\".",
								 field ? "field" : "path")));
			if (col->basetype != JSONBOID && col->basetype != JSONOID)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("document column \"%s\" of foreign table \"%s\" cannot be of type %s",
								col->name, t->relname, format_type_be(col->typid)),
						 errhint("Declare the document column as jsonb or json.")));
			col->json_npath = 0;
			/* wide: the document of the column's sort key */
			if (t->layout == PEGFDW_LAYOUT_WIDE)
				col->role = PEGFDW_ROLE_NONE;
			return;
		case PEGFDW_ROLE_VALUE:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("column \"%s\" of foreign table \"%s\" cannot have the role \"value\" in a table of documents",
							col->name, t->relname),
					 errdetail("With value_format 'json' every column other than the keys and the ttl is a field of the record's JSON object."),
					 errhint("Drop the option \"role\" and name the field with \"field\" or \"path\", or declare a jsonb column with document 'true' for the whole object.")));
			break;
		case PEGFDW_ROLE_HASH_KEY:
		case PEGFDW_ROLE_SORT_KEY:
		case PEGFDW_ROLE_TTL:
			if (field || path)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("%s column \"%s\" of foreign table \"%s\" cannot name a document field",
								pegfdw_role_name(col->role), col->name, t->relname),
						 errhint("Drop the option \"%s\": keys and the ttl are not part of the document.",
								 field ? "field" : "path")));
			return;
		default:
			break;
	}

	/* a field (kv layout), or a field of a wide column's sort key */
	if (t->layout == PEGFDW_LAYOUT_KV)
		col->role = PEGFDW_ROLE_FIELD;
	if (path)
		col->json_npath = pegfdw_parse_json_path(path, &col->json_path);
	else
	{
		col->json_npath = 1;
		col->json_path = palloc(sizeof(char *));
		col->json_path[0] = pstrdup(field ? field : col->name);
	}
}

/* A column's path as messages show it: "city", "address.city". */
char *
pegfdw_json_path_name(PegFdwColumn *col)
{
	StringInfoData buf;
	int			i;

	if (col->json_npath == 0)
		return pstrdup("(document)");
	initStringInfo(&buf);
	for (i = 0; i < col->json_npath; i++)
		appendStringInfo(&buf, "%s%s", i ? "." : "", col->json_path[i]);
	return buf.data;
}

/* Is path a (not necessarily proper) prefix of path b? */
static bool
path_is_prefix(PegFdwColumn *a, PegFdwColumn *b)
{
	int			i;

	if (a->json_npath > b->json_npath)
		return false;
	for (i = 0; i < a->json_npath; i++)
		if (strcmp(a->json_path[i], b->json_path[i]) != 0)
			return false;
	return true;
}

static bool
is_field(PegFdwTable *t, PegFdwColumn *c)
{
	return !c->dropped && c->json_npath > 0 &&
		(c->role == PEGFDW_ROLE_FIELD || c->role == PEGFDW_ROLE_NONE);
}

/*
 * Checks of a table of documents as a whole (and that a table of raw
 * values sets no document option).
 */
void
pegfdw_json_check_table(PegFdwTable *t, List *table_options)
{
	ListCell   *lc;
	int			i;
	int			j;

	if (t->value_format != PEGFDW_FORMAT_JSON)
	{
		foreach(lc, table_options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "on_bad_document") == 0 ||
				strcmp(def->defname, "json_nulls") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("foreign table \"%s\" has the option \"%s\" but its values are not documents",
								t->relname, def->defname),
						 errhint("Set the table option value_format to 'json', or drop the option \"%s\".",
								 def->defname)));
		}
		return;
	}

	/* wide: one document column per sort key */
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *a = &t->columns[i];

		if (t->layout != PEGFDW_LAYOUT_WIDE || a->dropped ||
			a->role != PEGFDW_ROLE_NONE || a->json_npath != 0)
			continue;
		for (j = i + 1; j < t->natts; j++)
		{
			PegFdwColumn *b = &t->columns[j];

			if (!b->dropped && b->role == PEGFDW_ROLE_NONE && b->json_npath == 0 &&
				strcmp(a->wide_sort_key, b->wide_sort_key) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("columns \"%s\" and \"%s\" of foreign table \"%s\" are both the document of sort key \"%s\"",
								a->name, b->name, t->relname, a->wide_sort_key),
						 errhint("Keep one document column per sort key.")));
		}
	}

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *a = &t->columns[i];

		if (!is_field(t, a))
			continue;
		for (j = 0; j < t->natts; j++)
		{
			PegFdwColumn *b = &t->columns[j];

			if (j == i || !is_field(t, b) ||
				(t->layout == PEGFDW_LAYOUT_WIDE &&
				 strcmp(a->wide_sort_key, b->wide_sort_key) != 0))
				continue;
			if (path_is_prefix(a, b) && (a->json_npath < b->json_npath || j > i))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 a->json_npath == b->json_npath ?
						 errmsg("columns \"%s\" and \"%s\" of foreign table \"%s\" read the same field \"%s\"",
								a->name, b->name, t->relname,
								pegfdw_json_path_name(a)) :
						 errmsg("column \"%s\" of foreign table \"%s\" reads field \"%s\", inside field \"%s\" of column \"%s\"",
								b->name, t->relname, pegfdw_json_path_name(b),
								pegfdw_json_path_name(a), a->name),
						 errdetail("An UPDATE of both columns would write the same part of the document twice."),
						 errhint("Give each column its own field with the column option \"field\" or \"path\", or read the whole object with a jsonb column.")));
		}
	}
}

/*
 * Does a scan need the records' values, given the columns it reads (needed
 * per attnum - 1, NULL = all)?  Raw values: when it reads the value
 * column; documents: when it reads a field or the document.
 */
bool
pegfdw_value_needed(PegFdwTable *t, const bool *needed)
{
	int			i;

	if (t->value_format != PEGFDW_FORMAT_JSON)
		return t->value_attno != 0 &&
			(needed == NULL || needed[t->value_attno - 1]);
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (c->dropped || (needed && !needed[i]))
			continue;
		if (c->role == PEGFDW_ROLE_FIELD || c->role == PEGFDW_ROLE_DOCUMENT)
			return true;
	}
	return false;
}
