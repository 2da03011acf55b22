/*-------------------------------------------------------------------------
 *
 * split_smoke.c
 *		Onebox tests: partition splits, throttling, host_port fields, the
 *		captured wire vectors, and a smoke test against the shared onebox.
 *
 * test/unit/onebox/split_smoke.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "pegasus_codec.h"
#include "client_test_util.h"
#include "rawrpc.h"
#include "onebox_test.h"

/* ------------------------------------------------------------------------
 * Partition split (split.c)
 * ------------------------------------------------------------------------ */

/*
 * Records of one partition, scanned with partition hash `hash`; validate
 * < 0 leaves validate_partition_hash unset (the server's default: true).
 * Adds "hk" keys to seen (when not NULL); returns the row count or -1 when
 * the first call failed with a frame error (*frame_error says which).
 */
/* A get_scanner of a whole partition (full_scan), batch records a call */
static void
full_scan_request(PegasusGetScannerRequest *g, gint32 batch)
{
	static const guint8 start[2] = {0, 0};
	static const guint8 stop[2] = {0xff, 0xff};

	memset(g, 0, sizeof(*g));
	g->start_key = pegasus_codec_blob(start, 2);
	g->stop_key = pegasus_codec_blob(stop, 2);
	g->start_inclusive = TRUE;
	g->batch_size = batch;
	g->has_full_scan = TRUE;
	g->full_scan = TRUE;
}

static int
scan_partition(Route *rt, gint32 pidx, guint64 hash, int validate, GHashTable *seen,
			   PegasusErrorCode *frame_error)
{
	PegasusGetScannerRequest g;
	Reply	   *rp;
	int			rows = 0;

	full_scan_request(&g, 7);
	if (validate >= 0)
	{
		g.has_validate_partition_hash = TRUE;
		g.validate_partition_hash = validate > 0;
	}
	rp = get_scanner_at(rt, pidx, hash, &g);
	g_assert_nonnull(rp);
	if (frame_error)
		*frame_error = rp->r.frame_error;
	if (rp->r.frame_error != PEGASUS_EC_OK)
	{
		reply_free(rp);
		return -1;
	}
	for (;;)
	{
		gint64		id;
		guint32		i;

		g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
		g_assert_cmpint(rp->r.u.scan.error, ==, 0);
		for (i = 0; i < rp->r.u.scan.n_kvs; i++)
		{
			PegasusBlob k = rp->r.u.scan.kvs[i].key;

			if (seen)
			{
				char	   *ks = g_strndup((const char *) k.data + 2, k.len - 2);

				g_assert_false(g_hash_table_contains(seen, ks));
				g_hash_table_add(seen, ks);
			}
			rows++;
		}
		id = rp->r.u.scan.context_id;
		reply_free(rp);
		if (id == -1)
			break;
		rp = scan_at(rt, pidx, hash, id);
		g_assert_nonnull(rp);
	}
	return rows;
}

static gboolean
status_has(const char *table, const char *want)
{
	char	   *out = control("split-status %s", table);
	gboolean	r = strstr(out, want) != NULL;

	if (!r)
		g_test_message("split-status %s: %s (want %s)", table, out, want);
	g_free(out);
	return r;
}

/* A get of (hk, "s") at partition pidx of rt with the key's own hash */
static Reply *
get_at(Route *rt, gint32 pidx, const char *hk)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, "s");
	Reply	   *rp;

	req_init(&req, PEGASUS_RPC_GET, rt->app_id, pidx,
			 pegasus_codec_key_partition_hash(k->data, k->len));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = call_port(rt->ports[pidx], &req);
	g_assert_nonnull(rp);
	g_byte_array_unref(k);
	return rp;
}

/* A hash key whose hash mod `count` is `pidx` */
static void
hash_key_in(int count, int pidx, const char *prefix, char *out, gsize len)
{
	int			i;

	for (i = 0;; i++)
	{
		g_snprintf(out, len, "%s%d", prefix, i);
		if ((int) (hk_hash(out) % (guint64) count) == pidx)
			return;
	}
}

void
test_split_phases(void)
{
	Route		rt4,
				rt8,
				rt;
	GHashTable *seen;
	PegasusErrorCode fe;
	Reply	   *rp;
	char		hk_child[32],
				hk_parent[32];
	char	   *out;
	int			total = 0;
	int			rows;
	int			p;
	int			i;
	guint64		before = violations();

	REQUIRE_BOX();
	/* faults other tests armed on every endpoint ("fail *") */
	control_ok("clear-faults");
	control_ok("split-delay 86400000");
	g_free(control("create split_t 4"));
	g_assert_true(route_table("split_t", &rt4));
	for (i = 0; i < 200; i++)
	{
		char		hk[32];

		g_snprintf(hk, sizeof(hk), "sp%d", i);
		g_assert_cmpint(t_put(&rt4, hk, "s", "v", 0), ==, 0);
		total++;
	}
	g_assert_true(status_has("split_t", "phase=none partitions=4"));

	/* copying: 8 partitions, children at ballot -1 without primary */
	out = control("split split_t");
	g_assert_cmpstr(out, ==, "OK partitions=8");
	g_free(out);
	out = control("split split_t");
	g_assert_true(g_str_has_prefix(out, "ERR"));
	g_free(out);
	g_assert_true(status_has("split_t", "phase=copying partitions=8 ready=4 parent=-1"));
	g_assert_true(route_table("split_t", &rt8));
	g_assert_cmpint(rt8.count, ==, 8);
	for (p = 0; p < 4; p++)
	{
		g_assert_cmpint(rt8.ballots[p], ==, 1);
		g_assert_cmpint(rt8.ports[p], ==, rt4.ports[p]);
		g_assert_cmpint(rt8.ballots[p + 4], ==, -1);
		g_assert_cmpint(rt8.ports[p + 4], ==, 0);
	}
	/* a child is not served anywhere yet */
	hash_key_in(8, 4, "child", hk_child, sizeof(hk_child));
	rt = rt8;
	rt.ports[4] = rt4.ports[0];
	rp = get_at(&rt, 4, hk_child);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);
	/* its keys are written and read through the parent */
	g_assert_cmpint(t_put(&rt4, hk_child, "s", "during", 0), ==, 0);
	total++;
	assert_value(&rt4, hk_child, "s", "during");
	hash_key_in(8, 0, "parent", hk_parent, sizeof(hk_parent));
	g_assert_cmpint(t_put(&rt4, hk_parent, "s", "p", 0), ==, 0);
	total++;

	/* registering: parent 0 answers ERR_SPLITTING to everything */
	g_free(control("split-step split_t"));
	g_assert_true(status_has("split_t", "phase=registering partitions=8 ready=4 parent=0"));
	rp = get_at(&rt4, 0, hk_parent);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_SPLITTING);
	reply_free(rp);
	g_assert_cmpint(scan_partition(&rt4, 0, 0, -1, NULL, &fe), ==, -1);
	g_assert_cmpint(fe, ==, PEGASUS_EC_SPLITTING);
	/* parent 1 still serves its whole half */
	g_assert_cmpint(scan_partition(&rt4, 1, 1, -1, NULL, &fe), >, 0);

	/* child 4 registered: a copy, ballot of the parent + 1 */
	g_free(control("split-step split_t"));
	g_assert_true(status_has("split_t", "phase=registering partitions=8 ready=5 parent=-1"));
	g_assert_true(route_table("split_t", &rt8));
	g_assert_cmpint(rt8.ballots[4], ==, rt8.ballots[0] + 1);
	g_assert_cmpint(rt8.ports[4], !=, 0);
	g_assert_cmpint(rt8.ballots[5], ==, -1);
	/* the moved half: misused at the parent, found (also the write made during the split) at the child */
	rp = get_at(&rt4, 0, hk_child);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_PARENT_PARTITION_MISUSED);
	reply_free(rp);
	assert_value(&rt8, hk_child, "s", "during");
	assert_value(&rt8, hk_parent, "s", "p");
	/* a request routed with the old count for a key that stays is served */
	assert_value(&rt4, hk_parent, "s", "p");
	/* a hash that selects partition 0 under no count the table had */
	{
		PegasusRequest req;
		GByteArray *k = rrdb_key(hk_parent, "s");

		req_init(&req, PEGASUS_RPC_GET, rt8.app_id, 0, 1);
		req.u.key = pegasus_codec_blob(k->data, k->len);
		expect_violation_req(rt8.ports[0], &req, "split partition_hash");
		g_byte_array_unref(k);
		before++;
	}
	/* scans: the parent skips the moved half unless told not to validate */
	{
		int			own = scan_partition(&rt8, 0, 0, 1, NULL, NULL);
		int			dflt = scan_partition(&rt8, 0, 0, -1, NULL, NULL);
		int			all = scan_partition(&rt8, 0, 0, 0, NULL, NULL);
		int			child = scan_partition(&rt8, 4, 4, -1, NULL, NULL);

		g_assert_cmpint(own, ==, dflt);
		g_assert_cmpint(own + child, ==, all);
		g_assert_cmpint(child, >, 0);
		/* an old-count scan hash that now selects the child */
		g_assert_cmpint(scan_partition(&rt8, 0, G_MAXUINT64 - 3, -1, NULL, &fe), ==, -1);
		g_assert_cmpint(fe, ==, PEGASUS_EC_PARENT_PARTITION_MISUSED);
	}

	/* to the end: every record once over the 8 partitions */
	while (!status_has("split_t", "phase=split"))
		g_free(control("split-step split_t"));
	g_assert_true(status_has("split_t", "phase=split partitions=8 ready=8 parent=-1"));
	g_assert_true(route_table("split_t", &rt8));
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	rows = 0;
	for (p = 0; p < 8; p++)
		rows += scan_partition(&rt8, p, (guint64) p, -1, seen, NULL);
	g_assert_cmpint(rows, ==, total);
	g_hash_table_destroy(seen);

	/* compact drops the moved halves; the scans stay the same */
	out = control("compact split_t");
	g_assert_true(g_str_has_prefix(out, "OK removed="));
	g_assert_cmpint(atoi(out + strlen("OK removed=")), ==, total);
	g_free(out);
	g_assert_true(status_has("split_t", "phase=none"));
	rows = 0;
	for (p = 0; p < 8; p++)
		rows += scan_partition(&rt8, p, (guint64) p, 0, NULL, NULL);
	g_assert_cmpint(rows, ==, total);

	/* a timed split runs through its phases by itself */
	control_ok("split-delay 5");
	control_ok("split split_t");
	for (i = 0; i < 2000 && !status_has("split_t", "phase=split"); i++)
		g_usleep(10000);
	g_assert_true(status_has("split_t", "phase=split partitions=16 ready=16"));
	g_assert_true(route_table("split_t", &rt));
	rows = 0;
	for (p = 0; p < 16; p++)
		rows += scan_partition(&rt, p, (guint64) p, -1, NULL, NULL);
	g_assert_cmpint(rows, ==, total);
	control_ok("split-delay 200");
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table split_t"));
}

/* A put of (hk, "s") at partition pidx of rt with the key's own hash */
static Reply *
put_at(Route *rt, gint32 pidx, const char *hk, gint32 client_timeout)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, "s");
	Reply	   *rp;

	req_init(&req, PEGASUS_RPC_PUT, rt->app_id, pidx,
			 pegasus_codec_key_partition_hash(k->data, k->len));
	req.header.client_timeout = client_timeout;
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	req.u.put.value = pegasus_codec_blob_str("v");
	rp = call_port(rt->ports[pidx], &req);
	g_assert_nonnull(rp);
	g_byte_array_unref(k);
	return rp;
}

static PegasusErrorCode
get_error_at(Route *rt, gint32 pidx, const char *hk)
{
	Reply	   *rp = get_at(rt, pidx, hk);
	PegasusErrorCode fe = rp->r.frame_error;

	reply_free(rp);
	return fe;
}

static PegasusErrorCode
put_error_at(Route *rt, gint32 pidx, const char *hk)
{
	Reply	   *rp = put_at(rt, pidx, hk, 1000);
	PegasusErrorCode fe = rp->r.frame_error;

	reply_free(rp);
	return fe;
}

/* The list after "windows=" in the table's split-status ("-" for none) */
static char *
split_windows(const char *table)
{
	char	   *out = control("split-status %s", table);
	char	   *w = strstr(out, "windows=");
	char	   *r;

	g_assert_nonnull(w);
	r = g_strndup(w + 8, strcspn(w + 8, " "));
	g_free(out);
	return r;
}

/*
 * Random order: parents open their windows in a seeded shuffle, two at a
 * time, and both answer ERR_SPLITTING at once; the children register in
 * that order, not 0..N-1.
 */
void
test_split_random_order(void)
{
	Route		rt8,
				rt;
	GString    *order = g_string_new("");
	int			max_open = 0;
	int			i;
	guint64		before = violations();

	REQUIRE_BOX();
	control_ok("clear-faults");
	control_ok("split-delay 86400000");
	control_ok("split-mode random 7 2");
	g_free(control("create split_r 8"));
	g_assert_true(route_table("split_r", &rt8));
	control_ok("split split_r");
	for (i = 0; i < 64 && !status_has("split_r", "phase=split"); i++)
	{
		char	   *w;
		char	  **open;
		int			n;
		int			j;

		g_free(control("split-step split_r"));
		w = split_windows("split_r");
		open = g_strsplit(w, ",", -1);
		n = strcmp(w, "-") == 0 ? 0 : (int) g_strv_length(open);
		max_open = MAX(max_open, n);
		/* every parent in its window turns requests away */
		for (j = 0; j < n; j++)
		{
			char		hk[32];
			int			pidx = atoi(open[j]);

			hash_key_in(16, pidx, "rw", hk, sizeof(hk));
			g_assert_cmpint(get_error_at(&rt8, pidx, hk), ==, PEGASUS_EC_SPLITTING);
		}
		/* children in the order they appear in query_cfg */
		g_assert_true(route_table("split_r", &rt));
		for (j = 8; j < 16; j++)
		{
			char		tag[8];

			g_snprintf(tag, sizeof(tag), ",%d,", j - 8);
			if (rt.ballots[j] >= 0 && strstr(order->str, tag) == NULL)
				g_string_append_printf(order, "%s%d,", order->len ? "" : ",", j - 8);
		}
		g_strfreev(open);
		g_free(w);
	}
	g_assert_true(status_has("split_r", "phase=split partitions=16 ready=16"));
	g_test_message("registration order %s, up to %d windows at once", order->str, max_open);
	g_assert_cmpint(max_open, >=, 2);
	g_assert_cmpstr(order->str, !=, ",0,1,2,3,4,5,6,7,");
	g_assert_cmpuint(order->len, ==, strlen(",0,1,2,3,4,5,6,7,"));
	control_ok("split-mode sequential");
	control_ok("split-delay 200");
	g_assert_cmpuint(violations(), ==, before);
	g_string_free(order, TRUE);
	g_free(control("drop-table split_r"));
}

/*
 * A registered child answers ERR_INVALID_STATE until the meta's reply
 * reaches its parent, which stays in its window meanwhile.
 */
void
test_split_child_activation(void)
{
	Route		rt4,
				rt8;
	char		hk_child[32],
				hk_parent[32];
	guint64		before = violations();

	REQUIRE_BOX();
	control_ok("clear-faults");
	control_ok("split-delay 86400000");
	control_ok("split-activate-delay 3600000");
	g_free(control("create split_a 4"));
	g_assert_true(route_table("split_a", &rt4));
	hash_key_in(8, 4, "ac", hk_child, sizeof(hk_child));
	hash_key_in(8, 0, "ap", hk_parent, sizeof(hk_parent));
	g_assert_cmpint(t_put(&rt4, hk_child, "s", "c", 0), ==, 0);
	control_ok("split split_a");
	g_free(control("split-step split_a"));	/* parent 0: window */
	g_free(control("split-step split_a"));	/* the meta registers child 4 */
	g_assert_true(status_has("split_a", "phase=registering partitions=8 ready=5 parent=0 windows=0 active=4"));
	g_assert_true(route_table("split_a", &rt8));
	g_assert_cmpint(rt8.ballots[4], ==, rt8.ballots[0] + 1);
	g_assert_cmpint(rt8.ports[4], !=, 0);
	/* the child is named a primary but is not active yet */
	g_assert_cmpint(get_error_at(&rt8, 4, hk_child), ==, PEGASUS_EC_INVALID_STATE);
	g_assert_cmpint(put_error_at(&rt8, 4, hk_child), ==, PEGASUS_EC_INVALID_STATE);
	/* its parent is still in its window */
	g_assert_cmpint(get_error_at(&rt4, 0, hk_parent), ==, PEGASUS_EC_SPLITTING);
	/* the reply reaches the parent: both serve */
	g_free(control("split-step split_a"));
	g_assert_true(status_has("split_a", "ready=5 parent=-1 windows=- active=5"));
	assert_value(&rt8, hk_child, "s", "c");
	g_assert_cmpint(get_error_at(&rt8, 0, hk_parent), ==, PEGASUS_EC_OK);
	control_ok("split-activate-delay 0");
	control_ok("split-delay 200");
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table split_a"));
}

/*
 * Pause leaves children unregistered (a parent in its window leaves it),
 * resume goes on, cancel is refused once a child registered and otherwise
 * halves the partition count again.
 */
void
test_split_pause_cancel(void)
{
	Route		rt4,
				rt;
	char		hk[32];
	char	   *out;
	int			i;
	guint64		before = violations();

	REQUIRE_BOX();
	control_ok("clear-faults");
	control_ok("split-delay 86400000");
	g_free(control("create split_c 4"));
	g_assert_true(route_table("split_c", &rt4));
	hash_key_in(4, 0, "pc", hk, sizeof(hk));
	g_assert_cmpint(t_put(&rt4, hk, "s", "v", 0), ==, 0);
	out = control("split-cancel split_c");
	g_assert_true(g_str_has_prefix(out, "ERR ERR_INVALID_STATE"));
	g_free(out);

	control_ok("split split_c");
	g_free(control("split-step split_c"));	/* parent 0: window */
	g_assert_true(status_has("split_c", "windows=0"));
	g_assert_true(g_str_has_prefix(out = control("split-pause split_c"), "OK "));
	g_free(out);
	g_assert_true(status_has("split_c", "windows=- active=4 paused=4"));
	/* the parent left its window without registering */
	g_assert_cmpint(get_error_at(&rt4, 0, hk), ==, PEGASUS_EC_OK);
	for (i = 0; i < 4; i++)
		g_free(control("split-step split_c"));
	g_assert_true(status_has("split_c", "partitions=8 ready=4 parent=-1 windows=- active=4 paused=4"));
	g_assert_true(route_table("split_c", &rt));
	g_assert_cmpint(rt.count, ==, 8);
	for (i = 4; i < 8; i++)
		g_assert_cmpint(rt.ballots[i], ==, -1);

	/* resume one parent: it registers, and cancel is refused */
	out = control("split-resume split_c 2");
	g_assert_true(g_str_has_prefix(out, "OK "));
	g_free(out);
	out = control("split-resume split_c 2");
	g_assert_true(g_str_has_prefix(out, "ERR ERR_INVALID_STATE"));
	g_free(out);
	g_free(control("split-step split_c"));
	g_free(control("split-step split_c"));
	g_assert_true(status_has("split_c", "ready=5"));
	out = control("split-cancel split_c");
	g_assert_cmpstr(out, ==, "ERR ERR_CHILD_REGISTERED some partitions have already finished split");
	g_free(out);
	out = control("split-pause split_c 2");
	g_assert_true(g_str_has_prefix(out, "ERR ERR_CHILD_REGISTERED"));
	g_free(out);
	/* the rest of the split, then a new one, paused and cancelled */
	control_ok("split-resume split_c");
	while (!status_has("split_c", "phase=split"))
		g_free(control("split-step split_c"));
	out = control("split split_c");
	g_assert_cmpstr(out, ==, "OK partitions=16");
	g_free(out);
	g_free(control("split-step split_c"));
	g_free(control("split-pause split_c"));
	out = control("split-cancel split_c");
	g_assert_cmpstr(out, ==, "OK partitions=8");
	g_free(out);
	g_assert_true(status_has("split_c", "partitions=8 ready=8"));
	g_assert_true(route_table("split_c", &rt));
	g_assert_cmpint(rt.count, ==, 8);
	for (i = 0; i < 8; i++)
		g_assert_cmpint(rt.ballots[i], >, 0);
	/* the count it had last: every key where it was, nothing beyond */
	assert_value(&rt, hk, "s", "v");
	rt.ports[8] = rt.ports[0];
	g_assert_cmpint(get_error_at(&rt, 8, hk), ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	control_ok("split-delay 200");
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table split_c"));
}

/*
 * With replica.split.validate_partition_hash false, a parent in its window
 * is an inactive replica: ERR_INVALID_STATE to reads and writes.
 */
void
test_split_without_validation(void)
{
	Route		rt4;
	char		hk[32];
	guint64		before = violations();

	REQUIRE_BOX();
	control_ok("clear-faults");
	control_ok("split-delay 86400000");
	g_free(control("create split_v 4"));
	g_assert_true(route_table("split_v", &rt4));
	hash_key_in(4, 0, "vh", hk, sizeof(hk));
	control_ok("split split_v");
	g_free(control("split-step split_v"));
	g_assert_cmpint(get_error_at(&rt4, 0, hk), ==, PEGASUS_EC_SPLITTING);
	control_ok("app-env split_v replica.split.validate_partition_hash false");
	g_assert_cmpint(get_error_at(&rt4, 0, hk), ==, PEGASUS_EC_INVALID_STATE);
	g_assert_cmpint(put_error_at(&rt4, 0, hk), ==, PEGASUS_EC_INVALID_STATE);
	/* the other parents serve */
	hash_key_in(4, 1, "vh", hk, sizeof(hk));
	g_assert_cmpint(put_error_at(&rt4, 1, hk), ==, PEGASUS_EC_OK);
	control_ok("split-delay 200");
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table split_v"));
}

/*
 * Runs body from the start of a fresh clock second (throttling's window)
 * until it ran within that second.
 */
#define IN_ONE_SECOND(body) \
	do { \
		gint64		s0_; \
		int			tries_ = 0; \
		do { \
			g_usleep(G_USEC_PER_SEC - g_get_real_time() % G_USEC_PER_SEC + 2000); \
			s0_ = g_get_real_time() / G_USEC_PER_SEC; \
			body; \
		} while (g_get_real_time() / G_USEC_PER_SEC != s0_ && ++tries_ < 5); \
	} while (0)

/* Frame errors of n puts sent at once to a table of one partition */
static void
burst_puts(Route *rt, int n, gint32 client_timeout, PegasusErrorCode *fe, gint64 *ms)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		gint64		t0 = g_get_monotonic_time();
		char		hk[16];
		Reply	   *rp;

		g_snprintf(hk, sizeof(hk), "tw%d", i);
		rp = put_at(rt, 0, hk, client_timeout);
		fe[i] = rp->r.frame_error;
		ms[i] = (g_get_monotonic_time() - t0) / 1000;
		reply_free(rp);
	}
}

/*
 * replica.write_throttling / replica.read_throttling: per partition
 * UNITS / partition_count + 1 a second, then ERR_BUSY (after the reject
 * delay, at most half the client timeout) or a delayed answer.
 */
void
test_throttling(void)
{
	Route		rt;
	PegasusErrorCode fe[8];
	gint64		ms[8];
	char	   *out;
	int			i;
	guint64		before = violations();

	REQUIRE_BOX();
	control_ok("clear-faults");
	g_free(control("create thr 1"));
	g_assert_true(route_table("thr", &rt));

	/* the meta's validator refuses what the replica could not parse */
	out = control("app-env thr replica.write_throttling 10*slow*10");
	g_assert_true(g_str_has_prefix(out, "ERR ERR_INVALID_PARAMETERS"));
	g_free(out);
	out = control("app-env thr replica.write_throttling 1*delay*1,2*delay*2");
	g_assert_true(g_str_has_prefix(out, "ERR"));
	g_free(out);

	/* reject: 4 / 1 + 1 = 5 a second, the rest ERR_BUSY at once */
	control_ok("app-env thr replica.write_throttling 4*reject*0");
	IN_ONE_SECOND(burst_puts(&rt, 8, 1000, fe, ms));
	for (i = 0; i < 8; i++)
		g_assert_cmpint(fe[i], ==, i < 5 ? PEGASUS_EC_OK : PEGASUS_EC_BUSY);
	/* a rejection is answered after its delay, capped by half the timeout */
	control_ok("app-env thr replica.write_throttling 1*reject*300");
	IN_ONE_SECOND(burst_puts(&rt, 3, 400, fe, ms));
	g_assert_cmpint(fe[1], ==, PEGASUS_EC_OK);
	g_assert_cmpint(fe[2], ==, PEGASUS_EC_BUSY);
	g_assert_cmpint(ms[2], >=, 190);
	g_assert_cmpint(ms[2], <, 300);

	/* delay: past 1 / 1 + 1 = 2 a second, answered 150 ms later, applied */
	control_ok("app-env thr replica.write_throttling 1K*reject*0,1*delay*150");
	IN_ONE_SECOND(burst_puts(&rt, 4, 1000, fe, ms));
	for (i = 0; i < 4; i++)
	{
		g_assert_cmpint(fe[i], ==, PEGASUS_EC_OK);
		if (i < 2)
			g_assert_cmpint(ms[i], <, 100);
		else
			g_assert_cmpint(ms[i], >=, 140);
	}
	assert_value(&rt, "tw3", "s", "v");

	/* by size: the request bodies' bytes */
	control_ok("app-env thr replica.write_throttling");
	control_ok("app-env thr replica.write_throttling_by_size 1*reject*0");
	IN_ONE_SECOND(burst_puts(&rt, 2, 1000, fe, ms));
	g_assert_cmpint(fe[0], ==, PEGASUS_EC_BUSY);
	control_ok("app-env thr replica.write_throttling_by_size");

	/* reads: 1 / 1 + 1 = 2 a second */
	control_ok("app-env thr replica.read_throttling 1*reject*0");
	IN_ONE_SECOND(
				  for (i = 0; i < 3; i++) fe[i] = get_error_at(&rt, 0, "tw0"));
	g_assert_cmpint(fe[0], ==, PEGASUS_EC_OK);
	g_assert_cmpint(fe[1], ==, PEGASUS_EC_OK);
	g_assert_cmpint(fe[2], ==, PEGASUS_EC_BUSY);
	control_ok("app-env thr replica.read_throttling");
	g_assert_cmpint(get_error_at(&rt, 0, "tw0"), ==, PEGASUS_EC_OK);

	/*
	 * A clear_scanner that read throttling rejects is answered with its ACK
	 * and ERR_BUSY, as any read; its context stays, counted as refused.
	 */
	{
		PegasusGetScannerRequest g;
		PegasusRequest req;
		Reply	   *rp = NULL;
		gint64		id;
		guint		base = scanner_count();

		full_scan_request(&g, 1);
		rp = get_scanner_at(&rt, 0, 0, &g);
		g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
		id = rp->r.u.scan.context_id;
		g_assert_cmpint(id, !=, -1);	/* live (negative ids are, with negative-ids on) */
		reply_free(rp);
		rp = NULL;
		g_assert_cmpuint(scanner_count(), ==, base + 1);
		control_ok("app-env thr replica.read_throttling 1*reject*0");
		req_init(&req, PEGASUS_RPC_CLEAR_SCANNER, rt.app_id, 0, 0);
		req.u.context_id = id;
		IN_ONE_SECOND(
					  if (rp) reply_free(rp);
					  for (i = 0; i < 3; i++) fe[i] = get_error_at(&rt, 0, "tw0");
					  req.seqid = 0;
					  rp = call_port(rt.ports[0], &req));
		g_assert_cmpint(fe[2], ==, PEGASUS_EC_BUSY);
		g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_OK);
		g_assert_cmpint(rp->r.rpc, ==, PEGASUS_RPC_CLEAR_SCANNER);
		g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_BUSY);
		reply_free(rp);
		g_assert_cmpuint(scanner_count(), ==, base + 1);
		out = control("scanner-count");
		g_assert_nonnull(strstr(out, " refused=1"));
		g_free(out);
		control_ok("app-env thr replica.read_throttling");
		req.seqid = 0;
		{
			GByteArray *b = encode(&req);

			g_assert_true(onebox_rawrpc_send(port_fd(rt.ports[0]), b->data, b->len));
			g_byte_array_unref(b);
			g_assert_null(onebox_rawrpc_read_frame(port_fd(rt.ports[0]), 300, NULL));
		}
		g_assert_cmpuint(scanner_count(), ==, base);
	}
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table thr"));
}

/* query_cfg with and without the host_port fields names the same primaries */
void
test_host_port_fields(void)
{
	Reply	   *with,
			   *without;
	guint32		i;

	REQUIRE_BOX();
	with = query_cfg(box.meta[0], "t4");
	control_ok("host-port-fields off");
	without = query_cfg(box.meta[0], "t4");
	control_ok("host-port-fields on");
	g_assert_cmpint(with->r.u.query_cfg.n_partitions, ==, without->r.u.query_cfg.n_partitions);
	for (i = 0; i < with->r.u.query_cfg.n_partitions; i++)
	{
		PegasusPartitionConfiguration *a = &with->r.u.query_cfg.partitions[i];
		PegasusPartitionConfiguration *b = &without->r.u.query_cfg.partitions[i];

		g_assert_true(a->has_hp_primary);
		g_assert_false(b->has_hp_primary);
		g_assert_false(b->has_hp_secondaries);
		g_assert_cmpint(a->primary.port, ==, b->primary.port);
		g_assert_cmpint(a->hp_primary.port, ==, b->primary.port);
		g_assert_cmpint(a->n_secondaries, ==, b->n_secondaries);
	}
	reply_free(with);
	reply_free(without);
}

void
test_wire_vectors(void)
{
	char	   *dir = vectors_dir();
	char	   *path = g_build_filename(dir, "requests.jsonl", NULL);
	char	   *text = NULL;
	char	  **lines;
	int			n = 0;
	int			i;
	guint64		before;

	REQUIRE_BOX();
	if (!g_file_get_contents(path, &text, NULL, NULL))
	{
		g_test_message("wire vectors not found at %s: skipped", path);
		g_test_skip("wire vectors absent (set PEGASUS_WIRE_VECTORS)");
		g_free(dir);
		g_free(path);
		return;
	}
	before = violations();
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i]; i++)
	{
		JsonParser *parser;
		JsonObject *o;
		const char *hex;
		const char *conn;
		const char *rpc;
		GByteArray *frame;
		gsize		j,
					len;
		gint32		pidx;
		int			port;
		Reply	   *rp;

		if (*lines[i] == '\0')
			continue;
		parser = json_parser_new();
		g_assert_true(json_parser_load_from_data(parser, lines[i], -1, NULL));
		o = json_node_get_object(json_parser_get_root(parser));
		hex = json_object_get_string_member(o, "frame_hex");
		conn = json_object_get_string_member(o, "conn");
		rpc = json_object_get_string_member(o, "rpc_name");
		pidx = (gint32) json_object_get_int_member(json_object_get_object_member(o, "header"),
												   "partition_index");
		len = strlen(hex) / 2;
		frame = g_byte_array_sized_new((guint) len);
		for (j = 0; j < len; j++)
		{
			char		byte[3] = {hex[2 * j], hex[2 * j + 1], 0};
			guint8		v = (guint8) strtoul(byte, NULL, 16);

			g_byte_array_append(frame, &v, 1);
		}
		port = strcmp(conn, "meta") == 0 ? box.meta[0] : temp_rt.ports[pidx];
		if (g_str_has_suffix(rpc, "CLEAR_SCANNER"))
		{
			g_assert_true(onebox_rawrpc_send(port_fd(port), frame->data, frame->len));
			g_assert_null(onebox_rawrpc_read_frame(port_fd(port), 200, NULL));
		}
		else
		{
			rp = raw_call(port, frame->data, frame->len);
			if (rp == NULL)
				g_error("wire vector %d (%s): no reply", i + 1, rpc);
			g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_OK);
			g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
			g_assert_true(rp->r.has_body);
			{
				char	   *ack = g_strdup_printf("%s_ACK", rpc);

				g_assert_true(pegasus_codec_blob_equal_str(rp->r.name, ack));
				g_free(ack);
			}
			reply_free(rp);
		}
		g_byte_array_unref(frame);
		g_object_unref(parser);
		n++;
	}
	g_test_message("%d wire-vector request frames answered", n);
	g_assert_cmpint(n, >, 100);
	g_assert_cmpuint(violations(), ==, before);
	g_strfreev(lines);
	g_free(text);
	g_free(dir);
	g_free(path);
}

/* ------------------------------------------------------------------------
 * Smoke test against the shared onebox of the suite (no state change
 * other than a private table that is dropped again)
 * ------------------------------------------------------------------------ */

void
test_shared_onebox_smoke(void)
{
	const char *meta = g_getenv("PEGASUS_TEST_META");
	int			fd;
	PegasusRequest req;
	GByteArray *b;
	GByteArray *f;
	Reply	   *rp;

	if (meta == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no shared onebox");
		return;
	}
	fd = onebox_rawrpc_connect(meta);
	g_assert_cmpint(fd, >=, 0);
	req_init(&req, PEGASUS_RPC_LIST_APPS, 0, 0, 0);
	req.u.list_apps.status = PEGASUS_AS_AVAILABLE;
	req.seqid = 1;
	b = encode(&req);
	f = onebox_rawrpc_call(fd, b->data, b->len, TIMEOUT_MS);
	g_assert_nonnull(f);
	rp = decode_reply(f);
	g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_OK);
	g_assert_cmpint(rp->r.u.list_apps.err, ==, PEGASUS_EC_OK);
	reply_free(rp);
	g_byte_array_unref(b);
	close(fd);
}
