/*-------------------------------------------------------------------------
 *
 * codec_writer.c
 *	  Table-driven struct encoder, writing thrift's strict binary protocol.
 *
 * A writer has two back ends giving the same bytes: thrift c_glib's
 * protocol API (w->buf NULL), and the binary protocol written straight
 * into the encoder's memory buffer (w->buf set), which saves the two
 * GObject dispatches and type checks that each field costs through the
 * API: on a load, a third of the client's encoding time.  test_codec
 * checks that both back ends write every request and reply alike.
 *
 * Placeholder types are tagged STRUCT but written as bare payloads
 * (protocol 2.1): blob = binary, gpid / rpc_address = i64, host_port =
 * binary + i16 + byte, error_code = binary name.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "codec_internal.h"

#define MEMBER(base, off)	((const guint8 *) (base) + (off))

/* thrift's binary protocol: strict messages start with this | type */
#define BINARY_VERSION_1	0x80010000u

static gboolean
codec_fail(PegasusCodecWriter *w, int code, const char *fmt, gsize n)
{
	g_set_error(w->error, g_quark_from_static_string("pegasus-codec"), code,
				fmt, n);
	return FALSE;
}

/* Reserves room for n more bytes: buf doubles, so growing is rare. */
static gboolean
reserve(PegasusCodecWriter *w, gsize n)
{
	gsize		want = w->len + n;
	gsize		size = MAX((gsize) w->buf->len * 2, (gsize) 256);

	if (n > (gsize) G_MAXINT32 - w->len)
		return codec_fail(w, 1, "frame larger than %" G_GSIZE_FORMAT " bytes",
						  (gsize) G_MAXINT32);
	g_byte_array_set_size(w->buf, (guint) MIN(MAX(size, want), (gsize) G_MAXINT32));
	return TRUE;
}

/*
 * Appends n bytes (direct back end); a frame stays below 2 GB.  A call to
 * g_byte_array_append per field costs a division in GLib's size check.
 */
static inline gboolean
put(PegasusCodecWriter *w, const void *p, gsize n)
{
	if (G_UNLIKELY(w->len + n > w->buf->len) && !reserve(w, n))
		return FALSE;
	memcpy(w->buf->data + w->len, p, n);
	w->len += n;
	return TRUE;
}

void
pegasus_codec_writer_finish(PegasusCodecWriter *w)
{
	if (w->buf != NULL)
		g_byte_array_set_size(w->buf, (guint) w->len);
}

static inline gboolean
w_byte(PegasusCodecWriter *w, gint8 v)
{
	if (w->buf == NULL)
		return thrift_protocol_write_byte(w->proto, v, w->error) >= 0;
	return put(w, &v, 1);
}

static inline gboolean
w_i16(PegasusCodecWriter *w, gint16 v)
{
	guint8		b[2];

	if (w->buf == NULL)
		return thrift_protocol_write_i16(w->proto, v, w->error) >= 0;
	b[0] = (guint8) ((guint16) v >> 8);
	b[1] = (guint8) v;
	return put(w, b, 2);
}

static inline gboolean
w_i32(PegasusCodecWriter *w, gint32 v)
{
	guint32		u = (guint32) v;
	guint8		b[4];

	if (w->buf == NULL)
		return thrift_protocol_write_i32(w->proto, v, w->error) >= 0;
	b[0] = (guint8) (u >> 24);
	b[1] = (guint8) (u >> 16);
	b[2] = (guint8) (u >> 8);
	b[3] = (guint8) u;
	return put(w, b, 4);
}

static inline gboolean
w_i64(PegasusCodecWriter *w, gint64 v)
{
	guint64		u = (guint64) v;
	guint8		b[8];
	int			i;

	if (w->buf == NULL)
		return thrift_protocol_write_i64(w->proto, v, w->error) >= 0;
	for (i = 7; i >= 0; i--)
	{
		b[i] = (guint8) u;
		u >>= 8;
	}
	return put(w, b, 8);
}

static gboolean
write_binary(PegasusCodecWriter *w, PegasusBlob b)
{
	static const guint8 empty = 0;

	if (b.len > G_MAXINT32)
		return codec_fail(w, 1, "byte string of %" G_GSIZE_FORMAT " bytes is too long",
						  b.len);
	if (w->buf == NULL)
		return thrift_protocol_write_binary(w->proto,
											(gpointer) (b.data ? b.data : &empty),
											(guint32) b.len, w->error) >= 0;
	return w_i32(w, (gint32) b.len) && (b.len == 0 || put(w, b.data, b.len));
}

gboolean
pegasus_codec_write_string(PegasusCodecWriter *w, const char *s)
{
	if (w->buf == NULL)
		return thrift_protocol_write_string(w->proto, s, w->error) >= 0;
	return write_binary(w, pegasus_codec_blob_str(s));
}

gboolean
pegasus_codec_write_message_begin(PegasusCodecWriter *w, const char *name,
								  gint32 type, gint32 seqid)
{
	if (w->buf == NULL)
		return thrift_protocol_write_message_begin(w->proto, name,
												   (ThriftMessageType) type,
												   seqid, w->error) >= 0;
	return w_i32(w, (gint32) (BINARY_VERSION_1 | (guint32) type)) &&
		pegasus_codec_write_string(w, name) && w_i32(w, seqid);
}

gboolean
pegasus_codec_write_message_end(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_message_end(w->proto, w->error) >= 0;
	return TRUE;
}

gboolean
pegasus_codec_write_struct_begin(PegasusCodecWriter *w, const char *name)
{
	if (w->buf == NULL)
		return thrift_protocol_write_struct_begin(w->proto, name, w->error) >= 0;
	return TRUE;
}

gboolean
pegasus_codec_write_struct_end(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_struct_end(w->proto, w->error) >= 0;
	return TRUE;
}

gboolean
pegasus_codec_write_field_begin(PegasusCodecWriter *w, const char *name,
								guint8 type, gint16 id)
{
	if (w->buf == NULL)
		return thrift_protocol_write_field_begin(w->proto, name, (ThriftType) type,
												 id, w->error) >= 0;
	return w_byte(w, (gint8) type) && w_i16(w, id);
}

gboolean
pegasus_codec_write_field_end(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_field_end(w->proto, w->error) >= 0;
	return TRUE;
}

gboolean
pegasus_codec_write_field_stop(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_field_stop(w->proto, w->error) >= 0;
	return w_byte(w, T_STOP);
}

static gboolean
w_list_begin(PegasusCodecWriter *w, guint8 type, guint32 n)
{
	if (w->buf == NULL)
		return thrift_protocol_write_list_begin(w->proto, (ThriftType) type, n,
												w->error) >= 0;
	return w_byte(w, (gint8) type) && w_i32(w, (gint32) n);
}

static gboolean
w_list_end(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_list_end(w->proto, w->error) >= 0;
	return TRUE;
}

static gboolean
w_map_begin(PegasusCodecWriter *w, guint8 ktype, guint8 vtype, guint32 n)
{
	if (w->buf == NULL)
		return thrift_protocol_write_map_begin(w->proto, (ThriftType) ktype,
											   (ThriftType) vtype, n,
											   w->error) >= 0;
	return w_byte(w, (gint8) ktype) && w_byte(w, (gint8) vtype) &&
		w_i32(w, (gint32) n);
}

static gboolean
w_map_end(PegasusCodecWriter *w)
{
	if (w->buf == NULL)
		return thrift_protocol_write_map_end(w->proto, w->error) >= 0;
	return TRUE;
}

static gboolean
w_bool(PegasusCodecWriter *w, gboolean v)
{
	if (w->buf == NULL)
		return thrift_protocol_write_bool(w->proto, v, w->error) >= 0;
	return w_byte(w, v ? 1 : 0);
}

static gboolean
write_list(PegasusCodecWriter *w, const PegasusCodecFieldDesc *f,
		   const void *src, guint flags)
{
	const guint8 *items = *(const guint8 *const *) MEMBER(src, f->offset);
	guint32		n = *(const guint32 *) MEMBER(src, f->aux_offset);
	gsize		esize;
	guint32		i;

	switch (f->elem_kind)
	{
		case PEGASUS_CODEC_K_I32:
			esize = sizeof(gint32);
			break;
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			esize = sizeof(PegasusBlob);
			break;
		case PEGASUS_CODEC_K_ADDR:
			esize = sizeof(PegasusRpcAddress);
			break;
		case PEGASUS_CODEC_K_HOSTPORT:
			esize = sizeof(PegasusHostPort);
			break;
		case PEGASUS_CODEC_K_STRUCT:
			esize = f->sub->size;
			break;
		default:
			g_set_error(w->error, g_quark_from_static_string("pegasus-codec"), 2,
						"internal: list kind %u not supported", f->elem_kind);
			return FALSE;
	}
	if (n > G_MAXINT32 || (n > 0 && items == NULL))
	{
		g_set_error(w->error, g_quark_from_static_string("pegasus-codec"), 1,
					"list %s: bad element array (count %u)", f->name, n);
		return FALSE;
	}
	if (!w_list_begin(w, pegasus_codec_kind_wire_type(f->elem_kind), n))
		return FALSE;
	for (i = 0; i < n; i++)
	{
		if (!pegasus_codec_write_value(w, f, f->elem_kind,
									   items + (gsize) i * esize, flags))
			return FALSE;
	}
	return w_list_end(w);
}

static gboolean
write_map_ss(PegasusCodecWriter *w, const PegasusCodecFieldDesc *f,
			 const void *src)
{
	const PegasusStringPair *items = *(const PegasusStringPair *const *) MEMBER(src, f->offset);
	guint32		n = *(const guint32 *) MEMBER(src, f->aux_offset);
	guint32		i;

	if (n > G_MAXINT32 || (n > 0 && items == NULL))
	{
		g_set_error(w->error, g_quark_from_static_string("pegasus-codec"), 1,
					"map %s: bad element array (count %u)", f->name, n);
		return FALSE;
	}
	if (!w_map_begin(w, T_STRING, T_STRING, n))
		return FALSE;
	for (i = 0; i < n; i++)
	{
		if (!write_binary(w, items[i].key) ||
			!write_binary(w, items[i].value))
			return FALSE;
	}
	return w_map_end(w);
}

/*
 * Write one value.  For LIST/MAP/ERRCODE `value` is the containing struct;
 * otherwise it points at the value itself.
 */
gboolean
pegasus_codec_write_value(PegasusCodecWriter *w, const PegasusCodecFieldDesc *f,
						  guint8 kind, const void *value, guint flags)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			return w_bool(w, *(const gboolean *) value != 0);
		case PEGASUS_CODEC_K_I32:
			return w_i32(w, *(const gint32 *) value);
		case PEGASUS_CODEC_K_I64:
			return w_i64(w, *(const gint64 *) value);
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return write_binary(w, *(const PegasusBlob *) value);
		case PEGASUS_CODEC_K_GPID:
			return w_i64(w, pegasus_codec_gpid_pack(*(const PegasusGpid *) value));
		case PEGASUS_CODEC_K_ADDR:
			return w_i64(w, pegasus_codec_rpc_address_pack(*(const PegasusRpcAddress *) value));
		case PEGASUS_CODEC_K_HOSTPORT:
			{
				const PegasusHostPort *hp = value;

				return write_binary(w, hp->host) &&
					w_i16(w, (gint16) hp->port) && w_byte(w, (gint8) hp->type);
			}
		case PEGASUS_CODEC_K_ERRCODE:
			{
				const char *name =
					pegasus_codec_error_name(*(const PegasusErrorCode *) MEMBER(value, f->offset));

				return write_binary(w, pegasus_codec_blob_str(name));
			}
		case PEGASUS_CODEC_K_STRUCT:
			return pegasus_codec_write_struct(w, f->sub, value, flags);
		case PEGASUS_CODEC_K_LIST:
			return write_list(w, f, value, flags);
		case PEGASUS_CODEC_K_MAP_SS:
			return write_map_ss(w, f, value);
	}
	g_set_error(w->error, g_quark_from_static_string("pegasus-codec"), 2,
				"internal: unknown field kind %u", kind);
	return FALSE;
}

gboolean
pegasus_codec_write_struct(PegasusCodecWriter *w, const PegasusCodecStructDesc *desc,
						   const void *src, guint flags)
{
	guint32		present = *(const guint32 *) src;
	guint		i;

	if (!pegasus_codec_write_struct_begin(w, desc->name))
		return FALSE;
	for (i = 0; i < desc->n_fields; i++)
	{
		const PegasusCodecFieldDesc *f = &desc->fields[i];
		const void *value;

		if (f->optional)
		{
			if (!*(const gboolean *) MEMBER(src, f->has_offset))
				continue;
		}
		else if ((flags & PEGASUS_CODEC_ENCODE_PRESENT_ONLY) &&
				 !(present & ((guint32) 1 << f->id)))
			continue;

		if (f->kind == PEGASUS_CODEC_K_LIST || f->kind == PEGASUS_CODEC_K_MAP_SS ||
			f->kind == PEGASUS_CODEC_K_ERRCODE)
			value = src;
		else
			value = MEMBER(src, f->offset);

		if (!pegasus_codec_write_field_begin(w, f->name,
											 pegasus_codec_kind_wire_type(f->kind),
											 f->id) ||
			!pegasus_codec_write_value(w, f, f->kind, value, flags) ||
			!pegasus_codec_write_field_end(w))
			return FALSE;
	}
	return pegasus_codec_write_field_stop(w) &&
		pegasus_codec_write_struct_end(w);
}
