/*-------------------------------------------------------------------------
 *
 * test_client_faults.c
 *		Client routing and failure handling against a running onebox:
 *		moved partitions, stopped replicas, unreachable and non-leader meta
 *		servers, injected server errors, latency past the deadline,
 *		non-idempotent writes never re-sent, dropped connections, corrupt
 *		replies, the frame size cap and wait-hook interruption.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 * The multi-meta test starts a private onebox next to this program.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "client_internal.h"
#include "client_test_util.h"
#include "rawrpc.h"

static const char *meta_addr;
static const char *control_addr;
static const char *argv0;

typedef struct Fixture
{
	PegasusClient *client;
	PegasusTable *table;
	char		name[64];
	int			port;			/* primary of partition of ("h", "s") */
	int			other_port;		/* another replica endpoint, or 0 */
} Fixture;

#define control(...) client_test_control(control_addr, __VA_ARGS__)

static void
control_ok(char *r)
{
	if (!g_str_has_prefix(r, "OK"))
		g_error("control command failed: %s", r);
	g_free(r);
}

static int
primary_port(Fixture *f, const char *hk, const char *sk)
{
	int			p = pegasus_table_partition_of(f->table, S(hk), S(sk));

	return client_test_port_of(f->table->routes[p].primary);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	static int	counter = 0;
	PegasusError err;
	PegasusAppCreateOptions o;
	int			i;

	memset(f, 0, sizeof(*f));
	if (meta_addr == NULL)
		return;
	f->client = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(f->client);
	pegasus_client_set_timeout(f->client, 2000);
	g_snprintf(f->name, sizeof(f->name), "tc_fault_%d_%d", (int) getpid(), ++counter);
	pegasus_create_app_options_init(&o);
	o.partition_count = 8;
	ASSERT_OK(pegasus_client_create_app(f->client, f->name, &o, 5000, NULL, &err), err);
	f->table = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_nonnull(f->table);
	f->port = primary_port(f, "h", "s");
	for (i = 0; i < f->table->partition_count; i++)
	{
		int			p = client_test_port_of(f->table->routes[i].primary);

		if (p != f->port)
			f->other_port = p;
	}
	control_ok(control("reset-counters"));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	PegasusError err;

	if (f->client == NULL)
		return;
	/* undo whatever a failed test may have left behind */
	g_free(control("latency %d 0", f->port));
	g_free(control("start %d", f->port));
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

/* How many times port received rpc (from the onebox counters). */
static int
rpc_count(int port, const char *rpc)
{
	char	   *r = control("counters");
	char	  **lines = g_strsplit(r, "\n", -1);
	char		prefix[128];
	int			n = 0;
	int			i;

	g_snprintf(prefix, sizeof(prefix), "%d %s ", port, rpc);
	for (i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], prefix))
			n = atoi(lines[i] + strlen(prefix));
	g_strfreev(lines);
	g_free(r);
	return n;
}

static double
elapsed_ms(int64_t start)
{
	return (g_get_monotonic_time() - start) / 1000.0;
}

/* ---------------------------------------------------------------------- */

static void
test_partition_moved(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats st;
	int			p;

	if (!need_onebox(f))
		return;
	if (f->other_port == 0)
	{
		g_test_skip("single replica endpoint");
		return;
	}
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	p = pegasus_table_partition_of(f->table, S("h"), S("s"));
	control_ok(control("move %s %d %d", f->name, p, f->other_port));
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.routing_refreshes, >=, 1);
	g_assert_cmpint(client_test_port_of(f->table->routes[p].primary), ==, f->other_port);
	/* a write after the move goes to the new primary too */
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v2"), 0, 0, &err), err);
	f->port = f->other_port;
}

static void
test_replica_stopped(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	int64_t		start;
	double		ms;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	control_ok(control("stop %d", f->port));
	start = g_get_monotonic_time();
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 300, &v, &err));
	ms = elapsed_ms(start);
	g_assert_true(err.code == PEGASUS_ERR_CONNECT || err.code == PEGASUS_ERR_TIMEOUT ||
				  err.code == PEGASUS_ERR_IO);
	g_assert_cmpfloat(ms, >=, 250);
	g_assert_cmpfloat(ms, <, 800 + client_test_load_slack_ms());
	g_assert_cmpint(err.partition_index, ==, pegasus_table_partition_of(f->table, S("h"), S("s")));
	g_assert_cmpint(client_test_port_of(err.endpoint), ==, f->port);

	/* restarted: works again on the same client */
	control_ok(control("start %d", f->port));
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
}

static void
test_meta_failover(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusClient *c;
	PegasusTable *t;
	char	   *list;
	int64_t		start;

	if (!need_onebox(f))
		return;
	/* first meta server refuses connections: the next one is used */
	list = g_strdup_printf("127.0.0.1:1,%s", meta_addr);
	c = pegasus_client_new(list, NULL, &err);
	g_free(list);
	t = pegasus_client_open_table(c, f->name, 2000, &err);
	g_assert_nonnull(t);
	g_assert_cmpint(pegasus_table_partition_count(t), ==, 8);
	pegasus_client_free(c);

	/* no reachable meta server: an error within the deadline */
	c = pegasus_client_new("127.0.0.1:1", NULL, &err);
	start = g_get_monotonic_time();
	t = pegasus_client_open_table(c, f->name, 300, &err);
	g_assert_null(t);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_CONNECT);
	g_assert_nonnull(strstr(err.message, "refused"));
	g_assert_cmpfloat(elapsed_ms(start), <, 800 + client_test_load_slack_ms());
	pegasus_client_free(c);
}

static void
test_injected_errors(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats st;
	int64_t		nv;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);

	/* busy twice: backoff and retry */
	control_ok(control("fail %d RPC_RRDB_RRDB_GET 2 ERR_BUSY", f->port));
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.retries, ==, 2);
	g_assert_cmpuint(st.rpcs_sent, ==, 3);

	/* not primary: refresh the routing, retry */
	control_ok(control("fail %d RPC_RRDB_RRDB_GET 1 ERR_INVALID_STATE", f->port));
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.routing_refreshes, ==, 1);

	/* gate rejections of a non-idempotent write are safe to retry */
	control_ok(control("fail %d RPC_RRDB_RRDB_INCR 1 ERR_OBJECT_NOT_FOUND", f->port));
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 1, 0, 0, &nv, &err), err);
	g_assert_cmpint(nv, ==, 1);
	control_ok(control("fail %d RPC_RRDB_RRDB_INCR 1 ERR_SPLITTING", f->port));
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n"), 1, 0, 0, &nv, &err), err);
	g_assert_cmpint(nv, ==, 2);

	/* anything else fails at once, with the server's name */
	control_ok(control("reset-counters"));
	control_ok(control("fail %d RPC_RRDB_RRDB_GET 1 ERR_ACL_DENY", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_SERVER);
	g_assert_cmpstr(err.server_error, ==, "ERR_ACL_DENY");
	g_assert_cmpstr(err.rpc, ==, "get");
	g_assert_cmpint(client_test_port_of(err.endpoint), ==, f->port);
	g_assert_cmpint(err.app_id, ==, pegasus_table_app_id(f->table));
	g_assert_cmpint(rpc_count(f->port, "RPC_RRDB_RRDB_GET"), ==, 1);

	/* busy for longer than the deadline: gives up in time, says why */
	control_ok(control("fail %d RPC_RRDB_RRDB_GET 12 ERR_BUSY", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 200, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_BUSY);
	g_assert_cmpstr(err.server_error, ==, "ERR_BUSY");
	/* use up the injected failures left (backoff is capped at 500 ms) */
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 10000, &v, &err), err);
	pegasus_value_free(&v);
}

/*
 * Answers of a live cluster that no retry changes: each fails the call at
 * once (the one injected failure is used up, so a retry would have
 * succeeded), names the error and says what it means.  ERR_SPLITTING is
 * the one that means "try again".
 */
static void
test_live_cluster_errors(Fixture *f, gconstpointer data)
{
	static const struct
	{
		const char *rpc;
		const char *name;
		const char *says;
	}			cases[] = {
		{"RPC_RRDB_RRDB_PUT", "ERR_OPERATION_DISABLED", "bulk load"},
		{"RPC_RRDB_RRDB_INCR", "ERR_OPERATION_DISABLED", "duplication master"},
		{"RPC_RRDB_RRDB_CHECK_AND_SET", "ERR_OPERATION_DISABLED", "non-idempotent"},
		{"RPC_RRDB_RRDB_CHECK_AND_MUTATE", "ERR_OPERATION_DISABLED", "non-idempotent"},
		{"RPC_RRDB_RRDB_PUT", "ERR_DISK_INSUFFICIENT", "short of space"},
		{"RPC_RRDB_RRDB_MULTI_PUT", "ERR_DISK_IO_ERROR", "I/O errors"},
		{"RPC_RRDB_RRDB_GET", "ERR_RETRY_EXHAUSTED", "its own retries"},
		{"RPC_RRDB_RRDB_GET", "ERR_SOMETHING_NEWER", "does not know this error"},
	};
	PegasusError err;
	PegasusStats st;
	unsigned	i;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("1"), 0, 0, &err), err);
	for (i = 0; i < G_N_ELEMENTS(cases); i++)
	{
		PegasusValue v;
		PegasusCheckResult cr;
		PegasusSlice sk = S("s");
		PegasusSlice val = S("2");
		int64_t		nv;
		bool		ok;

		control_ok(control("fail %d %s 1 %s", f->port, cases[i].rpc, cases[i].name));
		pegasus_client_reset_stats(f->client);
		if (strcmp(cases[i].rpc, "RPC_RRDB_RRDB_PUT") == 0)
			ok = pegasus_table_set(f->table, S("h"), S("s"), S("2"), 0, 0, &err);
		else if (strcmp(cases[i].rpc, "RPC_RRDB_RRDB_MULTI_PUT") == 0)
			ok = pegasus_table_multi_set(f->table, S("h"), &sk, &val, 1, 0, 0, &err);
		else if (strcmp(cases[i].rpc, "RPC_RRDB_RRDB_INCR") == 0)
			ok = pegasus_table_incr(f->table, S("h"), S("n"), 1, 0, 0, &nv, &err);
		else if (strcmp(cases[i].rpc, "RPC_RRDB_RRDB_CHECK_AND_SET") == 0)
			ok = pegasus_table_check_and_set(f->table, S("h"), S("c"),
											 PEGASUS_CHECK_VALUE_NOT_EXIST, S(NULL),
											 S("c"), S("x"), NULL, 0, &cr, &err);
		else if (strcmp(cases[i].rpc, "RPC_RRDB_RRDB_CHECK_AND_MUTATE") == 0)
		{
			PegasusMutation m;

			memset(&m, 0, sizeof(m));
			m.op = PEGASUS_MUTATE_PUT;
			m.sort_key = S("c");
			m.value = S("x");
			ok = pegasus_table_check_and_mutate(f->table, S("h"), S("c"),
												PEGASUS_CHECK_VALUE_NOT_EXIST, S(NULL),
												&m, 1, false, 0, &cr, &err);
		}
		else
		{
			ok = pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err);
			if (ok)
				pegasus_value_free(&v);
		}
		if (ok)
			g_error("%s answered with %s succeeded", cases[i].rpc, cases[i].name);
		g_assert_cmpint(err.code, ==, PEGASUS_ERR_SERVER);
		g_assert_cmpstr(err.server_error, ==, cases[i].name);
		g_assert_nonnull(strstr(err.message, cases[i].name));
		if (strstr(err.message, cases[i].says) == NULL)
			g_error("%s: message does not explain it: %s", cases[i].name, err.message);
		g_assert_false(err.outcome_unknown);
		pegasus_client_get_stats(f->client, &st);
		g_assert_cmpuint(st.retries, ==, 0);
	}
	/* the value is the one written before */
	{
		PegasusValue v;

		ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
		g_assert_true(slice_is(v.value, "1"));
		pegasus_value_free(&v);
	}
	/* ERR_SPLITTING means "try again" */
	control_ok(control("fail %d RPC_RRDB_RRDB_PUT 2 ERR_SPLITTING", f->port));
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("3"), 0, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.retries, ==, 2);
}

static void
test_latency_deadline(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	int64_t		start;
	double		ms;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	/* replies late by more than deadline + load margin */
	control_ok(control("latency %d 4000", f->port));
	start = g_get_monotonic_time();
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 200, &v, &err));
	ms = elapsed_ms(start);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TIMEOUT);
	g_assert_cmpfloat(ms, >=, 195);
	g_assert_cmpfloat(ms, <, 400 + client_test_load_slack_ms());
	control_ok(control("latency %d 0", f->port));
	/* the late reply is discarded; the connection keeps working */
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	/* after the late reply has come (4 s after its request) */
	g_usleep((gulong) MAX(0, 4200 - elapsed_ms(start)) * 1000);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
}

static void
test_non_idempotent_not_resent(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusCheckResult r;
	int64_t		nv;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("10"), 0, 0, &err), err);
	control_ok(control("reset-counters"));
	control_ok(control("fail %d RPC_RRDB_RRDB_INCR 1 noreply", f->port));
	g_assert_false(pegasus_table_incr(f->table, S("h"), S("s"), 1, 0, 300, &nv, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_OUTCOME_UNKNOWN);
	g_assert_true(err.outcome_unknown);
	g_assert_cmpint(rpc_count(f->port, "RPC_RRDB_RRDB_INCR"), ==, 1);

	control_ok(control("fail %d RPC_RRDB_RRDB_CHECK_AND_SET 1 noreply", f->port));
	g_assert_false(pegasus_table_check_and_set(f->table, S("h"), S("s"), PEGASUS_CHECK_NO_CHECK,
											   S(""), S("s"), S("x"), NULL, 300, &r, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_OUTCOME_UNKNOWN);
	g_assert_cmpint(rpc_count(f->port, "RPC_RRDB_RRDB_CHECK_AND_SET"), ==, 1);

	/* an idempotent write that timed out says it may have been applied */
	control_ok(control("fail %d RPC_RRDB_RRDB_PUT 1 noreply", f->port));
	g_assert_false(pegasus_table_set(f->table, S("h"), S("s"), S("x"), 0, 300, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TIMEOUT);
	g_assert_true(err.outcome_unknown);

	/* the dropped requests were not applied; the value is untouched */
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "10"));
	pegasus_value_free(&v);
}

/* Wait hook that drops the server side of the connections once. */
typedef struct DropHook
{
	int			port;
	bool		armed;
	int			calls;
	bool		interrupt;
	bool		stop;			/* stop the endpoint instead of dropping */
	const char *rpc;			/* armed: drop once the server counted ... */
	int			count;			/* ... this many requests named rpc */
} DropHook;

/* Waits (at most 30 s) until the onebox counted n requests named rpc. */
static void
wait_rpc_count(int port, const char *rpc, int n)
{
	int			i;

	for (i = 0; i < 3000 && rpc_count(port, rpc) < n; i++)
		g_usleep(10 * 1000);
	g_assert_cmpint(rpc_count(port, rpc), >=, n);
}

static int
drop_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	DropHook   *h = arg;
	int			i;
	int			r;

	h->calls++;
	if (h->interrupt)
		return -1;
	if (h->armed)
	{
		h->armed = false;
		/* the request in flight has reached the server */
		wait_rpc_count(h->port, h->rpc, h->count);
		control_ok(control("%s %d", h->stop ? "stop" : "drop", h->port));
	}
	{
		GPollFD    *p = g_new0(GPollFD, MAX(nfds, 1));

		for (i = 0; i < nfds; i++)
		{
			p[i].fd = fds[i].fd;
			p[i].events = ((fds[i].events & PEGASUS_POLL_IN) ? G_IO_IN : 0) |
				((fds[i].events & PEGASUS_POLL_OUT) ? G_IO_OUT : 0);
		}
		r = g_poll(p, nfds, timeout_ms);
		for (i = 0; i < nfds; i++)
			fds[i].revents = ((p[i].revents & G_IO_IN) ? PEGASUS_POLL_IN : 0) |
				((p[i].revents & G_IO_OUT) ? PEGASUS_POLL_OUT : 0) |
				((p[i].revents & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) ? PEGASUS_POLL_ERR : 0);
		g_free(p);
	}
	return r;
}

static void
test_connection_dropped(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	DropHook	h;
	int64_t		nv;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	memset(&h, 0, sizeof(h));
	h.port = f->port;
	pegasus_client_set_wait_hook(f->client, drop_hook, &h);

	/* a read in flight when the connection drops is re-sent */
	control_ok(control("latency %d 300", f->port));
	h.rpc = "RPC_RRDB_RRDB_GET";
	h.count = rpc_count(f->port, h.rpc) + 1;
	h.armed = true;
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 2000, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	g_assert_cmpint(h.calls, >, 0);

	/* an incr in flight when the connection drops: outcome unknown */
	control_ok(control("reset-counters"));
	h.rpc = "RPC_RRDB_RRDB_INCR";
	h.count = 1;
	h.armed = true;
	g_assert_false(pegasus_table_incr(f->table, S("h"), S("n"), 1, 0, 2000, &nv, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_OUTCOME_UNKNOWN);
	g_assert_true(err.outcome_unknown);
	g_assert_cmpint(rpc_count(f->port, "RPC_RRDB_RRDB_INCR"), ==, 1);
	control_ok(control("latency %d 0", f->port));

	/*
	 * A set applied whose reply was lost with its connection, then retried
	 * against a replica that refuses connections until the deadline: the
	 * last cause is "refused", but the outcome is unknown, never "not
	 * applied".
	 */
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 2000, &v, &err), err);
	pegasus_value_free(&v);		/* the connection is up before the hook acts */
	control_ok(control("reset-counters"));
	control_ok(control("latency %d 300", f->port));
	h.rpc = "RPC_RRDB_RRDB_PUT";
	h.count = 1;
	h.stop = true;
	h.armed = true;
	g_assert_false(pegasus_table_set(f->table, S("h"), S("lost"), S("v"), 0, 1000, &err));
	g_assert_true(err.outcome_unknown);
	h.stop = false;
	control_ok(control("start %d", f->port));
	control_ok(control("latency %d 0", f->port));
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("lost"), 2000, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);

	/* an idle connection closed by the server is noticed before reuse */
	control_ok(control("drop %d", f->port));
	g_usleep(50 * 1000);
	control_ok(control("reset-counters"));
	ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("n2"), 5, 0, 0, &nv, &err), err);
	g_assert_cmpint(nv, ==, 5);
	pegasus_client_set_wait_hook(f->client, NULL, NULL);
}

static void
test_corrupt_replies(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusStats st;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);

	control_ok(control("corrupt %d garbage", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_PROTOCOL);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	pegasus_value_free(&v);

	control_ok(control("corrupt %d oversized", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_PROTOCOL);

	/*
	 * A reply naming another RPC is a protocol error.  (Some onebox builds
	 * close the connection instead of sending the bad name; the read is
	 * then re-sent and succeeds.)
	 */
	control_ok(control("corrupt %d badname", f->port));
	pegasus_client_reset_stats(f->client);
	if (pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err))
	{
		pegasus_client_get_stats(f->client, &st);
		g_assert_cmpuint(st.retries, >=, 1);
		pegasus_value_free(&v);
	}
	else
		g_assert_cmpint(err.code, ==, PEGASUS_ERR_PROTOCOL);

	/*
	 * A reply with a seqid no request had is a protocol error at once (not
	 * a wait for the deadline), and the next call works on a new connection.
	 */
	control_ok(control("corrupt %d badseqid", f->port));
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 3000, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_PROTOCOL);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	pegasus_value_free(&v);

	/* a truncated reply and a closed connection: a read is re-sent */
	control_ok(control("corrupt %d truncated", f->port));
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.retries, >=, 1);
}

static void
test_frame_cap(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	PegasusClientOptions o;
	PegasusClient *c;
	PegasusTable *t;
	char	   *big = g_malloc(4000);
	PegasusSlice bigv = {big, 4000};

	if (!need_onebox(f))
	{
		g_free(big);
		return;
	}
	memset(big, 'b', 4000);
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("big"), bigv, 0, 0, &err), err);
	pegasus_client_options_init(&o);
	o.max_frame_size = 1024;
	c = pegasus_client_new(meta_addr, &o, &err);
	t = pegasus_client_open_table(c, f->name, 0, &err);
	g_assert_nonnull(t);
	g_assert_false(pegasus_table_get(t, S("h"), S("big"), 0, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_PROTOCOL);
	/* small replies still pass */
	ASSERT_OK(pegasus_table_set(t, S("h"), S("small"), S("x"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(t, S("h"), S("small"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	pegasus_client_free(c);
	g_free(big);
}

static void
test_wait_hook_interrupt(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	DropHook	h;
	PegasusScanner *s;
	PegasusScanRow row;
	int64_t		start;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("v"), 0, 0, &err), err);
	memset(&h, 0, sizeof(h));
	h.interrupt = true;
	pegasus_client_set_wait_hook(f->client, drop_hook, &h);
	/* replies late by more than the limit + load margin */
	control_ok(control("latency %d 3000", f->port));
	start = g_get_monotonic_time();
	g_assert_false(pegasus_table_get(f->table, S("h"), S("s"), 5000, &v, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INTERRUPTED);
	g_assert_cmpfloat(elapsed_ms(start), <, 200 + client_test_load_slack_ms());
	g_assert_cmpint(h.calls, ==, 1);

	/* a scanner interrupted while waiting for its first batch */
	s = pegasus_table_get_scanner(f->table, S("h"), S(""), S(""), NULL, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, -1);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INTERRUPTED);
	pegasus_scanner_close(s);

	/* the next call works; the late replies are discarded by seqid */
	h.interrupt = false;
	control_ok(control("latency %d 0", f->port));
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	/* after the late replies have come (3 s after their requests) */
	g_usleep((gulong) MAX(0, 3300 - elapsed_ms(start)) * 1000);
	ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found && slice_is(v.value, "v"));
	pegasus_value_free(&v);
	pegasus_client_set_wait_hook(f->client, NULL, NULL);
}

/*
 * clear_scanner sent to a replica that lost the partition gets an error
 * frame nobody waits for; the connection must go on working.
 */
static void
test_unsolicited_clear_scanner_reply(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusScanRow row;
	PegasusValue v;
	char		hk[16];
	int			p;
	int			i;
	int			old_port;
	int			same_port_key = -1;

	if (!need_onebox(f))
		return;
	if (f->other_port == 0)
	{
		g_test_skip("single replica endpoint");
		return;
	}
	for (i = 0; i < 64; i++)
	{
		g_snprintf(hk, sizeof(hk), "k%d", i);
		ASSERT_OK(pegasus_table_set(f->table, S(hk), S("s"), S("v"), 0, 0, &err), err);
	}
	p = pegasus_table_partition_of(f->table, S("k0"), S("s"));
	old_port = client_test_port_of(f->table->routes[p].primary);
	/* a key of another partition on the same replica endpoint */
	for (i = 1; i < 64 && same_port_key < 0; i++)
	{
		int			q;

		g_snprintf(hk, sizeof(hk), "k%d", i);
		q = pegasus_table_partition_of(f->table, S(hk), S("s"));
		if (q != p && client_test_port_of(f->table->routes[q].primary) == old_port)
			same_port_key = i;
	}
	if (same_port_key < 0)
	{
		g_test_skip("no second partition on the same endpoint");
		return;
	}

	pegasus_scan_options_init(&o);
	o.batch_size = 1;
	s = pegasus_table_get_partition_scanner(f->table, &p, 1, &o, &err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 1);
	{
		int			target = f->other_port;
		int			k;

		/* any replica endpoint other than the current one */
		for (k = 0; k < f->table->partition_count; k++)
			if (client_test_port_of(f->table->routes[k].primary) != old_port)
				target = client_test_port_of(f->table->routes[k].primary);
		control_ok(control("move %s %d %d", f->name, p, target));
	}
	control_ok(control("reset-counters"));
	pegasus_scanner_close(s);	/* clear_scanner goes to the old endpoint */

	g_snprintf(hk, sizeof(hk), "k%d", same_port_key);
	/* reads on the old endpoint until it got the clear_scanner (at most 30 s) */
	for (i = 0; i < 5 || (i < 1500 && rpc_count(old_port, "RPC_RRDB_RRDB_CLEAR_SCANNER") < 1); i++)
	{
		ASSERT_OK(pegasus_table_get(f->table, S(hk), S("s"), 0, &v, &err), err);
		g_assert_true(v.found);
		pegasus_value_free(&v);
		g_usleep(20 * 1000);
	}
	g_assert_cmpint(rpc_count(old_port, "RPC_RRDB_RRDB_CLEAR_SCANNER"), >=, 1);
}

/* ---------------------------------------------------------------------- */

static int
free_port(void)
{
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t	len = sizeof(a);
	int			port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *) &a, sizeof(a)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *) &a, &len), ==, 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * A private onebox with two meta servers where the second is the leader:
 * the client, told only about the first, follows ERR_FORWARD_TO_OTHERS.
 */
/*
 * Throttling by app env: a rejecting limit the client backs off from and
 * gets through in the next second; one that rejects everything ends in
 * PEGASUS_ERR_BUSY at the deadline; a delaying limit only delays.  An incr
 * turned away with ERR_BUSY was not applied, so it is sent again and
 * counted once.
 */
static void
test_throttling(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusValue v;
	int64_t		nv = 0;
	int64_t		t0;
	int			i;

	if (!need_onebox(f))
		return;
	ASSERT_OK(pegasus_table_set(f->table, S("h"), S("s"), S("0"), 0, 0, &err), err);
	/* 8 partitions: 8 / 8 + 1 = 2 writes a second per partition */
	control_ok(control("app-env %s replica.write_throttling 8*reject*20", f->name));
	for (i = 0; i < 6; i++)
		ASSERT_OK(pegasus_table_incr(f->table, S("h"), S("s"), 1, 0, 3000, &nv, &err), err);
	g_assert_cmpint(nv, ==, 6);
	g_assert_cmpint(rpc_count(f->port, "RPC_RRDB_RRDB_INCR"), >, 6);

	/*
	 * One write a second: a write whose deadline ends within the second
	 * after the first fails, as its own kind
	 */
	control_ok(control("app-env %s replica.write_throttling 0*delay*0,1*reject*20", f->name));
	for (i = 0; i < 40; i++)
		if (!pegasus_table_set(f->table, S("h"), S("x"), S("v"), 0, 100, &err))
			break;
	g_assert_cmpint(i, <, 40);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_BUSY);
	g_assert_cmpstr(err.server_error, ==, "ERR_BUSY");

	/* reads: a delaying limit answers later, not an error */
	control_ok(control("app-env %s replica.write_throttling", f->name));
	control_ok(control("app-env %s replica.read_throttling 1*delay*100", f->name));
	t0 = g_get_monotonic_time();
	for (i = 0; i < 4; i++)
	{
		ASSERT_OK(pegasus_table_get(f->table, S("h"), S("s"), 0, &v, &err), err);
		g_assert_true(slice_is(v.value, "6"));
		pegasus_value_free(&v);
	}
	g_assert_cmpint((g_get_monotonic_time() - t0) / 1000, >=, 90);
	control_ok(control("app-env %s replica.read_throttling", f->name));
}

static void
test_meta_forward(void)
{
	char	   *dir = g_path_get_dirname(argv0);
	char	   *bin = g_build_filename(dir, "..", "onebox", "pegasus-onebox", NULL);
	int			m1 = free_port();
	int			m2 = free_port();
	int			r1 = free_port();
	int			cp = free_port();
	char	   *metas = g_strdup_printf("%d,%d", m1, m2);
	char	   *reps = g_strdup_printf("%d", r1);
	char	   *cps = g_strdup_printf("%d", cp);
	char	   *caddr = g_strdup_printf("127.0.0.1:%d", cp);
	char	   *maddr = g_strdup_printf("127.0.0.1:%d", m1);
	char	   *args[] = {bin, "--meta-port", metas, "--replica-ports", reps,
	"--control-port", cps, "--table", "fwd:4", NULL};
	GPid		pid;
	GError	   *gerr = NULL;
	PegasusClient *c;
	PegasusTable *t;
	PegasusError err;
	PegasusValue v;
	char	   *r = NULL;
	int			i;

	if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
	{
		g_test_skip("pegasus-onebox binary not found next to the tests");
		goto out;
	}
	if (!g_spawn_async(NULL, args, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
					   NULL, NULL, &pid, &gerr))
		g_error("cannot start onebox: %s", gerr->message);
	for (i = 0; i < 600 && r == NULL; i++)
	{
		g_usleep(50 * 1000);
		r = onebox_rawrpc_control(caddr, "ping");
	}
	g_assert_nonnull(r);
	g_free(r);
	control_ok(client_test_control(caddr, "leader %d", m2));

	c = pegasus_client_new(maddr, NULL, &err);
	t = pegasus_client_open_table(c, "fwd", 2000, &err);
	if (t == NULL)
		g_error("open through a non-leader failed: %s", err.message);
	ASSERT_OK(pegasus_table_set(t, S("h"), S("s"), S("v"), 0, 0, &err), err);
	ASSERT_OK(pegasus_table_get(t, S("h"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	/* the leader was learnt: admin calls go there */
	{
		char		leader[32];

		g_snprintf(leader, sizeof(leader), "127.0.0.1:%d", m2);
		g_assert_cmpstr(g_ptr_array_index(c->metas, c->meta_leader), ==, leader);
	}
	pegasus_client_free(c);
	r = client_test_control(caddr, "violations");
	g_assert_cmpstr(r, ==, "OK 0");
	g_free(r);
	kill(pid, SIGTERM);
	g_spawn_close_pid(pid);
out:
	g_free(dir);
	g_free(bin);
	g_free(metas);
	g_free(reps);
	g_free(cps);
	g_free(caddr);
	g_free(maddr);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	argv0 = argv[0];
	client_test_env(&meta_addr, &control_addr);
#define ADD(name, fn) \
	g_test_add("/client-faults/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("partition-moved", test_partition_moved);
	ADD("replica-stopped", test_replica_stopped);
	ADD("meta-failover", test_meta_failover);
	ADD("injected-errors", test_injected_errors);
	ADD("live-cluster-errors", test_live_cluster_errors);
	ADD("latency-deadline", test_latency_deadline);
	ADD("non-idempotent-not-resent", test_non_idempotent_not_resent);
	ADD("connection-dropped", test_connection_dropped);
	ADD("corrupt-replies", test_corrupt_replies);
	ADD("frame-cap", test_frame_cap);
	ADD("wait-hook-interrupt", test_wait_hook_interrupt);
	ADD("unsolicited-clear-scanner-reply", test_unsolicited_clear_scanner_reply);
	ADD("throttling", test_throttling);
	g_test_add_func("/client-faults/meta-forward", test_meta_forward);
	g_test_add_data_func("/client-faults/zz-no-violations", control_addr, client_test_no_violations);
	return g_test_run();
}
