/*-------------------------------------------------------------------------
 *
 * test_onebox.c
 *	  Semantic tests of the onebox server over real sockets: meta RPCs,
 *	  every rrdb RPC and option, scanners, control actions, strictness
 *	  rules and the captured wire vectors.
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

#define NREP		3
#define TIMEOUT_MS	3000

typedef struct TestBox
{
	GPid		pid;
	int			base;
	int			meta[2];
	int			reps[NREP];
	int			control;
	char		control_addr[32];
	char	   *log_path;
} TestBox;

static TestBox box;
static PegasusEncoder *enc;
static gint32 next_seqid = 1;
static GHashTable *conns;		/* port -> fd */

/* Reply: the frame and its decoded response (views into the frame) */
typedef struct Reply
{
	GByteArray *frame;
	PegasusCodecStatus status;
	PegasusResponse r;
} Reply;

typedef struct Route
{
	gint32		app_id;
	gint32		count;
	int			ports[64];
	gint64		ballots[64];
} Route;

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

static int
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

static void
forget_fd(int port)
{
	gpointer	v = g_hash_table_lookup(conns, GINT_TO_POINTER(port));

	if (v != NULL)
	{
		close(GPOINTER_TO_INT(v));
		g_hash_table_remove(conns, GINT_TO_POINTER(port));
	}
}

static void
reply_free(Reply *rp)
{
	if (rp == NULL)
		return;
	pegasus_codec_response_clear(&rp->r);
	g_byte_array_unref(rp->frame);
	g_free(rp);
}

static Reply *
decode_reply(GByteArray *frame)
{
	Reply	   *rp = g_new0(Reply, 1);
	PegasusCodecError err;

	rp->frame = frame;
	rp->status = pegasus_codec_decode_response(frame->data, frame->len, 0, &rp->r, &err);
	return rp;
}

static GByteArray *
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
static Reply *
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

static Reply *
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

static char *
control(const char *fmt,...) G_GNUC_PRINTF(1, 2);

static char *
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

static void
control_ok(const char *fmt,...) G_GNUC_PRINTF(1, 2);

static void
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

static guint64
violations(void)
{
	char	   *out = control("violations");
	guint64		v;

	g_assert_true(g_str_has_prefix(out, "OK "));
	v = g_ascii_strtoull(out + 3, NULL, 10);
	g_free(out);
	return v;
}

static guint32
server_now(void)
{
	char	   *out = control("clock 0");
	guint32		v;

	g_assert_true(g_str_has_prefix(out, "OK pegasus_now="));
	v = (guint32) g_ascii_strtoull(out + strlen("OK pegasus_now="), NULL, 10);
	g_free(out);
	return v;
}

static guint
scanner_count(void)
{
	char	   *out = control("scanner-count");
	guint		v = (guint) g_ascii_strtoull(out + 3, NULL, 10);

	g_free(out);
	return v;
}

/* of the live contexts, those whose last reply may not have reached a client */
static guint
scanner_at_risk(void)
{
	char	   *out = control("scanner-count");
	const char *p = strstr(out, "at_risk=");
	guint		v = p ? (guint) g_ascii_strtoull(p + 8, NULL, 10) : G_MAXUINT;

	g_free(out);
	return v;
}

static void
req_init(PegasusRequest *req, PegasusRpc rpc, gint32 app, gint32 pidx, guint64 phash)
{
	memset(req, 0, sizeof(*req));
	req->rpc = rpc;
	pegasus_codec_header_init(&req->header, app, pidx, 1000, phash);
}

static Reply *
meta_call(int meta_port, PegasusRequest *req)
{
	return call_port(meta_port, req);
}

static Reply *
query_cfg(int meta_port, const char *table)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_QUERY_CFG, 0, 0, 0);
	req.u.query_cfg.app_name = pegasus_codec_blob_str(table);
	return meta_call(meta_port, &req);
}

static gboolean
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
static GByteArray *
rrdb_key(const char *hk, const char *sk)
{
	GByteArray *k = g_byte_array_new();

	g_assert_true(pegasus_codec_key_encode(hk, strlen(hk), sk, strlen(sk), k));
	return k;
}

static gint32
pidx_of_hash_key(Route *rt, const char *hk)
{
	return pegasus_codec_partition_index(pegasus_codec_hash_key_partition_hash(hk, strlen(hk)),
										 rt->count);
}

/* Routed call: hash = partition hash of the request */
static Reply *
routed(Route *rt, PegasusRequest *req, guint64 hash)
{
	gint32		pidx = pegasus_codec_partition_index(hash, rt->count);
	PegasusRequestHeader h = req->header;

	pegasus_codec_header_init(&req->header, rt->app_id, pidx, 1000, hash);
	req->header.client_timeout = h.client_timeout ? h.client_timeout : 1000;
	return call_port(rt->ports[pidx], req);
}

static guint64
hk_hash(const char *hk)
{
	return pegasus_codec_hash_key_partition_hash(hk, strlen(hk));
}

static gint32
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
static gboolean
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

static gint32
t_ttl(Route *rt, const char *hk, const char *sk, gint32 *ttl)
{
	Reply	   *rp = key_rpc(rt, PEGASUS_RPC_TTL, hk, sk, NULL);
	gint32		e = rp->r.u.ttl.error;

	*ttl = rp->r.u.ttl.ttl_seconds;
	reply_free(rp);
	return e;
}

static void
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

static Route temp_rt;

static void
need_box(void)
{
	if (box.pid <= 0)
		g_test_skip("onebox binary not available (build test/onebox/pegasus-onebox)");
}

#define REQUIRE_BOX() do { need_box(); if (box.pid <= 0) return; } while (0)

/* ------------------------------------------------------------------------
 * Meta
 * ------------------------------------------------------------------------ */

static void
test_meta_query_cfg(void)
{
	Reply	   *rp;
	PegasusRequest req;
	gint32		idx[2] = {3, 99};
	guint32		i;

	REQUIRE_BOX();
	rp = query_cfg(box.meta[0], "no_such_table");
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);

	rp = query_cfg(box.meta[0], "temp");
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_OK);
	g_assert_cmpint(rp->r.u.query_cfg.app_id, ==, 2);
	g_assert_cmpint(rp->r.u.query_cfg.partition_count, ==, 8);
	g_assert_true(rp->r.u.query_cfg.is_stateful);
	g_assert_cmpint(rp->r.u.query_cfg.n_partitions, ==, 8);
	for (i = 0; i < 8; i++)
	{
		PegasusPartitionConfiguration *pc = &rp->r.u.query_cfg.partitions[i];

		g_assert_cmpint(pc->pid.app_id, ==, 2);
		g_assert_cmpint(pc->pid.partition_index, ==, (gint32) i);
		g_assert_cmpint(pc->ballot, >=, 1);
		g_assert_cmpint(pc->primary.ipv4, ==, 0x7f000001);
		g_assert_cmpint(pc->primary.type, ==, 1);
		g_assert_true(pc->has_hp_primary);
		g_assert_true(pegasus_codec_blob_equal_str(pc->hp_primary.host, "127.0.0.1"));
		g_assert_cmpint(pc->hp_primary.port, ==, pc->primary.port);
		/* partitions are spread round-robin over the replicas */
		g_assert_cmpint(pc->primary.port, ==, box.reps[(2 + i) % NREP]);
		g_assert_cmpint(pc->n_secondaries, ==, 2);
		g_assert_true(pc->has_hp_secondaries);
	}
	reply_free(rp);

	/* a selection of indices; out-of-range ones are ignored */
	req_init(&req, PEGASUS_RPC_QUERY_CFG, 0, 0, 0);
	req.u.query_cfg.app_name = pegasus_codec_blob_str("temp");
	req.u.query_cfg.partition_indices = idx;
	req.u.query_cfg.n_partition_indices = 2;
	rp = meta_call(box.meta[0], &req);
	g_assert_cmpint(rp->r.u.query_cfg.n_partitions, ==, 1);
	g_assert_cmpint(rp->r.u.query_cfg.partitions[0].pid.partition_index, ==, 3);
	reply_free(rp);

	/* non-leader meta: forward with the leader in partitions[0].primary */
	rp = query_cfg(box.meta[1], "temp");
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_FORWARD_TO_OTHERS);
	g_assert_cmpint(rp->r.u.query_cfg.n_partitions, ==, 1);
	g_assert_cmpint(rp->r.u.query_cfg.partitions[0].primary.port, ==, box.meta[0]);
	reply_free(rp);

	/* switch the leader and back */
	control_ok("leader %d", box.meta[1]);
	rp = query_cfg(box.meta[0], "temp");
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_FORWARD_TO_OTHERS);
	g_assert_cmpint(rp->r.u.query_cfg.partitions[0].primary.port, ==, box.meta[1]);
	reply_free(rp);
	rp = query_cfg(box.meta[1], "temp");
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_OK);
	reply_free(rp);
	control_ok("leader %d", box.meta[0]);
}

static Reply *
create_app(const char *name, gint32 partitions, gboolean success_if_exist)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_CREATE_APP, 0, 0, 0);
	req.u.create_app.app_name = pegasus_codec_blob_str(name);
	req.u.create_app.options.partition_count = partitions;
	req.u.create_app.options.replica_count = 3;
	req.u.create_app.options.success_if_exist = success_if_exist;
	req.u.create_app.options.app_type = pegasus_codec_blob_str("pegasus");
	req.u.create_app.options.is_stateful = TRUE;
	return meta_call(box.meta[0], &req);
}

static Reply *
drop_app(const char *name, gboolean success_if_not_exist)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_DROP_APP, 0, 0, 0);
	req.u.drop_app.app_name = pegasus_codec_blob_str(name);
	req.u.drop_app.options.success_if_not_exist = success_if_not_exist;
	return meta_call(box.meta[0], &req);
}

static Reply *
list_apps(gint32 status)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_LIST_APPS, 0, 0, 0);
	req.u.list_apps.status = status;
	return meta_call(box.meta[0], &req);
}

static gboolean
list_has(Reply *rp, const char *name, gint32 app_id, gint32 status)
{
	guint32		i;

	for (i = 0; i < rp->r.u.list_apps.n_infos; i++)
	{
		PegasusAppInfo *ai = &rp->r.u.list_apps.infos[i];

		if (pegasus_codec_blob_equal_str(ai->app_name, name) && ai->app_id == app_id &&
			ai->status == status)
			return TRUE;
	}
	return FALSE;
}

static void
test_meta_create_drop_list(void)
{
	Reply	   *rp;
	gint32		id1,
				id2;
	Route		rt;
	PegasusRequest req;

	REQUIRE_BOX();
	rp = create_app("cd_t", 6, FALSE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_INVALID_PARAMETERS);
	reply_free(rp);
	rp = create_app("cd_t", 0, FALSE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_INVALID_PARAMETERS);
	reply_free(rp);

	rp = create_app("cd_t", 4, FALSE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_OK);
	id1 = rp->r.u.create_app.appid;
	g_assert_cmpint(id1, >, 3);
	reply_free(rp);
	rp = create_app("cd_t", 4, FALSE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_APP_EXIST);
	reply_free(rp);
	rp = create_app("cd_t", 4, TRUE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_OK);
	g_assert_cmpint(rp->r.u.create_app.appid, ==, id1);
	reply_free(rp);
	rp = create_app("cd_t", 8, TRUE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_INVALID_PARAMETERS);
	reply_free(rp);

	g_assert_true(route_table("cd_t", &rt));
	g_assert_cmpint(rt.app_id, ==, id1);
	g_assert_cmpint(t_put(&rt, "h", "s", "v", 0), ==, 0);

	rp = list_apps(PEGASUS_AS_AVAILABLE);
	g_assert_cmpint(rp->r.u.list_apps.err, ==, PEGASUS_EC_OK);
	g_assert_true(list_has(rp, "cd_t", id1, PEGASUS_AS_AVAILABLE));
	g_assert_true(list_has(rp, "temp", 2, PEGASUS_AS_AVAILABLE));
	reply_free(rp);

	rp = drop_app("cd_t", FALSE);
	g_assert_cmpint(rp->r.u.drop_app.err, ==, PEGASUS_EC_OK);
	reply_free(rp);
	rp = drop_app("cd_t", FALSE);
	g_assert_cmpint(rp->r.u.drop_app.err, ==, PEGASUS_EC_APP_NOT_EXIST);
	reply_free(rp);
	rp = drop_app("cd_t", TRUE);
	g_assert_cmpint(rp->r.u.drop_app.err, ==, PEGASUS_EC_OK);
	reply_free(rp);
	rp = query_cfg(box.meta[0], "cd_t");
	g_assert_cmpint(rp->r.u.query_cfg.err, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);

	/* the old app id is gone on the replicas */
	{
		GByteArray *k = rrdb_key("h", "s");

		req_init(&req, PEGASUS_RPC_GET, 0, 0, 0);
		req.u.key = pegasus_codec_blob(k->data, k->len);
		rp = routed(&rt, &req, pegasus_codec_key_partition_hash(k->data, k->len));
		g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
		g_assert_false(rp->r.has_body);
		reply_free(rp);
		g_byte_array_unref(k);
	}

	rp = list_apps(PEGASUS_AS_AVAILABLE);
	g_assert_false(list_has(rp, "cd_t", id1, PEGASUS_AS_AVAILABLE));
	reply_free(rp);
	rp = list_apps(PEGASUS_AS_DROPPED);
	g_assert_true(list_has(rp, "cd_t", id1, PEGASUS_AS_DROPPED));
	g_assert_false(list_has(rp, "temp", 2, PEGASUS_AS_AVAILABLE));
	reply_free(rp);
	rp = list_apps(PEGASUS_AS_INVALID);
	g_assert_true(list_has(rp, "cd_t", id1, PEGASUS_AS_DROPPED));
	g_assert_true(list_has(rp, "temp", 2, PEGASUS_AS_AVAILABLE));
	reply_free(rp);

	/* re-creating the name gives a new app id and an empty table */
	rp = create_app("cd_t", 4, FALSE);
	g_assert_cmpint(rp->r.u.create_app.err, ==, PEGASUS_EC_OK);
	id2 = rp->r.u.create_app.appid;
	g_assert_cmpint(id2, >, id1);
	reply_free(rp);
	g_assert_true(route_table("cd_t", &rt));
	assert_value(&rt, "h", "s", NULL);

	/* forwarded by a non-leader */
	req_init(&req, PEGASUS_RPC_LIST_APPS, 0, 0, 0);
	rp = meta_call(box.meta[1], &req);
	g_assert_cmpint(rp->r.u.list_apps.err, ==, PEGASUS_EC_FORWARD_TO_OTHERS);
	reply_free(rp);
}

static void
test_negotiation_and_unknown_rpc(void)
{
	PegasusRequest req;
	Reply	   *rp;
	int			port;

	REQUIRE_BOX();
	for (port = 0; port < 2; port++)
	{
		req_init(&req, PEGASUS_RPC_NEGOTIATION, 0, 0, 0);
		req.u.negotiation.status = PEGASUS_NS_SASL_LIST_MECHANISMS;
		rp = call_port(port ? box.reps[0] : box.meta[0], &req);
		g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
		g_assert_cmpint(rp->r.u.negotiation.status, ==, PEGASUS_NS_SASL_AUTH_DISABLE);
		reply_free(rp);
	}

	/* unknown RPC name: ERR_HANDLER_NOT_FOUND, name echoed with _ACK */
	req_init(&req, PEGASUS_RPC_UNKNOWN, 0, 0, 0);
	req.name = pegasus_codec_blob_str("RPC_ONEBOX_NO_SUCH_THING");
	req.seqid = next_seqid++;
	{
		GByteArray *b = encode(&req);

		rp = raw_call(box.reps[1], b->data, b->len);
		g_byte_array_unref(b);
	}
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_HANDLER_NOT_FOUND);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.name, "RPC_ONEBOX_NO_SUCH_THING_ACK"));
	g_assert_false(rp->r.has_body);
	reply_free(rp);

	/* a meta RPC on a replica port */
	req_init(&req, PEGASUS_RPC_QUERY_CFG, 0, 0, 0);
	req.u.query_cfg.app_name = pegasus_codec_blob_str("temp");
	rp = call_port(box.reps[0], &req);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_HANDLER_NOT_FOUND);
	reply_free(rp);
}

/* ------------------------------------------------------------------------
 * Single-key operations
 * ------------------------------------------------------------------------ */

static void
test_put_get_remove(void)
{
	PegasusRequest req;
	GByteArray *k;
	Reply	   *rp;
	gint64		decree;
	gint32		pidx;

	REQUIRE_BOX();
	g_assert_cmpint(t_put(&temp_rt, "pg_hk", "sk1", "v1", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "pg_hk", "", "empty sort key", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "pg_hk", "sk2", "", 0), ==, 0);
	assert_value(&temp_rt, "pg_hk", "sk1", "v1");
	assert_value(&temp_rt, "pg_hk", "", "empty sort key");
	assert_value(&temp_rt, "pg_hk", "sk2", "");
	assert_value(&temp_rt, "pg_hk", "nope", NULL);
	/* empty hash key: routed by the sort key */
	g_assert_cmpint(t_put(&temp_rt, "", "only_sk", "x", 0), ==, 0);
	assert_value(&temp_rt, "", "only_sk", "x");

	/* response fields: app, partition, decree increasing, server */
	k = rrdb_key("pg_hk", "sk1");
	pidx = pidx_of_hash_key(&temp_rt, "pg_hk");
	req_init(&req, PEGASUS_RPC_PUT, 0, 0, 0);
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	req.u.put.value = pegasus_codec_blob_str("v1b");
	rp = routed(&temp_rt, &req, hk_hash("pg_hk"));
	g_assert_cmpint(rp->r.u.put.error, ==, 0);
	g_assert_cmpint(rp->r.u.put.app_id, ==, 2);
	g_assert_cmpint(rp->r.u.put.partition_index, ==, pidx);
	decree = rp->r.u.put.decree;
	g_assert_cmpint(decree, >=, 1);
	{
		char	   *want = g_strdup_printf("127.0.0.1:%d", temp_rt.ports[pidx]);

		g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.put.server, want));
		g_free(want);
	}
	reply_free(rp);
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("pg_hk"));
	g_assert_cmpint(rp->r.u.put.decree, ==, decree + 1);
	reply_free(rp);

	/* remove: error 0 whether or not the key existed */
	req_init(&req, PEGASUS_RPC_REMOVE, 0, 0, 0);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = routed(&temp_rt, &req, hk_hash("pg_hk"));
	g_assert_cmpint(rp->r.u.put.error, ==, 0);
	g_assert_cmpint(rp->r.u.put.decree, ==, decree + 2);
	reply_free(rp);
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("pg_hk"));
	g_assert_cmpint(rp->r.u.put.error, ==, 0);
	reply_free(rp);
	assert_value(&temp_rt, "pg_hk", "sk1", NULL);
	g_byte_array_unref(k);
}

static void
test_ttl_and_expiry(void)
{
	guint32		now;
	gint32		ttl;

	REQUIRE_BOX();
	now = server_now();
	g_assert_cmpint(t_put(&temp_rt, "ttl_hk", "forever", "a", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "ttl_hk", "short", "b", (gint32) now + 100), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "ttl_hk", "past", "c", (gint32) now - 1), ==, 0);

	g_assert_cmpint(t_ttl(&temp_rt, "ttl_hk", "forever", &ttl), ==, 0);
	g_assert_cmpint(ttl, ==, -1);
	g_assert_cmpint(t_ttl(&temp_rt, "ttl_hk", "short", &ttl), ==, 0);
	g_assert_cmpint(ttl, >=, 98);
	g_assert_cmpint(ttl, <=, 100);
	g_assert_cmpint(t_ttl(&temp_rt, "ttl_hk", "past", &ttl), ==, 1);
	g_assert_cmpint(ttl, ==, 0);
	g_assert_cmpint(t_ttl(&temp_rt, "ttl_hk", "missing", &ttl), ==, 1);
	assert_value(&temp_rt, "ttl_hk", "past", NULL);
	assert_value(&temp_rt, "ttl_hk", "short", "b");

	/* move the server clock past the expiry */
	g_free(control("clock 101"));
	assert_value(&temp_rt, "ttl_hk", "short", NULL);
	assert_value(&temp_rt, "ttl_hk", "forever", "a");

	/* default_ttl applies to writes without expiry */
	control_ok("env t4 default_ttl 50");
	{
		Route		rt;

		g_assert_true(route_table("t4", &rt));
		g_assert_cmpint(t_put(&rt, "dt", "s", "v", 0), ==, 0);
		g_assert_cmpint(t_ttl(&rt, "dt", "s", &ttl), ==, 0);
		g_assert_cmpint(ttl, >=, 48);
		g_assert_cmpint(ttl, <=, 50);
		/* an explicit expiry wins */
		now = server_now();
		g_assert_cmpint(t_put(&rt, "dt", "s2", "v", (gint32) now + 1000), ==, 0);
		g_assert_cmpint(t_ttl(&rt, "dt", "s2", &ttl), ==, 0);
		g_assert_cmpint(ttl, >, 900);
		control_ok("env t4 default_ttl");
		g_assert_cmpint(t_put(&rt, "dt", "s3", "v", 0), ==, 0);
		g_assert_cmpint(t_ttl(&rt, "dt", "s3", &ttl), ==, 0);
		g_assert_cmpint(ttl, ==, -1);
	}
}

/* ------------------------------------------------------------------------
 * multi_put, multi_remove, multi_get, batch_get, sortkey_count
 * ------------------------------------------------------------------------ */

static gint32
t_multi_put(Route *rt, const char *hk, const char **sks, const char **vals, int n,
			gint32 expire)
{
	PegasusRequest req;
	PegasusKeyValue *kvs = g_new0(PegasusKeyValue, MAX(n, 1));
	Reply	   *rp;
	gint32		e;
	int			i;

	for (i = 0; i < n; i++)
	{
		kvs[i].key = pegasus_codec_blob_str(sks[i]);
		kvs[i].value = pegasus_codec_blob_str(vals[i]);
	}
	req_init(&req, PEGASUS_RPC_MULTI_PUT, 0, 0, 0);
	req.u.multi_put.hash_key = pegasus_codec_blob_str(hk);
	req.u.multi_put.kvs = kvs;
	req.u.multi_put.n_kvs = (guint32) n;
	req.u.multi_put.expire_ts_seconds = expire;
	rp = routed(rt, &req, hk_hash(hk));
	e = rp->r.u.put.error;
	reply_free(rp);
	g_free(kvs);
	return e;
}

static void
test_multi_put_remove(void)
{
	const char *sks[] = {"a", "b", "c", "b"};
	const char *vals[] = {"1", "2", "3", "2bis"};
	PegasusRequest req;
	PegasusBlob rm[3];
	Reply	   *rp;

	REQUIRE_BOX();
	g_assert_cmpint(t_multi_put(&temp_rt, "mp_hk", sks, vals, 0, 0), ==, 4);
	g_assert_cmpint(t_multi_put(&temp_rt, "mp_hk", sks, vals, 4, 0), ==, 0);
	assert_value(&temp_rt, "mp_hk", "a", "1");
	assert_value(&temp_rt, "mp_hk", "b", "2bis");	/* last one wins */
	assert_value(&temp_rt, "mp_hk", "c", "3");

	req_init(&req, PEGASUS_RPC_MULTI_REMOVE, 0, 0, 0);
	req.u.multi_remove.hash_key = pegasus_codec_blob_str("mp_hk");
	rp = routed(&temp_rt, &req, hk_hash("mp_hk"));
	g_assert_cmpint(rp->r.u.multi_remove.error, ==, 4);
	reply_free(rp);

	rm[0] = pegasus_codec_blob_str("a");
	rm[1] = pegasus_codec_blob_str("zz_missing");
	rm[2] = pegasus_codec_blob_str("c");
	req.u.multi_remove.sort_keys = rm;
	req.u.multi_remove.n_sort_keys = 3;
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("mp_hk"));
	g_assert_cmpint(rp->r.u.multi_remove.error, ==, 0);
	g_assert_cmpint(rp->r.u.multi_remove.count, ==, 3);	/* request size */
	g_assert_cmpint(rp->r.u.multi_remove.decree, >, 0);
	reply_free(rp);
	assert_value(&temp_rt, "mp_hk", "a", NULL);
	assert_value(&temp_rt, "mp_hk", "b", "2bis");
}

static Reply *
multi_get(Route *rt, PegasusMultiGetRequest *mg)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_MULTI_GET, 0, 0, 0);
	req.u.multi_get = *mg;
	return routed(rt, &req, pegasus_codec_hash_key_partition_hash(mg->hash_key.data,
																  mg->hash_key.len));
}

/* "k1=v1,k2=v2" of a multi_get reply */
static char *
kvs_str(PegasusKeyValue *kvs, guint32 n)
{
	GString    *s = g_string_new(NULL);
	guint32		i;

	for (i = 0; i < n; i++)
	{
		g_string_append_printf(s, "%s%.*s", i ? "," : "", (int) kvs[i].key.len,
							   (const char *) kvs[i].key.data);
		if (kvs[i].value.len)
			g_string_append_printf(s, "=%.*s", (int) kvs[i].value.len,
								   (const char *) kvs[i].value.data);
	}
	return g_string_free(s, FALSE);
}

static void
check_mg(PegasusMultiGetRequest *mg, gint32 want_err, const char *want)
{
	Reply	   *rp = multi_get(&temp_rt, mg);
	char	   *got;

	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	got = kvs_str(rp->r.u.multi_get.kvs, rp->r.u.multi_get.n_kvs);
	if (rp->r.u.multi_get.error != want_err || strcmp(got, want) != 0)
		g_error("multi_get: got error %d [%s], want %d [%s]", rp->r.u.multi_get.error, got,
				want_err, want);
	g_free(got);
	reply_free(rp);
}

static void
mg_init(PegasusMultiGetRequest *mg, const char *hk)
{
	memset(mg, 0, sizeof(*mg));
	mg->hash_key = pegasus_codec_blob_str(hk);
	mg->start_inclusive = TRUE;
	mg->stop_inclusive = FALSE;
}

static void
test_multi_get(void)
{
	const char *sks[] = {"", "a1", "a2", "a3", "b1", "b2", "c1", "xa1"};
	const char *vals[] = {"e", "1", "2", "3", "4", "5", "6", "7"};
	PegasusMultiGetRequest mg;
	PegasusBlob pts[5];
	guint32		now;

	REQUIRE_BOX();
	g_assert_cmpint(t_multi_put(&temp_rt, "mg_hk", sks, vals, 8, 0), ==, 0);
	/* a neighbour hash key in the same partition must never leak in */
	now = server_now();
	g_assert_cmpint(t_put(&temp_rt, "mg_hk", "b3", "expired", (gint32) now - 5), ==, 0);

	/* whole hash key, ascending, empty sort key first, expired skipped */
	mg_init(&mg, "mg_hk");
	check_mg(&mg, 0, "=e,a1=1,a2=2,a3=3,b1=4,b2=5,c1=6,xa1=7");
	/* start exclusive with empty start excludes only the empty sort key */
	mg.start_inclusive = FALSE;
	check_mg(&mg, 0, "a1=1,a2=2,a3=3,b1=4,b2=5,c1=6,xa1=7");
	/* bounds and inclusivity */
	mg_init(&mg, "mg_hk");
	mg.start_sortkey = pegasus_codec_blob_str("a2");
	mg.stop_sortkey = pegasus_codec_blob_str("b2");
	check_mg(&mg, 0, "a2=2,a3=3,b1=4");
	mg.start_inclusive = FALSE;
	mg.stop_inclusive = TRUE;
	check_mg(&mg, 0, "a3=3,b1=4,b2=5");
	/* empty range */
	mg.start_sortkey = pegasus_codec_blob_str("b2");
	mg.stop_sortkey = pegasus_codec_blob_str("b2");
	check_mg(&mg, 0, "");
	mg.start_inclusive = TRUE;
	check_mg(&mg, 0, "b2=5");
	mg.start_sortkey = pegasus_codec_blob_str("c");
	check_mg(&mg, 0, "");
	/* no_value */
	mg_init(&mg, "mg_hk");
	mg.no_value = TRUE;
	mg.start_sortkey = pegasus_codec_blob_str("a");
	mg.stop_sortkey = pegasus_codec_blob_str("b");
	check_mg(&mg, 0, "a1,a2,a3");

	/* filters: prefix narrows, anywhere, postfix; empty pattern matches all */
	mg_init(&mg, "mg_hk");
	mg.sort_key_filter_type = PEGASUS_FT_MATCH_PREFIX;
	mg.sort_key_filter_pattern = pegasus_codec_blob_str("a");
	check_mg(&mg, 0, "a1=1,a2=2,a3=3");
	mg.sort_key_filter_type = PEGASUS_FT_MATCH_ANYWHERE;
	check_mg(&mg, 0, "a1=1,a2=2,a3=3,xa1=7");
	mg.sort_key_filter_type = PEGASUS_FT_MATCH_POSTFIX;
	mg.sort_key_filter_pattern = pegasus_codec_blob_str("1");
	check_mg(&mg, 0, "a1=1,b1=4,c1=6,xa1=7");
	mg.sort_key_filter_pattern = pegasus_codec_blob_str("");
	check_mg(&mg, 0, "=e,a1=1,a2=2,a3=3,b1=4,b2=5,c1=6,xa1=7");
	mg.sort_key_filter_type = 4;
	check_mg(&mg, 4, "");

	/* limits and error 7 */
	mg_init(&mg, "mg_hk");
	mg.max_kv_count = 3;
	check_mg(&mg, 7, "=e,a1=1,a2=2");
	mg.max_kv_count = 8;		/* exactly all: complete, no 7 */
	check_mg(&mg, 0, "=e,a1=1,a2=2,a3=3,b1=4,b2=5,c1=6,xa1=7");
	mg.max_kv_count = 7;		/* stops before xa1: more exists -> 7 */
	check_mg(&mg, 7, "=e,a1=1,a2=2,a3=3,b1=4,b2=5,c1=6");
	mg.max_kv_count = 0;
	mg.max_kv_size = 5;			/* key+value bytes: "", e, a1 1, a2 2 */
	check_mg(&mg, 7, "=e,a1=1,a2=2");
	/* reverse: the last N, returned ascending */
	mg_init(&mg, "mg_hk");
	mg.reverse = TRUE;
	mg.max_kv_count = 3;
	check_mg(&mg, 7, "b2=5,c1=6,xa1=7");
	mg.max_kv_count = 0;
	mg.start_sortkey = pegasus_codec_blob_str("a2");
	mg.stop_sortkey = pegasus_codec_blob_str("b2");
	mg.stop_inclusive = TRUE;
	check_mg(&mg, 0, "a2=2,a3=3,b1=4,b2=5");

	/* point lookups: request order, duplicates repeat, missing skipped */
	mg_init(&mg, "mg_hk");
	pts[0] = pegasus_codec_blob_str("c1");
	pts[1] = pegasus_codec_blob_str("missing");
	pts[2] = pegasus_codec_blob_str("a1");
	pts[3] = pegasus_codec_blob_str("c1");
	pts[4] = pegasus_codec_blob_str("b3");	/* expired */
	mg.sort_keys = pts;
	mg.n_sort_keys = 5;
	/* start/stop/filter/reverse are ignored */
	mg.sort_key_filter_type = PEGASUS_FT_MATCH_PREFIX;
	mg.sort_key_filter_pattern = pegasus_codec_blob_str("zzz");
	mg.reverse = TRUE;
	check_mg(&mg, 0, "c1=6,a1=1,c1=6");
	mg.max_kv_count = 2;
	check_mg(&mg, 7, "c1=6,a1=1");
	mg.max_kv_count = 3;
	check_mg(&mg, 0, "c1=6,a1=1,c1=6");
}

static void
test_multi_get_incomplete_rule(void)
{
	const char *sks[] = {"1", "2", "3"};
	const char *vals[] = {"a", "b", "c"};
	PegasusMultiGetRequest mg;
	char		other[32];
	int			i;
	gint32		p;

	REQUIRE_BOX();
	/*
	 * Forward iteration stays in the hash key (prefix bloom filter), so a
	 * limit hit on the last record of the hash key is not "incomplete" even
	 * when another hash key follows in the partition; reverse iteration is
	 * total-order and reports 7 when any earlier record exists.
	 */
	g_assert_cmpint(t_multi_put(&temp_rt, "i7_hk", sks, vals, 3, 0), ==, 0);
	p = pidx_of_hash_key(&temp_rt, "i7_hk");
	for (i = 0; i < 1000; i++)
	{
		g_snprintf(other, sizeof(other), "i7_hk%d", i);
		if (pidx_of_hash_key(&temp_rt, other) == p)
			break;
	}
	/* "i7_hk<i>" sorts after "i7_hk" only by length, keep a same-length one */
	g_assert_cmpint(t_put(&temp_rt, other, "x", "y", 0), ==, 0);
	mg_init(&mg, "i7_hk");
	mg.max_kv_count = 3;
	check_mg(&mg, 0, "1=a,2=b,3=c");
	mg.max_kv_count = 2;
	check_mg(&mg, 7, "1=a,2=b");
	mg.reverse = TRUE;
	mg.max_kv_count = 3;
	/* something sorts before (u16 length 5 < 6 ...) in this partition? */
	{
		Reply	   *rp = multi_get(&temp_rt, &mg);

		g_assert_cmpint(rp->r.u.multi_get.n_kvs, ==, 3);
		g_assert_true(rp->r.u.multi_get.error == 0 || rp->r.u.multi_get.error == 7);
		reply_free(rp);
	}
}

static void
test_batch_get_sortkey_count(void)
{
	const char *sks[] = {"s1", "s2", "s3"};
	const char *vals[] = {"v1", "v2", "v3"};
	PegasusRequest req;
	PegasusFullKey keys[4];
	Reply	   *rp;
	guint32		now;

	REQUIRE_BOX();
	g_assert_cmpint(t_multi_put(&temp_rt, "bg_hk", sks, vals, 3, 0), ==, 0);
	now = server_now();
	g_assert_cmpint(t_put(&temp_rt, "bg_hk", "s4", "old", (gint32) now - 1), ==, 0);

	req_init(&req, PEGASUS_RPC_BATCH_GET, 0, 0, 0);
	rp = routed(&temp_rt, &req, hk_hash("bg_hk"));
	g_assert_cmpint(rp->r.u.batch_get.error, ==, 4);
	reply_free(rp);

	keys[0].hash_key = pegasus_codec_blob_str("bg_hk");
	keys[0].sort_key = pegasus_codec_blob_str("s3");
	keys[1].hash_key = pegasus_codec_blob_str("bg_hk");
	keys[1].sort_key = pegasus_codec_blob_str("nope");
	keys[2].hash_key = pegasus_codec_blob_str("bg_hk");
	keys[2].sort_key = pegasus_codec_blob_str("s1");
	keys[3].hash_key = pegasus_codec_blob_str("bg_hk");
	keys[3].sort_key = pegasus_codec_blob_str("s4");
	req.u.batch_get.keys = keys;
	req.u.batch_get.n_keys = 4;
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("bg_hk"));
	g_assert_cmpint(rp->r.u.batch_get.error, ==, 0);
	g_assert_cmpint(rp->r.u.batch_get.n_data, ==, 2);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.batch_get.data[0].sort_key, "s3"));
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.batch_get.data[0].value, "v3"));
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.batch_get.data[0].hash_key, "bg_hk"));
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.batch_get.data[1].sort_key, "s1"));
	reply_free(rp);

	req_init(&req, PEGASUS_RPC_SORTKEY_COUNT, 0, 0, 0);
	req.u.key = pegasus_codec_blob_str("bg_hk");
	rp = routed(&temp_rt, &req, hk_hash("bg_hk"));
	g_assert_cmpint(rp->r.u.sortkey_count.error, ==, 0);
	g_assert_cmpint(rp->r.u.sortkey_count.count, ==, 3);
	reply_free(rp);
	req.u.key = pegasus_codec_blob_str("bg_none");
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("bg_none"));
	g_assert_cmpint(rp->r.u.sortkey_count.count, ==, 0);
	reply_free(rp);
}

/* ------------------------------------------------------------------------
 * incr, check_and_set, check_and_mutate
 * ------------------------------------------------------------------------ */

static Reply *
incr(const char *hk, const char *sk, gint64 inc, gint32 expire)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key(hk, sk);
	Reply	   *rp;

	req_init(&req, PEGASUS_RPC_INCR, 0, 0, 0);
	req.u.incr.key = pegasus_codec_blob(k->data, k->len);
	req.u.incr.increment = inc;
	req.u.incr.expire_ts_seconds = expire;
	rp = routed(&temp_rt, &req, hk_hash(hk));
	g_byte_array_unref(k);
	return rp;
}

static void
expect_incr(const char *sk, gint64 inc, gint32 expire, gint32 err, gint64 new_value)
{
	Reply	   *rp = incr("incr_hk", sk, inc, expire);

	g_assert_cmpint(rp->r.u.incr.error, ==, err);
	g_assert_cmpint(rp->r.u.incr.new_value, ==, new_value);
	if (err == 0)
		g_assert_cmpint(rp->r.u.incr.decree, >, 0);
	reply_free(rp);
}

static void
test_incr(void)
{
	guint32		now;
	gint32		ttl;

	REQUIRE_BOX();
	expect_incr("new", 5, 0, 0, 5);
	expect_incr("new", -7, 0, 0, -2);
	assert_value(&temp_rt, "incr_hk", "new", "-2");
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "empty", "", 0), ==, 0);
	expect_incr("empty", 3, 0, 0, 3);
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "octal", "010", 0), ==, 0);
	expect_incr("octal", 1, 0, 0, 9);
	assert_value(&temp_rt, "incr_hk", "octal", "9");
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "hex", " 0x10", 0), ==, 0);
	expect_incr("hex", 1, 0, 0, 17);
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "bad", "12a", 0), ==, 0);
	expect_incr("bad", 1, 0, 4, 0);
	assert_value(&temp_rt, "incr_hk", "bad", "12a");
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "trail", "12 ", 0), ==, 0);
	expect_incr("trail", 1, 0, 4, 0);
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "max", "9223372036854775807", 0), ==, 0);
	expect_incr("max", 1, 0, 4, G_MAXINT64);	/* overflow returns the old value */
	assert_value(&temp_rt, "incr_hk", "max", "9223372036854775807");

	/* expiry rules */
	now = server_now();
	expect_incr("e", 1, (gint32) now + 100, 0, 1);	/* new record takes the expiry */
	g_assert_cmpint(t_ttl(&temp_rt, "incr_hk", "e", &ttl), ==, 0);
	g_assert_cmpint(ttl, >, 90);
	expect_incr("e", 1, 0, 0, 2);	/* 0 keeps it */
	g_assert_cmpint(t_ttl(&temp_rt, "incr_hk", "e", &ttl), ==, 0);
	g_assert_cmpint(ttl, >, 90);
	expect_incr("e", 1, -1, 0, 3);	/* negative clears it */
	g_assert_cmpint(t_ttl(&temp_rt, "incr_hk", "e", &ttl), ==, 0);
	g_assert_cmpint(ttl, ==, -1);
	/* an expired record counts as missing */
	g_assert_cmpint(t_put(&temp_rt, "incr_hk", "gone", "100", (gint32) now - 1), ==, 0);
	expect_incr("gone", 2, 0, 0, 2);
}

static Reply *
cas(const char *sk, gint32 type, const char *operand, const char *set_sk, const char *value,
	gboolean ret)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_CHECK_AND_SET, 0, 0, 0);
	req.u.check_and_set.hash_key = pegasus_codec_blob_str("cas_hk");
	req.u.check_and_set.check_sort_key = pegasus_codec_blob_str(sk);
	req.u.check_and_set.check_type = type;
	req.u.check_and_set.check_operand = pegasus_codec_blob_str(operand);
	if (set_sk)
	{
		req.u.check_and_set.set_diff_sort_key = TRUE;
		req.u.check_and_set.set_sort_key = pegasus_codec_blob_str(set_sk);
	}
	req.u.check_and_set.set_value = pegasus_codec_blob_str(value);
	req.u.check_and_set.return_check_value = ret;
	return routed(&temp_rt, &req, hk_hash("cas_hk"));
}

static void
expect_cas(const char *sk, gint32 type, const char *operand, gint32 err)
{
	Reply	   *rp = cas(sk, type, operand, "target", "written", FALSE);

	if (rp->r.u.check_and_set.error != err)
		g_error("check type %d operand \"%s\" on %s: error %d, want %d", type, operand, sk,
				rp->r.u.check_and_set.error, err);
	g_assert_false(rp->r.u.check_and_set.check_value_returned);
	reply_free(rp);
	if (err == 0)
	{
		assert_value(&temp_rt, "cas_hk", "target", "written");
		g_assert_cmpint(t_put(&temp_rt, "cas_hk", "target", "reset", 0), ==, 0);
	}
	else
		assert_value(&temp_rt, "cas_hk", "target", "reset");
}

static void
test_check_and_set(void)
{
	Reply	   *rp;

	REQUIRE_BOX();
	g_assert_cmpint(t_put(&temp_rt, "cas_hk", "target", "reset", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "cas_hk", "val", "hello", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "cas_hk", "empty", "", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "cas_hk", "num", "15", 0), ==, 0);

	expect_cas("val", PEGASUS_CT_NO_CHECK, "", 0);
	expect_cas("missing", PEGASUS_CT_VALUE_NOT_EXIST, "", 0);
	expect_cas("val", PEGASUS_CT_VALUE_NOT_EXIST, "", 13);
	expect_cas("empty", PEGASUS_CT_VALUE_NOT_EXIST_OR_EMPTY, "", 0);
	expect_cas("val", PEGASUS_CT_VALUE_NOT_EXIST_OR_EMPTY, "", 13);
	expect_cas("empty", PEGASUS_CT_VALUE_EXIST, "", 0);
	expect_cas("missing", PEGASUS_CT_VALUE_EXIST, "", 13);
	expect_cas("empty", PEGASUS_CT_VALUE_NOT_EMPTY, "", 13);
	expect_cas("val", PEGASUS_CT_VALUE_NOT_EMPTY, "", 0);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_ANYWHERE, "ell", 0);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_ANYWHERE, "", 0);
	expect_cas("missing", PEGASUS_CT_VALUE_MATCH_ANYWHERE, "", 13);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_ANYWHERE, "hello!", 13);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_PREFIX, "he", 0);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_PREFIX, "lo", 13);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_POSTFIX, "lo", 0);
	expect_cas("val", PEGASUS_CT_VALUE_MATCH_POSTFIX, "he", 13);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_LESS, "hellp", 0);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_LESS, "hello", 13);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_LESS_OR_EQUAL, "hello", 0);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_EQUAL, "hello", 0);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_EQUAL, "hell", 13);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_GREATER_OR_EQUAL, "hell", 0);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_GREATER, "hello", 13);
	expect_cas("val", PEGASUS_CT_VALUE_BYTES_GREATER, "a", 0);
	expect_cas("missing", PEGASUS_CT_VALUE_BYTES_GREATER, "a", 13);
	expect_cas("num", PEGASUS_CT_VALUE_INT_LESS, "16", 0);
	expect_cas("num", PEGASUS_CT_VALUE_INT_LESS, "0xf", 13);
	expect_cas("num", PEGASUS_CT_VALUE_INT_LESS, "017", 13);	/* octal 15 */
	expect_cas("num", PEGASUS_CT_VALUE_INT_LESS_OR_EQUAL, "15", 0);
	expect_cas("num", PEGASUS_CT_VALUE_INT_EQUAL, "15", 0);
	expect_cas("num", PEGASUS_CT_VALUE_INT_GREATER_OR_EQUAL, "15", 0);
	expect_cas("num", PEGASUS_CT_VALUE_INT_GREATER, "-3", 0);
	expect_cas("num", PEGASUS_CT_VALUE_INT_GREATER, "x", 4);	/* bad operand */
	expect_cas("val", PEGASUS_CT_VALUE_INT_GREATER, "1", 4);	/* bad value */
	expect_cas("missing", PEGASUS_CT_VALUE_INT_GREATER, "1", 13);
	expect_cas("val", 18, "", 4);
	expect_cas("val", -1, "", 4);

	/* return_check_value, set on the check key itself */
	rp = cas("val", PEGASUS_CT_VALUE_BYTES_EQUAL, "nothello", NULL, "x", TRUE);
	g_assert_cmpint(rp->r.u.check_and_set.error, ==, 13);
	g_assert_true(rp->r.u.check_and_set.check_value_returned);
	g_assert_true(rp->r.u.check_and_set.check_value_exist);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.check_and_set.check_value, "hello"));
	reply_free(rp);
	rp = cas("val", PEGASUS_CT_VALUE_EXIST, "", NULL, "replaced", TRUE);
	g_assert_cmpint(rp->r.u.check_and_set.error, ==, 0);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.check_and_set.check_value, "hello"));
	reply_free(rp);
	assert_value(&temp_rt, "cas_hk", "val", "replaced");
	rp = cas("missing", PEGASUS_CT_VALUE_NOT_EXIST, "", "target2", "t2", TRUE);
	g_assert_cmpint(rp->r.u.check_and_set.error, ==, 0);
	g_assert_true(rp->r.u.check_and_set.check_value_returned);
	g_assert_false(rp->r.u.check_and_set.check_value_exist);
	reply_free(rp);
	assert_value(&temp_rt, "cas_hk", "target2", "t2");
	assert_value(&temp_rt, "cas_hk", "missing", NULL);
}

static void
test_check_and_mutate(void)
{
	PegasusRequest req;
	PegasusMutate mu[3];
	Reply	   *rp;

	REQUIRE_BOX();
	g_assert_cmpint(t_put(&temp_rt, "cam_hk", "check", "1", 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "cam_hk", "del", "x", 0), ==, 0);

	req_init(&req, PEGASUS_RPC_CHECK_AND_MUTATE, 0, 0, 0);
	req.u.check_and_mutate.hash_key = pegasus_codec_blob_str("cam_hk");
	req.u.check_and_mutate.check_sort_key = pegasus_codec_blob_str("check");
	req.u.check_and_mutate.check_type = PEGASUS_CT_VALUE_INT_EQUAL;
	req.u.check_and_mutate.check_operand = pegasus_codec_blob_str("1");
	req.u.check_and_mutate.return_check_value = TRUE;
	rp = routed(&temp_rt, &req, hk_hash("cam_hk"));
	g_assert_cmpint(rp->r.u.check_and_mutate.error, ==, 4);	/* empty list */
	reply_free(rp);

	memset(mu, 0, sizeof(mu));
	mu[0].operation = PEGASUS_MO_PUT;
	mu[0].sort_key = pegasus_codec_blob_str("new");
	mu[0].value = pegasus_codec_blob_str("n1");
	mu[1].operation = PEGASUS_MO_DELETE;
	mu[1].sort_key = pegasus_codec_blob_str("del");
	mu[2].operation = PEGASUS_MO_PUT;
	mu[2].sort_key = pegasus_codec_blob_str("new");
	mu[2].value = pegasus_codec_blob_str("n2");
	req.u.check_and_mutate.mutate_list = mu;
	req.u.check_and_mutate.n_mutate_list = 3;
	req.u.check_and_mutate.check_operand = pegasus_codec_blob_str("2");
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("cam_hk"));
	g_assert_cmpint(rp->r.u.check_and_mutate.error, ==, 13);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.check_and_mutate.check_value, "1"));
	reply_free(rp);
	assert_value(&temp_rt, "cam_hk", "del", "x");

	req.u.check_and_mutate.check_operand = pegasus_codec_blob_str("1");
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("cam_hk"));
	g_assert_cmpint(rp->r.u.check_and_mutate.error, ==, 0);
	reply_free(rp);
	assert_value(&temp_rt, "cam_hk", "new", "n2");
	assert_value(&temp_rt, "cam_hk", "del", NULL);

	mu[1].operation = 7;
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("cam_hk"));
	g_assert_cmpint(rp->r.u.check_and_mutate.error, ==, 4);
	reply_free(rp);
}

/* ------------------------------------------------------------------------
 * Scanners
 * ------------------------------------------------------------------------ */

static Reply *
get_scanner_at(Route *rt, gint32 pidx, guint64 hash, PegasusGetScannerRequest *g)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_GET_SCANNER, rt->app_id, pidx, hash);
	req.u.get_scanner = *g;
	return call_port(rt->ports[pidx], &req);
}

static Reply *
scan_at(Route *rt, gint32 pidx, guint64 hash, gint64 id)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_SCAN, rt->app_id, pidx, hash);
	req.u.scan.context_id = id;
	return call_port(rt->ports[pidx], &req);
}

/* Full-table scan: every record of the table; counts rows per call */
static GHashTable *
full_scan(Route *rt, gint32 batch, gboolean expect_negative, guint *rows)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gint32		p;

	*rows = 0;
	for (p = 0; p < rt->count; p++)
	{
		PegasusGetScannerRequest g;
		Reply	   *rp;
		gint64		id;
		guint8		start[2] = {0, 0};
		guint8		stop[2] = {0xff, 0xff};
		gint64		last = 0;

		memset(&g, 0, sizeof(g));
		g.start_key = pegasus_codec_blob(start, 2);
		g.stop_key = pegasus_codec_blob(stop, 2);
		g.start_inclusive = TRUE;
		g.batch_size = batch;
		g.has_full_scan = TRUE;
		g.full_scan = TRUE;
		g.has_validate_partition_hash = TRUE;
		g.validate_partition_hash = TRUE;
		rp = get_scanner_at(rt, p, (guint64) p, &g);
		for (;;)
		{
			guint32		i;

			g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
			g_assert_cmpint(rp->r.u.scan.error, ==, 0);
			g_assert_cmpint(rp->r.u.scan.partition_index, ==, p);
			for (i = 0; i < rp->r.u.scan.n_kvs; i++)
			{
				PegasusBlob k = rp->r.u.scan.kvs[i].key;
				char	   *ks = g_strndup((const char *) k.data + 2, k.len - 2);
				PegasusBlob hk;

				/* rows belong to the partition they came from */
				g_assert_true(pegasus_codec_key_restore(k.data, k.len, &hk, NULL));
				g_assert_cmpint(pegasus_codec_partition_index(pegasus_codec_key_partition_hash(k.data, k.len), rt->count), ==, p);
				g_assert_false(g_hash_table_contains(seen, ks));
				g_hash_table_add(seen, ks);
				(*rows)++;
			}
			id = rp->r.u.scan.context_id;
			reply_free(rp);
			if (id == -1)
				break;
			g_assert_cmpint(id, !=, 0);
			g_assert_cmpint(id, !=, last);
			if (expect_negative)
				g_assert_cmpint(id, <, 0);
			last = id;
			rp = scan_at(rt, p, (guint64) p, id);
		}
	}
	return seen;
}

static void
test_scan_full_table(void)
{
	Route		rt;
	GHashTable *seen;
	guint		rows;
	int			i;

	REQUIRE_BOX();
	g_free(control("create scan_t 8"));
	g_assert_true(route_table("scan_t", &rt));
	for (i = 0; i < 500; i++)
	{
		char		hk[32],
					sk[32];

		g_snprintf(hk, sizeof(hk), "user%d", i / 5);
		g_snprintf(sk, sizeof(sk), "%d", i % 5);
		g_assert_cmpint(t_put(&rt, hk, sk, "v", 0), ==, 0);
	}
	seen = full_scan(&rt, 7, FALSE, &rows);
	g_assert_cmpuint(rows, ==, 500);
	g_assert_cmpuint(g_hash_table_size(seen), ==, 500);
	g_hash_table_destroy(seen);

	control_ok("negative-ids on");
	seen = full_scan(&rt, 13, TRUE, &rows);
	g_assert_cmpuint(rows, ==, 500);
	g_hash_table_destroy(seen);
	control_ok("negative-ids off");
	g_assert_cmpuint(scanner_count(), ==, 0);
}

static void
scan_req_for_hash_key(PegasusGetScannerRequest *g, GByteArray *start, GByteArray *stop,
					  const char *hk)
{
	memset(g, 0, sizeof(*g));
	g_byte_array_set_size(start, 0);
	g_byte_array_set_size(stop, 0);
	pegasus_codec_key_encode(hk, strlen(hk), NULL, 0, start);
	pegasus_codec_key_next_of_hash_key(hk, strlen(hk), stop);
	g->start_key = pegasus_codec_blob(start->data, start->len);
	g->stop_key = pegasus_codec_blob(stop->data, stop->len);
	g->start_inclusive = TRUE;
	g->stop_inclusive = FALSE;
}

static void
test_scan_hash_key(void)
{
	const char *sks[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6"};
	const char *vals[] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6"};
	GByteArray *start = g_byte_array_new();
	GByteArray *stop = g_byte_array_new();
	PegasusGetScannerRequest g;
	Reply	   *rp;
	gint32		p;
	guint64		h = hk_hash("sc_hk");
	gint64		id1,
				id2;
	guint32		now;
	guint		base;
	PegasusRequest req;

	REQUIRE_BOX();
	now = server_now();
	g_assert_cmpint(t_multi_put(&temp_rt, "sc_hk", sks, vals, 7, 0), ==, 0);
	g_assert_cmpint(t_put(&temp_rt, "sc_hk", "k3", "v3", (gint32) now + 500), ==, 0);
	p = pidx_of_hash_key(&temp_rt, "sc_hk");

	/* paging: 3 + 3 + 1, new id each call, -1 at the end */
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.batch_size = 3;
	g.has_return_expire_ts = TRUE;
	g.return_expire_ts = TRUE;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.error, ==, 0);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 3);
	g_assert_true(rp->r.u.scan.kvs[0].has_expire_ts_seconds);
	g_assert_cmpint(rp->r.u.scan.kvs[0].expire_ts_seconds, ==, 0);
	id1 = rp->r.u.scan.context_id;
	g_assert_cmpint(id1, !=, -1);
	g_assert_cmpint(id1, !=, 0);
	reply_free(rp);
	rp = scan_at(&temp_rt, p, h, id1);
	g_assert_cmpint(rp->r.u.scan.error, ==, 0);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 3);
	/* keys are full rrdb keys */
	g_assert_cmpint(rp->r.u.scan.kvs[0].key.len, ==, 2 + 5 + 2);
	g_assert_true(memcmp(rp->r.u.scan.kvs[0].key.data + 7, "k3", 2) == 0);
	g_assert_cmpint(rp->r.u.scan.kvs[0].expire_ts_seconds, ==, (gint32) now + 500);
	id2 = rp->r.u.scan.context_id;
	g_assert_cmpint(id2, !=, id1);
	reply_free(rp);
	/* the old id is dead */
	rp = scan_at(&temp_rt, p, h, id1);
	g_assert_cmpint(rp->r.u.scan.error, ==, 1);
	reply_free(rp);
	rp = scan_at(&temp_rt, p, h, id2);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 1);
	g_assert_cmpint(rp->r.u.scan.context_id, ==, -1);
	reply_free(rp);
	/* unknown ids: error 1 */
	rp = scan_at(&temp_rt, p, h, 123456789);
	g_assert_cmpint(rp->r.u.scan.error, ==, 1);
	reply_free(rp);

	/* empty range: context 0 */
	g.start_key = g.stop_key;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.error, ==, 0);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 0);
	g_assert_cmpint(rp->r.u.scan.context_id, ==, 0);
	reply_free(rp);

	/* batch exactly the rest: the iterator still points at a record? no: prefix-bound -> -1 */
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.batch_size = 7;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 7);
	g_assert_cmpint(rp->r.u.scan.context_id, ==, -1);
	g_assert_false(rp->r.u.scan.kvs[0].has_expire_ts_seconds);
	reply_free(rp);

	/* filters, no_value, only_return_count, exclusive start */
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.sort_key_filter_type = PEGASUS_FT_MATCH_POSTFIX;
	g.sort_key_filter_pattern = pegasus_codec_blob_str("5");
	g.no_value = TRUE;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 1);
	g_assert_cmpint(rp->r.u.scan.kvs[0].value.len, ==, 0);
	reply_free(rp);
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.has_only_return_count = TRUE;
	g.only_return_count = TRUE;
	g.hash_key_filter_type = PEGASUS_FT_MATCH_ANYWHERE;
	g.hash_key_filter_pattern = pegasus_codec_blob_str("c_h");
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 0);
	g_assert_true(rp->r.u.scan.has_kv_count);
	g_assert_cmpint(rp->r.u.scan.kv_count, ==, 7);
	reply_free(rp);
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g_byte_array_append(start, (const guint8 *) "k5", 2);
	g.start_key = pegasus_codec_blob(start->data, start->len);
	g.start_inclusive = FALSE;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.n_kvs, ==, 1);
	g_assert_true(memcmp(rp->r.u.scan.kvs[0].key.data + 7, "k6", 2) == 0);
	reply_free(rp);
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.sort_key_filter_type = 9;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	g_assert_cmpint(rp->r.u.scan.error, ==, 4);
	reply_free(rp);

	/* clear_scanner: never answered; the context goes away */
	base = scanner_count();
	scan_req_for_hash_key(&g, start, stop, "sc_hk");
	g.batch_size = 2;
	rp = get_scanner_at(&temp_rt, p, h, &g);
	id1 = rp->r.u.scan.context_id;
	reply_free(rp);
	g_assert_cmpuint(scanner_count(), ==, base + 1);
	req_init(&req, PEGASUS_RPC_CLEAR_SCANNER, temp_rt.app_id, p, h);
	req.u.context_id = id1;
	{
		GByteArray *b = encode(&req);
		int			fd = port_fd(temp_rt.ports[p]);
		GByteArray *f;

		g_assert_true(onebox_rawrpc_send(fd, b->data, b->len));
		g_byte_array_unref(b);
		f = onebox_rawrpc_read_frame(fd, 300, NULL);
		g_assert_null(f);
	}
	g_assert_cmpuint(scanner_count(), ==, base);

	/*
	 * A context named by a reply the client may never have read is at risk:
	 * one delayed by injected latency; one delivered normally is not.
	 */
	g_assert_cmpuint(scanner_at_risk(), ==, 0);
	rp = get_scanner_at(&temp_rt, p, h, &g);
	id1 = rp->r.u.scan.context_id;
	reply_free(rp);
	g_assert_cmpuint(scanner_at_risk(), ==, 0);
	control_ok("latency %d 20", temp_rt.ports[p]);
	rp = get_scanner_at(&temp_rt, p, h, &g);
	id2 = rp->r.u.scan.context_id;
	reply_free(rp);
	control_ok("latency %d 0", temp_rt.ports[p]);
	g_assert_cmpuint(scanner_count(), ==, base + 2);
	g_assert_cmpuint(scanner_at_risk(), ==, 1);
	/* a later batch, delivered normally, is no longer at risk */
	rp = scan_at(&temp_rt, p, h, id2);
	g_assert_cmpint(rp->r.u.scan.error, ==, 0);
	g_assert_cmpint(rp->r.u.scan.context_id, !=, -1);
	reply_free(rp);
	g_assert_cmpuint(scanner_at_risk(), ==, 0);
	g_assert_cmpuint(scanner_count(), ==, base + 2);
	(void) id1;

	/* idle contexts expire after 5 minutes of server clock */
	rp = get_scanner_at(&temp_rt, p, h, &g);
	id1 = rp->r.u.scan.context_id;
	reply_free(rp);
	g_free(control("clock 301"));
	rp = scan_at(&temp_rt, p, h, id1);
	g_assert_cmpint(rp->r.u.scan.error, ==, 1);
	reply_free(rp);
	g_assert_cmpuint(scanner_count(), ==, 0);

	g_byte_array_unref(start);
	g_byte_array_unref(stop);
}

/* ------------------------------------------------------------------------
 * Gating, pipelining, framing
 * ------------------------------------------------------------------------ */

static void
test_gating(void)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key("gate_hk", "s");
	Reply	   *rp;
	gint32		p = pidx_of_hash_key(&temp_rt, "gate_hk");
	int			other = (temp_rt.ports[p] == box.reps[0]) ? box.reps[1] : box.reps[0];
	guint8	   *big;

	REQUIRE_BOX();
	/* right gpid, wrong endpoint */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, hk_hash("gate_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = call_port(other, &req);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	g_assert_false(rp->r.has_body);
	reply_free(rp);
	/* unknown app */
	req_init(&req, PEGASUS_RPC_GET, 999, p, hk_hash("gate_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = call_port(temp_rt.ports[p], &req);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);
	/* clear_scanner gate errors are answered */
	req_init(&req, PEGASUS_RPC_CLEAR_SCANNER, 999, 0, 0);
	req.u.context_id = 5;
	rp = call_port(box.reps[0], &req);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);

	/* a write larger than 1 MiB */
	big = g_malloc0(1100000);
	req_init(&req, PEGASUS_RPC_PUT, 0, 0, 0);
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	req.u.put.value = pegasus_codec_blob(big, 1100000);
	rp = routed(&temp_rt, &req, hk_hash("gate_hk"));
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_INVALID_DATA);
	reply_free(rp);
	/* just under the limit is fine */
	req.u.put.value = pegasus_codec_blob(big, 1000000);
	req.seqid = 0;
	rp = routed(&temp_rt, &req, hk_hash("gate_hk"));
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	reply_free(rp);
	g_free(big);
	g_byte_array_unref(k);
}

static void
test_pipelining(void)
{
	GByteArray *all = g_byte_array_new();
	GHashTable *want = g_hash_table_new(g_direct_hash, g_direct_equal);
	gint32		p = pidx_of_hash_key(&temp_rt, "pipe_hk");
	int			fd;
	int			i;
	char		addr[32];

	REQUIRE_BOX();
	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", temp_rt.ports[p]);
	fd = onebox_rawrpc_connect(addr);
	for (i = 0; i < 500; i++)
	{
		PegasusRequest req;
		char		sk[16];
		GByteArray *k;
		GByteArray *b;

		g_snprintf(sk, sizeof(sk), "%d", i);
		k = rrdb_key("pipe_hk", sk);
		req_init(&req, i % 2 ? PEGASUS_RPC_GET : PEGASUS_RPC_PUT, temp_rt.app_id, p,
				 hk_hash("pipe_hk"));
		if (i % 2)
			req.u.key = pegasus_codec_blob(k->data, k->len);
		else
		{
			req.u.put.key = pegasus_codec_blob(k->data, k->len);
			req.u.put.value = pegasus_codec_blob_str("x");
		}
		req.seqid = -1000 - i;	/* negative seqids survive */
		/* every tenth request as ONEWAY: answered like CALL */
		req.msg_type = i % 10 == 0 ? PEGASUS_CODEC_MSG_ONEWAY : PEGASUS_CODEC_MSG_CALL;
		b = encode(&req);
		g_byte_array_append(all, b->data, b->len);
		g_hash_table_add(want, GINT_TO_POINTER(req.seqid));
		g_byte_array_unref(b);
		g_byte_array_unref(k);
	}
	g_assert_true(onebox_rawrpc_send(fd, all->data, all->len));
	for (i = 0; i < 500; i++)
	{
		GByteArray *f = onebox_rawrpc_read_frame(fd, TIMEOUT_MS, NULL);
		Reply	   *rp;

		g_assert_nonnull(f);
		rp = decode_reply(f);
		g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_OK);
		g_assert_true(g_hash_table_remove(want, GINT_TO_POINTER(rp->r.seqid)));
		reply_free(rp);
	}
	g_assert_cmpuint(g_hash_table_size(want), ==, 0);
	close(fd);
	g_hash_table_destroy(want);
	g_byte_array_unref(all);
}

/* A v1 header (Java): THFT, 1, meta_len, body_len, meta struct, body */
static GByteArray *
v1_frame(GByteArray *v0, gint32 app, gint32 pidx, guint64 h, gboolean backup)
{
	GByteArray *v1 = g_byte_array_new();
	guint32		body_len = v0->len - 48;
	guint8		meta[64];
	gsize		ml = 0;
	guint8		fixed[16];
	int			i;

	/* meta: 1:i32 app_id, 2:i32 partition_index, 3:i32 timeout, 4:i64 hash, 5:bool */
	meta[ml++] = 8; meta[ml++] = 0; meta[ml++] = 1;
	for (i = 3; i >= 0; i--) meta[ml++] = (guint8) (app >> (8 * i));
	meta[ml++] = 8; meta[ml++] = 0; meta[ml++] = 2;
	for (i = 3; i >= 0; i--) meta[ml++] = (guint8) (pidx >> (8 * i));
	meta[ml++] = 8; meta[ml++] = 0; meta[ml++] = 3;
	for (i = 3; i >= 0; i--) meta[ml++] = (guint8) (1000 >> (8 * i));
	meta[ml++] = 10; meta[ml++] = 0; meta[ml++] = 4;
	for (i = 7; i >= 0; i--) meta[ml++] = (guint8) (h >> (8 * i));
	if (backup)
	{
		meta[ml++] = 2; meta[ml++] = 0; meta[ml++] = 5; meta[ml++] = 1;
	}
	meta[ml++] = 0;
	memcpy(fixed, "THFT", 4);
	for (i = 0; i < 4; i++)
	{
		fixed[4 + i] = (guint8) (1u >> (8 * (3 - i)));
		fixed[8 + i] = (guint8) ((guint32) ml >> (8 * (3 - i)));
		fixed[12 + i] = (guint8) (body_len >> (8 * (3 - i)));
	}
	g_byte_array_append(v1, fixed, 16);
	g_byte_array_append(v1, meta, (guint) ml);
	g_byte_array_append(v1, v0->data + 48, body_len);
	return v1;
}

static void
test_v1_header(void)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key("v1_hk", "s");
	GByteArray *v0;
	GByteArray *v1;
	gint32		p = pidx_of_hash_key(&temp_rt, "v1_hk");
	guint64		h = hk_hash("v1_hk");
	int			secondary = temp_rt.ports[p] == box.reps[0] ? box.reps[1] : box.reps[0];
	Reply	   *rp;

	REQUIRE_BOX();
	g_assert_cmpint(t_put(&temp_rt, "v1_hk", "s", "via v1", 0), ==, 0);
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, h);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	v0 = encode(&req);
	v1 = v1_frame(v0, temp_rt.app_id, p, h, FALSE);
	rp = raw_call(temp_rt.ports[p], v1->data, v1->len);
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.get.value, "via v1"));
	reply_free(rp);

	/* a secondary serves reads only when flagged as backup requests */
	rp = raw_call(secondary, v1->data, v1->len);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);
	g_byte_array_unref(v1);
	v1 = v1_frame(v0, temp_rt.app_id, p, h, TRUE);
	rp = raw_call(secondary, v1->data, v1->len);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OK);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.u.get.value, "via v1"));
	reply_free(rp);

	g_byte_array_unref(v0);
	g_byte_array_unref(v1);
	g_byte_array_unref(k);
}

/* ------------------------------------------------------------------------
 * Strictness: each rule increments the violation count and closes
 * ------------------------------------------------------------------------ */

/* Send raw bytes on a fresh connection; expect close + one more violation */
static void
expect_violation(int port, const guint8 *data, gsize len, const char *what)
{
	char		addr[32];
	int			fd;
	guint64		before = violations();

	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	fd = onebox_rawrpc_connect(addr);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(onebox_rawrpc_send(fd, data, len));
	if (!onebox_rawrpc_wait_closed(fd, TIMEOUT_MS))
		g_error("%s: connection not closed", what);
	close(fd);
	if (violations() != before + 1)
		g_error("%s: violation count %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, what,
				before, violations());
}

static void
expect_violation_req(int port, PegasusRequest *req, const char *what)
{
	GByteArray *b = encode(req);

	expect_violation(port, b->data, b->len, what);
	g_byte_array_unref(b);
}

static void
test_strictness(void)
{
	PegasusRequest req;
	GByteArray *k = rrdb_key("strict_hk", "s");
	GByteArray *b;
	gint32		p = pidx_of_hash_key(&temp_rt, "strict_hk");
	guint64		h = hk_hash("strict_hk");
	int			port = temp_rt.ports[p];
	guint8	   *longhk;
	guint8		shortkey[1] = {0};
	guint8		badkey[4] = {0, 9, 'a', 'b'};
	PegasusFullKey fk[2];
	gint32		q;
	char		other[32];
	int			i;

	REQUIRE_BOX();
	/* wrong thread_hash */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, h);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	req.header.thread_hash += 1;
	expect_violation_req(port, &req, "thread_hash");

	/* app_id > 0 on the meta port */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, h);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	expect_violation_req(box.meta[0], &req, "replica RPC on meta port");

	/* wrong partition_hash on put, and one selecting another partition */
	req_init(&req, PEGASUS_RPC_PUT, temp_rt.app_id, p, h + (guint64) temp_rt.count);
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	expect_violation_req(port, &req, "put partition_hash");
	req_init(&req, PEGASUS_RPC_SCAN, temp_rt.app_id, p, h + 1);
	req.u.scan.context_id = 1;
	expect_violation_req(port, &req, "scan partition_hash");

	/* a key sent to a partition it does not belong to (hash 0 = unset) */
	for (i = 0; i < 100; i++)
	{
		g_snprintf(other, sizeof(other), "other%d", i);
		if (pidx_of_hash_key(&temp_rt, other) != p)
			break;
	}
	req_init(&req, PEGASUS_RPC_MULTI_GET, temp_rt.app_id, p, 0);
	req.u.multi_get.hash_key = pegasus_codec_blob_str(other);
	expect_violation_req(port, &req, "multi_get routed to the wrong partition");
	/* batch_get with a second key of another partition */
	fk[0].hash_key = pegasus_codec_blob_str("strict_hk");
	fk[0].sort_key = pegasus_codec_blob_str("s");
	fk[1].hash_key = pegasus_codec_blob_str(other);
	fk[1].sort_key = pegasus_codec_blob_str("s");
	req_init(&req, PEGASUS_RPC_BATCH_GET, temp_rt.app_id, p, h);
	req.u.batch_get.keys = fk;
	req.u.batch_get.n_keys = 2;
	expect_violation_req(port, &req, "batch_get across partitions");

	/* hash key of 65535 bytes */
	longhk = g_malloc0(65535);
	q = pegasus_codec_partition_index(pegasus_codec_hash_key_partition_hash(longhk, 65535),
									  temp_rt.count);
	req_init(&req, PEGASUS_RPC_SORTKEY_COUNT, temp_rt.app_id, q, 0);
	req.u.key = pegasus_codec_blob(longhk, 65535);
	expect_violation_req(temp_rt.ports[q], &req, "65535-byte hash key");
	g_free(longhk);

	/* rrdb keys too short or inconsistent */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, 0, 0);
	req.u.key = pegasus_codec_blob(shortkey, 1);
	expect_violation_req(temp_rt.ports[0], &req, "1-byte key");
	req_init(&req, PEGASUS_RPC_TTL, temp_rt.app_id, 0, 0);
	req.u.key = pegasus_codec_blob(badkey, 4);
	expect_violation_req(temp_rt.ports[0], &req, "inconsistent key");

	/* update_request fields 4-7 */
	req_init(&req, PEGASUS_RPC_PUT, temp_rt.app_id, p, h);
	req.u.put.key = pegasus_codec_blob(k->data, k->len);
	req.u.put.has_type = TRUE;
	req.u.put.type = PEGASUS_UT_INCR;
	expect_violation_req(port, &req, "update_request.type");

	/* a field with the wrong thrift type: the key blob sent as STRING */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, h);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	b = encode(&req);
	/* body: message begin (4+4+17+4), then field type byte */
	g_assert_cmpint(b->data[48 + 4 + 4 + 17 + 4], ==, PEGASUS_TTYPE_STRUCT);
	b->data[48 + 4 + 4 + 17 + 4] = PEGASUS_TTYPE_STRING;
	expect_violation(port, b->data, b->len, "wrong thrift type");
	g_byte_array_unref(b);

	/* get_scanner whose hash-key prefix filter moves a hash-key scan's start */
	{
		PegasusGetScannerRequest *g = &req.u.get_scanner;
		GByteArray *st = rrdb_key("strict_hk", "");
		GByteArray *sp = g_byte_array_new();

		pegasus_codec_key_next_of_hash_key("strict_hk", 9, sp);
		req_init(&req, PEGASUS_RPC_GET_SCANNER, temp_rt.app_id, p, h);
		g->start_key = pegasus_codec_blob(st->data, st->len);
		g->stop_key = pegasus_codec_blob(sp->data, sp->len);
		g->start_inclusive = TRUE;
		g->hash_key_filter_type = PEGASUS_FT_MATCH_PREFIX;
		g->hash_key_filter_pattern = pegasus_codec_blob_str("zzzz_later");
		expect_violation_req(port, &req, "prefix filter moving a hash-key scan");
		g_byte_array_unref(st);
		g_byte_array_unref(sp);
	}

	/* malformed frames: bad magic, truncated thrift, wrong message type */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, h);
	req.u.key = pegasus_codec_blob(k->data, k->len);
	b = encode(&req);
	b->data[0] = 'X';
	expect_violation(port, b->data, b->len, "bad magic");
	b->data[0] = 'T';
	b->data[48 + 3] = 2;		/* REPLY instead of CALL */
	expect_violation(port, b->data, b->len, "message type REPLY");
	g_byte_array_unref(b);
	{
		guint8		junk[60];

		memset(junk, 0xAB, sizeof(junk));
		memcpy(junk, "THFT", 4);
		memset(junk + 4, 0, 12);
		junk[11] = 48;
		junk[19] = 12;			/* body 12 bytes of garbage */
		expect_violation(port, junk, sizeof(junk), "garbage body");
	}

	/* the server survived all of it */
	assert_value(&temp_rt, "strict_hk", "s", NULL);
	g_byte_array_unref(k);
}

/* ------------------------------------------------------------------------
 * Control actions
 * ------------------------------------------------------------------------ */

static void
test_control_move_stop_start(void)
{
	Route		rt;
	Route		rt2;
	gint32		p;
	int			newport;
	char	   *out;
	PegasusRequest req;
	GByteArray *k = rrdb_key("move_hk", "s");
	Reply	   *rp;
	char		addr[32];
	int			fd;

	REQUIRE_BOX();
	g_free(control("create move_t 4"));
	g_assert_true(route_table("move_t", &rt));
	g_assert_cmpint(t_put(&rt, "move_hk", "s", "moved data", 0), ==, 0);
	p = pidx_of_hash_key(&rt, "move_hk");
	newport = rt.ports[p] == box.reps[0] ? box.reps[1] : box.reps[0];
	out = control("move move_t %d %d", p, newport);
	g_assert_true(g_str_has_prefix(out, "OK"));
	g_free(out);

	/* the old endpoint no longer serves it */
	req_init(&req, PEGASUS_RPC_GET, rt.app_id, p, hk_hash("move_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = call_port(rt.ports[p], &req);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	reply_free(rp);
	/* query_cfg shows the new primary with ballot + 1; data moved */
	g_assert_true(route_table("move_t", &rt2));
	g_assert_cmpint(rt2.ports[p], ==, newport);
	g_assert_cmpint(rt2.ballots[p], ==, rt.ballots[p] + 1);
	assert_value(&rt2, "move_hk", "s", "moved data");

	/* stop: connections refused; start: served again */
	control_ok("stop %d", newport);
	forget_fd(newport);
	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", newport);
	g_assert_cmpint(onebox_rawrpc_connect(addr), <, 0);
	control_ok("start %d", newport);
	assert_value(&rt2, "move_hk", "s", "moved data");

	/* drop: existing connections are closed, new ones work */
	fd = onebox_rawrpc_connect(addr);
	g_assert_cmpint(fd, >=, 0);
	control_ok("drop %d", newport);
	g_assert_true(onebox_rawrpc_wait_closed(fd, TIMEOUT_MS));
	close(fd);
	forget_fd(newport);
	assert_value(&rt2, "move_hk", "s", "moved data");

	/* stop and start a meta endpoint */
	control_ok("stop %d", box.meta[0]);
	forget_fd(box.meta[0]);
	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", box.meta[0]);
	g_assert_cmpint(onebox_rawrpc_connect(addr), <, 0);
	control_ok("start %d", box.meta[0]);
	g_assert_true(route_table("move_t", &rt2));
	g_byte_array_unref(k);
}

static void
test_control_faults(void)
{
	gint32		p = pidx_of_hash_key(&temp_rt, "fault_hk");
	int			port = temp_rt.ports[p];
	PegasusRequest req;
	GByteArray *k = rrdb_key("fault_hk", "s");
	GByteArray *b;
	Reply	   *rp;
	gint64		t0;
	int			fd;
	GByteArray *f;
	gboolean	eof;
	int			i;

	REQUIRE_BOX();
	g_assert_cmpint(t_put(&temp_rt, "fault_hk", "s", "v", 0), ==, 0);

	/* fail N with an error, then normal again */
	control_ok("fail %d RPC_RRDB_RRDB_GET 2 ERR_BUSY", port);
	for (i = 0; i < 3; i++)
	{
		req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, hk_hash("fault_hk"));
		req.u.key = pegasus_codec_blob(k->data, k->len);
		rp = call_port(port, &req);
		g_assert_cmpint(rp->r.frame_error, ==, i < 2 ? PEGASUS_EC_BUSY : PEGASUS_EC_OK);
		g_assert_true(rp->r.has_body == (i == 2));
		reply_free(rp);
	}
	/* "*" applies to every endpoint; noreply swallows the request */
	control_ok("fail * RPC_RRDB_RRDB_GET 1 noreply");
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, hk_hash("fault_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	b = encode(&req);
	fd = port_fd(port);
	g_assert_true(onebox_rawrpc_send(fd, b->data, b->len));
	g_assert_null(onebox_rawrpc_read_frame(fd, 300, NULL));
	g_byte_array_unref(b);
	forget_fd(port);
	assert_value(&temp_rt, "fault_hk", "s", "v");
	{
		char	   *out = control("fail %d RPC_RRDB_RRDB_GET 1 NOT_AN_ERROR", port);

		g_assert_true(g_str_has_prefix(out, "ERR"));
		g_free(out);
		out = control("fail %d RPC_RRDB_RRDB_GET 1 ERR_lower", port);
		g_assert_true(g_str_has_prefix(out, "ERR"));
		g_free(out);
	}
	/* an ERR_ name the codec does not know goes out as given */
	control_ok("fail %d RPC_RRDB_RRDB_GET 1 ERR_NOT_A_THING", port);
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, hk_hash("fault_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	rp = call_port(port, &req);
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.frame_error, ==, PEGASUS_EC_UNKNOWN);
	g_assert_true(pegasus_codec_blob_equal_str(rp->r.frame_error_name, "ERR_NOT_A_THING"));
	reply_free(rp);

	/* latency */
	control_ok("latency %d 200", port);
	t0 = g_get_monotonic_time();
	assert_value(&temp_rt, "fault_hk", "s", "v");
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 190000);
	control_ok("latency %d 0", port);

	/* corrupt replies */
	req_init(&req, PEGASUS_RPC_GET, temp_rt.app_id, p, hk_hash("fault_hk"));
	req.u.key = pegasus_codec_blob(k->data, k->len);
	req.seqid = 77;
	b = encode(&req);

	control_ok("corrupt %d badseqid", port);
	rp = raw_call(port, b->data, b->len);
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->r.seqid, !=, 77);
	reply_free(rp);

	control_ok("corrupt %d badname", port);
	rp = raw_call(port, b->data, b->len);
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->status, ==, PEGASUS_CODEC_UNKNOWN_RPC);
	reply_free(rp);

	control_ok("corrupt %d garbage", port);
	rp = raw_call(port, b->data, b->len);
	g_assert_nonnull(rp);
	g_assert_cmpint(rp->status, !=, PEGASUS_CODEC_OK);
	reply_free(rp);
	forget_fd(port);

	control_ok("corrupt %d truncated", port);
	fd = port_fd(port);
	g_assert_true(onebox_rawrpc_send(fd, b->data, b->len));
	f = onebox_rawrpc_read_frame(fd, TIMEOUT_MS, &eof);
	g_assert_null(f);
	g_assert_true(eof);
	forget_fd(port);

	control_ok("corrupt %d oversized", port);
	fd = port_fd(port);
	g_assert_true(onebox_rawrpc_send(fd, b->data, b->len));
	{
		guint8		len4[4];

		g_assert_cmpint(recv(fd, len4, 4, MSG_WAITALL), ==, 4);
		g_assert_cmpint(len4[0], ==, 0x7f);
	}
	forget_fd(port);
	g_byte_array_unref(b);

	/* the next request is normal again */
	assert_value(&temp_rt, "fault_hk", "s", "v");
	g_byte_array_unref(k);
}

static void
test_control_listing(void)
{
	char	   *out;

	REQUIRE_BOX();
	out = control("counters");
	g_assert_true(g_str_has_prefix(out, "OK\n"));
	g_assert_nonnull(strstr(out, "RPC_RRDB_RRDB_GET "));
	g_assert_nonnull(strstr(out, "RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX"));
	g_assert_nonnull(strstr(out, "\nviolations "));
	g_free(out);
	control_ok("reset-counters");
	out = control("counters");
	g_assert_null(strstr(out, "RPC_RRDB_RRDB_GET "));
	g_free(out);
	assert_value(&temp_rt, "fault_hk", "s", "v");
	out = control("counters");
	{
		char	   *want = g_strdup_printf("%d RPC_RRDB_RRDB_GET 1",
										   temp_rt.ports[pidx_of_hash_key(&temp_rt, "fault_hk")]);

		g_assert_nonnull(strstr(out, want));
		g_free(want);
	}
	g_free(out);

	/*
	 * A reset forgets each endpoint's counter counted last too: with a GET
	 * counted last on every endpoint that answers, a reset and one GET on
	 * each, every endpoint counts exactly one (a counter kept across the
	 * reset would count into freed memory, or into another's counter).
	 */
	{
		char		keys[64][32];
		int			ports[64];
		int			n = 0;
		int			i;

		for (i = 0; i < 400 && n < 64; i++)
		{
			char		k[32];
			int			p,
						j;

			g_snprintf(k, sizeof(k), "cnt_%d", i);
			p = temp_rt.ports[pidx_of_hash_key(&temp_rt, k)];
			for (j = 0; j < n && ports[j] != p; j++)
				;
			if (j < n || !answers_get(&temp_rt, k))
				continue;
			g_strlcpy(keys[n], k, sizeof(keys[n]));
			ports[n++] = p;
		}
		g_assert_cmpint(n, >=, 2);
		control_ok("reset-counters");
		for (i = 0; i < n; i++)
			assert_value(&temp_rt, keys[i], "s", NULL);
		out = control("counters");
		for (i = 0; i < n; i++)
		{
			char	   *want = g_strdup_printf("\n%d RPC_RRDB_RRDB_GET 1\n", ports[i]);

			g_assert_nonnull(strstr(out, want));
			g_free(want);
		}
		g_free(out);
	}

	out = control("tables");
	g_assert_true(g_str_has_prefix(out, "OK\n"));
	g_assert_nonnull(strstr(out, "temp app_id=2 partitions=8 status=available"));
	g_free(out);
	out = control("dump t4");
	g_assert_true(g_str_has_prefix(out, "OK"));
	g_free(out);
	out = control("no-such-command");
	g_assert_true(g_str_has_prefix(out, "ERR"));
	g_free(out);
}

/* ------------------------------------------------------------------------
 * Wire vectors: every captured request frame gets a well-formed answer
 * ------------------------------------------------------------------------ */

static char *
vectors_dir(void)
{
	const char *env = g_getenv("PEGASUS_WIRE_VECTORS");

	if (env)
		return g_strdup(env);
	return g_strdup("../shared/wire-vectors");
}

/* ------------------------------------------------------------------------
 * Partition split (split.c)
 * ------------------------------------------------------------------------ */

/*
 * Records of one partition, scanned with partition hash `hash`; validate
 * < 0 leaves validate_partition_hash unset (the server's default: true).
 * Adds "hk" keys to seen (when not NULL); returns the row count or -1 when
 * the first call failed with a frame error (*frame_error says which).
 */
static int
scan_partition(Route *rt, gint32 pidx, guint64 hash, int validate, GHashTable *seen,
			   PegasusErrorCode *frame_error)
{
	PegasusGetScannerRequest g;
	guint8		start[2] = {0, 0};
	guint8		stop[2] = {0xff, 0xff};
	Reply	   *rp;
	int			rows = 0;

	memset(&g, 0, sizeof(g));
	g.start_key = pegasus_codec_blob(start, 2);
	g.stop_key = pegasus_codec_blob(stop, 2);
	g.start_inclusive = TRUE;
	g.batch_size = 7;
	g.has_full_scan = TRUE;
	g.full_scan = TRUE;
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

static void
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
static void
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
static void
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
static void
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
static void
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
static void
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
	g_assert_cmpuint(violations(), ==, before);
	g_free(control("drop-table thr"));
}

/* query_cfg with and without the host_port fields names the same primaries */
static void
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

static void
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

static void
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
