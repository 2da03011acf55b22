/*-------------------------------------------------------------------------
 *
 * codec_keys.c
 *	  rrdb key encoding, "next key" bounds, partition hash / index,
 *	  thread hash and Pegasus time.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "pegasus_codec.h"

gboolean
pegasus_codec_key_encode(const void *hash_key, gsize hash_key_len,
						 const void *sort_key, gsize sort_key_len,
						 GByteArray *out)
{
	guint8		prefix[2];

	if (hash_key_len > PEGASUS_CODEC_MAX_HASH_KEY_LEN)
		return FALSE;
	prefix[0] = (guint8) (hash_key_len >> 8);
	prefix[1] = (guint8) (hash_key_len & 0xFF);
	g_byte_array_append(out, prefix, 2);
	if (hash_key_len > 0)
		g_byte_array_append(out, hash_key, hash_key_len);
	if (sort_key_len > 0)
		g_byte_array_append(out, sort_key, sort_key_len);
	return TRUE;
}

gboolean
pegasus_codec_key_restore(const guint8 *key, gsize len,
						  PegasusBlob *hash_key, PegasusBlob *sort_key)
{
	gsize		hlen;

	if (key == NULL || len < 2)
		return FALSE;
	hlen = ((gsize) key[0] << 8) | key[1];
	if (len < 2 + hlen)
		return FALSE;
	if (hash_key)
	{
		hash_key->data = key + 2;
		hash_key->len = hlen;
	}
	if (sort_key)
	{
		sort_key->data = key + 2 + hlen;
		sort_key->len = len - 2 - hlen;
	}
	return TRUE;
}

/*
 * Increment the last byte of out[start..] that is not 0xFF and cut what
 * follows it.  The 2-byte length prefix is part of the range, so a result
 * always exists for legal hash-key lengths.
 */
static gboolean
increment_tail(GByteArray *out, guint start)
{
	guint		i = out->len;

	while (i > start)
	{
		i--;
		if (out->data[i] != 0xFF)
		{
			out->data[i]++;
			g_byte_array_set_size(out, i + 1);
			return TRUE;
		}
	}
	g_byte_array_set_size(out, start);
	return FALSE;
}

gboolean
pegasus_codec_key_next_of_hash_key(const void *hash_key, gsize hash_key_len,
								   GByteArray *out)
{
	guint		start = out->len;

	if (!pegasus_codec_key_encode(hash_key, hash_key_len, NULL, 0, out))
		return FALSE;
	return increment_tail(out, start);
}

gboolean
pegasus_codec_key_next_of_prefix(const void *hash_key, gsize hash_key_len,
								 const void *prefix, gsize prefix_len,
								 GByteArray *out)
{
	guint		start = out->len;

	if (!pegasus_codec_key_encode(hash_key, hash_key_len, prefix, prefix_len, out))
		return FALSE;
	return increment_tail(out, start);
}

guint64
pegasus_codec_key_partition_hash(const guint8 *rrdb_key, gsize len)
{
	PegasusBlob hk;
	PegasusBlob sk;

	if (!pegasus_codec_key_restore(rrdb_key, len, &hk, &sk))
	{
		/* malformed key: hash whatever follows the prefix */
		if (len <= 2)
			return pegasus_codec_crc64(NULL, 0);
		return pegasus_codec_crc64(rrdb_key + 2, len - 2);
	}
	if (hk.len > 0)
		return pegasus_codec_crc64(hk.data, hk.len);
	return pegasus_codec_crc64(sk.data, sk.len);
}

guint64
pegasus_codec_hash_key_partition_hash(const void *hash_key, gsize len)
{
	return pegasus_codec_crc64(hash_key, len);
}

gint32
pegasus_codec_partition_index(guint64 partition_hash, gint32 partition_count)
{
	if (partition_count <= 0)
		return 0;
	return (gint32) (partition_hash % (guint64) partition_count);
}

gint32
pegasus_codec_thread_hash(gint32 app_id, gint32 partition_index)
{
	/* i32 wrap-around as the server computes it, without signed overflow */
	guint32		h = (guint32) app_id * 7919u + (guint32) partition_index;

	return (gint32) h;
}

guint32
pegasus_codec_unix_to_pegasus(gint64 unix_seconds)
{
	return (guint32) (unix_seconds - PEGASUS_CODEC_EPOCH_BEGIN);
}

gint64
pegasus_codec_pegasus_to_unix(guint32 pegasus_seconds)
{
	return (gint64) pegasus_seconds + PEGASUS_CODEC_EPOCH_BEGIN;
}

guint32
pegasus_codec_pegasus_now(void)
{
	return pegasus_codec_unix_to_pegasus(g_get_real_time() / G_USEC_PER_SEC);
}

gint32
pegasus_codec_expire_ts_from_ttl(gint32 ttl_seconds)
{
	if (ttl_seconds <= 0)
		return 0;
	return (gint32) (pegasus_codec_pegasus_now() + (guint32) ttl_seconds);
}
