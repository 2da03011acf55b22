/*-------------------------------------------------------------------------
 *
 * pegasus_stats.h
 *		The call observer: what the client tells its embedder about every
 *		finished logical call and every retry, and the partition table as
 *		the client last saw it.
 *
 * A logical call is one request as the caller made it (a get, one page of
 * a scan, one group of a batch): its attempts, retries and backoffs are
 * counted inside it.  The observer runs on the caller's thread, inside the
 * client's call, after the call's outcome is decided and before the caller
 * sees it; it must not call back into the client.  Without an observer the
 * client does no extra work.
 *
 * Included at the end of pegasus_client.h.
 *
 * src/client/pegasus_stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_STATS_H
#define PEGASUS_STATS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

typedef enum PegasusCallEvent
{
	PEGASUS_CALL_EVENT_FINISHED,	/* the call is done or has failed */
	PEGASUS_CALL_EVENT_RETRY	/* an attempt failed; another follows */
} PegasusCallEvent;

typedef struct PegasusCallReport
{
	PegasusCallEvent event;
	const char *op;				/* "get", "multi_get", "scan", ... */
	const char *table;			/* Pegasus table name */
	int32_t		app_id;
	int32_t		partition_index;	/* of the last attempt; -1 if none */
	const char *endpoint;		/* replica of the last attempt; "" if none */
	uint64_t	records_sent;	/* keys or records in the request */
	uint64_t	records_received;	/* records in the reply (FINISHED, ok) */
	uint64_t	bytes_sent;		/* request frames written, every attempt */
	uint64_t	bytes_received; /* reply frames read, every attempt */
	int64_t		elapsed_us;		/* first attempt's start to now */
	int			retries;		/* retries so far */
	bool		ok;				/* FINISHED: the call succeeded */
	bool		timed_out;		/* FINISHED: failed with PEGASUS_ERR_TIMEOUT */
	/*
	 * FINISHED and failed: the error the caller receives.  RETRY: the cause
	 * of the retry (error->server_error names a replica's rejection such as
	 * "ERR_BUSY"; otherwise error->code says what happened).
	 */
	const PegasusError *error;
} PegasusCallReport;

typedef void (*PegasusCallObserver) (const PegasusCallReport *report,
									 void *arg);

/*
 * Registers observer (NULL: none) with arg on client; replaces any earlier
 * one.
 */
extern void pegasus_client_set_call_observer(PegasusClient *client,
											 PegasusCallObserver observer,
											 void *arg);

/*
 * Microseconds the client has spent waiting for replicas' replies (and the
 * backoffs between attempts) since it was created: an embedder measures a
 * stretch of work by the difference.
 */
extern uint64_t pegasus_client_wait_us(const PegasusClient *client);

/* One partition of a table as the client's routing shows it. */
typedef struct PegasusPartitionInfo
{
	int			partition_index;
	const char *primary;		/* "host:port", "" when none is known */
	const char *secondaries;	/* comma-separated, "" when none */
	int64_t		ballot;			/* -1: not registered (a split's child) */
} PegasusPartitionInfo;

/*
 * The routing of table as last fetched from the meta server, without
 * asking it again: fills *info for partition index i (false when i is out
 * of range).  stale tells whether the client will refresh it before the
 * next call.
 */
extern bool pegasus_table_partition_info(const PegasusTable *table, int i,
										 PegasusPartitionInfo *info);
extern bool pegasus_table_routing_stale(const PegasusTable *table);

/* The tables the client has opened, in no particular order. */
extern int	pegasus_client_open_tables(PegasusClient *client,
									   PegasusTable **tables, int max);

#ifdef __cplusplus
}
#endif

#endif							/* PEGASUS_STATS_H */
