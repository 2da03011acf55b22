/*-------------------------------------------------------------------------
 *
 * test_client_scan.c
 *		Client scanners against a running onebox: hash-key scanner options,
 *		empty ranges decided locally, whole-table scans (every record
 *		exactly once), unordered split, negative context ids and context
 *		clearing, resume after a partition move, rate limiting.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "client_internal.h"
#include "client_test_util.h"
#include "rawrpc.h"

#define ROWS_HASH_KEYS 200
#define ROWS_PER_HASH 5
#define ROWS_TOTAL (ROWS_HASH_KEYS * ROWS_PER_HASH)

static const char *meta_addr;
static const char *control_addr;

typedef struct Fixture
{
	PegasusClient *client;
	PegasusTable *table;
	char		name[64];
} Fixture;

static char *
control(const char *cmd)
{
	char	   *r = onebox_rawrpc_control(control_addr, cmd);

	g_assert_nonnull(r);
	return r;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	static int	counter = 0;
	PegasusError err;
	PegasusAppCreateOptions o;

	memset(f, 0, sizeof(*f));
	if (meta_addr == NULL)
		return;
	f->client = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(f->client);
	pegasus_client_set_timeout(f->client, 3000);
	g_snprintf(f->name, sizeof(f->name), "tc_scan_%d_%d", (int) getpid(), ++counter);
	pegasus_create_app_options_init(&o);
	o.partition_count = 8;
	ASSERT_OK(pegasus_client_create_app(f->client, f->name, &o, 5000, NULL, &err), err);
	f->table = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_nonnull(f->table);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	PegasusError err;

	if (f->client == NULL)
		return;
	ASSERT_OK(pegasus_client_drop_app(f->client, f->name, false, 5000, &err), err);
	pegasus_client_free(f->client);
}

static bool
need_onebox(Fixture *f)
{
	if (f->client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META / PEGASUS_TEST_CONTROL not set: no onebox to test against");
		return false;
	}
	return true;
}

/*
 * Drains a scanner into seen ("hk\tsk" -> count), checking values; returns
 * the number of rows.  stop_after > 0 returns early after that many rows.
 */
static int
drain(PegasusScanner *s, GHashTable *seen, int stop_after)
{
	PegasusScanRow row;
	PegasusError err;
	int			n = 0;
	int			r;

	while ((r = pegasus_scanner_next(s, &row, &err)) == 1)
	{
		char	   *k = g_strdup_printf("%.*s\t%.*s", (int) row.hash_key.len,
										(const char *) row.hash_key.data,
										(int) row.sort_key.len,
										(const char *) row.sort_key.data);
		char	   *want = g_strdup_printf("v%.*s_%.*s", (int) row.hash_key.len - 2,
										   (const char *) row.hash_key.data + 2,
										   (int) row.sort_key.len - 1,
										   (const char *) row.sort_key.data + 1);

		if (row.value.len != strlen(want) || memcmp(row.value.data, want, row.value.len) != 0)
			g_error("row %s has the wrong value", k);
		g_free(want);
		g_hash_table_insert(seen, k,
							GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(seen, k)) + 1));
		n++;
		if (stop_after > 0 && n >= stop_after)
			return n;
	}
	if (r < 0)
		g_error("scan failed: %s %s", pegasus_error_code_name(err.code), err.message);
	return n;
}

static void
assert_each_once(GHashTable *seen, int expected)
{
	GHashTableIter it;
	gpointer	k;
	gpointer	v;

	g_assert_cmpuint(g_hash_table_size(seen), ==, expected);
	g_hash_table_iter_init(&it, seen);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (GPOINTER_TO_INT(v) != 1)
			g_error("row %s seen %d times", (char *) k, GPOINTER_TO_INT(v));
}

static GHashTable *
seen_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static char *
scan_keys(PegasusScanner *s)
{
	GString    *out = g_string_new("");
	PegasusScanRow row;
	PegasusError err;
	int			r;

	while ((r = pegasus_scanner_next(s, &row, &err)) == 1)
	{
		if (out->len > 0)
			g_string_append_c(out, ',');
		g_string_append_len(out, row.sort_key.data, row.sort_key.len);
	}
	if (r < 0)
		g_error("scan failed: %s", err.message);
	pegasus_scanner_close(s);
	return g_string_free(out, FALSE);
}

/* ---------------------------------------------------------------------- */

static void
test_hash_key_scanner(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusScanRow row;
	PegasusStats before;
	PegasusStats after;
	PegasusSlice sks[30];
	PegasusSlice vals[30];
	char		names[30][8];
	char	   *keys;
	int			i;
	int			n;

	if (!need_onebox(f))
		return;
	for (i = 0; i < 30; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "k%02d", i);
		sks[i] = S(names[i]);
		vals[i] = S(names[i]);
	}
	ASSERT_OK(pegasus_table_multi_set(f->table, S("h"), sks, vals, 30, 0, 0, &err), err);
	/* neighbours that must not leak into the scan of "h" */
	ASSERT_OK(pegasus_table_set(f->table, S("h0"), S("k00"), S("x"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_set(f->table, S("g"), S("k00"), S("x"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("\xff\xff\xff"), S("ff"), 0, 0, &err), err);

	/* everything, in small batches */
	pegasus_scan_options_init(&o);
	o.batch_size = 7;
	pegasus_client_reset_stats(f->client);
	s = pegasus_table_get_scanner(f->table, S("h"), S(""), S(""), &o, &err);
	g_assert_nonnull(s);
	n = 0;
	while (pegasus_scanner_next(s, &row, &err) == 1)
	{
		g_assert_cmpuint(row.hash_key.len, ==, 1);
		g_assert_cmpint(row.ttl_seconds, ==, -1);
		n++;
	}
	g_assert_cmpint(n, ==, 31);
	g_assert_cmpint(pegasus_scanner_count(s), ==, 31);
	pegasus_scanner_close(s);
	pegasus_client_get_stats(f->client, &after);
	g_assert_cmpuint(after.rpcs_sent, >=, 5);

	/* ranges and inclusivity */
	pegasus_scan_options_init(&o);
	keys = scan_keys(pegasus_table_get_scanner(f->table, S("h"), S("k03"), S("k06"), &o, &err));
	g_assert_cmpstr(keys, ==, "k03,k04,k05");
	g_free(keys);
	o.start_inclusive = false;
	o.stop_inclusive = true;
	keys = scan_keys(pegasus_table_get_scanner(f->table, S("h"), S("k03"), S("k06"), &o, &err));
	g_assert_cmpstr(keys, ==, "k04,k05,k06");
	g_free(keys);

	/* filters: prefix narrows the range; postfix; anywhere */
	pegasus_scan_options_init(&o);
	o.sort_key_filter.type = PEGASUS_FILTER_PREFIX;
	o.sort_key_filter.pattern = S("k1");
	keys = scan_keys(pegasus_table_get_scanner(f->table, S("h"), S(""), S(""), &o, &err));
	g_assert_cmpstr(keys, ==, "k10,k11,k12,k13,k14,k15,k16,k17,k18,k19");
	g_free(keys);
	o.sort_key_filter.type = PEGASUS_FILTER_POSTFIX;
	o.sort_key_filter.pattern = S("7");
	keys = scan_keys(pegasus_table_get_scanner(f->table, S("h"), S(""), S(""), &o, &err));
	g_assert_cmpstr(keys, ==, "k07,k17,k27");
	g_free(keys);
	o.sort_key_filter.type = PEGASUS_FILTER_ANYWHERE;
	o.sort_key_filter.pattern = S("2");
	o.batch_size = 3;
	keys = scan_keys(pegasus_table_get_scanner(f->table, S("h"), S("k10"), S(""), &o, &err));
	g_assert_cmpstr(keys, ==, "k12,k20,k21,k22,k23,k24,k25,k26,k27,k28,k29");
	g_free(keys);

	/* no_value, limit, only_return_count */
	pegasus_scan_options_init(&o);
	o.no_value = true;
	o.limit = 13;
	o.batch_size = 5;
	s = pegasus_table_get_scanner(f->table, S("h"), S(""), S(""), &o, &err);
	n = 0;
	while (pegasus_scanner_next(s, &row, &err) == 1)
	{
		g_assert_cmpuint(row.value.len, ==, 0);
		n++;
	}
	g_assert_cmpint(n, ==, 13);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	pegasus_scanner_close(s);

	pegasus_scan_options_init(&o);
	o.only_return_count = true;
	o.batch_size = 4;
	s = pegasus_table_get_scanner(f->table, S("h"), S("k10"), S(""), &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	g_assert_cmpint(pegasus_scanner_count(s), ==, 21);
	pegasus_scanner_close(s);

	/* return_expire_ts gives the remaining TTL */
	ASSERT_OK(pegasus_table_set(f->table, S("t"), S("a"), S("x"), 500, 0, &err), err);
	ASSERT_OK(pegasus_table_set(f->table, S("t"), S("b"), S("y"), 0, 0, &err), err);
	pegasus_scan_options_init(&o);
	o.return_expire_ts = true;
	s = pegasus_table_get_scanner(f->table, S("t"), S(""), S(""), &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 1);
	g_assert_cmpint(row.ttl_seconds, >, 490);
	g_assert_cmpint(row.expire_ts_seconds, >, 0);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 1);
	g_assert_cmpint(row.ttl_seconds, ==, -1);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	pegasus_scanner_close(s);

	/* empty ranges are decided without any RPC */
	pegasus_client_get_stats(f->client, &before);
	pegasus_scan_options_init(&o);
	s = pegasus_table_get_scanner(f->table, S("h"), S("k05"), S("k01"), &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	pegasus_scanner_close(s);
	s = pegasus_table_get_scanner(f->table, S("h"), S("k05"), S("k05"), &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	pegasus_scanner_close(s);
	o.sort_key_filter.type = PEGASUS_FILTER_PREFIX;
	o.sort_key_filter.pattern = S("z");
	s = pegasus_table_get_scanner(f->table, S("h"), S("a"), S("b"), &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	pegasus_scanner_close(s);
	pegasus_client_get_stats(f->client, &after);
	g_assert_cmpuint(after.rpcs_sent, ==, before.rpcs_sent);
}

static void
test_full_scan(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusScanner **arr;
	PegasusScanRow row;
	GHashTable *seen;
	int			parts[2] = {0, 3};
	int			n;
	int			i;

	if (!need_onebox(f))
		return;
	client_test_load_grid(f->table, ROWS_HASH_KEYS, ROWS_PER_HASH);

	/* all partitions, three in flight, odd batch size */
	pegasus_scan_options_init(&o);
	o.batch_size = 17;
	o.max_concurrency = 3;
	seen = seen_new();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	g_assert_nonnull(s);
	drain(s, seen, 0);
	pegasus_scanner_close(s);
	assert_each_once(seen, ROWS_TOTAL);
	g_hash_table_destroy(seen);

	/* a subset of partitions: only their rows */
	s = pegasus_table_get_partition_scanner(f->table, parts, 2, &o, &err);
	n = 0;
	while (pegasus_scanner_next(s, &row, &err) == 1)
	{
		int			p = pegasus_table_partition_of(f->table, row.hash_key, row.sort_key);

		g_assert_true(p == 0 || p == 3);
		g_assert_cmpint(row.partition_index, ==, p);
		n++;
	}
	g_assert_cmpint(n, >, 0);
	g_assert_cmpint(n, <, ROWS_TOTAL);
	pegasus_scanner_close(s);
	parts[0] = 8;
	g_assert_null(pegasus_table_get_partition_scanner(f->table, parts, 1, &o, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);

	/* unordered split: 3 scanners (3, 3, 2 partitions), union = all */
	pegasus_scan_options_init(&o);
	o.batch_size = 50;
	g_assert_cmpint(pegasus_table_get_unordered_scanners(f->table, 3, &o, &arr, &err), ==, 3);
	seen = seen_new();
	for (i = 0; i < 3; i++)
	{
		drain(arr[i], seen, 0);
		pegasus_scanner_close(arr[i]);
	}
	pegasus_scanners_free_array(arr);
	assert_each_once(seen, ROWS_TOTAL);
	g_hash_table_destroy(seen);
	g_assert_cmpint(pegasus_table_get_unordered_scanners(f->table, 100, &o, &arr, &err), ==, 8);
	for (i = 0; i < 8; i++)
		pegasus_scanner_close(arr[i]);
	pegasus_scanners_free_array(arr);

	/* hash-key filter on a full scan; server-side count */
	pegasus_scan_options_init(&o);
	o.hash_key_filter.type = PEGASUS_FILTER_PREFIX;
	o.hash_key_filter.pattern = S("hk19");
	seen = seen_new();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	drain(s, seen, 0);
	pegasus_scanner_close(s);
	/* hk19, hk190..hk199 */
	assert_each_once(seen, 11 * ROWS_PER_HASH);
	g_hash_table_destroy(seen);
	pegasus_scan_options_init(&o);
	o.only_return_count = true;
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 0);
	g_assert_cmpint(pegasus_scanner_count(s), ==, ROWS_TOTAL);
	pegasus_scanner_close(s);
}

static unsigned
scanner_count(void)
{
	char	   *r = control("scanner-count");
	unsigned	n;

	g_assert_true(g_str_has_prefix(r, "OK "));
	n = (unsigned) atoi(r + 3);
	g_free(r);
	return n;
}

static void
test_negative_ids_and_close(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	GHashTable *seen;
	unsigned	base;
	char	   *r;
	int			i;

	if (!need_onebox(f))
		return;
	client_test_load_grid(f->table, ROWS_HASH_KEYS, ROWS_PER_HASH);
	r = control("negative-ids on");
	g_assert_cmpstr(r, ==, "OK done");
	g_free(r);
	base = scanner_count();

	pegasus_scan_options_init(&o);
	o.batch_size = 9;
	o.max_concurrency = 4;
	seen = seen_new();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	drain(s, seen, 0);
	pegasus_scanner_close(s);
	assert_each_once(seen, ROWS_TOTAL);
	g_hash_table_destroy(seen);

	/* a half-consumed scanner leaves contexts (negative ids); close clears them */
	seen = seen_new();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	drain(s, seen, 30);
	g_assert_cmpuint(scanner_count(), >, base);
	pegasus_scanner_close(s);
	g_hash_table_destroy(seen);
	/* clear_scanner is fire-and-forget; give the frames a moment */
	for (i = 0; i < 1500 && scanner_count() > base; i++)
	{
		/* let the client flush and read late replies carrying new contexts */
		PegasusValue v;

		pegasus_table_get(f->table, S("hk1"), S("s1"), 0, &v, &err);
		pegasus_value_free(&v);
		g_usleep(20 * 1000);
	}
	g_assert_cmpuint(scanner_count(), ==, base);
	r = control("negative-ids off");
	g_free(r);
}

/* Ports of the replica endpoints currently hosting partitions. */
static GArray *
replica_ports(PegasusTable *t)
{
	GArray	   *ports = g_array_new(FALSE, FALSE, sizeof(int));
	int			i;
	guint		j;

	for (i = 0; i < t->partition_count; i++)
	{
		const char *colon = strrchr(t->routes[i].primary, ':');
		int			port = colon ? atoi(colon + 1) : 0;
		bool		dup = false;

		for (j = 0; j < ports->len; j++)
			dup |= g_array_index(ports, int, j) == port;
		if (!dup && port > 0)
			g_array_append_val(ports, port);
	}
	return ports;
}

static void
test_resume_after_move(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	GHashTable *seen;
	GArray	   *ports;
	char	   *tables;
	int			other = 0;
	int			n;
	int			i;

	if (!need_onebox(f))
		return;
	client_test_load_grid(f->table, ROWS_HASH_KEYS, ROWS_PER_HASH);
	/* find every replica port from the onebox's table listing */
	tables = control("tables");
	g_free(tables);
	ports = replica_ports(f->table);

	pegasus_scan_options_init(&o);
	o.batch_size = 6;
	o.max_concurrency = 2;
	seen = seen_new();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	n = drain(s, seen, 40);

	/* move every partition to another replica endpoint */
	for (i = 0; i < f->table->partition_count; i++)
	{
		const char *colon = strrchr(f->table->routes[i].primary, ':');
		int			port = atoi(colon + 1);
		guint		j;
		char	   *cmd;
		char	   *r;

		other = 0;
		for (j = 0; j < ports->len; j++)
			if (g_array_index(ports, int, j) != port)
				other = g_array_index(ports, int, j);
		if (other == 0)
			break;
		cmd = g_strdup_printf("move %s %d %d", f->name, i, other);
		r = control(cmd);
		g_assert_true(g_str_has_prefix(r, "OK"));
		g_free(r);
		g_free(cmd);
	}
	if (other == 0)
	{
		pegasus_scanner_close(s);
		g_hash_table_destroy(seen);
		g_array_free(ports, TRUE);
		g_test_skip("the onebox has a single replica endpoint: cannot move partitions");
		return;
	}
	pegasus_client_reset_stats(f->client);
	n += drain(s, seen, 0);
	pegasus_scanner_close(s);
	{
		PegasusStats st;

		/* the moves were noticed and the routing was refreshed */
		pegasus_client_get_stats(f->client, &st);
		g_assert_cmpuint(st.routing_refreshes, >=, 1);
	}
	g_assert_cmpint(n, ==, ROWS_TOTAL);
	assert_each_once(seen, ROWS_TOTAL);
	g_hash_table_destroy(seen);
	g_array_free(ports, TRUE);
}

static void
test_rate_limit(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	GHashTable *seen;
	int64_t		start;
	double		secs;
	int			n;

	if (!need_onebox(f))
		return;
	client_test_load_grid(f->table, ROWS_HASH_KEYS, ROWS_PER_HASH);
	pegasus_scan_options_init(&o);
	o.batch_size = 100;
	o.limit = 400;
	o.max_rows_per_second = 1000;
	seen = seen_new();
	start = g_get_monotonic_time();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	n = drain(s, seen, 0);
	pegasus_scanner_close(s);
	secs = (g_get_monotonic_time() - start) / 1e6;
	g_assert_cmpint(n, ==, 400);
	g_assert_cmpfloat(secs, >=, 0.28);
	g_hash_table_destroy(seen);

	pegasus_scan_options_init(&o);
	o.batch_size = 50;
	o.max_batches_per_second = 20;
	o.limit = 250;
	seen = seen_new();
	start = g_get_monotonic_time();
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	n = drain(s, seen, 0);
	pegasus_scanner_close(s);
	secs = (g_get_monotonic_time() - start) / 1e6;
	g_assert_cmpint(n, ==, 250);
	g_assert_cmpfloat(secs, >=, 0.18);
	g_hash_table_destroy(seen);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);
#define ADD(name, fn) \
	g_test_add("/client-scan/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("hash-key-scanner", test_hash_key_scanner);
	ADD("full-scan", test_full_scan);
	ADD("negative-ids-and-close", test_negative_ids_and_close);
	ADD("resume-after-move", test_resume_after_move);
	ADD("rate-limit", test_rate_limit);
	g_test_add_data_func("/client-scan/zz-no-violations", control_addr, client_test_no_violations);
	return g_test_run();
}
