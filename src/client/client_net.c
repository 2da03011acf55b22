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

#define READ_CHUNK (256 * 1024)

typedef enum PegasusConnState
{
	CONN_IDLE,					/* no socket */
	CONN_CONNECTING,
	CONN_NEGOTIATING,			/* only nego_req may be written */
	CONN_READY
} PegasusConnState;

struct PegasusConn
{
	PegasusClient *client;
	char		endpoint[PEGASUS_ENDPOINT_LEN];
	int			fd;
	PegasusConnState state;
	int64_t		connect_deadline;
	int32_t		next_seqid;
	bool		seqid_wrapped;	/* every positive seqid may be in use */
	GQueue		outq;			/* PegasusNetRequest * in write order */
	GHashTable *pending;		/* seqid -> PegasusNetRequest * */
	guint8	   *rbuf;			/* bytes read, not yet a whole frame */
	size_t		rlen;
	size_t		rcap;
	PegasusAuthSession *nego;	/* CONN_NEGOTIATING */
	PegasusNetRequest *nego_req;	/* its request in flight */
	bool		nego_kdc;		/* instead, waiting for the KDC */
	bool		nego_closed;	/* the last negotiation ended in a close */
	int64_t		nego_deadline;
	int64_t		retired_until;	/* retired: closed at this time */
};

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

int64_t
pegasus_now_us(void)
{
	return g_get_monotonic_time();
}

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
static int
conn_owed_clears(PegasusConn *conn)
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
			conn_owed_clears(conn) > 0)
			conn_retire(conn);
		pegasus_conn_close(conn, PEGASUS_ERR_IO,
						   "The connection was closed by the client.");
	}
}

/* Frees the retired connections that owe nothing more or whose time is up. */
static void
retired_expire(PegasusClient *client, int64_t now)
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

static void conn_established(PegasusConn *conn);

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
		conn_established(conn);
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
static bool
conn_flush(PegasusConn *conn)
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
		conn_flush(conn);
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
			(void) conn_flush(conn);
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
static void
conn_established(PegasusConn *conn)
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
			return conn->state == CONN_NEGOTIATING && conn_flush(conn);
		case PEGASUS_NEGOTIATION_WAIT:
			/* net_poll_once polls the KDC job and resumes */
			conn->nego_kdc = true;
			return true;
		case PEGASUS_NEGOTIATION_DONE:
			conn->nego_closed = false;
			negotiation_clear(conn);
			conn->state = CONN_READY;
			return conn_flush(conn);
		case PEGASUS_NEGOTIATION_FAILED:
			break;
	}
	pegasus_conn_close(conn, PEGASUS_ERR_AUTH, msg);
	return false;
}

/* A reply to the negotiation request; false when the connection closed. */
static bool
negotiation_reply(PegasusConn *conn, PegasusReply *reply)
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
static void
negotiation_resume(PegasusConn *conn)
{
	PegasusRequest next;
	PegasusNegotiationResult r;
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

	r = pegasus_negotiation_resume(conn->nego, &next, msg, sizeof(msg));
	(void) negotiation_next(conn, r, &next, msg);
}

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
		return negotiation_reply(conn, reply);
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
static void
conn_read(PegasusConn *conn)
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

/* ----------------------------------------------------------------------
 * Waiting
 * ---------------------------------------------------------------------- */

static int
default_wait_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	struct pollfd pfds[64];
	struct pollfd *p = nfds <= 64 ? pfds : g_new(struct pollfd, nfds);
	int			i;
	int			r;

	for (i = 0; i < nfds; i++)
	{
		p[i].fd = fds[i].fd;
		p[i].events = ((fds[i].events & PEGASUS_POLL_IN) ? POLLIN : 0) |
			((fds[i].events & PEGASUS_POLL_OUT) ? POLLOUT : 0);
		p[i].revents = 0;
	}
	r = poll(p, nfds, timeout_ms);
	if (r < 0)
		r = (errno == EINTR) ? 0 : -1;
	for (i = 0; i < nfds; i++)
	{
		fds[i].revents = ((p[i].revents & POLLIN) ? PEGASUS_POLL_IN : 0) |
			((p[i].revents & POLLOUT) ? PEGASUS_POLL_OUT : 0) |
			((p[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? PEGASUS_POLL_ERR : 0);
	}
	if (p != pfds)
		g_free(p);
	return r;
}

static PegasusWaitHook
client_wait_hook(const PegasusClient *client)
{
	return client->opts.wait_hook ? client->opts.wait_hook : default_wait_hook;
}

/*
 * Fails connections whose connect (or negotiation) has taken too long.  The
 * requests that fail are finished: then *next_event is now, so that the
 * wait that follows does not hold them back.
 */
static void
expire_connects(PegasusClient *client, int64_t now, int64_t *next_event)
{
	GHashTableIter it;
	gpointer	value;

	g_hash_table_iter_init(&it, client->conns);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusConn *conn = value;

		if (conn->state == CONN_NEGOTIATING)
		{
			if (now >= conn->nego_deadline)
			{
				char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

				snprintf(msg, sizeof(msg),
						 "Negotiation with Pegasus server %s did not finish within %d ms%s%s.",
						 conn->endpoint, conn->client->opts.negotiation_timeout_ms,
						 conn->nego_kdc ? ": " : "",
						 conn->nego_kdc ? pegasus_negotiation_waiting_for(conn->nego) : "");
				/*
				 * A server that does not answer is a connection failure,
				 * retried within the call's deadline like a connect that
				 * times out; credentials the KDC does not give are not.
				 */
				pegasus_conn_close(conn, conn->nego_kdc ? PEGASUS_ERR_AUTH : PEGASUS_ERR_CONNECT,
								   msg);
				*next_event = now;
			}
			else if (conn->nego_deadline < *next_event)
				*next_event = conn->nego_deadline;
			continue;
		}
		if (conn->state != CONN_CONNECTING)
			continue;
		if (now >= conn->connect_deadline)
		{
			char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

			snprintf(msg, sizeof(msg), "Connection to %s timed out.",
					 conn->endpoint);
			pegasus_conn_close(conn, PEGASUS_ERR_CONNECT, msg);
			*next_event = now;
		}
		else if (conn->connect_deadline < *next_event)
			*next_event = conn->connect_deadline;
	}
}

static void
conn_finish_connect(PegasusConn *conn)
{
	int			soerr = 0;
	socklen_t	len = sizeof(soerr);
	char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

	if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr == 0)
	{
		conn->state = CONN_READY;
		conn_established(conn);
		conn_flush(conn);
		return;
	}
	if (soerr == ECONNREFUSED)
		snprintf(msg, sizeof(msg), "Connection to %s was refused.",
				 conn->endpoint);
	else
		snprintf(msg, sizeof(msg), "Could not connect to %s: %s.",
				 conn->endpoint, g_strerror(soerr));
	pegasus_conn_close(conn, PEGASUS_ERR_CONNECT, msg);
}

static bool
rpc_is_meta(PegasusRpc rpc)
{
	return rpc == PEGASUS_RPC_QUERY_CFG || rpc == PEGASUS_RPC_LIST_APPS ||
		rpc == PEGASUS_RPC_CREATE_APP || rpc == PEGASUS_RPC_DROP_APP;
}

static bool
rpc_is_write(PegasusRpc rpc)
{
	return rpc == PEGASUS_RPC_PUT || rpc == PEGASUS_RPC_MULTI_PUT ||
		rpc == PEGASUS_RPC_REMOVE || rpc == PEGASUS_RPC_MULTI_REMOVE ||
		rpc == PEGASUS_RPC_INCR || rpc == PEGASUS_RPC_CHECK_AND_SET ||
		rpc == PEGASUS_RPC_CHECK_AND_MUTATE;
}

/*
 * What a wait on conn is for (see PegasusWaitKind); one request of the
 * connection tells, since a connection serves either a meta server or a
 * replica, and writes and reads seldom share one wait.
 */
static PegasusWaitKind
conn_wait_kind(PegasusConn *conn)
{
	PegasusNetRequest *nreq = g_queue_peek_head(&conn->outq);

	if (conn->state == CONN_CONNECTING)
		return PEGASUS_WAIT_CONNECT;
	if (conn->state == CONN_NEGOTIATING)
		return PEGASUS_WAIT_NEGOTIATE;
	if (nreq == NULL && g_hash_table_size(conn->pending) > 0)
	{
		GHashTableIter it;
		gpointer	value;

		g_hash_table_iter_init(&it, conn->pending);
		if (g_hash_table_iter_next(&it, NULL, &value))
			nreq = value;
	}
	if (nreq == NULL)
		return PEGASUS_WAIT_READ;
	if (rpc_is_meta(nreq->rpc))
		return PEGASUS_WAIT_META;
	return rpc_is_write(nreq->rpc) ? PEGASUS_WAIT_WRITE : PEGASUS_WAIT_READ;
}

/* The kind that names a wait on several connections: the lowest rank wins. */
static int
wait_kind_rank(PegasusWaitKind kind)
{
	switch (kind)
	{
		case PEGASUS_WAIT_CONNECT:
		case PEGASUS_WAIT_NEGOTIATE:
			return 0;
		case PEGASUS_WAIT_META:
			return 1;
		case PEGASUS_WAIT_WRITE:
			return 2;
		case PEGASUS_WAIT_READ:
			return 3;
		case PEGASUS_WAIT_BACKOFF:
			break;
	}
	return 4;
}

/*
 * One round of waiting: polls every connection with work and processes
 * what is ready.  Returns 0, or -1 when the hook asked to stop.
 */
static int
net_poll_once(PegasusClient *client, int64_t wake_at_us, PegasusWaitHook hook)
{
	GHashTableIter it;
	gpointer	value;
	PegasusPollFd fds_local[64];
	PegasusConn *conns_local[64];
	PegasusPollFd *fds = fds_local;
	PegasusConn **conns = conns_local;
	guint		nslots;
	int			nfds = 0;
	int64_t		now = pegasus_now_us();
	int64_t		next_event = wake_at_us;
	int			timeout_ms;
	int			r;
	int			i;
	GList	   *l;
	PegasusWaitKind kind = PEGASUS_WAIT_BACKOFF;

	expire_connects(client, now, &next_event);
	retired_expire(client, now);
	/* a socket per connection, and the KDC job of one that waits for it */
	nslots = 2 * g_hash_table_size(client->conns) + g_list_length(client->retired);
	if (nslots > 64)
	{
		fds = g_new(PegasusPollFd, nslots);
		conns = g_new(PegasusConn *, nslots);
	}
	g_hash_table_iter_init(&it, client->conns);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusConn *conn = value;
		short		ev = 0;

		if (conn->state == CONN_CONNECTING)
			ev = PEGASUS_POLL_OUT;
		else if (conn->state == CONN_READY || conn->state == CONN_NEGOTIATING)
		{
			PegasusNetRequest *head;

			/* what was queued since the last wait goes out in one write */
			if (!g_queue_is_empty(&conn->outq) && !conn_flush(conn))
				continue;
			head = g_queue_peek_head(&conn->outq);
			if (head != NULL &&
				(conn->state == CONN_READY || head == conn->nego_req))
				ev |= PEGASUS_POLL_OUT;
			if (g_hash_table_size(conn->pending) > 0)
				ev |= PEGASUS_POLL_IN;
		}
		if (ev == 0 && !conn->nego_kdc)
			continue;
		if (nfds == 0 ||
			wait_kind_rank(conn_wait_kind(conn)) < wait_kind_rank(kind))
			kind = conn_wait_kind(conn);
		if (ev != 0)
		{
			fds[nfds].fd = conn->fd;
			fds[nfds].events = ev;
			fds[nfds].revents = 0;
			conns[nfds] = conn;
			nfds++;
		}
		if (conn->nego_kdc)
		{
			fds[nfds].fd = pegasus_negotiation_wait_fd(conn->nego);
			fds[nfds].events = PEGASUS_POLL_IN;
			fds[nfds].revents = 0;
			conns[nfds] = conn;
			nfds++;
		}
	}
	for (l = client->retired; l != NULL; l = l->next)
	{
		PegasusConn *conn = l->data;

		if (nfds == 0)
			kind = PEGASUS_WAIT_READ;
		if (conn->retired_until < next_event)
			next_event = conn->retired_until;
		fds[nfds].fd = conn->fd;
		fds[nfds].events = PEGASUS_POLL_IN;
		fds[nfds].revents = 0;
		conns[nfds] = conn;
		nfds++;
	}

	timeout_ms = next_event > now ? (int) MIN((next_event - now + 999) / 1000,
											  (int64_t) G_MAXINT) : 0;
	client->wait_kind = kind;
	r = hook(client->opts.wait_arg, fds, nfds, timeout_ms);
	if (r > 0)
	{
		for (i = 0; i < nfds; i++)
		{
			PegasusConn *conn = conns[i];

			if (fds[i].revents == 0)
				continue;
			/* the KDC job's fd (cleared, if the connection closed since) */
			if (conn->nego_kdc && fds[i].fd == pegasus_negotiation_wait_fd(conn->nego))
			{
				negotiation_resume(conn);
				continue;
			}
			if (conn->fd != fds[i].fd)
				continue;
			if (conn->state == CONN_CONNECTING)
			{
				conn_finish_connect(conn);
				continue;
			}
			if (fds[i].revents & (PEGASUS_POLL_IN | PEGASUS_POLL_ERR))
				conn_read(conn);
			if ((conn->state == CONN_READY || conn->state == CONN_NEGOTIATING) &&
				(fds[i].revents & PEGASUS_POLL_OUT))
				conn_flush(conn);
		}
	}
	if (fds != fds_local)
	{
		g_free(fds);
		g_free(conns);
	}
	return r < 0 ? -1 : 0;
}

static bool
request_finished(const PegasusNetRequest *nreq)
{
	return nreq == NULL || nreq->state == PEGASUS_NET_DONE ||
		nreq->state == PEGASUS_NET_FAILED;
}

/*
 * Waits until at least one of reqs has finished (DONE or FAILED) or the
 * clock reaches wake_at_us.  Returns 1 if one finished, 0 when the wake
 * time came, -1 when the wait hook asked to stop.
 */
int
pegasus_net_wait(PegasusClient *client, PegasusNetRequest **reqs, int n,
				 int64_t wake_at_us)
{
	for (;;)
	{
		int			i;

		for (i = 0; i < n; i++)
			if (reqs[i] != NULL && request_finished(reqs[i]))
				return 1;
		if (pegasus_now_us() >= wake_at_us)
			return 0;
		if (net_poll_once(client, wake_at_us, client_wait_hook(client)) < 0)
			return -1;
	}
}

/*
 * Waits through the wait hook, and on nothing else, until fd is readable
 * (1), deadline_us passes (0) or the hook asks to stop (-1): for what a new
 * connection needs before it can be made (credentials from the KDC).
 */
int
pegasus_net_wait_fd(PegasusClient *client, int fd, int64_t deadline_us)
{
	PegasusWaitHook hook = client_wait_hook(client);

	for (;;)
	{
		PegasusPollFd pfd;
		int64_t		now = pegasus_now_us();
		int			r;

		if (now >= deadline_us)
			return 0;
		pfd.fd = fd;
		pfd.events = PEGASUS_POLL_IN;
		pfd.revents = 0;
		client->wait_kind = PEGASUS_WAIT_NEGOTIATE;
		r = hook(client->opts.wait_arg, &pfd, 1,
				 (int) MIN((deadline_us - now + 999) / 1000, (int64_t) G_MAXINT));
		if (r < 0)
			return -1;
		if (r > 0 && pfd.revents != 0)
			return 1;
	}
}

/*
 * Sleeps until until_us while still serving connections (replies to
 * other requests keep arriving).  0, or -1 when interrupted.
 */
int
pegasus_net_sleep(PegasusClient *client, int64_t until_us)
{
	while (pegasus_now_us() < until_us)
		if (net_poll_once(client, until_us, client_wait_hook(client)) < 0)
			return -1;
	return 0;
}

/*
 * The abandoned scan requests still waiting for their replies, and whether
 * some connection has requests left to write.
 */
static int
drain_work(PegasusClient *client, bool *unwritten)
{
	GHashTableIter it;
	gpointer	value;
	GList	   *l;
	int			n = 0;

	*unwritten = false;
	g_hash_table_iter_init(&it, client->conns);
	while (g_hash_table_iter_next(&it, NULL, &value))
	{
		PegasusConn *conn = value;

		if (conn->state == CONN_IDLE)
			continue;
		if (!g_queue_is_empty(&conn->outq))
			*unwritten = true;
		n += conn_owed_clears(conn);
	}
	retired_expire(client, pegasus_now_us());
	for (l = client->retired; l != NULL; l = l->next)
		n += conn_owed_clears(l->data);
	return n;
}

/*
 * Writes what is queued (clear_scanner requests above all) and reads the
 * replies of abandoned scan requests, clearing the contexts they name,
 * until nothing is left or deadline_us.  Polls by itself, never through the
 * wait hook.  Returns the abandoned requests still unanswered.
 */
int
pegasus_net_drain(PegasusClient *client, int64_t deadline_us)
{
	bool		unwritten;
	int			n;

	pegasus_net_flush(client);
	while ((n = drain_work(client, &unwritten)) > 0 || unwritten)
	{
		if (pegasus_now_us() >= deadline_us)
			break;
		(void) net_poll_once(client, deadline_us, default_wait_hook);
	}
	return n;
}

/*
 * One round of waiting through hook, called with arg (client_ready.c: a
 * hook that returns at once, to see or serve the sockets without waiting).
 */
int
pegasus_net_poll_with(PegasusClient *client, PegasusWaitHook hook, void *arg)
{
	void	   *saved = client->opts.wait_arg;
	int			r;

	client->opts.wait_arg = arg;
	r = net_poll_once(client, pegasus_now_us() + G_GINT64_CONSTANT(3600000000), hook);
	client->opts.wait_arg = saved;
	return r;
}
