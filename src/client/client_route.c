/*-------------------------------------------------------------------------
 *
 * client_route.c
 *		Meta-server calls and the per-table routing cache.
 *
 * Meta calls go to the believed leader first; a meta server that cannot be
 * reached or does not answer in time is skipped for the next one, and
 * ERR_FORWARD_TO_OTHERS switches to the leader it names (query_cfg) or to
 * the next server; ERR_SERVICE_NOT_ACTIVE / ERR_UNDER_RECOVERY and frame
 * rejections such as ERR_BUSY are retried after a backoff.  Replica RPCs are never sent to a meta endpoint.
 *
 * src/client/client_route.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "client_internal.h"

/* per-attempt cap for one meta server when others could be tried */
#define META_ATTEMPT_MS 1000

int64_t
pegasus_deadline(PegasusClient *client, int timeout_ms)
{
	if (timeout_ms <= 0)
		timeout_ms = client->opts.operation_timeout_ms;
	return pegasus_now_us() + (int64_t) timeout_ms * 1000;
}

bool
pegasus_is_meta_endpoint(PegasusClient *client, const char *endpoint)
{
	guint		i;

	for (i = 0; i < client->metas->len; i++)
		if (strcmp(g_ptr_array_index(client->metas, i), endpoint) == 0)
			return true;
	return false;
}

PegasusTable *
pegasus_table_new(PegasusClient *client, const char *name)
{
	PegasusTable *table = g_new0(PegasusTable, 1);

	table->client = client;
	table->name = g_strdup(name);
	table->stale = true;
	return table;
}

void
pegasus_table_free(PegasusTable *table)
{
	if (table == NULL)
		return;
	g_free(table->routes);
	g_free(table->name);
	g_free(table);
}

/* The err field of a meta response, as (code, name). */
static PegasusErrorCode
meta_response_error(PegasusResponse *resp, PegasusBlob *name)
{
	switch (resp->rpc)
	{
		case PEGASUS_RPC_QUERY_CFG:
			*name = resp->u.query_cfg.err_name;
			return resp->u.query_cfg.err;
		case PEGASUS_RPC_LIST_APPS:
			*name = resp->u.list_apps.err_name;
			return resp->u.list_apps.err;
		case PEGASUS_RPC_CREATE_APP:
			*name = resp->u.create_app.err_name;
			return resp->u.create_app.err;
		case PEGASUS_RPC_DROP_APP:
			*name = resp->u.drop_app.err_name;
			return resp->u.drop_app.err;
		default:
			*name = pegasus_codec_blob_str("ERR_OK");
			return PEGASUS_EC_OK;
	}
}

static void
meta_add_and_lead(PegasusClient *client, const char *endpoint)
{
	guint		i;

	for (i = 0; i < client->metas->len; i++)
		if (strcmp(g_ptr_array_index(client->metas, i), endpoint) == 0)
		{
			client->meta_leader = i;
			return;
		}
	g_ptr_array_add(client->metas, g_strdup(endpoint));
	client->meta_leader = client->metas->len - 1;
}

/*
 * Frame errors of a meta server that say the request was turned away
 * before its handler ran (overload, a server still starting or stepping
 * down, a dropped session): another meta server, or the same one a little
 * later, may answer.  The rest (no handler, access denied, ...) will not
 * change by asking again.
 */
static bool
meta_frame_error_retryable(PegasusErrorCode ec)
{
	return ec == PEGASUS_EC_BUSY || ec == PEGASUS_EC_INVALID_STATE ||
		ec == PEGASUS_EC_SESSION_RESET || ec == PEGASUS_EC_OBJECT_NOT_FOUND ||
		ec == PEGASUS_EC_NOT_ENOUGH_MEMBER ||
		ec == PEGASUS_EC_CAPACITY_EXCEEDED;
}

/*
 * Waits before asking the meta servers again: backoff_ms, doubled for the
 * next time up to retry_backoff_max_ms, never past the deadline.  False when
 * the wait was interrupted (err says so).
 */
static bool
meta_backoff(PegasusClient *client, int64_t deadline, int *backoff_ms,
			 const char *op, PegasusError *err)
{
	if (pegasus_net_sleep(client, MIN(deadline, pegasus_now_us() +
									  (int64_t) *backoff_ms * 1000)) < 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INTERRUPTED, op,
						  "The request was interrupted.");
		return false;
	}
	*backoff_ms = MIN(*backoff_ms * 2, client->opts.retry_backoff_max_ms);
	return true;
}

/*
 * Sends req (rpc and u filled) to the meta servers until one answers with
 * something other than "not the leader" / "not ready", or the deadline
 * passes.  On success *reply holds the decoded reply (free with
 * pegasus_reply_free); its err field may still be a meta error, which the
 * caller interprets.  Frame-level rejections (meta_frame_error_retryable)
 * are retried like an unreachable server; other frame errors fail the call.
 */
bool
pegasus_meta_call(PegasusClient *client, PegasusRequest *req, const char *op,
				  int64_t deadline, PegasusReply **reply, PegasusError *err)
{
	int			tries_without_answer = 0;
	int			backoff_ms = client->opts.retry_backoff_ms;

	*reply = NULL;
	pegasus_error_clear(err);
	pegasus_error_set(err, PEGASUS_ERR_TIMEOUT, op,
					  "No Pegasus meta server answered %s in time.", op);
	while (pegasus_now_us() < deadline)
	{
		const char *meta = g_ptr_array_index(client->metas, client->meta_leader);
		int64_t		attempt_end = deadline;
		PegasusNetRequest *nreq;
		int			r;

		if (client->metas->len > 1)
			attempt_end = MIN(deadline, pegasus_now_us() + META_ATTEMPT_MS * 1000);
		pegasus_codec_header_init(&req->header, 0, 0,
								  (gint32) ((attempt_end - pegasus_now_us()) / 1000), 0);
		nreq = pegasus_net_send(client, meta, req, false, err);
		if (nreq == NULL)
			return false;
		r = pegasus_net_wait(client, &nreq, 1, attempt_end);
		if (r < 0)
		{
			pegasus_net_request_free(nreq);
			pegasus_error_set(err, PEGASUS_ERR_INTERRUPTED, op,
							  "The request was interrupted.");
			return false;
		}
		if (r > 0 && nreq->state == PEGASUS_NET_FAILED &&
			(nreq->fail_kind == PEGASUS_ERR_AUTH ||
			 nreq->fail_kind == PEGASUS_ERR_INTERRUPTED))
		{
			/*
			 * Another meta server would reject the same credentials; a
			 * connect the hook interrupted (waiting for the KDC) ends the
			 * call.
			 */
			pegasus_error_set(err, nreq->fail_kind, op, "%s", nreq->fail_msg);
			pegasus_error_set_where(err, meta, -1, -1);
			pegasus_net_request_free(nreq);
			return false;
		}
		if (r == 0 || nreq->state == PEGASUS_NET_FAILED)
		{
			/* no answer from this one: remember why, try the next */
			if (r == 0)
			{
				pegasus_error_set(err, PEGASUS_ERR_TIMEOUT, op,
								  "Pegasus meta server %s did not answer %s in time.",
								  meta, op);
				/* the reply, if any, is now meaningless */
			}
			else
				pegasus_error_set(err, nreq->fail_kind, op, "%s", nreq->fail_msg);
			pegasus_error_set_where(err, meta, -1, -1);
			pegasus_net_request_free(nreq);
			client->meta_leader = (client->meta_leader + 1) % client->metas->len;
			if (++tries_without_answer % client->metas->len == 0)
			{
				if (!meta_backoff(client, deadline, &backoff_ms, op, err))
					return false;
			}
			continue;
		}

		/* an answer */
		{
			PegasusReply *rep = nreq->reply;
			PegasusBlob ename;
			PegasusErrorCode ec;

			nreq->reply = NULL;
			pegasus_net_request_free(nreq);
			if (rep->resp.frame_error != PEGASUS_EC_OK)
			{
				PegasusErrorCode fe = rep->resp.frame_error;

				pegasus_error_set_server(err, op, meta, rep->resp.frame_error_name);
				pegasus_reply_free(rep);
				if (!meta_frame_error_retryable(fe))
					return false;
				/* a rejection before the handler ran: the next one, later */
				client->meta_leader = (client->meta_leader + 1) % client->metas->len;
				if (!meta_backoff(client, deadline, &backoff_ms, op, err))
					return false;
				continue;
			}
			ec = meta_response_error(&rep->resp, &ename);
			if (ec == PEGASUS_EC_FORWARD_TO_OTHERS)
			{
				char		leader[PEGASUS_ENDPOINT_LEN] = "";

				if (rep->resp.rpc == PEGASUS_RPC_QUERY_CFG &&
					rep->resp.u.query_cfg.n_partitions > 0 &&
					rep->resp.u.query_cfg.partitions[0].primary.type != 0)
					pegasus_codec_rpc_address_format(rep->resp.u.query_cfg.partitions[0].primary,
													 leader, sizeof(leader));
				pegasus_error_set_server(err, op, meta, ename);
				pegasus_reply_free(rep);
				if (leader[0] != '\0' && strcmp(leader, meta) != 0)
					meta_add_and_lead(client, leader);
				else
					client->meta_leader = (client->meta_leader + 1) % client->metas->len;
				continue;
			}
			if (ec == PEGASUS_EC_SERVICE_NOT_ACTIVE || ec == PEGASUS_EC_UNDER_RECOVERY)
			{
				pegasus_error_set_server(err, op, meta, ename);
				pegasus_reply_free(rep);
				if (!meta_backoff(client, deadline, &backoff_ms, op, err))
					return false;
				continue;
			}
			pegasus_error_clear(err);
			*reply = rep;
			return true;
		}
	}
	if (err->code == PEGASUS_ERR_SERVER)
	{
		/* keep the last server answer but say that time ran out */
		char		saved[PEGASUS_ERROR_NAME_SIZE];

		g_strlcpy(saved, err->server_error, sizeof(saved));
		pegasus_error_set(err, PEGASUS_ERR_TIMEOUT, op,
						  "No Pegasus meta server completed %s in time; the last answer was %s.",
						  op, saved);
	}
	return false;
}


/* The secondaries of a partition as "a,b", for display only. */
static void
route_format_secondaries(const PegasusPartitionConfiguration *pc, char *buf,
						 size_t len)
{
	guint32		i;
	size_t		used = 0;

	buf[0] = '\0';
	for (i = 0; i < pc->n_secondaries; i++)
	{
		char		one[PEGASUS_ENDPOINT_LEN];

		if (pc->secondaries[i].type == 0 || pc->secondaries[i].ipv4 == 0)
			continue;
		pegasus_codec_rpc_address_format(pc->secondaries[i], one, sizeof(one));
		used += g_snprintf(buf + used, len - MIN(used, len), "%s%s",
						   used > 0 ? "," : "", one);
		if (used >= len)
			break;
	}
	if (pc->n_secondaries == 0 && pc->has_hp_secondaries)
	{
		for (i = 0; i < pc->n_hp_secondaries; i++)
		{
			const PegasusHostPort *hp = &pc->hp_secondaries[i];

			if (hp->type == 0 || hp->host.len == 0)
				continue;
			used += g_snprintf(buf + used, len - MIN(used, len), "%s%.*s:%u",
							   used > 0 ? "," : "", (int) hp->host.len,
							   (const char *) hp->host.data, (unsigned) hp->port);
			if (used >= len)
				break;
		}
	}
}

/*
 * Queries the meta server for table's partition configuration and installs
 * it.  A table that does not exist gives PEGASUS_ERR_TABLE_NOT_FOUND.
 */
bool
pegasus_route_refresh(PegasusTable *table, int64_t deadline, PegasusError *err)
{
	PegasusClient *client = table->client;
	PegasusRequest req;
	PegasusReply *reply;
	PegasusQueryCfgResponse *cfg;
	PegasusBlob ename;
	PegasusErrorCode ec;
	PegasusRoute *routes;
	const char *meta;
	guint32		i;

	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_QUERY_CFG;
	req.u.query_cfg.app_name = pegasus_codec_blob_str(table->name);
	client->stats.routing_refreshes++;
	if (!pegasus_meta_call(client, &req, "query_cfg", deadline, &reply, err))
		return false;
	ec = meta_response_error(&reply->resp, &ename);
	cfg = &reply->resp.u.query_cfg;
	meta = g_ptr_array_index(client->metas, client->meta_leader);
	if (ec == PEGASUS_EC_OBJECT_NOT_FOUND || ec == PEGASUS_EC_BUSY_DROPPING ||
		ec == PEGASUS_EC_APP_NOT_EXIST || ec == PEGASUS_EC_APP_DROPPED)
	{
		pegasus_error_set_server(err, "query_cfg", meta, ename);
		pegasus_error_set(err, PEGASUS_ERR_TABLE_NOT_FOUND, "query_cfg",
						  "Pegasus table \"%s\" does not exist.", table->name);
		pegasus_reply_free(reply);
		return false;
	}
	if (ec != PEGASUS_EC_OK)
	{
		pegasus_error_set_server(err, "query_cfg", meta, ename);
		pegasus_reply_free(reply);
		return false;
	}
	if (cfg->partition_count <= 0 || cfg->partition_count > 65536)
	{
		pegasus_error_set(err, PEGASUS_ERR_PROTOCOL, "query_cfg",
						  "The meta server reported %d partitions for table \"%s\".",
						  cfg->partition_count, table->name);
		pegasus_reply_free(reply);
		return false;
	}
	routes = g_new0(PegasusRoute, cfg->partition_count);
	for (i = 0; i < (guint32) cfg->partition_count; i++)
		routes[i].ballot = -1;
	for (i = 0; i < cfg->n_partitions; i++)
	{
		PegasusPartitionConfiguration *pc = &cfg->partitions[i];
		int			pidx = pc->pid.partition_index;

		if (pidx < 0 || pidx >= cfg->partition_count)
			continue;
		routes[pidx].ballot = pc->ballot;
		if (pc->primary.type != 0 && pc->primary.ipv4 != 0)
			pegasus_codec_rpc_address_format(pc->primary, routes[pidx].primary,
											 sizeof(routes[pidx].primary));
		else if (pc->has_hp_primary && pc->hp_primary.type != 0 &&
				 pc->hp_primary.host.len > 0 &&
				 pc->hp_primary.host.len < PEGASUS_ENDPOINT_LEN - 8)
			snprintf(routes[pidx].primary, sizeof(routes[pidx].primary),
					 "%.*s:%u", (int) pc->hp_primary.host.len,
					 (const char *) pc->hp_primary.host.data,
					 (unsigned) pc->hp_primary.port);
		route_format_secondaries(pc, routes[pidx].secondaries,
								 sizeof(routes[pidx].secondaries));
		/* a primary on a meta endpoint would be a serious confusion */
		if (routes[pidx].primary[0] != '\0' &&
			pegasus_is_meta_endpoint(client, routes[pidx].primary))
			routes[pidx].primary[0] = '\0';
	}
	g_free(table->routes);
	table->routes = routes;
	table->app_id = cfg->app_id;
	table->partition_count = cfg->partition_count;
	table->stale = false;
	table->refreshed_at = pegasus_now_us();
	pegasus_reply_free(reply);
	return true;
}

/* ----------------------------------------------------------------------
 * Public table functions
 * ---------------------------------------------------------------------- */

/*
 * Refreshes the routing, waiting (within the deadline) while the table is
 * still being created.
 */
static bool
refresh_patiently(PegasusTable *table, int64_t deadline, PegasusError *err)
{
	int			backoff_ms = table->client->opts.retry_backoff_ms;

	for (;;)
	{
		int64_t		wake;

		if (pegasus_route_refresh(table, deadline, err))
			return true;
		if (err->code != PEGASUS_ERR_SERVER ||
			strcmp(err->server_error, "ERR_BUSY_CREATING") != 0)
			return false;
		wake = pegasus_now_us() + (int64_t) backoff_ms * 1000;
		if (wake >= deadline)
			return false;
		if (pegasus_net_sleep(table->client, wake) < 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INTERRUPTED, "query_cfg",
							  "The request was interrupted.");
			return false;
		}
		backoff_ms = MIN(backoff_ms * 2, table->client->opts.retry_backoff_max_ms);
	}
}

PegasusTable *
pegasus_client_open_table(PegasusClient *client, const char *name,
						  int timeout_ms, PegasusError *err)
{
	PegasusTable *table;

	pegasus_error_clear(err);
	if (name == NULL || *name == '\0')
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "open_table",
						  "The table name is empty.");
		return NULL;
	}
	table = g_hash_table_lookup(client->tables, name);
	if (table != NULL && !table->stale)
		return table;
	if (table == NULL)
	{
		table = pegasus_table_new(client, name);
		if (!refresh_patiently(table, pegasus_deadline(client, timeout_ms), err))
		{
			pegasus_table_free(table);
			return NULL;
		}
		g_hash_table_insert(client->tables, table->name, table);
		return table;
	}
	if (!refresh_patiently(table, pegasus_deadline(client, timeout_ms), err))
		return NULL;
	return table;
}

/*
 * Partition splits (protocol: meta_split_service, replica_split_manager).
 * While a table splits from N to 2N partitions the meta server already
 * reports 2N, but a child whose ballot is still -1 is served by its parent
 * (pidx - N), which holds all of its keys.  Requests grouped by partition
 * (batch_get groups, partition scans) are therefore grouped under the
 * "effective" count: N for a child not yet registered.
 */
uint64_t
pegasus_route_group_hash(int partition, int count)
{
	return (uint64_t) partition | ~((uint64_t) count - 1);
}

/* The partition serving hash, and the count it is an index under. */
int
pegasus_table_effective_partition(const PegasusTable *table, uint64_t hash,
								  int *count)
{
	int			c = table->partition_count;
	int			idx = pegasus_codec_partition_index(hash, c);

	if (c > 1 && idx >= c / 2 && table->routes[idx].ballot < 0)
	{
		idx -= c / 2;
		c /= 2;
	}
	*count = c;
	return idx;
}

int
pegasus_table_scan_partition_count(const PegasusTable *table)
{
	int			c = table->partition_count;
	int			i;

	for (i = c / 2; c > 1 && i < c; i++)
		if (table->routes[i].ballot < 0)
			return c / 2;
	return c;
}

const char *
pegasus_table_name(const PegasusTable *table)
{
	return table->name;
}

int32_t
pegasus_table_app_id(const PegasusTable *table)
{
	return table->app_id;
}

int
pegasus_table_partition_count(const PegasusTable *table)
{
	return table->partition_count;
}

int
pegasus_table_partition_of(const PegasusTable *table, PegasusSlice hash_key,
						   PegasusSlice sort_key)
{
	uint64_t	h;

	if (table->partition_count <= 0)
		return -1;
	if (hash_key.len > 0)
		h = pegasus_codec_crc64(hash_key.data, hash_key.len);
	else
		h = pegasus_codec_crc64(sort_key.data, sort_key.len);
	return pegasus_codec_partition_index(h, table->partition_count);
}

void
pegasus_client_invalidate(PegasusClient *client, const char *table_name)
{
	GHashTableIter it;
	gpointer	value;

	g_hash_table_iter_init(&it, client->tables);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusTable *table = value;

		if (table_name == NULL || strcmp(table->name, table_name) == 0)
			table->stale = true;
	}
}
