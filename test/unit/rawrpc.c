/*-------------------------------------------------------------------------
 *
 * rawrpc.c
 *	  Blocking-socket request/reply helper for tests (see rawrpc.h).
 *
 *-------------------------------------------------------------------------
 */
#include "rawrpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
onebox_rawrpc_connect(const char *host_port)
{
	const char *colon = host_port ? strrchr(host_port, ':') : NULL;
	struct sockaddr_in addr;
	char		host[64];
	int			fd;
	int			one = 1;

	if (colon == NULL || (gsize) (colon - host_port) >= sizeof(host))
		return -1;
	memcpy(host, host_port, colon - host_port);
	host[colon - host_port] = '\0';
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) atoi(colon + 1));
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		close(fd);
		return -1;
	}
	return fd;
}

gboolean
onebox_rawrpc_send(int fd, const guint8 *data, gsize len)
{
	while (len > 0)
	{
		ssize_t		n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* Read exactly len bytes before the deadline; 1 ok, 0 eof, -1 timeout/error */
static int
read_exact(int fd, guint8 *buf, gsize len, gint64 deadline_us)
{
	while (len > 0)
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		gint64		left = (deadline_us - g_get_monotonic_time()) / 1000;
		ssize_t		n;

		if (left <= 0 || poll(&pfd, 1, (int) left) <= 0)
			return -1;
		n = recv(fd, buf, len, 0);
		if (n == 0)
			return 0;
		if (n < 0)
		{
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? 0 : -1;
		}
		buf += n;
		len -= (gsize) n;
	}
	return 1;
}

GByteArray *
onebox_rawrpc_read_frame(int fd, int timeout_ms, gboolean *eof)
{
	gint64		deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
	guint8		hdr[4];
	guint32		total;
	GByteArray *frame;
	int			r;

	if (eof)
		*eof = FALSE;
	r = read_exact(fd, hdr, 4, deadline);
	if (r <= 0)
	{
		if (eof)
			*eof = (r == 0);
		return NULL;
	}
	total = ((guint32) hdr[0] << 24) | ((guint32) hdr[1] << 16) | ((guint32) hdr[2] << 8) | hdr[3];
	if (total < 8 || total > 256u * 1024 * 1024)
		return NULL;
	frame = g_byte_array_sized_new(total);
	g_byte_array_append(frame, hdr, 4);
	g_byte_array_set_size(frame, total);
	r = read_exact(fd, frame->data + 4, total - 4, deadline);
	if (r <= 0)
	{
		if (eof)
			*eof = (r == 0);
		g_byte_array_unref(frame);
		return NULL;
	}
	return frame;
}

GByteArray *
onebox_rawrpc_call(int fd, const guint8 *req, gsize len, int timeout_ms)
{
	if (!onebox_rawrpc_send(fd, req, len))
		return NULL;
	return onebox_rawrpc_read_frame(fd, timeout_ms, NULL);
}

gboolean
onebox_rawrpc_wait_closed(int fd, int timeout_ms)
{
	gint64		deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
	guint8		buf[4096];

	for (;;)
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		gint64		left = (deadline - g_get_monotonic_time()) / 1000;
		ssize_t		n;

		if (left <= 0 || poll(&pfd, 1, (int) left) <= 0)
			return FALSE;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return TRUE;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return TRUE;
	}
}

char *
onebox_rawrpc_control(const char *host_port, const char *command)
{
	int			fd = onebox_rawrpc_connect(host_port);
	GString    *out = g_string_new(NULL);
	GString    *line = g_string_new(NULL);
	gint64		deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	gboolean	multi = FALSE;
	gboolean	first = TRUE;

	if (fd < 0 || !onebox_rawrpc_send(fd, (const guint8 *) command, strlen(command)) ||
		!onebox_rawrpc_send(fd, (const guint8 *) "\n", 1))
	{
		if (fd >= 0)
			close(fd);
		g_string_free(line, TRUE);
		g_string_free(out, TRUE);
		return NULL;
	}
	/* a reply that is exactly "OK" is followed by data lines and "END" */
	for (;;)
	{
		guint8		c;

		if (read_exact(fd, &c, 1, deadline) <= 0)
			break;
		if (c != '\n')
		{
			g_string_append_c(line, (char) c);
			continue;
		}
		if (line->len && line->str[line->len - 1] == '\r')
			g_string_truncate(line, line->len - 1);
		if (strcmp(line->str, "END") == 0)
			break;
		if (out->len)
			g_string_append_c(out, '\n');
		g_string_append(out, line->str);
		if (first && strcmp(line->str, "OK") == 0)
			multi = TRUE;
		first = FALSE;
		g_string_truncate(line, 0);
		if (!multi)
			break;
	}
	close(fd);
	g_string_free(line, TRUE);
	return g_string_free(out, FALSE);
}
