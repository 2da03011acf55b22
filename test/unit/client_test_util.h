/*-------------------------------------------------------------------------
 *
 * client_test_util.h
 *	  Small pieces every client test program uses: slices from C strings,
 *	  an assertion that reports the client's error, the onebox addresses
 *	  from the environment, the load margin of time limits, and the final
 *	  "no protocol violations" test.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLIENT_TEST_UTIL_H
#define CLIENT_TEST_UTIL_H

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "pegasus_client.h"

/* A slice over a C string (NULL gives an empty slice). */
static inline PegasusSlice
S(const char *s)
{
	PegasusSlice r;

	r.data = s;
	r.len = s ? strlen(s) : 0;
	return r;
}

static inline bool
slice_is(PegasusSlice s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

/* Fails the test with the client's error when call is false. */
#define ASSERT_OK(call, err) \
	do { \
		if (!(call)) \
			g_error("%s failed: %s %s", #call, \
					pegasus_error_code_name((err).code), (err).message); \
	} while (0)

/*
 * Reads PEGASUS_TEST_META and PEGASUS_TEST_CONTROL.  When either is missing
 * both are set to NULL and a TAP comment says the onebox tests are skipped.
 */
extern void client_test_env(const char **meta_addr, const char **control_addr);

/*
 * Milliseconds added to the upper time limits of the tests (LOAD_SLACK_MS,
 * default 1500): on a loaded machine, or under valgrind, a program is slow
 * to be scheduled.  A fault such a limit measures lasts well beyond the
 * limit plus this margin, so a wrong behaviour still exceeds it.
 */
extern double client_test_load_slack_ms(void);

/*
 * A test (g_test_add_data_func, data = the control address or NULL): the
 * onebox saw no protocol violation so far.
 */
extern void client_test_no_violations(gconstpointer control_addr);

/*
 * Writes hash_keys x per_hash rows, hash keys "hk<i>", sort keys "s<j>",
 * values "v<i>_<j>", one multi_set per hash key; fails the test on error.
 */
extern void client_test_load_grid(PegasusTable *table, int hash_keys,
								  int per_hash);

/*
 * Starts argv (a onebox), its stderr into the file log, and waits up to
 * 10 s for its "ready" line; its pid, or 0 when it did not get ready (it
 * is then stopped).  The child is killed if the test dies.
 */
extern GPid client_test_spawn_ready(char **argv, const char *log);

/* Requests of the RPC named rpc that every endpoint has counted, summed */
extern int	client_test_rpc_count(const char *control_addr, const char *rpc);

/* RPC_NEGOTIATION requests every endpoint has counted, summed */
extern int	client_test_negotiations(const char *control_addr);

/* Runs a control command of the onebox; fails the test unless it says OK */
extern void client_test_control_ok(const char *control_addr, const char *cmd);

/* false, the test skipped with why, unless ready */
extern bool client_test_need(bool ready, const char *why);

/* The onebox control's answer to a command (printf-style), never NULL. */
extern char *client_test_control(const char *control_addr, const char *fmt,...)
			G_GNUC_PRINTF(2, 3);

/* The port of a "host:port" endpoint, 0 when it has none. */
extern int	client_test_port_of(const char *endpoint);

/*
 * Starts a onebox with auth kerberos (table sec:2, no service keytab;
 * with acl, --acl too), its stderr into the file log: its meta server on
 * base + 1, replica on base + 11, control port on base + 21.  base is read
 * from the environment variable base_env, else the suite's
 * ONEBOX_CONTROL_PORT less control_offset (when above 20000), else
 * default_base; five bases 100 apart are tried.  Its pid with *base set,
 * or 0 when the onebox binary is missing or never got ready.
 */
extern GPid client_test_start_secured_box(const char *base_env,
										  int control_offset,
										  int default_base, bool acl,
										  const char *log, int *base);

#endif							/* CLIENT_TEST_UTIL_H */
