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
