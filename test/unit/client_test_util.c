/*-------------------------------------------------------------------------
 *
 * client_test_util.c
 *	  Environment and final checks shared by the client test programs.
 *
 *-------------------------------------------------------------------------
 */
#include "client_test_util.h"

#include "rawrpc.h"

void
client_test_env(const char **meta_addr, const char **control_addr)
{
	*meta_addr = g_getenv("PEGASUS_TEST_META");
	*control_addr = g_getenv("PEGASUS_TEST_CONTROL");
	if (*meta_addr == NULL || *control_addr == NULL)
	{
		*meta_addr = NULL;
		*control_addr = NULL;
		g_print("# PEGASUS_TEST_META / PEGASUS_TEST_CONTROL not set: onebox tests are skipped\n");
	}
}

double
client_test_load_slack_ms(void)
{
	const char *s = g_getenv("LOAD_SLACK_MS");

	return s != NULL && *s != '\0' ? g_ascii_strtod(s, NULL) : 1500;
}

void
client_test_no_violations(gconstpointer control_addr)
{
	char	   *r;

	if (control_addr == NULL)
	{
		g_test_skip("PEGASUS_TEST_CONTROL not set");
		return;
	}
	r = onebox_rawrpc_control(control_addr, "violations");
	g_assert_nonnull(r);
	g_assert_cmpstr(r, ==, "OK 0");
	g_free(r);
}

void
client_test_load_grid(PegasusTable *table, int hash_keys, int per_hash)
{
	PegasusWriteGroup *g = g_new0(PegasusWriteGroup, hash_keys);
	PegasusSlice *sks = g_new(PegasusSlice, per_hash);
	PegasusSlice *vals = g_new(PegasusSlice, (size_t) hash_keys * per_hash);
	GPtrArray  *keep = g_ptr_array_new_with_free_func(g_free);
	PegasusError err;
	int			i;
	int			j;

	for (j = 0; j < per_hash; j++)
	{
		char	   *sk = g_strdup_printf("s%d", j);

		g_ptr_array_add(keep, sk);
		sks[j] = S(sk);
	}
	for (i = 0; i < hash_keys; i++)
	{
		char	   *hk = g_strdup_printf("hk%d", i);

		g_ptr_array_add(keep, hk);
		for (j = 0; j < per_hash; j++)
		{
			char	   *v = g_strdup_printf("v%d_%d", i, j);

			g_ptr_array_add(keep, v);
			vals[(size_t) i * per_hash + j] = S(v);
		}
		g[i].kind = PEGASUS_WRITE_MULTI_SET;
		g[i].hash_key = S(hk);
		g[i].sort_keys = sks;
		g[i].values = &vals[(size_t) i * per_hash];
		g[i].count = per_hash;
	}
	ASSERT_OK(pegasus_table_write_groups(table, g, hash_keys, 0, &err), err);
	g_ptr_array_free(keep, TRUE);
	g_free(vals);
	g_free(sks);
	g_free(g);
}
