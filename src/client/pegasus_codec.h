/*-------------------------------------------------------------------------
 *
 * pegasus_codec.h
 *	  Apache Pegasus wire codec: request/response frames, the thrift
 *	  structures of every RPC the project uses (pegasus_codec_rrdb.h and
 *	  pegasus_codec_meta.h, included here), and the key / hash / time
 *	  helpers that go with them.
 *
 * The codec is shared by the client library (encodes requests, decodes
 * responses) and the onebox test server (decodes requests, encodes
 * responses).  It does no I/O.
 *
 * Encoding goes through thrift c_glib's strict binary protocol over a
 * memory transport held by a reusable PegasusEncoder.  Decoding is a
 * hand-written bounds-checked reader over a byte buffer.
 *
 * Memory model of decoded messages
 * --------------------------------
 * Every PegasusBlob in a decoded PegasusRequest / PegasusResponse is a VIEW
 * into the buffer that was decoded (pointer + length, not NUL-terminated):
 * that buffer must outlive the decoded struct.  Arrays (lists, maps) are
 * allocated from a small arena owned by the decoded message; release them
 * all with pegasus_codec_request_clear() / pegasus_codec_response_clear().
 * Never free a single array yourself.
 *
 * Structs filled by the caller for encoding own nothing: the encoder only
 * reads them (clear functions are harmless on them: their arena is NULL).
 *
 * Field presence
 * --------------
 * Every thrift struct has a `present` bitmask: bit N set = field id N was on
 * the wire (set by the decoder).  The encoder ignores it by default and
 * writes every non-optional field (as the Java and Go clients do) plus the
 * optional fields whose has_* flag is set.  With PEGASUS_CODEC_ENCODE_PRESENT_ONLY
 * it writes a non-optional field only when its `present` bit is set, which
 * reproduces a decoded message's field choices exactly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CODEC_H
#define PEGASUS_CODEC_H

#include <glib.h>

/* ------------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------------ */

#define PEGASUS_CODEC_HEADER_MAGIC		"THFT"
#define PEGASUS_CODEC_V0_HEADER_LEN		48
#define PEGASUS_CODEC_V1_FIXED_LEN		16	/* THFT, version, meta_len, body_len */
#define PEGASUS_CODEC_MAX_NAME_LEN		256 /* longest RPC / error name accepted */
#define PEGASUS_CODEC_MAX_DEPTH			32	/* nesting bound of the decoder */

/* Pegasus time: Unix seconds minus this epoch (2016-01-01 00:00:00 UTC) */
#define PEGASUS_CODEC_EPOCH_BEGIN		1451606400

/* Longest hash key the server accepts is 65534 bytes */
#define PEGASUS_CODEC_MAX_HASH_KEY_LEN	65534

/* Thrift message types */
#define PEGASUS_CODEC_MSG_CALL			1
#define PEGASUS_CODEC_MSG_REPLY			2
#define PEGASUS_CODEC_MSG_EXCEPTION		3
#define PEGASUS_CODEC_MSG_ONEWAY		4

/* Thrift wire type codes */
typedef enum PegasusThriftType
{
	PEGASUS_TTYPE_STOP = 0,
	PEGASUS_TTYPE_BOOL = 2,
	PEGASUS_TTYPE_BYTE = 3,
	PEGASUS_TTYPE_DOUBLE = 4,
	PEGASUS_TTYPE_I16 = 6,
	PEGASUS_TTYPE_I32 = 8,
	PEGASUS_TTYPE_I64 = 10,
	PEGASUS_TTYPE_STRING = 11,
	PEGASUS_TTYPE_STRUCT = 12,
	PEGASUS_TTYPE_MAP = 13,
	PEGASUS_TTYPE_SET = 14,
	PEGASUS_TTYPE_LIST = 15
} PegasusThriftType;

/* ------------------------------------------------------------------------
 * Codec status and error report
 * ------------------------------------------------------------------------ */

typedef enum PegasusCodecStatus
{
	PEGASUS_CODEC_OK = 0,
	PEGASUS_CODEC_INCOMPLETE,	/* need more bytes (frame check only) */
	PEGASUS_CODEC_MALFORMED,	/* bytes violate the protocol */
	PEGASUS_CODEC_TOO_LARGE,	/* frame exceeds the caller's limit */
	PEGASUS_CODEC_UNKNOWN_RPC,	/* well-formed, but the RPC name is not known;
								 * header, name and seqid are filled in */
	PEGASUS_CODEC_INVALID_ARG	/* encoder: a value cannot be encoded */
} PegasusCodecStatus;

typedef struct PegasusCodecError
{
	PegasusCodecStatus status;
	gsize		offset;			/* byte offset in the frame where it happened */
	char		msg[160];		/* short human-readable reason */
} PegasusCodecError;

extern const char *pegasus_codec_status_name(PegasusCodecStatus status);

/* Decoder flags */
#define PEGASUS_CODEC_DECODE_STRICT_TYPES	0x0001	/* a known field carrying the
													 * wrong thrift type is an
													 * error (MALFORMED) instead
													 * of being counted and
													 * skipped */

/* Encoder flags */
#define PEGASUS_CODEC_ENCODE_PRESENT_ONLY	0x0001	/* see "Field presence" */

/* ------------------------------------------------------------------------
 * Enumerations
 * ------------------------------------------------------------------------ */

/* RPCs the codec knows (protocol section 1.6) */
typedef enum PegasusRpc
{
	PEGASUS_RPC_UNKNOWN = 0,
	PEGASUS_RPC_PUT,
	PEGASUS_RPC_MULTI_PUT,
	PEGASUS_RPC_REMOVE,
	PEGASUS_RPC_MULTI_REMOVE,
	PEGASUS_RPC_INCR,
	PEGASUS_RPC_CHECK_AND_SET,
	PEGASUS_RPC_CHECK_AND_MUTATE,
	PEGASUS_RPC_GET,
	PEGASUS_RPC_MULTI_GET,
	PEGASUS_RPC_BATCH_GET,
	PEGASUS_RPC_SORTKEY_COUNT,
	PEGASUS_RPC_TTL,
	PEGASUS_RPC_GET_SCANNER,
	PEGASUS_RPC_SCAN,
	PEGASUS_RPC_CLEAR_SCANNER,
	PEGASUS_RPC_QUERY_CFG,		/* RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX */
	PEGASUS_RPC_LIST_APPS,
	PEGASUS_RPC_CREATE_APP,
	PEGASUS_RPC_DROP_APP,
	PEGASUS_RPC_NEGOTIATION,
	PEGASUS_RPC__COUNT
} PegasusRpc;

/* "RPC_RRDB_RRDB_GET" etc.; NULL for UNKNOWN / out of range */
extern const char *pegasus_codec_rpc_name(PegasusRpc rpc);
/* "RPC_RRDB_RRDB_GET_ACK" etc.; NULL for UNKNOWN / out of range */
extern const char *pegasus_codec_rpc_ack_name(PegasusRpc rpc);
/*
 * Look a name up (not NUL-terminated).  Accepts request names and, when
 * is_ack is not NULL, also "_ACK" names (*is_ack tells which).  Returns
 * PEGASUS_RPC_UNKNOWN for anything else.
 */
extern PegasusRpc pegasus_codec_rpc_from_name(const char *name, gsize len,
											  gboolean *is_ack);
/* TRUE for put, multi_put, remove, multi_remove, incr, check_and_* */
extern gboolean pegasus_codec_rpc_is_write(PegasusRpc rpc);
/* TRUE for the meta-server RPCs (query_cfg, list/create/drop app) */
extern gboolean pegasus_codec_rpc_is_meta(PegasusRpc rpc);

/*
 * Frame-level / meta error names (protocol section 8).  The string on the
 * wire is the identifier ("ERR_OK").  Unknown names map to
 * PEGASUS_EC_UNKNOWN (which is also the real "ERR_UNKNOWN").
 */
typedef enum PegasusErrorCode
{
	PEGASUS_EC_OK = 0,
	PEGASUS_EC_UNKNOWN,
	PEGASUS_EC_TIMEOUT,
	PEGASUS_EC_SESSION_RESET,
	PEGASUS_EC_OBJECT_NOT_FOUND,
	PEGASUS_EC_INVALID_STATE,
	PEGASUS_EC_PARENT_PARTITION_MISUSED,
	PEGASUS_EC_SPLITTING,
	PEGASUS_EC_NOT_ENOUGH_MEMBER,
	PEGASUS_EC_CAPACITY_EXCEEDED,
	PEGASUS_EC_BUSY,
	PEGASUS_EC_INVALID_DATA,
	PEGASUS_EC_HANDLER_NOT_FOUND,
	PEGASUS_EC_INVALID_PARAMETERS,
	PEGASUS_EC_ACL_DENY,
	PEGASUS_EC_OPERATION_DISABLED,
	PEGASUS_EC_NO_NEED_OPERATE,
	PEGASUS_EC_DISK_INSUFFICIENT,
	PEGASUS_EC_DISK_IO_ERROR,
	PEGASUS_EC_FORWARD_TO_OTHERS,
	PEGASUS_EC_SERVICE_NOT_ACTIVE,
	PEGASUS_EC_UNDER_RECOVERY,
	PEGASUS_EC_BUSY_CREATING,
	PEGASUS_EC_BUSY_DROPPING,
	PEGASUS_EC_APP_EXIST,
	PEGASUS_EC_APP_NOT_EXIST,
	PEGASUS_EC_APP_DROPPED,
	PEGASUS_EC_STATE_FREEZED,
	PEGASUS_EC_NOT_MATCHED,
	PEGASUS_EC_UNAUTHENTICATED,
	PEGASUS_EC_SASL_INTERNAL,
	PEGASUS_EC_SASL_INCOMPLETE,
	PEGASUS_EC_KRB5_INTERNAL,
	PEGASUS_EC_SERVICE_NOT_FOUND,
	PEGASUS_EC_IO_PENDING,
	PEGASUS_EC_INACTIVE_STATE,
	PEGASUS_EC_TRY_AGAIN,
	PEGASUS_EC_CORRUPTION,
	PEGASUS_EC_RDB_CORRUPTION,
	PEGASUS_EC_RETRY_EXHAUSTED,
	PEGASUS_EC_DUP_EXIST,
	PEGASUS_EC_THREAD_INTERRUPTED,
	PEGASUS_EC__COUNT
} PegasusErrorCode;

/* "ERR_OK" etc.; "ERR_UNKNOWN" for values out of range */
extern const char *pegasus_codec_error_name(PegasusErrorCode code);
/* name need not be NUL-terminated; unknown names give PEGASUS_EC_UNKNOWN */
extern PegasusErrorCode pegasus_codec_error_from_name(const char *name, gsize len);

/* rocksdb status codes carried in the rrdb responses' `error` field */
typedef enum PegasusRocksdbStatus
{
	PEGASUS_RDB_OK = 0,
	PEGASUS_RDB_NOT_FOUND = 1,
	PEGASUS_RDB_CORRUPTION = 2,
	PEGASUS_RDB_NOT_SUPPORTED = 3,
	PEGASUS_RDB_INVALID_ARGUMENT = 4,
	PEGASUS_RDB_IO_ERROR = 5,
	PEGASUS_RDB_MERGE_IN_PROGRESS = 6,
	PEGASUS_RDB_INCOMPLETE = 7,
	PEGASUS_RDB_SHUTDOWN_IN_PROGRESS = 8,
	PEGASUS_RDB_TIMED_OUT = 9,
	PEGASUS_RDB_ABORTED = 10,
	PEGASUS_RDB_BUSY = 11,
	PEGASUS_RDB_EXPIRED = 12,
	PEGASUS_RDB_TRY_AGAIN = 13,
	PEGASUS_RDB_COMPACTION_TOO_LARGE = 14,
	PEGASUS_RDB_COLUMN_FAMILY_DROPPED = 15
} PegasusRocksdbStatus;

/* "Ok", "NotFound", ...; "Unknown" outside 0..15 */
extern const char *pegasus_codec_rocksdb_status_name(gint32 code);

typedef enum PegasusFilterType
{
	PEGASUS_FT_NO_FILTER = 0,
	PEGASUS_FT_MATCH_ANYWHERE = 1,
	PEGASUS_FT_MATCH_PREFIX = 2,
	PEGASUS_FT_MATCH_POSTFIX = 3
} PegasusFilterType;

typedef enum PegasusCasCheckType
{
	PEGASUS_CT_NO_CHECK = 0,
	PEGASUS_CT_VALUE_NOT_EXIST = 1,
	PEGASUS_CT_VALUE_NOT_EXIST_OR_EMPTY = 2,
	PEGASUS_CT_VALUE_EXIST = 3,
	PEGASUS_CT_VALUE_NOT_EMPTY = 4,
	PEGASUS_CT_VALUE_MATCH_ANYWHERE = 5,
	PEGASUS_CT_VALUE_MATCH_PREFIX = 6,
	PEGASUS_CT_VALUE_MATCH_POSTFIX = 7,
	PEGASUS_CT_VALUE_BYTES_LESS = 8,
	PEGASUS_CT_VALUE_BYTES_LESS_OR_EQUAL = 9,
	PEGASUS_CT_VALUE_BYTES_EQUAL = 10,
	PEGASUS_CT_VALUE_BYTES_GREATER_OR_EQUAL = 11,
	PEGASUS_CT_VALUE_BYTES_GREATER = 12,
	PEGASUS_CT_VALUE_INT_LESS = 13,
	PEGASUS_CT_VALUE_INT_LESS_OR_EQUAL = 14,
	PEGASUS_CT_VALUE_INT_EQUAL = 15,
	PEGASUS_CT_VALUE_INT_GREATER_OR_EQUAL = 16,
	PEGASUS_CT_VALUE_INT_GREATER = 17
} PegasusCasCheckType;

typedef enum PegasusMutateOperation
{
	PEGASUS_MO_PUT = 0,
	PEGASUS_MO_DELETE = 1
} PegasusMutateOperation;

typedef enum PegasusUpdateType
{
	PEGASUS_UT_PUT = 0,
	PEGASUS_UT_INCR = 1,
	PEGASUS_UT_CHECK_AND_SET = 2,
	PEGASUS_UT_CHECK_AND_MUTATE_PUT = 3,
	PEGASUS_UT_CHECK_AND_MUTATE_REMOVE = 4
} PegasusUpdateType;

typedef enum PegasusAppStatus
{
	PEGASUS_AS_INVALID = 0,
	PEGASUS_AS_AVAILABLE = 1,
	PEGASUS_AS_CREATING = 2,
	PEGASUS_AS_CREATE_FAILED = 3,
	PEGASUS_AS_DROPPING = 4,
	PEGASUS_AS_DROP_FAILED = 5,
	PEGASUS_AS_DROPPED = 6,
	PEGASUS_AS_RECALLING = 7
} PegasusAppStatus;

typedef enum PegasusPatternMatchType
{
	PEGASUS_PMT_INVALID = 0,
	PEGASUS_PMT_MATCH_ALL = 1,
	PEGASUS_PMT_MATCH_EXACT = 2,
	PEGASUS_PMT_MATCH_ANYWHERE = 3,
	PEGASUS_PMT_MATCH_PREFIX = 4,
	PEGASUS_PMT_MATCH_POSTFIX = 5,
	PEGASUS_PMT_MATCH_REGEX = 6
} PegasusPatternMatchType;

typedef enum PegasusNegotiationStatus
{
	PEGASUS_NS_INVALID = 0,
	PEGASUS_NS_SASL_LIST_MECHANISMS = 1,
	PEGASUS_NS_SASL_LIST_MECHANISMS_RESP = 2,
	PEGASUS_NS_SASL_SELECT_MECHANISMS = 3,
	PEGASUS_NS_SASL_SELECT_MECHANISMS_RESP = 4,
	PEGASUS_NS_SASL_INITIATE = 5,
	PEGASUS_NS_SASL_CHALLENGE = 6,
	PEGASUS_NS_SASL_CHALLENGE_RESP = 7,
	PEGASUS_NS_SASL_SUCC = 8,
	PEGASUS_NS_SASL_AUTH_DISABLE = 9,
	PEGASUS_NS_SASL_AUTH_FAIL = 10
} PegasusNegotiationStatus;

/* ------------------------------------------------------------------------
 * Placeholder types (protocol 2.1)
 * ------------------------------------------------------------------------ */

/* Byte string: thrift blob or string.  A view; never owns its bytes. */
typedef struct PegasusBlob
{
	const guint8 *data;			/* may be NULL when len == 0 */
	gsize		len;
} PegasusBlob;

/* Convenience constructors / comparisons */
extern PegasusBlob pegasus_codec_blob(const void *data, gsize len);
extern PegasusBlob pegasus_codec_blob_str(const char *s);	/* strlen(s); NULL -> empty */
extern gboolean pegasus_codec_blob_equal(PegasusBlob a, PegasusBlob b);
extern gboolean pegasus_codec_blob_equal_str(PegasusBlob a, const char *s);
extern char *pegasus_codec_blob_dup_str(PegasusBlob b);	/* g_malloc'd, NUL-terminated */

typedef struct PegasusGpid
{
	gint32		app_id;
	gint32		partition_index;
} PegasusGpid;

/* On the wire: i64 = app_id (as u32) | partition_index << 32 */
extern gint64 pegasus_codec_gpid_pack(PegasusGpid gpid);
extern PegasusGpid pegasus_codec_gpid_unpack(gint64 value);

/* rpc_address: i64 = ipv4 << 32 | port << 16 | type (1 = IPv4, 0 = none) */
typedef struct PegasusRpcAddress
{
	guint32		ipv4;			/* a.b.c.d = a<<24 | b<<16 | c<<8 | d */
	guint16		port;
	guint8		type;			/* 1 = IPv4; 0 = invalid (whole value 0 = none) */
} PegasusRpcAddress;

extern gint64 pegasus_codec_rpc_address_pack(PegasusRpcAddress addr);
extern PegasusRpcAddress pegasus_codec_rpc_address_unpack(gint64 value);
/* Parse "a.b.c.d:port" (IPv4 literal only); FALSE on bad syntax */
extern gboolean pegasus_codec_rpc_address_parse(const char *text,
												PegasusRpcAddress *out);
/* "a.b.c.d:port" into buf (at least 22 bytes); returns buf */
extern char *pegasus_codec_rpc_address_format(PegasusRpcAddress addr,
											  char *buf, gsize buflen);

/* host_port: STRING host, i16 port (two's complement of u16), i8 type */
typedef struct PegasusHostPort
{
	PegasusBlob host;
	guint16		port;
	gint8		type;			/* 1 = IPv4/hostname, 0 = invalid */
} PegasusHostPort;

/* the structures of the RPCs */
#include "pegasus_codec_rrdb.h"
#include "pegasus_codec_meta.h"

/* ------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------ */

/*
 * Request header.  The encoder writes version 0 (48 bytes; crc fields 0).
 * The decoder accepts version 0 and version 1; for v1 the absent meta
 * fields stay 0, thread_hash is computed from the gpid (as the server does)
 * and v1_present tells which meta fields (bit N = field id N) were sent.
 */
typedef struct PegasusRequestHeader
{
	guint32		version;		/* 0 or 1 */
	guint32		header_length;	/* v0: 48; v1: 16 + meta length */
	guint32		body_length;
	guint32		header_crc32;	/* v0 only; ignored */
	guint32		body_crc32;		/* v0 only; ignored */
	gint32		app_id;
	gint32		partition_index;
	gint32		client_timeout; /* ms */
	gint32		thread_hash;
	guint64		partition_hash;
	gboolean	is_backup_request;	/* v1 only */
	guint32		v1_present;
} PegasusRequestHeader;

/*
 * Fill a v0 header for encoding: thread_hash = app_id * 7919 + partition_index.
 * Meta RPCs use app_id 0, partition_index 0, partition_hash 0.
 */
extern void pegasus_codec_header_init(PegasusRequestHeader *hdr,
									  gint32 app_id, gint32 partition_index,
									  gint32 client_timeout_ms,
									  guint64 partition_hash);

/* A request: header + message begin + the args struct's single field 1. */
typedef struct PegasusRequest
{
	PegasusRequestHeader header;
	PegasusRpc	rpc;
	PegasusBlob name;			/* decoder: the name on the wire; encoder:
								 * ignored unless rpc == UNKNOWN (then written
								 * verbatim, with an empty args struct) */
	gint32		msg_type;		/* PEGASUS_CODEC_MSG_CALL (encoder default when 0) or ONEWAY */
	gint32		seqid;

	/* decoder diagnostics */
	guint32		args_present;	/* bit N = args field N seen */
	guint32		type_mismatches;	/* known fields with the wrong thrift type
									 * (skipped, value left default) */
	guint32		unknown_fields; /* fields with unknown ids (skipped) */

	union
	{
		PegasusUpdateRequest put;
		PegasusMultiPutRequest multi_put;
		PegasusBlob key;		/* get, ttl, remove: rrdb key;
								 * sortkey_count: raw hash key */
		PegasusMultiRemoveRequest multi_remove;
		PegasusIncrRequest incr;
		PegasusCheckAndSetRequest check_and_set;
		PegasusCheckAndMutateRequest check_and_mutate;
		PegasusMultiGetRequest multi_get;
		PegasusBatchGetRequest batch_get;
		PegasusGetScannerRequest get_scanner;
		PegasusScanRequest scan;
		gint64		context_id; /* clear_scanner (field type I64) */
		PegasusQueryCfgRequest query_cfg;
		PegasusListAppsRequest list_apps;
		PegasusCreateAppRequest create_app;
		PegasusDropAppRequest drop_app;
		PegasusNegotiation negotiation;
	}			u;

	gpointer	arena;			/* decoder-owned arrays; see *_clear() */
} PegasusRequest;

/*
 * A response frame: length, frame error name, REPLY message begin
 * (<name>_ACK, seqid), then — only when frame_error is OK — the result
 * struct (field 0 = the response struct, STOP).
 */
typedef struct PegasusResponse
{
	PegasusRpc	rpc;			/* the request's RPC (name without _ACK) */
	PegasusBlob name;			/* decoder: the _ACK name on the wire;
								 * encoder: ignored unless rpc == UNKNOWN, then
								 * written verbatim (caller appends "_ACK") */
	gint32		seqid;
	PegasusErrorCode frame_error;	/* encoder: body written iff OK */
	PegasusBlob frame_error_name;	/* decoder: the name as received;
									 * encoder: sent when frame_error is
									 * PEGASUS_EC_UNKNOWN and it is set */
	gboolean	has_body;		/* decoder: result struct present */

	/* decoder diagnostics */
	guint32		type_mismatches;
	guint32		unknown_fields;

	union
	{
		PegasusUpdateResponse put;	/* put, multi_put, remove */
		PegasusMultiRemoveResponse multi_remove;
		PegasusIncrResponse incr;
		PegasusCheckAndSetResponse check_and_set;
		PegasusCheckAndMutateResponse check_and_mutate;
		PegasusReadResponse get;
		PegasusMultiGetResponse multi_get;
		PegasusBatchGetResponse batch_get;
		PegasusCountResponse sortkey_count;
		PegasusTtlResponse ttl;
		PegasusScanResponse scan;	/* get_scanner and scan */
		PegasusQueryCfgResponse query_cfg;
		PegasusListAppsResponse list_apps;
		PegasusCreateAppResponse create_app;
		PegasusDropAppResponse drop_app;
		PegasusNegotiation negotiation;
	}			u;

	gpointer	arena;
} PegasusResponse;

/*
 * Is a complete request frame at the start of buf?
 *	 OK			 -> *frame_len = its total length (header + body)
 *	 INCOMPLETE	 -> need more bytes (*frame_len = total if already known, else 0)
 *	 MALFORMED	 -> bad magic, version, or header/meta length
 *	 TOO_LARGE	 -> total length > max_frame_len (0 = no limit besides 2^31-1)
 * Looks only at the fixed header fields; the body is checked by decode.
 */
extern PegasusCodecStatus pegasus_codec_request_frame_check(const guint8 *buf, gsize len,
															gsize max_frame_len,
															gsize *frame_len,
															PegasusCodecError *err);

/* Same for a response frame (u32 self-inclusive length first). */
extern PegasusCodecStatus pegasus_codec_response_frame_check(const guint8 *buf, gsize len,
															 gsize max_frame_len,
															 gsize *frame_len,
															 PegasusCodecError *err);

/*
 * Decode only the request header (v0 or v1) of a complete frame; on OK
 * *body_offset is where the thrift message starts.
 */
extern PegasusCodecStatus pegasus_codec_decode_request_header(const guint8 *buf, gsize len,
															  PegasusRequestHeader *hdr,
															  gsize *body_offset,
															  PegasusCodecError *err);

/*
 * Decode one complete request frame (exactly frame_len bytes as reported by
 * pegasus_codec_request_frame_check; bytes after the thrift message but
 * inside body_length are ignored).  `out` is always initialised (and must be
 * cleared with pegasus_codec_request_clear, whatever the result).
 * Message types other than CALL/ONEWAY are MALFORMED.  An unknown name gives
 * UNKNOWN_RPC with header, name, msg_type and seqid filled in.
 * flags: PEGASUS_CODEC_DECODE_*.
 */
extern PegasusCodecStatus pegasus_codec_decode_request(const guint8 *buf, gsize len,
													   guint flags,
													   PegasusRequest *out,
													   PegasusCodecError *err);
extern void pegasus_codec_request_clear(PegasusRequest *req);

/*
 * Decode one complete response frame, length prefix included.  When the
 * frame error is not ERR_OK the body is not parsed (has_body = FALSE).
 * An unknown _ACK name gives UNKNOWN_RPC with name, seqid and frame error
 * filled in.  `out` is always initialised; clear it with
 * pegasus_codec_response_clear.
 */
extern PegasusCodecStatus pegasus_codec_decode_response(const guint8 *buf, gsize len,
														guint flags,
														PegasusResponse *out,
														PegasusCodecError *err);
extern void pegasus_codec_response_clear(PegasusResponse *resp);

/* ------------------------------------------------------------------------
 * Encoder
 * ------------------------------------------------------------------------ */

/*
 * Reusable encoder: owns one thrift c_glib memory transport + strict binary
 * protocol.  Not thread-safe; use one per thread/connection.
 */
typedef struct PegasusEncoder PegasusEncoder;

extern PegasusEncoder *pegasus_codec_encoder_new(void);
extern void pegasus_codec_encoder_free(PegasusEncoder *enc);

/*
 * Append one complete request frame (v0 header + message) to `out`.
 * header.version must be 0; body_length and crc fields are computed (the
 * caller's app_id, partition_index, client_timeout, thread_hash and
 * partition_hash are written as given).  On failure `out` is unchanged.
 */
extern PegasusCodecStatus pegasus_codec_encode_request(PegasusEncoder *enc,
													   const PegasusRequest *req,
													   guint flags,
													   GByteArray *out,
													   PegasusCodecError *err);

/*
 * Append one complete response frame to `out`.  The body (result struct) is
 * written only when frame_error is PEGASUS_EC_OK.  clear_scanner has no
 * reply: encoding it with frame_error OK is INVALID_ARG.
 */
extern PegasusCodecStatus pegasus_codec_encode_response(PegasusEncoder *enc,
														const PegasusResponse *resp,
														guint flags,
														GByteArray *out,
														PegasusCodecError *err);

/* ------------------------------------------------------------------------
 * Keys, hashing, routing, time (protocol 3, 4.0)
 * ------------------------------------------------------------------------ */

/* CRC-64 (reflected poly 0x9A6C9329AC4BC9B5, init and xorout all ones) */
extern guint64 pegasus_codec_crc64(const void *data, gsize len);

/*
 * Append the rrdb key u16be(len(hash_key)) | hash_key | sort_key to out.
 * FALSE (out unchanged) if hash_key_len > PEGASUS_CODEC_MAX_HASH_KEY_LEN.
 */
extern gboolean pegasus_codec_key_encode(const void *hash_key, gsize hash_key_len,
										 const void *sort_key, gsize sort_key_len,
										 GByteArray *out);

/* Split an rrdb key into views; FALSE if shorter than 2 or 2 + hash len */
extern gboolean pegasus_codec_key_restore(const guint8 *key, gsize len,
										  PegasusBlob *hash_key,
										  PegasusBlob *sort_key);

/*
 * Exclusive upper bound of everything with hash key H:
 * u16be(len H) | H with its last non-0xFF byte incremented and the rest cut.
 * Appended to out; FALSE if H is too long.
 */
extern gboolean pegasus_codec_key_next_of_hash_key(const void *hash_key, gsize hash_key_len,
												   GByteArray *out);

/* Same for (H, sort-key prefix P): bound of u16be(len H) | H | P */
extern gboolean pegasus_codec_key_next_of_prefix(const void *hash_key, gsize hash_key_len,
												 const void *prefix, gsize prefix_len,
												 GByteArray *out);

/*
 * Partition hash of a key-addressed op (get, put, remove, ttl, incr):
 * crc64(hash key), or crc64(sort key) when the hash key is empty.  Keys that
 * do not parse (shorter than their prefix says) hash everything after the
 * first two bytes.
 */
extern guint64 pegasus_codec_key_partition_hash(const guint8 *rrdb_key, gsize len);

/* Partition hash of a hash-key op (multi_*, sortkey_count, check_and_*,
 * scanners on one hash key): crc64(hash key) */
extern guint64 pegasus_codec_hash_key_partition_hash(const void *hash_key, gsize len);

/* partition_hash mod partition_count, unsigned (0 if count <= 0) */
extern gint32 pegasus_codec_partition_index(guint64 partition_hash, gint32 partition_count);

/* app_id * 7919 + partition_index, in i32 arithmetic */
extern gint32 pegasus_codec_thread_hash(gint32 app_id, gint32 partition_index);

/* Pegasus time (Unix seconds - PEGASUS_CODEC_EPOCH_BEGIN) */
extern guint32 pegasus_codec_pegasus_now(void);
extern guint32 pegasus_codec_unix_to_pegasus(gint64 unix_seconds);
extern gint64 pegasus_codec_pegasus_to_unix(guint32 pegasus_seconds);
/* expire_ts_seconds for a TTL: 0 -> 0 (no expiry), t > 0 -> now + t */
extern gint32 pegasus_codec_expire_ts_from_ttl(gint32 ttl_seconds);

#endif							/* PEGASUS_CODEC_H */
