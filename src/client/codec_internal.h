/*-------------------------------------------------------------------------
 *
 * codec_internal.h
 *	  Declarations shared by the codec's source files only: the
 *	  table-driven description of thrift structs, the bounded reader, the
 *	  struct writer and the decode arena.  Not part of the public API.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CODEC_INTERNAL_H
#define PEGASUS_CODEC_INTERNAL_H

#include <stddef.h>

#include <thrift/c_glib/protocol/thrift_protocol.h>

#include "pegasus_codec.h"

/*
 * How a field's value is laid out in memory and on the wire.  Every
 * described struct starts with `guint32 present`.
 */
typedef enum PegasusCodecKind
{
	PEGASUS_CODEC_K_BOOL,		/* gboolean, wire BOOL */
	PEGASUS_CODEC_K_I32,		/* gint32, wire I32 */
	PEGASUS_CODEC_K_I64,		/* gint64, wire I64 */
	PEGASUS_CODEC_K_BLOB,		/* PegasusBlob, wire STRUCT + raw i32 len/bytes */
	PEGASUS_CODEC_K_STRING,		/* PegasusBlob, wire STRING */
	PEGASUS_CODEC_K_GPID,		/* PegasusGpid, wire STRUCT + raw i64 */
	PEGASUS_CODEC_K_ADDR,		/* PegasusRpcAddress, wire STRUCT + raw i64 */
	PEGASUS_CODEC_K_HOSTPORT,	/* PegasusHostPort, wire STRUCT + raw string/i16/i8 */
	PEGASUS_CODEC_K_ERRCODE,	/* PegasusErrorCode (+ name blob at aux_offset) */
	PEGASUS_CODEC_K_STRUCT,		/* nested struct, wire STRUCT */
	PEGASUS_CODEC_K_LIST,		/* pointer + guint32 count at aux_offset */
	PEGASUS_CODEC_K_MAP_SS		/* map<string,string>: PegasusStringPair * + count */
} PegasusCodecKind;

typedef struct PegasusCodecStructDesc PegasusCodecStructDesc;

typedef struct PegasusCodecFieldDesc
{
	const char *name;
	gint16		id;
	guint8		kind;			/* PegasusCodecKind */
	guint8		elem_kind;		/* LIST only */
	guint8		optional;		/* written only when *has_offset is TRUE */
	gsize		offset;
	gssize		has_offset;		/* gboolean has_<name>, or -1 */
	gssize		aux_offset;		/* LIST/MAP: guint32 count; ERRCODE: name blob */
	const PegasusCodecStructDesc *sub;	/* STRUCT, or LIST of STRUCT */
} PegasusCodecFieldDesc;

struct PegasusCodecStructDesc
{
	const char *name;
	gsize		size;
	const PegasusCodecFieldDesc *fields;
	guint		n_fields;
};

/* Field description helpers (T = C struct type) */
#define PCF(T, id, kind, m) \
	{ #m, id, kind, 0, 0, offsetof(T, m), -1, -1, NULL }
#define PCF_OPT(T, id, kind, m) \
	{ #m, id, kind, 0, 1, offsetof(T, m), offsetof(T, has_##m), -1, NULL }
#define PCF_STRUCT(T, id, m, sub) \
	{ #m, id, PEGASUS_CODEC_K_STRUCT, 0, 0, offsetof(T, m), -1, -1, sub }
#define PCF_LIST(T, id, m, ek, sub) \
	{ #m, id, PEGASUS_CODEC_K_LIST, ek, 0, offsetof(T, m), -1, offsetof(T, n_##m), sub }
#define PCF_OPT_LIST(T, id, m, ek, sub) \
	{ #m, id, PEGASUS_CODEC_K_LIST, ek, 1, offsetof(T, m), offsetof(T, has_##m), offsetof(T, n_##m), sub }
#define PCF_MAP_SS(T, id, m) \
	{ #m, id, PEGASUS_CODEC_K_MAP_SS, 0, 0, offsetof(T, m), -1, offsetof(T, n_##m), NULL }
#define PCF_ERRCODE(T, id, m) \
	{ #m, id, PEGASUS_CODEC_K_ERRCODE, 0, 0, offsetof(T, m), -1, offsetof(T, m##_name), NULL }
#define PCS(name, T, fields) \
	{ name, sizeof(T), fields, G_N_ELEMENTS(fields) }

/* in codec_rrdb.c */
extern const PegasusCodecStructDesc pegasus_codec_desc_update_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_update_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_read_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_ttl_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_count_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_key_value;
extern const PegasusCodecStructDesc pegasus_codec_desc_multi_put_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_multi_remove_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_multi_remove_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_multi_get_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_multi_get_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_full_key;
extern const PegasusCodecStructDesc pegasus_codec_desc_batch_get_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_full_data;
extern const PegasusCodecStructDesc pegasus_codec_desc_batch_get_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_incr_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_incr_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_check_and_set_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_check_and_set_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_mutate;
extern const PegasusCodecStructDesc pegasus_codec_desc_check_and_mutate_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_get_scanner_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_scan_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_scan_response;

/* in codec_meta.c */
extern const PegasusCodecStructDesc pegasus_codec_desc_partition_configuration;
extern const PegasusCodecStructDesc pegasus_codec_desc_query_cfg_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_query_cfg_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_app_info;
extern const PegasusCodecStructDesc pegasus_codec_desc_create_app_options;
extern const PegasusCodecStructDesc pegasus_codec_desc_create_app_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_create_app_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_drop_app_options;
extern const PegasusCodecStructDesc pegasus_codec_desc_drop_app_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_drop_app_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_list_apps_request;
extern const PegasusCodecStructDesc pegasus_codec_desc_list_apps_response;
extern const PegasusCodecStructDesc pegasus_codec_desc_negotiation;

/* in codec_rpc.c: the args field 1 and response struct of each RPC */
typedef struct PegasusCodecRpcDesc
{
	PegasusCodecFieldDesc arg;	/* id 1; offset 0 into PegasusRequest.u */
	const PegasusCodecStructDesc *response; /* NULL: no reply (clear_scanner) */
} PegasusCodecRpcDesc;

extern const PegasusCodecRpcDesc *pegasus_codec_rpc_desc(PegasusRpc rpc);

/* Thrift wire type of a kind */
extern guint8 pegasus_codec_kind_wire_type(guint8 kind);

/* in codec_arena.c: arrays of a decoded message */
extern gpointer pegasus_codec_arena_alloc0(gpointer *arena, gsize size);
extern void pegasus_codec_arena_free(gpointer *arena);

/* in codec_reader.c */
typedef struct PegasusCodecReader
{
	const guint8 *buf;
	gsize		len;
	gsize		pos;
	gsize		base;			/* offset of buf inside the frame (for errors) */
	guint		flags;
	guint		depth;
	guint32		type_mismatches;
	guint32		unknown_fields;
	gpointer   *arena;
	PegasusCodecError *err;		/* never NULL */
	gboolean	failed;
} PegasusCodecReader;

extern void pegasus_codec_reader_init(PegasusCodecReader *r, const guint8 *buf,
									  gsize len, gsize base, guint flags,
									  gpointer *arena, PegasusCodecError *err);
extern void pegasus_codec_reader_fail(PegasusCodecReader *r, const char *fmt,...)
			G_GNUC_PRINTF(2, 3);
extern gboolean pegasus_codec_read_u8(PegasusCodecReader *r, guint8 *v);
extern gboolean pegasus_codec_read_i16(PegasusCodecReader *r, gint16 *v);
extern gboolean pegasus_codec_read_i32(PegasusCodecReader *r, gint32 *v);
extern gboolean pegasus_codec_read_i64(PegasusCodecReader *r, gint64 *v);
extern gboolean pegasus_codec_read_binary(PegasusCodecReader *r, PegasusBlob *v);
/* Decode the fields of a struct up to its STOP into dst */
extern gboolean pegasus_codec_read_fields(PegasusCodecReader *r,
										  const PegasusCodecFieldDesc *fields,
										  guint n_fields, void *dst,
										  guint32 *present);
extern gboolean pegasus_codec_read_struct(PegasusCodecReader *r,
										  const PegasusCodecStructDesc *desc,
										  void *dst);

/*
 * in codec_writer.c: a writer of thrift's strict binary protocol, through
 * thrift c_glib's protocol API (buf NULL) or straight into buf (the same
 * bytes, fewer calls).  Failures set *error.
 */
typedef struct PegasusCodecWriter
{
	ThriftProtocol *proto;
	GByteArray *buf;
	gsize		len;			/* bytes of buf written; beyond, reserved */
	GError	  **error;
} PegasusCodecWriter;

/*
 * The direct back end grows buf ahead of its writes (buf->len is what it
 * reserved); finish trims buf to the bytes written.
 */
extern void pegasus_codec_writer_finish(PegasusCodecWriter *w);

extern gboolean pegasus_codec_write_value(PegasusCodecWriter *w,
										  const PegasusCodecFieldDesc *field,
										  guint8 kind, const void *value,
										  guint flags);
extern gboolean pegasus_codec_write_struct(PegasusCodecWriter *w,
										   const PegasusCodecStructDesc *desc,
										   const void *src, guint flags);
extern gboolean pegasus_codec_write_string(PegasusCodecWriter *w, const char *s);
extern gboolean pegasus_codec_write_message_begin(PegasusCodecWriter *w,
												  const char *name,
												  gint32 type, gint32 seqid);
extern gboolean pegasus_codec_write_message_end(PegasusCodecWriter *w);
extern gboolean pegasus_codec_write_struct_begin(PegasusCodecWriter *w,
												 const char *name);
extern gboolean pegasus_codec_write_struct_end(PegasusCodecWriter *w);
extern gboolean pegasus_codec_write_field_begin(PegasusCodecWriter *w,
												const char *name,
												guint8 type, gint16 id);
extern gboolean pegasus_codec_write_field_end(PegasusCodecWriter *w);
extern gboolean pegasus_codec_write_field_stop(PegasusCodecWriter *w);

/*
 * Whether encoders write through thrift c_glib's protocol API instead of
 * directly (for tests comparing the two; default false).
 */
extern void pegasus_codec_encoder_use_thrift_api(PegasusEncoder *enc,
												 gboolean on);

/* in codec_frame.c */
extern void pegasus_codec_set_error(PegasusCodecError *err, PegasusCodecStatus status,
									gsize offset, const char *fmt,...)
			G_GNUC_PRINTF(4, 5);

#endif							/* PEGASUS_CODEC_INTERNAL_H */
