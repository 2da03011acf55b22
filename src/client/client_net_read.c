/*-------------------------------------------------------------------------
 *
 * client_net_read.c
 *		Reading a connection: replies read in buffer-sized recvs, cut into
 *		frames and matched to their requests by seqid.
 *
 * The connections and the writing of requests are client_net.c's, the
 * waiting that drives both client_net_wait.c's.
 *
 * src/client/client_net_read.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "client_internal.h"
#include "client_conn.h"

/* ----------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------- */

/* Whether seqid was given to some request sent on this connection. */
static bool
seqid_was_issued(const PegasusConn *conn, int32_t seqid)
{
	if (seqid <= 0)
		return false;
	return conn->seqid_wrapped || seqid < conn->next_seqid;
}

/* Handles one complete reply frame; false = protocol error (conn closed). */
static bool
conn_dispatch(PegasusConn *conn, const guint8 *data, size_t len)
{
	PegasusReply *reply;
	PegasusCodecError cerr;
	PegasusCodecStatus st;
	PegasusNetRequest *nreq;
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];
	guint8	   *copy = g_try_malloc(len);

	/* the size came off the wire (capped): do not let g_malloc abort */
	if (copy == NULL)
	{
		pegasus_conn_close(conn, PEGASUS_ERR_NO_MEMORY,
						   "Out of memory while reading a reply.");
		return false;
	}
	memcpy(copy, data, len);
	reply = g_new0(PegasusReply, 1);
	reply->frame = g_bytes_new_take(copy, len);
	data = copy;
	st = pegasus_codec_decode_response(data, len, 0, &reply->resp, &cerr);
	nreq = g_hash_table_lookup(conn->pending, GINT_TO_POINTER(reply->resp.seqid));
	if (st == PEGASUS_CODEC_UNKNOWN_RPC && nreq == NULL)
	{
		/* well-formed frame nobody waits for: ignore it */
		pegasus_reply_free(reply);
		return true;
	}
	if (st != PEGASUS_CODEC_OK)
	{
		pegasus_reply_free(reply);
		snprintf(msg, sizeof(msg),
				 "Pegasus server %s sent a malformed reply: %s.",
				 conn->endpoint, cerr.msg);
		pegasus_conn_close(conn, PEGASUS_ERR_PROTOCOL, msg);
		return false;
	}
	if (nreq == NULL && !seqid_was_issued(conn, reply->resp.seqid))
	{
		/*
		 * Not a late reply: no request ever had this seqid, so the stream
		 * cannot be matched to its requests any more.
		 */
		snprintf(msg, sizeof(msg),
				 "Pegasus server %s sent a reply with seqid %d, which no request on the connection had.",
				 conn->endpoint, (int) reply->resp.seqid);
		pegasus_reply_free(reply);
		pegasus_conn_close(conn, PEGASUS_ERR_PROTOCOL, msg);
		return false;
	}
	if (nreq == NULL || nreq->state != PEGASUS_NET_SENT)
	{
		/* late reply, or an unsolicited clear_scanner error */
		pegasus_reply_free(reply);
		return true;
	}
	if (reply->resp.rpc != nreq->rpc)
	{
		pegasus_reply_free(reply);
		snprintf(msg, sizeof(msg),
				 "Pegasus server %s answered %s with a reply for %s.",
				 conn->endpoint, pegasus_codec_rpc_name(nreq->rpc),
				 pegasus_codec_rpc_name(reply->resp.rpc));
		pegasus_conn_close(conn, PEGASUS_ERR_PROTOCOL, msg);
		return false;
	}
	if (nreq == conn->nego_req)
		return pegasus_conn_negotiation_reply(conn, reply);
	g_hash_table_remove(conn->pending, GINT_TO_POINTER(nreq->seqid));
	if (nreq->clear_on_reply)
	{
		/* nobody wants these rows; release the context they came with */
		if (reply->resp.frame_error == PEGASUS_EC_OK && reply->resp.has_body &&
			reply->resp.u.scan.error == 0 && reply->resp.u.scan.context_id != -1)
			pegasus_net_clear_scanner(conn->client, conn->endpoint,
									  &nreq->header,
									  reply->resp.u.scan.context_id);
		pegasus_reply_free(reply);
		g_bytes_unref(nreq->frame);
		g_free(nreq);
		return true;
	}
	nreq->reply = reply;
	nreq->state = PEGASUS_NET_DONE;
	nreq->conn = NULL;
	return true;
}

/* Reads what is available and dispatches complete frames. */
void
pegasus_conn_read(PegasusConn *conn)
{
	size_t		max_frame = conn->client->opts.max_frame_size;

	for (;;)
	{
		ssize_t		r;
		size_t		off = 0;
		size_t		room;

		if (conn->rcap - conn->rlen < READ_CHUNK / 4)
		{
			size_t		ncap = MAX(conn->rcap * 2, (size_t) READ_CHUNK);
			guint8	   *nbuf = g_try_realloc(conn->rbuf, ncap);

			if (nbuf == NULL)
			{
				pegasus_conn_close(conn, PEGASUS_ERR_NO_MEMORY,
								   "Out of memory while reading a reply.");
				return;
			}
			conn->rbuf = nbuf;
			conn->rcap = ncap;
		}
		room = conn->rcap - conn->rlen;
		r = recv(conn->fd, conn->rbuf + conn->rlen, room, MSG_DONTWAIT);
		if (r == 0)
		{
			pegasus_conn_close(conn, PEGASUS_ERR_IO,
							   "The connection was closed by the server.");
			return;
		}
		if (r < 0)
		{
			char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			snprintf(msg, sizeof(msg), "Connection to %s was lost: %s.",
					 conn->endpoint, g_strerror(errno));
			pegasus_conn_close(conn, PEGASUS_ERR_IO, msg);
			return;
		}
		conn->client->stats.bytes_received += r;
		conn->rlen += r;

		/* dispatch every complete frame */
		for (;;)
		{
			gsize		flen = 0;
			PegasusCodecError cerr;
			PegasusCodecStatus st;

			st = pegasus_codec_response_frame_check(conn->rbuf + off,
													conn->rlen - off,
													max_frame, &flen, &cerr);
			if (st == PEGASUS_CODEC_INCOMPLETE)
			{
				/* make room for a large frame before the next recv */
				if (flen > conn->rcap)
				{
					guint8	   *nbuf;

					memmove(conn->rbuf, conn->rbuf + off, conn->rlen - off);
					conn->rlen -= off;
					off = 0;
					nbuf = g_try_realloc(conn->rbuf, flen);
					if (nbuf == NULL)
					{
						pegasus_conn_close(conn, PEGASUS_ERR_NO_MEMORY,
										   "Out of memory while reading a reply.");
						return;
					}
					conn->rbuf = nbuf;
					conn->rcap = flen;
				}
				break;
			}
			if (st != PEGASUS_CODEC_OK)
			{
				char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

				snprintf(msg, sizeof(msg),
						 "Pegasus server %s sent an invalid frame: %s.",
						 conn->endpoint, cerr.msg);
				pegasus_conn_close(conn, PEGASUS_ERR_PROTOCOL, msg);
				return;
			}
			if (!conn_dispatch(conn, conn->rbuf + off, flen))
				return;
			off += flen;
		}
		if (off > 0)
		{
			memmove(conn->rbuf, conn->rbuf + off, conn->rlen - off);
			conn->rlen -= off;
		}

		/*
		 * A read that did not fill the room emptied the socket: do not ask
		 * again just to be told EAGAIN (the next poll says when more came).
		 */
		if ((size_t) r < room)
			return;
	}
}
