/* Token buckets with debt (tbucket.h). */
#include "io/tbucket.h"

#include <errno.h>

#define NS 1000000000ull

int tbucket_set(struct tbucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	if (rate > TBUCKET_RATE_MAX || burst > TBUCKET_BURST_MAX || (burst && !rate))
		return -EINVAL;
	b->rate = rate;
	b->burst = burst ? burst : rate < TBUCKET_BURST_MAX ? rate : TBUCKET_BURST_MAX;
	b->balance = (int64_t)(b->burst * NS); /* <= 2^32 x 10^9 < 2^63 */
	b->last_ns = now_ns;
	return 0;
}

/* Brings the balance up to now: rate x elapsed, capped at the burst. */
static void refill(struct tbucket *b, uint64_t now_ns)
{
	int64_t cap = (int64_t)(b->burst * NS);
	uint64_t dt;
	unsigned __int128 add;

	if (now_ns <= b->last_ns)
		return;
	dt = now_ns - b->last_ns;
	b->last_ns = now_ns;
	add = (unsigned __int128)b->rate * dt; /* token-ns: rate/s x ns */
	if (add >= (unsigned __int128)((__int128)cap - b->balance))
		b->balance = cap;
	else
		b->balance += (int64_t)add;
}

uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t now_ns)
{
	if (!b->rate)
		return 0;
	refill(b, now_ns);
	if (b->balance >= 0)
		return 0;
	/* Time to repay the debt, rounded up so the wake-up finds it repaid. */
	return ((uint64_t)-b->balance + b->rate - 1) / b->rate;
}

void tbucket_take(struct tbucket *b, uint64_t cost)
{
	int64_t floor = -(int64_t)(TBUCKET_BURST_MAX * NS);

	if (!b->rate)
		return;
	if (cost > TBUCKET_BURST_MAX)
		cost = TBUCKET_BURST_MAX;
	/* A debt of at most one maximal burst: no overflow whatever the costs. */
	b->balance -= (int64_t)(cost * NS);
	if (b->balance < floor)
		b->balance = floor;
}

uint64_t tlimit_wait_ns(struct tlimit *l, uint64_t now_ns)
{
	uint64_t a = tbucket_wait_ns(&l->bytes, now_ns);
	uint64_t o = tbucket_wait_ns(&l->ops, now_ns);

	return a > o ? a : o;
}

void tlimit_take(struct tlimit *l, uint64_t bytes)
{
	tbucket_take(&l->bytes, bytes);
	tbucket_take(&l->ops, 1);
}
