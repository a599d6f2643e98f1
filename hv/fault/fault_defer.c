/* Completions held back by a delay rule (fault_defer.h). */
#include "fault/fault_defer.h"

#include "core/util.h"

static void fire(struct ioeng_op *timer, int res)
{
	struct fault_defer *d = container_of(timer, struct fault_defer, timer);

	(void)res; /* -ETIME: the delay is over (or the ring is going away) */
	d->op->cb(d->op, d->res);
}

bool fault_defer(struct fault_defer *d, struct ioeng_op *op, int res)
{
	uint64_t ns = d->ns;

	if (!ns)
		return false;
	d->ns = 0;
	d->op = op;
	d->res = res;
	d->ts.tv_sec = (long long)(ns / 1000000000u);
	d->ts.tv_nsec = (long long)(ns % 1000000000u);
	d->timer.cb = fire;
	return ioeng_timeout(d->e, &d->ts, &d->timer) == 0;
}
