/*-------------------------------------------------------------------------
 *
 * auth.c
 *	  Secured-cluster behaviour: the server side of RPC_NEGOTIATION done by
 *	  Cyrus SASL (GSSAPI, i.e. Kerberos) as a Pegasus server does it, the
 *	  mandatory_auth gate, and the legacy ACLs of meta and replica servers.
 *
 * Off by default: then every negotiation request is answered
 * SASL_AUTH_DISABLE and nothing is gated, as on a default cluster.  With
 * --auth kerberos both [security] enable_auth and mandatory_auth are on:
 *
 *	- per connection the server walks LIST_MECHANISMS -> "GSSAPI" ->
 *	  SELECT_MECHANISMS -> INITIATE -> CHALLENGE / CHALLENGE_RESP ... ->
 *	  SUCC; any status out of order, an unknown mechanism or a SASL failure
 *	  closes the connection without a reply;
 *	- the user of a connection is the authenticated principal without realm
 *	  and instance;
 *	- any other request on a connection that has not succeeded is dropped
 *	  without a reply and the connection closed (counted: "unauthenticated"
 *	  in control "counters").
 *
 * With --acl (enable_acl): meta RPCs outside the allow list (query config,
 * list apps, cluster info, list nodes, ddd diagnose) need a super user and
 * are otherwise answered with err = ERR_ACL_DENY in the response body;
 * replica reads and writes on a table whose env
 * replica_access_controller.allowed_users is non-empty need a listed user
 * or a super user and are otherwise answered with the frame error
 * ERR_ACL_DENY.  (src/security/, src/meta/meta_service.h,
 * src/replica/replica.cpp, replica_2pc.cpp of Apache Pegasus.)
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>

#define ONEBOX_ALLOWED_USERS_ENV "replica_access_controller.allowed_users"

struct OneboxAuthConn
{
	PegasusNegotiationStatus status;	/* the server's last state */
	sasl_conn_t *sasl;
	gboolean	succeeded;
	char	   *user;
};

static gboolean auth_enabled;
static gboolean acl_enabled;
static char *service_name;
static char *service_fqdn;
static char **super_users;
static guint64 unauthenticated;

static int
sasl_log(void *context, int level, const char *msg)
{
	if (msg != NULL && level <= SASL_LOG_WARN)
		onebox_log("sasl: %s", msg);
	return SASL_OK;
}

static const sasl_callback_t server_callbacks[] = {
	{SASL_CB_LOG, (int (*) (void)) (void (*) (void)) sasl_log, NULL},
	{SASL_CB_LIST_END, NULL, NULL}
};

gboolean
onebox_auth_init(const char *keytab, const char *name, const char *fqdn)
{
	int			rc;

	/* the GSSAPI acceptor reads its keys from KRB5_KTNAME */
	if (g_setenv("KRB5_KTNAME", keytab, TRUE) == FALSE)
		return FALSE;
	rc = sasl_server_init(server_callbacks, "pegasus");
	if (rc != SASL_OK)
	{
		onebox_log("sasl_server_init: %s", sasl_errstring(rc, NULL, NULL));
		return FALSE;
	}
	auth_enabled = TRUE;
	service_name = g_strdup(name ? name : "pegasus");
	service_fqdn = g_strdup(fqdn ? fqdn : ONEBOX_HOST);
	return TRUE;
}

void
onebox_auth_set_acl(const char *super_user_list, gboolean enable_acl)
{
	if (super_user_list != NULL)
	{
		g_strfreev(super_users);
		super_users = g_strsplit(super_user_list, ",", -1);
	}
	if (enable_acl)
		acl_enabled = TRUE;
}

guint64
onebox_auth_unauthenticated(void)
{
	return unauthenticated;
}

void
onebox_auth_conn_closed(OneboxConn *conn)
{
	if (conn->auth == NULL)
		return;
	if (conn->auth->sasl != NULL)
		sasl_dispose(&conn->auth->sasl);
	g_free(conn->auth->user);
	g_free(conn->auth);
	conn->auth = NULL;
}

static OneboxAuthConn *
conn_auth(OneboxConn *conn)
{
	if (conn->auth == NULL)
	{
		conn->auth = g_new0(OneboxAuthConn, 1);
		conn->auth->status = PEGASUS_NS_SASL_LIST_MECHANISMS;
	}
	return conn->auth;
}

static void
fail(OneboxConn *conn, const char *fmt,...) G_GNUC_PRINTF(2, 3);

/* A failed negotiation: no reply, the connection is closed. */
static void
fail(OneboxConn *conn, const char *fmt,...)
{
	va_list		ap;
	char	   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	onebox_log("negotiation on port %d failed: %s", conn->ep->port, msg);
	g_free(msg);
	if (conn->auth != NULL)
		conn->auth->status = PEGASUS_NS_SASL_AUTH_FAIL;
	onebox_conn_close(conn);
}

/* The principal without realm and instance, as Pegasus names users. */
static char *
user_of_principal(const char *principal)
{
	const char *at = strrchr(principal, '@');
	gsize		n = at ? (gsize) (at - principal) : strlen(principal);
	const char *slash = memchr(principal, '/', n);

	if (slash != NULL)
		n = (gsize) (slash - principal);
	return g_strndup(principal, n);
}

/* After sasl_server_start / _step: challenge again, succeed or fail. */
static gboolean
challenge(OneboxConn *conn, int rc, const char *out, unsigned outlen,
		  PegasusResponse *reply)
{
	OneboxAuthConn *a = conn->auth;
	const void *user = NULL;

	if (rc == SASL_CONTINUE)
	{
		char	   *copy = g_memdup2(out, outlen);

		a->status = PEGASUS_NS_SASL_CHALLENGE;
		reply->u.negotiation.status = a->status;
		reply->u.negotiation.msg.data = (const guint8 *) copy;
		reply->u.negotiation.msg.len = outlen;
		return TRUE;
	}
	if (rc != SASL_OK)
	{
		fail(conn, "%s", sasl_errdetail(a->sasl));
		return FALSE;
	}
	if (sasl_getprop(a->sasl, SASL_USERNAME, &user) != SASL_OK || user == NULL)
	{
		fail(conn, "no user name: %s", sasl_errdetail(a->sasl));
		return FALSE;
	}
	a->user = user_of_principal(user);
	a->succeeded = TRUE;
	a->status = PEGASUS_NS_SASL_SUCC;
	reply->u.negotiation.status = a->status;
	onebox_log("negotiation on port %d: user %s", conn->ep->port, a->user);
	return TRUE;
}

/*
 * Answers one RPC_NEGOTIATION request into reply.  FALSE when the
 * negotiation failed (the connection is closed, nothing is sent).  A
 * challenge's bytes are g_malloc'd into reply->u.negotiation.msg; the
 * caller frees them with onebox_auth_reply_done.
 */
gboolean
onebox_auth_negotiate(OneboxConn *conn, const PegasusRequest *req,
					  PegasusResponse *reply)
{
	const PegasusNegotiation *rq = &req->u.negotiation;
	OneboxAuthConn *a;
	const char *out = NULL;
	unsigned	outlen = 0;
	int			rc;

	if (!auth_enabled)
	{
		reply->u.negotiation.status = PEGASUS_NS_SASL_AUTH_DISABLE;
		return TRUE;
	}
	a = conn_auth(conn);
	switch (a->status)
	{
		case PEGASUS_NS_SASL_LIST_MECHANISMS:
			if (rq->status != PEGASUS_NS_SASL_LIST_MECHANISMS)
				break;
			a->status = PEGASUS_NS_SASL_LIST_MECHANISMS_RESP;
			reply->u.negotiation.status = a->status;
			reply->u.negotiation.msg = pegasus_codec_blob_str(g_strdup("GSSAPI"));
			return TRUE;
		case PEGASUS_NS_SASL_LIST_MECHANISMS_RESP:
			if (rq->status != PEGASUS_NS_SASL_SELECT_MECHANISMS)
				break;
			if (!pegasus_codec_blob_equal_str(rq->msg, "GSSAPI"))
			{
				fail(conn, "mechanism \"%.*s\" is not supported",
					 (int) MIN(rq->msg.len, 64), (const char *) rq->msg.data);
				return FALSE;
			}
			rc = sasl_server_new(service_name, service_fqdn, NULL, NULL, NULL,
								 NULL, 0, &a->sasl);
			if (rc != SASL_OK)
			{
				fail(conn, "sasl_server_new: %s", sasl_errstring(rc, NULL, NULL));
				return FALSE;
			}
			a->status = PEGASUS_NS_SASL_SELECT_MECHANISMS_RESP;
			reply->u.negotiation.status = a->status;
			return TRUE;
		case PEGASUS_NS_SASL_SELECT_MECHANISMS_RESP:
			if (rq->status != PEGASUS_NS_SASL_INITIATE)
				break;
			rc = sasl_server_start(a->sasl, "GSSAPI", (const char *) rq->msg.data,
								   (unsigned) rq->msg.len, &out, &outlen);
			return challenge(conn, rc, out, outlen, reply);
		case PEGASUS_NS_SASL_CHALLENGE:
			if (rq->status != PEGASUS_NS_SASL_CHALLENGE_RESP)
				break;
			rc = sasl_server_step(a->sasl, (const char *) rq->msg.data,
								  (unsigned) rq->msg.len, &out, &outlen);
			return challenge(conn, rc, out, outlen, reply);
		default:
			break;
	}
	fail(conn, "status %d while the server is in state %d", rq->status, a->status);
	return FALSE;
}

void
onebox_auth_reply_done(PegasusResponse *reply)
{
	g_free((gpointer) reply->u.negotiation.msg.data);
	reply->u.negotiation.msg.data = NULL;
}

/*
 * mandatory_auth: FALSE when the request must be dropped because its
 * connection has not negotiated (the connection is then closed).
 */
gboolean
onebox_auth_admit(OneboxConn *conn, const PegasusRequest *req)
{
	if (!auth_enabled || req->rpc == PEGASUS_RPC_NEGOTIATION ||
		(conn->auth != NULL && conn->auth->succeeded))
		return TRUE;
	unauthenticated++;
	onebox_log("dropped %s on port %d: the connection has not negotiated",
			   pegasus_codec_rpc_name(req->rpc) ? pegasus_codec_rpc_name(req->rpc) : "a request",
			   conn->ep->port);
	onebox_conn_close(conn);
	return FALSE;
}

static const char *
conn_user(OneboxConn *conn)
{
	return conn->auth != NULL && conn->auth->user != NULL ? conn->auth->user : "";
}

static gboolean
is_super_user(const char *user)
{
	return super_users != NULL && *user != '\0' &&
		g_strv_contains((const gchar *const *) super_users, user);
}

/* Legacy meta ACL: super users, or an RPC of the allow list. */
gboolean
onebox_auth_meta_allowed(OneboxConn *conn, PegasusRpc rpc)
{
	if (!acl_enabled || is_super_user(conn_user(conn)))
		return TRUE;
	return rpc == PEGASUS_RPC_QUERY_CFG || rpc == PEGASUS_RPC_LIST_APPS;
}

/* Legacy replica ACL: the table's allowed_users env (empty = everyone). */
gboolean
onebox_auth_replica_allowed(OneboxConn *conn, OneboxTable *table)
{
	const char *users;
	gboolean	allowed;
	char	  **list;

	if (!acl_enabled || is_super_user(conn_user(conn)))
		return TRUE;
	users = g_hash_table_lookup(table->envs, ONEBOX_ALLOWED_USERS_ENV);
	if (users == NULL || *users == '\0')
		return TRUE;
	list = g_strsplit(users, ",", -1);
	allowed = g_strv_contains((const gchar *const *) list, conn_user(conn));
	g_strfreev(list);
	return allowed;
}
