/*
 * The PV queue family's hypercalls: HV_HC_QUEUE_ATTACH and _DETACH reach the
 * device at the given table index through its kind's queue_ops.  Every kind
 * with rings registers them (device_kind.register_hypercalls).
 */
#ifndef HV_QUEUE_H
#define HV_QUEUE_H

struct hc_table;

void queue_register_hypercalls(struct hc_table *t);

#endif
