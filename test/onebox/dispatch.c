/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  Turns request frames into replies: frame delimiting, decoding,
 *	  strictness checks, injected faults, replica gating (protocol 4.14),
 *	  per-endpoint counters, reply encoding and reply corruption.
 *
 * Strictness.  A real server silently tolerates some client mistakes and
 * crashes on others (protocol 9.10).  The onebox treats every one of them
 * as a protocol violation: it logs "protocol violation: ..." on stderr,
 * counts it (control "violations") and closes the connection.  The rules:
 *
 *	- any frame the codec cannot decode (bad magic/version/header length,
 *	  truncated thrift, message type other than CALL/ONEWAY);
 *	- a known field sent with the wrong thrift type (a real server skips it
 *	  and uses the default value);
 *	- v0 header: thread_hash != app_id * 7919 + partition_index;
 *	- app_id > 0 on a meta endpoint (a real meta server aborts);
 *	- rrdb keys (get/ttl/remove/put/incr keys, get_scanner start key) shorter
 *	  than 2 bytes, with a length prefix beyond the key, or with a hash key
 *	  of 65535 bytes; raw hash keys of 65535 bytes or more;
 *	- put with update_request fields 4-7 (server-internal);
 *	- partition_hash: when non-zero it must select the target partition
 *	  (hash mod the partition count it serves == partition_index) for every
 *	  replica RPC, and for single-key RPCs it must equal the key's own hash
 *	  (crc64 of the hash key, or of the sort key when the hash key is
 *	  empty) - a real server asserts this for put and remove; a batch_get
 *	  may carry any hash selecting the partition;
 *	- while a table splits (split.c), a partition_hash that selects the
 *	  partition under no count the table ever had; one that did under an
 *	  older count gets ERR_PARENT_PARTITION_MISUSED, as on a real replica;
 *	- the key itself must belong to the target partition (its hash mod
 *	  the partition count it serves == partition_index) for every
 *	  key-addressed RPC, every key of a batch_get included, whatever the
 *	  header says: a real server would store or look the key up in the
 *	  wrong partition (or, after a split, answer from the parent's stale
 *	  copy of the moved half);
 *	- get_scanner with a hash-key PREFIX filter that moves the start key
 *	  while the start key has a non-empty hash key and full_scan is not set
 *	  (a real server with the default prefix bloom filter aborts).
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

static GByteArray *reply_buf;

/* An RPC name for log lines: at most 47 bytes, non-printable bytes as '?' */
static const char *
printable_name(PegasusBlob name)
{
	static char buf[48];
	gsize		i,
				n = MIN(name.len, sizeof(buf) - 1);

	for (i = 0; i < n; i++)
		buf[i] = g_ascii_isgraph(name.data[i]) ? (char) name.data[i] : '?';
	buf[n] = '\0';
	return buf;
}

/*
 * Sets ep's per-RPC counts to zero.  Counters are never freed, so the one
 * counted last stays valid (the listing leaves out those at zero).
 */
void
onebox_reset_counters(OneboxEndpoint *ep)
{
	GHashTableIter it;
	gpointer	count;

	g_hash_table_iter_init(&it, ep->counters);
	while (g_hash_table_iter_next(&it, NULL, &count))
		*(guint *) count = 0;
}

/* Counts a request; a run of one RPC finds its counter without hashing. */
static void
count_rpc(OneboxEndpoint *ep, PegasusBlob name)
{
	const char *key = printable_name(name);
	gpointer	stored;
	gpointer	count;

	if (ep->last_name != NULL && strcmp(ep->last_name, key) == 0)
	{
		(*ep->last_count)++;
		return;
	}
	if (!g_hash_table_lookup_extended(ep->counters, key, &stored, &count))
	{
		stored = g_strdup(key);
		count = g_new0(guint, 1);
		g_hash_table_insert(ep->counters, stored, count);
	}
	ep->last_name = stored;
	ep->last_count = count;
	(*ep->last_count)++;
}

static const char *
ep_kind_name(OneboxEndpoint *ep)
{
	return ep->kind == ONEBOX_EP_META ? "meta" : "replica";
}

/* Apply the endpoint's armed corruption to an encoded reply */
static void
send_corrupted(OneboxConn *conn, GByteArray *frame, OneboxCorruptMode mode,
			   int delay_ms)
{
	guint8		junk[64];
	guint		i;

	/* the client cannot read this reply, nor any later one in the stream */
	conn->poisoned = TRUE;
	switch (mode)
	{
		case ONEBOX_CORRUPT_GARBAGE:
			/* a well-delimited frame whose content is random bytes */
			junk[0] = 0;
			junk[1] = 0;
			junk[2] = 0;
			junk[3] = sizeof(junk);
			for (i = 4; i < sizeof(junk); i++)
				junk[i] = (guint8) g_random_int_range(0, 256);
			/* make the error-name length absurd so it cannot decode */
			junk[4] = 0x7f;
			onebox_conn_send(conn, junk, sizeof(junk), delay_ms);
			break;
		case ONEBOX_CORRUPT_TRUNCATED:
			onebox_conn_send(conn, frame->data, frame->len / 2, delay_ms);
			onebox_conn_close_after(conn, delay_ms);
			break;
		case ONEBOX_CORRUPT_OVERSIZED:
			junk[0] = 0x7f;
			junk[1] = 0xff;
			junk[2] = 0xff;
			junk[3] = 0xf0;
			memcpy(junk + 4, frame->data + 4, MIN(frame->len - 4, 28));
			onebox_conn_send(conn, junk, 4 + MIN(frame->len - 4, 28), delay_ms);
			break;
		default:
			/* badname / badseqid are applied before encoding */
			onebox_conn_send(conn, frame->data, frame->len, delay_ms);
			break;
	}
}

/* Encodes and queues a reply, extra_ms later than the endpoint's latency */
static void
send_reply_after(OneboxConn *conn, PegasusResponse *reply, int extra_ms)
{
	PegasusCodecError err;
	OneboxCorruptMode mode = conn->ep->corrupt;
	int			delay_ms = conn->ep->latency_ms + extra_ms;

	conn->ep->corrupt = ONEBOX_CORRUPT_NONE;
	if (mode == ONEBOX_CORRUPT_BADSEQID)
		reply->seqid = (gint32) ((guint32) reply->seqid + 1000003u);

	g_byte_array_set_size(reply_buf, 0);
	if (pegasus_codec_encode_response(onebox.encoder, reply, 0, reply_buf, &err) !=
		PEGASUS_CODEC_OK)
	{
		onebox_log("cannot encode reply %s: %s",
				   pegasus_codec_rpc_name(reply->rpc) ? pegasus_codec_rpc_name(reply->rpc) : "?",
				   err.msg);
		onebox_conn_close(conn);
		return;
	}
	if (mode == ONEBOX_CORRUPT_BADNAME)
	{
		/* same length, other name: "RPC_..." becomes "BAD_..." */
		guint32		elen = ((guint32) reply_buf->data[4] << 24) |
			((guint32) reply_buf->data[5] << 16) |
			((guint32) reply_buf->data[6] << 8) | reply_buf->data[7];
		gsize		name_off = 8 + (gsize) elen + 8;

		if (name_off + 4 <= reply_buf->len)
			memcpy(reply_buf->data + name_off, "BAD_", 4);
	}
	if (mode != ONEBOX_CORRUPT_NONE)
		send_corrupted(conn, reply_buf, mode, delay_ms);
	else
		onebox_conn_send(conn, reply_buf->data, reply_buf->len, delay_ms);
}

static void
send_reply(OneboxConn *conn, PegasusResponse *reply)
{
	send_reply_after(conn, reply, 0);
}

/* A reply carrying only a frame-level error (no body), name given */
static void
send_error_named_after(OneboxConn *conn, const PegasusRequest *req, PegasusErrorCode code,
					   const char *error_name, int extra_ms)
{
	PegasusResponse reply;
	char	   *ack = NULL;

	memset(&reply, 0, sizeof(reply));
	reply.rpc = req->rpc;
	reply.seqid = req->seqid;
	reply.frame_error = code;
	if (error_name != NULL)
		reply.frame_error_name = pegasus_codec_blob_str(error_name);
	if (req->rpc == PEGASUS_RPC_UNKNOWN)
	{
		ack = g_strdup_printf("%.*s_ACK", (int) MIN(req->name.len, 47),
							  (const char *) req->name.data);
		reply.name = pegasus_codec_blob_str(ack);
	}
	send_reply_after(conn, &reply, extra_ms);
	g_free(ack);
}

static void
send_error_named(OneboxConn *conn, const PegasusRequest *req, PegasusErrorCode code,
				 const char *error_name)
{
	send_error_named_after(conn, req, code, error_name, 0);
}

static void
send_error(OneboxConn *conn, const PegasusRequest *req, PegasusErrorCode code)
{
	send_error_named_after(conn, req, code, NULL, 0);
}

/* Find and consume a matching "fail" rule; TRUE if one applied */
static gboolean
take_fault(OneboxEndpoint *ep, PegasusBlob name, OneboxFault *out)
{
	GList	   *l;

	for (l = ep->faults; l != NULL; l = l->next)
	{
		OneboxFault *f = l->data;

		if (f->remaining > 0 && pegasus_codec_blob_equal_str(name, f->rpc_name))
		{
			*out = *f;
			/* the caller's copy (freed by it) outlives the rule */
			out->error_name = g_strdup(f->error_name);
			if (--f->remaining == 0)
			{
				g_free(f->error_name);
				g_free(f->rpc_name);
				g_free(f);
				ep->faults = g_list_delete_link(ep->faults, l);
			}
			return TRUE;
		}
	}
	return FALSE;
}

/* ------------------------------------------------------------------------
 * Strictness checks of replica requests
 * ------------------------------------------------------------------------ */

static gboolean
check_rrdb_key(PegasusBlob key, const char *what, const char *rpc)
{
	guint		hlen;

	if (key.len < 2)
	{
		onebox_violation("%s: %s is %zu bytes, shorter than the 2-byte length prefix",
						 rpc, what, key.len);
		return FALSE;
	}
	hlen = ((guint) key.data[0] << 8) | key.data[1];
	if (2 + (gsize) hlen > key.len)
	{
		onebox_violation("%s: %s says hash key length %u but has only %zu bytes after the prefix",
						 rpc, what, hlen, key.len - 2);
		return FALSE;
	}
	if (hlen >= 65535)
	{
		onebox_violation("%s: %s has a hash key of %u bytes (limit 65534)", rpc, what, hlen);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_hash_key(PegasusBlob hk, const char *rpc)
{
	if (hk.len >= 65535)
	{
		onebox_violation("%s: hash key of %zu bytes (limit 65534; a real replica aborts)",
						 rpc, hk.len);
		return FALSE;
	}
	return TRUE;
}

/* The key's own hash must select the target partition */
static gboolean
check_key_route(guint64 key_hash, OneboxCall *call, const char *rpc)
{
	gint32		count = onebox_partition_served_count(call->part);
	gint32		pidx = call->part->pidx;
	gint32		want = pegasus_codec_partition_index(key_hash, count);

	if (want != pidx)
	{
		onebox_violation("%s: key belongs to partition %d of %s (%d partitions) but was sent to partition %d",
						 rpc, want, call->part->table->name, count, pidx);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_header_hash(guint64 key_hash, OneboxCall *call, const char *rpc)
{
	guint64		ph = call->req->header.partition_hash;

	if (ph != 0 && ph != key_hash)
	{
		onebox_violation("%s: header partition_hash 0x%016" G_GINT64_MODIFIER "x differs from the key's hash 0x%016" G_GINT64_MODIFIER "x",
						 rpc, ph, key_hash);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_rrdb_key_op(PegasusBlob key, OneboxCall *call, const char *rpc)
{
	guint64		h;

	if (!check_rrdb_key(key, "key", rpc))
		return FALSE;
	h = pegasus_codec_key_partition_hash(key.data, key.len);
	return check_header_hash(h, call, rpc) && check_key_route(h, call, rpc);
}

static gboolean
check_hash_key_op(PegasusBlob hk, OneboxCall *call, const char *rpc)
{
	guint64		h;

	if (!check_hash_key(hk, rpc))
		return FALSE;
	h = pegasus_codec_hash_key_partition_hash(hk.data, hk.len);
	return check_header_hash(h, call, rpc) && check_key_route(h, call, rpc);
}

static gboolean
check_replica_request(OneboxCall *call)
{
	const PegasusRequest *req = call->req;
	const char *rpc = pegasus_codec_rpc_name(req->rpc);
	guint64		ph = req->header.partition_hash;
	gint32		count = onebox_partition_served_count(call->part);
	guint32		i;

	/*
	 * Without hash validation a replica serves a request routed by an
	 * older partition count (one in flight across a split): only a hash
	 * that never selected this partition is the client's mistake.
	 */
	if (ph != 0 && pegasus_codec_partition_index(ph, count) != call->part->pidx &&
		(onebox_table_validates_hash(call->part->table) ||
		 !onebox_hash_selects_in_history(call->part->table, ph, call->part->pidx)))
	{
		onebox_violation("%s: header partition_hash 0x%016" G_GINT64_MODIFIER "x selects partition %d, not the target %d",
						 rpc, ph, pegasus_codec_partition_index(ph, count), call->part->pidx);
		return FALSE;
	}

	switch (req->rpc)
	{
		case PEGASUS_RPC_PUT:
			if (req->u.put.has_type || req->u.put.has_check_value_returned ||
				req->u.put.has_check_value_exist || req->u.put.has_check_value ||
				(req->u.put.present & 0xF0) != 0)
			{
				onebox_violation("%s: update_request carries server-internal fields 4-7", rpc);
				return FALSE;
			}
			return check_rrdb_key_op(req->u.put.key, call, rpc);
		case PEGASUS_RPC_REMOVE:
		case PEGASUS_RPC_GET:
		case PEGASUS_RPC_TTL:
			return check_rrdb_key_op(req->u.key, call, rpc);
		case PEGASUS_RPC_INCR:
			return check_rrdb_key_op(req->u.incr.key, call, rpc);
		case PEGASUS_RPC_SORTKEY_COUNT:
			return check_hash_key_op(req->u.key, call, rpc);
		case PEGASUS_RPC_MULTI_PUT:
			return check_hash_key_op(req->u.multi_put.hash_key, call, rpc);
		case PEGASUS_RPC_MULTI_REMOVE:
			return check_hash_key_op(req->u.multi_remove.hash_key, call, rpc);
		case PEGASUS_RPC_MULTI_GET:
			return check_hash_key_op(req->u.multi_get.hash_key, call, rpc);
		case PEGASUS_RPC_CHECK_AND_SET:
			return check_hash_key_op(req->u.check_and_set.hash_key, call, rpc);
		case PEGASUS_RPC_CHECK_AND_MUTATE:
			return check_hash_key_op(req->u.check_and_mutate.hash_key, call, rpc);
		case PEGASUS_RPC_BATCH_GET:
			for (i = 0; i < req->u.batch_get.n_keys; i++)
			{
				PegasusBlob hk = req->u.batch_get.keys[i].hash_key;
				guint64		h;

				if (!check_hash_key(hk, rpc))
					return FALSE;
				h = pegasus_codec_hash_key_partition_hash(hk.data, hk.len);
				if (!check_key_route(h, call, rpc))
					return FALSE;
			}
			return TRUE;
		case PEGASUS_RPC_GET_SCANNER:
			{
				const PegasusGetScannerRequest *g = &req->u.get_scanner;
				PegasusBlob hk,
							sk;

				if (!check_rrdb_key(g->start_key, "start_key", rpc))
					return FALSE;
				pegasus_codec_key_restore(g->start_key.data, g->start_key.len, &hk, &sk);
				if (onebox.prefix_iteration && hk.len > 0 && !g->full_scan &&
					g->hash_key_filter_type == PEGASUS_FT_MATCH_PREFIX &&
					g->hash_key_filter_pattern.len > 0)
				{
					guint8		pfx[2];
					guint8	   *k;
					int			c;

					if (g->hash_key_filter_pattern.len >= 65535)
						return check_hash_key(g->hash_key_filter_pattern, rpc);
					pfx[0] = (guint8) (g->hash_key_filter_pattern.len >> 8);
					pfx[1] = (guint8) g->hash_key_filter_pattern.len;
					k = g_malloc(2 + g->hash_key_filter_pattern.len);
					memcpy(k, pfx, 2);
					memcpy(k + 2, g->hash_key_filter_pattern.data,
						   g->hash_key_filter_pattern.len);
					c = onebox_bytes_cmp(k, 2 + g->hash_key_filter_pattern.len,
										 g->start_key.data, g->start_key.len);
					g_free(k);
					if (c > 0)
					{
						onebox_violation("%s: hash-key prefix filter moves the start key of a scan on one hash key without full_scan (a real replica aborts)",
										 rpc);
						return FALSE;
					}
				}
				return TRUE;
			}
		default:
			return TRUE;
	}
}

/* ------------------------------------------------------------------------
 * Routing a decoded request
 * ------------------------------------------------------------------------ */

static gboolean
is_read_rpc(PegasusRpc rpc)
{
	return !pegasus_codec_rpc_is_write(rpc) && !pegasus_codec_rpc_is_meta(rpc) &&
		rpc != PEGASUS_RPC_NEGOTIATION;
}

static void
run_handler(OneboxConn *conn, OneboxCall *call)
{
	switch (call->req->rpc)
	{
		case PEGASUS_RPC_GET:
			onebox_replica_get(call);
			break;
		case PEGASUS_RPC_TTL:
			onebox_replica_ttl(call);
			break;
		case PEGASUS_RPC_MULTI_GET:
			onebox_replica_multi_get(call);
			break;
		case PEGASUS_RPC_BATCH_GET:
			onebox_replica_batch_get(call);
			break;
		case PEGASUS_RPC_SORTKEY_COUNT:
			onebox_replica_sortkey_count(call);
			break;
		case PEGASUS_RPC_PUT:
			onebox_replica_put(call);
			break;
		case PEGASUS_RPC_MULTI_PUT:
			onebox_replica_multi_put(call);
			break;
		case PEGASUS_RPC_REMOVE:
			onebox_replica_remove(call);
			break;
		case PEGASUS_RPC_MULTI_REMOVE:
			onebox_replica_multi_remove(call);
			break;
		case PEGASUS_RPC_INCR:
			onebox_replica_incr(call);
			break;
		case PEGASUS_RPC_CHECK_AND_SET:
			onebox_replica_check_and_set(call);
			break;
		case PEGASUS_RPC_CHECK_AND_MUTATE:
			onebox_replica_check_and_mutate(call);
			break;
		case PEGASUS_RPC_GET_SCANNER:
			onebox_replica_get_scanner(call);
			break;
		case PEGASUS_RPC_SCAN:
			onebox_replica_scan(call);
			break;
		case PEGASUS_RPC_CLEAR_SCANNER:
			onebox_replica_clear_scanner(call);
			break;
		default:
			call->send_reply = FALSE;
			send_error(conn, call->req, PEGASUS_EC_HANDLER_NOT_FOUND);
			break;
	}
}

/*
 * Replica gate (protocol 4.14): the gpid must be a partition this endpoint
 * serves as primary (or, for a v1 backup read, as a listed secondary).
 * Returns the partition or NULL after sending the frame error.
 */
static OneboxPartition *
gate_replica(OneboxConn *conn, const PegasusRequest *req)
{
	OneboxEndpoint *ep = conn->ep;
	OneboxTable *t;
	OneboxPartition *part;

	if (req->header.app_id <= 0)
	{
		send_error(conn, req, PEGASUS_EC_HANDLER_NOT_FOUND);
		return NULL;
	}
	t = onebox_table_by_id(req->header.app_id);
	if (t == NULL || t->parts == NULL || req->header.partition_index < 0 ||
		req->header.partition_index >= t->partition_count)
	{
		send_error(conn, req, PEGASUS_EC_OBJECT_NOT_FOUND);
		return NULL;
	}
	part = t->parts[req->header.partition_index];
	/* a child not yet registered has no replica anywhere */
	if (!part->ready)
	{
		send_error(conn, req, PEGASUS_EC_OBJECT_NOT_FOUND);
		return NULL;
	}
	if (part->primary != ep->index)
	{
		int			sec[8];
		int			n = onebox_partition_secondaries(part, sec, 8);
		gboolean	served = FALSE;
		int			i;

		if (req->header.is_backup_request && is_read_rpc(req->rpc))
			for (i = 0; i < n; i++)
				if (sec[i] == ep->index)
					served = TRUE;
		if (!served)
		{
			send_error(conn, req, PEGASUS_EC_OBJECT_NOT_FOUND);
			return NULL;
		}
	}
	if (!onebox_auth_replica_allowed(conn, t))
	{
		send_error(conn, req, PEGASUS_EC_ACL_DENY);
		return NULL;
	}
	if (pegasus_codec_rpc_is_write(req->rpc) &&
		req->header.body_length > ONEBOX_MAX_WRITE_BODY)
	{
		send_error(conn, req, PEGASUS_EC_INVALID_DATA);
		return NULL;
	}
	return part;
}

/*
 * CHECK_REQUEST_IF_SPLITTING (split.c), then the replica's state: a parent
 * in its window (partition_version -1) when the table does not validate
 * hashes, and a registered child not yet active, are not serving primaries
 * and answer ERR_INVALID_STATE.  FALSE after answering the request (or
 * closing the connection on a violation).  A refused clear_scanner is
 * answered too (with RPC_RRDB_RRDB_CLEAR_SCANNER_ACK), as by a real replica;
 * the context it named stays, marked refused.
 */
static gboolean
gate_split(OneboxConn *conn, OneboxCall *call)
{
	const PegasusRequest *req = call->req;
	PegasusErrorCode ec = onebox_split_check(call->part, req->header.partition_hash);

	if (ec == PEGASUS_EC_OK && (!call->part->active || call->part->version < 0))
		ec = PEGASUS_EC_INVALID_STATE;
	if (ec == PEGASUS_EC_OK)
		return TRUE;
	if (ec == PEGASUS_EC_UNKNOWN)
	{
		onebox_violation("%s: header partition_hash 0x%016" G_GINT64_MODIFIER "x selects partition %d of %s under no partition count the table had",
						 pegasus_codec_rpc_name(req->rpc), req->header.partition_hash,
						 call->part->pidx, call->part->table->name);
		onebox_conn_close(conn);
		return FALSE;
	}
	/* a replica answers a clear_scanner it refuses, as any read (1.7) */
	if (req->rpc == PEGASUS_RPC_CLEAR_SCANNER)
		onebox_scanner_clear_refused(call->part, req->u.context_id);
	send_error(conn, req, ec);
	return FALSE;
}

/* The frame being handled, for throttling's delay mode */
static const guint8 *cur_frame;
static gsize cur_frame_len;
static gboolean cur_unthrottled;	/* a delayed request handled again */

/*
 * Throttling by app env (throttle.c), where a replica applies it: writes
 * after the split and state checks, reads (not backup requests) too.
 * FALSE when the request was delayed (it comes back through
 * onebox_dispatch_replay) or rejected with ERR_BUSY (after the reject
 * delay; a clear_scanner too, its context left open and marked refused).
 */
static gboolean
gate_throttle(OneboxConn *conn, OneboxCall *call)
{
	const PegasusRequest *req = call->req;
	OneboxThrottleResult r;
	gint64		delay_ms;

	if (cur_unthrottled)
		return TRUE;
	if (pegasus_codec_rpc_is_write(req->rpc))
		r = onebox_throttle_write(call->part, req->header.client_timeout,
								  req->header.body_length, &delay_ms);
	else if (!req->header.is_backup_request)
		r = onebox_throttle_read(call->part, req->header.client_timeout, &delay_ms);
	else
		r = ONEBOX_THROTTLE_PASS;
	if (r == ONEBOX_THROTTLE_PASS)
		return TRUE;
	if (r == ONEBOX_THROTTLE_DELAY)
		onebox_conn_replay(conn, cur_frame, cur_frame_len, (int) delay_ms);
	else
	{
		if (req->rpc == PEGASUS_RPC_CLEAR_SCANNER)
			onebox_scanner_clear_refused(call->part, req->u.context_id);
		send_error_named_after(conn, req, PEGASUS_EC_BUSY, NULL, (int) delay_ms);
	}
	return FALSE;
}

static void
handle_decoded(OneboxConn *conn, const PegasusRequest *req)
{
	OneboxEndpoint *ep = conn->ep;
	OneboxFault fault;
	OneboxCall	call;
	PegasusResponse reply;

	if (req->header.version == 0 &&
		req->header.thread_hash != pegasus_codec_thread_hash(req->header.app_id,
															 req->header.partition_index))
	{
		onebox_violation("%s on %s port %d: thread_hash %d != app_id %d * 7919 + partition_index %d",
						 pegasus_codec_rpc_name(req->rpc), ep_kind_name(ep), ep->port,
						 req->header.thread_hash, req->header.app_id,
						 req->header.partition_index);
		onebox_conn_close(conn);
		return;
	}
	if (req->type_mismatches > 0)
	{
		onebox_violation("%s on port %d: %u field(s) sent with the wrong thrift type (a real server drops them)",
						 pegasus_codec_rpc_name(req->rpc), ep->port, req->type_mismatches);
		onebox_conn_close(conn);
		return;
	}

	if (take_fault(ep, req->name, &fault))
	{
		if (!fault.noreply)
			send_error_named(conn, req, fault.error, fault.error_name);
		g_free(fault.error_name);
		return;
	}

	memset(&call, 0, sizeof(call));
	memset(&reply, 0, sizeof(reply));
	call.ep = ep;
	call.req = req;
	call.reply = &reply;
	call.send_reply = TRUE;
	reply.rpc = req->rpc;
	reply.seqid = req->seqid;
	reply.frame_error = PEGASUS_EC_OK;

	call.conn = conn;
	if (req->rpc == PEGASUS_RPC_NEGOTIATION)
	{
		/* SASL_AUTH_DISABLE unless --auth (auth.c) */
		if (onebox_auth_negotiate(conn, req, &reply))
			send_reply(conn, &reply);
		onebox_auth_reply_done(&reply);
		return;
	}
	if (pegasus_codec_rpc_is_meta(req->rpc))
	{
		if (ep->kind != ONEBOX_EP_META)
		{
			send_error(conn, req, PEGASUS_EC_HANDLER_NOT_FOUND);
			return;
		}
		call.scratch = g_ptr_array_new_with_free_func(g_free);
		onebox_meta_handle(&call);
		if (call.send_reply)
			send_reply(conn, &reply);
		g_ptr_array_unref(call.scratch);
		return;
	}
	if (ep->kind != ONEBOX_EP_REPLICA)
	{
		send_error(conn, req, PEGASUS_EC_HANDLER_NOT_FOUND);
		return;
	}
	call.part = gate_replica(conn, req);
	if (call.part == NULL)
		return;
	if (!gate_split(conn, &call))
		return;
	if (!gate_throttle(conn, &call))
		return;
	if (!check_replica_request(&call))
	{
		onebox_conn_close(conn);
		return;
	}
	call.scratch = g_ptr_array_new_with_free_func(g_free);
	run_handler(conn, &call);
	if (call.send_reply)
		send_reply(conn, &reply);
	g_ptr_array_unref(call.scratch);
}

/* One complete frame; FALSE if the connection was closed */
static gboolean
handle_frame(OneboxConn *conn, const guint8 *buf, gsize len)
{
	OneboxEndpoint *ep = conn->ep;
	PegasusRequest req;
	PegasusCodecError err;
	PegasusCodecStatus st;

	cur_frame = buf;
	cur_frame_len = len;
	st = pegasus_codec_decode_request(buf, len, 0, &req, &err);
	if (st == PEGASUS_CODEC_OK || st == PEGASUS_CODEC_UNKNOWN_RPC)
	{
		/* a delayed request was counted when it first came */
		if (!cur_unthrottled)
			count_rpc(ep, req.name);
		if (!onebox_auth_admit(conn, &req))
			;					/* mandatory_auth: dropped, conn closed */
		else if (ep->kind == ONEBOX_EP_META && req.header.app_id > 0)
		{
			onebox_violation("%s with app_id %d sent to meta port %d (a real meta server aborts)",
							 printable_name(req.name), req.header.app_id, ep->port);
			onebox_conn_close(conn);
		}
		else if (st == PEGASUS_CODEC_UNKNOWN_RPC)
			send_error(conn, &req, PEGASUS_EC_HANDLER_NOT_FOUND);
		else
			handle_decoded(conn, &req);
	}
	else
	{
		onebox_violation("undecodable request on %s port %d: %s at byte %zu: %s",
						 ep_kind_name(ep), ep->port, pegasus_codec_status_name(st),
						 err.offset, err.msg);
		onebox_conn_close(conn);
	}
	pegasus_codec_request_clear(&req);
	return !conn->dead;
}

void
onebox_dispatch_replay(OneboxConn *conn, const guint8 *frame, gsize len)
{
	if (reply_buf == NULL)
		reply_buf = g_byte_array_sized_new(4096);
	cur_unthrottled = TRUE;
	handle_frame(conn, frame, len);
	cur_unthrottled = FALSE;
}

gboolean
onebox_dispatch_input(OneboxConn *conn)
{
	gsize		off = 0;
	gboolean	alive = TRUE;

	if (reply_buf == NULL)
		reply_buf = g_byte_array_sized_new(4096);


	while (off < conn->in->len && !conn->close_after_flush)
	{
		gsize		frame_len = 0;
		PegasusCodecError err;
		PegasusCodecStatus st;

		/* back-pressure: leave the rest until the output drained */
		if (conn->out->len - conn->out_off >= ONEBOX_MAX_OUTPUT)
			break;
		st = pegasus_codec_request_frame_check(conn->in->data + off, conn->in->len - off,
											   ONEBOX_MAX_FRAME, &frame_len, &err);
		if (st == PEGASUS_CODEC_INCOMPLETE)
			break;
		if (st != PEGASUS_CODEC_OK)
		{
			onebox_violation("bad frame on %s port %d: %s: %s", ep_kind_name(conn->ep),
							 conn->ep->port, pegasus_codec_status_name(st), err.msg);
			onebox_conn_close(conn);
			return FALSE;
		}
		if (!handle_frame(conn, conn->in->data + off, frame_len))
			return FALSE;
		off += frame_len;
	}
	if (off > 0)
		g_byte_array_remove_range(conn->in, 0, (guint) off);
	return alive;
}
