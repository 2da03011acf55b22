/*-------------------------------------------------------------------------
 *
 * codec_arena.c
 *	  The arrays of one decoded message, chained so that a single clear
 *	  releases them all.  One allocation per list; blobs are never copied.
 *
 *-------------------------------------------------------------------------
 */
#include "codec_internal.h"

typedef struct ArenaChunk
{
	struct ArenaChunk *next;
	/* keep the payload maximally aligned */
	union
	{
		gint64		i;
		double		d;
		void	   *p;
	}			payload[];
} ArenaChunk;

gpointer
pegasus_codec_arena_alloc0(gpointer *arena, gsize size)
{
	ArenaChunk *c = g_malloc0(sizeof(ArenaChunk) + size);

	c->next = *arena;
	*arena = c;
	return c->payload;
}

void
pegasus_codec_arena_free(gpointer *arena)
{
	ArenaChunk *c = *arena;

	while (c)
	{
		ArenaChunk *next = c->next;

		g_free(c);
		c = next;
	}
	*arena = NULL;
}
