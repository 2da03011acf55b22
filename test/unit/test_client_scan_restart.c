/*-------------------------------------------------------------------------
 *
 * test_client_scan_restart.c
 *		Every scan shape under every fault that makes a cursor begin again,
 *		each compared with the exact answer; and the server contexts a scan
 *		leaves behind when it fails.
 *
 * Shapes: rows, rows without values, rows with a hash-key filter, count,
 * count with a hash-key filter, count with a sort-key filter, one scanner
 * per partition (as parallel workers scan), and a hash-key scanner.
 * Faults, applied from the wait hook once the scan is under way: every
 * context lost (as when replicas restart), a truncated
 * reply, a garbage reply, a primary moved, a replica stopped and started
 * again, the connections reset, and a partition split.  Rows must come
 * exactly once each, counts must be exact.
 *
 * Contexts: a scan that fails (a replica slower than the deadline, a
 * replica stopped for good) must leave no context open once the client
 * has released its scans, including those whose replies came after the
 * failure; so must a scan that ends normally after faults that lose no
 * reply.
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

#define HASH_KEYS 400
#define PER_HASH 5
#define PARTITIONS 8
#define BATCH 10

static const char *meta_addr;
static const char *control_addr;

typedef enum Shape
{
	SHAPE_ROWS,
	SHAPE_NO_VALUE,
	SHAPE_ROWS_HK_FILTER,
	SHAPE_COUNT,
	SHAPE_COUNT_HK_FILTER,
	SHAPE_COUNT_SK_FILTER,
	SHAPE_PER_PARTITION,
	SHAPE_HASH_KEY,
	N_SHAPES
} Shape;

static const char *const shape_names[N_SHAPES] = {
	"rows", "no-value", "rows-hk-filter", "count", "count-hk-filter",
	"count-sk-filter", "per-partition", "hash-key"
};

typedef enum Fault
{
	FAULT_CONTEXT_LOST,
	FAULT_TRUNCATED,
	FAULT_GARBAGE,
	FAULT_MOVE,
	FAULT_STOP,
	FAULT_RESET,
	FAULT_SPLIT,
	N_FAULTS
} Fault;

static const char *const fault_names[N_FAULTS] = {
	"context-lost", "truncated", "garbage", "move", "stop", "reset", "split"
};

/* Faults after which no reply is lost, so no context may be left open. */
static bool
fault_loses_no_reply(Fault f)
{
	return f == FAULT_CONTEXT_LOST || f == FAULT_MOVE || f == FAULT_SPLIT;
}

typedef struct Fixture
{
	PegasusClient *client;
	PegasusTable *table;
	char		name[64];
} Fixture;

/* The fault the wait hook applies, and when. */
typedef struct FaultHook
{
	Fixture    *f;
	Fault		fault;
	int			calls;			/* hook calls so far */
	int			at_call;		/* apply at this call */
	bool		applied;
	int			stopped_port;	/* FAULT_STOP: to start again */
	int64_t		stopped_at;
} FaultHook;

static char *
control(const char *fmt,...) G_GNUC_PRINTF(1, 2);

static char *
control(const char *fmt,...)
{
	va_list		ap;
	char	   *cmd;
	char	   *r;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = onebox_rawrpc_control(control_addr, cmd);
	g_assert_nonnull(r);
	if (!g_str_has_prefix(r, "OK"))
		g_error("control \"%s\" failed: %s", cmd, r);
	g_free(cmd);
	return r;
}

static void
control_ok(const char *fmt,...) G_GNUC_PRINTF(1, 2);

static void
control_ok(const char *fmt,...)
{
	va_list		ap;
	char	   *cmd;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_free(control("%s", cmd));
	g_free(cmd);
}

static unsigned
scanner_count(void)
{
	char	   *r = control("scanner-count");
	unsigned	n = (unsigned) atoi(r + 3);

	g_free(r);
	return n;
}

/* Drops every context the faults of a case may have orphaned. */
static void
expire_all_contexts(void)
{
	control_ok("drop-scanners");
	g_assert_cmpuint(scanner_count(), ==, 0);
}

static int
port_of(const char *endpoint)
{
	const char *colon = strrchr(endpoint, ':');

	return colon ? atoi(colon + 1) : 0;
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
	pegasus_client_set_timeout(f->client, 5000);
	g_snprintf(f->name, sizeof(f->name), "tc_restart_%d_%d", (int) getpid(), ++counter);
	pegasus_create_app_options_init(&o);
	o.partition_count = PARTITIONS;
	ASSERT_OK(pegasus_client_create_app(f->client, f->name, &o, 5000, NULL, &err), err);
	f->table = pegasus_client_open_table(f->client, f->name, 0, &err);
	g_assert_nonnull(f->table);
	client_test_load_grid(f->table, HASH_KEYS, PER_HASH);
	expire_all_contexts();
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	PegasusError err;

	if (f->client == NULL)
		return;
	control_ok("clear-faults");
	ASSERT_OK(pegasus_client_drop_app(f->client, f->name, false, 5000, &err), err);
	pegasus_client_free(f->client);
	expire_all_contexts();
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

/* A replica port other than port, among the table's primaries. */
static int
other_replica_port(PegasusTable *t, int port)
{
	int			i;

	for (i = 0; i < t->partition_count; i++)
		if (port_of(t->routes[i].primary) != port && t->routes[i].primary[0])
			return port_of(t->routes[i].primary);
	g_error("the table has one replica only");
	return 0;
}

static void
apply_fault(FaultHook *h)
{
	PegasusTable *t = h->f->table;
	int			port = port_of(t->routes[0].primary);

	switch (h->fault)
	{
		case FAULT_CONTEXT_LOST:
			control_ok("drop-scanners");
			break;
		case FAULT_TRUNCATED:
			control_ok("corrupt %d truncated", port);
			break;
		case FAULT_GARBAGE:
			control_ok("corrupt %d garbage", port);
			break;
		case FAULT_MOVE:
			{
				int			to = other_replica_port(t, port);
				int			i;

				/* every primary of one replica: whatever a cursor reads */
				for (i = 0; i < t->partition_count; i++)
					if (port_of(t->routes[i].primary) == port)
						control_ok("move %s %d %d", h->f->name, i, to);
			}
			break;
		case FAULT_STOP:
			control_ok("stop %d", port);
			h->stopped_port = port;
			h->stopped_at = g_get_monotonic_time();
			break;
		case FAULT_RESET:
			control_ok("drop %d", port);
			break;
		case FAULT_SPLIT:
			control_ok("split %s", h->f->name);
			break;
		case N_FAULTS:
			break;
	}
}

/* Polls like the default hook, in slices, applying the fault on its turn. */
static int
fault_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	FaultHook  *h = arg;
	GPollFD    *p = g_new0(GPollFD, MAX(nfds, 1));
	int			i;
	int			r;

	if (!h->applied && ++h->calls >= h->at_call)
	{
		h->applied = true;
		apply_fault(h);
	}
	if (h->stopped_port > 0 &&
		g_get_monotonic_time() - h->stopped_at > 300 * 1000)
	{
		control_ok("start %d", h->stopped_port);
		h->stopped_port = 0;
	}
	for (i = 0; i < nfds; i++)
	{
		p[i].fd = fds[i].fd;
		p[i].events = ((fds[i].events & PEGASUS_POLL_IN) ? G_IO_IN : 0) |
			((fds[i].events & PEGASUS_POLL_OUT) ? G_IO_OUT : 0);
	}
	r = g_poll(p, nfds, timeout_ms < 0 || timeout_ms > 20 ? 20 : timeout_ms);
	for (i = 0; i < nfds; i++)
		fds[i].revents = ((p[i].revents & G_IO_IN) ? PEGASUS_POLL_IN : 0) |
			((p[i].revents & G_IO_OUT) ? PEGASUS_POLL_OUT : 0) |
			((p[i].revents & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) ? PEGASUS_POLL_ERR : 0);
	g_free(p);
	return r;
}

static bool
shape_counts(Shape shape)
{
	return shape == SHAPE_COUNT || shape == SHAPE_COUNT_HK_FILTER ||
		shape == SHAPE_COUNT_SK_FILTER;
}

static void
shape_options(Shape shape, PegasusScanOptions *o)
{
	pegasus_scan_options_init(o);
	o->batch_size = shape == SHAPE_HASH_KEY ? 1 : BATCH;
	o->timeout_ms = 10000;
	o->max_concurrency = 4;
	o->no_value = shape == SHAPE_NO_VALUE;
	o->only_return_count = shape_counts(shape);
	if (shape == SHAPE_ROWS_HK_FILTER || shape == SHAPE_COUNT_HK_FILTER)
	{
		o->hash_key_filter.type = PEGASUS_FILTER_PREFIX;
		o->hash_key_filter.pattern = S("hk1");
	}
	if (shape == SHAPE_COUNT_SK_FILTER)
	{
		o->sort_key_filter.type = PEGASUS_FILTER_POSTFIX;
		o->sort_key_filter.pattern = S("3");
	}
}

/* Whether grid row (i, j) is in the shape's answer. */
static bool
shape_selects(Shape shape, int i, int j)
{
	char		hk[16];

	g_snprintf(hk, sizeof(hk), "hk%d", i);
	switch (shape)
	{
		case SHAPE_ROWS_HK_FILTER:
		case SHAPE_COUNT_HK_FILTER:
			return g_str_has_prefix(hk, "hk1");
		case SHAPE_COUNT_SK_FILTER:
			return j % 10 == 3;
		case SHAPE_HASH_KEY:
			return i == 7;
		default:
			return true;
	}
}

/* Drains s into seen ("hk\tsk" -> times); checks values.  -1 on error. */
static int
drain_rows(PegasusScanner *s, Shape shape, GHashTable *seen, PegasusError *err)
{
	PegasusScanRow row;
	int			r;

	while ((r = pegasus_scanner_next(s, &row, err)) == 1)
	{
		char	   *k = g_strdup_printf("%.*s\t%.*s", (int) row.hash_key.len,
										(const char *) row.hash_key.data,
										(int) row.sort_key.len,
										(const char *) row.sort_key.data);
		char	   *want = g_strdup_printf("v%.*s_%.*s", (int) row.hash_key.len - 2,
										   (const char *) row.hash_key.data + 2,
										   (int) row.sort_key.len - 1,
										   (const char *) row.sort_key.data + 1);

		if (shape == SHAPE_NO_VALUE)
			g_assert_cmpuint(row.value.len, ==, 0);
		else if (row.value.len != strlen(want) ||
				 memcmp(row.value.data, want, row.value.len) != 0)
			g_error("row %s has the wrong value", k);
		g_free(want);
		g_hash_table_insert(seen, k,
							GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(seen, k)) + 1));
	}
	return r;
}

/*
 * Runs the shape's scan to its end; rows go to seen, counts to *count.
 * false (err filled) when the scan failed.
 */
static bool
try_shape(Fixture *f, Shape shape, GHashTable *seen, int64_t *count,
		  PegasusError *err)
{
	PegasusScanOptions o;
	PegasusScanner *s;
	int			p;
	int			r;

	shape_options(shape, &o);
	*count = 0;
	if (shape == SHAPE_PER_PARTITION)
	{
		for (p = 0; p < PARTITIONS; p++)
		{
			s = pegasus_table_get_partition_scanner_of(f->table, &p, 1, PARTITIONS,
													   &o, err);
			ASSERT_OK(s != NULL, *err);
			r = drain_rows(s, shape, seen, err);
			pegasus_scanner_close(s);
			if (r < 0)
				return false;
		}
		return true;
	}
	if (shape == SHAPE_HASH_KEY)
		s = pegasus_table_get_scanner(f->table, S("hk7"), S(NULL), S(NULL), &o, err);
	else
		s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, err);
	ASSERT_OK(s != NULL, *err);
	r = drain_rows(s, shape, seen, err);
	*count = pegasus_scanner_count(s);
	pegasus_scanner_close(s);
	return r == 0;
}

static void
run_shape(Fixture *f, Shape shape, GHashTable *seen, int64_t *count)
{
	PegasusError err;

	ASSERT_OK(try_shape(f, shape, seen, count, &err), err);
}

/* No row came twice (the answer of a scan that failed on the way). */
static void
check_no_duplicates(GHashTable *seen)
{
	GHashTableIter it;
	gpointer	k;
	gpointer	v;

	g_hash_table_iter_init(&it, seen);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (GPOINTER_TO_INT(v) != 1)
			g_error("row %s came %d times", (char *) k, GPOINTER_TO_INT(v));
}

static void
check_answer(Shape shape, GHashTable *seen, int64_t count)
{
	int64_t		want = 0;
	int			i;
	int			j;

	for (i = 0; i < HASH_KEYS; i++)
		for (j = 0; j < PER_HASH; j++)
		{
			char	   *k;
			int			times;

			if (!shape_selects(shape, i, j))
				continue;
			want++;
			if (shape_counts(shape))
				continue;
			k = g_strdup_printf("hk%d\ts%d", i, j);
			times = GPOINTER_TO_INT(g_hash_table_lookup(seen, k));
			if (times != 1)
				g_error("row %s came %d times", k, times);
			g_free(k);
		}
	if (shape_counts(shape))
		g_assert_cmpint(count, ==, want);
	else
		g_assert_cmpint(g_hash_table_size(seen), ==, want);
}

typedef struct Case
{
	Shape		shape;
	Fault		fault;
} Case;

static void
test_restart(Fixture *f, gconstpointer data)
{
	const Case *c = data;
	FaultHook	h;
	GHashTable *seen;
	int64_t		count;
	PegasusError err;

	if (!need_onebox(f))
		return;
	control_ok("split-delay 30");
	memset(&h, 0, sizeof(h));
	h.f = f;
	h.fault = c->fault;
	h.at_call = 3;
	pegasus_client_set_wait_hook(f->client, fault_hook, &h);
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (try_shape(f, c->shape, seen, &count, &err))
		check_answer(c->shape, seen, count);
	else if (c->fault == FAULT_GARBAGE && err.code == PEGASUS_ERR_PROTOCOL)
	{
		/* a reply that is not Pegasus's fails the scan: never a wrong row */
		g_test_message("the scan failed as it should: %s", err.message);
		check_no_duplicates(seen);
	}
	else
		g_error("the scan failed: %s %s", pegasus_error_code_name(err.code),
				err.message);
	g_assert_true(h.applied);
	if (h.stopped_port > 0)
		control_ok("start %d", h.stopped_port);
	g_hash_table_destroy(seen);

	/* the replies owed to abandoned requests come in, their contexts go */
	g_assert_cmpint(pegasus_client_release_scans(f->client, 5000), ==, 0);
	pegasus_client_set_wait_hook(f->client, NULL, NULL);
	if (fault_loses_no_reply(c->fault))
		g_assert_cmpuint(scanner_count(), ==, 0);
	if (c->fault == FAULT_SPLIT)
	{
		char	   *st;

		/* let the split finish before the table is dropped */
		for (;;)
		{
			st = control("split-status %s", f->name);
			if (strstr(st, "phase=split") || strstr(st, "phase=none"))
				break;
			g_free(st);
			g_usleep(20 * 1000);
		}
		g_free(st);
	}
	control_ok("split-delay 200");
}

/*
 * A whole-table scan fails: one replica answers after the deadline.  Once
 * the scan is closed and the client has released its scans (as the FDW
 * does when the transaction ends), no context is left on any replica:
 * neither those of cursors on healthy replicas nor those the slow replica's
 * late replies name.  with_disconnect: the client's connections are closed
 * first, as after an uncertain call.
 */
static void
slow_replica_case(Fixture *f, bool with_disconnect)
{
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusError err;
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int			port;

	port = port_of(f->table->routes[2].primary);
	shape_options(SHAPE_ROWS, &o);
	o.timeout_ms = 1000;
	o.max_concurrency = PARTITIONS;
	control_ok("latency %d 2500", port);
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	ASSERT_OK(s != NULL, err);
	g_assert_cmpint(drain_rows(s, SHAPE_ROWS, seen, &err), ==, -1);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_TIMEOUT);
	if (with_disconnect)
	{
		pegasus_client_disconnect(f->client);
		pegasus_scanner_close(s);
	}
	else
		pegasus_scanner_close(s);
	control_ok("latency %d 0", port);
	g_assert_cmpint(pegasus_client_release_scans(f->client, 6000), ==, 0);
	g_assert_cmpuint(scanner_count(), ==, 0);
	g_hash_table_destroy(seen);
}

static void
test_failed_scan_slow_replica(Fixture *f, gconstpointer data)
{
	if (!need_onebox(f))
		return;
	slow_replica_case(f, false);
}

static void
test_failed_scan_slow_replica_disconnect(Fixture *f, gconstpointer data)
{
	if (!need_onebox(f))
		return;
	slow_replica_case(f, true);
}

/*
 * A replica stopped for good fails the scan; the contexts of the cursors
 * on the other replicas are cleared when the scan is closed.
 */
static void
test_failed_scan_stopped_replica(Fixture *f, gconstpointer data)
{
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusError err;
	PegasusScanRow row;
	int			port;
	int			r;
	int			n = 0;

	if (!need_onebox(f))
		return;
	port = port_of(f->table->routes[0].primary);
	shape_options(SHAPE_ROWS, &o);
	o.timeout_ms = 800;
	o.max_concurrency = PARTITIONS;
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	ASSERT_OK(s != NULL, err);
	/* every cursor holds a context now; then the replica goes */
	while ((r = pegasus_scanner_next(s, &row, &err)) == 1 && ++n < 2 * BATCH)
		;
	g_assert_cmpint(r, ==, 1);
	g_assert_cmpuint(scanner_count(), >, 0);
	control_ok("stop %d", port);
	while ((r = pegasus_scanner_next(s, &row, &err)) == 1)
		;
	g_assert_cmpint(r, ==, -1);
	pegasus_scanner_close(s);
	g_assert_cmpint(pegasus_client_release_scans(f->client, 3000), ==, 0);
	control_ok("start %d", port);

	/*
	 * What is left is on the stopped replica, at most one context for each
	 * of its partitions (the clears could not reach it); the healthy
	 * replicas keep none.
	 */
	for (r = 0, n = 0; r < f->table->partition_count; r++)
		if (port_of(f->table->routes[r].primary) == port)
			n++;
	g_assert_cmpuint(scanner_count(), <=, n);
}

/*
 * A scanner left open when the client closes its connections stops: its
 * next call fails, and its contexts were cleared before the sockets went.
 */
static void
test_disconnect_stops_open_scanners(Fixture *f, gconstpointer data)
{
	PegasusScanOptions o;
	PegasusScanner *s;
	PegasusError err;
	PegasusScanRow row;

	if (!need_onebox(f))
		return;
	shape_options(SHAPE_ROWS, &o);
	o.max_concurrency = PARTITIONS;
	s = pegasus_table_get_partition_scanner(f->table, NULL, 0, &o, &err);
	ASSERT_OK(s != NULL, err);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, 1);
	g_assert_cmpuint(scanner_count(), >, 0);
	pegasus_client_disconnect(f->client);
	g_assert_cmpuint(scanner_count(), ==, 0);
	g_assert_cmpint(pegasus_scanner_next(s, &row, &err), ==, -1);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_IO);
	pegasus_scanner_close(s);
	/* the client goes on: a new scan works */
	{
		GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		int64_t		count;

		run_shape(f, SHAPE_COUNT, seen, &count);
		check_answer(SHAPE_COUNT, seen, count);
		g_hash_table_destroy(seen);
	}
}

int
main(int argc, char **argv)
{
	static Case cases[N_SHAPES * N_FAULTS];
	int			s;
	int			fl;

	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);
	for (s = 0; s < N_SHAPES; s++)
		for (fl = 0; fl < N_FAULTS; fl++)
		{
			Case	   *c = &cases[s * N_FAULTS + fl];
			char	   *path = g_strdup_printf("/scan-restart/%s/%s", shape_names[s],
											   fault_names[fl]);

			c->shape = (Shape) s;
			c->fault = (Fault) fl;
			g_test_add(path, Fixture, c, fixture_setup, test_restart, fixture_teardown);
			g_free(path);
		}
#define ADD(name, fn) \
	g_test_add("/scan-contexts/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("failed-scan-slow-replica", test_failed_scan_slow_replica);
	ADD("failed-scan-slow-replica-disconnect", test_failed_scan_slow_replica_disconnect);
	ADD("failed-scan-stopped-replica", test_failed_scan_stopped_replica);
	ADD("disconnect-stops-open-scanners", test_disconnect_stops_open_scanners);
	g_test_add_data_func("/scan-restart/zz-no-violations", control_addr,
						 client_test_no_violations);
	return g_test_run();
}
