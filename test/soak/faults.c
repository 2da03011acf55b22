/*-------------------------------------------------------------------------
 *
 * faults.c
 *		Soak driver, faults: the kinds of fault, the thread that injects them,
 *		scheduled splits, and the recovery figures of each kind.
 *
 * test/soak/faults.c
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
/* faults */

PGconn *fault_conn;
/* the tables moves and throttling pick from, and the counts moves may use */
static const char *const fault_tables[3] = {"soak_kv", "soak_wide", "soak_docs"};
static int	partitions[3] = {8, 8, 8};
int	stopped[16];		/* replica index stopped by a fault */
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
	int			t = rnd(rng, 3);
	int			pidx = rnd(rng, partitions[t]);
	int			port = running_replica(rng, 0);

	snprintf(f->desc, sizeof(f->desc), "move %s %d %d", fault_tables[t], pidx, port);
	ctl_ok("move %s %d %d", fault_tables[t], pidx, port);
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
 * the table (0 soak_kv, 1 soak_wide, 2 soak_docs) and the env.
 */
static const char *const throttle_envs[] = {
	"replica.write_throttling", "replica.write_throttling_by_size", "replica.read_throttling"
};
static bool throttle_on[3][3];

static bool
throttle_apply(Fault *f, unsigned long long *rng, int env)
{
	int			t = rnd(rng, 3);
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
			 fault_tables[t], throttle_envs[env], value);
	return ctl_ok("app-env %s %s %s", fault_tables[t], throttle_envs[env], value);
}

static void
throttle_undo(Fault *f)
{
	int			t = f->arg / 4,
				env = f->arg % 4;

	throttle_on[t][env] = false;
	ctl_ok("app-env %s %s", fault_tables[t], throttle_envs[env]);
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

FaultKind fault_kinds[] = {
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
const int	n_fault_kinds = NKINDS;

Fault *faults;
static int	n_faults;
static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;

void
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
int	split_state;		/* 0 none, 1 splitting first, 2 done first, 3 splitting second, 4 done */
static Fault *split_fault;
static long long split_resume_at;	/* the paused split of soak_kv resumes then (0: not paused) */
int	cancel_state;		/* 0 not yet, 1 started and paused, 2 over */
static long long cancel_at;
static Fault *cancel_fault;

FaultKind *
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

void
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

void *
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
long
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

long
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

void
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

Recovery recovery[NKINDS];

void
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
