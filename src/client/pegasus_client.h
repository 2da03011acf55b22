/*-------------------------------------------------------------------------
 *
 * pegasus_client.h
 *		Public API of the embedded Apache Pegasus client (with
 *		pegasus_client_write.h and pegasus_client_scan.h, included here).
 *
 * The client speaks the Pegasus thrift protocol over non-blocking TCP
 * sockets.  It knows nothing of PostgreSQL: this header uses plain C types
 * only, so an embedding program needs neither GLib nor thrift headers.
 *
 * Conventions used by every function below:
 *
 * - Byte strings are passed as PegasusSlice (pointer + length).  A slice
 *   with len 0 is an empty string; its data pointer may be NULL.
 * - Functions returning bool return true on success.  On failure they fill
 *   the caller-allocated PegasusError (fixed size, nothing to free, so it is
 *   safe to keep on the stack across a longjmp) and leave result pointers
 *   NULL.  err may not be NULL.
 * - timeout_ms is the deadline of the whole call, retries included; 0 means
 *   the client's default operation timeout.
 * - TTLs are durations in seconds; the client converts them to the absolute
 *   "Pegasus time" (Unix time - 1451606400) the wire carries.
 * - A client and everything obtained from it (tables, scanners, results)
 *   belong to one thread.  The library never aborts, exits or prints.
 * - Waiting for sockets happens only through the wait hook (see below), so
 *   the embedder decides how to sleep and when to give up.
 *
 * Results own their memory (usually the reply frame they were decoded from);
 * release each with the free function named next to its type.
 *
 * src/client/pegasus_client.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_H
#define PEGASUS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------------
 * Basic types
 * ---------------------------------------------------------------------- */

/* A byte string that the caller (or a result object) owns. */
typedef struct PegasusSlice
{
	const void *data;
	size_t		len;
} PegasusSlice;

/*
 * Orders two byte strings as Pegasus orders keys: bytewise, a prefix before
 * the longer string.  Negative, zero or positive like memcmp.
 */
extern int	pegasus_slice_compare(PegasusSlice a, PegasusSlice b);

/* Hash keys must be shorter than this (the server aborts otherwise). */
#define PEGASUS_MAX_HASH_KEY_LEN 65535

/*
 * Error categories.  Local causes first; PEGASUS_ERR_SERVER carries a frame
 * or meta error name (server_error), PEGASUS_ERR_STORAGE a rocksdb status
 * code (storage_code) returned by an operation.  (The name PegasusErrorCode
 * belongs to the codec's enum of server error names.)
 */
typedef enum PegasusErrorKind
{
	PEGASUS_OK = 0,
	PEGASUS_ERR_TIMEOUT,		/* the call's deadline passed */
	PEGASUS_ERR_CONNECT,		/* could not connect (refused, unreachable) */
	PEGASUS_ERR_IO,				/* connection lost while a request was in flight */
	PEGASUS_ERR_PROTOCOL,		/* malformed or unexpected frame */
	PEGASUS_ERR_INTERRUPTED,	/* the wait hook asked to abandon the call */
	PEGASUS_ERR_INVALID_ARGUMENT,	/* refused before sending anything */
	PEGASUS_ERR_TABLE_NOT_FOUND,	/* the meta server does not know the table */
	PEGASUS_ERR_OUTCOME_UNKNOWN,	/* a non-idempotent write may or may not
									 * have been applied */
	PEGASUS_ERR_SERVER,			/* ERR_* from a replica or meta server */
	PEGASUS_ERR_STORAGE,		/* rocksdb status code from an operation */
	PEGASUS_ERR_NO_MEMORY,		/* allocation refused (e.g. huge reply) */
	PEGASUS_ERR_AUTH,			/* Kerberos credentials or negotiation failed */
	PEGASUS_ERR_INTERNAL,		/* a state that should not happen */
	PEGASUS_ERR_BUSY			/* throttled: ERR_BUSY until the deadline
								 * (server_error says "ERR_BUSY") */
} PegasusErrorKind;

#define PEGASUS_ERROR_NAME_SIZE 48
#define PEGASUS_ERROR_ENDPOINT_SIZE 64
#define PEGASUS_ERROR_MESSAGE_SIZE 256

/*
 * Caller-allocated error.  Every text field is NUL-terminated (possibly
 * empty).  message is a complete sentence suitable for errdetail, e.g.
 * "Connection to 127.0.0.1:34601 was refused.".
 */
typedef struct PegasusError
{
	PegasusErrorKind code;
	char		server_error[PEGASUS_ERROR_NAME_SIZE];	/* "ERR_BUSY", or "" */
	int32_t		storage_code;	/* rocksdb code for PEGASUS_ERR_STORAGE */
	char		rpc[PEGASUS_ERROR_NAME_SIZE];	/* operation, e.g. "multi_get" */
	char		endpoint[PEGASUS_ERROR_ENDPOINT_SIZE];	/* "host:port" or "" */
	int32_t		app_id;			/* -1 when not applicable */
	int32_t		partition_index;	/* -1 when not applicable */
	bool		outcome_unknown;	/* a write may have been applied */
	char		message[PEGASUS_ERROR_MESSAGE_SIZE];
} PegasusError;

/* Resets err to PEGASUS_OK with empty fields. */
extern void pegasus_error_clear(PegasusError *err);

/* Static name of a code, e.g. "PEGASUS_ERR_TIMEOUT". Never NULL. */
extern const char *pegasus_error_code_name(PegasusErrorKind code);

/* ----------------------------------------------------------------------
 * Waiting: the embedder's hook
 * ---------------------------------------------------------------------- */

#define PEGASUS_POLL_IN		0x01	/* readable */
#define PEGASUS_POLL_OUT	0x02	/* writable */
#define PEGASUS_POLL_ERR	0x04	/* error or hang-up (revents only) */

typedef struct PegasusPollFd
{
	int			fd;
	short		events;			/* PEGASUS_POLL_IN / _OUT */
	short		revents;		/* filled by the hook */
} PegasusPollFd;

/*
 * Waits until at least one fd is ready or timeout_ms (always >= 0) passes.
 * Returns the number of fds whose revents is non-zero, 0 on timeout, or -1
 * meaning "interrupted: abandon the call".  On -1 the client unwinds
 * (closing or keeping connections consistent: late replies are discarded
 * by seqid) and the call fails with PEGASUS_ERR_INTERRUPTED.  The hook must
 * not longjmp.  Spurious early returns (0 before the timeout) are fine.
 * nfds may be 0 (the client is only sleeping, e.g. a retry backoff); the
 * hook should then wait for the timeout or an interrupt.  The default hook
 * uses poll(2).
 */
typedef int (*PegasusWaitHook) (void *arg, PegasusPollFd *fds, int nfds,
								int timeout_ms);

/*
 * What a wait is for, as pegasus_client_wait_kind() tells the hook: so an
 * embedder can report it (PostgreSQL's wait events).  When several
 * connections are waited on at once, the first that applies wins, in this
 * order: connecting, a meta server's reply, a write's reply, a read's reply;
 * a wait on no connection is a retry backoff.
 */
typedef enum PegasusWaitKind
{
	PEGASUS_WAIT_READ = 0,		/* a reply to a read (get, multi_get, scan ...) */
	PEGASUS_WAIT_WRITE,			/* a reply to a write (put, multi_put, incr ...) */
	PEGASUS_WAIT_CONNECT,		/* a TCP connection being established */
	PEGASUS_WAIT_META,			/* a meta server (routing, table admin) */
	PEGASUS_WAIT_BACKOFF,		/* sleeping before a retry */
	PEGASUS_WAIT_NEGOTIATE		/* a new connection authenticating */
} PegasusWaitKind;

/* ----------------------------------------------------------------------
 * Client
 * ---------------------------------------------------------------------- */

typedef struct PegasusClient PegasusClient;
typedef struct PegasusTable PegasusTable;
typedef struct PegasusScanner PegasusScanner;

typedef enum PegasusAuthKind
{
	PEGASUS_AUTH_NONE = 0,
	PEGASUS_AUTH_KERBEROS
} PegasusAuthKind;

typedef struct PegasusClientOptions
{
	int			connect_timeout_ms; /* per connection attempt; default 1000 */
	int			operation_timeout_ms;	/* default deadline; default 1000 */
	int			retry_backoff_ms;	/* first retry delay; default 10 */
	int			retry_backoff_max_ms;	/* backoff cap; default 500 */
	size_t		max_frame_size; /* reply size cap; default 64 MiB */
	PegasusWaitHook wait_hook;	/* NULL = poll(2) */
	void	   *wait_arg;

	/*
	 * Kerberos (SASL GSSAPI) negotiation on every new connection, before
	 * its first request.  Credentials: principal + keytab (obtained into a
	 * private cache), or a credential cache name, or with neither the
	 * process's default cache.  The strings are copied.
	 */
	PegasusAuthKind auth;		/* default PEGASUS_AUTH_NONE */
	const char *kerberos_principal;
	const char *kerberos_keytab;
	const char *kerberos_ccache;
	const char *kerberos_service_name;	/* NULL = "pegasus" */
	const char *kerberos_service_fqdn;	/* NULL = each endpoint's host */
	int			negotiation_timeout_ms; /* per connection; default
										 * connect_timeout_ms */
} PegasusClientOptions;

/* Fills opts with the defaults listed above. */
extern void pegasus_client_options_init(PegasusClientOptions *opts);

/*
 * Creates a client for the cluster whose meta servers are listed in
 * meta_servers ("host:port,host:port"; IPv4 literals or resolvable names).
 * opts may be NULL (defaults).  Does not connect yet.  Returns NULL and
 * fills err on a malformed list.  Free with pegasus_client_free().
 */
extern PegasusClient *pegasus_client_new(const char *meta_servers,
										 const PegasusClientOptions *opts,
										 PegasusError *err);

/* Closes every connection (without waiting) and frees the client, its
 * tables and routing caches.  Scanners must be closed before.  NULL ok. */
extern void pegasus_client_free(PegasusClient *client);

/* Replaces the wait hook (NULL restores the poll(2) default). */
extern void pegasus_client_set_wait_hook(PegasusClient *client,
										 PegasusWaitHook hook, void *arg);
/* Inside a wait hook called by client: what the client is waiting for. */
extern PegasusWaitKind pegasus_client_wait_kind(const PegasusClient *client);

/* Changes the default operation timeout (ms > 0). */
extern void pegasus_client_set_timeout(PegasusClient *client, int timeout_ms);

/*
 * Closes every connection, discarding requests in flight (their callers, if
 * any, are gone).  Use after an abandoned call when the state of the
 * conversation is uncertain; connections are re-made on next use.  The
 * server contexts of open scanners are released first, as by
 * pegasus_client_release_scans with PEGASUS_CLEANUP_TIMEOUT_MS.
 */
extern void pegasus_client_disconnect(PegasusClient *client);

#define PEGASUS_CLEANUP_TIMEOUT_MS 250

/*
 * Releases every scan context the client holds on the servers: each open
 * scanner stops (its next call fails; closing it sends nothing more) and
 * its live contexts are cleared; then the queued clear_scanner requests are
 * written and the replies of abandoned get_scanner / scan requests, whose
 * contexts must be cleared too, are awaited.  Waits at most timeout_ms, by
 * poll(2) and never through the wait hook, so it may run while errors
 * cannot be raised (transaction abort, process exit).  Returns how many
 * abandoned requests were still unanswered at the end: their contexts are
 * left to the servers, which drop idle contexts after a few minutes.
 */
extern int	pegasus_client_release_scans(PegasusClient *client, int timeout_ms);

/*
 * The Kerberos principal the client authenticates as ("alice@REALM"), or
 * NULL without Kerberos or before its credentials were first obtained.
 */
extern const char *pegasus_client_kerberos_principal(const PegasusClient *client);

/*
 * Copies the client's current Kerberos credentials (its initial ticket and
 * the service tickets it holds) into the credential cache ccache_name
 * ("FILE:/path"), made anew, so that another process can authenticate with
 * them (kerberos_ccache) without asking the KDC.  false (err filled) when
 * the client has no credentials yet or the cache cannot be written.
 */
extern bool pegasus_client_export_credentials(PegasusClient *client,
											  const char *ccache_name,
											  PegasusError *err);

/*
 * Forgets the cached routing of one table (table_name) or of all tables
 * (NULL); the next operation queries the meta server again.  Table handles
 * stay valid.
 */
extern void pegasus_client_invalidate(PegasusClient *client,
									  const char *table_name);

/* Per-client counters (since creation or the last reset). */
typedef struct PegasusStats
{
	uint64_t	rpcs_sent;		/* request frames written */
	uint64_t	bytes_sent;
	uint64_t	bytes_received;
	uint64_t	rows_received;	/* key/value records in replies */
	uint64_t	retries;		/* requests re-sent after a retryable error */
	uint64_t	routing_refreshes;	/* query_cfg calls */
	uint64_t	connects;		/* TCP connections opened */
	uint64_t	wait_us;		/* blocked waiting for servers to answer: a
								 * running total, which reset_stats leaves */
} PegasusStats;

extern void pegasus_client_get_stats(const PegasusClient *client,
									 PegasusStats *stats);
extern void pegasus_client_reset_stats(PegasusClient *client);

/* ----------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

/*
 * Returns the handle of table name, querying the meta server the first
 * time (routing is cached in the client).  The handle is owned by the
 * client and lives until pegasus_client_free(); opening the same name again
 * returns the same handle.  Fails with PEGASUS_ERR_TABLE_NOT_FOUND when the
 * cluster has no such table.
 */
extern PegasusTable *pegasus_client_open_table(PegasusClient *client,
											   const char *name,
											   int timeout_ms,
											   PegasusError *err);

extern const char *pegasus_table_name(const PegasusTable *table);
extern int32_t pegasus_table_app_id(const PegasusTable *table);
extern int	pegasus_table_partition_count(const PegasusTable *table);

/*
 * The partition count a whole-table scan divides the table into: the
 * partition count, or half of it while the children of a split are not
 * all registered (their parents serve them).  Scanners of these partitions
 * follow a split that happens while they run (see the partition scanner).
 */
extern int	pegasus_table_scan_partition_count(const PegasusTable *table);

/*
 * Partition index that owns hash_key (crc64 of the hash key mod the
 * partition count; for an empty hash key the sort key is hashed instead).
 */
extern int	pegasus_table_partition_of(const PegasusTable *table,
									   PegasusSlice hash_key,
									   PegasusSlice sort_key);

/* ----------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------- */

/* A single value (get).  Release with pegasus_value_free(). */
typedef struct PegasusValue
{
	bool		found;
	PegasusSlice value;			/* valid while the PegasusValue is */
	void	   *owner;			/* internal */
} PegasusValue;

extern void pegasus_value_free(PegasusValue *value);

/*
 * One record.  hash_key is filled by scanners and batch_get (for multi_get
 * it is the request's hash key).  expire_ts_seconds is the absolute Pegasus
 * expiry time when known (0 = none or unknown); found is false only for
 * batch_get keys that do not exist.
 */
typedef struct PegasusKV
{
	PegasusSlice hash_key;
	PegasusSlice sort_key;
	PegasusSlice value;
	int32_t		expire_ts_seconds;
	bool		found;
} PegasusKV;

/* A list of records owning its memory.  Free with pegasus_kvlist_free(). */
typedef struct PegasusKVList
{
	size_t		count;
	PegasusKV  *items;
	bool		all_fetched;	/* false: a limit stopped the read, more may
								 * exist */
	void	   *owner;			/* internal */
} PegasusKVList;

extern void pegasus_kvlist_free(PegasusKVList *list);

/* ----------------------------------------------------------------------
 * Single-key operations
 *
 * Hash keys must be shorter than PEGASUS_MAX_HASH_KEY_LEN and, as the Go
 * client requires, not empty (for every operation).  Refusals are
 * PEGASUS_ERR_INVALID_ARGUMENT, before any I/O.
 * ---------------------------------------------------------------------- */

/* Reads one value.  value->found tells whether the row exists. */
extern bool pegasus_table_get(PegasusTable *table, PegasusSlice hash_key,
							  PegasusSlice sort_key, int timeout_ms,
							  PegasusValue *value, PegasusError *err);

/* Writes one value; ttl_seconds 0 = no expiry (or the table default). */
extern bool pegasus_table_set(PegasusTable *table, PegasusSlice hash_key,
							  PegasusSlice sort_key, PegasusSlice value,
							  int32_t ttl_seconds, int timeout_ms,
							  PegasusError *err);

/* Deletes one row (success whether or not it existed). */
extern bool pegasus_table_del(PegasusTable *table, PegasusSlice hash_key,
							  PegasusSlice sort_key, int timeout_ms,
							  PegasusError *err);

extern bool pegasus_table_exist(PegasusTable *table, PegasusSlice hash_key,
								PegasusSlice sort_key, int timeout_ms,
								bool *exists, PegasusError *err);

/* Remaining TTL in seconds: -1 = no expiry, -2 = row not found. */
extern bool pegasus_table_ttl(PegasusTable *table, PegasusSlice hash_key,
							  PegasusSlice sort_key, int timeout_ms,
							  int32_t *ttl_seconds, PegasusError *err);

/*
 * Adds increment to the decimal integer stored at the key (missing or empty
 * = 0) and returns the new value.  ttl_seconds: 0 keeps the row's expiry
 * (a new row gets none), > 0 sets it, -1 removes it.  Never re-sent once it
 * may have reached a server: a lost reply gives PEGASUS_ERR_OUTCOME_UNKNOWN.
 * A value that is not an integer, or an overflow, gives PEGASUS_ERR_STORAGE
 * with storage_code 4.
 */
extern bool pegasus_table_incr(PegasusTable *table, PegasusSlice hash_key,
							   PegasusSlice sort_key, int64_t increment,
							   int32_t ttl_seconds, int timeout_ms,
							   int64_t *new_value, PegasusError *err);

/* ----------------------------------------------------------------------
 * Hash-key operations (the hash key may not be empty)
 * ---------------------------------------------------------------------- */

typedef enum PegasusKeyFilterType
{
	PEGASUS_FILTER_NONE = 0,
	PEGASUS_FILTER_ANYWHERE = 1,
	PEGASUS_FILTER_PREFIX = 2,
	PEGASUS_FILTER_POSTFIX = 3
} PegasusKeyFilterType;

/* A key filter; an empty pattern matches everything. */
typedef struct PegasusFilter
{
	PegasusKeyFilterType type;
	PegasusSlice pattern;
} PegasusFilter;

typedef struct PegasusMultiGetOptions
{
	bool		start_inclusive;	/* default true */
	bool		stop_inclusive; /* default false */
	PegasusFilter sort_key_filter;	/* default none */
	int32_t		max_fetch_count;	/* <= 0: no limit (server cap 3000) */
	int32_t		max_fetch_size; /* bytes; <= 0: no limit */
	bool		reverse;		/* take the last records of the range;
								 * results are still ascending */
	bool		no_value;		/* values come back empty */
} PegasusMultiGetOptions;

extern void pegasus_multi_get_options_init(PegasusMultiGetOptions *opts);

/*
 * Reads the given sort keys of hash_key (n_sort_keys > 0: point lookups,
 * result in request order, missing keys omitted) or, with n_sort_keys == 0,
 * every sort key of hash_key subject to opts (NULL = defaults).  The list's
 * all_fetched is false when a limit stopped the read (server code 7).
 */
extern bool pegasus_table_multi_get(PegasusTable *table,
									PegasusSlice hash_key,
									const PegasusSlice *sort_keys,
									size_t n_sort_keys,
									const PegasusMultiGetOptions *opts,
									int timeout_ms, PegasusKVList **out,
									PegasusError *err);

/*
 * Reads the sort keys of hash_key between start and stop (empty start =
 * from the first, empty stop = to the last; inclusivity in opts), ascending.
 */
extern bool pegasus_table_multi_get_range(PegasusTable *table,
										  PegasusSlice hash_key,
										  PegasusSlice start_sort_key,
										  PegasusSlice stop_sort_key,
										  const PegasusMultiGetOptions *opts,
										  int timeout_ms, PegasusKVList **out,
										  PegasusError *err);

/*
 * A range reader returns the records of pegasus_table_multi_get_range as a
 * sequence of pages of opts->max_fetch_count records (NULL opts =
 * defaults), continuing each page cut short by a limit from its edge key,
 * and requests the next page as soon as the previous one arrives, so that
 * the caller's work on a page overlaps the next round trip.  max_rows > 0
 * stops after that many records.  The first page is requested at once.
 * next returns 1 with a page (free it with pegasus_kvlist_free; records
 * ascending, as multi_get_range gives them), 0 when the range is done, -1
 * on error (err filled; the reader can then only be closed).  close never
 * waits.
 */
typedef struct PegasusRangeReader PegasusRangeReader;

extern PegasusRangeReader *pegasus_table_range_reader(PegasusTable *table,
													  PegasusSlice hash_key,
													  PegasusSlice start_sort_key,
													  PegasusSlice stop_sort_key,
													  const PegasusMultiGetOptions *opts,
													  int64_t max_rows,
													  int timeout_ms,
													  PegasusError *err);
extern int	pegasus_range_reader_next(PegasusRangeReader *reader,
									  PegasusKVList **page, PegasusError *err);
extern void pegasus_range_reader_close(PegasusRangeReader *reader);

/*
 * A keys reader: the same, for the given sort keys of hash_key (ascending
 * and distinct, n_sort_keys > 0): multi_get of that list, sent at once,
 * missing keys omitted; a reply cut short by a limit (opts' max_fetch_count
 * and max_fetch_size, or the server's) is continued with the keys after its
 * last record.  Of opts (NULL = defaults) only the limits and no_value
 * apply.  Read and close it as a range reader.
 */
extern PegasusRangeReader *pegasus_table_keys_reader(PegasusTable *table,
													 PegasusSlice hash_key,
													 const PegasusSlice *sort_keys,
													 size_t n_sort_keys,
													 const PegasusMultiGetOptions *opts,
													 int timeout_ms,
													 PegasusError *err);

/* Writes n rows of one hash key atomically; n must be > 0. */
extern bool pegasus_table_multi_set(PegasusTable *table, PegasusSlice hash_key,
									const PegasusSlice *sort_keys,
									const PegasusSlice *values, size_t n,
									int32_t ttl_seconds, int timeout_ms,
									PegasusError *err);

/* Deletes n sort keys of one hash key atomically; n must be > 0.
 * deleted (may be NULL) receives the server's count (= n on success). */
extern bool pegasus_table_multi_del(PegasusTable *table, PegasusSlice hash_key,
									const PegasusSlice *sort_keys, size_t n,
									int timeout_ms, int64_t *deleted,
									PegasusError *err);

typedef struct PegasusDelRangeOptions
{
	bool		start_inclusive;	/* default true */
	bool		stop_inclusive; /* default false */
	PegasusFilter sort_key_filter;	/* default none */
} PegasusDelRangeOptions;

extern void pegasus_del_range_options_init(PegasusDelRangeOptions *opts);

/*
 * Deletes the sort keys of hash_key in [start, stop] (empty = open end) by
 * alternating key-only range reads and multi_del batches; each batch is
 * atomic, the whole is not.  deleted (may be NULL) receives the number of
 * keys deleted so far, also on failure.
 */
extern bool pegasus_table_del_range(PegasusTable *table, PegasusSlice hash_key,
									PegasusSlice start_sort_key,
									PegasusSlice stop_sort_key,
									const PegasusDelRangeOptions *opts,
									int timeout_ms, int64_t *deleted,
									PegasusError *err);

/* Number of live sort keys under hash_key (-1 if the server gave up on
 * time, see the protocol notes). */
extern bool pegasus_table_sortkey_count(PegasusTable *table,
										PegasusSlice hash_key, int timeout_ms,
										int64_t *count, PegasusError *err);

typedef enum PegasusCheckType
{
	PEGASUS_CHECK_NO_CHECK = 0,
	PEGASUS_CHECK_VALUE_NOT_EXIST = 1,
	PEGASUS_CHECK_VALUE_NOT_EXIST_OR_EMPTY = 2,
	PEGASUS_CHECK_VALUE_EXIST = 3,
	PEGASUS_CHECK_VALUE_NOT_EMPTY = 4,
	PEGASUS_CHECK_MATCH_ANYWHERE = 5,
	PEGASUS_CHECK_MATCH_PREFIX = 6,
	PEGASUS_CHECK_MATCH_POSTFIX = 7,
	PEGASUS_CHECK_BYTES_LESS = 8,
	PEGASUS_CHECK_BYTES_LESS_OR_EQUAL = 9,
	PEGASUS_CHECK_BYTES_EQUAL = 10,
	PEGASUS_CHECK_BYTES_GREATER_OR_EQUAL = 11,
	PEGASUS_CHECK_BYTES_GREATER = 12,
	PEGASUS_CHECK_INT_LESS = 13,
	PEGASUS_CHECK_INT_LESS_OR_EQUAL = 14,
	PEGASUS_CHECK_INT_EQUAL = 15,
	PEGASUS_CHECK_INT_GREATER_OR_EQUAL = 16,
	PEGASUS_CHECK_INT_GREATER = 17
} PegasusCheckType;

/* Outcome of check_and_set / check_and_mutate.  Free with
 * pegasus_check_result_free(). */
typedef struct PegasusCheckResult
{
	bool		succeeded;		/* the check passed and the write happened */
	bool		check_value_returned;
	bool		check_value_exist;
	PegasusSlice check_value;	/* when check_value_exist */
	void	   *owner;			/* internal */
} PegasusCheckResult;

extern void pegasus_check_result_free(PegasusCheckResult *result);

typedef struct PegasusCheckAndSetOptions
{
	int32_t		set_ttl_seconds;	/* >= 0; 0 = no expiry */
	bool		return_check_value;
} PegasusCheckAndSetOptions;

/*
 * If the row (hash_key, check_sort_key) passes check_type/check_operand,
 * writes set_value under set_sort_key (which may differ from the checked
 * key).  A failed check is not an error: result->succeeded is false.  An
 * integer check on a non-integer value fails with PEGASUS_ERR_STORAGE code 4.
 * Never re-sent once it may have reached a server (OUTCOME_UNKNOWN).
 * opts may be NULL.
 */
extern bool pegasus_table_check_and_set(PegasusTable *table,
										PegasusSlice hash_key,
										PegasusSlice check_sort_key,
										PegasusCheckType check_type,
										PegasusSlice check_operand,
										PegasusSlice set_sort_key,
										PegasusSlice set_value,
										const PegasusCheckAndSetOptions *opts,
										int timeout_ms,
										PegasusCheckResult *result,
										PegasusError *err);

/*
 * One check_and_set of pegasus_table_check_and_set_many: the arguments of
 * pegasus_table_check_and_set, and its outcome.
 */
typedef struct PegasusCheckAndSetItem
{
	PegasusSlice hash_key;
	PegasusSlice check_sort_key;
	PegasusCheckType check_type;
	PegasusSlice check_operand;
	PegasusSlice set_sort_key;
	PegasusSlice set_value;
	PegasusCheckAndSetOptions opts;
	bool		done;			/* out: result is valid (free it) */
	PegasusCheckResult result;	/* out */
	PegasusError err;			/* out, when not done */
} PegasusCheckAndSetItem;

/*
 * Sends the n check_and_sets at once (pipelined across partitions and
 * connections) and waits for all of them.  Returns true when every item is
 * done; otherwise false with err describing the first failure (each item's
 * done and err tell what happened to it; one not done may or may not have
 * been applied).  Items of one record are not ordered: give each record at
 * most once.
 */
extern bool pegasus_table_check_and_set_many(PegasusTable *table,
											 PegasusCheckAndSetItem *items,
											 size_t n, int timeout_ms,
											 PegasusError *err);

typedef enum PegasusMutateOp
{
	PEGASUS_MUTATE_PUT = 0,
	PEGASUS_MUTATE_DELETE = 1
} PegasusMutateOp;

typedef struct PegasusMutation
{
	PegasusMutateOp op;
	PegasusSlice sort_key;
	PegasusSlice value;			/* PUT only */
	int32_t		ttl_seconds;	/* PUT only; 0 = no expiry */
} PegasusMutation;

/* Like check_and_set, but applies n (> 0) mutations atomically. */
extern bool pegasus_table_check_and_mutate(PegasusTable *table,
										   PegasusSlice hash_key,
										   PegasusSlice check_sort_key,
										   PegasusCheckType check_type,
										   PegasusSlice check_operand,
										   const PegasusMutation *mutations,
										   size_t n, bool return_check_value,
										   int timeout_ms,
										   PegasusCheckResult *result,
										   PegasusError *err);

/* operations across partitions, and scanners */
#include "pegasus_client_write.h"
#include "pegasus_client_scan.h"

/* ----------------------------------------------------------------------
 * Administration (meta server)
 * ---------------------------------------------------------------------- */

typedef struct PegasusAppEntry
{
	char	   *name;
	int32_t		app_id;
	int32_t		partition_count;
	int32_t		status;			/* 1 available, 2 creating, 4 dropping, 6
								 * dropped, 7 recalling */
	int32_t		max_replica_count;
	bool		is_stateful;
} PegasusAppEntry;

typedef struct PegasusAppList
{
	size_t		count;
	PegasusAppEntry *apps;
} PegasusAppList;

extern void pegasus_app_list_free(PegasusAppList *list);

/* Lists tables; available_only asks for status "available" only. */
extern bool pegasus_client_list_apps(PegasusClient *client, bool available_only,
									 int timeout_ms, PegasusAppList **out,
									 PegasusError *err);

typedef struct PegasusAppCreateOptions
{
	int32_t		partition_count;	/* default 8; should be a power of two */
	int32_t		replica_count;	/* default 1 */
	bool		success_if_exist;
	bool		wait_ready;		/* poll routing until every partition has a
								 * primary; default true */
	size_t		n_envs;
	const char *const *env_keys;
	const char *const *env_values;
} PegasusAppCreateOptions;

extern void pegasus_create_app_options_init(PegasusAppCreateOptions *opts);

/* Creates a table; app_id (may be NULL) receives its id. */
extern bool pegasus_client_create_app(PegasusClient *client, const char *name,
									  const PegasusAppCreateOptions *opts,
									  int timeout_ms, int32_t *app_id,
									  PegasusError *err);

/* Drops a table (kept by the cluster for its reserve period). */
extern bool pegasus_client_drop_app(PegasusClient *client, const char *name,
									bool success_if_not_exist, int timeout_ms,
									PegasusError *err);

/* ----------------------------------------------------------------------
 * Waiting outside the client (an embedder's event loop)
 *
 * An embedder that waits for several clients at once (PostgreSQL's
 * asynchronous Append) asks each client for the sockets it would wait on,
 * waits for all of them in its own loop, then lets the client read what
 * arrived without waiting, and asks each scanner, reader or batch_get
 * whether its next call would return without waiting.
 * ---------------------------------------------------------------------- */

/*
 * Fills fds (at most max) with the sockets the client would wait on now,
 * with the events it waits for; returns how many it has (which may exceed
 * max: then only max were filled).  Writes what is queued first.  Never
 * waits, never calls the wait hook.
 */
extern int	pegasus_client_wait_fds(PegasusClient *client, PegasusPollFd *fds,
									int max);

/* Reads and writes what the sockets allow now, without waiting. */
extern void pegasus_client_pump(PegasusClient *client);

/*
 * Sends the clear_scanner requests of closed scanners and awaits, for at
 * most timeout_ms (by poll(2), not the wait hook), the replies of their
 * abandoned requests, so that the contexts those name are cleared too;
 * other calls in flight are not disturbed.  Returns how many abandoned
 * requests were still unanswered.  (pegasus_client_release_scans also
 * stops the open scanners.)
 */
extern int	pegasus_client_drain_scans(PegasusClient *client, int timeout_ms);

/*
 * Would the next pegasus_scanner_next / pegasus_range_reader_next /
 * pegasus_batch_get_finish return without waiting for a reply?  (It may
 * still sleep for a retry's backoff.)  Call pegasus_client_pump first to
 * see what has arrived.
 */
extern bool pegasus_scanner_ready(const PegasusScanner *scanner);
extern bool pegasus_range_reader_ready(const PegasusRangeReader *reader);
extern bool pegasus_batch_get_ready(const PegasusBatchGet *bg);

#ifdef __cplusplus
}
#endif

#include "pegasus_stats.h"

#endif							/* PEGASUS_CLIENT_H */
