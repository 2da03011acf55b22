/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Per-partition record store: rrdb key -> (value, expire_ts), ordered
 *	  bytewise by key exactly like RocksDB's default comparator.
 *
 * A GTree gives ordered iteration with lower/upper bound seeks and node
 * stepping in both directions (GLib >= 2.68).  Iterators are tree nodes:
 * they stay valid only until the next write to the store, so callers never
 * keep one across requests (scan contexts keep a copy of the next key).
 * An index beside the tree finds a record by its key without walking the
 * tree: an open-addressing table (linear probing, at most half full) of
 * slots.  A slot holds a record's key and its value, and is the tree
 * node's value too, so an overwrite changes the slot (in place when the
 * new value fits) and leaves the tree alone.  Point reads and overwrites
 * then cost the same whatever order keys come in (a walk down the tree in
 * random key order misses the cache at every level); a lookup reads one
 * index entry and one slot.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

/* A record: its key (the tree's key too) and its value. */
typedef struct OneboxSlot
{
	OneboxValue *value;
	guint32		cap;			/* bytes value->data has room for */
	guint32		hash;
	GTreeNode  *node;			/* its node: nodes stay put until removed */
	OneboxKey	key;			/* key.data: bytes */
	guint8		bytes[];
} OneboxSlot;

typedef struct IndexEntry
{
	guint32		hash;
	OneboxSlot *slot;			/* NULL: empty */
} IndexEntry;

struct OneboxStore
{
	GTree	   *tree;			/* &slot->key -> slot (frees the slots) */
	IndexEntry *index;			/* mask + 1 entries */
	guint32		mask;
	guint32		used;
	OneboxSlot *finger;			/* the record written last, or NULL */
	guint32		finger_misses;	/* in a row */
	guint32		puts;
};

#define INDEX_MIN_SIZE 64

static void
slot_free(gpointer p)
{
	OneboxSlot *slot = p;

	g_free(slot->value);
	g_free(slot);
}

/* FNV-1a, then a finaliser so that the low bits mix too */
static guint32
key_hash(const guint8 *key, gsize len)
{
	guint32		h = 2166136261u;
	gsize		i;

	for (i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static gboolean
slot_is(const OneboxSlot *slot, const guint8 *key, gsize key_len)
{
	return slot->key.len == key_len &&
		(key_len == 0 || memcmp(slot->key.data, key, key_len) == 0);
}

/*
 * Where key is in the index, or the empty entry where it would go
 * (*found false).
 */
static guint32
index_find(const OneboxStore *store, const guint8 *key, gsize len,
		   guint32 hash, gboolean *found)
{
	guint32		i = hash & store->mask;

	for (;;)
	{
		const IndexEntry *e = &store->index[i];

		if (e->slot == NULL)
		{
			*found = FALSE;
			return i;
		}
		if (e->hash == hash && slot_is(e->slot, key, len))
		{
			*found = TRUE;
			return i;
		}
		i = (i + 1) & store->mask;
	}
}

static void
index_grow(OneboxStore *store)
{
	IndexEntry *old = store->index;
	guint32		old_size = store->mask + 1;
	guint32		i;

	store->mask = old_size * 2 - 1;
	store->index = g_new0(IndexEntry, store->mask + 1);
	for (i = 0; i < old_size; i++)
	{
		guint32		j;

		if (old[i].slot == NULL)
			continue;
		for (j = old[i].hash & store->mask; store->index[j].slot != NULL;
			 j = (j + 1) & store->mask)
			;
		store->index[j] = old[i];
	}
	g_free(old);
}

/* Empties entry i, moving later entries of its probe run back into it. */
static void
index_delete(OneboxStore *store, guint32 i)
{
	guint32		j = i;

	for (;;)
	{
		guint32		home;

		j = (j + 1) & store->mask;
		if (store->index[j].slot == NULL)
			break;
		home = store->index[j].hash & store->mask;
		/* j stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		store->index[i] = store->index[j];
		i = j;
	}
	store->index[i].slot = NULL;
	store->used--;
}

int
onebox_bytes_cmp(const guint8 *a, gsize alen, const guint8 *b, gsize blen)
{
	gsize		n = MIN(alen, blen);
	int			c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

static gint
key_compare(gconstpointer a, gconstpointer b, gpointer unused)
{
	const OneboxKey *ka = a;
	const OneboxKey *kb = b;

	return onebox_bytes_cmp(ka->data, ka->len, kb->data, kb->len);
}

OneboxStore *
onebox_store_new(void)
{
	OneboxStore *store = g_new0(OneboxStore, 1);

	store->tree = g_tree_new_full(key_compare, NULL, NULL, slot_free);
	store->mask = INDEX_MIN_SIZE - 1;
	store->index = g_new0(IndexEntry, INDEX_MIN_SIZE);
	return store;
}

void
onebox_store_free(OneboxStore *store)
{
	if (store == NULL)
		return;
	g_tree_destroy(store->tree);
	g_free(store->index);
	g_free(store);
}

guint
onebox_store_count(OneboxStore *store)
{
	return g_tree_nnodes(store->tree);
}

/* A new record without a value, at the empty index entry i. */
static OneboxSlot *
slot_new(OneboxStore *store, const guint8 *key, gsize key_len, guint32 hash,
		 guint32 i)
{
	OneboxSlot *slot = g_malloc(sizeof(OneboxSlot) + key_len);

	slot->value = NULL;
	slot->cap = 0;
	slot->hash = hash;
	slot->key.len = key_len;
	slot->key.data = slot->bytes;
	if (key_len)
		memcpy(slot->bytes, key, key_len);
	slot->node = g_tree_insert_node(store->tree, &slot->key, slot);
	store->index[i].hash = hash;
	store->index[i].slot = slot;
	if (++store->used * 2 > store->mask + 1)
		index_grow(store);
	return slot;
}

/*
 * The record after the one written last, if it has this key: a load in key
 * order finds its records without a look at the index (whose entries, in
 * hash order, miss the cache).  Tried while it keeps finding them, and
 * once in 64 writes otherwise.
 */
static OneboxSlot *
finger_find(OneboxStore *store, const guint8 *key, gsize key_len)
{
	GTreeNode  *next;
	OneboxSlot *slot;

	if (store->finger == NULL ||
		(store->finger_misses >= 4 && store->puts % 64 != 0))
		return NULL;
	next = g_tree_node_next(store->finger->node);
	slot = next ? g_tree_node_value(next) : NULL;
	if (slot != NULL && slot_is(slot, key, key_len))
	{
		store->finger_misses = 0;
		return slot;
	}
	store->finger_misses++;
	return NULL;
}

void
onebox_store_put(OneboxStore *store, const guint8 *key, gsize key_len,
				 const guint8 *value, gsize value_len, guint32 expire_ts)
{
	OneboxSlot *slot;

	store->puts++;
	slot = finger_find(store, key, key_len);
	if (slot == NULL)
	{
		guint32		hash = key_hash(key, key_len);
		gboolean	found;
		guint32		i = index_find(store, key, key_len, hash, &found);

		if (found)
			slot = store->index[i].slot;
		else
			slot = slot_new(store, key, key_len, hash, i);
	}
	store->finger = slot;
	if (slot->value == NULL || value_len > slot->cap)
	{
		g_free(slot->value);
		slot->value = g_malloc(sizeof(OneboxValue) + value_len);
		slot->cap = (guint32) value_len;
	}
	slot->value->expire_ts = expire_ts;
	slot->value->len = (guint32) value_len;
	if (value_len)
		memcpy(slot->value->data, value, value_len);
}

void
onebox_store_remove(OneboxStore *store, const guint8 *key, gsize key_len)
{
	OneboxKey	k = {key_len, key};
	gboolean	found;
	guint32		i = index_find(store, key, key_len, key_hash(key, key_len), &found);

	if (!found)
		return;
	if (store->finger == store->index[i].slot)
		store->finger = NULL;
	index_delete(store, i);
	/* frees the slot */
	g_tree_remove(store->tree, &k);
}

const OneboxValue *
onebox_store_get(OneboxStore *store, const guint8 *key, gsize key_len)
{
	gboolean	found;
	guint32		i = index_find(store, key, key_len, key_hash(key, key_len), &found);

	return found ? store->index[i].slot->value : NULL;
}

OneboxIter *
onebox_store_seek(OneboxStore *store, const guint8 *key, gsize key_len,
				  gboolean inclusive)
{
	OneboxKey	k = {key_len, key};

	return inclusive ? g_tree_lower_bound(store->tree, &k)
		: g_tree_upper_bound(store->tree, &k);
}

OneboxIter *
onebox_store_seek_for_prev(OneboxStore *store, const guint8 *key, gsize key_len,
						   gboolean inclusive)
{
	OneboxKey	k = {key_len, key};
	GTreeNode  *n;

	/* first node > key (inclusive) or >= key (exclusive), then one back */
	n = inclusive ? g_tree_upper_bound(store->tree, &k)
		: g_tree_lower_bound(store->tree, &k);
	if (n == NULL)
		return g_tree_node_last(store->tree);
	return g_tree_node_previous(n);
}

OneboxIter *
onebox_store_first(OneboxStore *store)
{
	return g_tree_node_first(store->tree);
}

OneboxIter *
onebox_store_next(OneboxIter *it)
{
	return it ? g_tree_node_next(it) : NULL;
}

OneboxIter *
onebox_store_prev(OneboxIter *it)
{
	return it ? g_tree_node_previous(it) : NULL;
}

const OneboxKey *
onebox_iter_key(OneboxIter *it)
{
	return g_tree_node_key(it);
}

const OneboxValue *
onebox_iter_value(OneboxIter *it)
{
	return ((OneboxSlot *) g_tree_node_value(it))->value;
}
