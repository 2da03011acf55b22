/*-------------------------------------------------------------------------
 *
 * codec_writer.c
 *	  Table-driven struct encoder on top of thrift c_glib's protocol API.
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

static gboolean
write_binary(ThriftProtocol *proto, PegasusBlob b, GError **error)
{
	static const guint8 empty = 0;

	if (b.len > G_MAXINT32)
	{
		g_set_error(error, g_quark_from_static_string("pegasus-codec"), 1,
					"byte string of %" G_GSIZE_FORMAT " bytes is too long", b.len);
		return FALSE;
	}
	return thrift_protocol_write_binary(proto,
										(gpointer) (b.data ? b.data : &empty),
										(guint32) b.len, error) >= 0;
}

static gboolean
write_list(ThriftProtocol *proto, const PegasusCodecFieldDesc *f,
		   const void *src, guint flags, GError **error)
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
			g_set_error(error, g_quark_from_static_string("pegasus-codec"), 2,
						"internal: list kind %u not supported", f->elem_kind);
			return FALSE;
	}
	if (n > G_MAXINT32 || (n > 0 && items == NULL))
	{
		g_set_error(error, g_quark_from_static_string("pegasus-codec"), 1,
					"list %s: bad element array (count %u)", f->name, n);
		return FALSE;
	}
	if (thrift_protocol_write_list_begin(proto,
										 (ThriftType) pegasus_codec_kind_wire_type(f->elem_kind),
										 (guint32) n, error) < 0)
		return FALSE;
	for (i = 0; i < n; i++)
	{
		if (!pegasus_codec_write_value(proto, f, f->elem_kind,
									   items + (gsize) i * esize, flags, error))
			return FALSE;
	}
	return thrift_protocol_write_list_end(proto, error) >= 0;
}

static gboolean
write_map_ss(ThriftProtocol *proto, const PegasusCodecFieldDesc *f,
			 const void *src, GError **error)
{
	const PegasusStringPair *items = *(const PegasusStringPair *const *) MEMBER(src, f->offset);
	guint32		n = *(const guint32 *) MEMBER(src, f->aux_offset);
	guint32		i;

	if (n > G_MAXINT32 || (n > 0 && items == NULL))
	{
		g_set_error(error, g_quark_from_static_string("pegasus-codec"), 1,
					"map %s: bad element array (count %u)", f->name, n);
		return FALSE;
	}
	if (thrift_protocol_write_map_begin(proto, T_STRING, T_STRING, (guint32) n, error) < 0)
		return FALSE;
	for (i = 0; i < n; i++)
	{
		if (!write_binary(proto, items[i].key, error) ||
			!write_binary(proto, items[i].value, error))
			return FALSE;
	}
	return thrift_protocol_write_map_end(proto, error) >= 0;
}

/*
 * Write one value.  For LIST/MAP/ERRCODE `value` is the containing struct;
 * otherwise it points at the value itself.
 */
gboolean
pegasus_codec_write_value(ThriftProtocol *proto, const PegasusCodecFieldDesc *f,
						  guint8 kind, const void *value, guint flags,
						  GError **error)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			return thrift_protocol_write_bool(proto, *(const gboolean *) value != 0,
											  error) >= 0;
		case PEGASUS_CODEC_K_I32:
			return thrift_protocol_write_i32(proto, *(const gint32 *) value, error) >= 0;
		case PEGASUS_CODEC_K_I64:
			return thrift_protocol_write_i64(proto, *(const gint64 *) value, error) >= 0;
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return write_binary(proto, *(const PegasusBlob *) value, error);
		case PEGASUS_CODEC_K_GPID:
			return thrift_protocol_write_i64(proto,
											 pegasus_codec_gpid_pack(*(const PegasusGpid *) value),
											 error) >= 0;
		case PEGASUS_CODEC_K_ADDR:
			return thrift_protocol_write_i64(proto,
											 pegasus_codec_rpc_address_pack(*(const PegasusRpcAddress *) value),
											 error) >= 0;
		case PEGASUS_CODEC_K_HOSTPORT:
			{
				const PegasusHostPort *hp = value;

				return write_binary(proto, hp->host, error) &&
					thrift_protocol_write_i16(proto, (gint16) hp->port, error) >= 0 &&
					thrift_protocol_write_byte(proto, hp->type, error) >= 0;
			}
		case PEGASUS_CODEC_K_ERRCODE:
			{
				const char *name =
					pegasus_codec_error_name(*(const PegasusErrorCode *) MEMBER(value, f->offset));

				return write_binary(proto, pegasus_codec_blob_str(name), error);
			}
		case PEGASUS_CODEC_K_STRUCT:
			return pegasus_codec_write_struct(proto, f->sub, value, flags, error);
		case PEGASUS_CODEC_K_LIST:
			return write_list(proto, f, value, flags, error);
		case PEGASUS_CODEC_K_MAP_SS:
			return write_map_ss(proto, f, value, error);
	}
	g_set_error(error, g_quark_from_static_string("pegasus-codec"), 2,
				"internal: unknown field kind %u", kind);
	return FALSE;
}

gboolean
pegasus_codec_write_struct(ThriftProtocol *proto, const PegasusCodecStructDesc *desc,
						   const void *src, guint flags, GError **error)
{
	guint32		present = *(const guint32 *) src;
	guint		i;

	if (thrift_protocol_write_struct_begin(proto, desc->name, error) < 0)
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

		if (thrift_protocol_write_field_begin(proto, f->name,
											  (ThriftType) pegasus_codec_kind_wire_type(f->kind),
											  f->id, error) < 0)
			return FALSE;
		if (!pegasus_codec_write_value(proto, f, f->kind, value, flags, error))
			return FALSE;
		if (thrift_protocol_write_field_end(proto, error) < 0)
			return FALSE;
	}
	if (thrift_protocol_write_field_stop(proto, error) < 0)
		return FALSE;
	return thrift_protocol_write_struct_end(proto, error) >= 0;
}
