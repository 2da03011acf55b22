/*-------------------------------------------------------------------------
 *
 * test_codec.c
 *	  Unit tests of the wire codec: crc64 and key helpers, the worked
 *	  byte-exact example of the protocol reference, round trips of every
 *	  request and response struct, v1 headers, frame detection, and
 *	  robustness against truncated, corrupted and oversized input.
 *
 * This file holds the helpers, the key, value and name tests, the worked
 * example and main(); the other tests are in test/unit/codec/.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "codec_internal.h"
#include "codec/codec_test.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

GByteArray *
bytes_from_hex(const char *hex)
{
	GByteArray *b = g_byte_array_new();

	while (*hex)
	{
		int			hi;
		int			lo;
		guint8		v;

		if (g_ascii_isspace(*hex))
		{
			hex++;
			continue;
		}
		hi = g_ascii_xdigit_value(hex[0]);
		lo = g_ascii_xdigit_value(hex[1]);
		g_assert_true(hi >= 0 && lo >= 0);
		v = (guint8) (hi << 4 | lo);
		g_byte_array_append(b, &v, 1);
		hex += 2;
	}
	return b;
}

static void
assert_bytes(const GByteArray *got, const GByteArray *want)
{
	g_assert_cmpuint(got->len, ==, want->len);
	g_assert_cmpmem(got->data, got->len, want->data, want->len);
}

void
put_be32(guint8 *p, guint32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ------------------------------------------------------------------------
 * crc64, keys, hashes, small values
 * ------------------------------------------------------------------------ */

static void
test_crc64(void)
{
	g_assert_cmphex(pegasus_codec_crc64("", 0), ==, 0);
	g_assert_cmphex(pegasus_codec_crc64("123456789", 9), ==, G_GUINT64_CONSTANT(0xAE8B14860A799888));
	g_assert_cmphex(pegasus_codec_crc64("a", 1), ==, G_GUINT64_CONSTANT(0x8C2F8445B4CBFC3C));
	g_assert_cmphex(pegasus_codec_crc64("hk", 2), ==, G_GUINT64_CONSTANT(0x5D9AD5B51C9A4AB3));
	g_assert_cmphex(pegasus_codec_crc64("hashkey", 7), ==, G_GUINT64_CONSTANT(0x1299D9B06672773A));
	g_assert_cmphex(pegasus_codec_crc64("user_1", 6), ==, G_GUINT64_CONSTANT(0x9CE68171E0151387));
	/* the single-byte value 0x01 from an all-ones register exercises table[..] */
	g_assert_cmphex(pegasus_codec_crc64("hk_basic", 8), ==, G_GUINT64_CONSTANT(0x004b26e48c45f8e7));
}

static void
test_key_encoding(void)
{
	GByteArray *b = g_byte_array_new();
	PegasusBlob hk;
	PegasusBlob sk;
	guint8	   *big = g_malloc0(65536);
	static const guint8 k_hksk[] = {0x00, 0x02, 'h', 'k', 's', 'k'};

	g_assert_true(pegasus_codec_key_encode("hk", 2, "sk", 2, b));
	g_assert_cmpmem(b->data, b->len, k_hksk, sizeof(k_hksk));
	g_assert_true(pegasus_codec_key_restore(b->data, b->len, &hk, &sk));
	g_assert_true(pegasus_codec_blob_equal_str(hk, "hk"));
	g_assert_true(pegasus_codec_blob_equal_str(sk, "sk"));

	/* hash key length limit: 65534 accepted, 65535 refused, out unchanged */
	g_byte_array_set_size(b, 0);
	g_assert_true(pegasus_codec_key_encode(big, 65534, "", 0, b));
	g_assert_cmpuint(b->len, ==, 65536);
	g_assert_cmpuint(b->data[0], ==, 0xFF);
	g_assert_cmpuint(b->data[1], ==, 0xFE);
	g_byte_array_set_size(b, 0);
	g_assert_false(pegasus_codec_key_encode(big, 65535, "", 0, b));
	g_assert_cmpuint(b->len, ==, 0);

	/* malformed keys */
	g_assert_false(pegasus_codec_key_restore((const guint8 *) "\x00", 1, &hk, &sk));
	g_assert_false(pegasus_codec_key_restore((const guint8 *) "\x00\x05" "ab", 4, &hk, &sk));
	g_assert_true(pegasus_codec_key_restore((const guint8 *) "\x00\x00", 2, &hk, &sk));
	g_assert_cmpuint(hk.len, ==, 0);
	g_assert_cmpuint(sk.len, ==, 0);

	g_byte_array_unref(b);
	g_free(big);
}

static void
check_next(gboolean prefix_form, const char *hk, gsize hkl, const char *p, gsize pl,
		   const char *want, gsize wantl)
{
	GByteArray *b = g_byte_array_new();

	if (prefix_form)
		g_assert_true(pegasus_codec_key_next_of_prefix(hk, hkl, p, pl, b));
	else
		g_assert_true(pegasus_codec_key_next_of_hash_key(hk, hkl, b));
	g_assert_cmpmem(b->data, b->len, want, wantl);
	g_byte_array_unref(b);
}

static void
test_next_keys(void)
{
	check_next(FALSE, "", 0, NULL, 0, "\x00\x01", 2);
	check_next(FALSE, "a", 1, NULL, 0, "\x00\x01" "b", 3);
	check_next(FALSE, "a\xff", 2, NULL, 0, "\x00\x02" "b", 3);
	check_next(FALSE, "\xff", 1, NULL, 0, "\x00\x02", 2);
	check_next(TRUE, "hk", 2, "ab", 2, "\x00\x02" "hkac", 6);
	check_next(TRUE, "hk", 2, "a\xff\xff", 3, "\x00\x02" "hkb", 5);
	check_next(TRUE, "hk", 2, "", 0, "\x00\x02" "hl", 4);
}

static void
test_partition_hash_rules(void)
{
	GByteArray *b = g_byte_array_new();

	/* key-addressed: crc64 of the hash key */
	pegasus_codec_key_encode("hk", 2, "sk", 2, b);
	g_assert_cmphex(pegasus_codec_key_partition_hash(b->data, b->len), ==,
					pegasus_codec_crc64("hk", 2));
	/* empty hash key: crc64 of the sort key */
	g_byte_array_set_size(b, 0);
	pegasus_codec_key_encode("", 0, "sk", 2, b);
	g_assert_cmphex(pegasus_codec_key_partition_hash(b->data, b->len), ==,
					pegasus_codec_crc64("sk", 2));
	g_assert_cmphex(pegasus_codec_hash_key_partition_hash("hk", 2), ==,
					G_GUINT64_CONSTANT(0x5D9AD5B51C9A4AB3));
	/* index is unsigned modulo */
	g_assert_cmpint(pegasus_codec_partition_index(G_GUINT64_CONSTANT(0x5D9AD5B51C9A4AB3), 8), ==, 3);
	g_assert_cmpint(pegasus_codec_partition_index(G_GUINT64_CONSTANT(0xFFFFFFFFFFFFFFFF), 8), ==, 7);
	g_assert_cmpint(pegasus_codec_partition_index(G_GUINT64_CONSTANT(0xFFFFFFFFFFFFFFFF), 3), ==, 0);
	g_assert_cmpint(pegasus_codec_partition_index(5, 0), ==, 0);
	/* thread hash, with i32 wrap-around */
	g_assert_cmpint(pegasus_codec_thread_hash(2, 3), ==, 15841);
	g_assert_cmpint(pegasus_codec_thread_hash(2, 7), ==, 2 * 7919 + 7);
	g_assert_cmpint(pegasus_codec_thread_hash(G_MAXINT32, 0), ==, (gint32) (guint32) ((guint32) G_MAXINT32 * 7919u));
	g_byte_array_unref(b);
}

static void
test_values(void)
{
	PegasusGpid g = {2, 7};
	PegasusGpid g2;
	PegasusRpcAddress a;
	PegasusRpcAddress a2;
	char		buf[32];
	guint32		now;

	g_assert_cmpint(pegasus_codec_gpid_pack(g), ==, G_GINT64_CONSTANT(30064771074));
	g2 = pegasus_codec_gpid_unpack(G_GINT64_CONSTANT(30064771074));
	g_assert_cmpint(g2.app_id, ==, 2);
	g_assert_cmpint(g2.partition_index, ==, 7);
	g.app_id = -1;
	g.partition_index = -1;
	g2 = pegasus_codec_gpid_unpack(pegasus_codec_gpid_pack(g));
	g_assert_cmpint(g2.app_id, ==, -1);
	g_assert_cmpint(g2.partition_index, ==, -1);

	/* 127.0.0.1:34801 as the capture's meta answer carries it */
	g_assert_true(pegasus_codec_rpc_address_parse("127.0.0.1:34801", &a));
	g_assert_cmpint(pegasus_codec_rpc_address_pack(a), ==, G_GINT64_CONSTANT(9151314449392533505));
	a2 = pegasus_codec_rpc_address_unpack(G_GINT64_CONSTANT(9151314449392533505));
	g_assert_cmphex(a2.ipv4, ==, 0x7F000001);
	g_assert_cmpuint(a2.port, ==, 34801);
	g_assert_cmpuint(a2.type, ==, 1);
	g_assert_cmpstr(pegasus_codec_rpc_address_format(a2, buf, sizeof(buf)), ==, "127.0.0.1:34801");
	g_assert_false(pegasus_codec_rpc_address_parse("127.0.0.256:1", &a));
	g_assert_false(pegasus_codec_rpc_address_parse("localhost:1", &a));
	g_assert_false(pegasus_codec_rpc_address_parse("1.2.3.4:70000", &a));
	g_assert_false(pegasus_codec_rpc_address_parse("1.2.3.4:1x", &a));

	/* Pegasus time */
	g_assert_cmpuint(pegasus_codec_unix_to_pegasus(1451606400), ==, 0);
	g_assert_cmpint(pegasus_codec_pegasus_to_unix(10), ==, 1451606410);
	g_assert_cmpint(pegasus_codec_expire_ts_from_ttl(0), ==, 0);
	now = pegasus_codec_pegasus_now();
	g_assert_cmpuint(now, >, 300000000);	/* after 2025 */
	g_assert_cmpint(pegasus_codec_expire_ts_from_ttl(100), >=, (gint32) now + 100);
	g_assert_cmpint(pegasus_codec_expire_ts_from_ttl(100), <=, (gint32) now + 102);
}

static void
test_names(void)
{
	int			i;
	gboolean	is_ack;

	for (i = 0; i < PEGASUS_EC__COUNT; i++)
	{
		const char *n = pegasus_codec_error_name(i);

		g_assert_nonnull(n);
		g_assert_cmpint(pegasus_codec_error_from_name(n, strlen(n)), ==, i);
	}
	g_assert_cmpint(pegasus_codec_error_from_name("ERR_NO_SUCH_THING", 17), ==, PEGASUS_EC_UNKNOWN);
	g_assert_cmpint(pegasus_codec_error_from_name("ERR_OK_", 7), ==, PEGASUS_EC_UNKNOWN);
	g_assert_cmpint(pegasus_codec_error_from_name("ERR_O", 5), ==, PEGASUS_EC_UNKNOWN);
	g_assert_cmpint(pegasus_codec_error_from_name(NULL, 0), ==, PEGASUS_EC_UNKNOWN);
	g_assert_cmpstr(pegasus_codec_error_name(PEGASUS_EC_DISK_IO_ERROR), ==, "ERR_DISK_IO_ERROR");
	g_assert_cmpstr(pegasus_codec_error_name(-5), ==, "ERR_UNKNOWN");

	for (i = PEGASUS_RPC_UNKNOWN + 1; i < PEGASUS_RPC__COUNT; i++)
	{
		const char *n = pegasus_codec_rpc_name(i);
		const char *a = pegasus_codec_rpc_ack_name(i);

		g_assert_nonnull(n);
		g_assert_true(g_str_has_suffix(a, "_ACK"));
		g_assert_cmpuint(strlen(a), ==, strlen(n) + 4);
		g_assert_cmpint(pegasus_codec_rpc_from_name(n, strlen(n), NULL), ==, i);
		g_assert_cmpint(pegasus_codec_rpc_from_name(n, strlen(n), &is_ack), ==, i);
		g_assert_false(is_ack);
		g_assert_cmpint(pegasus_codec_rpc_from_name(a, strlen(a), &is_ack), ==, i);
		g_assert_true(is_ack);
		g_assert_cmpint(pegasus_codec_rpc_from_name(a, strlen(a), NULL), ==, PEGASUS_RPC_UNKNOWN);
	}
	g_assert_cmpstr(pegasus_codec_rpc_name(PEGASUS_RPC_QUERY_CFG), ==,
					"RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX");
	g_assert_null(pegasus_codec_rpc_name(PEGASUS_RPC_UNKNOWN));
	g_assert_true(pegasus_codec_rpc_is_write(PEGASUS_RPC_CHECK_AND_MUTATE));
	g_assert_false(pegasus_codec_rpc_is_write(PEGASUS_RPC_GET));
	g_assert_true(pegasus_codec_rpc_is_meta(PEGASUS_RPC_DROP_APP));
	g_assert_false(pegasus_codec_rpc_is_meta(PEGASUS_RPC_NEGOTIATION));
	g_assert_cmpstr(pegasus_codec_rocksdb_status_name(7), ==, "Incomplete");
	g_assert_cmpstr(pegasus_codec_rocksdb_status_name(99), ==, "Unknown");
	g_assert_cmpstr(pegasus_codec_status_name(PEGASUS_CODEC_TOO_LARGE), ==, "too large");
}

/* ------------------------------------------------------------------------
 * The byte-exact worked example (protocol reference 1.9)
 * ------------------------------------------------------------------------ */

static const char *worked_request_hex =
"54 48 46 54 00 00 00 00 00 00 00 30 00 00 00 00"
"00 00 00 2b 00 00 00 00 00 00 00 02 00 00 00 03"
"00 00 03 e8 00 00 3d e1 5d 9a d5 b5 1c 9a 4a b3"
"80 01 00 01 00 00 00 11 52 50 43 5f 52 52 44 42"
"5f 52 52 44 42 5f 47 45 54 00 00 00 07 0c 00 01"
"00 00 00 06 00 02 68 6b 73 6b 00";

static const char *worked_response_hex =
"00 00 00 66 00 00 00 06 45 52 52 5f 4f 4b 80 01"
"00 02 00 00 00 15 52 50 43 5f 52 52 44 42 5f 52"
"52 44 42 5f 47 45 54 5f 41 43 4b 00 00 00 07 0c"
"00 00 08 00 01 00 00 00 00 0c 00 02 00 00 00 01"
"76 08 00 03 00 00 00 02 08 00 04 00 00 00 03 0b"
"00 06 00 00 00 0e 31 30 2e 30 2e 30 2e 31 3a 33"
"34 38 30 31 00 00";

static void
test_worked_example(void)
{
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GByteArray *key = g_byte_array_new();
	GByteArray *out = g_byte_array_new();
	GByteArray *want_req = bytes_from_hex(worked_request_hex);
	GByteArray *want_resp = bytes_from_hex(worked_response_hex);
	PegasusRequest req;
	PegasusResponse resp;
	PegasusRequest dreq;
	PegasusResponse dresp;
	PegasusCodecError err;
	guint64		phash;

	/* request: get("hk", "sk") on gpid (2, 3), seqid 7, 1000 ms */
	memset(&req, 0, sizeof(req));
	pegasus_codec_key_encode("hk", 2, "sk", 2, key);
	phash = pegasus_codec_key_partition_hash(key->data, key->len);
	pegasus_codec_header_init(&req.header, 2, pegasus_codec_partition_index(phash, 8), 1000, phash);
	req.rpc = PEGASUS_RPC_GET;
	req.seqid = 7;
	req.u.key = pegasus_codec_blob(key->data, key->len);
	g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, &err), ==, PEGASUS_CODEC_OK);
	assert_bytes(out, want_req);

	/* and it decodes back */
	g_assert_cmpint(pegasus_codec_decode_request(out->data, out->len, 0, &dreq, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpint(dreq.rpc, ==, PEGASUS_RPC_GET);
	g_assert_cmpint(dreq.seqid, ==, 7);
	g_assert_cmpint(dreq.msg_type, ==, PEGASUS_CODEC_MSG_CALL);
	g_assert_cmpint(dreq.header.thread_hash, ==, 15841);
	g_assert_cmphex(dreq.header.partition_hash, ==, G_GUINT64_CONSTANT(0x5d9ad5b51c9a4ab3));
	g_assert_true(pegasus_codec_blob_equal(dreq.u.key, req.u.key));
	/* zero-copy: the decoded key points into the frame */
	g_assert_true(dreq.u.key.data >= out->data && dreq.u.key.data < out->data + out->len);
	pegasus_codec_request_clear(&dreq);

	/* response */
	g_byte_array_set_size(out, 0);
	memset(&resp, 0, sizeof(resp));
	resp.rpc = PEGASUS_RPC_GET;
	resp.seqid = 7;
	resp.frame_error = PEGASUS_EC_OK;
	resp.u.get.error = 0;
	resp.u.get.value = pegasus_codec_blob_str("v");
	resp.u.get.app_id = 2;
	resp.u.get.partition_index = 3;
	resp.u.get.server = pegasus_codec_blob_str("10.0.0.1:34801");
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==, PEGASUS_CODEC_OK);
	assert_bytes(out, want_resp);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &dresp, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_true(dresp.has_body);
	g_assert_cmpint(dresp.rpc, ==, PEGASUS_RPC_GET);
	g_assert_true(pegasus_codec_blob_equal_str(dresp.u.get.value, "v"));
	g_assert_true(pegasus_codec_blob_equal_str(dresp.u.get.server, "10.0.0.1:34801"));
	g_assert_cmpint(dresp.u.get.partition_index, ==, 3);
	pegasus_codec_response_clear(&dresp);

	/* rejected with a frame error: 61 bytes, no body */
	g_byte_array_set_size(out, 0);
	resp.frame_error = PEGASUS_EC_OBJECT_NOT_FOUND;
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpuint(out->len, ==, 61);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &dresp, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_false(dresp.has_body);
	g_assert_cmpint(dresp.frame_error, ==, PEGASUS_EC_OBJECT_NOT_FOUND);
	g_assert_cmpint(dresp.seqid, ==, 7);
	pegasus_codec_response_clear(&dresp);

	g_byte_array_unref(key);
	g_byte_array_unref(out);
	g_byte_array_unref(want_req);
	g_byte_array_unref(want_resp);
	pegasus_codec_encoder_free(enc);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec/crc64", test_crc64);
	g_test_add_func("/codec/key-encoding", test_key_encoding);
	g_test_add_func("/codec/next-keys", test_next_keys);
	g_test_add_func("/codec/partition-hash", test_partition_hash_rules);
	g_test_add_func("/codec/values", test_values);
	g_test_add_func("/codec/names", test_names);
	g_test_add_func("/codec/worked-example", test_worked_example);
	g_test_add_func("/codec/round-trips", test_round_trips);
	g_test_add_func("/codec/writer-back-ends", test_writer_back_ends);
	g_test_add_func("/codec/v1-header", test_v1_header);
	g_test_add_func("/codec/frame-check", test_frame_check);
	g_test_add_func("/codec/violations", test_violations);
	g_test_add_func("/codec/unknown-rpc-reply", test_unknown_rpc_reply);
	g_test_add_func("/codec/scan-response-views", test_scan_response_views);
	g_test_add_func("/codec/prefixes/requests", test_prefixes_requests);
	g_test_add_func("/codec/prefixes/responses", test_prefixes_responses);
	g_test_add_func("/codec/corruption/requests", test_corruption_requests);
	g_test_add_func("/codec/corruption/responses", test_corruption_responses);
	return g_test_run();
}
