/*-------------------------------------------------------------------------
 *
 * scan_async.c
 *		Asynchronous execution of Pegasus foreign scans under an Append
 *		(PostgreSQL's IsForeignPathAsyncCapable, ForeignAsyncRequest,
 *		ForeignAsyncConfigureWait, ForeignAsyncNotify).
 *
 * Every child of the Append puts its first request on the wire when it is
 * first asked for a row, so all children's requests are out at once.  A
 * child whose next row needs a reply that has not arrived answers
 * "pending", and registers the sockets its client would wait on in the
 * Append's wait event set: the backend then waits for all children at
 * once and takes rows from whichever answers first.  Children of one
 * server share its client and so its sockets; a socket is registered once
 * per wait, and after any wake-up every pending child looks at what its
 * client has received (ConfigureWait completes those whose reply is in).
 *
 * A timer (a timerfd in the same set) bounds each wait to TICK_MS, so that
 * the executor checks for interrupts (cancel, statement_timeout) and a
 * child whose call's deadline passes fails as it would when run alone.
 * It is also set to fire at once when a child completed while the wait was
 * being set up, so that its row is not held back by the others' waits.
 * When the set has no room left for a child's sockets, the child waits for
 * its row in the ordinary (interruptible) way instead.
 *
 * Point lookups (get, multi_get, batch_get) run as batch_get here: its
 * requests can be started and collected later, and the next chunk is
 * started as soon as one arrives.
 *
 * src/fdw/scan_async.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include "commands/defrem.h"
#include "executor/execAsync.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "nodes/execnodes.h"
#include "foreign/foreign.h"
#include "optimizer/cost.h"
#include "optimizer/pathnode.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include "compat.h"
#include "pegasus_fdw.h"
#include "scan_internal.h"

#define TICK_MS 100
#define MAX_ROUND_FDS 256

/*
 * The sockets registered in the wait event set being built.  A set is made
 * for every wait and freed after it: a new one (or one with fewer events
 * than were registered) starts a new wround.
 */
static struct
{
	WaitEventSet *set;
	int			nevents;
	int			nfds;
	int			fds[MAX_ROUND_FDS];
	bool		timer_added;
} wround;

static int	timer_fd = -1;

bool
pegfdw_async_capable_path(Path *path)
{
	RelOptInfo *rel = path->parent;
	PegFdwRelationInfo *fpinfo;

	if (!IS_SIMPLE_REL(rel) || !pegfdw_is_pegasus_rel(rel))
		return false;
	fpinfo = rel->fdw_private;
	return fpinfo != NULL && fpinfo->table != NULL && fpinfo->table->async_capable;
}


/*
 * Runs the node for one row.  A row, or the end of the scan, completes the
 * request; a fetch that would wait leaves it pending.
 */
static void
produce_row(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	PegFdwScanState *s = node->fdw_state;
	TupleTableSlot *slot;

	s->would_block = false;
	/* the caller counts the row for EXPLAIN ANALYZE (see complete_now) */
	slot = node->ss.ps.ExecProcNodeReal((PlanState *) node);
	if (TupIsNull(slot) && s->would_block)
		ExecAsyncRequestPending(areq);
	else
		ExecAsyncRequestDone(areq, slot);
}

void
pegfdw_async_request(AsyncRequest *areq)
{
	produce_row(areq);
}

/* Completes a pending request from within ConfigureWait, as Notify would. */
static void
complete_now(AsyncRequest *areq, bool block)
{
	PegFdwScanState *s = ((ForeignScanState *) areq->requestee)->fdw_state;

	PegFdwNodeInstrumentation *instr = areq->requestee->instrument;

	areq->callback_pending = false;
	s->force_block = block;
	/* ExecAsyncRequest and ExecAsyncNotify count their rows; this does too */
	if (instr)
		InstrStartNode(instr);
	PG_TRY();
	{
		produce_row(areq);
	}
	PG_FINALLY();
	{
		s->force_block = false;
	}
	PG_END_TRY();
	ExecAsyncResponse(areq);
	if (instr)
		InstrStopNode(instr, TupIsNull(areq->result) ? 0.0 : 1.0);
}

static void
timer_drain(void)
{
	uint64		expirations;

	if (timer_fd >= 0 && read(timer_fd, &expirations, sizeof(expirations)) < 0)
		return;					/* not expired (EAGAIN) */
}

/* Arms the timer to fire after ms (0: at once). */
static void
timer_arm(int ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = ms > 0 ? (long) (ms % 1000) * 1000000L : 1;
	(void) timerfd_settime(timer_fd, 0, &its, NULL);
}

/* Room left in the Append's set (one slot is kept for its latch). */
static int
free_slots(AppendState *app, WaitEventSet *set)
{
	return app->as_nasyncplans - GetNumRegisteredWaitEvents(set);
}

static bool
round_has_fd(int fd)
{
	int			i;

	for (i = 0; i < wround.nfds; i++)
		if (wround.fds[i] == fd)
			return true;
	return false;
}

static bool
add_event(AppendState *app, WaitEventSet *set, int fd, uint32 events,
		  AsyncRequest *areq)
{
	if (free_slots(app, set) <= 0 || wround.nfds >= MAX_ROUND_FDS)
		return false;
	(void) AddWaitEventToSet(set, events, fd, NULL, areq);
	wround.fds[wround.nfds++] = fd;
	wround.nevents = GetNumRegisteredWaitEvents(set);
	return true;
}

void
pegfdw_async_configure_wait(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	PegFdwScanState *s = node->fdw_state;
	AppendState *app = (AppendState *) areq->requestor;
	WaitEventSet *set = app->as_eventset;
	PegasusPollFd fds[64];
	int			nfds;
	int			i;
	bool		room = true;

	if (!areq->callback_pending)
		return;
	if (set != wround.set || GetNumRegisteredWaitEvents(set) < wround.nevents)
	{
		wround.set = set;
		wround.nfds = 0;
		wround.nevents = GetNumRegisteredWaitEvents(set);
		wround.timer_added = false;
		timer_drain();
	}
	if (timer_fd < 0)
		timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	/*
	 * The timer first, so that it is always in the set: it bounds the wait,
	 * and it ends the wait at once when a child completes below (else the
	 * wait could sleep on sockets with nothing more to come).
	 */
	if (!wround.timer_added && timer_fd >= 0 &&
		add_event(app, set, timer_fd, WL_SOCKET_READABLE, areq))
	{
		wround.timer_added = true;
		timer_arm(TICK_MS);
	}

	/* the reply may have come in meanwhile (read by another child) */
	if (!pegfdw_scan_io_ready(s))
	{
		nfds = pegasus_client_wait_fds(s->client, fds, lengthof(fds));
		if (nfds > (int) lengthof(fds) || !wround.timer_added)
			room = false;
		for (i = 0; room && i < nfds; i++)
		{
			uint32		events = 0;

			if (round_has_fd(fds[i].fd))
				continue;
			if (fds[i].events & PEGASUS_POLL_IN)
				events |= WL_SOCKET_READABLE;
			if (fds[i].events & PEGASUS_POLL_OUT)
				events |= WL_SOCKET_WRITEABLE;
			if (!add_event(app, set, fds[i].fd, events, areq))
				room = false;
		}
		if (room)
			return;
	}
	/* a row is in, or no room in the set: this child's row now */
	complete_now(areq, !room);
	if (wround.timer_added)
		timer_arm(0);
}

void
pegfdw_async_notify(AsyncRequest *areq)
{
	PegFdwScanState *s = ((ForeignScanState *) areq->requestee)->fdw_state;

	timer_drain();
	pegasus_client_pump(s->client);
	produce_row(areq);
}

/* The async_capable option of a foreign table, or else of its server. */
static bool
table_async_capable(Oid relid)
{
	ForeignTable *ft = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(ft->serverid);
	bool		capable = true;
	ListCell   *lc;

	foreach(lc, server->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "async_capable") == 0)
			capable = defGetBoolean((DefElem *) lfirst(lc));
	foreach(lc, ft->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "async_capable") == 0)
			capable = defGetBoolean((DefElem *) lfirst(lc));
	return capable;
}

/*
 * PostgreSQL runs an Append's children asynchronously only when the Append
 * is not parallel safe.  So a foreign table that is a member of an Append
 * (a partition, a branch of UNION ALL) and may run asynchronously is not
 * scanned in parallel: the Append's concurrency replaces the workers'.
 */
bool
pegfdw_async_member(RelOptInfo *rel, RangeTblEntry *rte)
{
	return rel->reloptkind == RELOPT_OTHER_MEMBER_REL && enable_async_append &&
		table_async_capable(rte->relid);
}
