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
 * name the column, the foreign table and (for key-value records) the
 * record's keys in their context, and hint at declaring the column so that
 * the stored bytes can be read.
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
	const PegasusSlice *hash_key;	/* the record, when known */
	const PegasusSlice *sort_key;
} ConvContext;

static void
conversion_error_callback(void *arg)
{
	ConvContext *cc = (ConvContext *) arg;
	StringInfoData buf;

	if (cc->hash_key == NULL)
	{
		errcontext("column \"%s\" of foreign table \"%s\"",
				   cc->col->name, cc->table->relname);
		return;
	}
	initStringInfo(&buf);
	appendStringInfoString(&buf, "hash key ");
	pegfdw_show_key(&buf, cc->hash_key);
	if (cc->sort_key)
	{
		appendStringInfoString(&buf, ", sort key ");
		pegfdw_show_key(&buf, cc->sort_key);
	}
	errcontext("column \"%s\" of foreign table \"%s\", record with %s",
			   cc->col->name, cc->table->relname, buf.data);
}

/*
 * Conversion state of table's columns, in the current memory context; a
 * table of documents also gets its document reader there.
 */
PegFdwTypeIO *
pegfdw_make_type_io(PegFdwTable *table)
{
	if (table->value_format == PEGFDW_FORMAT_JSON && table->doc == NULL)
		table->doc = pegfdw_doc_reader_create(table);
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
 * Refuses bytes that are not text of the database encoding (a NUL byte
 * included) with the SQLSTATE PostgreSQL uses, and tells how to read them.
 */
static void
check_encoding(const char *data, size_t len)
{
	int			encoding = GetDatabaseEncoding();
	int			valid;
	int			i;
	int			n;
	StringInfoData bytes;

	if (len == 0 || pg_verifymbstr(data, (int) len, true))
		return;
	valid = pg_encoding_verifymbstr(encoding, data, (int) len);
	n = Min((int) len - valid, Max(pg_encoding_mblen(encoding, data + valid), 1));
	initStringInfo(&bytes);
	for (i = 0; i < n; i++)
		appendStringInfo(&bytes, "%s0x%02x", i ? " " : "",
						 (unsigned char) data[valid + i]);
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\": %s",
					GetDatabaseEncodingName(), bytes.data),
			 errdetail("The %zu-byte value read from Pegasus is not valid %s text from byte offset %d on.",
					   len, GetDatabaseEncodingName(), valid),
			 errhint("Declare the column as bytea to read values that are not text.")));
}

/*
 * Runs a type's input function on stored text; a data error it raises
 * gets a hint on reading the value as stored.
 */
static Datum
input_stored_text(PegFdwColumn *col, PegFdwTypeIO *tio, char *str)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		result = InputFunctionCall(&tio->in, str, tio->ioparam, col->typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* Only data errors (class 22) are about the stored value. */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION ||
			edata->hint != NULL)
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		FlushErrorState();
		edata->hint = psprintf("The value stored in Pegasus is not valid input for type %s; declare the column as text or bytea to read it as stored.",
							   format_type_with_typemod(col->typid, col->typmod));
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/*
 * Converts the bytes of one column, with the record's keys (when given)
 * named in the context of a conversion error.
 */
static Datum
convert_bytes(PegFdwTable *table, PegFdwTypeIO *io, PegFdwColumn *col,
			  const char *data, size_t len,
			  const PegasusSlice *hash_key, const PegasusSlice *sort_key)
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
	cc.hash_key = hash_key;
	cc.sort_key = sort_key;
	errcb.callback = conversion_error_callback;
	errcb.arg = &cc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	check_encoding(data, len);
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
		result = input_stored_text(col, tio, str);
	}
	error_context_stack = errcb.previous;
	return result;
}

/*
 * Converts bytes read from Pegasus into a Datum of col's type, allocated in
 * the current memory context.
 */
Datum
pegfdw_bytes_to_datum(PegFdwTable *table, PegFdwTypeIO *io, PegFdwColumn *col,
					  const char *data, size_t len)
{
	return convert_bytes(table, io, col, data, len, NULL, NULL);
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

/* A key column's Datum from its bytes, in the record (hash, sort). */
static Datum
key_datum(PegFdwTable *table, PegFdwTypeIO *io, AttrNumber attno,
		  const PegasusSlice *key, const PegasusSlice *hash,
		  const PegasusSlice *sort)
{
	PegFdwColumn *col = &table->columns[attno - 1];

	if (col->basetype == BYTEAOID)
		return PointerGetDatum(bytes_to_bytea(key->data, key->len));
	return convert_bytes(table, io, col, key->data, key->len, hash, sort);
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
	pegfdw_fill_kv_columns(table, io, NULL, hash_key, sort_key, value,
						   ttl_seconds, values, nulls);
}

/*
 * Like pegfdw_fill_kv_row, converting only the columns marked in needed
 * (indexed by attnum - 1; NULL = all): the others are left NULL, as scans
 * do for columns nothing above them reads.
 */
void
pegfdw_fill_kv_columns(PegFdwTable *table, PegFdwTypeIO *io,
					   const bool *needed,
					   PegasusSlice hash_key, PegasusSlice sort_key,
					   const PegasusSlice *value, int32 ttl_seconds,
					   Datum *values, bool *nulls)
{
	int			i;

	for (i = 0; i < table->natts; i++)
		nulls[i] = true;
	if (needed == NULL || needed[table->hash_attno - 1])
	{
		nulls[table->hash_attno - 1] = false;
		values[table->hash_attno - 1] = key_datum(table, io, table->hash_attno,
												  &hash_key, &hash_key, &sort_key);
	}
	if (needed == NULL || needed[table->sort_attno - 1])
	{
		nulls[table->sort_attno - 1] = false;
		values[table->sort_attno - 1] = key_datum(table, io, table->sort_attno,
												  &sort_key, &hash_key, &sort_key);
	}
	if (table->value_format == PEGFDW_FORMAT_JSON)
	{
		if (value && pegfdw_value_needed(table, needed))
			pegfdw_doc_fill(table, needed, hash_key, sort_key, *value,
							values, nulls);
	}
	else if (table->value_attno && value &&
			 (needed == NULL || needed[table->value_attno - 1]))
	{
		nulls[table->value_attno - 1] = false;
		values[table->value_attno - 1] =
			convert_bytes(table, io, &table->columns[table->value_attno - 1],
						  value->data, value->len, &hash_key, &sort_key);
	}
	if (table->ttl_attno && ttl_seconds > 0)
	{
		Oid			t = table->columns[table->ttl_attno - 1].basetype;

		/* A clamped ttl would be silently wrong: refuse it instead. */
		if (t == INT2OID && ttl_seconds > PG_INT16_MAX)
		{
			StringInfoData keys;

			initStringInfo(&keys);
			pegfdw_show_key(&keys, &hash_key);
			appendStringInfoString(&keys, ", sort key ");
			pegfdw_show_key(&keys, &sort_key);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("ttl %d of a record is out of range for column \"%s\" of type smallint",
							(int) ttl_seconds, table->columns[table->ttl_attno - 1].name),
					 errdetail("The record with hash key %s of foreign table \"%s\" expires in %d seconds.",
							   keys.data, table->relname, (int) ttl_seconds),
					 errhint("Declare the ttl column as integer or bigint.")));
		}
		nulls[table->ttl_attno - 1] = false;
		values[table->ttl_attno - 1] = t == INT8OID ? Int64GetDatum(ttl_seconds) :
			t == INT2OID ? Int16GetDatum((int16) ttl_seconds) :
			Int32GetDatum(ttl_seconds);
	}
}
