/*
 * The interrupt rules at a device's raise (irq-lost, irq-late, irq-dup):
 * the device asks before it raises; a late or second interrupt comes from
 * an io_uring timeout on the I/O thread's engine, through the device's own
 * raise function.  At most one is held per device queue: an interrupt meant
 * to be late while one is held joins it (an interrupt only says "look").
 * A device has a struct fault_irq per queue that raises its own interrupt
 * (a PV NIC's RX and TX): the rules count and draw for each apart.
 */
#ifndef HV_FAULT_IRQ_H
#define HV_FAULT_IRQ_H

#include <stdbool.h>

#include "fault/fault.h"
#include "io/ioeng.h"

#define FAULT_DUP_GAP_NS 1000000 /* a duplicate comes this long after the first */

struct fault_irq {
	struct ioeng_op timer;
	struct __kernel_timespec ts;
	struct ioeng *e;                      /* the device's engine (set as requests start) */
	void (*raise)(struct fault_irq *fi);  /* the device's raise, for a held interrupt */
	unsigned queue;                       /* the device's queue number (HV_NET_Q_*), or 0 */
	bool held;                            /* the timer is armed */
};

/* I/O thread, as the device is about to raise an interrupt: true to raise it now. */
bool fault_irq(struct fault_dev *f, struct fault_irq *fi);

#endif
