/*-------------------------------------------------------------------------
 *
 * codec_meta.c
 *	  Field tables of the layer-2, meta-admin and security structures
 *	  (idl/dsn.layer2.thrift, idl/meta_admin.thrift, idl/security.thrift).
 *
 *-------------------------------------------------------------------------
 */
#include "codec_internal.h"

#define K_BOOL		PEGASUS_CODEC_K_BOOL
#define K_I32		PEGASUS_CODEC_K_I32
#define K_I64		PEGASUS_CODEC_K_I64
#define K_BLOB		PEGASUS_CODEC_K_BLOB
#define K_STRING	PEGASUS_CODEC_K_STRING
#define K_GPID		PEGASUS_CODEC_K_GPID
#define K_ADDR		PEGASUS_CODEC_K_ADDR
#define K_HOSTPORT	PEGASUS_CODEC_K_HOSTPORT
#define K_STRUCT	PEGASUS_CODEC_K_STRUCT

static const PegasusCodecFieldDesc partition_configuration_fields[] = {
	PCF(PegasusPartitionConfiguration, 1, K_GPID, pid),
	PCF(PegasusPartitionConfiguration, 2, K_I64, ballot),
	PCF(PegasusPartitionConfiguration, 3, K_I32, max_replica_count),
	PCF(PegasusPartitionConfiguration, 4, K_ADDR, primary),
	PCF_LIST(PegasusPartitionConfiguration, 5, secondaries, K_ADDR, NULL),
	PCF_LIST(PegasusPartitionConfiguration, 6, last_drops, K_ADDR, NULL),
	PCF(PegasusPartitionConfiguration, 7, K_I64, last_committed_decree),
	PCF(PegasusPartitionConfiguration, 8, K_I32, partition_flags),
	PCF_OPT(PegasusPartitionConfiguration, 9, K_HOSTPORT, hp_primary),
	PCF_OPT_LIST(PegasusPartitionConfiguration, 10, hp_secondaries, K_HOSTPORT, NULL),
	PCF_OPT_LIST(PegasusPartitionConfiguration, 11, hp_last_drops, K_HOSTPORT, NULL),
};
const PegasusCodecStructDesc pegasus_codec_desc_partition_configuration =
PCS("partition_configuration", PegasusPartitionConfiguration, partition_configuration_fields);

static const PegasusCodecFieldDesc query_cfg_request_fields[] = {
	PCF(PegasusQueryCfgRequest, 1, K_STRING, app_name),
	PCF_LIST(PegasusQueryCfgRequest, 2, partition_indices, K_I32, NULL),
};
const PegasusCodecStructDesc pegasus_codec_desc_query_cfg_request =
PCS("query_cfg_request", PegasusQueryCfgRequest, query_cfg_request_fields);

static const PegasusCodecFieldDesc query_cfg_response_fields[] = {
	PCF_ERRCODE(PegasusQueryCfgResponse, 1, err),
	PCF(PegasusQueryCfgResponse, 2, K_I32, app_id),
	PCF(PegasusQueryCfgResponse, 3, K_I32, partition_count),
	PCF(PegasusQueryCfgResponse, 4, K_BOOL, is_stateful),
	PCF_LIST(PegasusQueryCfgResponse, 5, partitions, K_STRUCT, &pegasus_codec_desc_partition_configuration),
};
const PegasusCodecStructDesc pegasus_codec_desc_query_cfg_response =
PCS("query_cfg_response", PegasusQueryCfgResponse, query_cfg_response_fields);

static const PegasusCodecFieldDesc app_info_fields[] = {
	PCF(PegasusAppInfo, 1, K_I32, status),
	PCF(PegasusAppInfo, 2, K_STRING, app_type),
	PCF(PegasusAppInfo, 3, K_STRING, app_name),
	PCF(PegasusAppInfo, 4, K_I32, app_id),
	PCF(PegasusAppInfo, 5, K_I32, partition_count),
	PCF_MAP_SS(PegasusAppInfo, 6, envs),
	PCF(PegasusAppInfo, 7, K_BOOL, is_stateful),
	PCF(PegasusAppInfo, 8, K_I32, max_replica_count),
	PCF(PegasusAppInfo, 9, K_I64, expire_second),
	PCF(PegasusAppInfo, 10, K_I64, create_second),
	PCF(PegasusAppInfo, 11, K_I64, drop_second),
	PCF_OPT(PegasusAppInfo, 12, K_BOOL, duplicating),
	PCF(PegasusAppInfo, 13, K_I32, init_partition_count),
	PCF_OPT(PegasusAppInfo, 14, K_BOOL, is_bulk_loading),
	PCF_OPT(PegasusAppInfo, 15, K_BOOL, atomic_idempotent),
};
const PegasusCodecStructDesc pegasus_codec_desc_app_info =
PCS("app_info", PegasusAppInfo, app_info_fields);

static const PegasusCodecFieldDesc create_app_options_fields[] = {
	PCF(PegasusCreateAppOptions, 1, K_I32, partition_count),
	PCF(PegasusCreateAppOptions, 2, K_I32, replica_count),
	PCF(PegasusCreateAppOptions, 3, K_BOOL, success_if_exist),
	PCF(PegasusCreateAppOptions, 4, K_STRING, app_type),
	PCF(PegasusCreateAppOptions, 5, K_BOOL, is_stateful),
	PCF_MAP_SS(PegasusCreateAppOptions, 6, envs),
	PCF_OPT(PegasusCreateAppOptions, 7, K_BOOL, atomic_idempotent),
};
const PegasusCodecStructDesc pegasus_codec_desc_create_app_options =
PCS("create_app_options", PegasusCreateAppOptions, create_app_options_fields);

static const PegasusCodecFieldDesc create_app_request_fields[] = {
	PCF(PegasusCreateAppRequest, 1, K_STRING, app_name),
	PCF_STRUCT(PegasusCreateAppRequest, 2, options, &pegasus_codec_desc_create_app_options),
};
const PegasusCodecStructDesc pegasus_codec_desc_create_app_request =
PCS("configuration_create_app_request", PegasusCreateAppRequest, create_app_request_fields);

static const PegasusCodecFieldDesc create_app_response_fields[] = {
	PCF_ERRCODE(PegasusCreateAppResponse, 1, err),
	PCF(PegasusCreateAppResponse, 2, K_I32, appid),
};
const PegasusCodecStructDesc pegasus_codec_desc_create_app_response =
PCS("configuration_create_app_response", PegasusCreateAppResponse, create_app_response_fields);

static const PegasusCodecFieldDesc drop_app_options_fields[] = {
	PCF(PegasusDropAppOptions, 1, K_BOOL, success_if_not_exist),
	PCF_OPT(PegasusDropAppOptions, 2, K_I64, reserve_seconds),
};
const PegasusCodecStructDesc pegasus_codec_desc_drop_app_options =
PCS("drop_app_options", PegasusDropAppOptions, drop_app_options_fields);

static const PegasusCodecFieldDesc drop_app_request_fields[] = {
	PCF(PegasusDropAppRequest, 1, K_STRING, app_name),
	PCF_STRUCT(PegasusDropAppRequest, 2, options, &pegasus_codec_desc_drop_app_options),
};
const PegasusCodecStructDesc pegasus_codec_desc_drop_app_request =
PCS("configuration_drop_app_request", PegasusDropAppRequest, drop_app_request_fields);

static const PegasusCodecFieldDesc drop_app_response_fields[] = {
	PCF_ERRCODE(PegasusDropAppResponse, 1, err),
};
const PegasusCodecStructDesc pegasus_codec_desc_drop_app_response =
PCS("configuration_drop_app_response", PegasusDropAppResponse, drop_app_response_fields);

static const PegasusCodecFieldDesc list_apps_request_fields[] = {
	PCF(PegasusListAppsRequest, 1, K_I32, status),
	PCF_OPT(PegasusListAppsRequest, 2, K_STRING, app_name_pattern),
	PCF_OPT(PegasusListAppsRequest, 3, K_I32, match_type),
};
const PegasusCodecStructDesc pegasus_codec_desc_list_apps_request =
PCS("configuration_list_apps_request", PegasusListAppsRequest, list_apps_request_fields);

static const PegasusCodecFieldDesc list_apps_response_fields[] = {
	PCF_ERRCODE(PegasusListAppsResponse, 1, err),
	PCF_LIST(PegasusListAppsResponse, 2, infos, K_STRUCT, &pegasus_codec_desc_app_info),
	PCF_OPT(PegasusListAppsResponse, 3, K_STRING, hint_message),
};
const PegasusCodecStructDesc pegasus_codec_desc_list_apps_response =
PCS("configuration_list_apps_response", PegasusListAppsResponse, list_apps_response_fields);

static const PegasusCodecFieldDesc negotiation_fields[] = {
	PCF(PegasusNegotiation, 1, K_I32, status),
	PCF(PegasusNegotiation, 2, K_BLOB, msg),
};
const PegasusCodecStructDesc pegasus_codec_desc_negotiation =
PCS("negotiation", PegasusNegotiation, negotiation_fields);
