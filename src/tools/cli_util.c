/*-------------------------------------------------------------------------
 *
 * cli_util.c
 *		pegasus-cli helpers: argument bytes, output, error reporting.
 *
 * src/tools/cli_util.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"

int
cli_report(const PegasusError *err)
{
	fprintf(stderr, "pegasus-cli: %s", err->message);
	if (err->server_error[0] != '\0' &&
		strstr(err->message, err->server_error) == NULL)
		fprintf(stderr, " (%s)", err->server_error);
	/* The client's message usually says so already. */
	if (err->outcome_unknown && strstr(err->message, "may or may not") == NULL)
		fprintf(stderr, " The write may or may not have been applied.");
	fprintf(stderr, "\n");
	return CLI_EXIT_ERROR;
}

int
cli_fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "pegasus-cli: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return CLI_EXIT_ERROR;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Bytes of a command-line argument: text, or hex after "0x".  Decoded hex
 * is kept in keep (freed by the caller).  A malformed hex string is taken
 * as text.
 */
PegasusSlice
cli_parse_bytes(const char *arg, GPtrArray *keep)
{
	PegasusSlice s;
	size_t		len = strlen(arg);

	if (len >= 2 && arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X') &&
		len % 2 == 0)
	{
		size_t		n = (len - 2) / 2;
		guint8	   *buf = g_malloc(n + 1);
		size_t		i;
		bool		ok = true;

		for (i = 0; i < n; i++)
		{
			int			hi = hexval((unsigned char) arg[2 + 2 * i]);
			int			lo = hexval((unsigned char) arg[3 + 2 * i]);

			if (hi < 0 || lo < 0)
			{
				ok = false;
				break;
			}
			buf[i] = (guint8) (hi << 4 | lo);
		}
		if (ok)
		{
			g_ptr_array_add(keep, buf);
			s.data = buf;
			s.len = n;
			return s;
		}
		g_free(buf);
	}
	s.data = arg;
	s.len = len;
	return s;
}

void
cli_print_bytes(const CliContext *ctx, PegasusSlice s)
{
	size_t		i;

	if (ctx->hex)
	{
		for (i = 0; i < s.len; i++)
			printf("%02x", ((const unsigned char *) s.data)[i]);
	}
	else if (s.len > 0)
		fwrite(s.data, 1, s.len, stdout);
}

void
cli_print_row(const CliContext *ctx, PegasusSlice hk, PegasusSlice sk,
			  PegasusSlice value)
{
	cli_print_bytes(ctx, hk);
	putchar('\t');
	cli_print_bytes(ctx, sk);
	putchar('\t');
	cli_print_bytes(ctx, value);
	putchar('\n');
}

PegasusTable *
cli_open_table(CliContext *ctx, PegasusError *err)
{
	if (ctx->table_name == NULL)
	{
		pegasus_error_clear(err);
		err->code = PEGASUS_ERR_INVALID_ARGUMENT;
		g_strlcpy(err->message, "This command needs --table NAME.",
				  sizeof(err->message));
		return NULL;
	}
	return pegasus_client_open_table(ctx->client, ctx->table_name,
									 ctx->timeout_ms, err);
}

static const char *const check_names[] = {
	"no_check", "value_not_exist", "value_not_exist_or_empty", "value_exist",
	"value_not_empty", "match_anywhere", "match_prefix", "match_postfix",
	"bytes_less", "bytes_less_or_equal", "bytes_equal",
	"bytes_greater_or_equal", "bytes_greater", "int_less", "int_less_or_equal",
	"int_equal", "int_greater_or_equal", "int_greater"
};

bool
cli_parse_check_type(const char *s, PegasusCheckType *out)
{
	int			i;
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (*s != '\0' && *end == '\0' && v >= 0 && v <= 17)
	{
		*out = (PegasusCheckType) v;
		return true;
	}
	for (i = 0; i <= 17; i++)
		if (g_ascii_strcasecmp(s, check_names[i]) == 0 ||
			(g_ascii_strncasecmp(s, "ct_value_", 9) == 0 &&
			 g_ascii_strcasecmp(s + 9, check_names[i]) == 0))
		{
			*out = (PegasusCheckType) i;
			return true;
		}
	return false;
}
