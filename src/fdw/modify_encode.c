/*-------------------------------------------------------------------------
 *
 * modify_encode.c
 *		Rows of INSERT, UPDATE and DELETE encoded as Pegasus keys and values,
 *		and refused (NULL keys, invalid hash keys, TTLs out of range) before
 *		anything is sent.
 *
 * src/fdw/modify_encode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pegasus_fdw.h"
#include "modify_internal.h"

/* The bytes of a value of column attno, copied into the current context. */
static PegasusSlice
encode_value(PegFdwModifyState *ms, AttrNumber attno, Datum d)
{
	const char *data;
	size_t		len;
	char	   *copy;
	PegasusSlice sl;

	pegfdw_datum_to_bytes(ms->table, ms->io, &ms->table->columns[attno - 1],
						  d, &data, &len);
	copy = palloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	sl.data = copy;
	sl.len = len;
	return sl;
}

static void
refuse_null(PegFdwModifyState *ms, AttrNumber attno)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("null value in column \"%s\" of foreign table \"%s\" cannot be stored in Pegasus",
					ms->table->columns[attno - 1].name, ms->table->relname)));
}

static PegasusSlice
column_bytes(PegFdwModifyState *ms, TupleTableSlot *slot, AttrNumber attno,
			 bool *isnull)
{
	PegasusSlice sl = {NULL, 0};
	Datum		d = slot_getattr(slot, attno, isnull);

	if (*isnull)
		return sl;
	return encode_value(ms, attno, d);
}

static void
check_hash_key(PegFdwModifyState *ms, PegasusSlice h)
{
	if (h.len == 0 || h.len >= PEGASUS_MAX_HASH_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid hash key for foreign table \"%s\"", ms->table->relname),
				 errdetail("Pegasus hash keys must be between 1 and %d bytes long.",
						   PEGASUS_MAX_HASH_KEY_LEN - 1),
				 errhint("Give every row a non-empty hash key of at most %d bytes, or leave out the rows whose hash key is empty or longer.",
						 PEGASUS_MAX_HASH_KEY_LEN - 1)));
}

PegasusSlice
pegfdw_row_hash_key(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		isnull;
	PegasusSlice h = column_bytes(ms, slot, ms->table->hash_attno, &isnull);

	if (isnull)
		refuse_null(ms, ms->table->hash_attno);
	check_hash_key(ms, h);
	return h;
}

static int32
ttl_of(PegFdwModifyState *ms, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d;
	int64		ttl;
	Oid			t;

	if (ms->table->ttl_attno == 0)
		return 0;
	d = slot_getattr(slot, ms->table->ttl_attno, &isnull);
	if (isnull)
		return 0;
	t = ms->table->columns[ms->table->ttl_attno - 1].basetype;
	ttl = t == INT8OID ? DatumGetInt64(d) : t == INT2OID ? DatumGetInt16(d) :
		DatumGetInt32(d);
	if (ttl < 0 || ttl > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ttl " INT64_FORMAT " for foreign table \"%s\"",
						ttl, ms->table->relname),
				 errdetail("The ttl is a number of seconds; 0 or NULL means no expiry.")));
	return (int32) ttl;
}

/* A column that must not be NULL. */
static Datum
slot_getattr_notnull(PegFdwModifyState *ms, TupleTableSlot *slot,
					 AttrNumber attno)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, attno, &isnull);

	if (isnull)
		refuse_null(ms, attno);
	return d;
}

/* The bytes of a column that must not be NULL, not copied. */
static PegasusSlice
column_ref(PegFdwModifyState *ms, TupleTableSlot *slot, AttrNumber attno)
{
	PegasusSlice sl;
	bool		isnull;
	Datum		d = slot_getattr(slot, attno, &isnull);
	const char *data;
	size_t		len;

	if (isnull)
		refuse_null(ms, attno);
	pegfdw_datum_to_bytes(ms->table, ms->io, &ms->table->columns[attno - 1],
						  d, &data, &len);
	sl.data = data;
	sl.len = len;
	return sl;
}

/* Copies sl to p (NUL-terminated); returns the copy, and p moves past it. */
static PegasusSlice
copy_to(PegasusSlice sl, char **p)
{
	PegasusSlice c;

	if (sl.len > 0)
		memcpy(*p, sl.data, sl.len);
	(*p)[sl.len] = '\0';
	c.data = *p;
	c.len = sl.len;
	*p += sl.len + 1;
	return c;
}

/*
 * A kv row of slot, as a put: its slices and their bytes in one
 * allocation (a load pays for every palloc of every row).
 */
void
pegfdw_encode_kv_put(PegFdwModifyState *ms, TupleTableSlot *slot, PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;
	PegasusSlice h = column_ref(ms, slot, t->hash_attno);
	PegasusSlice sk;
	PegasusSlice v = {NULL, 0};
	PegasusSlice *slices;
	char	   *p;

	check_hash_key(ms, h);
	sk = column_ref(ms, slot, t->sort_attno);
	if (t->value_format == PEGFDW_FORMAT_JSON)
		v = pegfdw_json_insert_value(ms, slot);
	else if (t->value_attno)
		v = column_ref(ms, slot, t->value_attno);
	slices = palloc(sizeof(PegasusSlice) * 2 + h.len + sk.len + v.len + 3);
	p = (char *) (slices + 2);
	row->hash_key = copy_to(h, &p);
	row->nkeys = 1;
	row->sort_keys = &slices[0];
	row->values = &slices[1];
	row->sort_keys[0] = copy_to(sk, &p);
	row->values[0] = copy_to(v, &p);
	row->ttl = ttl_of(ms, slot);
}

/*
 * The keys and ttl of a kv row of slot, without its value (values NULL):
 * an UPDATE of a document makes the value from the stored one.
 */
void
pegfdw_encode_kv_keys(PegFdwModifyState *ms, TupleTableSlot *slot,
					  PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;

	row->hash_key = pegfdw_row_hash_key(ms, slot);
	row->nkeys = 1;
	row->sort_keys = palloc(sizeof(PegasusSlice));
	row->sort_keys[0] = encode_value(ms, t->sort_attno,
									 slot_getattr_notnull(ms, slot, t->sort_attno));
	row->values = NULL;
	row->ttl = ttl_of(ms, slot);
}

/*
 * A wide row of slot: puts of its non-null mapped columns (only those in
 * only_cols when not NULL).  Null columns go to *dels (when not NULL).
 */
void
pegfdw_encode_wide_row(PegFdwModifyState *ms, TupleTableSlot *slot,
				Bitmapset *only_cols, PegFdwWriteRow *row, PegFdwWriteRow *dels)
{
	PegFdwTable *t = ms->table;
	int			i;

	/* documents: UPDATE has its own path (json_doc_modify.c) */
	row->hash_key = pegfdw_row_hash_key(ms, slot);
	if (t->value_format == PEGFDW_FORMAT_JSON)
	{
		pegfdw_json_wide_insert_row(ms, slot, row);
		return;
	}
	row->nkeys = 0;
	row->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
	row->values = palloc(sizeof(PegasusSlice) * t->natts);
	row->ttl = 0;
	if (dels)
	{
		dels->hash_key = row->hash_key;
		dels->nkeys = 0;
		dels->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
		dels->values = NULL;
		dels->ttl = 0;
	}
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];
		PegasusSlice sk;
		PegasusSlice v;
		bool		isnull;

		if (c->dropped || c->role != PEGFDW_ROLE_NONE)
			continue;
		if (only_cols && !bms_is_member(c->attnum, only_cols))
			continue;
		sk.data = c->wide_sort_key;
		sk.len = strlen(c->wide_sort_key);
		v = column_bytes(ms, slot, c->attnum, &isnull);
		if (!isnull)
		{
			row->sort_keys[row->nkeys] = sk;
			row->values[row->nkeys++] = v;
		}
		else if (dels)
			dels->sort_keys[dels->nkeys++] = sk;
	}
}

/* Every mapped sort key of a wide row, as a delete of hash key h. */
void
pegfdw_wide_delete_row(PegFdwModifyState *ms, PegasusSlice h, PegFdwWriteRow *row)
{
	PegFdwTable *t = ms->table;
	int			i;

	row->hash_key = h;
	row->nkeys = 0;
	row->sort_keys = palloc(sizeof(PegasusSlice) * t->natts);
	row->values = NULL;
	row->ttl = 0;
	for (i = 0; i < t->natts; i++)
	{
		PegFdwColumn *c = &t->columns[i];

		if (c->dropped || c->role != PEGFDW_ROLE_NONE)
			continue;
		/* the columns of one document share its sort key */
		if (t->value_format == PEGFDW_FORMAT_JSON &&
			!pegfdw_doc_group_leader(t, c->attnum))
			continue;
		row->sort_keys[row->nkeys].data = c->wide_sort_key;
		row->sort_keys[row->nkeys++].len = strlen(c->wide_sort_key);
	}
}

/* The old row's key column, from the plan's junk column. */
PegasusSlice
pegfdw_junk_key(PegFdwModifyState *ms, TupleTableSlot *planSlot, AttrNumber junk,
		 AttrNumber attno)
{
	bool		isnull;
	Datum		d = ExecGetJunkAttribute(planSlot, junk, &isnull);

	if (isnull)
		elog(ERROR, "row identity column of foreign table \"%s\" is null",
			 ms->table->relname);
	return encode_value(ms, attno, d);
}

/* Copies a row (slices included) into the current memory context. */
PegFdwWriteRow
pegfdw_copy_row(const PegFdwWriteRow *src)
{
	PegFdwWriteRow r = *src;
	int			nslices = Max(src->nkeys, 1) * (src->values ? 2 : 1);
	size_t		bytes = src->hash_key.len + 1;
	PegasusSlice *slices;
	char	   *p;
	int			i;

	/* one allocation for the slices and their bytes */
	for (i = 0; i < src->nkeys; i++)
		bytes += src->sort_keys[i].len + 1 +
			(src->values ? src->values[i].len + 1 : 0);
	slices = palloc(sizeof(PegasusSlice) * nslices + bytes);
	p = (char *) (slices + nslices);
	r.hash_key = copy_to(src->hash_key, &p);
	r.sort_keys = slices;
	r.values = src->values ? slices + Max(src->nkeys, 1) : NULL;
	for (i = 0; i < src->nkeys; i++)
	{
		r.sort_keys[i] = copy_to(src->sort_keys[i], &p);
		if (src->values)
			r.values[i] = copy_to(src->values[i], &p);
	}
	return r;
}

/* What a row adds to the size of a write request (see PEGFDW_MAX_WRITE_BYTES). */
size_t
pegfdw_row_bytes(const PegFdwWriteRow *r)
{
	size_t		n = 0;
	int			k;

	for (k = 0; k < r->nkeys; k++)
		n += PEGFDW_WRITE_ENTRY_BYTES + r->sort_keys[k].len +
			(r->values ? r->values[k].len : 0);
	return n;
}
