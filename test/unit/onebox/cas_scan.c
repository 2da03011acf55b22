/*-------------------------------------------------------------------------
 *
 * cas_scan.c
 *		Onebox tests: incr, check_and_set, check_and_mutate and scanners.
 *
 * test/unit/onebox/cas_scan.c
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
 * incr, check_and_set, check_and_mutate
 * ------------------------------------------------------------------------ */

Reply *
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

void
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

void
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

void
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

Reply *
get_scanner_at(Route *rt, gint32 pidx, guint64 hash, PegasusGetScannerRequest *g)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_GET_SCANNER, rt->app_id, pidx, hash);
	req.u.get_scanner = *g;
	return call_port(rt->ports[pidx], &req);
}

Reply *
scan_at(Route *rt, gint32 pidx, guint64 hash, gint64 id)
{
	PegasusRequest req;

	req_init(&req, PEGASUS_RPC_SCAN, rt->app_id, pidx, hash);
	req.u.scan.context_id = id;
	return call_port(rt->ports[pidx], &req);
}

/* Full-table scan: every record of the table; counts rows per call */
GHashTable *
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

void
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

void
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
