/*-------------------------------------------------------------------------
 *
 * stats_views.c
 *		SQL functions over the call statistics and the routing:
 *		pegasus_fdw_stats() and pegasus_fdw_replica_stats() (behind the
 *		views of those names), pegasus_fdw_stats_reset([server]) and
 *		pegasus_fdw_partitions(server, table).
 *
 * src/fdw/stats_views.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "pegasus_fdw.h"
#include "stats.h"

PG_FUNCTION_INFO_V1(pegasus_fdw_stats);
PG_FUNCTION_INFO_V1(pegasus_fdw_replica_stats);
PG_FUNCTION_INFO_V1(pegasus_fdw_stats_reset);
PG_FUNCTION_INFO_V1(pegasus_fdw_partitions);

#define STATS_COLS 22

/* The server's name now, or as it was counted if it is gone or renamed away. */
static const char *
server_name_of(const PegFdwStatsEntry *e)
{
	ForeignServer *server = GetForeignServerExtended(e->key.serverid,
													 FSV_MISSING_OK);

	return server ? server->servername : e->servername;
}

/*
 * One row of either view: per_replica names the replica in the second
 * column, else the Pegasus table.
 */
static void
stats_row(Tuplestorestate *ts, TupleDesc desc, const PegFdwStatsEntry *e,
		  bool per_replica, TimestampTz reset_time, const char *scope)
{
	Datum		values[STATS_COLS];
	bool		nulls[STATS_COLS];
	const PegFdwStatsCounters *c = &e->c;
	int			i = 0;

	memset(nulls, 0, sizeof(nulls));
	values[i++] = CStringGetTextDatum(server_name_of(e));
	values[i++] = CStringGetTextDatum(per_replica ? e->key.replica : e->key.table);
	values[i++] = CStringGetTextDatum(e->key.op);
	values[i++] = Int64GetDatum(c->calls);
	values[i++] = Int64GetDatum(c->errors);
	values[i++] = Int64GetDatum(c->retries);
	values[i++] = Int64GetDatum(c->timeouts);
	values[i++] = Int64GetDatum(c->records_sent);
	values[i++] = Int64GetDatum(c->records_received);
	values[i++] = Int64GetDatum(c->bytes_sent);
	values[i++] = Int64GetDatum(c->bytes_received);
	values[i++] = Float8GetDatum((double) c->total_us / 1000.0);
	values[i++] = Float8GetDatum((double) c->max_us / 1000.0);
	values[i++] = Float8GetDatum(c->calls > 0 ?
								 (double) c->total_us / 1000.0 / (double) c->calls : 0.0);
	values[i++] = Float8GetDatum(pegfdw_stats_percentile_ms(c, 0.50));
	values[i++] = Float8GetDatum(pegfdw_stats_percentile_ms(c, 0.95));
	values[i++] = Float8GetDatum(pegfdw_stats_percentile_ms(c, 0.99));
	if (c->last_error_time != 0)
	{
		values[i++] = CStringGetTextDatum(c->last_error_code);
		values[i++] = CStringGetTextDatum(c->last_error_message);
		values[i++] = TimestampTzGetDatum(c->last_error_time);
	}
	else
	{
		nulls[i++] = true;
		nulls[i++] = true;
		nulls[i++] = true;
	}
	if (reset_time != 0)
		values[i++] = TimestampTzGetDatum(reset_time);
	else
		nulls[i++] = true;
	values[i++] = CStringGetTextDatum(scope);
	Assert(i == STATS_COLS);
	tuplestore_putvalues(ts, desc, values, nulls);
}

/*
 * The rows of pegasus_fdw_stats (per_replica false) or of
 * pegasus_fdw_replica_stats: the store's counts plus this backend's not
 * yet flushed.
 */
static void
stats_rows(FunctionCallInfo fcinfo, bool per_replica)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PegFdwStatsEntry *shared;
	PegFdwStatsEntry *local;
	PegFdwStatsEntry *all;
	TimestampTz reset_time;
	int			nshared;
	int			nlocal;
	int			n;
	int			i;
	int			j;
	const char *scope;

	InitMaterializedSRF(fcinfo, 0);
	shared = pegfdw_stats_shared_copy(&nshared, &reset_time);
	scope = pegfdw_stats_scope();
	local = pegfdw_stats_local_entries(&nlocal);
	all = palloc(sizeof(PegFdwStatsEntry) * Max(nshared + nlocal, 1));
	n = nshared;
	if (nshared > 0)
		memcpy(all, shared, sizeof(PegFdwStatsEntry) * nshared);
	for (i = 0; i < nlocal; i++)
	{
		for (j = 0; j < nshared; j++)
			if (memcmp(&all[j].key, &local[i].key, sizeof(local[i].key)) == 0)
				break;
		if (j < nshared)
			pegfdw_stats_add(&all[j].c, &local[i].c);
		else
			all[n++] = local[i];
	}
	for (i = 0; i < n; i++)
		if (all[i].c.calls > 0 && (all[i].key.replica[0] != '\0') == per_replica)
			stats_row(rsinfo->setResult, rsinfo->setDesc, &all[i], per_replica,
					  reset_time, scope);
}

/* pegasus_fdw_stats(): one row per (server, Pegasus table, operation) */
Datum
pegasus_fdw_stats(PG_FUNCTION_ARGS)
{
	stats_rows(fcinfo, false);
	return (Datum) 0;
}

/*
 * pegasus_fdw_replica_stats(): one row per (server, replica, operation),
 * the replica being the one of a call's last attempt
 */
Datum
pegasus_fdw_replica_stats(PG_FUNCTION_ARGS)
{
	stats_rows(fcinfo, true);
	return (Datum) 0;
}

/* pegasus_fdw_stats_reset(server name DEFAULT NULL) */
Datum
pegasus_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	Oid			serverid = InvalidOid;

	if (!PG_ARGISNULL(0))
		serverid = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)),
										  false)->serverid;
	pegfdw_stats_shared_reset(serverid);
	pegfdw_stats_local_reset(serverid);
	PG_RETURN_VOID();
}

/*
 * pegasus_fdw_partitions(server, table): the routing of a Pegasus table as
 * this backend's client last fetched it (fetched now if the table was not
 * open yet).
 */
Datum
pegasus_fdw_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ForeignServer *server = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)),
												   false);
	char	   *tablename = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PegFdwServerOptions sopts;
	PegasusClient *client;
	PegasusTable *table;
	PegasusError err;
	PegasusPartitionInfo info;
	int			count;
	const char *split_state;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	pegfdw_get_server_options(server, &sopts);
	client = pegfdw_get_client(server->serverid, NULL);
	pegasus_error_clear(&err);
	table = pegasus_client_open_table(client, tablename, sopts.timeout_ms, &err);
	if (table == NULL)
		pegfdw_report_error(ERROR, &err, server->servername, tablename);
	count = pegasus_table_partition_count(table);
	/* children not yet registered: the parents still serve their keys */
	split_state = pegasus_table_scan_partition_count(table) < count ?
		"splitting" : "none";
	for (i = 0; pegasus_table_partition_info(table, i, &info); i++)
	{
		Datum		values[8];
		bool		nulls[8];
		char	   *list = pstrdup(info.secondaries);
		char	   *save = NULL;
		char	   *one;
		Datum		elems[16];
		int			nparts = 0;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(info.partition_index);
		if (info.primary[0] != '\0')
			values[1] = CStringGetTextDatum(info.primary);
		else
			nulls[1] = true;
		for (one = strtok_r(list, ",", &save); one != NULL && nparts < 16;
			 one = strtok_r(NULL, ",", &save))
			elems[nparts++] = CStringGetTextDatum(one);
		values[2] = PointerGetDatum(construct_array(elems, nparts, TEXTOID, -1,
													false, TYPALIGN_INT));
		values[3] = Int64GetDatum(info.ballot);
		values[4] = BoolGetDatum(info.ballot >= 0);
		values[5] = Int32GetDatum(count);
		values[6] = CStringGetTextDatum(split_state);
		values[7] = BoolGetDatum(pegasus_table_routing_stale(table));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
