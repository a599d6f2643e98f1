/*
 * The NIC rules (drop, dup, reorder, corrupt, link-flap) on the frames a
 * guest sends, between the device model and its backend: net_send() hands
 * a frame here when its NIC has rules, so the PV and the trap NIC, on tap
 * or loop, get the same faults.  A duplicated, reordered or corrupted frame
 * leaves from hv's own copy (the guest's buffer is never changed); a rule
 * that finds all FAULT_NET_COPIES in use lets that frame pass unchanged.
 */
#ifndef HV_FAULT_NET_H
#define HV_FAULT_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fault/fault.h"
#include "hv_net.h"
#include "io/ioeng.h"

struct net;
struct net_link;

#define FAULT_NET_COPIES 4 /* frames hv's own copies may carry at once */

/* hv's copy of a frame: sent for a dup, a reorder, a corruption. */
struct fault_copy {
	uint8_t buf[HV_NET_MAX_FRAME];
	struct iovec iov;
	struct ioeng_op op;        /* its send */
	struct ioeng_op *guest_op; /* a corrupted frame's: completes when the copy is sent */
	bool busy;
};

struct fault_net {
	struct fault_dev *f;
	struct net_link *link;
	struct ioeng *e;          /* the engine of the copies' sends and the timers */
	struct net *n;
	struct fault_copy copy[FAULT_NET_COPIES];
	/*
	 * A reordered frame waits for the next frame to leave first (or for
	 * REORDER_HOLD_NS, if none comes): held is its copy.
	 */
	struct fault_copy *held;
	struct ioeng_op hold;
	struct __kernel_timespec hold_ts;
	bool hold_armed;
	struct ioeng_op flap;      /* a link flap's down time */
	struct __kernel_timespec flap_ts;
	bool flapping;
};

/*
 * Device kind<index>'s NIC rules, if any, for n (opened): allocates the
 * state and sets n->fault.  0, or -ENOMEM.
 */
int fault_net_claim(struct fault_plan *p, const char *kind, unsigned index, struct net *n);

/* net_send() for a NIC with rules (the same contract). */
int fault_net_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		   struct ioeng_op *op);

#endif
