/*-------------------------------------------------------------------------
 *
 * client_admin.c
 *		Table administration through the meta server: list, create, drop.
 *
 * src/client/client_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

/* interval between routing polls while a new table gets its primaries */
#define CREATE_POLL_MS 50

/* The meta server that answered last (the believed leader). */
static const char *
current_meta(PegasusClient *client)
{
	return g_ptr_array_index(client->metas, client->meta_leader);
}

static bool
meta_err_ok(PegasusClient *client, PegasusReply *reply, PegasusErrorCode ec,
			PegasusBlob name, const char *op, PegasusError *err)
{
	if (ec == PEGASUS_EC_OK)
		return true;
	pegasus_error_set_server(err, op, current_meta(client), name);
	pegasus_reply_free(reply);
	return false;
}

bool
pegasus_client_list_apps(PegasusClient *client, bool available_only,
						 int timeout_ms, PegasusAppList **out,
						 PegasusError *err)
{
	PegasusRequest req;
	PegasusReply *reply;
	PegasusListAppsResponse *r;
	PegasusAppList *list;
	guint32		i;

	*out = NULL;
	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_LIST_APPS;
	req.u.list_apps.status = available_only ? PEGASUS_AS_AVAILABLE : PEGASUS_AS_INVALID;
	if (!pegasus_meta_call(client, &req, "list_apps",
						   pegasus_deadline(client, timeout_ms), &reply, err))
		return false;
	r = &reply->resp.u.list_apps;
	if (!meta_err_ok(client, reply, r->err, r->err_name, "list_apps", err))
		return false;
	list = g_new0(PegasusAppList, 1);
	list->count = r->n_infos;
	list->apps = g_new0(PegasusAppEntry, MAX(r->n_infos, 1));
	for (i = 0; i < r->n_infos; i++)
	{
		PegasusAppInfo *ai = &r->infos[i];

		list->apps[i].name = pegasus_codec_blob_dup_str(ai->app_name);
		list->apps[i].app_id = ai->app_id;
		list->apps[i].partition_count = ai->partition_count;
		list->apps[i].status = ai->status;
		list->apps[i].max_replica_count = ai->max_replica_count;
		list->apps[i].is_stateful = ai->is_stateful;
	}
	pegasus_reply_free(reply);
	*out = list;
	return true;
}

void
pegasus_create_app_options_init(PegasusAppCreateOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->partition_count = 8;
	opts->replica_count = 1;
	opts->wait_ready = true;
}

/* Polls query_cfg until every partition of name has a primary. */
static bool
wait_table_ready(PegasusClient *client, const char *name, int64_t deadline,
				 PegasusError *err)
{
	PegasusTable *probe = pegasus_table_new(client, name);
	bool		ok = false;

	for (;;)
	{
		if (pegasus_route_refresh(probe, deadline, err))
		{
			int			i;
			bool		ready = true;

			for (i = 0; i < probe->partition_count; i++)
				if (probe->routes[i].primary[0] == '\0')
					ready = false;
			if (ready)
			{
				ok = true;
				break;
			}
		}
		else if (err->code != PEGASUS_ERR_TABLE_NOT_FOUND &&
				 err->code != PEGASUS_ERR_SERVER)
			break;
		if (pegasus_now_us() + CREATE_POLL_MS * 1000 >= deadline)
		{
			pegasus_error_set(err, PEGASUS_ERR_TIMEOUT, "create_app",
							  "Table \"%s\" was created but not every partition had a primary before the deadline.",
							  name);
			break;
		}
		if (pegasus_net_sleep(client, pegasus_now_us() + CREATE_POLL_MS * 1000) < 0)
		{
			pegasus_error_set(err, PEGASUS_ERR_INTERRUPTED, "create_app",
							  "The request was interrupted.");
			break;
		}
	}
	pegasus_table_free(probe);
	return ok;
}

bool
pegasus_client_create_app(PegasusClient *client, const char *name,
						  const PegasusAppCreateOptions *opts, int timeout_ms,
						  int32_t *app_id, PegasusError *err)
{
	PegasusAppCreateOptions defaults;
	PegasusRequest req;
	PegasusCreateAppRequest *u;
	PegasusReply *reply;
	PegasusStringPair *envs = NULL;
	int64_t		deadline = pegasus_deadline(client, timeout_ms);
	bool		ok;
	size_t		i;

	pegasus_error_clear(err);
	if (opts == NULL)
	{
		pegasus_create_app_options_init(&defaults);
		opts = &defaults;
	}
	if (name == NULL || *name == '\0' || opts->partition_count <= 0 ||
		opts->replica_count <= 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "create_app",
						  "A table needs a name, a positive partition count and a positive replica count.");
		return false;
	}
	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_CREATE_APP;
	u = &req.u.create_app;
	u->app_name = pegasus_codec_blob_str(name);
	u->options.partition_count = opts->partition_count;
	u->options.replica_count = opts->replica_count;
	u->options.success_if_exist = opts->success_if_exist;
	u->options.app_type = pegasus_codec_blob_str("pegasus");
	u->options.is_stateful = true;
	if (opts->n_envs > 0)
	{
		envs = g_new0(PegasusStringPair, opts->n_envs);
		for (i = 0; i < opts->n_envs; i++)
		{
			envs[i].key = pegasus_codec_blob_str(opts->env_keys[i]);
			envs[i].value = pegasus_codec_blob_str(opts->env_values[i]);
		}
		u->options.envs = envs;
		u->options.n_envs = opts->n_envs;
	}
	ok = pegasus_meta_call(client, &req, "create_app", deadline, &reply, err);
	g_free(envs);
	if (!ok)
		return false;
	if (!meta_err_ok(client, reply, reply->resp.u.create_app.err,
					 reply->resp.u.create_app.err_name, "create_app", err))
		return false;
	if (app_id != NULL)
		*app_id = reply->resp.u.create_app.appid;
	pegasus_reply_free(reply);
	pegasus_client_invalidate(client, name);
	if (opts->wait_ready)
		return wait_table_ready(client, name, deadline, err);
	return true;
}

bool
pegasus_client_drop_app(PegasusClient *client, const char *name,
						bool success_if_not_exist, int timeout_ms,
						PegasusError *err)
{
	PegasusRequest req;
	PegasusReply *reply;

	pegasus_error_clear(err);
	if (name == NULL || *name == '\0')
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "drop_app",
						  "The table name is empty.");
		return false;
	}
	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_DROP_APP;
	req.u.drop_app.app_name = pegasus_codec_blob_str(name);
	req.u.drop_app.options.success_if_not_exist = success_if_not_exist;
	if (!pegasus_meta_call(client, &req, "drop_app",
						   pegasus_deadline(client, timeout_ms), &reply, err))
		return false;
	if (reply->resp.u.drop_app.err == PEGASUS_EC_APP_NOT_EXIST)
	{
		pegasus_error_set_server(err, "drop_app", current_meta(client),
								 reply->resp.u.drop_app.err_name);
		pegasus_error_set(err, PEGASUS_ERR_TABLE_NOT_FOUND, "drop_app",
						  "Pegasus table \"%s\" does not exist.", name);
		pegasus_reply_free(reply);
		return false;
	}
	if (!meta_err_ok(client, reply, reply->resp.u.drop_app.err,
					 reply->resp.u.drop_app.err_name, "drop_app", err))
		return false;
	pegasus_reply_free(reply);
	pegasus_client_invalidate(client, name);
	return true;
}
