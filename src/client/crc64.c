/*-------------------------------------------------------------------------
 *
 * crc64.c
 *	  CRC-64 used by Pegasus to map keys to partitions.
 *
 * Reflected (LSB-first) table algorithm with the reversed polynomial
 * 0x9A6C9329AC4BC9B5; the register starts at all ones and is complemented
 * at the end.  crc64("123456789") = 0xAE8B14860A799888.
 *
 *-------------------------------------------------------------------------
 */
#include "pegasus_codec.h"

#define PEGASUS_CRC64_POLY	G_GUINT64_CONSTANT(0x9A6C9329AC4BC9B5)

static guint64 crc64_table[256];
static gsize crc64_table_ready = 0;

static void
crc64_build_table(void)
{
	int			i;

	for (i = 0; i < 256; i++)
	{
		guint64		c = (guint64) i;
		int			bit;

		for (bit = 0; bit < 8; bit++)
			c = (c & 1) ? (c >> 1) ^ PEGASUS_CRC64_POLY : (c >> 1);
		crc64_table[i] = c;
	}
}

guint64
pegasus_codec_crc64(const void *data, gsize len)
{
	const guint8 *p = data;
	guint64		crc = ~G_GUINT64_CONSTANT(0);
	gsize		i;

	if (g_once_init_enter(&crc64_table_ready))
	{
		crc64_build_table();
		g_once_init_leave(&crc64_table_ready, 1);
	}

	for (i = 0; i < len; i++)
		crc = crc64_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}
