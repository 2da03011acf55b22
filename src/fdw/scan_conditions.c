/*-------------------------------------------------------------------------
 *
 * scan_conditions.c
 *		Evaluating a foreign scan's pushed conditions at run time (constants,
 *		parameters and outer values) into the key lists, pairs, bounds and
 *		filters the scan's Pegasus operation takes.
 *
 * Values are copied into the scan's param_cxt, reset at every rescan.
 *
 * src/fdw/scan_conditions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pegasus_fdw.h"
#include "scan_internal.h"

static Bytes
datum_bytes(Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	Bytes		b;

	b.len = VARSIZE_ANY_EXHDR(v);
	b.data = palloc(b.len + 1);
	memcpy(b.data, VARDATA_ANY(v), b.len);
	b.data[b.len] = '\0';
	return b;
}

static int
bytes_cmp(const Bytes *a, const Bytes *b)
{
	PegasusSlice x = {a->data, a->len};
	PegasusSlice y = {b->data, b->len};

	return pegasus_slice_compare(x, y);
}

static int
bytes_qsort_cmp(const void *a, const void *b)
{
	return bytes_cmp((const Bytes *) a, (const Bytes *) b);
}

/* Sorts and de-duplicates a key list (IN lists may repeat values). */
int
pegfdw_scan_sort_unique(Bytes *keys, int n)
{
	int			i;
	int			out = 0;

	if (n <= 1)
		return n;
	qsort(keys, n, sizeof(Bytes), bytes_qsort_cmp);
	for (i = 0; i < n; i++)
		if (out == 0 || bytes_cmp(&keys[out - 1], &keys[i]) != 0)
			keys[out++] = keys[i];
	return out;
}

/* Values of a scalar or an array condition; NULL elements dropped. */
static Bytes *
values_of(Datum d, bool isarray, int *n)
{
	Bytes	   *out;

	if (!isarray)
	{
		out = palloc(sizeof(Bytes));
		out[0] = datum_bytes(d);
		*n = 1;
		return out;
	}
	else
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;

		get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
		deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign,
						  &elems, &nulls, &nelems);
		out = palloc(sizeof(Bytes) * Max(nelems, 1));
		*n = 0;
		for (i = 0; i < nelems; i++)
			if (!nulls[i])
				out[(*n)++] = datum_bytes(elems[i]);
		return out;
	}
}

static void
set_lower(PegFdwScanState *s, Bytes v, bool incl)
{
	int			c = s->has_lo ? bytes_cmp(&v, &s->lo) : 1;

	if (c > 0 || (c == 0 && !incl))
	{
		s->lo = v;
		s->lo_incl = incl;
	}
	s->has_lo = true;
}

static void
set_upper(PegFdwScanState *s, Bytes v, bool incl)
{
	int			c = s->has_hi ? bytes_cmp(&v, &s->hi) : -1;

	if (c < 0 || (c == 0 && !incl))
	{
		s->hi = v;
		s->hi_incl = incl;
	}
	s->has_hi = true;
}

typedef struct PairRef
{
	Bytes		hash;
	Bytes		sort;
} PairRef;

static int
pair_cmp(const void *a, const void *b)
{
	const PairRef *x = a;
	const PairRef *y = b;
	int			c = bytes_cmp(&x->hash, &y->hash);

	return c != 0 ? c : bytes_cmp(&x->sort, &y->sort);
}

/*
 * The (hash key, sort key) pairs of ARRAY[h1, s1, h2, s2, ...], sorted and
 * without duplicates; pairs with a NULL, or a hash key Pegasus cannot hold,
 * match nothing and are dropped.
 */
static void
key_pairs_of(PegFdwScanState *s, Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	PairRef    *pairs;
	int			n = 0;
	int			i;

	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign,
					  &elems, &nulls, &nelems);
	pairs = palloc(sizeof(PairRef) * Max(nelems / 2, 1));
	for (i = 0; i + 1 < nelems; i += 2)
	{
		if (nulls[i] || nulls[i + 1])
			continue;
		pairs[n].hash = datum_bytes(elems[i]);
		pairs[n].sort = datum_bytes(elems[i + 1]);
		if (pairs[n].hash.len > 0 && pairs[n].hash.len < PEGASUS_MAX_HASH_KEY_LEN)
			n++;
	}
	if (n > 1)
		qsort(pairs, n, sizeof(PairRef), pair_cmp);
	s->pair_hash = palloc(sizeof(Bytes) * Max(n, 1));
	s->pair_sort = palloc(sizeof(Bytes) * Max(n, 1));
	s->npairs = 0;
	for (i = 0; i < n; i++)
	{
		if (s->npairs > 0 && pair_cmp(&pairs[i], &pairs[i - 1]) == 0)
			continue;
		s->pair_hash[s->npairs] = pairs[i].hash;
		s->pair_sort[s->npairs++] = pairs[i].sort;
	}
}

/*
 * Evaluates the pushed conditions (parameters and outer values included)
 * into key lists, bounds and filters.  A NULL value, an empty or oversized
 * hash key, or an empty range makes the scan return nothing.
 */
void
pegfdw_scan_evaluate_conditions(ForeignScanState *node, PegFdwScanState *s)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt;
	ListCell   *lk;
	ListCell   *le;
	int			i;
	int			kept;

	MemoryContextReset(s->param_cxt);
	oldcxt = MemoryContextSwitchTo(s->param_cxt);
	s->empty = false;
	s->nhash = s->nsort = s->npairs = 0;
	s->hash = s->sort = NULL;
	s->has_lo = s->has_hi = false;
	memset(&s->hfilter, 0, sizeof(PegasusFilter));
	memset(&s->sfilter, 0, sizeof(PegasusFilter));

	forboth(lk, s->kinds, le, s->exprstates)
	{
		PegFdwCondKind kind = lfirst_int(lk);
		ExprState  *es = lfirst(le);
		bool		isnull;
		Datum		d = ExecEvalExpr(es, econtext, &isnull);
		Bytes		b;

		if (isnull)
		{
			s->empty = true;
			continue;
		}
		switch (kind)
		{
			case PEGFDW_COND_HASH_EQ:
			case PEGFDW_COND_HASH_IN:
				s->hash = values_of(d, kind == PEGFDW_COND_HASH_IN, &s->nhash);
				break;
			case PEGFDW_COND_SORT_EQ:
			case PEGFDW_COND_SORT_IN:
				s->sort = values_of(d, kind == PEGFDW_COND_SORT_IN, &s->nsort);
				s->nsort = pegfdw_scan_sort_unique(s->sort, s->nsort);
				if (s->nsort == 0)
					s->empty = true;
				break;
			case PEGFDW_COND_SORT_GT:
				set_lower(s, datum_bytes(d), false);
				break;
			case PEGFDW_COND_SORT_GE:
				set_lower(s, datum_bytes(d), true);
				break;
			case PEGFDW_COND_SORT_LT:
				set_upper(s, datum_bytes(d), false);
				break;
			case PEGFDW_COND_SORT_LE:
				set_upper(s, datum_bytes(d), true);
				break;
			case PEGFDW_COND_KEY_PAIRS:
				key_pairs_of(s, d);
				if (s->npairs == 0)
					s->empty = true;
				break;
			default:
				b = datum_bytes(d);
				if (kind <= PEGFDW_COND_HASH_ANYWHERE)
				{
					s->hfilter.type = kind == PEGFDW_COND_HASH_PREFIX ? PEGASUS_FILTER_PREFIX :
						kind == PEGFDW_COND_HASH_POSTFIX ? PEGASUS_FILTER_POSTFIX :
						PEGASUS_FILTER_ANYWHERE;
					s->hfilter.pattern.data = b.data;
					s->hfilter.pattern.len = b.len;
				}
				else
				{
					s->sfilter.type = kind == PEGFDW_COND_SORT_PREFIX ? PEGASUS_FILTER_PREFIX :
						kind == PEGFDW_COND_SORT_POSTFIX ? PEGASUS_FILTER_POSTFIX :
						PEGASUS_FILTER_ANYWHERE;
					s->sfilter.pattern.data = b.data;
					s->sfilter.pattern.len = b.len;
				}
				break;
		}
	}

	/* Hash keys Pegasus cannot hold match nothing. */
	if (s->hash)
	{
		kept = 0;
		for (i = 0; i < s->nhash; i++)
			if (s->hash[i].len > 0 && s->hash[i].len < PEGASUS_MAX_HASH_KEY_LEN)
				s->hash[kept++] = s->hash[i];
		s->nhash = pegfdw_scan_sort_unique(s->hash, kept);
		if (s->nhash == 0)
			s->empty = true;
	}

	/* Empty ranges are answered locally (and an empty upper bound is not
	 * "to the end", as Pegasus would read it). */
	if (s->has_lo && s->has_hi)
	{
		int			c = bytes_cmp(&s->lo, &s->hi);

		if (c > 0 || (c == 0 && !(s->lo_incl && s->hi_incl)))
			s->empty = true;
	}
	if (s->has_hi && s->hi.len == 0)
	{
		if (!s->hi_incl || (s->has_lo && !(s->lo.len == 0 && s->lo_incl)))
			s->empty = true;
		else if (s->op == PEGFDW_OP_RANGE)
		{
			/* sort_key <= '': only the empty sort key */
			s->op = PEGFDW_OP_POINT;
			s->sort = palloc0(sizeof(Bytes));
			s->sort[0].data = "";
			s->nsort = 1;
		}
	}
	MemoryContextSwitchTo(oldcxt);
}
