/*-------------------------------------------------------------------------
 *
 * codec_rrdb.c
 *	  Field tables of the rrdb structures (idl/rrdb.thrift).  The generic
 *	  reader and writer walk these tables; field ids and thrift types are
 *	  exactly the IDL's, with every placeholder (blob) tagged STRUCT.
 *
 *-------------------------------------------------------------------------
 */
#include "codec_internal.h"

#define K_BOOL		PEGASUS_CODEC_K_BOOL
#define K_I32		PEGASUS_CODEC_K_I32
#define K_I64		PEGASUS_CODEC_K_I64
#define K_BLOB		PEGASUS_CODEC_K_BLOB
#define K_STRING	PEGASUS_CODEC_K_STRING
#define K_STRUCT	PEGASUS_CODEC_K_STRUCT

static const PegasusCodecFieldDesc update_request_fields[] = {
	PCF(PegasusUpdateRequest, 1, K_BLOB, key),
	PCF(PegasusUpdateRequest, 2, K_BLOB, value),
	PCF(PegasusUpdateRequest, 3, K_I32, expire_ts_seconds),
	PCF_OPT(PegasusUpdateRequest, 4, K_I32, type),
	PCF_OPT(PegasusUpdateRequest, 5, K_BOOL, check_value_returned),
	PCF_OPT(PegasusUpdateRequest, 6, K_BOOL, check_value_exist),
	PCF_OPT(PegasusUpdateRequest, 7, K_BLOB, check_value),
};
const PegasusCodecStructDesc pegasus_codec_desc_update_request =
PCS("update_request", PegasusUpdateRequest, update_request_fields);

static const PegasusCodecFieldDesc update_response_fields[] = {
	PCF(PegasusUpdateResponse, 1, K_I32, error),
	PCF(PegasusUpdateResponse, 2, K_I32, app_id),
	PCF(PegasusUpdateResponse, 3, K_I32, partition_index),
	PCF(PegasusUpdateResponse, 4, K_I64, decree),
	PCF(PegasusUpdateResponse, 5, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_update_response =
PCS("update_response", PegasusUpdateResponse, update_response_fields);

static const PegasusCodecFieldDesc read_response_fields[] = {
	PCF(PegasusReadResponse, 1, K_I32, error),
	PCF(PegasusReadResponse, 2, K_BLOB, value),
	PCF(PegasusReadResponse, 3, K_I32, app_id),
	PCF(PegasusReadResponse, 4, K_I32, partition_index),
	PCF(PegasusReadResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_read_response =
PCS("read_response", PegasusReadResponse, read_response_fields);

static const PegasusCodecFieldDesc ttl_response_fields[] = {
	PCF(PegasusTtlResponse, 1, K_I32, error),
	PCF(PegasusTtlResponse, 2, K_I32, ttl_seconds),
	PCF(PegasusTtlResponse, 3, K_I32, app_id),
	PCF(PegasusTtlResponse, 4, K_I32, partition_index),
	PCF(PegasusTtlResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_ttl_response =
PCS("ttl_response", PegasusTtlResponse, ttl_response_fields);

static const PegasusCodecFieldDesc count_response_fields[] = {
	PCF(PegasusCountResponse, 1, K_I32, error),
	PCF(PegasusCountResponse, 2, K_I64, count),
	PCF(PegasusCountResponse, 3, K_I32, app_id),
	PCF(PegasusCountResponse, 4, K_I32, partition_index),
	PCF(PegasusCountResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_count_response =
PCS("count_response", PegasusCountResponse, count_response_fields);

static const PegasusCodecFieldDesc key_value_fields[] = {
	PCF(PegasusKeyValue, 1, K_BLOB, key),
	PCF(PegasusKeyValue, 2, K_BLOB, value),
	PCF_OPT(PegasusKeyValue, 3, K_I32, expire_ts_seconds),
};
const PegasusCodecStructDesc pegasus_codec_desc_key_value =
PCS("key_value", PegasusKeyValue, key_value_fields);

static const PegasusCodecFieldDesc multi_put_request_fields[] = {
	PCF(PegasusMultiPutRequest, 1, K_BLOB, hash_key),
	PCF_LIST(PegasusMultiPutRequest, 2, kvs, K_STRUCT, &pegasus_codec_desc_key_value),
	PCF(PegasusMultiPutRequest, 3, K_I32, expire_ts_seconds),
};
const PegasusCodecStructDesc pegasus_codec_desc_multi_put_request =
PCS("multi_put_request", PegasusMultiPutRequest, multi_put_request_fields);

static const PegasusCodecFieldDesc multi_remove_request_fields[] = {
	PCF(PegasusMultiRemoveRequest, 1, K_BLOB, hash_key),
	PCF_LIST(PegasusMultiRemoveRequest, 2, sort_keys, K_BLOB, NULL),
	PCF(PegasusMultiRemoveRequest, 3, K_I64, max_count),
};
const PegasusCodecStructDesc pegasus_codec_desc_multi_remove_request =
PCS("multi_remove_request", PegasusMultiRemoveRequest, multi_remove_request_fields);

static const PegasusCodecFieldDesc multi_remove_response_fields[] = {
	PCF(PegasusMultiRemoveResponse, 1, K_I32, error),
	PCF(PegasusMultiRemoveResponse, 2, K_I64, count),
	PCF(PegasusMultiRemoveResponse, 3, K_I32, app_id),
	PCF(PegasusMultiRemoveResponse, 4, K_I32, partition_index),
	PCF(PegasusMultiRemoveResponse, 5, K_I64, decree),
	PCF(PegasusMultiRemoveResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_multi_remove_response =
PCS("multi_remove_response", PegasusMultiRemoveResponse, multi_remove_response_fields);

static const PegasusCodecFieldDesc multi_get_request_fields[] = {
	PCF(PegasusMultiGetRequest, 1, K_BLOB, hash_key),
	PCF_LIST(PegasusMultiGetRequest, 2, sort_keys, K_BLOB, NULL),
	PCF(PegasusMultiGetRequest, 3, K_I32, max_kv_count),
	PCF(PegasusMultiGetRequest, 4, K_I32, max_kv_size),
	PCF(PegasusMultiGetRequest, 5, K_BOOL, no_value),
	PCF(PegasusMultiGetRequest, 6, K_BLOB, start_sortkey),
	PCF(PegasusMultiGetRequest, 7, K_BLOB, stop_sortkey),
	PCF(PegasusMultiGetRequest, 8, K_BOOL, start_inclusive),
	PCF(PegasusMultiGetRequest, 9, K_BOOL, stop_inclusive),
	PCF(PegasusMultiGetRequest, 10, K_I32, sort_key_filter_type),
	PCF(PegasusMultiGetRequest, 11, K_BLOB, sort_key_filter_pattern),
	PCF(PegasusMultiGetRequest, 12, K_BOOL, reverse),
};
const PegasusCodecStructDesc pegasus_codec_desc_multi_get_request =
PCS("multi_get_request", PegasusMultiGetRequest, multi_get_request_fields);

static const PegasusCodecFieldDesc multi_get_response_fields[] = {
	PCF(PegasusMultiGetResponse, 1, K_I32, error),
	PCF_LIST(PegasusMultiGetResponse, 2, kvs, K_STRUCT, &pegasus_codec_desc_key_value),
	PCF(PegasusMultiGetResponse, 3, K_I32, app_id),
	PCF(PegasusMultiGetResponse, 4, K_I32, partition_index),
	PCF(PegasusMultiGetResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_multi_get_response =
PCS("multi_get_response", PegasusMultiGetResponse, multi_get_response_fields);

static const PegasusCodecFieldDesc full_key_fields[] = {
	PCF(PegasusFullKey, 1, K_BLOB, hash_key),
	PCF(PegasusFullKey, 2, K_BLOB, sort_key),
};
const PegasusCodecStructDesc pegasus_codec_desc_full_key =
PCS("full_key", PegasusFullKey, full_key_fields);

static const PegasusCodecFieldDesc batch_get_request_fields[] = {
	PCF_LIST(PegasusBatchGetRequest, 1, keys, K_STRUCT, &pegasus_codec_desc_full_key),
};
const PegasusCodecStructDesc pegasus_codec_desc_batch_get_request =
PCS("batch_get_request", PegasusBatchGetRequest, batch_get_request_fields);

static const PegasusCodecFieldDesc full_data_fields[] = {
	PCF(PegasusFullData, 1, K_BLOB, hash_key),
	PCF(PegasusFullData, 2, K_BLOB, sort_key),
	PCF(PegasusFullData, 3, K_BLOB, value),
};
const PegasusCodecStructDesc pegasus_codec_desc_full_data =
PCS("full_data", PegasusFullData, full_data_fields);

static const PegasusCodecFieldDesc batch_get_response_fields[] = {
	PCF(PegasusBatchGetResponse, 1, K_I32, error),
	PCF_LIST(PegasusBatchGetResponse, 2, data, K_STRUCT, &pegasus_codec_desc_full_data),
	PCF(PegasusBatchGetResponse, 3, K_I32, app_id),
	PCF(PegasusBatchGetResponse, 4, K_I32, partition_index),
	PCF(PegasusBatchGetResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_batch_get_response =
PCS("batch_get_response", PegasusBatchGetResponse, batch_get_response_fields);

static const PegasusCodecFieldDesc incr_request_fields[] = {
	PCF(PegasusIncrRequest, 1, K_BLOB, key),
	PCF(PegasusIncrRequest, 2, K_I64, increment),
	PCF(PegasusIncrRequest, 3, K_I32, expire_ts_seconds),
};
const PegasusCodecStructDesc pegasus_codec_desc_incr_request =
PCS("incr_request", PegasusIncrRequest, incr_request_fields);

static const PegasusCodecFieldDesc incr_response_fields[] = {
	PCF(PegasusIncrResponse, 1, K_I32, error),
	PCF(PegasusIncrResponse, 2, K_I64, new_value),
	PCF(PegasusIncrResponse, 3, K_I32, app_id),
	PCF(PegasusIncrResponse, 4, K_I32, partition_index),
	PCF(PegasusIncrResponse, 5, K_I64, decree),
	PCF(PegasusIncrResponse, 6, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_incr_response =
PCS("incr_response", PegasusIncrResponse, incr_response_fields);

static const PegasusCodecFieldDesc check_and_set_request_fields[] = {
	PCF(PegasusCheckAndSetRequest, 1, K_BLOB, hash_key),
	PCF(PegasusCheckAndSetRequest, 2, K_BLOB, check_sort_key),
	PCF(PegasusCheckAndSetRequest, 3, K_I32, check_type),
	PCF(PegasusCheckAndSetRequest, 4, K_BLOB, check_operand),
	PCF(PegasusCheckAndSetRequest, 5, K_BOOL, set_diff_sort_key),
	PCF(PegasusCheckAndSetRequest, 6, K_BLOB, set_sort_key),
	PCF(PegasusCheckAndSetRequest, 7, K_BLOB, set_value),
	PCF(PegasusCheckAndSetRequest, 8, K_I32, set_expire_ts_seconds),
	PCF(PegasusCheckAndSetRequest, 9, K_BOOL, return_check_value),
};
const PegasusCodecStructDesc pegasus_codec_desc_check_and_set_request =
PCS("check_and_set_request", PegasusCheckAndSetRequest, check_and_set_request_fields);

static const PegasusCodecFieldDesc check_and_set_response_fields[] = {
	PCF(PegasusCheckAndSetResponse, 1, K_I32, error),
	PCF(PegasusCheckAndSetResponse, 2, K_BOOL, check_value_returned),
	PCF(PegasusCheckAndSetResponse, 3, K_BOOL, check_value_exist),
	PCF(PegasusCheckAndSetResponse, 4, K_BLOB, check_value),
	PCF(PegasusCheckAndSetResponse, 5, K_I32, app_id),
	PCF(PegasusCheckAndSetResponse, 6, K_I32, partition_index),
	PCF(PegasusCheckAndSetResponse, 7, K_I64, decree),
	PCF(PegasusCheckAndSetResponse, 8, K_STRING, server),
};
const PegasusCodecStructDesc pegasus_codec_desc_check_and_set_response =
PCS("check_and_set_response", PegasusCheckAndSetResponse, check_and_set_response_fields);

static const PegasusCodecFieldDesc mutate_fields[] = {
	PCF(PegasusMutate, 1, K_I32, operation),
	PCF(PegasusMutate, 2, K_BLOB, sort_key),
	PCF(PegasusMutate, 3, K_BLOB, value),
	PCF(PegasusMutate, 4, K_I32, set_expire_ts_seconds),
};
const PegasusCodecStructDesc pegasus_codec_desc_mutate =
PCS("mutate", PegasusMutate, mutate_fields);

static const PegasusCodecFieldDesc check_and_mutate_request_fields[] = {
	PCF(PegasusCheckAndMutateRequest, 1, K_BLOB, hash_key),
	PCF(PegasusCheckAndMutateRequest, 2, K_BLOB, check_sort_key),
	PCF(PegasusCheckAndMutateRequest, 3, K_I32, check_type),
	PCF(PegasusCheckAndMutateRequest, 4, K_BLOB, check_operand),
	PCF_LIST(PegasusCheckAndMutateRequest, 5, mutate_list, K_STRUCT, &pegasus_codec_desc_mutate),
	PCF(PegasusCheckAndMutateRequest, 6, K_BOOL, return_check_value),
};
const PegasusCodecStructDesc pegasus_codec_desc_check_and_mutate_request =
PCS("check_and_mutate_request", PegasusCheckAndMutateRequest, check_and_mutate_request_fields);

static const PegasusCodecFieldDesc get_scanner_request_fields[] = {
	PCF(PegasusGetScannerRequest, 1, K_BLOB, start_key),
	PCF(PegasusGetScannerRequest, 2, K_BLOB, stop_key),
	PCF(PegasusGetScannerRequest, 3, K_BOOL, start_inclusive),
	PCF(PegasusGetScannerRequest, 4, K_BOOL, stop_inclusive),
	PCF(PegasusGetScannerRequest, 5, K_I32, batch_size),
	PCF(PegasusGetScannerRequest, 6, K_BOOL, no_value),
	PCF(PegasusGetScannerRequest, 7, K_I32, hash_key_filter_type),
	PCF(PegasusGetScannerRequest, 8, K_BLOB, hash_key_filter_pattern),
	PCF(PegasusGetScannerRequest, 9, K_I32, sort_key_filter_type),
	PCF(PegasusGetScannerRequest, 10, K_BLOB, sort_key_filter_pattern),
	PCF_OPT(PegasusGetScannerRequest, 11, K_BOOL, validate_partition_hash),
	PCF_OPT(PegasusGetScannerRequest, 12, K_BOOL, return_expire_ts),
	PCF_OPT(PegasusGetScannerRequest, 13, K_BOOL, full_scan),
	PCF_OPT(PegasusGetScannerRequest, 14, K_BOOL, only_return_count),
};
const PegasusCodecStructDesc pegasus_codec_desc_get_scanner_request =
PCS("get_scanner_request", PegasusGetScannerRequest, get_scanner_request_fields);

static const PegasusCodecFieldDesc scan_request_fields[] = {
	PCF(PegasusScanRequest, 1, K_I64, context_id),
};
const PegasusCodecStructDesc pegasus_codec_desc_scan_request =
PCS("scan_request", PegasusScanRequest, scan_request_fields);

static const PegasusCodecFieldDesc scan_response_fields[] = {
	PCF(PegasusScanResponse, 1, K_I32, error),
	PCF_LIST(PegasusScanResponse, 2, kvs, K_STRUCT, &pegasus_codec_desc_key_value),
	PCF(PegasusScanResponse, 3, K_I64, context_id),
	PCF(PegasusScanResponse, 4, K_I32, app_id),
	PCF(PegasusScanResponse, 5, K_I32, partition_index),
	PCF(PegasusScanResponse, 6, K_STRING, server),
	PCF_OPT(PegasusScanResponse, 7, K_I32, kv_count),
};
const PegasusCodecStructDesc pegasus_codec_desc_scan_response =
PCS("scan_response", PegasusScanResponse, scan_response_fields);
