/*-------------------------------------------------------------------------
 *
 * wait_hook.c
 *		The wait hook through which the Pegasus clients of a backend sleep:
 *		on their sockets and on the latch, so that a wait stays interruptible.
 *
 * An error raised while waiting is kept (the hook must not longjmp through
 * client code) and raised again once the client call has returned.
 *
 * src/fdw/wait_hook.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/wait_event.h"

#include "pegasus_fdw.h"
#include "wait_hook.h"

/* An error raised inside the wait hook, rethrown after the client returns. */
static ErrorData *wait_hook_error = NULL;

/*
 * Wait sets are kept for later waits on the same sockets with the same
 * events (a point query waits once per RPC, on the connection to the
 * replica of its key; building a set costs an epoll instance and a
 * registration per socket).  A few are kept, the least recently used one
 * replaced.  A closed socket leaves the epoll instances by itself; its
 * number may then be given to a new socket, which is told apart by its
 * inode, so a kept set never waits on a socket it does not hold.
 */
#define WAIT_SET_KEPT_FDS 8
#define WAIT_SETS_KEPT 4

typedef struct KeptWaitSet
{
	WaitEventSet *set;			/* NULL: free slot */
	int			nfds;			/* -1 while being built */
	uint64		last_use;
	PegasusPollFd fds[WAIT_SET_KEPT_FDS];
	ino_t		inodes[WAIT_SET_KEPT_FDS];
} KeptWaitSet;

static KeptWaitSet kept_sets[WAIT_SETS_KEPT];
static uint64 wait_count = 0;

/* A kept set serving fds, or NULL. */
static WaitEventSet *
kept_wait_set(PegasusPollFd *fds, int nfds)
{
	int			k;
	int			i;

	for (k = 0; k < WAIT_SETS_KEPT; k++)
	{
		KeptWaitSet *ks = &kept_sets[k];

		if (ks->set == NULL || ks->nfds != nfds)
			continue;
		for (i = 0; i < nfds; i++)
		{
			struct stat st;

			if (fds[i].fd != ks->fds[i].fd || fds[i].events != ks->fds[i].events ||
				fstat(fds[i].fd, &st) != 0 || st.st_ino != ks->inodes[i])
				break;
		}
		if (i == nfds)
		{
			ks->last_use = ++wait_count;
			return ks->set;
		}
	}
	return NULL;
}

static bool
is_kept(WaitEventSet *set)
{
	int			k;

	for (k = 0; k < WAIT_SETS_KEPT; k++)
		if (kept_sets[k].set == set)
			return true;
	return false;
}

/*
 * Builds a wait set for fds, kept (in TopMemoryContext, in place of the
 * least recently used one) when it has few sockets that can be told apart.
 */
static WaitEventSet *
build_wait_set(PegasusPollFd *fds, int nfds)
{
	ino_t		inodes[WAIT_SET_KEPT_FDS];
	bool		keep = nfds <= WAIT_SET_KEPT_FDS;
	KeptWaitSet *slot = NULL;
	WaitEventSet *set;
	int			i;

	for (i = 0; keep && i < nfds; i++)
	{
		struct stat st;

		if (fstat(fds[i].fd, &st) != 0)
			keep = false;
		else
			inodes[i] = st.st_ino;
	}
	if (keep)
	{
		int			k;

		slot = &kept_sets[0];
		for (k = 1; k < WAIT_SETS_KEPT; k++)
			if (kept_sets[k].set == NULL ||
				(slot->set != NULL && kept_sets[k].last_use < slot->last_use))
				slot = &kept_sets[k];
		if (slot->set != NULL)
		{
			WaitEventSet *old = slot->set;

			slot->set = NULL;
			FreeWaitEventSet(old);
		}
	}
	/* a kept set outlives the query; any other is released if it fails */
	set = CreateWaitEventSet(keep ? NULL : CurrentResourceOwner, nfds + 2);
	if (keep)
	{
		/* replaced by a later build, even if this one fails */
		slot->set = set;
		slot->nfds = -1;
		slot->last_use = ++wait_count;
	}
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	/* a stand-alone backend (postgres --single) has no postmaster */
	if (IsUnderPostmaster)
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	for (i = 0; i < nfds; i++)
	{
		uint32		ev = 0;

		if (fds[i].events & PEGASUS_POLL_IN)
			ev |= WL_SOCKET_READABLE;
		if (fds[i].events & PEGASUS_POLL_OUT)
			ev |= WL_SOCKET_WRITEABLE;
		if (ev == 0)
			ev = WL_SOCKET_READABLE;
		AddWaitEventToSet(set, ev, fds[i].fd, NULL, (void *) (intptr_t) i);
	}
	if (keep)
	{
		for (i = 0; i < nfds; i++)
		{
			slot->fds[i] = fds[i];
			slot->inodes[i] = inodes[i];
		}
		slot->nfds = nfds;
	}
	return set;
}

/*
 * The wait events a backend waiting on Pegasus shows in
 * pg_stat_activity.wait_event (from PostgreSQL 17 on; before, every one is
 * "Extension").  Registered on first use; the names are in doc/monitoring.md.
 */
static uint32
wait_event_of(PegasusWaitKind kind)
{
	static const char *const names[] = {
		[PEGASUS_WAIT_READ] = "PegasusRead",
		[PEGASUS_WAIT_WRITE] = "PegasusWrite",
		[PEGASUS_WAIT_CONNECT] = "PegasusConnect",
		[PEGASUS_WAIT_META] = "PegasusMeta",
		[PEGASUS_WAIT_BACKOFF] = "PegasusBackoff",
		[PEGASUS_WAIT_NEGOTIATE] = "PegasusNegotiate",
	};
	static uint32 events[lengthof(names)];

	if ((unsigned) kind >= lengthof(names))
		kind = PEGASUS_WAIT_READ;
	if (events[kind] == 0)
		events[kind] = WaitEventExtensionNew(names[kind]);
	return events[kind];
}

/*
 * The wait hook: sleeps on the client's sockets and on our latch, so that
 * cancel, statement_timeout and postmaster death are noticed while waiting.
 * Returns -1 (abandon the call) when an interrupt that ends the query is
 * pending; CHECK_FOR_INTERRUPTS() runs after the client call returns.  It
 * must never longjmp through client code, so any error raised here is kept
 * and rethrown by pegfdw_check_call().
 */
int
pegfdw_wait_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	volatile int result = 0;
	MemoryContext oldcxt = CurrentMemoryContext;

	if (QueryCancelPending || ProcDiePending)
		return -1;

	PG_TRY();
	{
		WaitEventSet *set;
		WaitEvent  *occurred;
		int			n;
		int			i;
		int			ready = 0;

		set = kept_wait_set(fds, nfds);
		if (set == NULL)
			set = build_wait_set(fds, nfds);
		occurred = palloc(sizeof(WaitEvent) * (nfds + 2));
		for (i = 0; i < nfds; i++)
			fds[i].revents = 0;
		n = WaitEventSetWait(set, timeout_ms, occurred, nfds + 2,
							 wait_event_of(arg ? pegasus_client_wait_kind(arg) :
										   PEGASUS_WAIT_META));
		for (i = 0; i < n; i++)
		{
			WaitEvent  *e = &occurred[i];

			if (e->events & WL_LATCH_SET)
				ResetLatch(MyLatch);
			else if (e->events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			{
				int			k = (int) (intptr_t) e->user_data;

				if (fds[k].revents == 0)
					ready++;
				if (e->events & WL_SOCKET_READABLE)
					fds[k].revents |= PEGASUS_POLL_IN;
				if (e->events & WL_SOCKET_WRITEABLE)
					fds[k].revents |= PEGASUS_POLL_OUT;
			}
		}
		if (!is_kept(set))
			FreeWaitEventSet(set);
		pfree(occurred);
		result = ready;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		if (wait_hook_error == NULL)
		{
			MemoryContextSwitchTo(TopMemoryContext);
			wait_hook_error = CopyErrorData();
			MemoryContextSwitchTo(oldcxt);
		}
		FlushErrorState();
		result = -1;
	}
	PG_END_TRY();

	if (QueryCancelPending || ProcDiePending)
		return -1;
	return result;
}

/*
 * Raises again an error raised inside the wait hook: it is the real cause of
 * a call the hook made the client abandon.  It is raised anew rather than
 * rethrown so that the caller's error context callbacks (e.g. what a write
 * had done when it was cancelled) describe it too.
 */
void
pegfdw_rethrow_wait_hook_error(void)
{
	if (wait_hook_error)
	{
		ErrorData  *edata = wait_hook_error;
		int			elevel = edata->elevel;
		int			sqlerrcode = edata->sqlerrcode;
		char	   *message = edata->message ? pstrdup(edata->message) : pstrdup("");
		char	   *detail = edata->detail ? pstrdup(edata->detail) : NULL;
		char	   *hint = edata->hint ? pstrdup(edata->hint) : NULL;
		char	   *context = edata->context ? pstrdup(edata->context) : NULL;

		wait_hook_error = NULL;
		FreeErrorData(edata);
		ereport(elevel,
				(errcode(sqlerrcode),
				 errmsg_internal("%s", message),
				 detail ? errdetail_internal("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0,
				 context ? errcontext("%s", context) : 0));
	}
}

/* Drops an error the wait hook kept that no call raised (transaction end). */
void
pegfdw_forget_wait_hook_error(void)
{
	if (wait_hook_error)
	{
		FreeErrorData(wait_hook_error);
		wait_hook_error = NULL;
	}
}
