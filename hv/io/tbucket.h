/*
 * Token buckets for rate limits (a disk's, a NIC direction's): `rate`
 * tokens a second, at most `burst` banked.  Bytes and operations each get
 * one (struct tlimit).  A request is admitted whenever the balance is not
 * negative and then pays its whole cost, which may leave the balance in
 * debt: so a request larger than the burst still goes through, never waits
 * for ever, and the long-run rate is exactly `rate` (the debt is repaid
 * before the next is admitted).  The I/O thread owns a bucket; others
 * change its settings through tlimit_set's caller (iothread work), never
 * directly.  Pure arithmetic on a caller's clock: no system call.
 */
#ifndef HV_TBUCKET_H
#define HV_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define TBUCKET_RATE_MAX (1ull << 40)  /* tokens a second: 1 TiB/s */
#define TBUCKET_BURST_MAX (1ull << 32) /* tokens: a balance in token-ns fits 63 bits */

struct tbucket {
	uint64_t rate;    /* tokens a second; 0: unlimited */
	uint64_t burst;   /* the most banked, in tokens */
	int64_t balance;  /* in token-nanoseconds (tokens x 1e9); < 0: in debt */
	uint64_t last_ns; /* when balance was last brought up to date */
};

/* A limit on bytes and on operations; either rate 0 means that one is off. */
struct tlimit {
	struct tbucket bytes, ops;
	uint64_t throttled_ns; /* time spent refused, for --stats and metrics */
	uint64_t throttled;    /* admissions refused */
};

/*
 * Sets rate and burst (burst 0: one second's worth) and fills the bucket.
 * -EINVAL for a rate or burst over the maxima, or a burst without a rate.
 */
int tbucket_set(struct tbucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* 0 if a request may start now, else the nanoseconds until it may. */
uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t now_ns);

/* Pays cost tokens (after tbucket_wait_ns said 0). */
void tbucket_take(struct tbucket *b, uint64_t cost);

static inline bool tbucket_limited(const struct tbucket *b)
{
	return b->rate != 0;
}

/* Both buckets: 0 if a request may start now, else ns until both allow it. */
uint64_t tlimit_wait_ns(struct tlimit *l, uint64_t now_ns);

/* One operation of bytes bytes started. */
void tlimit_take(struct tlimit *l, uint64_t bytes);

static inline bool tlimit_on(const struct tlimit *l)
{
	return tbucket_limited(&l->bytes) || tbucket_limited(&l->ops);
}

#endif
