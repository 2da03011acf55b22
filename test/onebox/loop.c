/*-------------------------------------------------------------------------
 *
 * loop.c
 *	  Single-threaded epoll event loop: listening sockets, non-blocking
 *	  connections with input/output buffers, delayed replies (the
 *	  control "latency" setting, throttling's reject delay) and delayed
 *	  requests (throttling's delay mode handles a request again later).
 *
 * Connections are freed only at the end of a loop iteration, so a handler
 * may close a connection (its own or another) without leaving dangling
 * pointers behind in the current iteration.  Delayed replies refer to their
 * connection by id and are dropped when it is gone.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* accept4 */
#include "onebox.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK		(256 * 1024)

typedef struct Delayed
{
	gint64		due_us;			/* monotonic */
	guint64		seq;			/* keeps FIFO order among equal due times */
	guint64		conn_id;
	GBytes	   *data;			/* NULL = close the connection */
	gboolean	replay;			/* data is a request frame to handle again */
} Delayed;

static int	epfd = -1;
static GHashTable *listeners;	/* OneboxEndpoint * set */
static GHashTable *conns_by_id; /* guint64 * -> OneboxConn * */
static GPtrArray *graveyard;	/* closed OneboxConn * to free */
static GQueue delayed = G_QUEUE_INIT;
static guint64 next_conn_id = 1;
static guint64 next_delay_seq = 1;

static void conn_update_events(OneboxConn *conn);

gboolean
onebox_loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
	{
		onebox_log("epoll_create1: %s", g_strerror(errno));
		return FALSE;
	}
	listeners = g_hash_table_new(g_direct_hash, g_direct_equal);
	conns_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	graveyard = g_ptr_array_new();
	return TRUE;
}

static gboolean
set_nonblocking(int fd)
{
	int			flags = fcntl(fd, F_GETFL, 0);

	return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

gboolean
onebox_endpoint_listen(OneboxEndpoint *ep)
{
	struct sockaddr_in addr;
	struct epoll_event ev;
	int			fd;
	int			one = 1;

	if (ep->listen_fd >= 0)
		return TRUE;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return FALSE;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) ep->port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(fd, 512) != 0 || !set_nonblocking(fd))
	{
		onebox_log("cannot listen on %s:%d: %s", ONEBOX_HOST, ep->port,
				   g_strerror(errno));
		close(fd);
		return FALSE;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = ep;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		close(fd);
		return FALSE;
	}
	ep->listen_fd = fd;
	g_hash_table_add(listeners, ep);
	return TRUE;
}

void
onebox_endpoint_drop_conns(OneboxEndpoint *ep)
{
	while (ep->conns != NULL)
	{
		((OneboxConn *) ep->conns->data)->dropped = TRUE;
		onebox_conn_close(ep->conns->data);
	}
}

void
onebox_endpoint_stop(OneboxEndpoint *ep)
{
	if (ep->listen_fd >= 0)
	{
		epoll_ctl(epfd, EPOLL_CTL_DEL, ep->listen_fd, NULL);
		close(ep->listen_fd);
		ep->listen_fd = -1;
	}
	onebox_endpoint_drop_conns(ep);
}

static void
accept_conns(OneboxEndpoint *ep)
{
	for (;;)
	{
		int			fd = accept4(ep->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int			one = 1;
		OneboxConn *conn;
		struct epoll_event ev;

		if (fd < 0)
		{
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				onebox_log("accept on port %d: %s", ep->port, g_strerror(errno));
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn = g_new0(OneboxConn, 1);
		conn->id = next_conn_id++;
		conn->fd = fd;
		conn->ep = ep;
		conn->in = g_byte_array_new();
		conn->out = g_byte_array_new();
		conn->events = EPOLLIN;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = conn;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		{
			close(fd);
			g_byte_array_unref(conn->in);
			g_byte_array_unref(conn->out);
			g_free(conn);
			continue;
		}
		ep->conns = g_list_prepend(ep->conns, conn);
		g_hash_table_insert(conns_by_id, &conn->id, conn);
	}
}

void
onebox_conn_close(OneboxConn *conn)
{
	if (conn->dead)
		return;
	conn->dead = TRUE;
	/*
	 * Replies not yet written, or in a stream the client could no longer
	 * read (a corrupt frame before them, a reset), may never have reached
	 * it: scan contexts they named are ones the client cannot clear.
	 */
	if (conn->poisoned || conn->dropped || conn->flush_pending ||
		conn->out_off < conn->out->len)
		onebox_scanner_conn_lost(conn->id);
	onebox_auth_conn_closed(conn);
	epoll_ctl(epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	conn->fd = -1;
	conn->ep->conns = g_list_remove(conn->ep->conns, conn);
	g_hash_table_remove(conns_by_id, &conn->id);
	g_ptr_array_add(graveyard, conn);
}

gboolean
onebox_conn_is_open(guint64 conn_id)
{
	return g_hash_table_lookup(conns_by_id, &conn_id) != NULL;
}

static void
free_graveyard(void)
{
	guint		i;

	for (i = 0; i < graveyard->len; i++)
	{
		OneboxConn *conn = graveyard->pdata[i];

		g_byte_array_unref(conn->in);
		g_byte_array_unref(conn->out);
		g_free(conn);
	}
	g_ptr_array_set_size(graveyard, 0);
}

/* Write as much queued output as the socket takes; FALSE if conn closed */
static gboolean
conn_flush(OneboxConn *conn)
{
	while (conn->out_off < conn->out->len)
	{
		ssize_t		n = send(conn->fd, conn->out->data + conn->out_off,
							 conn->out->len - conn->out_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			onebox_conn_close(conn);
			return FALSE;
		}
		conn->out_off += (gsize) n;
	}
	if (conn->out_off == conn->out->len)
	{
		g_byte_array_set_size(conn->out, 0);
		conn->out_off = 0;
		if (conn->close_after_flush)
		{
			onebox_conn_close(conn);
			return FALSE;
		}
	}
	else if (conn->out_off > 1024 * 1024 && conn->out_off * 2 > conn->out->len)
	{
		/* compact a mostly-sent buffer */
		g_byte_array_remove_range(conn->out, 0, (guint) conn->out_off);
		conn->out_off = 0;
	}
	conn_update_events(conn);
	return TRUE;
}

static void
conn_update_events(OneboxConn *conn)
{
	guint32		want = 0;
	struct epoll_event ev;

	if (conn->dead)
		return;
	/* stop reading while too much output is waiting (slow reader) */
	if (!conn->close_after_flush &&
		conn->out->len - conn->out_off < ONEBOX_MAX_OUTPUT)
		want |= EPOLLIN;
	if (conn->out_off < conn->out->len)
		want |= EPOLLOUT;
	if (want == conn->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = conn;
	epoll_ctl(epfd, EPOLL_CTL_MOD, conn->fd, &ev);
	conn->events = want;
}

static gint
delayed_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	const Delayed *da = a;
	const Delayed *db = b;

	if (da->due_us != db->due_us)
		return da->due_us < db->due_us ? -1 : 1;
	return da->seq < db->seq ? -1 : (da->seq > db->seq ? 1 : 0);
}

static Delayed *
queue_delayed(OneboxConn *conn, GBytes *data, int delay_ms)
{
	Delayed    *d = g_new0(Delayed, 1);

	d->due_us = g_get_monotonic_time() + (gint64) delay_ms * 1000;
	d->seq = next_delay_seq++;
	d->conn_id = conn->id;
	d->data = data;
	g_queue_insert_sorted(&delayed, d, delayed_cmp, NULL);
	return d;
}

void
onebox_conn_replay(OneboxConn *conn, const guint8 *frame, gsize len, int delay_ms)
{
	if (conn->dead)
		return;
	queue_delayed(conn, g_bytes_new(frame, len), MAX(delay_ms, 0))->replay = TRUE;
}

void
onebox_conn_send(OneboxConn *conn, const guint8 *data, gsize len, int delay_ms)
{
	if (conn->dead)
		return;
	if (delay_ms > 0)
	{
		queue_delayed(conn, g_bytes_new(data, len), delay_ms);
		return;
	}
	g_byte_array_append(conn->out, data, (guint) len);
}

void
onebox_conn_close_after(OneboxConn *conn, int delay_ms)
{
	if (conn->dead)
		return;
	if (delay_ms > 0)
	{
		queue_delayed(conn, NULL, delay_ms);
		return;
	}
	conn->close_after_flush = TRUE;
}

/*
 * Deliver due delayed replies, all those of one connection in one write;
 * returns ms until the next one (-1 = none)
 */
static int
run_delayed(void)
{
	static GArray *touched;		/* ids of the connections given output */
	gint64		now = g_get_monotonic_time();
	int			next = -1;
	guint		i;

	if (touched == NULL)
		touched = g_array_new(FALSE, FALSE, sizeof(guint64));
	while (!g_queue_is_empty(&delayed))
	{
		Delayed    *d = g_queue_peek_head(&delayed);
		OneboxConn *conn;

		if (d->due_us > now)
		{
			next = (int) ((d->due_us - now + 999) / 1000);
			break;
		}
		g_queue_pop_head(&delayed);
		conn = g_hash_table_lookup(conns_by_id, &d->conn_id);
		/* nothing goes out after a delayed close */
		if (conn != NULL && !conn->dead && !conn->close_after_flush)
		{
			if (d->replay)
			{
				gsize		len;
				const guint8 *p = g_bytes_get_data(d->data, &len);

				/* a throttled request's turn: its reply joins the output */
				onebox_dispatch_replay(conn, p, len);
			}
			else if (d->data != NULL)
			{
				gsize		len;
				const guint8 *p = g_bytes_get_data(d->data, &len);

				g_byte_array_append(conn->out, p, (guint) len);
			}
			else
				conn->close_after_flush = TRUE;
			if (!conn->flush_pending)
			{
				conn->flush_pending = TRUE;
				g_array_append_val(touched, conn->id);
			}
		}
		if (d->data)
			g_bytes_unref(d->data);
		g_free(d);
	}
	for (i = 0; i < touched->len; i++)
	{
		OneboxConn *conn = g_hash_table_lookup(conns_by_id,
											   &g_array_index(touched, guint64, i));

		if (conn != NULL && !conn->dead)
		{
			conn->flush_pending = FALSE;
			conn_flush(conn);
		}
	}
	g_array_set_size(touched, 0);
	return next;
}

/* Read what is available; FALSE if the connection was closed */
static gboolean
conn_read(OneboxConn *conn)
{
	guint		old = conn->in->len;
	ssize_t		n;

	g_byte_array_set_size(conn->in, old + READ_CHUNK);
	n = recv(conn->fd, conn->in->data + old, READ_CHUNK, 0);
	if (n <= 0)
	{
		g_byte_array_set_size(conn->in, old);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return TRUE;
		/*
		 * A reset (the client closed with replies unread) discards what
		 * the client had sent last, a clear_scanner perhaps: its contexts
		 * may be ones it believes cleared.
		 */
		if (n < 0 && errno == ECONNRESET)
			conn->dropped = TRUE;
		onebox_conn_close(conn);
		return FALSE;
	}
	g_byte_array_set_size(conn->in, old + (guint) n);
	return TRUE;
}

static void
handle_conn_event(OneboxConn *conn, guint32 events)
{
	if (events & (EPOLLERR | EPOLLHUP))
	{
		if (!(events & EPOLLIN))
		{
			onebox_conn_close(conn);
			return;
		}
	}
	if (events & EPOLLOUT)
	{
		if (!conn_flush(conn))
			return;
		/* input held back while the output was too large */
		if (conn->in->len > 0 && conn->ep->kind != ONEBOX_EP_CONTROL &&
			!(events & EPOLLIN))
		{
			if (onebox_dispatch_input(conn))
				conn_flush(conn);
			return;
		}
	}
	if (events & EPOLLIN)
	{
		if (!conn_read(conn))
			return;
		if (conn->ep->kind == ONEBOX_EP_CONTROL)
			onebox_control_input(conn);
		else if (!onebox_dispatch_input(conn))
			return;
		if (!conn->dead)
			conn_flush(conn);
	}
}

void
onebox_loop_run(void)
{
	struct epoll_event events[256];
	gint64		last_sweep = 0;

	while (!onebox.stop_requested)
	{
		int			timeout = run_delayed();
		int			split_ms = onebox_split_tick();
		int			n;
		int			i;

		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		if (split_ms >= 0 && split_ms < timeout)
			timeout = split_ms;
		n = epoll_wait(epfd, events, G_N_ELEMENTS(events), timeout);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			onebox_log("epoll_wait: %s", g_strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
		{
			void	   *ptr = events[i].data.ptr;

			if (g_hash_table_contains(listeners, ptr))
			{
				OneboxEndpoint *ep = ptr;

				if (ep->listen_fd >= 0)
					accept_conns(ep);
				continue;
			}
			if (!((OneboxConn *) ptr)->dead)
				handle_conn_event(ptr, events[i].events);
		}
		free_graveyard();
		if (g_get_monotonic_time() - last_sweep > 1000000)
		{
			last_sweep = g_get_monotonic_time();
			onebox_scanner_expire();
		}
	}
}
