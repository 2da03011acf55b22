/*-------------------------------------------------------------------------
 *
 * client_call_report.c
 *		The call observer: builds the report of a finished call or of a
 *		retry and hands it to the embedder's callback; the routing as the
 *		client last saw it.
 *
 * client_call.c calls pegasus_call_report() only when an observer is set,
 * so that a client without one does no extra work.
 *
 * src/client/client_call_report.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

void
pegasus_client_set_call_observer(PegasusClient *client,
								 PegasusCallObserver observer, void *arg)
{
	client->observer = observer;
	client->observer_arg = observer ? arg : NULL;
}

/* Keys or records the request carries. */
static uint64_t
request_records(const PegasusRequest *req)
{
	switch (req->rpc)
	{
		case PEGASUS_RPC_MULTI_PUT:
			return req->u.multi_put.n_kvs;
		case PEGASUS_RPC_MULTI_REMOVE:
			return req->u.multi_remove.n_sort_keys;
		case PEGASUS_RPC_MULTI_GET:
			/* a range (no sort keys named) asks for one hash key */
			return MAX(req->u.multi_get.n_sort_keys, 1);
		case PEGASUS_RPC_BATCH_GET:
			return req->u.batch_get.n_keys;
		case PEGASUS_RPC_GET_SCANNER:
		case PEGASUS_RPC_SCAN:
			return 0;
		default:
			return 1;
	}
}

/* Records in a successful reply. */
static uint64_t
reply_records(const PegasusReply *reply)
{
	const PegasusResponse *resp;

	if (reply == NULL)
		return 0;
	resp = &reply->resp;
	switch (resp->rpc)
	{
		case PEGASUS_RPC_GET:
			return resp->u.get.error == 0 ? 1 : 0;
		case PEGASUS_RPC_MULTI_GET:
			return resp->u.multi_get.n_kvs;
		case PEGASUS_RPC_BATCH_GET:
			return resp->u.batch_get.n_data;
		case PEGASUS_RPC_GET_SCANNER:
		case PEGASUS_RPC_SCAN:
			return resp->u.scan.n_kvs;
		default:
			return 0;
	}
}

void
pegasus_call_report(PegasusCall *call, PegasusCallEvent event)
{
	PegasusClient *client = call->table->client;
	PegasusCallReport r;

	if (client->observer == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.event = event;
	r.op = call->op;
	r.table = call->table->name;
	r.app_id = call->table->app_id;
	r.partition_index = call->partition_index;
	r.endpoint = call->endpoint;
	r.records_sent = request_records(&call->req);
	r.bytes_sent = call->bytes_sent;
	r.bytes_received = call->bytes_received;
	r.elapsed_us = call->started_us > 0 ? pegasus_now_us() - call->started_us : 0;
	r.retries = call->retries;
	r.error = &call->err;
	if (event == PEGASUS_CALL_EVENT_FINISHED)
	{
		r.ok = call->state == PEGASUS_CALL_DONE;
		r.timed_out = !r.ok && call->err.code == PEGASUS_ERR_TIMEOUT;
		if (r.ok)
			r.records_received = reply_records(call->reply);
	}
	client->observer(&r, client->observer_arg);
}

uint64_t
pegasus_client_wait_us(const PegasusClient *client)
{
	return client->wait_us;
}

bool
pegasus_table_partition_info(const PegasusTable *table, int i,
							 PegasusPartitionInfo *info)
{
	if (i < 0 || i >= table->partition_count || table->routes == NULL)
		return false;
	info->partition_index = i;
	info->primary = table->routes[i].primary;
	info->secondaries = table->routes[i].secondaries;
	info->ballot = table->routes[i].ballot;
	return true;
}

bool
pegasus_table_routing_stale(const PegasusTable *table)
{
	return table->stale;
}

int
pegasus_client_open_tables(PegasusClient *client, PegasusTable **tables,
						   int max)
{
	GHashTableIter it;
	gpointer	value;
	int			n = 0;

	g_hash_table_iter_init(&it, client->tables);
	while (n < max && g_hash_table_iter_next(&it, NULL, &value))
		tables[n++] = value;
	return n;
}
