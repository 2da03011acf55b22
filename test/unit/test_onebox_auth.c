/*-------------------------------------------------------------------------
 *
 * test_onebox_auth.c
 *	  The onebox's secured-cluster rules that need no KDC, on raw frames:
 *	  with --auth kerberos the mechanism list is "GSSAPI"; a status out of
 *	  order or another mechanism closes the connection without a reply; a
 *	  request on a connection that has not negotiated is dropped without a
 *	  reply, the connection closed and the drop counted ("unauthenticated"
 *	  in control counters); without --auth every negotiation is answered
 *	  SASL_AUTH_DISABLE (test_onebox.c).  The SASL exchange itself is
 *	  tested against a real KDC by test/reliability/t_auth_kerberos.sh.
 *
 * Starts its own onebox (test/onebox/pegasus-onebox, or
 * $PEGASUS_ONEBOX_BIN) on ports from $ONEBOX_AUTH_TEST_PORT_BASE (default:
 * the suite's control port less 10200, below the ephemeral range, else
 * 26700); the keytab is never read here.
 *
 *-------------------------------------------------------------------------
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "pegasus_codec.h"
#include "client_test_util.h"
#include "rawrpc.h"

#define TIMEOUT_MS 3000

static GPid box_pid;
static int	box_meta;
static int	box_replica;
static char control_addr[32];
static PegasusEncoder *enc;
static gint32 next_seqid = 1;
static char box_log[256];


/* Starts the secured onebox; FALSE when it did not get ready */
static gboolean
start_box(void)
{
	int			base;

	box_pid = client_test_start_secured_box("ONEBOX_AUTH_TEST_PORT_BASE", 10200,
											26700, true, box_log, &base);
	box_meta = base + 1;
	box_replica = base + 11;
	g_snprintf(control_addr, sizeof(control_addr), "127.0.0.1:%d", base + 21);
	return box_pid != 0;
}

/* A request frame on a new connection to port; returns the socket */
static int
send_on_new_conn(int port, PegasusRequest *req)
{
	char		addr[32];
	GByteArray *out = g_byte_array_new();
	PegasusCodecError err;
	int			fd;

	g_snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	fd = onebox_rawrpc_connect(addr);
	g_assert_cmpint(fd, >=, 0);
	req->seqid = next_seqid++;
	g_assert_cmpint(pegasus_codec_encode_request(enc, req, 0, out, &err), ==, PEGASUS_CODEC_OK);
	g_assert_true(onebox_rawrpc_send(fd, out->data, out->len));
	g_byte_array_unref(out);
	return fd;
}

static void
negotiation_request(PegasusRequest *req, PegasusNegotiationStatus status, const char *msg)
{
	memset(req, 0, sizeof(*req));
	req->rpc = PEGASUS_RPC_NEGOTIATION;
	pegasus_codec_header_init(&req->header, 0, 0, 1000, 0);
	req->u.negotiation.status = status;
	if (msg != NULL)
		req->u.negotiation.msg = pegasus_codec_blob_str(msg);
}

static guint64
unauthenticated_count(void)
{
	char	   *r = onebox_rawrpc_control(control_addr, "counters");
	const char *p;
	guint64		n = G_MAXUINT64;

	g_assert_nonnull(r);
	p = strstr(r, "unauthenticated ");
	if (p != NULL)
		n = g_ascii_strtoull(p + strlen("unauthenticated "), NULL, 10);
	g_free(r);
	return n;
}

static gboolean
need_box(void)
{
	return client_test_need(box_pid != 0, "the secured onebox could not be started");
}

static void
test_mechanism_list(void)
{
	PegasusRequest req;
	PegasusResponse resp;
	PegasusCodecError err;
	GByteArray *frame;
	int			port;

	if (!need_box())
		return;
	for (port = 0; port < 2; port++)
	{
		int			fd;

		negotiation_request(&req, PEGASUS_NS_SASL_LIST_MECHANISMS, NULL);
		fd = send_on_new_conn(port ? box_replica : box_meta, &req);
		frame = onebox_rawrpc_read_frame(fd, TIMEOUT_MS, NULL);
		g_assert_nonnull(frame);
		g_assert_cmpint(pegasus_codec_decode_response(frame->data, frame->len, 0, &resp, &err),
						==, PEGASUS_CODEC_OK);
		g_assert_cmpint(resp.frame_error, ==, PEGASUS_EC_OK);
		g_assert_cmpint(resp.u.negotiation.status, ==, PEGASUS_NS_SASL_LIST_MECHANISMS_RESP);
		g_assert_true(pegasus_codec_blob_equal_str(resp.u.negotiation.msg, "GSSAPI"));
		pegasus_codec_response_clear(&resp);
		g_byte_array_unref(frame);

		/* another mechanism: closed without a reply */
		{
			GByteArray *out = g_byte_array_new();

			negotiation_request(&req, PEGASUS_NS_SASL_SELECT_MECHANISMS, "PLAIN");
			req.seqid = next_seqid++;
			g_assert_cmpint(pegasus_codec_encode_request(enc, &req, 0, out, &err), ==,
							PEGASUS_CODEC_OK);
			g_assert_true(onebox_rawrpc_send(fd, out->data, out->len));
			g_byte_array_unref(out);
		}
		g_assert_true(onebox_rawrpc_wait_closed(fd, TIMEOUT_MS));
		close(fd);
	}
}

static void
test_out_of_order(void)
{
	PegasusRequest req;
	int			fd;

	if (!need_box())
		return;
	/* the first request must list mechanisms */
	negotiation_request(&req, PEGASUS_NS_SASL_INITIATE, "token");
	fd = send_on_new_conn(box_meta, &req);
	g_assert_true(onebox_rawrpc_wait_closed(fd, TIMEOUT_MS));
	close(fd);
	negotiation_request(&req, PEGASUS_NS_SASL_SELECT_MECHANISMS, "GSSAPI");
	fd = send_on_new_conn(box_replica, &req);
	g_assert_true(onebox_rawrpc_wait_closed(fd, TIMEOUT_MS));
	close(fd);
}

static void
test_unauthenticated_dropped(void)
{
	PegasusRequest req;
	guint64		before;
	int			fd;

	if (!need_box())
		return;
	before = unauthenticated_count();
	g_assert_cmpuint(before, !=, G_MAXUINT64);
	memset(&req, 0, sizeof(req));
	req.rpc = PEGASUS_RPC_LIST_APPS;
	pegasus_codec_header_init(&req.header, 0, 0, 1000, 0);
	fd = send_on_new_conn(box_meta, &req);
	/* no reply at all: the connection just closes */
	g_assert_true(onebox_rawrpc_wait_closed(fd, TIMEOUT_MS));
	close(fd);
	g_assert_cmpuint(unauthenticated_count(), ==, before + 1);
}

static void
test_no_violations(void)
{
	char	   *r;

	if (!need_box())
		return;
	r = onebox_rawrpc_control(control_addr, "violations");
	g_assert_cmpstr(r, ==, "OK 0");
	g_free(r);
}

int
main(int argc, char **argv)
{
	int			rc;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_snprintf(box_log, sizeof(box_log), "%s/test_onebox_auth-%d.log", g_get_tmp_dir(),
			   (int) getpid());
	enc = pegasus_codec_encoder_new();
	if (!start_box())
		printf("# the secured onebox could not be started: its tests are skipped\n");
	g_test_add_func("/onebox-auth/mechanism-list", test_mechanism_list);
	g_test_add_func("/onebox-auth/out-of-order", test_out_of_order);
	g_test_add_func("/onebox-auth/unauthenticated-dropped", test_unauthenticated_dropped);
	g_test_add_func("/onebox-auth/zz-no-violations", test_no_violations);
	rc = g_test_run();
	if (box_pid > 0)
	{
		kill(box_pid, SIGTERM);
		waitpid(box_pid, NULL, 0);
	}
	pegasus_codec_encoder_free(enc);
	if (rc == 0)
		unlink(box_log);
	return rc;
}
