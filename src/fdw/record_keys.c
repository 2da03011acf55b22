/*-------------------------------------------------------------------------
 *
 * record_keys.c
 *		How messages show a record's keys: readable bytes, cut when long.
 *
 * src/fdw/record_keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "pegasus_fdw.h"

/* Bytes of a key shown in messages: at most this many, then "...". */
#define KEY_SHOW_MAX 64

/*
 * Appends key bytes readably: printable ASCII as is, any other byte (and
 * the backslash) as \xNN, long keys cut with their length.
 */
void
pegfdw_show_key(StringInfo buf, const PegasusSlice *key)
{
	size_t		i;
	size_t		n = Min(key->len, KEY_SHOW_MAX);

	appendStringInfoChar(buf, '\'');
	for (i = 0; i < n; i++)
	{
		unsigned char c = ((const unsigned char *) key->data)[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			appendStringInfoChar(buf, (char) c);
		else
			appendStringInfo(buf, "\\x%02x", c);
	}
	appendStringInfoChar(buf, '\'');
	if (key->len > n)
		appendStringInfo(buf, "... (%zu bytes)", key->len);
}

/* "hash key 'h', sort key 's'" for messages about one record. */
void
pegfdw_append_record_keys(StringInfo buf, PegasusSlice hash_key,
						  PegasusSlice sort_key)
{
	appendStringInfoString(buf, "hash key ");
	pegfdw_show_key(buf, &hash_key);
	appendStringInfoString(buf, ", sort key ");
	pegfdw_show_key(buf, &sort_key);
}
