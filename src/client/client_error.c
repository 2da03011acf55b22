/*-------------------------------------------------------------------------
 *
 * client_error.c
 *		Filling the caller's PegasusError.
 *
 * Messages are complete sentences (capitalised, ending with a period) so
 * that an embedder can show them as a detail line unchanged.
 *
 * src/client/client_error.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client_internal.h"

void
pegasus_error_clear(PegasusError *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	err->code = PEGASUS_OK;
	err->app_id = -1;
	err->partition_index = -1;
}

const char *
pegasus_error_code_name(PegasusErrorKind code)
{
	switch (code)
	{
		case PEGASUS_OK:
			return "PEGASUS_OK";
		case PEGASUS_ERR_TIMEOUT:
			return "PEGASUS_ERR_TIMEOUT";
		case PEGASUS_ERR_CONNECT:
			return "PEGASUS_ERR_CONNECT";
		case PEGASUS_ERR_IO:
			return "PEGASUS_ERR_IO";
		case PEGASUS_ERR_PROTOCOL:
			return "PEGASUS_ERR_PROTOCOL";
		case PEGASUS_ERR_INTERRUPTED:
			return "PEGASUS_ERR_INTERRUPTED";
		case PEGASUS_ERR_INVALID_ARGUMENT:
			return "PEGASUS_ERR_INVALID_ARGUMENT";
		case PEGASUS_ERR_TABLE_NOT_FOUND:
			return "PEGASUS_ERR_TABLE_NOT_FOUND";
		case PEGASUS_ERR_OUTCOME_UNKNOWN:
			return "PEGASUS_ERR_OUTCOME_UNKNOWN";
		case PEGASUS_ERR_SERVER:
			return "PEGASUS_ERR_SERVER";
		case PEGASUS_ERR_STORAGE:
			return "PEGASUS_ERR_STORAGE";
		case PEGASUS_ERR_NO_MEMORY:
			return "PEGASUS_ERR_NO_MEMORY";
		case PEGASUS_ERR_AUTH:
			return "PEGASUS_ERR_AUTH";
		case PEGASUS_ERR_INTERNAL:
			return "PEGASUS_ERR_INTERNAL";
		case PEGASUS_ERR_BUSY:
			return "PEGASUS_ERR_BUSY";
	}
	return "PEGASUS_ERR_UNKNOWN";
}

/*
 * Sets kind, rpc and message; keeps the location fields already set (call
 * pegasus_error_set_where() to change them).
 */
void
pegasus_error_set(PegasusError *err, PegasusErrorKind kind, const char *rpc,
				  const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->code = kind;
	if (rpc != NULL)
		g_strlcpy(err->rpc, rpc, sizeof(err->rpc));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void
pegasus_error_set_where(PegasusError *err, const char *endpoint,
						int32_t app_id, int32_t partition_index)
{
	if (err == NULL)
		return;
	g_strlcpy(err->endpoint, endpoint ? endpoint : "", sizeof(err->endpoint));
	err->app_id = app_id;
	err->partition_index = partition_index;
}

/*
 * What a live cluster means by the answers that no retry changes (and
 * that a test cluster rarely gives), or NULL.  None of these is retried.
 */
static const char *
server_error_cause(const char *name)
{
	if (strcmp(name, "ERR_OPERATION_DISABLED") == 0)
		return " The table refuses it now: a bulk load is being ingested, or the table is a duplication master refusing non-idempotent writes.";
	if (strcmp(name, "ERR_DISK_INSUFFICIENT") == 0)
		return " The replica refuses writes while its disk (or a secondary's) is short of space.";
	if (strcmp(name, "ERR_DISK_IO_ERROR") == 0)
		return " The replica refuses writes while its disk (or a secondary's) has I/O errors.";
	if (strcmp(name, "ERR_RETRY_EXHAUSTED") == 0)
		return " The server gave up after its own retries.";
	if (name[0] != '\0' && strcmp(name, "ERR_UNKNOWN") != 0 &&
		pegasus_codec_error_from_name(name, strlen(name)) == PEGASUS_EC_UNKNOWN)
		return " The client does not know this error, so it did not retry.";
	return NULL;
}

/* A frame-level or meta error name, e.g. ERR_BUSY. */
void
pegasus_error_set_server(PegasusError *err, const char *rpc,
						 const char *endpoint, PegasusBlob name)
{
	size_t		n = MIN(name.len, sizeof(err->server_error) - 1);
	const char *cause;

	memcpy(err->server_error, name.data ? (const char *) name.data : "", n);
	err->server_error[n] = '\0';
	cause = server_error_cause(err->server_error);
	pegasus_error_set(err, PEGASUS_ERR_SERVER, rpc,
					  "Pegasus server %s answered %s with %s.%s",
					  endpoint && *endpoint ? endpoint : "(unknown)",
					  rpc, err->server_error, cause ? cause : "");
	if (endpoint)
		g_strlcpy(err->endpoint, endpoint, sizeof(err->endpoint));
}

/* A rocksdb status code returned by an operation. */
void
pegasus_error_set_storage(PegasusError *err, const char *rpc, int32_t code)
{
	err->storage_code = code;
	pegasus_error_set(err, PEGASUS_ERR_STORAGE, rpc,
					  "Pegasus storage returned status %d (%s) for %s.",
					  code, pegasus_codec_rocksdb_status_name(code), rpc);
}
