/*-------------------------------------------------------------------------
 *
 * client_call.c
 *		One logical replica RPC: routing, sending, retrying, deadline.
 *
 * Retry policy (protocol notes 6.3/6.6):
 *	- ERR_OBJECT_NOT_FOUND, ERR_INVALID_STATE, ERR_PARENT_PARTITION_MISUSED,
 *	  ERR_SESSION_RESET, a partition without primary, a refused or failed
 *	  connection: refresh the routing, back off, retry.
 *	- ERR_BUSY, ERR_SPLITTING, ERR_NOT_ENOUGH_MEMBER, ERR_CAPACITY_EXCEEDED:
 *	  back off and retry without refresh.  (The Java and Go clients fail
 *	  at once on ERR_BUSY; a throttled replica's window is one second and
 *	  it already delays its rejections, so a backed-off retry within the
 *	  deadline usually gets through.)  A call still turned away with
 *	  ERR_BUSY at its deadline fails with PEGASUS_ERR_BUSY.
 *	- ERR_INVALID_STATE is also what a split's child answers until it is
 *	  active, and a parent in its window when the table does not validate
 *	  partition hashes: the refreshed routing then shows the child, and
 *	  the retry goes where the key now lives.
 *	- A grouped call (route_count, see client_internal.h) turned away with
 *	  ERR_PARENT_PARTITION_MISUSED fails with split_seen: its keys or its
 *	  scan range now span two partitions, which its owner regroups.  So
 *	  does a grouped call about to be sent when the routing shows that a
 *	  child of its group has registered meanwhile (a parent that does not
 *	  validate hashes would not turn it away, but answer for the child's
 *	  keys from its stale copy).
 *	- The partition count may also shrink (a cancelled split): every call
 *	  routes by the count of the routing it is sent with.
 *	- These are rejections before the storage layer ran, so retrying them is
 *	  safe for every RPC.  A request lost after it may have reached the
 *	  server (connection dropped after sending, deadline) is retried only
 *	  when the operation is idempotent; otherwise the call fails with
 *	  PEGASUS_ERR_OUTCOME_UNKNOWN.
 *	- Everything else (other ERR_* names, protocol errors) fails at once.
 * Backoff starts at opts.retry_backoff_ms and doubles up to
 * retry_backoff_max_ms, bounded by the call's deadline.
 *
 * src/client/client_call.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

void
pegasus_call_init(PegasusCall *call, PegasusTable *table, PegasusRpc rpc,
				  const char *op, bool idempotent, uint64_t partition_hash,
				  int64_t deadline)
{
	memset(call, 0, sizeof(*call));
	call->table = table;
	call->op = op;
	call->idempotent = idempotent;
	call->partition_hash = partition_hash;
	call->fixed_partition = -1;
	call->req.rpc = rpc;
	call->deadline = deadline;
	call->state = PEGASUS_CALL_READY;
	call->backoff_ms = table->client->opts.retry_backoff_ms;
	call->partition_index = -1;
	pegasus_error_clear(&call->err);
}

/* Prepares a finished call for another round with the same request. */
void
pegasus_call_reset(PegasusCall *call)
{
	pegasus_net_request_free(call->nreq);
	call->nreq = NULL;
	pegasus_reply_free(call->reply);
	call->reply = NULL;
	call->state = PEGASUS_CALL_READY;
	call->attempts = 0;
	call->sent_once = false;
	call->split_seen = false;
	call->backoff_ms = call->table->client->opts.retry_backoff_ms;
	pegasus_error_clear(&call->err);
	/* another logical call */
	call->started_us = 0;
	call->bytes_sent = call->bytes_received = 0;
	call->retries = 0;
}

void
pegasus_call_cleanup(PegasusCall *call)
{
	pegasus_net_request_free(call->nreq);
	call->nreq = NULL;
	pegasus_reply_free(call->reply);
	call->reply = NULL;
}

bool
pegasus_call_finished(const PegasusCall *call)
{
	return call->state == PEGASUS_CALL_DONE ||
		call->state == PEGASUS_CALL_FAILED;
}

PegasusReply *
pegasus_call_take_reply(PegasusCall *call)
{
	PegasusReply *r = call->reply;

	call->reply = NULL;
	return r;
}

/*
 * Lets go of the call's network request.  A scan request that may have
 * reached the server stays registered, so that the context its reply
 * names is cleared when the reply arrives instead of being left open.
 */
static void
call_release_request(PegasusCall *call)
{
	if (call->req.rpc == PEGASUS_RPC_GET_SCANNER ||
		call->req.rpc == PEGASUS_RPC_SCAN)
		pegasus_net_request_abandon_scan(call->nreq);
	else
		pegasus_net_request_free(call->nreq);
	call->nreq = NULL;
}

static void
call_fail(PegasusCall *call)
{
	call_release_request(call);
	call->state = PEGASUS_CALL_FAILED;
	/* throttled to the end: a kind of its own (the FDW's 53000) */
	if (call->err.code == PEGASUS_ERR_SERVER &&
		strcmp(call->err.server_error, "ERR_BUSY") == 0)
		call->err.code = PEGASUS_ERR_BUSY;
	/*
	 * An attempt that may have been applied leaves the outcome open whatever
	 * ended the call: a later attempt refused, rejected or timed out says
	 * nothing about the earlier one.
	 */
	if (call->sent_once)
	{
		call->err.outcome_unknown = pegasus_codec_rpc_is_write(call->req.rpc);
		if (!call->idempotent)
		{
			char		cause[PEGASUS_ERROR_MESSAGE_SIZE];

			g_strlcpy(cause, call->err.message, sizeof(cause));
			pegasus_error_set(&call->err, PEGASUS_ERR_OUTCOME_UNKNOWN, call->op,
							  "The %s request may or may not have been applied: %s",
							  call->op, cause);
			call->err.outcome_unknown = true;
		}
	}
	if (call->table->client->observer != NULL)
		pegasus_call_report(call, PEGASUS_CALL_EVENT_FINISHED);
}

/* Schedules a retry, or fails the call if the backoff passes the deadline. */
static void
call_retry_later(PegasusCall *call, bool refresh)
{
	PegasusClient *client = call->table->client;
	int64_t		now = pegasus_now_us();
	int64_t		at = now + (int64_t) call->backoff_ms * 1000;

	call_release_request(call);
	if (refresh)
		call->table->stale = true;
	/* a last attempt just before the deadline rather than none */
	if (at >= call->deadline - 2000)
		at = call->deadline - 2000;
	if (at <= now)
	{
		if (call->err.code == PEGASUS_ERR_SERVER ||
			call->err.code == PEGASUS_ERR_CONNECT)
		{
			/* keep the cause, it tells more than "timeout" */
		}
		else
			pegasus_error_set(&call->err, PEGASUS_ERR_TIMEOUT, call->op,
							  "The %s request did not complete within its deadline.",
							  call->op);
		call_fail(call);
		return;
	}
	client->stats.retries++;
	if (client->observer != NULL)
	{
		call->retries++;
		pegasus_call_report(call, PEGASUS_CALL_EVENT_RETRY);
	}
	call->retry_at = at;
	call->backoff_ms = MIN(call->backoff_ms * 2, client->opts.retry_backoff_max_ms);
	call->state = PEGASUS_CALL_BACKOFF;
}

/*
 * Whether the group (partition, route_count) of a grouped call is still
 * served by that one partition under the current routing: no child of its
 * key space (partition + k * route_count) has registered since it was
 * grouped.
 */
static bool
group_still_whole(const PegasusTable *table, int partition, int route_count)
{
	int			i;

	for (i = partition + route_count; i < table->partition_count; i += route_count)
		if (table->routes[i].ballot >= 0)
			return false;
	return true;
}

/* Sends one attempt.  Leaves the call IN_FLIGHT, BACKOFF or FAILED. */
void
pegasus_call_start(PegasusCall *call)
{
	PegasusTable *table = call->table;
	PegasusClient *client = table->client;
	int			pidx;
	int64_t		remaining_ms;
	const char *endpoint;

	if (client->observer != NULL && call->started_us == 0)
		call->started_us = pegasus_now_us();
	if (pegasus_now_us() >= call->deadline)
	{
		if (call->err.code == PEGASUS_OK)
			pegasus_error_set(&call->err, PEGASUS_ERR_TIMEOUT, call->op,
							  "The %s request did not complete within its deadline.",
							  call->op);
		call_fail(call);
		return;
	}
	if (table->stale)
	{
		PegasusError rerr;

		if (!pegasus_route_refresh(table, call->deadline, &rerr))
		{
			if (rerr.code == PEGASUS_ERR_TABLE_NOT_FOUND ||
				rerr.code == PEGASUS_ERR_INTERRUPTED ||
				rerr.code == PEGASUS_ERR_PROTOCOL)
			{
				call->err = rerr;
				call_fail(call);
			}
			else
			{
				/*
				 * A refresh cut short by the deadline or a meta outage: the
				 * replica's answer that asked for it is the better cause.
				 */
				if (call->err.code == PEGASUS_OK)
					call->err = rerr;
				call_retry_later(call, true);
			}
			return;
		}
	}
	if (call->fixed_partition >= 0)
		pidx = call->fixed_partition;
	else
		pidx = pegasus_codec_partition_index(call->partition_hash,
											 table->partition_count);
	if (call->route_count > table->partition_count)
	{
		/* grouped by a count the table no longer has (a cancelled split) */
		pegasus_error_set(&call->err, PEGASUS_ERR_INVALID_ARGUMENT, call->op,
						  "Table \"%s\" has %d partitions now, fewer than the %d the request was made for.",
						  table->name, table->partition_count, call->route_count);
		call_fail(call);
		return;
	}
	if (pidx >= table->partition_count)
	{
		pegasus_error_set(&call->err, PEGASUS_ERR_INVALID_ARGUMENT, call->op,
						  "Partition %d does not exist in table \"%s\".",
						  pidx, table->name);
		call_fail(call);
		return;
	}
	if (call->route_count > 0 &&
		!group_still_whole(table, pidx, call->route_count))
	{
		/* a group that has split since it was made: its owner regroups */
		call->split_seen = true;
		pegasus_error_set(&call->err, PEGASUS_ERR_SERVER, call->op,
						  "Partition %d of table \"%s\" has split.", pidx, table->name);
		g_strlcpy(call->err.server_error, "ERR_PARENT_PARTITION_MISUSED",
				  sizeof(call->err.server_error));
		call_fail(call);
		return;
	}
	/*
	 * A child partition not yet registered is served by its parent (a
	 * grouped call names the partition under the count it was grouped by,
	 * which is the parent already).
	 */
	if (call->route_count == 0 && table->routes[pidx].ballot < 0 &&
		pidx >= table->partition_count / 2 && table->partition_count > 1)
		pidx -= table->partition_count / 2;
	call->partition_index = pidx;
	endpoint = table->routes[pidx].primary;
	g_strlcpy(call->endpoint, endpoint, sizeof(call->endpoint));
	pegasus_error_set_where(&call->err, endpoint, table->app_id, pidx);
	if (endpoint[0] == '\0')
	{
		pegasus_error_set(&call->err, PEGASUS_ERR_SERVER, call->op,
						  "Partition %d of table \"%s\" has no primary replica.",
						  pidx, table->name);
		g_strlcpy(call->err.server_error, "ERR_INVALID_STATE",
				  sizeof(call->err.server_error));
		call_retry_later(call, true);
		return;
	}
	if (pegasus_is_meta_endpoint(client, endpoint))
	{
		pegasus_error_set(&call->err, PEGASUS_ERR_INTERNAL, call->op,
						  "Refusing to send %s to meta server %s.",
						  call->op, endpoint);
		call_fail(call);
		return;
	}

	remaining_ms = (call->deadline - pegasus_now_us()) / 1000;
	pegasus_codec_header_init(&call->req.header, table->app_id, pidx,
							  (gint32) MAX(remaining_ms, 1),
							  call->route_count > 0 ?
							  pegasus_route_group_hash(pidx, call->route_count) :
							  call->fixed_partition >= 0 ?
							  (uint64_t) call->fixed_partition :
							  call->partition_hash);
	call->attempts++;
	call->nreq = pegasus_net_send(client, endpoint, &call->req, false, &call->err);
	if (call->nreq == NULL)
	{
		call_fail(call);
		return;
	}
	call->state = PEGASUS_CALL_IN_FLIGHT;
	if (client->observer != NULL && call->nreq->state != PEGASUS_NET_FAILED &&
		call->nreq->frame != NULL)
		call->bytes_sent += g_bytes_get_size(call->nreq->frame);
	if (call->nreq->state == PEGASUS_NET_FAILED)
	{
		/* could not even connect: nothing was sent */
		pegasus_error_set(&call->err, call->nreq->fail_kind, call->op, "%s",
						  call->nreq->fail_msg);
		if (call->nreq->fail_kind == PEGASUS_ERR_AUTH ||
			call->nreq->fail_kind == PEGASUS_ERR_INTERRUPTED)
			call_fail(call);	/* credentials, or the hook said stop */
		else
			call_retry_later(call, true);
	}
}

static bool
error_needs_refresh(PegasusErrorCode ec)
{
	return ec == PEGASUS_EC_OBJECT_NOT_FOUND || ec == PEGASUS_EC_INVALID_STATE ||
		ec == PEGASUS_EC_PARENT_PARTITION_MISUSED ||
		ec == PEGASUS_EC_SESSION_RESET;
}

static bool
error_retry_later(PegasusErrorCode ec)
{
	return ec == PEGASUS_EC_BUSY || ec == PEGASUS_EC_SPLITTING ||
		ec == PEGASUS_EC_NOT_ENOUGH_MEMBER ||
		ec == PEGASUS_EC_CAPACITY_EXCEEDED;
}

/* Handles a finished network request of an IN_FLIGHT call. */
static void
call_process(PegasusCall *call)
{
	PegasusNetRequest *nreq = call->nreq;

	if (nreq->state == PEGASUS_NET_FAILED)
	{
		/* lost after it was (partly) written: it may have been applied */
		if (nreq->written > 0)
			call->sent_once = true;
		pegasus_error_set(&call->err, nreq->fail_kind, call->op, "%s",
						  nreq->fail_msg);
		if (nreq->fail_kind == PEGASUS_ERR_CONNECT)
			call_retry_later(call, true);
		else if (nreq->fail_kind == PEGASUS_ERR_IO && call->idempotent)
			call_retry_later(call, true);
		else if (nreq->fail_kind == PEGASUS_ERR_IO && nreq->written == 0)
			call_retry_later(call, true);
		else
			call_fail(call);
		return;
	}
	{
		PegasusReply *reply = nreq->reply;
		PegasusErrorCode ec = reply->resp.frame_error;

		if (call->table->client->observer != NULL && reply->frame != NULL)
			call->bytes_received += g_bytes_get_size(reply->frame);

		if (ec == PEGASUS_EC_OK)
		{
			if (!reply->resp.has_body)
			{
				pegasus_error_set(&call->err, PEGASUS_ERR_PROTOCOL, call->op,
								  "Pegasus server %s sent an empty %s reply.",
								  nreq->endpoint, call->op);
				call_fail(call);
				return;
			}
			nreq->reply = NULL;
			call->reply = reply;
			pegasus_net_request_free(nreq);
			call->nreq = NULL;
			call->state = PEGASUS_CALL_DONE;
			if (call->table->client->observer != NULL)
				pegasus_call_report(call, PEGASUS_CALL_EVENT_FINISHED);
			return;
		}
		pegasus_error_set_server(&call->err, call->op, nreq->endpoint,
								 reply->resp.frame_error_name);
		/*
		 * A gate rejection: this attempt was not applied (sent_once still
		 * tells whether an earlier one may have been).
		 */
		if (ec == PEGASUS_EC_PARENT_PARTITION_MISUSED && call->route_count > 0)
		{
			/* the partition has split: its owner regroups the request */
			call->table->stale = true;
			call->split_seen = true;
			call_fail(call);
		}
		else if (error_needs_refresh(ec))
			call_retry_later(call, true);
		else if (error_retry_later(ec))
			call_retry_later(call, false);
		else
			call_fail(call);
	}
}

/* Abandons an unfinished call (deadline, interrupt). */
void
pegasus_call_abandon(PegasusCall *call, PegasusErrorKind kind, const char *msg)
{
	if (pegasus_call_finished(call))
		return;
	if (call->nreq != NULL &&
		(call->nreq->written > 0 || call->nreq->state == PEGASUS_NET_SENT))
		call->sent_once = true;
	if (kind == PEGASUS_ERR_TIMEOUT)
		pegasus_net_request_timed_out(call->nreq);
	pegasus_error_set(&call->err, kind, call->op, "%s", msg);
	call_fail(call);
}

/*
 * Advances a set of calls once: starts READY ones and BACKOFF ones that are
 * due, waits until one network request finishes (or the next retry time or
 * the deadline), processes it.  Returns -1 when interrupted (every
 * unfinished call is then FAILED with PEGASUS_ERR_INTERRUPTED), else 0.
 * deadline bounds the wait; an unfinished call fails with
 * PEGASUS_ERR_TIMEOUT once its own deadline has passed.
 */
int
pegasus_calls_step(PegasusCall **calls, int n, int64_t deadline)
{
	PegasusClient *client = NULL;
	PegasusNetRequest *local[16];
	PegasusNetRequest **reqs = n <= 16 ? local : g_new(PegasusNetRequest *, n);
	int64_t		wake = deadline;
	int			nreqs = 0;
	int			i;
	int			r;
	bool		interrupted = false;
	int64_t		now = pegasus_now_us();

	for (i = 0; i < n; i++)
	{
		PegasusCall *call = calls[i];

		if (call == NULL)
			continue;
		client = call->table->client;
		if (call->state == PEGASUS_CALL_BACKOFF && call->retry_at <= now)
			call->state = PEGASUS_CALL_READY;
		if (call->state == PEGASUS_CALL_READY && !interrupted)
		{
			pegasus_call_start(call);
			/* failed before sending (its group split): no wait for it */
			if (pegasus_call_finished(call))
				wake = now;
			/* the hook stopped a wait of its connect (for the KDC) */
			if (call->state == PEGASUS_CALL_FAILED &&
				call->err.code == PEGASUS_ERR_INTERRUPTED)
				interrupted = true;
		}
		if (call->state == PEGASUS_CALL_BACKOFF && call->retry_at < wake)
			wake = call->retry_at;
		if (!pegasus_call_finished(call) && call->deadline < wake)
			wake = call->deadline;
		if (call->state == PEGASUS_CALL_IN_FLIGHT)
			reqs[nreqs++] = call->nreq;
	}
	if (client == NULL)
	{
		if (reqs != local)
			g_free(reqs);
		return 0;
	}
	if (interrupted)
		r = -1;
	else
	{
		int64_t		waited = pegasus_now_us();

		r = pegasus_net_wait(client, reqs, nreqs, wake);
		client->wait_us += (uint64_t) (pegasus_now_us() - waited);
	}
	for (i = 0; i < n; i++)
	{
		PegasusCall *call = calls[i];

		if (call == NULL || call->state != PEGASUS_CALL_IN_FLIGHT)
			continue;
		if (call->nreq->state == PEGASUS_NET_DONE ||
			call->nreq->state == PEGASUS_NET_FAILED)
			call_process(call);
	}
	if (r < 0)
	{
		for (i = 0; i < n; i++)
			if (calls[i] != NULL)
				pegasus_call_abandon(calls[i], PEGASUS_ERR_INTERRUPTED,
									 "The request was interrupted.");
	}
	else
	{
		now = pegasus_now_us();
		for (i = 0; i < n; i++)
		{
			PegasusCall *call = calls[i];
			char		msg[PEGASUS_ERROR_MESSAGE_SIZE];

			/*
			 * Only calls whose own deadline passed: calls started later (a
			 * scanner's next page) keep their time.
			 */
			if (call == NULL || pegasus_call_finished(call) ||
				now < call->deadline)
				continue;
			if ((call->err.code == PEGASUS_ERR_SERVER ||
				 call->err.code == PEGASUS_ERR_CONNECT) &&
				(call->state == PEGASUS_CALL_BACKOFF ||
				 (call->nreq != NULL && call->nreq->written == 0 &&
				  call->nreq->state == PEGASUS_NET_QUEUED) ||
				 !pegasus_codec_rpc_is_write(call->req.rpc)))
			{
				/*
				 * Retrying after a rejection or a refused connection, and the
				 * last attempt either never left or was a read (nothing to
				 * be uncertain about): as in call_retry_later, the cause of
				 * the retries tells more than "timeout".
				 */
				call_fail(call);
				continue;
			}
			if (call->state == PEGASUS_CALL_IN_FLIGHT)
				g_snprintf(msg, sizeof(msg),
						   "Pegasus server %s did not answer %s within the deadline.",
						   call->nreq->endpoint, call->op);
			else
				g_snprintf(msg, sizeof(msg),
						   "The %s request did not complete within its deadline.",
						   call->op);
			pegasus_call_abandon(call, PEGASUS_ERR_TIMEOUT, msg);
		}
	}
	if (reqs != local)
		g_free(reqs);
	return r < 0 ? -1 : 0;
}

/* Runs calls until every one has finished.  true if all are DONE. */
bool
pegasus_calls_run(PegasusCall **calls, int n, int64_t deadline)
{
	for (;;)
	{
		int			i;
		bool		all = true;
		bool		ok = true;

		for (i = 0; i < n; i++)
		{
			if (calls[i] == NULL)
				continue;
			if (!pegasus_call_finished(calls[i]))
				all = false;
			else if (calls[i]->state == PEGASUS_CALL_FAILED)
				ok = false;
		}
		if (all)
			return ok;
		if (pegasus_calls_step(calls, n, deadline) < 0)
			return false;
	}
}

/*
 * Runs one call to completion; copies its error into err on failure.  On
 * success err is cleared except for the location (endpoint, gpid).
 */
bool
pegasus_call_run(PegasusCall *call, PegasusError *err)
{
	if (pegasus_calls_run(&call, 1, call->deadline))
	{
		/* where it ran, for errors the caller derives from the reply */
		pegasus_error_clear(err);
		pegasus_error_set_where(err, call->endpoint, call->table->app_id,
								call->partition_index);
		return true;
	}
	*err = call->err;
	return false;
}
