/*-------------------------------------------------------------------------
 *
 * client_net.c
 *		Connections: non-blocking sockets, pipelined requests matched by
 *		seqid, and waiting through the embedder's hook.
 *
 * One connection per endpoint, shared by every table.  Requests are queued
 * in write order and registered by seqid; replies may come in any order.
 * The queue is written when a caller waits, every request queued since the
 * last wait in one sendmsg, and replies are read in buffer-sized recvs, so
 * a batch of requests costs a few system calls rather than a few each.
 * A reply whose seqid is not pending (caller gave up, clear_scanner error)
 * is dropped; a seqid never issued on the connection is a protocol error.
 * Any protocol error, read error or EOF closes the connection and fails
 * everything pending on it; the stream is never resynchronised.
 * A closed connection is re-made on next use.
 *
 * With Kerberos on (client->auth), a new connection first negotiates
 * (client_auth.c): its negotiation request goes first, the other requests
 * wait in the queue and are written once it succeeds; a failure, the
 * server closing the connection meanwhile or the negotiation deadline
 * fails them all with PEGASUS_ERR_AUTH.  While the negotiation waits for
 * the KDC (a service ticket), the KDC job's fd is polled with the sockets.
 * Credentials are obtained before the connect, waiting for the KDC through
 * the hook alone (pegasus_net_wait_fd).
 *
 * This file holds the connections, their negotiation and the writing of
 * requests; the reading of replies is in client_net_read.c, the waiting in
 * client_net_wait.c, the connection itself in client_conn.h.
 *
 * src/client/client_net.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client_internal.h"
#include "client_conn.h"

/*
 * Retired connections.  Closing a connection loses the replies it still
 * owes, and with them the scan contexts that abandoned get_scanner / scan
 * requests opened on the server.  So a connection the client closes
 * (pegasus_net_close_all) that owes such replies, its stream in step, is
 * set aside instead of closed: new requests go to a new connection to the
 * endpoint, while the retired one is still read whenever the client waits
 * (or drains) and the contexts its replies name are cleared.  It is closed
 * once it owes nothing, after RETIRED_MAX_MS, or when more than
 * RETIRED_MAX are kept (the oldest goes).
 */
#define RETIRED_MAX_MS 30000
#define RETIRED_MAX 8

void
pegasus_reply_free(PegasusReply *reply)
{
	if (reply == NULL)
		return;
	pegasus_codec_response_clear(&reply->resp);
	g_bytes_unref(reply->frame);
	g_free(reply);
}

/* ----------------------------------------------------------------------
 * Connection lifecycle
 * ---------------------------------------------------------------------- */

PegasusConn *
pegasus_conn_get(PegasusClient *client, const char *endpoint)
{
	PegasusConn *conn = g_hash_table_lookup(client->conns, endpoint);

	if (conn != NULL)
		return conn;
	conn = g_new0(PegasusConn, 1);
	conn->client = client;
	g_strlcpy(conn->endpoint, endpoint, sizeof(conn->endpoint));
	conn->fd = -1;
	conn->state = CONN_IDLE;
	conn->next_seqid = 1;
	g_queue_init(&conn->outq);
	conn->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_insert(client->conns, conn->endpoint, conn);
	return conn;
}

const char *
pegasus_conn_endpoint(const PegasusConn *conn)
{
	return conn->endpoint;
}

static void
request_fail(PegasusNetRequest *nreq, PegasusErrorKind kind, const char *msg)
{
	nreq->state = PEGASUS_NET_FAILED;
	nreq->fail_kind = kind;
	g_strlcpy(nreq->fail_msg, msg, sizeof(nreq->fail_msg));
	nreq->conn = NULL;
}

/* Drops the negotiation state and its request (owned by the connection) */
static void
negotiation_clear(PegasusConn *conn)
{
	PegasusNetRequest *nreq = conn->nego_req;

	if (nreq != NULL)
	{
		g_queue_remove(&conn->outq, nreq);
		g_hash_table_remove(conn->pending, GINT_TO_POINTER(nreq->seqid));
		g_bytes_unref(nreq->frame);
		g_free(nreq);
		conn->nego_req = NULL;
	}
	pegasus_negotiation_free(conn->nego);
	conn->nego = NULL;
	conn->nego_kdc = false;
}

/*
 * Closes the socket and fails every request queued or pending on it with
 * kind/msg.  Orphaned and one-way requests are freed.  The connection
 * object stays (state IDLE) and reconnects on next use.
 */
void
pegasus_conn_close(PegasusConn *conn, PegasusErrorKind kind, const char *msg)
{
	GHashTableIter it;
	gpointer	value;
	PegasusNetRequest *nreq;
	char		nego_msg[PEGASUS_ERROR_MESSAGE_SIZE];

	if (conn->state == CONN_NEGOTIATING && kind == PEGASUS_ERR_IO)
	{
		/*
		 * A close is how a server rejects a negotiation, but also what a
		 * reset or a restarting server looks like: the first one is a
		 * connection failure (the requests queued behind the negotiation
		 * were never sent, and are retried on a new connection); a second
		 * in a row, with no negotiation finished between, is a rejection.
		 */
		if (conn->nego_closed)
		{
			snprintf(nego_msg, sizeof(nego_msg),
					 "Pegasus server %s closed the connection during negotiation.",
					 conn->endpoint);
			kind = PEGASUS_ERR_AUTH;
			msg = nego_msg;
		}
		conn->nego_closed = true;
	}
	negotiation_clear(conn);
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	conn->state = CONN_IDLE;
	conn->rlen = 0;

	/* requests still queued: failed; free the ones nobody waits for */
	while ((nreq = g_queue_pop_head(&conn->outq)) != NULL)
	{
		g_hash_table_remove(conn->pending, GINT_TO_POINTER(nreq->seqid));
		if (nreq->oneway || nreq->orphan || nreq->clear_on_reply)
		{
			g_bytes_unref(nreq->frame);
			g_free(nreq);
		}
		else
			request_fail(nreq, kind, msg);
	}
	g_hash_table_iter_init(&it, conn->pending);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		nreq = value;
		if (nreq->clear_on_reply)
		{
			/* the server drops contexts of a closed session eventually */
			g_bytes_unref(nreq->frame);
			g_free(nreq);
		}
		else
			request_fail(nreq, kind, msg);
	}
	g_hash_table_remove_all(conn->pending);
}

void
pegasus_conn_free(PegasusConn *conn)
{
	pegasus_conn_close(conn, PEGASUS_ERR_IO, "The client was closed.");
	g_hash_table_destroy(conn->pending);
	g_free(conn->rbuf);
	g_free(conn);
}

/* Abandoned scan requests that still wait for their replies on conn. */
int
pegasus_conn_owed_clears(PegasusConn *conn)
{
	GHashTableIter it;
	gpointer	value;
	int			n = 0;

	g_hash_table_iter_init(&it, conn->pending);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((PegasusNetRequest *) value)->clear_on_reply)
			n++;
	return n;
}

/*
 * Moves conn's socket and its abandoned scan requests to a retired
 * connection (see RETIRED_MAX_MS); conn is left without them, to be closed.
 */
static void
conn_retire(PegasusConn *conn)
{
	PegasusClient *client = conn->client;
	PegasusConn *r = g_new0(PegasusConn, 1);
	GHashTableIter it;
	gpointer	value;

	r->client = client;
	g_strlcpy(r->endpoint, conn->endpoint, sizeof(r->endpoint));
	r->fd = conn->fd;
	r->state = CONN_READY;
	r->next_seqid = conn->next_seqid;
	r->seqid_wrapped = conn->seqid_wrapped;
	g_queue_init(&r->outq);
	r->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
	r->retired_until = pegasus_now_us() + (int64_t) RETIRED_MAX_MS * 1000;
	g_hash_table_iter_init(&it, conn->pending);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusNetRequest *nreq = value;

		if (!nreq->clear_on_reply || nreq->state != PEGASUS_NET_SENT)
			continue;
		nreq->conn = r;
		g_hash_table_insert(r->pending, GINT_TO_POINTER(nreq->seqid), nreq);
		g_hash_table_iter_remove(&it);
	}
	conn->fd = -1;				/* the socket is the retired one's now */
	client->retired = g_list_append(client->retired, r);
	if (g_list_length(client->retired) > RETIRED_MAX)
	{
		PegasusConn *oldest = client->retired->data;

		client->retired = g_list_remove(client->retired, oldest);
		pegasus_conn_free(oldest);
	}
}

/*
 * Closes every connection of the client; one that owes replies to
 * abandoned scan requests, its stream in step, is retired instead.
 */
void
pegasus_net_close_all(PegasusClient *client)
{
	GHashTableIter it;
	gpointer	value;

	g_hash_table_iter_init(&it, client->conns);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusConn *conn = value;

		if (conn->state == CONN_READY && conn->rlen == 0 &&
			pegasus_conn_owed_clears(conn) > 0)
			conn_retire(conn);
		pegasus_conn_close(conn, PEGASUS_ERR_IO,
						   "The connection was closed by the client.");
	}
}

/* Frees the retired connections that owe nothing more or whose time is up. */
void
pegasus_net_retired_expire(PegasusClient *client, int64_t now)
{
	GList	   *l = client->retired;

	while (l != NULL)
	{
		GList	   *next = l->next;
		PegasusConn *r = l->data;

		if (r->state != CONN_READY || now >= r->retired_until ||
			g_hash_table_size(r->pending) == 0)
		{
			client->retired = g_list_delete_link(client->retired, l);
			pegasus_conn_free(r);
		}
		l = next;
	}
}

/* Frees every retired connection (the client is being freed). */
void
pegasus_net_free_retired(PegasusClient *client)
{
	g_list_free_full(client->retired, (GDestroyNotify) pegasus_conn_free);
	client->retired = NULL;
}

static bool
resolve_endpoint(const char *endpoint, struct sockaddr_storage *addr,
				 socklen_t *addrlen)
{
	char		host[PEGASUS_ENDPOINT_LEN];
	const char *colon = strrchr(endpoint, ':');
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	bool		ok;

	if (colon == NULL || colon == endpoint ||
		(size_t) (colon - endpoint) >= sizeof(host))
		return false;
	memcpy(host, endpoint, colon - endpoint);
	host[colon - endpoint] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		return false;
	ok = res->ai_addrlen <= sizeof(*addr);
	if (ok)
	{
		memcpy(addr, res->ai_addr, res->ai_addrlen);
		*addrlen = res->ai_addrlen;
	}
	freeaddrinfo(res);
	return ok;
}

/*
 * Starts a non-blocking connect.  false with *kind and msg filled on
 * failure (credentials that cannot be had are PEGASUS_ERR_AUTH).
 */
static bool
conn_connect(PegasusConn *conn, PegasusErrorKind *kind, char *msg, size_t msglen)
{
	struct sockaddr_storage addr;
	socklen_t	addrlen = 0;
	int			fd;
	int			one = 1;

	*kind = PEGASUS_ERR_CONNECT;
	if (conn->client->auth != NULL &&
		!pegasus_auth_prepare(conn->client, kind, msg, msglen))
		return false;
	if (!resolve_endpoint(conn->endpoint, &addr, &addrlen))
	{
		snprintf(msg, msglen, "Could not resolve Pegasus endpoint %s.",
				 conn->endpoint);
		return false;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		snprintf(msg, msglen, "Could not create a socket: %s.",
				 g_strerror(errno));
		return false;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn->client->stats.connects++;
	if (connect(fd, (struct sockaddr *) &addr, addrlen) == 0)
		conn->state = CONN_READY;
	else if (errno == EINPROGRESS)
	{
		conn->state = CONN_CONNECTING;
		conn->connect_deadline = pegasus_now_us() +
			(int64_t) conn->client->opts.connect_timeout_ms * 1000;
	}
	else
	{
		int			e = errno;

		close(fd);
		if (e == ECONNREFUSED)
			snprintf(msg, msglen, "Connection to %s was refused.",
					 conn->endpoint);
		else
			snprintf(msg, msglen, "Could not connect to %s: %s.",
					 conn->endpoint, g_strerror(e));
		return false;
	}
	conn->fd = fd;
	conn->next_seqid = 1;
	conn->seqid_wrapped = false;
	conn->rlen = 0;
	if (conn->state == CONN_READY)
		pegasus_conn_established(conn);
	return true;
}

/*
 * For an idle READY connection, notices a peer close before we write a new
 * request on it, so that a request is not lost to a connection that was
 * already dead (which would make its outcome unknown).
 */
static void
conn_check_idle(PegasusConn *conn)
{
	guint8		b;
	ssize_t		r;

	if (conn->state != CONN_READY || g_hash_table_size(conn->pending) > 0 ||
		conn->rlen > 0)
		return;
	r = recv(conn->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR))
		pegasus_conn_close(conn, PEGASUS_ERR_IO,
						   "The connection was closed by the server.");
}

/* ----------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

/* frames gathered into one sendmsg */
#define FLUSH_IOV 64

/*
 * Writes as much of the queue as the socket takes, several frames per
 * sendmsg (one system call for every request queued since the last
 * flush).  false = conn closed.
 */
bool
pegasus_conn_flush(PegasusConn *conn)
{
	PegasusNetRequest *head;

	if (conn->state != CONN_READY && conn->state != CONN_NEGOTIATING)
		return true;
	/* while negotiating, only the negotiation request goes out */
	while ((head = g_queue_peek_head(&conn->outq)) != NULL &&
		   (conn->state == CONN_READY || head == conn->nego_req))
	{
		struct iovec iov[FLUSH_IOV];
		struct msghdr mh;
		GList	   *l;
		int			niov = 0;
		ssize_t		w;

		for (l = conn->outq.head;
			 l != NULL && niov < (conn->state == CONN_READY ? FLUSH_IOV : 1);
			 l = l->next)
		{
			PegasusNetRequest *nreq = l->data;
			gsize		size;
			const guint8 *data = g_bytes_get_data(nreq->frame, &size);

			iov[niov].iov_base = (void *) (data + nreq->written);
			iov[niov].iov_len = size - nreq->written;
			niov++;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = niov;
		w = sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
		{
			char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return true;
			snprintf(msg, sizeof(msg), "Could not send to %s: %s.",
					 conn->endpoint, g_strerror(errno));
			pegasus_conn_close(conn, PEGASUS_ERR_IO, msg);
			return false;
		}
		conn->client->stats.bytes_sent += w;
		/* retire the frames written whole; note the partial one */
		while (w > 0)
		{
			PegasusNetRequest *nreq = g_queue_peek_head(&conn->outq);
			gsize		left = g_bytes_get_size(nreq->frame) - nreq->written;

			if ((size_t) w < left)
			{
				nreq->written += w;
				return true;	/* the socket is full */
			}
			w -= left;
			nreq->written += left;
			g_queue_pop_head(&conn->outq);
			if (nreq->oneway || nreq->orphan)
			{
				g_hash_table_remove(conn->pending, GINT_TO_POINTER(nreq->seqid));
				g_bytes_unref(nreq->frame);
				g_free(nreq);
			}
			else
				nreq->state = PEGASUS_NET_SENT;
		}
	}
	return true;
}

/*
 * Encodes req (its header's seqid is assigned here) and queues it on the
 * connection to endpoint; it is written at the next wait (a oneway request
 * at once).  Returns
 * the request to wait on (for oneway requests NULL: the connection owns
 * them).  Encoding failures return NULL with err set; connection failures
 * return a request already in state FAILED.
 */
PegasusNetRequest *
pegasus_net_send(PegasusClient *client, const char *endpoint,
				 PegasusRequest *req, bool oneway, PegasusError *err)
{
	PegasusConn *conn = pegasus_conn_get(client, endpoint);
	PegasusNetRequest *nreq;
	PegasusCodecError cerr;
	PegasusErrorKind kind;
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

	conn_check_idle(conn);
	if (conn->state == CONN_IDLE && !conn_connect(conn, &kind, msg, sizeof(msg)))
	{
		if (oneway)
			return NULL;
		nreq = g_new0(PegasusNetRequest, 1);
		nreq->rpc = req->rpc;
		nreq->scan_context = -1;
		g_strlcpy(nreq->endpoint, endpoint, sizeof(nreq->endpoint));
		request_fail(nreq, kind, msg);
		return nreq;
	}

	req->seqid = conn->next_seqid++;
	if (conn->next_seqid == INT32_MAX)
	{
		conn->next_seqid = 1;
		conn->seqid_wrapped = true;
	}
	g_byte_array_set_size(client->scratch, 0);
	if (pegasus_codec_encode_request(client->encoder, req, 0, client->scratch,
									 &cerr) != PEGASUS_CODEC_OK)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, NULL,
						  "Could not encode the request: %s.", cerr.msg);
		return NULL;
	}

	nreq = g_new0(PegasusNetRequest, 1);
	nreq->client = client;
	nreq->conn = conn;
	nreq->rpc = req->rpc;
	nreq->seqid = req->seqid;
	nreq->oneway = oneway;
	nreq->frame = g_bytes_new(client->scratch->data, client->scratch->len);
	nreq->state = PEGASUS_NET_QUEUED;
	nreq->header = req->header;
	nreq->scan_context = req->rpc == PEGASUS_RPC_SCAN ?
		req->u.scan.context_id : -1;
	g_strlcpy(nreq->endpoint, endpoint, sizeof(nreq->endpoint));
	g_queue_push_tail(&conn->outq, nreq);
	if (!oneway)
		g_hash_table_insert(conn->pending, GINT_TO_POINTER(nreq->seqid), nreq);
	client->stats.rpcs_sent++;
	/*
	 * A request with a reply is written when its caller waits, together with
	 * the others queued by then; one nobody waits for is written now.
	 */
	if (oneway)
		pegasus_conn_flush(conn);
	return oneway ? NULL : nreq;
}

/*
 * Writes what every connection has queued, without waiting: for a caller
 * that queued requests and has other work before it waits.
 */
void
pegasus_net_flush(PegasusClient *client)
{
	GHashTableIter it;
	gpointer	value;

	g_hash_table_iter_init(&it, client->conns);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusConn *conn = value;

		if (!g_queue_is_empty(&conn->outq))
			(void) pegasus_conn_flush(conn);
	}
}

/*
 * Releases a request.  If it is still attached to a connection it is
 * detached: an unwritten request is dropped from the queue, a partly
 * written one is finished (then freed by the connection), and a late reply
 * will be discarded by seqid.
 */
void
pegasus_net_request_free(PegasusNetRequest *nreq)
{
	PegasusConn *conn;

	if (nreq == NULL)
		return;
	conn = nreq->conn;
	if (conn != NULL)
	{
		g_hash_table_remove(conn->pending, GINT_TO_POINTER(nreq->seqid));
		if (nreq->state == PEGASUS_NET_QUEUED)
		{
			if (nreq->written == 0)
				g_queue_remove(&conn->outq, nreq);
			else
			{
				nreq->orphan = true;
				return;
			}
		}
	}
	pegasus_reply_free(nreq->reply);
	if (nreq->frame)
		g_bytes_unref(nreq->frame);
	g_free(nreq);
}

/*
 * Called when a request's deadline passed.  If its connection stopped in
 * the middle of a reply frame, the stream cannot be trusted any more:
 * close it (the next use reconnects).
 */
void
pegasus_net_request_timed_out(PegasusNetRequest *nreq)
{
	PegasusConn *conn = nreq ? nreq->conn : NULL;

	if (conn != NULL && conn->rlen > 0)
		pegasus_conn_close(conn, PEGASUS_ERR_TIMEOUT,
						   "The connection stalled in the middle of a reply.");
}

/*
 * Releases a get_scanner / scan request whose reply is no longer wanted.
 * If it is in flight, it stays registered so that the server context its
 * reply creates can be cleared when the reply arrives.
 */
void
pegasus_net_request_abandon_scan(PegasusNetRequest *nreq)
{
	if (nreq == NULL)
		return;
	if (nreq->conn != NULL &&
		(nreq->state == PEGASUS_NET_SENT ||
		 (nreq->state == PEGASUS_NET_QUEUED && nreq->written > 0)))
	{
		nreq->clear_on_reply = true;
		return;
	}
	if (nreq->conn != NULL && nreq->state == PEGASUS_NET_QUEUED &&
		nreq->scan_context != -1)
	{
		/* never written: the context it would have read is still live */
		PegasusClient *client = nreq->client;
		PegasusRequestHeader header = nreq->header;
		int64_t		context = nreq->scan_context;
		char		endpoint[PEGASUS_ENDPOINT_LEN];

		g_strlcpy(endpoint, nreq->endpoint, sizeof(endpoint));
		pegasus_net_request_free(nreq);
		pegasus_net_clear_scanner(client, endpoint, &header, context);
		return;
	}
	if (nreq->state == PEGASUS_NET_DONE && nreq->reply != NULL)
	{
		PegasusResponse *resp = &nreq->reply->resp;

		if (resp->frame_error == PEGASUS_EC_OK && resp->has_body &&
			resp->u.scan.error == 0 && resp->u.scan.context_id != -1)
			pegasus_net_clear_scanner(nreq->client, nreq->endpoint, &nreq->header,
									  resp->u.scan.context_id);
	}
	pegasus_net_request_free(nreq);
}

/*
 * Sends clear_scanner(context_id) fire-and-forget, with the header of the
 * scan that created the context.
 */
void
pegasus_net_clear_scanner(PegasusClient *client, const char *endpoint,
						  const PegasusRequestHeader *header,
						  int64_t context_id)
{
	PegasusRequest req;
	PegasusError err;

	if (client == NULL)
		return;
	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_CLEAR_SCANNER;
	req.header = *header;
	req.u.context_id = context_id;
	(void) pegasus_net_send(client, endpoint, &req, true, &err);
}

/* ----------------------------------------------------------------------
 * Negotiation (client_auth.c does the SASL part)
 * ---------------------------------------------------------------------- */

/* Queues a negotiation request ahead of everything else. */
static void
negotiation_send(PegasusConn *conn, PegasusRequest *req)
{
	PegasusClient *client = conn->client;
	PegasusNetRequest *nreq;
	PegasusCodecError cerr;

	pegasus_codec_header_init(&req->header, 0, 0,
							  client->opts.negotiation_timeout_ms, 0);
	req->seqid = conn->next_seqid++;
	g_byte_array_set_size(client->scratch, 0);
	if (pegasus_codec_encode_request(client->encoder, req, 0, client->scratch,
									 &cerr) != PEGASUS_CODEC_OK)
	{
		char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

		snprintf(msg, sizeof(msg), "Could not encode a negotiation request: %s.",
				 cerr.msg);
		pegasus_conn_close(conn, PEGASUS_ERR_AUTH, msg);
		return;
	}
	nreq = g_new0(PegasusNetRequest, 1);
	nreq->client = client;
	nreq->conn = conn;
	nreq->rpc = PEGASUS_RPC_NEGOTIATION;
	nreq->seqid = req->seqid;
	nreq->frame = g_bytes_new(client->scratch->data, client->scratch->len);
	nreq->state = PEGASUS_NET_QUEUED;
	g_strlcpy(nreq->endpoint, conn->endpoint, sizeof(nreq->endpoint));
	conn->nego_req = nreq;
	g_queue_push_head(&conn->outq, nreq);
	g_hash_table_insert(conn->pending, GINT_TO_POINTER(nreq->seqid), nreq);
	client->stats.rpcs_sent++;
}

/* The socket is connected: negotiate first when Kerberos is on. */
void
pegasus_conn_established(PegasusConn *conn)
{
	PegasusRequest req;

	if (conn->client->auth == NULL)
		return;
	conn->state = CONN_NEGOTIATING;
	conn->nego_deadline = pegasus_now_us() +
		(int64_t) conn->client->opts.negotiation_timeout_ms * 1000;
	conn->nego = pegasus_negotiation_new(conn->client, conn->endpoint, &req);
	negotiation_send(conn, &req);
}

/* Acts on a negotiation step's result; false when the connection closed. */
static bool
negotiation_next(PegasusConn *conn, PegasusNegotiationResult r,
				 PegasusRequest *next, const char *msg)
{
	conn->nego_kdc = false;
	switch (r)
	{
		case PEGASUS_NEGOTIATION_SEND:
			negotiation_send(conn, next);
			return conn->state == CONN_NEGOTIATING && pegasus_conn_flush(conn);
		case PEGASUS_NEGOTIATION_WAIT:
			/* net_poll_once polls the KDC job and resumes */
			conn->nego_kdc = true;
			return true;
		case PEGASUS_NEGOTIATION_DONE:
			conn->nego_closed = false;
			negotiation_clear(conn);
			conn->state = CONN_READY;
			return pegasus_conn_flush(conn);
		case PEGASUS_NEGOTIATION_FAILED:
			break;
	}
	pegasus_conn_close(conn, PEGASUS_ERR_AUTH, msg);
	return false;
}

/* A reply to the negotiation request; false when the connection closed. */
bool
pegasus_conn_negotiation_reply(PegasusConn *conn, PegasusReply *reply)
{
	PegasusRequest next;
	PegasusNegotiationResult r;
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

	g_hash_table_remove(conn->pending, GINT_TO_POINTER(conn->nego_req->seqid));
	g_bytes_unref(conn->nego_req->frame);
	g_free(conn->nego_req);
	conn->nego_req = NULL;
	r = pegasus_negotiation_step(conn->nego, &reply->resp, &next, msg, sizeof(msg));
	pegasus_reply_free(reply);
	return negotiation_next(conn, r, &next, msg);
}

/* The KDC job the negotiation waits for has signalled. */
void
pegasus_conn_negotiation_resume(PegasusConn *conn)
{
	PegasusRequest next;
	PegasusNegotiationResult r;
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

	r = pegasus_negotiation_resume(conn->nego, &next, msg, sizeof(msg));
	(void) negotiation_next(conn, r, &next, msg);
}
