/*-------------------------------------------------------------------------
 *
 * cli_bench.c
 *		pegasus-cli bench: raw client throughput.
 *
 *	bench load N [HASH_KEY]	N rows written as multi_set groups, a few rounds
 *					of them in flight (write pipe)
 *	bench get N			N sequential gets of random loaded rows
 *	bench pget N		N gets with --window requests in flight
 *	bench mget N		N loaded rows read with batch_get, --batch keys a call
 *	bench scan			whole-table scan with --concurrency partitions in flight
 *	bench range HASH_KEY [START]
 *						the sort keys of HASH_KEY from START on, in
 *						multi_get_range pages of --batch rows (range reader)
 *
 * Row i of "load N" has hash key "<i / K>" and sort key "<i % K>" (decimal
 * text, K = --sort-keys, default 10), so that SQL benchmarks can name keys
 * with numeric parameters; with a HASH_KEY every row goes under it with
 * sort key "s%08d".  Values are --value-size bytes of 'v'.  The readers use
 * the same mapping over the first --rows rows (default N): get picks random
 * rows (fixed seed), mget every (rows / N)-th row.  Every benchmark ends
 * with "result: <name> <number> <unit>"; readers also print the rows found
 * and the total value length, to compare with the same query in SQL.  pget
 * drives the client's internal call layer directly (it is the only way to
 * keep many single gets in flight), so it includes client_internal.h.
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

#define BENCH_SEED 20240601

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

static int
sort_keys_per_hash(CliContext *ctx)
{
	return ctx->sort_keys > 0 ? ctx->sort_keys : 10;
}

/* The i-th row's keys (see the header comment). */
static void
row_keys(CliContext *ctx, long i, char *hk, size_t hklen, char *sk, size_t sklen)
{
	int			k = sort_keys_per_hash(ctx);

	snprintf(hk, hklen, "%ld", i / k);
	snprintf(sk, sklen, "%ld", i % k);
}

static PegasusSlice
slice_of(const char *s)
{
	PegasusSlice sl;

	sl.data = s;
	sl.len = strlen(s);
	return sl;
}

/* rounds of groups in flight at once during a load */
#define LOAD_WINDOW 4

/*
 * Loads n rows: groups of one hash key's sort keys (at most 1000 rows a
 * group), 100 groups a round (20 under a single hash key), LOAD_WINDOW
 * rounds in flight through a write pipe.
 */
static int
bench_load(CliContext *ctx, PegasusTable *t, long n, const char *single_hash)
{
	long		per_group = single_hash ? 1000 : sort_keys_per_hash(ctx);
	long		groups_per_round = single_hash ? 20 : 100;
	long		ngroups = (n + per_group - 1) / per_group;
	long		nslots = LOAD_WINDOW + 1;
	char	   *value = g_malloc(ctx->value_size + 1);
	int64_t		start = g_get_monotonic_time();
	PegasusWriteGroup *groups = g_new0(PegasusWriteGroup, nslots * groups_per_round);
	PegasusSlice *sks = g_new0(PegasusSlice, nslots * groups_per_round * per_group);
	PegasusSlice *vals = g_new0(PegasusSlice, nslots * groups_per_round * per_group);
	char	   *keybuf = g_malloc(nslots * groups_per_round * (per_group + 1) * 24);
	PegasusWritePipe *pipe = pegasus_write_pipe_new(t, 256, 8 << 20);
	PegasusError err;
	long		g;
	long		round = 0;
	double		secs;
	int			rc = CLI_EXIT_OK;

	memset(value, 'v', ctx->value_size);
	for (g = 0; g < ngroups; g += groups_per_round, round++)
	{
		long		nb = MIN(groups_per_round, ngroups - g);
		long		slot = round % nslots;
		PegasusWriteGroup *rg = &groups[slot * groups_per_round];
		PegasusSlice *rsks = &sks[slot * groups_per_round * per_group];
		PegasusSlice *rvals = &vals[slot * groups_per_round * per_group];
		char	   *kp = keybuf + slot * groups_per_round * (per_group + 1) * 24;
		long		k;

		for (k = 0; k < nb; k++)
		{
			long		first = (g + k) * per_group;
			long		cnt = MIN(per_group, n - first);
			long		j;

			memset(&rg[k], 0, sizeof(rg[k]));
			rg[k].kind = PEGASUS_WRITE_MULTI_SET;
			if (single_hash)
				rg[k].hash_key = slice_of(single_hash);
			else
			{
				snprintf(kp, 24, "%ld", g + k);
				rg[k].hash_key = slice_of(kp);
				kp += 24;
			}
			rg[k].sort_keys = &rsks[k * per_group];
			rg[k].values = &rvals[k * per_group];
			rg[k].count = cnt;
			for (j = 0; j < cnt; j++)
			{
				if (single_hash)
					snprintf(kp, 24, "s%08ld", first + j);
				else
					snprintf(kp, 24, "%ld", j);
				rsks[k * per_group + j] = slice_of(kp);
				kp += 24;
				rvals[k * per_group + j].data = value;
				rvals[k * per_group + j].len = ctx->value_size;
			}
		}
		if (!pegasus_write_pipe_add(pipe, rg, nb, ctx->timeout_ms, &err))
		{
			rc = cli_report(&err);
			break;
		}
		/* the slot written next must be reaped first */
		if (pegasus_write_pipe_batches(pipe) > LOAD_WINDOW &&
			!pegasus_write_pipe_reap(pipe, &err))
		{
			rc = cli_report(&err);
			break;
		}
	}
	while (rc == CLI_EXIT_OK && pegasus_write_pipe_batches(pipe) > 0)
		if (!pegasus_write_pipe_reap(pipe, &err))
			rc = cli_report(&err);
	secs = seconds_since(start);
	pegasus_write_pipe_free(pipe);
	g_free(value);
	g_free(groups);
	g_free(sks);
	g_free(vals);
	g_free(keybuf);
	if (rc != CLI_EXIT_OK)
		return rc;
	print_stats(ctx->client);
	printf("loaded %ld rows in %.3f s\n", n, secs);
	printf("result: load %.0f rows/s\n", n / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

static long
rows_of(CliContext *ctx, long n)
{
	return ctx->rows > 0 ? ctx->rows : n;
}

static int
bench_get(CliContext *ctx, PegasusTable *t, long n)
{
	GRand	   *rand = g_rand_new_with_seed(BENCH_SEED);
	long		rows = rows_of(ctx, n);
	int64_t		start = g_get_monotonic_time();
	long		found = 0;
	long		bytes = 0;
	long		i;
	double		secs;

	for (i = 0; i < n; i++)
	{
		char		hk[32];
		char		sk[32];
		PegasusValue v;
		PegasusError err;
		long		row = (long) (g_rand_double(rand) * rows);

		row_keys(ctx, row, hk, sizeof(hk), sk, sizeof(sk));
		if (!pegasus_table_get(t, slice_of(hk), slice_of(sk), ctx->timeout_ms,
							   &v, &err))
		{
			g_rand_free(rand);
			return cli_report(&err);
		}
		found += v.found;
		bytes += v.found ? (long) v.value.len : 0;
		pegasus_value_free(&v);
	}
	secs = seconds_since(start);
	g_rand_free(rand);
	print_stats(ctx->client);
	printf("%ld gets, %ld found, %ld value bytes, %.3f s\n", n, found, bytes, secs);
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
	long		rows = rows_of(ctx, n);
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
				char		hk[32];
				char		sk[32];

				row_keys(ctx, issued++ % rows, hk, sizeof(hk), sk, sizeof(sk));
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

/* n rows spread evenly over the first --rows rows, --batch keys a call. */
static int
bench_mget(CliContext *ctx, PegasusTable *t, long n)
{
	long		rows = rows_of(ctx, n);
	long		stride = MAX(rows / n, 1);
	int			chunk = MAX(ctx->batch, 1);
	PegasusCompositeKey *keys = g_new0(PegasusCompositeKey, chunk);
	char	   *keybuf = g_malloc((size_t) chunk * 64);
	int64_t		start = g_get_monotonic_time();
	long		found = 0;
	long		bytes = 0;
	long		done = 0;
	double		secs;

	while (done < n)
	{
		int			m = (int) MIN((long) chunk, n - done);
		PegasusKVList *kvl;
		PegasusError err;
		int			i;

		for (i = 0; i < m; i++)
		{
			char	   *hk = keybuf + (size_t) i * 64;
			char	   *sk = hk + 32;

			row_keys(ctx, (done + i) * stride, hk, 32, sk, 32);
			keys[i].hash_key = slice_of(hk);
			keys[i].sort_key = slice_of(sk);
		}
		if (!pegasus_table_batch_get(t, keys, m, ctx->timeout_ms, &kvl, &err))
		{
			g_free(keys);
			g_free(keybuf);
			return cli_report(&err);
		}
		for (i = 0; i < (int) kvl->count; i++)
			if (kvl->items[i].found)
			{
				found++;
				bytes += (long) kvl->items[i].value.len;
			}
		pegasus_kvlist_free(kvl);
		done += m;
	}
	secs = seconds_since(start);
	g_free(keys);
	g_free(keybuf);
	print_stats(ctx->client);
	printf("%ld keys (every %ld-th row), %ld found, %ld value bytes, batch %d, %.3f s\n",
		   n, stride, found, bytes, chunk, secs);
	printf("result: mget %.0f ops/s\n", n / MAX(secs, 1e-9));
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
	long		bytes = 0;
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
	{
		rows++;
		bytes += (long) row.value.len;
	}
	pegasus_scanner_close(s);
	if (r < 0)
		return cli_report(&err);
	secs = seconds_since(start);
	print_stats(ctx->client);
	printf("%ld rows, %ld value bytes, concurrency %d, batch %d, %.3f s\n", rows,
		   bytes, ctx->concurrency, ctx->batch, secs);
	printf("result: scan %.0f rows/s\n", rows / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

/*
 * Pages of multi_get_range from start (inclusive) to the end of the key,
 * through a range reader (the next page is requested when one arrives).
 */
static int
bench_range(CliContext *ctx, PegasusTable *t, const char *hash, const char *from)
{
	PegasusMultiGetOptions o;
	PegasusRangeReader *reader;
	PegasusKVList *kvl;
	PegasusError err;
	int64_t		start = g_get_monotonic_time();
	PegasusSlice empty = {NULL, 0};
	long		rows = 0;
	long		bytes = 0;
	int			r;
	double		secs;

	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = MAX(ctx->batch, 1);
	o.start_inclusive = true;
	reader = pegasus_table_range_reader(t, slice_of(hash), slice_of(from), empty,
										&o, 0, ctx->timeout_ms, &err);
	if (reader == NULL)
		return cli_report(&err);
	while ((r = pegasus_range_reader_next(reader, &kvl, &err)) > 0)
	{
		size_t		i;

		for (i = 0; i < kvl->count; i++)
			bytes += (long) kvl->items[i].value.len;
		rows += (long) kvl->count;
		pegasus_kvlist_free(kvl);
	}
	pegasus_range_reader_close(reader);
	if (r < 0)
		return cli_report(&err);
	secs = seconds_since(start);
	print_stats(ctx->client);
	printf("%ld rows, %ld value bytes, page %d, %.3f s\n", rows, bytes,
		   ctx->batch, secs);
	printf("result: range %.0f rows/s\n", rows / MAX(secs, 1e-9));
	return CLI_EXIT_OK;
}

static bool
parse_count(const char *s, long *n)
{
	char	   *end;

	*n = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && *n > 0;
}

int
cli_bench(CliContext *ctx, int argc, char **argv)
{
	PegasusError err;
	PegasusTable *t;
	long		n = 0;
	const char *name;

	if (argc < 1)
		return cli_fail("bench needs a benchmark name: load, get, pget, mget, scan or range");
	name = argv[0];
	if (strcmp(name, "range") == 0)
	{
		if (argc < 2 || argc > 3)
			return cli_fail("bench range needs a hash key and an optional start sort key");
	}
	else if (strcmp(name, "scan") != 0)
	{
		if (argc < 2)
			return cli_fail("bench %s needs a count", name);
		if (!parse_count(argv[1], &n))
			return cli_fail("the count must be a positive integer");
		if (argc > (strcmp(name, "load") == 0 ? 3 : 2))
			return cli_fail("too many arguments for bench %s", name);
	}
	t = cli_open_table(ctx, &err);
	if (t == NULL)
		return cli_report(&err);
	pegasus_client_reset_stats(ctx->client);
	if (strcmp(name, "load") == 0)
		return bench_load(ctx, t, n, argc > 2 ? argv[2] : NULL);
	if (strcmp(name, "get") == 0)
		return bench_get(ctx, t, n);
	if (strcmp(name, "pget") == 0)
		return bench_pget(ctx, t, n);
	if (strcmp(name, "mget") == 0)
		return bench_mget(ctx, t, n);
	if (strcmp(name, "scan") == 0)
		return bench_scan(ctx, t);
	if (strcmp(name, "range") == 0)
		return bench_range(ctx, t, argv[1], argc > 2 ? argv[2] : "");
	return cli_fail("unknown benchmark \"%s\"", name);
}
