/*-------------------------------------------------------------------------
 *
 * test_wire_vectors.c
 *	  Checks the codec against the golden frames captured from the official
 *	  Python client (requests.jsonl, responses.jsonl), the partition-hash
 *	  table and the key-encoding table.
 *
 * Location: $PEGASUS_WIRE_VECTORS, else ../shared/wire-vectors relative to
 * the current directory (the project root when the suite runs).  When
 * absent every test is skipped with a message saying so.
 *
 * Requests: decode and compare with decoded_args and the header; re-encode
 * as the client would (every non-optional field) and compare bytes with
 * the volatile ranges masked; where the captured client left fields out,
 * compare decoded fields instead (absent = default).  Re-encoding with the
 * decoded field choices must always reproduce the frame byte for byte.
 * Responses: decode and compare with `decoded`; re-encode and compare bytes.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "codec_internal.h"
#include "wire_vectors/wire_vectors_test.h"

char *vectors_dir = NULL;

/* Mismatch bookkeeping: every mismatch is reported and fails the test */
int	n_mismatch = 0;

void
mismatch(const char *fmt,...)
{
	va_list		ap;
	char	   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	n_mismatch++;
	if (n_mismatch <= 50)
		g_test_message("MISMATCH: %s", msg);
	g_free(msg);
}

gboolean
vectors_available(void)
{
	if (vectors_dir == NULL)
	{
		g_test_skip("wire vectors not found, skipped "
					"(set PEGASUS_WIRE_VECTORS or provide ../shared/wire-vectors)");
		return FALSE;
	}
	return TRUE;
}

GBytes *
hex_decode(const char *hex)
{
	gsize		n = strlen(hex);
	guint8	   *out;
	gsize		i;

	g_assert_cmpuint(n % 2, ==, 0);
	out = g_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++)
	{
		int			hi = g_ascii_xdigit_value(hex[2 * i]);
		int			lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		g_assert_true(hi >= 0 && lo >= 0);
		out[i] = (guint8) (hi << 4 | lo);
	}
	return g_bytes_new_take(out, n / 2);
}

static char *
hex_encode(const guint8 *data, gsize len)
{
	char	   *s = g_malloc(len * 2 + 1);
	gsize		i;

	for (i = 0; i < len; i++)
		g_snprintf(s + 2 * i, 3, "%02x", data[i]);
	s[len * 2] = '\0';
	return s;
}

/* Read a .jsonl file into a list of parsed objects (JsonNode *) */
static GPtrArray *
load_jsonl(const char *name)
{
	char	   *path = g_build_filename(vectors_dir, name, NULL);
	char	   *contents = NULL;
	char	  **lines;
	GPtrArray  *out = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
	GError	   *error = NULL;
	int			i;

	g_assert_true(g_file_get_contents(path, &contents, NULL, &error));
	lines = g_strsplit(contents, "\n", -1);
	for (i = 0; lines[i]; i++)
	{
		JsonNode   *node;

		if (lines[i][0] == '\0')
			continue;
		node = json_from_string(lines[i], &error);
		g_assert_no_error(error);
		g_ptr_array_add(out, node);
	}
	g_strfreev(lines);
	g_free(contents);
	g_free(path);
	return out;
}

/* ------------------------------------------------------------------------
 * Comparing decoded C structs with the vectors' JSON
 * ------------------------------------------------------------------------ */

static gboolean compare_value(const PegasusCodecFieldDesc *f, guint8 kind,
							  const void *value, JsonNode *exp, const char *path);
static gboolean compare_struct(const PegasusCodecStructDesc *desc, const void *src,
							   JsonObject *exp, gboolean absent_is_default,
							   const char *path);

static gboolean
compare_blob(PegasusBlob b, JsonNode *exp, const char *path)
{
	if (JSON_NODE_HOLDS_VALUE(exp) && json_node_get_value_type(exp) == G_TYPE_STRING)
	{
		char	   *hex = hex_encode(b.data, b.len);
		gboolean	ok = strcmp(hex, json_node_get_string(exp)) == 0;

		if (!ok)
			mismatch("%s: blob %s, expected %s", path, hex, json_node_get_string(exp));
		g_free(hex);
		return ok;
	}
	if (JSON_NODE_HOLDS_OBJECT(exp))
	{
		/* large blob summarised as {len, sha256, head_hex} */
		JsonObject *o = json_node_get_object(exp);
		gint64		len = json_object_get_int_member(o, "len");
		const char *sha = json_object_get_string_member(o, "sha256");
		const char *head = json_object_get_string_member(o, "head_hex");
		char	   *mysha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, b.data, b.len);
		char	   *myhead = hex_encode(b.data, MIN(b.len, strlen(head) / 2));
		gboolean	ok = (gint64) b.len == len && strcmp(sha, mysha) == 0 &&
			strcmp(head, myhead) == 0;

		if (!ok)
			mismatch("%s: large blob (len %" G_GSIZE_FORMAT ") differs from summary", path, b.len);
		g_free(mysha);
		g_free(myhead);
		return ok;
	}
	mismatch("%s: unexpected JSON for a blob", path);
	return FALSE;
}

static gboolean
compare_int(gint64 v, JsonNode *exp, const char *path)
{
	if (!JSON_NODE_HOLDS_VALUE(exp) || json_node_get_value_type(exp) != G_TYPE_INT64)
	{
		mismatch("%s: expected an integer in the vector", path);
		return FALSE;
	}
	if (json_node_get_int(exp) != v)
	{
		mismatch("%s: %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT, path, v,
				 json_node_get_int(exp));
		return FALSE;
	}
	return TRUE;
}

static gboolean
compare_string(PegasusBlob b, JsonNode *exp, const char *path)
{
	const char *s;

	if (!JSON_NODE_HOLDS_VALUE(exp) || json_node_get_value_type(exp) != G_TYPE_STRING)
	{
		mismatch("%s: expected a string in the vector", path);
		return FALSE;
	}
	s = json_node_get_string(exp);
	if (!pegasus_codec_blob_equal_str(b, s))
	{
		mismatch("%s: \"%.*s\", expected \"%s\"", path, (int) b.len, (const char *) b.data, s);
		return FALSE;
	}
	return TRUE;
}

static gsize
list_elem_size(const PegasusCodecFieldDesc *f)
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

static gboolean
compare_value(const PegasusCodecFieldDesc *f, guint8 kind, const void *value,
			  JsonNode *exp, const char *path)
{
	switch (kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			if (!JSON_NODE_HOLDS_VALUE(exp) || json_node_get_value_type(exp) != G_TYPE_BOOLEAN ||
				json_node_get_boolean(exp) != (*(const gboolean *) value != 0))
			{
				mismatch("%s: bool %d differs", path, *(const gboolean *) value);
				return FALSE;
			}
			return TRUE;
		case PEGASUS_CODEC_K_I32:
			return compare_int(*(const gint32 *) value, exp, path);
		case PEGASUS_CODEC_K_I64:
			return compare_int(*(const gint64 *) value, exp, path);
		case PEGASUS_CODEC_K_BLOB:
			return compare_blob(*(const PegasusBlob *) value, exp, path);
		case PEGASUS_CODEC_K_STRING:
			return compare_string(*(const PegasusBlob *) value, exp, path);
		case PEGASUS_CODEC_K_GPID:
			return compare_int(pegasus_codec_gpid_pack(*(const PegasusGpid *) value), exp, path);
		case PEGASUS_CODEC_K_ADDR:
			return compare_int(pegasus_codec_rpc_address_pack(*(const PegasusRpcAddress *) value),
							   exp, path);
		case PEGASUS_CODEC_K_HOSTPORT:
			{
				const PegasusHostPort *hp = value;
				JsonArray  *a;

				if (!JSON_NODE_HOLDS_ARRAY(exp) ||
					json_array_get_length(a = json_node_get_array(exp)) != 3)
				{
					mismatch("%s: expected [host, port, type]", path);
					return FALSE;
				}
				return compare_string(hp->host, json_array_get_element(a, 0), path) &&
					compare_int(hp->port, json_array_get_element(a, 1), path) &&
					compare_int(hp->type, json_array_get_element(a, 2), path);
			}
		case PEGASUS_CODEC_K_ERRCODE:
			{
				PegasusErrorCode code = *(const PegasusErrorCode *) ((const guint8 *) value + f->offset);

				if (!JSON_NODE_HOLDS_VALUE(exp) ||
					strcmp(json_node_get_string(exp), pegasus_codec_error_name(code)) != 0)
				{
					mismatch("%s: error code %s differs", path, pegasus_codec_error_name(code));
					return FALSE;
				}
				return TRUE;
			}
		case PEGASUS_CODEC_K_STRUCT:
			if (!JSON_NODE_HOLDS_OBJECT(exp))
			{
				mismatch("%s: expected an object", path);
				return FALSE;
			}
			return compare_struct(f->sub, value, json_node_get_object(exp), FALSE, path);
		case PEGASUS_CODEC_K_LIST:
			{
				const guint8 *items = *(const guint8 *const *) ((const guint8 *) value + f->offset);
				guint32		n = *(const guint32 *) ((const guint8 *) value + f->aux_offset);
				gsize		esize = list_elem_size(f);
				JsonArray  *a;
				guint32		i;
				gboolean	ok = TRUE;

				if (!JSON_NODE_HOLDS_ARRAY(exp))
				{
					mismatch("%s: expected an array", path);
					return FALSE;
				}
				a = json_node_get_array(exp);
				if (json_array_get_length(a) != n)
				{
					mismatch("%s: %u elements, expected %u", path, n, json_array_get_length(a));
					return FALSE;
				}
				for (i = 0; i < n; i++)
				{
					char	   *p = g_strdup_printf("%s[%u]", path, i);

					ok &= compare_value(f, f->elem_kind, items + i * esize,
										json_array_get_element(a, i), p);
					g_free(p);
				}
				return ok;
			}
		case PEGASUS_CODEC_K_MAP_SS:
			mismatch("%s: maps are not expected in the vectors", path);
			return FALSE;
	}
	return FALSE;
}

/* Is a field's value the C++ default (false / 0 / empty)? */
static gboolean
field_is_default(const PegasusCodecFieldDesc *f, const void *src)
{
	const guint8 *p = (const guint8 *) src + f->offset;

	switch (f->kind)
	{
		case PEGASUS_CODEC_K_BOOL:
			return *(const gboolean *) p == 0;
		case PEGASUS_CODEC_K_I32:
			return *(const gint32 *) p == 0;
		case PEGASUS_CODEC_K_I64:
			return *(const gint64 *) p == 0;
		case PEGASUS_CODEC_K_BLOB:
		case PEGASUS_CODEC_K_STRING:
			return ((const PegasusBlob *) p)->len == 0;
		case PEGASUS_CODEC_K_LIST:
		case PEGASUS_CODEC_K_MAP_SS:
			return *(const guint32 *) ((const guint8 *) src + f->aux_offset) == 0;
		default:
			return FALSE;
	}
}

static gboolean
compare_struct(const PegasusCodecStructDesc *desc, const void *src, JsonObject *exp,
			   gboolean absent_is_default, const char *path)
{
	guint32		present = *(const guint32 *) src;
	GList	   *members = json_object_get_members(exp);
	GList	   *l;
	guint		i;
	gboolean	ok = TRUE;

	/* every member of the vector must be a field we know */
	for (l = members; l; l = l->next)
	{
		gboolean	known = FALSE;

		for (i = 0; i < desc->n_fields; i++)
			known |= strcmp(desc->fields[i].name, l->data) == 0;
		if (!known)
		{
			mismatch("%s.%s: field unknown to the codec", path, (const char *) l->data);
			ok = FALSE;
		}
	}
	g_list_free(members);

	for (i = 0; i < desc->n_fields; i++)
	{
		const PegasusCodecFieldDesc *f = &desc->fields[i];
		gboolean	have = (present >> f->id) & 1;
		char	   *p = g_strdup_printf("%s.%s", path, f->name);
		const void *value;

		if (f->kind == PEGASUS_CODEC_K_LIST || f->kind == PEGASUS_CODEC_K_MAP_SS ||
			f->kind == PEGASUS_CODEC_K_ERRCODE)
			value = src;
		else
			value = (const guint8 *) src + f->offset;

		if (json_object_has_member(exp, f->name))
		{
			if (!have)
			{
				mismatch("%s: absent in the decoded struct", p);
				ok = FALSE;
			}
			else
				ok &= compare_value(f, f->kind, value, json_object_get_member(exp, f->name), p);
		}
		else if (have)
		{
			if (!absent_is_default)
			{
				mismatch("%s: present, but absent in the vector", p);
				ok = FALSE;
			}
			else if (!field_is_default(f, src))
			{
				mismatch("%s: absent in the vector, but not the default value", p);
				ok = FALSE;
			}
		}
		g_free(p);
	}
	return ok;
}

/* Compare the args field 1 of a decoded request with decoded_args */
static gboolean
compare_args(const PegasusRequest *req, JsonObject *decoded_args,
			 gboolean absent_is_default, const char *path)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(req->rpc);
	GList	   *members = json_object_get_members(decoded_args);
	JsonNode   *exp;
	gboolean	ok;

	if (g_list_length(members) != 1)
	{
		g_list_free(members);
		mismatch("%s: decoded_args should have one member", path);
		return FALSE;
	}
	exp = json_object_get_member(decoded_args, members->data);
	g_list_free(members);
	if (desc->arg.kind == PEGASUS_CODEC_K_STRUCT)
	{
		if (!JSON_NODE_HOLDS_OBJECT(exp))
		{
			mismatch("%s: args should be an object", path);
			return FALSE;
		}
		return compare_struct(desc->arg.sub, &req->u, json_node_get_object(exp),
							  absent_is_default, path);
	}
	ok = compare_value(&desc->arg, desc->arg.kind, &req->u, exp, path);
	return ok;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

/* Bytes equal after zeroing the vector's volatile ranges in both copies */
static gboolean
masked_equal(const guint8 *a, gsize alen, const guint8 *b, gsize blen, JsonArray *ranges)
{
	guint8	   *ma;
	guint8	   *mb;
	guint		i;
	gboolean	eq;

	if (alen != blen)
		return FALSE;
	ma = g_memdup2(a, alen);
	mb = g_memdup2(b, blen);
	for (i = 0; ranges && i < json_array_get_length(ranges); i++)
	{
		JsonObject *r = json_array_get_object_element(ranges, i);
		gint64		off = json_object_get_int_member(r, "offset");
		gint64		len = json_object_get_int_member(r, "length");

		g_assert_true(off >= 0 && off + len <= (gint64) alen);
		memset(ma + off, 0, len);
		memset(mb + off, 0, len);
	}
	eq = memcmp(ma, mb, alen) == 0;
	g_free(ma);
	g_free(mb);
	return eq;
}

/* The partition hash a client computes for this request, by the vector's rule */
static gboolean
expected_partition_hash(const PegasusRequest *req, const char *rule, guint64 *hash)
{
	PegasusBlob hk;

	if (g_str_has_prefix(rule, "zero"))
	{
		*hash = 0;
		return TRUE;
	}
	if (g_str_has_prefix(rule, "full scan"))
	{
		*hash = (guint64) req->header.partition_index;
		return TRUE;
	}
	switch (req->rpc)
	{
		case PEGASUS_RPC_GET:
		case PEGASUS_RPC_TTL:
		case PEGASUS_RPC_REMOVE:
			*hash = pegasus_codec_key_partition_hash(req->u.key.data, req->u.key.len);
			return TRUE;
		case PEGASUS_RPC_PUT:
			*hash = pegasus_codec_key_partition_hash(req->u.put.key.data, req->u.put.key.len);
			return TRUE;
		case PEGASUS_RPC_INCR:
			*hash = pegasus_codec_key_partition_hash(req->u.incr.key.data, req->u.incr.key.len);
			return TRUE;
		case PEGASUS_RPC_SORTKEY_COUNT:
			*hash = pegasus_codec_hash_key_partition_hash(req->u.key.data, req->u.key.len);
			return TRUE;
		case PEGASUS_RPC_MULTI_PUT:
			hk = req->u.multi_put.hash_key;
			break;
		case PEGASUS_RPC_MULTI_GET:
			hk = req->u.multi_get.hash_key;
			break;
		case PEGASUS_RPC_MULTI_REMOVE:
			hk = req->u.multi_remove.hash_key;
			break;
		case PEGASUS_RPC_CHECK_AND_SET:
			hk = req->u.check_and_set.hash_key;
			break;
		case PEGASUS_RPC_CHECK_AND_MUTATE:
			hk = req->u.check_and_mutate.hash_key;
			break;
		case PEGASUS_RPC_GET_SCANNER:
			if (!pegasus_codec_key_restore(req->u.get_scanner.start_key.data,
										   req->u.get_scanner.start_key.len, &hk, NULL))
				return FALSE;
			break;
		default:
			return FALSE;		/* scan / clear_scanner: depends on the scanner */
	}
	*hash = pegasus_codec_hash_key_partition_hash(hk.data, hk.len);
	return TRUE;
}

/* Non-optional fields of the args struct that the captured frame left out */
static gboolean
pypegasus_omitted_fields(const PegasusRequest *req, JsonObject *vec)
{
	const PegasusCodecRpcDesc *desc = pegasus_codec_rpc_desc(req->rpc);
	const PegasusCodecStructDesc *sd = desc->arg.sub;
	guint32		present;
	guint32		from_order = 0;
	JsonNode   *order = json_object_get_member(vec, "request_field_order");
	guint		i;

	if (desc->arg.kind != PEGASUS_CODEC_K_STRUCT)
		return FALSE;
	present = *(const guint32 *) &req->u;
	/* the decoder's presence must agree with the capture's field order */
	if (order && JSON_NODE_HOLDS_ARRAY(order))
	{
		JsonArray  *a = json_node_get_array(order);

		for (i = 0; i < json_array_get_length(a); i++)
			from_order |= 1u << json_array_get_int_element(a, i);
		if (from_order != present)
			mismatch("request %" G_GINT64_FORMAT ": field presence 0x%x, request_field_order 0x%x",
					 json_object_get_int_member(vec, "id"), present, from_order);
	}
	for (i = 0; i < sd->n_fields; i++)
		if (!sd->fields[i].optional && !((present >> sd->fields[i].id) & 1))
			return TRUE;
	return FALSE;
}

static void
test_requests(void)
{
	GPtrArray  *vecs;
	PegasusEncoder *enc;
	guint		i;
	int			byte_equal = 0;
	int			field_equal = 0;
	int			exact_equal = 0;
	int			hash_checked = 0;

	if (!vectors_available())
		return;
	vecs = load_jsonl("requests.jsonl");
	enc = pegasus_codec_encoder_new();
	n_mismatch = 0;

	for (i = 0; i < vecs->len; i++)
	{
		JsonObject *vec = json_node_get_object(g_ptr_array_index(vecs, i));
		gint64		id = json_object_get_int_member(vec, "id");
		JsonObject *hdr = json_object_get_object_member(vec, "header");
		JsonObject *msg = json_object_get_object_member(vec, "message");
		JsonArray  *ranges = json_object_get_array_member(vec, "volatile_ranges");
		GBytes	   *frame = hex_decode(json_object_get_string_member(vec, "frame_hex"));
		gsize		flen;
		const guint8 *fdata = g_bytes_get_data(frame, &flen);
		char	   *path = g_strdup_printf("request %" G_GINT64_FORMAT, id);
		PegasusRequest req;
		PegasusRequest again;
		PegasusRequest client;
		PegasusCodecError err;
		gsize		frame_len;
		GByteArray *out = g_byte_array_new();
		GByteArray *exact = g_byte_array_new();
		guint64		want_hash;
		char	   *phash_hex;

		/* frame detection and decoding */
		g_assert_cmpint(pegasus_codec_request_frame_check(fdata, flen, 0, &frame_len, &err),
						==, PEGASUS_CODEC_OK);
		g_assert_cmpuint(frame_len, ==, flen);
		if (pegasus_codec_decode_request(fdata, flen, PEGASUS_CODEC_DECODE_STRICT_TYPES,
										 &req, &err) != PEGASUS_CODEC_OK)
		{
			mismatch("%s: decode failed: %s", path, err.msg);
			pegasus_codec_request_clear(&req);
			goto next;
		}
		if (!pegasus_codec_blob_equal_str(req.name, json_object_get_string_member(vec, "rpc_name")) ||
			g_strcmp0(pegasus_codec_rpc_name(req.rpc), json_object_get_string_member(vec, "rpc_name")) != 0)
			mismatch("%s: rpc name differs", path);
		if (req.msg_type != json_object_get_int_member(msg, "type") ||
			req.seqid != json_object_get_int_member(msg, "seqid"))
			mismatch("%s: message type/seqid differ", path);
		if (req.header.version != 0 ||
			req.header.body_length != json_object_get_int_member(hdr, "body_length") ||
			req.header.app_id != json_object_get_int_member(hdr, "app_id") ||
			req.header.partition_index != json_object_get_int_member(hdr, "partition_index") ||
			req.header.client_timeout != json_object_get_int_member(hdr, "client_timeout") ||
			req.header.thread_hash != json_object_get_int_member(hdr, "thread_hash"))
			mismatch("%s: header fields differ", path);
		phash_hex = g_strdup_printf("%016" G_GINT64_MODIFIER "x", req.header.partition_hash);
		if (strcmp(phash_hex, json_object_get_string_member(hdr, "partition_hash_hex")) != 0)
			mismatch("%s: partition hash %s differs", path, phash_hex);
		g_free(phash_hex);
		if (req.header.thread_hash !=
			pegasus_codec_thread_hash(req.header.app_id, req.header.partition_index))
			mismatch("%s: thread_hash is not app_id * 7919 + partition_index", path);
		if (req.type_mismatches != 0 || req.unknown_fields != 0)
			mismatch("%s: %u type mismatches, %u unknown fields", path,
					 req.type_mismatches, req.unknown_fields);
		compare_args(&req, json_object_get_object_member(vec, "decoded_args"), FALSE, path);

		/* our routing helpers give the header's partition hash and index */
		if (expected_partition_hash(&req, json_object_get_string_member(vec, "partition_hash_rule"),
									&want_hash))
		{
			hash_checked++;
			if (want_hash != req.header.partition_hash)
				mismatch("%s: computed partition hash %" G_GINT64_MODIFIER "x differs", path, want_hash);
			if (req.header.app_id > 0 &&
				pegasus_codec_partition_index(want_hash, 8) != req.header.partition_index)
				mismatch("%s: computed partition index differs", path);
		}

		/* re-encode the way the client does: every non-optional field */
		client = req;
		client.arena = NULL;
		pegasus_codec_header_init(&client.header, req.header.app_id, req.header.partition_index,
								  req.header.client_timeout, req.header.partition_hash);
		if (pegasus_codec_encode_request(enc, &client, 0, out, &err) != PEGASUS_CODEC_OK)
			mismatch("%s: encode failed: %s", path, err.msg);
		else if (masked_equal(out->data, out->len, fdata, flen, ranges))
			byte_equal++;
		else if (pypegasus_omitted_fields(&req, vec))
		{
			/* the capture left fields out: compare decoded fields instead */
			if (pegasus_codec_decode_request(out->data, out->len, PEGASUS_CODEC_DECODE_STRICT_TYPES,
											 &again, &err) != PEGASUS_CODEC_OK)
				mismatch("%s: our own frame does not decode: %s", path, err.msg);
			else if (compare_args(&again, json_object_get_object_member(vec, "decoded_args"),
								  TRUE, path))
				field_equal++;
			pegasus_codec_request_clear(&again);
		}
		else
			mismatch("%s: re-encoded frame differs from the capture", path);

		/* with the decoded field choices the frame is reproduced exactly */
		if (pegasus_codec_encode_request(enc, &client, PEGASUS_CODEC_ENCODE_PRESENT_ONLY,
										 exact, &err) != PEGASUS_CODEC_OK)
			mismatch("%s: encode (present only) failed: %s", path, err.msg);
		else if (exact->len == flen && memcmp(exact->data, fdata, flen) == 0)
			exact_equal++;
		else
			mismatch("%s: present-only re-encoding differs", path);

		pegasus_codec_request_clear(&req);
next:
		g_byte_array_unref(out);
		g_byte_array_unref(exact);
		g_bytes_unref(frame);
		g_free(path);
	}

	g_test_message("requests: %u frames; client-style re-encoding byte-equal %d, "
				   "field-equal (capture omitted fields) %d; exact re-encoding %d; "
				   "partition hashes recomputed %d; mismatches %d",
				   vecs->len, byte_equal, field_equal, exact_equal, hash_checked, n_mismatch);
	g_print("# wire vectors, requests: %u frames, byte-equal %d, field-equal %d, "
			"exact %d, hashes %d, mismatches %d\n",
			vecs->len, byte_equal, field_equal, exact_equal, hash_checked, n_mismatch);
	g_assert_cmpint(n_mismatch, ==, 0);
	g_assert_cmpint(byte_equal + field_equal, ==, (int) vecs->len);
	g_assert_cmpint(exact_equal, ==, (int) vecs->len);
	pegasus_codec_encoder_free(enc);
	g_ptr_array_unref(vecs);
}

/* ------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------ */

static void
test_responses(void)
{
	GPtrArray  *vecs;
	PegasusEncoder *enc;
	guint		i;
	int			byte_equal = 0;
	int			exact_equal = 0;
	int			no_body = 0;

	if (!vectors_available())
		return;
	vecs = load_jsonl("responses.jsonl");
	enc = pegasus_codec_encoder_new();
	n_mismatch = 0;

	for (i = 0; i < vecs->len; i++)
	{
		JsonObject *vec = json_node_get_object(g_ptr_array_index(vecs, i));
		gint64		id = json_object_get_int_member(vec, "id");
		GBytes	   *frame = hex_decode(json_object_get_string_member(vec, "frame_hex"));
		gsize		flen;
		const guint8 *fdata = g_bytes_get_data(frame, &flen);
		char	   *path = g_strdup_printf("response %" G_GINT64_FORMAT, id);
		JsonNode   *decoded = json_object_get_member(vec, "decoded");
		PegasusResponse resp;
		PegasusResponse copy;
		PegasusCodecError err;
		gsize		frame_len;
		GByteArray *out = g_byte_array_new();
		GByteArray *exact = g_byte_array_new();
		const PegasusCodecRpcDesc *desc;

		g_assert_cmpint(pegasus_codec_response_frame_check(fdata, flen, 0, &frame_len, &err),
						==, PEGASUS_CODEC_OK);
		g_assert_cmpuint(frame_len, ==, flen);
		if (pegasus_codec_decode_response(fdata, flen, PEGASUS_CODEC_DECODE_STRICT_TYPES,
										  &resp, &err) != PEGASUS_CODEC_OK)
		{
			mismatch("%s: decode failed: %s", path, err.msg);
			pegasus_codec_response_clear(&resp);
			goto next;
		}
		if (!pegasus_codec_blob_equal_str(resp.name, json_object_get_string_member(vec, "rpc_name")) ||
			g_strcmp0(pegasus_codec_rpc_name(resp.rpc),
					  json_object_get_string_member(vec, "request_rpc_name")) != 0)
			mismatch("%s: rpc name differs", path);
		if (!pegasus_codec_blob_equal_str(resp.frame_error_name,
										  json_object_get_string_member(vec, "error_name")) ||
			strcmp(pegasus_codec_error_name(resp.frame_error),
				   json_object_get_string_member(vec, "error_name")) != 0)
			mismatch("%s: frame error differs", path);
		if (resp.seqid != json_object_get_int_member(vec, "seqid"))
			mismatch("%s: seqid differs", path);
		if (resp.type_mismatches != 0 || resp.unknown_fields != 0)
			mismatch("%s: %u type mismatches, %u unknown fields", path,
					 resp.type_mismatches, resp.unknown_fields);
		desc = pegasus_codec_rpc_desc(resp.rpc);
		if (JSON_NODE_HOLDS_NULL(decoded))
		{
			no_body++;
			if (resp.has_body)
				mismatch("%s: body decoded, vector has none", path);
		}
		else if (!resp.has_body)
			mismatch("%s: no body decoded", path);
		else
			compare_struct(desc->response, &resp.u, json_node_get_object(decoded), FALSE, path);

		/* re-encode: as a server writes every field, and with the decoded choices */
		copy = resp;
		copy.arena = NULL;
		if (pegasus_codec_encode_response(enc, &copy, 0, out, &err) != PEGASUS_CODEC_OK)
			mismatch("%s: encode failed: %s", path, err.msg);
		else if (out->len == flen && memcmp(out->data, fdata, flen) == 0)
			byte_equal++;
		if (pegasus_codec_encode_response(enc, &copy, PEGASUS_CODEC_ENCODE_PRESENT_ONLY,
										  exact, &err) != PEGASUS_CODEC_OK)
			mismatch("%s: encode (present only) failed: %s", path, err.msg);
		else if (exact->len == flen && memcmp(exact->data, fdata, flen) == 0)
			exact_equal++;
		else
			mismatch("%s: re-encoded response differs", path);
		pegasus_codec_response_clear(&resp);
next:
		g_byte_array_unref(out);
		g_byte_array_unref(exact);
		g_bytes_unref(frame);
		g_free(path);
	}
	g_test_message("responses: %u frames (%d without body); byte-equal re-encoding %d "
				   "(all fields), %d (decoded field choices); mismatches %d",
				   vecs->len, no_body, byte_equal, exact_equal, n_mismatch);
	g_print("# wire vectors, responses: %u frames (%d without body), byte-equal %d, "
			"exact %d, mismatches %d\n",
			vecs->len, no_body, byte_equal, exact_equal, n_mismatch);
	g_assert_cmpint(n_mismatch, ==, 0);
	g_assert_cmpint(exact_equal, ==, (int) vecs->len);
	pegasus_codec_encoder_free(enc);
	g_ptr_array_unref(vecs);
}

int
main(int argc, char **argv)
{
	const char *env = g_getenv("PEGASUS_WIRE_VECTORS");
	char	   *dir = g_strdup(env && *env ? env : "../shared/wire-vectors");
	char	   *probe = g_build_filename(dir, "requests.jsonl", NULL);
	int			rc;

	g_test_init(&argc, &argv, NULL);
	if (g_file_test(probe, G_FILE_TEST_IS_REGULAR))
		vectors_dir = dir;
	else
	{
		g_print("# wire vectors not found at %s, skipped\n", dir);
		g_free(dir);
	}
	g_free(probe);

	g_test_add_func("/wire-vectors/requests", test_requests);
	g_test_add_func("/wire-vectors/responses", test_responses);
	g_test_add_func("/wire-vectors/partition-hash", test_partition_hash);
	g_test_add_func("/wire-vectors/key-encoding", test_key_encoding);
	rc = g_test_run();
	g_free(vectors_dir);
	return rc;
}
