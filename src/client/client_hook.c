/*-------------------------------------------------------------------------
 *
 * client_hook.c
 *		The clock and the embedder's wait hook: the hook a client waits
 *		through (poll(2) when the embedder gave none), and one wait on a
 *		single descriptor, for what a new connection needs before it is
 *		made (the KDC's answer, client_auth.c).  It calls nothing else of
 *		the client, so the connection layer and authentication both
 *		point here.
 *
 * src/client/client_hook.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>

#include "client_internal.h"

int64_t
pegasus_now_us(void)
{
	return g_get_monotonic_time();
}

/* The hook of a client without one: poll(2). */
int
pegasus_default_wait_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
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

/* The hook a client waits through: the embedder's, or poll(2). */
PegasusWaitHook
pegasus_client_wait_hook(const PegasusClient *client)
{
	return client->opts.wait_hook ? client->opts.wait_hook : pegasus_default_wait_hook;
}

/*
 * Waits through the wait hook, and on nothing else, until fd is readable
 * (1), deadline_us passes (0) or the hook asks to stop (-1): for what a new
 * connection needs before it can be made (credentials from the KDC).
 */
int
pegasus_net_wait_fd(PegasusClient *client, int fd, int64_t deadline_us)
{
	PegasusWaitHook hook = pegasus_client_wait_hook(client);

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
