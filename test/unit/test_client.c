/*-------------------------------------------------------------------------
 *
 * test_client.c
 *		Client operations against a running onebox: every single-key,
 *		hash-key and multi-partition operation with its options and edge
 *		rules, admin calls and statistics.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 * Every test creates its own table and drops it.  At the end the onebox
 * must report zero protocol violations.
 *
 * The tests of operations across partitions (batch_get, write groups, the
 * write pipe) are in test/unit/client/writes.c, linked into this program.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "pegasus_client.h"
#include "client_test_util.h"
#include "rawrpc.h"
#include "client/client_test.h"

static const char *meta_addr;
static const char *control_addr;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	static int	counter = 0;
	PegasusError err;
	PegasusAppCreateOptions o;
	int			partitions = data ? GPOINTER_TO_INT(data) : 8;

	memset(f, 0, sizeof(*f));
	if (meta_addr == NULL)
		return;
	f->client = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(f->client);
	pegasus_client_set_timeout(f->client, 3000);
	g_snprintf(f->name, sizeof(f->name), "tc_ops_%d_%d", (int) getpid(), ++counter);
	pegasus_create_app_options_init(&o);
	o.partition_count = partitions;
	ASSERT_OK(pegasus_client_create_app(f->client, f->name, &o, 5000, NULL, &err), err);
	f->table = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_nonnull(f->table);
	g_assert_cmpint(pegasus_table_partition_count(f->table), ==, partitions);
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

bool
need_onebox(Fixture *f)
{
	if (f->client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META / PEGASUS_TEST_CONTROL not set: no onebox to test against");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------- */

static void
test_get_set_del(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	bool		exists;
	static const char bin[] = {0, 1, (char) 0xff, 0};
	PegasusSlice binkey = {bin, 4};

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_false(v.found);
	pegasus_value_free(&v);

	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v1"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	g_assert_true(slice_is(v.value, "v1"));
	pegasus_value_free(&v);

	/* empty sort key and empty value are legal; binary bytes survive */
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S(""), S(""), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S(""), 0, &v, &err), err);
	g_assert_true(v.found);
	g_assert_cmpuint(v.value.len, ==, 0);
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_set(f->table, binkey, binkey, binkey, 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(f->table, binkey, binkey, 0, &v, &err), err);
	g_assert_true(v.found && v.value.len == 4 && memcmp(v.value.data, bin, 4) == 0);
	pegasus_value_free(&v);

	ASSERT_OK(pegasus_table_exist(f->table, S("h"), S("s"), 0, &exists, &err), err);
	g_assert_true(exists);
	ASSERT_OK(pegasus_table_del(f->table, S("h"), S("s"), 0, &err), err);
	ASSERT_OK(pegasus_table_exist(f->table, S("h"), S("s"), 0, &exists, &err), err);
	g_assert_false(exists);
	/* deleting again is fine */
	ASSERT_OK(pegasus_table_del(f->table, S("h"), S("s"), 0, &err), err);
}

static void
test_key_validation(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats before;
	PegasusStats after;
	char	   *big = g_malloc(65535);
	PegasusSlice hk65535 = {big, 65535};
	PegasusSlice hk65534 = {big, 65534};
	PegasusSlice one = {"x", 1};
	PegasusKVList *list;
	PegasusScanner *sc;

	if (!need_onebox(f))
	{
		g_free(big);
		return;
	}
	memset(big, 'k', 65535);
	pegasus_client_get_stats(f->client, &before);
	g_assert_false(pegasus_table_get(f->table, hk65535, one, 0, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_false(pegasus_table_set(f->table, hk65535, one, one, 0, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_false(pegasus_table_multi_get(f->table, hk65535, NULL, 0, NULL, 0, &list, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_false(pegasus_table_set(f->table, S(""), one, one, 0, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_false(pegasus_table_multi_set(f->table, S("h"), NULL, NULL, 0, 0, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	sc = pegasus_table_get_scanner(f->table, S(""), S(""), S(""), NULL, &err);
	g_assert_null(sc);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	pegasus_client_get_stats(f->client, &after);
	g_assert_cmpuint(after.rpcs_sent, ==, before.rpcs_sent);

	/* the longest legal hash key works */
	ASSERT_OK(pegasus_table_set(f->table, hk65534, one, S("big"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(f->table, hk65534, one, 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "big"));
	pegasus_value_free(&v);
	g_free(big);
}

static void
test_ttl(Fixture *f, gconstpointer data)
{
	PegasusError err;
	int32_t		ttl;
	PegasusValue v;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("none"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, ==, -2);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("forever"), S("v"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("forever"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, ==, -1);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("long"), S("v"), 1000, 0, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("long"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 990);
	g_assert_cmpint(ttl, <=, 1000);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("short"), S("v"), 2, 0, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("short"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 0);
	g_assert_cmpint(ttl, <=, 2);
	g_assert_false(pegasus_table_set(f->table, S("h"), S("neg"), S("v"), -5, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);

	/*
	 * Wait for the expiry (the onebox can jump its clock, but that would
	 * disturb other programs sharing it).
	 */
	g_usleep(2100 * 1000);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("short"), 0, &v, &err), err);
	g_assert_false(v.found);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("short"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, ==, -2);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("forever"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
}

static void
test_incr(Fixture *f, gconstpointer data)
{
	PegasusError err;
	int64_t		nv;
	int32_t		ttl;
	PegasusValue v;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 5, 0, 0, &nv, &err), err);
	g_assert_cmpint(nv, ==, 5);
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), -7, 0, 0, &nv, &err), err);
	g_assert_cmpint(nv, ==, -2);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("n"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "-2"));
	pegasus_value_free(&v);

	/* ttl: >0 sets, 0 keeps, -1 clears */
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 1, 50, 0, &nv, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("n"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 40);
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 1, 0, 0, &nv, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("n"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 40);
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 1, -1, 0, &nv, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("n"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, ==, -1);
	g_assert_cmpint(nv, ==, 1);

	/* not an integer: storage code 4 */
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("txt"), S("abc"), 0, 0, &err), err);
	g_assert_false(pegasus_table_incr(f->table, S("h"), S("txt"), 1, 0, 0, &nv, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_STORAGE);
	g_assert_cmpint(err.storage_code, ==, 4);
	g_assert_cmpstr(err.rpc, ==, "incr");
	g_assert_cmpint(err.app_id, ==, pegasus_table_app_id(f->table));
	g_assert_cmpint(err.partition_index, ==, pegasus_table_partition_of(f->table, S("h"), S("txt")));
	g_assert_true(strchr(err.endpoint, ':') != NULL);
	g_assert_false(err.outcome_unknown);
	g_assert_false(pegasus_table_incr(f->table, S("h"), S("txt"), 1, -3, 0, &nv, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

static void
put_abc(Fixture *f)
{
	PegasusError err;
	PegasusSlice sks[6] = {S("a"), S("ab"), S("b"), S("ba"), S("c"), S("xc")};
	PegasusSlice vals[6] = {S("1"), S("22"), S("3"), S("4"), S("5"), S("6")};

	ASSERT_OK(pegasus_table_multi_set(f->table, S("h"), sks, vals, 6, 0, 0, &err), err);
}

static void
assert_keys(PegasusKVList *list, const char *expect)
{
	GString    *got = g_string_new("");
	size_t		i;

	for (i = 0; i < list->count; i++)
	{
		if (i > 0)
			g_string_append_c(got, ',');
		g_string_append_len(got, list->items[i].sort_key.data,
							list->items[i].sort_key.len);
	}
	g_assert_cmpstr(got->str, ==, expect);
	g_string_free(got, TRUE);
}

static void
test_multi_get(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusKVList *list;
	PegasusMultiGetOptions o;
	PegasusSlice pick[3] = {S("c"), S("zz"), S("a")};

	if (!need_onebox(f))
		return;
	put_abc(f);
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, NULL, 0, &list, &err), err);
	assert_keys(list, "a,ab,b,ba,c,xc");
	g_assert_true(list->all_fetched);
	g_assert_true(slice_is(list->items[1].value, "22"));
	g_assert_true(slice_is(list->items[1].hash_key, "h"));
	pegasus_kvlist_free(list);

	/* point lookups: request order, absent keys omitted */
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), pick, 3, NULL, 0, &list, &err), err);
	assert_keys(list, "c,a");
	pegasus_kvlist_free(list);

	/* ranges and inclusivity */
	pegasus_multi_get_options_init(&o);
	ASSERT_OK(pegasus_table_multi_get_range(f->table, S("h"), S("ab"), S("c"), &o, 0, &list, &err), err);
	assert_keys(list, "ab,b,ba");
	pegasus_kvlist_free(list);
	o.start_inclusive = false;
	o.stop_inclusive = true;
	ASSERT_OK(pegasus_table_multi_get_range(f->table, S("h"), S("ab"), S("c"), &o, 0, &list, &err), err);
	assert_keys(list, "b,ba,c");
	pegasus_kvlist_free(list);

	/* filters */
	pegasus_multi_get_options_init(&o);
	o.sort_key_filter.type = PEGASUS_FILTER_PREFIX;
	o.sort_key_filter.pattern = S("b");
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	assert_keys(list, "b,ba");
	pegasus_kvlist_free(list);
	o.sort_key_filter.type = PEGASUS_FILTER_POSTFIX;
	o.sort_key_filter.pattern = S("c");
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	assert_keys(list, "c,xc");
	pegasus_kvlist_free(list);
	o.sort_key_filter.type = PEGASUS_FILTER_ANYWHERE;
	o.sort_key_filter.pattern = S("a");
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	assert_keys(list, "a,ab,ba");
	pegasus_kvlist_free(list);

	/* limits: count, reverse (still ascending), no_value */
	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = 2;
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	assert_keys(list, "a,ab");
	g_assert_false(list->all_fetched);
	pegasus_kvlist_free(list);
	o.reverse = true;
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	assert_keys(list, "c,xc");
	g_assert_false(list->all_fetched);
	pegasus_kvlist_free(list);
	pegasus_multi_get_options_init(&o);
	o.max_fetch_size = 3;
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	g_assert_cmpuint(list->count, >=, 1);
	g_assert_cmpuint(list->count, <, 6);
	g_assert_false(list->all_fetched);
	pegasus_kvlist_free(list);
	pegasus_multi_get_options_init(&o);
	o.no_value = true;
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err), err);
	g_assert_cmpuint(list->count, ==, 6);
	g_assert_cmpuint(list->items[1].value.len, ==, 0);
	pegasus_kvlist_free(list);

	/* bad filter type refused locally */
	o.sort_key_filter.type = (PegasusKeyFilterType) 9;
	g_assert_false(pegasus_table_multi_get(f->table, S("h"), NULL, 0, &o, 0, &list, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

static void
test_multi_set_del_range(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusKVList *list;
	PegasusSlice del[2] = {S("a"), S("nope")};
	PegasusDelRangeOptions dro;
	PegasusSlice sks[3] = {S("t1"), S("t2"), S("t3")};
	PegasusSlice vals[3] = {S("x"), S("y"), S("z")};
	int64_t		n;
	int32_t		ttl;
	int			i;

	if (!need_onebox(f))
		return;
	put_abc(f);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("h"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 6);
	ASSERT_OK(pegasus_table_multi_del(f->table, S("h"), del, 2, 0, &n, &err), err);
	g_assert_cmpint(n, ==, 2);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("h"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 5);

	/* multi_set with a TTL applies it to every row */
	ASSERT_OK(pegasus_table_multi_set(f->table, S("ht"), sks, vals, 3, 60, 0, &err), err);
	ASSERT_OK(pegasus_table_ttl(f->table, S("ht"), S("t3"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 50);

	/* del_range: [ab, c) then everything */
	pegasus_del_range_options_init(&dro);
	ASSERT_OK(pegasus_table_del_range(f->table, S("h"), S("ab"), S("c"), &dro, 0, &n, &err), err);
	g_assert_cmpint(n, ==, 3);
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, NULL, 0, &list, &err), err);
	assert_keys(list, "c,xc");
	pegasus_kvlist_free(list);

	/* many keys: more than one del_range page */
	for (i = 0; i < 2500; i += 500)
	{
		PegasusSlice k[500];
		PegasusSlice v[500];
		char	  **names = g_new0(char *, 501);
		int			j;

		for (j = 0; j < 500; j++)
		{
			names[j] = g_strdup_printf("k%05d", i + j);
			k[j] = S(names[j]);
			v[j] = S("v");
		}
		ASSERT_OK(pegasus_table_multi_set(f->table, S("big"), k, v, 500, 0, 0, &err), err);
		g_strfreev(names);
	}
	ASSERT_OK(pegasus_table_del_range(f->table, S("big"), S(""), S(""), NULL, 0, &n, &err), err);
	g_assert_cmpint(n, ==, 2500);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("big"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 0);
}

typedef struct CasCase
{
	PegasusCheckType type;
	const char *stored;			/* NULL = absent */
	const char *operand;
	bool		pass;
} CasCase;

static void
test_check_and_set(Fixture *f, gconstpointer data)
{
	static const CasCase cases[] = {
		{PEGASUS_CHECK_NO_CHECK, NULL, "", true},
		{PEGASUS_CHECK_VALUE_NOT_EXIST, NULL, "", true},
		{PEGASUS_CHECK_VALUE_NOT_EXIST, "x", "", false},
		{PEGASUS_CHECK_VALUE_NOT_EXIST_OR_EMPTY, "", "", true},
		{PEGASUS_CHECK_VALUE_NOT_EXIST_OR_EMPTY, "x", "", false},
		{PEGASUS_CHECK_VALUE_EXIST, "", "", true},
		{PEGASUS_CHECK_VALUE_EXIST, NULL, "", false},
		{PEGASUS_CHECK_VALUE_NOT_EMPTY, "x", "", true},
		{PEGASUS_CHECK_VALUE_NOT_EMPTY, "", "", false},
		{PEGASUS_CHECK_MATCH_ANYWHERE, "abcd", "bc", true},
		{PEGASUS_CHECK_MATCH_ANYWHERE, "abcd", "x", false},
		{PEGASUS_CHECK_MATCH_PREFIX, "abcd", "ab", true},
		{PEGASUS_CHECK_MATCH_PREFIX, "abcd", "bc", false},
		{PEGASUS_CHECK_MATCH_POSTFIX, "abcd", "cd", true},
		{PEGASUS_CHECK_MATCH_POSTFIX, "abcd", "ab", false},
		{PEGASUS_CHECK_BYTES_LESS, "abc", "abd", true},
		{PEGASUS_CHECK_BYTES_LESS, "abd", "abc", false},
		{PEGASUS_CHECK_BYTES_LESS_OR_EQUAL, "abc", "abc", true},
		{PEGASUS_CHECK_BYTES_LESS_OR_EQUAL, "abd", "abc", false},
		{PEGASUS_CHECK_BYTES_EQUAL, "abc", "abc", true},
		{PEGASUS_CHECK_BYTES_EQUAL, "abc", "ab", false},
		{PEGASUS_CHECK_BYTES_GREATER_OR_EQUAL, "abc", "ab", true},
		{PEGASUS_CHECK_BYTES_GREATER_OR_EQUAL, "ab", "abc", false},
		{PEGASUS_CHECK_BYTES_GREATER, "b", "abc", true},
		{PEGASUS_CHECK_BYTES_GREATER, "abc", "abc", false},
		{PEGASUS_CHECK_INT_LESS, "9", "10", true},
		{PEGASUS_CHECK_INT_LESS, "10", "9", false},
		{PEGASUS_CHECK_INT_LESS_OR_EQUAL, "10", "10", true},
		{PEGASUS_CHECK_INT_LESS_OR_EQUAL, "11", "10", false},
		{PEGASUS_CHECK_INT_EQUAL, "0x10", "16", true},
		{PEGASUS_CHECK_INT_EQUAL, "10", "16", false},
		{PEGASUS_CHECK_INT_GREATER_OR_EQUAL, "-1", "-1", true},
		{PEGASUS_CHECK_INT_GREATER_OR_EQUAL, "-2", "-1", false},
		{PEGASUS_CHECK_INT_GREATER, "100", "99", true},
		{PEGASUS_CHECK_INT_GREATER, "99", "100", false},
		{PEGASUS_CHECK_INT_GREATER, NULL, "1", false},
	};
	PegasusError err;
	PegasusCheckResult r;
	PegasusCheckAndSetOptions o;
	PegasusValue v;
	int32_t		ttl;
	size_t		i;

	if (!need_onebox(f))
		return;
	for (i = 0; i < G_N_ELEMENTS(cases); i++)
	{
		char		hk[32];

		g_snprintf(hk, sizeof(hk), "cas%zu", i);
		if (cases[i].stored)
			ASSERT_OK(pegasus_table_set(f->table, S(hk), S("c"), S(cases[i].stored), 0, 0, &err), err);
		ASSERT_OK(pegasus_table_check_and_set(f->table, S(hk), S("c"), cases[i].type,
											  S(cases[i].operand), S("c"), S("new"),
											  NULL, 0, &r, &err), err);
		if (r.succeeded != cases[i].pass)
			g_error("check type %d on %s with %s: expected %s", cases[i].type,
					cases[i].stored ? cases[i].stored : "(absent)", cases[i].operand,
					cases[i].pass ? "pass" : "fail");
		pegasus_check_result_free(&r);
		ASSERT_OK(pegasus_table_get(f->table, S(hk), S("c"), 0, &v, &err), err);
		if (cases[i].pass)
			g_assert_true(v.found && slice_is(v.value, "new"));
		else if (cases[i].stored)
			g_assert_true(v.found && slice_is(v.value, cases[i].stored));
		else
			g_assert_false(v.found);
		pegasus_value_free(&v);
	}

	/* integer check on a non-integer: storage code 4 */
	ASSERT_OK(pegasus_table_set(f->table, S("ci"), S("c"), S("abc"), 0, 0, &err), err);
	g_assert_false(pegasus_table_check_and_set(f->table, S("ci"), S("c"), PEGASUS_CHECK_INT_LESS,
											   S("1"), S("c"), S("x"), NULL, 0, &r, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_STORAGE);
	g_assert_cmpint(err.storage_code, ==, 4);

	/* a different set sort key, TTL, returned check value */
	o.set_ttl_seconds = 30;
	o.return_check_value = true;
	ASSERT_OK(pegasus_table_check_and_set(f->table, S("ci"), S("c"), PEGASUS_CHECK_VALUE_EXIST,
										  S(""), S("other"), S("o"), &o, 0, &r, &err), err);
	g_assert_true(r.succeeded);
	g_assert_true(r.check_value_returned);
	g_assert_true(r.check_value_exist);
	g_assert_true(slice_is(r.check_value, "abc"));
	pegasus_check_result_free(&r);
	ASSERT_OK(pegasus_table_ttl(f->table, S("ci"), S("other"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 20);
	ASSERT_OK(pegasus_table_get(f->table, S("ci"), S("c"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "abc"));
	pegasus_value_free(&v);
	g_assert_false(pegasus_table_check_and_set(f->table, S("ci"), S("c"), (PegasusCheckType) 18,
											   S(""), S("c"), S("x"), NULL, 0, &r, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

/* check_and_set_many: items on several partitions, each with its outcome */
static void
test_check_and_set_many(Fixture *f, gconstpointer data)
{
	PegasusCheckAndSetItem items[3];
	PegasusError err;
	PegasusValue v;
	size_t		i;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("many1"), S("c"), S("old"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_set(f->table, S("many2"), S("c"), S("changed"), 0, 0, &err), err);
	memset(items, 0, sizeof(items));
	for (i = 0; i < 3; i++)
	{
		items[i].check_sort_key = S("c");
		items[i].set_sort_key = S("c");
		items[i].check_type = PEGASUS_CHECK_BYTES_EQUAL;
		items[i].check_operand = S("old");
		items[i].set_value = S("new");
		items[i].opts.return_check_value = true;
	}
	items[0].hash_key = S("many1");
	items[1].hash_key = S("many2");
	items[2].hash_key = S("many3");
	items[2].check_type = PEGASUS_CHECK_VALUE_NOT_EXIST;
	items[2].check_operand = S("");
	ASSERT_OK(pegasus_table_check_and_set_many(f->table, items, 3, 0, &err), err);
	g_assert_true(items[0].done && items[0].result.succeeded);
	g_assert_true(items[1].done && !items[1].result.succeeded);
	g_assert_true(items[1].result.check_value_exist &&
				  slice_is(items[1].result.check_value, "changed"));
	g_assert_true(items[2].done && items[2].result.succeeded);
	for (i = 0; i < 3; i++)
		pegasus_check_result_free(&items[i].result);
	ASSERT_OK(pegasus_table_get(f->table, S("many2"), S("c"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "changed"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_get(f->table, S("many3"), S("c"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "new"));
	pegasus_value_free(&v);
	/* an invalid item refuses the whole call before anything is sent */
	items[0].hash_key = S("");
	g_assert_false(pegasus_table_check_and_set_many(f->table, items, 1, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

static void
test_check_and_mutate(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusCheckResult r;
	PegasusMutation m[3];
	PegasusKVList *list;
	int32_t		ttl;

	if (!need_onebox(f))
		return;
	put_abc(f);
	memset(m, 0, sizeof(m));
	m[0].op = PEGASUS_MUTATE_PUT;
	m[0].sort_key = S("new");
	m[0].value = S("N");
	m[0].ttl_seconds = 40;
	m[1].op = PEGASUS_MUTATE_DELETE;
	m[1].sort_key = S("a");
	m[2].op = PEGASUS_MUTATE_DELETE;
	m[2].sort_key = S("ab");
	ASSERT_OK(pegasus_table_check_and_mutate(f->table, S("h"), S("b"), PEGASUS_CHECK_BYTES_EQUAL,
											 S("3"), m, 3, true, 0, &r, &err), err);
	g_assert_true(r.succeeded);
	g_assert_true(r.check_value_exist && slice_is(r.check_value, "3"));
	pegasus_check_result_free(&r);
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, NULL, 0, &list, &err), err);
	assert_keys(list, "b,ba,c,new,xc");
	pegasus_kvlist_free(list);
	ASSERT_OK(pegasus_table_ttl(f->table, S("h"), S("new"), 0, &ttl, &err), err);
	g_assert_cmpint(ttl, >, 30);

	/* failed check: nothing applied */
	m[0].sort_key = S("never");
	ASSERT_OK(pegasus_table_check_and_mutate(f->table, S("h"), S("b"), PEGASUS_CHECK_VALUE_NOT_EXIST,
											 S(""), m, 1, false, 0, &r, &err), err);
	g_assert_false(r.succeeded);
	g_assert_false(r.check_value_returned);
	pegasus_check_result_free(&r);
	ASSERT_OK(pegasus_table_multi_get(f->table, S("h"), NULL, 0, NULL, 0, &list, &err), err);
	assert_keys(list, "b,ba,c,new,xc");
	pegasus_kvlist_free(list);
	g_assert_false(pegasus_table_check_and_mutate(f->table, S("h"), S("b"), PEGASUS_CHECK_NO_CHECK,
												  S(""), m, 0, false, 0, &r, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

static void
test_admin(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusAppList *list;
	PegasusAppCreateOptions o;
	PegasusTable *t;
	size_t		i;
	bool		seen = false;
	char		other[80];

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_client_list_apps(f->client, true, 0, &list, &err), err);
	for (i = 0; i < list->count; i++)
		if (strcmp(list->apps[i].name, f->name) == 0)
		{
			seen = true;
			g_assert_cmpint(list->apps[i].partition_count, ==, 8);
			g_assert_cmpint(list->apps[i].status, ==, 1);
		}
	g_assert_true(seen);
	pegasus_app_list_free(list);

	t = pegasus_client_open_table(f->client, "tc_no_such_table", 0, &err);
	g_assert_null(t);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TABLE_NOT_FOUND);

	/* create (twice, success_if_exist), drop, then the table is gone */
	g_snprintf(other, sizeof(other), "%s_b", f->name);
	pegasus_create_app_options_init(&o);
	o.partition_count = 4;
	ASSERT_OK(pegasus_client_create_app(f->client, other, &o, 5000, NULL, &err), err);
	g_assert_false(pegasus_client_create_app(f->client, other, &o, 5000, NULL, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_SERVER);
	g_assert_cmpstr(err.server_error, ==, "ERR_APP_EXIST");
	o.success_if_exist = true;
	ASSERT_OK(pegasus_client_create_app(f->client, other, &o, 5000, NULL, &err), err);
	t = pegasus_client_open_table(f->client, other, 0, &err);
	g_assert_nonnull(t);
	ASSERT_OK(pegasus_table_set(t, S("h"), S("s"), S("v"), 0, 0, &err), err);
	ASSERT_OK(pegasus_client_drop_app(f->client, other, false, 0, &err), err);
	g_assert_false(pegasus_table_set(t, S("h"), S("s"), S("v"), 0, 500, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TABLE_NOT_FOUND);
	g_assert_false(pegasus_client_drop_app(f->client, other, false, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TABLE_NOT_FOUND);
	ASSERT_OK(pegasus_client_drop_app(f->client, other, true, 0, &err), err);
}

static void
test_lifecycle(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats st;
	PegasusTable *again;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);

	/* the same handle for the same name */
	again = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_true(again == f->table);
	g_assert_cmpstr(pegasus_table_name(again), ==, f->name);
	g_assert_cmpint(pegasus_table_app_id(again), >, 0);

	/* invalidated routing is queried again on next use */
	pegasus_client_reset_stats(f->client);
	pegasus_client_invalidate(f->client, f->name);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.routing_refreshes, ==, 1);
	g_assert_cmpuint(st.rpcs_sent, ==, 2);
	g_assert_cmpuint(st.rows_received, ==, 1);
	g_assert_cmpuint(st.bytes_sent, >, 48);
	g_assert_cmpuint(st.bytes_received, >, 0);

	/* after disconnecting, connections are made again on next use */
	pegasus_client_disconnect(f->client);
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.connects, ==, 1);
	g_assert_cmpuint(st.retries, ==, 0);
	pegasus_client_reset_stats(f->client);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 0);
}

static void
test_client_new_errors(void)
{
	PegasusError err;
	PegasusClient *c;

	c = pegasus_client_new("", NULL, &err);
	g_assert_null(c);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	c = pegasus_client_new("localhost", NULL, &err);
	g_assert_null(c);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	c = pegasus_client_new("127.0.0.1:70000", NULL, &err);
	g_assert_null(c);
	c = pegasus_client_new(" 127.0.0.1:1 , 127.0.0.1:2", NULL, &err);
	g_assert_nonnull(c);
	pegasus_client_free(c);
	g_assert_cmpstr(pegasus_error_code_name(PEGASUS_ERR_TIMEOUT), ==, "PEGASUS_ERR_TIMEOUT");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);

#define ADD(name, fn) \
	g_test_add("/client/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	g_test_add_func("/client/new-errors", test_client_new_errors);
	ADD("get-set-del", test_get_set_del);
	ADD("key-validation", test_key_validation);
	ADD("ttl", test_ttl);
	ADD("incr", test_incr);
	ADD("multi-get", test_multi_get);
	ADD("multi-set-del-range", test_multi_set_del_range);
	ADD("check-and-set", test_check_and_set);
	ADD("check-and-set-many", test_check_and_set_many);
	ADD("check-and-mutate", test_check_and_mutate);
	ADD("batch-get", test_batch_get);
	ADD("batch-get-start", test_batch_get_start);
	ADD("write-groups", test_write_groups);
	ADD("write-pipe", test_write_pipe);
	ADD("write-pipe-records", test_write_pipe_records);
	ADD("write-pipe-rounds", test_write_pipe_rounds);
	ADD("admin", test_admin);
	ADD("lifecycle", test_lifecycle);
	g_test_add_data_func("/client/zz-no-violations", control_addr, client_test_no_violations);
	return g_test_run();
}
