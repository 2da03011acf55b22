/*-------------------------------------------------------------------------
 *
 * writes.c
 *		Client tests of operations across partitions: batch_get, write groups
 *		and the write pipe (records, rounds).
 *
 * test/unit/client/writes.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "pegasus_client.h"
#include "client_test_util.h"
#include "rawrpc.h"
#include "client_test.h"

void
test_batch_get(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusCompositeKey keys[40];
	char		names[40][16];
	PegasusKVList *list;
	PegasusStats st;
	int			i;

	if (!need_onebox(f))
		return;
	for (i = 0; i < 40; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "bk%d", i);
		keys[i].hash_key = S(names[i]);
		keys[i].sort_key = S("s");
		if (i % 3 != 0)
			ASSERT_OK(pegasus_table_set(f->table, S(names[i]), S("s"), S(names[i]), 0, 0, &err), err);
	}
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_batch_get(f->table, keys, 40, 0, &list, &err), err);
	pegasus_client_get_stats(f->client, &st);
	/* one RPC per partition touched, not per key */
	g_assert_cmpuint(st.rpcs_sent, <=, 8);
	g_assert_cmpuint(list->count, ==, 40);
	for (i = 0; i < 40; i++)
	{
		g_assert_true(slice_is(list->items[i].hash_key, names[i]));
		g_assert_cmpint(list->items[i].found, ==, i % 3 != 0);
		if (i % 3 != 0)
			g_assert_true(slice_is(list->items[i].value, names[i]));
	}
	pegasus_kvlist_free(list);
}

/*
 * batch_get in two steps: two started together are answered in any order
 * of finishing, like pegasus_table_batch_get; one cancelled with its
 * requests out leaves the client usable; refusals come at start.
 */
void
test_batch_get_start(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusCompositeKey keys[20];
	char		names[20][16];
	PegasusBatchGet *a;
	PegasusBatchGet *b;
	PegasusBatchGet *c;
	PegasusKVList *la;
	PegasusKVList *lb;
	PegasusStats st;
	int			i;

	if (!need_onebox(f))
		return;
	for (i = 0; i < 20; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "bs%d", i);
		keys[i].hash_key = S(names[i]);
		keys[i].sort_key = S("s");
		if (i % 2 == 0)
			ASSERT_OK(pegasus_table_set(f->table, S(names[i]), S("s"), S(names[i]), 0, 0, &err), err);
	}
	pegasus_client_reset_stats(f->client);
	a = pegasus_table_batch_get_start(f->table, keys, 10, 0, &err);
	ASSERT_OK(a != NULL, err);
	b = pegasus_table_batch_get_start(f->table, keys + 10, 10, 0, &err);
	ASSERT_OK(b != NULL, err);
	c = pegasus_table_batch_get_start(f->table, keys, 20, 0, &err);
	ASSERT_OK(c != NULL, err);
	/* sent at start: the requests are counted before any wait */
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, >=, 3);
	pegasus_batch_get_cancel(c);
	ASSERT_OK(pegasus_batch_get_finish(b, &lb, &err), err);
	ASSERT_OK(pegasus_batch_get_finish(a, &la, &err), err);
	g_assert_cmpuint(la->count, ==, 10);
	g_assert_cmpuint(lb->count, ==, 10);
	for (i = 0; i < 20; i++)
	{
		PegasusKV  *kv = i < 10 ? &la->items[i] : &lb->items[i - 10];

		g_assert_true(slice_is(kv->hash_key, names[i]));
		g_assert_cmpint(kv->found, ==, i % 2 == 0);
		if (i % 2 == 0)
			g_assert_true(slice_is(kv->value, names[i]));
	}
	pegasus_kvlist_free(la);
	pegasus_kvlist_free(lb);
	/* after the cancel, the client goes on */
	ASSERT_OK(pegasus_table_batch_get(f->table, keys, 2, 0, &la, &err), err);
	g_assert_true(la->items[0].found);
	g_assert_false(la->items[1].found);
	pegasus_kvlist_free(la);
	/* no keys: an empty answer; an empty hash key: refused at start */
	a = pegasus_table_batch_get_start(f->table, keys, 0, 0, &err);
	ASSERT_OK(a != NULL, err);
	ASSERT_OK(pegasus_batch_get_finish(a, &la, &err), err);
	g_assert_cmpuint(la->count, ==, 0);
	pegasus_kvlist_free(la);
	keys[3].hash_key = S("");
	g_assert_null(pegasus_table_batch_get_start(f->table, keys, 5, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

void
test_write_groups(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusWriteGroup g[64];
	PegasusSlice sks[2] = {S("a"), S("b")};
	PegasusSlice v1[2] = {S("first"), S("first")};
	PegasusSlice v2[2] = {S("second"), S("second")};
	char		names[64][16];
	PegasusValue v;
	PegasusStats st;
	int64_t		n;
	int			i;

	if (!need_onebox(f))
		return;
	memset(g, 0, sizeof(g));
	for (i = 0; i < 60; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "wg%d", i);
		g[i].kind = PEGASUS_WRITE_MULTI_SET;
		g[i].hash_key = S(names[i]);
		g[i].sort_keys = sks;
		g[i].values = v1;
		g[i].count = 2;
	}
	/* later groups of the same hash key win, in array order */
	g[60] = g[0];
	g[60].values = v2;
	g[61] = g[1];
	g[61].kind = PEGASUS_WRITE_MULTI_DEL;
	g[61].count = 1;
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_table_write_groups(f->table, g, 62, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 62);
	for (i = 0; i < 62; i++)
		g_assert_cmpint(g[i].status, ==, PEGASUS_GROUP_DONE);
	ASSERT_OK(pegasus_table_get(f->table, S("wg0"), S("a"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "second"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("wg1"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 1);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("wg59"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 2);

	/* one invalid group fails the whole call before anything is sent */
	g[5].count = 0;
	pegasus_client_reset_stats(f->client);
	g_assert_false(pegasus_table_write_groups(f->table, g, 10, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 0);
	g_assert_cmpint(g[0].status, ==, PEGASUS_GROUP_FAILED);
}

/* The write pipe: batches in flight together, per-key order, stop. */
void
test_write_pipe(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusWriteGroup a[20];
	PegasusWriteGroup b[11];
	PegasusWriteGroup c[1];
	PegasusWriteGroup d[5];
	PegasusSlice sks[2] = {S("a"), S("b")};
	PegasusSlice first[2] = {S("first"), S("first")};
	PegasusSlice second[2] = {S("second"), S("second")};
	PegasusSlice third[2] = {S("third"), S("third")};
	char		names[20][16];
	PegasusWritePipe *pipe;
	PegasusValue v;
	PegasusStats st;
	int64_t		n;
	int			i;
	int			done = 0;
	int			failed = 0;

	if (!need_onebox(f))
		return;
	memset(a, 0, sizeof(a));
	for (i = 0; i < 20; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "wp%d", i);
		a[i].kind = PEGASUS_WRITE_MULTI_SET;
		a[i].hash_key = S(names[i]);
		a[i].sort_keys = sks;
		a[i].values = first;
		a[i].count = 2;
	}
	/* the second batch rewrites wp0..wp9 and then deletes wp0's "b" */
	for (i = 0; i < 10; i++)
	{
		b[i] = a[i];
		b[i].values = second;
	}
	b[10] = a[0];
	b[10].kind = PEGASUS_WRITE_MULTI_DEL;
	b[10].sort_keys = &sks[1];
	b[10].values = NULL;
	b[10].count = 1;
	c[0] = a[19];
	c[0].values = third;

	/* four requests in flight at most: most groups wait for room */
	pipe = pegasus_write_pipe_new(f->table, 4, 1 << 20);
	pegasus_client_reset_stats(f->client);
	ASSERT_OK(pegasus_write_pipe_add(pipe, a, 20, 0, &err), err);
	ASSERT_OK(pegasus_write_pipe_add(pipe, b, 11, 0, &err), err);
	ASSERT_OK(pegasus_write_pipe_add(pipe, c, 1, 0, &err), err);
	g_assert_cmpuint(pegasus_write_pipe_batches(pipe), ==, 3);

	/* an invalid batch is refused whole and leaves the others alone */
	d[0] = a[0];
	d[0].count = 0;
	g_assert_false(pegasus_write_pipe_add(pipe, d, 1, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_cmpint(d[0].status, ==, PEGASUS_GROUP_FAILED);
	g_assert_cmpuint(pegasus_write_pipe_batches(pipe), ==, 3);

	ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	for (i = 0; i < 20; i++)
		g_assert_cmpint(a[i].status, ==, PEGASUS_GROUP_DONE);
	ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	g_assert_cmpuint(pegasus_write_pipe_batches(pipe), ==, 0);
	/* reaping an empty pipe is a no-op */
	ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 32);

	/* the later write of a key won, across batches */
	ASSERT_OK(pegasus_table_get(f->table, S("wp5"), S("a"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "second"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_get(f->table, S("wp15"), S("a"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "first"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_get(f->table, S("wp19"), S("b"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "third"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_sortkey_count(f->table, S("wp0"), 0, &n, &err), err);
	g_assert_cmpint(n, ==, 1);

	/*
	 * Stopped with five groups added and four in flight: those four finish,
	 * the fifth is never sent.
	 */
	for (i = 0; i < 5; i++)
	{
		g_snprintf(names[i], sizeof(names[i]), "ws%d", i);
		d[i] = a[i];
		d[i].hash_key = S(names[i]);
	}
	ASSERT_OK(pegasus_write_pipe_add(pipe, d, 5, 0, &err), err);
	pegasus_write_pipe_stop(pipe);
	g_assert_false(pegasus_write_pipe_reap(pipe, &err));
	for (i = 0; i < 5; i++)
	{
		if (d[i].status == PEGASUS_GROUP_DONE)
			done++;
		else if (d[i].status == PEGASUS_GROUP_FAILED)
		{
			failed++;
			ASSERT_OK(pegasus_table_sortkey_count(f->table, d[i].hash_key, 0, &n, &err), err);
			g_assert_cmpint(n, ==, 0);
		}
	}
	g_assert_cmpint(done, ==, 4);
	g_assert_cmpint(failed, ==, 1);
	pegasus_write_pipe_free(pipe);
}

/*
 * The write pipe orders writes by record, not by hash key: batches of one
 * hash key with disjoint sort keys are all in flight at once; a batch that
 * rewrites one of their records waits for it, and wins.
 */
void
test_write_pipe_records(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusWriteGroup g[4];
	PegasusSlice sks[4][2] = {{S("a"), S("b")}, {S("c"), S("d")},
	{S("e"), S("f")}, {S("g"), S("b")}};
	PegasusSlice first[2] = {S("first"), S("first")};
	PegasusSlice later[2] = {S("later"), S("later")};
	PegasusWritePipe *pipe;
	PegasusValue v;
	PegasusStats st;
	int			i;

	if (!need_onebox(f))
		return;
	memset(g, 0, sizeof(g));
	for (i = 0; i < 4; i++)
	{
		g[i].kind = PEGASUS_WRITE_MULTI_SET;
		g[i].hash_key = S("wr");
		g[i].sort_keys = sks[i];
		g[i].values = i < 3 ? first : later;
		g[i].count = 2;
	}
	pipe = pegasus_write_pipe_new(f->table, 8, 1 << 20);
	pegasus_client_reset_stats(f->client);
	for (i = 0; i < 3; i++)
		ASSERT_OK(pegasus_write_pipe_add(pipe, &g[i], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 3);
	/* the fourth writes "b" again: it waits for the first */
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[3], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 3);
	for (i = 0; i < 4; i++)
		ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 4);
	ASSERT_OK(pegasus_table_get(f->table, S("wr"), S("b"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "later"));
	pegasus_value_free(&v);
	ASSERT_OK(pegasus_table_get(f->table, S("wr"), S("a"), 0, &v, &err), err);
	g_assert_true(slice_is(v.value, "first"));
	pegasus_value_free(&v);
	pegasus_write_pipe_free(pipe);
}

/*
 * Rounds: batches are held (nothing sent) until a round is full; a poke
 * sends a batch held long enough; reaping a held batch sends it; every
 * write lands.
 */
void
test_write_pipe_rounds(Fixture *f, gconstpointer data)
{
	PegasusError err;
	PegasusWriteGroup g[6];
	PegasusSlice sks[6] = {S("r0"), S("r1"), S("r2"), S("r3"), S("r4"), S("r5")};
	PegasusSlice val = S("v");
	PegasusWritePipe *pipe;
	PegasusValue v;
	PegasusStats st;
	int			i;

	if (!need_onebox(f))
		return;
	memset(g, 0, sizeof(g));
	for (i = 0; i < 6; i++)
	{
		g[i].kind = PEGASUS_WRITE_MULTI_SET;
		g[i].hash_key = S("rounds");
		g[i].sort_keys = &sks[i];
		g[i].values = &val;
		g[i].count = 1;
	}
	pipe = pegasus_write_pipe_new(f->table, 8, 1 << 20);
	pegasus_write_pipe_set_rounds(pipe, 3, 60 * G_USEC_PER_SEC);
	pegasus_client_reset_stats(f->client);
	/* the first batch goes at once: nothing came before it */
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[0], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 1);
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[1], 1, 0, &err), err);
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[2], 1, 0, &err), err);
	pegasus_write_pipe_poke(pipe);	/* not held long enough */
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 1);
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[3], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 4);

	/* held 20 ms with a 10 ms wait: a poke sends it */
	pegasus_write_pipe_set_rounds(pipe, 3, 10 * 1000);
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[4], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 4);
	g_usleep(20 * 1000);
	pegasus_write_pipe_poke(pipe);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 5);

	/* a held batch reaped is sent and waited for */
	pegasus_write_pipe_set_rounds(pipe, 3, 60 * G_USEC_PER_SEC);
	ASSERT_OK(pegasus_write_pipe_add(pipe, &g[5], 1, 0, &err), err);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 5);
	for (i = 0; i < 6; i++)
		ASSERT_OK(pegasus_write_pipe_reap(pipe, &err), err);
	g_assert_cmpuint(pegasus_write_pipe_batches(pipe), ==, 0);
	pegasus_client_get_stats(f->client, &st);
	g_assert_cmpuint(st.rpcs_sent, ==, 6);
	for (i = 0; i < 6; i++)
	{
		ASSERT_OK(pegasus_table_get(f->table, S("rounds"), sks[i], 0, &v, &err), err);
		g_assert_true(slice_is(v.value, "v"));
		pegasus_value_free(&v);
	}
	pegasus_write_pipe_free(pipe);
}
