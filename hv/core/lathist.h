/*
 * Latency histograms for GET /metrics: hv's part of each request, from the
 * moment hv takes it off the ring to the moment its completion is posted.
 * Log2 buckets with upper bounds 1 us x 2^k (k = 0 .. LATHIST_BOUNDS - 1,
 * 1 us to about 0.5 s) and one more for everything above.  One thread (the
 * I/O thread) adds, with relaxed stores and no locked instruction; any other
 * reads a consistent-enough copy with relaxed loads: the count is the sum of
 * the buckets read, so buckets, +Inf and count always agree.
 *
 * A histogram is kept only where GET /metrics can read it (a control API,
 * vm_add_device): otherwise its requests read no clock.  Two clock reads a
 * request are cheap through the vDSO, but a system call each where the
 * clock source is one it cannot read (the test host VM's HPET), and there
 * they were enough to cost hv's guest a halt on 6% of its null I/Os
 * (BENCHMARKS.md, "How `null-4k-qd1` came to one exit per I/O").
 */
#ifndef HV_LATHIST_H
#define HV_LATHIST_H

#include <stdbool.h>
#include <stdint.h>

#define LATHIST_BOUNDS 20

/* A NIC's histograms, one a direction: GET /metrics labels them direction="rx" and "tx". */
enum lathist_dir { LATHIST_RX = 0, LATHIST_TX, LATHIST_DIRS };

struct lathist {
	uint64_t n[LATHIST_BOUNDS + 1]; /* the last: above every bound */
	uint64_t sum_ns;
	bool kept; /* someone can read it: its requests are timed */
};

/* The upper bound of bucket i < LATHIST_BOUNDS, in ns. */
static inline uint64_t lathist_bound_ns(unsigned i)
{
	return 1000ull << i;
}

/* The bucket of one latency: the first whose bound is >= ns. */
unsigned lathist_bucket(uint64_t ns);

/* The owning thread only. */
void lathist_add(struct lathist *h, uint64_t ns);

/* A request's start for h: the time (mono_ns), or 0 where h is not kept. */
uint64_t lathist_start(const struct lathist *h);
/* The owning thread: adds the time since start, unless start is 0 (no start: nothing). */
void lathist_end(struct lathist *h, uint64_t start);

/* Any thread: a copy; returns the count (the sum of the buckets copied). */
uint64_t lathist_read(const struct lathist *h, struct lathist *out);

#endif
