/*-------------------------------------------------------------------------
 *
 * session.c
 *		Soak driver, the sessions' ground: time and random numbers, strings,
 *		reports of failures, the onebox control port, the expected state of
 *		keys, sessions and their statements.
 *
 * test/soak/session.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include "soak.h"

/* ------------------------------------------------------------------ */
/* time, random numbers, small helpers */

long long t0_ms;
atomic_bool stop_workload;
atomic_bool stop_faults;
atomic_bool settle_phase;

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
elapsed_s(void)
{
	return (now_ms() - t0_ms) / 1000.0;
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n);

	if (p == NULL)
	{
		fprintf(stderr, "soak: out of memory\n");
		exit(2);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : strcpy(xmalloc(strlen(s) + 1), s);
}

void
buf_add(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		b->cap = (b->len + n + 1) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			exit(2);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void
buf_printf(Buf *b, const char *fmt,...)
{
	char		tmp[4096];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= (int) sizeof(tmp))
		n = sizeof(tmp) - 1;
	buf_add(b, tmp, n);
}

void
buf_puts(Buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_reset(Buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

/* a JSON string literal */
void
buf_json(Buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; s && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_add(b, (const char *) &c, 1);
	}
	buf_puts(b, "\"");
}

/* an element of a PostgreSQL array literal */
void
buf_arr_elem(Buf *b, const char *s, bool first)
{
	if (!first)
		buf_puts(b, ",");
	buf_puts(b, "\"");
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_add(b, s, 1);
	}
	buf_puts(b, "\"");
}

/* a short printable form of a value for reports */
const char *
show(const char *v, char *out, size_t outsz)
{
	size_t		n;

	if (v == NULL)
		return "<absent>";
	n = strlen(v);
	if (n + 3 < outsz)
		snprintf(out, outsz, "'%s'", v);
	else
		snprintf(out, outsz, "'%.*s...'(%zu bytes)", (int) outsz - 24, v, n);
	return out;
}

/* ------------------------------------------------------------------ */
/* reports: failures of invariants, errors by SQLSTATE */

static const char *const inv_names[NINV_COUNTED] = {
	"lost", "phantom", "value", "read", "incr", "scan", "sqlstate", "xx000",
	"bad_input", "stuck", "shadow", "count"
};
atomic_long inv_fail[NINV_COUNTED];
pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;
FILE *failures_log;
FILE *errors_log;
static int	failures_printed;

void
failure(int inv, const char *fmt,...)
{
	char		msg[8192];
	char		act[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	active_faults(act, sizeof(act));
	atomic_fetch_add(&inv_fail[inv], 1);
	pthread_mutex_lock(&report_mu);
	if (failures_log)
	{
		fprintf(failures_log, "[%.3fs] %s: %s\n    faults active: %s\n", elapsed_s(),
				inv_names[inv], msg, act[0] ? act : "none");
		fflush(failures_log);
	}
	if (failures_printed++ < 40)
		fprintf(stderr, "soak: FAILURE [%.1fs] %s: %s (faults active: %s)\n", elapsed_s(),
				inv_names[inv], msg, act[0] ? act : "none");
	pthread_mutex_unlock(&report_mu);
}

StateCount states[MAXSTATES];
int	n_states;

void
count_state(const char *code, const char *example)
{
	int			i;

	pthread_mutex_lock(&report_mu);
	for (i = 0; i < n_states; i++)
		if (strcmp(states[i].code, code) == 0)
			break;
	if (i == n_states && n_states < MAXSTATES)
	{
		snprintf(states[i].code, sizeof(states[i].code), "%s", code);
		snprintf(states[i].example, sizeof(states[i].example), "%s", example);
		n_states++;
	}
	if (i < n_states)
		states[i].count++;
	pthread_mutex_unlock(&report_mu);
}

/* ------------------------------------------------------------------ */
/* success buckets (10 ms) for the recovery figures */

atomic_int *succ_buckets;
long n_buckets;

void
note_success(void)
{
	long		b = (now_ms() - t0_ms) / 10;

	if (b >= 0 && b < n_buckets)
		atomic_fetch_add(&succ_buckets[b], 1);
}

/* ------------------------------------------------------------------ */
/* the onebox control port */

static pthread_mutex_t control_mu = PTHREAD_MUTEX_INITIALIZER;

/* Sends one command; the reply (first line, or all lines up to END) goes to out. */
bool
control(const char *cmd, char *out, size_t outsz)
{
	int			fd;
	struct sockaddr_in sa = {0};
	char		buf[65536];
	size_t		len = 0;
	struct timeval tv = {10, 0};
	bool		multi = false;

	if (out && outsz)
		out[0] = 0;
	pthread_mutex_lock(&control_mu);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(opt_control_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
	{
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&control_mu);
		return false;
	}
	{
		char		line[512];
		int			n = snprintf(line, sizeof(line), "%s\n", cmd);

		if (write(fd, line, n) != n)
		{
			close(fd);
			pthread_mutex_unlock(&control_mu);
			return false;
		}
	}
	for (;;)
	{
		ssize_t		r;
		char	   *nl;

		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += r;
		buf[len] = 0;
		nl = strchr(buf, '\n');
		if (nl == NULL)
			continue;
		if (!multi)
		{
			if (strncmp(buf, "OK\n", 3) == 0 || strncmp(buf, "OK\r\n", 4) == 0)
				multi = true;
			else
				break;
		}
		if (strstr(buf, "\nEND\n") || strstr(buf, "\nEND\r\n"))
			break;
		if (len >= sizeof(buf) - 1)
			break;
	}
	close(fd);
	pthread_mutex_unlock(&control_mu);
	if (out && outsz)
	{
		snprintf(out, outsz, "%s", buf);
		if (!multi)
		{
			char	   *nl = strpbrk(out, "\r\n");

			if (nl)
				*nl = 0;
		}
	}
	return len > 0 && strncmp(buf, "OK", 2) == 0;
}

/* ------------------------------------------------------------------ */
/* expected state of a key */

bool
key_certain(const Key *k)
{
	return !k->any && k->npos == 1;
}

void
key_set(Key *k, const char *v)
{
	int			i;

	for (i = 0; i < k->npos; i++)
		free(k->pos[i]);
	k->any = false;
	k->npos = 1;
	k->pos[0] = xstrdup(v);
}

bool
same_val(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void
key_add_possible(Key *k, const char *v)
{
	int			i;

	if (k->any)
		return;
	for (i = 0; i < k->npos; i++)
		if (same_val(k->pos[i], v))
			return;
	if (k->npos == MAXPOS)
	{
		k->any = true;
		return;
	}
	k->pos[k->npos++] = xstrdup(v);
}

bool
key_matches(const Key *k, const char *v)
{
	int			i;

	if (k->any)
		return true;
	for (i = 0; i < k->npos; i++)
		if (same_val(k->pos[i], v))
			return true;
	return false;
}

bool
key_maybe_present(const Key *k)
{
	int			i;

	if (k->any)
		return true;
	for (i = 0; i < k->npos; i++)
		if (k->pos[i] != NULL)
			return true;
	return false;
}

bool
key_surely_present(const Key *k)
{
	return key_certain(k) && k->pos[0] != NULL;
}

const char *
key_describe(const Key *k, char *out, size_t n)
{
	char		t[200];
	size_t		len = 0;
	int			i;

	if (k->any)
		return "any (many uncertain writes)";
	if (key_certain(k))
		return show(k->pos[0], out, n);
	out[0] = 0;
	len = snprintf(out, n, "one of {");
	for (i = 0; i < k->npos && len < n; i++)
		len += snprintf(out + len, n - len, "%s%s", i ? ", " : "", show(k->pos[i], t, 80));
	if (len < n)
		snprintf(out + len, n - len, "} (uncertain)");
	return out;
}

/* ------------------------------------------------------------------ */
/* sessions */

const OpInfo ops[NOPS] = {
	[OP_GET] = {"get", 14, false},
	[OP_IN_LIST] = {"in_list", 7, false},
	[OP_RANGE] = {"range", 7, false},
	[OP_HASH_IN] = {"hash_in", 3, false},
	[OP_SCAN_AGG] = {"scan_agg", 2, false},
	[OP_SCAN_ROWS] = {"scan_rows", 2, false},
	[OP_WIDE_GET] = {"wide_get", 5, false},
	[OP_WIDE_SCAN] = {"wide_scan", 1, false},
	[OP_JOIN] = {"join", 4, false},
	[OP_WIDE_JOIN] = {"wide_join", 2, false},
	[OP_INSERT] = {"insert", 10, true},
	[OP_INSERT_MULTI] = {"insert_multi", 5, true},
	[OP_UPDATE] = {"update", 5, true},
	[OP_UPDATE_MULTI] = {"update_multi", 3, true},
	[OP_DELETE] = {"delete", 4, true},
	[OP_DELETE_HASH] = {"delete_hash", 2, true},
	[OP_DELETE_RANGE] = {"delete_range", 2, true},
	[OP_ON_CONFLICT] = {"on_conflict", 4, true},
	[OP_INCR] = {"incr", 8, true},
	[OP_KEY_CHANGE] = {"key_change", 3, true},
	[OP_COPY] = {"copy", 2, true},
	[OP_WIDE_INSERT] = {"wide_insert", 4, true},
	[OP_WIDE_UPDATE] = {"wide_update", 3, true},
	[OP_WIDE_DELETE] = {"wide_delete", 1, true},
	[OP_BAD_INPUT] = {"bad_input", 1, true},
	[OP_DOC_INSERT] = {"doc_insert", 3, true},
	[OP_DOC_UPDATE] = {"doc_update", 4, true},
	[OP_DOC_GET] = {"doc_get", 4, false},
	[OP_PIPE_GETS] = {"pipe_gets", 0, false},	/* session 0 only: see session_main */
};

Session *sessions;

void
kv_names(Session *s, int hi, int si, char *h, char *sk)
{
	sprintf(h, "%sh%02d", s->pfx, hi);
	if (sk)
		sprintf(sk, "k%02d", si);
}

void
wide_name(Session *s, int wi, char *h)
{
	sprintf(h, "%sw%02d", s->pfx, wi);
}

void
ctr_name(Session *s, int ci, char *h)
{
	sprintf(h, "%sc%d", s->pfx, ci);
}

/* a value: unique, of varied length, with quotes, backslashes and UTF-8 */
char *
gen_value(Session *s, char *out)
{
	static const char *const pieces[] = {
		"a", "b", "z", "0", "9", " ", "'", "\"", "\\", "\xc3\xa9", "\xe2\x82\xac", "-", ",", "{", "}"
	};
	int			n,
				len,
				i;

	s->seq++;
	if (rnd(&s->rng, 50) == 0)
	{
		out[0] = 0;				/* an empty value now and then */
		return out;
	}
	len = sprintf(out, "%s:%ld:", s->pfx, s->seq);
	n = rnd(&s->rng, 8) == 0 ? 100 + rnd(&s->rng, 300) : rnd(&s->rng, 40);
	for (i = 0; i < n; i++)
	{
		const char *p = pieces[rnd(&s->rng, (int) (sizeof(pieces) / sizeof(pieces[0])))];

		strcpy(out + len, p);
		len += strlen(p);
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* statements */

void
res_clear(Res *r)
{
	if (r->res)
		PQclear(r->res);
	r->res = NULL;
}

bool
allowed_state(const char *st, bool bad_input)
{
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
		strncmp(st, "55", 2) == 0 || strncmp(st, "HV", 2) == 0)
		return true;
	if (strcmp(st, "57014") == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "40001") == 0)
		return true;
	/*
	 * Credentials that cannot be had while the KDC does not answer (a
	 * statement that began then may end a negotiation timeout later).
	 */
	if (opt_kdc_pid != 0 && strcmp(st, "28000") == 0)
	{
		long long	until = atomic_load(&kdc_paused_until_ms);

		if (until == LLONG_MAX || (until != 0 && now_ms() < until + 10000))
			return true;
	}
	if (bad_input && (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0))
		return true;
	return false;
}

/* The outcome of one statement's result (NULL: none came); records its error if any. */
Res
classify(Session *s, const char *sql, PGresult *res, bool bad_input)
{
	Res			r = {0};
	ExecStatusType st;

	atomic_fetch_add(&s->stmts, 1);
	atomic_fetch_add(&s->backend_stmts, 1);
	r.res = res;
	st = PQresultStatus(r.res);
	atomic_store(&s->last_progress_ms, now_ms());	/* returned: not stuck */
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN)
	{
		r.ok = true;
		note_success();
		return r;
	}
	{
		const char *code = r.res ? PQresultErrorField(r.res, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = r.res ? PQresultErrorField(r.res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		const char *detail = r.res ? PQresultErrorField(r.res, PG_DIAG_MESSAGE_DETAIL) : NULL;
		const char *ctx = r.res ? PQresultErrorField(r.res, PG_DIAG_CONTEXT) : NULL;
		char		act[1024];
		char		ex[600];

		if (PQstatus(s->conn) != CONNECTION_OK)
			r.lost = true;
		if (code == NULL)
			code = r.lost ? "08006" : "?????";
		snprintf(r.state, sizeof(r.state), "%s", code);
		if (msg == NULL)
			msg = PQerrorMessage(s->conn);
		snprintf(ex, sizeof(ex), "%s%s%s", msg, detail ? " DETAIL: " : "", detail ? detail : "");
		count_state(code, ex);
		active_faults(act, sizeof(act));
		pthread_mutex_lock(&report_mu);
		if (errors_log)
			fprintf(errors_log, "[%.3fs] s%02d %s %s: %s%s%s%s%s | %s | faults: %s\n", elapsed_s(),
					s->id, ops[atomic_load(&s->cur_op)].name, code, msg,
					detail ? " DETAIL: " : "", detail ? detail : "",
					ctx ? " CONTEXT: " : "", ctx ? ctx : "", sql, act);
		pthread_mutex_unlock(&report_mu);
		if (strncmp(code, "XX", 2) == 0)
			failure(INV_XX000, "s%02d %s: SQLSTATE %s: %s%s%s (statement: %s)", s->id,
					ops[atomic_load(&s->cur_op)].name, code, msg, detail ? " DETAIL: " : "",
					detail ? detail : "", sql);
		else if (!allowed_state(code, bad_input))
			failure(INV_SQLSTATE, "s%02d %s: SQLSTATE %s of an unfitting class: %s%s%s (statement: %s)",
					s->id, ops[atomic_load(&s->cur_op)].name, code, msg,
					detail ? " DETAIL: " : "", detail ? detail : "", sql);
	}
	return r;
}

/* Runs one statement (with text parameters); records its error if any. */
Res
run(Session *s, const char *sql, int nparams, const char *const *params, bool bad_input)
{
	PGresult   *res;

	if (nparams > 0)
		res = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	else
		res = PQexec(s->conn, sql);
	return classify(s, sql, res, bad_input);
}

/* After a failed statement: roll back, or reconnect when the backend is gone. */
void
recover(Session *s, Res *r)
{
	if (r->lost || PQstatus(s->conn) != CONNECTION_OK)
	{
		session_connect(s);
		return;
	}
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
	{
		PGresult   *x = PQexec(s->conn, "ROLLBACK");

		atomic_fetch_add(&s->stmts, 1);
		PQclear(x);
		if (PQstatus(s->conn) != CONNECTION_OK)
			session_connect(s);
	}
}

void
session_connect(Session *s)
{
	long long	start = now_ms();
	char		sql[256];

	if (s->conn)
	{
		PQfinish(s->conn);
		s->conn = NULL;
		s->reconnects++;
	}
	for (;;)
	{
		PGresult   *r;

		s->conn = PQconnectdb(opt_conninfo);
		if (PQstatus(s->conn) == CONNECTION_OK)
		{
			snprintf(sql, sizeof(sql),
					 "SET statement_timeout = %d; SET application_name = 'soak-s%02d'",
					 opt_stmt_timeout_ms, s->id);
			r = PQexec(s->conn, sql);
			if (PQresultStatus(r) == PGRES_COMMAND_OK)
			{
				PQclear(r);
				break;
			}
			PQclear(r);
		}
		PQfinish(s->conn);
		s->conn = NULL;
		if (now_ms() - start > 120000)
		{
			failure(INV_STUCK, "s%02d could not reconnect to PostgreSQL for 120 s", s->id);
			exit(3);
		}
		usleep(100000);
	}
	atomic_store(&s->pid, PQbackendPID(s->conn));
	atomic_store(&s->backend_stmts, 0);
	s->backend_t0_ms = now_ms();
	atomic_store(&s->last_progress_ms, now_ms());
}
