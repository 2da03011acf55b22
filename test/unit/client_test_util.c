/*-------------------------------------------------------------------------
 *
 * client_test_util.c
 *	  Environment and final checks shared by the client test programs.
 *
 *-------------------------------------------------------------------------
 */
#include "client_test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* In the child: stderr into the log, and killed when the test dies */
static void
spawn_child_setup(gpointer log)
{
	int			fd = open((const char *) log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd >= 0)
	{
		dup2(fd, 2);
		close(fd);
	}
}

GPid
client_test_spawn_ready(char **argv, const char *log)
{
	GError	   *err = NULL;
	GString    *got = g_string_new(NULL);
	gint64		deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	gboolean	ready = FALSE;
	GPid		pid = 0;
	int			out_fd;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, spawn_child_setup,
								  (gpointer) log, &pid, NULL, &out_fd, NULL, &err))
	{
		g_printerr("# cannot start %s: %s\n", argv[0], err->message);
		g_error_free(err);
		g_string_free(got, TRUE);
		return 0;
	}
	while (!ready && g_get_monotonic_time() < deadline)
	{
		struct pollfd pfd = {out_fd, POLLIN, 0};
		char		buf[256];
		ssize_t		n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(out_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		g_string_append_len(got, buf, n);
		ready = strstr(got->str, "ready\n") != NULL;
	}
	close(out_fd);
	g_string_free(got, TRUE);
	if (!ready)
	{
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 0;
	}
	return pid;
}

int
client_test_rpc_count(const char *control_addr, const char *rpc)
{
	char	   *r = onebox_rawrpc_control(control_addr, "counters");
	char	  **lines;
	int			n = 0;
	int			i;

	g_assert_nonnull(r);
	lines = g_strsplit(r, "\n", -1);
	for (i = 0; lines[i] != NULL; i++)
	{
		int			port,
					count;
		char		name[64];

		if (sscanf(lines[i], "%d %63s %d", &port, name, &count) == 3 &&
			strcmp(name, rpc) == 0)
			n += count;
	}
	g_strfreev(lines);
	g_free(r);
	return n;
}

int
client_test_negotiations(const char *control_addr)
{
	return client_test_rpc_count(control_addr, "RPC_NEGOTIATION");
}

void
client_test_control_ok(const char *control_addr, const char *cmd)
{
	char	   *r = onebox_rawrpc_control(control_addr, cmd);

	if (r == NULL || !g_str_has_prefix(r, "OK"))
		g_error("control command \"%s\" failed: %s", cmd, r ? r : "(no answer)");
	g_free(r);
}

char *
client_test_control(const char *control_addr, const char *fmt,...)
{
	va_list		ap;
	char	   *cmd;
	char	   *r;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = onebox_rawrpc_control(control_addr, cmd);
	if (r == NULL)
		g_error("control command \"%s\" got no answer", cmd);
	g_free(cmd);
	return r;
}

int
client_test_port_of(const char *endpoint)
{
	const char *colon = strrchr(endpoint, ':');

	return colon ? atoi(colon + 1) : 0;
}

bool
client_test_need(bool ready, const char *why)
{
	if (!ready)
		g_test_skip(why);
	return ready;
}

GPid
client_test_start_secured_box(const char *base_env, int control_offset,
							  int default_base, bool acl, const char *log,
							  int *base)
{
	const char *bin = g_getenv("PEGASUS_ONEBOX_BIN");
	const char *base_value = g_getenv(base_env);
	const char *ctl_env = g_getenv("ONEBOX_CONTROL_PORT");
	int			first = base_value ? atoi(base_value) :
		ctl_env && atoi(ctl_env) > 20000 ? atoi(ctl_env) - control_offset : default_base;
	int			attempt;

	*base = first;
	if (bin == NULL)
		bin = "test/onebox/pegasus-onebox";
	if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
		return 0;
	for (attempt = 0; attempt < 5; attempt++)
	{
		char		meta[16],
					reps[32],
					ctl[16];
		char	   *argv[] = {(char *) bin, "--meta-port", meta, "--replica-ports", reps,
			"--control-port", ctl, "--table", "sec:2", "--auth", "kerberos",
			"--keytab", "/nonexistent/service.keytab", acl ? "--acl" : NULL, NULL};
		GPid		pid;

		*base = first + attempt * 100;
		g_snprintf(meta, sizeof(meta), "%d", *base + 1);
		g_snprintf(reps, sizeof(reps), "%d", *base + 11);
		g_snprintf(ctl, sizeof(ctl), "%d", *base + 21);
		pid = client_test_spawn_ready(argv, log);
		if (pid != 0)
			return pid;
	}
	return 0;
}
