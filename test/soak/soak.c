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
 *
 * This file holds the options and main(); the sessions' ground is in
 * session.c, their writes in writes.c, their reads and thread in reads.c,
 * the fault thread in faults.c, the end of a run in final.c, and what they
 * share in soak.h.
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
/* options */

double opt_seconds = 120;
int	opt_sessions = 8;
unsigned long long opt_seed = 1;
static bool opt_ci;
const char *opt_conninfo = "dbname=postgres";
const char *opt_meta = "127.0.0.1:38601";
int	opt_control_port = 38901;
int	replica_ports[8];
int	n_replicas;
int	meta_ports[4];
int	n_metas;
static const char *opt_pg_log;
static const char *opt_result;
static const char *opt_log_dir = ".";
static const char *opt_faults;	/* comma list of fault kinds to use, NULL: all */
const char *opt_server_options = "";	/* more options of the server, e.g. auth */
const char *opt_mapping_options;	/* a user mapping for PUBLIC with these */
int	opt_kdc_pid;		/* the KDC (kdc_pause stops it), 0: none */
atomic_llong kdc_paused_until_ms;	/* 0: not paused; else LLONG_MAX while paused, then when it resumed */
int	opt_fault_gap_ms = 1500;	/* mean time between two faults */
int	opt_pipeline_rate = 340;	/* session 0's statements per second at least */
static bool opt_no_setup;
int	opt_stmt_timeout_ms = 3000;
int	opt_timeout_ms = 2000;

/* key space of a session */

const char *const wide_cols[NWC] = {"c1", "c2", "c3"};
const char *const wide_sks[NWC] = {"c1", "c2", "x3"};	/* c3 maps to sort key x3 */

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
			for (k = 0; k < n_fault_kinds; k++)
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
	for (k = 0; k < n_fault_kinds; k++)
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
			for (k = 0; k < n_fault_kinds; k++)
				if (strcmp(tok, fault_kinds[k].name) == 0)
					break;
			if (k == n_fault_kinds)
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
	for (k = 0; k < n_fault_kinds; k++)
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
		for (hi = 0; hi < ND; hi++)
			key_set(&s->doc[hi], NULL);
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
				  "%ld kv + %ld wide rows + %ld documents compared; %ld values differ, %ld shadow differences; %ld uncertain keys (%ld in an allowed state)",
				  fin.rows_kv, fin.rows_wide, fin.rows_docs, fin.value, fin.shadow_diff, fin.uncertain_keys, fin.uncertain_ok);
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
				long		refused = 0;

				for (;;)
				{
					if (control("scanner-count", out, sizeof(out)))
					{
						const char *r = strstr(out, "at_risk=");
						const char *f = strstr(out, "refused=");

						scanners = atol(out + 3);
						at_risk = r ? atol(r + 8) : 0;
						refused = f ? atol(f + 8) : 0;
					}
					if (scanners - at_risk - refused <= 0 || now_ms() > until)
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
					 * reset) cannot be cleared by it, nor one whose
					 * clear_scanner the replica refused (read throttling,
					 * a split): a replica expires those after 5 idle
					 * minutes.  Every other must be gone.
					 */
					check("scanner_count_zero", scanners - at_risk - refused <= 0,
						  "%ld open scan contexts on the onebox 30 s after the sessions closed, %ld of them named only by replies that may never have reached the client, %ld whose clear_scanner a replica refused (%ld scan statements failed during the run)",
						  scanners, at_risk, refused, scan_errs);
					if (scanners > 0)
					{
						static char list[65536];

						/* which scans left them: the check's failure says what to look for */
						if (control("scanner-list", list, sizeof(list)))
							printf("open scan contexts (onebox scanner-list):\n%s", list);
					}
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

				for (k = 0; k < n_fault_kinds; k++)
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
			for (k = 0; k < n_fault_kinds; k++)
				if (fault_kinds[k].applied)
					printf(" %s=%ld", fault_kinds[k].name, fault_kinds[k].applied);
			printf("\nsoak: recovery after a fault cleared (ms; first success p50/p99, 90%% of the throughput before p50/p99):\n");
			for (k = 0; k < n_fault_kinds; k++)
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

					for (k = 0; k < n_fault_kinds; k++)
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
				buf_printf(&j, "}, \"final\": {\"rows_kv\": %ld, \"rows_wide\": %ld, \"rows_docs\": %ld, \"lost\": %ld, \"phantom\": %ld, \"value_mismatch\": %ld,"
						   " \"shadow_diff\": %ld, \"uncertain_keys\": %ld, \"counters_ok\": %ld, \"counters_bad\": %ld,"
						   " \"count_pushdown\": %ld, \"onebox_violations\": %ld, \"scanner_count\": %ld},",
						   fin.rows_kv, fin.rows_wide, fin.rows_docs, fin.lost, fin.phantom, fin.value, fin.shadow_diff,
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
