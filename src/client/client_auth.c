/*-------------------------------------------------------------------------
 *
 * client_auth.c
 *		Kerberos authentication of connections: the client side of
 *		RPC_NEGOTIATION with Cyrus SASL's GSSAPI mechanism, as Pegasus's
 *		client_negotiation does, and the credentials it uses.
 *
 * Credentials (one set per client, made before the first connection):
 *	- principal + keytab: initial credentials are obtained from the keytab
 *	  into a private in-memory credential cache (Pegasus's kinit_context
 *	  does the same into the default cache); they are obtained again when
 *	  they have expired;
 *	- a credential cache name: its tickets are used as they are;
 *	- neither: the process's default credential cache (KRB5CCNAME).
 * The cache is handed to the GSSAPI mechanism of each SASL connection
 * (SASL_GSS_CREDS), so nothing process-wide is changed.
 *
 * Negotiation (per connection, before any other request): LIST_MECHANISMS
 * -> the server's list must offer GSSAPI -> SELECT_MECHANISMS "GSSAPI" ->
 * INITIATE with the first SASL token -> CHALLENGE / CHALLENGE_RESP until
 * SASL_SUCC.  SASL_AUTH_DISABLE (a server without enable_auth) and the
 * frame error ERR_HANDLER_NOT_FOUND (a server too old to know
 * negotiation) mean success.  Anything else fails the connection with the
 * SASL / GSSAPI / Kerberos reason.
 *
 * The KDC is asked when credentials are obtained from a keytab and when a
 * connection needs a service ticket the cache does not hold yet.  Neither
 * exchange blocks the caller inside libkrb5: it runs on a KDC job
 * (client_kdc.c) that the client waits for through the wait hook, so a
 * cancel ends the wait at once and the negotiation timeout bounds it.
 * Credentials are waited for by the connect that needs them; a service
 * ticket is obtained once the server has accepted GSSAPI (a server
 * without auth never needs one), the connection waiting for it among the
 * others, and then the GSSAPI mechanism finds it in the cache rather than
 * asking the KDC itself.  A credential cache the process cannot write to
 * keeps no ticket, so GSSAPI asks again, blocking.
 *
 * src/client/client_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <sasl/sasl.h>

#include "client_internal.h"

/* renew credentials this long before they expire */
#define PEGASUS_AUTH_RENEW_MARGIN_S 60
/* credentials or a ticket this close to their end are no longer used */
#define PEGASUS_AUTH_MIN_LEFT_S 5
/* after a renewal that failed, old credentials are used this long before the next try */
#define PEGASUS_AUTH_RENEW_RETRY_S 5

struct PegasusAuth
{
	char	   *principal;
	char	   *keytab;
	char	   *ccache_name;
	char	   *service_name;
	char	   *service_fqdn;	/* NULL: each endpoint's host */
	krb5_context kctx;
	krb5_ccache ccache;			/* being prepared (moves into creds) */
	krb5_timestamp endtime;		/* keytab credentials: when they expire */
	krb5_timestamp renew_after; /* a renewal failed: not tried again before */
	PegasusKdcJob *refresh;		/* a service ticket renewed in the background */
	gss_cred_id_t gss_cred;		/* being prepared (moves into creds) */
	PegasusCreds *creds;		/* NULL until prepared */
	char		user[256];		/* principal as a local user name */
	char		principal_name[256];	/* unparsed, once known */
};

/*
 * Credentials in use, counted: the client holds its current ones, and each
 * negotiation the ones it started with (they outlive a renewal).
 */
struct PegasusCreds
{
	krb5_context kctx;			/* the client's */
	krb5_ccache ccache;
	gss_cred_id_t gss_cred;
	bool		private_cache;	/* destroy it, do not just close it */
	int			refs;
};

struct PegasusAuthSession
{
	PegasusClient *client;
	PegasusAuth *auth;
	PegasusCreds *creds;		/* from SELECT_MECHANISMS_RESP on */
	char		endpoint[PEGASUS_ENDPOINT_LEN];
	char		host[PEGASUS_ENDPOINT_LEN]; /* of the service principal */
	PegasusKdcJob *job;			/* obtaining the service ticket */
	PegasusKdcJob *sasl_job;	/* made the SASL connection (its callbacks) */
	PegasusNegotiationStatus sent;	/* status of the request in flight */
	sasl_conn_t *sasl;
	guint8	   *out;			/* bytes of the next request's msg */
};

static bool sasl_client_ready;

static void
creds_unref(PegasusCreds *c)
{
	OM_uint32	minor;

	if (c == NULL || --c->refs > 0)
		return;
	if (c->gss_cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &c->gss_cred);
	if (c->private_cache)
		krb5_cc_destroy(c->kctx, c->ccache);
	else
		krb5_cc_close(c->kctx, c->ccache);
	g_free(c);
}

/* ----------------------------------------------------------------------
 * Credentials
 * ---------------------------------------------------------------------- */

PegasusAuth *
pegasus_auth_new(const PegasusClientOptions *opts)
{
	PegasusAuth *auth = g_new0(PegasusAuth, 1);

	auth->principal = g_strdup(opts->kerberos_principal);
	auth->keytab = g_strdup(opts->kerberos_keytab);
	auth->ccache_name = g_strdup(opts->kerberos_ccache);
	auth->service_name = g_strdup(opts->kerberos_service_name &&
								  *opts->kerberos_service_name ?
								  opts->kerberos_service_name : "pegasus");
	auth->service_fqdn = opts->kerberos_service_fqdn && *opts->kerberos_service_fqdn ?
		g_strdup(opts->kerberos_service_fqdn) : NULL;
	return auth;
}

static void
auth_release_creds(PegasusAuth *auth)
{
	OM_uint32	minor;

	if (auth->gss_cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &auth->gss_cred);
	auth->gss_cred = GSS_C_NO_CREDENTIAL;
	if (auth->ccache != NULL)
	{
		/* a private memory cache goes away; a named one is only closed */
		if (auth->keytab != NULL)
			krb5_cc_destroy(auth->kctx, auth->ccache);
		else
			krb5_cc_close(auth->kctx, auth->ccache);
	}
	auth->ccache = NULL;
}

void
pegasus_auth_free(PegasusAuth *auth)
{
	if (auth == NULL)
		return;
	if (auth->kctx != NULL)
	{
		/* the connections, and their negotiations, are gone by now */
		if (auth->refresh != NULL)
			pegasus_kdc_job_release(auth->refresh, false);
		creds_unref(auth->creds);
		auth_release_creds(auth);
		krb5_free_context(auth->kctx);
	}
	g_free(auth->principal);
	g_free(auth->keytab);
	g_free(auth->ccache_name);
	g_free(auth->service_name);
	g_free(auth->service_fqdn);
	g_free(auth);
}

static void
krb5_reason(PegasusAuth *auth, krb5_error_code code, char *buf, size_t len)
{
	const char *m = krb5_get_error_message(auth->kctx, code);

	g_strlcpy(buf, m, len);
	krb5_free_error_message(auth->kctx, m);
}

/* The local user name of a principal, as Pegasus's kinit_context makes it */
static void
set_user(PegasusAuth *auth, krb5_principal princ)
{
	krb5_error_code code;
	char	   *name = NULL;
	int			i;

	if (krb5_unparse_name(auth->kctx, princ, &name) == 0)
	{
		g_strlcpy(auth->principal_name, name, sizeof(auth->principal_name));
		krb5_free_unparsed_name(auth->kctx, name);
	}

	code = krb5_aname_to_localname(auth->kctx, princ, sizeof(auth->user) - 1,
								   auth->user);
	if (code == 0 && auth->user[0] != '\0')
		return;
	auth->user[0] = '\0';
	for (i = 0; i < princ->length; i++)
	{
		if (i > 0)
			g_strlcat(auth->user, "/", sizeof(auth->user));
		if (strlen(auth->user) + princ->data[i].length + 1 < sizeof(auth->user))
			strncat(auth->user, princ->data[i].data, princ->data[i].length);
	}
}

/*
 * kinit -k -t keytab principal, into a new private memory cache.  The KDC
 * job is waited for through the wait hook, at most the negotiation
 * timeout.  false with *kind and msg filled.
 */
static bool
kinit_from_keytab(PegasusClient *client, PegasusErrorKind *kind, char *msg,
				  size_t msglen)
{
	PegasusAuth *auth = client->auth;
	int			timeout_ms = client->opts.negotiation_timeout_ms;
	int64_t		deadline = pegasus_now_us() + (int64_t) timeout_ms * 1000;
	PegasusKdcJob *job;
	krb5_principal princ = NULL;
	krb5_error_code code;
	const char *step = "store the credentials";
	const char *reason = NULL;
	const char *name = NULL;
	char		buf[200];
	int32_t		endtime = 0;
	int			r = 1;

	*kind = PEGASUS_ERR_AUTH;
	if (client->cleaning)
	{
		/* releasing scan contexts waits on nothing but the servers */
		snprintf(msg, msglen, "The client holds no Kerberos credentials.");
		return false;
	}
	job = pegasus_kdc_kinit_start(auth->principal, auth->keytab, msg, msglen);
	if (job == NULL)
		return false;
	while (!pegasus_kdc_job_done(job) &&
		   (r = pegasus_net_wait_fd(client, pegasus_kdc_job_fd(job), deadline)) > 0)
		;
	if (r < 0)
	{
		pegasus_kdc_job_release(job, false);
		*kind = PEGASUS_ERR_INTERRUPTED;
		snprintf(msg, msglen, "The request was interrupted.");
		return false;
	}
	if (!pegasus_kdc_job_done(job))
	{
		pegasus_kdc_job_release(job, false);
		snprintf(msg, msglen,
				 "The Kerberos KDC did not answer within %d ms when asked for initial credentials for principal \"%s\".",
				 timeout_ms, auth->principal);
		return false;
	}
	code = pegasus_kdc_job_result(job, &step, &reason, &name, &endtime);
	if (code == 0)
	{
		/* the job's cache, by its process-wide name */
		step = "store the credentials";
		code = krb5_cc_resolve(auth->kctx, name, &auth->ccache);
		if (code == 0)
			code = krb5_cc_get_principal(auth->kctx, auth->ccache, &princ);
		if (code != 0)
		{
			krb5_reason(auth, code, buf, sizeof(buf));
			reason = buf;
		}
	}
	if (code == 0)
	{
		auth->endtime = endtime;
		set_user(auth, princ);
		krb5_free_principal(auth->kctx, princ);
	}
	else
	{
		snprintf(msg, msglen,
				 "Could not %s for Kerberos principal \"%s\" with keytab \"%s\": %s.",
				 step, auth->principal, auth->keytab, reason);
		if (auth->ccache != NULL)
			krb5_cc_close(auth->kctx, auth->ccache);	/* the job destroys it */
		auth->ccache = NULL;
	}
	pegasus_kdc_job_release(job, code == 0);
	return code == 0;
}

/* A given (or the default) credential cache, used as it is */
static bool
open_ccache(PegasusAuth *auth, char *msg, size_t msglen)
{
	krb5_principal princ = NULL;
	krb5_error_code code;
	char		reason[200];

	if (auth->ccache_name != NULL)
		code = krb5_cc_resolve(auth->kctx, auth->ccache_name, &auth->ccache);
	else
		code = krb5_cc_default(auth->kctx, &auth->ccache);
	if (code == 0)
		code = krb5_cc_get_principal(auth->kctx, auth->ccache, &princ);
	if (code != 0)
	{
		krb5_reason(auth, code, reason, sizeof(reason));
		snprintf(msg, msglen, "Could not use the Kerberos credential cache \"%s\": %s.",
				 auth->ccache_name ? auth->ccache_name : krb5_cc_default_name(auth->kctx),
				 reason);
		if (auth->ccache != NULL)
			krb5_cc_close(auth->kctx, auth->ccache);
		auth->ccache = NULL;
		return false;
	}
	set_user(auth, princ);
	krb5_free_principal(auth->kctx, princ);
	return true;
}

/* The GSSAPI texts of a major and minor status, "major (minor)" */
static void
gss_reason(OM_uint32 major, OM_uint32 minor, char *buf, size_t len)
{
	OM_uint32	min2,
				ctx = 0;
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;

	buf[0] = '\0';
	gss_display_status(&min2, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &text);
	g_strlcat(buf, text.value ? (const char *) text.value : "GSSAPI error", len);
	gss_release_buffer(&min2, &text);
	if (minor != 0)
	{
		ctx = 0;
		gss_display_status(&min2, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &text);
		if (text.value != NULL)
		{
			g_strlcat(buf, " (", len);
			g_strlcat(buf, (const char *) text.value, len);
			g_strlcat(buf, ")", len);
		}
		gss_release_buffer(&min2, &text);
	}
}

/*
 * Makes sure the client has credentials to negotiate with (before a
 * connection is made).  false with msg filled when it cannot get them, and
 * *kind PEGASUS_ERR_AUTH, or PEGASUS_ERR_INTERRUPTED when the wait hook
 * ended the wait for the KDC.
 */
bool
pegasus_auth_prepare(PegasusClient *client, PegasusErrorKind *kind, char *msg,
					 size_t msglen)
{
	PegasusAuth *auth = client->auth;
	krb5_error_code code;
	OM_uint32	major,
				minor;

	*kind = PEGASUS_ERR_AUTH;
	if (auth->kctx == NULL)
	{
		code = krb5_init_context(&auth->kctx);
		if (code != 0)
		{
			snprintf(msg, msglen, "Could not initialise Kerberos: %s.",
					 error_message(code));
			auth->kctx = NULL;
			return false;
		}
	}
	if (auth->creds != NULL && auth->keytab != NULL && !client->cleaning &&
		(krb5_timestamp) time(NULL) + PEGASUS_AUTH_RENEW_MARGIN_S >= auth->endtime)
	{
		krb5_timestamp now = (krb5_timestamp) time(NULL);

		if (now + PEGASUS_AUTH_MIN_LEFT_S < auth->endtime)
		{
			/*
			 * Renew while the old ones still serve: if the KDC cannot be
			 * had now (down, not answering), new connections go on with
			 * them until they end, as a backend's tickets would.
			 */
			if (now < auth->renew_after)
				return true;
			if (!kinit_from_keytab(client, kind, msg, msglen))
			{
				if (*kind == PEGASUS_ERR_INTERRUPTED)
					return false;
				*kind = PEGASUS_ERR_AUTH;
				auth->renew_after = now + PEGASUS_AUTH_RENEW_RETRY_S;
				return true;
			}
			auth->renew_after = 0;
		}
		/* negotiations in progress keep the old ones meanwhile */
		creds_unref(auth->creds);
		auth->creds = NULL;
	}
	if (auth->creds != NULL)
		return true;

	if (auth->keytab != NULL && auth->principal == NULL)
	{
		snprintf(msg, msglen, "A Kerberos keytab needs a principal to log in as.");
		return false;
	}
	if (auth->ccache == NULL &&
		(auth->keytab != NULL ? !kinit_from_keytab(client, kind, msg, msglen) :
		 !open_ccache(auth, msg, msglen)))
		return false;

	major = gss_krb5_import_cred(&minor, auth->ccache, NULL, NULL, &auth->gss_cred);
	if (GSS_ERROR(major))
	{
		char		reason[200];

		gss_reason(major, minor, reason, sizeof(reason));
		snprintf(msg, msglen, "Could not use the Kerberos credentials of \"%s\": %s.",
				 auth->principal_name, reason);
		auth_release_creds(auth);
		return false;
	}
	auth->creds = g_new0(PegasusCreds, 1);
	auth->creds->kctx = auth->kctx;
	auth->creds->ccache = auth->ccache;
	auth->creds->gss_cred = auth->gss_cred;
	auth->creds->private_cache = auth->keytab != NULL;
	auth->creds->refs = 1;
	auth->ccache = NULL;
	auth->gss_cred = GSS_C_NO_CREDENTIAL;
	if (!sasl_client_ready)
	{
		int			rc = sasl_client_init(NULL);

		if (rc != SASL_OK)
		{
			snprintf(msg, msglen, "Could not initialise SASL: %s.",
					 sasl_errstring(rc, NULL, NULL));
			return false;
		}
		sasl_client_ready = true;
	}
	return true;
}

/* ----------------------------------------------------------------------
 * Negotiation
 * ---------------------------------------------------------------------- */

static void
set_request(PegasusRequest *req, PegasusNegotiationStatus status,
			const void *data, size_t len, PegasusAuthSession *nego)
{
	g_free(nego->out);
	nego->out = len > 0 ? g_memdup2(data, len) : NULL;
	memset(req, 0, sizeof(*req));
	req->rpc = PEGASUS_RPC_NEGOTIATION;
	req->u.negotiation.status = status;
	req->u.negotiation.msg.data = nego->out;
	req->u.negotiation.msg.len = len;
	nego->sent = status;
}

/* Starts a negotiation; *first is the request to send. */
PegasusAuthSession *
pegasus_negotiation_new(PegasusClient *client, const char *endpoint,
						PegasusRequest *first)
{
	PegasusAuthSession *nego = g_new0(PegasusAuthSession, 1);
	PegasusAuth *auth = client->auth;
	const char *colon = strrchr(endpoint, ':');

	nego->client = client;
	nego->auth = auth;
	g_strlcpy(nego->endpoint, endpoint, sizeof(nego->endpoint));
	if (auth->service_fqdn != NULL)
		g_strlcpy(nego->host, auth->service_fqdn, sizeof(nego->host));
	else
		g_strlcpy(nego->host, endpoint, colon ? (size_t) (colon - endpoint) + 1 :
				  sizeof(nego->host));
	set_request(first, PEGASUS_NS_SASL_LIST_MECHANISMS, NULL, 0, nego);
	return nego;
}

void
pegasus_negotiation_free(PegasusAuthSession *nego)
{
	if (nego == NULL)
		return;
	pegasus_kdc_job_release(nego->job, false);
	if (nego->sasl != NULL)
		sasl_dispose(&nego->sasl);
	pegasus_kdc_job_release(nego->sasl_job, false);
	creds_unref(nego->creds);
	g_free(nego->out);
	g_free(nego);
}

static bool
offers_gssapi(PegasusBlob list)
{
	char	   *s = g_strndup((const char *) list.data, list.len);
	char	  **mechs = g_strsplit(s, ",", -1);
	bool		found = false;
	int			i;

	for (i = 0; mechs[i] != NULL; i++)
		if (strcmp(g_strstrip(mechs[i]), "GSSAPI") == 0)
			found = true;
	g_strfreev(mechs);
	g_free(s);
	return found;
}

static PegasusNegotiationResult
sasl_failed(PegasusAuthSession *nego, const char *what, int rc, char *msg,
			size_t msglen)
{
	snprintf(msg, msglen, "Kerberos authentication to %s failed in %s: %s.",
			 nego->endpoint, what,
			 nego->sasl ? sasl_errdetail(nego->sasl) : sasl_errstring(rc, NULL, NULL));
	return PEGASUS_NEGOTIATION_FAILED;
}

/* SELECT_MECHANISMS_RESP: a SASL client for service@host, first token */
static PegasusNegotiationResult
start_sasl(PegasusAuthSession *nego, PegasusRequest *next, char *msg, size_t msglen)
{
	PegasusAuth *auth = nego->auth;
	const char *out = NULL;
	unsigned	outlen = 0;
	const char *mech = NULL;
	int			rc;

	if (nego->sasl == NULL)
	{
		const char *reason = NULL;

		/*
		 * sasl_client_new looks up the local host name, blocking: on a
		 * thread, waited for like the KDC (WAIT, then resume comes here).
		 */
		if (nego->sasl_job == NULL)
		{
			nego->sasl_job = pegasus_kdc_sasl_client_start(auth->service_name, nego->host,
														   auth->user, msg, msglen);
			if (nego->sasl_job == NULL)
				return PEGASUS_NEGOTIATION_FAILED;
		}
		if (!pegasus_kdc_job_done(nego->sasl_job))
			return PEGASUS_NEGOTIATION_WAIT;
		nego->sasl = pegasus_kdc_job_take_sasl(nego->sasl_job, &reason);
		if (nego->sasl == NULL)
		{
			snprintf(msg, msglen, "Kerberos authentication to %s failed in sasl_client_new: %s.",
					 nego->endpoint, reason);
			return PEGASUS_NEGOTIATION_FAILED;
		}
	}
	rc = sasl_setprop(nego->sasl, SASL_GSS_CREDS, nego->creds->gss_cred);
	if (rc != SASL_OK)
		return sasl_failed(nego, "setting the credentials", rc, msg, msglen);
	rc = sasl_client_start(nego->sasl, "GSSAPI", NULL, &out, &outlen, &mech);
	if (rc != SASL_OK && rc != SASL_CONTINUE)
		return sasl_failed(nego, "the first step", rc, msg, msglen);
	set_request(next, PEGASUS_NS_SASL_INITIATE, out, outlen, nego);
	return PEGASUS_NEGOTIATION_SEND;
}

/*
 * Whether the negotiation's cache holds a ticket for the service that
 * lasts past the renewal margin.  Only the cache is read.
 */
static bool
ticket_cached(PegasusAuthSession *nego, int margin_s)
{
	PegasusAuth *auth = nego->auth;
	krb5_context ctx = auth->kctx;
	krb5_ccache cc = nego->creds->ccache;
	krb5_creds	in;
	krb5_creds *out = NULL;
	krb5_timestamp now;
	bool		found = false;

	memset(&in, 0, sizeof(in));
	if (krb5_timeofday(ctx, &now) == 0 &&
		krb5_cc_get_principal(ctx, cc, &in.client) == 0 &&
		krb5_sname_to_principal(ctx, nego->host, auth->service_name,
								KRB5_NT_SRV_HST, &in.server) == 0)
	{
		/* matches only a ticket that ends at this time or later */
		in.times.endtime = now + margin_s;
		found = krb5_get_credentials(ctx, KRB5_GC_CACHED, cc, &in, &out) == 0;
	}
	if (out != NULL)
		krb5_free_creds(ctx, out);
	if (in.server != NULL)
		krb5_free_principal(ctx, in.server);
	if (in.client != NULL)
		krb5_free_principal(ctx, in.client);
	return found;
}

/*
 * SELECT_MECHANISMS_RESP: the service ticket, then the SASL client.  Inside
 * sasl_client_start, gss_init_sec_context would ask the KDC for a ticket
 * the cache lacks, blocking; so a missing one is obtained first, on a KDC
 * job the connection waits for (WAIT, then pegasus_negotiation_resume).
 */
static PegasusNegotiationResult
prepare_sasl(PegasusAuthSession *nego, PegasusRequest *next, char *msg,
			 size_t msglen)
{
	PegasusAuth *auth = nego->auth;
	char	   *name = NULL;
	krb5_error_code code;

	if (nego->creds == NULL)
	{
		/* NULL after a renewal that failed for another connection */
		if (auth->creds == NULL)
		{
			snprintf(msg, msglen, "The client holds no Kerberos credentials.");
			return PEGASUS_NEGOTIATION_FAILED;
		}
		nego->creds = auth->creds;
		nego->creds->refs++;
	}
	if (ticket_cached(nego, PEGASUS_AUTH_RENEW_MARGIN_S))
		return start_sasl(nego, next, msg, msglen);
	if (!nego->client->cleaning && ticket_cached(nego, PEGASUS_AUTH_MIN_LEFT_S))
	{
		/*
		 * Near its end but still good: used now, and a new one asked for
		 * in the background (its thread stores it into the cache), so that
		 * a KDC that does not answer delays no connection while tickets
		 * last.  One such job at a time.
		 */
		if (auth->refresh != NULL && pegasus_kdc_job_done(auth->refresh))
		{
			pegasus_kdc_job_release(auth->refresh, true);
			auth->refresh = NULL;
		}
		if (auth->refresh == NULL &&
			krb5_cc_get_full_name(auth->kctx, nego->creds->ccache, &name) == 0)
		{
			char		ignored[PEGASUS_ERROR_MESSAGE_SIZE];

			auth->refresh = pegasus_kdc_ticket_start(name, auth->service_name, nego->host,
													 ignored, sizeof(ignored));
			krb5_free_string(auth->kctx, name);
			name = NULL;
		}
		return start_sasl(nego, next, msg, msglen);
	}
	if (nego->client->cleaning)
	{
		snprintf(msg, msglen, "The client holds no Kerberos ticket for \"%s/%s\".",
				 auth->service_name, nego->host);
		return PEGASUS_NEGOTIATION_FAILED;
	}
	code = krb5_cc_get_full_name(auth->kctx, nego->creds->ccache, &name);
	if (code != 0)
	{
		char		reason[200];

		krb5_reason(auth, code, reason, sizeof(reason));
		snprintf(msg, msglen, "Could not use the Kerberos credentials of \"%s\": %s.",
				 auth->principal_name, reason);
		return PEGASUS_NEGOTIATION_FAILED;
	}
	nego->job = pegasus_kdc_ticket_start(name, auth->service_name, nego->host,
										 msg, msglen);
	krb5_free_string(auth->kctx, name);
	return nego->job ? PEGASUS_NEGOTIATION_WAIT : PEGASUS_NEGOTIATION_FAILED;
}

/* WAIT: readable once pegasus_negotiation_resume may go on */
int
pegasus_negotiation_wait_fd(const PegasusAuthSession *nego)
{
	if (nego->job)
		return pegasus_kdc_job_fd(nego->job);
	return nego->sasl_job && nego->sasl == NULL ? pegasus_kdc_job_fd(nego->sasl_job) : -1;
}

/* What a negotiation in WAIT waits for, for a message */
const char *
pegasus_negotiation_waiting_for(const PegasusAuthSession *nego)
{
	if (nego->job)
		return "the Kerberos KDC did not answer a request for a service ticket";
	return "the local host name did not resolve (SASL looks it up for every connection)";
}

/*
 * Goes on after WAIT: WAIT again while the service ticket is still being
 * obtained, else as pegasus_negotiation_step (SEND the first SASL token,
 * or FAILED with the Kerberos reason).
 */
PegasusNegotiationResult
pegasus_negotiation_resume(PegasusAuthSession *nego, PegasusRequest *next,
						   char *msg, size_t msglen)
{
	const char *step;
	const char *reason;
	krb5_error_code code;

	if (nego->job == NULL)
		return start_sasl(nego, next, msg, msglen);
	if (!pegasus_kdc_job_done(nego->job))
		return PEGASUS_NEGOTIATION_WAIT;
	code = pegasus_kdc_job_result(nego->job, &step, &reason, NULL, NULL);
	if (code != 0)
		snprintf(msg, msglen,
				 "Kerberos authentication to %s failed: could not %s for \"%s/%s\": %s.",
				 nego->endpoint, step, nego->auth->service_name, nego->host, reason);
	pegasus_kdc_job_release(nego->job, code == 0);
	nego->job = NULL;
	if (code != 0)
		return PEGASUS_NEGOTIATION_FAILED;
	return start_sasl(nego, next, msg, msglen);
}

/*
 * Processes the server's answer to the request in flight: fills *next and
 * returns SEND, or DONE, or FAILED with msg filled, or WAIT (see
 * pegasus_negotiation_resume).
 */
PegasusNegotiationResult
pegasus_negotiation_step(PegasusAuthSession *nego, const PegasusResponse *resp,
						 PegasusRequest *next, char *msg, size_t msglen)
{
	PegasusNegotiationStatus st;
	const char *out = NULL;
	unsigned	outlen = 0;
	int			rc;

	if (resp->frame_error == PEGASUS_EC_HANDLER_NOT_FOUND)
		return PEGASUS_NEGOTIATION_DONE;	/* too old to negotiate */
	if (resp->frame_error != PEGASUS_EC_OK || !resp->has_body)
	{
		snprintf(msg, msglen, "Pegasus server %s answered the negotiation with %s.",
				 nego->endpoint, resp->frame_error != PEGASUS_EC_OK ?
				 pegasus_codec_error_name(resp->frame_error) : "an empty reply");
		return PEGASUS_NEGOTIATION_FAILED;
	}
	st = resp->u.negotiation.status;
	if (st == PEGASUS_NS_SASL_AUTH_DISABLE)
		return PEGASUS_NEGOTIATION_DONE;	/* the server has no enable_auth */

	switch (nego->sent)
	{
		case PEGASUS_NS_SASL_LIST_MECHANISMS:
			if (st != PEGASUS_NS_SASL_LIST_MECHANISMS_RESP)
				break;
			if (!offers_gssapi(resp->u.negotiation.msg))
			{
				snprintf(msg, msglen, "Pegasus server %s offers no GSSAPI mechanism (it offers \"%.*s\").",
						 nego->endpoint, (int) MIN(resp->u.negotiation.msg.len, 64),
						 (const char *) resp->u.negotiation.msg.data);
				return PEGASUS_NEGOTIATION_FAILED;
			}
			set_request(next, PEGASUS_NS_SASL_SELECT_MECHANISMS, "GSSAPI", 6, nego);
			return PEGASUS_NEGOTIATION_SEND;
		case PEGASUS_NS_SASL_SELECT_MECHANISMS:
			if (st != PEGASUS_NS_SASL_SELECT_MECHANISMS_RESP)
				break;
			return prepare_sasl(nego, next, msg, msglen);
		case PEGASUS_NS_SASL_INITIATE:
		case PEGASUS_NS_SASL_CHALLENGE_RESP:
			if (st == PEGASUS_NS_SASL_SUCC)
				return PEGASUS_NEGOTIATION_DONE;
			if (st != PEGASUS_NS_SASL_CHALLENGE)
				break;
			rc = sasl_client_step(nego->sasl,
								  (const char *) resp->u.negotiation.msg.data,
								  (unsigned) resp->u.negotiation.msg.len, NULL,
								  &out, &outlen);
			if (rc != SASL_OK && rc != SASL_CONTINUE)
				return sasl_failed(nego, "a challenge", rc, msg, msglen);
			set_request(next, PEGASUS_NS_SASL_CHALLENGE_RESP, out, outlen, nego);
			return PEGASUS_NEGOTIATION_SEND;
		default:
			break;
	}
	snprintf(msg, msglen, "Pegasus server %s answered negotiation step %d with status %d.",
			 nego->endpoint, (int) nego->sent, (int) st);
	return PEGASUS_NEGOTIATION_FAILED;
}

bool
pegasus_client_export_credentials(PegasusClient *client, const char *ccache_name,
								  PegasusError *err)
{
	PegasusAuth *auth = client ? client->auth : NULL;
	krb5_principal princ = NULL;
	krb5_ccache dst = NULL;
	krb5_error_code code;
	char		reason[200];

	pegasus_error_clear(err);
	if (auth == NULL || auth->creds == NULL)
	{
		pegasus_error_set(err, PEGASUS_ERR_AUTH, "negotiation",
						  "The client holds no Kerberos credentials.");
		return false;
	}
	code = krb5_cc_get_principal(auth->kctx, auth->creds->ccache, &princ);
	if (code == 0)
		code = krb5_cc_resolve(auth->kctx, ccache_name, &dst);
	if (code == 0)
		code = krb5_cc_initialize(auth->kctx, dst, princ);
	if (code == 0)
		code = krb5_cc_copy_creds(auth->kctx, auth->creds->ccache, dst);
	if (code != 0)
	{
		krb5_reason(auth, code, reason, sizeof(reason));
		pegasus_error_set(err, PEGASUS_ERR_AUTH, "negotiation",
						  "Could not copy the Kerberos credentials into \"%s\": %s.",
						  ccache_name, reason);
	}
	if (dst != NULL)
		krb5_cc_close(auth->kctx, dst);
	if (princ != NULL)
		krb5_free_principal(auth->kctx, princ);
	return code == 0;
}

const char *
pegasus_client_kerberos_principal(const PegasusClient *client)
{
	if (client == NULL || client->auth == NULL ||
		client->auth->principal_name[0] == '\0')
		return NULL;
	return client->auth->principal_name;
}
