/*-------------------------------------------------------------------------
 *
 * frames.c
 *		Codec tests: v1 headers, frame detection, strictness violations,
 *		unknown RPCs, and robustness against truncated and corrupted frames.
 *
 * test/unit/codec/frames.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "codec_internal.h"
#include "codec_test.h"

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

void
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

void
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

void
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

void
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

void
test_prefixes_requests(void)
{
	run_prefixes(TRUE);
}

void
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

void
test_corruption_requests(void)
{
	run_corruption(TRUE);
}

void
test_corruption_responses(void)
{
	run_corruption(FALSE);
}

/* A large scan response decodes with one array and views into the frame */
void
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
