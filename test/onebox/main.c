/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pegasus-onebox: command line, start-up and shutdown.
 *
 *	  pegasus-onebox --meta-port PORT[,PORT...] --replica-ports P1,P2,P3
 *					 [--table NAME:PARTITIONS ...] [--control-port PORT]
 *					 [--rocksdb-filter-type prefix|common]
 *					 [--auth kerberos --keytab FILE [--service-name NAME]
 *					  [--service-fqdn HOST]] [--super-users U1,U2] [--acl]
 *
 * Runs in the foreground until SIGINT/SIGTERM and prints "ready" on stdout
 * once every endpoint listens.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"Usage: pegasus-onebox [OPTION]...\n"
"A single process that plays a small Apache Pegasus cluster on 127.0.0.1.\n"
"\n"
"  --meta-port PORT[,PORT...]   meta endpoints (default 34601). With several\n"
"                               ports the first is the leader; the others\n"
"                               answer ERR_FORWARD_TO_OTHERS (query_cfg names\n"
"                               the leader in partitions[0].primary).\n"
"  --replica-ports P1,P2,...    replica endpoints (default 34801,34802,34803)\n"
"  --table NAME:PARTITIONS      create an available table at start (repeatable;\n"
"                               app ids are given from 2 in this order;\n"
"                               PARTITIONS must be a power of two)\n"
"  --control-port PORT          text control interface (see README.md)\n"
"  --rocksdb-filter-type TYPE   prefix (default, like a real replica) or common:\n"
"                               whether forward iterators stay inside the hash\n"
"                               key they started in\n"
"  --auth kerberos              enable_auth + mandatory_auth: every connection\n"
"                               must negotiate (SASL GSSAPI through Cyrus SASL)\n"
"  --keytab FILE                the service keytab (with --auth)\n"
"  --service-name NAME          service of the principal (default pegasus)\n"
"  --service-fqdn HOST          host of the principal (default 127.0.0.1)\n"
"  --super-users U1,U2          super users of the ACLs\n"
"  --acl                        enable_acl: meta super-user RPCs, replica\n"
"                               replica_access_controller.allowed_users\n"
"  --help                       this text\n";

static void
on_signal(int sig)
{
	onebox.stop_requested = 1;
}

static gboolean
parse_port(const char *s, int *port)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0 || v > 65535)
		return FALSE;
	*port = (int) v;
	return TRUE;
}

/* Comma list of ports into new endpoints of a kind */
static gboolean
add_endpoints(OneboxEndpointKind kind, const char *list)
{
	char	  **parts = g_strsplit(list, ",", -1);
	int			i;
	gboolean	ok = parts[0] != NULL;

	for (i = 0; ok && parts[i]; i++)
	{
		int			port;

		if (!parse_port(g_strstrip(parts[i]), &port) || onebox_endpoint_by_port(port))
		{
			fprintf(stderr, "pegasus-onebox: bad or duplicate port \"%s\"\n", parts[i]);
			ok = FALSE;
			break;
		}
		onebox_endpoint_new(kind, port, i);
	}
	g_strfreev(parts);
	return ok;
}

int
main(int argc, char **argv)
{
	const char *meta_ports = "34601";
	const char *replica_ports = "34801,34802,34803";
	const char *control_port = NULL;
	GPtrArray  *tables = g_ptr_array_new();
	gboolean	auth = FALSE;
	gboolean	enable_acl = FALSE;
	const char *keytab = NULL;
	const char *service_name = NULL;
	const char *service_fqdn = NULL;
	const char *super_users = NULL;
	struct sigaction sa;
	guint		i;
	int			a;

	onebox_cluster_init();
	for (a = 1; a < argc; a++)
	{
		const char *opt = argv[a];
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0)
		{
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(opt, "--acl") == 0)
		{
			enable_acl = TRUE;
			continue;
		}
		if (val == NULL)
		{
			fprintf(stderr, "pegasus-onebox: %s needs a value\n%s", opt, usage);
			return 2;
		}
		a++;
		if (strcmp(opt, "--meta-port") == 0)
			meta_ports = val;
		else if (strcmp(opt, "--replica-ports") == 0)
			replica_ports = val;
		else if (strcmp(opt, "--control-port") == 0)
			control_port = val;
		else if (strcmp(opt, "--table") == 0)
			g_ptr_array_add(tables, (gpointer) val);
		else if (strcmp(opt, "--auth") == 0 &&
				 (strcmp(val, "kerberos") == 0 || strcmp(val, "none") == 0))
			auth = strcmp(val, "kerberos") == 0;
		else if (strcmp(opt, "--keytab") == 0)
			keytab = val;
		else if (strcmp(opt, "--service-name") == 0)
			service_name = val;
		else if (strcmp(opt, "--service-fqdn") == 0)
			service_fqdn = val;
		else if (strcmp(opt, "--super-users") == 0)
			super_users = val;
		else if (strcmp(opt, "--rocksdb-filter-type") == 0 &&
				 (strcmp(val, "prefix") == 0 || strcmp(val, "common") == 0))
			onebox.prefix_iteration = strcmp(val, "prefix") == 0;
		else
		{
			fprintf(stderr, "pegasus-onebox: unknown option %s\n%s", opt, usage);
			return 2;
		}
	}

	if (auth && keytab == NULL)
	{
		fprintf(stderr, "pegasus-onebox: --auth kerberos needs --keytab FILE\n");
		return 2;
	}
	if (auth && !onebox_auth_init(keytab, service_name, service_fqdn))
		return 1;
	onebox_auth_set_acl(super_users, enable_acl);

	if (!add_endpoints(ONEBOX_EP_META, meta_ports) ||
		!add_endpoints(ONEBOX_EP_REPLICA, replica_ports))
		return 2;
	if (control_port != NULL)
	{
		int			port;

		if (!parse_port(control_port, &port) || onebox_endpoint_by_port(port))
		{
			fprintf(stderr, "pegasus-onebox: bad control port \"%s\"\n", control_port);
			return 2;
		}
		onebox_endpoint_new(ONEBOX_EP_CONTROL, port, 0);
	}

	for (i = 0; i < tables->len; i++)
	{
		const char *spec = tables->pdata[i];
		const char *colon = strrchr(spec, ':');
		char	   *name;
		char	   *end;
		long		n;
		PegasusErrorCode ec;

		if (colon == NULL || colon == spec)
		{
			fprintf(stderr, "pegasus-onebox: --table wants NAME:PARTITIONS, got \"%s\"\n", spec);
			return 2;
		}
		n = strtol(colon + 1, &end, 10);
		name = g_strndup(spec, (gsize) (colon - spec));
		if (*end != '\0' || n <= 0 || n > 65536 ||
			onebox_table_create(name, (gint32) n, MIN(3, (gint32) onebox.replicas->len),
								"pegasus", TRUE, NULL, &ec) == NULL)
		{
			fprintf(stderr, "pegasus-onebox: cannot create table \"%s\" (partition count must be a power of two)\n",
					spec);
			return 2;
		}
		g_free(name);
	}
	g_ptr_array_unref(tables);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!onebox_loop_init())
		return 1;
	for (i = 0; i < onebox.metas->len; i++)
		if (!onebox_endpoint_listen(onebox.metas->pdata[i]))
			return 1;
	for (i = 0; i < onebox.replicas->len; i++)
		if (!onebox_endpoint_listen(onebox.replicas->pdata[i]))
			return 1;
	if (onebox.control && !onebox_endpoint_listen(onebox.control))
		return 1;

	printf("ready\n");
	fflush(stdout);
	onebox_loop_run();
	onebox_log("stopping (violations: %" G_GUINT64_FORMAT ")", onebox.violations);
	return 0;
}
