/* Interrupts lost, late or twice (fault_irq.h). */
#include "fault/fault_irq.h"

#include <errno.h>

#include "core/util.h"

static void fire(struct ioeng_op *timer, int res)
{
	struct fault_irq *fi = container_of(timer, struct fault_irq, timer);

	fi->held = false;
	if (res != -ECANCELED)
		fi->raise(fi);
}

/* Raises through fi->raise after ns; false if the ring has no room (then it never does). */
static bool hold(struct fault_irq *fi, uint64_t ns)
{
	if (!fi->e)
		return false;
	fi->ts.tv_sec = (long long)(ns / 1000000000u);
	fi->ts.tv_nsec = (long long)(ns % 1000000000u);
	fi->timer.cb = fire;
	fi->held = ioeng_timeout(fi->e, &fi->ts, &fi->timer) == 0;
	return fi->held;
}

bool fault_irq(struct fault_dev *f, struct fault_irq *fi)
{
	struct fault_irq_verdict v;

	if (!fault_irq_decide(f, fi->queue, &v))
		return true;
	if (v.lost)
		return false;
	if (v.late_ns)
		return !fi->held && !hold(fi, v.late_ns); /* held: it joins the one held */
	if (v.dup && !fi->held)
		hold(fi, FAULT_DUP_GAP_NS);
	return true;
}
