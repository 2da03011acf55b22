/*-------------------------------------------------------------------------
 *
 * cli_commands.c
 *		pegasus-cli data and admin commands.
 *
 * src/tools/cli_commands.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"

typedef int (*CliCommandFn) (CliContext *ctx, PegasusTable *table, int argc,
							 char **argv, GPtrArray *keep);

static int
cmd_get(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusValue v;
	PegasusError err;

	if (!pegasus_table_get(t, cli_parse_bytes(argv[0], keep),
						   cli_parse_bytes(argv[1], keep), ctx->timeout_ms, &v, &err))
		return cli_report(&err);
	if (!v.found)
		return CLI_EXIT_NOT_FOUND;
	cli_print_bytes(ctx, v.value);
	putchar('\n');
	pegasus_value_free(&v);
	return CLI_EXIT_OK;
}

static int
cmd_set(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusError err;

	if (!pegasus_table_set(t, cli_parse_bytes(argv[0], keep),
						   cli_parse_bytes(argv[1], keep),
						   cli_parse_bytes(argv[2], keep), ctx->ttl,
						   ctx->timeout_ms, &err))
		return cli_report(&err);
	return CLI_EXIT_OK;
}

static int
cmd_del(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusError err;

	if (!pegasus_table_del(t, cli_parse_bytes(argv[0], keep),
						   cli_parse_bytes(argv[1], keep), ctx->timeout_ms, &err))
		return cli_report(&err);
	return CLI_EXIT_OK;
}

static int
cmd_exist(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusError err;
	bool		exists;

	if (!pegasus_table_exist(t, cli_parse_bytes(argv[0], keep),
							 cli_parse_bytes(argv[1], keep), ctx->timeout_ms,
							 &exists, &err))
		return cli_report(&err);
	printf("%s\n", exists ? "true" : "false");
	return CLI_EXIT_OK;
}

static int
cmd_ttl(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusError err;
	int32_t		ttl;

	if (!pegasus_table_ttl(t, cli_parse_bytes(argv[0], keep),
						   cli_parse_bytes(argv[1], keep), ctx->timeout_ms,
						   &ttl, &err))
		return cli_report(&err);
	printf("%d\n", ttl);
	return CLI_EXIT_OK;
}

static int
cmd_multi_get(CliContext *ctx, PegasusTable *t, int argc, char **argv,
			  GPtrArray *keep)
{
	PegasusError err;
	PegasusKVList *list;
	PegasusSlice *sks = g_new0(PegasusSlice, MAX(argc, 1));
	int			i;
	size_t		j;
	bool		ok;

	for (i = 1; i < argc; i++)
		sks[i - 1] = cli_parse_bytes(argv[i], keep);
	ok = pegasus_table_multi_get(t, cli_parse_bytes(argv[0], keep), sks,
								 argc - 1, NULL, ctx->timeout_ms, &list, &err);
	g_free(sks);
	if (!ok)
		return cli_report(&err);
	for (j = 0; j < list->count; j++)
		cli_print_row(ctx, list->items[j].hash_key, list->items[j].sort_key,
					  list->items[j].value);
	pegasus_kvlist_free(list);
	return CLI_EXIT_OK;
}

static int
cmd_multi_set(CliContext *ctx, PegasusTable *t, int argc, char **argv,
			  GPtrArray *keep)
{
	PegasusError err;
	int			n = (argc - 1) / 2;
	PegasusSlice *sks;
	PegasusSlice *vals;
	int			i;
	bool		ok;

	if (argc < 3 || (argc - 1) % 2 != 0)
		return cli_fail("multi_set needs HASH_KEY followed by SORT_KEY VALUE pairs");
	sks = g_new(PegasusSlice, n);
	vals = g_new(PegasusSlice, n);
	for (i = 0; i < n; i++)
	{
		sks[i] = cli_parse_bytes(argv[1 + 2 * i], keep);
		vals[i] = cli_parse_bytes(argv[2 + 2 * i], keep);
	}
	ok = pegasus_table_multi_set(t, cli_parse_bytes(argv[0], keep), sks, vals,
								 n, ctx->ttl, ctx->timeout_ms, &err);
	g_free(sks);
	g_free(vals);
	return ok ? CLI_EXIT_OK : cli_report(&err);
}

static int
cmd_multi_del(CliContext *ctx, PegasusTable *t, int argc, char **argv,
			  GPtrArray *keep)
{
	PegasusError err;
	PegasusSlice *sks = g_new(PegasusSlice, argc);
	int			i;
	bool		ok;

	for (i = 1; i < argc; i++)
		sks[i - 1] = cli_parse_bytes(argv[i], keep);
	ok = pegasus_table_multi_del(t, cli_parse_bytes(argv[0], keep), sks,
								 argc - 1, ctx->timeout_ms, NULL, &err);
	g_free(sks);
	return ok ? CLI_EXIT_OK : cli_report(&err);
}

static int
cmd_sortkey_count(CliContext *ctx, PegasusTable *t, int argc, char **argv,
				  GPtrArray *keep)
{
	PegasusError err;
	int64_t		count;

	if (!pegasus_table_sortkey_count(t, cli_parse_bytes(argv[0], keep),
									 ctx->timeout_ms, &count, &err))
		return cli_report(&err);
	printf("%lld\n", (long long) count);
	return CLI_EXIT_OK;
}

static int
cmd_incr(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusError err;
	long long	delta = 1;
	int64_t		nv;
	char	   *end;

	if (argc == 3)
	{
		delta = strtoll(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0')
			return cli_fail("DELTA must be an integer");
	}
	if (!pegasus_table_incr(t, cli_parse_bytes(argv[0], keep),
							cli_parse_bytes(argv[1], keep), delta, ctx->ttl,
							ctx->timeout_ms, &nv, &err))
		return cli_report(&err);
	printf("%lld\n", (long long) nv);
	return CLI_EXIT_OK;
}

static int
cmd_check_and_set(CliContext *ctx, PegasusTable *t, int argc, char **argv,
				  GPtrArray *keep)
{
	PegasusError err;
	PegasusCheckType ct;
	PegasusCheckAndSetOptions o;
	PegasusCheckResult r;

	if (!cli_parse_check_type(argv[2], &ct))
		return cli_fail("unknown check type \"%s\"", argv[2]);
	o.set_ttl_seconds = ctx->ttl;
	o.return_check_value = true;
	if (!pegasus_table_check_and_set(t, cli_parse_bytes(argv[0], keep),
									 cli_parse_bytes(argv[1], keep), ct,
									 cli_parse_bytes(argv[3], keep),
									 cli_parse_bytes(argv[4], keep),
									 cli_parse_bytes(argv[5], keep), &o,
									 ctx->timeout_ms, &r, &err))
		return cli_report(&err);
	printf("%s\n", r.succeeded ? "succeeded" : "failed");
	pegasus_check_result_free(&r);
	return CLI_EXIT_OK;
}

static int
print_scanner(CliContext *ctx, PegasusScanner *s)
{
	PegasusScanRow row;
	PegasusError err;
	int			r;

	while ((r = pegasus_scanner_next(s, &row, &err)) == 1)
		cli_print_row(ctx, row.hash_key, row.sort_key, row.value);
	pegasus_scanner_close(s);
	if (r < 0)
		return cli_report(&err);
	return CLI_EXIT_OK;
}

static int
cmd_scan(CliContext *ctx, PegasusTable *t, int argc, char **argv, GPtrArray *keep)
{
	PegasusScanOptions o;
	PegasusError err;
	PegasusScanner *s;
	PegasusSlice empty = {NULL, 0};

	pegasus_scan_options_init(&o);
	o.batch_size = ctx->batch;
	o.max_concurrency = ctx->concurrency;
	o.timeout_ms = ctx->timeout_ms;
	if (argc == 0)
		s = pegasus_table_get_partition_scanner(t, NULL, 0, &o, &err);
	else
		s = pegasus_table_get_scanner(t, cli_parse_bytes(argv[0], keep),
									  argc > 1 ? cli_parse_bytes(argv[1], keep) : empty,
									  argc > 2 ? cli_parse_bytes(argv[2], keep) : empty,
									  &o, &err);
	if (s == NULL)
		return cli_report(&err);
	return print_scanner(ctx, s);
}

static const char *
status_name(int32_t status)
{
	switch (status)
	{
		case 1:
			return "available";
		case 2:
			return "creating";
		case 4:
			return "dropping";
		case 6:
			return "dropped";
		case 7:
			return "recalling";
		default:
			return "unknown";
	}
}

static int
cmd_list_apps(CliContext *ctx)
{
	PegasusAppList *list;
	PegasusError err;
	size_t		i;

	if (!pegasus_client_list_apps(ctx->client, false, ctx->timeout_ms, &list, &err))
		return cli_report(&err);
	for (i = 0; i < list->count; i++)
		printf("%s\t%d\t%d\t%s\n", list->apps[i].name, list->apps[i].app_id,
			   list->apps[i].partition_count, status_name(list->apps[i].status));
	pegasus_app_list_free(list);
	return CLI_EXIT_OK;
}

static int
cmd_create_app(CliContext *ctx, const char *name)
{
	PegasusAppCreateOptions o;
	PegasusError err;
	int32_t		app_id;

	pegasus_create_app_options_init(&o);
	o.partition_count = ctx->partitions;
	o.replica_count = ctx->replicas;
	if (!pegasus_client_create_app(ctx->client, name, &o, ctx->timeout_ms,
								   &app_id, &err))
		return cli_report(&err);
	printf("%d\n", app_id);
	return CLI_EXIT_OK;
}

static int
cmd_drop_app(CliContext *ctx, const char *name)
{
	PegasusError err;

	if (!pegasus_client_drop_app(ctx->client, name, false, ctx->timeout_ms, &err))
		return cli_report(&err);
	return CLI_EXIT_OK;
}

typedef struct CliCommand
{
	const char *name;
	int			min_args;
	int			max_args;		/* -1: unlimited */
	CliCommandFn fn;
} CliCommand;

static const CliCommand table_commands[] = {
	{"get", 2, 2, cmd_get},
	{"set", 3, 3, cmd_set},
	{"del", 2, 2, cmd_del},
	{"exist", 2, 2, cmd_exist},
	{"ttl", 2, 2, cmd_ttl},
	{"multi_get", 1, -1, cmd_multi_get},
	{"multi_set", 3, -1, cmd_multi_set},
	{"multi_del", 2, -1, cmd_multi_del},
	{"sortkey_count", 1, 1, cmd_sortkey_count},
	{"incr", 2, 3, cmd_incr},
	{"check_and_set", 6, 6, cmd_check_and_set},
	{"scan", 0, 3, cmd_scan},
};

int
cli_run_command(CliContext *ctx, int argc, char **argv)
{
	const char *cmd = argv[0];
	size_t		i;

	if (strcmp(cmd, "list_apps") == 0)
		return cmd_list_apps(ctx);
	if (strcmp(cmd, "create_app") == 0 || strcmp(cmd, "drop_app") == 0)
	{
		const char *name = argc > 1 ? argv[1] : ctx->table_name;

		if (name == NULL)
			return cli_fail("%s needs a table name", cmd);
		return cmd[0] == 'c' ? cmd_create_app(ctx, name) : cmd_drop_app(ctx, name);
	}
	if (strcmp(cmd, "bench") == 0)
		return cli_bench(ctx, argc - 1, argv + 1);

	for (i = 0; i < G_N_ELEMENTS(table_commands); i++)
	{
		const CliCommand *c = &table_commands[i];

		if (strcmp(cmd, c->name) == 0)
		{
			PegasusError err;
			PegasusTable *t;
			GPtrArray  *keep;
			int			rc;

			if (argc - 1 < c->min_args ||
				(c->max_args >= 0 && argc - 1 > c->max_args))
				return cli_fail("wrong number of arguments for %s", cmd);
			t = cli_open_table(ctx, &err);
			if (t == NULL)
				return cli_report(&err);
			keep = g_ptr_array_new_with_free_func(g_free);
			rc = c->fn(ctx, t, argc - 1, argv + 1, keep);
			g_ptr_array_free(keep, TRUE);
			fflush(stdout);
			return rc;
		}
	}
	return cli_fail("unknown command \"%s\"", cmd);
}
