/*-------------------------------------------------------------------------
 *
 * control.c
 *	  The control interface: a line-based text protocol on --control-port.
 *	  One command per line; the reply is one line starting with "OK" or
 *	  "ERR", or for listing commands an "OK" line, data lines and a final
 *	  "END" line.  See README.md for the command list.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE	4096

static void
reply(OneboxConn *conn, const char *fmt,...) G_GNUC_PRINTF(2, 3);

static void
reply(OneboxConn *conn, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	onebox_conn_send(conn, (const guint8 *) s, strlen(s), 0);
	onebox_conn_send(conn, (const guint8 *) "\n", 1, 0);
	g_free(s);
}

static gboolean
parse_int(const char *s, gint64 *out)
{
	char	   *end;

	if (s == NULL || *s == '\0')
		return FALSE;
	*out = g_ascii_strtoll(s, &end, 10);
	return *end == '\0';
}

static OneboxEndpoint *
endpoint_arg(OneboxConn *conn, const char *s)
{
	gint64		port;
	OneboxEndpoint *ep;

	if (!parse_int(s, &port) || (ep = onebox_endpoint_by_port((int) port)) == NULL ||
		ep->kind == ONEBOX_EP_CONTROL)
	{
		reply(conn, "ERR unknown endpoint port %s", s ? s : "(none)");
		return NULL;
	}
	return ep;
}

static OneboxTable *
table_arg(OneboxConn *conn, const char *s)
{
	OneboxTable *t = s ? onebox_table_by_name(s, strlen(s), FALSE) : NULL;

	if (t == NULL)
		reply(conn, "ERR no available table %s", s ? s : "(none)");
	return t;
}

static gboolean
is_throttling_env(const char *key)
{
	return strcmp(key, ONEBOX_WRITE_THROTTLING_ENV) == 0 ||
		strcmp(key, ONEBOX_WRITE_SIZE_THROTTLING_ENV) == 0 ||
		strcmp(key, ONEBOX_READ_THROTTLING_ENV) == 0;
}

static char *
hex(const guint8 *p, gsize n)
{
	GString    *s = g_string_sized_new(n * 2 + 1);
	gsize		i;

	for (i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", p[i]);
	return g_string_free(s, FALSE);
}

static void
all_endpoints(GPtrArray *out)
{
	guint		i;

	for (i = 0; i < onebox.metas->len; i++)
		g_ptr_array_add(out, onebox.metas->pdata[i]);
	for (i = 0; i < onebox.replicas->len; i++)
		g_ptr_array_add(out, onebox.replicas->pdata[i]);
}

static void
cmd_counters(OneboxConn *conn)
{
	GPtrArray  *eps = g_ptr_array_new();
	guint		i;

	all_endpoints(eps);
	reply(conn, "OK");
	for (i = 0; i < eps->len; i++)
	{
		OneboxEndpoint *ep = eps->pdata[i];
		GList	   *keys = g_list_sort(g_hash_table_get_keys(ep->counters),
									   (GCompareFunc) strcmp);
		GList	   *l;

		for (l = keys; l != NULL; l = l->next)
		{
			guint		n = *(guint *) g_hash_table_lookup(ep->counters, l->data);

			if (n > 0)
				reply(conn, "%d %s %u", ep->port, (const char *) l->data, n);
		}
		g_list_free(keys);
	}
	reply(conn, "violations %" G_GUINT64_FORMAT, onebox.violations);
	reply(conn, "unauthenticated %" G_GUINT64_FORMAT, onebox_auth_unauthenticated());
	reply(conn, "END");
	g_ptr_array_unref(eps);
}

static void
cmd_tables(OneboxConn *conn)
{
	guint		i;

	reply(conn, "OK");
	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		GString    *prim = g_string_new("");
		gint32		p;

		for (p = 0; t->parts && p < t->partition_count; p++)
			if (!t->parts[p]->ready)
				g_string_append_printf(prim, "%s-", p ? "," : "");
			else
				g_string_append_printf(prim, "%s%d", p ? "," : "",
									   ((OneboxEndpoint *) onebox.replicas->pdata[t->parts[p]->primary])->port);
		reply(conn, "%s app_id=%d partitions=%d status=%s primaries=%s", t->name, t->app_id,
			  t->partition_count, t->status == PEGASUS_AS_AVAILABLE ? "available" : "dropped",
			  prim->len ? prim->str : "-");
		g_string_free(prim, TRUE);
	}
	reply(conn, "END");
}

static void
emit_line(const char *line, gpointer conn)
{
	reply(conn, "%s", line);
}

static void
cmd_dump(OneboxConn *conn, OneboxTable *t)
{
	gint32		p;

	reply(conn, "OK");
	for (p = 0; p < t->partition_count; p++)
	{
		OneboxIter *it;

		for (it = onebox_store_first(t->parts[p]->store); it; it = onebox_store_next(it))
		{
			const OneboxKey *k = onebox_iter_key(it);
			const OneboxValue *v = onebox_iter_value(it);
			char	   *hk = hex(k->data, k->len);
			char	   *hv = hex(v->data, v->len);

			reply(conn, "%d %s %s %u", p, hk, hv, v->expire_ts);
			g_free(hk);
			g_free(hv);
		}
	}
	reply(conn, "END");
}

static OneboxCorruptMode
corrupt_mode(const char *s)
{
	if (s == NULL)
		return ONEBOX_CORRUPT_NONE;
	if (strcmp(s, "garbage") == 0)
		return ONEBOX_CORRUPT_GARBAGE;
	if (strcmp(s, "truncated") == 0)
		return ONEBOX_CORRUPT_TRUNCATED;
	if (strcmp(s, "oversized") == 0)
		return ONEBOX_CORRUPT_OVERSIZED;
	if (strcmp(s, "badname") == 0)
		return ONEBOX_CORRUPT_BADNAME;
	if (strcmp(s, "badseqid") == 0)
		return ONEBOX_CORRUPT_BADSEQID;
	return ONEBOX_CORRUPT_NONE;
}

static void
add_fault(OneboxEndpoint *ep, const char *rpc, int n, gboolean noreply, PegasusErrorCode ec,
		  const char *error_name)
{
	OneboxFault *f = g_new0(OneboxFault, 1);

	f->rpc_name = g_strdup(rpc);
	f->error_name = g_strdup(error_name);
	f->remaining = n;
	f->noreply = noreply;
	f->error = ec;
	ep->faults = g_list_append(ep->faults, f);
}

/* ERR_ followed by 1 to 60 upper-case letters, digits or '_' */
static gboolean
error_name_valid(const char *s)
{
	gsize		n = strlen(s);
	gsize		i;

	if (n < 5 || n > 64 || strncmp(s, "ERR_", 4) != 0)
		return FALSE;
	for (i = 4; i < n; i++)
		if (!g_ascii_isupper(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_')
			return FALSE;
	return TRUE;
}

static void
cmd_fail(OneboxConn *conn, char **a, int argc)
{
	gint64		n;
	gboolean	noreply;
	PegasusErrorCode ec = PEGASUS_EC_UNKNOWN;
	const char *unknown_name = NULL;
	GPtrArray  *eps = g_ptr_array_new();
	guint		i;

	if (argc != 5 || !parse_int(a[3], &n) || n < 0)
	{
		reply(conn, "ERR usage: fail PORT|* RPC_NAME N ERR_NAME|noreply");
		goto out;
	}
	noreply = strcmp(a[4], "noreply") == 0;
	if (!noreply)
	{
		ec = pegasus_codec_error_from_name(a[4], strlen(a[4]));
		if (ec == PEGASUS_EC_UNKNOWN && strcmp(a[4], "ERR_UNKNOWN") != 0)
		{
			/* a name of a newer server: sent as given */
			if (!error_name_valid(a[4]))
			{
				reply(conn, "ERR unknown error name %s", a[4]);
				goto out;
			}
			unknown_name = a[4];
		}
	}
	if (strcmp(a[1], "*") == 0)
		all_endpoints(eps);
	else
	{
		OneboxEndpoint *ep = endpoint_arg(conn, a[1]);

		if (ep == NULL)
			goto out;
		g_ptr_array_add(eps, ep);
	}
	for (i = 0; i < eps->len; i++)
		add_fault(eps->pdata[i], a[2], (int) n, noreply, ec, unknown_name);
	reply(conn, "OK done");
out:
	g_ptr_array_unref(eps);
}

/* Removes armed faults, latency and corruption of every endpoint. */
static void
cmd_clear_faults(OneboxConn *conn)
{
	GPtrArray  *eps = g_ptr_array_new();
	guint		i;

	all_endpoints(eps);
	for (i = 0; i < eps->len; i++)
	{
		OneboxEndpoint *ep = eps->pdata[i];
		GList	   *l;

		for (l = ep->faults; l != NULL; l = l->next)
		{
			OneboxFault *f = l->data;

			g_free(f->error_name);
			g_free(f->rpc_name);
			g_free(f);
		}
		g_list_free(ep->faults);
		ep->faults = NULL;
		ep->latency_ms = 0;
		ep->corrupt = ONEBOX_CORRUPT_NONE;
	}
	g_ptr_array_unref(eps);
	reply(conn, "OK done");
}

/* ------------------------------------------------------------------------
 * Partition split and live-cluster answers (split.c)
 * ------------------------------------------------------------------------ */

/* split-mode sequential | split-mode random SEED [WINDOWS] */
static void
split_mode_command(OneboxConn *conn, char **args, int argc)
{
	gint64		seed,
				overlap = 2;

	if (argc == 2 && strcmp(args[1], "sequential") == 0)
	{
		onebox.split_random = FALSE;
		reply(conn, "OK done");
		return;
	}
	if ((argc == 3 || argc == 4) && strcmp(args[1], "random") == 0 &&
		parse_int(args[2], &seed) && seed >= 0 && seed <= G_MAXUINT32 &&
		(argc == 3 || (parse_int(args[3], &overlap) && overlap >= 1 && overlap <= 1024)))
	{
		onebox.split_random = TRUE;
		onebox.split_seed = (guint32) seed;
		onebox.split_overlap = (gint32) overlap;
		reply(conn, "OK done");
		return;
	}
	reply(conn, "ERR usage: split-mode sequential | split-mode random SEED [WINDOWS]");
}

/* Handles the split commands; FALSE if cmd is not one of them. */
static gboolean
split_command(OneboxConn *conn, char **args, int argc)
{
	const char *cmd = args[0];
	OneboxTable *t;
	gint64		n;
	char		status[1024];
	const char *why;

	if (strcmp(cmd, "split") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		if (!onebox_split_start(t, &why))
			reply(conn, "ERR %s", why);
		else
			reply(conn, "OK partitions=%d", t->partition_count);
	}
	else if (strcmp(cmd, "split-delay") == 0 && argc == 2)
	{
		if (!parse_int(args[1], &n) || n < 1 || n > 86400000)
		{
			reply(conn, "ERR usage: split-delay MS (1 to 86400000)");
			return TRUE;
		}
		onebox.split_delay_ms = n;
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "split-step") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		onebox_split_step(t);
		onebox_split_status(t, status, sizeof(status));
		reply(conn, "OK %s", status);
	}
	else if (strcmp(cmd, "split-status") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		onebox_split_status(t, status, sizeof(status));
		reply(conn, "OK %s", status);
	}
	else if (strcmp(cmd, "split-activate-delay") == 0 && argc == 2)
	{
		if (!parse_int(args[1], &n) || n < 0 || n > 86400000)
		{
			reply(conn, "ERR usage: split-activate-delay MS (0 to 86400000)");
			return TRUE;
		}
		onebox.split_activate_delay_ms = n;
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "split-mode") == 0)
		split_mode_command(conn, args, argc);
	else if ((strcmp(cmd, "split-pause") == 0 || strcmp(cmd, "split-resume") == 0) &&
			 (argc == 2 || argc == 3))
	{
		gint64		pidx = -1;
		gboolean	ok;

		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		if (argc == 3 && (!parse_int(args[2], &pidx) || pidx < 0))
		{
			reply(conn, "ERR usage: %s TABLE [PARENT_PIDX]", cmd);
			return TRUE;
		}
		if (strcmp(cmd, "split-pause") == 0)
			ok = onebox_split_pause(t, (gint32) pidx, &why);
		else
			ok = onebox_split_resume(t, (gint32) pidx, &why);
		if (!ok)
			reply(conn, "ERR %s", why);
		else
		{
			onebox_split_status(t, status, sizeof(status));
			reply(conn, "OK %s", status);
		}
	}
	else if (strcmp(cmd, "split-cancel") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		if (!onebox_split_cancel(t, &why))
			reply(conn, "ERR %s", why);
		else
			reply(conn, "OK partitions=%d", t->partition_count);
	}
	else if (strcmp(cmd, "compact") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			return TRUE;
		reply(conn, "OK removed=%u", onebox_split_compact(t));
	}
	else if (strcmp(cmd, "host-port-fields") == 0 && argc == 2 &&
			 (strcmp(args[1], "on") == 0 || strcmp(args[1], "off") == 0))
	{
		onebox.host_port_fields = strcmp(args[1], "on") == 0;
		reply(conn, "OK done");
	}
	else
		return FALSE;
	return TRUE;
}

static void
run_command(OneboxConn *conn, char *line)
{
	char	  **a = g_strsplit_set(g_strstrip(line), " \t", -1);
	int			argc = 0;
	char	  **w;
	char	  **args;
	const char *cmd;
	OneboxEndpoint *ep;
	OneboxTable *t;
	gint64		n,
				m;

	/* drop empty words produced by repeated blanks */
	args = g_new0(char *, g_strv_length(a) + 1);
	for (w = a; *w; w++)
		if (**w)
			args[argc++] = *w;
	if (argc == 0)
		goto out;
	cmd = args[0];

	if (split_command(conn, args, argc))
		goto out;
	if (strcmp(cmd, "ping") == 0)
		reply(conn, "OK pong");
	else if (strcmp(cmd, "help") == 0)
	{
		reply(conn, "OK");
		reply(conn, "move TABLE PIDX REPLICA_PORT | stop PORT | start PORT | drop PORT");
		reply(conn, "latency PORT MS | fail PORT|* RPC N ERR_NAME|noreply | corrupt PORT MODE");
		reply(conn, "clear-faults");
		reply(conn, "counters | violations | reset-counters | clock SECONDS | env TABLE KEY [VALUE]");
		reply(conn, "negative-ids on|off | scanner-count | scanner-list | drop-scanners | tables | dump TABLE | leader PORT");
		reply(conn, "create TABLE PARTITIONS [REPLICAS] | drop-table TABLE | ping | help");
		reply(conn, "split TABLE | split-delay MS | split-step TABLE | split-status TABLE | compact TABLE");
		reply(conn, "split-mode sequential|random SEED [WINDOWS] | split-activate-delay MS");
		reply(conn, "split-pause TABLE [PIDX] | split-resume TABLE [PIDX] | split-cancel TABLE");
		reply(conn, "host-port-fields on|off");
		reply(conn, "app-env TABLE KEY [VALUE]");
		reply(conn, "END");
	}
	else if (strcmp(cmd, "move") == 0 && argc == 4)
	{
		if ((t = table_arg(conn, args[1])) == NULL || (ep = endpoint_arg(conn, args[3])) == NULL)
			goto out;
		if (ep->kind != ONEBOX_EP_REPLICA || !parse_int(args[2], &n) || n < 0 ||
			n >= t->partition_count)
		{
			reply(conn, "ERR bad partition index or not a replica port");
			goto out;
		}
		onebox_partition_move(t->parts[n], ep->index);
		reply(conn, "OK ballot=%" G_GINT64_FORMAT, t->parts[n]->ballot);
	}
	else if ((strcmp(cmd, "stop") == 0 || strcmp(cmd, "start") == 0 ||
			  strcmp(cmd, "drop") == 0) && argc == 2)
	{
		if ((ep = endpoint_arg(conn, args[1])) == NULL)
			goto out;
		if (cmd[0] == 'd')
			onebox_endpoint_drop_conns(ep);
		else if (strcmp(cmd, "stop") == 0)
		{
			onebox_endpoint_stop(ep);
			/* a replica server that stops loses its scan contexts */
			if (ep->kind == ONEBOX_EP_REPLICA)
				(void) onebox_scanner_drop_replica(ep->index);
		}
		else if (!onebox_endpoint_listen(ep))
		{
			reply(conn, "ERR cannot listen on port %d", ep->port);
			goto out;
		}
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "latency") == 0 && argc == 3)
	{
		if ((ep = endpoint_arg(conn, args[1])) == NULL)
			goto out;
		if (!parse_int(args[2], &n) || n < 0 || n > 3600000)
		{
			reply(conn, "ERR bad latency");
			goto out;
		}
		ep->latency_ms = (int) n;
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "fail") == 0)
		cmd_fail(conn, args, argc);
	else if (strcmp(cmd, "clear-faults") == 0)
		cmd_clear_faults(conn);
	else if (strcmp(cmd, "corrupt") == 0 && argc == 3)
	{
		if ((ep = endpoint_arg(conn, args[1])) == NULL)
			goto out;
		if (corrupt_mode(args[2]) == ONEBOX_CORRUPT_NONE)
		{
			reply(conn, "ERR mode must be garbage, truncated, oversized, badname or badseqid");
			goto out;
		}
		ep->corrupt = corrupt_mode(args[2]);
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "counters") == 0)
		cmd_counters(conn);
	else if (strcmp(cmd, "violations") == 0)
		reply(conn, "OK %" G_GUINT64_FORMAT, onebox.violations);
	else if (strcmp(cmd, "reset-counters") == 0)
	{
		GPtrArray  *eps = g_ptr_array_new();
		guint		i;

		/* per-RPC counts only: the violation count never goes down */
		all_endpoints(eps);
		for (i = 0; i < eps->len; i++)
			onebox_reset_counters(eps->pdata[i]);
		g_ptr_array_unref(eps);
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "clock") == 0 && argc == 2)
	{
		if (!parse_int(args[1], &n) || n < 0)
		{
			reply(conn, "ERR clock only moves forward: clock SECONDS");
			goto out;
		}
		onebox.clock_offset_ms += n * 1000;
		reply(conn, "OK pegasus_now=%u", onebox_pegasus_now());
	}
	else if (strcmp(cmd, "env") == 0 && (argc == 3 || argc == 4))
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			goto out;
		onebox_table_set_env(t, args[2], argc == 4 ? args[3] : NULL);
		reply(conn, "OK done");
	}
	/*
	 * App envs as set by the shell's set_app_envs: a throttling value is
	 * checked as the meta's app_env_validator does (env sets anything).
	 * The value is the rest of the line, so it may hold blanks.
	 */
	else if (strcmp(cmd, "app-env") == 0 && argc >= 3)
	{
		char	   *value = argc >= 4 ? g_strjoinv(" ", args + 3) : NULL;
		guint64		u1,
					m1,
					u2,
					m2;

		if ((t = table_arg(conn, args[1])) == NULL)
			;
		else if (value != NULL && is_throttling_env(args[2]) &&
				 !onebox_throttle_parse(value, &u1, &m1, &u2, &m2))
			reply(conn, "ERR ERR_INVALID_PARAMETERS %s: <size[K|M]>*<delay|reject>*<milliseconds>[,...]",
				  args[2]);
		else
		{
			onebox_table_set_env(t, args[2], value);
			reply(conn, "OK done");
		}
		g_free(value);
	}
	else if (strcmp(cmd, "negative-ids") == 0 && argc == 2 &&
			 (strcmp(args[1], "on") == 0 || strcmp(args[1], "off") == 0))
	{
		onebox.negative_ids = strcmp(args[1], "on") == 0;
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "scanner-count") == 0)
	{
		/* live contexts only: drop the idle ones first */
		onebox_scanner_expire();
		reply(conn, "OK %u at_risk=%u refused=%u", onebox_scanner_count(),
			  onebox_scanner_count_at_risk(), onebox_scanner_count_refused());
	}
	else if (strcmp(cmd, "scanner-list") == 0)
	{
		onebox_scanner_expire();
		reply(conn, "OK");
		onebox_scanner_describe(emit_line, conn);
		reply(conn, "END");
	}
	else if (strcmp(cmd, "drop-scanners") == 0)
		reply(conn, "OK dropped=%u", onebox_scanner_drop_all());
	else if (strcmp(cmd, "tables") == 0)
		cmd_tables(conn);
	else if (strcmp(cmd, "dump") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			goto out;
		cmd_dump(conn, t);
	}
	else if (strcmp(cmd, "leader") == 0 && argc == 2)
	{
		if ((ep = endpoint_arg(conn, args[1])) == NULL)
			goto out;
		if (ep->kind != ONEBOX_EP_META)
		{
			reply(conn, "ERR not a meta port");
			goto out;
		}
		onebox.leader = ep->index;
		reply(conn, "OK done");
	}
	else if (strcmp(cmd, "create") == 0 && (argc == 3 || argc == 4))
	{
		PegasusErrorCode ec;

		m = 3;
		if (!parse_int(args[2], &n) || (argc == 4 && !parse_int(args[3], &m)))
		{
			reply(conn, "ERR usage: create TABLE PARTITIONS [REPLICAS]");
			goto out;
		}
		m = MIN(m, (gint64) onebox.replicas->len);
		t = onebox_table_create(args[1], (gint32) n, (gint32) m, "pegasus", TRUE, NULL, &ec);
		if (t == NULL)
			reply(conn, "ERR %s", pegasus_codec_error_name(ec));
		else
			reply(conn, "OK app_id=%d", t->app_id);
	}
	else if (strcmp(cmd, "drop-table") == 0 && argc == 2)
	{
		if ((t = table_arg(conn, args[1])) == NULL)
			goto out;
		onebox_table_drop(t, 0);
		reply(conn, "OK done");
	}
	else
		reply(conn, "ERR unknown command or wrong arguments: %s (try help)", cmd);
out:
	g_free(args);
	g_strfreev(a);
}

void
onebox_control_input(OneboxConn *conn)
{
	gsize		off = 0;

	for (;;)
	{
		guint8	   *nl = memchr(conn->in->data + off, '\n', conn->in->len - off);
		char	   *line;

		if (nl == NULL)
			break;
		line = g_strndup((const char *) conn->in->data + off,
						 (gsize) (nl - (conn->in->data + off)));
		off = (gsize) (nl - conn->in->data) + 1;
		run_command(conn, line);
		g_free(line);
		if (conn->dead)
			return;
	}
	if (off > 0)
		g_byte_array_remove_range(conn->in, 0, (guint) off);
	if (conn->in->len > MAX_LINE)
	{
		reply(conn, "ERR line too long");
		onebox_conn_close_after(conn, 0);
	}
}
