/*-------------------------------------------------------------------------
 *
 * stats.h
 *		Statistics of Pegasus calls: counters per (server, Pegasus table,
 *		operation) and per (server, replica, operation), accumulated by each
 *		backend from the client's call observer and flushed to a
 *		cluster-wide store at transaction end.
 *
 * stats_local.c	the observer, per-backend accumulation, slow-call and
 *					retry logging, the GUCs
 * stats_shared.c	the cluster-wide store (shared memory; a custom kind of
 *					cumulative statistics on 18 and later)
 * stats_views.c	pegasus_fdw_stats(), pegasus_fdw_replica_stats(),
 *					pegasus_fdw_stats_reset(), pegasus_fdw_partitions()
 *
 * src/fdw/stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_STATS_H
#define PEGFDW_STATS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "pegasus_client.h"

#define PEGFDW_STATS_TABLE_LEN 128
#define PEGFDW_STATS_OP_LEN 32
#define PEGFDW_STATS_REPLICA_LEN 64
#define PEGFDW_STATS_ERROR_LEN 48
#define PEGFDW_STATS_MESSAGE_LEN 256

/*
 * Latency histogram: bucket i counts calls of at most
 * pegfdw_stats_bucket_us[i] microseconds; the last bucket has no bound.
 */
#define PEGFDW_STATS_BUCKETS 20
extern const int64 pegfdw_stats_bucket_us[PEGFDW_STATS_BUCKETS];

/*
 * Hash key: zero-filled before use, so that it can be hashed as bytes.
 * Each call is counted twice: under its table (replica "") and under the
 * replica of its last attempt (table "").
 */
typedef struct PegFdwStatsKey
{
	Oid			serverid;
	char		table[PEGFDW_STATS_TABLE_LEN];
	char		op[PEGFDW_STATS_OP_LEN];
	char		replica[PEGFDW_STATS_REPLICA_LEN];	/* host:port */
} PegFdwStatsKey;

typedef struct PegFdwStatsCounters
{
	int64		calls;
	int64		errors;
	int64		retries;
	int64		timeouts;
	int64		records_sent;
	int64		records_received;
	int64		bytes_sent;
	int64		bytes_received;
	int64		total_us;
	int64		max_us;
	int64		hist[PEGFDW_STATS_BUCKETS];
	TimestampTz last_error_time;	/* 0: no error */
	char		last_error_code[PEGFDW_STATS_ERROR_LEN];
	char		last_error_message[PEGFDW_STATS_MESSAGE_LEN];
} PegFdwStatsCounters;

typedef struct PegFdwStatsEntry
{
	PegFdwStatsKey key;			/* must be first */
	char		servername[NAMEDATALEN];	/* when it was counted */
	PegFdwStatsCounters c;
} PegFdwStatsEntry;

/* in stats_counters.c */
extern void pegfdw_stats_add(PegFdwStatsCounters *dst,
							 const PegFdwStatsCounters *src);
extern double pegfdw_stats_percentile_ms(const PegFdwStatsCounters *c,
										 double fraction);

/* in stats_local.c */
extern int	pegfdw_log_min_duration_ms;
extern bool pegfdw_log_retries;
extern bool pegfdw_track_calls;
extern void pegfdw_stats_init(void);
extern void pegfdw_stats_attach(PegasusClient *client, Oid serverid,
								const char *servername);
extern PegFdwStatsEntry *pegfdw_stats_local_entries(int *n);
extern void pegfdw_stats_local_reset(Oid serverid);
extern int64 pegfdw_stats_wait_us(void);

/* in stats_shared.c */
extern void pegfdw_stats_shmem_init(void);
extern bool pegfdw_stats_shared_attach(void);
extern bool pegfdw_stats_shared_ready(void);
extern bool pegfdw_stats_shared_flush(const PegFdwStatsEntry *e);
extern PegFdwStatsEntry *pegfdw_stats_shared_copy(int *n,
												  TimestampTz *reset_time);
extern void pegfdw_stats_shared_reset(Oid serverid);
extern const char *pegfdw_stats_scope(void);

#endif							/* PEGFDW_STATS_H */
