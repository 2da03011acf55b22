/*-------------------------------------------------------------------------
 *
 * stats_shared.c
 *		The cluster-wide store of Pegasus call statistics: a fixed table of
 *		entries in shared memory under one LWLock, which backends add their
 *		counts to at transaction end.
 *
 * Where the table lives:
 *	- loaded by shared_preload_libraries, from 18 on: a custom kind of
 *	  PostgreSQL's cumulative statistics (fixed-numbered), so that the table
 *	  is written to the statistics file at a clean shut-down, read back at
 *	  the next start and discarded after a crash, as PostgreSQL's own counts
 *	  are;
 *	- loaded by shared_preload_libraries before 18: the main shared memory,
 *	  requested at start-up;
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
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "stats.h"

#ifdef PEGFDW_HAVE_CUSTOM_PGSTAT
#include "utils/pgstat_internal.h"
#endif

/* the custom statistics kind's ID unless pegasus_fdw.stats_kind_id says */
#define PEGFDW_STATS_KIND_DEFAULT 30

/* keys the store holds: servers x tables x operations in use */
#define STATS_MAX_ENTRIES 1024
#define STATS_SHMEM_NAME "pegasus_fdw call statistics"
#define STATS_TRANCHE_NAME "pegasus_fdw_stats"

typedef struct SharedSlot
{
	uint32		hash;			/* of key */
	PegFdwStatsEntry e;
} SharedSlot;

/*
 * The counts: on 18 and later, what PostgreSQL's statistics file keeps of
 * them, byte for byte.  magic names this layout, so that a file written by
 * another layout of the same size is not read as counts.
 */
#define STATS_MAGIC 0x50474631	/* "PGF1" */

typedef struct StatsData
{
	uint32		magic;
	int			n;				/* slots in use, from the first */
	TimestampTz reset_time;
	SharedSlot	slots[STATS_MAX_ENTRIES];
} StatsData;

typedef struct StatsShared
{
	LWLock		lock;
	int			tranche_id;
	StatsData	d;
} StatsShared;

static StatsShared *shared = NULL;
static bool tranche_registered = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
data_reset(StatsData *d, TimestampTz ts)
{
	d->magic = STATS_MAGIC;
	d->n = 0;
	d->reset_time = ts;
}

static void
shared_initialize(StatsShared *s)
{
	memset(s, 0, sizeof(*s));
	s->tranche_id = pegfdw_new_tranche(STATS_TRANCHE_NAME);
	LWLockInitialize(&s->lock, s->tranche_id);
	data_reset(&s->d, GetCurrentTimestamp());
}

#ifdef PEGFDW_HAVE_CUSTOM_PGSTAT
/*
 * The custom statistics kind (18 and later, preloaded).  Its ID must be
 * unique among the kinds of the libraries a cluster loads: the GUC
 * pegasus_fdw.stats_kind_id moves it should another library use the same.
 */
static int	stats_kind_id = PEGFDW_STATS_KIND_DEFAULT;
static bool use_pgstat = false;

static void
kind_init_shmem(void *stats)
{
	shared_initialize((StatsShared *) stats);
}

static void
kind_reset_all(TimestampTz ts)
{
	StatsShared *s = pgstat_get_custom_shmem_data((PgStat_Kind) stats_kind_id);

	LWLockAcquire(&s->lock, LW_EXCLUSIVE);
	data_reset(&s->d, ts);
	LWLockRelease(&s->lock);
}

/* What the statistics file gets at shut-down: a copy of the counts. */
static void
kind_snapshot(void)
{
	StatsShared *s = pgstat_get_custom_shmem_data((PgStat_Kind) stats_kind_id);
	StatsData  *snap = pgstat_get_custom_snapshot_data((PgStat_Kind) stats_kind_id);

	LWLockAcquire(&s->lock, LW_SHARED);
	memcpy(snap, &s->d, sizeof(StatsData));
	LWLockRelease(&s->lock);
}

static const PgStat_KindInfo stats_kind_info = {
	.name = "pegasus_fdw",
	.fixed_amount = true,
	.write_to_file = true,
	.shared_size = sizeof(StatsShared),
	.shared_data_off = offsetof(StatsShared, d),
	.shared_data_len = sizeof(StatsData),
	.init_shmem_cb = kind_init_shmem,
	.reset_all_cb = kind_reset_all,
	.snapshot_cb = kind_snapshot,
};
#endif

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

/*
 * From _PG_init: asks for shared memory when preloaded (from 18 on, through
 * a custom kind of cumulative statistics).
 */
void
pegfdw_stats_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
#ifdef PEGFDW_HAVE_CUSTOM_PGSTAT
	/* PGC_POSTMASTER: PostgreSQL accepts it only while preloading */
	DefineCustomIntVariable("pegasus_fdw.stats_kind_id",
							"ID of the custom cumulative statistics kind that holds pegasus_fdw_stats.",
							"Change it only when another library of this cluster registers the same ID.",
							&stats_kind_id,
							PEGFDW_STATS_KIND_DEFAULT,
							PGSTAT_KIND_CUSTOM_MIN, PGSTAT_KIND_CUSTOM_MAX,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	pgstat_register_kind((PgStat_Kind) stats_kind_id, &stats_kind_info);
	use_pgstat = true;
	return;
#endif
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
#ifdef PEGFDW_HAVE_CUSTOM_PGSTAT
		if (use_pgstat)
		{
			StatsShared *s = pgstat_get_custom_shmem_data((PgStat_Kind) stats_kind_id);

			/* the counts as read back from the statistics file */
			LWLockAcquire(&s->lock, LW_EXCLUSIVE);
			if (s->d.magic != STATS_MAGIC || s->d.n < 0 || s->d.n > STATS_MAX_ENTRIES)
				data_reset(&s->d, GetCurrentTimestamp());
			LWLockRelease(&s->lock);
			shared = s;
		}
#endif
	}
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
	for (i = 0; i < shared->d.n; i++)
		if (shared->d.slots[i].hash == hash &&
			memcmp(&shared->d.slots[i].e.key, &e->key, sizeof(e->key)) == 0)
		{
			slot = &shared->d.slots[i];
			break;
		}
	if (slot == NULL)
	{
		if (shared->d.n >= STATS_MAX_ENTRIES)
		{
			LWLockRelease(&shared->lock);
			return false;
		}
		slot = &shared->d.slots[shared->d.n++];
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
	for (i = 0; i < shared->d.n; i++)
		out[i] = shared->d.slots[i].e;
	*n = shared->d.n;
	*reset_time = shared->d.reset_time;
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
		data_reset(&shared->d, GetCurrentTimestamp());
	else
	{
		for (i = 0; i < shared->d.n; i++)
			if (shared->d.slots[i].e.key.serverid != serverid)
			{
				if (kept != i)
					shared->d.slots[kept] = shared->d.slots[i];
				kept++;
			}
		shared->d.n = kept;
	}
	LWLockRelease(&shared->lock);
}
