/*-------------------------------------------------------------------------
 *
 * client_internal.h
 *		Declarations shared by the client's source files (not installed,
 *		not for the embedder).
 *
 * Layers, bottom up:
 *	client_net.c	connections, non-blocking I/O, pipelining by seqid, the
 *					wait hook (PegasusNetRequest); replies are read in
 *					client_net_read.c, waits in client_net_wait.c
 *	client_route.c	meta-server calls and per-table routing
 *	client_call.c	one logical RPC with routing, retries and a deadline
 *					(PegasusCall), and a driver for many concurrent calls
 *	client_keys.c	what the operations share: blobs, hash key checks
 *	client_ops.c, client_batch.c, client_scan.c (with
 *	client_scan_open.c), client_admin.c, client_write_pipe.c
 *					the public operations (the write pipe owns the
 *					write groups, which client_ops.c also sends)
 *	client_auth.c, client_kdc.c
 *					Kerberos negotiation and its credentials
 *
 * Everything runs on the caller's thread: replies are read whenever any
 * call waits, and stored in the request they answer.  The one exception is
 * an exchange with a Kerberos KDC, which runs on a thread of its own that
 * the caller waits for through the wait hook (client_kdc.c).
 *
 * src/client/client_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_INTERNAL_H
#define PEGASUS_CLIENT_INTERNAL_H

#include <glib.h>

#include "pegasus_client.h"
#include "pegasus_codec.h"

#define PEGASUS_ENDPOINT_LEN 64

typedef struct PegasusConn PegasusConn;
typedef struct PegasusAuth PegasusAuth;
typedef struct PegasusAuthSession PegasusAuthSession;
typedef struct PegasusCreds PegasusCreds;
typedef struct PegasusKdcJob PegasusKdcJob;

/* A decoded reply frame; the response's blobs point into frame. */
typedef struct PegasusReply
{
	GBytes	   *frame;
	PegasusResponse resp;
} PegasusReply;

typedef enum PegasusNetState
{
	PEGASUS_NET_QUEUED,			/* waiting to be written (or partly written) */
	PEGASUS_NET_SENT,			/* fully written, awaiting the reply */
	PEGASUS_NET_DONE,			/* reply received (reply != NULL) */
	PEGASUS_NET_FAILED			/* fail_kind / fail_msg */
} PegasusNetState;

/* One request frame on one connection. */
typedef struct PegasusNetRequest
{
	PegasusClient *client;
	PegasusConn *conn;			/* NULL once finished */
	PegasusRpc	rpc;
	int32_t		seqid;
	GBytes	   *frame;			/* outgoing bytes */
	size_t		written;		/* bytes of frame written so far */
	bool		oneway;			/* no reply expected; owned by the conn */
	bool		orphan;			/* caller gone; free once written */
	bool		clear_on_reply; /* abandoned scan: clear the context the
								 * reply will carry, then free */
	PegasusRequestHeader header;	/* as sent (for clear_scanner) */
	int64_t		scan_context;	/* scan: the context it reads, else -1 */
	PegasusNetState state;
	PegasusReply *reply;		/* DONE */
	PegasusErrorKind fail_kind; /* FAILED */
	char		fail_msg[PEGASUS_ERROR_MESSAGE_SIZE];
	char		endpoint[PEGASUS_ENDPOINT_LEN];
} PegasusNetRequest;

#define PEGASUS_SECONDARIES_LEN 192

typedef struct PegasusRoute
{
	char		primary[PEGASUS_ENDPOINT_LEN];	/* "" = none */
	char		secondaries[PEGASUS_SECONDARIES_LEN];	/* "a,b", for display */
	int64_t		ballot;
} PegasusRoute;

struct PegasusTable
{
	PegasusClient *client;
	char	   *name;
	int32_t		app_id;
	int			partition_count;
	PegasusRoute *routes;
	bool		stale;			/* refresh before next use */
	int64_t		refreshed_at;	/* monotonic us */
};

struct PegasusClient
{
	PegasusClientOptions opts;
	GPtrArray  *metas;			/* char * "host:port" */
	int			meta_leader;	/* index into metas */
	GHashTable *conns;			/* endpoint -> PegasusConn * */
	GHashTable *tables;			/* name -> PegasusTable * */
	PegasusStats stats;
	PegasusEncoder *encoder;
	GByteArray *scratch;		/* encoding buffer */
	PegasusWaitKind wait_kind;	/* of the wait hook call in progress */
	bool		cleaning;		/* in pegasus_client_release_scans: bounded
								 * by its timeout, so no KDC is asked */
	PegasusAuth *auth;			/* NULL: connections do not negotiate */
	GList	   *scanners;		/* open PegasusScanners */
	GList	   *retired;		/* PegasusConns closed with replies owed */
	PegasusCallObserver observer;	/* NULL: calls are not reported */
	void	   *observer_arg;
	uint64_t	wait_us;		/* in pegasus_calls_step's waits */
};

/* in client_error.c */
extern void pegasus_error_set(PegasusError *err, PegasusErrorKind kind,
							  const char *rpc, const char *fmt,...)
			G_GNUC_PRINTF(4, 5);
extern void pegasus_error_set_where(PegasusError *err, const char *endpoint,
									int32_t app_id, int32_t partition_index);
extern void pegasus_error_set_server(PegasusError *err, const char *rpc,
									 const char *endpoint, PegasusBlob name);
extern void pegasus_error_set_storage(PegasusError *err, const char *rpc,
									  int32_t code);

/* in client_hook.c */
extern int64_t pegasus_now_us(void);
extern int	pegasus_default_wait_hook(void *arg, PegasusPollFd *fds, int nfds,
									  int timeout_ms);
extern PegasusWaitHook pegasus_client_wait_hook(const PegasusClient *client);
extern int	pegasus_net_wait_fd(PegasusClient *client, int fd, int64_t deadline_us);

/* in client_net.c */
extern PegasusConn *pegasus_conn_get(PegasusClient *client,
									 const char *endpoint);
extern const char *pegasus_conn_endpoint(const PegasusConn *conn);
extern void pegasus_conn_free(PegasusConn *conn);
extern void pegasus_conn_close(PegasusConn *conn, PegasusErrorKind kind,
							   const char *msg);
extern PegasusNetRequest *pegasus_net_send(PegasusClient *client,
										   const char *endpoint,
										   PegasusRequest *req,
										   bool oneway, PegasusError *err);
extern void pegasus_net_request_free(PegasusNetRequest *nreq);
extern void pegasus_net_request_abandon_scan(PegasusNetRequest *nreq);
extern void pegasus_net_request_timed_out(PegasusNetRequest *nreq);
extern void pegasus_net_clear_scanner(PegasusClient *client,
									  const char *endpoint,
									  const PegasusRequestHeader *header,
									  int64_t context_id);
extern int	pegasus_net_wait(PegasusClient *client, PegasusNetRequest **reqs,
							 int n, int64_t wake_at_us);
extern int	pegasus_net_sleep(PegasusClient *client, int64_t until_us);
extern void pegasus_net_flush(PegasusClient *client);
extern int	pegasus_net_drain(PegasusClient *client, int64_t deadline_us);
extern void pegasus_net_close_all(PegasusClient *client);
extern void pegasus_net_free_retired(PegasusClient *client);
extern int	pegasus_net_poll_with(PegasusClient *client, PegasusWaitHook hook,
								  void *arg);
extern void pegasus_reply_free(PegasusReply *reply);

/* in client_auth.c */
typedef enum PegasusNegotiationResult
{
	PEGASUS_NEGOTIATION_SEND,	/* send *next */
	PEGASUS_NEGOTIATION_WAIT,	/* wait until pegasus_negotiation_wait_fd
								 * is readable, then resume */
	PEGASUS_NEGOTIATION_DONE,	/* the connection may carry requests */
	PEGASUS_NEGOTIATION_FAILED	/* msg says why */
} PegasusNegotiationResult;

extern PegasusAuth *pegasus_auth_new(const PegasusClientOptions *opts);
extern void pegasus_auth_free(PegasusAuth *auth);
extern bool pegasus_auth_prepare(PegasusClient *client, PegasusErrorKind *kind,
								 char *msg, size_t msglen);
extern PegasusAuthSession *pegasus_negotiation_new(PegasusClient *client,
												   const char *endpoint,
												   PegasusRequest *first);
extern PegasusNegotiationResult pegasus_negotiation_step(PegasusAuthSession *nego,
														 const PegasusResponse *resp,
														 PegasusRequest *next,
														 char *msg, size_t msglen);
extern int	pegasus_negotiation_wait_fd(const PegasusAuthSession *nego);
extern PegasusNegotiationResult pegasus_negotiation_resume(PegasusAuthSession *nego,
														   PegasusRequest *next,
														   char *msg, size_t msglen);
extern void pegasus_negotiation_free(PegasusAuthSession *nego);
extern const char *pegasus_negotiation_waiting_for(const PegasusAuthSession *nego);

/* in client_kdc.c */
extern PegasusKdcJob *pegasus_kdc_kinit_start(const char *principal,
											  const char *keytab,
											  char *msg, size_t msglen);
extern PegasusKdcJob *pegasus_kdc_ticket_start(const char *ccache_name,
											   const char *service,
											   const char *host,
											   char *msg, size_t msglen);
extern PegasusKdcJob *pegasus_kdc_sasl_client_start(const char *service,
													const char *host,
													const char *user,
													char *msg, size_t msglen);
extern struct sasl_conn *pegasus_kdc_job_take_sasl(PegasusKdcJob *job,
												   const char **reason);
extern int	pegasus_kdc_job_fd(const PegasusKdcJob *job);
extern bool pegasus_kdc_job_done(PegasusKdcJob *job);
extern int32_t pegasus_kdc_job_result(PegasusKdcJob *job, const char **step,
									  const char **reason,
									  const char **ccache_name,
									  int32_t *endtime);
extern void pegasus_kdc_job_release(PegasusKdcJob *job, bool keep);

/* in client_route.c */
extern PegasusTable *pegasus_table_new(PegasusClient *client, const char *name);
extern void pegasus_table_free(PegasusTable *table);
extern bool pegasus_route_refresh(PegasusTable *table, int64_t deadline,
								  PegasusError *err);
extern bool pegasus_meta_call(PegasusClient *client, PegasusRequest *req,
							  const char *op, int64_t deadline,
							  PegasusReply **reply, PegasusError *err);
extern bool pegasus_is_meta_endpoint(PegasusClient *client,
									 const char *endpoint);
extern int64_t pegasus_deadline(PegasusClient *client, int timeout_ms);
extern uint64_t pegasus_route_group_hash(int partition, int count);
extern int	pegasus_table_effective_partition(const PegasusTable *table,
											  uint64_t hash, int *count);

/* in client_scan.c */
extern void pegasus_scanners_release(PegasusClient *client);

/* in client_call.c */
typedef enum PegasusCallState
{
	PEGASUS_CALL_READY,			/* to be (re)sent */
	PEGASUS_CALL_BACKOFF,		/* waiting until retry_at */
	PEGASUS_CALL_IN_FLIGHT,
	PEGASUS_CALL_DONE,			/* reply with ERR_OK in reply */
	PEGASUS_CALL_FAILED			/* err */
} PegasusCallState;

typedef struct PegasusCall
{
	PegasusTable *table;
	const char *op;				/* "get", "multi_set", ... */
	bool		idempotent;
	uint64_t	partition_hash;
	int			fixed_partition;	/* >= 0: route to this index */
	/*
	 * > 0: fixed_partition is an index under this partition count, which
	 * the request's keys were grouped by (a scan of one partition, a
	 * batch_get group).  The header then carries the partition hash
	 * fixed_partition | ~(route_count - 1): it selects the partition under
	 * route_count but its child under any larger count, so a parent that
	 * has split answers ERR_PARENT_PARTITION_MISUSED instead of serving
	 * keys it no longer owns.  That answer is not retried: the call fails
	 * with split_seen set and its owner regroups.
	 */
	int			route_count;
	bool		split_seen;
	PegasusRequest req;			/* rpc and u filled by the op */
	int64_t		deadline;

	PegasusCallState state;
	PegasusNetRequest *nreq;
	int64_t		retry_at;
	int			backoff_ms;
	int			attempts;
	bool		sent_once;		/* some attempt may have been applied: it was
								 * written and got no answer */
	int			partition_index;	/* of the last attempt */
	char		endpoint[PEGASUS_ENDPOINT_LEN]; /* of the last attempt */
	PegasusReply *reply;		/* DONE; owned by the call until taken */
	PegasusError err;			/* FAILED */
	/* for the call observer only (client->observer set) */
	int64_t		started_us;		/* first attempt; 0 before it */
	uint64_t	bytes_sent;
	uint64_t	bytes_received;
	int			retries;
} PegasusCall;

extern void pegasus_call_init(PegasusCall *call, PegasusTable *table,
							  PegasusRpc rpc, const char *op, bool idempotent,
							  uint64_t partition_hash, int64_t deadline);
extern void pegasus_call_reset(PegasusCall *call);
extern void pegasus_call_cleanup(PegasusCall *call);
extern void pegasus_call_start(PegasusCall *call);
extern void pegasus_call_abandon(PegasusCall *call, PegasusErrorKind kind,
								 const char *msg);
extern bool pegasus_call_finished(const PegasusCall *call);
extern int	pegasus_calls_step(PegasusCall **calls, int n, int64_t deadline);
extern bool pegasus_calls_run(PegasusCall **calls, int n, int64_t deadline);
extern bool pegasus_call_run(PegasusCall *call, PegasusError *err);
extern PegasusReply *pegasus_call_take_reply(PegasusCall *call);

/* in client_ready.c */
extern bool pegasus_call_ready(const PegasusCall *call);

/* in client_call_report.c: the call observer */
extern void pegasus_call_report(PegasusCall *call, PegasusCallEvent event);

/* in client_write_pipe.c: one write group's call */
typedef struct GroupCall
{
	PegasusCall call;
	PegasusKeyValue *kvs;		/* multi_put */
	PegasusBlob *keys;			/* multi_remove */
	bool		started;
	bool		finished;
} GroupCall;

extern bool pegasus_write_group_validate(const PegasusWriteGroup *g, size_t i,
										 PegasusError *err);
extern bool pegasus_write_groups_check(PegasusWriteGroup *groups, size_t n,
									   PegasusError *err);
extern void pegasus_write_group_prepare(GroupCall *gc, PegasusTable *table,
										const PegasusWriteGroup *g,
										int64_t deadline);
extern bool pegasus_write_group_finish(GroupCall *gc, PegasusWriteGroup *g,
									   PegasusError *first_err);

/* in client_keys.c */
extern bool pegasus_check_hash_key(PegasusSlice hash_key, bool allow_empty,
								   const char *op, PegasusError *err);
extern PegasusBlob pegasus_blob_of(PegasusSlice s);
extern PegasusSlice pegasus_slice_of(PegasusBlob b);
extern GPtrArray *pegasus_owner_new(PegasusReply *reply);
extern PegasusSlice pegasus_owner_copy(GPtrArray *owner, PegasusSlice s);

#endif							/* PEGASUS_CLIENT_INTERNAL_H */
