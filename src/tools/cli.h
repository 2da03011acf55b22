/*-------------------------------------------------------------------------
 *
 * cli.h
 *		Shared declarations of pegasus-cli's source files.
 *
 * src/tools/cli.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLI_H
#define PEGASUS_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "pegasus_client.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_NOT_FOUND 1
#define CLI_EXIT_ERROR 2

typedef struct CliContext
{
	const char *meta;
	const char *table_name;
	bool		hex;
	int32_t		ttl;
	int			timeout_ms;
	int			partitions;
	int			replicas;
	int			window;
	int			concurrency;
	int			batch;
	int			value_size;
	int			hash_keys;
	int			sort_keys;		/* bench: sort keys per hash key */
	long		rows;			/* bench: rows the readers pick from */
	PegasusClient *client;
} CliContext;

/* in cli_util.c */
extern int	cli_report(const PegasusError *err);
extern int	cli_fail(const char *fmt,...) G_GNUC_PRINTF(1, 2);
extern PegasusSlice cli_parse_bytes(const char *arg, GPtrArray *keep);
extern void cli_print_bytes(const CliContext *ctx, PegasusSlice s);
extern void cli_print_row(const CliContext *ctx, PegasusSlice hk,
						  PegasusSlice sk, PegasusSlice value);
extern PegasusTable *cli_open_table(CliContext *ctx, PegasusError *err);
extern bool cli_parse_check_type(const char *s, PegasusCheckType *out);

/* in cli_commands.c */
extern int	cli_run_command(CliContext *ctx, int argc, char **argv);

/* in cli_bench.c */
extern int	cli_bench(CliContext *ctx, int argc, char **argv);

#endif							/* PEGASUS_CLI_H */
