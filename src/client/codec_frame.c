/*-------------------------------------------------------------------------
 *
 * codec_frame.c
 *	  Request and response frames: frame detection, v0/v1 request headers,
 *	  the thrift message envelope, and the public encode/decode entry points.
 *
 * Request  = v0 header (48 bytes) or v1 header (16 bytes + meta struct),
 *			  then a strict thrift CALL message whose args struct has one
 *			  field 1 (protocol 1.2-1.4).
 * Response = u32 self-inclusive length, bare error-name string, strict
 *			  REPLY message "<name>_ACK" with the request's seqid, then - only
 *			  for ERR_OK - a result struct with field 0 = the response struct
 *			  (protocol 1.5).
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <string.h>

#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/transport/thrift_memory_buffer.h>

#include "codec_internal.h"

#define STRICT_VERSION_MASK	0xFFFF0000u
#define STRICT_VERSION_1	0x80010000u
#define FRAME_HARD_LIMIT	((gsize) G_MAXINT32)

struct PegasusEncoder
{
	ThriftMemoryBuffer *mbuf;
	ThriftProtocol *proto;
	gboolean	thrift_api;		/* write through the protocol API */
};

/* thrift_request_meta_v1 (all fields optional) */
typedef struct RequestMetaV1
{
	guint32		present;
	gint32		app_id;
	gint32		partition_index;
	gint32		client_timeout;
	gint64		client_partition_hash;
	gboolean	is_backup_request;
} RequestMetaV1;

static const PegasusCodecFieldDesc request_meta_v1_fields[] = {
	PCF(RequestMetaV1, 1, PEGASUS_CODEC_K_I32, app_id),
	PCF(RequestMetaV1, 2, PEGASUS_CODEC_K_I32, partition_index),
	PCF(RequestMetaV1, 3, PEGASUS_CODEC_K_I32, client_timeout),
	PCF(RequestMetaV1, 4, PEGASUS_CODEC_K_I64, client_partition_hash),
	PCF(RequestMetaV1, 5, PEGASUS_CODEC_K_BOOL, is_backup_request),
};

void
pegasus_codec_set_error(PegasusCodecError *err, PegasusCodecStatus status,
						gsize offset, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->status = status;
	err->offset = offset;
	va_start(ap, fmt);
	g_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static void
clear_error(PegasusCodecError *err)
{
	err->status = PEGASUS_CODEC_OK;
	err->offset = 0;
	err->msg[0] = '\0';
}

static inline guint32
get_u32(const guint8 *p)
{
	return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
		((guint32) p[2] << 8) | p[3];
}

static inline guint64
get_u64(const guint8 *p)
{
	return ((guint64) get_u32(p) << 32) | get_u32(p + 4);
}

static inline void
put_u32(guint8 *p, guint32 v)
{
	p[0] = (guint8) (v >> 24);
	p[1] = (guint8) (v >> 16);
	p[2] = (guint8) (v >> 8);
	p[3] = (guint8) v;
}

static inline void
put_u64(guint8 *p, guint64 v)
{
	put_u32(p, (guint32) (v >> 32));
	put_u32(p + 4, (guint32) v);
}

/* ------------------------------------------------------------------------
 * Frame detection
 * ------------------------------------------------------------------------ */

PegasusCodecStatus
pegasus_codec_request_frame_check(const guint8 *buf, gsize len, gsize max_frame_len,
								  gsize *frame_len, PegasusCodecError *err)
{
	guint32		version;
	guint64		total;
	gsize		limit = (max_frame_len == 0 || max_frame_len > FRAME_HARD_LIMIT) ?
		FRAME_HARD_LIMIT : max_frame_len;

	if (frame_len)
		*frame_len = 0;
	if (len > 0 && buf == NULL)
		len = 0;
	/* reject a wrong magic as soon as its first bytes are in */
	if (memcmp(buf ? (const char *) buf : "", PEGASUS_CODEC_HEADER_MAGIC, MIN(len, 4)) != 0)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 0,
								"bad request magic (expected \"THFT\")");
		return PEGASUS_CODEC_MALFORMED;
	}
	if (len < 8)
		goto incomplete;
	version = get_u32(buf + 4);
	if (version == 0)
	{
		if (len < 12)
			goto incomplete;
		if (get_u32(buf + 8) != PEGASUS_CODEC_V0_HEADER_LEN)
		{
			pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 8,
									"v0 header length %u, expected 48", get_u32(buf + 8));
			return PEGASUS_CODEC_MALFORMED;
		}
		if (len < 20)
			goto incomplete;
		total = (guint64) PEGASUS_CODEC_V0_HEADER_LEN + get_u32(buf + 16);
	}
	else if (version == 1)
	{
		if (len < PEGASUS_CODEC_V1_FIXED_LEN)
			goto incomplete;
		total = (guint64) PEGASUS_CODEC_V1_FIXED_LEN + get_u32(buf + 8) + get_u32(buf + 12);
	}
	else
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 4,
								"unsupported request header version %u", version);
		return PEGASUS_CODEC_MALFORMED;
	}
	if (total > limit)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_TOO_LARGE, 0,
								"request frame of %" G_GUINT64_FORMAT " bytes exceeds limit %"
								G_GSIZE_FORMAT, total, limit);
		return PEGASUS_CODEC_TOO_LARGE;
	}
	if (frame_len)
		*frame_len = (gsize) total;
	if (len < total)
		goto incomplete;
	if (err)
		clear_error(err);
	return PEGASUS_CODEC_OK;

incomplete:
	pegasus_codec_set_error(err, PEGASUS_CODEC_INCOMPLETE, len, "need more bytes");
	return PEGASUS_CODEC_INCOMPLETE;
}

/* Smallest response: length, empty error name, message begin, empty name, seqid */
#define RESPONSE_MIN_LEN	(4 + 4 + 4 + 4 + 4)

PegasusCodecStatus
pegasus_codec_response_frame_check(const guint8 *buf, gsize len, gsize max_frame_len,
								   gsize *frame_len, PegasusCodecError *err)
{
	guint32		total;
	gsize		limit = (max_frame_len == 0 || max_frame_len > FRAME_HARD_LIMIT) ?
		FRAME_HARD_LIMIT : max_frame_len;

	if (frame_len)
		*frame_len = 0;
	if (buf == NULL || len < 4)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_INCOMPLETE, len, "need more bytes");
		return PEGASUS_CODEC_INCOMPLETE;
	}
	total = get_u32(buf);
	if (total < RESPONSE_MIN_LEN)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 0,
								"response length %u is too small", total);
		return PEGASUS_CODEC_MALFORMED;
	}
	if (total > limit)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_TOO_LARGE, 0,
								"response frame of %u bytes exceeds limit %" G_GSIZE_FORMAT,
								total, limit);
		return PEGASUS_CODEC_TOO_LARGE;
	}
	if (frame_len)
		*frame_len = total;
	if (len < total)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_INCOMPLETE, len, "need more bytes");
		return PEGASUS_CODEC_INCOMPLETE;
	}
	if (err)
		clear_error(err);
	return PEGASUS_CODEC_OK;
}

/* ------------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------------ */

PegasusCodecStatus
pegasus_codec_decode_request_header(const guint8 *buf, gsize len,
									PegasusRequestHeader *hdr, gsize *body_offset,
									PegasusCodecError *err)
{
	PegasusCodecError local;
	PegasusCodecStatus st;
	gsize		total;

	if (err == NULL)
		err = &local;
	memset(hdr, 0, sizeof(*hdr));
	*body_offset = 0;
	st = pegasus_codec_request_frame_check(buf, len, 0, &total, err);
	if (st == PEGASUS_CODEC_INCOMPLETE)
	{
		/* decode wants a whole frame: a short buffer is malformed here */
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, len,
								"request frame truncated (%" G_GSIZE_FORMAT " of %"
								G_GSIZE_FORMAT " bytes)", len, total);
		return PEGASUS_CODEC_MALFORMED;
	}
	if (st != PEGASUS_CODEC_OK)
		return st;

	hdr->version = get_u32(buf + 4);
	if (hdr->version == 0)
	{
		hdr->header_length = PEGASUS_CODEC_V0_HEADER_LEN;
		hdr->header_crc32 = get_u32(buf + 12);
		hdr->body_length = get_u32(buf + 16);
		hdr->body_crc32 = get_u32(buf + 20);
		hdr->app_id = (gint32) get_u32(buf + 24);
		hdr->partition_index = (gint32) get_u32(buf + 28);
		hdr->client_timeout = (gint32) get_u32(buf + 32);
		hdr->thread_hash = (gint32) get_u32(buf + 36);
		hdr->partition_hash = get_u64(buf + 40);
		*body_offset = PEGASUS_CODEC_V0_HEADER_LEN;
	}
	else
	{
		guint32		meta_len = get_u32(buf + 8);
		RequestMetaV1 meta;
		PegasusCodecReader r;
		gpointer	arena = NULL;

		hdr->body_length = get_u32(buf + 12);
		hdr->header_length = PEGASUS_CODEC_V1_FIXED_LEN + meta_len;
		memset(&meta, 0, sizeof(meta));
		pegasus_codec_reader_init(&r, buf + PEGASUS_CODEC_V1_FIXED_LEN, meta_len,
								  PEGASUS_CODEC_V1_FIXED_LEN, 0, &arena, err);
		r.depth = 1;
		pegasus_codec_read_fields(&r, request_meta_v1_fields,
								  G_N_ELEMENTS(request_meta_v1_fields), &meta, &meta.present);
		pegasus_codec_arena_free(&arena);
		if (r.failed)
			return PEGASUS_CODEC_MALFORMED;
		hdr->app_id = meta.app_id;
		hdr->partition_index = meta.partition_index;
		hdr->client_timeout = meta.client_timeout;
		hdr->partition_hash = (guint64) meta.client_partition_hash;
		hdr->is_backup_request = meta.is_backup_request;
		hdr->v1_present = meta.present;
		hdr->thread_hash = pegasus_codec_thread_hash(meta.app_id, meta.partition_index);
		*body_offset = hdr->header_length;
	}
	clear_error(err);
	return PEGASUS_CODEC_OK;
}

/* Read a strict message begin; returns FALSE with r failed on error */
static gboolean
read_message_begin(PegasusCodecReader *r, gint32 *msg_type, PegasusBlob *name,
				   gint32 *seqid)
{
	gint32		word;

	if (!pegasus_codec_read_i32(r, &word))
		return FALSE;
	if (((guint32) word & STRICT_VERSION_MASK) != STRICT_VERSION_1)
	{
		pegasus_codec_reader_fail(r, "not a strict thrift message (0x%08x)", (guint32) word);
		return FALSE;
	}
	*msg_type = (gint32) ((guint32) word & 0xFF);
	if (!pegasus_codec_read_binary(r, name))
		return FALSE;
	if (name->len > PEGASUS_CODEC_MAX_NAME_LEN)
	{
		pegasus_codec_reader_fail(r, "message name of %" G_GSIZE_FORMAT " bytes", name->len);
		return FALSE;
	}
	return pegasus_codec_read_i32(r, seqid);
}

PegasusCodecStatus
pegasus_codec_decode_request(const guint8 *buf, gsize len, guint flags,
							 PegasusRequest *out, PegasusCodecError *err)
{
	PegasusCodecError local;
	PegasusCodecStatus st;
	PegasusCodecReader r;
	gsize		body_offset;
	const PegasusCodecRpcDesc *desc;

	if (err == NULL)
		err = &local;
	memset(out, 0, sizeof(*out));
	st = pegasus_codec_decode_request_header(buf, len, &out->header, &body_offset, err);
	if (st != PEGASUS_CODEC_OK)
		return st;

	pegasus_codec_reader_init(&r, buf + body_offset, out->header.body_length,
							  body_offset, flags, &out->arena, err);
	if (!read_message_begin(&r, &out->msg_type, &out->name, &out->seqid))
		return PEGASUS_CODEC_MALFORMED;
	if (out->msg_type != PEGASUS_CODEC_MSG_CALL && out->msg_type != PEGASUS_CODEC_MSG_ONEWAY)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, body_offset,
								"request message type %d (expected CALL or ONEWAY)",
								out->msg_type);
		return PEGASUS_CODEC_MALFORMED;
	}
	out->rpc = pegasus_codec_rpc_from_name((const char *) out->name.data, out->name.len, NULL);
	desc = pegasus_codec_rpc_desc(out->rpc);
	if (desc == NULL)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_UNKNOWN_RPC, body_offset,
								"unknown RPC name \"%.*s\"",
								(int) MIN(out->name.len, 64), (const char *) out->name.data);
		return PEGASUS_CODEC_UNKNOWN_RPC;
	}

	/* args struct: the single field 1; bytes after its STOP are ignored */
	r.depth = 1;
	pegasus_codec_read_fields(&r, &desc->arg, 1, &out->u, &out->args_present);
	out->type_mismatches = r.type_mismatches;
	out->unknown_fields = r.unknown_fields;
	if (r.failed)
		return PEGASUS_CODEC_MALFORMED;
	clear_error(err);
	return PEGASUS_CODEC_OK;
}

void
pegasus_codec_request_clear(PegasusRequest *req)
{
	if (req == NULL)
		return;
	pegasus_codec_arena_free(&req->arena);
	memset(req, 0, sizeof(*req));
}

PegasusCodecStatus
pegasus_codec_decode_response(const guint8 *buf, gsize len, guint flags,
							  PegasusResponse *out, PegasusCodecError *err)
{
	PegasusCodecError local;
	PegasusCodecStatus st;
	PegasusCodecReader r;
	gsize		total;
	gint32		msg_type;
	gboolean	is_ack;
	const PegasusCodecRpcDesc *desc;
	PegasusCodecFieldDesc result_field;
	guint32		result_present = 0;

	if (err == NULL)
		err = &local;
	memset(out, 0, sizeof(*out));
	st = pegasus_codec_response_frame_check(buf, len, 0, &total, err);
	if (st == PEGASUS_CODEC_INCOMPLETE)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, len,
								"response frame truncated (%" G_GSIZE_FORMAT " of %"
								G_GSIZE_FORMAT " bytes)", len, total);
		return PEGASUS_CODEC_MALFORMED;
	}
	if (st != PEGASUS_CODEC_OK)
		return st;

	pegasus_codec_reader_init(&r, buf + 4, total - 4, 4, flags, &out->arena, err);
	if (!pegasus_codec_read_binary(&r, &out->frame_error_name))
		return PEGASUS_CODEC_MALFORMED;
	if (out->frame_error_name.len > PEGASUS_CODEC_MAX_NAME_LEN)
	{
		pegasus_codec_reader_fail(&r, "error name of %" G_GSIZE_FORMAT " bytes",
								  out->frame_error_name.len);
		return PEGASUS_CODEC_MALFORMED;
	}
	out->frame_error = pegasus_codec_error_from_name((const char *) out->frame_error_name.data,
													 out->frame_error_name.len);
	if (!read_message_begin(&r, &msg_type, &out->name, &out->seqid))
		return PEGASUS_CODEC_MALFORMED;
	if (msg_type != PEGASUS_CODEC_MSG_REPLY)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 4,
								"response message type %d (expected REPLY)", msg_type);
		return PEGASUS_CODEC_MALFORMED;
	}
	out->rpc = pegasus_codec_rpc_from_name((const char *) out->name.data, out->name.len, &is_ack);
	if (out->rpc != PEGASUS_RPC_UNKNOWN && !is_ack)
		out->rpc = PEGASUS_RPC_UNKNOWN;
	desc = pegasus_codec_rpc_desc(out->rpc);
	if (desc == NULL)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_UNKNOWN_RPC, 4,
								"unknown response name \"%.*s\"",
								(int) MIN(out->name.len, 64), (const char *) out->name.data);
		return PEGASUS_CODEC_UNKNOWN_RPC;
	}

	/* a non-OK frame error: clients never look at what follows */
	if (out->frame_error_name.len != 6 ||
		memcmp(out->frame_error_name.data, "ERR_OK", 6) != 0)
	{
		clear_error(err);
		return PEGASUS_CODEC_OK;
	}
	if (desc->response == NULL)
	{
		if (r.pos == r.len)
		{
			clear_error(err);
			return PEGASUS_CODEC_OK;
		}
		pegasus_codec_reader_fail(&r, "%s has no reply body", pegasus_codec_rpc_ack_name(out->rpc));
		return PEGASUS_CODEC_MALFORMED;
	}

	memset(&result_field, 0, sizeof(result_field));
	result_field.name = "success";
	result_field.id = 0;
	result_field.kind = PEGASUS_CODEC_K_STRUCT;
	result_field.has_offset = -1;
	result_field.aux_offset = -1;
	result_field.sub = desc->response;
	r.depth = 1;
	pegasus_codec_read_fields(&r, &result_field, 1, &out->u, &result_present);
	out->type_mismatches = r.type_mismatches;
	out->unknown_fields = r.unknown_fields;
	if (r.failed)
		return PEGASUS_CODEC_MALFORMED;
	if (!(result_present & 1))
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_MALFORMED, 4 + r.pos,
								"result struct has no field 0");
		return PEGASUS_CODEC_MALFORMED;
	}
	out->has_body = TRUE;
	clear_error(err);
	return PEGASUS_CODEC_OK;
}

void
pegasus_codec_response_clear(PegasusResponse *resp)
{
	if (resp == NULL)
		return;
	pegasus_codec_arena_free(&resp->arena);
	memset(resp, 0, sizeof(*resp));
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

/*
 * Encoders' transport/protocol pairs are recycled through a small pool
 * instead of being destroyed: thrift c_glib 0.17 leaks a little memory each
 * time a memory transport is finalized, and recycling also makes creating
 * an encoder cheap.
 */
static GMutex encoder_pool_lock;
static GSList *encoder_pool = NULL;

PegasusEncoder *
pegasus_codec_encoder_new(void)
{
	PegasusEncoder *enc;

	g_mutex_lock(&encoder_pool_lock);
	if (encoder_pool)
	{
		enc = encoder_pool->data;
		encoder_pool = g_slist_delete_link(encoder_pool, encoder_pool);
		g_mutex_unlock(&encoder_pool_lock);
		return enc;
	}
	g_mutex_unlock(&encoder_pool_lock);

	enc = g_new0(PegasusEncoder, 1);
	enc->mbuf = g_object_new(THRIFT_TYPE_MEMORY_BUFFER, "buf_size", (guint) G_MAXINT32, NULL);
	enc->proto = g_object_new(THRIFT_TYPE_BINARY_PROTOCOL, "transport", enc->mbuf, NULL);
	return enc;
}

void
pegasus_codec_encoder_use_thrift_api(PegasusEncoder *enc, gboolean on)
{
	enc->thrift_api = on;
}

static void encoder_shrink(PegasusEncoder *enc);

/*
 * Starts a frame of `reserve` zeroed header bytes and returns a writer of
 * it, with the buffer the frame is in and where it starts there: the
 * direct back end writes straight onto the end of out, thrift's protocol
 * API into the encoder's transport buffer (encoder_end copies it to out).
 */
static PegasusCodecWriter
encoder_begin(PegasusEncoder *enc, GByteArray *out, guint reserve,
			  GError **gerr, GByteArray **frame, gsize *start)
{
	PegasusCodecWriter w;

	w.proto = enc->proto;
	w.error = gerr;
	if (enc->thrift_api)
	{
		*frame = enc->mbuf->buf;
		*start = 0;
		g_byte_array_set_size(*frame, reserve);
		w.buf = NULL;
		w.len = 0;
	}
	else
	{
		*frame = out;
		*start = out->len;
		g_byte_array_set_size(out, out->len + reserve);
		w.buf = out;
		w.len = out->len;
	}
	memset((*frame)->data + *start, 0, reserve);
	return w;
}

/*
 * Ends a frame whose writer has finished: ok, out holds it; otherwise out
 * is as it was.
 */
static void
encoder_end(PegasusEncoder *enc, GByteArray *out, gsize start, gboolean ok)
{
	if (!enc->thrift_api)
	{
		if (!ok)
			g_byte_array_set_size(out, (guint) start);
		return;
	}
	if (ok)
		g_byte_array_append(out, enc->mbuf->buf->data, enc->mbuf->buf->len);
	encoder_shrink(enc);
}

void
pegasus_codec_encoder_free(PegasusEncoder *enc)
{
	if (enc == NULL)
		return;
	g_byte_array_set_size(enc->mbuf->buf, 0);
	enc->thrift_api = FALSE;
	g_mutex_lock(&encoder_pool_lock);
	encoder_pool = g_slist_prepend(encoder_pool, enc);
	g_mutex_unlock(&encoder_pool_lock);
}

/* Keep the transport's buffer from staying huge after a big frame */
static void
encoder_shrink(PegasusEncoder *enc)
{
	if (enc->mbuf->buf->len > 4 * 1024 * 1024)
	{
		g_byte_array_unref(enc->mbuf->buf);
		enc->mbuf->buf = g_byte_array_new();
	}
}

static PegasusCodecStatus
encode_failed(PegasusCodecError *err, GError *gerr, const char *what)
{
	pegasus_codec_set_error(err, PEGASUS_CODEC_INVALID_ARG, 0, "%s: %s", what,
							gerr ? gerr->message : "write failed");
	if (gerr)
		g_error_free(gerr);
	return PEGASUS_CODEC_INVALID_ARG;
}

PegasusCodecStatus
pegasus_codec_encode_request(PegasusEncoder *enc, const PegasusRequest *req,
							 guint flags, GByteArray *out, PegasusCodecError *err)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(req->rpc);
	GByteArray *b;
	GError	   *gerr = NULL;
	char	   *name_copy = NULL;
	const char *name;
	gint32		msg_type = req->msg_type ? req->msg_type : PEGASUS_CODEC_MSG_CALL;
	gboolean	ok;
	gsize		body_len;
	guint8	   *h;
	gsize		start;
	PegasusCodecWriter w;

	if (req->header.version != 0)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_INVALID_ARG, 0,
								"only request header version 0 is encoded");
		return PEGASUS_CODEC_INVALID_ARG;
	}
	if (desc)
		name = pegasus_codec_rpc_name(req->rpc);
	else
		name = name_copy = pegasus_codec_blob_dup_str(req->name);

	w = encoder_begin(enc, out, PEGASUS_CODEC_V0_HEADER_LEN, &gerr, &b, &start);
	ok = pegasus_codec_write_message_begin(&w, name, msg_type, req->seqid) &&
		pegasus_codec_write_struct_begin(&w, "args");
	if (ok && desc)
	{
		ok = pegasus_codec_write_field_begin(&w, "arg",
											 pegasus_codec_kind_wire_type(desc->arg.kind),
											 1) &&
			pegasus_codec_write_value(&w, &desc->arg, desc->arg.kind,
									  &req->u, flags) &&
			pegasus_codec_write_field_end(&w);
	}
	ok = ok && pegasus_codec_write_field_stop(&w) &&
		pegasus_codec_write_struct_end(&w) &&
		pegasus_codec_write_message_end(&w);
	g_free(name_copy);
	pegasus_codec_writer_finish(&w);
	if (!ok)
	{
		encoder_end(enc, out, start, FALSE);
		return encode_failed(err, gerr, "encoding request");
	}

	body_len = b->len - start - PEGASUS_CODEC_V0_HEADER_LEN;
	if (b->len - start > FRAME_HARD_LIMIT)
	{
		encoder_end(enc, out, start, FALSE);
		pegasus_codec_set_error(err, PEGASUS_CODEC_TOO_LARGE, 0,
								"request body of %" G_GSIZE_FORMAT " bytes", body_len);
		return PEGASUS_CODEC_TOO_LARGE;
	}
	h = b->data + start;
	memcpy(h, PEGASUS_CODEC_HEADER_MAGIC, 4);
	put_u32(h + 4, 0);
	put_u32(h + 8, PEGASUS_CODEC_V0_HEADER_LEN);
	put_u32(h + 12, 0);
	put_u32(h + 16, (guint32) body_len);
	put_u32(h + 20, 0);
	put_u32(h + 24, (guint32) req->header.app_id);
	put_u32(h + 28, (guint32) req->header.partition_index);
	put_u32(h + 32, (guint32) req->header.client_timeout);
	put_u32(h + 36, (guint32) req->header.thread_hash);
	put_u64(h + 40, req->header.partition_hash);

	encoder_end(enc, out, start, TRUE);
	if (err)
		clear_error(err);
	return PEGASUS_CODEC_OK;
}

PegasusCodecStatus
pegasus_codec_encode_response(PegasusEncoder *enc, const PegasusResponse *resp,
							  guint flags, GByteArray *out, PegasusCodecError *err)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(resp->rpc);
	gboolean	with_body = resp->frame_error == PEGASUS_EC_OK;
	GByteArray *b;
	GError	   *gerr = NULL;
	char	   *name_copy = NULL;
	char	   *error_name_copy = NULL;
	const char *name;
	const char *error_name;
	gboolean	ok;
	gsize		start;
	PegasusCodecWriter w;

	if (with_body && (desc == NULL || desc->response == NULL))
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_INVALID_ARG, 0,
								"RPC %s has no ERR_OK reply body",
								desc ? pegasus_codec_rpc_name(resp->rpc) : "(unknown)");
		return PEGASUS_CODEC_INVALID_ARG;
	}
	if (desc)
		name = pegasus_codec_rpc_ack_name(resp->rpc);
	else
		name = name_copy = pegasus_codec_blob_dup_str(resp->name);

	w = encoder_begin(enc, out, 4, &gerr, &b, &start);
	if (resp->frame_error == PEGASUS_EC_UNKNOWN && resp->frame_error_name.len > 0)
		error_name = error_name_copy = pegasus_codec_blob_dup_str(resp->frame_error_name);
	else
		error_name = pegasus_codec_error_name(resp->frame_error);
	ok = pegasus_codec_write_string(&w, error_name) &&
		pegasus_codec_write_message_begin(&w, name, T_REPLY, resp->seqid);
	if (ok && with_body)
	{
		ok = pegasus_codec_write_struct_begin(&w, "result") &&
			pegasus_codec_write_field_begin(&w, "success", T_STRUCT, 0) &&
			pegasus_codec_write_struct(&w, desc->response, &resp->u, flags) &&
			pegasus_codec_write_field_end(&w) &&
			pegasus_codec_write_field_stop(&w) &&
			pegasus_codec_write_struct_end(&w);
	}
	ok = ok && pegasus_codec_write_message_end(&w);
	g_free(name_copy);
	g_free(error_name_copy);
	pegasus_codec_writer_finish(&w);
	if (!ok)
	{
		encoder_end(enc, out, start, FALSE);
		return encode_failed(err, gerr, "encoding response");
	}
	if (b->len - start > FRAME_HARD_LIMIT)
	{
		pegasus_codec_set_error(err, PEGASUS_CODEC_TOO_LARGE, 0,
								"response of %" G_GSIZE_FORMAT " bytes",
								(gsize) (b->len - start));
		encoder_end(enc, out, start, FALSE);
		return PEGASUS_CODEC_TOO_LARGE;
	}
	put_u32(b->data + start, (guint32) (b->len - start));
	encoder_end(enc, out, start, TRUE);
	if (err)
		clear_error(err);
	return PEGASUS_CODEC_OK;
}
