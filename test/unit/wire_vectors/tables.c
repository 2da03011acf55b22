/*-------------------------------------------------------------------------
 *
 * tables.c
 *		Wire vector tests from tables: partition hashes and key encodings
 *		against the values the reference clients computed.
 *
 * test/unit/wire_vectors/tables.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "codec_internal.h"
#include "wire_vectors_test.h"

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static char **
load_tsv(const char *name, char ***header)
{
	char	   *path = g_build_filename(vectors_dir, name, NULL);
	char	   *contents = NULL;
	char	  **lines;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	*header = g_strsplit(lines[0], "\t", -1);
	g_free(contents);
	g_free(path);
	return lines;
}

static int
column(char **header, const char *name)
{
	int			i;

	for (i = 0; header[i]; i++)
		if (strcmp(header[i], name) == 0)
			return i;
	g_error("column %s missing", name);
	return -1;
}

void
test_partition_hash(void)
{
	char	  **header;
	char	  **lines;
	int			rows = 0;
	int			i;

	if (!vectors_available())
		return;
	lines = load_tsv("partition_hash.tsv", &header);
	n_mismatch = 0;
	for (i = 1; lines[i]; i++)
	{
		char	  **f;
		GBytes	   *hk;
		GBytes	   *sk;
		GBytes	   *hashed;
		GByteArray *key;
		gsize		hkl;
		gsize		skl;
		gsize		hl;
		const guint8 *hkd;
		const guint8 *skd;
		const guint8 *hd;
		guint64		want;
		guint64		got;
		int			c;

		if (lines[i][0] == '\0')
			continue;
		key = g_byte_array_new();
		f = g_strsplit(lines[i], "\t", -1);
		hk = hex_decode(f[column(header, "hash_key_hex")]);
		sk = hex_decode(f[column(header, "sort_key_hex")]);
		hashed = hex_decode(f[column(header, "hashed_bytes_hex")]);
		hkd = g_bytes_get_data(hk, &hkl);
		skd = g_bytes_get_data(sk, &skl);
		hd = g_bytes_get_data(hashed, &hl);
		want = g_ascii_strtoull(f[column(header, "crc64")], NULL, 10);

		g_assert_true(pegasus_codec_key_encode(hkd, hkl, skd, skl, key));
		got = pegasus_codec_key_partition_hash(key->data, key->len);
		if (got != want)
			mismatch("partition_hash.tsv row %d: key hash %" G_GUINT64_FORMAT ", expected %"
					 G_GUINT64_FORMAT, i, got, want);
		if (pegasus_codec_crc64(hd, hl) != want)
			mismatch("partition_hash.tsv row %d: crc64 of hashed bytes differs", i);
		if (hkl > 0 && pegasus_codec_hash_key_partition_hash(hkd, hkl) != want)
			mismatch("partition_hash.tsv row %d: hash-key hash differs", i);
		for (c = 0; header[c]; c++)
		{
			if (g_str_has_prefix(header[c], "pidx_"))
			{
				gint32		count = atoi(header[c] + 5);

				if (pegasus_codec_partition_index(want, count) != atoi(f[c]))
					mismatch("partition_hash.tsv row %d: %s differs", i, header[c]);
			}
		}
		rows++;
		g_byte_array_unref(key);
		g_bytes_unref(hk);
		g_bytes_unref(sk);
		g_bytes_unref(hashed);
		g_strfreev(f);
	}
	g_print("# wire vectors, partition_hash.tsv: %d rows, mismatches %d\n", rows, n_mismatch);
	g_assert_cmpint(rows, >, 0);
	g_assert_cmpint(n_mismatch, ==, 0);
	g_strfreev(lines);
	g_strfreev(header);
}

void
test_key_encoding(void)
{
	char	  **header;
	char	  **lines;
	int			rows = 0;
	int			i;

	if (!vectors_available())
		return;
	lines = load_tsv("key_encoding.tsv", &header);
	n_mismatch = 0;
	for (i = 1; lines[i]; i++)
	{
		char	  **f;
		GBytes	   *hk;
		GBytes	   *sk;
		GBytes	   *enc;
		GByteArray *key;
		gsize		hkl;
		gsize		skl;
		gsize		el;
		const guint8 *hkd;
		const guint8 *skd;
		const guint8 *ed;
		PegasusBlob rh;
		PegasusBlob rs;

		if (lines[i][0] == '\0')
			continue;
		key = g_byte_array_new();
		f = g_strsplit(lines[i], "\t", -1);
		hk = hex_decode(f[column(header, "hash_key_hex")]);
		sk = hex_decode(f[column(header, "sort_key_hex")]);
		enc = hex_decode(f[column(header, "encoded_key_hex")]);
		hkd = g_bytes_get_data(hk, &hkl);
		skd = g_bytes_get_data(sk, &skl);
		ed = g_bytes_get_data(enc, &el);
		g_assert_true(pegasus_codec_key_encode(hkd, hkl, skd, skl, key));
		if (key->len != el || memcmp(key->data, ed, el) != 0)
			mismatch("key_encoding.tsv row %d: encoding differs", i);
		if (!pegasus_codec_key_restore(ed, el, &rh, &rs) ||
			!pegasus_codec_blob_equal(rh, pegasus_codec_blob(hkd, hkl)) ||
			!pegasus_codec_blob_equal(rs, pegasus_codec_blob(skd, skl)))
			mismatch("key_encoding.tsv row %d: restore differs", i);
		rows++;
		g_byte_array_unref(key);
		g_bytes_unref(hk);
		g_bytes_unref(sk);
		g_bytes_unref(enc);
		g_strfreev(f);
	}
	g_print("# wire vectors, key_encoding.tsv: %d rows, mismatches %d\n", rows, n_mismatch);
	g_assert_cmpint(rows, >, 0);
	g_assert_cmpint(n_mismatch, ==, 0);
	g_strfreev(lines);
	g_strfreev(header);
}
