/*-------------------------------------------------------------------------
 *
 * client_ready.c
 *		Waiting outside the client: the sockets a client would wait on,
 *		reading what arrived without waiting, and whether a call's reply is
 *		in (for an embedder that waits for several clients in its own loop).
 *
 * Both socket functions run one round of the client's own wait
 * (net_poll_once) with a hook that never sleeps: one copies the sockets
 * out and reports none ready, the other polls them with a zero timeout.
 *
 * src/client/client_ready.c
 *
 *-------------------------------------------------------------------------
 */
#include "client_internal.h"

typedef struct FdCapture
{
	PegasusPollFd *fds;
	int			max;
	int			n;
} FdCapture;

static int
capture_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	FdCapture  *cap = arg;
	int			i;

	(void) timeout_ms;
	for (i = 0; i < nfds && i < cap->max; i++)
		cap->fds[i] = fds[i];
	cap->n = nfds;
	return 0;
}

int
pegasus_client_wait_fds(PegasusClient *client, PegasusPollFd *fds, int max)
{
	FdCapture	cap = {fds, max, 0};

	(void) pegasus_net_poll_with(client, capture_hook, &cap);
	return cap.n;
}

/* poll(2) with no timeout, whatever the wait asked for */
static int
nowait_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	(void) timeout_ms;
	if (nfds == 0)
		return 0;
	return MAX(pegasus_default_wait_hook(arg, fds, nfds, 0), 0);
}

void
pegasus_client_pump(PegasusClient *client)
{
	(void) pegasus_net_poll_with(client, nowait_hook, NULL);
}

/*
 * Whether running the call further needs no reply from a server: it has
 * finished, its reply (or failure) is in, it waits for a retry or to be
 * sent, or its deadline has passed.
 */
bool
pegasus_call_ready(const PegasusCall *call)
{
	if (call->state != PEGASUS_CALL_IN_FLIGHT)
		return true;
	if (call->nreq == NULL || call->nreq->state == PEGASUS_NET_DONE ||
		call->nreq->state == PEGASUS_NET_FAILED)
		return true;
	return pegasus_now_us() >= call->deadline;
}

/*
 * Writes the queued clear_scanner requests and reads the replies of
 * abandoned scan requests (clearing the contexts they name) for at most
 * timeout_ms, by poll(2), never through the wait hook.  Other calls in
 * flight are not disturbed: their replies are stored as in any wait.
 * Returns the abandoned requests still unanswered.
 */
int
pegasus_client_drain_scans(PegasusClient *client, int timeout_ms)
{
	return pegasus_net_drain(client, pegasus_now_us() + (int64_t) timeout_ms * 1000);
}
