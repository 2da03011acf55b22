/*-------------------------------------------------------------------------
 *
 * framing_control.c
 *		Onebox tests: gating, pipelining and framing, strictness rules,
 *		control actions and the captured wire vectors.
 *
 * test/unit/onebox/framing_control.c
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
 * Gating, pipelining, framing
 * ------------------------------------------------------------------------ */

void
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

void
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

void
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

void
expect_violation_req(int port, PegasusRequest *req, const char *what)
{
	GByteArray *b = encode(req);

	expect_violation(port, b->data, b->len, what);
	g_byte_array_unref(b);
}

void
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

void
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

void
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

void
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

char *
vectors_dir(void)
{
	const char *env = g_getenv("PEGASUS_WIRE_VECTORS");

	if (env)
		return g_strdup(env);
	return g_strdup("../shared/wire-vectors");
}
