/*-------------------------------------------------------------------------
 *
 * replica_write.c
 *	  Writes of a replica (protocol 4.2-4.5, 4.10-4.12): put, multi_put,
 *	  remove, multi_remove, incr, check_and_set, check_and_mutate.
 *
 * Every write that reaches its handler consumes one decree of the
 * partition (a real replica replicates failed atomic writes as empty
 * mutations too) and reports it in the response.
 *
 *-------------------------------------------------------------------------
 */
#include "onebox.h"

#include <string.h>

#define FILL_WRITE_COMMON(rs, call) \
	do { \
		(rs)->app_id = (call)->part->table->app_id; \
		(rs)->partition_index = (call)->part->pidx; \
		(rs)->decree = ++(call)->part->decree; \
		(rs)->server = pegasus_codec_blob_str((call)->ep->server_name); \
	} while (0)

void
onebox_replica_put(OneboxCall *call)
{
	const PegasusUpdateRequest *rq = &call->req->u.put;
	PegasusUpdateResponse *rs = &call->reply->u.put;

	FILL_WRITE_COMMON(rs, call);
	/* negative expire values become far-future u32 times, as on a server */
	onebox_store_put(call->part->store, rq->key.data, rq->key.len,
					 rq->value.data, rq->value.len,
					 onebox_write_expire(call->part, (guint32) rq->expire_ts_seconds));
	rs->error = PEGASUS_RDB_OK;
}

void
onebox_replica_remove(OneboxCall *call)
{
	PegasusUpdateResponse *rs = &call->reply->u.put;
	PegasusBlob key = call->req->u.key;

	FILL_WRITE_COMMON(rs, call);
	onebox_store_remove(call->part->store, key.data, key.len);
	rs->error = PEGASUS_RDB_OK;
}

void
onebox_replica_multi_put(OneboxCall *call)
{
	const PegasusMultiPutRequest *rq = &call->req->u.multi_put;
	PegasusUpdateResponse *rs = &call->reply->u.put;
	guint32		expire;
	guint32		i;

	FILL_WRITE_COMMON(rs, call);
	if (rq->n_kvs == 0)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	/* the request-level expiry applies; per-kv expiry is ignored */
	expire = onebox_write_expire(call->part, (guint32) rq->expire_ts_seconds);
	for (i = 0; i < rq->n_kvs; i++)
	{
		gsize		klen;
		guint8	   *k = onebox_make_key(call, rq->hash_key, rq->kvs[i].key, &klen);

		onebox_store_put(call->part->store, k, klen, rq->kvs[i].value.data,
						 rq->kvs[i].value.len, expire);
	}
	rs->error = PEGASUS_RDB_OK;
}

void
onebox_replica_multi_remove(OneboxCall *call)
{
	const PegasusMultiRemoveRequest *rq = &call->req->u.multi_remove;
	PegasusMultiRemoveResponse *rs = &call->reply->u.multi_remove;
	guint32		i;

	FILL_WRITE_COMMON(rs, call);
	if (rq->n_sort_keys == 0)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	for (i = 0; i < rq->n_sort_keys; i++)
	{
		gsize		klen;
		guint8	   *k = onebox_make_key(call, rq->hash_key, rq->sort_keys[i], &klen);

		onebox_store_remove(call->part->store, k, klen);
	}
	/* the request size, not the number of records that existed */
	rs->count = rq->n_sort_keys;
	rs->error = PEGASUS_RDB_OK;
}

void
onebox_replica_incr(OneboxCall *call)
{
	const PegasusIncrRequest *rq = &call->req->u.incr;
	PegasusIncrResponse *rs = &call->reply->u.incr;
	const OneboxValue *v = onebox_store_get(call->part->store, rq->key.data, rq->key.len);
	guint32		now = onebox_pegasus_now();
	gint64		new_value;
	guint32		new_expire;
	char		text[32];

	FILL_WRITE_COMMON(rs, call);
	if (v == NULL || onebox_value_expired(v, now))
	{
		new_value = rq->increment;
		new_expire = rq->expire_ts_seconds > 0 ? (guint32) rq->expire_ts_seconds : 0;
	}
	else
	{
		gint64		old = 0;

		if (v->len > 0 && !onebox_parse_int64(v->data, v->len, &old))
		{
			rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
			return;
		}
		if ((rq->increment > 0 && old > G_MAXINT64 - rq->increment) ||
			(rq->increment < 0 && old < G_MININT64 - rq->increment))
		{
			/* overflow: nothing written, the old value is reported */
			rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
			rs->new_value = old;
			return;
		}
		new_value = old + rq->increment;
		if (rq->expire_ts_seconds == 0)
			new_expire = v->expire_ts;
		else if (rq->expire_ts_seconds < 0)
			new_expire = 0;
		else
			new_expire = (guint32) rq->expire_ts_seconds;
	}
	g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, new_value);
	onebox_store_put(call->part->store, rq->key.data, rq->key.len,
					 (const guint8 *) text, strlen(text),
					 onebox_write_expire(call->part, new_expire));
	rs->error = PEGASUS_RDB_OK;
	rs->new_value = new_value;
}

/* ------------------------------------------------------------------------
 * check_and_set, check_and_mutate
 * ------------------------------------------------------------------------ */

/* Evaluate a check; *invalid set when an integer does not parse */
static gboolean
evaluate_check(gint32 type, PegasusBlob operand, gboolean exists,
			   const OneboxValue *v, gboolean *invalid)
{
	const guint8 *data = exists ? v->data : NULL;
	gsize		len = exists ? v->len : 0;
	int			c;

	*invalid = FALSE;
	switch (type)
	{
		case PEGASUS_CT_NO_CHECK:
			return TRUE;
		case PEGASUS_CT_VALUE_NOT_EXIST:
			return !exists;
		case PEGASUS_CT_VALUE_NOT_EXIST_OR_EMPTY:
			return !exists || len == 0;
		case PEGASUS_CT_VALUE_EXIST:
			return exists;
		case PEGASUS_CT_VALUE_NOT_EMPTY:
			return exists && len > 0;
		case PEGASUS_CT_VALUE_MATCH_ANYWHERE:
			return exists && onebox_filter_match(PEGASUS_FT_MATCH_ANYWHERE, operand, data, len);
		case PEGASUS_CT_VALUE_MATCH_PREFIX:
			return exists && onebox_filter_match(PEGASUS_FT_MATCH_PREFIX, operand, data, len);
		case PEGASUS_CT_VALUE_MATCH_POSTFIX:
			return exists && onebox_filter_match(PEGASUS_FT_MATCH_POSTFIX, operand, data, len);
		case PEGASUS_CT_VALUE_BYTES_LESS:
		case PEGASUS_CT_VALUE_BYTES_LESS_OR_EQUAL:
		case PEGASUS_CT_VALUE_BYTES_EQUAL:
		case PEGASUS_CT_VALUE_BYTES_GREATER_OR_EQUAL:
		case PEGASUS_CT_VALUE_BYTES_GREATER:
			if (!exists)
				return FALSE;
			c = onebox_bytes_cmp(data, len, operand.data, operand.len);
			if (c < 0)
				return type <= PEGASUS_CT_VALUE_BYTES_LESS_OR_EQUAL;
			if (c > 0)
				return type >= PEGASUS_CT_VALUE_BYTES_GREATER_OR_EQUAL;
			return type >= PEGASUS_CT_VALUE_BYTES_LESS_OR_EQUAL &&
				type <= PEGASUS_CT_VALUE_BYTES_GREATER_OR_EQUAL;
		case PEGASUS_CT_VALUE_INT_LESS:
		case PEGASUS_CT_VALUE_INT_LESS_OR_EQUAL:
		case PEGASUS_CT_VALUE_INT_EQUAL:
		case PEGASUS_CT_VALUE_INT_GREATER_OR_EQUAL:
		case PEGASUS_CT_VALUE_INT_GREATER:
			{
				gint64		a,
							b;

				if (!exists)
					return FALSE;
				if (!onebox_parse_int64(data, len, &a) ||
					!onebox_parse_int64(operand.data, operand.len, &b))
				{
					*invalid = TRUE;
					return FALSE;
				}
				switch (type)
				{
					case PEGASUS_CT_VALUE_INT_LESS:
						return a < b;
					case PEGASUS_CT_VALUE_INT_LESS_OR_EQUAL:
						return a <= b;
					case PEGASUS_CT_VALUE_INT_EQUAL:
						return a == b;
					case PEGASUS_CT_VALUE_INT_GREATER_OR_EQUAL:
						return a >= b;
					default:
						return a > b;
				}
			}
		default:
			return FALSE;
	}
}

/*
 * The common part of check_and_set and check_and_mutate: reads the check
 * record, fills the check-value fields, evaluates.  Returns TRUE when the
 * writes should be applied; otherwise rs->error holds 13 or 4.
 */
static gboolean
run_check(OneboxCall *call, PegasusBlob hash_key, PegasusBlob check_sort_key,
		  gint32 check_type, PegasusBlob operand, gboolean return_check_value,
		  PegasusCheckAndSetResponse *rs)
{
	gsize		klen;
	guint8	   *k = onebox_make_key(call, hash_key, check_sort_key, &klen);
	const OneboxValue *v = onebox_store_get(call->part->store, k, klen);
	gboolean	exists = v != NULL && !onebox_value_expired(v, onebox_pegasus_now());
	gboolean	invalid;
	gboolean	passed;

	if (return_check_value)
	{
		rs->check_value_returned = TRUE;
		if (exists)
		{
			rs->check_value_exist = TRUE;
			/* copy: the record may be overwritten by the set below */
			rs->check_value.data = g_memdup2(v->data, v->len);
			rs->check_value.len = v->len;
			g_ptr_array_add(call->scratch, (gpointer) rs->check_value.data);
		}
	}
	passed = evaluate_check(check_type, operand, exists, v, &invalid);
	if (!passed)
		rs->error = invalid ? PEGASUS_RDB_INVALID_ARGUMENT : PEGASUS_RDB_TRY_AGAIN;
	return passed;
}

void
onebox_replica_check_and_set(OneboxCall *call)
{
	const PegasusCheckAndSetRequest *rq = &call->req->u.check_and_set;
	PegasusCheckAndSetResponse *rs = &call->reply->u.check_and_set;
	gsize		klen;
	guint8	   *k;

	FILL_WRITE_COMMON(rs, call);
	if (rq->check_type < PEGASUS_CT_NO_CHECK || rq->check_type > PEGASUS_CT_VALUE_INT_GREATER)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	if (!run_check(call, rq->hash_key, rq->check_sort_key, rq->check_type,
				   rq->check_operand, rq->return_check_value, rs))
		return;
	k = onebox_make_key(call, rq->hash_key,
						rq->set_diff_sort_key ? rq->set_sort_key : rq->check_sort_key, &klen);
	onebox_store_put(call->part->store, k, klen, rq->set_value.data, rq->set_value.len,
					 onebox_write_expire(call->part, (guint32) rq->set_expire_ts_seconds));
	rs->error = PEGASUS_RDB_OK;
}

void
onebox_replica_check_and_mutate(OneboxCall *call)
{
	const PegasusCheckAndMutateRequest *rq = &call->req->u.check_and_mutate;
	PegasusCheckAndMutateResponse *rs = &call->reply->u.check_and_mutate;
	guint32		i;

	FILL_WRITE_COMMON(rs, call);
	if (rq->n_mutate_list == 0)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	for (i = 0; i < rq->n_mutate_list; i++)
		if (rq->mutate_list[i].operation != PEGASUS_MO_PUT &&
			rq->mutate_list[i].operation != PEGASUS_MO_DELETE)
		{
			rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
			return;
		}
	if (rq->check_type < PEGASUS_CT_NO_CHECK || rq->check_type > PEGASUS_CT_VALUE_INT_GREATER)
	{
		rs->error = PEGASUS_RDB_INVALID_ARGUMENT;
		return;
	}
	if (!run_check(call, rq->hash_key, rq->check_sort_key, rq->check_type,
				   rq->check_operand, rq->return_check_value, rs))
		return;
	/* in list order, later entries for the same key win */
	for (i = 0; i < rq->n_mutate_list; i++)
	{
		const PegasusMutate *m = &rq->mutate_list[i];
		gsize		klen;
		guint8	   *k = onebox_make_key(call, rq->hash_key, m->sort_key, &klen);

		if (m->operation == PEGASUS_MO_PUT)
			onebox_store_put(call->part->store, k, klen, m->value.data, m->value.len,
							 onebox_write_expire(call->part,
												 (guint32) m->set_expire_ts_seconds));
		else
			onebox_store_remove(call->part->store, k, klen);
	}
	rs->error = PEGASUS_RDB_OK;
}
