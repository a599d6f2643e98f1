/* Latency histograms (lathist.h). */
#include "core/lathist.h"
#include "core/util.h"


unsigned lathist_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000 + (ns % 1000 != 0); /* microseconds, rounded up */
	unsigned k;

	if (us <= 1)
		return 0;
	k = 64 - (unsigned)__builtin_clzll(us - 1); /* 2^(k-1) < us <= 2^k */
	return k < LATHIST_BOUNDS ? k : LATHIST_BOUNDS;
}

void lathist_add(struct lathist *h, uint64_t ns)
{
	unsigned k = lathist_bucket(ns);

	/* One writer: a plain read of its own value, a relaxed store for readers. */
	__atomic_store_n(&h->n[k], h->n[k] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum_ns, h->sum_ns + ns, __ATOMIC_RELAXED);
}

uint64_t lathist_start(const struct lathist *h)
{
	return h->kept ? mono_ns() : 0;
}

void lathist_end(struct lathist *h, uint64_t start)
{
	if (start)
		lathist_add(h, mono_ns() - start);
}

uint64_t lathist_read(const struct lathist *h, struct lathist *out)
{
	uint64_t count = 0;
	unsigned i;

	for (i = 0; i <= LATHIST_BOUNDS; i++) {
		out->n[i] = __atomic_load_n(&h->n[i], __ATOMIC_RELAXED);
		count += out->n[i];
	}
	out->sum_ns = __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
	return count;
}
