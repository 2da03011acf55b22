/*-------------------------------------------------------------------------
 *
 * cli_bench.c
 *		pegasus-cli bench: raw client throughput.
 *
 *	bench load N	N rows written as multi_set groups (fan-out)
 *	bench get N		N sequential gets of loaded rows
 *	bench pget N	N gets with --window requests in flight
 *	bench scan		whole-table scan with --concurrency partitions in flight
 *
 * Rows written by "load" have hash keys "bench_<i>" and sort keys
 * "s_<j>"; the get benchmarks read the same keys.  Every benchmark ends
 * with "result: <name> <number> <unit>".  pget drives the client's
 * internal call layer directly (it is the only way to keep many single
 * gets in flight), so it includes client_internal.h.
 *
 * src/tools/cli_bench.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "client_internal.h"

#define SORT_KEYS_PER_HASH 10

static double
seconds_since(int64_t start_us)
{
	return (g_get_monotonic_time() - start_us) / 1e6;
}

static void
print_stats(PegasusClient *client)
{
	PegasusStats st;

	pegasus_client_get_stats(client, &st);
	printf("rpcs %llu, bytes sent %llu, bytes received %llu, rows received %llu, retries %llu\n",
		   (unsigned long long) st.rpcs_sent, (unsigned long long) st.bytes_sent,
		   (unsigned long long) st.bytes_received,
		   (unsigned long long) st.rows_received,
		   (unsigned long long) st.retries);
}

/* The i-th row's keys. */
static void
row_keys(long i, char *hk, size_t hklen, char *sk, size_t sklen)
{
	snprintf(hk, hklen, "bench_%ld", i / SORT_KEYS_PER_HASH);
	snprintf(sk, sklen, "s_%ld", i % SORT_KEYS_PER_HASH);
}

static int
bench_load(CliContext *ctx, PegasusTable *t, long n)
{
	long		groups_per_batch = 100;
	long		ngroups = (n + SORT_KEYS_PER_HASH - 1) / SORT_KEYS_PER_HASH;
	char	   *value = g_malloc(ctx->value_size + 1);
	int64_t		start = g_get_monotonic_time();
	long		g;
	double		secs;

	memset(value, 'v', ctx->value_size);
	for (g = 0; g < ngroups; g += groups_per_batch)
	{
		long		nb = MIN(groups_per_batch, ngroups - g);
		PegasusWriteGroup *groups = g_new0(PegasusWriteGroup, nb);
		PegasusSlice *sks = g_new0(PegasusSlice, nb * SORT_KEYS_PER_HASH);
		PegasusSlice *vals = g_new0(PegasusSlice, nb * SORT_KEYS_PER_HASH);
		GPtrArray  *keep = g_ptr_array_new_with_free_func(g_free);
		PegasusError err;
		long		k;
		bool		ok;

		for (k = 0; k < nb; k++)
		{
			long		first = (g + k) * SORT_KEYS_PER_HASH;
			long		cnt = MIN(SORT_KEYS_PER_HASH, n - first);
			long		j;
			char	   *hk = g_strdup_printf("bench_%ld", g + k);

			g_ptr_array_add(keep, hk);
			groups[k].kind = PEGASUS_WRITE_MULTI_SET;
			groups[k].hash_key.data = hk;
			groups[k].hash_key.len = strlen(hk);
			groups[k].sort_keys = &sks[k * SORT_KEYS_PER_HASH];
			groups[k].values = &vals[k * SORT_KEYS_PER_HASH];
			groups[k].count = cnt;
			for (j = 0; j < cnt; j++)
			{
				char	   *sk = g_strdup_printf("s_%ld", j);

				g_ptr_array_add(keep, sk);
				sks[k * SORT_KEYS_PER_HASH + j].data = sk;
				sks[k * SORT_KEYS_PER_HASH + j].len = strlen(sk);
				vals[k * SORT_KEYS_PER_HASH + j].data = value;
				vals[k * SORT_KEYS_PER_HASH + j].len = ctx->value_size;
			}
		}
		ok = pegasus_table_write_groups(t, groups, nb, ctx->timeout_ms, &err);
		g_ptr_array_free(keep, TRUE);
		g_free(groups);
		g_free(sks);
		g_free(vals);
		if (!ok)
		{
			g_free(value);
			return cli_report(&err);
		}
	}
	secs = seconds_since(start);
	g_free(value);
	print_stats(ctx->client);
	printf("loaded %ld rows in %.3f s\n", n, secs);
	printf("result: load %.0f rows/s\n", n / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

static int
bench_get(CliContext *ctx, PegasusTable *t, long n)
{
	int64_t		start = g_get_monotonic_time();
	long		found = 0;
	long		i;
	double		secs;

	for (i = 0; i < n; i++)
	{
		char		hk[64];
		char		sk[64];
		PegasusSlice h;
		PegasusSlice s;
		PegasusValue v;
		PegasusError err;

		row_keys(i, hk, sizeof(hk), sk, sizeof(sk));
		h.data = hk;
		h.len = strlen(hk);
		s.data = sk;
		s.len = strlen(sk);
		if (!pegasus_table_get(t, h, s, ctx->timeout_ms, &v, &err))
			return cli_report(&err);
		found += v.found;
		pegasus_value_free(&v);
	}
	secs = seconds_since(start);
	print_stats(ctx->client);
	printf("%ld gets, %ld found, %.3f s\n", n, found, secs);
	printf("result: get %.0f ops/s\n", n / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

typedef struct PgetSlot
{
	PegasusCall call;
	GByteArray *key;
	bool		busy;
} PgetSlot;

static int
bench_pget(CliContext *ctx, PegasusTable *t, long n)
{
	int			w = MAX(1, ctx->window);
	PgetSlot   *slots = g_new0(PgetSlot, w);
	PegasusCall **calls = g_new0(PegasusCall *, w);
	int64_t		start = g_get_monotonic_time();
	long		issued = 0;
	long		completed = 0;
	long		found = 0;
	int			i;
	int			rc = CLI_EXIT_OK;
	double		secs;

	for (i = 0; i < w; i++)
		slots[i].key = g_byte_array_new();
	while (completed < n)
	{
		int64_t		deadline = INT64_MAX;

		for (i = 0; i < w; i++)
		{
			PgetSlot   *sl = &slots[i];

			if (!sl->busy && issued < n)
			{
				char		hk[64];
				char		sk[64];

				row_keys(issued++, hk, sizeof(hk), sk, sizeof(sk));
				g_byte_array_set_size(sl->key, 0);
				pegasus_codec_key_encode(hk, strlen(hk), sk, strlen(sk), sl->key);
				pegasus_call_init(&sl->call, t, PEGASUS_RPC_GET, "get", true,
								  pegasus_codec_key_partition_hash(sl->key->data, sl->key->len),
								  pegasus_deadline(ctx->client, ctx->timeout_ms));
				sl->call.req.u.key = pegasus_codec_blob(sl->key->data, sl->key->len);
				sl->busy = true;
			}
			calls[i] = sl->busy ? &sl->call : NULL;
			if (sl->busy && sl->call.deadline < deadline)
				deadline = sl->call.deadline;
		}
		if (pegasus_calls_step(calls, w, deadline) < 0)
		{
			rc = cli_fail("interrupted");
			break;
		}
		for (i = 0; i < w; i++)
		{
			PgetSlot   *sl = &slots[i];

			if (!sl->busy || !pegasus_call_finished(&sl->call))
				continue;
			if (sl->call.state == PEGASUS_CALL_FAILED)
			{
				rc = cli_report(&sl->call.err);
				completed = n;
			}
			else
			{
				found += (sl->call.reply->resp.u.get.error == 0);
				completed++;
			}
			pegasus_call_cleanup(&sl->call);
			sl->busy = false;
		}
	}
	secs = seconds_since(start);
	for (i = 0; i < w; i++)
	{
		if (slots[i].busy)
			pegasus_call_cleanup(&slots[i].call);
		g_byte_array_free(slots[i].key, TRUE);
	}
	g_free(slots);
	g_free(calls);
	if (rc != CLI_EXIT_OK)
		return rc;
	print_stats(ctx->client);
	printf("%ld gets, %ld found, window %d, %.3f s\n", n, found, w, secs);
	printf("result: pget %.0f ops/s\n", n / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

static int
bench_scan(CliContext *ctx, PegasusTable *t)
{
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusScanRow row;
	PegasusError err;
	int64_t		start = g_get_monotonic_time();
	long		rows = 0;
	int			r;
	double		secs;

	pegasus_scan_options_init(&o);
	o.batch_size = ctx->batch;
	o.max_concurrency = ctx->concurrency;
	o.timeout_ms = ctx->timeout_ms;
	s = pegasus_table_get_partition_scanner(t, NULL, 0, &o, &err);
	if (s == NULL)
		return cli_report(&err);
	while ((r = pegasus_scanner_next(s, &row, &err)) == 1)
		rows++;
	pegasus_scanner_close(s);
	if (r < 0)
		return cli_report(&err);
	secs = seconds_since(start);
	print_stats(ctx->client);
	printf("%ld rows, concurrency %d, batch %d, %.3f s\n", rows,
		   ctx->concurrency, ctx->batch, secs);
	printf("result: scan %.0f rows/s\n", rows / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

int
cli_bench(CliContext *ctx, int argc, char **argv)
{
	PegasusError err;
	PegasusTable *t;
	long		n = 0;

	if (argc < 1)
		return cli_fail("bench needs a benchmark name: load, get, pget or scan");
	if (strcmp(argv[0], "scan") != 0)
	{
		char	   *end;

		if (argc < 2)
			return cli_fail("bench %s needs a count", argv[0]);
		n = strtol(argv[1], &end, 10);
		if (*end != '\0' || n <= 0)
			return cli_fail("the count must be a positive integer");
	}
	t = cli_open_table(ctx, &err);
	if (t == NULL)
		return cli_report(&err);
	pegasus_client_reset_stats(ctx->client);
	if (strcmp(argv[0], "load") == 0)
		return bench_load(ctx, t, n);
	if (strcmp(argv[0], "get") == 0)
		return bench_get(ctx, t, n);
	if (strcmp(argv[0], "pget") == 0)
		return bench_pget(ctx, t, n);
	if (strcmp(argv[0], "scan") == 0)
		return bench_scan(ctx, t);
	return cli_fail("unknown benchmark \"%s\"", argv[0]);
}
