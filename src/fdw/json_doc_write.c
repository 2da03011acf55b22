/*-------------------------------------------------------------------------
 *
 * json_doc_write.c
 *		Writing documents: a column's value as JSON, and a JSON object with
 *		some fields set or removed (pegfdw_doc_patch), used by INSERT (from
 *		"{}" or the document column) and UPDATE (from the stored value).
 *
 * A patch leaves every byte of a member it does not touch as stored: the
 * objects on the paths it edits are written again member by member (the
 * untouched members copied from the stored text, so only the blanks
 * between members change), and everything else is copied whole.  A field
 * that is set but missing is added after the members of the deepest object
 * of its path that exists, with the objects missing above it; fields are
 * added in the order of the edits, so INSERT writes the columns' fields in
 * column order.  When an object has the same key twice, the last one
 * counts (as in jsonb) and an edit of it keeps one member only.
 *
 * src/fdw/json_doc_write.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"

#include "pegasus_fdw.h"
#include "json_doc.h"

/* A member of an object on an edited path, as found in the document. */
typedef struct Member
{
	const char *start;			/* the key's opening quote */
	const char *end;			/* after the value */
	struct PNode *node;			/* the edited key it is, or NULL */
} Member;

/* A key of the trie of the edited paths. */
typedef struct PNode
{
	const char *key;
	int			nchildren;
	struct PNode **children;
	int			edit;			/* the edit of this path, or -1 */
	bool		has_set;		/* an edit below (or here) sets a value */
	bool		found;
	bool		is_object;
	const char *vstart;			/* the value's text */
	const char *vend;
	int			nmembers;		/* when an object */
	int			maxmembers;
	Member	   *members;
	bool		emitted;
} PNode;

typedef struct PatchState
{
	JsonLexContext *lex;
	PNode	  **stack;
	int			depth;
	int			skip;
	PNode	   *pending;
	const char **cursor;		/* per depth: after the last member */
	Member	  **open_member;	/* per depth: the member being read */
	bool		seen_root;
	bool		root_is_object;
} PatchState;

static PNode *
pnode(const char *key)
{
	PNode	   *n = palloc0(sizeof(PNode));

	n->key = key;
	n->edit = -1;
	return n;
}

static PNode *
pchild(PNode *p, const char *key, bool add)
{
	int			i;

	for (i = 0; i < p->nchildren; i++)
		if (strcmp(p->children[i]->key, key) == 0)
			return p->children[i];
	if (!add)
		return NULL;
	p->children = p->nchildren == 0 ? palloc(sizeof(PNode *)) :
		repalloc(p->children, sizeof(PNode *) * (p->nchildren + 1));
	p->children[p->nchildren] = pnode(key);
	return p->children[p->nchildren++];
}

static void
add_member(PNode *n, const char *start, PNode *node)
{
	if (n->nmembers == n->maxmembers)
	{
		n->maxmembers = Max(8, n->maxmembers * 2);
		n->members = n->members == NULL ?
			palloc(sizeof(Member) * n->maxmembers) :
			repalloc(n->members, sizeof(Member) * n->maxmembers);
	}
	n->members[n->nmembers].start = start;
	n->members[n->nmembers].end = NULL;
	n->members[n->nmembers].node = node;
	n->nmembers++;
}

PEGFDW_JSON_ACTION
patch_object_start(void *state)
{
	PatchState *p = state;
	PNode	   *n = NULL;

	if (!p->seen_root)
	{
		p->seen_root = true;
		p->root_is_object = true;
		n = p->stack[0];
	}
	else if (p->skip == 0 && p->pending && p->pending->nchildren > 0)
		n = p->pending;
	if (n)
	{
		n->is_object = true;
		n->nmembers = 0;
		p->stack[p->depth] = n;
		p->cursor[p->depth] = p->lex->token_start + 1;
		p->depth++;
	}
	else
		p->skip++;
	p->pending = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
patch_array_start(void *state)
{
	PatchState *p = state;

	p->seen_root = true;
	p->skip++;
	p->pending = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
patch_struct_end(void *state)
{
	PatchState *p = state;

	if (p->skip > 0)
		p->skip--;
	else if (p->depth > 0)
		p->depth--;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
patch_field_start(void *state, char *fname, bool isnull)
{
	PatchState *p = state;
	PNode	   *parent;
	PNode	   *n;
	const char *k;

	p->pending = NULL;
	if (p->skip > 0 || p->depth == 0 || fname == NULL)
		PEGFDW_JSON_ACTION_DONE;
	parent = p->stack[p->depth - 1];
	n = pchild(parent, fname, false);
	/* the key starts after the blanks and the comma that follow the last */
	k = p->cursor[p->depth - 1];
	while (*k == ' ' || *k == '\t' || *k == '\n' || *k == '\r' || *k == ',')
		k++;
	add_member(parent, k, n);
	p->open_member[p->depth - 1] = &parent->members[parent->nmembers - 1];
	if (n)
	{
		n->found = true;
		n->is_object = false;
		n->emitted = false;
		n->vstart = p->lex->token_start;
		p->pending = n;
	}
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
patch_field_end(void *state, char *fname, bool isnull)
{
	PatchState *p = state;

	if (p->skip == 0 && p->depth > 0 && p->open_member[p->depth - 1])
	{
		Member	   *m = p->open_member[p->depth - 1];

		m->end = p->lex->prev_token_terminator;
		if (m->node)
			m->node->vend = m->end;
		p->cursor[p->depth - 1] = m->end;
		p->open_member[p->depth - 1] = NULL;
	}
	p->pending = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

PEGFDW_JSON_ACTION
patch_scalar(void *state, char *token, JsonTokenType tokentype)
{
	PatchState *p = state;

	p->seen_root = true;
	p->pending = NULL;
	PEGFDW_JSON_ACTION_DONE;
}

static void
append_key(StringInfo out, int *count, const char *key)
{
	if ((*count)++ > 0)
		appendStringInfoChar(out, ',');
	escape_json(out, key);
	appendStringInfoChar(out, ':');
}

/* A subtree missing from the document: its set fields, as new objects. */
static void
emit_missing(StringInfo out, PNode *n, PegFdwDocEdit *edits)
{
	int			i;
	int			count = 0;

	if (n->edit >= 0)
	{
		appendStringInfoString(out, edits[n->edit].json);
		return;
	}
	appendStringInfoChar(out, '{');
	for (i = 0; i < n->nchildren; i++)
	{
		if (!n->children[i]->has_set)
			continue;
		append_key(out, &count, n->children[i]->key);
		emit_missing(out, n->children[i], edits);
	}
	appendStringInfoChar(out, '}');
}

/* An object on an edited path, written again with its edits. */
static bool
emit_object(StringInfo out, PNode *n, PegFdwDocEdit *edits, PNode **blocked)
{
	int			i;
	int			count = 0;

	appendStringInfoChar(out, '{');
	for (i = 0; i < n->nmembers; i++)
	{
		Member	   *m = &n->members[i];
		PNode	   *c = m->node;

		if (c == NULL || (c->edit < 0 && !c->has_set && !c->is_object))
		{
			/* untouched: copied as stored */
			if (c && c->emitted)
				continue;
			if (c)
				c->emitted = true;
			if (count++ > 0)
				appendStringInfoChar(out, ',');
			appendBinaryStringInfo(out, m->start, m->end - m->start);
			continue;
		}
		if (c->emitted)
			continue;			/* a repeated key: the last one was used */
		c->emitted = true;
		if (c->edit >= 0)
		{
			if (edits[c->edit].json == NULL)
				continue;		/* removed */
			append_key(out, &count, c->key);
			appendStringInfoString(out, edits[c->edit].json);
		}
		else if (c->is_object)
		{
			append_key(out, &count, c->key);
			if (!emit_object(out, c, edits, blocked))
				return false;
		}
		else
		{
			*blocked = c;		/* a field to set inside a non-object */
			return false;
		}
	}
	for (i = 0; i < n->nchildren; i++)
	{
		PNode	   *c = n->children[i];

		if (c->found || !c->has_set)
			continue;
		append_key(out, &count, c->key);
		emit_missing(out, c, edits);
	}
	appendStringInfoChar(out, '}');
	return true;
}

static bool
mark_sets(PNode *n, PegFdwDocEdit *edits)
{
	int			i;

	n->has_set = n->edit >= 0 && edits[n->edit].json != NULL;
	for (i = 0; i < n->nchildren; i++)
		if (mark_sets(n->children[i], edits))
			n->has_set = true;
	return n->has_set;
}

/*
 * Applies nedits edits to the JSON object in base (len bytes).  Returns the
 * new object's text, palloc'd; or NULL with *why set to a sentence when
 * base is not a JSON object or an edit would set a field inside a value
 * that is not an object.  found (may be NULL) receives per edit the text
 * its path held in base, NULL when missing.
 */
char *
pegfdw_doc_patch(const char *base, size_t len, PegFdwDocEdit *edits,
				 int nedits, char ***found, char **why)
{
	PNode	   *root = pnode("");
	PNode	  **nodes = palloc(sizeof(PNode *) * Max(nedits, 1));
	PatchState p;
	JsonLexContext storage;
	JsonSemAction sem;
	JsonParseErrorType err;
	StringInfoData out;
	PNode	   *blocked = NULL;
	int			height = 1;
	int			i;

	*why = NULL;
	for (i = 0; i < nedits; i++)
	{
		PNode	   *n = root;
		int			k;

		for (k = 0; k < edits[i].npath; k++)
			n = pchild(n, edits[i].path[k], true);
		n->edit = i;
		nodes[i] = n;
		height = Max(height, edits[i].npath + 1);
	}
	mark_sets(root, edits);

	if (!pg_verifymbstr(base, (int) len, true))
	{
		*why = psprintf("The value is not valid %s text.",
						GetDatabaseEncodingName());
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.stack = palloc0(sizeof(PNode *) * (height + 1));
	p.cursor = palloc0(sizeof(char *) * (height + 1));
	p.open_member = palloc0(sizeof(Member *) * (height + 1));
	p.stack[0] = root;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &p;
	sem.object_start = patch_object_start;
	sem.object_end = patch_struct_end;
	sem.array_start = patch_array_start;
	sem.array_end = patch_struct_end;
	sem.object_field_start = patch_field_start;
	sem.object_field_end = patch_field_end;
	sem.scalar = patch_scalar;
	p.lex = pegfdw_json_lexer(&storage, base, len, true);
	err = pg_parse_json(p.lex, &sem);
	if (err != JSON_SUCCESS)
	{
		*why = psprintf("The value is not valid JSON: %s",
						json_errdetail(err, p.lex));
		return NULL;
	}
	if (!p.root_is_object)
	{
		*why = pstrdup("The value is JSON but not an object.");
		return NULL;
	}
	if (found)
	{
		*found = palloc0(sizeof(char *) * Max(nedits, 1));
		for (i = 0; i < nedits; i++)
			if (nodes[i]->found)
				(*found)[i] = pnstrdup(nodes[i]->vstart,
									   nodes[i]->vend - nodes[i]->vstart);
	}
	initStringInfo(&out);
	if (!emit_object(&out, root, edits, &blocked))
	{
		*why = psprintf("Field \"%s\" of the document holds %.*s, which is not an object, and a field inside it is to be set.",
						blocked->key, (int) Min(blocked->vend - blocked->vstart, 64),
						blocked->vstart);
		return NULL;
	}
	return out.data;
}

/*
 * Appends the JSON for a non-null value d of column c, whose output
 * function is out, as to_jsonb writes it: true/false for bool, a number
 * for numeric types (a string when not finite), the text of json and
 * jsonb, dates and times in ISO 8601, and a string of the text output for
 * every other type.
 */
void
pegfdw_datum_to_json(StringInfo buf, PegFdwColumn *c, FmgrInfo *out, Datum d)
{
	char	   *s;

	switch (c->basetype)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(d) ? "true" : "false");
			return;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			s = OutputFunctionCall(out, d);
			if (IsValidJsonNumber(s, strlen(s)))
				appendStringInfoString(buf, s);
			else
				escape_json(buf, s);
			return;
		case JSONOID:
		case JSONBOID:
			appendStringInfoString(buf, OutputFunctionCall(out, d));
			return;
		case DATEOID:
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				char		tmp[MAXDATELEN + 1];

				escape_json(buf, JsonEncodeDateTime(tmp, d, c->basetype, NULL));
			}
			return;
		default:
			escape_json(buf, OutputFunctionCall(out, d));
			return;
	}
}
