/*-------------------------------------------------------------------------
 *
 * stats_counters.c
 *		The counters of Pegasus calls as numbers: the latency histogram's
 *		buckets, adding one set of counts to another, and percentiles.
 *		Used by the per-backend counts, the shared store and the views.
 *
 * src/fdw/stats_counters.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "stats.h"

/* 1-2-5 steps from 50 us to 60 s, then everything longer */
const int64 pegfdw_stats_bucket_us[PEGFDW_STATS_BUCKETS] = {
	50, 100, 200, 500,
	1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
	1000000, 2000000, 5000000, 10000000, 30000000, 60000000,
	PG_INT64_MAX
};

/* Adds src's counts to dst; the last error is the later of the two. */
void
pegfdw_stats_add(PegFdwStatsCounters *dst, const PegFdwStatsCounters *src)
{
	int			i;

	dst->calls += src->calls;
	dst->errors += src->errors;
	dst->retries += src->retries;
	dst->timeouts += src->timeouts;
	dst->records_sent += src->records_sent;
	dst->records_received += src->records_received;
	dst->bytes_sent += src->bytes_sent;
	dst->bytes_received += src->bytes_received;
	dst->total_us += src->total_us;
	dst->max_us = Max(dst->max_us, src->max_us);
	for (i = 0; i < PEGFDW_STATS_BUCKETS; i++)
		dst->hist[i] += src->hist[i];
	if (src->last_error_time > dst->last_error_time)
	{
		dst->last_error_time = src->last_error_time;
		memcpy(dst->last_error_code, src->last_error_code,
			   sizeof(dst->last_error_code));
		memcpy(dst->last_error_message, src->last_error_message,
			   sizeof(dst->last_error_message));
	}
}

/*
 * The time within which fraction of the calls finished: the upper bound of
 * the histogram bucket that holds that call, at most the longest call.
 */
double
pegfdw_stats_percentile_ms(const PegFdwStatsCounters *c, double fraction)
{
	int64		rank;
	int64		seen = 0;
	int			i;

	if (c->calls <= 0)
		return 0.0;
	rank = (int64) ceil(fraction * (double) c->calls);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < PEGFDW_STATS_BUCKETS; i++)
	{
		seen += c->hist[i];
		if (seen >= rank)
			return (double) Min(pegfdw_stats_bucket_us[i], c->max_us) / 1000.0;
	}
	return (double) c->max_us / 1000.0;
}
