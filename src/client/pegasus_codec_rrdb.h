/*-------------------------------------------------------------------------
 *
 * pegasus_codec_rrdb.h
 *		The codec's rrdb structures: the requests and responses of the
 *		storage RPCs (get, put, multi_get, scan ...).
 *
 * Part of pegasus_codec.h (the memory model and field presence described
 * there apply), which includes it where these types belong.
 *
 * src/client/pegasus_codec_rrdb.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CODEC_RRDB_H
#define PEGASUS_CODEC_RRDB_H

#ifndef PEGASUS_CODEC_H
#error "include pegasus_codec.h, which includes this file"
#endif

/* ------------------------------------------------------------------------
 * rrdb structures (protocol 2.2).  Field names follow the IDL.  `present`:
 * bit N = field id N was on the wire (decoder) / should be written
 * (encoder with PEGASUS_CODEC_ENCODE_PRESENT_ONLY).
 * ------------------------------------------------------------------------ */

typedef struct PegasusUpdateRequest
{
	guint32		present;
	PegasusBlob key;			/* 1: rrdb key */
	PegasusBlob value;			/* 2 */
	gint32		expire_ts_seconds;	/* 3 */
	gboolean	has_type;		/* 4: optional, server-internal */
	gint32		type;
	gboolean	has_check_value_returned;	/* 5: optional */
	gboolean	check_value_returned;
	gboolean	has_check_value_exist;	/* 6: optional */
	gboolean	check_value_exist;
	gboolean	has_check_value;	/* 7: optional */
	PegasusBlob check_value;
} PegasusUpdateRequest;

typedef struct PegasusUpdateResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gint32		app_id;			/* 2 */
	gint32		partition_index;	/* 3 */
	gint64		decree;			/* 4 */
	PegasusBlob server;			/* 5 */
} PegasusUpdateResponse;

typedef struct PegasusReadResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	PegasusBlob value;			/* 2 */
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	PegasusBlob server;			/* 6 */
} PegasusReadResponse;

typedef struct PegasusTtlResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gint32		ttl_seconds;	/* 2 */
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	PegasusBlob server;			/* 6 */
} PegasusTtlResponse;

typedef struct PegasusCountResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gint64		count;			/* 2 */
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	PegasusBlob server;			/* 6 */
} PegasusCountResponse;

typedef struct PegasusKeyValue
{
	guint32		present;
	PegasusBlob key;			/* 1 */
	PegasusBlob value;			/* 2 */
	gboolean	has_expire_ts_seconds;	/* 3: optional */
	gint32		expire_ts_seconds;
} PegasusKeyValue;

typedef struct PegasusMultiPutRequest
{
	guint32		present;
	PegasusBlob hash_key;		/* 1: raw hash key */
	PegasusKeyValue *kvs;		/* 2: key = raw sort key */
	guint32		n_kvs;
	gint32		expire_ts_seconds;	/* 3 */
} PegasusMultiPutRequest;

typedef struct PegasusMultiRemoveRequest
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob *sort_keys;		/* 2 */
	guint32		n_sort_keys;
	gint64		max_count;		/* 3: ignored by servers */
} PegasusMultiRemoveRequest;

typedef struct PegasusMultiRemoveResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gint64		count;			/* 2 */
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	gint64		decree;			/* 5 */
	PegasusBlob server;			/* 6 */
} PegasusMultiRemoveResponse;

typedef struct PegasusMultiGetRequest
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob *sort_keys;		/* 2 */
	guint32		n_sort_keys;
	gint32		max_kv_count;	/* 3 */
	gint32		max_kv_size;	/* 4 */
	gboolean	no_value;		/* 5 */
	PegasusBlob start_sortkey;	/* 6 */
	PegasusBlob stop_sortkey;	/* 7 */
	gboolean	start_inclusive;	/* 8 */
	gboolean	stop_inclusive; /* 9 */
	gint32		sort_key_filter_type;	/* 10: PegasusFilterType */
	PegasusBlob sort_key_filter_pattern;	/* 11 */
	gboolean	reverse;		/* 12 */
} PegasusMultiGetRequest;

typedef struct PegasusMultiGetResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	PegasusKeyValue *kvs;		/* 2: key = raw sort key */
	guint32		n_kvs;
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	PegasusBlob server;			/* 6 */
} PegasusMultiGetResponse;

typedef struct PegasusFullKey
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob sort_key;		/* 2 */
} PegasusFullKey;

typedef struct PegasusBatchGetRequest
{
	guint32		present;
	PegasusFullKey *keys;		/* 1 */
	guint32		n_keys;
} PegasusBatchGetRequest;

typedef struct PegasusFullData
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob sort_key;		/* 2 */
	PegasusBlob value;			/* 3 */
} PegasusFullData;

typedef struct PegasusBatchGetResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	PegasusFullData *data;		/* 2 */
	guint32		n_data;
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	PegasusBlob server;			/* 6 */
} PegasusBatchGetResponse;

typedef struct PegasusIncrRequest
{
	guint32		present;
	PegasusBlob key;			/* 1: rrdb key */
	gint64		increment;		/* 2 */
	gint32		expire_ts_seconds;	/* 3 */
} PegasusIncrRequest;

typedef struct PegasusIncrResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gint64		new_value;		/* 2 */
	gint32		app_id;			/* 3 */
	gint32		partition_index;	/* 4 */
	gint64		decree;			/* 5 */
	PegasusBlob server;			/* 6 */
} PegasusIncrResponse;

typedef struct PegasusCheckAndSetRequest
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob check_sort_key; /* 2 */
	gint32		check_type;		/* 3: PegasusCasCheckType */
	PegasusBlob check_operand;	/* 4 */
	gboolean	set_diff_sort_key;	/* 5 */
	PegasusBlob set_sort_key;	/* 6 */
	PegasusBlob set_value;		/* 7 */
	gint32		set_expire_ts_seconds;	/* 8 */
	gboolean	return_check_value; /* 9 */
} PegasusCheckAndSetRequest;

/* check_and_set_response and check_and_mutate_response (same fields) */
typedef struct PegasusCheckAndSetResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	gboolean	check_value_returned;	/* 2 */
	gboolean	check_value_exist;	/* 3 */
	PegasusBlob check_value;	/* 4 */
	gint32		app_id;			/* 5 */
	gint32		partition_index;	/* 6 */
	gint64		decree;			/* 7 */
	PegasusBlob server;			/* 8 */
} PegasusCheckAndSetResponse;

typedef PegasusCheckAndSetResponse PegasusCheckAndMutateResponse;

typedef struct PegasusMutate
{
	guint32		present;
	gint32		operation;		/* 1: PegasusMutateOperation */
	PegasusBlob sort_key;		/* 2 */
	PegasusBlob value;			/* 3 */
	gint32		set_expire_ts_seconds;	/* 4 */
} PegasusMutate;

typedef struct PegasusCheckAndMutateRequest
{
	guint32		present;
	PegasusBlob hash_key;		/* 1 */
	PegasusBlob check_sort_key; /* 2 */
	gint32		check_type;		/* 3 */
	PegasusBlob check_operand;	/* 4 */
	PegasusMutate *mutate_list; /* 5 */
	guint32		n_mutate_list;
	gboolean	return_check_value; /* 6 */
} PegasusCheckAndMutateRequest;

typedef struct PegasusGetScannerRequest
{
	guint32		present;
	PegasusBlob start_key;		/* 1: rrdb key */
	PegasusBlob stop_key;		/* 2: rrdb key */
	gboolean	start_inclusive;	/* 3 */
	gboolean	stop_inclusive; /* 4 */
	gint32		batch_size;		/* 5 */
	gboolean	no_value;		/* 6 */
	gint32		hash_key_filter_type;	/* 7 */
	PegasusBlob hash_key_filter_pattern;	/* 8 */
	gint32		sort_key_filter_type;	/* 9 */
	PegasusBlob sort_key_filter_pattern;	/* 10 */
	gboolean	has_validate_partition_hash;	/* 11: optional */
	gboolean	validate_partition_hash;
	gboolean	has_return_expire_ts;	/* 12: optional */
	gboolean	return_expire_ts;
	gboolean	has_full_scan;	/* 13: optional */
	gboolean	full_scan;
	gboolean	has_only_return_count;	/* 14: optional */
	gboolean	only_return_count;
} PegasusGetScannerRequest;

typedef struct PegasusScanRequest
{
	guint32		present;
	gint64		context_id;		/* 1 */
} PegasusScanRequest;

typedef struct PegasusScanResponse
{
	guint32		present;
	gint32		error;			/* 1 */
	PegasusKeyValue *kvs;		/* 2: key = full rrdb key */
	guint32		n_kvs;
	gint64		context_id;		/* 3 */
	gint32		app_id;			/* 4 */
	gint32		partition_index;	/* 5 */
	PegasusBlob server;			/* 6 */
	gboolean	has_kv_count;	/* 7: optional */
	gint32		kv_count;
} PegasusScanResponse;

#endif							/* PEGASUS_CODEC_RRDB_H */
