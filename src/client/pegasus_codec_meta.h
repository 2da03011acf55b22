/*-------------------------------------------------------------------------
 *
 * pegasus_codec_meta.h
 *		The codec's layer-2, meta-admin and security structures: partition
 *		configurations, the meta server's and admin RPCs, SASL negotiation.
 *
 * Part of pegasus_codec.h (the memory model and field presence described
 * there apply), which includes it where these types belong.
 *
 * src/client/pegasus_codec_meta.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CODEC_META_H
#define PEGASUS_CODEC_META_H

#ifndef PEGASUS_CODEC_H
#error "include pegasus_codec.h, which includes this file"
#endif

/* ------------------------------------------------------------------------
 * Layer-2, meta-admin and security structures (protocol 2.3, 2.4)
 * ------------------------------------------------------------------------ */

typedef struct PegasusPartitionConfiguration
{
	guint32		present;
	PegasusGpid pid;			/* 1 */
	gint64		ballot;			/* 2 */
	gint32		max_replica_count;	/* 3 */
	PegasusRpcAddress primary;	/* 4 */
	PegasusRpcAddress *secondaries; /* 5 */
	guint32		n_secondaries;
	PegasusRpcAddress *last_drops;	/* 6 */
	guint32		n_last_drops;
	gint64		last_committed_decree;	/* 7 */
	gint32		partition_flags;	/* 8 */
	gboolean	has_hp_primary; /* 9: optional */
	PegasusHostPort hp_primary;
	gboolean	has_hp_secondaries; /* 10: optional */
	PegasusHostPort *hp_secondaries;
	guint32		n_hp_secondaries;
	gboolean	has_hp_last_drops;	/* 11: optional */
	PegasusHostPort *hp_last_drops;
	guint32		n_hp_last_drops;
} PegasusPartitionConfiguration;

typedef struct PegasusQueryCfgRequest
{
	guint32		present;
	PegasusBlob app_name;		/* 1 */
	gint32	   *partition_indices;	/* 2 */
	guint32		n_partition_indices;
} PegasusQueryCfgRequest;

typedef struct PegasusQueryCfgResponse
{
	guint32		present;
	PegasusErrorCode err;		/* 1: error_code (encoder writes its name) */
	PegasusBlob err_name;		/* decoder: the name as received */
	gint32		app_id;			/* 2 */
	gint32		partition_count;	/* 3 */
	gboolean	is_stateful;	/* 4 */
	PegasusPartitionConfiguration *partitions;	/* 5 */
	guint32		n_partitions;
} PegasusQueryCfgResponse;

/* One entry of a map<string,string> */
typedef struct PegasusStringPair
{
	PegasusBlob key;
	PegasusBlob value;
} PegasusStringPair;

typedef struct PegasusAppInfo
{
	guint32		present;
	gint32		status;			/* 1: PegasusAppStatus */
	PegasusBlob app_type;		/* 2 */
	PegasusBlob app_name;		/* 3 */
	gint32		app_id;			/* 4 */
	gint32		partition_count;	/* 5 */
	PegasusStringPair *envs;	/* 6 */
	guint32		n_envs;
	gboolean	is_stateful;	/* 7 */
	gint32		max_replica_count;	/* 8 */
	gint64		expire_second;	/* 9 */
	gint64		create_second;	/* 10 */
	gint64		drop_second;	/* 11 */
	gboolean	has_duplicating;	/* 12: optional */
	gboolean	duplicating;
	gint32		init_partition_count;	/* 13 (IDL default -1; left 0 when absent) */
	gboolean	has_is_bulk_loading;	/* 14: optional */
	gboolean	is_bulk_loading;
	gboolean	has_atomic_idempotent;	/* 15: optional */
	gboolean	atomic_idempotent;
} PegasusAppInfo;

typedef struct PegasusCreateAppOptions
{
	guint32		present;
	gint32		partition_count;	/* 1 */
	gint32		replica_count;	/* 2 */
	gboolean	success_if_exist;	/* 3 */
	PegasusBlob app_type;		/* 4 */
	gboolean	is_stateful;	/* 5 */
	PegasusStringPair *envs;	/* 6 */
	guint32		n_envs;
	gboolean	has_atomic_idempotent;	/* 7: optional */
	gboolean	atomic_idempotent;
} PegasusCreateAppOptions;

typedef struct PegasusCreateAppRequest
{
	guint32		present;
	PegasusBlob app_name;		/* 1 */
	PegasusCreateAppOptions options;	/* 2 */
} PegasusCreateAppRequest;

typedef struct PegasusCreateAppResponse
{
	guint32		present;
	PegasusErrorCode err;		/* 1 */
	PegasusBlob err_name;
	gint32		appid;			/* 2 */
} PegasusCreateAppResponse;

typedef struct PegasusDropAppOptions
{
	guint32		present;
	gboolean	success_if_not_exist;	/* 1 */
	gboolean	has_reserve_seconds;	/* 2: optional */
	gint64		reserve_seconds;
} PegasusDropAppOptions;

typedef struct PegasusDropAppRequest
{
	guint32		present;
	PegasusBlob app_name;		/* 1 */
	PegasusDropAppOptions options;	/* 2 */
} PegasusDropAppRequest;

typedef struct PegasusDropAppResponse
{
	guint32		present;
	PegasusErrorCode err;		/* 1 */
	PegasusBlob err_name;
} PegasusDropAppResponse;

typedef struct PegasusListAppsRequest
{
	guint32		present;
	gint32		status;			/* 1: PegasusAppStatus */
	gboolean	has_app_name_pattern;	/* 2: optional */
	PegasusBlob app_name_pattern;
	gboolean	has_match_type; /* 3: optional */
	gint32		match_type;		/* PegasusPatternMatchType */
} PegasusListAppsRequest;

typedef struct PegasusListAppsResponse
{
	guint32		present;
	PegasusErrorCode err;		/* 1 */
	PegasusBlob err_name;
	PegasusAppInfo *infos;		/* 2 */
	guint32		n_infos;
	gboolean	has_hint_message;	/* 3: optional */
	PegasusBlob hint_message;
} PegasusListAppsResponse;

/* negotiation_request and negotiation_response (same fields) */
typedef struct PegasusNegotiation
{
	guint32		present;
	gint32		status;			/* 1: PegasusNegotiationStatus */
	PegasusBlob msg;			/* 2 */
} PegasusNegotiation;

#endif							/* PEGASUS_CODEC_META_H */
