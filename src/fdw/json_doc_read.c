/*-------------------------------------------------------------------------
 *
 * json_doc_read.c
 *		Reading the columns of a table of documents (value_format 'json')
 *		from each record's JSON object.
 *
 * Each value is parsed once by PostgreSQL's JSON parser (common/jsonapi.h)
 * with semantic actions that follow only the paths of the columns the
 * query reads: a trie of those paths is walked as objects open and close,
 * and for each path found the value's text (its span in the document) and,
 * for a string, its de-escaped contents are kept.  Everything else is only
 * validated.  A column then takes its value through its type's input
 * function, as (doc ->> 'f')::type would: a string's contents, a number's
 * text (normalised as jsonb would print it, unless the type reads numbers
 * itself), true or false, and an object or array as jsonb prints it; a json
 * or jsonb column takes the value's JSON text.  A missing field or JSON
 * null is NULL.  When the same key appears twice in an object the last one
 * counts, as in jsonb.
 *
 * A value that is not a JSON object, or a field its column's type does not
 * accept, is an error naming the record and the text found, or with
 * on_bad_document 'null' reads as NULL (the whole document, or the field)
 * and is counted for EXPLAIN ANALYZE.
 *
 * Memory: the trie, the slots and the input functions live in the context
 * the reader was created in (the scan's); everything made while reading a
 * record is in the caller's per-row context.
 *
 * src/fdw/json_doc_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "pegasus_fdw.h"

/* Bytes of a document or field shown in messages. */
#define SHOW_MAX 64

/* A key of the trie of the paths read; children in column order. */
typedef struct DocNode
{
	const char *key;
	size_t		keylen;
	int			nchildren;
	struct DocNode **children;
	int			slot;			/* the column reading this path, or -1 */
	int			first_slot;		/* slots of this subtree: [first, end) */
	int			end_slot;
} DocNode;

/* What was found at one path of the current document. */
typedef struct DocSlot
{
	bool		found;
	JsonTokenType type;			/* first token of the value */
	const char *raw;			/* the value's text in the document */
	size_t		rawlen;
	char	   *str;			/* JSON_TOKEN_STRING: the contents */
	AttrNumber	attnum;			/* the column */
} DocSlot;

/*
 * The paths read from one record's document: of the whole table in the kv
 * layout, of one sort key (sort_key) in the wide layout.
 */
typedef struct DocGroup
{
	const char *sort_key;		/* wide layout; NULL in kv */
	AttrNumber	doc_attno;		/* the document column read, or 0 */
	DocNode    *root;
	int			nslots;
	DocSlot    *slots;
	int			height;
} DocGroup;

struct PegFdwDocReader
{
	MemoryContext cxt;
	const bool *built_for;		/* the needed array of the groups */
	bool		built;
	int			ngroups;
	DocGroup   *groups;
	int			maxheight;
	/* the group of the current document */
	AttrNumber	doc_attno;
	DocNode    *root;
	int			nslots;
	DocSlot    *slots;
	int			height;
	FmgrInfo   *in;				/* per attnum - 1 */
	Oid		   *ioparam;
	bool	   *in_ready;
	bool		aux_ready;
	FmgrInfo	numeric_in;
	FmgrInfo	numeric_out;
	FmgrInfo	jsonb_in;
	FmgrInfo	jsonb_out;
	uint64		bad;			/* records read as NULL, whole or in part */

	/* parse of the current document */
	JsonLexContext *lex;
	DocNode   **stack;			/* matched objects, the root first */
	DocSlot   **capture;		/* per stack depth: the field being read */
	int			depth;
	int			skip;			/* unmatched levels below the stack */
	DocNode    *pending;		/* the field whose value comes next */
	DocSlot    *pending_slot;
	bool		seen_root;
	bool		root_is_object;
};

PegFdwDocReader *
pegfdw_doc_reader_create(PegFdwTable *table)
{
	PegFdwDocReader *r = palloc0(sizeof(PegFdwDocReader));
	int			n = Max(table->natts, 1);

	r->cxt = CurrentMemoryContext;
	r->in = palloc0(sizeof(FmgrInfo) * n);
	r->ioparam = palloc0(sizeof(Oid) * n);
	r->in_ready = palloc0(sizeof(bool) * n);
	return r;
}

uint64
pegfdw_doc_bad_count(PegFdwTable *table)
{
	return table->doc ? table->doc->bad : 0;
}

static DocNode *
new_node(const char *key)
{
	DocNode    *n = palloc0(sizeof(DocNode));

	n->key = key;
	n->keylen = strlen(key);
	n->slot = -1;
	return n;
}

/*
 * The child of parent for key.  Called for every member of the objects on
 * the paths read, so lengths and first bytes are compared before the rest.
 */
static DocNode *
child_of(DocNode *parent, const char *key, bool add)
{
	size_t		len = strlen(key);
	int			i;

	for (i = 0; i < parent->nchildren; i++)
	{
		DocNode    *c = parent->children[i];

		if (c->keylen == len && c->key[0] == key[0] &&
			memcmp(c->key, key, len) == 0)
			return c;
	}
	if (!add)
		return NULL;
	parent->children = parent->nchildren == 0 ?
		palloc(sizeof(DocNode *)) :
		repalloc(parent->children, sizeof(DocNode *) * (parent->nchildren + 1));
	parent->children[parent->nchildren] = new_node(key);
	return parent->children[parent->nchildren++];
}

/* Numbers the slots depth first, so that a subtree's are contiguous. */
static void
number_slots(DocNode *n, int *next, int depth, int *height)
{
	int			i;

	*height = Max(*height, depth);
	n->first_slot = *next;
	if (n->slot >= 0)
		n->slot = (*next)++;
	for (i = 0; i < n->nchildren; i++)
		number_slots(n->children[i], next, depth + 1, height);
	n->end_slot = *next;
}

/* Does column c read the document of group sort_key (kv: NULL)? */
static bool
in_group(PegFdwTable *t, PegFdwColumn *c, const char *sort_key)
{
	if (c->dropped)
		return false;
	if (t->layout == PEGFDW_LAYOUT_KV)
		return c->role == PEGFDW_ROLE_FIELD || c->role == PEGFDW_ROLE_DOCUMENT;
	return c->role == PEGFDW_ROLE_NONE &&
		strcmp(c->wide_sort_key, sort_key) == 0;
}

static void
assign_attnums(DocGroup *g, PegFdwTable *t, const bool *needed)
{
	int			i;

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		DocNode    *node = g->root;
		int			k;

		if (!in_group(t, c, g->sort_key) || c->json_npath == 0 ||
			(needed && !needed[i]))
			continue;
		for (k = 0; k < c->json_npath; k++)
			node = child_of(node, c->json_path[k], false);
		g->slots[node->slot].attnum = c->attnum;
	}
}

/* Builds the trie of group g: the paths of its needed columns. */
static void
build_group(DocGroup *g, PegFdwTable *t, const bool *needed)
{
	int			i;
	int			next = 0;
	int			height = 0;

	g->root = new_node("");
	g->doc_attno = 0;
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		DocNode    *node = g->root;
		int			k;

		if (!in_group(t, c, g->sort_key) || (needed && !needed[i]))
			continue;
		if (c->json_npath == 0)
		{
			g->doc_attno = c->attnum;	/* the whole document */
			continue;
		}
		for (k = 0; k < c->json_npath; k++)
			node = child_of(node, c->json_path[k], true);
		node->slot = 0;			/* numbered below */
	}
	number_slots(g->root, &next, 1, &height);
	g->nslots = next;
	g->slots = palloc0(sizeof(DocSlot) * Max(next, 1));
	assign_attnums(g, t, needed);
	g->height = height;
}

/*
 * Builds the groups of the needed columns: one in the kv layout, one per
 * sort key in the wide layout.
 */
static void
build_trie(PegFdwDocReader *r, PegFdwTable *t, const bool *needed)
{
	MemoryContext old = MemoryContextSwitchTo(r->cxt);
	int			i;
	int			j;

	r->groups = palloc0(sizeof(DocGroup) * Max(t->natts, 1));
	r->ngroups = 0;
	if (t->layout == PEGFDW_LAYOUT_KV)
		r->ngroups = 1;
	else
		for (i = 0; i < t->natts; i++)
		{
			PegFdwColumn *c = &t->columns[i];

			if (c->dropped || c->role != PEGFDW_ROLE_NONE)
				continue;
			for (j = 0; j < r->ngroups; j++)
				if (strcmp(r->groups[j].sort_key, c->wide_sort_key) == 0)
					break;
			if (j == r->ngroups)
				r->groups[r->ngroups++].sort_key = c->wide_sort_key;
		}
	r->maxheight = 1;
	for (i = 0; i < r->ngroups; i++)
	{
		build_group(&r->groups[i], t, needed);
		r->maxheight = Max(r->maxheight, r->groups[i].height);
	}
	r->stack = palloc0(sizeof(DocNode *) * (r->maxheight + 1));
	r->capture = palloc0(sizeof(DocSlot *) * (r->maxheight + 1));
	r->built_for = needed;
	r->built = true;
	MemoryContextSwitchTo(old);
}

/* Makes group g the one the next document is read for. */
static void
use_group(PegFdwDocReader *r, DocGroup *g)
{
	r->doc_attno = g->doc_attno;
	r->root = g->root;
	r->nslots = g->nslots;
	r->slots = g->slots;
	r->height = g->height;
}

/* ----------------------------------------------------------------------
 * Semantic actions
 * ---------------------------------------------------------------------- */

PEGFDW_JSON_ACTION
doc_object_start(void *state)
{
	PegFdwDocReader *r = state;

	if (!r->seen_root)
	{
		r->seen_root = true;
		r->root_is_object = true;
		r->stack[0] = r->root;
		r->depth = 1;
	}
	else if (r->skip == 0 && r->pending && r->pending->nchildren > 0)
		r->stack[r->depth++] = r->pending;
	else
		r->skip++;
	r->pending = NULL;
	r->pending_slot = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
doc_array_start(void *state)
{
	PegFdwDocReader *r = state;

	if (!r->seen_root)
		r->seen_root = true;	/* not an object; parsed to be checked */
	r->skip++;
	r->pending = NULL;
	r->pending_slot = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
doc_struct_end(void *state)
{
	PegFdwDocReader *r = state;

	if (r->skip > 0)
		r->skip--;
	else if (r->depth > 0)
		r->depth--;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
doc_field_start(void *state, char *fname, bool isnull)
{
	PegFdwDocReader *r = state;
	DocNode    *n;
	int			i;

	r->pending = NULL;
	r->pending_slot = NULL;
	if (r->skip > 0 || r->depth == 0 || fname == NULL)
		PEGFDW_JSON_ACTION_DONE;
	n = child_of(r->stack[r->depth - 1], fname, false);
	if (n == NULL)
		PEGFDW_JSON_ACTION_DONE;
	/* a key seen again replaces what its first value gave */
	for (i = n->first_slot; i < n->end_slot; i++)
		r->slots[i].found = false;
	if (n->slot >= 0)
	{
		DocSlot    *sl = &r->slots[n->slot];

		sl->found = true;
		sl->type = r->lex->token_type;
		sl->raw = r->lex->token_start;
		sl->rawlen = 0;
		sl->str = NULL;
		r->capture[r->depth] = sl;
		r->pending_slot = sl;
	}
	r->pending = n;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
doc_field_end(void *state, char *fname, bool isnull)
{
	PegFdwDocReader *r = state;

	if (r->skip == 0 && r->depth > 0 && r->capture[r->depth])
	{
		DocSlot    *sl = r->capture[r->depth];

		sl->rawlen = r->lex->prev_token_terminator - sl->raw;
		r->capture[r->depth] = NULL;
	}
	r->pending = NULL;
	r->pending_slot = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
doc_scalar(void *state, char *token, JsonTokenType tokentype)
{
	PegFdwDocReader *r = state;

	if (!r->seen_root)
		r->seen_root = true;	/* a scalar document: not an object */
	if (r->pending_slot && tokentype == JSON_TOKEN_STRING)
		r->pending_slot->str = token;
	r->pending_slot = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

/*
 * Parses one document.  Returns NULL when it is a JSON object (the slots
 * hold what was found), else a sentence saying what is wrong with it.
 */
static char *
parse_document(PegFdwDocReader *r, const char *data, size_t len)
{
	JsonLexContext storage;
	JsonSemAction sem;
	JsonParseErrorType err;
	int			i;

	for (i = 0; i < r->nslots; i++)
		r->slots[i].found = false;
	if (!pg_verifymbstr(data, (int) len, true))
		return psprintf("The value is not valid %s text.",
						GetDatabaseEncodingName());
	memset(&sem, 0, sizeof(sem));
	sem.semstate = r;
	sem.object_start = doc_object_start;
	sem.object_end = doc_struct_end;
	sem.array_start = doc_array_start;
	sem.array_end = doc_struct_end;
	sem.object_field_start = doc_field_start;
	sem.object_field_end = doc_field_end;
	sem.scalar = doc_scalar;
	r->lex = pegfdw_json_lexer(&storage, data, len, true);
	r->depth = 0;
	r->skip = 0;
	r->pending = NULL;
	r->pending_slot = NULL;
	r->seen_root = false;
	r->root_is_object = false;
	memset(r->capture, 0, sizeof(DocSlot *) * (r->maxheight + 1));
	err = pg_parse_json(r->lex, &sem);
	if (err != JSON_SUCCESS)
		return psprintf("The value is not valid JSON: %s",
						json_errdetail(err, r->lex));
	if (!r->root_is_object)
		return pstrdup("The value is JSON but not an object.");
	return NULL;
}

/* ----------------------------------------------------------------------
 * Conversion
 * ---------------------------------------------------------------------- */

static void
setup_aux(PegFdwDocReader *r)
{
	if (r->aux_ready)
		return;
	fmgr_info_cxt(F_NUMERIC_IN, &r->numeric_in, r->cxt);
	fmgr_info_cxt(F_NUMERIC_OUT, &r->numeric_out, r->cxt);
	fmgr_info_cxt(F_JSONB_IN, &r->jsonb_in, r->cxt);
	fmgr_info_cxt(F_JSONB_OUT, &r->jsonb_out, r->cxt);
	r->aux_ready = true;
}

static FmgrInfo *
column_input(PegFdwDocReader *r, PegFdwColumn *c)
{
	int			i = c->attnum - 1;

	if (!r->in_ready[i])
	{
		Oid			infunc;

		getTypeInputInfo(c->typid, &infunc, &r->ioparam[i]);
		fmgr_info_cxt(infunc, &r->in[i], r->cxt);
		r->in_ready[i] = true;
	}
	return &r->in[i];
}

/* A JSON integer that every integer type reads as jsonb would print it. */
static bool
plain_integer(const char *s, size_t len)
{
	size_t		i = (len > 0 && s[0] == '-') ? 1 : 0;

	if (i == len || (i == 1 && len == 2 && s[1] == '0'))
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * The text a column's input function gets for the value found in sl, as
 * ->> gives it (jsonb's output for numbers, objects and arrays).
 */
static char *
field_text(PegFdwDocReader *r, PegFdwColumn *c, DocSlot *sl)
{
	char	   *raw = pnstrdup(sl->raw, sl->rawlen);
	Datum		d;

	if (c->basetype == JSONBOID || c->basetype == JSONOID)
		return raw;
	switch (sl->type)
	{
		case JSON_TOKEN_STRING:
			return sl->str ? sl->str : raw;
		case JSON_TOKEN_NUMBER:
			if (c->basetype == NUMERICOID || c->basetype == FLOAT4OID ||
				c->basetype == FLOAT8OID || plain_integer(raw, sl->rawlen))
				return raw;
			setup_aux(r);
			/* a valid JSON number is valid numeric input */
			d = InputFunctionCall(&r->numeric_in, raw, InvalidOid, -1);
			return OutputFunctionCall(&r->numeric_out, d);
		case JSON_TOKEN_OBJECT_START:
		case JSON_TOKEN_ARRAY_START:
			setup_aux(r);
			d = InputFunctionCall(&r->jsonb_in, raw, InvalidOid, -1);
			return OutputFunctionCall(&r->jsonb_out, d);
		default:
			return raw;			/* true, false */
	}
}

static char *
shown(const char *s, size_t len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, s, Min(len, SHOW_MAX));
	if (len > SHOW_MAX)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

pg_noreturn static void report_bad_field(PegFdwTable *t, PegFdwColumn *c,
										 PegasusSlice h, PegasusSlice s,
										 DocSlot *sl, ErrorData *edata);

static void
report_bad_field(PegFdwTable *t, PegFdwColumn *c, PegasusSlice h,
				 PegasusSlice s, DocSlot *sl, ErrorData *edata)
{
	StringInfoData keys;

	initStringInfo(&keys);
	pegfdw_append_record_keys(&keys, h, s);
	ereport(ERROR,
			(errcode(edata->sqlerrcode),
			 errmsg("%s", edata->message),
			 errdetail("Field \"%s\" of the document with %s in foreign table \"%s\" holds %s, which column \"%s\" of type %s cannot read.",
					   pegfdw_json_path_name(c), keys.data, t->relname,
					   shown(sl->raw, sl->rawlen), c->name,
					   format_type_with_typemod(c->typid, c->typmod)),
			 errhint("Declare the column as text or jsonb to read the field as stored, or set the table option on_bad_document to 'null' to read such fields as NULL.")));
}

pg_noreturn static void report_bad_document(PegFdwTable *t, PegasusSlice h,
											PegasusSlice s, PegasusSlice v,
											const char *why);

static void
report_bad_document(PegFdwTable *t, PegasusSlice h, PegasusSlice s,
					PegasusSlice v, const char *why)
{
	StringInfoData keys;

	initStringInfo(&keys);
	pegfdw_append_record_keys(&keys, h, s);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_JSON_TEXT),
			 errmsg("value of a record of foreign table \"%s\" is not a JSON object",
					t->relname),
			 errdetail("The record with %s holds: %s. %s",
					   keys.data, shown(v.data, v.len), why),
			 errhint("Set the table option on_bad_document to 'null' to read such records with NULL fields, or declare the table with value_format 'raw' to read the values as stored.")));
}

/*
 * Converts one input text for column c; false (the error in *edata) when
 * the type does not accept it.
 */
static bool
input_column(PegFdwDocReader *r, PegFdwColumn *c, char *text, Datum *out,
			 ErrorData **edata)
{
	if (c->typid == TEXTOID)
	{
		*out = CStringGetTextDatum(text);
		return true;
	}
	return pegfdw_input_soft(column_input(r, c), text,
							 r->ioparam[c->attnum - 1], c->typmod, out, edata);
}

/*
 * Fills the columns of group g from one record's value v (keys h and s,
 * for messages).
 */
static void
fill_group(PegFdwTable *t, DocGroup *g, PegasusSlice h, PegasusSlice s,
		   PegasusSlice v, Datum *values, bool *nulls)
{
	PegFdwDocReader *r = t->doc;
	char	   *why;
	bool		bad = false;
	int			i;

	use_group(r, g);
	why = parse_document(r, v.data, v.len);
	if (why != NULL)
	{
		if (!t->bad_document_null)
			report_bad_document(t, h, s, v, why);
		r->bad++;
		return;
	}
	for (i = 0; i < r->nslots; i++)
	{
		DocSlot    *sl = &r->slots[i];
		PegFdwColumn *c = &t->columns[sl->attnum - 1];
		ErrorData  *edata = NULL;
		Datum		d;

		if (!sl->found || sl->type == JSON_TOKEN_NULL)
			continue;
		if (!input_column(r, c, field_text(r, c, sl), &d, &edata))
		{
			if (!t->bad_document_null)
				report_bad_field(t, c, h, s, sl, edata);
			bad = true;
			continue;
		}
		values[sl->attnum - 1] = d;
		nulls[sl->attnum - 1] = false;
	}
	if (r->doc_attno)
	{
		PegFdwColumn *c = &t->columns[r->doc_attno - 1];
		ErrorData  *edata = NULL;
		Datum		d;

		/* parsed above: the input function cannot refuse it */
		if (!input_column(r, c, pnstrdup(v.data, v.len), &d, &edata))
			ReThrowError(edata);
		values[c->attnum - 1] = d;
		nulls[c->attnum - 1] = false;
	}
	if (bad)
		r->bad++;
}

/*
 * Fills the field and document columns marked in needed (NULL = all) from
 * one record's value (kv layout); the others are left as they are.
 */
void
pegfdw_doc_fill(PegFdwTable *t, const bool *needed, PegasusSlice h,
				PegasusSlice s, PegasusSlice v, Datum *values, bool *nulls)
{
	PegFdwDocReader *r = t->doc;

	if (!r->built || r->built_for != needed)
		build_trie(r, t, needed);
	fill_group(t, &r->groups[0], h, s, v, values, nulls);
}

/*
 * Wide layout: fills the columns (marked in needed, NULL = all) that read
 * sort key sort_key of hash key h from that record's value v.
 */
void
pegfdw_doc_fill_wide(PegFdwTable *t, const bool *needed, PegasusSlice h,
					 const char *sort_key, PegasusSlice v, Datum *values,
					 bool *nulls)
{
	PegFdwDocReader *r = t->doc;
	PegasusSlice s;
	int			i;

	if (!r->built || r->built_for != needed)
		build_trie(r, t, needed);
	s.data = sort_key;
	s.len = strlen(sort_key);
	for (i = 0; i < r->ngroups; i++)
		if (strcmp(r->groups[i].sort_key, sort_key) == 0)
		{
			fill_group(t, &r->groups[i], h, s, v, values, nulls);
			return;
		}
}

/*
 * Wide layout: is column attno the first of those that read its sort key
 * (the one whose value converts them all)?
 */
bool
pegfdw_doc_group_leader(PegFdwTable *t, AttrNumber attno)
{
	PegFdwColumn *c = &t->columns[attno - 1];
	int			i;

	for (i = 0; i < attno - 1; i++)
		if (!t->columns[i].dropped && t->columns[i].role == PEGFDW_ROLE_NONE &&
			strcmp(t->columns[i].wide_sort_key, c->wide_sort_key) == 0)
			return false;
	return true;
}
