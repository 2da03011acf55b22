/*-------------------------------------------------------------------------
 *
 * test_onebox.c
 *	  Semantic tests of the onebox server over real sockets: meta RPCs,
 *	  every rrdb RPC and option, scanners, control actions, strictness
 *	  rules and the captured wire vectors.
 *
 * This file starts the onebox and holds the helpers every test uses; the
 * tests are in test/unit/onebox/, linked into this program.
 *
 * The tests start their own onebox (test/onebox/pegasus-onebox, or
 * $PEGASUS_ONEBOX_BIN) on ports 27700.. (or $ONEBOX_TEST_PORT_BASE; below the
 * ephemeral range, so that no outgoing connection holds one), because
 * they move its clock, provoke protocol violations and stop endpoints: the
 * shared onebox of the test suite must stay clean.  The child dies with
 * this process (PR_SET_PDEATHSIG), also when an assertion aborts.  When
 * PEGASUS_TEST_META is set a last, harmless smoke test also runs against
 * that shared onebox.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "pegasus_codec.h"
#include "client_test_util.h"
#include "rawrpc.h"
#include "onebox/onebox_test.h"

TestBox box;
static PegasusEncoder *enc;
gint32 next_seqid = 1;
static GHashTable *conns;		/* port -> fd */

/* ------------------------------------------------------------------------
 * Onebox process
 * ------------------------------------------------------------------------ */

static void
stop_box(void)
{
	if (box.pid > 0)
	{
		kill(box.pid, SIGTERM);
		waitpid(box.pid, NULL, 0);
		box.pid = 0;
	}
}

static gboolean
start_box_at(const char *bin, int base)
{
	char	   *argv[16];
	char		metas[64],
				reps[64],
				ctl[16];
	int			i;

	box.base = base;
	box.meta[0] = base + 1;
	box.meta[1] = base + 2;
	for (i = 0; i < NREP; i++)
		box.reps[i] = base + 11 + i;
	box.control = base + 21;
	g_snprintf(box.control_addr, sizeof(box.control_addr), "127.0.0.1:%d", box.control);
	g_snprintf(metas, sizeof(metas), "%d,%d", box.meta[0], box.meta[1]);
	g_snprintf(reps, sizeof(reps), "%d,%d,%d", box.reps[0], box.reps[1], box.reps[2]);
	g_snprintf(ctl, sizeof(ctl), "%d", box.control);
	argv[0] = (char *) bin;
	argv[1] = "--meta-port";
	argv[2] = metas;
	argv[3] = "--replica-ports";
	argv[4] = reps;
	argv[5] = "--control-port";
	argv[6] = ctl;
	argv[7] = "--table";
	argv[8] = "temp:8";
	argv[9] = "--table";
	argv[10] = "t4:4";
	argv[11] = NULL;
	g_free(box.log_path);
	box.log_path = g_strdup_printf("%s/test_onebox-%d.log", g_get_tmp_dir(), (int) getpid());
	box.pid = client_test_spawn_ready(argv, box.log_path);
	return box.pid != 0;
}

static gboolean
start_box(void)
{
	const char *bin = g_getenv("PEGASUS_ONEBOX_BIN");
	const char *base_env = g_getenv("ONEBOX_TEST_PORT_BASE");
	int			base = base_env ? atoi(base_env) : 27700;
	int			attempt;

	if (bin == NULL)
		bin = "test/onebox/pegasus-onebox";
	if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
		return FALSE;
	for (attempt = 0; attempt < 5; attempt++)
		if (start_box_at(bin, base + attempt * 100))
			return TRUE;
	return FALSE;
}

/* ------------------------------------------------------------------------
 * Sockets and RPCs
 * ------------------------------------------------------------------------ */

int
port_fd(int port)
{
	gpointer	v = g_hash_table_lookup(conns, GINT_TO_POINTER(port));
	char		addr[32];
	int			fd;

	if (v != NULL)
		return GPOINTER_TO_INT(v);
	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	fd = onebox_rawrpc_connect(addr);
	g_assert_cmpint(fd, >=, 0);
	g_hash_table_insert(conns, GINT_TO_POINTER(port), GINT_TO_POINTER(fd));
	return fd;
}

void
forget_fd(int port)
{
	gpointer	v = g_hash_table_lookup(conns, GINT_TO_POINTER(port));

	if (v != NULL)
	{
		close(GPOINTER_TO_INT(v));
		g_hash_table_remove(conns, GINT_TO_POINTER(port));
	}
}

void
reply_free(Reply *rp)
{
	if (rp == NULL)
		return;
	pegasus_codec_response_clear(&rp->r);
	g_byte_array_unref(rp->frame);
	g_free(rp);
}

Reply *
decode_reply(GByteArray *frame)
{
	Reply	   *rp = g_new0(Reply, 1);
	PegasusCodecError err;

	rp->frame = frame;
	rp->status = pegasus_codec_decode_response(frame->data, frame->len, 0, &rp->r, &err);
	return rp;
}

GByteArray *
encode(PegasusRequest *req)
{
	GByteArray *out = g_byte_array_new();
	PegasusCodecError err;

	if (req->seqid == 0)
		req->seqid = next_seqid++;
	g_assert_cmpint(pegasus_codec_encode_request(enc, req, 0, out, &err), ==, PEGASUS_CODEC_OK);
	return out;
}

/* Send raw bytes on the cached connection to port, read one reply */
Reply *
raw_call(int port, const guint8 *data, gsize len)
{
	int			fd = port_fd(port);
	GByteArray *frame;

	g_assert_true(onebox_rawrpc_send(fd, data, len));
	frame = onebox_rawrpc_read_frame(fd, TIMEOUT_MS, NULL);
	if (frame == NULL)
	{
		forget_fd(port);
		return NULL;
	}
	return decode_reply(frame);
}

Reply *
call_port(int port, PegasusRequest *req)
{
	GByteArray *bytes = encode(req);
	Reply	   *rp = raw_call(port, bytes->data, bytes->len);

	g_byte_array_unref(bytes);
	if (rp != NULL)
	{
		g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_OK);
		g_assert_cmpint(rp->r.seqid, ==, req->seqid);
		g_assert_cmpint(rp->r.rpc, ==, req->rpc);
	}
	return rp;
}

char *
control(const char *fmt,...)
{
	va_list		ap;
	char	   *cmd;
	char	   *out;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	out = onebox_rawrpc_control(box.control_addr, cmd);
	g_assert_nonnull(out);
	g_free(cmd);
	return out;
}

void
control_ok(const char *fmt,...)
{
	va_list		ap;
	char	   *cmd;
	char	   *out;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	out = control("%s", cmd);
	if (!g_str_has_prefix(out, "OK"))
		g_error("control %s: %s", cmd, out);
	g_free(out);
	g_free(cmd);
}

guint64
violations(void)
{
	char	   *out = control("violations");
	guint64		v;

	g_assert_true(g_str_has_prefix(out, "OK "));
	v = g_ascii_strtoull(out + 3, NULL, 10);
	g_free(out);
	return v;
}

guint32
server_now(void)
{
	char	   *out = control("clock 0");
	guint32		v;

	g_assert_true(g_str_has_prefix(out, "OK pegasus_now="));
	v = (guint32) g_ascii_strtoull(out + strlen("OK pegasus_now="), NULL, 10);
	g_free(out);
	return v;
}

guint
scanner_count(void)
{
	char	   *out = control("scanner-count");
	guint		v = (guint) g_ascii_strtoull(out + 3, NULL, 10);

	g_free(out);
	return v;
}

/* of the live contexts, those whose last reply may not have reached a client */
guint
scanner_at_risk(void)
{
	char	   *out = control("scanner-count");
	const char *p = strstr(out, "at_risk=");
	guint		v = p ? (guint) g_ascii_strtoull(p + 8, NULL, 10) : G_MAXUINT;

	g_free(out);
	return v;
}

void
req_init(PegasusRequest *req, PegasusRpc rpc, gint32 app, gint32 pidx, guint64 phash)
{
	memset(req, 0, sizeof(*req));
	req->rpc = rpc;
	pegasus_codec_header_init(&req->header, app, pidx, 1000, phash);
}

Reply *
meta_call(int meta_port, PegasusRequest *req)
{
	return call_port(meta_port, req);
}

Reply *
query_cfg(int meta_port, const char *table)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_QUERY_CFG, 0, 0, 0);
	req.u.query_cfg.app_name = pegasus_codec_blob_str(table);
	return meta_call(meta_port, &req);
}

gboolean
route_table(const char *table, Route *rt)
{
	Reply	   *rp = query_cfg(box.meta[0], table);
	guint32		i;

	g_assert_nonnull(rp);
	if (rp->r.u.query_cfg.err != PEGASUS_EC_OK)
	{
		reply_free(rp);
		return FALSE;
	}
	memset(rt, 0, sizeof(*rt));
	rt->app_id = rp->r.u.query_cfg.app_id;
	rt->count = rp->r.u.query_cfg.partition_count;
	g_assert_cmpint(rp->r.u.query_cfg.n_partitions, ==, rt->count);
	for (i = 0; i < rp->r.u.query_cfg.n_partitions; i++)
	{
		PegasusPartitionConfiguration *pc = &rp->r.u.query_cfg.partitions[i];

		g_assert_cmpint(pc->pid.partition_index, ==, (gint32) i);
		rt->ports[i] = pc->primary.port;
		rt->ballots[i] = pc->ballot;
	}
	reply_free(rp);
	return TRUE;
}

/* Key helpers: rrdb keys live in GByteArrays freed by the caller */
GByteArray *
rrdb_key(const char *hk, const char *sk)
{
	GByteArray *k = g_byte_array_new();

	g_assert_true(pegasus_codec_key_encode(hk, strlen(hk), sk, strlen(sk), k));
	return k;
}

gint32
pidx_of_hash_key(Route *rt, const char *hk)
{
	return pegasus_codec_partition_index(pegasus_codec_hash_key_partition_hash(hk, strlen(hk)),
										 rt->count);
}

/* Routed call: hash = partition hash of the request */
Reply *
routed(Route *rt, PegasusRequest *req, guint64 hash)
{
	gint32		pidx = pegasus_codec_partition_index(hash, rt->count);
	PegasusRequestHeader h = req->header;

	pegasus_codec_header_init(&req->header, rt->app_id, pidx, 1000, hash);
	req->header.client_timeout = h.client_timeout ? h.client_timeout : 1000;
	return call_port(rt->ports[pidx], req);
}

guint64
hk_hash(const char *hk)
{
	return pegasus_codec_hash_key_partition_hash(hk, strlen(hk));
}

gint32
t_put(Route *rt, const char *hk, const char *sk, const char *v, gint32 expire_ts)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, sk);
	Reply	   *rp;
	gint32		e;

	req_init(&req, PEGASUS_RPC_PUT, 0, 0, 0);
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	req.u.put.value = pegasus_codec_blob_str(v);
	req.u.put.expire_ts_seconds = expire_ts;
	rp = routed(rt, &req, pegasus_codec_key_partition_hash(k->data, k->len));
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	e = rp->r.u.put.error;
	reply_free(rp);
	g_byte_array_unref(k);
	return e;
}

/* Key RPC (get, ttl, remove) on (hk, sk) */
static Reply *
key_rpc(Route *rt, PegasusRpc rpc, const char *hk, const char *sk, GByteArray **keep)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, sk);
	Reply	   *rp;

	req_init(&req, rpc, 0, 0, 0);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = routed(rt, &req, pegasus_codec_key_partition_hash(k->data, k->len));
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	if (keep)
		*keep = k;
	else
		g_byte_array_unref(k);
	return rp;
}

/* Whether a get of (hk, "s") is answered at all, where rt routes it. */
gboolean
answers_get(Route *rt, const char *hk)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, "s");
	Reply	   *rp;
	gboolean	ok;

	req_init(&req, PEGASUS_RPC_GET, 0, 0, 0);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = routed(rt, &req, pegasus_codec_key_partition_hash(k->data, k->len));
	ok = rp != NULL && rp->r.frame_error == PEGASUS_EC_OK;
	if (rp)
		reply_free(rp);
	g_byte_array_unref(k);
	return ok;
}

/* get: error code; *value (g_malloc'd) when found */
static gint32
t_get(Route *rt, const char *hk, const char *sk, char **value)
{
	Reply	   *rp = key_rpc(rt, PEGASUS_RPC_GET, hk, sk, NULL);
	gint32		e = rp->r.u.get.error;

	if (value)
		*value = e == 0 ? pegasus_codec_blob_dup_str(rp->r.u.get.value) : NULL;
	reply_free(rp);
	return e;
}

gint32
t_ttl(Route *rt, const char *hk, const char *sk, gint32 *ttl)
{
	Reply	   *rp = key_rpc(rt, PEGASUS_RPC_TTL, hk, sk, NULL);
	gint32		e = rp->r.u.ttl.error;

	*ttl = rp->r.u.ttl.ttl_seconds;
	reply_free(rp);
	return e;
}

void
assert_value(Route *rt, const char *hk, const char *sk, const char *want)
{
	char	   *v = NULL;
	gint32		e = t_get(rt, hk, sk, &v);

	if (want == NULL)
		g_assert_cmpint(e, ==, 1);
	else
	{
		g_assert_cmpint(e, ==, 0);
		g_assert_cmpstr(v, ==, want);
	}
	g_free(v);
}

Route temp_rt;

void
need_box(void)
{
	if (box.pid <= 0)
		g_test_skip("onebox binary not available (build test/onebox/pegasus-onebox)");
}

int
main(int argc, char **argv)
{
	int			rc;

	g_test_init(&argc, &argv, NULL);
	enc = pegasus_codec_encoder_new();
	conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	signal(SIGPIPE, SIG_IGN);
	if (!start_box())
		g_printerr("# onebox could not be started: its tests are skipped\n");
	else if (!route_table("temp", &temp_rt))
		g_error("table temp missing");

	g_test_add_func("/onebox/meta/query_cfg", test_meta_query_cfg);
	g_test_add_func("/onebox/meta/create_drop_list", test_meta_create_drop_list);
	g_test_add_func("/onebox/negotiation_unknown_rpc", test_negotiation_and_unknown_rpc);
	g_test_add_func("/onebox/put_get_remove", test_put_get_remove);
	g_test_add_func("/onebox/ttl_expiry", test_ttl_and_expiry);
	g_test_add_func("/onebox/multi_put_remove", test_multi_put_remove);
	g_test_add_func("/onebox/multi_get", test_multi_get);
	g_test_add_func("/onebox/multi_get_incomplete", test_multi_get_incomplete_rule);
	g_test_add_func("/onebox/batch_get_sortkey_count", test_batch_get_sortkey_count);
	g_test_add_func("/onebox/incr", test_incr);
	g_test_add_func("/onebox/check_and_set", test_check_and_set);
	g_test_add_func("/onebox/check_and_mutate", test_check_and_mutate);
	g_test_add_func("/onebox/scan/hash_key", test_scan_hash_key);
	g_test_add_func("/onebox/scan/full_table", test_scan_full_table);
	g_test_add_func("/onebox/gating", test_gating);
	g_test_add_func("/onebox/pipelining", test_pipelining);
	g_test_add_func("/onebox/v1_header", test_v1_header);
	g_test_add_func("/onebox/strictness", test_strictness);
	g_test_add_func("/onebox/control/move_stop_start", test_control_move_stop_start);
	g_test_add_func("/onebox/control/faults", test_control_faults);
	g_test_add_func("/onebox/control/listing", test_control_listing);
	g_test_add_func("/onebox/split/phases", test_split_phases);
	g_test_add_func("/onebox/split/random_order", test_split_random_order);
	g_test_add_func("/onebox/split/child_activation", test_split_child_activation);
	g_test_add_func("/onebox/split/pause_cancel", test_split_pause_cancel);
	g_test_add_func("/onebox/split/without_validation", test_split_without_validation);
	g_test_add_func("/onebox/throttling", test_throttling);
	g_test_add_func("/onebox/meta/host_port_fields", test_host_port_fields);
	g_test_add_func("/onebox/wire_vectors", test_wire_vectors);
	g_test_add_func("/onebox/shared_smoke", test_shared_onebox_smoke);
	rc = g_test_run();
	stop_box();
	if (rc == 0 && box.log_path)
		unlink(box.log_path);
	return rc;
}
