/*-------------------------------------------------------------------------
 *
 * client_core.c
 *		Client lifecycle, options, statistics and the result free functions.
 *
 * src/client/client_core.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

void
pegasus_client_options_init(PegasusClientOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->connect_timeout_ms = 1000;
	opts->operation_timeout_ms = 1000;
	opts->retry_backoff_ms = 10;
	opts->retry_backoff_max_ms = 500;
	opts->max_frame_size = 64 * 1024 * 1024;
}

/* Checks "host:port" syntax; the host is resolved when connecting. */
static bool
endpoint_valid(const char *ep)
{
	const char *colon = strrchr(ep, ':');
	char	   *end;
	long		port;

	if (colon == NULL || colon == ep || strlen(ep) >= PEGASUS_ENDPOINT_LEN)
		return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && colon[1] != '\0' && port > 0 && port < 65536;
}

PegasusClient *
pegasus_client_new(const char *meta_servers, const PegasusClientOptions *opts,
				   PegasusError *err)
{
	PegasusClient *client;
	gchar	  **parts;
	int			i;

	pegasus_error_clear(err);
	if (meta_servers == NULL)
		meta_servers = "";
	client = g_new0(PegasusClient, 1);
	if (opts != NULL)
		client->opts = *opts;
	else
		pegasus_client_options_init(&client->opts);
	if (client->opts.connect_timeout_ms <= 0)
		client->opts.connect_timeout_ms = 1000;
	if (client->opts.operation_timeout_ms <= 0)
		client->opts.operation_timeout_ms = 1000;
	if (client->opts.retry_backoff_ms <= 0)
		client->opts.retry_backoff_ms = 10;
	if (client->opts.retry_backoff_max_ms < client->opts.retry_backoff_ms)
		client->opts.retry_backoff_max_ms = MAX(500, client->opts.retry_backoff_ms);
	if (client->opts.max_frame_size == 0)
		client->opts.max_frame_size = 64 * 1024 * 1024;
	if (client->opts.negotiation_timeout_ms <= 0)
		client->opts.negotiation_timeout_ms = client->opts.connect_timeout_ms;
	if (client->opts.auth == PEGASUS_AUTH_KERBEROS)
		client->auth = pegasus_auth_new(&client->opts);
	/* the strings belong to the caller; the copies are in client->auth */
	client->opts.kerberos_principal = NULL;
	client->opts.kerberos_keytab = NULL;
	client->opts.kerberos_ccache = NULL;
	client->opts.kerberos_service_name = NULL;
	client->opts.kerberos_service_fqdn = NULL;

	client->metas = g_ptr_array_new_with_free_func(g_free);
	parts = g_strsplit(meta_servers, ",", -1);
	for (i = 0; parts[i] != NULL; i++)
	{
		char	   *ep = g_strstrip(parts[i]);

		if (*ep == '\0')
			continue;
		if (!endpoint_valid(ep))
		{
			pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "connect",
							  "\"%s\" is not a valid meta server address; expected host:port.",
							  ep);
			g_strfreev(parts);
			g_ptr_array_free(client->metas, TRUE);
			pegasus_auth_free(client->auth);
			g_free(client);
			return NULL;
		}
		g_ptr_array_add(client->metas, g_strdup(ep));
	}
	g_strfreev(parts);
	if (client->metas->len == 0)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, "connect",
						  "No meta server address was given.");
		g_ptr_array_free(client->metas, TRUE);
		pegasus_auth_free(client->auth);
		g_free(client);
		return NULL;
	}
	client->conns = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
										  (GDestroyNotify) pegasus_conn_free);
	client->tables = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
										   (GDestroyNotify) pegasus_table_free);
	client->encoder = pegasus_codec_encoder_new();
	client->scratch = g_byte_array_new();
	return client;
}

void
pegasus_client_free(PegasusClient *client)
{
	if (client == NULL)
		return;
	g_hash_table_destroy(client->conns);
	pegasus_net_free_retired(client);
	g_hash_table_destroy(client->tables);
	g_ptr_array_free(client->metas, TRUE);
	pegasus_codec_encoder_free(client->encoder);
	g_byte_array_free(client->scratch, TRUE);
	pegasus_auth_free(client->auth);
	g_free(client);
}

void
pegasus_client_set_wait_hook(PegasusClient *client, PegasusWaitHook hook,
							 void *arg)
{
	client->opts.wait_hook = hook;
	client->opts.wait_arg = arg;
}

PegasusWaitKind
pegasus_client_wait_kind(const PegasusClient *client)
{
	return client->wait_kind;
}

void
pegasus_client_set_timeout(PegasusClient *client, int timeout_ms)
{
	if (timeout_ms > 0)
		client->opts.operation_timeout_ms = timeout_ms;
}

int
pegasus_client_release_scans(PegasusClient *client, int timeout_ms)
{
	int			n;

	if (client == NULL)
		return 0;
	/* a connection this makes asks no KDC (client->cleaning) */
	client->cleaning = true;
	pegasus_scanners_release(client);
	n = pegasus_net_drain(client, pegasus_now_us() +
						  (int64_t) MAX(timeout_ms, 0) * 1000);
	client->cleaning = false;
	return n;
}

void
pegasus_client_disconnect(PegasusClient *client)
{
	(void) pegasus_client_release_scans(client, PEGASUS_CLEANUP_TIMEOUT_MS);
	pegasus_net_close_all(client);
}

void
pegasus_client_get_stats(const PegasusClient *client, PegasusStats *stats)
{
	*stats = client->stats;
	stats->wait_us = client->wait_us;
}

void
pegasus_client_reset_stats(PegasusClient *client)
{
	memset(&client->stats, 0, sizeof(client->stats));
}

/* ----------------------------------------------------------------------
 * Result objects.  owner is a GPtrArray of PegasusReply (or NULL).
 * ---------------------------------------------------------------------- */

static void
owner_free(void *owner)
{
	if (owner != NULL)
		g_ptr_array_free((GPtrArray *) owner, TRUE);
}

int
pegasus_slice_compare(PegasusSlice a, PegasusSlice b)
{
	size_t		n = MIN(a.len, b.len);
	int			c = n > 0 ? memcmp(a.data, b.data, n) : 0;

	if (c != 0)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

void
pegasus_value_free(PegasusValue *value)
{
	if (value == NULL)
		return;
	owner_free(value->owner);
	memset(value, 0, sizeof(*value));
}

void
pegasus_kvlist_free(PegasusKVList *list)
{
	if (list == NULL)
		return;
	owner_free(list->owner);
	g_free(list->items);
	g_free(list);
}

void
pegasus_check_result_free(PegasusCheckResult *result)
{
	if (result == NULL)
		return;
	owner_free(result->owner);
	memset(result, 0, sizeof(*result));
}

void
pegasus_app_list_free(PegasusAppList *list)
{
	size_t		i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		g_free(list->apps[i].name);
	g_free(list->apps);
	g_free(list);
}
