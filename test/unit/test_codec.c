/*-------------------------------------------------------------------------
 *
 * test_codec.c
 *	  Unit tests of the wire codec: crc64 and key helpers, the worked
 *	  byte-exact example of the protocol reference, round trips of every
 *	  request and response struct, v1 headers, frame detection, and
 *	  robustness against truncated, corrupted and oversized input.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "codec_internal.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static GByteArray *
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

static void
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

/* ------------------------------------------------------------------------
 * Generic round trips: fill every field of every struct, encode, decode,
 * compare.  Driven by the codec's own field tables, so every struct and
 * every field is covered.
 * ------------------------------------------------------------------------ */

typedef struct Filler
{
	GRand	   *rand;
	GPtrArray  *allocs;
	gboolean	all_optionals;
} Filler;

static const char *const sample_bytes[] = {
	"", "a", "hash_key", "\x00\xff\x00", "127.0.0.1:34801", "value with spaces",
	"\xe4\xb8\xad\xe6\x96\x87"
};

static PegasusBlob
sample_blob(Filler *fl)
{
	guint		i = g_rand_int_range(fl->rand, 0, G_N_ELEMENTS(sample_bytes));
	gsize		len = (i == 3) ? 3 : strlen(sample_bytes[i]);

	return pegasus_codec_blob(sample_bytes[i], len);
}

static void fill_struct(Filler *fl, const PegasusCodecStructDesc *d, void *dst, int depth);

static gsize
elem_size(const PegasusCodecFieldDesc *f)
{
	switch (f->elem_kind)
	{
		case PEGASUS_CODEC_K_I32:
			return sizeof(gint32);
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return sizeof(PegasusBlob);
		case PEGASUS_CODEC_K_ADDR:
			return sizeof(PegasusRpcAddress);
		case PEGASUS_CODEC_K_HOSTPORT:
			return sizeof(PegasusHostPort);
		default:
			return f->sub->size;
	}
}

static void
fill_value(Filler *fl, const PegasusCodecFieldDesc *f, guint8 kind, void *v, int depth)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			*(gboolean *) v = g_rand_boolean(fl->rand);
			break;
		case PEGASUS_CODEC_K_I32:
			*(gint32 *) v = (gint32) g_rand_int(fl->rand);
			break;
		case PEGASUS_CODEC_K_I64:
			*(gint64 *) v = ((gint64) g_rand_int(fl->rand) << 32) | g_rand_int(fl->rand);
			break;
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			*(PegasusBlob *) v = sample_blob(fl);
			break;
		case PEGASUS_CODEC_K_GPID:
			((PegasusGpid *) v)->app_id = (gint32) g_rand_int(fl->rand);
			((PegasusGpid *) v)->partition_index = (gint32) g_rand_int(fl->rand);
			break;
		case PEGASUS_CODEC_K_ADDR:
			((PegasusRpcAddress *) v)->ipv4 = g_rand_int(fl->rand);
			((PegasusRpcAddress *) v)->port = (guint16) g_rand_int(fl->rand);
			((PegasusRpcAddress *) v)->type = (guint8) g_rand_int_range(fl->rand, 0, 4);
			break;
		case PEGASUS_CODEC_K_HOSTPORT:
			((PegasusHostPort *) v)->host = sample_blob(fl);
			((PegasusHostPort *) v)->port = (guint16) g_rand_int(fl->rand);
			((PegasusHostPort *) v)->type = (gint8) g_rand_int_range(fl->rand, -2, 3);
			break;
		case PEGASUS_CODEC_K_ERRCODE:
			*(PegasusErrorCode *) ((guint8 *) v + f->offset) =
				g_rand_int_range(fl->rand, 0, PEGASUS_EC__COUNT);
			break;
		case PEGASUS_CODEC_K_STRUCT:
			fill_struct(fl, f->sub, v, depth + 1);
			break;
		case PEGASUS_CODEC_K_LIST:
			{
				guint32		n = depth > 3 ? 0 : g_rand_int_range(fl->rand, 0, 4);
				gsize		es = elem_size(f);
				guint8	   *items = n ? g_malloc0(n * es) : NULL;
				guint32		i;

				if (items)
					g_ptr_array_add(fl->allocs, items);
				for (i = 0; i < n; i++)
					fill_value(fl, f, f->elem_kind, items + i * es, depth + 1);
				*(void **) ((guint8 *) v + f->offset) = items;
				*(guint32 *) ((guint8 *) v + f->aux_offset) = n;
				break;
			}
		case PEGASUS_CODEC_K_MAP_SS:
			{
				guint32		n = g_rand_int_range(fl->rand, 0, 4);
				PegasusStringPair *items = n ? g_new0(PegasusStringPair, n) : NULL;
				guint32		i;

				if (items)
					g_ptr_array_add(fl->allocs, items);
				for (i = 0; i < n; i++)
				{
					items[i].key = sample_blob(fl);
					items[i].value = sample_blob(fl);
				}
				*(void **) ((guint8 *) v + f->offset) = items;
				*(guint32 *) ((guint8 *) v + f->aux_offset) = n;
				break;
			}
	}
}

static void
fill_struct(Filler *fl, const PegasusCodecStructDesc *d, void *dst, int depth)
{
	guint		i;

	memset(dst, 0, d->size);
	for (i = 0; i < d->n_fields; i++)
	{
		const PegasusCodecFieldDesc *f = &d->fields[i];
		void	   *v;

		if (f->kind == PEGASUS_CODEC_K_LIST || f->kind == PEGASUS_CODEC_K_MAP_SS ||
			f->kind == PEGASUS_CODEC_K_ERRCODE)
			v = dst;
		else
			v = (guint8 *) dst + f->offset;
		if (f->optional &&
			!(fl->all_optionals || g_rand_boolean(fl->rand)))
			continue;
		if (f->optional)
			*(gboolean *) ((guint8 *) dst + f->has_offset) = TRUE;
		fill_value(fl, f, f->kind, v, depth);
	}
}

static void assert_struct_equal(const PegasusCodecStructDesc *d, const void *a, const void *b);

static void
assert_value_equal(const PegasusCodecFieldDesc *f, guint8 kind, const void *a, const void *b)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			g_assert_cmpint(*(const gboolean *) a != 0, ==, *(const gboolean *) b != 0);
			break;
		case PEGASUS_CODEC_K_I32:
			g_assert_cmpint(*(const gint32 *) a, ==, *(const gint32 *) b);
			break;
		case PEGASUS_CODEC_K_I64:
			g_assert_cmpint(*(const gint64 *) a, ==, *(const gint64 *) b);
			break;
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			g_assert_true(pegasus_codec_blob_equal(*(const PegasusBlob *) a, *(const PegasusBlob *) b));
			break;
		case PEGASUS_CODEC_K_GPID:
			g_assert_cmpint(pegasus_codec_gpid_pack(*(const PegasusGpid *) a), ==,
							pegasus_codec_gpid_pack(*(const PegasusGpid *) b));
			break;
		case PEGASUS_CODEC_K_ADDR:
			g_assert_cmpint(pegasus_codec_rpc_address_pack(*(const PegasusRpcAddress *) a), ==,
							pegasus_codec_rpc_address_pack(*(const PegasusRpcAddress *) b));
			break;
		case PEGASUS_CODEC_K_HOSTPORT:
			g_assert_true(pegasus_codec_blob_equal(((const PegasusHostPort *) a)->host,
												   ((const PegasusHostPort *) b)->host));
			g_assert_cmpuint(((const PegasusHostPort *) a)->port, ==, ((const PegasusHostPort *) b)->port);
			g_assert_cmpint(((const PegasusHostPort *) a)->type, ==, ((const PegasusHostPort *) b)->type);
			break;
		case PEGASUS_CODEC_K_ERRCODE:
			{
				PegasusErrorCode ca = *(const PegasusErrorCode *) ((const guint8 *) a + f->offset);
				PegasusErrorCode cb = *(const PegasusErrorCode *) ((const guint8 *) b + f->offset);
				const PegasusBlob *nb = (const PegasusBlob *) ((const guint8 *) b + f->aux_offset);

				g_assert_cmpint(ca, ==, cb);
				/* the decoded side carries the name it received */
				g_assert_true(pegasus_codec_blob_equal_str(*nb, pegasus_codec_error_name(ca)));
				break;
			}
		case PEGASUS_CODEC_K_STRUCT:
			assert_struct_equal(f->sub, a, b);
			break;
		case PEGASUS_CODEC_K_LIST:
			{
				const guint8 *ia = *(const guint8 *const *) ((const guint8 *) a + f->offset);
				const guint8 *ib = *(const guint8 *const *) ((const guint8 *) b + f->offset);
				guint32		na = *(const guint32 *) ((const guint8 *) a + f->aux_offset);
				guint32		nb = *(const guint32 *) ((const guint8 *) b + f->aux_offset);
				gsize		es = elem_size(f);
				guint32		i;

				g_assert_cmpuint(na, ==, nb);
				for (i = 0; i < na; i++)
					assert_value_equal(f, f->elem_kind, ia + i * es, ib + i * es);
				break;
			}
		case PEGASUS_CODEC_K_MAP_SS:
			{
				const PegasusStringPair *ia = *(const PegasusStringPair *const *) ((const guint8 *) a + f->offset);
				const PegasusStringPair *ib = *(const PegasusStringPair *const *) ((const guint8 *) b + f->offset);
				guint32		na = *(const guint32 *) ((const guint8 *) a + f->aux_offset);
				guint32		nb = *(const guint32 *) ((const guint8 *) b + f->aux_offset);
				guint32		i;

				g_assert_cmpuint(na, ==, nb);
				for (i = 0; i < na; i++)
				{
					g_assert_true(pegasus_codec_blob_equal(ia[i].key, ib[i].key));
					g_assert_true(pegasus_codec_blob_equal(ia[i].value, ib[i].value));
				}
				break;
			}
	}
}

/* a = what was encoded, b = what was decoded */
static void
assert_struct_equal(const PegasusCodecStructDesc *d, const void *a, const void *b)
{
	guint32		present_b = *(const guint32 *) b;
	guint		i;

	for (i = 0; i < d->n_fields; i++)
	{
		const PegasusCodecFieldDesc *f = &d->fields[i];
		gboolean	was_sent;

		if (f->optional)
		{
			was_sent = *(const gboolean *) ((const guint8 *) a + f->has_offset);
			g_assert_cmpint(was_sent, ==, *(const gboolean *) ((const guint8 *) b + f->has_offset));
		}
		else
			was_sent = TRUE;
		/* the decoder's presence bit tells exactly what went on the wire */
		g_assert_cmpint(was_sent, ==, (present_b >> f->id) & 1);
		if (!was_sent)
			continue;
		if (f->kind == PEGASUS_CODEC_K_LIST || f->kind == PEGASUS_CODEC_K_MAP_SS ||
			f->kind == PEGASUS_CODEC_K_ERRCODE)
			assert_value_equal(f, f->kind, a, b);
		else
			assert_value_equal(f, f->kind, (const guint8 *) a + f->offset,
							   (const guint8 *) b + f->offset);
	}
}

/* Build a request (and its response) for rpc with every field filled */
static void
make_request(Filler *fl, PegasusRpc rpc, PegasusRequest *req)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(rpc);

	memset(req, 0, sizeof(*req));
	pegasus_codec_header_init(&req->header, (gint32) g_rand_int_range(fl->rand, 0, 1000),
							  (gint32) g_rand_int_range(fl->rand, 0, 256),
							  (gint32) g_rand_int_range(fl->rand, 0, 60000),
							  ((guint64) g_rand_int(fl->rand) << 32) | g_rand_int(fl->rand));
	req->rpc = rpc;
	req->seqid = (gint32) g_rand_int(fl->rand);
	fill_value(fl, &desc->arg, desc->arg.kind, &req->u, 0);
}

static void
make_response(Filler *fl, PegasusRpc rpc, PegasusResponse *resp)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(rpc);

	memset(resp, 0, sizeof(*resp));
	resp->rpc = rpc;
	resp->seqid = (gint32) g_rand_int(fl->rand);
	resp->frame_error = PEGASUS_EC_OK;
	fill_struct(fl, desc->response, &resp->u, 0);
}

static void
round_trip_one(Filler *fl, PegasusEncoder *enc, PegasusRpc rpc)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(rpc);
	PegasusRequest req;
	PegasusRequest dreq;
	PegasusResponse resp;
	PegasusResponse dresp;
	PegasusCodecError err;
	GByteArray *out = g_byte_array_new();
	gsize		flen;

	/* request */
	make_request(fl, rpc, &req);
	g_byte_array_append(out, (const guint8 *) "prefix", 6);	/* encode appends */
	g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpmem(out->data, 6, "prefix", 6);
	g_byte_array_remove_range(out, 0, 6);
	g_assert_cmpint(pegasus_codec_request_frame_check(out->data, out->len, 0, &flen, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(flen, ==, out->len);
	g_assert_cmpint(pegasus_codec_decode_request(out->data, out->len,
												 PEGASUS_CODEC_DECODE_STRICT_TYPES, &dreq, &err),
					==, PEGASUS_CODEC_OK);
	g_assert_cmpint(dreq.rpc, ==, rpc);
	g_assert_cmpint(dreq.seqid, ==, req.seqid);
	g_assert_cmpint(dreq.header.app_id, ==, req.header.app_id);
	g_assert_cmpint(dreq.header.partition_index, ==, req.header.partition_index);
	g_assert_cmpint(dreq.header.client_timeout, ==, req.header.client_timeout);
	g_assert_cmpint(dreq.header.thread_hash, ==, req.header.thread_hash);
	g_assert_cmphex(dreq.header.partition_hash, ==, req.header.partition_hash);
	g_assert_cmpuint(dreq.header.body_length + 48, ==, out->len);
	g_assert_cmpuint(dreq.args_present, ==, 2);
	g_assert_cmpuint(dreq.type_mismatches, ==, 0);
	g_assert_cmpuint(dreq.unknown_fields, ==, 0);
	if (desc->arg.kind == PEGASUS_CODEC_K_STRUCT)
		assert_struct_equal(desc->arg.sub, &req.u, &dreq.u);
	else
		assert_value_equal(&desc->arg, desc->arg.kind, &req.u, &dreq.u);
	pegasus_codec_request_clear(&dreq);

	/* response */
	g_byte_array_set_size(out, 0);
	if (desc->response == NULL)
	{
		/* clear_scanner: no ERR_OK reply exists; a gate error frame does */
		memset(&resp, 0, sizeof(resp));
		resp.rpc = rpc;
		resp.frame_error = PEGASUS_EC_OK;
		g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==,
						PEGASUS_CODEC_INVALID_ARG);
		g_assert_cmpuint(out->len, ==, 0);
		resp.frame_error = PEGASUS_EC_INVALID_STATE;
		g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==,
						PEGASUS_CODEC_OK);
		g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &dresp, &err), ==,
						PEGASUS_CODEC_OK);
		g_assert_cmpint(dresp.rpc, ==, rpc);
		g_assert_cmpint(dresp.frame_error, ==, PEGASUS_EC_INVALID_STATE);
		g_assert_false(dresp.has_body);
		pegasus_codec_response_clear(&dresp);
		g_byte_array_unref(out);
		return;
	}
	make_response(fl, rpc, &resp);
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpint(pegasus_codec_response_frame_check(out->data, out->len, 0, &flen, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(flen, ==, out->len);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len,
												  PEGASUS_CODEC_DECODE_STRICT_TYPES, &dresp, &err),
					==, PEGASUS_CODEC_OK);
	g_assert_true(dresp.has_body);
	g_assert_cmpint(dresp.rpc, ==, rpc);
	g_assert_cmpint(dresp.seqid, ==, resp.seqid);
	g_assert_cmpint(dresp.frame_error, ==, PEGASUS_EC_OK);
	g_assert_cmpuint(dresp.type_mismatches, ==, 0);
	assert_struct_equal(desc->response, &resp.u, &dresp.u);
	pegasus_codec_response_clear(&dresp);
	g_byte_array_unref(out);
}

static void
test_round_trips(void)
{
	Filler		fl;
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	int			rpc;
	int			iter;

	fl.rand = g_rand_new_with_seed(4242);
	fl.allocs = g_ptr_array_new_with_free_func(g_free);
	for (iter = 0; iter < 40; iter++)
	{
		/* first pass with every optional field set, then random choices */
		fl.all_optionals = (iter == 0);
		for (rpc = PEGASUS_RPC_UNKNOWN + 1; rpc < PEGASUS_RPC__COUNT; rpc++)
			round_trip_one(&fl, enc, rpc);
	}
	g_ptr_array_unref(fl.allocs);
	g_rand_free(fl.rand);
	pegasus_codec_encoder_free(enc);
}

/*
 * The direct writer and thrift c_glib's protocol API write the same bytes
 * for every request and reply (every field filled, then random choices),
 * and for error frames.
 */
static void
test_writer_back_ends(void)
{
	Filler		fl;
	PegasusEncoder *direct = pegasus_codec_encoder_new();
	PegasusEncoder *api = pegasus_codec_encoder_new();
	GByteArray *a = g_byte_array_new();
	GByteArray *b = g_byte_array_new();
	PegasusCodecError err;
	int			rpc;
	int			iter;
	int			compared = 0;

	pegasus_codec_encoder_use_thrift_api(api, TRUE);
	fl.rand = g_rand_new_with_seed(777);
	fl.allocs = g_ptr_array_new_with_free_func(g_free);
	for (iter = 0; iter < 40; iter++)
	{
		fl.all_optionals = (iter == 0);
		for (rpc = PEGASUS_RPC_UNKNOWN + 1; rpc < PEGASUS_RPC__COUNT; rpc++)
		{
			const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(rpc);
			PegasusRequest req;
			PegasusResponse resp;

			make_request(&fl, rpc, &req);
			/* frames go onto the end of what the buffer holds */
			if (rpc % 4 == 0)
			{
				g_byte_array_set_size(a, 0);
				g_byte_array_set_size(b, 0);
			}
			g_assert_cmpint(pegasus_codec_encode_request(direct, &req, 0, a, &err), ==, PEGASUS_CODEC_OK);
			g_assert_cmpint(pegasus_codec_encode_request(api, &req, 0, b, &err), ==, PEGASUS_CODEC_OK);
			g_assert_cmpmem(a->data, a->len, b->data, b->len);
			compared++;

			if (desc->response != NULL)
				make_response(&fl, rpc, &resp);
			else
			{
				memset(&resp, 0, sizeof(resp));
				resp.rpc = rpc;
			}
			if (desc->response == NULL || iter % 5 == 4)
				resp.frame_error = PEGASUS_EC_INVALID_STATE;
			g_assert_cmpint(pegasus_codec_encode_response(direct, &resp, 0, a, &err), ==, PEGASUS_CODEC_OK);
			g_assert_cmpint(pegasus_codec_encode_response(api, &resp, 0, b, &err), ==, PEGASUS_CODEC_OK);
			g_assert_cmpmem(a->data, a->len, b->data, b->len);
			compared++;
		}
	}
	g_assert_cmpint(compared, ==, 2 * 40 * (PEGASUS_RPC__COUNT - 1 - PEGASUS_RPC_UNKNOWN));

	/* a request that fails half way leaves the buffer as it was */
	{
		PegasusRequest req;
		GByteArray *before = g_byte_array_new();
		PegasusEncoder *encs[2] = {direct, api};
		GByteArray *outs[2] = {a, b};
		int			e;

		for (e = 0; e < 2; e++)
		{
			g_byte_array_set_size(before, 0);
			g_byte_array_append(before, outs[e]->data, outs[e]->len);
			memset(&req, 0, sizeof(req));
			req.rpc = PEGASUS_RPC_MULTI_PUT;
			req.u.multi_put.hash_key = pegasus_codec_blob((const guint8 *) "h", 1);
			req.u.multi_put.n_kvs = 3;	/* and no array */
			g_assert_cmpint(pegasus_codec_encode_request(encs[e], &req, 0, outs[e], &err), ==,
							PEGASUS_CODEC_INVALID_ARG);
			g_assert_cmpmem(outs[e]->data, outs[e]->len, before->data, before->len);
		}
		g_assert_cmpuint(a->len, >, 0);
		g_byte_array_unref(before);
	}
	g_byte_array_unref(a);
	g_byte_array_unref(b);
	g_ptr_array_unref(fl.allocs);
	g_rand_free(fl.rand);
	pegasus_codec_encoder_free(direct);
	pegasus_codec_encoder_free(api);
}

/* ------------------------------------------------------------------------
 * Headers and frames
 * ------------------------------------------------------------------------ */

static GByteArray *
encode_get(PegasusEncoder *enc, const char *hk, const char *sk, gint32 seqid)
{
	GByteArray *key = g_byte_array_new();
	GByteArray *out = g_byte_array_new();
	PegasusRequest req;
	guint64		h;

	memset(&req, 0, sizeof(req));
	pegasus_codec_key_encode(hk, strlen(hk), sk, strlen(sk), key);
	h = pegasus_codec_key_partition_hash(key->data, key->len);
	pegasus_codec_header_init(&req.header, 2, pegasus_codec_partition_index(h, 8), 2000, h);
	req.rpc = PEGASUS_RPC_GET;
	req.seqid = seqid;
	req.u.key = pegasus_codec_blob(key->data, key->len);
	g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, NULL), ==, PEGASUS_CODEC_OK);
	g_byte_array_unref(key);
	return out;
}

static void
test_v1_header(void)
{
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GByteArray *v0 = encode_get(enc, "hk", "sk", 9);
	GByteArray *v1 = g_byte_array_new();
	/* meta: app_id 5, partition_index 6, client_timeout 700, hash, backup */
	GByteArray *meta = bytes_from_hex("08 0001 00000005  08 0002 00000006  08 0003 000002bc"
									  "0a 0004 0102030405060708  02 0005 01  00");
	guint8		fixed[16];
	PegasusRequest req;
	PegasusCodecError err;
	gsize		flen;

	memcpy(fixed, "THFT", 4);
	put_be32(fixed + 4, 1);
	put_be32(fixed + 8, meta->len);
	put_be32(fixed + 12, v0->len - 48);
	g_byte_array_append(v1, fixed, 16);
	g_byte_array_append(v1, meta->data, meta->len);
	g_byte_array_append(v1, v0->data + 48, v0->len - 48);

	g_assert_cmpint(pegasus_codec_request_frame_check(v1->data, v1->len, 0, &flen, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(flen, ==, v1->len);
	g_assert_cmpint(pegasus_codec_decode_request(v1->data, v1->len, 0, &req, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(req.header.version, ==, 1);
	g_assert_cmpint(req.header.app_id, ==, 5);
	g_assert_cmpint(req.header.partition_index, ==, 6);
	g_assert_cmpint(req.header.client_timeout, ==, 700);
	g_assert_cmphex(req.header.partition_hash, ==, G_GUINT64_CONSTANT(0x0102030405060708));
	g_assert_true(req.header.is_backup_request);
	g_assert_cmpint(req.header.thread_hash, ==, 5 * 7919 + 6);
	g_assert_cmphex(req.header.v1_present, ==, 0x3e);
	g_assert_cmpint(req.rpc, ==, PEGASUS_RPC_GET);
	g_assert_cmpint(req.seqid, ==, 9);
	pegasus_codec_request_clear(&req);

	/* every prefix is incomplete, and never malformed */
	for (flen = 0; flen < v1->len; flen++)
	{
		gsize		fl2;

		g_assert_cmpint(pegasus_codec_request_frame_check(v1->data, flen, 0, &fl2, NULL), ==,
						PEGASUS_CODEC_INCOMPLETE);
	}

	/* a corrupt meta struct is malformed */
	v1->data[16] = 0x0c;		/* unknown-layout type 12 */
	g_assert_cmpint(pegasus_codec_decode_request(v1->data, v1->len, 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);

	g_byte_array_unref(meta);
	g_byte_array_unref(v0);
	g_byte_array_unref(v1);
	pegasus_codec_encoder_free(enc);
}

static void
test_frame_check(void)
{
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GByteArray *f = encode_get(enc, "hk", "sk", 1);
	GByteArray *two = g_byte_array_new();
	PegasusCodecError err;
	gsize		flen;
	gsize		i;
	guint8		bad[64];

	/* prefixes of a request are incomplete */
	for (i = 0; i < f->len; i++)
		g_assert_cmpint(pegasus_codec_request_frame_check(f->data, i, 0, &flen, &err), ==,
						PEGASUS_CODEC_INCOMPLETE);
	/* two pipelined frames: the first one's length is reported */
	g_byte_array_append(two, f->data, f->len);
	g_byte_array_append(two, f->data, f->len);
	g_assert_cmpint(pegasus_codec_request_frame_check(two->data, two->len, 0, &flen, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(flen, ==, f->len);
	/* size limit */
	g_assert_cmpint(pegasus_codec_request_frame_check(f->data, f->len, f->len - 1, &flen, &err), ==,
					PEGASUS_CODEC_TOO_LARGE);
	g_assert_cmpint(pegasus_codec_request_frame_check(f->data, 20, 50, &flen, &err), ==,
					PEGASUS_CODEC_TOO_LARGE);
	g_assert_cmpint(pegasus_codec_request_frame_check(f->data, f->len, f->len, &flen, &err), ==,
					PEGASUS_CODEC_OK);
	/* bad magic is detected from the first byte */
	memcpy(bad, f->data, 64);
	bad[0] = 'X';
	g_assert_cmpint(pegasus_codec_request_frame_check(bad, 1, 0, &flen, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	g_assert_cmpint(pegasus_codec_request_frame_check((const guint8 *) "GET ", 4, 0, &flen, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	/* bad version / header length */
	memcpy(bad, f->data, 64);
	put_be32(bad + 4, 2);
	g_assert_cmpint(pegasus_codec_request_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	memcpy(bad, f->data, 64);
	put_be32(bad + 8, 47);
	g_assert_cmpint(pegasus_codec_request_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	g_assert_cmpstr(err.msg, ==, "v0 header length 47, expected 48");
	/* a 4 GiB body claim is too large without any allocation */
	memcpy(bad, f->data, 64);
	put_be32(bad + 16, 0xFFFFFFFF);
	g_assert_cmpint(pegasus_codec_request_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_TOO_LARGE);

	/* responses */
	memset(bad, 0, sizeof(bad));
	for (i = 0; i < 4; i++)
		g_assert_cmpint(pegasus_codec_response_frame_check(bad, i, 0, &flen, &err), ==,
						PEGASUS_CODEC_INCOMPLETE);
	put_be32(bad, 3);
	g_assert_cmpint(pegasus_codec_response_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	put_be32(bad, 0x7FFFFFFF + 1u);
	g_assert_cmpint(pegasus_codec_response_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_TOO_LARGE);
	put_be32(bad, 1000);
	g_assert_cmpint(pegasus_codec_response_frame_check(bad, 64, 999, &flen, &err), ==,
					PEGASUS_CODEC_TOO_LARGE);
	g_assert_cmpint(pegasus_codec_response_frame_check(bad, 64, 0, &flen, &err), ==,
					PEGASUS_CODEC_INCOMPLETE);
	g_assert_cmpuint(flen, ==, 1000);

	g_byte_array_unref(f);
	g_byte_array_unref(two);
	pegasus_codec_encoder_free(enc);
}

/* ------------------------------------------------------------------------
 * Protocol violations the decoder must report
 * ------------------------------------------------------------------------ */

/* Build a v0 request frame around a hand-written thrift body */
static GByteArray *
frame_with_body(const char *body_hex)
{
	GByteArray *body = bytes_from_hex(body_hex);
	GByteArray *f = g_byte_array_new();
	guint8		h[48];

	memset(h, 0, sizeof(h));
	memcpy(h, "THFT", 4);
	put_be32(h + 8, 48);
	put_be32(h + 16, body->len);
	put_be32(h + 24, 2);
	g_byte_array_append(f, h, 48);
	g_byte_array_append(f, body->data, body->len);
	g_byte_array_unref(body);
	return f;
}

/* message begin of RPC_RRDB_RRDB_GET, seqid 5 */
#define GET_BEGIN "80010001 00000011 5250435f525244425f525244425f474554 00000005"
/* message begin of RPC_RRDB_RRDB_MULTI_GET, seqid 5 */
#define MGET_BEGIN "80010001 00000017 5250435f525244425f525244425f4d554c54495f474554 00000005"

/* The decoded views point into the frame: keep the last one alive */
static GByteArray *last_frame = NULL;

static PegasusCodecStatus
decode_body(const char *body_hex, guint flags, PegasusRequest *req, PegasusCodecError *err)
{
	if (last_frame)
		g_byte_array_unref(last_frame);
	last_frame = frame_with_body(body_hex);
	return pegasus_codec_decode_request(last_frame->data, last_frame->len, flags, req, err);
}

static void
test_violations(void)
{
	PegasusRequest req;
	PegasusCodecError err;

	/* well-formed get */
	g_assert_cmpint(decode_body(GET_BEGIN "0c0001 00000004 00016162 00", 0, &req, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_true(pegasus_codec_blob_equal(req.u.key, pegasus_codec_blob("\x00\x01" "ab", 4)));
	pegasus_codec_request_clear(&req);

	/* key sent as STRING (11): a real server silently drops it */
	g_assert_cmpint(decode_body(GET_BEGIN "0b0001 00000004 00016162 00", 0, &req, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(req.type_mismatches, ==, 1);
	g_assert_cmpuint(req.u.key.len, ==, 0);
	g_assert_cmpuint(req.args_present, ==, 0);
	pegasus_codec_request_clear(&req);
	g_assert_cmpint(decode_body(GET_BEGIN "0b0001 00000004 00016162 00",
								PEGASUS_CODEC_DECODE_STRICT_TYPES, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	g_assert_nonnull(strstr(err.msg, "expected 12"));
	pegasus_codec_request_clear(&req);

	/* a known i32 field sent as type 12 cannot be skipped at all */
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001 0c0003 00000001 00 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);

	/* unknown fields of every skippable type are skipped and counted */
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001"
								"0c0001 00000002 686b"	/* hash_key "hk" */
								"020063 01"		/* bool id 99 */
								"030064 7f"		/* byte */
								"040065 0000000000000000"	/* double */
								"060066 0001"	/* i16 */
								"080067 00000001"	/* i32 */
								"0a0068 0000000000000001"	/* i64 */
								"0b0069 00000003 616263"	/* string */
								"0d006a 0b08 00000001 00000001 61 00000007"	/* map<string,i32> */
								"0e006b 08 00000002 00000001 00000002"	/* set<i32> */
								"0f006c 0f 00000001 08 00000001 00000009"	/* list<list<i32>> */
								"080003 0000000a"	/* max_kv_count 10 */
								"00 00", 0, &req, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpuint(req.unknown_fields, ==, 10);
	g_assert_cmpuint(req.type_mismatches, ==, 0);
	g_assert_true(pegasus_codec_blob_equal_str(req.u.multi_get.hash_key, "hk"));
	g_assert_cmpint(req.u.multi_get.max_kv_count, ==, 10);
	g_assert_cmphex(req.u.multi_get.present, ==, (1 << 1) | (1 << 3));
	pegasus_codec_request_clear(&req);

	/* an unknown field of type 12 cannot be skipped */
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001 0c0063 00 00 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	g_assert_nonnull(strstr(err.msg, "cannot be skipped"));
	pegasus_codec_request_clear(&req);

	/* list counts that cannot fit are refused before allocating */
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001 0f0002 0c 7fffffff 00 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	g_assert_nonnull(strstr(err.msg, "cannot fit"));
	pegasus_codec_request_clear(&req);
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001 0f0002 0c ffffffff 00 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	/* negative and oversized byte-string lengths */
	g_assert_cmpint(decode_body(GET_BEGIN "0c0001 ffffffff 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	g_assert_cmpint(decode_body(GET_BEGIN "0c0001 00100000 00", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	/* list of the wrong element type */
	g_assert_cmpint(decode_body(MGET_BEGIN "0c0001 0f0002 08 00000001 00000001 00 00", 0, &req, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(req.type_mismatches, ==, 1);
	g_assert_cmpuint(req.u.multi_get.n_sort_keys, ==, 0);
	pegasus_codec_request_clear(&req);

	/* nesting is bounded */
	{
		GString    *deep = g_string_new(MGET_BEGIN "0c0001 0f0063 ");
		int			i;

		for (i = 0; i < 40; i++)
			g_string_append(deep, "0f 00000001 ");
		g_string_append(deep, "08 00000000 00 00");
		g_assert_cmpint(decode_body(deep->str, 0, &req, &err), ==, PEGASUS_CODEC_MALFORMED);
		g_assert_nonnull(strstr(err.msg, "nesting"));
		pegasus_codec_request_clear(&req);
		g_string_free(deep, TRUE);
	}

	/* missing STOP / truncated body */
	g_assert_cmpint(decode_body(GET_BEGIN "0c0001 00000000", 0, &req, &err), ==,
					PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	/* not a strict message, and wrong message types */
	g_assert_cmpint(decode_body("00000011 5250435f525244425f525244425f474554 01 00000005 00", 0,
								&req, &err), ==, PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	g_assert_cmpint(decode_body("80010002 00000011 5250435f525244425f525244425f474554 00000005 00",
								0, &req, &err), ==, PEGASUS_CODEC_MALFORMED);
	pegasus_codec_request_clear(&req);
	/* ONEWAY is accepted */
	g_assert_cmpint(decode_body("80010004 00000011 5250435f525244425f525244425f474554 00000005 00",
								0, &req, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpint(req.msg_type, ==, PEGASUS_CODEC_MSG_ONEWAY);
	pegasus_codec_request_clear(&req);

	/* unknown RPC: header, name and seqid are still available */
	g_assert_cmpint(decode_body("80010001 00000007 5250435f464f4f 0000002a 00", 0, &req, &err), ==,
					PEGASUS_CODEC_UNKNOWN_RPC);
	g_assert_true(pegasus_codec_blob_equal_str(req.name, "RPC_FOO"));
	g_assert_cmpint(req.seqid, ==, 42);
	g_assert_cmpint(req.header.app_id, ==, 2);
	pegasus_codec_request_clear(&req);
	g_byte_array_unref(last_frame);
	last_frame = NULL;
}

static void
test_unknown_rpc_reply(void)
{
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GByteArray *out = g_byte_array_new();
	PegasusResponse resp;
	PegasusResponse d;
	PegasusRequest req;
	PegasusCodecError err;

	/* the onebox answers an unknown name with ERR_HANDLER_NOT_FOUND, <name>_ACK */
	memset(&resp, 0, sizeof(resp));
	resp.rpc = PEGASUS_RPC_UNKNOWN;
	resp.name = pegasus_codec_blob_str("RPC_FOO_ACK");
	resp.seqid = 42;
	resp.frame_error = PEGASUS_EC_HANDLER_NOT_FOUND;
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &d, &err), ==,
					PEGASUS_CODEC_UNKNOWN_RPC);
	g_assert_true(pegasus_codec_blob_equal_str(d.name, "RPC_FOO_ACK"));
	g_assert_cmpint(d.frame_error, ==, PEGASUS_EC_HANDLER_NOT_FOUND);
	g_assert_cmpint(d.seqid, ==, 42);
	pegasus_codec_response_clear(&d);
	/* but an unknown RPC cannot carry an ERR_OK body */
	resp.frame_error = PEGASUS_EC_OK;
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==,
					PEGASUS_CODEC_INVALID_ARG);

	/* an unknown error name maps to ERR_UNKNOWN and keeps the raw name */
	g_byte_array_set_size(out, 0);
	resp.rpc = PEGASUS_RPC_GET;
	resp.frame_error = PEGASUS_EC_BUSY;
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_cmpmem(out->data + 8, 8, "ERR_BUSY", 8);
	memcpy(out->data + 8, "ERR_XXXX", 8);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &d, &err), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpint(d.frame_error, ==, PEGASUS_EC_UNKNOWN);
	g_assert_true(pegasus_codec_blob_equal_str(d.frame_error_name, "ERR_XXXX"));
	g_assert_false(d.has_body);
	pegasus_codec_response_clear(&d);

	/* a request encoded with an unknown name is written verbatim, args empty */
	g_byte_array_set_size(out, 0);
	memset(&req, 0, sizeof(req));
	pegasus_codec_header_init(&req.header, 0, 0, 100, 0);
	req.name = pegasus_codec_blob_str("RPC_SOMETHING_ELSE");
	req.seqid = 3;
	g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, &err), ==, PEGASUS_CODEC_OK);
	{
		PegasusRequest dr;

		g_assert_cmpint(pegasus_codec_decode_request(out->data, out->len, 0, &dr, &err), ==,
						PEGASUS_CODEC_UNKNOWN_RPC);
		g_assert_true(pegasus_codec_blob_equal_str(dr.name, "RPC_SOMETHING_ELSE"));
		pegasus_codec_request_clear(&dr);
	}
	/* only v0 headers are encoded */
	req.header.version = 1;
	g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, &err), ==,
					PEGASUS_CODEC_INVALID_ARG);

	g_byte_array_unref(out);
	pegasus_codec_encoder_free(enc);
}

/* ------------------------------------------------------------------------
 * Robustness: every prefix and random corruption of valid frames
 * ------------------------------------------------------------------------ */

static GPtrArray *
sample_frames(gboolean requests)
{
	Filler		fl;
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GPtrArray  *frames = g_ptr_array_new_with_free_func((GDestroyNotify) g_byte_array_unref);
	int			rpc;
	int			iter;

	fl.rand = g_rand_new_with_seed(7);
	fl.allocs = g_ptr_array_new_with_free_func(g_free);
	for (iter = 0; iter < 3; iter++)
	{
		fl.all_optionals = (iter == 0);
		for (rpc = PEGASUS_RPC_UNKNOWN + 1; rpc < PEGASUS_RPC__COUNT; rpc++)
		{
			GByteArray *out = g_byte_array_new();

			if (requests)
			{
				PegasusRequest req;

				make_request(&fl, rpc, &req);
				g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, NULL), ==,
								PEGASUS_CODEC_OK);
			}
			else if (pegasus_codec_rpc_desc(rpc)->response)
			{
				PegasusResponse resp;

				make_response(&fl, rpc, &resp);
				g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, NULL), ==,
								PEGASUS_CODEC_OK);
			}
			if (out->len)
				g_ptr_array_add(frames, out);
			else
				g_byte_array_unref(out);
		}
	}
	g_ptr_array_unref(fl.allocs);
	g_rand_free(fl.rand);
	pegasus_codec_encoder_free(enc);
	return frames;
}

static PegasusCodecStatus
decode_any(gboolean requests, const guint8 *data, gsize len, guint flags)
{
	PegasusCodecError err;
	PegasusCodecStatus st;

	if (requests)
	{
		PegasusRequest r;

		st = pegasus_codec_decode_request(data, len, flags, &r, &err);
		pegasus_codec_request_clear(&r);
	}
	else
	{
		PegasusResponse r;

		st = pegasus_codec_decode_response(data, len, flags, &r, &err);
		pegasus_codec_response_clear(&r);
	}
	/* every failure explains itself */
	if (st != PEGASUS_CODEC_OK)
	{
		g_assert_cmpint(err.status, ==, st);
		g_assert_cmpuint(strlen(err.msg), >, 0);
	}
	return st;
}

static void
run_prefixes(gboolean requests)
{
	GPtrArray  *frames = sample_frames(requests);
	guint		i;
	gsize		n;
	gsize		total = 0;
	gsize		hdr = requests ? 48 : 4;

	for (i = 0; i < frames->len; i++)
	{
		GByteArray *f = g_ptr_array_index(frames, i);
		guint8	   *copy = g_malloc(f->len);

		g_assert_cmpint(decode_any(requests, f->data, f->len, 0), ==, PEGASUS_CODEC_OK);
		for (n = 0; n < f->len; n++)
		{
			/* each prefix in an exactly-sized buffer (so overreads are caught) */
			guint8	   *p = g_memdup2(f->data, n);

			g_assert_cmpint(decode_any(requests, p, n, 0), !=, PEGASUS_CODEC_OK);
			g_free(p);
			/* a consistent frame whose body is cut short is malformed too */
			if (n >= hdr + 1)
			{
				memcpy(copy, f->data, n);
				if (requests)
					put_be32(copy + 16, (guint32) (n - 48));
				else
					put_be32(copy, (guint32) n);
				g_assert_cmpint(decode_any(requests, copy, n, 0), !=, PEGASUS_CODEC_OK);
			}
			total++;
		}
		g_free(copy);
	}
	g_test_message("%s: %" G_GSIZE_FORMAT " prefixes of %u frames rejected",
				   requests ? "requests" : "responses", total, frames->len);
	g_ptr_array_unref(frames);
}

static void
test_prefixes_requests(void)
{
	run_prefixes(TRUE);
}

static void
test_prefixes_responses(void)
{
	run_prefixes(FALSE);
}

static void
run_corruption(gboolean requests)
{
	GPtrArray  *frames = sample_frames(requests);
	GRand	   *rand = g_rand_new_with_seed(99);
	guint		i;
	int			iter;
	int			counts[PEGASUS_CODEC_INVALID_ARG + 1] = {0};

	for (i = 0; i < frames->len; i++)
	{
		GByteArray *f = g_ptr_array_index(frames, i);

		for (iter = 0; iter < 300; iter++)
		{
			guint8	   *p = g_memdup2(f->data, f->len);
			int			flips = g_rand_int_range(rand, 1, 5);
			int			k;
			gsize		start = requests ? 48 : 4;
			PegasusCodecStatus st;

			for (k = 0; k < flips; k++)
			{
				/* mostly corrupt the thrift part; sometimes the header too */
				gsize		pos = g_rand_int_range(rand, 0, 10) == 0 ?
					(gsize) g_rand_int_range(rand, 0, (gint32) f->len) :
					start + (gsize) g_rand_int_range(rand, 0, (gint32) (f->len - start));

				p[pos] = (guint8) g_rand_int_range(rand, 0, 256);
			}
			st = decode_any(requests, p, f->len, iter & 1 ? PEGASUS_CODEC_DECODE_STRICT_TYPES : 0);
			counts[st]++;
			g_free(p);
		}
	}
	g_test_message("%s corruption: ok %d, malformed %d, unknown rpc %d, too large %d",
				   requests ? "requests" : "responses", counts[PEGASUS_CODEC_OK],
				   counts[PEGASUS_CODEC_MALFORMED], counts[PEGASUS_CODEC_UNKNOWN_RPC],
				   counts[PEGASUS_CODEC_TOO_LARGE]);
	/* corruption must be noticed most of the time */
	g_assert_cmpint(counts[PEGASUS_CODEC_MALFORMED], >, 0);
	g_rand_free(rand);
	g_ptr_array_unref(frames);
}

static void
test_corruption_requests(void)
{
	run_corruption(TRUE);
}

static void
test_corruption_responses(void)
{
	run_corruption(FALSE);
}

/* A large scan response decodes with one array and views into the frame */
static void
test_scan_response_views(void)
{
	PegasusEncoder *enc = pegasus_codec_encoder_new();
	GByteArray *out = g_byte_array_new();
	PegasusResponse resp;
	PegasusResponse d;
	PegasusKeyValue *kvs = g_new0(PegasusKeyValue, 5000);
	GPtrArray  *keys = g_ptr_array_new_with_free_func(g_free);
	int			i;

	for (i = 0; i < 5000; i++)
	{
		char	   *k = g_strdup_printf("key-%05d", i);

		g_ptr_array_add(keys, k);
		kvs[i].key = pegasus_codec_blob_str(k);
		kvs[i].value = pegasus_codec_blob_str("value");
		kvs[i].has_expire_ts_seconds = (i % 2 == 0);
		kvs[i].expire_ts_seconds = i;
	}
	memset(&resp, 0, sizeof(resp));
	resp.rpc = PEGASUS_RPC_SCAN;
	resp.seqid = 1;
	resp.u.scan.kvs = kvs;
	resp.u.scan.n_kvs = 5000;
	resp.u.scan.context_id = -12345;
	resp.u.scan.has_kv_count = TRUE;
	resp.u.scan.kv_count = 5000;
	g_assert_cmpint(pegasus_codec_encode_response(enc, &resp, 0, out, NULL), ==, PEGASUS_CODEC_OK);
	g_assert_cmpint(pegasus_codec_decode_response(out->data, out->len, 0, &d, NULL), ==,
					PEGASUS_CODEC_OK);
	g_assert_cmpuint(d.u.scan.n_kvs, ==, 5000);
	g_assert_cmpint(d.u.scan.context_id, ==, -12345);
	g_assert_true(d.u.scan.has_kv_count);
	for (i = 0; i < 5000; i++)
	{
		g_assert_true(pegasus_codec_blob_equal(d.u.scan.kvs[i].key, kvs[i].key));
		g_assert_true(d.u.scan.kvs[i].key.data >= out->data &&
					  d.u.scan.kvs[i].key.data < out->data + out->len);
		g_assert_cmpint(d.u.scan.kvs[i].has_expire_ts_seconds, ==, i % 2 == 0);
	}
	pegasus_codec_response_clear(&d);
	g_assert_null(d.arena);
	g_assert_cmpuint(d.u.scan.n_kvs, ==, 0);

	g_ptr_array_unref(keys);
	g_free(kvs);
	g_byte_array_unref(out);
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
