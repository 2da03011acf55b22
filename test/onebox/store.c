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
 * A hash index beside the tree finds a record by its key without walking
 * the tree: a tree node holds a slot, the slot the value, so overwriting a
 * record swaps the slot's value and leaves the tree alone.  Point reads and
 * overwrites then cost the same whatever order keys come in (a walk down
 * the tree in random key order misses the cache at every level).
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

struct OneboxStore
{
	GTree	   *tree;			/* OneboxKey * -> OneboxSlot * (both owned) */
	GHashTable *index;			/* the tree's OneboxKey * -> its OneboxSlot * */
};

typedef struct OneboxSlot
{
	OneboxValue *value;
} OneboxSlot;

static void
slot_free(gpointer p)
{
	OneboxSlot *slot = p;

	g_free(slot->value);
	g_free(slot);
}

/* FNV-1a */
static guint
key_hash(gconstpointer p)
{
	const OneboxKey *k = p;
	guint32		h = 2166136261u;
	gsize		i;

	for (i = 0; i < k->len; i++)
		h = (h ^ k->data[i]) * 16777619u;
	return h;
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
	const OneboxKey *ka = a;
	const OneboxKey *kb = b;

	return ka->len == kb->len &&
		(ka->len == 0 || memcmp(ka->data, kb->data, ka->len) == 0);
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

	store->tree = g_tree_new_full(key_compare, NULL, g_free, slot_free);
	store->index = g_hash_table_new(key_hash, key_equal);
	return store;
}

void
onebox_store_free(OneboxStore *store)
{
	if (store == NULL)
		return;
	g_hash_table_destroy(store->index);
	g_tree_destroy(store->tree);
	g_free(store);
}

guint
onebox_store_count(OneboxStore *store)
{
	return g_tree_nnodes(store->tree);
}

void
onebox_store_put(OneboxStore *store, const guint8 *key, gsize key_len,
				 const guint8 *value, gsize value_len, guint32 expire_ts)
{
	OneboxKey	probe = {key_len, key};
	OneboxSlot *slot = g_hash_table_lookup(store->index, &probe);
	OneboxValue *v = g_malloc(sizeof(OneboxValue) + value_len);
	OneboxKey  *k;

	v->expire_ts = expire_ts;
	v->len = (guint32) value_len;
	if (value_len)
		memcpy(v->data, value, value_len);
	if (slot != NULL)
	{
		g_free(slot->value);
		slot->value = v;
		return;
	}
	k = g_malloc(sizeof(OneboxKey) + key_len);
	k->len = key_len;
	k->data = (const guint8 *) (k + 1);
	if (key_len)
		memcpy((guint8 *) (k + 1), key, key_len);
	slot = g_new(OneboxSlot, 1);
	slot->value = v;
	g_tree_insert(store->tree, k, slot);
	g_hash_table_insert(store->index, k, slot);
}

void
onebox_store_remove(OneboxStore *store, const guint8 *key, gsize key_len)
{
	OneboxKey	k = {key_len, key};

	/* out of the index first: the tree frees the key it points to */
	if (g_hash_table_remove(store->index, &k))
		g_tree_remove(store->tree, &k);
}

const OneboxValue *
onebox_store_get(OneboxStore *store, const guint8 *key, gsize key_len)
{
	OneboxKey	k = {key_len, key};
	OneboxSlot *slot = g_hash_table_lookup(store->index, &k);

	return slot ? slot->value : NULL;
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
