/*-------------------------------------------------------------------------
 *
 * stats_shared.c
 *		The cluster-wide store of Pegasus call statistics: a fixed table of
 *		entries in shared memory under one LWLock, which backends add their
 *		counts to at transaction end.
 *
 * Where the table lives:
 *	- loaded by shared_preload_libraries: the main shared memory, requested
 *	  at start-up (every supported version);
 *	- otherwise, from 17 on: a named DSM segment, made by the first backend
 *	  that needs it;
 *	- otherwise (15 and 16 without preloading): nowhere; each backend keeps
 *	  its own counts, and pegasus_fdw_stats says so (scope 'backend').
 *
 * The store is written only at transaction end and read by the views, so
 * a single lock is enough; a full table keeps further keys' counts in the
 * backends that made them.
 *
 * src/fdw/stats_shared.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "stats.h"

/* keys the store holds: servers x tables x operations in use */
#define STATS_MAX_ENTRIES 1024
#define STATS_SHMEM_NAME "pegasus_fdw call statistics"
#define STATS_TRANCHE_NAME "pegasus_fdw_stats"

typedef struct SharedSlot
{
	uint32		hash;			/* of key */
	PegFdwStatsEntry e;
} SharedSlot;

typedef struct StatsShared
{
	LWLock		lock;
	int			tranche_id;
	int			n;				/* slots in use, from the first */
	TimestampTz reset_time;
	SharedSlot	slots[STATS_MAX_ENTRIES];
} StatsShared;

static StatsShared *shared = NULL;
static bool tranche_registered = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
shared_initialize(StatsShared *s)
{
	memset(s, 0, sizeof(*s));
	s->tranche_id = pegfdw_new_tranche(STATS_TRANCHE_NAME);
	LWLockInitialize(&s->lock, s->tranche_id);
	s->reset_time = GetCurrentTimestamp();
}

static void
stats_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(StatsShared)));
}

static void
stats_shmem_startup(void)
{
	bool		found;
	StatsShared *s;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	s = ShmemInitStruct(STATS_SHMEM_NAME, sizeof(StatsShared), &found);
	if (!found)
		shared_initialize(s);
	LWLockRelease(AddinShmemInitLock);
	shared = s;
}

/* From _PG_init: asks for shared memory when preloaded. */
void
pegfdw_stats_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = stats_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
}

#ifdef PEGFDW_HAVE_NAMED_DSM
static void
stats_dsm_init(PEGFDW_DSM_INIT_ARGS)
{
	shared_initialize((StatsShared *) ptr);
}
#endif

/*
 * Attaches this backend to the store, making it if needed; false when
 * there is none (15 and 16 without preloading).  May raise an error: call
 * it where one is allowed.
 */
bool
pegfdw_stats_shared_attach(void)
{
	if (shared == NULL)
	{
#ifdef PEGFDW_HAVE_NAMED_DSM
		bool		found;

		shared = pegfdw_named_dsm(STATS_SHMEM_NAME, sizeof(StatsShared),
								  stats_dsm_init, &found);
#else
		return false;
#endif
	}
	if (!tranche_registered)
	{
		pegfdw_register_tranche(shared->tranche_id, STATS_TRANCHE_NAME);
		tranche_registered = true;
	}
	return true;
}

/* Whether this backend is attached (never raises an error). */
bool
pegfdw_stats_shared_ready(void)
{
	return shared != NULL && tranche_registered;
}

const char *
pegfdw_stats_scope(void)
{
	return shared != NULL ? "cluster" : "backend";
}

/*
 * Adds one local entry's counts to the store.  false when the store is
 * full and has no slot for its key.
 */
bool
pegfdw_stats_shared_flush(const PegFdwStatsEntry *e)
{
	uint32		hash = hash_bytes((const unsigned char *) &e->key, sizeof(e->key));
	SharedSlot *slot = NULL;
	int			i;

	Assert(shared != NULL);
	LWLockAcquire(&shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < shared->n; i++)
		if (shared->slots[i].hash == hash &&
			memcmp(&shared->slots[i].e.key, &e->key, sizeof(e->key)) == 0)
		{
			slot = &shared->slots[i];
			break;
		}
	if (slot == NULL)
	{
		if (shared->n >= STATS_MAX_ENTRIES)
		{
			LWLockRelease(&shared->lock);
			return false;
		}
		slot = &shared->slots[shared->n++];
		memset(slot, 0, sizeof(*slot));
		slot->hash = hash;
		slot->e.key = e->key;
	}
	memcpy(slot->e.servername, e->servername, sizeof(slot->e.servername));
	pegfdw_stats_add(&slot->e.c, &e->c);
	LWLockRelease(&shared->lock);
	return true;
}

/* A palloc'd copy of the store's entries (NULL, 0 without a store). */
PegFdwStatsEntry *
pegfdw_stats_shared_copy(int *n, TimestampTz *reset_time)
{
	PegFdwStatsEntry *out;
	int			i;

	*n = 0;
	*reset_time = 0;
	if (!pegfdw_stats_shared_attach())
		return NULL;
	out = palloc(sizeof(PegFdwStatsEntry) * STATS_MAX_ENTRIES);
	LWLockAcquire(&shared->lock, LW_SHARED);
	for (i = 0; i < shared->n; i++)
		out[i] = shared->slots[i].e;
	*n = shared->n;
	*reset_time = shared->reset_time;
	LWLockRelease(&shared->lock);
	return out;
}

/* Forgets the counts of server serverid (InvalidOid: all of them). */
void
pegfdw_stats_shared_reset(Oid serverid)
{
	int			i;
	int			kept = 0;

	if (!pegfdw_stats_shared_attach())
		return;
	LWLockAcquire(&shared->lock, LW_EXCLUSIVE);
	if (!OidIsValid(serverid))
	{
		shared->n = 0;
		shared->reset_time = GetCurrentTimestamp();
	}
	else
	{
		for (i = 0; i < shared->n; i++)
			if (shared->slots[i].e.key.serverid != serverid)
			{
				if (kept != i)
					shared->slots[kept] = shared->slots[i];
				kept++;
			}
		shared->n = kept;
	}
	LWLockRelease(&shared->lock);
}
