/*-------------------------------------------------------------------------
 *
 * pegasus-cli.c
 *		Command-line front end over the embedded Pegasus client.
 *
 *	pegasus-cli --meta HOST:PORT[,HOST:PORT...] --table NAME COMMAND ARGS
 *
 * Keys and values are plain text, or hex when prefixed with 0x.  Output is
 * plain text unless --hex (lower-case hex for every key and value).  Exit
 * status: 0 success, 1 when get finds nothing, 2 on error (message on
 * stderr).  The bench commands print a last line
 * "result: <name> <number> <unit>".
 *
 * src/tools/pegasus-cli.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pegasus_client.h"
#include "cli.h"

static const char usage_text[] =
"Usage: pegasus-cli --meta HOST:PORT[,HOST:PORT...] [--table NAME] [OPTION]... COMMAND [ARG]...\n"
"\n"
"Commands (keys and values: text, or hex with a 0x prefix):\n"
"  get HASH_KEY SORT_KEY            print the value (exit 1 if absent)\n"
"  set HASH_KEY SORT_KEY VALUE      write a value (--ttl SECONDS)\n"
"  del HASH_KEY SORT_KEY            delete a value\n"
"  exist HASH_KEY SORT_KEY          print true or false\n"
"  ttl HASH_KEY SORT_KEY            print the remaining TTL (-1 none, -2 absent)\n"
"  multi_get HASH_KEY [SORT_KEY]... print hash_key<TAB>sort_key<TAB>value lines\n"
"  multi_set HASH_KEY SORT_KEY VALUE [SORT_KEY VALUE]...   (--ttl SECONDS)\n"
"  multi_del HASH_KEY SORT_KEY [SORT_KEY]...\n"
"  sortkey_count HASH_KEY           print the number of sort keys\n"
"  incr HASH_KEY SORT_KEY [DELTA]   add DELTA (default 1), print the new value\n"
"                                   (--ttl: 0 keep, >0 set, -1 clear)\n"
"  check_and_set HASH_KEY CHECK_SORT_KEY CHECK_TYPE OPERAND SET_SORT_KEY SET_VALUE\n"
"                                   CHECK_TYPE: a number 0..17 or a name such as\n"
"                                   no_check, value_not_exist, value_exist,\n"
"                                   match_prefix, bytes_equal, int_less ...\n"
"                                   prints \"succeeded\" or \"failed\"\n"
"  scan [HASH_KEY [START [STOP]]]   print hash_key<TAB>sort_key<TAB>value lines;\n"
"                                   the whole table when no hash key is given\n"
"  list_apps                        print name<TAB>app_id<TAB>partitions<TAB>status\n"
"  create_app [NAME]                create a table (--partitions N, --replicas N)\n"
"  drop_app [NAME]                  drop a table\n"
"  bench load N [HASH_KEY]          load N rows with multi_set fan-out: row i has\n"
"                                   hash key i/K and sort key i%K (--sort-keys K,\n"
"                                   default 10), or all under HASH_KEY with sort\n"
"                                   keys s00000000...; values --value-size B bytes\n"
"  bench get N                      N sequential gets of random rows among the\n"
"                                   first --rows R (default N)\n"
"  bench pget N                     N gets, --window W in flight (default 64)\n"
"  bench mget N                     N rows spread over the first --rows R, read\n"
"                                   with batch_get, --batch keys a call\n"
"  bench scan                       unordered scan of the whole table\n"
"  bench range HASH_KEY [START]     sort keys of HASH_KEY from START on, in\n"
"                                   multi_get_range pages of --batch rows\n"
"\n"
"Options:\n"
"  --meta LIST        meta servers (required)\n"
"  --table NAME       table for data commands\n"
"  --hex              print keys and values as lower-case hex\n"
"  --ttl SECONDS      TTL for set, multi_set and incr\n"
"  --timeout MS       per-call deadline (default 5000)\n"
"  --partitions N     partition count for create_app (default 8)\n"
"  --replicas N       replica count for create_app (default 1)\n"
"  --concurrency N    partitions scanned at once by scan/bench scan (default 4)\n"
"  --batch N          rows per scan batch or range page, keys per batch_get\n"
"                     (default 1000)\n"
"  --kerberos-principal P   authenticate every connection with Kerberos\n"
"  --kerberos-keytab FILE   as P, with keys from FILE (private ticket cache)\n"
"  --kerberos-ccache FILE   or with the tickets of this credential cache\n"
"  --kerberos-service-name N  service of the servers' principal (default\n"
"                     pegasus)\n"
"  --kerberos-service-fqdn H  host of the servers' principal (default: each\n"
"                     server's host)\n"
"  --help             this text\n"
"Options may also follow the command; \"--\" ends them.\n";

static int
usage_error(const char *msg)
{
	fprintf(stderr, "pegasus-cli: %s\n", msg);
	fprintf(stderr, "Try \"pegasus-cli --help\".\n");
	return CLI_EXIT_ERROR;
}

static bool
parse_int_arg(const char *s, long long *out)
{
	char	   *end;

	if (s == NULL || *s == '\0')
		return false;
	*out = strtoll(s, &end, 10);
	return *end == '\0';
}

int
main(int argc, char **argv)
{
	CliContext ctx;
	int			i;
	int			npos = 0;
	bool		options_done = false;
	char	  **pos;
	int			rc;
	PegasusError err;
	PegasusClientOptions copts;

	memset(&ctx, 0, sizeof(ctx));
	pegasus_client_options_init(&copts);
	ctx.timeout_ms = 5000;
	ctx.partitions = 8;
	ctx.replicas = 1;
	ctx.window = 64;
	ctx.concurrency = 4;
	ctx.batch = 1000;
	ctx.value_size = 100;
	ctx.hash_keys = 0;

	/* Options may come before or after the command and its arguments. */
	pos = calloc(argc, sizeof(char *));
	if (pos == NULL)
		return usage_error("out of memory");
	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		long long	v;

		if (options_done || strncmp(a, "--", 2) != 0)
		{
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0)
		{
			options_done = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(a, "--hex") == 0)
		{
			ctx.hex = true;
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("an option is missing its value");
		if (strcmp(a, "--meta") == 0)
			ctx.meta = argv[++i];
		else if (strcmp(a, "--table") == 0)
			ctx.table_name = argv[++i];
		else if (strcmp(a, "--kerberos-principal") == 0)
			copts.kerberos_principal = argv[++i];
		else if (strcmp(a, "--kerberos-keytab") == 0)
			copts.kerberos_keytab = argv[++i];
		else if (strcmp(a, "--kerberos-ccache") == 0)
			copts.kerberos_ccache = argv[++i];
		else if (strcmp(a, "--kerberos-service-name") == 0)
			copts.kerberos_service_name = argv[++i];
		else if (strcmp(a, "--kerberos-service-fqdn") == 0)
			copts.kerberos_service_fqdn = argv[++i];
		else if (parse_int_arg(argv[i + 1], &v))
		{
			i++;
			if (strcmp(a, "--ttl") == 0)
				ctx.ttl = (int32_t) v;
			else if (strcmp(a, "--timeout") == 0 && v > 0)
				ctx.timeout_ms = (int) v;
			else if (strcmp(a, "--partitions") == 0 && v > 0)
				ctx.partitions = (int) v;
			else if (strcmp(a, "--replicas") == 0 && v > 0)
				ctx.replicas = (int) v;
			else if (strcmp(a, "--window") == 0 && v > 0)
				ctx.window = (int) v;
			else if (strcmp(a, "--concurrency") == 0 && v > 0)
				ctx.concurrency = (int) v;
			else if (strcmp(a, "--batch") == 0 && v > 0)
				ctx.batch = (int) v;
			else if (strcmp(a, "--value-size") == 0 && v >= 0)
				ctx.value_size = (int) v;
			else if (strcmp(a, "--hash-keys") == 0 && v > 0)
				ctx.hash_keys = (int) v;
			else if (strcmp(a, "--sort-keys") == 0 && v > 0)
				ctx.sort_keys = (int) v;
			else if (strcmp(a, "--rows") == 0 && v > 0)
				ctx.rows = (long) v;
			else
				return usage_error("unknown option or bad value");
		}
		else
			return usage_error("unknown option or bad value");
	}
	if (ctx.meta == NULL)
		return usage_error("--meta is required");
	if (npos == 0)
		return usage_error("no command given");

	if (copts.kerberos_principal || copts.kerberos_keytab || copts.kerberos_ccache)
		copts.auth = PEGASUS_AUTH_KERBEROS;
	if (copts.kerberos_keytab && !copts.kerberos_principal)
		return usage_error("--kerberos-keytab needs --kerberos-principal");
	copts.operation_timeout_ms = ctx.timeout_ms;
	ctx.client = pegasus_client_new(ctx.meta, &copts, &err);
	if (ctx.client == NULL)
		return cli_report(&err);
	rc = cli_run_command(&ctx, npos, pos);
	pegasus_client_free(ctx.client);
	free(pos);
	return rc;
}
