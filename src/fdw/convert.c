/*-------------------------------------------------------------------------
 *
 * convert.c
 *		Conversions between Pegasus bytes and PostgreSQL Datums.
 *
 * Keys are raw bytes: text and varchar keys are the string's bytes (checked
 * to be valid in the database encoding when read), bytea keys any bytes.
 * Values: bytea is the raw bytes; every other type goes through its text
 * input and output functions (so integers are decimal strings, the format
 * Pegasus's incr uses, and json/jsonb are their text).  Conversion errors
 * name the column and the foreign table in their context.
 *
 * src/fdw/convert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pegasus_fdw.h"

typedef struct ConvContext
{
	PegFdwTable *table;
	PegFdwColumn *col;
} ConvContext;

static void
conversion_error_callback(void *arg)
{
	ConvContext *cc = (ConvContext *) arg;

	errcontext("column \"%s\" of foreign table \"%s\"",
			   cc->col->name, cc->table->relname);
}

PegFdwTypeIO *
pegfdw_make_type_io(PegFdwTable *table)
{
	return palloc0(sizeof(PegFdwTypeIO) * Max(table->natts, 1));
}

static bytea *
bytes_to_bytea(const char *data, size_t len)
{
	bytea	   *b = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(b), data, len);
	return b;
}

/*
 * Converts bytes read from Pegasus into a Datum of col's type, allocated in
 * the current memory context.
 */
Datum
pegfdw_bytes_to_datum(PegFdwTable *table, PegFdwTypeIO *io, PegFdwColumn *col,
					  const char *data, size_t len)
{
	ErrorContextCallback errcb;
	ConvContext cc;
	PegFdwTypeIO *tio = &io[col->attnum - 1];
	Datum		result;
	char	   *str;

	if (col->basetype == BYTEAOID)
		return PointerGetDatum(bytes_to_bytea(data, len));

	cc.table = table;
	cc.col = col;
	errcb.callback = conversion_error_callback;
	errcb.arg = &cc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	if (len > 0)
		(void) pg_verifymbstr(data, (int) len, false);
	if (col->typid == TEXTOID)
		result = PointerGetDatum(cstring_to_text_with_len(data, (int) len));
	else
	{
		if (!tio->in_ready)
		{
			Oid			infunc;

			getTypeInputInfo(col->typid, &infunc, &tio->ioparam);
			fmgr_info_cxt(infunc, &tio->in, CurrentMemoryContext);
			tio->in_ready = true;
		}
		str = pnstrdup(data, len);
		result = InputFunctionCall(&tio->in, str, tio->ioparam, col->typmod);
	}
	error_context_stack = errcb.previous;
	return result;
}

/*
 * Converts a non-null Datum of col's type into the bytes to store.  The
 * bytes point into the Datum or into memory of the current context.
 */
void
pegfdw_datum_to_bytes(PegFdwTable *table, PegFdwTypeIO *io, PegFdwColumn *col,
					  Datum value, const char **data, size_t *len)
{
	PegFdwTypeIO *tio = &io[col->attnum - 1];
	char	   *str;

	if (col->basetype == BYTEAOID || col->basetype == TEXTOID ||
		col->basetype == VARCHAROID)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		*data = VARDATA_ANY(v);
		*len = VARSIZE_ANY_EXHDR(v);
		return;
	}
	if (!tio->out_ready)
	{
		Oid			outfunc;
		bool		isvarlena;

		getTypeOutputInfo(col->typid, &outfunc, &isvarlena);
		fmgr_info_cxt(outfunc, &tio->out, CurrentMemoryContext);
		tio->out_ready = true;
	}
	str = OutputFunctionCall(&tio->out, value);
	*data = str;
	*len = strlen(str);
}

/* A key column's Datum from its bytes. */
static Datum
key_datum(PegFdwTable *table, PegFdwTypeIO *io, AttrNumber attno,
		  PegasusSlice key)
{
	PegFdwColumn *col = &table->columns[attno - 1];

	if (col->basetype == BYTEAOID)
		return PointerGetDatum(bytes_to_bytea(key.data, key.len));
	return pegfdw_bytes_to_datum(table, io, col, key.data, key.len);
}

/*
 * Fills values/nulls (natts entries) for one key-value record.  value NULL
 * means the value was not fetched; ttl_seconds <= 0 means none.
 */
void
pegfdw_fill_kv_row(PegFdwTable *table, PegFdwTypeIO *io,
				   PegasusSlice hash_key, PegasusSlice sort_key,
				   const PegasusSlice *value, int32 ttl_seconds,
				   Datum *values, bool *nulls)
{
	int			i;

	for (i = 0; i < table->natts; i++)
		nulls[i] = true;
	nulls[table->hash_attno - 1] = false;
	values[table->hash_attno - 1] = key_datum(table, io, table->hash_attno, hash_key);
	nulls[table->sort_attno - 1] = false;
	values[table->sort_attno - 1] = key_datum(table, io, table->sort_attno, sort_key);
	if (table->value_attno && value)
	{
		nulls[table->value_attno - 1] = false;
		values[table->value_attno - 1] =
			pegfdw_bytes_to_datum(table, io, &table->columns[table->value_attno - 1],
								  value->data, value->len);
	}
	if (table->ttl_attno && ttl_seconds > 0)
	{
		Oid			t = table->columns[table->ttl_attno - 1].basetype;

		nulls[table->ttl_attno - 1] = false;
		values[table->ttl_attno - 1] = t == INT8OID ? Int64GetDatum(ttl_seconds) :
			t == INT2OID ? Int16GetDatum(Min(ttl_seconds, PG_INT16_MAX)) :
			Int32GetDatum(ttl_seconds);
	}
}
