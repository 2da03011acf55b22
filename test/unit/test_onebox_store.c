/*-------------------------------------------------------------------------
 *
 * test_onebox_store.c
 *	  The onebox's record store against a plain model: random puts,
 *	  overwrites (shorter and longer values), removes and gets, then the
 *	  ordered walk in both directions and seeks, which must match the model
 *	  sorted bytewise.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include <glib.h>

#include "onebox.h"

static int
cmp_keys(gconstpointer a, gconstpointer b)
{
	const GBytes *x = *(GBytes *const *) a;
	const GBytes *y = *(GBytes *const *) b;
	gsize		xl,
				yl;
	const guint8 *xd = g_bytes_get_data((GBytes *) x, &xl);
	const guint8 *yd = g_bytes_get_data((GBytes *) y, &yl);

	return onebox_bytes_cmp(xd, xl, yd, yl);
}

static GPtrArray *
model_keys(GHashTable *model)
{
	GPtrArray  *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer	k;

	g_hash_table_iter_init(&it, model);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	return keys;
}

/* Checks every record of model against store, and the ordered walks. */
static void
check_store(OneboxStore *store, GHashTable *model)
{
	GPtrArray  *keys = model_keys(model);
	OneboxIter *it;
	guint		i;

	g_ptr_array_sort(keys, cmp_keys);
	g_assert_cmpuint(onebox_store_count(store), ==, keys->len);
	it = onebox_store_first(store);
	for (i = 0; i < keys->len; i++)
	{
		gsize		kl,
					vl;
		const guint8 *k = g_bytes_get_data(keys->pdata[i], &kl);
		GBytes	   *v = g_hash_table_lookup(model, keys->pdata[i]);
		const guint8 *vd = g_bytes_get_data(v, &vl);
		const OneboxValue *sv = onebox_store_get(store, k, kl);

		g_assert_nonnull(it);
		g_assert_cmpmem(onebox_iter_key(it)->data, onebox_iter_key(it)->len, k, kl);
		g_assert_true(onebox_iter_value(it) == sv);
		g_assert_nonnull(sv);
		g_assert_cmpmem(sv->data, sv->len, vd, vl);
		g_assert_cmpuint(sv->expire_ts, ==, vl);
		/* a seek lands on the key itself, or after it when exclusive */
		g_assert_true(onebox_store_seek(store, k, kl, TRUE) == it);
		g_assert_true(onebox_store_seek_for_prev(store, k, kl, TRUE) == it);
		it = onebox_store_next(it);
	}
	g_assert_null(it);
	if (keys->len > 0)
	{
		it = onebox_store_seek_for_prev(store, (const guint8 *) "\xff\xff\xff", 3, TRUE);
		for (i = keys->len; i-- > 0;)
		{
			gsize		kl;
			const guint8 *k = g_bytes_get_data(keys->pdata[i], &kl);

			g_assert_nonnull(it);
			g_assert_cmpmem(onebox_iter_key(it)->data, onebox_iter_key(it)->len, k, kl);
			it = onebox_store_prev(it);
		}
		g_assert_null(it);
	}
	g_ptr_array_unref(keys);
}

static void
test_random_operations(void)
{
	GRand	   *rand = g_rand_new_with_seed(4242);
	OneboxStore *store = onebox_store_new();
	GHashTable *model = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
											  (GDestroyNotify) g_bytes_unref,
											  (GDestroyNotify) g_bytes_unref);
	int			round;
	int			op;

	for (round = 0; round < 6; round++)
	{
		/* a small key space: many overwrites, removes of present keys */
		int			space = round % 2 ? 300 : 5000;

		for (op = 0; op < 20000; op++)
		{
			char		key[32];
			gsize		kl;
			guint8		value[64];
			gsize		vl = g_rand_int_range(rand, 0, sizeof(value));
			int			what = g_rand_int_range(rand, 0, 10);
			GBytes	   *kb;

			kl = g_snprintf(key, sizeof(key), "k%d", g_rand_int_range(rand, 0, space));
			if (op % 7 == 0)
				kl = 0;			/* the empty key is a key too */
			kb = g_bytes_new(key, kl);
			if (what < 6)
			{
				memset(value, 'a' + op % 26, vl);
				onebox_store_put(store, (const guint8 *) key, kl, value, vl, (guint32) vl);
				g_hash_table_replace(model, g_bytes_ref(kb), g_bytes_new(value, vl));
			}
			else if (what < 9)
			{
				onebox_store_remove(store, (const guint8 *) key, kl);
				g_hash_table_remove(model, kb);
				/* a remove must leave every other record findable */
				if (space < 1000)
				{
					GHashTableIter hit;
					gpointer	k;

					g_hash_table_iter_init(&hit, model);
					while (g_hash_table_iter_next(&hit, &k, NULL))
					{
						gsize		l;
						const guint8 *d = g_bytes_get_data(k, &l);

						g_assert_nonnull(onebox_store_get(store, d, l));
					}
				}
			}
			else
			{
				const OneboxValue *v = onebox_store_get(store, (const guint8 *) key, kl);
				GBytes	   *m = g_hash_table_lookup(model, kb);

				g_assert_true((v != NULL) == (m != NULL));
			}
			g_bytes_unref(kb);
		}
		check_store(store, model);
	}
	/*
	 * Overwrites in key order (found through the record written before),
	 * with a remove of the record just written now and then
	 */
	{
		GPtrArray  *keys = model_keys(model);
		guint		i;

		g_ptr_array_sort(keys, cmp_keys);
		for (i = 0; i < keys->len; i++)
		{
			gsize		kl;
			const guint8 *k = g_bytes_get_data(keys->pdata[i], &kl);
			guint8		value[8];

			memset(value, 'z', sizeof(value));
			value[0] = (guint8) i;
			onebox_store_put(store, k, kl, value, sizeof(value), sizeof(value));
			if (i % 97 == 0)
			{
				onebox_store_remove(store, k, kl);
				g_hash_table_remove(model, keys->pdata[i]);
			}
			else
				g_hash_table_replace(model, g_bytes_ref(keys->pdata[i]),
									 g_bytes_new(value, sizeof(value)));
		}
		g_ptr_array_unref(keys);
		check_store(store, model);
	}
	/* emptied one by one */
	{
		GPtrArray  *keys = model_keys(model);
		guint		i;

		for (i = 0; i < keys->len; i++)
		{
			gsize		kl;
			const guint8 *k = g_bytes_get_data(keys->pdata[i], &kl);

			onebox_store_remove(store, k, kl);
			g_assert_null(onebox_store_get(store, k, kl));
		}
		g_ptr_array_unref(keys);
		g_hash_table_remove_all(model);
		check_store(store, model);
	}
	onebox_store_free(store);
	g_hash_table_unref(model);
	g_rand_free(rand);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/onebox-store/random-operations", test_random_operations);
	return g_test_run();
}
