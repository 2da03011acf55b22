/*-------------------------------------------------------------------------
 *
 * client_keys.c
 *		What every operation shares: slices to codec blobs and back, the
 *		check of a hash key, and owners that keep reply bytes alive.
 *
 * The operations (client_ops.c, client_batch.c, client_scan.c) and the
 * write pipe (client_write_pipe.c) call these; they call none of those.
 *
 * src/client/client_keys.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "client_internal.h"

PegasusBlob
pegasus_blob_of(PegasusSlice s)
{
	return pegasus_codec_blob(s.data, s.len);
}

PegasusSlice
pegasus_slice_of(PegasusBlob b)
{
	PegasusSlice s;

	s.data = b.data;
	s.len = b.len;
	return s;
}

/*
 * Hash keys must be shorter than 65535 bytes (the server aborts on longer
 * ones) and, as the Go client requires, not empty.
 */
bool
pegasus_check_hash_key(PegasusSlice hash_key, bool allow_empty,
					   const char *op, PegasusError *err)
{
	if (hash_key.len >= PEGASUS_MAX_HASH_KEY_LEN)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The hash key is %zu bytes long; Pegasus allows at most %d.",
						  hash_key.len, PEGASUS_MAX_HASH_KEY_LEN - 1);
		return false;
	}
	if (hash_key.len == 0 && !allow_empty)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The hash key must not be empty.");
		return false;
	}
	if (hash_key.len > 0 && hash_key.data == NULL)
	{
		pegasus_error_set(err, PEGASUS_ERR_INVALID_ARGUMENT, op,
						  "The hash key has a length but no data.");
		return false;
	}
	return true;
}

GPtrArray *
pegasus_owner_new(PegasusReply *reply)
{
	GPtrArray  *owner = g_ptr_array_new_with_free_func((GDestroyNotify) pegasus_reply_free);

	if (reply != NULL)
		g_ptr_array_add(owner, reply);
	return owner;
}

/* Adds a private copy of bytes to owner; returns the copy as a slice. */
PegasusSlice
pegasus_owner_copy(GPtrArray *owner, PegasusSlice s)
{
	PegasusReply *holder = g_new0(PegasusReply, 1);
	PegasusSlice out;

	holder->frame = g_bytes_new(s.data, s.len);
	g_ptr_array_add(owner, holder);
	out.data = g_bytes_get_data(holder->frame, NULL);
	out.len = s.len;
	return out;
}
