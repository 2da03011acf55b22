/*-------------------------------------------------------------------------
 *
 * test_client_range.c
 *		Range readers against a running onebox: for every combination of
 *		page size, direction, bounds, filter and row limit, the pages a
 *		reader returns hold exactly the records of the synchronous loop
 *		over multi_get_range, in the same pages, with the same number of
 *		requests; the request of the next page reaches the server before
 *		the caller asks for that page (read ahead), and readers that
 *		alternate with each other and with other calls still return
 *		every record once, in order; a reader closed with a request in
 *		flight leaves the client usable; a keys reader returns what
 *		multi_get of the same sort-key list returns, in one request.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "pegasus_client.h"
#include "client_test_util.h"
#include "rawrpc.h"

#define NKEYS 30

static const char *meta_addr;
static const char *control_addr;
static PegasusClient *client;
static PegasusTable *table;
static char table_name[64];

static uint64_t
rpcs(void)
{
	PegasusStats st;

	pegasus_client_get_stats(client, &st);
	return st.rpcs_sent;
}

/* Appends "page:" then "key=value," for each record of a page. */
static void
append_page(GString *out, const PegasusKVList *list)
{
	size_t		i;

	g_string_append_printf(out, "%s%zu:", list->all_fetched ? "all" : "more",
						   list->count);
	for (i = 0; i < list->count; i++)
	{
		g_string_append_len(out, list->items[i].sort_key.data,
							list->items[i].sort_key.len);
		g_string_append_c(out, '=');
		g_string_append_len(out, list->items[i].value.data,
							list->items[i].value.len);
		g_string_append_c(out, ',');
	}
	g_string_append_c(out, '\n');
}

/* The synchronous loop the reader replaces (as the FDW used to page). */
static void
read_sync(PegasusSlice start, PegasusSlice stop, const PegasusMultiGetOptions *opts,
		  int64_t max_rows, GString *out)
{
	PegasusMultiGetOptions o = *opts;
	GByteArray *edge = g_byte_array_new();
	int64_t		got = 0;

	for (;;)
	{
		PegasusKVList *list;
		PegasusError err;
		bool		more;

		o.max_fetch_count = opts->max_fetch_count;
		if (max_rows > 0 && (o.max_fetch_count <= 0 || max_rows - got < o.max_fetch_count))
			o.max_fetch_count = (int32_t) (max_rows - got);
		ASSERT_OK(pegasus_table_multi_get_range(table, S("h"), start, stop, &o, 0,
												&list, &err), err);
		append_page(out, list);
		got += (int64_t) list->count;
		more = !list->all_fetched && list->count > 0 &&
			(max_rows == 0 || got < max_rows);
		if (more)
		{
			PegasusSlice e = list->items[opts->reverse ? 0 : list->count - 1].sort_key;

			g_byte_array_set_size(edge, 0);
			g_byte_array_append(edge, e.data, (guint) e.len);
			if (opts->reverse)
			{
				stop.data = edge->data;
				stop.len = edge->len;
				o.stop_inclusive = false;
			}
			else
			{
				start.data = edge->data;
				start.len = edge->len;
				o.start_inclusive = false;
			}
		}
		pegasus_kvlist_free(list);
		if (!more)
			break;
	}
	g_byte_array_free(edge, TRUE);
}

static void
read_reader(PegasusSlice start, PegasusSlice stop, const PegasusMultiGetOptions *opts,
			int64_t max_rows, GString *out)
{
	PegasusError err;
	PegasusKVList *list;
	PegasusRangeReader *r;
	int			rc;

	r = pegasus_table_range_reader(table, S("h"), start, stop, opts, max_rows, 0, &err);
	ASSERT_OK(r != NULL, err);
	while ((rc = pegasus_range_reader_next(r, &list, &err)) > 0)
	{
		append_page(out, list);
		pegasus_kvlist_free(list);
		/* a reader that does not advance must fail here, not hang */
		if (out->len > 100000)
			g_error("the range reader does not advance:\n%.2000s", out->str);
	}
	ASSERT_OK(rc == 0, err);
	/* after the end, next keeps answering 0 */
	g_assert_cmpint(pegasus_range_reader_next(r, &list, &err), ==, 0);
	g_assert_null(list);
	pegasus_range_reader_close(r);
}

static void
test_same_pages(void)
{
	static const int pages[] = {1, 4, 0};
	static const int64_t limits[] = {0, 5};
	static const char *const bounds[][2] = {
		{"", ""}, {"k010", ""}, {"k005", "k012"}, {"k020", "k020"}, {"k020", "k010"}
	};
	int			checked = 0;
	int			p,
				l,
				b,
				rev,
				incl,
				filt;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		return;
	}
	for (p = 0; p < (int) G_N_ELEMENTS(pages); p++)
		for (l = 0; l < (int) G_N_ELEMENTS(limits); l++)
			for (b = 0; b < (int) G_N_ELEMENTS(bounds); b++)
				for (rev = 0; rev < 2; rev++)
					for (incl = 0; incl < 2; incl++)
						for (filt = 0; filt < 2; filt++)
						{
							PegasusMultiGetOptions o;
							GString    *want = g_string_new(NULL);
							GString    *got = g_string_new(NULL);
							uint64_t	r0,
										r1,
										r2;

							pegasus_multi_get_options_init(&o);
							o.max_fetch_count = pages[p];
							o.reverse = rev;
							o.start_inclusive = incl;
							o.stop_inclusive = !incl;
							if (filt)
							{
								o.sort_key_filter.type = PEGASUS_FILTER_POSTFIX;
								o.sort_key_filter.pattern = S("7");
							}
							r0 = rpcs();
							read_sync(S(bounds[b][0]), S(bounds[b][1]), &o, limits[l], want);
							r1 = rpcs();
							read_reader(S(bounds[b][0]), S(bounds[b][1]), &o, limits[l], got);
							r2 = rpcs();
							if (strcmp(want->str, got->str) != 0 || r1 - r0 != r2 - r1)
								g_error("page %d, limit %d, bounds [%s, %s], reverse %d, inclusive %d, filter %d:\n"
										"multi_get_range (%d requests):\n%s\nreader (%d requests):\n%s",
										pages[p], (int) limits[l], bounds[b][0], bounds[b][1],
										rev, incl, filt, (int) (r1 - r0), want->str,
										(int) (r2 - r1), got->str);
							checked++;
							g_string_free(want, TRUE);
							g_string_free(got, TRUE);
						}
	g_assert_cmpint(checked, ==, 3 * 2 * 5 * 2 * 2 * 2);
}

/* The whole key in pages of 7: every record once, ascending. */
static void
test_every_record_once(void)
{
	PegasusMultiGetOptions o;
	PegasusRangeReader *r;
	PegasusKVList *list;
	PegasusError err;
	int			next = 0;
	int			npages = 0;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		return;
	}
	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = 7;
	r = pegasus_table_range_reader(table, S("h"), S(""), S(""), &o, 0, 0, &err);
	ASSERT_OK(r != NULL, err);
	while (pegasus_range_reader_next(r, &list, &err) > 0)
	{
		size_t		i;

		npages++;
		for (i = 0; i < list->count; i++)
		{
			char		want[16];

			g_snprintf(want, sizeof(want), "k%03d", next++);
			g_assert_cmpmem(list->items[i].sort_key.data, list->items[i].sort_key.len,
							want, strlen(want));
		}
		pegasus_kvlist_free(list);
	}
	g_assert_cmpint(err.code, ==, PEGASUS_OK);
	g_assert_cmpint(next, ==, NKEYS);
	g_assert_cmpint(npages, ==, (NKEYS + 6) / 7 + (NKEYS % 7 == 0 ? 1 : 0));
	pegasus_range_reader_close(r);
}

/* multi_get requests the onebox has received, on every replica. */
static int
server_multi_gets(void)
{
	return client_test_rpc_count(control_addr, "RPC_RRDB_RRDB_MULTI_GET");
}

/*
 * Waits until the onebox has received at least want multi_get requests;
 * false if it has not within 5 s (the request was never written).
 */
static bool
server_saw(int want)
{
	int			i;

	for (i = 0; i < 500; i++)
	{
		if (server_multi_gets() >= want)
			return true;
		g_usleep(10000);
	}
	return false;
}

/* Appends the sort keys of a page to out, checking they ascend. */
static void
append_keys(GString *out, const PegasusKVList *list)
{
	size_t		i;

	for (i = 0; i < list->count; i++)
	{
		g_string_append_len(out, list->items[i].sort_key.data,
							list->items[i].sort_key.len);
		g_string_append_c(out, ',');
	}
}

/* "k000,k001,...,": every record of hash key "h" once, ascending. */
static GString *
every_key(void)
{
	GString    *s = g_string_new(NULL);
	int			i;

	for (i = 0; i < NKEYS; i++)
		g_string_append_printf(s, "k%03d,", i);
	return s;
}

/*
 * Read ahead: the first request is on the server when the reader is made,
 * and the request of page n + 1 when page n is handed over, before the
 * caller asks for it; no more than that one page is asked ahead.  The
 * pages still hold every record once, in order.
 */
static void
test_read_ahead(void)
{
	PegasusMultiGetOptions o;
	PegasusRangeReader *r;
	PegasusKVList *list;
	PegasusError err;
	GString    *want;
	GString    *got = g_string_new(NULL);
	int			base;
	int			pages = 0;
	int			rc;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		g_string_free(got, TRUE);
		return;
	}
	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = 4;
	base = server_multi_gets();
	r = pegasus_table_range_reader(table, S("h"), S(""), S(""), &o, 0, 0, &err);
	ASSERT_OK(r != NULL, err);
	if (!server_saw(base + 1))
		g_error("the first page's request was not sent when the reader was made");
	while ((rc = pegasus_range_reader_next(r, &list, &err)) > 0)
	{
		pages++;
		if (!list->all_fetched && !server_saw(base + pages + 1))
			g_error("page %d was handed over without the request of page %d sent",
					pages, pages + 1);
		/* one page ahead, not more */
		g_assert_cmpint(server_multi_gets(), <=, base + pages + 1);
		append_keys(got, list);
		pegasus_kvlist_free(list);
	}
	ASSERT_OK(rc == 0, err);
	want = every_key();
	g_assert_cmpstr(got->str, ==, want->str);
	g_assert_cmpint(pages, ==, (NKEYS + 3) / 4);
	g_assert_cmpint(server_multi_gets(), ==, base + pages);
	pegasus_range_reader_close(r);
	g_string_free(want, TRUE);
	g_string_free(got, TRUE);
}

/*
 * Readers whose pages arrive while another call waits (as the join keeps
 * several hash keys in flight): three readers of different page sizes
 * taken in turn, a get between each page.  Each returns every record
 * once, in order, with one request per page.
 */
static void
test_interleaved_readers(void)
{
	static const int sizes[] = {3, 4, 7};
	PegasusRangeReader *r[3];
	GString    *got[3];
	GString    *want;
	bool		done[3] = {false, false, false};
	int			left = 3;
	uint64_t	r0;
	int			pages = 0;
	int			i;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		return;
	}
	r0 = rpcs();
	for (i = 0; i < 3; i++)
	{
		PegasusMultiGetOptions o;
		PegasusError err;

		pegasus_multi_get_options_init(&o);
		o.max_fetch_count = sizes[i];
		r[i] = pegasus_table_range_reader(table, S("h"), S(""), S(""), &o, 0, 0, &err);
		ASSERT_OK(r[i] != NULL, err);
		got[i] = g_string_new(NULL);
	}
	while (left > 0)
		for (i = 0; i < 3; i++)
		{
			PegasusKVList *list;
			PegasusError err;
			PegasusValue v;
			int			rc;

			if (done[i])
				continue;
			rc = pegasus_range_reader_next(r[i], &list, &err);
			ASSERT_OK(rc >= 0, err);
			if (rc == 0)
			{
				done[i] = true;
				left--;
				continue;
			}
			append_keys(got[i], list);
			pegasus_kvlist_free(list);
			ASSERT_OK(pegasus_table_get(table, S("h"), S("k029"), 0, &v, &err), err);
			g_assert_true(v.found);
			pegasus_value_free(&v);
			pages++;
		}
	want = every_key();
	for (i = 0; i < 3; i++)
	{
		if (strcmp(got[i]->str, want->str) != 0)
			g_error("reader of pages of %d:\n%s\nwanted:\n%s", sizes[i],
					got[i]->str, want->str);
		pegasus_range_reader_close(r[i]);
		g_string_free(got[i], TRUE);
	}
	g_string_free(want, TRUE);
	/* one request per page, one get after each page */
	g_assert_cmpint(pages, ==, NKEYS / 3 + (NKEYS + 3) / 4 + (NKEYS + 6) / 7);
	g_assert_cmpint((int) (rpcs() - r0), ==, 2 * pages);
}

/* Closing with the next page in flight: its reply is dropped, the client
 * goes on. */
static void
test_close_in_flight(void)
{
	PegasusMultiGetOptions o;
	PegasusRangeReader *r;
	PegasusKVList *list;
	PegasusError err;
	PegasusValue v;
	int			i;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		return;
	}
	pegasus_multi_get_options_init(&o);
	o.max_fetch_count = 4;
	for (i = 0; i < 6; i++)
	{
		r = pegasus_table_range_reader(table, S("h"), S(""), S(""), &o, 0, 0, &err);
		ASSERT_OK(r != NULL, err);
		if (i % 2 == 1)
		{
			ASSERT_OK(pegasus_range_reader_next(r, &list, &err) == 1, err);
			pegasus_kvlist_free(list);
		}
		pegasus_range_reader_close(r);
		ASSERT_OK(pegasus_table_get(table, S("h"), S("k023"), 0, &v, &err), err);
		g_assert_true(v.found);
		g_assert_cmpmem(v.value.data, v.value.len, "v023", 4);
		pegasus_value_free(&v);
	}

	/* refused arguments */
	g_assert_null(pegasus_table_range_reader(table, S(""), S(""), S(""), &o, 0, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	g_assert_null(pegasus_table_range_reader(table, S("h"), S(""), S(""), &o, -1, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

/* A keys reader: the records of multi_get of the same list, one request. */
static void
test_keys_reader(void)
{
	static const char *const lists[][4] = {
		{"k003", NULL}, {"k001", "k017", "k029", NULL}, {"k002", "k0025", "k030", NULL},
		{"k100", "x", NULL}
	};
	PegasusRangeReader *r;
	PegasusKVList *list;
	PegasusError err;
	PegasusSlice keys[4];
	int			l;

	if (client == NULL)
	{
		g_test_skip("PEGASUS_TEST_META not set: no onebox to test against");
		return;
	}
	for (l = 0; l < (int) G_N_ELEMENTS(lists); l++)
	{
		GString    *want = g_string_new(NULL);
		GString    *got = g_string_new(NULL);
		uint64_t	r0;
		int			n = 0;
		int			rc;

		while (lists[l][n] != NULL)
		{
			keys[n] = S(lists[l][n]);
			n++;
		}
		ASSERT_OK(pegasus_table_multi_get(table, S("h"), keys, n, NULL, 0, &list, &err), err);
		append_page(want, list);
		pegasus_kvlist_free(list);
		r0 = rpcs();
		r = pegasus_table_keys_reader(table, S("h"), keys, n, NULL, 0, &err);
		ASSERT_OK(r != NULL, err);
		while ((rc = pegasus_range_reader_next(r, &list, &err)) > 0)
		{
			append_page(got, list);
			pegasus_kvlist_free(list);
		}
		ASSERT_OK(rc == 0, err);
		pegasus_range_reader_close(r);
		g_assert_cmpstr(got->str, ==, want->str);
		g_assert_cmpint(rpcs() - r0, ==, 1);
		g_string_free(want, TRUE);
		g_string_free(got, TRUE);
	}
	/* cut short by a limit of 2 records: continued after the last one */
	{
		static const char *const many[] = {"a", "k000", "k001", "k0015", "k002",
		"k003", "k004", "k0045", "k028", "k029", "zz"};
		PegasusSlice mk[G_N_ELEMENTS(many)];
		PegasusMultiGetOptions o;
		GString    *all = g_string_new(NULL);
		int			npages = 0;
		int			rc;
		uint64_t	r0;

		for (l = 0; l < (int) G_N_ELEMENTS(many); l++)
			mk[l] = S(many[l]);
		pegasus_multi_get_options_init(&o);
		o.max_fetch_count = 2;
		r0 = rpcs();
		r = pegasus_table_keys_reader(table, S("h"), mk, G_N_ELEMENTS(many), &o, 0, &err);
		ASSERT_OK(r != NULL, err);
		while ((rc = pegasus_range_reader_next(r, &list, &err)) > 0)
		{
			size_t		i;

			npages++;
			g_assert_cmpint(list->count, <=, 2);
			for (i = 0; i < list->count; i++)
			{
				g_string_append_len(all, list->items[i].sort_key.data,
									list->items[i].sort_key.len);
				g_string_append_c(all, ',');
			}
			pegasus_kvlist_free(list);
		}
		ASSERT_OK(rc == 0, err);
		pegasus_range_reader_close(r);
		g_assert_cmpstr(all->str, ==, "k000,k001,k002,k003,k004,k028,k029,");
		/* 2 + 2 + 2 + 1 records, one request a page */
		g_assert_cmpint(npages, ==, 4);
		g_assert_cmpint(rpcs() - r0, ==, 4);
		g_string_free(all, TRUE);
	}

	/* the records asked for, nothing of the neighbouring hash key */
	{
		PegasusMultiGetOptions o;

		pegasus_multi_get_options_init(&o);
		o.no_value = true;
		keys[0] = S("k001");
		keys[1] = S("k017");
		r = pegasus_table_keys_reader(table, S("h"), keys, 2, &o, 0, &err);
	}
	ASSERT_OK(r != NULL, err);
	ASSERT_OK(pegasus_range_reader_next(r, &list, &err) == 1, err);
	g_assert_cmpint(list->count, ==, 2);
	g_assert_cmpmem(list->items[1].sort_key.data, list->items[1].sort_key.len, "k017", 4);
	g_assert_cmpint(list->items[1].value.len, ==, 0);
	pegasus_kvlist_free(list);
	pegasus_range_reader_close(r);

	/* refused arguments: no key, keys out of order or repeated */
	g_assert_null(pegasus_table_keys_reader(table, S("h"), keys, 0, NULL, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	keys[1] = S("k000");
	g_assert_null(pegasus_table_keys_reader(table, S("h"), keys, 2, NULL, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
	keys[1] = S("k001");
	g_assert_null(pegasus_table_keys_reader(table, S("h"), keys, 2, NULL, 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INVALID_ARGUMENT);
}

static void
setup(void)
{
	PegasusAppCreateOptions o;
	PegasusError err;
	GPtrArray  *keep = g_ptr_array_new_with_free_func(g_free);
	PegasusSlice sks[NKEYS];
	PegasusSlice vals[NKEYS];
	int			i;

	/* no latency or failure rule left by an earlier program may slow this one */
	g_free(onebox_rawrpc_control(control_addr, "clear-faults"));
	client = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(client);
	pegasus_client_set_timeout(client, 5000);
	g_snprintf(table_name, sizeof(table_name), "tc_range_%d", (int) getpid());
	pegasus_create_app_options_init(&o);
	o.partition_count = 4;
	ASSERT_OK(pegasus_client_create_app(client, table_name, &o, 5000, NULL, &err), err);
	table = pegasus_client_open_table(client, table_name, 0, &err);
	ASSERT_OK(table != NULL, err);
	for (i = 0; i < NKEYS; i++)
	{
		char	   *k = g_strdup_printf("k%03d", i);
		char	   *v = g_strdup_printf("v%03d", i);

		g_ptr_array_add(keep, k);
		g_ptr_array_add(keep, v);
		sks[i] = S(k);
		vals[i] = S(v);
	}
	ASSERT_OK(pegasus_table_multi_set(table, S("h"), sks, vals, NKEYS, 0, 0, &err), err);
	/* a neighbouring hash key must never show up */
	ASSERT_OK(pegasus_table_set(table, S("h0"), S("k001"), S("other"), 0, 0, &err), err);
	g_ptr_array_free(keep, TRUE);
}

int
main(int argc, char **argv)
{
	int			rc;
	PegasusError err;

	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);
	if (meta_addr != NULL)
		setup();
	g_test_add_func("/client-range/same-pages", test_same_pages);
	g_test_add_func("/client-range/every-record-once", test_every_record_once);
	g_test_add_func("/client-range/read-ahead", test_read_ahead);
	g_test_add_func("/client-range/interleaved-readers", test_interleaved_readers);
	g_test_add_func("/client-range/close-in-flight", test_close_in_flight);
	g_test_add_func("/client-range/keys-reader", test_keys_reader);
	g_test_add_data_func("/client-range/zz-no-violations", control_addr, client_test_no_violations);
	rc = g_test_run();
	if (client != NULL)
	{
		ASSERT_OK(pegasus_client_drop_app(client, table_name, false, 5000, &err), err);
		pegasus_client_free(client);
	}
	return rc;
}
