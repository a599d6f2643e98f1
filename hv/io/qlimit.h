/*
 * A queue's rate limit as settings (struct rate_set: what --disk, --net and
 * PUT /rate-limits say) and their handover to the I/O thread, which alone
 * owns the token buckets (tbucket.h).  Another thread (the API's, or setup
 * before the I/O thread runs) stores the next setting under a mutex and
 * raises a flag; the I/O thread, when it serves the queue, takes it over
 * (qlimit_apply).  The buckets themselves are never touched by another
 * thread; their counters are read with atomic loads.
 */
#ifndef HV_QLIMIT_H
#define HV_QLIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/tbucket.h"

/* 0: that part unlimited (a burst 0: one second's worth of the rate). */
struct rate_set {
	uint64_t bytes_per_s, ops_per_s, bytes_burst, ops_burst;
};

struct qlimit {
	struct tlimit lim;      /* the I/O thread's; counters read atomically */
	pthread_mutex_t mu;     /* guards next */
	struct rate_set next;   /* the latest setting asked for */
	int pending;            /* atomic: next not yet taken over */
};

/* -EINVAL if r is beyond what a bucket takes (tbucket_set's limits). */
int rate_set_check(const struct rate_set *r);

static inline bool rate_set_on(const struct rate_set *r)
{
	return r->bytes_per_s || r->ops_per_s;
}

/*
 * One "KEY=VALUE" of a device option: KEY is prefix followed by "bps",
 * "iops" (ops_word), "bps-burst" or "<ops_word>-burst"; VALUE a size with
 * K/M/G suffixes (parse_size).  1 if the key is not one of these, 0 when
 * parsed, -EINVAL for a bad value (with a reason naming opt in err).
 */
int rate_set_parse(const char *opt, const char *prefix, const char *ops_word, const char *kv,
		   size_t n, struct rate_set *r, char *err, size_t errlen);

/* After the last rate_set_parse: -EINVAL and a reason if a burst has no rate. */
int rate_set_check_opt(const char *opt, const char *prefix, const char *ops_word,
		       const struct rate_set *r, char *err, size_t errlen);

int qlimit_init(struct qlimit *l);
void qlimit_destroy(struct qlimit *l);

/* Any thread: the next setting (checked with rate_set_check first); 0 or -EINVAL. */
int qlimit_set(struct qlimit *l, const struct rate_set *r);

/* Any thread: the latest setting asked for. */
void qlimit_get(struct qlimit *l, struct rate_set *out);

static inline bool qlimit_pending(struct qlimit *l)
{
	return __atomic_load_n(&l->pending, __ATOMIC_ACQUIRE);
}

/*
 * I/O thread: takes a pending setting over (buckets set and full at now_ns);
 * returns the limit to use, NULL when unlimited.
 */
struct tlimit *qlimit_apply(struct qlimit *l, uint64_t now_ns);

/* Any thread: refusals and nanoseconds spent refused. */
static inline uint64_t qlimit_throttled(const struct qlimit *l)
{
	return __atomic_load_n(&l->lim.throttled, __ATOMIC_RELAXED);
}
static inline uint64_t qlimit_throttled_ns(const struct qlimit *l)
{
	return __atomic_load_n(&l->lim.throttled_ns, __ATOMIC_RELAXED);
}

#endif
