/*
 * hv's end of one guest queue (protocol/hv_ring.h): the ring half every PV
 * device shares.  Attach validation and KVM wiring (ioeventfd doorbell; the
 * completion interrupt is an entry of the device's MSI-X table), copy-then-validate taking of submissions, completion posting
 * with event-index suppression, broken-queue detection, flow control, and
 * the detach handshake with the I/O thread.  A device supplies only what
 * one submission means (pvq_start_fn) and when it completes.
 */
#ifndef HV_PVQ_H
#define HV_PVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_ring.h"
#include "kvm/guest_mem.h"
#include "io/iothread.h"
#include "core/ratelimit.h"
#include "io/ioeng.h"
#include "io/qlimit.h"
#include "fault/fault_irq.h"

#define PVQ_DETACH_TIMEOUT_MS 10000
#define PVQ_LIMIT_MIN_WAIT_NS 1000000 /* a refused queue waits at least 1 ms */
#define PVQ_MAX_ENTRY 256 /* bytes: the largest submission entry of any device */

struct kvm_vm;
struct msix;
struct pvq;

enum pvq_state {
	PVQ_DETACHED = 0,
	PVQ_ACTIVE = 1,
	PVQ_BROKEN = 2, /* the guest broke the ring protocol; no more service */
};

/*
 * I/O thread: one submission, already copied out of the ring.  Each one
 * taken must later be completed exactly once with pvq_complete().
 */
typedef void (*pvq_start_fn)(struct pvq *q, struct ioeng *e, const void *entry);

/* A submission's bytes for the queue's rate limit (a copied entry; ops are 1 each). */
typedef uint64_t (*pvq_cost_fn)(const void *entry);

struct pvq {
	char name[24];             /* for messages: "pvblk0", "pvnet0 tx" */
	const struct guest_mem *mem;
	uint32_t sq_esize, cq_esize;
	pvq_start_fn start;
	uint32_t max_inflight;     /* taken, not completed: at most this (0: the CQ's size) */
	/* Optional: a detach was asked for; end what may wait for ever (a read). */
	void (*quiesce)(struct pvq *q, struct ioeng *e);
	/* Optional: after taking, with nothing taken in flight (an empty ring). */
	void (*idle)(struct pvq *q, struct ioeng *e);
	/* Optional: before taking (a NIC's TX looks at its RX ring first). */
	void (*pre)(struct pvq *q, struct ioeng *e);
	/*
	 * Optional: a queue whose ring hv looks at right after this queue's
	 * interrupt (a NIC's TX after its RX; a disk's own ring), whose event
	 * index it leaves behind while it sends the interrupt.  Where the vCPU
	 * shares the I/O thread's CPU, the vCPU the interrupt wakes usually
	 * preempts the thread there: what the guest publishes meanwhile (the
	 * ACKs for the frames it got, the next request at depth 1) needs no
	 * doorbell, since the look finds it once the thread runs again.  A
	 * doorbell then would be an exit for nothing: the thread is runnable,
	 * not asleep, so it wakes no one.  The look ends asking for a doorbell
	 * as always, so what the guest publishes later rings as before.
	 */
	struct pvq *then_look;
	bool looking;              /* in then_look's look: a nested publish does not start another */
	/*
	 * A submission's bytes, paid to the limit when it is taken; NULL: the
	 * device pays itself when it knows them (pvq_pay: a received frame).
	 */
	pvq_cost_fn cost;
	/*
	 * Doorbells hv does without: while at least quiet_at requests are in
	 * flight and none of them is slow, hv asks for no doorbell, since it
	 * looks at the ring again after each completion anyway (0: it asks
	 * for every one).  A NIC's RX queue: 1 (a held buffer is "in flight"
	 * until a frame fills it: more buffers help only once none is left,
	 * as virtio-net hosts turn RX notifications off while they have
	 * buffers).  A disk: 2 (PROTOCOL.md 9): a new request then waits at
	 * most until the first of two or more in flight completes, and depth
	 * 1 and 2 keep every doorbell.
	 */
	uint32_t quiet_at;
	/*
	 * Of those in flight, how many may take long (a flush, an FUA write, a
	 * request a fault rule delays): while any is, a new request must not
	 * wait for it, so hv asks for every doorbell.  The device counts them.
	 */
	uint32_t inflight_slow;
	uint16_t port;             /* notify port */
	struct io_source src;      /* doorbell */
	struct msix *msix;         /* the device's MSI-X table (set at setup), or NULL: none */
	int state;                 /* enum pvq_state, atomic */
	/*
	 * The detach handshake: the vCPU thread sets detach_req 0 -> 1 (once
	 * per detach, however often it is retried); the I/O thread, once
	 * nothing is in flight, marks the queue DETACHED, sets detach_req
	 * 1 -> 0 and signals detach_ack: exactly one ack per request.
	 */
	int detach_req;            /* atomic */
	int detach_ack;            /* eventfd */
	int detach_timeout_ms;
	struct ratelimit log;      /* what the guest can make this queue say */

	/* the attaching and detaching vCPU's (callers serialise them per device) */
	bool held;                 /* attached, and no detach has finished since */
	bool detach_pending;       /* a detach was asked for and timed out */

	/* fixed at attach (vCPU thread), then the I/O thread's */
	struct hv_queue_setup setup;
	struct hv_ring_ctl *sq, *cq;
	uint8_t *sqe, *cqe;
	uint32_t sq_cons, cq_prod, cq_published, inflight;
	bool stalled;              /* stopped taking: no completion room or budget */
	/*
	 * The event index left behind by quiet_at: only then must completions
	 * bring hv back to the ring (on_publish); a queue that asked for its
	 * doorbell hears of new requests by it.
	 */
	bool quiet;
	bool quiescing;            /* quiesce() ran for the pending detach */
	uint64_t taken, irqs, irqs_suppressed;
	uint64_t yields;           /* passes cut at a ring's worth (a guest refilling as fast) */

	/*
	 * Rate limit (qlimit.h): settings come in through rl (pvq_set_limit);
	 * the I/O thread's limit is NULL when unlimited, so an unlimited queue
	 * pays one pointer test per submission.  A refused submission waits in
	 * the ring for limit_timer; doorbells meanwhile change nothing.
	 */
	struct qlimit rl;
	struct tlimit *limit;
	struct ioeng_op limit_timer;
	struct __kernel_timespec limit_ts;
	struct ioeng *limit_e;     /* the engine the timer runs on */
	bool limit_wait;           /* the timer is armed */
	uint64_t limit_since_ns;   /* when the refusal began */
	/* --fault rules of the queue (its device claims them), or NULL: none, one test */
	struct fault_dev *fault;
	struct fault_irq fault_irq; /* the interrupt rules' held interrupt */
};

/*
 * Sets up a detached queue on notify port; start handles each submission.
 * The caller may add take_work-style callbacks to q->src only through the
 * ones pvq installs.  0 or -errno.
 */
int pvq_init(struct pvq *q, const char *name, uint16_t port, const struct guest_mem *mem,
	     uint32_t sq_esize, uint32_t cq_esize, pvq_start_fn start);
void pvq_destroy(struct pvq *q);

/*
 * Everything about hv's copy of a setup the guest can get wrong (sizes,
 * MSI-X entry (one the table has, or HV_MSIX_NONE), alignment, rings inside RAM, not overlapping), before anything
 * changes: a device checks it before it allocates for the queue.  0 or -HV_E*.
 */
int pvq_check_setup(const struct pvq *q, const struct hv_queue_setup *s);

/*
 * Validates hv's copy of a setup (pvq_check_setup), wires the doorbell into
 * KVM (kvm may be NULL in unit tests); completions then signal MSI-X entry
 * s->msix and starts the rings empty at the guest's indices.
 * The device checks queue number and features first.  0 or -HV_E*.
 */
int pvq_attach(struct pvq *q, const struct hv_queue_setup *s, struct kvm_vm *kvm);

/*
 * Lets go of the queue, attached or broken: waits until every taken
 * submission completed (their completions are dropped), unwires the
 * doorbell; the queue no longer signals its MSI-X entry.  0, or
 * -HV_EBUSY after detach_timeout_ms (a retry waits again).
 */
int pvq_detach(struct pvq *q, struct kvm_vm *kvm);

static inline int pvq_state(const struct pvq *q)
{
	return __atomic_load_n(&q->state, __ATOMIC_ACQUIRE);
}

/* vCPU thread: true for an attached queue, or one whose detach never finished. */
bool pvq_attached(const struct pvq *q);

/* I/O thread: true if [gpa, gpa + len) overlaps either ring of a queue it serves. */
bool pvq_overlaps_rings(const struct pvq *q, uint64_t gpa, uint64_t len);

/* I/O thread: posts a completion (cq_esize bytes) of a submission taken earlier. */
void pvq_complete(struct pvq *q, const void *cpl);

/* I/O thread: takes what the guest published (see the doorbell callbacks). */
void pvq_service(struct pvq *q, struct ioeng *e);

const char *pvq_state_name(const struct pvq *q);

/*
 * Snapshots (snap/snap_dev.c): where hv is in an attached queue's rings,
 * and the ring words it writes in guest memory.  Read with the I/O thread
 * quiesced; put back right after pvq_attach (which started them empty).
 */
struct pvq_indices {
	uint32_t sq_cons, cq_prod, cq_published;
	uint32_t g_sq_cons, g_sq_event, g_cq_prod;
};
void pvq_save_indices(const struct pvq *q, struct pvq_indices *x);
void pvq_restore_indices(struct pvq *q, const struct pvq_indices *x);
/* Restore: one submission counted as taken again (its device starts it anew). */
void pvq_retake(struct pvq *q);

/*
 * Any thread: the queue's next rate limit (all 0: none); the I/O thread
 * takes it over at its next pass, which a doorbell signal asks for now.
 * 0, or -EINVAL for settings beyond a token bucket's maxima.
 */
int pvq_set_limit(struct pvq *q, const struct rate_set *r);

/*
 * A submission's bytes for its cost function: the n lengths at len, stride
 * bytes apart (a request's segment lengths, as the guest wrote them).
 */
static inline uint64_t pvq_sum_lens(const uint32_t *len, size_t stride, uint32_t n)
{
	const char *p = (const char *)len;
	uint64_t bytes = 0;

	for (; n; n--, p += stride)
		bytes += *(const uint32_t *)p;
	return bytes;
}

/* I/O thread: one operation of bytes bytes, paid by a queue without a cost function. */
static inline void pvq_pay(struct pvq *q, uint64_t bytes)
{
	if (q->limit)
		tlimit_take(q->limit, bytes);
}

#endif
