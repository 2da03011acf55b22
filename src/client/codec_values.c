/*-------------------------------------------------------------------------
 *
 * codec_values.c
 *	  Small value helpers: blobs, gpid and rpc_address packing, the v0
 *	  request header initialiser.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "pegasus_codec.h"

PegasusBlob
pegasus_codec_blob(const void *data, gsize len)
{
	PegasusBlob b;

	b.data = data;
	b.len = data ? len : 0;
	return b;
}

PegasusBlob
pegasus_codec_blob_str(const char *s)
{
	return pegasus_codec_blob(s, s ? strlen(s) : 0);
}

gboolean
pegasus_codec_blob_equal(PegasusBlob a, PegasusBlob b)
{
	if (a.len != b.len)
		return FALSE;
	return a.len == 0 || memcmp(a.data, b.data, a.len) == 0;
}

gboolean
pegasus_codec_blob_equal_str(PegasusBlob a, const char *s)
{
	return pegasus_codec_blob_equal(a, pegasus_codec_blob_str(s));
}

char *
pegasus_codec_blob_dup_str(PegasusBlob b)
{
	char	   *s = g_malloc(b.len + 1);

	if (b.len > 0)
		memcpy(s, b.data, b.len);
	s[b.len] = '\0';
	return s;
}

gint64
pegasus_codec_gpid_pack(PegasusGpid gpid)
{
	guint64		v = ((guint64) (guint32) gpid.partition_index << 32) |
		(guint64) (guint32) gpid.app_id;

	return (gint64) v;
}

PegasusGpid
pegasus_codec_gpid_unpack(gint64 value)
{
	PegasusGpid g;
	guint64		v = (guint64) value;

	g.app_id = (gint32) (guint32) (v & 0xFFFFFFFFu);
	g.partition_index = (gint32) (guint32) (v >> 32);
	return g;
}

gint64
pegasus_codec_rpc_address_pack(PegasusRpcAddress addr)
{
	guint64		v = ((guint64) addr.ipv4 << 32) |
		((guint64) addr.port << 16) | (guint64) (addr.type & 0x3);

	return (gint64) v;
}

PegasusRpcAddress
pegasus_codec_rpc_address_unpack(gint64 value)
{
	PegasusRpcAddress a;
	guint64		v = (guint64) value;

	a.ipv4 = (guint32) (v >> 32);
	a.port = (guint16) ((v >> 16) & 0xFFFF);
	a.type = (guint8) (v & 0x3);
	return a;
}

gboolean
pegasus_codec_rpc_address_parse(const char *text, PegasusRpcAddress *out)
{
	unsigned int o[4];
	unsigned int port;
	char		tail;
	int			i;

	if (text == NULL ||
		sscanf(text, "%u.%u.%u.%u:%u%c", &o[0], &o[1], &o[2], &o[3], &port,
			   &tail) != 5)
		return FALSE;
	for (i = 0; i < 4; i++)
		if (o[i] > 255)
			return FALSE;
	if (port > 65535)
		return FALSE;
	out->ipv4 = (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3];
	out->port = (guint16) port;
	out->type = 1;
	return TRUE;
}

char *
pegasus_codec_rpc_address_format(PegasusRpcAddress addr, char *buf, gsize buflen)
{
	g_snprintf(buf, buflen, "%u.%u.%u.%u:%u",
			   (addr.ipv4 >> 24) & 0xFF, (addr.ipv4 >> 16) & 0xFF,
			   (addr.ipv4 >> 8) & 0xFF, addr.ipv4 & 0xFF, (unsigned) addr.port);
	return buf;
}

void
pegasus_codec_header_init(PegasusRequestHeader *hdr,
						  gint32 app_id, gint32 partition_index,
						  gint32 client_timeout_ms, guint64 partition_hash)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 0;
	hdr->header_length = PEGASUS_CODEC_V0_HEADER_LEN;
	hdr->app_id = app_id;
	hdr->partition_index = partition_index;
	hdr->client_timeout = client_timeout_ms;
	hdr->thread_hash = pegasus_codec_thread_hash(app_id, partition_index);
	hdr->partition_hash = partition_hash;
}
