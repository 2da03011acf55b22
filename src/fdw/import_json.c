/*-------------------------------------------------------------------------
 *
 * import_json.c
 *		IMPORT FOREIGN SCHEMA ... OPTIONS (value_format 'json'): the columns
 *		of a table of documents, inferred from a sample of its records.
 *
 * The first `sample` records a scan of the table returns are parsed; each
 * top-level field found becomes a column of the narrowest type that reads
 * every value sampled: boolean (only true/false), bigint (only integers
 * that fit), numeric (only numbers), timestamptz (only strings that are
 * dates and times), text (other scalars, mixed ones included), jsonb
 * (objects or arrays, alone or mixed with anything).  JSON nulls tell
 * nothing; a field that was only ever null is text.  Values that are not
 * JSON objects are left out of the sample.  Columns come in the order of
 * their fields' names, at most PEGFDW_IMPORT_MAX_FIELDS of them; the
 * fields beyond stay in the document column.
 *
 * src/fdw/import_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"

#define PEGFDW_IMPORT_MAX_FIELDS 100

/* What the sampled values of one field were. */
#define KIND_BOOL	0x01
#define KIND_INT	0x02
#define KIND_NUM	0x04
#define KIND_TS		0x08
#define KIND_STR	0x10
#define KIND_OBJ	0x20

typedef struct FieldKinds
{
	char	   *name;
	int			kinds;
} FieldKinds;

typedef struct SampleState
{
	JsonLexContext *lex;
	int			depth;
	bool		is_object;
	bool		seen_root;
	FieldKinds *fields;
	int			nfields;
	int			maxfields;
	FieldKinds *current;		/* the top-level field being read */
	FmgrInfo	ts_in;
	PegasusScanner *scanner;
} SampleState;

static FieldKinds *
field_of(SampleState *st, const char *name)
{
	int			i;

	for (i = 0; i < st->nfields; i++)
		if (strcmp(st->fields[i].name, name) == 0)
			return &st->fields[i];
	if (st->nfields == st->maxfields)
	{
		st->maxfields = Max(16, st->maxfields * 2);
		st->fields = st->fields ?
			repalloc(st->fields, sizeof(FieldKinds) * st->maxfields) :
			palloc(sizeof(FieldKinds) * st->maxfields);
	}
	st->fields[st->nfields].name = pstrdup(name);
	st->fields[st->nfields].kinds = 0;
	return &st->fields[st->nfields++];
}

PEGFDW_JSON_ACTION
sample_struct_start(void *state)
{
	SampleState *st = state;

	if (!st->seen_root)
	{
		st->seen_root = true;
		st->is_object = st->lex->token_type == JSON_TOKEN_OBJECT_START;
	}
	else if (st->depth == 1 && st->current)
		st->current->kinds |= KIND_OBJ;
	st->depth++;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
sample_struct_end(void *state)
{
	SampleState *st = state;

	st->depth--;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
sample_field_start(void *state, char *fname, bool isnull)
{
	SampleState *st = state;

	if (st->depth == 1 && st->is_object && fname)
		st->current = field_of(st, fname);
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
sample_field_end(void *state, char *fname, bool isnull)
{
	SampleState *st = state;

	if (st->depth == 1)
		st->current = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

/* Does a string read as timestamptz?  Words such as 'now' do not count. */
static bool
is_timestamp(SampleState *st, char *s)
{
	Datum		d;
	ErrorData  *edata;

	if (!isdigit((unsigned char) s[0]) || strlen(s) < 8)
		return false;
	return pegfdw_input_soft(&st->ts_in, s, InvalidOid, -1, &d, &edata);
}

PEGFDW_JSON_ACTION
sample_scalar(void *state, char *token, JsonTokenType tokentype)
{
	SampleState *st = state;

	st->seen_root = true;
	if (st->depth != 1 || st->current == NULL)
		PEGFDW_JSON_ACTION_DONE;
	switch (tokentype)
	{
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			st->current->kinds |= KIND_BOOL;
			break;
		case JSON_TOKEN_NUMBER:
			{
				char	   *end;

				errno = 0;
				(void) strtoll(token, &end, 10);
				st->current->kinds |= (*end == '\0' && errno == 0) ?
					KIND_INT : KIND_NUM;
			}
			break;
		case JSON_TOKEN_STRING:
			st->current->kinds |= is_timestamp(st, token) ? KIND_TS : KIND_STR;
			break;
		default:
			break;				/* null */
	}
	PEGFDW_JSON_ACTION_DONE;
}

/* Records the top-level fields of one value (nothing if not an object). */
static void
sample_value(SampleState *st, PegasusSlice v)
{
	JsonLexContext storage;
	JsonSemAction sem;
	int			before = st->nfields;
	int			i;
	int		   *saved = palloc(sizeof(int) * Max(st->nfields, 1));

	if (!pg_verifymbstr(v.data, (int) v.len, true))
		return;
	for (i = 0; i < st->nfields; i++)
		saved[i] = st->fields[i].kinds;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = st;
	sem.object_start = sample_struct_start;
	sem.object_end = sample_struct_end;
	sem.array_start = sample_struct_start;
	sem.array_end = sample_struct_end;
	sem.object_field_start = sample_field_start;
	sem.object_field_end = sample_field_end;
	sem.scalar = sample_scalar;
	st->lex = pegfdw_json_lexer(&storage, v.data, v.len, true);
	st->depth = 0;
	st->seen_root = false;
	st->is_object = false;
	st->current = NULL;
	if (pg_parse_json(st->lex, &sem) != JSON_SUCCESS || !st->is_object)
	{
		/* not a document: forget what it added */
		for (i = 0; i < before; i++)
			st->fields[i].kinds = saved[i];
		st->nfields = before;
	}
}

static void
close_scanner(void *arg)
{
	SampleState *st = arg;

	if (st->scanner)
		pegasus_scanner_close(st->scanner);
	st->scanner = NULL;
}

static const char *
type_of(int kinds)
{
	if (kinds & KIND_OBJ)
		return "jsonb";
	if (kinds == KIND_BOOL)
		return "boolean";
	if (kinds == KIND_INT)
		return "bigint";
	if (kinds != 0 && (kinds & ~(KIND_INT | KIND_NUM)) == 0)
		return "numeric";
	if (kinds == KIND_TS)
		return "timestamptz";
	return "text";
}

static int
compare_fields(const void *a, const void *b)
{
	return strcmp(((const FieldKinds *) a)->name, ((const FieldKinds *) b)->name);
}

/* A field whose name is taken by a column the import declares anyway. */
static bool
reserved_name(const char *name)
{
	return strcmp(name, "hash_key") == 0 || strcmp(name, "sort_key") == 0 ||
		strcmp(name, "ttl") == 0 || strcmp(name, "document") == 0 ||
		strlen(name) >= NAMEDATALEN;
}

/*
 * Appends to buf the column definitions of the fields found in the first
 * sample records of Pegasus table name of server.
 */
void
pegfdw_import_json_columns(StringInfo buf, ForeignServer *server,
						   const char *name, int sample)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "pegasus_fdw import sample",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	SampleState *st = palloc0(sizeof(SampleState));
	PegFdwServerOptions sopts;
	PegFdwTable t;
	PegFdwConnEntry *entry;
	PegasusTable *pt;
	PegasusScanOptions opts;
	PegasusError err;
	MemoryContextCallback *cb;
	int			seen = 0;
	int			i;

	pegfdw_get_server_options(server, &sopts);
	memset(&t, 0, sizeof(t));
	t.serverid = server->serverid;
	t.servername = server->servername;
	t.table_name = (char *) name;
	t.relname = (char *) name;
	t.timeout_ms = sopts.timeout_ms;
	t.connect_timeout_ms = sopts.connect_timeout_ms;
	fmgr_info(F_TIMESTAMPTZ_IN, &st->ts_in);
	pt = pegfdw_open_table(&t, &entry);
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = close_scanner;
	cb->arg = st;
	MemoryContextRegisterResetCallback(cxt, cb);

	pegasus_scan_options_init(&opts);
	opts.batch_size = Min(sample, 1000);
	opts.limit = sample;
	opts.timeout_ms = t.timeout_ms;
	pegasus_error_clear(&err);
	st->scanner = pegasus_table_get_partition_scanner(pt, NULL, 0, &opts, &err);
	if (st->scanner == NULL)
		pegfdw_note_failure(entry, &err);
	pegfdw_check_call(st->scanner != NULL, &err, server->servername, name);
	while (seen < sample)
	{
		PegasusScanRow row;
		int			r;

		pegasus_error_clear(&err);
		r = pegasus_scanner_next(st->scanner, &row, &err);
		if (r < 0)
			pegfdw_note_failure(entry, &err);
		pegfdw_check_call(r >= 0, &err, server->servername, name);
		if (r == 0)
			break;
		seen++;
		sample_value(st, row.value);
	}
	close_scanner(st);

	qsort(st->fields, st->nfields, sizeof(FieldKinds), compare_fields);
	MemoryContextSwitchTo(old);
	for (i = 0; i < Min(st->nfields, PEGFDW_IMPORT_MAX_FIELDS); i++)
	{
		FieldKinds *f = &st->fields[i];

		if (reserved_name(f->name))
		{
			char		col[NAMEDATALEN];

			snprintf(col, sizeof(col), "field_%s", f->name);
			col[pg_mbcliplen(col, strlen(col), NAMEDATALEN - 1)] = '\0';
			appendStringInfo(buf, ", %s %s OPTIONS (field %s)",
							 quote_identifier(col), type_of(f->kinds),
							 quote_literal_cstr(f->name));
		}
		else
			appendStringInfo(buf, ", %s %s", quote_identifier(f->name),
							 type_of(f->kinds));
	}
	MemoryContextDelete(cxt);
}
