/*-------------------------------------------------------------------------
 *
 * test_client_kdc.c
 *		The client's waits for a Kerberos KDC, against a KDC of this
 *		program that never answers (a TCP port that is listened on but
 *		never read, a UDP port never read) and one that refuses: initial
 *		credentials from a keytab and the service ticket of a new connection
 *		are waited for through the wait hook, so an interrupting hook ends
 *		them at once (PEGASUS_ERR_INTERRUPTED, not retried) and the
 *		negotiation timeout bounds them (PEGASUS_ERR_AUTH); the wait is on
 *		one fd, as PEGASUS_WAIT_NEGOTIATE, and the KDC job's thread has every
 *		signal blocked; a ticket already in the cache is used without the
 *		KDC; a KDC that refuses gives its reason; a process that exits
 *		while a job runs skips the exit-time destructors; and the
 *		abandoned jobs end once the KDC is gone.  test/reliability/t_auth_kerberos.sh
 *		tests the same against a real KDC through SQL.
 *
 * Starts its own secured onebox (test/onebox/pegasus-onebox, or
 * $PEGASUS_ONEBOX_BIN: --auth kerberos with a keytab it never reads before
 * a client's first SASL token) on ports from $ONEBOX_KDC_TEST_PORT_BASE
 * (default: the suite's control port less 10500, else 26400), and a
 * krb5.conf of its own (KRB5_CONFIG).  The credentials are made up: a
 * keytab and credential caches no KDC ever issued.
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <krb5.h>

#include "client_test_util.h"
#include "rawrpc.h"

static char dir[256];
static char keytab[300];
static char silent_ccache[300];		/* a TGT of the silent realm */
static char refused_ccache[300];	/* a TGT of the refusing realm */
static char cached_ccache[300];		/* a TGT and the service ticket */
static int	kdc_tcp = -1;
static int	kdc_udp = -1;
static GPid box_pid;
static char box_meta[32];
static char control_addr[32];
static char box_log[300];

/* ----------------------------------------------------------------------
 * The KDCs, krb5.conf and the made-up credentials
 * ---------------------------------------------------------------------- */

static int
bound_socket(int type, int port)
{
	struct sockaddr_in a;
	socklen_t	len = sizeof(a);
	int			fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *) &a, sizeof(a)) != 0)
	{
		close(fd);
		return -1;
	}
	g_assert_cmpint(getsockname(fd, (struct sockaddr *) &a, &len), ==, 0);
	return fd;
}

static int
port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t	len = sizeof(a);

	g_assert_cmpint(getsockname(fd, (struct sockaddr *) &a, &len), ==, 0);
	return ntohs(a.sin_port);
}

/*
 * The silent KDC: TCP connections are accepted by the kernel's backlog and
 * never read, UDP datagrams never read.  The refusing one: a port nobody
 * listens on.
 */
static void
start_kdcs(int *silent_port, int *refused_port)
{
	int			probe;

	for (;;)
	{
		kdc_tcp = bound_socket(SOCK_STREAM, 0);
		kdc_udp = bound_socket(SOCK_DGRAM, port_of(kdc_tcp));
		if (kdc_udp >= 0)
			break;
		close(kdc_tcp);
	}
	g_assert_cmpint(listen(kdc_tcp, 64), ==, 0);
	*silent_port = port_of(kdc_tcp);
	probe = bound_socket(SOCK_STREAM, 0);
	*refused_port = port_of(probe);
	close(probe);
}

/* Closes the silent KDC: every exchange still waiting on it fails soon. */
static void
stop_silent_kdc(void)
{
	if (kdc_tcp >= 0)
		close(kdc_tcp);
	if (kdc_udp >= 0)
		close(kdc_udp);
	kdc_tcp = kdc_udp = -1;
}

static void
write_krb5_conf(int silent_port, int refused_port)
{
	char	   *path = g_strdup_printf("%s/krb5.conf", dir);
	char	   *conf = g_strdup_printf(
		"[libdefaults]\n"
		"\tdefault_realm = UNIT.TEST\n"
		"\tdns_lookup_kdc = false\n"
		"\tdns_lookup_realm = false\n"
		"\tdns_canonicalize_hostname = false\n"
		"\trdns = false\n"
		"\tudp_preference_limit = 1\n"
		"\tkdc_timeout = 1000\n"
		"\tmax_retries = 1\n"
		"[realms]\n"
		"\tUNIT.TEST = {\n\t\tkdc = 127.0.0.1:%d\n\t}\n"
		"\tREFUSED.TEST = {\n\t\tkdc = 127.0.0.1:%d\n\t}\n",
		silent_port, refused_port);

	g_assert_true(g_file_set_contents(path, conf, -1, NULL));
	g_setenv("KRB5_CONFIG", path, TRUE);
	g_free(conf);
	g_free(path);
}

/* Wraps content (freed) in a DER tag and length */
static GByteArray *
der(guint8 tag, GByteArray *content)
{
	GByteArray *out = g_byte_array_new();
	guint8		hdr[3];
	guint		n = 0;

	hdr[n++] = tag;
	if (content->len >= 128)
		hdr[n++] = 0x81;
	g_assert_cmpuint(content->len, <, 256);
	hdr[n++] = (guint8) content->len;
	g_byte_array_append(out, hdr, n);
	g_byte_array_append(out, content->data, content->len);
	g_byte_array_free(content, TRUE);
	return out;
}

static GByteArray *
der_bytes(guint8 tag, const void *data, size_t len)
{
	GByteArray *c = g_byte_array_new();

	g_byte_array_append(c, data, len);
	return der(tag, c);
}

static GByteArray *
der_int(int v)
{
	guint8		b = (guint8) v;

	return der_bytes(0x02, &b, 1);
}

/* Appends b (freed) to a */
static GByteArray *
cat(GByteArray *a, GByteArray *b)
{
	g_byte_array_append(a, b->data, b->len);
	g_byte_array_free(b, TRUE);
	return a;
}

/*
 * A well-formed Ticket (RFC 4120 5.3) for server, its encrypted part made
 * up: GSSAPI and the TGS exchange only read its outside.
 */
static GByteArray *
made_up_ticket(krb5_principal server)
{
	static const guint8 cipher[32];
	GByteArray *names = g_byte_array_new();
	GByteArray *sname;
	GByteArray *enc;
	GByteArray *t;
	int			i;

	for (i = 0; i < server->length; i++)
		names = cat(names, der_bytes(0x1B, server->data[i].data, server->data[i].length));
	sname = cat(der(0xA0, der_int(server->type)), der(0xA1, der(0x30, names)));
	enc = cat(cat(der(0xA0, der_int(ENCTYPE_AES256_CTS_HMAC_SHA1_96)),
				  der(0xA1, der_int(1))),
			  der(0xA2, der_bytes(0x04, cipher, sizeof(cipher))));
	t = cat(cat(cat(der(0xA0, der_int(5)),
					der(0xA1, der_bytes(0x1B, server->realm.data, server->realm.length))),
				der(0xA2, der(0x30, sname))),
			der(0xA3, der(0x30, enc)));
	return der(0x61, der(0x30, t));
}

static void
add_cred(krb5_context ctx, krb5_ccache cc, krb5_principal client,
		 krb5_principal server)
{
	krb5_creds	creds;
	static krb5_octet key[32];
	GByteArray *ticket = made_up_ticket(server);

	memset(&creds, 0, sizeof(creds));
	creds.client = client;
	creds.server = server;
	creds.keyblock.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	creds.keyblock.length = sizeof(key);
	creds.keyblock.contents = key;
	creds.times.authtime = creds.times.starttime = (krb5_timestamp) time(NULL);
	creds.times.endtime = creds.times.starttime + 3600;
	creds.ticket.data = (char *) ticket->data;
	creds.ticket.length = ticket->len;
	g_assert_cmpint(krb5_cc_store_cred(ctx, cc, &creds), ==, 0);
	g_byte_array_free(ticket, TRUE);
}

/* A FILE cache with a made-up TGT of realm, and the service's ticket */
static void
make_ccache(char *name, size_t len, const char *file, const char *realm,
			bool with_service_ticket)
{
	krb5_context ctx;
	krb5_ccache cc;
	krb5_principal client,
				tgs,
				service;
	char	   *p;

	g_snprintf(name, len, "FILE:%s/%s", dir, file);
	g_assert_cmpint(krb5_init_context(&ctx), ==, 0);
	p = g_strdup_printf("tester@%s", realm);
	g_assert_cmpint(krb5_parse_name(ctx, p, &client), ==, 0);
	g_free(p);
	p = g_strdup_printf("krbtgt/%s@%s", realm, realm);
	g_assert_cmpint(krb5_parse_name(ctx, p, &tgs), ==, 0);
	g_free(p);
	g_assert_cmpint(krb5_cc_resolve(ctx, name, &cc), ==, 0);
	g_assert_cmpint(krb5_cc_initialize(ctx, cc, client), ==, 0);
	add_cred(ctx, cc, client, tgs);
	if (with_service_ticket)
	{
		/* named as GSSAPI names the host-based service pegasus@127.0.0.1 */
		g_assert_cmpint(krb5_sname_to_principal(ctx, "127.0.0.1", "pegasus",
												KRB5_NT_SRV_HST, &service), ==, 0);
		add_cred(ctx, cc, client, service);
		krb5_free_principal(ctx, service);
	}
	krb5_cc_close(ctx, cc);
	krb5_free_principal(ctx, client);
	krb5_free_principal(ctx, tgs);
	krb5_free_context(ctx);
}

/* A keytab with a made-up key of tester@UNIT.TEST */
static void
make_keytab(void)
{
	krb5_context ctx;
	krb5_keytab kt;
	krb5_keytab_entry e;
	static krb5_octet key[32] = {1, 2, 3};
	char	   *name;

	g_snprintf(keytab, sizeof(keytab), "%s/tester.keytab", dir);
	name = g_strdup_printf("FILE:%s", keytab);
	g_assert_cmpint(krb5_init_context(&ctx), ==, 0);
	memset(&e, 0, sizeof(e));
	g_assert_cmpint(krb5_parse_name(ctx, "tester@UNIT.TEST", &e.principal), ==, 0);
	e.vno = 1;
	e.key.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	e.key.length = sizeof(key);
	e.key.contents = key;
	g_assert_cmpint(krb5_kt_resolve(ctx, name, &kt), ==, 0);
	g_assert_cmpint(krb5_kt_add_entry(ctx, kt, &e), ==, 0);
	krb5_kt_close(ctx, kt);
	krb5_free_principal(ctx, e.principal);
	krb5_free_context(ctx);
	g_free(name);
}

/* ----------------------------------------------------------------------
 * The secured onebox
 * ---------------------------------------------------------------------- */


/* Starts the secured onebox; FALSE when it did not get ready */
static gboolean
start_box(void)
{
	int			base;

	box_pid = client_test_start_secured_box("ONEBOX_KDC_TEST_PORT_BASE", 10500,
											26400, false, box_log, &base);
	g_snprintf(box_meta, sizeof(box_meta), "127.0.0.1:%d", base + 1);
	g_snprintf(control_addr, sizeof(control_addr), "127.0.0.1:%d", base + 21);
	return box_pid != 0;
}

static bool
need_box(void)
{
	return client_test_need(box_pid != 0, "the secured onebox could not be started");
}

/* ----------------------------------------------------------------------
 * A hook that interrupts, and what it saw
 * ---------------------------------------------------------------------- */

static struct
{
	PegasusClient *client;
	int			interrupt_after_ms; /* -1: never */
	gint64		started;		/* of the client call */
	int			calls;
	int			negotiate_waits;	/* on PEGASUS_WAIT_NEGOTIATE */
	int			max_nfds;
	bool		fd_is_pipe;		/* the first negotiate wait's last fd */
	bool		thread_seen;	/* a pegasus-kdc thread existed */
	bool		thread_signals_blocked; /* every one of them blocks them */
} hk;

/*
 * Whether a thread named pegasus-kdc runs in this process; *blocked tells
 * whether each blocks SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM
 * and SIGCHLD (what a PostgreSQL backend handles).
 */
static bool
kdc_threads(bool *blocked)
{
	DIR		   *d = opendir("/proc/self/task");
	struct dirent *de;
	bool		found = false;

	*blocked = true;
	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
	{
		char	   *path;
		char	   *text = NULL;

		if (de->d_name[0] == '.')
			continue;
		path = g_strdup_printf("/proc/self/task/%s/comm", de->d_name);
		if (g_file_get_contents(path, &text, NULL, NULL) &&
			g_str_has_prefix(text, "pegasus-kdc"))
		{
			char	   *status = NULL;
			const char *blk;

			found = true;
			g_free(path);
			path = g_strdup_printf("/proc/self/task/%s/status", de->d_name);
			if (g_file_get_contents(path, &status, NULL, NULL) &&
				(blk = strstr(status, "SigBlk:")) != NULL)
			{
				guint64		mask = g_ascii_strtoull(blk + 7, NULL, 16);
				int			sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2,
				SIGALRM, SIGCHLD};
				size_t		i;

				for (i = 0; i < G_N_ELEMENTS(sigs); i++)
					if ((mask & (G_GUINT64_CONSTANT(1) << (sigs[i] - 1))) == 0)
						*blocked = false;
			}
			else
				*blocked = false;
			g_free(status);
		}
		g_free(text);
		g_free(path);
	}
	closedir(d);
	return found;
}

static int
test_hook(void *arg, PegasusPollFd *fds, int nfds, int timeout_ms)
{
	struct pollfd p[64];
	int			i;
	int			r;
	int			wait_ms = timeout_ms;
	gint64		now = g_get_monotonic_time();

	hk.calls++;
	hk.max_nfds = MAX(hk.max_nfds, nfds);
	if (hk.client != NULL &&
		pegasus_client_wait_kind(hk.client) == PEGASUS_WAIT_NEGOTIATE)
	{
		struct stat st;
		bool		blocked;

		if (hk.negotiate_waits++ == 0 && nfds > 0)
			hk.fd_is_pipe = fstat(fds[nfds - 1].fd, &st) == 0 && S_ISFIFO(st.st_mode);
		if (kdc_threads(&blocked))
		{
			hk.thread_seen = true;
			hk.thread_signals_blocked = blocked;
		}
	}
	if (hk.interrupt_after_ms >= 0)
	{
		gint64		left = hk.started + (gint64) hk.interrupt_after_ms * 1000 - now;

		if (left <= 0)
			return -1;
		wait_ms = (int) MIN((gint64) wait_ms, (left + 999) / 1000);
	}
	g_assert_cmpint(nfds, <=, 64);
	for (i = 0; i < nfds; i++)
	{
		p[i].fd = fds[i].fd;
		p[i].events = ((fds[i].events & PEGASUS_POLL_IN) ? POLLIN : 0) |
			((fds[i].events & PEGASUS_POLL_OUT) ? POLLOUT : 0);
		p[i].revents = 0;
	}
	r = poll(p, nfds, wait_ms);
	if (r < 0)
		r = 0;
	for (i = 0; i < nfds; i++)
		fds[i].revents = ((p[i].revents & POLLIN) ? PEGASUS_POLL_IN : 0) |
			((p[i].revents & POLLOUT) ? PEGASUS_POLL_OUT : 0) |
			((p[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? PEGASUS_POLL_ERR : 0);
	return r;
}

static PegasusClient *
new_client(const char *meta, const char *ccache, bool with_keytab,
		   int negotiation_timeout_ms, int interrupt_after_ms)
{
	PegasusClientOptions o;
	PegasusError err;
	PegasusClient *c;

	pegasus_client_options_init(&o);
	o.auth = PEGASUS_AUTH_KERBEROS;
	o.kerberos_ccache = ccache;
	if (with_keytab)
	{
		o.kerberos_principal = "tester@UNIT.TEST";
		o.kerberos_keytab = keytab;
	}
	o.negotiation_timeout_ms = negotiation_timeout_ms;
	o.connect_timeout_ms = 1000;
	o.operation_timeout_ms = 20000;
	o.wait_hook = test_hook;
	c = pegasus_client_new(meta, &o, &err);
	g_assert_nonnull(c);
	memset(&hk, 0, sizeof(hk));
	hk.client = c;
	hk.interrupt_after_ms = interrupt_after_ms;
	hk.started = g_get_monotonic_time();
	return c;
}

static double
elapsed_ms(void)
{
	return (g_get_monotonic_time() - hk.started) / 1000.0;
}

/* ----------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

/* initial credentials from the keytab, the KDC silent, the hook interrupts */
static void
test_kinit_interrupted(void)
{
	PegasusClient *c;
	PegasusError err;
	PegasusStats st;
	double		ms;

	/* nothing listens at the meta address: no connection is made anyway */
	c = new_client("127.0.0.1:1", NULL, true, 60000, 200);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# kinit interrupted after %.0f ms\n", ms);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INTERRUPTED);
	g_assert_cmpfloat(ms, >=, 190);
	g_assert_cmpfloat(ms, <, 1000 + client_test_load_slack_ms());
	g_assert_cmpint(hk.negotiate_waits, >, 0);
	g_assert_cmpint(hk.max_nfds, ==, 1);
	g_assert_true(hk.fd_is_pipe);
	g_assert_true(hk.thread_seen);
	g_assert_true(hk.thread_signals_blocked);
	pegasus_client_get_stats(c, &st);
	g_assert_cmpuint(st.connects, ==, 0);
	g_assert_null(pegasus_client_kerberos_principal(c));
	pegasus_client_free(c);
}

/* ... the negotiation timeout ends the wait */
static void
test_kinit_timeout(void)
{
	PegasusClient *c;
	PegasusError err;
	double		ms;

	c = new_client("127.0.0.1:1", NULL, true, 300, -1);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# kinit timed out after %.0f ms: %s\n", ms, err.message);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_nonnull(strstr(err.message, "The Kerberos KDC did not answer within 300 ms"));
	g_assert_nonnull(strstr(err.message, "tester@UNIT.TEST"));
	g_assert_cmpfloat(ms, >=, 290);
	g_assert_cmpfloat(ms, <, 1000 + client_test_load_slack_ms());
	pegasus_client_free(c);
}

/* a TGT, no service ticket, the KDC silent: the connection waits for it */
static void
test_service_ticket_interrupted(void)
{
	PegasusClient *c;
	PegasusError err;
	double		ms;

	if (!need_box())
		return;
	client_test_control_ok(control_addr, "reset-counters");
	c = new_client(box_meta, silent_ccache, false, 60000, 300);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# service ticket interrupted after %.0f ms: %s\n", ms, err.message);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_INTERRUPTED);
	g_assert_cmpfloat(ms, >=, 290);
	g_assert_cmpfloat(ms, <, 1000 + client_test_load_slack_ms());
	g_assert_true(hk.thread_seen);
	g_assert_true(hk.thread_signals_blocked);
	/* list and select: the first SASL token waits for the ticket */
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 2);
	pegasus_client_free(c);
}

static void
test_service_ticket_timeout(void)
{
	PegasusClient *c;
	PegasusError err;
	double		ms;

	if (!need_box())
		return;
	c = new_client(box_meta, silent_ccache, false, 400, -1);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# service ticket timed out after %.0f ms: %s\n", ms, err.message);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_nonnull(strstr(err.message, "did not finish within 400 ms: the Kerberos KDC did not answer"));
	g_assert_cmpfloat(ms, >=, 390);
	g_assert_cmpfloat(ms, <, 1000 + client_test_load_slack_ms());
	pegasus_client_free(c);
}

/* a KDC that refuses: its reason, at once */
static void
test_service_ticket_refused(void)
{
	PegasusClient *c;
	PegasusError err;
	double		ms;

	if (!need_box())
		return;
	c = new_client(box_meta, refused_ccache, false, 60000, -1);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# %s\n", err.message);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_nonnull(strstr(err.message, "could not get a service ticket for \"pegasus/127.0.0.1\""));
	g_assert_nonnull(strstr(err.message, "REFUSED.TEST"));
	g_assert_cmpfloat(ms, <, 5000 + client_test_load_slack_ms());
	pegasus_client_free(c);
}

/*
 * The service ticket in the cache: no KDC job, and GSSAPI makes the first
 * SASL token of it at once (the silent KDC would hold it for tens of
 * seconds); the onebox, which has no keytab, then rejects it.
 */
static void
test_service_ticket_cached(void)
{
	PegasusClient *c;
	PegasusError err;
	double		ms;

	if (!need_box())
		return;
	client_test_control_ok(control_addr, "reset-counters");
	c = new_client(box_meta, cached_ccache, false, 60000, -1);
	g_assert_null(pegasus_client_open_table(c, "sec", 0, &err));
	ms = elapsed_ms();
	g_printerr("# with the ticket cached, after %.0f ms: %s\n", ms, err.message);
	g_assert_cmpint(err.code, ==, PEGASUS_ERR_AUTH);
	g_assert_null(strstr(err.message, "KDC"));
	/*
	 * list, select, initiate, twice: a first close during negotiation is
	 * taken for a reset and the connection made again; the second is the
	 * rejection
	 */
	g_assert_cmpint(client_test_negotiations(control_addr), ==, 6);
	g_assert_false(hk.thread_seen);	/* the first test: none ran before */
	g_assert_cmpfloat(ms, <, 1000 + client_test_load_slack_ms());
	pegasus_client_free(c);
}

/*
 * A process that exits while an abandoned KDC job still runs on its thread
 * leaves without running the libraries' destructors (libkrb5's would run
 * under the thread, and MIT Kerberos aborts when the thread then locks a
 * mutex they destroyed), with the status it exits with; once no job runs,
 * exit() is ordinary.  This program's own destructor tells which happened.
 * Each case in a child of its own, before any KDC exchange ran in this
 * process (a child inherits the count of running jobs).
 */
static int	exit_note_fd = -1;

static void __attribute__((destructor))
note_destructors(void)
{
	if (exit_note_fd >= 0 && write(exit_note_fd, "x", 1) != 1)
		_exit(92);
}

static void
exit_in_child(bool job_running, int status, int *wstatus, bool *handlers_ran)
{
	int			p[2];
	pid_t		pid;
	char		b;

	g_assert_cmpint(pipe(p), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
	{
		PegasusClient *c;
		PegasusError err;
		bool		blocked;
		gint64		deadline;

		close(p[0]);
		exit_note_fd = p[1];
		if (job_running)	/* the silent KDC: the job outlives the interrupted call */
			c = new_client("127.0.0.1:1", NULL, true, 60000, 100);
		else				/* the refusing KDC: the job ends */
			c = new_client(box_meta, refused_ccache, false, 60000, -1);
		if (pegasus_client_open_table(c, "sec", 0, &err) != NULL)
			_exit(90);
		pegasus_client_free(c);
		deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
		while (!job_running && kdc_threads(&blocked) && g_get_monotonic_time() < deadline)
			g_usleep(20 * 1000);
		if (kdc_threads(&blocked) != job_running)
			_exit(91);
		exit(status);
	}
	close(p[1]);
	g_assert_cmpint(waitpid(pid, wstatus, 0), ==, pid);
	*handlers_ran = read(p[0], &b, 1) == 1;
	close(p[0]);
}

static void
test_exit_while_job_runs(void)
{
	int			ws;
	bool		ran;

	exit_in_child(true, 3, &ws, &ran);
	g_printerr("# exit while a job runs: status %d, destructors %s\n",
			   WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws), ran ? "ran" : "skipped");
	g_assert_true(WIFEXITED(ws));
	g_assert_cmpint(WEXITSTATUS(ws), ==, 3);
	g_assert_false(ran);
	if (!need_box())
		return;
	exit_in_child(false, 4, &ws, &ran);
	g_printerr("# exit after the jobs ended: status %d, destructors %s\n",
			   WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws), ran ? "ran" : "skipped");
	g_assert_true(WIFEXITED(ws));
	g_assert_cmpint(WEXITSTATUS(ws), ==, 4);
	g_assert_true(ran);
}

/* The abandoned jobs end (and free themselves) once the KDC is gone. */
static void
test_zz_jobs_end(void)
{
	gint64		deadline;
	bool		blocked;

	stop_silent_kdc();
	deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (kdc_threads(&blocked) && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	g_assert_false(kdc_threads(&blocked));
}

int
main(int argc, char **argv)
{
	int			rc;
	int			silent_port,
				refused_port;
	char	   *cmd;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_snprintf(dir, sizeof(dir), "%s/test_client_kdc-%d", g_get_tmp_dir(), (int) getpid());
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_snprintf(box_log, sizeof(box_log), "%s/onebox.log", dir);
	start_kdcs(&silent_port, &refused_port);
	write_krb5_conf(silent_port, refused_port);
	make_keytab();
	make_ccache(silent_ccache, sizeof(silent_ccache), "silent.ccache", "UNIT.TEST", false);
	make_ccache(refused_ccache, sizeof(refused_ccache), "refused.ccache", "REFUSED.TEST", false);
	make_ccache(cached_ccache, sizeof(cached_ccache), "cached.ccache", "UNIT.TEST", true);
	if (!start_box())
		printf("# the secured onebox could not be started: its tests are skipped\n");
	/* first, while no KDC job runs yet */
	g_test_add_func("/client-kdc/service-ticket-cached", test_service_ticket_cached);
	g_test_add_func("/client-kdc/exit-while-job-runs", test_exit_while_job_runs);
	g_test_add_func("/client-kdc/kinit-interrupted", test_kinit_interrupted);
	g_test_add_func("/client-kdc/kinit-timeout", test_kinit_timeout);
	g_test_add_func("/client-kdc/service-ticket-interrupted", test_service_ticket_interrupted);
	g_test_add_func("/client-kdc/service-ticket-timeout", test_service_ticket_timeout);
	g_test_add_func("/client-kdc/service-ticket-refused", test_service_ticket_refused);
	g_test_add_func("/client-kdc/zz-jobs-end", test_zz_jobs_end);
	rc = g_test_run();
	if (box_pid > 0)
	{
		kill(box_pid, SIGTERM);
		waitpid(box_pid, NULL, 0);
	}
	stop_silent_kdc();
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		g_printerr("# could not remove %s\n", dir);
	g_free(cmd);
	return rc;
}
