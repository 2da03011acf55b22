/*-------------------------------------------------------------------------
 *
 * codec_reader.c
 *	  Bounded thrift binary-protocol reader over a byte buffer, and the
 *	  generic table-driven struct decoder.
 *
 * Every length read from the wire is checked against the bytes that remain
 * before anything is allocated; list and map counts are checked against the
 * smallest possible encoding of their elements.  Blobs and strings become
 * views into the buffer.  Failures set r->failed and the error report; they
 * never abort.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <string.h>

#include "codec_internal.h"

void
pegasus_codec_reader_init(PegasusCodecReader *r, const guint8 *buf, gsize len,
						  gsize base, guint flags, gpointer *arena,
						  PegasusCodecError *err)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = buf ? len : 0;
	r->base = base;
	r->flags = flags;
	r->arena = arena;
	r->err = err;
}

void
pegasus_codec_reader_fail(PegasusCodecReader *r, const char *fmt,...)
{
	va_list		ap;

	if (r->failed)
		return;
	r->failed = TRUE;
	r->err->status = PEGASUS_CODEC_MALFORMED;
	r->err->offset = r->base + r->pos;
	va_start(ap, fmt);
	g_vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
	va_end(ap);
}

static inline gboolean
need(PegasusCodecReader *r, gsize n, const char *what)
{
	if (r->failed)
		return FALSE;
	if (r->len - r->pos < n)
	{
		pegasus_codec_reader_fail(r, "truncated %s: need %" G_GSIZE_FORMAT
								  " bytes, %" G_GSIZE_FORMAT " left",
								  what, n, r->len - r->pos);
		return FALSE;
	}
	return TRUE;
}

gboolean
pegasus_codec_read_u8(PegasusCodecReader *r, guint8 *v)
{
	if (!need(r, 1, "byte"))
		return FALSE;
	*v = r->buf[r->pos++];
	return TRUE;
}

gboolean
pegasus_codec_read_i16(PegasusCodecReader *r, gint16 *v)
{
	const guint8 *p;

	if (!need(r, 2, "i16"))
		return FALSE;
	p = r->buf + r->pos;
	*v = (gint16) (guint16) (((guint16) p[0] << 8) | p[1]);
	r->pos += 2;
	return TRUE;
}

gboolean
pegasus_codec_read_i32(PegasusCodecReader *r, gint32 *v)
{
	const guint8 *p;

	if (!need(r, 4, "i32"))
		return FALSE;
	p = r->buf + r->pos;
	*v = (gint32) (((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
				   ((guint32) p[2] << 8) | p[3]);
	r->pos += 4;
	return TRUE;
}

gboolean
pegasus_codec_read_i64(PegasusCodecReader *r, gint64 *v)
{
	const guint8 *p;
	guint64		x = 0;
	int			i;

	if (!need(r, 8, "i64"))
		return FALSE;
	p = r->buf + r->pos;
	for (i = 0; i < 8; i++)
		x = (x << 8) | p[i];
	*v = (gint64) x;
	r->pos += 8;
	return TRUE;
}

gboolean
pegasus_codec_read_binary(PegasusCodecReader *r, PegasusBlob *v)
{
	gint32		n;

	if (!pegasus_codec_read_i32(r, &n))
		return FALSE;
	if (n < 0)
	{
		pegasus_codec_reader_fail(r, "negative byte-string length %d", n);
		return FALSE;
	}
	if (!need(r, (gsize) n, "byte string"))
		return FALSE;
	v->data = n > 0 ? r->buf + r->pos : NULL;
	v->len = (gsize) n;
	r->pos += (gsize) n;
	return TRUE;
}

/* Smallest wire size of one value of a thrift type (for count checks) */
static gsize
wire_min_size(guint8 ttype)
{
	switch (ttype)
	{
		case PEGASUS_TTYPE_BOOL:
		case PEGASUS_TTYPE_BYTE:
		case PEGASUS_TTYPE_STRUCT:	/* at least a STOP */
			return 1;
		case PEGASUS_TTYPE_I16:
			return 2;
		case PEGASUS_TTYPE_I32:
		case PEGASUS_TTYPE_STRING:
			return 4;
		case PEGASUS_TTYPE_DOUBLE:
		case PEGASUS_TTYPE_I64:
			return 8;
		case PEGASUS_TTYPE_MAP:
			return 6;
		case PEGASUS_TTYPE_SET:
		case PEGASUS_TTYPE_LIST:
			return 5;
		default:
			return 0;
	}
}

static gboolean
check_count(PegasusCodecReader *r, gint32 count, gsize min_elem, const char *what)
{
	if (count < 0)
	{
		pegasus_codec_reader_fail(r, "negative %s size %d", what, count);
		return FALSE;
	}
	if (min_elem > 0 && (gsize) count > (r->len - r->pos) / min_elem)
	{
		pegasus_codec_reader_fail(r, "%s of %d elements cannot fit in %"
								  G_GSIZE_FORMAT " remaining bytes",
								  what, count, r->len - r->pos);
		return FALSE;
	}
	return TRUE;
}

/*
 * Skip one value of the given thrift type.  Type 12 cannot be skipped: a
 * placeholder (blob, gpid, ...) is tagged 12 but is not a struct, so its
 * extent is unknown.
 */
static gboolean
skip_value(PegasusCodecReader *r, guint8 ttype, guint depth)
{
	gint32		n;
	gint32		i;
	guint8		kt;
	guint8		vt;
	PegasusBlob b;

	if (depth > PEGASUS_CODEC_MAX_DEPTH)
	{
		pegasus_codec_reader_fail(r, "nesting deeper than %d", PEGASUS_CODEC_MAX_DEPTH);
		return FALSE;
	}
	switch (ttype)
	{
		case PEGASUS_TTYPE_BOOL:
		case PEGASUS_TTYPE_BYTE:
			return need(r, 1, "byte") && (r->pos += 1, TRUE);
		case PEGASUS_TTYPE_I16:
			return need(r, 2, "i16") && (r->pos += 2, TRUE);
		case PEGASUS_TTYPE_I32:
			return need(r, 4, "i32") && (r->pos += 4, TRUE);
		case PEGASUS_TTYPE_I64:
		case PEGASUS_TTYPE_DOUBLE:
			return need(r, 8, "i64") && (r->pos += 8, TRUE);
		case PEGASUS_TTYPE_STRING:
			return pegasus_codec_read_binary(r, &b);
		case PEGASUS_TTYPE_STRUCT:
			pegasus_codec_reader_fail(r, "cannot skip a field of type 12 "
									  "(struct or placeholder) with unknown layout");
			return FALSE;
		case PEGASUS_TTYPE_MAP:
			if (!pegasus_codec_read_u8(r, &kt) || !pegasus_codec_read_u8(r, &vt) ||
				!pegasus_codec_read_i32(r, &n))
				return FALSE;
			if (n > 0 && (wire_min_size(kt) == 0 || wire_min_size(vt) == 0))
			{
				pegasus_codec_reader_fail(r, "bad map element types %u/%u", kt, vt);
				return FALSE;
			}
			if (!check_count(r, n, wire_min_size(kt) + wire_min_size(vt), "map"))
				return FALSE;
			for (i = 0; i < n; i++)
				if (!skip_value(r, kt, depth + 1) || !skip_value(r, vt, depth + 1))
					return FALSE;
			return TRUE;
		case PEGASUS_TTYPE_SET:
		case PEGASUS_TTYPE_LIST:
			if (!pegasus_codec_read_u8(r, &kt) || !pegasus_codec_read_i32(r, &n))
				return FALSE;
			if (n > 0 && wire_min_size(kt) == 0)
			{
				pegasus_codec_reader_fail(r, "bad list element type %u", kt);
				return FALSE;
			}
			if (!check_count(r, n, wire_min_size(kt), "list"))
				return FALSE;
			for (i = 0; i < n; i++)
				if (!skip_value(r, kt, depth + 1))
					return FALSE;
			return TRUE;
		default:
			pegasus_codec_reader_fail(r, "unknown thrift type %u", ttype);
			return FALSE;
	}
}

/* Memory size of one list element of a kind */
static gsize
elem_mem_size(guint8 kind, const PegasusCodecStructDesc *sub)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			return sizeof(gboolean);
		case PEGASUS_CODEC_K_I32:
			return sizeof(gint32);
		case PEGASUS_CODEC_K_I64:
			return sizeof(gint64);
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return sizeof(PegasusBlob);
		case PEGASUS_CODEC_K_GPID:
			return sizeof(PegasusGpid);
		case PEGASUS_CODEC_K_ADDR:
			return sizeof(PegasusRpcAddress);
		case PEGASUS_CODEC_K_HOSTPORT:
			return sizeof(PegasusHostPort);
		case PEGASUS_CODEC_K_STRUCT:
			return sub ? sub->size : 0;
		default:
			return 0;
	}
}

/* Smallest wire size of one value of a kind (payload only) */
static gsize
kind_min_size(guint8 kind)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
		case PEGASUS_CODEC_K_STRUCT:
			return 1;
		case PEGASUS_CODEC_K_I32:
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
		case PEGASUS_CODEC_K_ERRCODE:
			return 4;
		case PEGASUS_CODEC_K_HOSTPORT:
			return 7;
		default:
			return 8;
	}
}

static gboolean read_value(PegasusCodecReader *r, const PegasusCodecFieldDesc *f,
						   guint8 kind, void *dst);

static gboolean
read_list(PegasusCodecReader *r, const PegasusCodecFieldDesc *f, void *dst)
{
	guint8		et;
	gint32		n;
	gint32		i;
	gsize		esize = elem_mem_size(f->elem_kind, f->sub);
	guint8	   *items;
	guint8		want = pegasus_codec_kind_wire_type(f->elem_kind);

	if (!pegasus_codec_read_u8(r, &et) || !pegasus_codec_read_i32(r, &n))
		return FALSE;
	*(guint32 *) ((guint8 *) dst + f->aux_offset) = 0;
	*(void **) ((guint8 *) dst + f->offset) = NULL;
	if (et != want && n > 0)
	{
		/* a list of the wrong element type: like a mistyped field */
		r->type_mismatches++;
		if ((r->flags & PEGASUS_CODEC_DECODE_STRICT_TYPES) ||
			et == PEGASUS_TTYPE_STRUCT || wire_min_size(et) == 0)
		{
			pegasus_codec_reader_fail(r, "list %s: element type %u, expected %u",
									  f->name, et, want);
			return FALSE;
		}
		if (!check_count(r, n, wire_min_size(et), f->name))
			return FALSE;
		for (i = 0; i < n; i++)
			if (!skip_value(r, et, r->depth + 1))
				return FALSE;
		return TRUE;
	}
	if (!check_count(r, n, kind_min_size(f->elem_kind), f->name))
		return FALSE;
	if (n == 0)
	{
		*(void **) ((guint8 *) dst + f->offset) = NULL;
		return TRUE;
	}
	items = pegasus_codec_arena_alloc0(r->arena, (gsize) n * esize);
	*(void **) ((guint8 *) dst + f->offset) = items;
	for (i = 0; i < n; i++)
	{
		if (!read_value(r, f, f->elem_kind, items + (gsize) i * esize))
			return FALSE;
		*(guint32 *) ((guint8 *) dst + f->aux_offset) = (guint32) i + 1;
	}
	return TRUE;
}

static gboolean
read_map_ss(PegasusCodecReader *r, const PegasusCodecFieldDesc *f, void *dst)
{
	guint8		kt;
	guint8		vt;
	gint32		n;
	gint32		i;
	PegasusStringPair *items;

	if (!pegasus_codec_read_u8(r, &kt) || !pegasus_codec_read_u8(r, &vt) ||
		!pegasus_codec_read_i32(r, &n))
		return FALSE;
	*(guint32 *) ((guint8 *) dst + f->aux_offset) = 0;
	*(void **) ((guint8 *) dst + f->offset) = NULL;
	if (n > 0 && (kt != PEGASUS_TTYPE_STRING || vt != PEGASUS_TTYPE_STRING))
	{
		r->type_mismatches++;
		if ((r->flags & PEGASUS_CODEC_DECODE_STRICT_TYPES) ||
			kt == PEGASUS_TTYPE_STRUCT || vt == PEGASUS_TTYPE_STRUCT ||
			wire_min_size(kt) == 0 || wire_min_size(vt) == 0)
		{
			pegasus_codec_reader_fail(r, "map %s: element types %u/%u, expected 11/11",
									  f->name, kt, vt);
			return FALSE;
		}
		if (!check_count(r, n, wire_min_size(kt) + wire_min_size(vt), f->name))
			return FALSE;
		for (i = 0; i < n; i++)
			if (!skip_value(r, kt, r->depth + 1) || !skip_value(r, vt, r->depth + 1))
				return FALSE;
		return TRUE;
	}
	if (!check_count(r, n, 8, f->name))
		return FALSE;
	if (n == 0)
	{
		*(void **) ((guint8 *) dst + f->offset) = NULL;
		return TRUE;
	}
	items = pegasus_codec_arena_alloc0(r->arena, (gsize) n * sizeof(PegasusStringPair));
	*(void **) ((guint8 *) dst + f->offset) = items;
	for (i = 0; i < n; i++)
	{
		if (!pegasus_codec_read_binary(r, &items[i].key) ||
			!pegasus_codec_read_binary(r, &items[i].value))
			return FALSE;
		*(guint32 *) ((guint8 *) dst + f->aux_offset) = (guint32) i + 1;
	}
	return TRUE;
}

/*
 * Read one value of `kind` into dst.  For LIST/MAP/ERRCODE, dst is the
 * containing struct (they use two members); otherwise dst is the value.
 */
static gboolean
read_value(PegasusCodecReader *r, const PegasusCodecFieldDesc *f, guint8 kind,
		   void *dst)
{
	guint8		b;
	gint16		i16;
	gint64		i64;

	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			if (!pegasus_codec_read_u8(r, &b))
				return FALSE;
			*(gboolean *) dst = b != 0;
			return TRUE;
		case PEGASUS_CODEC_K_I32:
			return pegasus_codec_read_i32(r, (gint32 *) dst);
		case PEGASUS_CODEC_K_I64:
			return pegasus_codec_read_i64(r, (gint64 *) dst);
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return pegasus_codec_read_binary(r, (PegasusBlob *) dst);
		case PEGASUS_CODEC_K_GPID:
			if (!pegasus_codec_read_i64(r, &i64))
				return FALSE;
			*(PegasusGpid *) dst = pegasus_codec_gpid_unpack(i64);
			return TRUE;
		case PEGASUS_CODEC_K_ADDR:
			if (!pegasus_codec_read_i64(r, &i64))
				return FALSE;
			*(PegasusRpcAddress *) dst = pegasus_codec_rpc_address_unpack(i64);
			return TRUE;
		case PEGASUS_CODEC_K_HOSTPORT:
			{
				PegasusHostPort *hp = dst;

				if (!pegasus_codec_read_binary(r, &hp->host) ||
					!pegasus_codec_read_i16(r, &i16) ||
					!pegasus_codec_read_u8(r, &b))
					return FALSE;
				hp->port = (guint16) i16;
				hp->type = (gint8) b;
				return TRUE;
			}
		case PEGASUS_CODEC_K_ERRCODE:
			{
				PegasusBlob *name = (PegasusBlob *) ((guint8 *) dst + f->aux_offset);

				if (!pegasus_codec_read_binary(r, name))
					return FALSE;
				*(PegasusErrorCode *) ((guint8 *) dst + f->offset) =
					pegasus_codec_error_from_name((const char *) name->data, name->len);
				return TRUE;
			}
		case PEGASUS_CODEC_K_STRUCT:
			return pegasus_codec_read_struct(r, f->sub, dst);
		case PEGASUS_CODEC_K_LIST:
			return read_list(r, f, dst);
		case PEGASUS_CODEC_K_MAP_SS:
			return read_map_ss(r, f, dst);
	}
	pegasus_codec_reader_fail(r, "internal: unknown field kind %u", kind);
	return FALSE;
}

gboolean
pegasus_codec_read_fields(PegasusCodecReader *r,
						  const PegasusCodecFieldDesc *fields, guint n_fields,
						  void *dst, guint32 *present)
{
	for (;;)
	{
		guint8		ttype;
		gint16		id;
		const PegasusCodecFieldDesc *f = NULL;
		guint		i;
		guint8		want;
		void	   *where;

		if (!pegasus_codec_read_u8(r, &ttype))
			return FALSE;
		if (ttype == PEGASUS_TTYPE_STOP)
			return TRUE;
		if (!pegasus_codec_read_i16(r, &id))
			return FALSE;
		for (i = 0; i < n_fields; i++)
		{
			if (fields[i].id == id)
			{
				f = &fields[i];
				break;
			}
		}
		if (f == NULL)
		{
			r->unknown_fields++;
			if (ttype == PEGASUS_TTYPE_STRUCT)
			{
				pegasus_codec_reader_fail(r, "unknown field %d of type 12 cannot be skipped", id);
				return FALSE;
			}
			if (!skip_value(r, ttype, r->depth + 1))
				return FALSE;
			continue;
		}
		want = pegasus_codec_kind_wire_type(f->kind);
		if (ttype != want)
		{
			r->type_mismatches++;
			if (r->flags & PEGASUS_CODEC_DECODE_STRICT_TYPES)
			{
				pegasus_codec_reader_fail(r, "field %s (id %d) has thrift type %u, expected %u",
										  f->name, id, ttype, want);
				return FALSE;
			}
			if (ttype == PEGASUS_TTYPE_STRUCT)
			{
				pegasus_codec_reader_fail(r, "field %s (id %d) has type 12, expected %u; "
										  "cannot skip it", f->name, id, want);
				return FALSE;
			}
			if (!skip_value(r, ttype, r->depth + 1))
				return FALSE;
			continue;
		}
		if (f->kind == PEGASUS_CODEC_K_LIST || f->kind == PEGASUS_CODEC_K_MAP_SS ||
			f->kind == PEGASUS_CODEC_K_ERRCODE)
			where = dst;
		else
			where = (guint8 *) dst + f->offset;
		if (!read_value(r, f, f->kind, where))
			return FALSE;
		if (id >= 0 && id < 32)
			*present |= (guint32) 1 << id;
		if (f->has_offset >= 0)
			*(gboolean *) ((guint8 *) dst + f->has_offset) = TRUE;
	}
}

gboolean
pegasus_codec_read_struct(PegasusCodecReader *r, const PegasusCodecStructDesc *desc,
						  void *dst)
{
	gboolean	ok;

	if (r->depth >= PEGASUS_CODEC_MAX_DEPTH)
	{
		pegasus_codec_reader_fail(r, "nesting deeper than %d", PEGASUS_CODEC_MAX_DEPTH);
		return FALSE;
	}
	r->depth++;
	ok = pegasus_codec_read_fields(r, desc->fields, desc->n_fields, dst,
								   (guint32 *) dst);
	r->depth--;
	return ok;
}
