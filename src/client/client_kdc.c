/*-------------------------------------------------------------------------
 *
 * client_kdc.c
 *		Exchanges with a Kerberos KDC run on a thread of their own, so that
 *		the caller waits for them through the wait hook (a cancel can end
 *		the wait) instead of inside libkrb5.
 *
 * A job is one KDC exchange: initial credentials from a keytab into a new
 * MEMORY credential cache (MIT's MEMORY caches are process-wide by name,
 * so the caller resolves the cache the job names in its own context), or a
 * service ticket stored into an existing cache.  The job has a krb5_context
 * of its own (a context must never be used by two threads at once, and an
 * abandoned job may still run while the client goes on).
 *
 * A third kind makes a Cyrus SASL client connection (sasl_client_new):
 * the library looks the local host name up with getaddrinfo for every
 * connection, which waits for DNS when the name is not in /etc/hosts (5 s
 * per resolver attempt where no DNS answers).  Its callbacks live in the
 * job, so the caller keeps the job as long as the SASL connection.
 *
 * The job is shared by the thread and the caller and counted: whichever
 * lets go of it last frees it, with its krb5 objects; a cache that a kinit
 * made and the caller did not take is destroyed then.  The thread writes a
 * byte into a pipe when the job is done; the caller waits on its read end.
 * The thread runs with every signal blocked, so that an embedder's signal
 * handlers (a PostgreSQL backend's) never run on it.
 *
 * src/client/client_kdc.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <krb5.h>
#include <sasl/sasl.h>

#include "client_internal.h"

typedef enum KdcJobKind
{
	KDC_KINIT,					/* initial credentials from a keytab */
	KDC_TICKET,					/* a service ticket into a cache */
	KDC_SASL_CLIENT				/* a SASL client connection */
} KdcJobKind;

struct PegasusKdcJob
{
	GMutex		lock;
	int			refs;			/* the thread's and the caller's */
	bool		done;			/* the outcome below is final */
	bool		taken;			/* the caller keeps the new cache */
	int			pipefd[2];		/* [1] is written once, when done */
	KdcJobKind	kind;
	krb5_context ctx;			/* the job's own */
	krb5_ccache cc;				/* kinit: the new cache; ticket: the cache */
	char	   *principal;		/* kinit */
	char	   *keytab;			/* kinit */
	char	   *service;		/* ticket */
	char	   *host;			/* ticket, SASL: the server's host */
	char	   *user;			/* SASL: what the user callbacks answer */
	sasl_callback_t callbacks[3];	/* SASL: the connection's, kept */
	sasl_conn_t *sasl;			/* SASL: made by the thread */

	/* the outcome, set by the thread before done */
	krb5_error_code code;
	const char *step;			/* what failed, for the message */
	char		reason[256];
	char	   *cc_name;		/* kinit: full name of the new cache */
	int32_t		endtime;		/* kinit: when the credentials expire */
};

/* Threads of jobs that have not returned yet (an abandoned one may block on a KDC) */
static atomic_int threads_running;
static pthread_once_t exit_hook_once = PTHREAD_ONCE_INIT;

/*
 * exit() runs the destructors of libkrb5 and the GSSAPI mechanism, which
 * destroy the libraries' mutexes; a job thread still inside them (waiting on a
 * KDC that stopped answering) then fails to lock one, and MIT Kerberos
 * aborts the process.  A process that exits while such a thread runs leaves
 * without running the destructors: it keeps the status it exits with, and
 * everything its embedder cleans up before exit() (a PostgreSQL backend's
 * exit callbacks) has run by then.
 */
static void
exit_while_jobs_run(int status, void *arg)
{
	(void) arg;
	if (atomic_load(&threads_running) > 0)
		_exit(status);
}

static void
install_exit_hook(void)
{
	on_exit(exit_while_jobs_run, NULL);
}

static void
job_free(PegasusKdcJob *job)
{
	if (job->cc != NULL)
	{
		/* a kinit's cache the caller did not take goes away */
		if (job->kind == KDC_KINIT && !job->taken)
			krb5_cc_destroy(job->ctx, job->cc);
		else
			krb5_cc_close(job->ctx, job->cc);
	}
	if (job->sasl != NULL)
		sasl_dispose(&job->sasl);	/* not taken by the caller */
	if (job->cc_name != NULL)
		krb5_free_string(job->ctx, job->cc_name);
	if (job->ctx != NULL)
		krb5_free_context(job->ctx);
	if (job->pipefd[0] >= 0)
		close(job->pipefd[0]);
	if (job->pipefd[1] >= 0)
		close(job->pipefd[1]);
	g_free(job->principal);
	g_free(job->keytab);
	g_free(job->service);
	g_free(job->host);
	g_free(job->user);
	g_mutex_clear(&job->lock);
	g_free(job);
}

static void
job_unref(PegasusKdcJob *job)
{
	bool		last;

	g_mutex_lock(&job->lock);
	last = --job->refs == 0;
	g_mutex_unlock(&job->lock);
	if (last)
		job_free(job);
}

static void
job_reason(PegasusKdcJob *job, krb5_error_code code)
{
	const char *m = krb5_get_error_message(job->ctx, code);

	g_strlcpy(job->reason, m, sizeof(job->reason));
	krb5_free_error_message(job->ctx, m);
}

/* kinit -k -t keytab principal, into a new MEMORY cache */
static krb5_error_code
run_kinit(PegasusKdcJob *job)
{
	krb5_context ctx = job->ctx;
	krb5_principal princ = NULL;
	krb5_keytab kt = NULL;
	krb5_creds creds;
	krb5_get_init_creds_opt *opt = NULL;
	krb5_error_code code;

	memset(&creds, 0, sizeof(creds));
	job->step = "parse the principal";
	code = krb5_parse_name(ctx, job->principal, &princ);
	if (code == 0)
	{
		job->step = "open the keytab";
		code = krb5_kt_resolve(ctx, job->keytab, &kt);
	}
	if (code == 0)
		code = krb5_get_init_creds_opt_alloc(ctx, &opt);
	if (code == 0)
	{
		job->step = "obtain initial credentials";
		code = krb5_get_init_creds_keytab(ctx, &creds, princ, kt, 0, NULL, opt);
	}
	if (code == 0)
	{
		job->step = "store the credentials";
		code = krb5_cc_new_unique(ctx, "MEMORY", NULL, &job->cc);
	}
	if (code == 0)
		code = krb5_cc_initialize(ctx, job->cc, princ);
	if (code == 0)
		code = krb5_cc_store_cred(ctx, job->cc, &creds);
	if (code == 0)
		code = krb5_cc_get_full_name(ctx, job->cc, &job->cc_name);
	if (code == 0)
		job->endtime = creds.times.endtime;
	else if (job->cc != NULL)
	{
		krb5_cc_destroy(ctx, job->cc);
		job->cc = NULL;
	}
	if (creds.client != NULL)
		krb5_free_cred_contents(ctx, &creds);
	if (opt != NULL)
		krb5_get_init_creds_opt_free(ctx, opt);
	if (kt != NULL)
		krb5_kt_close(ctx, kt);
	if (princ != NULL)
		krb5_free_principal(ctx, princ);
	return code;
}

/*
 * The ticket for service/host, named as GSSAPI names a host-based service,
 * obtained as gss_init_sec_context would and stored in the cache, where
 * the GSSAPI mechanism then finds it.
 */
static krb5_error_code
run_ticket(PegasusKdcJob *job)
{
	krb5_context ctx = job->ctx;
	krb5_creds in;
	krb5_creds *out = NULL;
	krb5_error_code code;

	memset(&in, 0, sizeof(in));
	job->step = "read the credential cache";
	code = krb5_cc_get_principal(ctx, job->cc, &in.client);
	if (code == 0)
	{
		job->step = "name the service";
		code = krb5_sname_to_principal(ctx, job->host, job->service,
									   KRB5_NT_SRV_HST, &in.server);
	}
	if (code == 0)
	{
		job->step = "get a service ticket";
		code = krb5_get_credentials(ctx, 0, job->cc, &in, &out);
	}
	if (out != NULL)
		krb5_free_creds(ctx, out);
	if (in.server != NULL)
		krb5_free_principal(ctx, in.server);
	if (in.client != NULL)
		krb5_free_principal(ctx, in.client);
	return code;
}

/* SASL_CB_USER / SASL_CB_AUTHNAME: the principal's user name */
static int
sasl_user(void *context, int id, const char **result, unsigned *len)
{
	PegasusKdcJob *job = context;

	if (result == NULL)
		return SASL_BADPARAM;
	*result = job->user;
	if (len != NULL)
		*len = (unsigned) strlen(job->user);
	return SASL_OK;
}

/* sasl_client_new for service@host; the SASL result code */
static int
run_sasl_client(PegasusKdcJob *job)
{
	int			rc;

	job->step = "sasl_client_new";
	rc = sasl_client_new(job->service, job->host, NULL, NULL, job->callbacks, 0,
						 &job->sasl);
	if (rc != SASL_OK)
	{
		job->sasl = NULL;
		g_strlcpy(job->reason, sasl_errstring(rc, NULL, NULL), sizeof(job->reason));
	}
	return rc;
}

static gpointer
kdc_thread(gpointer data)
{
	PegasusKdcJob *job = data;
	krb5_error_code code;
	ssize_t		w;

	if (job->kind == KDC_SASL_CLIENT)
		code = run_sasl_client(job);
	else
	{
		code = job->kind == KDC_KINIT ? run_kinit(job) : run_ticket(job);
		if (code != 0)
			job_reason(job, code);
	}
	g_mutex_lock(&job->lock);
	job->code = code;
	job->done = true;
	g_mutex_unlock(&job->lock);
	do
		w = write(job->pipefd[1], "", 1);
	while (w < 0 && errno == EINTR);
	job_unref(job);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

/* A job with its context and pipe, not started; NULL with msg filled. */
static PegasusKdcJob *
job_new(KdcJobKind kind, char *msg, size_t msglen)
{
	PegasusKdcJob *job = g_new0(PegasusKdcJob, 1);
	krb5_error_code code;

	g_mutex_init(&job->lock);
	job->kind = kind;
	job->refs = 1;
	job->pipefd[0] = job->pipefd[1] = -1;
	code = krb5_init_context(&job->ctx);
	if (code != 0)
	{
		snprintf(msg, msglen, "Could not initialise Kerberos: %s.",
				 error_message(code));
		job->ctx = NULL;
		job_free(job);
		return NULL;
	}
	if (pipe2(job->pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
	{
		snprintf(msg, msglen, "Could not create a pipe for the Kerberos KDC: %s.",
				 g_strerror(errno));
		job->pipefd[0] = job->pipefd[1] = -1;
		job_free(job);
		return NULL;
	}
	return job;
}

/* Starts the job's thread, every signal blocked; NULL with msg filled. */
static PegasusKdcJob *
job_start(PegasusKdcJob *job, char *msg, size_t msglen)
{
	sigset_t	all,
				old;
	GThread    *thread;
	GError	   *gerr = NULL;

	pthread_once(&exit_hook_once, install_exit_hook);
	job->refs = 2;
	atomic_fetch_add(&threads_running, 1);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* named apart: a cached ticket needs no KDC exchange, only the SASL one */
	thread = g_thread_try_new(job->kind == KDC_SASL_CLIENT ? "pegasus-sasl" : "pegasus-kdc",
							  kdc_thread, job, &gerr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (thread == NULL)
	{
		atomic_fetch_sub(&threads_running, 1);
		snprintf(msg, msglen, "Could not start a thread for the Kerberos KDC: %s.",
				 gerr ? gerr->message : "unknown error");
		g_clear_error(&gerr);
		job_free(job);
		return NULL;
	}
	g_thread_unref(thread);		/* it ends by itself */
	return job;
}

PegasusKdcJob *
pegasus_kdc_kinit_start(const char *principal, const char *keytab,
						char *msg, size_t msglen)
{
	PegasusKdcJob *job = job_new(KDC_KINIT, msg, msglen);

	if (job == NULL)
		return NULL;
	job->principal = g_strdup(principal);
	job->keytab = g_strdup(keytab);
	return job_start(job, msg, msglen);
}

PegasusKdcJob *
pegasus_kdc_ticket_start(const char *ccache_name, const char *service,
						 const char *host, char *msg, size_t msglen)
{
	PegasusKdcJob *job = job_new(KDC_TICKET, msg, msglen);
	krb5_error_code code;

	if (job == NULL)
		return NULL;
	/*
	 * Resolved here, while the caller holds the credentials: resolving a
	 * MEMORY cache that has meanwhile been destroyed would make a new one.
	 */
	code = krb5_cc_resolve(job->ctx, ccache_name, &job->cc);
	if (code != 0)
	{
		job_reason(job, code);
		snprintf(msg, msglen, "Could not use the Kerberos credential cache \"%s\": %s.",
				 ccache_name, job->reason);
		job->cc = NULL;
		job_free(job);
		return NULL;
	}
	job->service = g_strdup(service);
	job->host = g_strdup(host);
	return job_start(job, msg, msglen);
}

PegasusKdcJob *
pegasus_kdc_sasl_client_start(const char *service, const char *host,
							  const char *user, char *msg, size_t msglen)
{
	PegasusKdcJob *job = job_new(KDC_SASL_CLIENT, msg, msglen);

	if (job == NULL)
		return NULL;
	job->service = g_strdup(service);
	job->host = g_strdup(host);
	job->user = g_strdup(user);
	job->callbacks[0].id = SASL_CB_USER;
	job->callbacks[0].proc = (int (*) (void)) (void (*) (void)) sasl_user;
	job->callbacks[0].context = job;
	job->callbacks[1].id = SASL_CB_AUTHNAME;
	job->callbacks[1].proc = (int (*) (void)) (void (*) (void)) sasl_user;
	job->callbacks[1].context = job;
	job->callbacks[2].id = SASL_CB_LIST_END;
	return job_start(job, msg, msglen);
}

/*
 * The SASL connection a done job made (NULL if it failed: *reason says
 * why); the caller owns it from now on and disposes of it before it
 * releases the job, whose callbacks it uses.
 */
sasl_conn_t *
pegasus_kdc_job_take_sasl(PegasusKdcJob *job, const char **reason)
{
	sasl_conn_t *conn;

	g_assert(pegasus_kdc_job_done(job));
	conn = job->sasl;
	job->sasl = NULL;
	if (reason)
		*reason = job->reason;
	return conn;
}

int
pegasus_kdc_job_fd(const PegasusKdcJob *job)
{
	return job->pipefd[0];
}

bool
pegasus_kdc_job_done(PegasusKdcJob *job)
{
	bool		done;

	g_mutex_lock(&job->lock);
	done = job->done;
	g_mutex_unlock(&job->lock);
	return done;
}

/*
 * The outcome of a job that is done: 0, or a Kerberos error code with
 * *step (what failed) and *reason.  A kinit also gives the full name of its
 * cache and when the credentials expire.
 */
int32_t
pegasus_kdc_job_result(PegasusKdcJob *job, const char **step,
					   const char **reason, const char **ccache_name,
					   int32_t *endtime)
{
	g_assert(pegasus_kdc_job_done(job));
	if (step)
		*step = job->step;
	if (reason)
		*reason = job->reason;
	if (ccache_name)
		*ccache_name = job->cc_name;
	if (endtime)
		*endtime = job->endtime;
	return job->code;
}

/*
 * The caller lets go of the job: done with its result (keep: the caller
 * resolved the kinit's cache and keeps it), or abandoning it, done or not.
 * An abandoned job's thread finishes on its own and frees it.
 */
void
pegasus_kdc_job_release(PegasusKdcJob *job, bool keep)
{
	if (job == NULL)
		return;
	g_mutex_lock(&job->lock);
	job->taken = keep && job->done && job->code == 0;
	g_mutex_unlock(&job->lock);
	job_unref(job);
}
