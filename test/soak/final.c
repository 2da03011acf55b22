/*-------------------------------------------------------------------------
 *
 * final.c
 *		Soak driver, the end of a run: progress lines, setup, the final
 *		comparison against the shadow, the summary and resource figures.
 *
 * test/soak/final.c
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
/* progress */

void
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

		for (i = 0; i < n_fault_kinds; i++)
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

PGconn *
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

void
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
			   "SELECT pegasus_fdw_create_table('soak', 'soak_docs', 8);"
			   "CREATE FOREIGN TABLE soak_docs (hash_key text, sort_key text COLLATE \"C\", "
			   "  a int, b text, c int OPTIONS (path '{n,c}')) "
			   "SERVER soak OPTIONS (table 'soak_docs', value_format 'json');"
			   "CREATE FOREIGN TABLE soak_docs_raw (hash_key text, sort_key text COLLATE \"C\", value jsonb) "
			   "SERVER soak OPTIONS (table 'soak_docs');"
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

Final fin;

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
	if (tbl == 'd')
	{
		if (h[3] != 'd' || !isdigit((unsigned char) h[4]) || (hi = atoi(h + 4)) >= ND ||
			strcmp(sk, "d") != 0)
			return NULL;
		return &s->doc[hi];
	}
	if (h[3] != 'w' || !isdigit((unsigned char) h[4]) || (hi = atoi(h + 4)) >= NW)
		return NULL;
	for (c = 0; c < NWC; c++)
		if (strcmp(sk, wide_sks[c]) == 0)
			return &s->wide[hi][c];
	return NULL;
}

ShadowRow *shadow;
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
					h, sk, tbl == 'k' ? "soak_kv" : tbl == 'd' ? "soak_docs" : "soak_wide",
					show(found, b, sizeof(b)));
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

bool
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
	/* the documents, read whole */
	if ((r = query_retry(c, "SELECT hash_key, sort_key, value::text FROM soak_docs_raw")) == NULL)
		return false;
	fin.rows_docs = PQntuples(r);
	{
		static unsigned char seen[100][ND];

		memset(seen, 0, sizeof(seen));
		for (i = 0; i < PQntuples(r); i++)
		{
			const char *h = PQgetvalue(r, i, 0);
			const char *sk = PQgetvalue(r, i, 1);
			Session    *s = session_of(h);
			int			di;

			if (s && h[3] == 'd' && (di = atoi(h + 4)) < ND && strcmp(sk, "d") == 0 &&
				seen[s->id][di]++)
			{
				failure(INV_SCAN, "final scan: document %s came twice", h);
				continue;
			}
			check_record('d', h, sk, PQgetvalue(r, i, 2));
		}
		for (i = 0; i < opt_sessions; i++)
			for (j = 0; j < ND; j++)
			{
				char		h[24];

				if (seen[i][j])
					continue;
				doc_name(&sessions[i], j, h);
				check_record('d', h, "d", NULL);
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

Check checks[40];
int	n_checks;

void
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

double
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

void
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

int
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
