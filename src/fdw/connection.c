/*-------------------------------------------------------------------------
 *
 * connection.c
 *		Cache of Pegasus clients (one per foreign server per backend), and
 *		the one place where a client error becomes an ereport.  The wait
 *		hook through which clients sleep is in wait_hook.c.
 *
 * Lifetimes: a client lives in the cache (TopMemoryContext) across
 * transactions and keeps its connections and routing tables.  A change to
 * the server or a user mapping marks the entry invalid; it is rebuilt at
 * its next use when no scan holds it.  A call that was abandoned or failed
 * on the network leaves the conversation uncertain: the transaction-end
 * callback then closes the client's sockets (reconnected on next use).
 * Clients are freed only when no scan holds them, since scanners belong to
 * their client and are closed from memory-context reset callbacks that may
 * run after the transaction callbacks.
 *
 * A server with auth 'kerberos' authenticates with the credentials of the
 * current user's mapping; the entry remembers which mapping it was built
 * for and is rebuilt when another user's mapping applies.
 *
 * src/fdw/connection.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/wait_event.h"

#include "pegasus_fdw.h"
#include "stats.h"
#include "wait_hook.h"

/*
 * A server without authentication has one client for every role; a server
 * with auth 'kerberos' one per user mapping, so that one statement may
 * reach it under two mappings (a SECURITY DEFINER function called from a
 * scan of the same server) and a role never borrows another's credentials.
 */
typedef struct PegFdwConnKey
{
	Oid			serverid;
	Oid			umid;			/* Kerberos: the user mapping; else InvalidOid */
} PegFdwConnKey;

struct PegFdwConnEntry
{
	PegFdwConnKey key;			/* hash key: must be first */
	PegasusClient *client;
	char	   *servername;		/* TopMemoryContext */
	char	   *meta_servers;	/* TopMemoryContext */
	uint32		server_hashvalue;	/* syscache hash of the server row */
	bool		invalidated;	/* options changed: rebuild when unused */
	bool		uncertain;		/* a call was abandoned mid-conversation */
	int			in_use;			/* scans and modifies holding the client */
	List	   *tables;			/* names of opened tables (TopMemoryContext) */
	bool		kerberos;		/* built for a server with auth 'kerberos' */
	Oid			userid;			/* Kerberos: the role it was made for */
	char		principal[128];	/* Kerberos: the principal option, if any */
};

static HTAB *ConnectionHash = NULL;

/*
 * Kerberos credentials of parallel scans.  The leader copies its client's
 * tickets into a credential cache file of its own (under the data
 * directory's temporary files, removed at transaction end, at exit, and by
 * PostgreSQL's start-up cleanup after a crash); its workers log in with
 * them instead of asking the KDC for their own, so a parallel query needs
 * the KDC no more than a serial one.
 */
static List *exported_ccaches = NIL;	/* paths, TopMemoryContext */
static uint32 exported_count = 0;
static Oid	handed_serverid = InvalidOid;	/* worker: leader's credentials */
static char handed_ccache[MAXPGPATH];

PG_FUNCTION_INFO_V1(pegasus_fdw_connections);
PG_FUNCTION_INFO_V1(pegasus_fdw_disconnect);
PG_FUNCTION_INFO_V1(pegasus_fdw_disconnect_all);

static void pegfdw_xact_callback(XactEvent event, void *arg);
static void pegfdw_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void pegfdw_exit_callback(int code, Datum arg);

/*
 * How long a backend that exits waits for replies its servers still owe to
 * abandoned scan requests, so as to clear the scan contexts they name (a
 * server keeps an idle context, and its storage iterator, for minutes).
 * A backend being terminated, and a parallel worker (whose leader waits for
 * it), wait PEGASUS_CLEANUP_TIMEOUT_MS at most.
 */
#define EXIT_CLEANUP_TIMEOUT_MS 5000

static void
init_connection_cache(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(PegFdwConnKey);
	ctl.entrysize = sizeof(PegFdwConnEntry);
	ConnectionHash = hash_create("pegasus_fdw connections", 8, &ctl,
								 HASH_ELEM | HASH_BLOBS);
	RegisterXactCallback(pegfdw_xact_callback, NULL);
	before_shmem_exit(pegfdw_exit_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, pegfdw_inval_callback, 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, pegfdw_inval_callback, 0);
}

static void
free_entry_client(PegFdwConnEntry *entry)
{
	ListCell   *lc;

	if (entry->client)
	{
		(void) pegasus_client_release_scans(entry->client,
											PEGASUS_CLEANUP_TIMEOUT_MS);
		pegasus_client_free(entry->client);
	}
	entry->client = NULL;
	if (entry->servername)
		pfree(entry->servername);
	if (entry->meta_servers)
		pfree(entry->meta_servers);
	entry->servername = entry->meta_servers = NULL;
	foreach(lc, entry->tables)
		pfree(lfirst(lc));
	list_free(entry->tables);
	entry->tables = NIL;
	entry->invalidated = false;
	entry->uncertain = false;
	entry->kerberos = false;
	entry->userid = InvalidOid;
	entry->principal[0] = '\0';
}

/*
 * The current user's mapping for a server with auth 'kerberos'.  A mapping
 * without credentials gets none: the database server's own default
 * credential cache is never used on anybody's behalf.
 */
static UserMapping *
kerberos_user_mapping(ForeignServer *server, PegFdwUserOptions *uopts)
{
	UserMapping *um = GetUserMapping(GetUserId(), server->serverid);

	pegfdw_get_user_mapping_options(um, uopts);
	if (uopts->kerberos_keytab == NULL && uopts->kerberos_ccache == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("could not authenticate to the Pegasus cluster of server \"%s\"",
						server->servername),
				 errdetail("The user mapping of role \"%s\" has no Kerberos credentials.",
						   GetUserNameFromId(GetUserId(), false)),
				 errhint("A superuser must set the user mapping options kerberos_principal and kerberos_keytab, or kerberos_ccache.")));
	if (uopts->kerberos_keytab != NULL && uopts->kerberos_principal == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("could not authenticate to the Pegasus cluster of server \"%s\"",
						server->servername),
				 errdetail("The user mapping has a kerberos_keytab but no kerberos_principal."),
				 errhint("A superuser must set the user mapping option kerberos_principal to the principal of the keytab to log in as.")));
	return um;
}

static void
make_entry_client(PegFdwConnEntry *entry, ForeignServer *server)
{
	PegFdwServerOptions sopts;
	PegFdwUserOptions uopts;
	PegasusClientOptions copts;
	PegasusError err;
	MemoryContext oldcxt;

	pegfdw_get_server_options(server, &sopts);
	pegasus_client_options_init(&copts);
	copts.connect_timeout_ms = sopts.connect_timeout_ms;
	copts.operation_timeout_ms = sopts.timeout_ms;
	copts.wait_hook = pegfdw_wait_hook;
	copts.wait_arg = NULL;
	if (sopts.kerberos)
	{
		UserMapping *um = kerberos_user_mapping(server, &uopts);

		copts.auth = PEGASUS_AUTH_KERBEROS;
		copts.kerberos_principal = uopts.kerberos_principal;
		copts.kerberos_keytab = uopts.kerberos_keytab;
		copts.kerberos_ccache = uopts.kerberos_ccache;
		if (handed_serverid == server->serverid)
		{
			/* a parallel worker: the leader's tickets, as they are */
			copts.kerberos_principal = NULL;
			copts.kerberos_keytab = NULL;
			copts.kerberos_ccache = handed_ccache;
		}
		copts.kerberos_service_name = sopts.kerberos_service_name;
		copts.kerberos_service_fqdn = sopts.kerberos_service_fqdn;
		entry->kerberos = true;
		entry->userid = um->userid;
		Assert(um->umid == entry->key.umid);
		snprintf(entry->principal, sizeof(entry->principal), "%s",
				 uopts.kerberos_principal ? uopts.kerberos_principal : "");
	}

	pegasus_error_clear(&err);
	entry->client = pegasus_client_new(sopts.meta_servers, &copts, &err);
	if (entry->client == NULL)
		pegfdw_report_error(ERROR, &err, server->servername, NULL);
	/* the hook asks the client what it waits for */
	pegasus_client_set_wait_hook(entry->client, pegfdw_wait_hook, entry->client);
	pegfdw_stats_attach(entry->client, server->serverid, server->servername);

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	entry->servername = pstrdup(server->servername);
	entry->meta_servers = pstrdup(sopts.meta_servers);
	MemoryContextSwitchTo(oldcxt);
	entry->server_hashvalue =
		GetSysCacheHashValue1(FOREIGNSERVEROID,
							  ObjectIdGetDatum(server->serverid));
	elog(DEBUG3, "pegasus_fdw: new client for server \"%s\" (%s)",
		 server->servername, sopts.meta_servers);
}

/*
 * Returns the cached client of server serverid, creating it if needed.
 * *entry receives the cache entry; the caller may pin it (in_use) while a
 * scan holds client objects.
 */
PegasusClient *
pegfdw_get_client(Oid serverid, PegFdwConnEntry **entry_out)
{
	PegFdwConnEntry *entry;
	PegFdwConnKey key;
	bool		found;

	if (ConnectionHash == NULL)
		init_connection_cache();

	/* the shared client of a server without authentication, if valid */
	key.serverid = serverid;
	key.umid = InvalidOid;
	entry = hash_search(ConnectionHash, &key, HASH_FIND, NULL);
	if (entry == NULL || entry->client == NULL || entry->invalidated)
	{
		PegFdwServerOptions sopts;

		pegfdw_get_server_options(GetForeignServer(serverid), &sopts);
		if (sopts.kerberos)
			key.umid = GetUserMapping(GetUserId(), serverid)->umid;
	}
	entry = hash_search(ConnectionHash, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->client = NULL;
		entry->servername = entry->meta_servers = NULL;
		entry->invalidated = entry->uncertain = false;
		entry->in_use = 0;
		entry->tables = NIL;
		entry->kerberos = false;
		entry->userid = InvalidOid;
		entry->principal[0] = '\0';
	}
	if (entry->client && entry->invalidated && entry->in_use == 0)
	{
		elog(DEBUG3, "pegasus_fdw: discarding client for server \"%s\" after option change",
			 entry->servername);
		free_entry_client(entry);
	}
	if (entry->client == NULL)
		make_entry_client(entry, GetForeignServer(serverid));
	if (entry_out)
		*entry_out = entry;
	return entry->client;
}

/* Remembers a table name for pegasus_fdw_connections(). */
static void
note_table(PegFdwConnEntry *entry, const char *name)
{
	ListCell   *lc;
	MemoryContext oldcxt;

	foreach(lc, entry->tables)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return;
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	entry->tables = lappend(entry->tables, pstrdup(name));
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Opens the Pegasus table of a foreign table (routing is cached by the
 * client).  *entry_out (may be NULL) receives the cache entry.
 */
PegasusTable *
pegfdw_open_table(PegFdwTable *table, PegFdwConnEntry **entry_out)
{
	PegFdwConnEntry *entry;
	PegasusClient *client = pegfdw_get_client(table->serverid, &entry);
	PegasusTable *ptable;
	PegasusError err;

	pegasus_error_clear(&err);
	ptable = pegasus_client_open_table(client, table->table_name,
									   table->timeout_ms, &err);
	if (ptable == NULL)
	{
		pegfdw_mark_uncertain(entry);
		pegfdw_report_error(ERROR, &err, table->servername, table->table_name);
	}
	note_table(entry, table->table_name);
	if (entry_out)
		*entry_out = entry;
	return ptable;
}

/*
 * Leader of a parallel scan: copies the credentials of entry's client into
 * a new credential cache file and names it in ccache.  false when the
 * client has none to give (no Kerberos, or none obtained yet: the workers
 * then log in by themselves).
 */
bool
pegfdw_export_credentials(PegFdwConnEntry *entry, char *ccache, size_t len)
{
	char		dir[MAXPGPATH];
	char		path[MAXPGPATH];
	PegasusError err;
	MemoryContext oldcxt;

	if (!entry->kerberos || entry->client == NULL ||
		pegasus_client_kerberos_principal(entry->client) == NULL)
		return false;
	snprintf(dir, sizeof(dir), "%s/base/%s", DataDir, PG_TEMP_FILES_DIR);
	(void) MakePGDirectory(dir);
	snprintf(path, sizeof(path), "%s/%s_pegasus_krb5cc.%d.%u", dir,
			 PG_TEMP_FILE_PREFIX, MyProcPid, ++exported_count);
	snprintf(ccache, len, "FILE:%s", path);
	if (!pegasus_client_export_credentials(entry->client, ccache, &err))
	{
		elog(DEBUG1, "pegasus_fdw: parallel workers log in by themselves: %s",
			 err.message);
		(void) unlink(path);
		return false;
	}
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	exported_ccaches = lappend(exported_ccaches, pstrdup(path));
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/* Parallel worker: the server's client is to use the leader's credentials. */
void
pegfdw_use_handed_credentials(Oid serverid, const char *ccache)
{
	handed_serverid = serverid;
	strlcpy(handed_ccache, ccache, sizeof(handed_ccache));
}

/* Removes the credential cache files made for parallel workers. */
static void
remove_exported_ccaches(void)
{
	ListCell   *lc;

	foreach(lc, exported_ccaches)
	{
		(void) unlink((char *) lfirst(lc));
		pfree(lfirst(lc));
	}
	list_free(exported_ccaches);
	exported_ccaches = NIL;
}

void
pegfdw_mark_uncertain(PegFdwConnEntry *entry)
{
	if (entry)
		entry->uncertain = true;
}

/* Pins and unpins an entry while client objects (scanners) are alive. */
static void
pegfdw_pin_entry(PegFdwConnEntry *entry)
{
	entry->in_use++;
}

static void
pegfdw_unpin_entry(PegFdwConnEntry *entry)
{
	if (entry->in_use > 0)
		entry->in_use--;
}

/*
 * A pin held by a scan or a modification: released explicitly when it ends,
 * or when the memory context it lives in is reset (also on error).
 */
struct PegFdwPin
{
	PegFdwConnEntry *entry;
	bool		held;
	MemoryContextCallback cb;
};

static void
pin_reset_callback(void *arg)
{
	pegfdw_release_pin((PegFdwPin *) arg);
}

PegFdwPin *
pegfdw_pin_until_reset(PegFdwConnEntry *entry, MemoryContext cxt)
{
	PegFdwPin  *pin = MemoryContextAllocZero(cxt, sizeof(PegFdwPin));

	pin->entry = entry;
	pin->held = true;
	pegfdw_pin_entry(entry);
	pin->cb.func = pin_reset_callback;
	pin->cb.arg = pin;
	MemoryContextRegisterResetCallback(cxt, &pin->cb);
	return pin;
}

/* Releases a pin once; later calls (and the reset callback) do nothing. */
void
pegfdw_release_pin(PegFdwPin *pin)
{
	if (pin != NULL && pin->held)
	{
		pegfdw_unpin_entry(pin->entry);
		pin->held = false;
	}
}

/* Marks entries of a changed server (or every entry) for rebuilding. */
static void
pegfdw_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
	{
		if (entry->client == NULL)
			continue;
		if (hashvalue == 0 || cacheid == USERMAPPINGOID ||
			entry->server_hashvalue == hashvalue)
			entry->invalidated = true;
	}
}

/*
 * At transaction end, drop the sockets of clients whose conversation may
 * be out of step (abandoned call, I/O error), and free invalidated clients
 * nobody holds.
 */
static void
pegfdw_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;

	if (event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PREPARE)
		return;

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
	{
		if (entry->client == NULL)
			continue;
		if (entry->uncertain)
		{
			elog(DEBUG3, "pegasus_fdw: closing connections of server \"%s\" after an uncertain call",
				 entry->servername);
			pegasus_client_disconnect(entry->client);
			entry->uncertain = false;
		}
		if (entry->invalidated && entry->in_use == 0)
			free_entry_client(entry);
	}
	pegfdw_forget_wait_hook_error();
	/* the workers that used them have ended with the transaction's query */
	if (event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		remove_exported_ccaches();
}

/*
 * At process exit, hand the servers back the scan contexts this backend
 * still holds or is owed (pegasus_client_release_scans), within one bound
 * for all clients.
 */
static void
pegfdw_exit_callback(int code, Datum arg)
{
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;
	TimestampTz deadline;

	remove_exported_ccaches();
	if (ConnectionHash == NULL)
		return;
	/* the leader of a parallel query waits for its workers to exit */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   ProcDiePending || IsParallelWorker() ?
										   PEGASUS_CLEANUP_TIMEOUT_MS :
										   EXIT_CLEANUP_TIMEOUT_MS);
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
	{
		long		left;

		if (entry->client == NULL)
			continue;
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (pegasus_client_release_scans(entry->client, (int) left) > 0)
			elog(DEBUG1, "pegasus_fdw: scan contexts on server \"%s\" left to expire",
				 entry->servername);
	}
}

static int
sqlstate_of(PegasusErrorKind code)
{
	switch (code)
	{
		case PEGASUS_ERR_CONNECT:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		case PEGASUS_ERR_IO:
			return ERRCODE_CONNECTION_FAILURE;
		case PEGASUS_ERR_PROTOCOL:
			return ERRCODE_PROTOCOL_VIOLATION;
		case PEGASUS_ERR_TABLE_NOT_FOUND:
			return ERRCODE_FDW_TABLE_NOT_FOUND;
		case PEGASUS_ERR_INTERRUPTED:
			return ERRCODE_QUERY_CANCELED;
		case PEGASUS_ERR_NO_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case PEGASUS_ERR_INTERNAL:
			return ERRCODE_INTERNAL_ERROR;
		case PEGASUS_ERR_AUTH:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case PEGASUS_ERR_BUSY:
			return ERRCODE_INSUFFICIENT_RESOURCES;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

/*
 * A hint for a server's refusal, or NULL.  ERR_INVALID_DATA answering a
 * write is what Pegasus sends for a request over max_allowed_write_size;
 * the others are answers of a live cluster that asking again soon will not
 * change (the client's detail says what each means).
 */
const char *
pegfdw_error_hint(const PegasusError *err)
{
	static const char *const writes[] = {
		"set", "multi_set", "del", "multi_del", "incr", "check_and_set",
		"check_and_mutate"
	};
	const char *e = err->server_error;
	int			i;

	if (err->code == PEGASUS_ERR_BUSY)
		return "The table's throttling (app envs replica.write_throttling, replica.write_throttling_by_size, replica.read_throttling) refused the requests until the deadline; retry later, or raise the limits.";
	if (err->code != PEGASUS_ERR_SERVER)
		return NULL;
	if (strcmp(e, "ERR_OPERATION_DISABLED") == 0)
	{
		if (strcmp(err->rpc, "incr") == 0 || strcmp(err->rpc, "check_and_set") == 0 ||
			strcmp(err->rpc, "check_and_mutate") == 0)
			return "Retry after the bulk load has been ingested; on a duplication master, enable atomic idempotency for the table (Pegasus shell: enable_atomic_idempotent).";
		return "Retry after the bulk load has been ingested.";
	}
	if (strcmp(e, "ERR_DISK_INSUFFICIENT") == 0)
		return "Free disk space on the Pegasus replica servers, then retry.";
	if (strcmp(e, "ERR_DISK_IO_ERROR") == 0)
		return "Check the disks of the Pegasus replica servers, then retry.";
	if (strcmp(e, "ERR_RETRY_EXHAUSTED") == 0)
		return "Retry the statement later.";
	if (strstr(err->message, "does not know this error") != NULL)
		return "The Pegasus cluster may be newer than this extension.";
	if (strcmp(e, "ERR_INVALID_DATA") != 0)
		return NULL;
	for (i = 0; i < (int) lengthof(writes); i++)
		if (strcmp(err->rpc, writes[i]) == 0)
			return "The write may exceed the cluster's max_allowed_write_size (1 MiB by default); Pegasus refuses larger write requests.";
	return NULL;
}

/* The principal the client of a server logs in with, or NULL. */
static const char *
principal_of_server(const char *servername)
{
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;
	const char *found = NULL;

	if (ConnectionHash == NULL)
		return NULL;
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
	{
		const char *p;

		if (entry->servername == NULL || entry->client == NULL ||
			strcmp(entry->servername, servername) != 0)
			continue;
		p = pegasus_client_kerberos_principal(entry->client);
		if (p == NULL && entry->principal[0])
			p = entry->principal;
		/* the client of the current role, when there are several */
		if (p != NULL && (found == NULL || entry->userid == GetUserId()))
			found = p;
	}
	return found;
}

/*
 * Report an error returned by the Pegasus client.
 *
 * err is a caller-owned PegasusError with fixed-size text, so nothing needs
 * freeing before ereport() leaves this function by longjmp.  servername and
 * tablename may be NULL when unknown.
 */
void
pegfdw_report_error(int elevel, const PegasusError *err,
					const char *servername, const char *tablename)
{
	const char *rpc = err->rpc[0] ? err->rpc : "request";
	const char *tname = tablename ? tablename : "";
	const char *sname = servername ? servername : "";
	char		where[256];
	char		detail[PEGASUS_ERROR_MESSAGE_SIZE + 64];
	bool		show_name;

	if (elevel >= ERROR)
		pegfdw_rethrow_wait_hook_error();
	if (err->code == PEGASUS_ERR_INTERRUPTED && elevel >= ERROR)
	{
		/* Normally the pending cancel or terminate raises its own error. */
		CHECK_FOR_INTERRUPTS();
	}

	/* the server's error name, unless the message already says it */
	show_name = err->server_error[0] &&
		strstr(err->message, err->server_error) == NULL;

	/*
	 * A write that was sent but not confirmed: say so, whatever the cause
	 * (the client's message may already say it).
	 */
	if ((err->outcome_unknown || err->code == PEGASUS_ERR_OUTCOME_UNKNOWN) &&
		strstr(err->message, "may or may not") == NULL)
		snprintf(detail, sizeof(detail), "%s The write may or may not have been applied.",
				 err->message);
	else
		snprintf(detail, sizeof(detail), "%s", err->message[0] ? err->message :
				 pegasus_error_code_name(err->code));

	where[0] = '\0';
	if (err->endpoint[0] && err->app_id >= 0 && err->partition_index >= 0)
		snprintf(where, sizeof(where), "remote Pegasus request: %s on partition %d.%d at %s",
				 rpc, err->app_id, err->partition_index, err->endpoint);
	else if (err->endpoint[0])
		snprintf(where, sizeof(where), "remote Pegasus request: %s at %s",
				 rpc, err->endpoint);

	if (err->code == PEGASUS_ERR_SERVER &&
		strcmp(err->server_error, "ERR_ACL_DENY") == 0)
	{
		const char *principal = principal_of_server(sname);

		ereport(elevel,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for Pegasus table \"%s\"", tname),
				 principal ?
				 errdetail("%s The request ran as Kerberos principal \"%s\".",
						   detail, principal) :
				 errdetail("%s The request ran on a connection without Kerberos authentication.",
						   detail),
				 errhint("The cluster's super users, or the table's app env replica_access_controller.allowed_users, decide who may use it."),
				 where[0] ? errcontext("%s", where) : 0));
		return;
	}

	switch (err->code)
	{
		case PEGASUS_ERR_AUTH:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("could not authenticate to the Pegasus cluster of server \"%s\"", sname),
					 errdetail_internal("%s", detail),
					 errhint("Check the user mapping options kerberos_principal and kerberos_keytab (or kerberos_ccache) and the server options kerberos_service_name and kerberos_service_fqdn."),
					 where[0] ? errcontext("%s", where) : 0));
			break;
		case PEGASUS_ERR_CONNECT:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("could not connect to the Pegasus cluster of server \"%s\"", sname),
					 errdetail_internal("%s", detail),
					 where[0] ? errcontext("%s", where) : 0));
			break;
		case PEGASUS_ERR_TABLE_NOT_FOUND:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("table \"%s\" does not exist on the Pegasus cluster of server \"%s\"",
							tname, sname),
					 errhint("Check the \"table\" option of the foreign table, or create the table on the cluster.")));
			break;
		case PEGASUS_ERR_TIMEOUT:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("Pegasus %s on table \"%s\" timed out", rpc, tname),
					 errdetail_internal("%s", detail),
					 errhint("Increase the server option \"timeout_ms\" if the cluster is slow."),
					 where[0] ? errcontext("%s", where) : 0));
			break;
		case PEGASUS_ERR_INTERRUPTED:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("canceling Pegasus %s on table \"%s\"", rpc, tname)));
			break;
		case PEGASUS_ERR_OUTCOME_UNKNOWN:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("could not confirm Pegasus %s on table \"%s\"", rpc, tname),
					 errdetail_internal("%s", detail),
					 where[0] ? errcontext("%s", where) : 0));
			break;
		case PEGASUS_ERR_SERVER:
		case PEGASUS_ERR_BUSY:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("could not execute Pegasus %s on table \"%s\"", rpc, tname),
					 errdetail_internal("%s%s%s", detail,
										show_name ? " Server error: " : "",
										show_name ? err->server_error : ""),
					 pegfdw_error_hint(err) ?
					 errhint("%s", pegfdw_error_hint(err)) : 0,
					 where[0] ? errcontext("%s", where) : 0));
			break;
		default:
			ereport(elevel,
					(errcode(sqlstate_of(err->code)),
					 errmsg("could not execute Pegasus %s on table \"%s\"", rpc, tname),
					 errdetail_internal("%s", detail),
					 where[0] ? errcontext("%s", where) : 0));
			break;
	}
}

/*
 * Checks the outcome of a client call: rethrows an error raised inside the
 * wait hook, processes pending interrupts, then reports a failed call.
 */
void
pegfdw_check_call(bool ok, const PegasusError *err,
				  const char *servername, const char *tablename)
{
	pegfdw_rethrow_wait_hook_error();
	CHECK_FOR_INTERRUPTS();
	if (!ok)
		pegfdw_report_error(ERROR, err, servername, tablename);
}

/* Marks the entry of serverid uncertain after a failed call. */
void
pegfdw_note_failure(PegFdwConnEntry *entry, const PegasusError *err)
{
	switch (err->code)
	{
		case PEGASUS_ERR_TIMEOUT:
		case PEGASUS_ERR_IO:
		case PEGASUS_ERR_PROTOCOL:
		case PEGASUS_ERR_INTERRUPTED:
		case PEGASUS_ERR_OUTCOME_UNKNOWN:
			pegfdw_mark_uncertain(entry);
			break;
		default:
			break;
	}
}

/* Drops the entry's client unless it is held; reports whether it did. */
static bool
disconnect_entry(PegFdwConnEntry *entry)
{
	if (entry->client == NULL)
		return false;
	if (entry->in_use > 0)
	{
		ereport(WARNING,
				(errmsg("cannot close connections of server \"%s\" because they are still in use",
						entry->servername)));
		return false;
	}
	free_entry_client(entry);
	return true;
}

Datum
pegasus_fdw_disconnect(PG_FUNCTION_ARGS)
{
	ForeignServer *server = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)),
												   false);
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;
	bool		any = false;

	if (ConnectionHash == NULL)
		PG_RETURN_BOOL(false);
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
		if (entry->key.serverid == server->serverid && disconnect_entry(entry))
			any = true;
	PG_RETURN_BOOL(any);
}

Datum
pegasus_fdw_disconnect_all(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;
	bool		any = false;

	if (ConnectionHash == NULL)
		PG_RETURN_BOOL(false);
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
		any |= disconnect_entry(entry);
	PG_RETURN_BOOL(any);
}

/*
 * pegasus_fdw_connections(): one row per cached client with its counters.
 */
Datum
pegasus_fdw_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	PegFdwConnEntry *entry;

	InitMaterializedSRF(fcinfo, 0);
	if (ConnectionHash == NULL)
		return (Datum) 0;

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (PegFdwConnEntry *) hash_seq_search(&scan)))
	{
		Datum		values[11];
		bool		nulls[11];
		PegasusStats stats;
		StringInfoData tables;
		ListCell   *lc;

		if (entry->client == NULL)
			continue;
		memset(nulls, 0, sizeof(nulls));
		pegasus_client_get_stats(entry->client, &stats);
		initStringInfo(&tables);
		foreach(lc, entry->tables)
			appendStringInfo(&tables, "%s%s", tables.len ? "," : "",
							 (char *) lfirst(lc));
		values[0] = CStringGetTextDatum(entry->servername);
		values[1] = CStringGetTextDatum(entry->meta_servers);
		values[2] = CStringGetTextDatum(tables.data);
		values[3] = BoolGetDatum(!entry->invalidated);
		values[4] = Int64GetDatum((int64) stats.rpcs_sent);
		values[5] = Int64GetDatum((int64) stats.bytes_sent);
		values[6] = Int64GetDatum((int64) stats.bytes_received);
		values[7] = Int64GetDatum((int64) stats.rows_received);
		values[8] = Int64GetDatum((int64) stats.connects);
		values[9] = Int64GetDatum((int64) stats.routing_refreshes);
		if (entry->kerberos)
			values[10] = CStringGetTextDatum(GetUserNameFromId(entry->userid, false));
		else
			nulls[10] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
