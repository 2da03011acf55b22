/*-------------------------------------------------------------------------
 *
 * docs.c
 *		Soak driver, documents: a table of JSON records (value_format
 *		'json') whose fields are columns, written whole and field by field.
 *
 * Each session owns ND documents (hash key sNNdMM, sort key "d") of the
 * Pegasus table soak_docs, read and written through two foreign tables:
 * soak_docs, fields a, b and c (at the path {n,c}) as columns, and
 * soak_docs_raw, the whole value as jsonb.  A document is
 * {"a": int, "b": text, "n": {"c": int}}, and when written whole through
 * soak_docs_raw also "keep", a field no column maps: an UPDATE of fields
 * must leave it as it was.  The expected state of a document is its jsonb
 * text (keys sorted as jsonb sorts them), compared with what soak_docs_raw
 * reads; so is its row of the shadow (tbl 'd').  An UPDATE of fields is a
 * read and a check_and_set per record in the FDW: while faults are applied
 * an uncertain one leaves the old and the new document possible.
 *
 * test/soak/docs.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak.h"

void
doc_name(Session *s, int di, char *h)
{
	sprintf(h, "%sd%02d", s->pfx, di);
}

/* The jsonb text of a document: keys by length, then bytes, as jsonb orders them */
static char *
doc_text(const DocFields *f, const char *h)
{
	Buf			b = {0};

	buf_printf(&b, "{\"a\": %d, \"b\": ", f->a);
	buf_json(&b, f->b);
	buf_printf(&b, ", \"n\": {\"c\": %d}", f->c);
	if (f->keep)
	{
		buf_puts(&b, ", \"keep\": ");
		buf_json(&b, h);
	}
	buf_puts(&b, "}");
	return b.p;
}

static void
fields_set(DocFields *dst, const DocFields *src)
{
	char	   *b = xstrdup(src->b);

	free(dst->b);
	*dst = *src;
	dst->b = b;
}

/* A document written whole: through the raw table (with "keep") or the fields */
void
op_doc_insert(Session *s)
{
	Plan		p;
	int			di = rnd(&s->rng, ND);
	char		h[24],
				v[2048],
				a[16],
				c[16];
	DocFields	f;
	char	   *text;
	bool		raw = rnd(&s->rng, 2) == 0;
	const char *pp[4];

	plan_init(&p);
	doc_name(s, di, h);
	f.a = (int) rnd(&s->rng, 2000000) - 1000000;
	f.c = (int) rnd(&s->rng, 1000);
	f.b = gen_value(s, v);
	f.keep = raw;
	text = doc_text(&f, h);
	snprintf(a, sizeof(a), "%d", f.a);
	snprintf(c, sizeof(c), "%d", f.c);
	SUCC(&p, &s->doc[di], 'd', h, "d", text);
	UNC(&p, &s->doc[di], 'd', h, "d", text);
	pp[0] = h;
	if (raw)
	{
		pp[1] = text;
		if (do_write(s, &p, "INSERT INTO soak_docs_raw VALUES ($1, 'd', $2::jsonb)", 2, pp,
					 NULL, NULL, NULL, false) != WR_OK)
			s->op_err[OP_DOC_INSERT]++;
		else
			fields_set(&s->docf[di], &f);
	}
	else
	{
		pp[1] = a;
		pp[2] = v;
		pp[3] = c;
		if (do_write(s, &p, "INSERT INTO soak_docs (hash_key, sort_key, a, b, c) "
					 "VALUES ($1, 'd', $2::int, $3, $4::int)", 4, pp,
					 NULL, NULL, NULL, false) != WR_OK)
			s->op_err[OP_DOC_INSERT]++;
		else
			fields_set(&s->docf[di], &f);
	}
	free(text);
	plan_free(&p);
}

typedef struct
{
	int			di;
	char	   *text;			/* the document after the update */
} DocUpdArg;

static void
after_doc_update(Session *s, Plan *p, PGresult *res, void *arg)
{
	DocUpdArg  *u = arg;
	char		h[24];
	bool		got = PQntuples(res) > 0;

	doc_name(s, u->di, h);
	if (got != key_surely_present(&s->doc[u->di]))
		failure(INV_READ, "s%02d doc_update: document %s expected %s, UPDATE %s it",
				s->id, h, got ? "absent" : "present", got ? "returned" : "did not return");
	SUCC(p, &s->doc[u->di], 'd', h, "d", got ? u->text : NULL);
}

/* Some fields of a document whose state is certain set, the others kept */
void
op_doc_update(Session *s)
{
	Plan		p;
	DocUpdArg	u;
	DocFields	f;
	char		h[24],
				v[2048],
				a[16],
				c[16];
	const char *pp[4];
	Buf			sql = {0};
	int			what = 1 + (int) rnd(&s->rng, 7);	/* bits: a, b, c */
	int			np = 1;

	u.di = rnd(&s->rng, ND);
	if (!key_certain(&s->doc[u.di]))
	{
		/* nothing sure to patch: write it whole, which makes it certain */
		op_doc_insert(s);
		return;
	}
	plan_init(&p);
	doc_name(s, u.di, h);
	pp[0] = h;
	buf_puts(&sql, "UPDATE soak_docs SET ");
	f = s->docf[u.di];
	if (what & 1)
	{
		f.a = (int) rnd(&s->rng, 2000000) - 1000000;
		snprintf(a, sizeof(a), "%d", f.a);
		pp[np++] = a;
		buf_printf(&sql, "a = $%d::int", np);
	}
	if (what & 2)
	{
		f.b = gen_value(s, v);
		pp[np++] = v;
		buf_printf(&sql, "%sb = $%d", np > 2 ? ", " : "", np);
	}
	if (what & 4)
	{
		f.c = (int) rnd(&s->rng, 1000);
		snprintf(c, sizeof(c), "%d", f.c);
		pp[np++] = c;
		buf_printf(&sql, "%sc = $%d::int", np > 2 ? ", " : "", np);
	}
	buf_puts(&sql, " WHERE hash_key = $1 AND sort_key = 'd' RETURNING a");
	u.text = s->doc[u.di].pos[0] ? doc_text(&f, h) : NULL;
	if (u.text)
		UNC(&p, &s->doc[u.di], 'd', h, "d", u.text);
	if (do_write(s, &p, sql.p, np, pp, after_doc_update, &u, NULL, false) != WR_OK)
		s->op_err[OP_DOC_UPDATE]++;
	else if (u.text)
		fields_set(&s->docf[u.di], &f);
	free(u.text);
	free(sql.p);
	plan_free(&p);
}

/*
 * A document read whole (jsonb) or by its field columns, against the
 * expected state: 1 as expected, 0 not (a failure reported), -1 the read
 * failed.
 */
static int
doc_read(Session *s, int di, bool fields, int inv)
{
	char		h[24],
				a[600],
				b[300];
	const char *pp[1] = {h};
	Key		   *k = &s->doc[di];
	Res			r;
	int			ok = 1;

	doc_name(s, di, h);
	r = run(s, fields ?
			"SELECT a, b, c FROM soak_docs WHERE hash_key = $1 AND sort_key = 'd'" :
			"SELECT value::text FROM soak_docs_raw WHERE hash_key = $1 AND sort_key = 'd'",
			1, pp, false);
	if (!r.ok)
	{
		s->op_err[OP_DOC_GET]++;
		recover(s, &r);
		res_clear(&r);
		return -1;
	}
	if (PQntuples(r.res) > 1)
	{
		failure(inv, "s%02d doc_get: document %s came %d times", s->id, h, PQntuples(r.res));
		ok = 0;
	}
	else if (!fields)
	{
		const char *found = PQntuples(r.res) ? PQgetvalue(r.res, 0, 0) : NULL;

		if (!key_matches(k, found))
		{
			failure(inv, "s%02d doc_get: document %s: expected %s, found %s", s->id, h,
					key_describe(k, a, sizeof(a)), show(found, b, sizeof(b)));
			ok = 0;
		}
	}
	else if (key_certain(k))
	{
		const DocFields *f = &s->docf[di];
		bool		present = PQntuples(r.res) == 1;

		if (present != (k->pos[0] != NULL) ||
			(present &&
			 (atoi(PQgetvalue(r.res, 0, 0)) != f->a ||
			  strcmp(PQgetvalue(r.res, 0, 1), f->b) != 0 ||
			  atoi(PQgetvalue(r.res, 0, 2)) != f->c)))
		{
			failure(inv, "s%02d doc_get: document %s: expected %s, the field columns read %s",
					s->id, h, key_describe(k, a, sizeof(a)),
					present ? show(PQgetvalue(r.res, 0, 1), b, sizeof(b)) : "no row");
			ok = 0;
		}
	}
	res_clear(&r);
	return ok;
}

void
op_doc_get(Session *s)
{
	(void) doc_read(s, rnd(&s->rng, ND), rnd(&s->rng, 2) == 0, INV_READ);
}

/* The end of the run: every document of the session read both ways */
bool
verify_docs(Session *s)
{
	bool		ok = true;
	int			di;

	for (di = 0; di < ND; di++)
		ok = doc_read(s, di, false, INV_READ) == 1 && doc_read(s, di, true, INV_READ) == 1 && ok;
	return ok;
}
