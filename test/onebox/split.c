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
 *	registering	parent by parent: first a window in which the parent's
 *				partition_version is -1 and every request gets
 *				ERR_SPLITTING; then its child is registered (a copy of the
 *				parent's records, which include every write the parent took
 *				during the split; ballot = parent's + 1; primary on replica
 *				(app_id + pidx) mod n) and the parent serves 2N partitions:
 *				a request whose partition_hash now selects the child gets
 *				ERR_PARENT_PARTITION_MISUSED.
 *	split		every child registered.  Parents (and children) still hold
 *				the records of the other half until "compact"; scans
 *				asking validate_partition_hash (the default) skip them.
 *
 * Every phase lasts onebox.split_delay_ms (control "split-delay"), or
 * "split-step" advances one at once.  A partition_hash that selects the
 * partition under no count the table ever had is a protocol violation.
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
static gboolean
hash_selects_in_history(OneboxTable *t, guint64 hash, gint32 pidx)
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
		hash_selects_in_history(part->table, partition_hash, part->pidx))
		return PEGASUS_EC_PARENT_PARTITION_MISUSED;
	return PEGASUS_EC_UNKNOWN;
}

static void
schedule_next(OneboxTable *t)
{
	t->split_due_ms = g_get_monotonic_time() / 1000 + onebox.split_delay_ms;
}

gboolean
onebox_split_start(OneboxTable *t, const char **why)
{
	gint32		n = t->partition_count;
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
		t->parts[i] = c;
	}
	onebox_table_set_env(t, ONEBOX_SPLIT_ENV, "true");
	t->split_old_count = n;
	t->split_next = 0;
	t->split_in_window = FALSE;
	schedule_next(t);
	onebox_log("split of table %s started: %d -> %d partitions", t->name, n, 2 * n);
	return TRUE;
}

/* Child of parent p registers: a copy of the parent's records, served */
static void
register_child(OneboxTable *t, OneboxPartition *parent)
{
	OneboxPartition *child = t->parts[parent->pidx + t->split_old_count];
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
	parent->version = t->partition_count - 1;
}

void
onebox_split_step(OneboxTable *t)
{
	OneboxPartition *parent;

	if (t->parts == NULL || t->split_old_count == 0)
		return;
	parent = t->parts[t->split_next];
	if (!t->split_in_window)
	{
		parent->version = -1;
		t->split_in_window = TRUE;
	}
	else
	{
		register_child(t, parent);
		t->split_in_window = FALSE;
		if (++t->split_next == t->split_old_count)
		{
			onebox_log("split of table %s done: %d partitions", t->name,
					   t->partition_count);
			t->split_old_count = 0;
			t->compact_pending = TRUE;
		}
	}
	schedule_next(t);
}

int
onebox_split_tick(void)
{
	gint64		now = g_get_monotonic_time() / 1000;
	gint64		next = -1;
	guint		i;

	for (i = 0; i < onebox.tables->len; i++)
	{
		OneboxTable *t = onebox.tables->pdata[i];

		if (t->parts == NULL || t->split_old_count == 0)
			continue;
		if (t->split_due_ms <= now)
			onebox_split_step(t);
		if (t->split_old_count > 0 && (next < 0 || t->split_due_ms - now < next))
			next = MAX(t->split_due_ms - now, 0);
	}
	return (int) MIN(next, 1000);
}

void
onebox_split_status(OneboxTable *t, char *buf, gsize len)
{
	const char *phase;
	gint32		ready = 0;
	gint32		i;

	for (i = 0; i < t->partition_count; i++)
		if (t->parts[i]->ready)
			ready++;
	if (t->split_old_count > 0)
		phase = t->split_next == 0 && !t->split_in_window ? "copying" : "registering";
	else if (t->compact_pending)
		phase = "split";
	else
		phase = "none";
	g_snprintf(buf, len, "phase=%s partitions=%d ready=%d parent=%d", phase,
			   t->partition_count, ready,
			   t->split_in_window ? t->split_next : -1);
}

guint
onebox_split_compact(OneboxTable *t)
{
	guint		removed = 0;
	gint32		i;

	for (i = 0; i < t->partition_count; i++)
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
