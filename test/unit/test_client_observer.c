/*-------------------------------------------------------------------------
 *
 * test_client_observer.c
 *		The call observer against a running onebox: one report per logical
 *		call with its table, partition, replica, records, bytes and time;
 *		retries reported with their cause; failures and timeouts; nothing
 *		once the observer is removed; the routing as the client saw it.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "client_internal.h"
#include "client_test_util.h"
#include "rawrpc.h"

static const char *meta_addr;
static const char *control_addr;

/* A copy of one report (its strings live only during the callback). */
typedef struct Seen
{
	PegasusCallReport r;
	char		op[32];
	char		table[64];
	char		endpoint[PEGASUS_ENDPOINT_LEN];
	PegasusError error;
} Seen;

typedef struct Fixture
{
	PegasusClient *client;
	PegasusTable *table;
	char		name[64];
	int			port;			/* primary of partition of ("h", "s") */
	GArray	   *seen;			/* Seen */
} Fixture;

static void
observe(const PegasusCallReport *report, void *arg)
{
	Fixture    *f = arg;
	Seen		s;

	memset(&s, 0, sizeof(s));
	s.r = *report;
	g_strlcpy(s.op, report->op, sizeof(s.op));
	g_strlcpy(s.table, report->table, sizeof(s.table));
	g_strlcpy(s.endpoint, report->endpoint, sizeof(s.endpoint));
	if (report->error)
		s.error = *report->error;
	g_array_append_val(f->seen, s);
}

static Seen *
seen_at(Fixture *f, guint i)
{
	g_assert_cmpuint(i, <, f->seen->len);
	return &g_array_index(f->seen, Seen, i);
}

#define control(...) client_test_control(control_addr, __VA_ARGS__)

static void
control_ok(char *r)
{
	if (!g_str_has_prefix(r, "OK"))
		g_error("control command failed: %s", r);
	g_free(r);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	static int	counter = 0;
	PegasusError err;
	PegasusAppCreateOptions o;
	int			p;

	memset(f, 0, sizeof(*f));
	f->seen = g_array_new(false, true, sizeof(Seen));
	if (meta_addr == NULL)
		return;
	f->client = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(f->client);
	pegasus_client_set_timeout(f->client, 2000);
	g_snprintf(f->name, sizeof(f->name), "tc_observer_%d_%d", (int) getpid(), ++counter);
	pegasus_create_app_options_init(&o);
	o.partition_count = 4;
	o.replica_count = 3;
	ASSERT_OK(pegasus_client_create_app(f->client, f->name, &o, 5000, NULL, &err), err);
	f->table = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_nonnull(f->table);
	p = pegasus_table_partition_of(f->table, S("h"), S("s"));
	f->port = client_test_port_of(f->table->routes[p].primary);
	pegasus_client_set_call_observer(f->client, observe, f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	PegasusError err;

	if (f->client != NULL)
	{
		g_free(control("latency %d 0", f->port));
		pegasus_client_set_call_observer(f->client, NULL, NULL);
		ASSERT_OK(pegasus_client_drop_app(f->client, f->name, false, 5000, &err), err);
		pegasus_client_free(f->client);
	}
	g_array_free(f->seen, true);
}

static bool
need_onebox(Fixture *f)
{
	return client_test_need(f->client != NULL,
							"PEGASUS_TEST_META / PEGASUS_TEST_CONTROL not set: no onebox to test against");
}

/* A set and a get: one report each, with where they went and what moved. */
static void
test_point_calls(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	Seen	   *s;
	int			p;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("value"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("absent"), 0, &v, &err), err);
	g_assert_false(v.found);
	pegasus_value_free(&v);
	g_assert_cmpuint(f->seen->len, ==, 3);

	p = pegasus_table_partition_of(f->table, S("h"), S("s"));
	s = seen_at(f, 0);
	g_assert_cmpstr(s->op, ==, "set");
	g_assert_cmpint(s->r.event, ==, PEGASUS_CALL_EVENT_FINISHED);
	g_assert_true(s->r.ok);
	g_assert_cmpuint(s->r.records_sent, ==, 1);
	g_assert_cmpuint(s->r.records_received, ==, 0);

	s = seen_at(f, 1);
	g_assert_cmpstr(s->op, ==, "get");
	g_assert_cmpstr(s->table, ==, f->name);
	g_assert_cmpint(s->r.app_id, ==, pegasus_table_app_id(f->table));
	g_assert_cmpint(s->r.partition_index, ==, p);
	g_assert_cmpstr(s->endpoint, ==, f->table->routes[p].primary);
	g_assert_true(s->r.ok);
	g_assert_false(s->r.timed_out);
	g_assert_cmpint(s->r.retries, ==, 0);
	g_assert_cmpuint(s->r.records_sent, ==, 1);
	g_assert_cmpuint(s->r.records_received, ==, 1);
	g_assert_cmpuint(s->r.bytes_sent, >, 0);
	g_assert_cmpuint(s->r.bytes_received, >, 5);	/* the value at least */
	g_assert_cmpint(s->r.elapsed_us, >, 0);
	g_assert_cmpint(s->r.elapsed_us, <, 2000 * 1000);

	/* a key that is not there is a successful call that found nothing */
	s = seen_at(f, 2);
	g_assert_true(s->r.ok);
	g_assert_cmpuint(s->r.records_received, ==, 0);
}

/* 2,500 sort keys read 1,000 at a time: three calls, all the records. */
static void
test_range_pages(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusMultiGetOptions o;
	PegasusRangeReader *rr;
	PegasusKVList *page;
	uint64_t	records = 0;
	guint		i;
	int			r;

	if (!need_onebox(f))
		return;
	client_test_load_grid(f->table, 1, 2500);
	g_assert_cmpuint(f->seen->len, ==, 1);
	g_assert_cmpstr(seen_at(f, 0)->op, ==, "multi_set");
	g_assert_cmpuint(seen_at(f, 0)->r.records_sent, ==, 2500);
	g_array_set_size(f->seen, 0);

	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = 1000;
	rr = pegasus_table_range_reader(f->table, S("hk0"), S(""), S(""), &o, 0, 0, &err);
	g_assert_nonnull(rr);
	while ((r = pegasus_range_reader_next(rr, &page, &err)) == 1)
		pegasus_kvlist_free(page);
	g_assert_cmpint(r, ==, 0);
	pegasus_range_reader_close(rr);
	g_assert_cmpuint(f->seen->len, ==, 3);
	for (i = 0; i < f->seen->len; i++)
	{
		g_assert_cmpstr(seen_at(f, i)->op, ==, "multi_get");
		g_assert_true(seen_at(f, i)->r.ok);
		records += seen_at(f, i)->r.records_received;
	}
	g_assert_cmpuint(records, ==, 2500);
}

/* Retries are reported with their cause, then counted in the call's report. */
static void
test_retries_and_failures(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	Seen	   *s;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	g_array_set_size(f->seen, 0);

	control_ok(control("fail %d RPC_RRDB_RRDB_GET 2 ERR_BUSY", f->port));
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	pegasus_value_free(&v);
	g_assert_cmpuint(f->seen->len, ==, 3);
	s = seen_at(f, 0);
	g_assert_cmpint(s->r.event, ==, PEGASUS_CALL_EVENT_RETRY);
	g_assert_cmpstr(s->error.server_error, ==, "ERR_BUSY");
	g_assert_cmpint(s->r.retries, ==, 1);
	g_assert_cmpint(seen_at(f, 1)->r.event, ==, PEGASUS_CALL_EVENT_RETRY);
	g_assert_cmpint(seen_at(f, 1)->r.retries, ==, 2);
	s = seen_at(f, 2);
	g_assert_cmpint(s->r.event, ==, PEGASUS_CALL_EVENT_FINISHED);
	g_assert_true(s->r.ok);
	g_assert_cmpint(s->r.retries, ==, 2);
	g_array_set_size(f->seen, 0);

	/* not retried: fails with the server's name */
	control_ok(control("fail %d RPC_RRDB_RRDB_GET 1 ERR_ACL_DENY", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err));
	g_assert_cmpuint(f->seen->len, ==, 1);
	s = seen_at(f, 0);
	g_assert_false(s->r.ok);
	g_assert_false(s->r.timed_out);
	g_assert_cmpint(s->error.code, ==, PEGASUS_ERR_SERVER);
	g_assert_cmpstr(s->error.server_error, ==, "ERR_ACL_DENY");
	g_array_set_size(f->seen, 0);

	/* a replica that answers too late: a timeout */
	control_ok(control("latency %d 1500", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 200, &v, &err));
	control_ok(control("latency %d 0", f->port));
	g_assert_cmpuint(f->seen->len, ==, 1);
	s = seen_at(f, 0);
	g_assert_false(s->r.ok);
	g_assert_true(s->r.timed_out);
	g_assert_cmpint(s->r.elapsed_us, >=, 190 * 1000);
	g_array_set_size(f->seen, 0);

	/* removed: no more reports */
	pegasus_client_set_call_observer(f->client, NULL, NULL);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	pegasus_value_free(&v);
	g_assert_cmpuint(f->seen->len, ==, 0);
}

/* The partition table as the client last fetched it. */
static void
test_partition_info(Fixture *f, gconstpointer data)
{
	PegasusPartitionInfo info;
	PegasusTable *tables[4];
	int			i;

	if (!need_onebox(f))
		return;
	g_assert_cmpint(pegasus_table_partition_count(f->table), ==, 4);
	for (i = 0; i < 4; i++)
	{
		g_assert_true(pegasus_table_partition_info(f->table, i, &info));
		g_assert_cmpint(info.partition_index, ==, i);
		g_assert_cmpstr(info.primary, ==, f->table->routes[i].primary);
		g_assert_cmpint(strlen(info.primary), >, 0);
		g_assert_cmpint(info.ballot, >, 0);
		/* the onebox keeps three replicas of every partition */
		g_assert_nonnull(strchr(info.secondaries, ','));
		g_assert_null(strstr(info.secondaries, info.primary));
	}
	g_assert_false(pegasus_table_partition_info(f->table, 4, &info));
	g_assert_false(pegasus_table_partition_info(f->table, -1, &info));
	g_assert_false(pegasus_table_routing_stale(f->table));
	g_assert_cmpint(pegasus_client_open_tables(f->client, tables, 4), ==, 1);
	g_assert_true(tables[0] == f->table);
}

/*
 * The time blocked waiting for a replica, as pegasus_client_get_stats
 * reports it (what EXPLAIN ANALYZE shows as Pegasus Wait Time): a reply
 * held 300 ms by the replica is waited for nearly that long.
 */
static void
test_wait_time(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats before;
	PegasusStats after;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	control_ok(control("latency %d 300", f->port));
	pegasus_client_get_stats(f->client, &before);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 5000, &v, &err), err);
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &after);
	control_ok(control("latency %d 0", f->port));
	g_assert_cmpuint(after.wait_us - before.wait_us, >=, 280000);
	g_assert_cmpuint(after.wait_us, ==, pegasus_client_wait_us(f->client));
	/* a reset of the counters leaves the wait time, a running total */
	pegasus_client_reset_stats(f->client);
	pegasus_client_get_stats(f->client, &before);
	g_assert_cmpuint(before.rpcs_sent, ==, 0);
	g_assert_cmpuint(before.wait_us, ==, after.wait_us);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);
#define ADD(name, fn) \
	g_test_add("/client-observer/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("point-calls", test_point_calls);
	ADD("range-pages", test_range_pages);
	ADD("retries-and-failures", test_retries_and_failures);
	ADD("partition-info", test_partition_info);
	ADD("wait-time", test_wait_time);
	g_test_add_data_func("/client-observer/zz-no-violations", control_addr, client_test_no_violations);
	return g_test_run();
}
