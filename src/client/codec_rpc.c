/*-------------------------------------------------------------------------
 *
 * codec_rpc.c
 *	  What each RPC carries: the type of its args field 1 and its response
 *	  struct (protocol 1.6).
 *
 *-------------------------------------------------------------------------
 */
#include "codec_internal.h"

#define ARG_STRUCT(desc) \
	{ "args", 1, PEGASUS_CODEC_K_STRUCT, 0, 0, 0, -1, -1, desc }
#define ARG_KIND(kind) \
	{ "args", 1, kind, 0, 0, 0, -1, -1, NULL }

static const PegasusCodecRpcDesc rpc_descs[PEGASUS_RPC__COUNT] = {
	[PEGASUS_RPC_PUT] = {ARG_STRUCT(&pegasus_codec_desc_update_request),
	&pegasus_codec_desc_update_response},
	[PEGASUS_RPC_MULTI_PUT] = {ARG_STRUCT(&pegasus_codec_desc_multi_put_request),
	&pegasus_codec_desc_update_response},
	[PEGASUS_RPC_REMOVE] = {ARG_KIND(PEGASUS_CODEC_K_BLOB),
	&pegasus_codec_desc_update_response},
	[PEGASUS_RPC_MULTI_REMOVE] = {ARG_STRUCT(&pegasus_codec_desc_multi_remove_request),
	&pegasus_codec_desc_multi_remove_response},
	[PEGASUS_RPC_INCR] = {ARG_STRUCT(&pegasus_codec_desc_incr_request),
	&pegasus_codec_desc_incr_response},
	[PEGASUS_RPC_CHECK_AND_SET] = {ARG_STRUCT(&pegasus_codec_desc_check_and_set_request),
	&pegasus_codec_desc_check_and_set_response},
	[PEGASUS_RPC_CHECK_AND_MUTATE] = {ARG_STRUCT(&pegasus_codec_desc_check_and_mutate_request),
	&pegasus_codec_desc_check_and_set_response},
	[PEGASUS_RPC_GET] = {ARG_KIND(PEGASUS_CODEC_K_BLOB),
	&pegasus_codec_desc_read_response},
	[PEGASUS_RPC_MULTI_GET] = {ARG_STRUCT(&pegasus_codec_desc_multi_get_request),
	&pegasus_codec_desc_multi_get_response},
	[PEGASUS_RPC_BATCH_GET] = {ARG_STRUCT(&pegasus_codec_desc_batch_get_request),
	&pegasus_codec_desc_batch_get_response},
	[PEGASUS_RPC_SORTKEY_COUNT] = {ARG_KIND(PEGASUS_CODEC_K_BLOB),
	&pegasus_codec_desc_count_response},
	[PEGASUS_RPC_TTL] = {ARG_KIND(PEGASUS_CODEC_K_BLOB),
	&pegasus_codec_desc_ttl_response},
	[PEGASUS_RPC_GET_SCANNER] = {ARG_STRUCT(&pegasus_codec_desc_get_scanner_request),
	&pegasus_codec_desc_scan_response},
	[PEGASUS_RPC_SCAN] = {ARG_STRUCT(&pegasus_codec_desc_scan_request),
	&pegasus_codec_desc_scan_response},
	[PEGASUS_RPC_CLEAR_SCANNER] = {ARG_KIND(PEGASUS_CODEC_K_I64), NULL},
	[PEGASUS_RPC_QUERY_CFG] = {ARG_STRUCT(&pegasus_codec_desc_query_cfg_request),
	&pegasus_codec_desc_query_cfg_response},
	[PEGASUS_RPC_LIST_APPS] = {ARG_STRUCT(&pegasus_codec_desc_list_apps_request),
	&pegasus_codec_desc_list_apps_response},
	[PEGASUS_RPC_CREATE_APP] = {ARG_STRUCT(&pegasus_codec_desc_create_app_request),
	&pegasus_codec_desc_create_app_response},
	[PEGASUS_RPC_DROP_APP] = {ARG_STRUCT(&pegasus_codec_desc_drop_app_request),
	&pegasus_codec_desc_drop_app_response},
	[PEGASUS_RPC_NEGOTIATION] = {ARG_STRUCT(&pegasus_codec_desc_negotiation),
	&pegasus_codec_desc_negotiation},
};

const PegasusCodecRpcDesc *
pegasus_codec_rpc_desc(PegasusRpc rpc)
{
	if ((int) rpc <= PEGASUS_RPC_UNKNOWN || rpc >= PEGASUS_RPC__COUNT)
		return NULL;
	return &rpc_descs[rpc];
}

guint8
pegasus_codec_kind_wire_type(guint8 kind)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			return PEGASUS_TTYPE_BOOL;
		case PEGASUS_CODEC_K_I32:
			return PEGASUS_TTYPE_I32;
		case PEGASUS_CODEC_K_I64:
			return PEGASUS_TTYPE_I64;
		case PEGASUS_CODEC_K_STRING:
			return PEGASUS_TTYPE_STRING;
		case PEGASUS_CODEC_K_LIST:
			return PEGASUS_TTYPE_LIST;
		case PEGASUS_CODEC_K_MAP_SS:
			return PEGASUS_TTYPE_MAP;
		default:
			/* blob, gpid, rpc_address, host_port, error_code, struct */
			return PEGASUS_TTYPE_STRUCT;
	}
}
