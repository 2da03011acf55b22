/*-------------------------------------------------------------------------
 *
 * test_client_auth.c
 *		The client's negotiation against the suite's onebox, which has no
 *		enable_auth (no KDC needed; test/reliability/t_auth_kerberos.sh
 *		tests real Kerberos): SASL_AUTH_DISABLE and ERR_HANDLER_NOT_FOUND
 *		let requests through on every new connection, any other answer and
 *		a silent server fail at once with PEGASUS_ERR_AUTH, the wait hook
 *		interrupts a negotiation, and missing credentials fail before any
 *		connection is made.
 *
 * The credentials are a credential cache with a made-up ticket: enough to
 * start, never used since the server does not authenticate.
 *
 * Needs PEGASUS_TEST_META and PEGASUS_TEST_CONTROL (skips otherwise).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <krb5.h>

#include "client_test_util.h"
#include "rawrpc.h"

static const char *meta_addr;
static const char *control_addr;
static char ccache_name[128];

/*
 * A FILE credential cache of tester@UNIT.TEST holding a made-up ticket
 * granting ticket (no KDC ever issued it; nothing reads it here).
 */
static void
make_ccache(void)
{
	krb5_context ctx;
	krb5_ccache cc;
	krb5_creds creds;
	static krb5_octet key[32];
	static char ticket[] = "not a real ticket";

	g_snprintf(ccache_name, sizeof(ccache_name), "FILE:/tmp/pegasus_test_ccache_%d",
			   (int) getpid());
	memset(&creds, 0, sizeof(creds));
	g_assert_cmpint(krb5_init_context(&ctx), ==, 0);
	g_assert_cmpint(krb5_parse_name(ctx, "tester@UNIT.TEST", &creds.client), ==, 0);
	g_assert_cmpint(krb5_parse_name(ctx, "krbtgt/UNIT.TEST@UNIT.TEST", &creds.server), ==, 0);
	creds.keyblock.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	creds.keyblock.length = sizeof(key);
	creds.keyblock.contents = key;
	creds.times.authtime = creds.times.starttime = (krb5_timestamp) time(NULL);
	creds.times.endtime = creds.times.starttime + 3600;
	creds.ticket.data = ticket;
	creds.ticket.length = sizeof(ticket) - 1;
	g_assert_cmpint(krb5_cc_resolve(ctx, ccache_name, &cc), ==, 0);
	g_assert_cmpint(krb5_cc_initialize(ctx, cc, creds.client), ==, 0);
	g_assert_cmpint(krb5_cc_store_cred(ctx, cc, &creds), ==, 0);
	krb5_cc_close(ctx, cc);
	krb5_free_principal(ctx, creds.client);
	krb5_free_principal(ctx, creds.server);
	krb5_free_context(ctx);
}

static PegasusClient *
new_client(const char *ccache, int negotiation_timeout_ms)
{
	PegasusClientOptions o;
	PegasusError err;
	PegasusClient *c;

	pegasus_client_options_init(&o);
	o.auth = PEGASUS_AUTH_KERBEROS;
	o.kerberos_ccache = ccache;
	o.negotiation_timeout_ms = negotiation_timeout_ms;
	o.operation_timeout_ms = 3000;
	c = pegasus_client_new(meta_addr, &o, &err);
	g_assert_nonnull(c);
	return c;
}

static bool
need_onebox(void)
{
	return client_test_need(meta_addr != NULL,
							"PEGASUS_TEST_META / PEGASUS_TEST_CONTROL not set: no onebox to test against");
}

/* A table of 4 partitions the tests read and write, made without auth */
static void
ensure_table(void)
{
	PegasusClient *c;
	PegasusAppCreateOptions o;
	PegasusError err;

	c = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(c);
	pegasus_create_app_options_init(&o);
	o.partition_count = 4;
	o.success_if_exist = true;
	ASSERT_OK(pegasus_client_create_app(c, "tc_auth", &o, 5000, NULL, &err), err);
	pegasus_client_free(c);
}

static void
test_auth_disabled_server(void)
{
	PegasusClient *c;
	PegasusTable *t;
	PegasusValue v;
	PegasusError err;
	int			i;

	if (!need_onebox())
		return;
	ensure_table();
	client_test_control_ok(control_addr, "reset-counters");
	c = new_client(ccache_name, 0);
	t = pegasus_client_open_table(c, "tc_auth", 0, &err);
	ASSERT_OK(t != NULL, err);
	/* one LIST_MECHANISMS answered SASL_AUTH_DISABLE per connection */
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 1);
	for (i = 0; i < 16; i++)
	{
		char		hk[16];

		g_snprintf(hk, sizeof(hk), "h%d", i);
		ASSERT_OK(pegasus_table_set(t, S(hk), S("s"), S("v"), 0, 0, &err), err);
	}
	/* the meta connection and one per replica endpoint that got a key */
	g_assert_cmpint(client_test_negotiations(control_addr), >=, 2);
	g_assert_cmpint(client_test_negotiations(control_addr), <=, 4);
	ASSERT_OK(pegasus_table_get(t, S("h3"), S("s"), 0, &v, &err), err);
	g_assert_true(v.found);
	pegasus_value_free(&v);
	g_assert_cmpstr(pegasus_client_kerberos_principal(c), ==, "tester@UNIT.TEST");
	pegasus_client_free(c);
}

static void
test_old_server(void)
{
	PegasusClient *c;
	PegasusTable *t;
	PegasusError err;

	if (!need_onebox())
		return;
	ensure_table();
	client_test_control_ok(control_addr, "fail * RPC_NEGOTIATION 100 ERR_HANDLER_NOT_FOUND");
	c = new_client(ccache_name, 0);
	t = pegasus_client_open_table(c, "tc_auth", 0, &err);
	ASSERT_OK(t != NULL, err);
	ASSERT_OK(pegasus_table_set(t, S("old"), S("s"), S("v"), 0, 0, &err), err);
	pegasus_client_free(c);
	client_test_control_ok(control_addr, "clear-faults");
}

static void
test_refused_negotiation(void)
{
	PegasusClient *c;
	PegasusError err;

	if (!need_onebox())
		return;
	client_test_control_ok(control_addr, "reset-counters");
	client_test_control_ok(control_addr, "fail * RPC_NEGOTIATION 100 ERR_BUSY");
	c = new_client(ccache_name, 0);
	g_assert_null(pegasus_client_open_table(c, "tc_auth", 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_nonnull(strstr(err.message, "answered the negotiation with ERR_BUSY"));
	/* failed at once: not retried, not sent to another meta server */
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 1);
	pegasus_client_free(c);
	client_test_control_ok(control_addr, "clear-faults");
}

/*
 * A connection that breaks once during negotiation (a reset, a restarting
 * server) is a connection failure: retried on a new connection, not
 * reported as a rejection.
 */
static void
test_negotiation_reset_once(void)
{
	PegasusClient *c;
	PegasusTable *t;
	PegasusError err;
	char		cmd[96];

	if (!need_onebox())
		return;
	ensure_table();
	client_test_control_ok(control_addr, "reset-counters");
	/* the meta server's answer to LIST_MECHANISMS: half of it, then a close */
	g_snprintf(cmd, sizeof(cmd), "corrupt %s truncated", strrchr(meta_addr, ':') + 1);
	client_test_control_ok(control_addr, cmd);
	c = new_client(ccache_name, 0);
	t = pegasus_client_open_table(c, "tc_auth", 0, &err);
	ASSERT_OK(t != NULL, err);
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 2);
	pegasus_client_free(c);
	client_test_control_ok(control_addr, "clear-faults");
}

static void
test_silent_negotiation(void)
{
	PegasusClient *c;
	PegasusError err;

	if (!need_onebox())
		return;
	/* one negotiation unanswered: a connection failure, retried */
	client_test_control_ok(control_addr, "reset-counters");
	client_test_control_ok(control_addr, "fail * RPC_NEGOTIATION 1 noreply");
	c = new_client(ccache_name, 200);
	g_assert_nonnull(pegasus_client_open_table(c, "tc_auth", 0, &err));
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 2);
	pegasus_client_free(c);
	/* none answered: a connection failure at the call's deadline */
	client_test_control_ok(control_addr, "fail * RPC_NEGOTIATION 1000 noreply");
	c = new_client(ccache_name, 200);
	g_assert_null(pegasus_client_open_table(c, "tc_auth", 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_CONNECT);
	g_assert_nonnull(strstr(err.message, "did not finish within 200 ms"));
	pegasus_client_free(c);
	client_test_control_ok(control_addr, "clear-faults");
}

static int
interrupting_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	return -1;
}

static void
test_interrupted_negotiation(void)
{
	PegasusClient *c;
	PegasusError err;

	if (!need_onebox())
		return;
	client_test_control_ok(control_addr, "fail * RPC_NEGOTIATION 1 noreply");
	c = new_client(ccache_name, 60000);
	pegasus_client_set_wait_hook(c, interrupting_hook, NULL);
	g_assert_null(pegasus_client_open_table(c, "tc_auth", 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INTERRUPTED);
	pegasus_client_free(c);
	client_test_control_ok(control_addr, "clear-faults");
}

static void
test_missing_ccache(void)
{
	PegasusClient *c;
	PegasusError err;
	PegasusStats st;

	if (!need_onebox())
		return;
	c = new_client("FILE:/nonexistent/pegasus_ccache", 0);
	g_assert_null(pegasus_client_open_table(c, "tc_auth", 0, &err));
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_nonnull(strstr(err.message, "FILE:/nonexistent/pegasus_ccache"));
	pegasus_client_get_stats(c, &st);
	g_assert_cmpuint(st.connects, ==, 0);
	g_assert_null(pegasus_client_kerberos_principal(c));
	pegasus_client_free(c);
}

static void
drop_table(void)
{
	PegasusClient *c;
	PegasusError err;

	if (meta_addr == NULL)
		return;
	c = pegasus_client_new(meta_addr, NULL, &err);
	g_assert_nonnull(c);
	ASSERT_OK(pegasus_client_drop_app(c, "tc_auth", true, 5000, &err), err);
	pegasus_client_free(c);
}

int
main(int argc, char **argv)
{
	int			rc;

	g_test_init(&argc, &argv, NULL);
	client_test_env(&meta_addr, &control_addr);
	make_ccache();
	g_test_add_func("/client-auth/auth-disabled-server", test_auth_disabled_server);
	g_test_add_func("/client-auth/old-server", test_old_server);
	g_test_add_func("/client-auth/refused-negotiation", test_refused_negotiation);
	g_test_add_func("/client-auth/silent-negotiation", test_silent_negotiation);
	g_test_add_func("/client-auth/negotiation-reset-once", test_negotiation_reset_once);
	g_test_add_func("/client-auth/interrupted-negotiation", test_interrupted_negotiation);
	g_test_add_func("/client-auth/missing-ccache", test_missing_ccache);
	g_test_add_data_func("/client-auth/zz-no-violations", control_addr, client_test_no_violations);
	rc = g_test_run();
	drop_table();
	unlink(ccache_name + strlen("FILE:"));
	return rc;
}
