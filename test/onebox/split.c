/*-------------------------------------------------------------------------
 *
 * split.c
 *	  Partition split, in the phases of a real cluster (meta_split_service,
 *	  replica_split_manager, CHECK_REQUEST_IF_SPLITTING and
 *	  validate_key_value_for_scan of Pegasus 2.1+).
 *
 * Phases of one split of a table of N partitions (control "split"):
 *
 *	copying		query_cfg answers 2N partitions; children N..2N-1 have
 *				ballot -1 and no primary (clients reach them through their
 *				parent pidx - N); the app env
 *				replica.split.validate_partition_hash is "true"; parents
 *				serve every key they had.
 *	registering	every parent on its own (register_child_on_meta runs per
 *				parent): first a window in which the parent is inactive
 *				with partition_version -1 (its register request is on its
 *				way to the meta): ERR_SPLITTING to everything, or
 *				ERR_INVALID_STATE when the env is not "true"; then the meta
 *				registers its child (a copy of the parent's records, which
 *				include every write the parent took during the split;
 *				ballot = parent's + 1; primary on replica (app_id + pidx)
 *				mod n): query_cfg shows it, but until the meta's reply
 *				reaches the parent (split-activate-delay) the parent stays
 *				in its window and the child answers ERR_INVALID_STATE
 *				(child_partition_active has not run).  Then the parent
 *				serves 2N partitions: a request whose partition_hash now
 *				selects the child gets ERR_PARENT_PARTITION_MISUSED.
 *	split		every child active.  Parents (and children) still hold
 *				the records of the other half until "compact"; scans
 *				asking validate_partition_hash (the default) skip them.
 *
 * Schedule: the copying phase lasts onebox.split_delay_ms (D), each window
 * D until the meta registers the child, then the activation delay.  In
 * the default sequential mode parent r (in index order) opens its window
 * at 2rD after copying; in random mode (split-mode random SEED [K]) the
 * order is a seeded shuffle and parent r opens at rD/K, so K windows are
 * open at once.  "split-step" runs the next event at once (and the later
 * ones as much earlier).
 *
 * Pause, resume, cancel (control_partition_split): a paused parent that
 * has not registered its child leaves its window if it was in one (the
 * meta turns its register request away) and waits, its child unregistered,
 * until resumed (then it copies again from the start).  Cancel is refused
 * (ERR_CHILD_REGISTERED) once any child is registered; otherwise every
 * parent stops and query_cfg reports N partitions again.
 *
 * A partition_hash that selects the partition under no count the table
 * ever had is a protocol violation.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <stdio.h>
#include <string.h>

gint32
onebox_partition_served_count(OneboxPartition *part)
{
	OneboxTable *t = part->table;

	/* in its ERR_SPLITTING window a parent still holds the old count */
	if (part->version < 0)
		return t->split_old_count > 0 ? t->split_old_count : t->partition_count;
	return part->version + 1;
}

gboolean
onebox_table_validates_hash(OneboxTable *t)
{
	const char *v = g_hash_table_lookup(t->envs, ONEBOX_SPLIT_ENV);

	return v != NULL && strcmp(v, "true") == 0;
}

gboolean
onebox_partition_owns_hash(OneboxPartition *part, guint64 hash)
{
	return part->version >= 0 &&
		(gint32) (hash & (guint64) part->version) == part->pidx;
}

/* Some count the table had (initial count doubled k times) selects pidx */
gboolean
onebox_hash_selects_in_history(OneboxTable *t, guint64 hash, gint32 pidx)
{
	gint32		c;

	for (c = t->init_partition_count; c > 0 && c <= t->partition_count; c *= 2)
		if ((gint32) (hash & (guint64) (c - 1)) == pidx)
			return TRUE;
	return FALSE;
}

PegasusErrorCode
onebox_split_check(OneboxPartition *part, guint64 partition_hash)
{
	if (!onebox_table_validates_hash(part->table))
		return PEGASUS_EC_OK;
	if (part->version < 0)
		return PEGASUS_EC_SPLITTING;
	if ((gint32) (partition_hash & (guint64) part->version) == part->pidx)
		return PEGASUS_EC_OK;
	/* a hash of 0 is what Pegasus checks too: partition 0 under any count */
	if (partition_hash == 0 ||
		onebox_hash_selects_in_history(part->table, partition_hash, part->pidx))
		return PEGASUS_EC_PARENT_PARTITION_MISUSED;
	return PEGASUS_EC_UNKNOWN;
}

static gint64
now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

static OneboxPartition *
child_of(OneboxTable *t, OneboxPartition *parent)
{
	return t->parts[parent->pidx + t->split_old_count];
}

/* Pending parents of t in the order they open their windows: the mode's */
static GArray *
split_order(OneboxTable *t, GPtrArray *parents)
{
	GArray	   *order = g_array_new(FALSE, FALSE, sizeof(gint32));
	guint		i;

	for (i = 0; i < parents->len; i++)
	{
		gint32		pidx = ((OneboxPartition *) parents->pdata[i])->pidx;

		g_array_append_val(order, pidx);
	}
	if (onebox.split_random && order->len > 1)
	{
		GRand	   *r = g_rand_new_with_seed(onebox.split_seed ^ (guint32) t->app_id);

		/* Fisher-Yates with the seeded generator */
		for (i = order->len - 1; i > 0; i--)
		{
			guint		j = (guint) g_rand_int_range(r, 0, (gint32) i + 1);
			gint32		tmp = g_array_index(order, gint32, i);

			g_array_index(order, gint32, i) = g_array_index(order, gint32, j);
			g_array_index(order, gint32, j) = tmp;
		}
		g_rand_free(r);
	}
	return order;
}

/* Gives parents (from WAITING) their window times, from `from` on */
static void
schedule_windows(OneboxTable *t, GPtrArray *parents, gint64 from)
{
	GArray	   *order = split_order(t, parents);
	gint64		d = onebox.split_delay_ms;
	guint		r;

	for (r = 0; r < order->len; r++)
	{
		OneboxPartition *p = t->parts[g_array_index(order, gint32, r)];

		p->split_state = ONEBOX_SPLIT_WAITING;
		if (onebox.split_random)
			p->split_due_ms = from + (gint64) r * d / MAX(onebox.split_overlap, 1);
		else
			p->split_due_ms = from + (gint64) r * 2 * d;
	}
	g_array_free(order, TRUE);
}

gboolean
onebox_split_start(OneboxTable *t, const char **why)
{
	gint32		n = t->partition_count;
	GPtrArray  *parents;
	gint32		i;

	if (t->parts == NULL)
	{
		*why = "table is dropped";
		return FALSE;
	}
	if (t->split_old_count > 0)
	{
		*why = "table is already splitting";
		return FALSE;
	}
	if (n > 32768)
	{
		*why = "too many partitions";
		return FALSE;
	}
	t->parts = g_renew(OneboxPartition *, t->parts, 2 * n);
	t->partition_count = 2 * n;
	for (i = n; i < 2 * n; i++)
	{
		OneboxPartition *c = onebox_partition_new(t, i);

		c->ballot = -1;
		c->version = -1;
		c->ready = FALSE;
		c->active = FALSE;
		t->parts[i] = c;
	}
	onebox_table_set_env(t, ONEBOX_SPLIT_ENV, "true");
	t->split_old_count = n;
	parents = g_ptr_array_new();
	for (i = 0; i < n; i++)
		g_ptr_array_add(parents, t->parts[i]);
	schedule_windows(t, parents, now_ms() + onebox.split_delay_ms);
	g_ptr_array_unref(parents);
	onebox_log("split of table %s started: %d -> %d partitions (%s order)", t->name, n,
			   2 * n, onebox.split_random ? "random" : "sequential");
	return TRUE;
}

/* The meta registers the child of parent: a copy of the parent's records */
static void
register_child(OneboxTable *t, OneboxPartition *parent)
{
	OneboxPartition *child = child_of(t, parent);
	OneboxIter *it;

	for (it = onebox_store_first(parent->store); it; it = onebox_store_next(it))
	{
		const OneboxKey *k = onebox_iter_key(it);
		const OneboxValue *v = onebox_iter_value(it);

		onebox_store_put(child->store, k->data, k->len, v->data, v->len,
						 v->expire_ts);
	}
	child->decree = parent->decree;
	child->ballot = parent->ballot + 1;
	child->version = t->partition_count - 1;
	child->ready = TRUE;
	child->active = FALSE;
}

/* The meta's reply reaches the parent: it serves 2N, its child is active */
static void
activate_child(OneboxTable *t, OneboxPartition *parent)
{
	child_of(t, parent)->active = TRUE;
	parent->version = t->partition_count - 1;
	parent->split_state = ONEBOX_SPLIT_DONE;
}

static gboolean
split_pending(const OneboxPartition *p)
{
	return p->split_state == ONEBOX_SPLIT_WAITING ||
		p->split_state == ONEBOX_SPLIT_WINDOW ||
		p->split_state == ONEBOX_SPLIT_REGISTERED;
}

/* Every parent done: the split is over */
static void
finish_if_done(OneboxTable *t)
{
	gint32		i;

	for (i = 0; i < t->split_old_count; i++)
		if (t->parts[i]->split_state != ONEBOX_SPLIT_DONE)
			return;
	for (i = 0; i < t->split_old_count; i++)
		t->parts[i]->split_state = ONEBOX_SPLIT_NONE;
	onebox_log("split of table %s done: %d partitions", t->name, t->partition_count);
	t->split_old_count = 0;
	t->compact_pending = TRUE;
}

/* Runs the next event of parent p now */
static void
parent_event(OneboxTable *t, OneboxPartition *p)
{
	switch (p->split_state)
	{
		case ONEBOX_SPLIT_WAITING:
			p->version = -1;
			p->split_state = ONEBOX_SPLIT_WINDOW;
			p->split_due_ms += onebox.split_delay_ms;
			break;
		case ONEBOX_SPLIT_WINDOW:
			register_child(t, p);
			p->split_state = ONEBOX_SPLIT_REGISTERED;
			p->split_due_ms += onebox.split_activate_delay_ms;
			if (onebox.split_activate_delay_ms == 0)
				activate_child(t, p);
			break;
		case ONEBOX_SPLIT_REGISTERED:
			activate_child(t, p);
			break;
		default:
			break;
	}
}

/* The pending parent with the earliest event (lowest index on a tie) */
static OneboxPartition *
next_event(OneboxTable *t)
{
	OneboxPartition *best = NULL;
	gint32		i;

	for (i = 0; i < t->split_old_count; i++)
	{
		OneboxPartition *p = t->parts[i];

		if (split_pending(p) && (best == NULL || p->split_due_ms < best->split_due_ms))
			best = p;
	}
	return best;
}

void
onebox_split_step(OneboxTable *t)
{
	OneboxPartition *p;
	gint64		early;
	gint32		i;

	if (t->parts == NULL || t->split_old_count == 0 || (p = next_event(t)) == NULL)
		return;
	/* the later events move as much earlier, so their spacing stays */
	early = p->split_due_ms - now_ms();
	if (early > 0)
		for (i = 0; i < t->split_old_count; i++)
			if (split_pending(t->parts[i]))
				t->parts[i]->split_due_ms -= early;
	parent_event(t, p);
	finish_if_done(t);
}

int
onebox_split_tick(void)
{
	gint64		now = now_ms();
	gint64		next = -1;
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];
		OneboxPartition *p;

		if (t->parts == NULL || t->split_old_count == 0)
			continue;
		while (t->split_old_count > 0 && (p = next_event(t)) != NULL &&
			   p->split_due_ms <= now)
		{
			parent_event(t, p);
			finish_if_done(t);
		}
		if (t->split_old_count > 0 && (p = next_event(t)) != NULL &&
			(next < 0 || p->split_due_ms - now < next))
			next = MAX(p->split_due_ms - now, 0);
	}
	return (int) MIN(next, 1000);
}

/* Parent p stops splitting for now (pause) or for good (cancel) */
static void
parent_stop(OneboxPartition *p, OneboxSplitState to)
{
	/* in its window the meta turns the register request away */
	if (p->split_state == ONEBOX_SPLIT_WINDOW)
		p->version = p->table->split_old_count - 1;
	p->split_state = to;
}

static gboolean
check_parent_arg(OneboxTable *t, gint32 pidx, const char **why)
{
	if (t->parts == NULL || t->split_old_count == 0)
	{
		*why = "ERR_INVALID_STATE table is not splitting";
		return FALSE;
	}
	if (pidx >= t->split_old_count)
	{
		*why = "ERR_INVALID_PARAMETERS invalid parent partition index";
		return FALSE;
	}
	return TRUE;
}

static gboolean
child_registered(const OneboxPartition *p)
{
	return p->split_state == ONEBOX_SPLIT_REGISTERED ||
		p->split_state == ONEBOX_SPLIT_DONE;
}

gboolean
onebox_split_pause(OneboxTable *t, gint32 pidx, const char **why)
{
	gint32		i;

	if (!check_parent_arg(t, pidx, why))
		return FALSE;
	if (pidx >= 0)
	{
		OneboxPartition *p = t->parts[pidx];

		if (child_registered(p))
		{
			*why = "ERR_CHILD_REGISTERED partition is not splitting";
			return FALSE;
		}
		if (p->split_state == ONEBOX_SPLIT_PAUSED)
		{
			*why = "ERR_INVALID_STATE partition is paused already";
			return FALSE;
		}
		parent_stop(p, ONEBOX_SPLIT_PAUSED);
		return TRUE;
	}
	for (i = 0; i < t->split_old_count; i++)
		if (t->parts[i]->split_state == ONEBOX_SPLIT_WAITING ||
			t->parts[i]->split_state == ONEBOX_SPLIT_WINDOW)
			parent_stop(t->parts[i], ONEBOX_SPLIT_PAUSED);
	onebox_log("split of table %s paused", t->name);
	return TRUE;
}

gboolean
onebox_split_resume(OneboxTable *t, gint32 pidx, const char **why)
{
	GPtrArray  *resumed;
	gint32		i;

	if (!check_parent_arg(t, pidx, why))
		return FALSE;
	if (pidx >= 0 && t->parts[pidx]->split_state != ONEBOX_SPLIT_PAUSED)
	{
		*why = child_registered(t->parts[pidx]) ?
			"ERR_INVALID_STATE partition is not splitting" :
			"ERR_INVALID_STATE partition is not paused";
		return FALSE;
	}
	resumed = g_ptr_array_new();
	for (i = 0; i < t->split_old_count; i++)
		if ((pidx < 0 || i == pidx) && t->parts[i]->split_state == ONEBOX_SPLIT_PAUSED)
			g_ptr_array_add(resumed, t->parts[i]);
	/* a restarted parent copies to its child again before its window */
	schedule_windows(t, resumed, now_ms() + onebox.split_delay_ms);
	g_ptr_array_unref(resumed);
	return TRUE;
}

gboolean
onebox_split_cancel(OneboxTable *t, const char **why)
{
	gint32		n = t->split_old_count;
	gint32		i;

	if (!check_parent_arg(t, -1, why))
		return FALSE;
	for (i = 0; i < n; i++)
		if (child_registered(t->parts[i]))
		{
			*why = "ERR_CHILD_REGISTERED some partitions have already finished split";
			return FALSE;
		}
	for (i = 0; i < n; i++)
		parent_stop(t->parts[i], ONEBOX_SPLIT_NONE);
	/* every parent stopped: the meta halves the count (the env stays) */
	for (i = n; i < 2 * n; i++)
		onebox_partition_free(t->parts[i]);
	t->partition_count = n;
	t->parts = g_renew(OneboxPartition *, t->parts, n);
	t->split_old_count = 0;
	onebox_log("split of table %s cancelled: %d partitions", t->name, n);
	return TRUE;
}

void
onebox_split_status(OneboxTable *t, char *buf, gsize len)
{
	const char *phase;
	GString    *windows = g_string_new("");
	gint32		ready = 0,
				active = 0,
				paused = 0,
				first_window = -1;
	gboolean	started = FALSE;
	gint32		i;

	for (i = 0; i < t->partition_count; i++)
	{
		OneboxPartition *p = t->parts[i];

		ready += p->ready;
		active += p->ready && p->active;
		if (i >= t->split_old_count || t->split_old_count == 0)
			continue;
		if (p->split_state == ONEBOX_SPLIT_PAUSED)
			paused++;
		if (p->split_state != ONEBOX_SPLIT_WAITING && p->split_state != ONEBOX_SPLIT_PAUSED)
			started = TRUE;
		if (p->split_state == ONEBOX_SPLIT_WINDOW ||
			p->split_state == ONEBOX_SPLIT_REGISTERED)
		{
			g_string_append_printf(windows, "%s%d", windows->len ? "," : "", i);
			if (first_window < 0)
				first_window = i;
		}
	}
	if (t->split_old_count > 0)
		phase = started ? "registering" : "copying";
	else if (t->compact_pending)
		phase = "split";
	else
		phase = "none";
	g_snprintf(buf, len, "phase=%s partitions=%d ready=%d parent=%d windows=%s active=%d paused=%d",
			   phase, t->partition_count, ready, first_window,
			   windows->len ? windows->str : "-", active, paused);
	g_string_free(windows, TRUE);
}

guint
onebox_split_compact(OneboxTable *t)
{
	guint		removed = 0;
	gint32		i;

	/* key_ttl_compaction_filter: no validation, nothing of the other half goes */
	for (i = 0; onebox_table_validates_hash(t) && i < t->partition_count; i++)
	{
		OneboxPartition *p = t->parts[i];
		GPtrArray  *gone;
		OneboxIter *it;
		guint		j;

		if (!p->ready || p->version < 0)
			continue;
		gone = g_ptr_array_new();
		for (it = onebox_store_first(p->store); it; it = onebox_store_next(it))
		{
			const OneboxKey *k = onebox_iter_key(it);

			if (!onebox_partition_owns_hash(p, pegasus_codec_key_partition_hash(k->data, k->len)))
			{
				GByteArray *copy = g_byte_array_sized_new((guint) k->len);

				g_byte_array_append(copy, k->data, (guint) k->len);
				g_ptr_array_add(gone, copy);
			}
		}
		for (j = 0; j < gone->len; j++)
		{
			GByteArray *k = g_ptr_array_index(gone, j);

			onebox_store_remove(p->store, k->data, k->len);
			g_byte_array_free(k, TRUE);
		}
		removed += gone->len;
		g_ptr_array_unref(gone);
	}
	if (t->split_old_count == 0)
		t->compact_pending = FALSE;
	return removed;
}
