/*-------------------------------------------------------------------------
 *
 * meta.c
 *	  Meta-server RPCs (protocol section 5): query_cfg, list_apps,
 *	  create_app, drop_app, with leader forwarding for multi-meta mode.
 *
 * Errors travel inside the response's `err` field; the frame error is
 * always ERR_OK here.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

gboolean
onebox_meta_is_leader(OneboxEndpoint *ep)
{
	return ep->index == onebox.leader;
}

static void
fill_address(OneboxCall *call, int replica_index, PegasusRpcAddress *addr,
			 PegasusHostPort *hp)
{
	OneboxEndpoint *ep = onebox.replicas->pdata[replica_index];

	addr->ipv4 = 0x7f000001;
	addr->port = (guint16) ep->port;
	addr->type = 1;
	hp->host = pegasus_codec_blob_str(ONEBOX_HOST);
	hp->port = (guint16) ep->port;
	hp->type = 1;
}

static void
fill_partition(OneboxCall *call, OneboxPartition *p, PegasusPartitionConfiguration *pc)
{
	int			sec[8];
	int			n = onebox_partition_secondaries(p, sec, 8);
	int			i;

	memset(pc, 0, sizeof(*pc));
	pc->pid.app_id = p->table->app_id;
	pc->pid.partition_index = p->pidx;
	pc->ballot = p->ballot;
	pc->max_replica_count = p->table->replica_count;
	pc->last_committed_decree = p->decree;
	pc->partition_flags = 0;
	if (!p->ready)
	{
		/*
		 * A child of a split not yet registered: ballot -1 and a
		 * default-constructed configuration (invalid primary, no
		 * secondaries, no host_port fields), as meta_split_service makes.
		 */
		pc->ballot = -1;
		pc->max_replica_count = 0;
		pc->secondaries = NULL;
		return;
	}
	pc->has_hp_primary = TRUE;
	fill_address(call, p->primary, &pc->primary, &pc->hp_primary);
	pc->secondaries = g_new0(PegasusRpcAddress, MAX(n, 1));
	pc->hp_secondaries = g_new0(PegasusHostPort, MAX(n, 1));
	g_ptr_array_add(call->scratch, pc->secondaries);
	g_ptr_array_add(call->scratch, pc->hp_secondaries);
	for (i = 0; i < n; i++)
		fill_address(call, sec[i], &pc->secondaries[i], &pc->hp_secondaries[i]);
	pc->n_secondaries = (guint32) n;
	pc->has_hp_secondaries = TRUE;
	pc->n_hp_secondaries = (guint32) n;
	pc->has_hp_last_drops = TRUE;
	pc->n_hp_last_drops = 0;
	pc->n_last_drops = 0;
	if (!onebox.host_port_fields)
	{
		/* a release 2.5 meta server knows no host_port fields */
		pc->has_hp_primary = FALSE;
		pc->has_hp_secondaries = FALSE;
		pc->n_hp_secondaries = 0;
		pc->has_hp_last_drops = FALSE;
	}
}

static void
query_cfg(OneboxCall *call)
{
	const PegasusQueryCfgRequest *rq = &call->req->u.query_cfg;
	PegasusQueryCfgResponse *rs = &call->reply->u.query_cfg;
	OneboxTable *t;
	guint32		i,
				n = 0;

	if (!onebox_meta_is_leader(call->ep))
	{
		OneboxEndpoint *leader;

		rs->err = PEGASUS_EC_FORWARD_TO_OTHERS;
		if (onebox.leader < 0 || onebox.leader >= (int) onebox.metas->len)
			return;
		/* partitions[0].primary names the leader, the rest is default */
		leader = onebox.metas->pdata[onebox.leader];
		rs->partitions = g_new0(PegasusPartitionConfiguration, 1);
		g_ptr_array_add(call->scratch, rs->partitions);
		rs->n_partitions = 1;
		rs->partitions[0].primary.ipv4 = 0x7f000001;
		rs->partitions[0].primary.port = (guint16) leader->port;
		rs->partitions[0].primary.type = 1;
		rs->partitions[0].has_hp_primary = onebox.host_port_fields;
		rs->partitions[0].hp_primary.host = pegasus_codec_blob_str(ONEBOX_HOST);
		rs->partitions[0].hp_primary.port = (guint16) leader->port;
		rs->partitions[0].hp_primary.type = 1;
		return;
	}

	t = onebox_table_by_name((const char *) rq->app_name.data, rq->app_name.len, FALSE);
	if (t == NULL)
	{
		rs->err = PEGASUS_EC_OBJECT_NOT_FOUND;
		return;
	}
	rs->err = PEGASUS_EC_OK;
	rs->app_id = t->app_id;
	rs->partition_count = t->partition_count;
	rs->is_stateful = t->is_stateful;
	rs->partitions = g_new0(PegasusPartitionConfiguration, t->partition_count);
	g_ptr_array_add(call->scratch, rs->partitions);
	for (i = 0; i < rq->n_partition_indices; i++)
	{
		gint32		idx = rq->partition_indices[i];

		if (idx >= 0 && idx < t->partition_count && n < (guint32) t->partition_count)
			fill_partition(call, t->parts[idx], &rs->partitions[n++]);
	}
	/* an empty selection means "all partitions" */
	if (n == 0)
		for (i = 0; i < (guint32) t->partition_count; i++)
			fill_partition(call, t->parts[i], &rs->partitions[n++]);
	rs->n_partitions = n;
}

static gboolean
name_matches(const char *name, const PegasusListAppsRequest *rq, gboolean *bad)
{
	gsize		nl = strlen(name);
	PegasusBlob p = rq->app_name_pattern;

	*bad = FALSE;
	switch (rq->match_type)
	{
		case PEGASUS_PMT_MATCH_ALL:
			return TRUE;
		case PEGASUS_PMT_MATCH_EXACT:
			return nl == p.len && (p.len == 0 || memcmp(name, p.data, p.len) == 0);
		case PEGASUS_PMT_MATCH_ANYWHERE:
			return onebox_filter_match(PEGASUS_FT_MATCH_ANYWHERE, p, (const guint8 *) name, nl);
		case PEGASUS_PMT_MATCH_PREFIX:
			return onebox_filter_match(PEGASUS_FT_MATCH_PREFIX, p, (const guint8 *) name, nl);
		case PEGASUS_PMT_MATCH_POSTFIX:
			return onebox_filter_match(PEGASUS_FT_MATCH_POSTFIX, p, (const guint8 *) name, nl);
		default:
			*bad = TRUE;
			return FALSE;
	}
}

static void
fill_app_info(OneboxCall *call, OneboxTable *t, PegasusAppInfo *ai)
{
	GHashTableIter it;
	gpointer	k,
				v;
	guint32		n = 0;

	memset(ai, 0, sizeof(*ai));
	ai->status = t->status;
	ai->app_type = pegasus_codec_blob_str(t->app_type);
	ai->app_name = pegasus_codec_blob_str(t->name);
	ai->app_id = t->app_id;
	ai->partition_count = t->partition_count;
	ai->envs = g_new0(PegasusStringPair, MAX(g_hash_table_size(t->envs), 1));
	g_ptr_array_add(call->scratch, ai->envs);
	g_hash_table_iter_init(&it, t->envs);
	while (g_hash_table_iter_next(&it, &k, &v))
	{
		ai->envs[n].key = pegasus_codec_blob_str(k);
		ai->envs[n].value = pegasus_codec_blob_str(v);
		n++;
	}
	ai->n_envs = n;
	ai->is_stateful = t->is_stateful;
	ai->max_replica_count = t->replica_count;
	ai->expire_second = t->expire_second;
	ai->create_second = t->create_second;
	ai->drop_second = t->drop_second;
	ai->init_partition_count = t->init_partition_count;
	ai->has_atomic_idempotent = TRUE;
	ai->atomic_idempotent = FALSE;
}

static void
list_apps(OneboxCall *call)
{
	const PegasusListAppsRequest *rq = &call->req->u.list_apps;
	PegasusListAppsResponse *rs = &call->reply->u.list_apps;
	guint		i;
	guint32		n = 0;

	if (!onebox_meta_is_leader(call->ep))
	{
		rs->err = PEGASUS_EC_FORWARD_TO_OTHERS;
		return;
	}
	rs->err = PEGASUS_EC_OK;
	rs->infos = g_new0(PegasusAppInfo, MAX(onebox.tables->len, 1));
	g_ptr_array_add(call->scratch, rs->infos);
	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];

		if (rq->has_app_name_pattern && rq->has_match_type)
		{
			gboolean	bad;
			gboolean	ok = name_matches(t->name, rq, &bad);

			if (bad)
			{
				/*
				 * A real server answers ERR_NOT_IMPLEMENTED here, a name
				 * outside the clients' enums; the onebox uses
				 * ERR_INVALID_PARAMETERS with the same hint.
				 */
				rs->err = PEGASUS_EC_INVALID_PARAMETERS;
				rs->n_infos = 0;
				rs->has_hint_message = TRUE;
				rs->hint_message = pegasus_codec_blob_str("match_type is not supported");
				return;
			}
			if (!ok)
				continue;
		}
		if (rq->status != PEGASUS_AS_INVALID && rq->status != t->status)
			continue;
		fill_app_info(call, t, &rs->infos[n++]);
	}
	rs->n_infos = n;
}

static gboolean
envs_equal(GHashTable *envs, const PegasusCreateAppOptions *o)
{
	guint32		i;

	if (g_hash_table_size(envs) != o->n_envs)
		return FALSE;
	for (i = 0; i < o->n_envs; i++)
	{
		char	   *k = pegasus_codec_blob_dup_str(o->envs[i].key);
		const char *v = g_hash_table_lookup(envs, k);

		g_free(k);
		if (v == NULL || !pegasus_codec_blob_equal_str(o->envs[i].value, v))
			return FALSE;
	}
	return TRUE;
}

static void
create_app(OneboxCall *call)
{
	const PegasusCreateAppRequest *rq = &call->req->u.create_app;
	const PegasusCreateAppOptions *o = &rq->options;
	PegasusCreateAppResponse *rs = &call->reply->u.create_app;
	OneboxTable *t;
	char	   *name;
	char	   *app_type;
	GHashTable *envs;
	guint32		i;

	if (!onebox_meta_is_leader(call->ep))
	{
		rs->err = PEGASUS_EC_FORWARD_TO_OTHERS;
		return;
	}
	if (o->partition_count <= 0 || o->replica_count < 1 || o->replica_count > 5 ||
		o->replica_count > (gint32) onebox.replicas->len)
	{
		rs->err = PEGASUS_EC_INVALID_PARAMETERS;
		return;
	}
	t = onebox_table_by_name((const char *) rq->app_name.data, rq->app_name.len, FALSE);
	if (t != NULL)
	{
		if (!o->success_if_exist)
			rs->err = PEGASUS_EC_APP_EXIST;
		else if (o->partition_count != t->partition_count ||
				 !pegasus_codec_blob_equal_str(o->app_type, t->app_type) ||
				 !envs_equal(t->envs, o) || o->is_stateful != t->is_stateful ||
				 o->replica_count != t->replica_count)
			rs->err = PEGASUS_EC_INVALID_PARAMETERS;
		else
		{
			rs->err = PEGASUS_EC_OK;
			rs->appid = t->app_id;
		}
		return;
	}

	name = pegasus_codec_blob_dup_str(rq->app_name);
	app_type = pegasus_codec_blob_dup_str(o->app_type);
	envs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (i = 0; i < o->n_envs; i++)
		g_hash_table_replace(envs, pegasus_codec_blob_dup_str(o->envs[i].key),
							 pegasus_codec_blob_dup_str(o->envs[i].value));
	t = onebox_table_create(name, o->partition_count, o->replica_count, app_type,
							o->is_stateful, envs, &rs->err);
	if (t != NULL)
		rs->appid = t->app_id;
	g_hash_table_destroy(envs);
	g_free(name);
	g_free(app_type);
}

static void
drop_app(OneboxCall *call)
{
	const PegasusDropAppRequest *rq = &call->req->u.drop_app;
	PegasusDropAppResponse *rs = &call->reply->u.drop_app;
	OneboxTable *t;

	if (!onebox_meta_is_leader(call->ep))
	{
		rs->err = PEGASUS_EC_FORWARD_TO_OTHERS;
		return;
	}
	t = onebox_table_by_name((const char *) rq->app_name.data, rq->app_name.len, FALSE);
	if (t == NULL)
	{
		rs->err = rq->options.success_if_not_exist ? PEGASUS_EC_OK : PEGASUS_EC_APP_NOT_EXIST;
		return;
	}
	onebox_table_drop(t, rq->options.has_reserve_seconds ? rq->options.reserve_seconds : 0);
	rs->err = PEGASUS_EC_OK;
}

void
onebox_meta_handle(OneboxCall *call)
{
	switch (call->req->rpc)
	{
		case PEGASUS_RPC_QUERY_CFG:
			query_cfg(call);
			break;
		case PEGASUS_RPC_LIST_APPS:
			list_apps(call);
			break;
		case PEGASUS_RPC_CREATE_APP:
			create_app(call);
			break;
		case PEGASUS_RPC_DROP_APP:
			drop_app(call);
			break;
		default:
			break;
	}
}
