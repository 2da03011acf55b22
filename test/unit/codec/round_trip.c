/*-------------------------------------------------------------------------
 *
 * round_trip.c
 *		Codec tests: round trips of every request and response struct, driven
 *		by the codec's field tables, and the writer's back ends.
 *
 * test/unit/codec/round_trip.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "codec_internal.h"
#include "codec_test.h"

/* ------------------------------------------------------------------------
 * Generic round trips: fill every field of every struct, encode, decode,
 * compare.  Driven by the codec's own field tables, so every struct and
 * every field is covered.
 * ------------------------------------------------------------------------ */

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
void
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

void
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

void
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
void
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
