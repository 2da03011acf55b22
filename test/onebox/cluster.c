/*-------------------------------------------------------------------------
 *
 * cluster.c
 *	  The simulated cluster: endpoints, tables, partitions and the clock.
 *
 * Partitions of a table are spread round-robin over the replica endpoints
 * (partition i on replica (app_id + i) mod n, so consecutive tables do not
 * all start on the first endpoint).  Every partition has a primary and a
 * ballot >= 1 as soon as the table exists: the onebox never reports a
 * partition without a primary.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

OneboxServer onebox;

void
onebox_cluster_init(void)
{
	memset(&onebox, 0, sizeof(onebox));
	onebox.metas = g_ptr_array_new();
	onebox.replicas = g_ptr_array_new();
	onebox.tables = g_ptr_array_new();
	/* app 1 is the stat table on a real cluster; user tables start at 2 */
	onebox.next_app_id = 2;
	onebox.prefix_iteration = TRUE;
	onebox.split_delay_ms = 200;
	onebox.split_overlap = 2;
	onebox.host_port_fields = TRUE;
	onebox.encoder = pegasus_codec_encoder_new();
}

OneboxEndpoint *
onebox_endpoint_new(OneboxEndpointKind kind, int port, int index)
{
	OneboxEndpoint *ep = g_new0(OneboxEndpoint, 1);

	ep->kind = kind;
	ep->port = port;
	ep->index = index;
	ep->listen_fd = -1;
	ep->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_snprintf(ep->server_name, sizeof(ep->server_name), "%s:%d", ONEBOX_HOST, port);
	if (kind == ONEBOX_EP_META)
		g_ptr_array_add(onebox.metas, ep);
	else if (kind == ONEBOX_EP_REPLICA)
		g_ptr_array_add(onebox.replicas, ep);
	else
		onebox.control = ep;
	return ep;
}

OneboxEndpoint *
onebox_endpoint_by_port(int port)
{
	guint		i;

	for (i = 0; i < onebox.metas->len; i++)
		if (((OneboxEndpoint *) onebox.metas->pdata[i])->port == port)
			return onebox.metas->pdata[i];
	for (i = 0; i < onebox.replicas->len; i++)
		if (((OneboxEndpoint *) onebox.replicas->pdata[i])->port == port)
			return onebox.replicas->pdata[i];
	if (onebox.control && onebox.control->port == port)
		return onebox.control;
	return NULL;
}

static gint64 *
new_id_key(gint64 id)
{
	gint64	   *k = g_new(gint64, 1);

	*k = id;
	return k;
}

static void
partition_reset_context_ids(OneboxPartition *part)
{
	/*
	 * As a real replica: a random 32-bit start shifted left by 32, so about
	 * half of all partitions hand out negative ids.  "negative-ids on"
	 * forces the top bit.
	 */
	guint64		r = g_random_int();

	if (onebox.negative_ids)
		r |= 0x80000000u;
	part->next_context_id = (gint64) (r << 32);
}

/*
 * A partition of t with an empty store, served with t's current count on
 * replica (app_id + pidx) mod n.
 */
OneboxPartition *
onebox_partition_new(OneboxTable *t, gint32 pidx)
{
	OneboxPartition *p = g_new0(OneboxPartition, 1);

	p->table = t;
	p->pidx = pidx;
	p->store = onebox_store_new();
	p->ballot = 1;
	p->version = t->partition_count - 1;
	p->ready = TRUE;
	p->active = TRUE;
	p->primary = (int) ((t->app_id + pidx) % (gint32) onebox.replicas->len);
	p->scanners = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
										onebox_scan_context_free);
	partition_reset_context_ids(p);
	return p;
}

void
onebox_partition_free(OneboxPartition *p)
{
	g_hash_table_destroy(p->scanners);
	onebox_store_free(p->store);
	onebox_throttle_free(p);
	g_free(p);
}

static guint32
parse_default_ttl(const char *value)
{
	gint64		v;
	char	   *end;

	if (value == NULL || *value == '\0')
		return 0;
	v = g_ascii_strtoll(value, &end, 10);
	/* the server ignores invalid or negative values */
	if (*end != '\0' || v < 0 || v > G_MAXINT32)
		return 0;
	return (guint32) v;
}

OneboxTable *
onebox_table_create(const char *name, gint32 partition_count, gint32 replica_count,
					const char *app_type, gboolean is_stateful, GHashTable *envs,
					PegasusErrorCode *err)
{
	OneboxTable *t;
	gint32		i;
	int			nrep = (int) onebox.replicas->len;

	*err = PEGASUS_EC_OK;
	/*
	 * A real meta server accepts any positive partition count, but clients
	 * route with hash mod count and Go refuses non-powers of two, Python's
	 * signed modulo disagrees for them, and splits assume them.  The onebox
	 * refuses them so a test cannot silently depend on one.
	 */
	if (partition_count <= 0 || (partition_count & (partition_count - 1)) != 0 ||
		nrep == 0)
	{
		*err = PEGASUS_EC_INVALID_PARAMETERS;
		return NULL;
	}
	if (onebox_table_by_name(name, strlen(name), FALSE) != NULL)
	{
		*err = PEGASUS_EC_APP_EXIST;
		return NULL;
	}

	t = g_new0(OneboxTable, 1);
	t->name = g_strdup(name);
	t->app_id = onebox.next_app_id++;
	t->partition_count = partition_count;
	t->init_partition_count = partition_count;
	t->status = PEGASUS_AS_AVAILABLE;
	t->replica_count = replica_count;
	t->app_type = g_strdup(app_type ? app_type : "pegasus");
	t->is_stateful = is_stateful;
	t->envs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (envs)
	{
		GHashTableIter it;
		gpointer	k,
					v;

		g_hash_table_iter_init(&it, envs);
		while (g_hash_table_iter_next(&it, &k, &v))
			onebox_table_set_env(t, k, v);
	}
	t->create_second = onebox_unix_now();
	t->parts = g_new0(OneboxPartition *, partition_count);
	for (i = 0; i < partition_count; i++)
		t->parts[i] = onebox_partition_new(t, i);
	g_ptr_array_add(onebox.tables, t);
	onebox_log("created table %s (app_id %d, %d partitions)", name, t->app_id,
			   partition_count);
	return t;
}

void
onebox_table_drop(OneboxTable *t, gint64 reserve_seconds)
{
	gint32		i;

	for (i = 0; i < t->partition_count; i++)
	{
		OneboxPartition *p = t->parts[i];

		onebox_partition_free(p);
	}
	g_free(t->parts);
	t->parts = NULL;
	t->split_old_count = 0;
	t->compact_pending = FALSE;
	t->status = PEGASUS_AS_DROPPED;
	t->drop_second = onebox_unix_now();
	t->expire_second = t->drop_second + (reserve_seconds > 0 ? reserve_seconds : 604800);
	onebox_log("dropped table %s (app_id %d)", t->name, t->app_id);
}

OneboxTable *
onebox_table_by_name(const char *name, gsize len, gboolean any_status)
{
	guint		i;

	for (i = onebox.tables->len; i > 0; i--)
	{
		OneboxTable *t = onebox.tables->pdata[i - 1];

		if (strlen(t->name) == len && memcmp(t->name, name, len) == 0 &&
			(any_status || t->status == PEGASUS_AS_AVAILABLE))
			return t;
	}
	return NULL;
}

OneboxTable *
onebox_table_by_id(gint32 app_id)
{
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];

		if (t->app_id == app_id)
			return t;
	}
	return NULL;
}

void
onebox_table_set_env(OneboxTable *t, const char *key, const char *value)
{
	if (value == NULL)
		g_hash_table_remove(t->envs, key);
	else
		g_hash_table_replace(t->envs, g_strdup(key), g_strdup(value));
	if (strcmp(key, "default_ttl") == 0)
		t->default_ttl = parse_default_ttl(value);
}

void
onebox_partition_drop_scanners(OneboxPartition *part)
{
	g_hash_table_remove_all(part->scanners);
}

void
onebox_partition_move(OneboxPartition *part, int replica_index)
{
	part->primary = replica_index;
	part->ballot++;
	/* a new primary has none of the old one's scan contexts */
	onebox_partition_drop_scanners(part);
	partition_reset_context_ids(part);
}

int
onebox_partition_secondaries(OneboxPartition *part, int *out, int max)
{
	int			nrep = (int) onebox.replicas->len;
	int			want = MIN(part->table->replica_count - 1, nrep - 1);
	int			n = 0;
	int			i;

	for (i = 1; i <= want && n < max; i++)
		out[n++] = (part->primary + i) % nrep;
	return n;
}

gint64
onebox_partition_next_context_id(OneboxPartition *part, gint64 **key)
{
	gint64		id;

	do
	{
		id = part->next_context_id++;
		if (onebox.negative_ids && id >= 0)
		{
			partition_reset_context_ids(part);
			id = part->next_context_id++;
		}
	} while (id == -1 || id == 0 || id == -2 ||
			 g_hash_table_contains(part->scanners, &id));
	*key = new_id_key(id);
	return id;
}

gint64
onebox_now_ms(void)
{
	return g_get_real_time() / 1000 + onebox.clock_offset_ms;
}

gint64
onebox_unix_now(void)
{
	return onebox_now_ms() / 1000;
}

guint32
onebox_pegasus_now(void)
{
	return (guint32) (onebox_unix_now() - PEGASUS_CODEC_EPOCH_BEGIN);
}

void
onebox_violation(const char *fmt,...)
{
	va_list		ap;

	onebox.violations++;
	fputs("protocol violation: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void
onebox_log(const char *fmt,...)
{
	va_list		ap;

	fputs("onebox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
