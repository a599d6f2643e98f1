/*
 * A completion held back for a fault rule's delay: the device's callback
 * hands its result over and returns; after the delay (an io_uring timeout
 * on the same engine, so the I/O thread never sleeps) the callback runs
 * again with that result and nothing pending.
 */
#ifndef HV_FAULT_DEFER_H
#define HV_FAULT_DEFER_H

#include <stdbool.h>
#include <stdint.h>

#include "io/ioeng.h"

struct fault_defer {
	struct ioeng_op timer;
	struct __kernel_timespec ts;
	struct ioeng *e;       /* the engine the request runs on (set when it starts) */
	struct ioeng_op *op;   /* whose callback runs again */
	int res;
	uint64_t ns;           /* the delay still to apply: 0 once applied */
};

/*
 * In op's callback: true if its completion waits d->ns first (op->cb then
 * runs with res later), false to go on now (no delay, or no ring room: the
 * delay is then dropped).
 */
bool fault_defer(struct fault_defer *d, struct ioeng_op *op, int res);

#endif
