/*
 * The NIC rules (drop, dup, reorder, corrupt, link-flap) on the frames a
 * guest sends, between the device model and its backend: net_send() hands
 * a frame here when its NIC has rules, so the PV and the trap NIC, on tap
 * or loop, get the same faults.  A duplicated, reordered or corrupted frame
 * leaves from hv's own copy (the guest's buffer is never changed); a rule
 * that finds all FAULT_NET_COPIES in use lets that frame pass unchanged.
 *
 * The rx- rules act on the frames the backend delivers (fault_net_rx.c):
 * net_recv() and net_cancel() come here too, each receive is posted to the
 * backend through a slot of hv's whose completion sees the frame in the
 * guest's buffer first.  A dropped or held frame's buffer is posted again;
 * a second copy or a held frame waits in hv's copy for a buffer: the next
 * receive the device posts, or one hv takes back from the backend (cancels
 * and fills).  The NIC's interrupt rules (irq-*) are the disks' (fault_irq).
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

/*
 * A reordered frame (reorder, rx-reorder): its copy waits until the next
 * frame has gone its way first, or FAULT_REORDER_HOLD_NS if none comes;
 * then go() sends it on (a sent frame leaves, a received one waits for a
 * buffer).  One at a time a direction: a new one only once the timer of the
 * last has run, even if a frame released it before.
 */
struct fault_hold {
	struct fault_net *fn;
	struct fault_copy *c;       /* the held frame, or NULL */
	struct ioeng_op timer;
	struct __kernel_timespec ts;
	bool armed;                 /* the timer has not run yet */
	/* c goes its way: late, the timer ran out (none overtook it in time) */
	void (*go)(struct fault_hold *h, struct fault_copy *c, bool late);
};

/* A receive hv posted to the backend for the device's (op). */
struct fault_rx {
	struct ioeng_op op;      /* hv's, in the backend */
	struct fault_net *fn;
	struct ioeng_op *guest;  /* the device's, completed from op */
	const struct iovec *iov; /* the device's buffer */
	unsigned cnt;
	bool busy;               /* op is in the backend */
	bool steal;              /* hv cancelled op to fill the buffer from a copy */
	bool cancelled;          /* the device cancelled it */
};

struct fault_net {
	struct fault_dev *f;
	struct net_link *link;
	struct ioeng *e;          /* the engine of the copies' sends and the timers */
	struct net *n;
	struct fault_copy copy[FAULT_NET_COPIES];
	struct fault_hold tx_hold;  /* a sent frame held for reorder: it leaves */
	struct ioeng_op flap;      /* a link flap's down time */
	struct __kernel_timespec flap_ts;
	bool flapping;
	/* receiving: copies waiting for a buffer, oldest first */
	struct fault_copy *rxq[FAULT_NET_COPIES];
	unsigned rxq_head, rxq_nr;
	struct fault_hold rx_hold;  /* a received frame held for rx-reorder: it waits for a buffer */
	unsigned nr_rx;
	struct fault_rx rx[];      /* the backend's recv_depth, and the scratch receive */
};

/*
 * Device kind<index>'s NIC rules, if any, for n (opened): allocates the
 * state and sets n->fault.  0, or -ENOMEM.
 */
int fault_net_claim(struct fault_plan *p, const char *kind, unsigned index, struct net *n);

/* net_send() for a NIC with rules (the same contract). */
int fault_net_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		   struct ioeng_op *op);

/* net_recv() and net_cancel() for a NIC with rules (fault_net_rx.c; the same contracts). */
int fault_net_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		   struct ioeng_op *op);
int fault_net_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op);

/* Shared by the two directions (fault_net.c). */
#define FAULT_REORDER_HOLD_NS 100000000 /* a held frame goes after this even if none overtook it */
/* A free copy of the first len bytes of iov[0..cnt), marked busy; NULL: none free. */
struct fault_copy *fault_net_copy(struct fault_net *fn, const struct iovec *iov, unsigned cnt,
				  size_t len);
/* A corruption: flips bit draw picks of the frame's first len bytes, past its Ethernet header. */
void fault_net_flip(const struct iovec *iov, unsigned cnt, size_t len, uint64_t draw);
/* op's cb runs after ns on fn's engine (at once with -EBUSY if the ring is full). */
void fault_net_arm(struct fault_net *fn, struct ioeng_op *op, struct __kernel_timespec *ts,
		   uint64_t ns, ioeng_cb cb);
/*
 * h holds a copy of the first len bytes of iov[0..cnt) and arms its timer:
 * that copy, or NULL if h holds one already or its timer still runs, or no
 * copy is free (the frame then goes on unchanged).
 */
struct fault_copy *fault_hold_take(struct fault_hold *h, const struct iovec *iov,
				   unsigned cnt, size_t len);
/* A frame overtook h's: it goes its way now (h->go), if h holds one. */
void fault_hold_release(struct fault_hold *h);
/* rx_hold's go (fault_net_rx.c): the frame waits for a buffer after those waiting. */
void fault_net_rx_go(struct fault_hold *h, struct fault_copy *c, bool late);

#endif
