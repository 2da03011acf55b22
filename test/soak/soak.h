/*-------------------------------------------------------------------------
 *
 * soak.h
 *		What the files of the soak driver share: the key space, sessions,
 *		plans and faults, and the functions and state each file defines.
 *
 * test/soak/soak.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SOAK_H
#define SOAK_H

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

#define NH 16					/* kv hash keys */
#define NS 16					/* sort keys per kv hash key */
#define NW 16					/* wide rows */
#define NWC 3					/* wide columns */
#define NC 4					/* counters */
#define ND 8					/* documents (value_format 'json') */
#define MAXPOS 6				/* possible states kept for an uncertain key */
/* a growing string */
typedef struct
{
	char	   *p;
	size_t		len,
				cap;
} Buf;
enum
{
	INV_LOST, INV_PHANTOM, INV_VALUE, INV_READ, INV_INCR, INV_SCAN,
	INV_SQLSTATE, INV_XX000, INV_BADINPUT, INV_STUCK, INV_SHADOW,
	INV_COUNT_CHECK, NINV_COUNTED
};
#define MAXSTATES 64
typedef struct
{
	char		code[16];
	long		count;
	char		example[600];
} StateCount;
typedef struct
{
	int			npos;			/* 1: certain */
	bool		any;			/* too many possibilities: anything goes */
	char	   *pos[MAXPOS];	/* NULL: absent */
} Key;
typedef struct
{
	long		acked;			/* the sum of acknowledged increments */
	long		unc_sum;		/* the sum of increments of unknown outcome */
	int			unc_n;
} Counter;
/* A document's fields, as the session last wrote them */
typedef struct
{
	int			a;
	int			c;				/* at the path {n,c} */
	char	   *b;
	bool		keep;			/* has the field no column maps */
} DocFields;
typedef enum
{
	OP_GET, OP_IN_LIST, OP_RANGE, OP_HASH_IN, OP_SCAN_AGG, OP_SCAN_ROWS,
	OP_WIDE_GET, OP_WIDE_SCAN, OP_JOIN, OP_WIDE_JOIN,
	OP_INSERT, OP_INSERT_MULTI, OP_UPDATE, OP_UPDATE_MULTI, OP_DELETE,
	OP_DELETE_HASH, OP_DELETE_RANGE, OP_ON_CONFLICT, OP_INCR, OP_KEY_CHANGE,
	OP_COPY, OP_WIDE_INSERT, OP_WIDE_UPDATE, OP_WIDE_DELETE, OP_BAD_INPUT,
	OP_DOC_INSERT, OP_DOC_UPDATE, OP_DOC_GET,
	OP_PIPE_GETS,
	NOPS
} OpKind;
typedef struct OpInfo
{
	const char *name;
	int			weight;
	bool		write;
} OpInfo;
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
	Key			doc[ND];		/* the jsonb text of each document, NULL: absent */
	DocFields	docf[ND];		/* its fields, while doc[] is certain */
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
typedef struct
{
	PGresult   *res;
	bool		ok;
	bool		lost;			/* connection gone */
	char		state[8];
} Res;
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
#define SUCC(p, k, t, h, s, v) add_change((p)->succ, &(p)->nsucc, k, t, h, s, v)
#define UNC(p, k, t, h, s, v) add_change((p)->unc, &(p)->nunc, k, t, h, s, v)
typedef enum
{
	WR_OK, WR_NOT_APPLIED, WR_UNCERTAIN, WR_NOTHING_SENT
} WriteOutcome;
/*
 * Runs a write: the foreign statement (or a COPY), then the shadow write
 * the plan says (built by `after` from the foreign result), in one
 * transaction.  Applies the plan to the expected state by the outcome.
 */
typedef void (*AfterFn) (Session *s, Plan *p, PGresult *res, void *arg);
#define PIPE_GETS 50
/* UPDATE ... RETURNING sort_key: the rows returned were updated, the others are absent */
typedef struct
{
	int			hi;
	int			sis[8];
	int			n;
	const char *v;
} UpdArg;
typedef struct
{
	int			hi,
				si;
	const char *v;
} OcArg;
typedef struct
{
	int			wi;
	const char *vals[NWC];
	bool		setc[NWC];
} WuArg;
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
#define MAXFAULTS 20000
typedef struct
{
	long		rows_kv,
				rows_wide,
				rows_docs,
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
/* the shadow's value of a record (NULL absent): a sorted copy searched by key */
typedef struct
{
	char		tbl;
	char	   *h,
			   *s,
			   *v;
	bool		seen;
} ShadowRow;
typedef struct
{
	char		name[48];
	bool		pass;
	char		detail[1024];
} Check;
typedef struct
{
	double		p50_first,
				p99_first,
				p50_90,
				p99_90;
	int			n,
				n_not_recovered;
} Recovery;
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

/* xorshift64*: the random numbers of every thread (each with its own state) */
static inline unsigned long long
rng_next(unsigned long long *s)
{
	unsigned long long x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline int
rnd(unsigned long long *s, int n)
{
	return (int) (rng_next(s) % (unsigned long long) n);
}

/* in soak.c */
extern double opt_seconds;
extern int	opt_sessions;
extern unsigned long long opt_seed;
extern const char *opt_conninfo;
extern const char *opt_meta;
extern int	opt_control_port;
extern int	replica_ports[8];
extern int	n_replicas;
extern int	meta_ports[4];
extern int	n_metas;
extern const char *opt_server_options;
extern const char *opt_mapping_options;
extern int	opt_kdc_pid;
extern atomic_llong kdc_paused_until_ms;
extern int	opt_fault_gap_ms;
extern int	opt_pipeline_rate;
extern int	opt_stmt_timeout_ms;
extern int	opt_timeout_ms;
extern const char *const wide_cols[NWC];
extern const char *const wide_sks[NWC];

/* in session.c */
extern long long t0_ms;
extern atomic_bool stop_workload;
extern atomic_bool stop_faults;
extern atomic_bool settle_phase;
extern long long now_ms(void);
extern double elapsed_s(void);
extern void *xmalloc(size_t n);
extern char *xstrdup(const char *s);
extern void buf_add(Buf *b, const char *s, size_t n);
extern void buf_printf(Buf *b, const char *fmt,...);
extern void buf_puts(Buf *b, const char *s);
extern void buf_reset(Buf *b);
extern void buf_json(Buf *b, const char *s);
extern void buf_arr_elem(Buf *b, const char *s, bool first);
extern const char *show(const char *v, char *out, size_t outsz);
extern atomic_long inv_fail[NINV_COUNTED];
extern pthread_mutex_t report_mu;
extern FILE *failures_log;
extern FILE *errors_log;
extern void failure(int inv, const char *fmt,...);
extern StateCount states[MAXSTATES];
extern int	n_states;
extern void count_state(const char *code, const char *example);
extern atomic_int *succ_buckets;
extern long n_buckets;
extern void note_success(void);
extern bool control(const char *cmd, char *out, size_t outsz);
extern bool key_certain(const Key *k);
extern void key_set(Key *k, const char *v);
extern bool same_val(const char *a, const char *b);
extern void key_add_possible(Key *k, const char *v);
extern bool key_matches(const Key *k, const char *v);
extern bool key_maybe_present(const Key *k);
extern bool key_surely_present(const Key *k);
extern const char *key_describe(const Key *k, char *out, size_t n);
extern const OpInfo ops[NOPS];
extern Session *sessions;
extern void kv_names(Session *s, int hi, int si, char *h, char *sk);
extern void wide_name(Session *s, int wi, char *h);
extern void ctr_name(Session *s, int ci, char *h);
extern char *gen_value(Session *s, char *out);
extern void res_clear(Res *r);
extern bool allowed_state(const char *st, bool bad_input);
extern Res classify(Session *s, const char *sql, PGresult *res, bool bad_input);
extern Res run(Session *s, const char *sql, int nparams, const char *const *params, bool bad_input);
extern void recover(Session *s, Res *r);
extern void session_connect(Session *s);

/* in writes.c */
extern void plan_init(Plan *p);
extern void plan_free(Plan *p);
extern void add_change(Change *arr, int *n, Key *k, char tbl, const char *h, const char *sk, const char *val);
extern WriteOutcome do_write(Session *s, Plan *p, const char *sql, int np, const char *const *params,
		AfterFn after, void *arg, const char *copy_data, bool bad_input);
extern void op_insert_multi(Session *s, bool copy);
extern void op_update(Session *s, bool multi);
extern void op_delete(Session *s);
extern void op_delete_hash(Session *s, bool range);
extern void op_on_conflict(Session *s);
extern void op_incr(Session *s);
extern void op_key_change(Session *s);
extern void op_wide_insert(Session *s);
extern void op_wide_update(Session *s);
extern void op_wide_delete(Session *s);
extern void op_bad_input(Session *s);

/* in docs.c */
extern void doc_name(Session *s, int di, char *h);
extern void op_doc_insert(Session *s);
extern void op_doc_update(Session *s);
extern void op_doc_get(Session *s);
extern bool verify_docs(Session *s);

/* in reads.c */
extern int parse_kv(Session *s, const char *h, const char *sk, int *hi, int *si);
extern void op_insert(Session *s);
extern int	op_weight_total;
extern void *session_main(void *arg);

/* in faults.c */
extern PGconn *fault_conn;
extern int	stopped[16];
extern FaultKind fault_kinds[];
extern const int n_fault_kinds;	/* its entries */
extern Fault *faults;
extern void active_faults(char *out, size_t n);
extern int	split_state;
extern int	cancel_state;
extern FaultKind *kind_named(const char *name);
extern void split_step(unsigned long long *rng, bool finish);
extern void *fault_main(void *arg);
extern long proc_mem_kb(int pid, const char *field);
extern long proc_rss_kb(int pid);
extern void sample_backends(void);
extern Recovery recovery[];
extern void compute_recovery(void);

/* in final.c */
extern void progress(void);
extern PGconn *connect_or_die(void);
extern void setup(void);
extern Final fin;
extern ShadowRow *shadow;
extern bool final_check(void);
extern Check checks[40];
extern int	n_checks;
extern void check(const char *name, bool pass, const char *fmt,...);
extern double pct(double *v, int n, double p);
extern void resource_figures(Session *s, ResFig *out);
extern int grep_count(const char *file, const char *const *pats, int npats, Buf *examples);

#endif							/* SOAK_H */
