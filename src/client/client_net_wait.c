/*-------------------------------------------------------------------------
 *
 * client_net_wait.c
 *		Waiting: every connection polled through the embedder's hook until
 *		the requests waited for are answered or their deadline passes.
 *
 * src/client/client_net_wait.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client_internal.h"
#include "client_conn.h"

/* ----------------------------------------------------------------------
 * Waiting
 * ---------------------------------------------------------------------- */

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
		pegasus_conn_established(conn);
		pegasus_conn_flush(conn);
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
	pegasus_net_retired_expire(client, now);
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
			if (!g_queue_is_empty(&conn->outq) && !pegasus_conn_flush(conn))
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
				pegasus_conn_negotiation_resume(conn);
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
				pegasus_conn_read(conn);
			if ((conn->state == CONN_READY || conn->state == CONN_NEGOTIATING) &&
				(fds[i].revents & PEGASUS_POLL_OUT))
				pegasus_conn_flush(conn);
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
		if (net_poll_once(client, wake_at_us, pegasus_client_wait_hook(client)) < 0)
			return -1;
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
		if (net_poll_once(client, until_us, pegasus_client_wait_hook(client)) < 0)
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
		n += pegasus_conn_owed_clears(conn);
	}
	pegasus_net_retired_expire(client, pegasus_now_us());
	for (l = client->retired; l != NULL; l = l->next)
		n += pegasus_conn_owed_clears(l->data);
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
		(void) net_poll_once(client, deadline_us, pegasus_default_wait_hook);
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
