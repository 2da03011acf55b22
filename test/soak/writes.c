/*-------------------------------------------------------------------------
 *
 * writes.c
 *		Soak driver, writes: each foreign write with its shadow write in one
 *		transaction, and the write operations of the workload.
 *
 * test/soak/writes.c
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
/* writes: BEGIN; foreign write; shadow write; COMMIT */

void
plan_init(Plan *p)
{
	p->nsucc = p->nunc = 0;
	p->ctr = -1;
	p->delta = 0;
}

void
plan_free(Plan *p)
{
	int			i;

	for (i = 0; i < p->nsucc; i++)
		free(p->succ[i].val);
	for (i = 0; i < p->nunc; i++)
		free(p->unc[i].val);
}

void
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

WriteOutcome
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

/* several rows of distinct keys in one INSERT (one batch); or a COPY of them */
void
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

void
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

void
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
void
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

void
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

void
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
void
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
void
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
void
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

void
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
void
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
