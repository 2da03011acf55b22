/*-------------------------------------------------------------------------
 *
 * reads.c
 *		Soak driver, reads: every row read checked against the expected state,
 *		the read operations, the end-of-run verification and the session thread.
 *
 * test/soak/reads.c
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

int
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

void
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
	return verify_docs(s) && ok;
}

/* ------------------------------------------------------------------ */
/* the session thread */

int	op_weight_total;

void *
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
			case OP_DOC_INSERT: op_doc_insert(s); break;
			case OP_DOC_UPDATE: op_doc_update(s); break;
			case OP_DOC_GET: op_doc_get(s); break;
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
