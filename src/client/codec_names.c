/*-------------------------------------------------------------------------
 *
 * codec_names.c
 *	  Name tables: RPC names, frame-level error names, rocksdb status
 *	  names and codec status names.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "pegasus_codec.h"

/* Indexed by PegasusRpc */
static const char *const rpc_names[PEGASUS_RPC__COUNT] = {
	[PEGASUS_RPC_UNKNOWN] = NULL,
	[PEGASUS_RPC_PUT] = "RPC_RRDB_RRDB_PUT",
	[PEGASUS_RPC_MULTI_PUT] = "RPC_RRDB_RRDB_MULTI_PUT",
	[PEGASUS_RPC_REMOVE] = "RPC_RRDB_RRDB_REMOVE",
	[PEGASUS_RPC_MULTI_REMOVE] = "RPC_RRDB_RRDB_MULTI_REMOVE",
	[PEGASUS_RPC_INCR] = "RPC_RRDB_RRDB_INCR",
	[PEGASUS_RPC_CHECK_AND_SET] = "RPC_RRDB_RRDB_CHECK_AND_SET",
	[PEGASUS_RPC_CHECK_AND_MUTATE] = "RPC_RRDB_RRDB_CHECK_AND_MUTATE",
	[PEGASUS_RPC_GET] = "RPC_RRDB_RRDB_GET",
	[PEGASUS_RPC_MULTI_GET] = "RPC_RRDB_RRDB_MULTI_GET",
	[PEGASUS_RPC_BATCH_GET] = "RPC_RRDB_RRDB_BATCH_GET",
	[PEGASUS_RPC_SORTKEY_COUNT] = "RPC_RRDB_RRDB_SORTKEY_COUNT",
	[PEGASUS_RPC_TTL] = "RPC_RRDB_RRDB_TTL",
	[PEGASUS_RPC_GET_SCANNER] = "RPC_RRDB_RRDB_GET_SCANNER",
	[PEGASUS_RPC_SCAN] = "RPC_RRDB_RRDB_SCAN",
	[PEGASUS_RPC_CLEAR_SCANNER] = "RPC_RRDB_RRDB_CLEAR_SCANNER",
	[PEGASUS_RPC_QUERY_CFG] = "RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX",
	[PEGASUS_RPC_LIST_APPS] = "RPC_CM_LIST_APPS",
	[PEGASUS_RPC_CREATE_APP] = "RPC_CM_CREATE_APP",
	[PEGASUS_RPC_DROP_APP] = "RPC_CM_DROP_APP",
	[PEGASUS_RPC_NEGOTIATION] = "RPC_NEGOTIATION",
};

static const char *const rpc_ack_names[PEGASUS_RPC__COUNT] = {
	[PEGASUS_RPC_UNKNOWN] = NULL,
	[PEGASUS_RPC_PUT] = "RPC_RRDB_RRDB_PUT_ACK",
	[PEGASUS_RPC_MULTI_PUT] = "RPC_RRDB_RRDB_MULTI_PUT_ACK",
	[PEGASUS_RPC_REMOVE] = "RPC_RRDB_RRDB_REMOVE_ACK",
	[PEGASUS_RPC_MULTI_REMOVE] = "RPC_RRDB_RRDB_MULTI_REMOVE_ACK",
	[PEGASUS_RPC_INCR] = "RPC_RRDB_RRDB_INCR_ACK",
	[PEGASUS_RPC_CHECK_AND_SET] = "RPC_RRDB_RRDB_CHECK_AND_SET_ACK",
	[PEGASUS_RPC_CHECK_AND_MUTATE] = "RPC_RRDB_RRDB_CHECK_AND_MUTATE_ACK",
	[PEGASUS_RPC_GET] = "RPC_RRDB_RRDB_GET_ACK",
	[PEGASUS_RPC_MULTI_GET] = "RPC_RRDB_RRDB_MULTI_GET_ACK",
	[PEGASUS_RPC_BATCH_GET] = "RPC_RRDB_RRDB_BATCH_GET_ACK",
	[PEGASUS_RPC_SORTKEY_COUNT] = "RPC_RRDB_RRDB_SORTKEY_COUNT_ACK",
	[PEGASUS_RPC_TTL] = "RPC_RRDB_RRDB_TTL_ACK",
	[PEGASUS_RPC_GET_SCANNER] = "RPC_RRDB_RRDB_GET_SCANNER_ACK",
	[PEGASUS_RPC_SCAN] = "RPC_RRDB_RRDB_SCAN_ACK",
	[PEGASUS_RPC_CLEAR_SCANNER] = "RPC_RRDB_RRDB_CLEAR_SCANNER_ACK",
	[PEGASUS_RPC_QUERY_CFG] = "RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX_ACK",
	[PEGASUS_RPC_LIST_APPS] = "RPC_CM_LIST_APPS_ACK",
	[PEGASUS_RPC_CREATE_APP] = "RPC_CM_CREATE_APP_ACK",
	[PEGASUS_RPC_DROP_APP] = "RPC_CM_DROP_APP_ACK",
	[PEGASUS_RPC_NEGOTIATION] = "RPC_NEGOTIATION_ACK",
};

/* Indexed by PegasusErrorCode */
static const char *const error_names[PEGASUS_EC__COUNT] = {
	[PEGASUS_EC_OK] = "ERR_OK",
	[PEGASUS_EC_UNKNOWN] = "ERR_UNKNOWN",
	[PEGASUS_EC_TIMEOUT] = "ERR_TIMEOUT",
	[PEGASUS_EC_SESSION_RESET] = "ERR_SESSION_RESET",
	[PEGASUS_EC_OBJECT_NOT_FOUND] = "ERR_OBJECT_NOT_FOUND",
	[PEGASUS_EC_INVALID_STATE] = "ERR_INVALID_STATE",
	[PEGASUS_EC_PARENT_PARTITION_MISUSED] = "ERR_PARENT_PARTITION_MISUSED",
	[PEGASUS_EC_SPLITTING] = "ERR_SPLITTING",
	[PEGASUS_EC_NOT_ENOUGH_MEMBER] = "ERR_NOT_ENOUGH_MEMBER",
	[PEGASUS_EC_CAPACITY_EXCEEDED] = "ERR_CAPACITY_EXCEEDED",
	[PEGASUS_EC_BUSY] = "ERR_BUSY",
	[PEGASUS_EC_INVALID_DATA] = "ERR_INVALID_DATA",
	[PEGASUS_EC_HANDLER_NOT_FOUND] = "ERR_HANDLER_NOT_FOUND",
	[PEGASUS_EC_INVALID_PARAMETERS] = "ERR_INVALID_PARAMETERS",
	[PEGASUS_EC_ACL_DENY] = "ERR_ACL_DENY",
	[PEGASUS_EC_OPERATION_DISABLED] = "ERR_OPERATION_DISABLED",
	[PEGASUS_EC_NO_NEED_OPERATE] = "ERR_NO_NEED_OPERATE",
	[PEGASUS_EC_DISK_INSUFFICIENT] = "ERR_DISK_INSUFFICIENT",
	[PEGASUS_EC_DISK_IO_ERROR] = "ERR_DISK_IO_ERROR",
	[PEGASUS_EC_FORWARD_TO_OTHERS] = "ERR_FORWARD_TO_OTHERS",
	[PEGASUS_EC_SERVICE_NOT_ACTIVE] = "ERR_SERVICE_NOT_ACTIVE",
	[PEGASUS_EC_UNDER_RECOVERY] = "ERR_UNDER_RECOVERY",
	[PEGASUS_EC_BUSY_CREATING] = "ERR_BUSY_CREATING",
	[PEGASUS_EC_BUSY_DROPPING] = "ERR_BUSY_DROPPING",
	[PEGASUS_EC_APP_EXIST] = "ERR_APP_EXIST",
	[PEGASUS_EC_APP_NOT_EXIST] = "ERR_APP_NOT_EXIST",
	[PEGASUS_EC_APP_DROPPED] = "ERR_APP_DROPPED",
	[PEGASUS_EC_STATE_FREEZED] = "ERR_STATE_FREEZED",
	[PEGASUS_EC_NOT_MATCHED] = "ERR_NOT_MATCHED",
	[PEGASUS_EC_UNAUTHENTICATED] = "ERR_UNAUTHENTICATED",
	[PEGASUS_EC_SASL_INTERNAL] = "ERR_SASL_INTERNAL",
	[PEGASUS_EC_SASL_INCOMPLETE] = "ERR_SASL_INCOMPLETE",
	[PEGASUS_EC_KRB5_INTERNAL] = "ERR_KRB5_INTERNAL",
	[PEGASUS_EC_SERVICE_NOT_FOUND] = "ERR_SERVICE_NOT_FOUND",
	[PEGASUS_EC_IO_PENDING] = "ERR_IO_PENDING",
	[PEGASUS_EC_INACTIVE_STATE] = "ERR_INACTIVE_STATE",
	[PEGASUS_EC_TRY_AGAIN] = "ERR_TRY_AGAIN",
	[PEGASUS_EC_CORRUPTION] = "ERR_CORRUPTION",
	[PEGASUS_EC_RDB_CORRUPTION] = "ERR_RDB_CORRUPTION",
	[PEGASUS_EC_RETRY_EXHAUSTED] = "ERR_RETRY_EXHAUSTED",
	[PEGASUS_EC_DUP_EXIST] = "ERR_DUP_EXIST",
	[PEGASUS_EC_THREAD_INTERRUPTED] = "ERR_THREAD_INTERRUPTED",
};

static const char *const rocksdb_names[] = {
	"Ok", "NotFound", "Corruption", "NotSupported", "InvalidArgument",
	"IOError", "MergeInProgress", "Incomplete", "ShutdownInProgress",
	"TimedOut", "Aborted", "Busy", "Expired", "TryAgain",
	"CompactionTooLarge", "ColumnFamilyDropped"
};

static gboolean
name_equals(const char *known, const char *name, gsize len)
{
	return strlen(known) == len && memcmp(known, name, len) == 0;
}

const char *
pegasus_codec_rpc_name(PegasusRpc rpc)
{
	if ((int) rpc <= PEGASUS_RPC_UNKNOWN || rpc >= PEGASUS_RPC__COUNT)
		return NULL;
	return rpc_names[rpc];
}

const char *
pegasus_codec_rpc_ack_name(PegasusRpc rpc)
{
	if ((int) rpc <= PEGASUS_RPC_UNKNOWN || rpc >= PEGASUS_RPC__COUNT)
		return NULL;
	return rpc_ack_names[rpc];
}

PegasusRpc
pegasus_codec_rpc_from_name(const char *name, gsize len, gboolean *is_ack)
{
	int			i;

	if (is_ack)
		*is_ack = FALSE;
	if (name == NULL)
		return PEGASUS_RPC_UNKNOWN;
	for (i = PEGASUS_RPC_UNKNOWN + 1; i < PEGASUS_RPC__COUNT; i++)
	{
		if (name_equals(rpc_names[i], name, len))
			return (PegasusRpc) i;
		if (is_ack && name_equals(rpc_ack_names[i], name, len))
		{
			*is_ack = TRUE;
			return (PegasusRpc) i;
		}
	}
	return PEGASUS_RPC_UNKNOWN;
}

gboolean
pegasus_codec_rpc_is_write(PegasusRpc rpc)
{
	switch (rpc)
	{
		case PEGASUS_RPC_PUT:
		case PEGASUS_RPC_MULTI_PUT:
		case PEGASUS_RPC_REMOVE:
		case PEGASUS_RPC_MULTI_REMOVE:
		case PEGASUS_RPC_INCR:
		case PEGASUS_RPC_CHECK_AND_SET:
		case PEGASUS_RPC_CHECK_AND_MUTATE:
			return TRUE;
		default:
			return FALSE;
	}
}

gboolean
pegasus_codec_rpc_is_meta(PegasusRpc rpc)
{
	switch (rpc)
	{
		case PEGASUS_RPC_QUERY_CFG:
		case PEGASUS_RPC_LIST_APPS:
		case PEGASUS_RPC_CREATE_APP:
		case PEGASUS_RPC_DROP_APP:
			return TRUE;
		default:
			return FALSE;
	}
}

const char *
pegasus_codec_error_name(PegasusErrorCode code)
{
	if ((int) code < 0 || code >= PEGASUS_EC__COUNT)
		return "ERR_UNKNOWN";
	return error_names[code];
}

PegasusErrorCode
pegasus_codec_error_from_name(const char *name, gsize len)
{
	int			i;

	if (name == NULL)
		return PEGASUS_EC_UNKNOWN;
	for (i = 0; i < PEGASUS_EC__COUNT; i++)
	{
		if (name_equals(error_names[i], name, len))
			return (PegasusErrorCode) i;
	}
	return PEGASUS_EC_UNKNOWN;
}

const char *
pegasus_codec_rocksdb_status_name(gint32 code)
{
	if (code < 0 || code >= (gint32) G_N_ELEMENTS(rocksdb_names))
		return "Unknown";
	return rocksdb_names[code];
}

const char *
pegasus_codec_status_name(PegasusCodecStatus status)
{
	switch (status)
	{
		case PEGASUS_CODEC_OK:
			return "ok";
		case PEGASUS_CODEC_INCOMPLETE:
			return "incomplete";
		case PEGASUS_CODEC_MALFORMED:
			return "malformed";
		case PEGASUS_CODEC_TOO_LARGE:
			return "too large";
		case PEGASUS_CODEC_UNKNOWN_RPC:
			return "unknown rpc";
		case PEGASUS_CODEC_INVALID_ARG:
			return "invalid argument";
	}
	return "unknown status";
}
