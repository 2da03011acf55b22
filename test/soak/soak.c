/*
 * soak.c — the soak driver of pegasus_fdw: S sessions run a mixed workload
 * of reads and writes through SQL on foreign tables (kv and wide layouts)
 * while a fault thread injects overlapping faults through the onebox control
 * port and PostgreSQL (cancel, terminate).  Every write also goes to a local
 * shadow table in the same transaction, and each session keeps the exact
 * expected state of the keys it owns, so that reads during the run and a
 * full comparison at the end find lost, phantom and changed records.
 *
 * Started by test/soak/run.sh (which starts the onebox and PostgreSQL);
 * `soak --help` lists the options.  Prints a progress line every 10 s, a
 * summary with one PASS/FAIL line per invariant, writes a JSON result file,
 * and exits non-zero when an invariant failed.
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

/* ------------------------------------------------------------------ */
/* options */

static double opt_seconds = 120;
static int	opt_sessions = 8;
static unsigned long long opt_seed = 1;
static bool opt_ci;
static const char *opt_conninfo = "dbname=postgres";
static const char *opt_meta = "127.0.0.1:38601";
static int	opt_control_port = 38901;
static int	replica_ports[8];
static int	n_replicas;
static int	meta_ports[4];
static int	n_metas;
static const char *opt_pg_log;
static const char *opt_result;
static const char *opt_log_dir = ".";
static const char *opt_faults;	/* comma list of fault kinds to use, NULL: all */
static const char *opt_server_options = "";	/* more options of the server, e.g. auth */
static const char *opt_mapping_options;	/* a user mapping for PUBLIC with these */
static int	opt_kdc_pid;		/* the KDC (kdc_pause stops it), 0: none */
static atomic_llong kdc_paused_until_ms;	/* 0: not paused; else LLONG_MAX while paused, then when it resumed */
static int	opt_fault_gap_ms = 1500;	/* mean time between two faults */
static int	opt_pipeline_rate = 340;	/* session 0's statements per second at least */
static bool opt_no_setup;
static int	opt_stmt_timeout_ms = 3000;
static int	opt_timeout_ms = 2000;

/* key space of a session */
#define NH 16					/* kv hash keys */
#define NS 16					/* sort keys per kv hash key */
#define NW 16					/* wide rows */
#define NWC 3					/* wide columns */
#define NC 4					/* counters */
#define MAXPOS 6				/* possible states kept for an uncertain key */

static const char *const wide_cols[NWC] = {"c1", "c2", "c3"};
static const char *const wide_sks[NWC] = {"c1", "c2", "x3"};	/* c3 maps to sort key x3 */

/* ------------------------------------------------------------------ */
/* time, random numbers, small helpers */

static long long t0_ms;
static atomic_bool stop_workload;
static atomic_bool stop_faults;
static atomic_bool settle_phase;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
elapsed_s(void)
{
	return (now_ms() - t0_ms) / 1000.0;
}

static unsigned long long
rng_next(unsigned long long *s)
{
	unsigned long long x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int
rnd(unsigned long long *s, int n)
{
	return (int) (rng_next(s) % (unsigned long long) n);
}

static void *
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

static char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : strcpy(xmalloc(strlen(s) + 1), s);
}

/* a growing string */
typedef struct
{
	char	   *p;
	size_t		len,
				cap;
} Buf;

static void
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

static void
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

static void
buf_puts(Buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_reset(Buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

/* a JSON string literal */
static void
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
static void
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
static const char *
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

enum
{
	INV_LOST, INV_PHANTOM, INV_VALUE, INV_READ, INV_INCR, INV_SCAN,
	INV_SQLSTATE, INV_XX000, INV_BADINPUT, INV_STUCK, INV_SHADOW,
	INV_COUNT_CHECK, NINV_COUNTED
};
static const char *const inv_names[NINV_COUNTED] = {
	"lost", "phantom", "value", "read", "incr", "scan", "sqlstate", "xx000",
	"bad_input", "stuck", "shadow", "count"
};
static atomic_long inv_fail[NINV_COUNTED];
static pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *failures_log;
static FILE *errors_log;
static int	failures_printed;

static void active_faults(char *out, size_t n);

static void
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

#define MAXSTATES 64
typedef struct
{
	char		code[16];
	long		count;
	char		example[600];
} StateCount;
static StateCount states[MAXSTATES];
static int	n_states;

static void
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

static atomic_int *succ_buckets;
static long n_buckets;

static void
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
static bool
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

typedef struct
{
	int			npos;			/* 1: certain */
	bool		any;			/* too many possibilities: anything goes */
	char	   *pos[MAXPOS];	/* NULL: absent */
} Key;

static bool
key_certain(const Key *k)
{
	return !k->any && k->npos == 1;
}

static void
key_set(Key *k, const char *v)
{
	int			i;

	for (i = 0; i < k->npos; i++)
		free(k->pos[i]);
	k->any = false;
	k->npos = 1;
	k->pos[0] = xstrdup(v);
}

static bool
same_val(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
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

static bool
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

static bool
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

static bool
key_surely_present(const Key *k)
{
	return key_certain(k) && k->pos[0] != NULL;
}

static const char *
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

typedef struct
{
	long		acked;			/* the sum of acknowledged increments */
	long		unc_sum;		/* the sum of increments of unknown outcome */
	int			unc_n;
} Counter;

/* ------------------------------------------------------------------ */
/* sessions */

typedef enum
{
	OP_GET, OP_IN_LIST, OP_RANGE, OP_HASH_IN, OP_SCAN_AGG, OP_SCAN_ROWS,
	OP_WIDE_GET, OP_WIDE_SCAN, OP_JOIN, OP_WIDE_JOIN,
	OP_INSERT, OP_INSERT_MULTI, OP_UPDATE, OP_UPDATE_MULTI, OP_DELETE,
	OP_DELETE_HASH, OP_DELETE_RANGE, OP_ON_CONFLICT, OP_INCR, OP_KEY_CHANGE,
	OP_COPY, OP_WIDE_INSERT, OP_WIDE_UPDATE, OP_WIDE_DELETE, OP_BAD_INPUT,
	OP_PIPE_GETS,
	NOPS
} OpKind;

static const struct
{
	const char *name;
	int			weight;
	bool		write;
} ops[NOPS] = {
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
	[OP_PIPE_GETS] = {"pipe_gets", 0, false},	/* session 0 only: see session_main */
};

#define MAXSAMPLES 4096
typedef struct
{
	double		t;
	int			pid;
	long		rss_kb;
	int			handles;		/* sockets, pipes, event fds: what a leak would grow */
	int			files;			/* relation files: PostgreSQL's own file cache */
	long		backend_stmts;
} Sample;

typedef struct Session
{
	int			id;
	char		pfx[8];
	PGconn	   *conn;
	atomic_int	pid;
	unsigned long long rng;
	Key			kv[NH][NS];
	Key			wide[NW][NWC];
	Counter		ctr[NC];
	long		seq;
	/* statistics */
	atomic_long stmts;			/* every statement sent, BEGIN/COMMIT included */
	atomic_long ops_done;
	atomic_long ops_ok;
	atomic_long ops_err;
	atomic_long backend_stmts;	/* statements in the current backend */
	long		op_count[NOPS];
	long		op_err[NOPS];
	long		acked_writes;
	long		uncertain_writes;
	long		not_applied_writes;
	long		reconnects;
	long		scans_checked;
	atomic_llong last_progress_ms;
	atomic_int	cur_op;
	bool		settled;
	bool		verified;
	bool		exempt_terminate;
	long long	backend_t0_ms;	/* when the current backend was connected */
	int			nsamples;
	Sample		samples[MAXSAMPLES];
	pthread_t	thread;
} Session;

static Session *sessions;

static void
kv_names(Session *s, int hi, int si, char *h, char *sk)
{
	sprintf(h, "%sh%02d", s->pfx, hi);
	if (sk)
		sprintf(sk, "k%02d", si);
}

static void
wide_name(Session *s, int wi, char *h)
{
	sprintf(h, "%sw%02d", s->pfx, wi);
}

static void
ctr_name(Session *s, int ci, char *h)
{
	sprintf(h, "%sc%d", s->pfx, ci);
}

/* a value: unique, of varied length, with quotes, backslashes and UTF-8 */
static char *
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

static void session_connect(Session *s);

typedef struct
{
	PGresult   *res;
	bool		ok;
	bool		lost;			/* connection gone */
	char		state[8];
} Res;

static void
res_clear(Res *r)
{
	if (r->res)
		PQclear(r->res);
	r->res = NULL;
}

static bool
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
static Res
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
static Res
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
static void
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

static void
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

/* ------------------------------------------------------------------ */
/* writes: BEGIN; foreign write; shadow write; COMMIT */

typedef struct
{
	Key		   *k;
	char		tbl;			/* 'k' kv, 'w' wide */
	char		h[24];
	char		sk[8];
	char	   *val;			/* NULL: removed */
} Change;

#define MAXCH 64
typedef struct
{
	Change		succ[MAXCH];	/* the state after success */
	int			nsucc;
	Change		unc[MAXCH];		/* states possible after a failure */
	int			nunc;
	int			ctr;			/* counter index of an increment, -1 none */
	long		delta;
} Plan;

static void
plan_init(Plan *p)
{
	p->nsucc = p->nunc = 0;
	p->ctr = -1;
	p->delta = 0;
}

static void
plan_free(Plan *p)
{
	int			i;

	for (i = 0; i < p->nsucc; i++)
		free(p->succ[i].val);
	for (i = 0; i < p->nunc; i++)
		free(p->unc[i].val);
}

static void
add_change(Change *arr, int *n, Key *k, char tbl, const char *h, const char *sk, const char *val)
{
	Change	   *c;

	if (*n >= MAXCH)
		abort();
	c = &arr[(*n)++];
	c->k = k;
	c->tbl = tbl;
	snprintf(c->h, sizeof(c->h), "%s", h);
	snprintf(c->sk, sizeof(c->sk), "%s", sk);
	c->val = xstrdup(val);
}

#define SUCC(p, k, t, h, s, v) add_change((p)->succ, &(p)->nsucc, k, t, h, s, v)
#define UNC(p, k, t, h, s, v) add_change((p)->unc, &(p)->nunc, k, t, h, s, v)

/* Applies the success changes to the shadow table. */
static Res
shadow_write(Session *s, Plan *p)
{
	Buf			dt = {0},
				dh = {0},
				ds = {0},
				it = {0},
				ih = {0},
				is = {0},
				iv = {0};
	int			i,
				nd = 0,
				ni = 0;
	Res			r = {0};

	buf_puts(&dt, "{");
	buf_puts(&dh, "{");
	buf_puts(&ds, "{");
	buf_puts(&it, "{");
	buf_puts(&ih, "{");
	buf_puts(&is, "{");
	buf_puts(&iv, "{");
	for (i = 0; i < p->nsucc; i++)
	{
		Change	   *c = &p->succ[i];
		char		t[2] = {c->tbl, 0};

		if (c->val == NULL)
		{
			buf_arr_elem(&dt, t, nd == 0);
			buf_arr_elem(&dh, c->h, nd == 0);
			buf_arr_elem(&ds, c->sk, nd == 0);
			nd++;
		}
		else
		{
			buf_arr_elem(&it, t, ni == 0);
			buf_arr_elem(&ih, c->h, ni == 0);
			buf_arr_elem(&is, c->sk, ni == 0);
			buf_arr_elem(&iv, c->val, ni == 0);
			ni++;
		}
	}
	buf_puts(&dt, "}");
	buf_puts(&dh, "}");
	buf_puts(&ds, "}");
	buf_puts(&it, "}");
	buf_puts(&ih, "}");
	buf_puts(&is, "}");
	buf_puts(&iv, "}");
	if (nd + ni > 0)
	{
		const char *params[7] = {dt.p, dh.p, ds.p, it.p, ih.p, is.p, iv.p};

		r = run(s,
				"WITH d AS (DELETE FROM soak_shadow WHERE (tbl, h, s) IN "
				"(SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))) "
				"INSERT INTO soak_shadow SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) "
				"ON CONFLICT (tbl, h, s) DO UPDATE SET v = EXCLUDED.v", 7, params, false);
	}
	else
		r.ok = true;
	free(dt.p);
	free(dh.p);
	free(ds.p);
	free(it.p);
	free(ih.p);
	free(is.p);
	free(iv.p);
	return r;
}

typedef enum
{
	WR_OK, WR_NOT_APPLIED, WR_UNCERTAIN, WR_NOTHING_SENT
} WriteOutcome;

/* Whether a failed write's error says that none of its rows was written. */
static bool
says_not_written(PGresult *res)
{
	const char *d = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *p;
	int			n,
				w,
				nw,
				u;

	if (code && (strncmp(code, "22", 2) == 0 || strncmp(code, "23", 2) == 0 ||
				 strcmp(code, "42501") == 0))
		return true;			/* refused before anything was sent */
	if (d == NULL)
		return false;
	p = strstr(d, "Of the ");
	if (p == NULL || strstr(d, "later batches") || strstr(d, "earlier batches"))
		return false;
	if (sscanf(p, "Of the %d rows of this batch, %d were written, %d were not written and %d may",
			   &n, &w, &nw, &u) != 4)
		return false;
	return w == 0 && u == 0 && nw == n;
}

/*
 * Runs a write: the foreign statement (or a COPY), then the shadow write
 * the plan says (built by `after` from the foreign result), in one
 * transaction.  Applies the plan to the expected state by the outcome.
 */
typedef void (*AfterFn) (Session *s, Plan *p, PGresult *res, void *arg);

static WriteOutcome
do_write(Session *s, Plan *p, const char *sql, int np, const char *const *params,
		 AfterFn after, void *arg, const char *copy_data, bool bad_input)
{
	Res			r;
	WriteOutcome out = WR_OK;
	int			i;

	r = run(s, "BEGIN", 0, NULL, false);
	if (!r.ok)
	{
		recover(s, &r);
		res_clear(&r);
		return WR_NOTHING_SENT;
	}
	res_clear(&r);
	r = run(s, sql, np, params, bad_input);
	if (r.ok && copy_data)
	{
		PGresult   *cr;

		if (PQputCopyData(s->conn, copy_data, (int) strlen(copy_data)) != 1 ||
			PQputCopyEnd(s->conn, NULL) != 1)
			r.ok = false;
		res_clear(&r);
		if (r.ok)
		{
			/* the COPY's own result, then the end of the command */
			r.res = PQgetResult(s->conn);
			if (PQresultStatus(r.res) != PGRES_COMMAND_OK)
			{
				const char *code = PQresultErrorField(r.res, PG_DIAG_SQLSTATE);
				const char *msg = PQresultErrorField(r.res, PG_DIAG_MESSAGE_PRIMARY);
				const char *detail = PQresultErrorField(r.res, PG_DIAG_MESSAGE_DETAIL);
				char		ex[600];

				r.ok = false;
				if (PQstatus(s->conn) != CONNECTION_OK)
					r.lost = true;
				if (code == NULL)
					code = r.lost ? "08006" : "?????";
				snprintf(r.state, sizeof(r.state), "%s", code);
				snprintf(ex, sizeof(ex), "%s%s%s", msg ? msg : PQerrorMessage(s->conn),
						 detail ? " DETAIL: " : "", detail ? detail : "");
				count_state(code, ex);
				pthread_mutex_lock(&report_mu);
				if (errors_log)
					fprintf(errors_log, "[%.3fs] s%02d copy %s: %s\n", elapsed_s(), s->id, code, ex);
				pthread_mutex_unlock(&report_mu);
				if (strncmp(code, "XX", 2) == 0)
					failure(INV_XX000, "s%02d copy: SQLSTATE %s: %s", s->id, code, ex);
				else if (!allowed_state(code, false))
					failure(INV_SQLSTATE, "s%02d copy: SQLSTATE %s of an unfitting class: %s",
							s->id, code, ex);
			}
			else
				note_success();
			while ((cr = PQgetResult(s->conn)) != NULL)
				PQclear(cr);
		}
		else
			r.lost = PQstatus(s->conn) != CONNECTION_OK;
	}
	if (!r.ok)
	{
		out = says_not_written(r.res) ? WR_NOT_APPLIED : WR_UNCERTAIN;
		recover(s, &r);
		res_clear(&r);
		goto done;
	}
	if (after)
		after(s, p, r.res, arg);
	res_clear(&r);
	r = shadow_write(s, p);
	if (!r.ok)
	{
		out = WR_UNCERTAIN;
		recover(s, &r);
		res_clear(&r);
		goto done;
	}
	res_clear(&r);
	if (p->ctr >= 0)
	{
		char		h[24],
					d[24];
		const char *pp[2] = {h, d};

		ctr_name(s, p->ctr, h);
		snprintf(d, sizeof(d), "%ld", p->delta);
		r = run(s, "UPDATE soak_shadow SET v = (v::bigint + $2::bigint)::text "
				"WHERE tbl = 'c' AND h = $1 AND s = 'n'", 2, pp, false);
		if (!r.ok)
		{
			out = WR_UNCERTAIN;
			recover(s, &r);
			res_clear(&r);
			goto done;
		}
		res_clear(&r);
	}
	r = run(s, "COMMIT", 0, NULL, false);
	if (!r.ok || strcmp(PQcmdStatus(r.res), "COMMIT") != 0)
	{
		out = WR_UNCERTAIN;
		recover(s, &r);
	}
	res_clear(&r);
done:
	if (bad_input && out == WR_OK)
		failure(INV_BADINPUT, "s%02d: a statement with bad input succeeded: %s", s->id, sql);
	switch (out)
	{
		case WR_OK:
			s->acked_writes++;
			for (i = 0; i < p->nsucc; i++)
				key_set(p->succ[i].k, p->succ[i].val);
			if (p->ctr >= 0)
				s->ctr[p->ctr].acked += p->delta;
			break;
		case WR_UNCERTAIN:
			s->uncertain_writes++;
			for (i = 0; i < p->nunc; i++)
				key_add_possible(p->unc[i].k, p->unc[i].val);
			if (p->ctr >= 0)
			{
				s->ctr[p->ctr].unc_sum += p->delta;
				s->ctr[p->ctr].unc_n++;
			}
			break;
		case WR_NOT_APPLIED:
			s->not_applied_writes++;
			break;
		case WR_NOTHING_SENT:
			break;
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* reads: every row read is checked against the expected state */

static void
read_mismatch(Session *s, const char *what, const char *h, const char *sk, const Key *k,
			  const char *found, const char *sql)
{
	char		a[600],
				b[300];

	failure(INV_READ, "s%02d %s: key (%s, %s): expected %s, found %s (statement: %s)",
			s->id, what, h, sk, key_describe(k, a, sizeof(a)), show(found, b, sizeof(b)), sql);
}

static int
parse_kv(Session *s, const char *h, const char *sk, int *hi, int *si)
{
	size_t		pl = strlen(s->pfx);

	if (strncmp(h, s->pfx, pl) != 0 || h[pl] != 'h' || !isdigit((unsigned char) h[pl + 1]))
		return -1;
	*hi = atoi(h + pl + 1);
	if (sk[0] != 'k' || !isdigit((unsigned char) sk[1]))
		return -1;
	*si = atoi(sk + 1);
	if (*hi < 0 || *hi >= NH || *si < 0 || *si >= NS)
		return -1;
	return 0;
}

/*
 * Checks the kv rows of a result (columns h, s, v) against the expected
 * state of the keys it should cover: want[hi][si] set for every key the
 * statement asked about.  Every key may come once; a surely present key
 * must come; others must match their state.
 */
static void
check_kv_rows(Session *s, const char *what, PGresult *res, bool want[NH][NS], const char *sql,
			  int inv)
{
	static __thread unsigned char seen[NH][NS];
	int			i,
				hi,
				si;
	char		h[24],
				sk[8];

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *rh = PQgetvalue(res, i, 0);
		const char *rs = PQgetvalue(res, i, 1);
		const char *rv = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);

		if (parse_kv(s, rh, rs, &hi, &si) != 0 || !want[hi][si])
		{
			failure(inv, "s%02d %s: row (%s, %s) = %s was not asked for (statement: %s)",
					s->id, what, rh, rs, rv ? rv : "NULL", sql);
			continue;
		}
		if (seen[hi][si]++)
		{
			failure(inv, "s%02d %s: row (%s, %s) came %d times (statement: %s)", s->id, what,
					rh, rs, seen[hi][si], sql);
			continue;
		}
		if (rv == NULL)
			failure(inv, "s%02d %s: row (%s, %s) has a NULL value (statement: %s)", s->id, what,
					rh, rs, sql);
		else if (!key_matches(&s->kv[hi][si], rv))
			read_mismatch(s, what, rh, rs, &s->kv[hi][si], rv, sql);
	}
	for (hi = 0; hi < NH; hi++)
		for (si = 0; si < NS; si++)
			if (want[hi][si] && !seen[hi][si] && !key_matches(&s->kv[hi][si], NULL))
			{
				kv_names(s, hi, si, h, sk);
				if (inv == INV_SCAN)
				{
					char		a[600];

					failure(inv, "s%02d %s: stable row (%s, %s) missing; expected %s (statement: %s)",
							s->id, what, h, sk, key_describe(&s->kv[hi][si], a, sizeof(a)), sql);
				}
				else
					read_mismatch(s, what, h, sk, &s->kv[hi][si], NULL, sql);
			}
}

static void
check_wide_rows(Session *s, const char *what, PGresult *res, const bool *want, const char *sql,
				int inv)
{
	unsigned char seen[NW] = {0};
	int			i,
				c,
				wi;
	size_t		pl = strlen(s->pfx);
	char		h[24];

	for (i = 0; i < PQntuples(res); i++)
	{
		const char *rh = PQgetvalue(res, i, 0);

		if (strncmp(rh, s->pfx, pl) != 0 || rh[pl] != 'w' || (wi = atoi(rh + pl + 1)) < 0 ||
			wi >= NW || !want[wi])
		{
			failure(inv, "s%02d %s: wide row %s was not asked for (statement: %s)", s->id, what, rh, sql);
			continue;
		}
		if (seen[wi]++)
		{
			failure(inv, "s%02d %s: wide row %s came %d times (statement: %s)", s->id, what, rh,
					seen[wi], sql);
			continue;
		}
		for (c = 0; c < NWC; c++)
		{
			const char *v = PQgetisnull(res, i, 1 + c) ? NULL : PQgetvalue(res, i, 1 + c);

			if (!key_matches(&s->wide[wi][c], v))
				read_mismatch(s, what, rh, wide_sks[c], &s->wide[wi][c], v, sql);
		}
	}
	for (wi = 0; wi < NW; wi++)
	{
		bool		surely = false,
					maybe_absent = true;

		if (!want[wi] || seen[wi])
			continue;
		for (c = 0; c < NWC; c++)
		{
			if (key_surely_present(&s->wide[wi][c]))
				surely = true;
			if (!key_matches(&s->wide[wi][c], NULL))
				maybe_absent = false;
		}
		if (surely || !maybe_absent)
		{
			wide_name(s, wi, h);
			failure(inv, "s%02d %s: wide row %s missing although some of its columns are present (statement: %s)",
					s->id, what, h, sql);
		}
	}
}

static __thread bool want_kv[NH][NS];

/* ------------------------------------------------------------------ */
/* the operations */

static void
op_get(Session *s)
{
	int			hi = rnd(&s->rng, NH),
				si = rnd(&s->rng, NS);
	char		h[24],
				sk[8];
	const char *p[2] = {h, sk};
	const char *sql = "SELECT value FROM soak_kv WHERE hash_key = $1 AND sort_key = $2";
	Res			r;

	kv_names(s, hi, si, h, sk);
	r = run(s, sql, 2, p, false);
	if (!r.ok)
	{
		recover(s, &r);
		res_clear(&r);
		s->op_err[OP_GET]++;
		return;
	}
	if (PQntuples(r.res) > 1)
		failure(INV_READ, "s%02d get (%s, %s): %d rows", s->id, h, sk, PQntuples(r.res));
	else
	{
		const char *v = PQntuples(r.res) == 1 ? PQgetvalue(r.res, 0, 0) : NULL;

		if (!key_matches(&s->kv[hi][si], v))
			read_mismatch(s, "get", h, sk, &s->kv[hi][si], v, sql);
	}
	res_clear(&r);
}

/*
 * 50 point reads of the session's keys in one libpq pipeline (one implicit
 * transaction), each its own statement through the FDW: session 0 sends
 * these as well, so that one backend runs well over 1,000,000 statements
 * in an hour while it takes the faults as every session does.
 */
#define PIPE_GETS 50
static void
op_pipe_gets(Session *s)
{
	const char *sql = "SELECT value FROM soak_kv WHERE hash_key = $1 AND sort_key = $2";
	int			hi[PIPE_GETS],
				si[PIPE_GETS],
				sent = 0,
				i;
	char		h[PIPE_GETS][24],
				sk[PIPE_GETS][8];
	bool		broken = false,
				failed = false;
	PGresult   *res;

	if (PQenterPipelineMode(s->conn) != 1)
		return;
	for (i = 0; i < PIPE_GETS; i++)
	{
		const char *p[2];

		hi[i] = rnd(&s->rng, NH);
		si[i] = rnd(&s->rng, NS);
		kv_names(s, hi[i], si[i], h[i], sk[i]);
		p[0] = h[i];
		p[1] = sk[i];
		if (!PQsendQueryParams(s->conn, sql, 2, NULL, p, NULL, NULL, 0))
			break;
		sent++;
	}
	if (PQpipelineSync(s->conn) != 1)
		broken = true;
	for (i = 0; i < sent && !broken; i++)
	{
		Res			r;

		if ((res = PQgetResult(s->conn)) == NULL)
		{
			broken = true;
			break;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
			PQclear(res);		/* not run: an earlier one failed */
		else
		{
			r = classify(s, sql, res, false);
			if (!r.ok)
				failed = true;
			else if (PQntuples(r.res) > 1)
				failure(INV_READ, "s%02d pipelined get (%s, %s): %d rows", s->id, h[i], sk[i],
						PQntuples(r.res));
			else
			{
				const char *v = PQntuples(r.res) == 1 ? PQgetvalue(r.res, 0, 0) : NULL;

				if (!key_matches(&s->kv[hi[i]][si[i]], v))
					read_mismatch(s, "pipelined get", h[i], sk[i], &s->kv[hi[i]][si[i]], v, sql);
			}
			res_clear(&r);
		}
		/* the NULL that ends one query's results */
		while ((res = PQgetResult(s->conn)) != NULL)
		{
			if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
			{
				PQclear(res);
				broken = true;	/* fewer results than queries: the connection failed */
				break;
			}
			PQclear(res);
		}
		if (PQstatus(s->conn) != CONNECTION_OK)
			broken = true;
	}
	/* up to the sync */
	for (i = 0; !broken && i < 100 && PQstatus(s->conn) == CONNECTION_OK; i++)
	{
		if ((res = PQgetResult(s->conn)) == NULL)
			continue;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	if (PQstatus(s->conn) != CONNECTION_OK || PQexitPipelineMode(s->conn) != 1)
	{
		session_connect(s);
		s->op_err[OP_PIPE_GETS]++;
		return;
	}
	if (failed)
	{
		Res			r = {0};

		recover(s, &r);
		s->op_err[OP_PIPE_GETS]++;
	}
}

static bool
read_kv(Session *s, OpKind op, const char *sql, int np, const char *const *p, bool want[NH][NS],
		int inv)
{
	Res			r = run(s, sql, np, p, false);

	if (!r.ok)
	{
		recover(s, &r);
		res_clear(&r);
		s->op_err[op]++;
		return false;
	}
	check_kv_rows(s, ops[op].name, r.res, want, sql, inv);
	res_clear(&r);
	return true;
}

static void
op_in_list(Session *s)
{
	int			hi = rnd(&s->rng, NH),
				i;
	char		h[24],
				sks[4][8];
	const char *p[5] = {h, sks[0], sks[1], sks[2], sks[3]};

	memset(want_kv, 0, sizeof(want_kv));
	kv_names(s, hi, 0, h, NULL);
	for (i = 0; i < 4; i++)
	{
		int			si = rnd(&s->rng, NS);

		sprintf(sks[i], "k%02d", si);
		want_kv[hi][si] = true;
	}
	read_kv(s, OP_IN_LIST, "SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key = $1 "
			"AND sort_key IN ($2, $3, $4, $5)", 5, p, want_kv, INV_READ);
}

static void
op_range(Session *s)
{
	int			hi = rnd(&s->rng, NH),
				a = rnd(&s->rng, NS),
				b = a + 1 + rnd(&s->rng, NS - a),
				i;
	char		h[24],
				sa[8],
				sb[8];
	const char *p[3] = {h, sa, sb};
	bool		desc = rnd(&s->rng, 3) == 0;

	memset(want_kv, 0, sizeof(want_kv));
	kv_names(s, hi, 0, h, NULL);
	sprintf(sa, "k%02d", a);
	sprintf(sb, "k%02d", b);		/* k16 is past every key */
	for (i = a; i < b && i < NS; i++)
		want_kv[hi][i] = true;
	read_kv(s, OP_RANGE, desc ?
			"SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key = $1 "
			"AND sort_key >= $2 AND sort_key < $3 ORDER BY sort_key DESC" :
			"SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key = $1 "
			"AND sort_key >= $2 AND sort_key < $3 ORDER BY sort_key", 3, p, want_kv, INV_READ);
}

static void
op_hash_in(Session *s)
{
	int			a = rnd(&s->rng, NH),
				b = rnd(&s->rng, NH),
				i;
	char		ha[24],
				hb[24];
	const char *p[2] = {ha, hb};

	memset(want_kv, 0, sizeof(want_kv));
	kv_names(s, a, 0, ha, NULL);
	kv_names(s, b, 0, hb, NULL);
	for (i = 0; i < NS; i++)
		want_kv[a][i] = want_kv[b][i] = true;
	read_kv(s, OP_HASH_IN, "SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key IN ($1, $2)",
			2, p, want_kv, INV_READ);
}

/* the session's own rows of the kv table, read by a scan of every partition */
static void
op_scan_rows(Session *s)
{
	char		pat[16];
	const char *p[1] = {pat};

	memset(want_kv, 1, sizeof(want_kv));
	snprintf(pat, sizeof(pat), "%sh%%", s->pfx);
	/* half of the scans page in small batches, so that faults meet open scan contexts */
	if (read_kv(s, OP_SCAN_ROWS, rnd(&s->rng, 2) ?
				"SELECT hash_key, sort_key, value FROM soak_kv_small WHERE hash_key LIKE $1" :
				"SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key LIKE $1",
				1, p, want_kv, INV_SCAN))
		s->scans_checked++;
}

/* count(*) and the byte sum over the session's own rows: the stable rows exactly once */
static void
op_scan_agg(Session *s)
{
	char		pat[16];
	const char *p[1] = {pat};
	const char *sql = rnd(&s->rng, 2) ?
		"SELECT count(*), coalesce(sum(octet_length(value)), 0) FROM soak_kv WHERE hash_key LIKE $1" :
		rnd(&s->rng, 2) ?
		"SELECT count(*), coalesce(sum(octet_length(value)), 0) FROM soak_kv_small WHERE hash_key LIKE $1" :
		"SELECT count(*), -1 FROM soak_kv_small WHERE hash_key LIKE $1";
	Res			r;
	long		lo = 0,
				hi_n = 0,
				bytes = 0;
	bool		exact = true;
	int			hi,
				si;

	snprintf(pat, sizeof(pat), "%sh%%", s->pfx);
	r = run(s, sql, 1, p, false);
	if (!r.ok)
	{
		recover(s, &r);
		res_clear(&r);
		s->op_err[OP_SCAN_AGG]++;
		return;
	}
	for (hi = 0; hi < NH; hi++)
		for (si = 0; si < NS; si++)
		{
			Key		   *k = &s->kv[hi][si];

			if (key_surely_present(k))
			{
				lo++;
				hi_n++;
				bytes += strlen(k->pos[0]);
			}
			else if (!key_certain(k))
			{
				exact = false;
				if (key_maybe_present(k))
					hi_n++;
				if (!key_matches(k, NULL))
					lo++;
			}
		}
	{
		long		n = atol(PQgetvalue(r.res, 0, 0));
		long		b = atol(PQgetvalue(r.res, 0, 1));

		s->scans_checked++;
		if (n < lo || n > hi_n)
			failure(INV_SCAN, "s%02d scan_agg: count(*) of the session's %ld..%ld stable rows returned %ld (statement: %s with %s)",
					s->id, lo, hi_n, n, sql, pat);
		else if (exact && b != bytes && b != -1)
			failure(INV_SCAN, "s%02d scan_agg: sum(octet_length(value)) expected %ld, got %ld (statement: %s with %s)",
					s->id, bytes, b, sql, pat);
	}
	res_clear(&r);
}

static bool
read_wide(Session *s, OpKind op, const char *sql, int np, const char *const *p, const bool *want,
		  int inv)
{
	Res			r = run(s, sql, np, p, false);

	if (!r.ok)
	{
		recover(s, &r);
		res_clear(&r);
		s->op_err[op]++;
		return false;
	}
	check_wide_rows(s, ops[op].name, r.res, want, sql, inv);
	res_clear(&r);
	return true;
}

static void
op_wide_get(Session *s)
{
	bool		want[NW] = {0};
	int			wi = rnd(&s->rng, NW);
	char		h[24];
	const char *p[1] = {h};

	wide_name(s, wi, h);
	want[wi] = true;
	read_wide(s, OP_WIDE_GET, "SELECT hash_key, c1, c2, c3 FROM soak_wide WHERE hash_key = $1",
			  1, p, want, INV_READ);
}

static void
op_wide_scan(Session *s)
{
	bool		want[NW];
	char		pat[16];
	const char *p[1] = {pat};

	memset(want, 1, sizeof(want));
	snprintf(pat, sizeof(pat), "%sw%%", s->pfx);
	if (read_wide(s, OP_WIDE_SCAN, rnd(&s->rng, 2) ?
				  "SELECT hash_key, c1, c2, c3 FROM soak_wide_small WHERE hash_key LIKE $1" :
				  "SELECT hash_key, c1, c2, c3 FROM soak_wide WHERE hash_key LIKE $1",
				  1, p, want, INV_SCAN))
		s->scans_checked++;
}

/* a batched key join of a local table with the kv table */
static void
op_join(Session *s)
{
	int			g = rnd(&s->rng, NH),
				i;
	char		sess[8],
				grp[8];
	const char *p[2] = {sess, grp};

	memset(want_kv, 0, sizeof(want_kv));
	for (i = 0; i < NS; i++)
		want_kv[g][i] = true;
	sprintf(sess, "%d", s->id);
	sprintf(grp, "%d", g);
	read_kv(s, OP_JOIN, "SELECT k.h, k.s, t.value FROM soak_keys k JOIN soak_kv t "
			"ON t.hash_key = k.h AND t.sort_key = k.s WHERE k.sess = $1 AND k.grp = $2",
			2, p, want_kv, INV_READ);
}

static void
op_wide_join(Session *s)
{
	bool		want[NW];
	char		sess[8];
	const char *p[1] = {sess};

	memset(want, 1, sizeof(want));
	sprintf(sess, "%d", s->id);
	read_wide(s, OP_WIDE_JOIN, "SELECT k.h, w.c1, w.c2, w.c3 FROM soak_wkeys k JOIN soak_wide w "
			  "ON w.hash_key = k.h WHERE k.sess = $1", 1, p, want, INV_READ);
}

/* -- writes -- */

static void
op_insert(Session *s)
{
	Plan		p;
	int			hi = rnd(&s->rng, NH),
				si = rnd(&s->rng, NS);
	char		h[24],
				sk[8],
				v[2048];
	const char *pp[3] = {h, sk, v};

	plan_init(&p);
	kv_names(s, hi, si, h, sk);
	gen_value(s, v);
	SUCC(&p, &s->kv[hi][si], 'k', h, sk, v);
	UNC(&p, &s->kv[hi][si], 'k', h, sk, v);
	if (do_write(s, &p, "INSERT INTO soak_kv VALUES ($1, $2, $3)", 3, pp, NULL, NULL, NULL, false) != WR_OK)
		s->op_err[OP_INSERT]++;
	plan_free(&p);
}

/* several rows of distinct keys in one INSERT (one batch); or a COPY of them */
static void
op_insert_multi(Session *s, bool copy)
{
	Plan		p;
	int			n = 2 + rnd(&s->rng, copy ? 29 : 19),
				i,
				j;
	bool		used[NH][NS] = {{0}};
	Buf			sql = {0},
				data = {0};
	char	   *vals[32 * 3];
	int			np = 0;
	char		h[24],
				sk[8],
				v[2048];

	plan_init(&p);
	buf_puts(&sql, copy ? "COPY soak_kv (hash_key, sort_key, value) FROM STDIN" :
			 "INSERT INTO soak_kv VALUES ");
	for (i = 0; i < n; i++)
	{
		int			hi = rnd(&s->rng, NH),
					si = rnd(&s->rng, NS);

		if (used[hi][si])
			continue;
		used[hi][si] = true;
		kv_names(s, hi, si, h, sk);
		gen_value(s, v);
		SUCC(&p, &s->kv[hi][si], 'k', h, sk, v);
		UNC(&p, &s->kv[hi][si], 'k', h, sk, v);
		if (copy)
		{
			const char *c;

			buf_printf(&data, "%s\t%s\t", h, sk);
			for (c = v; *c; c++)
			{
				if (*c == '\\')
					buf_puts(&data, "\\\\");
				else
					buf_add(&data, c, 1);
			}
			buf_puts(&data, "\n");
		}
		else
		{
			buf_printf(&sql, "%s($%d, $%d, $%d)", np ? ", " : "", np + 1, np + 2, np + 3);
			vals[np++] = xstrdup(h);
			vals[np++] = xstrdup(sk);
			vals[np++] = xstrdup(v);
		}
	}
	if (do_write(s, &p, sql.p, np, (const char *const *) vals, NULL, NULL, copy ? data.p : NULL,
				 false) != WR_OK)
		s->op_err[copy ? OP_COPY : OP_INSERT_MULTI]++;
	for (j = 0; j < np; j++)
		free(vals[j]);
	free(sql.p);
	free(data.p);
	plan_free(&p);
}

/* UPDATE ... RETURNING sort_key: the rows returned were updated, the others are absent */
typedef struct
{
	int			hi;
	int			sis[8];
	int			n;
	const char *v;
} UpdArg;

static void
after_update(Session *s, Plan *p, PGresult *res, void *arg)
{
	UpdArg	   *a = arg;
	int			i,
				j;
	char		h[24],
				sk[8];

	kv_names(s, a->hi, 0, h, NULL);
	for (j = 0; j < a->n; j++)
	{
		bool		got = false;

		sprintf(sk, "k%02d", a->sis[j]);
		for (i = 0; i < PQntuples(res); i++)
			if (strcmp(PQgetvalue(res, i, 0), sk) == 0)
				got = true;
		if (!got && key_surely_present(&s->kv[a->hi][a->sis[j]]))
			failure(INV_READ, "s%02d update: (%s, %s) expected present, UPDATE did not return it",
					s->id, h, sk);
		if (got && !key_maybe_present(&s->kv[a->hi][a->sis[j]]))
			failure(INV_READ, "s%02d update: (%s, %s) expected absent, UPDATE returned it",
					s->id, h, sk);
		SUCC(p, &s->kv[a->hi][a->sis[j]], 'k', h, sk, got ? a->v : NULL);
	}
}

static void
op_update(Session *s, bool multi)
{
	Plan		p;
	UpdArg		a;
	char		h[24],
				v[2048],
				sks[8][8];
	const char *pp[10];
	Buf			sql = {0};
	int			i,
				j;

	plan_init(&p);
	a.hi = rnd(&s->rng, NH);
	a.n = multi ? 2 + rnd(&s->rng, 5) : 1;
	a.v = gen_value(s, v);
	kv_names(s, a.hi, 0, h, NULL);
	pp[0] = v;
	pp[1] = h;
	buf_puts(&sql, "UPDATE soak_kv SET value = $1 WHERE hash_key = $2 AND sort_key IN (");
	for (i = 0, j = 0; i < a.n; i++)
	{
		int			si = rnd(&s->rng, NS),
					k;
		bool		dup = false;

		for (k = 0; k < j; k++)
			dup |= a.sis[k] == si;
		if (dup)
			continue;
		a.sis[j] = si;
		sprintf(sks[j], "k%02d", si);
		pp[2 + j] = sks[j];
		buf_printf(&sql, "%s$%d", j ? ", " : "", 3 + j);
		j++;
	}
	a.n = j;
	buf_puts(&sql, ") RETURNING sort_key");
	for (j = 0; j < a.n; j++)
		if (key_maybe_present(&s->kv[a.hi][a.sis[j]]))
			UNC(&p, &s->kv[a.hi][a.sis[j]], 'k', h, sks[j], v);
	if (do_write(s, &p, sql.p, 2 + a.n, pp, after_update, &a, NULL, false) != WR_OK)
		s->op_err[multi ? OP_UPDATE_MULTI : OP_UPDATE]++;
	free(sql.p);
	plan_free(&p);
}

static void
op_delete(Session *s)
{
	Plan		p;
	int			hi = rnd(&s->rng, NH),
				si = rnd(&s->rng, NS);
	char		h[24],
				sk[8];
	const char *pp[2] = {h, sk};

	plan_init(&p);
	kv_names(s, hi, si, h, sk);
	SUCC(&p, &s->kv[hi][si], 'k', h, sk, NULL);
	UNC(&p, &s->kv[hi][si], 'k', h, sk, NULL);
	if (do_write(s, &p, "DELETE FROM soak_kv WHERE hash_key = $1 AND sort_key = $2", 2, pp,
				 NULL, NULL, NULL, false) != WR_OK)
		s->op_err[OP_DELETE]++;
	plan_free(&p);
}

/* direct DELETE of a hash key, or of a sort-key range of it */
static void
op_delete_hash(Session *s, bool range)
{
	Plan		p;
	int			hi = rnd(&s->rng, NH),
				a = range ? rnd(&s->rng, NS) : 0,
				b = range ? a + 1 + rnd(&s->rng, 4) : NS,
				i;
	char		h[24],
				sk[8],
				sa[8],
				sb[8];
	const char *pp[3] = {h, sa, sb};

	plan_init(&p);
	kv_names(s, hi, 0, h, NULL);
	sprintf(sa, "k%02d", a);
	sprintf(sb, "k%02d", b);
	for (i = a; i < b && i < NS; i++)
	{
		sprintf(sk, "k%02d", i);
		SUCC(&p, &s->kv[hi][i], 'k', h, sk, NULL);
		UNC(&p, &s->kv[hi][i], 'k', h, sk, NULL);
	}
	if (do_write(s, &p, range ?
				 "DELETE FROM soak_kv WHERE hash_key = $1 AND sort_key >= $2 AND sort_key < $3" :
				 "DELETE FROM soak_kv WHERE hash_key = $1", range ? 3 : 1, pp, NULL, NULL, NULL,
				 false) != WR_OK)
		s->op_err[range ? OP_DELETE_RANGE : OP_DELETE_HASH]++;
	plan_free(&p);
}

typedef struct
{
	int			hi,
				si;
	const char *v;
} OcArg;

static void
after_on_conflict(Session *s, Plan *p, PGresult *res, void *arg)
{
	OcArg	   *a = arg;
	char		h[24],
				sk[8];
	Key		   *k = &s->kv[a->hi][a->si];

	kv_names(s, a->hi, a->si, h, sk);
	if (PQntuples(res) == 1)
	{
		if (key_surely_present(k))
			failure(INV_READ, "s%02d on_conflict: (%s, %s) exists but INSERT ... ON CONFLICT DO NOTHING inserted it",
					s->id, h, sk);
		SUCC(p, k, 'k', h, sk, a->v);
	}
	else if (k->npos >= 1 && key_certain(k) && k->pos[0] == NULL)
		failure(INV_READ, "s%02d on_conflict: (%s, %s) is absent but INSERT ... ON CONFLICT DO NOTHING skipped it",
				s->id, h, sk);
}

static void
op_on_conflict(Session *s)
{
	Plan		p;
	OcArg		a;
	char		h[24],
				sk[8],
				v[2048];
	const char *pp[3] = {h, sk, v};

	plan_init(&p);
	a.hi = rnd(&s->rng, NH);
	a.si = rnd(&s->rng, NS);
	a.v = gen_value(s, v);
	kv_names(s, a.hi, a.si, h, sk);
	if (key_matches(&s->kv[a.hi][a.si], NULL))
		UNC(&p, &s->kv[a.hi][a.si], 'k', h, sk, v);
	if (do_write(s, &p, "INSERT INTO soak_kv VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING sort_key",
				 3, pp, after_on_conflict, &a, NULL, false) != WR_OK)
		s->op_err[OP_ON_CONFLICT]++;
	plan_free(&p);
}

static void
after_incr(Session *s, Plan *p, PGresult *res, void *arg)
{
	char		h[24];

	if (strcmp(PQcmdTuples(res), "1") != 0)
	{
		ctr_name(s, p->ctr, h);
		failure(INV_INCR, "s%02d incr of counter %s updated %s rows, expected 1", s->id, h,
				PQcmdTuples(res));
		p->ctr = -1;
	}
}

static void
op_incr(Session *s)
{
	Plan		p;
	char		h[24],
				d[8];
	const char *pp[2] = {h, d};

	plan_init(&p);
	p.ctr = rnd(&s->rng, NC);
	p.delta = 1 + rnd(&s->rng, 9);
	ctr_name(s, p.ctr, h);
	sprintf(d, "%ld", p.delta);
	{
		char		sql[200];

		/* constants: the direct form, one incr */
		snprintf(sql, sizeof(sql), "UPDATE soak_num SET value = value + %ld WHERE hash_key = '%s' AND sort_key = 'n'",
				 p.delta, h);
		if (do_write(s, &p, sql, 0, pp, after_incr, NULL, NULL, false) != WR_OK)
			s->op_err[OP_INCR]++;
	}
	plan_free(&p);
}

static void
after_key_change(Session *s, Plan *p, PGresult *res, void *arg)
{
	if (strcmp(PQcmdTuples(res), "1") != 0)
	{
		failure(INV_READ, "s%02d key_change: (%s, %s) -> %s expected to move a present record, UPDATE changed %s rows",
				s->id, p->succ[0].h, p->succ[0].sk, p->succ[1].sk, PQcmdTuples(res));
		int			i;

		for (i = 0; i < p->nsucc; i++)
			free(p->succ[i].val);
		p->nsucc = 0;
	}
}

/* check-and-mutate: UPDATE of the sort key of a present record to an absent one */
static void
op_key_change(Session *s)
{
	Plan		p;
	int			hi = rnd(&s->rng, NH),
				a = -1,
				b = -1,
				i;
	char		h[24],
				sa[8],
				sb[8];
	const char *pp[3] = {h, sa, sb};
	int			start = rnd(&s->rng, NS);

	for (i = 0; i < NS; i++)
	{
		int			si = (start + i) % NS;

		if (a < 0 && key_surely_present(&s->kv[hi][si]))
			a = si;
		else if (b < 0 && key_certain(&s->kv[hi][si]) && s->kv[hi][si].pos[0] == NULL)
			b = si;
	}
	if (a < 0 || b < 0)
	{
		op_insert(s);
		return;
	}
	plan_init(&p);
	kv_names(s, hi, a, h, sa);
	sprintf(sb, "k%02d", b);
	{
		char	   *old = xstrdup(s->kv[hi][a].pos[0]);

		SUCC(&p, &s->kv[hi][a], 'k', h, sa, NULL);
		SUCC(&p, &s->kv[hi][b], 'k', h, sb, old);
		UNC(&p, &s->kv[hi][a], 'k', h, sa, NULL);
		UNC(&p, &s->kv[hi][b], 'k', h, sb, old);
		free(old);
	}
	if (do_write(s, &p, "UPDATE soak_kv SET sort_key = $3 WHERE hash_key = $1 AND sort_key = $2",
				 3, pp, after_key_change, NULL, NULL, false) != WR_OK)
		s->op_err[OP_KEY_CHANGE]++;
	plan_free(&p);
}

/* a wide row: some columns set, NULL columns left as they were */
static void
op_wide_insert(Session *s)
{
	Plan		p;
	int			wi = rnd(&s->rng, NW),
				c,
				nset = 0;
	char		h[24],
				v[NWC][2048];
	const char *pp[4] = {h, NULL, NULL, NULL};

	plan_init(&p);
	wide_name(s, wi, h);
	for (c = 0; c < NWC; c++)
		if (rnd(&s->rng, 3) != 0 || (c == NWC - 1 && nset == 0))
		{
			pp[1 + c] = gen_value(s, v[c]);
			SUCC(&p, &s->wide[wi][c], 'w', h, wide_sks[c], v[c]);
			UNC(&p, &s->wide[wi][c], 'w', h, wide_sks[c], v[c]);
			nset++;
		}
	if (do_write(s, &p, "INSERT INTO soak_wide VALUES ($1, $2, $3, $4)", 4, pp, NULL, NULL, NULL,
				 false) != WR_OK)
		s->op_err[OP_WIDE_INSERT]++;
	plan_free(&p);
}

typedef struct
{
	int			wi;
	const char *vals[NWC];
	bool		setc[NWC];
} WuArg;

static void
after_wide_update(Session *s, Plan *p, PGresult *res, void *arg)
{
	WuArg	   *a = arg;
	int			c;
	char		h[24];
	bool		updated = strcmp(PQcmdTuples(res), "1") == 0;

	wide_name(s, a->wi, h);
	if (!updated)
	{
		for (c = 0; c < NWC; c++)
			if (key_surely_present(&s->wide[a->wi][c]))
				failure(INV_READ, "s%02d wide_update: row %s has column %s but UPDATE found no row",
						s->id, h, wide_cols[c]);
		return;
	}
	for (c = 0; c < NWC; c++)
		if (a->setc[c])
			SUCC(p, &s->wide[a->wi][c], 'w', h, wide_sks[c], a->vals[c]);
}

/* UPDATE of some columns of a wide row, NULL removing a sort key */
static void
op_wide_update(Session *s)
{
	Plan		p;
	WuArg		a = {0};
	char		h[24],
				v[NWC][2048];
	const char *pp[4] = {h};
	Buf			sql = {0};
	int			c,
				np = 1;

	plan_init(&p);
	a.wi = rnd(&s->rng, NW);
	wide_name(s, a.wi, h);
	buf_puts(&sql, "UPDATE soak_wide SET ");
	{
		int			nclauses = 0;

		for (c = 0; c < NWC; c++)
		{
			if (rnd(&s->rng, 2) == 0 && !(c == NWC - 1 && nclauses == 0))
				continue;
			a.setc[c] = true;
			a.vals[c] = rnd(&s->rng, 4) == 0 ? NULL : gen_value(s, v[c]);
			if (a.vals[c])
			{
				pp[np] = a.vals[c];
				buf_printf(&sql, "%s%s = $%d", nclauses ? ", " : "", wide_cols[c], np + 1);
				np++;
			}
			else
				buf_printf(&sql, "%s%s = NULL", nclauses ? ", " : "", wide_cols[c]);
			nclauses++;
		}
	}
	buf_puts(&sql, " WHERE hash_key = $1");
	{
		bool		maybe = false;

		for (c = 0; c < NWC; c++)
			maybe |= key_maybe_present(&s->wide[a.wi][c]);
		if (maybe)
			for (c = 0; c < NWC; c++)
				if (a.setc[c])
					UNC(&p, &s->wide[a.wi][c], 'w', h, wide_sks[c], a.vals[c]);
	}
	if (do_write(s, &p, sql.p, np, pp, after_wide_update, &a, NULL, false) != WR_OK)
		s->op_err[OP_WIDE_UPDATE]++;
	free(sql.p);
	plan_free(&p);
}

static void
op_wide_delete(Session *s)
{
	Plan		p;
	int			wi = rnd(&s->rng, NW),
				c;
	char		h[24];
	const char *pp[1] = {h};

	plan_init(&p);
	wide_name(s, wi, h);
	for (c = 0; c < NWC; c++)
	{
		SUCC(&p, &s->wide[wi][c], 'w', h, wide_sks[c], NULL);
		UNC(&p, &s->wide[wi][c], 'w', h, wide_sks[c], NULL);
	}
	if (do_write(s, &p, "DELETE FROM soak_wide WHERE hash_key = $1", 1, pp, NULL, NULL, NULL,
				 false) != WR_OK)
		s->op_err[OP_WIDE_DELETE]++;
	plan_free(&p);
}

/* statements the FDW must refuse before sending anything */
static void
op_bad_input(Session *s)
{
	Plan		p;
	char		h[24],
				sk[8];
	const char *pp[2] = {h, sk};
	int			kind = rnd(&s->rng, 3);

	plan_init(&p);
	if (kind == 0)
	{
		/* the value '010' is no plain decimal: incr is refused (22P02) */
		char		sql[128];

		snprintf(sql, sizeof(sql), "UPDATE soak_num SET value = value + 1 WHERE hash_key = '%sbad' AND sort_key = 'b'",
				 s->pfx);
		do_write(s, &p, sql, 0, pp, NULL, NULL, NULL, true);
	}
	else if (kind == 1)
	{
		kv_names(s, rnd(&s->rng, NH), rnd(&s->rng, NS), h, sk);
		do_write(s, &p, "INSERT INTO soak_kv VALUES ($1, $2, NULL)", 2, pp, NULL, NULL, NULL, true);
	}
	else
	{
		sprintf(sk, "k%02d", rnd(&s->rng, NS));
		h[0] = 0;
		do_write(s, &p, "INSERT INTO soak_kv VALUES ($1, $2, 'x')", 2, pp, NULL, NULL, NULL, true);
	}
	plan_free(&p);
}

/* ------------------------------------------------------------------ */
/* verification of a session's own keys by key reads (end of the run) */

static bool
verify_session(Session *s)
{
	int			hi,
				i;
	bool		ok = true;

	for (hi = 0; hi < NH; hi++)
	{
		char		h[24];
		const char *p[1] = {h};

		memset(want_kv, 0, sizeof(want_kv));
		for (i = 0; i < NS; i++)
			want_kv[hi][i] = true;
		kv_names(s, hi, 0, h, NULL);
		ok &= read_kv(s, OP_HASH_IN, "SELECT hash_key, sort_key, value FROM soak_kv WHERE hash_key = $1",
					  1, p, want_kv, INV_READ);
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* the session thread */

static int	op_weight_total;

static void *
session_main(void *arg)
{
	Session    *s = arg;

	session_connect(s);
	while (!atomic_load(&stop_workload))
	{
		int			w = rnd(&s->rng, op_weight_total),
					op;

		for (op = 0; op < NOPS; op++)
		{
			if (w < ops[op].weight)
				break;
			w -= ops[op].weight;
		}
		atomic_store(&s->cur_op, op);
		s->op_count[op]++;
		switch ((OpKind) op)
		{
			case OP_GET: op_get(s); break;
			case OP_IN_LIST: op_in_list(s); break;
			case OP_RANGE: op_range(s); break;
			case OP_HASH_IN: op_hash_in(s); break;
			case OP_SCAN_AGG: op_scan_agg(s); break;
			case OP_SCAN_ROWS: op_scan_rows(s); break;
			case OP_WIDE_GET: op_wide_get(s); break;
			case OP_WIDE_SCAN: op_wide_scan(s); break;
			case OP_JOIN: op_join(s); break;
			case OP_WIDE_JOIN: op_wide_join(s); break;
			case OP_INSERT: op_insert(s); break;
			case OP_INSERT_MULTI: op_insert_multi(s, false); break;
			case OP_UPDATE: op_update(s, false); break;
			case OP_UPDATE_MULTI: op_update(s, true); break;
			case OP_DELETE: op_delete(s); break;
			case OP_DELETE_HASH: op_delete_hash(s, false); break;
			case OP_DELETE_RANGE: op_delete_hash(s, true); break;
			case OP_ON_CONFLICT: op_on_conflict(s); break;
			case OP_INCR: op_incr(s); break;
			case OP_KEY_CHANGE: op_key_change(s); break;
			case OP_COPY: op_insert_multi(s, true); break;
			case OP_WIDE_INSERT: op_wide_insert(s); break;
			case OP_WIDE_UPDATE: op_wide_update(s); break;
			case OP_WIDE_DELETE: op_wide_delete(s); break;
			case OP_BAD_INPUT: op_bad_input(s); break;
			default: break;
		}
		atomic_fetch_add(&s->ops_done, 1);
		/* session 0 keeps its backend at opt_pipeline_rate statements per second */
		if (s->exempt_terminate && opt_pipeline_rate > 0 && !atomic_load(&stop_workload) &&
			atomic_load(&s->backend_stmts) < opt_pipeline_rate * (now_ms() - s->backend_t0_ms) / 1000)
		{
			atomic_store(&s->cur_op, OP_PIPE_GETS);
			s->op_count[OP_PIPE_GETS]++;
			op_pipe_gets(s);
			atomic_fetch_add(&s->ops_done, 1);
		}
	}
	/* settle: once the faults are cleared, a statement on every table must succeed */
	while (!atomic_load(&settle_phase))
		usleep(20000);
	{
		long long	start = now_ms();
		int			step = 0;

		while (step < 3 && now_ms() - start < 120000)
		{
			Res			r;
			const char *sql = step == 0 ? "SELECT count(*) FROM soak_kv WHERE hash_key = 'none' AND sort_key = 'x'" :
				step == 1 ? "SELECT count(*) FROM soak_wide WHERE hash_key = 'none'" :
				"SELECT count(*) FROM soak_shadow WHERE tbl = 'none'";

			r = run(s, sql, 0, NULL, false);
			if (r.ok)
				step++;
			else
			{
				recover(s, &r);
				usleep(50000);
			}
			res_clear(&r);
		}
		s->settled = step == 3;
		s->verified = s->settled && verify_session(s);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* faults */

typedef struct FaultKind FaultKind;
typedef struct Fault
{
	const FaultKind *kind;
	int			arg;			/* a port, a session, ... */
	char		desc[96];
	long long	applied_ms;
	long long	clear_at_ms;	/* when to undo */
	long long	cleared_ms;		/* when undone (0: active) */
	double		pre_rate;		/* successes per second in the 5 s before */
} Fault;

struct FaultKind
{
	const char *name;
	int			weight;
	int			min_ms,
				max_ms;			/* duration; 0: instant */
	bool		(*apply) (Fault *f, unsigned long long *rng);
	void		(*undo) (Fault *f);
	long		applied;
	bool		enabled;
};

static PGconn *fault_conn;
static int	partitions[2] = {8, 8};	/* soak_kv, soak_wide: counts moves may use */
static int	stopped[16];		/* replica index stopped by a fault */
static int	latency_on[16];
static bool leader_moved;
static bool meta_stopped;

static int
replica_port(unsigned long long *rng)
{
	return replica_ports[rnd(rng, n_replicas)];
}

static int
replica_index(int port)
{
	int			i;

	for (i = 0; i < n_replicas; i++)
		if (replica_ports[i] == port)
			return i;
	return 0;
}

static bool
ctl_ok(const char *fmt,...)
{
	char		cmd[512],
				out[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (control(cmd, out, sizeof(out)))
		return true;
	fprintf(stderr, "soak: control '%s' answered '%s'\n", cmd, out);
	return false;
}

static bool
f_stop_apply(Fault *f, unsigned long long *rng)
{
	int			i,
				n = 0,
				port = replica_port(rng);

	for (i = 0; i < n_replicas; i++)
		n += stopped[i];
	if (n >= n_replicas - 1 || stopped[replica_index(port)])
		return false;
	stopped[replica_index(port)] = 1;
	f->arg = port;
	snprintf(f->desc, sizeof(f->desc), "stop %d", port);
	return ctl_ok("stop %d", port);
}

static void
f_stop_undo(Fault *f)
{
	stopped[replica_index(f->arg)] = 0;
	ctl_ok("start %d", f->arg);
}

/* a running replica other than `not` (0: any) */
static int
running_replica(unsigned long long *rng, int not)
{
	int			i,
				start = rnd(rng, n_replicas);

	for (i = 0; i < n_replicas; i++)
	{
		int			j = (start + i) % n_replicas;

		if (!stopped[j] && replica_ports[j] != not)
			return replica_ports[j];
	}
	return replica_ports[start];
}

/* a replica stops and the meta moves its primaries to the others, as after a failure detection */
static bool
f_failover_apply(Fault *f, unsigned long long *rng)
{
	char		out[8192];
	char	   *line,
			   *save;
	int			moved = 0;

	if (!f_stop_apply(f, rng))
		return false;
	if (!control("tables", out, sizeof(out)))
		return true;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		char		name[64];
		char	   *pr = strstr(line, "primaries=");
		int			pidx = 0;

		if (sscanf(line, "%63s", name) != 1 || strncmp(name, "soak_", 5) != 0 || pr == NULL)
			continue;
		for (pr += 10; *pr && *pr != '\r'; pidx++)
		{
			if (atoi(pr) == f->arg)
			{
				ctl_ok("move %s %d %d", name, pidx, running_replica(rng, f->arg));
				moved++;
			}
			pr = strchr(pr, ',');
			if (pr == NULL)
				break;
			pr++;
		}
	}
	snprintf(f->desc, sizeof(f->desc), "stop %d, %d primaries moved away", f->arg, moved);
	return true;
}

static bool
f_move_apply(Fault *f, unsigned long long *rng)
{
	int			t = rnd(rng, 2);
	int			pidx = rnd(rng, partitions[t]);
	int			port = running_replica(rng, 0);

	snprintf(f->desc, sizeof(f->desc), "move %s %d %d", t ? "soak_wide" : "soak_kv", pidx, port);
	ctl_ok("move %s %d %d", t ? "soak_wide" : "soak_kv", pidx, port);
	return true;
}

static bool
f_leader_apply(Fault *f, unsigned long long *rng)
{
	if (n_metas < 2 || leader_moved)
		return false;
	leader_moved = true;
	f->arg = meta_ports[1 + rnd(rng, n_metas - 1)];
	snprintf(f->desc, sizeof(f->desc), "leader %d", f->arg);
	return ctl_ok("leader %d", f->arg);
}

static void
f_leader_undo(Fault *f)
{
	leader_moved = false;
	ctl_ok("leader %d", meta_ports[0]);
}

static bool
f_meta_stop_apply(Fault *f, unsigned long long *rng)
{
	if (n_metas < 2 || meta_stopped)
		return false;
	meta_stopped = true;
	/* a follower, or the leader when another one leads */
	f->arg = leader_moved ? meta_ports[0] : meta_ports[1 + rnd(rng, n_metas - 1)];
	snprintf(f->desc, sizeof(f->desc), "stop meta %d", f->arg);
	return ctl_ok("stop %d", f->arg);
}

static void
f_meta_stop_undo(Fault *f)
{
	meta_stopped = false;
	ctl_ok("start %d", f->arg);
}

static bool
f_latency_apply(Fault *f, unsigned long long *rng)
{
	int			port = replica_port(rng);
	int			ms = opt_stmt_timeout_ms + 500 + rnd(rng, 2500);

	if (latency_on[replica_index(port)])
		return false;
	latency_on[replica_index(port)] = 1;
	f->arg = port;
	snprintf(f->desc, sizeof(f->desc), "latency %d %d", port, ms);
	return ctl_ok("latency %d %d", port, ms);
}

static void
f_latency_undo(Fault *f)
{
	latency_on[replica_index(f->arg)] = 0;
	ctl_ok("latency %d 0", f->arg);
}

static bool
corrupt_apply(Fault *f, unsigned long long *rng, const char *mode)
{
	int			port = rnd(rng, 5) == 0 ? meta_ports[0] : replica_port(rng);

	snprintf(f->desc, sizeof(f->desc), "corrupt %d %s", port, mode);
	return ctl_ok("corrupt %d %s", port, mode);
}

static bool f_corrupt_garbage(Fault *f, unsigned long long *r) { return corrupt_apply(f, r, "garbage"); }
static bool f_corrupt_truncated(Fault *f, unsigned long long *r) { return corrupt_apply(f, r, "truncated"); }
static bool f_corrupt_oversized(Fault *f, unsigned long long *r) { return corrupt_apply(f, r, "oversized"); }
static bool f_corrupt_badseqid(Fault *f, unsigned long long *r) { return corrupt_apply(f, r, "badseqid"); }

static bool
f_drop_apply(Fault *f, unsigned long long *rng)
{
	int			port = rnd(rng, 5) == 0 ? meta_ports[0] : replica_port(rng);

	snprintf(f->desc, sizeof(f->desc), "drop %d", port);
	return ctl_ok("drop %d", port);
}

static const char *const fail_rpcs[] = {
	"RPC_RRDB_RRDB_PUT", "RPC_RRDB_RRDB_MULTI_PUT", "RPC_RRDB_RRDB_REMOVE",
	"RPC_RRDB_RRDB_MULTI_REMOVE", "RPC_RRDB_RRDB_INCR", "RPC_RRDB_RRDB_CHECK_AND_SET",
	"RPC_RRDB_RRDB_CHECK_AND_MUTATE", "RPC_RRDB_RRDB_GET", "RPC_RRDB_RRDB_MULTI_GET",
	"RPC_RRDB_RRDB_BATCH_GET", "RPC_RRDB_RRDB_GET_SCANNER", "RPC_RRDB_RRDB_SCAN"
};
#define NFAIL_RPCS ((int) (sizeof(fail_rpcs) / sizeof(fail_rpcs[0])))

static bool
fail_apply(Fault *f, unsigned long long *rng, const char *err, int maxn, bool writes_only)
{
	const char *rpc = fail_rpcs[rnd(rng, writes_only ? 7 : NFAIL_RPCS)];
	int			n = 1 + rnd(rng, maxn);

	snprintf(f->desc, sizeof(f->desc), "fail * %s %d %s", rpc, n, err);
	return ctl_ok("fail * %s %d %s", rpc, n, err);
}

static bool f_busy(Fault *f, unsigned long long *r) { return fail_apply(f, r, "ERR_BUSY", 40, false); }
static bool f_invalid_state(Fault *f, unsigned long long *r) { return fail_apply(f, r, "ERR_INVALID_STATE", 10, false); }
static bool f_noreply(Fault *f, unsigned long long *r) { return fail_apply(f, r, "noreply", 2, true); }

/*
 * Throttling by app env, as an operator sets it on a busy cluster: a
 * replica delays what passes the delay units and answers ERR_BUSY to what
 * passes the reject units, per partition and clock second.  arg encodes
 * the table (0 soak_kv, 1 soak_wide) and the env.
 */
static const char *const throttle_envs[] = {
	"replica.write_throttling", "replica.write_throttling_by_size", "replica.read_throttling"
};
static bool throttle_on[2][3];

static bool
throttle_apply(Fault *f, unsigned long long *rng, int env)
{
	int			t = rnd(rng, 2);
	int			parts = partitions[t];
	char		value[96];

	if (throttle_on[t][env])
		return false;
	if (env == 1)
		snprintf(value, sizeof(value), "%dK*delay*%d,%dK*reject*%d",
				 parts / 4 + 1, 20 + rnd(rng, 180), parts + 1, rnd(rng, 100));
	else
		snprintf(value, sizeof(value), "%d*delay*%d,%d*reject*%d",
				 parts * (env == 2 ? 8 : 2), 20 + rnd(rng, 180),
				 parts * (env == 2 ? 24 : 5), rnd(rng, 100));
	throttle_on[t][env] = true;
	f->arg = t * 4 + env;
	snprintf(f->desc, sizeof(f->desc), "app-env %s %s %s",
			 t ? "soak_wide" : "soak_kv", throttle_envs[env], value);
	return ctl_ok("app-env %s %s %s", t ? "soak_wide" : "soak_kv", throttle_envs[env], value);
}

static void
throttle_undo(Fault *f)
{
	int			t = f->arg / 4,
				env = f->arg % 4;

	throttle_on[t][env] = false;
	ctl_ok("app-env %s %s", t ? "soak_wide" : "soak_kv", throttle_envs[env]);
}

/* The KDC stops answering (SIGSTOP: its sockets stay open, requests go unanswered) */
static bool
f_kdc_pause_apply(Fault *f, unsigned long long *rng)
{
	if (atomic_load(&kdc_paused_until_ms) == LLONG_MAX)
		return false;
	snprintf(f->desc, sizeof(f->desc), "kdc stopped (pid %d)", opt_kdc_pid);
	atomic_store(&kdc_paused_until_ms, LLONG_MAX);
	if (kill(opt_kdc_pid, SIGSTOP) == 0)
		return true;
	atomic_store(&kdc_paused_until_ms, 0);
	return false;
}

static void
f_kdc_pause_undo(Fault *f)
{
	kill(opt_kdc_pid, SIGCONT);
	atomic_store(&kdc_paused_until_ms, now_ms());
}

static bool f_write_throttle(Fault *f, unsigned long long *r) { return throttle_apply(f, r, rnd(r, 2)); }
static bool f_read_throttle(Fault *f, unsigned long long *r) { return throttle_apply(f, r, 2); }

static bool
backend_signal(Fault *f, unsigned long long *rng, const char *fn)
{
	int			i = rnd(rng, opt_sessions);
	char		sql[128];
	PGresult   *r;

	if (strcmp(fn, "pg_terminate_backend") == 0 && sessions[i].exempt_terminate)
		i = (i + 1) % opt_sessions;
	if (strcmp(fn, "pg_terminate_backend") == 0 && sessions[i].exempt_terminate)
		return false;
	f->arg = atomic_load(&sessions[i].pid);
	snprintf(f->desc, sizeof(f->desc), "%s s%02d (pid %d)", fn, i, f->arg);
	snprintf(sql, sizeof(sql), "SELECT %s(%d)", fn, f->arg);
	if (PQstatus(fault_conn) != CONNECTION_OK)
		PQreset(fault_conn);
	r = PQexec(fault_conn, sql);
	PQclear(r);
	return true;
}

static bool f_cancel(Fault *f, unsigned long long *r) { return backend_signal(f, r, "pg_cancel_backend"); }
static bool f_terminate(Fault *f, unsigned long long *r) { return backend_signal(f, r, "pg_terminate_backend"); }

/* splits are scheduled, not drawn: see split_step */
static bool f_split(Fault *f, unsigned long long *r) { return false; }

static FaultKind fault_kinds[] = {
	{"replica_stop", 6, 500, 3000, f_stop_apply, f_stop_undo},
	{"replica_failover", 6, 1000, 5000, f_failover_apply, f_stop_undo},
	{"move", 10, 0, 0, f_move_apply, NULL},
	{"meta_leader", 5, 2000, 8000, f_leader_apply, f_leader_undo},
	{"meta_stop", 4, 1000, 5000, f_meta_stop_apply, f_meta_stop_undo},
	{"latency", 8, 500, 4000, f_latency_apply, f_latency_undo},
	{"corrupt_garbage", 3, 0, 0, f_corrupt_garbage, NULL},
	{"corrupt_truncated", 3, 0, 0, f_corrupt_truncated, NULL},
	{"corrupt_oversized", 2, 0, 0, f_corrupt_oversized, NULL},
	{"corrupt_badseqid", 2, 0, 0, f_corrupt_badseqid, NULL},
	{"drop", 6, 0, 0, f_drop_apply, NULL},
	{"busy", 6, 0, 0, f_busy, NULL},
	{"invalid_state", 3, 0, 0, f_invalid_state, NULL},
	{"noreply", 3, 0, 0, f_noreply, NULL},
	{"cancel", 6, 0, 0, f_cancel, NULL},
	{"terminate", 3, 0, 0, f_terminate, NULL},
	{"write_throttle", 4, 1000, 4000, f_write_throttle, throttle_undo},
	{"read_throttle", 3, 1000, 4000, f_read_throttle, throttle_undo},
	{"kdc_pause", 4, 1000, 6000, f_kdc_pause_apply, f_kdc_pause_undo},
	{"split", 0, 0, 0, f_split, NULL},
	{"split_cancel", 0, 0, 0, f_split, NULL},
};
#define NKINDS ((int) (sizeof(fault_kinds) / sizeof(fault_kinds[0])))

#define MAXFAULTS 20000
static Fault *faults;
static int	n_faults;
static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;

static void
active_faults(char *out, size_t n)
{
	size_t		len = 0;
	int			i;
	long long	now = now_ms();

	out[0] = 0;
	pthread_mutex_lock(&fault_mu);
	for (i = n_faults - 1; i >= 0 && len + 100 < n; i--)
	{
		Fault	   *f = &faults[i];

		/* active, or instant and applied within the last 3 s */
		if ((f->cleared_ms == 0) || (f->kind->undo == NULL && now - f->applied_ms < 3000 &&
									  strcmp(f->kind->name, "split") != 0))
			len += snprintf(out + len, n - len, "%s%s%s", len ? "; " : "", f->desc,
							f->cleared_ms == 0 ? "" : " (recent)");
	}
	pthread_mutex_unlock(&fault_mu);
}

static double
rate_before(long long at_ms)
{
	long		b1 = (at_ms - t0_ms) / 10,
				b0 = b1 - 500,
				b,
				sum = 0;

	if (b0 < 0)
		b0 = 0;
	if (b1 <= b0)
		return 0;
	for (b = b0; b < b1 && b < n_buckets; b++)
		sum += atomic_load(&succ_buckets[b]);
	return sum / ((b1 - b0) / 100.0);
}

static Fault *
new_fault(const FaultKind *k)
{
	Fault	   *f;

	pthread_mutex_lock(&fault_mu);
	if (n_faults >= MAXFAULTS)
	{
		pthread_mutex_unlock(&fault_mu);
		return NULL;
	}
	f = &faults[n_faults];
	memset(f, 0, sizeof(*f));
	f->kind = k;
	pthread_mutex_unlock(&fault_mu);
	return f;
}

static void
commit_fault(Fault *f, unsigned long long *rng)
{
	long long	now = now_ms();

	f->applied_ms = now;
	f->pre_rate = rate_before(now);
	if (f->kind->undo)
		f->clear_at_ms = now + f->kind->min_ms + rnd(rng, f->kind->max_ms - f->kind->min_ms + 1);
	else
		f->cleared_ms = now;
	pthread_mutex_lock(&fault_mu);
	n_faults++;
	((FaultKind *) f->kind)->applied++;
	pthread_mutex_unlock(&fault_mu);
}

/*
 * The scheduled splits, as a cluster's operator runs them: both tables
 * 8 -> 16 at 20% of the run and 16 -> 32 at 45%, each compacted once
 * split.  Parents register in a seeded random order with three windows
 * open at once, and each child becomes active only when the meta's reply
 * reaches it (split-activate-delay).  The first split of soak_kv is
 * paused for a while and resumed; at 32% a split of soak_wide is started,
 * paused and cancelled, so the partition count shrinks back.
 *
 * replica.split.validate_partition_hash stays as the meta sets it: a
 * cluster where it is false during a split loses writes by design (a
 * parent in its window takes them for its child's half), so the soak
 * cannot tell that from a client bug; test_onebox and the split tests use
 * that mode.
 */
static int	split_state;		/* 0 none, 1 splitting first, 2 done first, 3 splitting second, 4 done */
static Fault *split_fault;
static long long split_resume_at;	/* the paused split of soak_kv resumes then (0: not paused) */
static int	cancel_state;		/* 0 not yet, 1 started and paused, 2 over */
static long long cancel_at;
static Fault *cancel_fault;

static FaultKind *
kind_named(const char *name)
{
	int			i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(fault_kinds[i].name, name) == 0)
			return &fault_kinds[i];
	return NULL;
}

static bool
split_done(const char *table)
{
	char		out[256];

	if (!control(table, out, sizeof(out)))
		return false;
	return strstr(out, "phase=split") != NULL || strstr(out, "phase=none") != NULL;
}

/* a scheduled fault, applied now and cleared by the caller */
static Fault *
scheduled_fault(FaultKind *k, const char *fmt,...)
{
	Fault	   *f;
	va_list		ap;

	if ((f = new_fault(k)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(f->desc, sizeof(f->desc), fmt, ap);
	va_end(ap);
	f->clear_at_ms = 0;
	f->applied_ms = now_ms();
	f->pre_rate = rate_before(f->applied_ms);
	pthread_mutex_lock(&fault_mu);
	n_faults++;
	k->applied++;
	pthread_mutex_unlock(&fault_mu);
	return f;
}

static void
split_start(unsigned long long *rng)
{
	FaultKind  *k = kind_named("split");

	if (split_state == 0)
	{
		ctl_ok("split-mode random %llu 3", (unsigned long long) (opt_seed % 1000000007ULL));
		ctl_ok("split-activate-delay %d", 100 + rnd(rng, 400));
	}
	if (!ctl_ok("split soak_kv") || !ctl_ok("split soak_wide"))
	{
		split_state = 4;		/* the onebox refuses: give up on splits */
		return;
	}
	split_fault = scheduled_fault(k, "split soak_kv, soak_wide %d -> %d", partitions[0], partitions[0] * 2);
	/* the copying phase lasts 200 ms: a pause now finds no child registered */
	if (split_state == 0 && ctl_ok("split-pause soak_kv"))
	{
		split_resume_at = now_ms() + 1000 + rnd(rng, 2000);
		if (split_fault)
			strncat(split_fault->desc, " (soak_kv paused, then resumed)",
					sizeof(split_fault->desc) - strlen(split_fault->desc) - 1);
	}
	split_state++;
}

static void
cancel_step(unsigned long long *rng, bool finish)
{
	FaultKind  *k = kind_named("split_cancel");
	char		out[256];

	if (cancel_state == 0)
	{
		if (!k->enabled)
		{
			cancel_state = 2;
			return;
		}
		if (!ctl_ok("split soak_wide"))
		{
			cancel_state = 2;
			return;
		}
		cancel_fault = scheduled_fault(k, "split soak_wide %d -> %d, paused, cancelled",
									   partitions[1], partitions[1] * 2);
		if (ctl_ok("split-pause soak_wide"))
		{
			cancel_at = now_ms() + 500 + rnd(rng, 2500);
			cancel_state = 1;
			return;
		}
		/* too late to pause (a child registered): let it finish instead */
		cancel_at = 0;
		cancel_state = 1;
		return;
	}
	if (cancel_state != 1)
		return;
	if (cancel_at != 0 && (now_ms() >= cancel_at || finish))
	{
		if (control("split-cancel soak_wide", out, sizeof(out)) && strncmp(out, "OK", 2) == 0)
		{
			if (cancel_fault)
				cancel_fault->cleared_ms = now_ms();
			cancel_state = 2;
			return;
		}
		/* refused: resume, and the split goes on to the end */
		ctl_ok("split-resume soak_wide");
		cancel_at = 0;
	}
	if (cancel_at == 0 && split_done("split-status soak_wide"))
	{
		ctl_ok("compact soak_wide");
		partitions[1] *= 2;
		if (cancel_fault)
		{
			strncat(cancel_fault->desc, " (refused: finished)",
					sizeof(cancel_fault->desc) - strlen(cancel_fault->desc) - 1);
			cancel_fault->cleared_ms = now_ms();
		}
		cancel_state = 2;
	}
}

static void
split_step(unsigned long long *rng, bool finish)
{
	double		e = elapsed_s(),
				run = opt_seconds;
	FaultKind  *k = kind_named("split");

	if (split_state == 0 && (e >= run * 0.20 || finish))
	{
		if (k->enabled)
			split_start(rng);
	}
	else if (split_state == 2 && cancel_state != 2)
	{
		if (e >= run * 0.32 || finish || cancel_state == 1)
			cancel_step(rng, finish);
	}
	else if (split_state == 2 && (e >= run * 0.45 || finish))
		split_start(rng);
	else if (split_state == 1 || split_state == 3)
	{
		if (split_resume_at != 0)
		{
			if (now_ms() < split_resume_at && !finish)
				return;
			ctl_ok("split-resume soak_kv");
			split_resume_at = 0;
		}
		if (split_done("split-status soak_kv") && split_done("split-status soak_wide"))
		{
			ctl_ok("compact soak_kv");
			ctl_ok("compact soak_wide");
			partitions[0] *= 2;
			partitions[1] *= 2;
			if (split_fault)
				split_fault->cleared_ms = now_ms();
			split_state++;
		}
	}
}

static void *
fault_main(void *arg)
{
	unsigned long long rng = opt_seed * 7919 + 17;
	int			order[NKINDS],
				n_order = 0,
				next_order = 0,
				i;
	long long	next_at = now_ms() + 1000;

	/* first every kind once (shuffled), then at random */
	for (i = 0; i < NKINDS; i++)
		if (fault_kinds[i].enabled && fault_kinds[i].weight > 0)
			order[n_order++] = i;
	for (i = n_order - 1; i > 0; i--)
	{
		int			j = rnd(&rng, i + 1),
					t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	{
		int			total = 0;

		for (i = 0; i < NKINDS; i++)
			if (fault_kinds[i].enabled)
				total += fault_kinds[i].weight;
		while (!atomic_load(&stop_faults))
		{
			long long	now = now_ms();
			int			j;

			/* undo what is due */
			for (j = 0; j < n_faults; j++)
			{
				Fault	   *f = &faults[j];

				if (f->cleared_ms == 0 && f->kind->undo && now >= f->clear_at_ms)
				{
					f->kind->undo(f);
					f->cleared_ms = now_ms();
				}
			}
			split_step(&rng, false);
			if (now >= next_at && total > 0)
			{
				int			ki;
				Fault	   *f;

				if (next_order < n_order)
					ki = order[next_order];
				else
				{
					int			w = rnd(&rng, total);

					for (ki = 0; ki < NKINDS; ki++)
					{
						if (!fault_kinds[ki].enabled)
							continue;
						if (w < fault_kinds[ki].weight)
							break;
						w -= fault_kinds[ki].weight;
					}
				}
				if ((f = new_fault(&fault_kinds[ki])) != NULL && f->kind->apply(f, &rng))
				{
					commit_fault(f, &rng);
					if (next_order < n_order)
						next_order++;
				}
				else if (next_order < n_order && fault_kinds[ki].undo)
				{
					/* a kind that cannot be applied now (one like it active): later */
				}
				else if (next_order < n_order)
					next_order++;
				next_at = now + opt_fault_gap_ms / 2 + rnd(&rng, opt_fault_gap_ms + 1);
			}
			usleep(20000);
		}
		/* the end: undo everything, finish the splits */
		for (i = 0; i < n_faults; i++)
		{
			Fault	   *f = &faults[i];

			if (f->cleared_ms == 0 && f->kind->undo)
			{
				f->kind->undo(f);
				f->cleared_ms = now_ms();
			}
		}
		ctl_ok("clear-faults");
		for (i = 0; i < n_replicas; i++)
			ctl_ok("start %d", replica_ports[i]);
		for (i = 0; i < n_metas; i++)
			ctl_ok("start %d", meta_ports[i]);
		if (n_metas > 1)
			ctl_ok("leader %d", meta_ports[0]);
		{
			long long	until = now_ms() + 120000;

			while ((split_state == 1 || split_state == 3 || cancel_state == 1) && now_ms() < until)
			{
				split_step(&rng, false);
				usleep(50000);
			}
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* /proc figures of the backends */

/*
 * A backend's resident memory: VmRSS, and its private part RssAnon (what a
 * leak grows; VmRSS also counts shared buffers touched and mapped files such
 * as the JIT's LLVM library).
 */
static long
proc_mem_kb(int pid, const char *field)
{
	char		path[64],
				line[256];
	FILE	   *f;
	long		kb = -1;
	size_t		fl = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0)
			kb = atol(line + fl);
	fclose(f);
	return kb;
}

static long
proc_rss_kb(int pid)
{
	return proc_mem_kb(pid, "RssAnon:");
}

/*
 * Count a backend's descriptors in two kinds: files (PostgreSQL keeps
 * relation files open in its own cache, bounded by max_files_per_process,
 * and opens more as a session touches more relations) and everything else
 * (sockets, pipes, event fds), which is where a leaked connection shows.
 */
static bool
proc_fds(int pid, int *handles, int *files)
{
	char		path[64];
	DIR		   *d;
	struct dirent *e;

	*handles = *files = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if ((d = opendir(path)) == NULL)
		return false;
	while ((e = readdir(d)) != NULL)
	{
		char		link[PATH_MAX],
					target[PATH_MAX];
		ssize_t		n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && target[0] == '/')
			(*files)++;
		else
			(*handles)++;
	}
	closedir(d);
	return true;
}

static void
sample_backends(void)
{
	int			i;

	for (i = 0; i < opt_sessions; i++)
	{
		Session    *s = &sessions[i];
		Sample	   *x;

		if (s->nsamples >= MAXSAMPLES)
		{
			/* keep every other sample */
			int			j;

			for (j = 0; j < MAXSAMPLES / 2; j++)
				s->samples[j] = s->samples[2 * j];
			s->nsamples = MAXSAMPLES / 2;
		}
		x = &s->samples[s->nsamples];
		x->t = elapsed_s();
		x->pid = atomic_load(&s->pid);
		x->rss_kb = proc_rss_kb(x->pid);
		if (!proc_fds(x->pid, &x->handles, &x->files))
			x->handles = x->files = -1;
		x->backend_stmts = atomic_load(&s->backend_stmts);
		if (x->rss_kb >= 0)
			s->nsamples++;
	}
}

/* ------------------------------------------------------------------ */
/* progress */

static void
progress(void)
{
	long		stmts = 0,
				ops_n = 0,
				unc = 0,
				ack = 0,
				rss_min = -1,
				rss_max = 0,
				anon_min = -1,
				anon_max = 0;
	int			i;
	Buf			b = {0};

	for (i = 0; i < opt_sessions; i++)
	{
		Session    *s = &sessions[i];
		long		rss = proc_mem_kb(atomic_load(&s->pid), "VmRSS:");
		long		anon = proc_rss_kb(atomic_load(&s->pid));

		stmts += atomic_load(&s->stmts);
		ops_n += atomic_load(&s->ops_done);
		unc += s->uncertain_writes;
		ack += s->acked_writes;
		if (rss >= 0)
		{
			if (rss_min < 0 || rss < rss_min)
				rss_min = rss;
			if (rss > rss_max)
				rss_max = rss;
		}
		if (anon >= 0)
		{
			if (anon_min < 0 || anon < anon_min)
				anon_min = anon;
			if (anon > anon_max)
				anon_max = anon;
		}
	}
	buf_printf(&b, "soak: %4.0fs statements=%ld ops=%ld acked_writes=%ld uncertain=%ld errors={",
			   elapsed_s(), stmts, ops_n, ack, unc);
	pthread_mutex_lock(&report_mu);
	for (i = 0; i < n_states; i++)
		buf_printf(&b, "%s%s:%ld", i ? " " : "", states[i].code, states[i].count);
	pthread_mutex_unlock(&report_mu);
	buf_puts(&b, "} faults={");
	{
		bool		first = true;

		for (i = 0; i < NKINDS; i++)
			if (fault_kinds[i].applied)
			{
				buf_printf(&b, "%s%s:%ld", first ? "" : " ", fault_kinds[i].name, fault_kinds[i].applied);
				first = false;
			}
	}
	buf_printf(&b, "} rss=%.1f-%.1fMB (private %.1f-%.1fMB)", rss_min / 1024.0, rss_max / 1024.0,
			   anon_min / 1024.0, anon_max / 1024.0);
	{
		long		f = 0;

		for (i = 0; i < NINV_COUNTED; i++)
			f += atomic_load(&inv_fail[i]);
		if (f)
			buf_printf(&b, " FAILURES=%ld", f);
	}
	printf("%s\n", b.p);
	fflush(stdout);
	free(b.p);
}

/* ------------------------------------------------------------------ */
/* setup */

static PGconn *
connect_or_die(void)
{
	PGconn	   *c = PQconnectdb(opt_conninfo);

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "soak: cannot connect to PostgreSQL: %s", PQerrorMessage(c));
		exit(2);
	}
	return c;
}

static void
exec_or_die(PGconn *c, const char *sql)
{
	PGresult   *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "soak: setup failed: %s\n  statement: %.300s\n", PQerrorMessage(c), sql);
		exit(2);
	}
	PQclear(r);
}

static void
setup(void)
{
	PGconn	   *c = connect_or_die();
	Buf			b = {0};
	int			i;

	buf_printf(&b,
			   "CREATE EXTENSION IF NOT EXISTS pegasus_fdw;"
			   "DROP SERVER IF EXISTS soak CASCADE;"
			   "CREATE SERVER soak FOREIGN DATA WRAPPER pegasus_fdw OPTIONS (meta_servers '%s', "
			   "timeout_ms '%d', connect_timeout_ms '500'%s%s);"
			   "CREATE USER MAPPING FOR PUBLIC SERVER soak%s%s%s;"
			   "SELECT pegasus_fdw_create_table('soak', 'soak_kv', 8);"
			   "SELECT pegasus_fdw_create_table('soak', 'soak_wide', 8);"
			   "CREATE FOREIGN TABLE soak_kv (hash_key text, sort_key text COLLATE \"C\", value text) "
			   "SERVER soak OPTIONS (table 'soak_kv');"
			   "CREATE FOREIGN TABLE soak_num (hash_key text, sort_key text COLLATE \"C\", value bigint) "
			   "SERVER soak OPTIONS (table 'soak_kv');"
			   "CREATE FOREIGN TABLE soak_wide (hash_key text, c1 text, c2 text, c3 text OPTIONS (sort_key 'x3')) "
			   "SERVER soak OPTIONS (table 'soak_wide', layout 'wide');"
			   "CREATE FOREIGN TABLE soak_kv_small (hash_key text, sort_key text COLLATE \"C\", value text) "
			   "SERVER soak OPTIONS (table 'soak_kv', fetch_size '7', scan_parallelism '2', scan_rate_limit '1000');"
			   "CREATE FOREIGN TABLE soak_wide_small (hash_key text, c1 text, c2 text, c3 text OPTIONS (sort_key 'x3')) "
			   "SERVER soak OPTIONS (table 'soak_wide', layout 'wide', fetch_size '2', scan_rate_limit '500');"
			   "DROP TABLE IF EXISTS soak_shadow, soak_keys, soak_wkeys;"
			   "CREATE TABLE soak_shadow (tbl text, h text, s text, v text, PRIMARY KEY (tbl, h, s));"
			   "CREATE TABLE soak_keys (sess int, grp int, h text, s text);"
			   "CREATE TABLE soak_wkeys (sess int, h text);"
			   "INSERT INTO soak_keys SELECT s, g, format('s%%sh%%s', lpad(s::text, 2, '0'), lpad(g::text, 2, '0')), "
			   "  format('k%%s', lpad(k::text, 2, '0')) FROM generate_series(0, %d) s, generate_series(0, %d) g, "
			   "  generate_series(0, %d) k;"
			   "CREATE INDEX ON soak_keys (sess, grp);"
			   "INSERT INTO soak_wkeys SELECT s, format('s%%sw%%s', lpad(s::text, 2, '0'), lpad(w::text, 2, '0')) "
			   "  FROM generate_series(0, %d) s, generate_series(0, %d) w;"
			   "CREATE INDEX ON soak_wkeys (sess);"
			   "ANALYZE soak_keys; ANALYZE soak_wkeys;",
			   opt_meta, opt_timeout_ms, *opt_server_options ? ", " : "", opt_server_options,
			   opt_mapping_options ? " OPTIONS (" : "", opt_mapping_options ? opt_mapping_options : "",
			   opt_mapping_options ? ")" : "",
			   opt_sessions - 1, NH - 1, NS - 1, opt_sessions - 1, NW - 1);
	exec_or_die(c, b.p);
	/* counters at 0 and a value incr must refuse, in Pegasus and the shadow */
	buf_reset(&b);
	buf_puts(&b, "INSERT INTO soak_kv VALUES ");
	for (i = 0; i < opt_sessions; i++)
	{
		int			k;

		for (k = 0; k < NC; k++)
			buf_printf(&b, "%s('s%02dc%d', 'n', '0')", i || k ? ", " : "", i, k);
		buf_printf(&b, ", ('s%02dbad', 'b', '010')", i);
	}
	exec_or_die(c, b.p);
	buf_reset(&b);
	buf_puts(&b, "INSERT INTO soak_shadow VALUES ");
	for (i = 0; i < opt_sessions; i++)
	{
		int			k;

		for (k = 0; k < NC; k++)
			buf_printf(&b, "%s('c', 's%02dc%d', 'n', '0')", i || k ? ", " : "", i, k);
		buf_printf(&b, ", ('b', 's%02dbad', 'b', '010')", i);
	}
	exec_or_die(c, b.p);
	free(b.p);
	PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* the final comparison: Pegasus against the shadow and the expected state */

typedef struct
{
	long		rows_kv,
				rows_wide,
				lost,
				phantom,
				value,
				shadow_diff,
				uncertain_keys,
				uncertain_ok;
	long		ctr_ok,
				ctr_bad,
				ctr_uncertain;
	long		count_pushdown;
} Final;

static Final fin;

static Session *
session_of(const char *h)
{
	int			n;

	if (h[0] != 's' || !isdigit((unsigned char) h[1]) || !isdigit((unsigned char) h[2]))
		return NULL;
	n = (h[1] - '0') * 10 + (h[2] - '0');
	return n < opt_sessions ? &sessions[n] : NULL;
}

/* the expected state of a record, or NULL when it is none of the sessions' */
static Key *
key_of(char tbl, const char *h, const char *sk)
{
	Session    *s = session_of(h);
	int			hi,
				si,
				c;

	if (s == NULL)
		return NULL;
	if (tbl == 'k')
	{
		if (parse_kv(s, h, sk, &hi, &si) != 0)
			return NULL;
		return &s->kv[hi][si];
	}
	if (h[3] != 'w' || !isdigit((unsigned char) h[4]) || (hi = atoi(h + 4)) >= NW)
		return NULL;
	for (c = 0; c < NWC; c++)
		if (strcmp(sk, wide_sks[c]) == 0)
			return &s->wide[hi][c];
	return NULL;
}

/* the shadow's value of a record (NULL absent): a sorted copy searched by key */
typedef struct
{
	char		tbl;
	char	   *h,
			   *s,
			   *v;
	bool		seen;
} ShadowRow;
static ShadowRow *shadow;
static int	n_shadow;

static int
shadow_cmp(const void *a, const void *b)
{
	const ShadowRow *x = a,
			   *y = b;
	int			c;

	if (x->tbl != y->tbl)
		return x->tbl - y->tbl;
	if ((c = strcmp(x->h, y->h)) != 0)
		return c;
	return strcmp(x->s, y->s);
}

static ShadowRow *
shadow_find(char tbl, const char *h, const char *s)
{
	ShadowRow	key = {tbl, (char *) h, (char *) s, NULL, false};

	return bsearch(&key, shadow, n_shadow, sizeof(ShadowRow), shadow_cmp);
}

static void
check_record(char tbl, const char *h, const char *sk, const char *found)
{
	Key		   *k = key_of(tbl, h, sk);
	ShadowRow  *sr = shadow_find(tbl, h, sk);
	const char *sv = sr ? sr->v : NULL;
	char		a[600],
				b[300],
				c[300];

	if (sr)
		sr->seen = true;
	if (k == NULL)
	{
		if (found)
		{
			fin.phantom++;
			failure(INV_PHANTOM, "record (%s, %s) of %s is in Pegasus (%s), written by nobody",
					h, sk, tbl == 'k' ? "soak_kv" : "soak_wide", show(found, b, sizeof(b)));
		}
		return;
	}
	if (!key_certain(k))
	{
		fin.uncertain_keys++;
		if (key_matches(k, found))
			fin.uncertain_ok++;
		else
		{
			fin.value++;
			failure(INV_VALUE, "record (%s, %s): uncertain, expected %s, Pegasus has %s", h, sk,
					key_describe(k, a, sizeof(a)), show(found, b, sizeof(b)));
		}
		return;
	}
	if (!same_val(sv, k->pos[0]))
	{
		fin.shadow_diff++;
		failure(INV_SHADOW, "record (%s, %s): the shadow has %s, the expected state %s", h, sk,
				show(sv, b, sizeof(b)), show(k->pos[0], c, sizeof(c)));
	}
	if (same_val(found, k->pos[0]))
		return;
	if (found == NULL)
	{
		fin.lost++;
		failure(INV_LOST, "record (%s, %s): acknowledged %s, absent from Pegasus", h, sk,
				show(k->pos[0], a, sizeof(a)));
	}
	else if (k->pos[0] == NULL)
	{
		fin.phantom++;
		failure(INV_PHANTOM, "record (%s, %s): deleted (acknowledged), Pegasus has %s", h, sk,
				show(found, b, sizeof(b)));
	}
	else
	{
		fin.value++;
		failure(INV_VALUE, "record (%s, %s): acknowledged %s, Pegasus has %s", h, sk,
				show(k->pos[0], a, sizeof(a)), show(found, b, sizeof(b)));
	}
}

static PGresult *
query_retry(PGconn *c, const char *sql)
{
	int			tries;
	PGresult   *r = NULL;

	for (tries = 0; tries < 20; tries++)
	{
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			return r;
		fprintf(stderr, "soak: final check: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		r = NULL;
		if (PQstatus(c) != CONNECTION_OK)
			PQreset(c);
		sleep(1);
	}
	return NULL;
}

static bool
final_check(void)
{
	PGconn	   *c = connect_or_die();
	PGresult   *r;
	int			i,
				j,
				si,
				wi,
				cc;

	PQclear(PQexec(c, "SET statement_timeout = 0"));
	if ((r = query_retry(c, "SELECT tbl, h, s, v FROM soak_shadow")) == NULL)
		return false;
	n_shadow = PQntuples(r);
	shadow = xmalloc(sizeof(ShadowRow) * (n_shadow + 1));
	for (i = 0; i < n_shadow; i++)
	{
		shadow[i].tbl = PQgetvalue(r, i, 0)[0];
		shadow[i].h = xstrdup(PQgetvalue(r, i, 1));
		shadow[i].s = xstrdup(PQgetvalue(r, i, 2));
		shadow[i].v = xstrdup(PQgetvalue(r, i, 3));
		shadow[i].seen = false;
	}
	PQclear(r);
	qsort(shadow, n_shadow, sizeof(ShadowRow), shadow_cmp);

	/* counters and the bad keys: soak_kv rows the sessions do not own as kv keys */
	if ((r = query_retry(c, "SELECT hash_key, sort_key, value FROM soak_kv")) == NULL)
		return false;
	fin.rows_kv = PQntuples(r);
	{
		/* every record of Pegasus once: duplicates are a scan failure */
		for (i = 0; i < PQntuples(r); i++)
		{
			const char *h = PQgetvalue(r, i, 0),
					   *sk = PQgetvalue(r, i, 1),
					   *v = PQgetvalue(r, i, 2);
			Session    *s = session_of(h);

			if (s && h[3] == 'c')
			{
				int			ci = atoi(h + 4);
				Counter    *ct = &s->ctr[ci < NC ? ci : 0];
				long		val = atol(v);
				ShadowRow  *sr = shadow_find('c', h, sk);
				long		sv = sr ? atol(sr->v) : -1;

				if (sr)
					sr->seen = true;
				if (ct->unc_n)
					fin.ctr_uncertain++;
				if (sv != ct->acked)
				{
					fin.shadow_diff++;
					failure(INV_SHADOW, "counter %s: shadow %ld, acknowledged increments %ld", h, sv, ct->acked);
				}
				if (val >= ct->acked && val <= ct->acked + ct->unc_sum)
					fin.ctr_ok++;
				else
				{
					fin.ctr_bad++;
					failure(INV_INCR, "counter %s: Pegasus has %ld; acknowledged increments %ld, %d of unknown outcome adding up to %ld: expected %ld..%ld",
							h, val, ct->acked, ct->unc_n, ct->unc_sum, ct->acked, ct->acked + ct->unc_sum);
				}
				continue;
			}
			if (s && strcmp(h + 3, "bad") == 0)
			{
				ShadowRow  *sr = shadow_find('b', h, sk);

				if (sr)
					sr->seen = true;
				if (strcmp(v, "010") != 0)
					failure(INV_VALUE, "record (%s, %s): written as '010' and never changed, Pegasus has '%s'", h, sk, v);
				continue;
			}
			{
				Key		   *k = key_of('k', h, sk);

				if (k && k->npos < 0)
				{
					failure(INV_SCAN, "final scan: record (%s, %s) came twice", h, sk);
					continue;
				}
				check_record('k', h, sk, v);
				if (k)
					k->npos = -k->npos - 100;	/* mark seen (restored below) */
			}
		}
		/* records expected but not returned */
		for (i = 0; i < opt_sessions; i++)
			for (j = 0; j < NH; j++)
				for (si = 0; si < NS; si++)
				{
					Key		   *k = &sessions[i].kv[j][si];
					char		h[24],
								sk[8];

					if (k->npos < 0)
					{
						k->npos = -(k->npos + 100);
						continue;
					}
					kv_names(&sessions[i], j, si, h, sk);
					check_record('k', h, sk, NULL);
				}
	}
	PQclear(r);
	/* the same count by the scanner's server-side count */
	if ((r = query_retry(c, "SELECT count(*) FROM soak_kv")) != NULL)
	{
		fin.count_pushdown = atol(PQgetvalue(r, 0, 0));
		if (fin.count_pushdown != fin.rows_kv)
			failure(INV_COUNT_CHECK, "SELECT count(*) FROM soak_kv = %ld, the full scan returned %ld rows",
					fin.count_pushdown, fin.rows_kv);
		PQclear(r);
	}

	if ((r = query_retry(c, "SELECT hash_key, c1, c2, c3 FROM soak_wide")) == NULL)
		return false;
	fin.rows_wide = PQntuples(r);
	{
		static unsigned char seen[100][NW];

		memset(seen, 0, sizeof(seen));
		for (i = 0; i < PQntuples(r); i++)
		{
			const char *h = PQgetvalue(r, i, 0);
			Session    *s = session_of(h);

			if (s && h[3] == 'w' && (wi = atoi(h + 4)) < NW)
			{
				if (seen[s->id][wi]++)
				{
					failure(INV_SCAN, "final scan: wide row %s came twice", h);
					continue;
				}
			}
			for (cc = 0; cc < NWC; cc++)
				check_record('w', h, wide_sks[cc], PQgetisnull(r, i, 1 + cc) ? NULL : PQgetvalue(r, i, 1 + cc));
		}
		for (i = 0; i < opt_sessions; i++)
			for (wi = 0; wi < NW; wi++)
			{
				char		h[24];

				if (seen[i][wi])
					continue;
				wide_name(&sessions[i], wi, h);
				for (cc = 0; cc < NWC; cc++)
					check_record('w', h, wide_sks[cc], NULL);
			}
	}
	PQclear(r);
	/* shadow rows not met: counters and fixed records lost, or keys nobody expects */
	for (i = 0; i < n_shadow; i++)
	{
		if (shadow[i].seen)
			continue;
		if (shadow[i].tbl == 'c' || shadow[i].tbl == 'b')
		{
			fin.lost++;
			failure(INV_LOST, "record (%s, %s) = '%s' (a counter or a fixed record) is absent from Pegasus",
					shadow[i].h, shadow[i].s, shadow[i].v);
		}
		else if (key_of(shadow[i].tbl, shadow[i].h, shadow[i].s) == NULL)
		{
			fin.shadow_diff++;
			failure(INV_SHADOW, "the shadow has (%c, %s, %s) = '%s', unknown to the expected state",
					shadow[i].tbl, shadow[i].h, shadow[i].s, shadow[i].v);
		}
	}
	PQfinish(c);
	return true;
}

/* ------------------------------------------------------------------ */
/* summary */

typedef struct
{
	char		name[48];
	bool		pass;
	char		detail[1024];
} Check;
static Check checks[40];
static int	n_checks;

static void
check(const char *name, bool pass, const char *fmt,...)
{
	Check	   *c = &checks[n_checks++];
	va_list		ap;

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->pass = pass;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, int n, double p)
{
	int			i;

	if (n == 0)
		return -1;
	qsort(v, n, sizeof(double), cmp_double);
	i = (int) ceil(p * n) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

typedef struct
{
	double		p50_first,
				p99_first,
				p50_90,
				p99_90;
	int			n,
				n_not_recovered;
} Recovery;

static Recovery recovery[NKINDS];

static void
compute_recovery(void)
{
	int			k,
				i;
	long		end_b = (now_ms() - t0_ms) / 10;

	if (end_b > n_buckets)
		end_b = n_buckets;
	for (k = 0; k < NKINDS; k++)
	{
		double	   *first = xmalloc(sizeof(double) * (n_faults + 1));
		double	   *ninety = xmalloc(sizeof(double) * (n_faults + 1));
		int			nf = 0,
					nn = 0,
					nr = 0;

		for (i = 0; i < n_faults; i++)
		{
			Fault	   *f = &faults[i];
			long		b,
						cb;
			long		win = 0;

			if (f->kind != &fault_kinds[k] || f->cleared_ms == 0)
				continue;
			cb = (f->cleared_ms - t0_ms) / 10;
			for (b = cb; b < end_b && atomic_load(&succ_buckets[b]) == 0; b++)
				;
			if (b >= end_b)
			{
				nr++;
				continue;
			}
			first[nf++] = (b - cb) * 10.0;
			if (f->pre_rate <= 0)
				continue;
			/* a one-second window reaching 90% of the rate before the fault */
			for (b = cb; b < end_b; b++)
			{
				win += atomic_load(&succ_buckets[b]);
				if (b - cb >= 100)
					win -= atomic_load(&succ_buckets[b - 100]);
				if (b - cb >= 99 && win >= 0.9 * f->pre_rate)
					break;
			}
			if (b < end_b)
				ninety[nn++] = (b - cb - 99) * 10.0 < 0 ? 0 : (b - cb - 99) * 10.0;
			else
				nr++;
		}
		recovery[k].n = nf;
		recovery[k].n_not_recovered = nr;
		recovery[k].p50_first = pct(first, nf, 0.5);
		recovery[k].p99_first = pct(first, nf, 0.99);
		recovery[k].p50_90 = pct(ninety, nn, 0.5);
		recovery[k].p99_90 = pct(ninety, nn, 0.99);
		free(first);
		free(ninety);
	}
}

/* RSS of the second and the last tenth of the run, per session, of its longest-lived backend */
typedef struct
{
	long		rss2,
				rss10;
	int			fd2,		/* most handles in the second tenth */
				fd10,		/* fewest handles in the last tenth */
				files2,
				files10;
	long		stmts;
	int			pid;
} ResFig;

static void
resource_figures(Session *s, ResFig *out)
{
	int			i,
				n2 = 0,
				n10 = 0;
	double		run = opt_seconds;
	int			pid = atomic_load(&s->pid);
	long		sum2 = 0,
				sum10 = 0;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->fd2 = out->fd10 = out->files2 = out->files10 = -1;
	for (i = 0; i < s->nsamples; i++)
	{
		Sample	   *x = &s->samples[i];

		if (x->pid != pid)
			continue;
		if (x->t >= run * 0.1 && x->t < run * 0.2)
		{
			sum2 += x->rss_kb;
			n2++;
			if (x->handles > out->fd2)
				out->fd2 = x->handles;
			if (x->files > out->files2)
				out->files2 = x->files;
		}
		if (x->t >= run * 0.9 && x->t <= run * 1.0)
		{
			sum10 += x->rss_kb;
			n10++;
			/*
			 * The fewest: a connection retired with a reply still owed lives
			 * up to 30 s, so a moment's count says little; a leak raises
			 * even the smallest.
			 */
			if (x->handles >= 0 && (out->fd10 < 0 || x->handles < out->fd10))
				out->fd10 = x->handles;
			if (x->files > out->files10)
				out->files10 = x->files;
		}
		out->stmts = x->backend_stmts;
	}
	out->rss2 = n2 ? sum2 / n2 : -1;
	out->rss10 = n10 ? sum10 / n10 : -1;
}

static int
grep_count(const char *file, const char *const *pats, int npats, Buf *examples)
{
	FILE	   *f;
	char		line[4096];
	int			n = 0,
				i;

	if (file == NULL || (f = fopen(file, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < npats; i++)
			if (strstr(line, pats[i]) && strstr(line, "exited with exit code 1\n") == NULL)
			{
				if (n < 5 && examples)
					buf_puts(examples, line);
				n++;
				break;
			}
	fclose(f);
	return n;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	printf("usage: soak [--seconds N] [--sessions S] [--seed X] [--ci] --conninfo STR --meta HOST:PORT,...\n"
		   "            --control-port P --replica-ports P1,P2,P3 --meta-ports M1,M2 [--pg-log FILE]\n"
		   "            [--result FILE] [--log-dir DIR] [--faults KIND,...] [--fault-gap-ms MS]\n"
		   "            [--no-setup] [--statement-timeout-ms MS] [--timeout-ms MS] [--list-faults]\n"
		   "            [--pipeline-rate N] [--server-options STR] [--mapping-options STR] [--kdc-pid PID]\n");
}

static int
parse_ports(const char *s, int *out, int max)
{
	int			n = 0;

	while (*s && n < max)
	{
		out[n++] = atoi(s);
		s = strchr(s, ',');
		if (s == NULL)
			break;
		s++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	int			i,
				k;
	char		path[1024];
	long long	deadline,
				next_progress,
				next_sample;
	PGconn	   *c;

	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define OPT(name) (strcmp(a, name) == 0 && v && (i++, true))
		if (OPT("--seconds"))
			opt_seconds = atof(v);
		else if (OPT("--sessions"))
			opt_sessions = atoi(v);
		else if (OPT("--seed"))
			opt_seed = strtoull(v, NULL, 10);
		else if (OPT("--conninfo"))
			opt_conninfo = v;
		else if (OPT("--meta"))
			opt_meta = v;
		else if (OPT("--control-port"))
			opt_control_port = atoi(v);
		else if (OPT("--replica-ports"))
			n_replicas = parse_ports(v, replica_ports, 8);
		else if (OPT("--meta-ports"))
			n_metas = parse_ports(v, meta_ports, 4);
		else if (OPT("--pg-log"))
			opt_pg_log = v;
		else if (OPT("--result"))
			opt_result = v;
		else if (OPT("--log-dir"))
			opt_log_dir = v;
		else if (OPT("--faults"))
			opt_faults = v;
		else if (OPT("--fault-gap-ms"))
			opt_fault_gap_ms = atoi(v);
		else if (OPT("--pipeline-rate"))
			opt_pipeline_rate = atoi(v);
		else if (OPT("--server-options"))
			opt_server_options = v;
		else if (OPT("--mapping-options"))
			opt_mapping_options = v;
		else if (OPT("--kdc-pid"))
			opt_kdc_pid = atoi(v);
		else if (OPT("--statement-timeout-ms"))
			opt_stmt_timeout_ms = atoi(v);
		else if (OPT("--timeout-ms"))
			opt_timeout_ms = atoi(v);
		else if (strcmp(a, "--ci") == 0)
			opt_ci = true;
		else if (strcmp(a, "--no-setup") == 0)
			opt_no_setup = true;
		else if (strcmp(a, "--list-faults") == 0)
		{
			for (k = 0; k < NKINDS; k++)
				printf("%s\n", fault_kinds[k].name);
			return 0;
		}
		else
		{
			usage();
			return strcmp(a, "--help") == 0 ? 0 : 2;
		}
	}
	if (n_replicas == 0 || n_metas == 0 || opt_sessions < 1 || opt_sessions > 99)
	{
		usage();
		return 2;
	}
	for (k = 0; k < NKINDS; k++)
	{
		if (opt_faults == NULL || strcmp(opt_faults, "all") == 0)
			fault_kinds[k].enabled = true;
		else
		{
			char		pat[64];
			char		list[1024];

			snprintf(pat, sizeof(pat), ",%s,", fault_kinds[k].name);
			snprintf(list, sizeof(list), ",%s,", opt_faults);
			fault_kinds[k].enabled = strstr(list, pat) != NULL;
		}
		if (opt_kdc_pid == 0 && strcmp(fault_kinds[k].name, "kdc_pause") == 0)
			fault_kinds[k].enabled = false;
		if (n_metas < 2 && (strcmp(fault_kinds[k].name, "meta_leader") == 0 ||
							strcmp(fault_kinds[k].name, "meta_stop") == 0))
			fault_kinds[k].enabled = false;
		if (opt_sessions < 2 && strcmp(fault_kinds[k].name, "terminate") == 0)
			fault_kinds[k].enabled = false;
	}
	if (opt_faults && strcmp(opt_faults, "none") != 0 && strcmp(opt_faults, "all") != 0)
	{
		/* names must be known */
		char	   *list = xstrdup(opt_faults),
				   *tok,
				   *save;

		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		{
			for (k = 0; k < NKINDS; k++)
				if (strcmp(tok, fault_kinds[k].name) == 0)
					break;
			if (k == NKINDS)
			{
				fprintf(stderr, "soak: unknown fault kind %s (--list-faults)\n", tok);
				return 2;
			}
		}
		free(list);
	}
	for (k = 0; k < NOPS; k++)
		op_weight_total += ops[k].weight;

	snprintf(path, sizeof(path), "%s/soak-failures.log", opt_log_dir);
	failures_log = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/soak-errors.log", opt_log_dir);
	errors_log = fopen(path, "w");
	signal(SIGPIPE, SIG_IGN);

	if (!opt_no_setup)
		setup();

	faults = calloc(MAXFAULTS, sizeof(Fault));
	n_buckets = (long) (opt_seconds * 100) + 60000;
	succ_buckets = calloc(n_buckets, sizeof(atomic_int));
	sessions = calloc(opt_sessions, sizeof(Session));
	fault_conn = connect_or_die();
	t0_ms = now_ms();
	printf("soak: %d sessions, %.0f s, seed %llu, fault kinds:", opt_sessions, opt_seconds, opt_seed);
	for (k = 0; k < NKINDS; k++)
		if (fault_kinds[k].enabled)
			printf(" %s", fault_kinds[k].name);
	printf("\n");
	fflush(stdout);
	for (i = 0; i < opt_sessions; i++)
	{
		Session    *s = &sessions[i];
		int			hi,
					si;

		s->id = i;
		snprintf(s->pfx, sizeof(s->pfx), "s%02d", i);
		s->rng = opt_seed * 1000003ULL + i * 7919ULL + 1;
		for (hi = 0; hi < NH; hi++)
			for (si = 0; si < NS; si++)
				key_set(&s->kv[hi][si], NULL);
		for (hi = 0; hi < NW; hi++)
			for (si = 0; si < NWC; si++)
				key_set(&s->wide[hi][si], NULL);
		s->exempt_terminate = (i == 0 && opt_sessions > 1);	/* one backend lives the whole run */
		pthread_create(&s->thread, NULL, session_main, s);
	}
	{
		pthread_t	ft;

		pthread_create(&ft, NULL, fault_main, NULL);
		deadline = t0_ms + (long long) (opt_seconds * 1000);
		next_progress = t0_ms + 10000;
		next_sample = t0_ms + 1000;
		while (now_ms() < deadline)
		{
			long long	now = now_ms();

			if (now >= next_sample)
			{
				sample_backends();
				next_sample += opt_seconds >= 1200 ? 5000 : 1000;
				/* a session that made no progress for 60 s is stuck */
				for (i = 0; i < opt_sessions; i++)
				{
					long long	lp = atomic_load(&sessions[i].last_progress_ms);

					if (lp && now - lp > 60000)
					{
						char		sql[64];

						failure(INV_STUCK, "s%02d made no progress for %lld s in %s", i,
								(now - lp) / 1000, ops[atomic_load(&sessions[i].cur_op)].name);
						atomic_store(&sessions[i].last_progress_ms, now);
						snprintf(sql, sizeof(sql), "SELECT pg_cancel_backend(%d)", atomic_load(&sessions[i].pid));
						PQclear(PQexec(fault_conn, sql));
					}
				}
			}
			if (now >= next_progress)
			{
				progress();
				next_progress += 10000;
			}
			usleep(50000);
		}
		/* the end: faults off, then the sessions stop and check */
		atomic_store(&stop_faults, true);
		pthread_join(ft, NULL);
		if (opt_ci)
		{
			/* a CI run applies every kind: a split too, if the run was short */
			unsigned long long rng = 5;
			long long	until = now_ms() + 60000;

			while ((split_state < 2 || (split_state == 2 && cancel_state != 2)) &&
				   kind_named("split")->enabled && now_ms() < until)
			{
				split_step(&rng, true);
				usleep(50000);
			}
		}
		atomic_store(&stop_workload, true);
		atomic_store(&settle_phase, true);
		sample_backends();		/* the last tenth's figures, before the sessions stop */
		for (i = 0; i < opt_sessions; i++)
			pthread_join(sessions[i].thread, NULL);
		sample_backends();
	}
	progress();
	printf("soak: workload stopped after %.1f s; checking\n", elapsed_s());
	fflush(stdout);

	/* resources while the backends still live */
	{
		ResFig		rf[100];

		for (i = 0; i < opt_sessions; i++)
			resource_figures(&sessions[i], &rf[i]);

		final_check();

		for (i = 0; i < opt_sessions; i++)
		{
			PQfinish(sessions[i].conn);
			sessions[i].conn = NULL;
		}

		/* ---- the checks ---- */
		{
			long		stmts = 0,
						ops_n = 0,
						ack = 0,
						unc = 0,
						na = 0,
						recon = 0,
						scans = 0;
			int			settled = 0,
						verified = 0;
			Buf			b = {0},
						ex = {0};
			char		out[256];
			long		violations = -1,
						scanners = -1;
			int			nk;

			for (i = 0; i < opt_sessions; i++)
			{
				Session    *s = &sessions[i];

				stmts += atomic_load(&s->stmts);
				ops_n += atomic_load(&s->ops_done);
				ack += s->acked_writes;
				unc += s->uncertain_writes;
				na += s->not_applied_writes;
				recon += s->reconnects;
				scans += s->scans_checked;
				settled += s->settled;
				verified += s->verified;
			}
			check("no_lost_writes", atomic_load(&inv_fail[INV_LOST]) == 0,
				  "%ld acknowledged records absent from Pegasus", fin.lost);
			check("no_phantom_rows", atomic_load(&inv_fail[INV_PHANTOM]) == 0,
				  "%ld records in Pegasus never written or deleted with acknowledgement", fin.phantom);
			check("values_equal_shadow", atomic_load(&inv_fail[INV_VALUE]) == 0 &&
				  atomic_load(&inv_fail[INV_SHADOW]) == 0,
				  "%ld kv + %ld wide rows compared; %ld values differ, %ld shadow differences; %ld uncertain keys (%ld in an allowed state)",
				  fin.rows_kv, fin.rows_wide, fin.value, fin.shadow_diff, fin.uncertain_keys, fin.uncertain_ok);
			check("reads_match_during_run", atomic_load(&inv_fail[INV_READ]) == 0,
				  "%ld mismatches of rows re-read by their sessions", atomic_load(&inv_fail[INV_READ]));
			check("increments", atomic_load(&inv_fail[INV_INCR]) == 0,
				  "%ld counters within acknowledged..acknowledged+uncertain, %ld outside, %ld with uncertain increments",
				  fin.ctr_ok, fin.ctr_bad, fin.ctr_uncertain);
			check("scans_exactly_once", atomic_load(&inv_fail[INV_SCAN]) == 0 &&
				  atomic_load(&inv_fail[INV_COUNT_CHECK]) == 0,
				  "%ld scans of a session's stable rows checked, %ld failed; final count(*) %ld vs %ld rows",
				  scans, atomic_load(&inv_fail[INV_SCAN]) + atomic_load(&inv_fail[INV_COUNT_CHECK]),
				  fin.count_pushdown, fin.rows_kv);
			buf_reset(&b);
			pthread_mutex_lock(&report_mu);
			for (k = 0; k < n_states; k++)
				buf_printf(&b, "%s%s:%ld", k ? " " : "", states[k].code, states[k].count);
			pthread_mutex_unlock(&report_mu);
			check("error_classes", atomic_load(&inv_fail[INV_SQLSTATE]) == 0 &&
				  atomic_load(&inv_fail[INV_BADINPUT]) == 0,
				  "seen {%s}; %ld of an unfitting class, %ld bad inputs accepted", b.p ? b.p : "",
				  atomic_load(&inv_fail[INV_SQLSTATE]), atomic_load(&inv_fail[INV_BADINPUT]));
			check("no_xx000", atomic_load(&inv_fail[INV_XX000]) == 0, "%ld internal errors",
				  atomic_load(&inv_fail[INV_XX000]));
			{
				static const char *const pats[] = {"PANIC", "terminated by signal", "exited with exit code"};
				int			n = grep_count(opt_pg_log, pats, 3, &ex);

				check("postgres_log_clean", n == 0, n < 0 ? "log not read" : "%d crash/PANIC lines%s%s",
					  n, n ? ": " : "", ex.p ? ex.p : "");
			}
			if (control("violations", out, sizeof(out)))
				violations = atol(out + 3);
			check("onebox_violations", violations == 0, "%ld protocol violations", violations);
			{
				/* the session with the most statements in one backend */
				int			best = 0;
				char		d[1024];
				size_t		len = 0;
				bool		ok = true;

				for (i = 0; i < opt_sessions; i++)
					if (rf[i].stmts > rf[best].stmts)
						best = i;
				for (i = 0; i < opt_sessions; i++)
				{
					bool		enforce = rf[i].stmts >= 1000000 && opt_seconds >= 3600;

					if (enforce && rf[i].rss2 > 0 && rf[i].rss10 > rf[i].rss2 * 1.10)
						ok = false;
				}
				len += snprintf(d + len, sizeof(d) - len,
								"s%02d (pid %d, %ld statements in one backend): private RSS (RssAnon) second tenth %.1f MB, last tenth %.1f MB (%+.1f%%)%s",
								best, rf[best].pid, rf[best].stmts, rf[best].rss2 / 1024.0,
								rf[best].rss10 / 1024.0,
								rf[best].rss2 > 0 ? 100.0 * (rf[best].rss10 - rf[best].rss2) / rf[best].rss2 : 0.0,
								rf[best].stmts >= 1000000 && opt_seconds >= 3600 ? "" :
								" (reported only: enforced for >= 1,000,000 statements in a 60-minute run)");
				check("rss_flat", ok, "%s", d);
				ok = true;
				len = 0;
				for (i = 0; i < opt_sessions; i++)
					if (rf[i].fd2 > 0 && rf[i].fd10 > rf[i].fd2 + 2)
						ok = false;
				for (i = 0; i < opt_sessions && len + 60 < sizeof(d); i++)
					if (rf[i].fd2 > 0)
						len += snprintf(d + len, sizeof(d) - len, "%ss%02d %d->%d (files %d->%d)",
										len ? " " : "sockets, pipes and event fds, most in the second tenth -> fewest in the last (relation files, PostgreSQL's cache, reported only): ",
										i, rf[i].fd2, rf[i].fd10, rf[i].files2, rf[i].files10);
				if (len == 0)
					snprintf(d, sizeof(d), "no backend lived from the second to the last tenth");
				check("fds_flat", ok, "%s", d);
			}
			{
				long long	until = now_ms() + 30000;

				long		at_risk = 0;

				for (;;)
				{
					if (control("scanner-count", out, sizeof(out)))
					{
						const char *r = strstr(out, "at_risk=");

						scanners = atol(out + 3);
						at_risk = r ? atol(r + 8) : 0;
					}
					if (scanners - at_risk <= 0 || now_ms() > until)
						break;
					usleep(500000);
				}
				{
					long		scan_errs = 0;

					for (i = 0; i < opt_sessions; i++)
						scan_errs += sessions[i].op_err[OP_SCAN_AGG] + sessions[i].op_err[OP_SCAN_ROWS] +
							sessions[i].op_err[OP_WIDE_SCAN];
					/*
					 * A context whose id never reached the client (its reply
					 * corrupted, delayed past the client's patience, lost in a
					 * reset) cannot be cleared by it: a replica expires those
					 * after 5 idle minutes.  Every other must be gone.
					 */
					check("scanner_count_zero", scanners - at_risk <= 0,
						  "%ld open scan contexts on the onebox 30 s after the sessions closed, %ld of them named only by replies that may never have reached the client (%ld scan statements failed during the run)",
						  scanners, at_risk, scan_errs);
				}
			}
			check("sessions_recover", settled == opt_sessions && verified == opt_sessions &&
				  atomic_load(&inv_fail[INV_STUCK]) == 0,
				  "%d of %d sessions ran statements after the faults cleared, %d verified their keys; %ld stuck",
				  settled, opt_sessions, verified, atomic_load(&inv_fail[INV_STUCK]));
			compute_recovery();
			if (opt_ci)
			{
				Buf			missing = {0};

				for (k = 0; k < NKINDS; k++)
					if (fault_kinds[k].enabled && fault_kinds[k].applied == 0)
						buf_printf(&missing, " %s", fault_kinds[k].name);
				check("every_fault_kind", missing.len == 0, missing.len ? "never applied:%s" : "every kind applied at least once",
					  missing.p);
				free(missing.p);
			}

			/* ---- summary ---- */
			printf("soak: summary: %ld statements (%ld operations) in %.0f s by %d sessions; %ld acknowledged writes, %ld uncertain, %ld certainly not applied; %ld reconnects\n",
				   stmts, ops_n, opt_seconds, opt_sessions, ack, unc, na, recon);
			printf("soak: faults:");
			for (k = 0; k < NKINDS; k++)
				if (fault_kinds[k].applied)
					printf(" %s=%ld", fault_kinds[k].name, fault_kinds[k].applied);
			printf("\nsoak: recovery after a fault cleared (ms; first success p50/p99, 90%% of the throughput before p50/p99):\n");
			for (k = 0; k < NKINDS; k++)
				if (fault_kinds[k].applied)
					printf("soak:   %-18s n=%-4d first %6.0f / %6.0f   90%% %6.0f / %6.0f%s\n",
						   fault_kinds[k].name, recovery[k].n, recovery[k].p50_first, recovery[k].p99_first,
						   recovery[k].p50_90, recovery[k].p99_90,
						   recovery[k].n_not_recovered ? " (some did not reach 90% before the end)" : "");
			printf("soak: errors by SQLSTATE:\n");
			pthread_mutex_lock(&report_mu);
			for (k = 0; k < n_states; k++)
				printf("soak:   %s %ld  e.g. %.200s\n", states[k].code, states[k].count, states[k].example);
			pthread_mutex_unlock(&report_mu);
			nk = 0;
			for (k = 0; k < n_checks; k++)
			{
				printf("soak: %s %s: %s\n", checks[k].pass ? "PASS" : "FAIL", checks[k].name, checks[k].detail);
				nk += !checks[k].pass;
			}
			if (nk)
				printf("soak: details of the failures: %s/soak-failures.log; errors: %s/soak-errors.log\n",
					   opt_log_dir, opt_log_dir);

			/* ---- JSON ---- */
			if (opt_result)
			{
				FILE	   *f = fopen(opt_result, "w");
				Buf			j = {0};

				buf_printf(&j, "{\"seconds\": %.0f, \"sessions\": %d, \"seed\": %llu, \"statements\": %ld, \"operations\": %ld,"
						   " \"acknowledged_writes\": %ld, \"uncertain_writes\": %ld, \"not_applied_writes\": %ld, \"reconnects\": %ld,",
						   opt_seconds, opt_sessions, opt_seed, stmts, ops_n, ack, unc, na, recon);
				buf_puts(&j, " \"operations_by_kind\": {");
				for (k = 0; k < NOPS; k++)
				{
					long		n = 0,
								e = 0;

					for (i = 0; i < opt_sessions; i++)
					{
						n += sessions[i].op_count[k];
						e += sessions[i].op_err[k];
					}
					buf_printf(&j, "%s\"%s\": {\"count\": %ld, \"errors\": %ld}", k ? ", " : "", ops[k].name, n, e);
				}
				buf_puts(&j, "}, \"errors\": {");
				for (k = 0; k < n_states; k++)
				{
					buf_printf(&j, "%s\"%s\": {\"count\": %ld, \"example\": ", k ? ", " : "", states[k].code, states[k].count);
					buf_json(&j, states[k].example);
					buf_puts(&j, "}");
				}
				buf_puts(&j, "}, \"faults\": {");
				{
					bool		first = true;

					for (k = 0; k < NKINDS; k++)
						if (fault_kinds[k].enabled)
						{
							Recovery   *r = &recovery[k];

							buf_printf(&j, "%s\"%s\": {\"applied\": %ld, \"recovery_first_success_ms\": {\"p50\": %.0f, \"p99\": %.0f},"
									   " \"recovery_90pct_ms\": {\"p50\": %.0f, \"p99\": %.0f}, \"not_recovered\": %d}",
									   first ? "" : ", ", fault_kinds[k].name, fault_kinds[k].applied,
									   r->p50_first, r->p99_first, r->p50_90, r->p99_90, r->n_not_recovered);
							first = false;
						}
				}
				buf_printf(&j, "}, \"final\": {\"rows_kv\": %ld, \"rows_wide\": %ld, \"lost\": %ld, \"phantom\": %ld, \"value_mismatch\": %ld,"
						   " \"shadow_diff\": %ld, \"uncertain_keys\": %ld, \"counters_ok\": %ld, \"counters_bad\": %ld,"
						   " \"count_pushdown\": %ld, \"onebox_violations\": %ld, \"scanner_count\": %ld},",
						   fin.rows_kv, fin.rows_wide, fin.lost, fin.phantom, fin.value, fin.shadow_diff,
						   fin.uncertain_keys, fin.ctr_ok, fin.ctr_bad, fin.count_pushdown, violations, scanners);
				buf_puts(&j, " \"backends\": [");
				for (i = 0; i < opt_sessions; i++)
					buf_printf(&j, "%s{\"session\": %d, \"pid\": %d, \"statements\": %ld, \"rss_kb_second_tenth\": %ld,"
							   " \"rss_kb_last_tenth\": %ld, \"handles_second_tenth\": %d, \"handles_last_tenth\": %d, \"files_second_tenth\": %d, \"files_last_tenth\": %d, \"reconnects\": %ld}",
							   i ? ", " : "", i, rf[i].pid, rf[i].stmts, rf[i].rss2, rf[i].rss10, rf[i].fd2, rf[i].fd10, rf[i].files2, rf[i].files10,
							   sessions[i].reconnects);
				buf_puts(&j, "], \"invariants\": [");
				for (k = 0; k < n_checks; k++)
				{
					buf_printf(&j, "%s{\"name\": \"%s\", \"pass\": %s, \"detail\": ", k ? ", " : "", checks[k].name,
							   checks[k].pass ? "true" : "false");
					buf_json(&j, checks[k].detail);
					buf_puts(&j, "}");
				}
				buf_printf(&j, "], \"passed\": %d, \"failed\": %d}\n", n_checks - nk, nk);
				if (f)
				{
					fputs(j.p, f);
					fclose(f);
				}
				free(j.p);
			}
			printf("soak: %d passed, %d failed\n", n_checks - nk, nk);
			c = fault_conn;
			PQfinish(c);
			return nk ? 1 : 0;
		}
	}
}
