/*-------------------------------------------------------------------------
 *
 * throttle.c
 *	  Request throttling by table app envs, as a Pegasus replica does it
 *	  (utils/throttling_controller, replica/replica_throttle.cpp).
 *
 * Envs: replica.write_throttling (1 unit per write),
 * replica.write_throttling_by_size (the request body's bytes) and
 * replica.read_throttling (1 unit per read that is not a backup request).
 * A value is a comma list of at most one "UNITS*delay*MS" and one
 * "UNITS*reject*MS", UNITS an unsigned number with an optional K (x1024)
 * or M (x1048576) suffix, e.g. "100*delay*100,200*reject*200".  An invalid
 * value disables the controller, as a replica does after logging it.
 *
 * Every partition (replica) has its own controllers, each allowed
 * UNITS / partition_count + 1 per clock second (the count the partition
 * serves).  A request that takes the second's count past the reject
 * units is not counted and is answered ERR_BUSY after min(MS, client
 * timeout / 2) (at once for 0); otherwise one past the delay units is
 * counted and handled min(MS, client timeout / 2) later, then without
 * throttling.  A write is checked against the qps controller first, and
 * against the size controller only when that one passed.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An unsigned integer as buf2uint64 reads it (strtoull base 0, all of s) */
static gboolean
parse_uint64(const char *s, guint64 *out)
{
	char	   *end;
	unsigned long long v;

	if (*s == '\0')
		return FALSE;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end != '\0' || errno != 0 || (v != 0 && strchr(s, '-') != NULL))
		return FALSE;
	*out = v;
	return TRUE;
}

/* UNITS with an optional K or M suffix (parse_unit) */
static gboolean
parse_units(const char *s, guint64 *out)
{
	gsize		len = strlen(s);
	guint64		mult = 1;
	guint64		v;
	char	   *num;
	gboolean	ok;

	if (len > 0 && s[len - 1] == 'M')
		mult = 1 << 20;
	else if (len > 0 && s[len - 1] == 'K')
		mult = 1 << 10;
	num = g_strndup(s, mult == 1 ? len : len - 1);
	ok = parse_uint64(num, &v) && v <= G_MAXUINT64 / mult;
	g_free(num);
	if (ok)
		*out = v * mult;
	return ok;
}

typedef enum PartResult
{
	PART_FAIL,
	PART_IGNORE,				/* the mode is not the one asked */
	PART_OK
} PartResult;

/* One "UNITS*MODE*MS" item read as mode (throttling_controller's) */
static PartResult
parse_item(const char *item, const char *mode, guint64 *units, guint64 *ms)
{
	char	  **f = g_strsplit(item, "*", -1);
	PartResult	r = PART_FAIL;
	guint64		u,
				m;

	if (g_strv_length(f) == 3)
	{
		g_strstrip(f[0]);
		g_strstrip(f[1]);
		g_strstrip(f[2]);
		if (!parse_units(f[0], &u))
			r = PART_FAIL;
		else if (strcmp(f[1], mode) != 0)
			r = PART_IGNORE;
		else if (parse_uint64(f[2], &m))
		{
			*units = u;
			*ms = m;
			r = PART_OK;
		}
	}
	g_strfreev(f);
	return r;
}

gboolean
onebox_throttle_parse(const char *value, guint64 *delay_units, guint64 *delay_ms,
					  guint64 *reject_units, guint64 *reject_delay_ms)
{
	char	  **items = g_strsplit(value, ",", -1);
	gboolean	have_delay = FALSE;
	gboolean	have_reject = FALSE;
	gboolean	ok = TRUE;
	int			n = 0;
	char	  **it;

	*delay_units = *delay_ms = *reject_units = *reject_delay_ms = 0;
	for (it = items; ok && *it; it++)
	{
		guint64		u = 0,
					m = 0;
		PartResult	r;

		/* empty items (blank between commas) are skipped, as split_args does */
		if (*g_strstrip(*it) == '\0')
			continue;
		n++;
		r = parse_item(*it, "delay", &u, &m);
		if (r == PART_FAIL)
			ok = FALSE;
		else if (r == PART_OK)
		{
			ok = !have_delay;
			have_delay = TRUE;
			*delay_units = u;
			*delay_ms = m;
		}
		else if (parse_item(*it, "reject", &u, &m) == PART_OK)
		{
			ok = !have_reject;
			have_reject = TRUE;
			*reject_units = u;
			*reject_delay_ms = m;
		}
		else
			ok = FALSE;
	}
	g_strfreev(items);
	return ok && n > 0;
}

static void
throttle_reset(OneboxThrottle *c)
{
	g_free(c->env_value);
	memset(c, 0, sizeof(*c));
}

/*
 * Brings c in line with the table env key: parsed again when the value or
 * the partition's count changed (the window's count is kept, as
 * parse_from_env keeps it), reset when absent or invalid.
 */
static void
throttle_sync(OneboxThrottle *c, OneboxPartition *part, const char *key)
{
	const char *value = g_hash_table_lookup(part->table->envs, key);
	gint32		count = onebox_partition_served_count(part);
	guint64		du,
				dm,
				ru,
				rm;

	if (value == NULL)
	{
		throttle_reset(c);
		return;
	}
	if (c->env_value != NULL && strcmp(c->env_value, value) == 0 &&
		c->partition_count == count)
		return;
	if (!onebox_throttle_parse(value, &du, &dm, &ru, &rm))
	{
		throttle_reset(c);
		return;
	}
	g_free(c->env_value);
	c->env_value = g_strdup(value);
	c->partition_count = count;
	c->delay_units = du == 0 ? 0 : du / (guint64) count + 1;
	c->delay_ms = dm;
	c->reject_units = ru == 0 ? 0 : ru / (guint64) count + 1;
	c->reject_delay_ms = rm;
}

/* throttling_controller::control: one request of units in this second */
static OneboxThrottleResult
throttle_control(OneboxThrottle *c, gint32 client_timeout_ms, guint64 units,
				 gint64 *delay_ms)
{
	gint64		second = onebox_now_ms() / 1000;
	guint64		ms;

	if (c->env_value == NULL)
		return ONEBOX_THROTTLE_PASS;
	if (second != c->last_second)
	{
		c->cur_units = 0;
		c->last_second = second;
	}
	c->cur_units += units;
	if (c->reject_units > 0 && c->cur_units > c->reject_units)
	{
		c->cur_units -= units;
		ms = c->reject_delay_ms;
		if (client_timeout_ms > 0)
			ms = MIN(ms, (guint64) (client_timeout_ms / 2));
		*delay_ms = (gint64) ms;
		return ONEBOX_THROTTLE_REJECT;
	}
	if (c->delay_units > 0 && c->cur_units > c->delay_units)
	{
		ms = c->delay_ms;
		if (client_timeout_ms > 0)
			ms = MIN(ms, (guint64) (client_timeout_ms / 2));
		*delay_ms = (gint64) ms;
		return ONEBOX_THROTTLE_DELAY;
	}
	return ONEBOX_THROTTLE_PASS;
}

OneboxThrottleResult
onebox_throttle_write(OneboxPartition *part, gint32 client_timeout_ms,
					  guint64 body_size, gint64 *delay_ms)
{
	OneboxThrottleResult r;

	*delay_ms = 0;
	throttle_sync(&part->write_qps, part, ONEBOX_WRITE_THROTTLING_ENV);
	throttle_sync(&part->write_size, part, ONEBOX_WRITE_SIZE_THROTTLING_ENV);
	r = throttle_control(&part->write_qps, client_timeout_ms, 1, delay_ms);
	if (r != ONEBOX_THROTTLE_PASS)
		return r;
	return throttle_control(&part->write_size, client_timeout_ms, body_size, delay_ms);
}

OneboxThrottleResult
onebox_throttle_read(OneboxPartition *part, gint32 client_timeout_ms, gint64 *delay_ms)
{
	*delay_ms = 0;
	throttle_sync(&part->read_qps, part, ONEBOX_READ_THROTTLING_ENV);
	return throttle_control(&part->read_qps, client_timeout_ms, 1, delay_ms);
}

void
onebox_throttle_free(OneboxPartition *part)
{
	throttle_reset(&part->write_qps);
	throttle_reset(&part->write_size);
	throttle_reset(&part->read_qps);
}
