/*-------------------------------------------------------------------------
 *
 * json_doc_plan.c
 *		What EXPLAIN VERBOSE says of a scan of a table of documents: the
 *		fields it reads, and the fields whose conditions run locally.
 *
 * Pegasus filters keys only: a condition on a field is evaluated by
 * PostgreSQL on every record the request returns, after the document is
 * parsed.  The description says so, since such a condition does not make
 * the request any smaller.
 *
 * src/fdw/json_doc_plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "lib/stringinfo.h"
#include "nodes/bitmapset.h"
#include "optimizer/optimizer.h"

#include "pegasus_fdw.h"

static bool
member(Bitmapset *attrs, AttrNumber attno)
{
	return bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, attrs) ||
		bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
}

static void
append_fields(StringInfo buf, PegFdwTable *t, Bitmapset *attrs,
			  const char *label)
{
	int			i;
	int			n = 0;

	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (c->dropped || !member(attrs, c->attnum) ||
			(c->role != PEGFDW_ROLE_FIELD && c->role != PEGFDW_ROLE_DOCUMENT &&
			 c->role != PEGFDW_ROLE_NONE))
			continue;
		appendStringInfo(buf, "%s", n++ ? ", " : label);
		/* wide: sort key:path */
		if (c->role == PEGFDW_ROLE_NONE)
			appendStringInfo(buf, "%s:", c->wide_sort_key);
		appendStringInfoString(buf, pegfdw_json_path_name(c));
	}
}

/*
 * Appends to the description of a request on table t of relation relid
 * the fields it reads (attrs, as pull_varattnos gives them) and those that
 * local_exprs, the conditions left to PostgreSQL, look at.
 */
void
pegfdw_describe_fields(StringInfo buf, PegFdwTable *t, Index relid,
					   Bitmapset *attrs, List *local_exprs)
{
	Bitmapset  *local = NULL;

	if (t->value_format != PEGFDW_FORMAT_JSON)
		return;
	append_fields(buf, t, attrs, "; document fields read: ");
	pull_varattnos((Node *) local_exprs, relid, &local);
	append_fields(buf, t, local, "; conditions on fields run locally: ");
}
