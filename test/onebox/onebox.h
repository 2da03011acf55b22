/*-------------------------------------------------------------------------
 *
 * onebox.h
 *	  Shared declarations of the onebox: one process that plays a small
 *	  Apache Pegasus cluster (meta endpoints + replica endpoints) on
 *	  127.0.0.1 for tests.
 *
 * Layout (one job per file):
 *	  main.c			command line, start-up, signals
 *	  loop.c			epoll event loop: listeners, connections, buffers,
 *						delayed replies
 *	  dispatch.c		request frames: decoding, strictness checks, fault
 *						injection, gating, counters, replies
 *	  cluster.c			tables, partitions, endpoints, clock
 *	  store.c			per-partition ordered record store
 *	  meta.c			query_cfg, list_apps, create_app, drop_app
 *	  replica_read.c	get, ttl, multi_get, batch_get, sortkey_count
 *	  replica_write.c	put, multi_put, remove, multi_remove, incr,
 *						check_and_set, check_and_mutate
 *	  replica_scan.c	get_scanner, scan, clear_scanner, scan contexts
 *	  split.c			partition split: phases, request checks, compaction
 *	  throttle.c		app-env throttling (throttling_controller)
 *	  control.c			the text control interface
 *
 * Everything runs on one thread; no locking anywhere.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ONEBOX_H
#define ONEBOX_H

#include <glib.h>

#include "pegasus_codec.h"

/* Server limits and defaults (protocol 4.15) */
#define ONEBOX_MAX_FRAME			(64 * 1024 * 1024)	/* larger request: close */
#define ONEBOX_MAX_OUTPUT			(256 * 1024 * 1024) /* unsent bytes per
														 * connection before we
														 * stop reading from it */
#define ONEBOX_MAX_WRITE_BODY		1048576 /* max_allowed_write_size */
#define ONEBOX_MULTI_GET_MAX_COUNT	3000
#define ONEBOX_MULTI_GET_MAX_SIZE	31457280
#define ONEBOX_SCAN_MAX_COUNT		1000
#define ONEBOX_SCAN_IDLE_MS			(5 * 60 * 1000)
#define ONEBOX_HOST					"127.0.0.1"

/* ------------------------------------------------------------------------
 * Record store (store.c)
 * ------------------------------------------------------------------------ */

/* Stored key: an rrdb key.  `data` points right after the struct. */
typedef struct OneboxKey
{
	gsize		len;
	const guint8 *data;
} OneboxKey;

/* Stored value: user bytes + absolute expiry in Pegasus time (0 = none) */
typedef struct OneboxValue
{
	guint32		expire_ts;
	guint32		len;
	guint8		data[];
} OneboxValue;

typedef struct OneboxStore OneboxStore;
typedef GTreeNode OneboxIter;	/* NULL = past the end */

extern OneboxStore *onebox_store_new(void);
extern void onebox_store_free(OneboxStore *store);
extern guint onebox_store_count(OneboxStore *store);
/* Insert or replace; takes rrdb key bytes */
extern void onebox_store_put(OneboxStore *store, const guint8 *key, gsize key_len,
							 const guint8 *value, gsize value_len, guint32 expire_ts);
extern void onebox_store_remove(OneboxStore *store, const guint8 *key, gsize key_len);
extern const OneboxValue *onebox_store_get(OneboxStore *store,
										   const guint8 *key, gsize key_len);
/* First record >= key (or > key when !inclusive) */
extern OneboxIter *onebox_store_seek(OneboxStore *store, const guint8 *key,
									 gsize key_len, gboolean inclusive);
/* Last record <= key (or < key when !inclusive) */
extern OneboxIter *onebox_store_seek_for_prev(OneboxStore *store, const guint8 *key,
											  gsize key_len, gboolean inclusive);
extern OneboxIter *onebox_store_first(OneboxStore *store);
extern OneboxIter *onebox_store_next(OneboxIter *it);
extern OneboxIter *onebox_store_prev(OneboxIter *it);
extern const OneboxKey *onebox_iter_key(OneboxIter *it);
extern const OneboxValue *onebox_iter_value(OneboxIter *it);
/* Bytewise comparison of two byte strings (shorter prefix sorts first) */
extern int	onebox_bytes_cmp(const guint8 *a, gsize alen, const guint8 *b, gsize blen);

/* ------------------------------------------------------------------------
 * Cluster model (cluster.c)
 * ------------------------------------------------------------------------ */

typedef enum OneboxEndpointKind
{
	ONEBOX_EP_META,
	ONEBOX_EP_REPLICA,
	ONEBOX_EP_CONTROL
} OneboxEndpointKind;

/* Reply corruption modes (control "corrupt") */
typedef enum OneboxCorruptMode
{
	ONEBOX_CORRUPT_NONE = 0,
	ONEBOX_CORRUPT_GARBAGE,
	ONEBOX_CORRUPT_TRUNCATED,
	ONEBOX_CORRUPT_OVERSIZED,
	ONEBOX_CORRUPT_BADNAME,
	ONEBOX_CORRUPT_BADSEQID
} OneboxCorruptMode;

/* One injected failure rule (control "fail") */
typedef struct OneboxFault
{
	char	   *rpc_name;
	int			remaining;
	gboolean	noreply;
	PegasusErrorCode error;
	char	   *error_name;		/* an ERR_ name the codec does not know */
} OneboxFault;

typedef struct OneboxEndpoint
{
	OneboxEndpointKind kind;
	int			port;
	int			index;			/* position among endpoints of its kind */
	int			listen_fd;		/* -1 when stopped */
	GList	   *conns;			/* OneboxConn * */
	int			latency_ms;
	GList	   *faults;			/* OneboxFault * */
	OneboxCorruptMode corrupt;
	GHashTable *counters;		/* RPC name (char *) -> guint * count */
	const char *last_name;		/* the counter counted last (its key) */
	guint	   *last_count;
	char		server_name[32];	/* "127.0.0.1:PORT" */
} OneboxEndpoint;

typedef struct OneboxScanContext OneboxScanContext;

/*
 * One throttling controller of a partition (throttle.c), as Pegasus's
 * utils/throttling_controller: units per partition derived from the env
 * value and the partition count it was parsed for, counted per second.
 */
typedef struct OneboxThrottle
{
	char	   *env_value;		/* NULL: disabled */
	gint32		partition_count;
	guint64		delay_units;
	guint64		delay_ms;
	guint64		reject_units;
	guint64		reject_delay_ms;
	gint64		last_second;
	guint64		cur_units;
} OneboxThrottle;

/* Where one parent stands in its table's split (split.c) */
typedef enum OneboxSplitState
{
	ONEBOX_SPLIT_NONE = 0,		/* not a splitting parent */
	ONEBOX_SPLIT_WAITING,		/* copying to its child, window not open */
	ONEBOX_SPLIT_PAUSED,		/* split-pause: stays unregistered */
	ONEBOX_SPLIT_WINDOW,		/* register request in flight: version -1 */
	ONEBOX_SPLIT_REGISTERED,	/* meta registered the child; reply in flight */
	ONEBOX_SPLIT_DONE			/* child active, parent serves 2N */
} OneboxSplitState;

typedef struct OneboxPartition
{
	struct OneboxTable *table;
	gint32		pidx;
	OneboxStore *store;
	gint64		decree;
	gint64		ballot;
	int			primary;		/* index into onebox.replicas */
	GHashTable *scanners;		/* gint64 * id -> OneboxScanContext * */
	gint64		next_context_id;
	/*
	 * Partition split (split.c).  version is Pegasus's partition_version:
	 * the partition count this replica serves minus one, or -1 while it
	 * registers its child (ERR_SPLITTING).  A child is not ready (ballot
	 * -1, no primary, not served) until registered.
	 */
	gint32		version;
	gboolean	ready;
	/*
	 * A child registered on the meta but not yet told so
	 * (child_partition_active) answers ERR_INVALID_STATE; every other
	 * partition is active.
	 */
	gboolean	active;
	OneboxSplitState split_state;	/* parents of a split under way */
	gint64		split_due_ms;	/* monotonic ms of its next split event */
	OneboxThrottle write_qps;	/* replica.write_throttling */
	OneboxThrottle write_size;	/* replica.write_throttling_by_size */
	OneboxThrottle read_qps;	/* replica.read_throttling */
} OneboxPartition;

typedef struct OneboxTable
{
	char	   *name;
	gint32		app_id;
	gint32		partition_count;
	gint32		status;			/* PegasusAppStatus */
	gint32		replica_count;
	char	   *app_type;
	gboolean	is_stateful;
	GHashTable *envs;			/* char * -> char * */
	guint32		default_ttl;	/* parsed from envs["default_ttl"] */
	gint64		create_second;
	gint64		drop_second;
	gint64		expire_second;
	OneboxPartition **parts;	/* NULL once dropped */
	gint32		init_partition_count;
	/* partition split in progress (split.c); split_old_count 0 = none */
	gint32		split_old_count;
	gboolean	compact_pending;	/* parents still hold the moved half */
} OneboxTable;

typedef struct OneboxServer
{
	GPtrArray  *metas;			/* OneboxEndpoint * */
	GPtrArray  *replicas;
	OneboxEndpoint *control;
	int			leader;			/* index into metas */
	GPtrArray  *tables;			/* OneboxTable *, creation order, dropped too */
	gint32		next_app_id;
	gint64		clock_offset_ms;	/* control "clock" */
	gboolean	negative_ids;
	gboolean	prefix_iteration;	/* rocksdb_filter_type = prefix (default) */
	gint64		split_delay_ms; /* control "split-delay" */
	gint64		split_activate_delay_ms;	/* control "split-activate-delay" */
	gboolean	split_random;	/* control "split-mode random" */
	guint32		split_seed;
	gint32		split_overlap;	/* windows open at once in random mode */
	gboolean	host_port_fields;	/* query_cfg sends hp_* (control) */
	guint64		violations;
	PegasusEncoder *encoder;
	volatile int stop_requested;
} OneboxServer;

extern OneboxServer onebox;

extern void onebox_cluster_init(void);
extern OneboxEndpoint *onebox_endpoint_new(OneboxEndpointKind kind, int port, int index);
extern OneboxEndpoint *onebox_endpoint_by_port(int port);
/* Creates an available table; returns NULL and sets *err on failure */
extern OneboxTable *onebox_table_create(const char *name, gint32 partition_count,
										gint32 replica_count, const char *app_type,
										gboolean is_stateful, GHashTable *envs,
										PegasusErrorCode *err);
extern void onebox_table_drop(OneboxTable *table, gint64 reserve_seconds);
/* Available (or any status when any_status) table by name, newest first */
extern OneboxTable *onebox_table_by_name(const char *name, gsize len, gboolean any_status);
extern OneboxTable *onebox_table_by_id(gint32 app_id);
extern void onebox_table_set_env(OneboxTable *table, const char *key, const char *value);
extern OneboxPartition *onebox_partition_new(OneboxTable *table, gint32 pidx);
extern void onebox_partition_free(OneboxPartition *part);
extern void onebox_partition_move(OneboxPartition *part, int replica_index);
/* Secondaries of a partition: up to replica_count-1 other replica endpoints */
extern int	onebox_partition_secondaries(OneboxPartition *part, int *out, int max);
extern void onebox_partition_drop_scanners(OneboxPartition *part);
/* A fresh scan context id (never 0, -1, -2) and a g_malloc'd key for it */
extern gint64 onebox_partition_next_context_id(OneboxPartition *part, gint64 **key);

/* Clock: wall time plus the control offset */
extern gint64 onebox_now_ms(void);
extern guint32 onebox_pegasus_now(void);
extern gint64 onebox_unix_now(void);

extern void onebox_violation(const char *fmt,...) G_GNUC_PRINTF(1, 2);
extern void onebox_log(const char *fmt,...) G_GNUC_PRINTF(1, 2);

/* ------------------------------------------------------------------------
 * Event loop (loop.c)
 * ------------------------------------------------------------------------ */

typedef struct OneboxAuthConn OneboxAuthConn;	/* auth.c */

typedef struct OneboxConn
{
	guint64		id;
	int			fd;
	OneboxEndpoint *ep;
	GByteArray *in;
	GByteArray *out;
	gsize		out_off;
	gboolean	close_after_flush;
	gboolean	flush_pending;	/* delayed output added, not yet written */
	gboolean	dead;
	gboolean	poisoned;		/* a corrupt reply was sent: later ones are unreadable */
	gboolean	dropped;		/* reset by the drop control command */
	guint32		events;			/* epoll events currently registered */
	OneboxAuthConn *auth;		/* negotiation state, NULL until one starts */
} OneboxConn;

extern gboolean onebox_loop_init(void);
extern void onebox_loop_run(void);
extern gboolean onebox_endpoint_listen(OneboxEndpoint *ep);
extern void onebox_endpoint_stop(OneboxEndpoint *ep);
extern void onebox_endpoint_drop_conns(OneboxEndpoint *ep);
/* Queue bytes to a connection (after delay_ms, 0 = now) */
extern void onebox_conn_send(OneboxConn *conn, const guint8 *data, gsize len, int delay_ms);
/* Send what is queued, then close (after delay_ms) */
extern void onebox_conn_close_after(OneboxConn *conn, int delay_ms);
extern void onebox_conn_close(OneboxConn *conn);
extern gboolean onebox_conn_is_open(guint64 conn_id);
/* Handle a request frame again after delay_ms (throttling's delay mode) */
extern void onebox_conn_replay(OneboxConn *conn, const guint8 *frame, gsize len,
							   int delay_ms);

/* ------------------------------------------------------------------------
 * Request handling (dispatch.c, meta.c, replica_*.c, control.c)
 * ------------------------------------------------------------------------ */

/* Handle every complete frame in conn->in; FALSE if the conn was closed */
extern gboolean onebox_dispatch_input(OneboxConn *conn);
extern void onebox_reset_counters(OneboxEndpoint *ep);
/* A frame queued by onebox_conn_replay is due: handle it, unthrottled */
extern void onebox_dispatch_replay(OneboxConn *conn, const guint8 *frame, gsize len);

/*
 * What a handler produces.  `reply` is filled in by the handler when
 * send_reply is TRUE (clear_scanner leaves it FALSE).  Handlers may
 * allocate into `scratch` (freed after the reply was encoded).
 */
typedef struct OneboxCall
{
	OneboxEndpoint *ep;
	OneboxConn *conn;			/* the request's connection (its user) */
	const PegasusRequest *req;
	OneboxPartition *part;		/* replica RPCs: the target partition */
	PegasusResponse *reply;
	gboolean	send_reply;
	GPtrArray  *scratch;		/* g_free'd pointers */
} OneboxCall;

extern void onebox_meta_handle(OneboxCall *call);
extern gboolean onebox_meta_is_leader(OneboxEndpoint *ep);

extern void onebox_replica_get(OneboxCall *call);
extern void onebox_replica_ttl(OneboxCall *call);
extern void onebox_replica_multi_get(OneboxCall *call);
extern void onebox_replica_batch_get(OneboxCall *call);
extern void onebox_replica_sortkey_count(OneboxCall *call);

extern void onebox_replica_put(OneboxCall *call);
extern void onebox_replica_multi_put(OneboxCall *call);
extern void onebox_replica_remove(OneboxCall *call);
extern void onebox_replica_multi_remove(OneboxCall *call);
extern void onebox_replica_incr(OneboxCall *call);
extern void onebox_replica_check_and_set(OneboxCall *call);
extern void onebox_replica_check_and_mutate(OneboxCall *call);

extern void onebox_replica_get_scanner(OneboxCall *call);
extern void onebox_replica_scan(OneboxCall *call);
extern void onebox_replica_clear_scanner(OneboxCall *call);
extern guint onebox_scanner_count(void);
/* contexts whose last reply may never have reached the client (see replica_scan.c) */
extern guint onebox_scanner_count_at_risk(void);
extern void onebox_scanner_conn_lost(guint64 conn_id);
extern guint onebox_scanner_count_refused(void);
extern void onebox_scanner_clear_refused(struct OneboxPartition *part, gint64 id);
extern void onebox_scanner_describe(void (*emit) (const char *line, gpointer data),
									gpointer data);
extern void onebox_scanner_expire(void);
extern guint onebox_scanner_drop_all(void);
extern guint onebox_scanner_drop_replica(int replica);
extern void onebox_scan_context_free(gpointer p);

/* Helpers shared by the replica handlers (replica_read.c) */
extern gboolean onebox_filter_match(gint32 type, PegasusBlob pattern,
									const guint8 *data, gsize len);
extern gboolean onebox_value_expired(const OneboxValue *v, guint32 now);
extern gboolean onebox_parse_int64(const guint8 *data, gsize len, gint64 *out);
/* Effective expiry of a write: default_ttl when 0 */
extern guint32 onebox_write_expire(OneboxPartition *part, guint32 expire_ts);
/* rrdb key (u16 len | hash | sort) into a scratch buffer of the call */
extern guint8 *onebox_make_key(OneboxCall *call, PegasusBlob hash_key,
							   PegasusBlob sort_key, gsize *len);

extern void onebox_control_input(OneboxConn *conn);

/* ------------------------------------------------------------------------
 * Authentication and ACLs (auth.c)
 * ------------------------------------------------------------------------ */

/* --auth kerberos: enable_auth + mandatory_auth with Cyrus SASL GSSAPI */
extern gboolean onebox_auth_init(const char *keytab, const char *service_name,
								 const char *service_fqdn);
/* --super-users LIST (NULL = unchanged) and --acl */
extern void onebox_auth_set_acl(const char *super_users, gboolean enable_acl);
extern gboolean onebox_auth_negotiate(OneboxConn *conn, const PegasusRequest *req,
									  PegasusResponse *reply);
extern void onebox_auth_reply_done(PegasusResponse *reply);
extern gboolean onebox_auth_admit(OneboxConn *conn, const PegasusRequest *req);
extern gboolean onebox_auth_meta_allowed(OneboxConn *conn, PegasusRpc rpc);
extern gboolean onebox_auth_replica_allowed(OneboxConn *conn, OneboxTable *table);
extern guint64 onebox_auth_unauthenticated(void);
extern void onebox_auth_conn_closed(OneboxConn *conn);

/* ------------------------------------------------------------------------
 * Partition split (split.c)
 * ------------------------------------------------------------------------ */

#define ONEBOX_SPLIT_ENV "replica.split.validate_partition_hash"

/* Starts a split; FALSE with *why set when the table cannot split now */
extern gboolean onebox_split_start(OneboxTable *table, const char **why);
/* Advances the split of table by one event at once (control split-step) */
extern void onebox_split_step(OneboxTable *table);
/*
 * split-pause / split-resume (pidx -1: every parent) and split-cancel, as
 * meta_split_service's control_partition_split: FALSE with *why (an
 * ERR_ name first) when the meta server would refuse.
 */
extern gboolean onebox_split_pause(OneboxTable *table, gint32 pidx, const char **why);
extern gboolean onebox_split_resume(OneboxTable *table, gint32 pidx, const char **why);
extern gboolean onebox_split_cancel(OneboxTable *table, const char **why);
/* Advances due phases; returns ms until the next one (-1 = none) */
extern int	onebox_split_tick(void);
/* "phase=... partitions=... ready=... parent=..." into buf */
extern void onebox_split_status(OneboxTable *table, char *buf, gsize len);
/* Drops records a partition no longer serves; count removed */
extern guint onebox_split_compact(OneboxTable *table);
/* The partition count a partition serves (version + 1; the old one while -1) */
extern gint32 onebox_partition_served_count(OneboxPartition *part);
/* The table validates partition hashes (the split env is "true") */
extern gboolean onebox_table_validates_hash(OneboxTable *table);
extern gboolean onebox_hash_selects_in_history(OneboxTable *table, guint64 hash,
											   gint32 pidx);
/* Whether the key hash belongs to part under the count it serves */
extern gboolean onebox_partition_owns_hash(OneboxPartition *part, guint64 hash);
/*
 * The CHECK_REQUEST_IF_SPLITTING of a replica: PEGASUS_EC_OK to go on,
 * ERR_SPLITTING / ERR_PARENT_PARTITION_MISUSED to answer, or
 * PEGASUS_EC_UNKNOWN for a partition_hash that selects this partition
 * under no count the table ever had (a protocol violation).
 */
extern PegasusErrorCode onebox_split_check(OneboxPartition *part, guint64 partition_hash);

/* ------------------------------------------------------------------------
 * Throttling (throttle.c)
 * ------------------------------------------------------------------------ */

#define ONEBOX_WRITE_THROTTLING_ENV "replica.write_throttling"
#define ONEBOX_WRITE_SIZE_THROTTLING_ENV "replica.write_throttling_by_size"
#define ONEBOX_READ_THROTTLING_ENV "replica.read_throttling"

typedef enum OneboxThrottleResult
{
	ONEBOX_THROTTLE_PASS,
	ONEBOX_THROTTLE_DELAY,		/* handle the request after *delay_ms */
	ONEBOX_THROTTLE_REJECT		/* answer ERR_BUSY after *delay_ms */
} OneboxThrottleResult;

/*
 * Parses an env value ("100*delay*100,200*reject*200", units with K/M) the
 * way throttling_controller::parse_from_env does; FALSE if invalid.
 */
extern gboolean onebox_throttle_parse(const char *value, guint64 *delay_units,
									  guint64 *delay_ms, guint64 *reject_units,
									  guint64 *reject_delay_ms);
/* Write (qps, then size) or read throttling of one request */
extern OneboxThrottleResult onebox_throttle_write(OneboxPartition *part,
												  gint32 client_timeout_ms,
												  guint64 body_size, gint64 *delay_ms);
extern OneboxThrottleResult onebox_throttle_read(OneboxPartition *part,
												 gint32 client_timeout_ms,
												 gint64 *delay_ms);
extern void onebox_throttle_free(OneboxPartition *part);

#endif							/* ONEBOX_H */
