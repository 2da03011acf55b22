/*-------------------------------------------------------------------------
 *
 * stats_local.c
 *		Per-backend statistics of Pegasus calls: the client's call observer
 *		counts each finished call under (server, Pegasus table, operation)
 *		and under (server, replica, operation), logs slow calls and retries;
 *		the counts go to the cluster-wide store at transaction end.
 *
 * The observer runs inside the client, in the middle of its call: it
 * neither allocates from PostgreSQL's memory contexts (after the first
 * call of a key) nor raises errors; the LOG lines it emits do not return
 * control elsewhere.
 *
 * src/fdw/stats_local.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "stats.h"

int			pegfdw_log_min_duration_ms = -1;
bool		pegfdw_log_retries = false;
bool		pegfdw_track_calls = true;


/* What the observer of one client knows about it (TopMemoryContext). */
typedef struct StatsServer
{
	Oid			serverid;
	char		name[NAMEDATALEN];
} StatsServer;

/* A local entry: the counters not yet flushed (all of them without a store). */
typedef struct LocalEntry
{
	PegFdwStatsEntry e;
	bool		pending;		/* counted since the last flush */
} LocalEntry;

static HTAB *local_hash = NULL;
static List *servers = NIL;		/* StatsServer *, reused across clients */
static bool any_pending = false;
static int64 wait_us_total = 0; /* every finished call's time */

/* the entries of the last call, to skip the hash lookups of a repeated one */
typedef struct EntryCache
{
	const StatsServer *srv;
	LocalEntry *le;
} EntryCache;
static EntryCache last_table = {NULL, NULL};
static EntryCache last_replica = {NULL, NULL};

static void stats_xact_callback(XactEvent event, void *arg);

void
pegfdw_stats_init(void)
{
	DefineCustomIntVariable("pegasus_fdw.log_min_duration_ms",
							"Logs each Pegasus call that takes at least this long.",
							"-1 turns this off, 0 logs every call.",
							&pegfdw_log_min_duration_ms,
							-1, -1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("pegasus_fdw.log_retries",
							 "Logs each retry of a Pegasus call with its cause.",
							 NULL,
							 &pegfdw_log_retries,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pegasus_fdw.track_calls",
							 "Counts Pegasus calls in pegasus_fdw_stats.",
							 NULL,
							 &pegfdw_track_calls,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	pegfdw_stats_shmem_init();
	RegisterXactCallback(stats_xact_callback, NULL);
}

static void
init_local_hash(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(PegFdwStatsKey);
	ctl.entrysize = sizeof(LocalEntry);
	ctl.hcxt = TopMemoryContext;
	local_hash = hash_create("pegasus_fdw call statistics", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * The local entry of a call under (table, op, replica), created when first
 * seen; cache remembers the last one found through it.
 */
static LocalEntry *
local_entry(const StatsServer *srv, const char *table, const char *op,
			const char *replica, EntryCache *cache)
{
	PegFdwStatsKey key;
	LocalEntry *le;
	bool		found;

	if (cache->le != NULL && cache->srv == srv &&
		strcmp(cache->le->e.key.op, op) == 0 &&
		strcmp(cache->le->e.key.table, table) == 0 &&
		strcmp(cache->le->e.key.replica, replica) == 0)
		return cache->le;
	if (local_hash == NULL)
		init_local_hash();
	memset(&key, 0, sizeof(key));
	key.serverid = srv->serverid;
	strlcpy(key.table, table, sizeof(key.table));
	strlcpy(key.op, op, sizeof(key.op));
	strlcpy(key.replica, replica, sizeof(key.replica));
	le = hash_search(local_hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(&le->e.c, 0, sizeof(le->e.c));
		le->pending = false;
	}
	/* the name as it is now, should the server have been renamed */
	strlcpy(le->e.servername, srv->name, sizeof(le->e.servername));
	cache->srv = srv;
	cache->le = le;
	return le;
}

static int
bucket_of(int64 us)
{
	int			i;

	for (i = 0; i < PEGFDW_STATS_BUCKETS - 1; i++)
		if (us <= pegfdw_stats_bucket_us[i])
			break;
	return i;
}

/*
 * The cause of a failure or a retry: the replica's ERR_* name when it
 * rejected the request, else the kind of error.
 */
static const char *
error_cause(const PegasusError *err)
{
	if (err == NULL)
		return "";
	if ((err->code == PEGASUS_ERR_SERVER || err->code == PEGASUS_ERR_BUSY) &&
		err->server_error[0] != '\0')
		return err->server_error;
	return pegasus_error_code_name(err->code);
}

static void
add_call(LocalEntry *le, const PegasusCallReport *r)
{
	PegFdwStatsCounters *c = &le->e.c;

	c->calls++;
	c->retries += r->retries;
	c->records_sent += (int64) r->records_sent;
	c->records_received += (int64) r->records_received;
	c->bytes_sent += (int64) r->bytes_sent;
	c->bytes_received += (int64) r->bytes_received;
	c->total_us += r->elapsed_us;
	if (r->elapsed_us > c->max_us)
		c->max_us = r->elapsed_us;
	c->hist[bucket_of(r->elapsed_us)]++;
	if (!r->ok)
	{
		c->errors++;
		if (r->timed_out)
			c->timeouts++;
		c->last_error_time = GetCurrentTimestamp();
		strlcpy(c->last_error_code, error_cause(r->error),
				sizeof(c->last_error_code));
		strlcpy(c->last_error_message, r->error ? r->error->message : "",
				sizeof(c->last_error_message));
	}
	le->pending = true;
	any_pending = true;
}

static void
count_call(const StatsServer *srv, const PegasusCallReport *r)
{
	/* an error in the hash lookup would escape the client: none is raised
	 * but out of memory, which is as fatal there as anywhere */
	add_call(local_entry(srv, r->table, r->op, "", &last_table), r);
	/* a call that never reached a replica has none to count it under */
	if (r->endpoint[0] != '\0')
		add_call(local_entry(srv, "", r->op, r->endpoint, &last_replica), r);
}

static void
log_slow_call(const StatsServer *srv, const PegasusCallReport *r)
{
	ereport(LOG,
			(errmsg("duration: %.3f ms  pegasus %s on table \"%s\" of server \"%s\": partition %d, replica %s, records sent %llu, received %llu, bytes sent %llu, received %llu, retries %d%s%s",
					(double) r->elapsed_us / 1000.0, r->op, r->table, srv->name,
					r->partition_index,
					r->endpoint[0] ? r->endpoint : "none",
					(unsigned long long) r->records_sent,
					(unsigned long long) r->records_received,
					(unsigned long long) r->bytes_sent,
					(unsigned long long) r->bytes_received,
					r->retries,
					r->ok ? "" : ", failed: ",
					r->ok ? "" : error_cause(r->error)),
			 errhidestmt(false)));
}

static void
log_retry(const StatsServer *srv, const PegasusCallReport *r)
{
	ereport(LOG,
			(errmsg("pegasus %s on table \"%s\" of server \"%s\" retried (retry %d after %.3f ms): partition %d, replica %s, cause %s",
					r->op, r->table, srv->name, r->retries,
					(double) r->elapsed_us / 1000.0, r->partition_index,
					r->endpoint[0] ? r->endpoint : "none",
					error_cause(r->error)),
			 (r->error && r->error->message[0]) ?
			 errdetail_internal("%s", r->error->message) : 0));
}

static void
observe_call(const PegasusCallReport *r, void *arg)
{
	const StatsServer *srv = arg;

	if (r->event == PEGASUS_CALL_EVENT_RETRY)
	{
		if (pegfdw_log_retries)
			log_retry(srv, r);
		return;
	}
	wait_us_total += r->elapsed_us;
	if (pegfdw_track_calls)
		count_call(srv, r);
	if (pegfdw_log_min_duration_ms >= 0 &&
		r->elapsed_us >= (int64) pegfdw_log_min_duration_ms * 1000)
		log_slow_call(srv, r);
}

/*
 * Registers the observer on a new client of server serverid.  Called where
 * an error may be raised: it also attaches this backend to the shared
 * store, so that flushing at transaction end never has to.
 */
void
pegfdw_stats_attach(PegasusClient *client, Oid serverid,
					const char *servername)
{
	ListCell   *lc;
	StatsServer *srv = NULL;

	foreach(lc, servers)
	{
		StatsServer *s = lfirst(lc);

		if (s->serverid == serverid)
			srv = s;
	}
	if (srv == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		srv = palloc0(sizeof(StatsServer));
		srv->serverid = serverid;
		servers = lappend(servers, srv);
		MemoryContextSwitchTo(old);
	}
	strlcpy(srv->name, servername, sizeof(srv->name));
	(void) pegfdw_stats_shared_attach();
	pegasus_client_set_call_observer(client, observe_call, srv);
}

/*
 * This backend's counts not yet in the shared store (palloc'd copies);
 * without a store, all of them.
 */
PegFdwStatsEntry *
pegfdw_stats_local_entries(int *n)
{
	PegFdwStatsEntry *out;
	HASH_SEQ_STATUS scan;
	LocalEntry *le;
	int			i = 0;

	*n = 0;
	if (local_hash == NULL)
		return NULL;
	out = palloc(sizeof(PegFdwStatsEntry) * Max(hash_get_num_entries(local_hash), 1));
	hash_seq_init(&scan, local_hash);
	while ((le = hash_seq_search(&scan)) != NULL)
		if (le->pending)
			out[i++] = le->e;
	*n = i;
	return out;
}

/* Forgets this backend's counts of server serverid (InvalidOid: all). */
void
pegfdw_stats_local_reset(Oid serverid)
{
	HASH_SEQ_STATUS scan;
	LocalEntry *le;

	if (local_hash == NULL)
		return;
	hash_seq_init(&scan, local_hash);
	while ((le = hash_seq_search(&scan)) != NULL)
		if (!OidIsValid(serverid) || le->e.key.serverid == serverid)
		{
			memset(&le->e.c, 0, sizeof(le->e.c));
			le->pending = false;
		}
}

/* The time this backend has waited on finished Pegasus calls, in total. */
int64
pegfdw_stats_wait_us(void)
{
	return wait_us_total;
}

/* Moves the pending counts to the shared store (if there is one). */
static void
flush_pending(void)
{
	HASH_SEQ_STATUS scan;
	LocalEntry *le;

	if (!any_pending || local_hash == NULL || !pegfdw_stats_shared_ready())
		return;
	hash_seq_init(&scan, local_hash);
	while ((le = hash_seq_search(&scan)) != NULL)
	{
		if (!le->pending)
			continue;
		/* a full store keeps the counts here, shown by this backend */
		if (!pegfdw_stats_shared_flush(&le->e))
			continue;
		memset(&le->e.c, 0, sizeof(le->e.c));
		le->pending = false;
	}
	any_pending = false;
}

static void
stats_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			flush_pending();
			break;
		default:
			break;
	}
}
