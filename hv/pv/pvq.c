/* hv's end of a guest queue: attach, take, complete, publish, detach (pvq.h). */
#include "pv/pvq.h"
#include "core/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "core/ratelimit.h"
#include "pci/msix.h"
#include "trace/trace.h"

/* The guest broke the ring protocol: say so (rate-limited), stop serving this queue only. */
static void queue_broken(struct pvq *q, const char *why, uint32_t have, uint32_t want)
{
	ratelimit_log(&q->log, "%s: queue broken by the guest: %s (%u, expected at most %u)",
		      q->name, why, have, want);
	__atomic_store_n(&q->state, PVQ_BROKEN, __ATOMIC_RELEASE);
}

/* True while the I/O thread should take submissions from the queue. */
static bool serving(const struct pvq *q)
{
	return pvq_state(q) == PVQ_ACTIVE && !__atomic_load_n(&q->detach_req, __ATOMIC_ACQUIRE);
}

bool pvq_attached(const struct pvq *q)
{
	return q->held;
}

/*
 * Completion entries hv may still promise: unconsumed + in flight < size;
 * no more taken than the device's budget; and room in the engine beyond its
 * reserve, so a request waits in the ring instead of failing for want of an
 * SQE (the engine's completions resume the queue: on_publish).
 */
static bool has_room(struct pvq *q, const struct ioeng *e)
{
	uint32_t cons = __atomic_load_n(&q->cq->cons, __ATOMIC_ACQUIRE);
	uint32_t used = q->cq_prod - cons;
	uint32_t budget = q->max_inflight ? q->max_inflight : q->setup.cq_size;

	if (used > q->setup.cq_size) {
		queue_broken(q, "completion consumer index out of range", used, q->setup.cq_size);
		return false;
	}
	return used + q->inflight < q->setup.cq_size && q->inflight < budget &&
	       ioeng_room(e) > IOENG_RESERVE;
}

void pvq_complete(struct pvq *q, const void *cpl)
{
	q->inflight--;
	if (pvq_state(q) != PVQ_ACTIVE)
		return;
	memcpy(q->cqe + (uint64_t)(q->cq_prod & (q->setup.cq_size - 1)) * q->cq_esize, cpl,
	       q->cq_esize);
	q->cq_prod++;
}

/*
 * Asks for a doorbell for the next entry, then looks again: true if the
 * guest published one meanwhile (it may not have rung for it).
 */
static bool want_doorbell(struct pvq *q)
{
	__atomic_store_n(&q->sq->event, q->sq_cons, __ATOMIC_RELAXED);
	hv_ring_fence();
	return hv_ring_load_acquire(&q->sq->prod) != q->sq_cons;
}

/*
 * A queue that looks at its ring after each completion with enough in flight
 * (quiet_at): it needs no doorbell meanwhile, so the event index stays where
 * it is, behind, and the guest rings nothing.
 */
static bool looks_after_completions(const struct pvq *q)
{
	return q->quiet_at && q->inflight >= q->quiet_at && !q->inflight_slow;
}

/*
 * Where hv decides whether to ask for a doorbell: true if it leaves the
 * event index behind instead, which it records in q->quiet for on_publish.
 */
static bool stays_quiet(struct pvq *q)
{
	q->quiet = looks_after_completions(q);
	return q->quiet;
}

static void limit_timer_done(struct ioeng_op *op, int res);

/*
 * The queue's limit allows a submission now; if not, one timer brings the
 * I/O thread back when it will, and the refusal is counted.
 */
static bool admit(struct pvq *q, struct ioeng *e, uint64_t *clock)
{
	uint64_t now, wait;

	if (q->limit_wait)
		return false;
	/* One clock read a pass: where the clock is not the vDSO's, each read is a system call. */
	if (!*clock)
		*clock = mono_ns();
	now = *clock;
	wait = tlimit_wait_ns(q->limit, now);
	if (!wait)
		return true;
	/*
	 * At least PVQ_LIMIT_MIN_WAIT_NS: a timer per request at a few thousand
	 * a second would spend the I/O thread's CPU on wake-ups.  The bucket
	 * refills meanwhile, so the long-run rate stays the setting's
	 * (as long as the burst holds that long's worth: the default, 1 s, does).
	 */
	if (wait < PVQ_LIMIT_MIN_WAIT_NS)
		wait = PVQ_LIMIT_MIN_WAIT_NS;
	q->limit_ts = (struct __kernel_timespec){ .tv_sec = (long long)(wait / 1000000000ull),
						  .tv_nsec = (long long)(wait % 1000000000ull) };
	q->limit_timer.cb = limit_timer_done;
	q->limit_e = e;
	if (ioeng_timeout(e, &q->limit_ts, &q->limit_timer))
		return true; /* no timer to come back with: never leave the queue stuck */
	q->limit_wait = true;
	q->limit_since_ns = now;
	__atomic_store_n(&q->rl.lim.throttled, q->rl.lim.throttled + 1, __ATOMIC_RELAXED);
	return false;
}

/*
 * Takes every new submission there is room for; with doorbell, then asks for
 * a doorbell for the next one (and re-checks).  Without (the I/O thread is
 * polling for work) the event index stays behind, so the guest rings no
 * doorbell meanwhile.
 */
static void drain(struct pvq *q, struct ioeng *e, bool doorbell)
{
	uint64_t entry[PVQ_MAX_ENTRY / 8];
	uint32_t mask = q->setup.sq_size - 1, taken = 0;
	uint64_t clock = 0; /* read once, by the first admission a limit asks for */

	for (;;) {
		uint32_t prod = hv_ring_load_acquire(&q->sq->prod);

		if ((uint32_t)(prod - q->sq_cons) > q->setup.sq_size) {
			queue_broken(q, "submission producer index jumped", prod - q->sq_cons,
				     q->setup.sq_size);
			return;
		}
		while (q->sq_cons != prod) {
			if (!has_room(q, e)) {
				/*
				 * Out of completion room or budget: completions in
				 * flight resume it (on_publish), so the event index
				 * stays behind and the guest's refills ring nothing;
				 * failing those, the next doorbell does: event = prod
				 * makes it ring.
				 */
				q->stalled = pvq_state(q) == PVQ_ACTIVE;
				hv_ring_store_release(&q->sq->cons, q->sq_cons);
				if (!q->inflight)
					__atomic_store_n(&q->sq->event, prod, __ATOMIC_RELAXED);
				return;
			}
			if (taken++ == q->setup.sq_size) {
				/*
				 * A ring's worth in one pass: a guest that refills
				 * as fast as hv takes (bad requests complete at
				 * once) must not hold the I/O thread from every
				 * other queue.  A signal to our own doorbell brings
				 * the thread back once the others had their turn.
				 */
				hv_ring_store_release(&q->sq->cons, q->sq_cons);
				if (eventfd_write(q->src.fd, 1) == 0)
					q->yields++;
				return;
			}
			if (q->limit && !admit(q, e, &clock)) {
				/*
				 * Over the limit: the entries wait in the ring.  The
				 * event index stays behind so the guest rings no
				 * doorbell; the timer resumes the queue.
				 */
				hv_ring_store_release(&q->sq->cons, q->sq_cons);
				return;
			}
			/* Copy, then validate: the guest may rewrite the slot at will. */
			hv_ring_copy_entry(entry, q->sqe + (uint64_t)(q->sq_cons & mask) * q->sq_esize,
					   q->sq_esize);
			if (q->limit && q->cost)
				tlimit_take(q->limit, q->cost(entry));
			q->sq_cons++;
			q->inflight++;
			q->taken++;
			q->start(q, e, entry);
		}
		hv_ring_store_release(&q->sq->cons, q->sq_cons);
		if (!doorbell || stays_quiet(q) || !want_doorbell(q))
			return;
	}
}

/* A polling I/O thread (--io-poll) asks for doorbells only before it sleeps. */
static bool asks_doorbells(const struct pvq *q)
{
	return q->src.it->io_poll_ns == 0;
}

/*
 * A queue whose next entry a doorbell would bring: served, and neither
 * stalled (completions resume it) nor held back by its limit (the timer does).
 */
static bool doorbell_brings_work(const struct pvq *q)
{
	return serving(q) && !q->stalled && !q->limit_wait;
}

/*
 * Before q's interrupt: t's event index goes behind its consumer, so the
 * guest rings nothing for what it publishes until t's look (then_look); false
 * (nothing changed) where t did not ask for its doorbell anyway (quiet: its
 * own completions bring hv back, on_publish).
 */
static bool leave_behind(struct pvq *t)
{
	if (!t || !doorbell_brings_work(t) || t->quiet || !asks_doorbells(t))
		return false;
	__atomic_store_n(&t->sq->event, t->sq_cons - 1, __ATOMIC_RELAXED);
	return true;
}

/* Publishes new completions; interrupts only if the guest's event index asks. */
static void publish(struct pvq *q, struct ioeng *e)
{
	bool look = false;
	uint32_t event;

	if (q->cq_prod == q->cq_published)
		return;
	hv_ring_store_release(&q->cq->prod, q->cq_prod);
	trace_ev(TR_PUBLISH, q->name, 0, q->cq_prod - q->cq_published);
	hv_ring_fence();
	event = __atomic_load_n(&q->cq->event, __ATOMIC_RELAXED);
	if (q->setup.msix != HV_MSIX_NONE &&
	    hv_ring_need_event(event, q->cq_prod, q->cq_published)) {
		/* Sent, or pending until the guest unmasks the entry: either way one interrupt. */
		/* A fault rule may lose or hold it (fault_irq); the trace stamps it
		 * before the signal, which may run the vCPU at once. */
		q->fault_irq.e = e; /* a held interrupt's timer (--fault irq-late) runs here */
		if (!q->fault || fault_irq(q->fault, &q->fault_irq)) {
			trace_ev(TR_IRQ, q->name, 0, 0);
			look = !q->looking && leave_behind(q->then_look);
			if (msix_signal(q->msix, q->setup.msix) == 0)
				q->irqs++;
		}
	} else {
		q->irqs_suppressed++;
	}
	q->cq_published = q->cq_prod;
	/*
	 * After the above: the look may come back here (a NIC's TX serves its
	 * RX first), and a guest refilling as fast must not make that a loop.
	 * The guest ran meanwhile and may have asked for a detach of either
	 * queue, which the look (pvq_service) may complete: callers look at the
	 * state again before they use a queue after publish().
	 */
	if (look) {
		q->looking = true;
		pvq_service(q->then_look, e);
		q->looking = false;
	}
}

/* I/O thread: a new setting from pvq_set_limit. */
static void take_limit(struct pvq *q, struct ioeng *e)
{
	q->limit = qlimit_apply(&q->rl, mono_ns());
	/* A refusal under the old setting ends now: the timer's callback resumes the queue. */
	if (q->limit_wait)
		ioeng_cancel(e, &q->limit_timer);
}

static void service(struct pvq *q, struct ioeng *e, bool doorbell)
{
	if (qlimit_pending(&q->rl))
		take_limit(q, e);
	if (q->pre) {
		q->pre(q, e);
		if (pvq_state(q) != PVQ_ACTIVE)
			return; /* detached there (a look, publish()) */
	}
	q->stalled = false;
	drain(q, e, doorbell);
	if (pvq_state(q) != PVQ_ACTIVE)
		return;
	if (q->idle && q->inflight == 0)
		q->idle(q, e);
	publish(q, e);
}

/*
 * I/O thread: a detach was asked for.  Once nothing is in flight the queue
 * is the vCPU thread's again; until then completions keep draining.
 */
static bool detaching(struct pvq *q, struct ioeng *e)
{
	if (!__atomic_load_n(&q->detach_req, __ATOMIC_ACQUIRE))
		return false;
	if (q->quiesce && !q->quiescing) {
		q->quiescing = true;
		q->quiesce(q, e);
	}
	if (q->inflight == 0) {
		/*
		 * This thread owns the request's 1 -> 0 edge, before the ack:
		 * it can never see a request it already answered, so it can
		 * never mark a queue attached after this one DETACHED, nor
		 * leave an ack a later detach would take for its own.
		 */
		__atomic_store_n(&q->state, PVQ_DETACHED, __ATOMIC_RELEASE);
		__atomic_store_n(&q->detach_req, 0, __ATOMIC_RELEASE);
		if (eventfd_write(q->detach_ack, 1) < 0)
			ratelimit_log(&q->log, "%s: cannot acknowledge detach", q->name);
	}
	return true;
}

void pvq_service(struct pvq *q, struct ioeng *e)
{
	if (!detaching(q, e) && pvq_state(q) == PVQ_ACTIVE)
		service(q, e, asks_doorbells(q));
}

static void on_kick(struct io_source *s, struct ioeng *e)
{
	/* A polling I/O thread (--io-poll) asks for doorbells only before it sleeps. */
	trace_ev(TR_DOORBELL, container_of(s, struct pvq, src)->name, 0, 0);
	pvq_service(container_of(s, struct pvq, src), e);
}

/*
 * Polling for work (--io-poll): new submissions taken without a doorbell; true only
 * if some were taken.  Entries a stalled queue cannot take (no completion
 * room) are no work: counting them would spin a CPU for ever.
 */
static bool on_take_work(struct io_source *s, struct ioeng *e)
{
	struct pvq *q = container_of(s, struct pvq, src);
	uint32_t before;

	if (!serving(q) || hv_ring_load_acquire(&q->sq->prod) == q->sq_cons)
		return false;
	before = q->sq_cons;
	service(q, e, false);
	return q->sq_cons != before;
}

/*
 * Before the I/O thread sleeps: ask for a doorbell; true if work raced in.
 * A stalled queue keeps the event index drain() set (completions or the
 * next doorbell resume it): its waiting entries are not work either.
 */
static bool on_want_doorbell(struct io_source *s)
{
	struct pvq *q = container_of(s, struct pvq, src);

	return doorbell_brings_work(q) && !stays_quiet(q) && want_doorbell(q);
}

/* The wait a refusal asked for is over (or was cancelled for a new setting). */
static void limit_timer_done(struct ioeng_op *op, int res)
{
	struct pvq *q = container_of(op, struct pvq, limit_timer);
	uint64_t spent = mono_ns() - q->limit_since_ns;

	(void)res;
	q->limit_wait = false;
	__atomic_store_n(&q->rl.lim.throttled_ns, q->rl.lim.throttled_ns + spent,
			 __ATOMIC_RELAXED);
	pvq_service(q, q->limit_e);
}

int pvq_set_limit(struct pvq *q, const struct rate_set *r)
{
	int rc = qlimit_set(&q->rl, r);

	/* The I/O thread looks at the setting when it serves the queue: now. */
	if (rc == 0 && eventfd_write(q->src.fd, 1) < 0)
		rc = -errno;
	return rc;
}

static void on_publish(struct io_source *s, struct ioeng *e)
{
	struct pvq *q = container_of(s, struct pvq, src);
	bool completed;

	if (detaching(q, e) || pvq_state(q) != PVQ_ACTIVE)
		return;
	completed = q->cq_prod != q->cq_published;
	publish(q, e);
	if (pvq_state(q) != PVQ_ACTIVE)
		return; /* detached in publish()'s look */
	/*
	 * Quiet, the guest rang for nothing it published meanwhile; or quiet
	 * from now on (a slow request completed with enough still in flight).
	 * Otherwise new requests ring: no pass here at depth 1.
	 */
	if (q->stalled || (completed && (q->quiet || looks_after_completions(q))))
		service(q, e, asks_doorbells(q));
	else if (q->idle && q->inflight == 0)
		q->idle(q, e); /* the last one completed: the ring may be empty */
}

/* An interrupt a fault rule held back (late, or a duplicate's second), if still wanted. */
static void fault_raise(struct fault_irq *fi)
{
	struct pvq *q = container_of(fi, struct pvq, fault_irq);

	if (pvq_state(q) == PVQ_ACTIVE && q->setup.msix != HV_MSIX_NONE &&
	    msix_signal(q->msix, q->setup.msix) == 0)
		q->irqs++;
}

int pvq_init(struct pvq *q, const char *name, uint16_t port, const struct guest_mem *mem,
	     uint32_t sq_esize, uint32_t cq_esize, pvq_start_fn start)
{
	int rc;

	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->mem = mem;
	q->sq_esize = sq_esize;
	q->cq_esize = cq_esize;
	q->start = start;
	q->port = port;
	q->detach_timeout_ms = PVQ_DETACH_TIMEOUT_MS;
	q->fault_irq.raise = fault_raise;
	rc = ratelimit_init(&q->log, &log_stderr, RATELIMIT_BURST, RATELIMIT_INTERVAL_MS);
	if (rc)
		return rc;
	rc = qlimit_init(&q->rl);
	if (rc) {
		ratelimit_destroy(&q->log);
		return rc;
	}
	q->detach_ack = eventfd(0, EFD_CLOEXEC);
	if (q->detach_ack < 0) {
		rc = -errno;
		qlimit_destroy(&q->rl);
		ratelimit_destroy(&q->log);
		return rc;
	}
	rc = io_source_open(&q->src, NULL);
	if (rc) {
		close(q->detach_ack);
		q->detach_ack = -1;
		qlimit_destroy(&q->rl);
		ratelimit_destroy(&q->log);
		return rc;
	}
	q->src.kick = on_kick;
	q->src.publish = on_publish;
	q->src.take_work = on_take_work;
	q->src.want_doorbell = on_want_doorbell;
	return 0;
}

void pvq_destroy(struct pvq *q)
{
	io_source_close(&q->src, NULL);
	if (q->detach_ack >= 0)
		close(q->detach_ack);
	q->detach_ack = -1;
	ratelimit_flush(&q->log, q->name);
	ratelimit_destroy(&q->log);
	qlimit_destroy(&q->rl);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool pvq_overlaps_rings(const struct pvq *q, uint64_t gpa, uint64_t len)
{
	const struct hv_queue_setup *s = &q->setup;

	/*
	 * The I/O thread's view: the setup is stable from the attach that
	 * published state until this thread's own ack of the detach.
	 */
	return pvq_state(q) != PVQ_DETACHED &&
	       (ranges_overlap(gpa, len, s->sq_gpa, hv_ring_bytes(s->sq_size, q->sq_esize)) ||
		ranges_overlap(gpa, len, s->cq_gpa, hv_ring_bytes(s->cq_size, q->cq_esize)));
}

int pvq_check_setup(const struct pvq *q, const struct hv_queue_setup *s)
{
	uint64_t sq_len, cq_len;

	if (s->reserved || !hv_ring_size_ok(s->sq_size) || !hv_ring_size_ok(s->cq_size) ||
	    s->cq_size < s->sq_size)
		return -HV_EINVAL;
	/* Several queues may share an entry; it must be one the function has. */
	if (s->msix != HV_MSIX_NONE && (!q->msix || s->msix >= q->msix->n))
		return -HV_EINVAL;
	if (s->sq_gpa % HV_RING_ALIGN || s->cq_gpa % HV_RING_ALIGN)
		return -HV_EINVAL;
	sq_len = hv_ring_bytes(s->sq_size, q->sq_esize);
	cq_len = hv_ring_bytes(s->cq_size, q->cq_esize);
	if (!gm_range(q->mem, s->sq_gpa, sq_len) || !gm_range(q->mem, s->cq_gpa, cq_len))
		return -HV_EFAULT;
	if (ranges_overlap(s->sq_gpa, sq_len, s->cq_gpa, cq_len))
		return -HV_EINVAL;
	return 0;
}

/*
 * The doorbell as a KVM ioeventfd.  Completions need no wiring of their own:
 * the MSI-X entry's route and irqfd exist from machine setup (msix_wire).
 */
static int wire(struct pvq *q, struct kvm_vm *kvm)
{
	int rc = kvm_ioeventfd_pio(kvm, q->port, 4, q->src.fd, true);

	if (rc)
		ratelimit_log(&q->log, "%s: cannot wire the queue into KVM: %s", q->name,
			      strerror(-rc));
	return rc;
}

int pvq_attach(struct pvq *q, const struct hv_queue_setup *s, struct kvm_vm *kvm)
{
	int rc;

	/* A detach that timed out is still pending: it must be retried, not skipped. */
	if (pvq_attached(q))
		return -HV_EBUSY;
	rc = pvq_check_setup(q, s);
	if (rc)
		return rc;
	if (kvm && wire(q, kvm))
		return -HV_EIO;
	q->setup = *s;
	q->sq = gm_range(q->mem, s->sq_gpa, sizeof(*q->sq));
	q->cq = gm_range(q->mem, s->cq_gpa, sizeof(*q->cq));
	q->sqe = (uint8_t *)q->sq + HV_RING_ENTRIES_OFF;
	q->cqe = (uint8_t *)q->cq + HV_RING_ENTRIES_OFF;
	/* The rings start empty at the indices the guest chose. */
	q->sq_cons = __atomic_load_n(&q->sq->prod, __ATOMIC_RELAXED);
	q->cq_prod = q->cq_published = __atomic_load_n(&q->cq->cons, __ATOMIC_RELAXED);
	q->sq->cons = q->sq->event = q->sq_cons;
	q->cq->prod = q->cq_prod;
	q->inflight = q->inflight_slow = 0;
	q->stalled = q->quiescing = q->quiet = false;
	q->held = true;
	/* The I/O thread sees the queue only from here on. */
	__atomic_store_n(&q->state, PVQ_ACTIVE, __ATOMIC_RELEASE);
	return 0;
}

int pvq_detach(struct pvq *q, struct kvm_vm *kvm)
{
	struct pollfd p = { .fd = q->detach_ack, .events = POLLIN };
	uint64_t v;

	if (!q->held)
		return 0;
	/*
	 * One request, one ack: a retry after a timeout waits for the ack of
	 * the request already made (which the I/O thread may have sent since).
	 */
	if (!q->detach_pending) {
		/* No ack is owed before a request: one found here must not answer this one. */
		if (poll(&p, 1, 0) == 1)
			eventfd_read(q->detach_ack, &v);
		q->detach_pending = true;
		__atomic_store_n(&q->detach_req, 1, __ATOMIC_RELEASE);
	}
	if (eventfd_write(q->src.fd, 1) < 0 || poll(&p, 1, q->detach_timeout_ms) != 1 ||
	    eventfd_read(q->detach_ack, &v) < 0) {
		ratelimit_log(&q->log, "%s: detach: I/O still in flight after %d ms", q->name,
			      q->detach_timeout_ms);
		return -HV_EBUSY; /* still pending: a retry waits again */
	}
	q->detach_pending = false;
	if (kvm)
		kvm_ioeventfd_pio(kvm, q->port, 4, q->src.fd, false);
	q->sq = q->cq = NULL;
	q->sqe = q->cqe = NULL;
	/* The I/O thread has ignored the queue since its ack, until the next attach. */
	q->held = false;
	return 0;
}

const char *pvq_state_name(const struct pvq *q)
{
	static const char *const names[] = { "detached", "active", "broken" };

	return names[pvq_state(q)];
}

void pvq_save_indices(const struct pvq *q, struct pvq_indices *x)
{
	x->sq_cons = q->sq_cons;
	x->cq_prod = q->cq_prod;
	x->cq_published = q->cq_published;
	x->g_sq_cons = __atomic_load_n(&q->sq->cons, __ATOMIC_RELAXED);
	x->g_sq_event = __atomic_load_n(&q->sq->event, __ATOMIC_RELAXED);
	x->g_cq_prod = __atomic_load_n(&q->cq->prod, __ATOMIC_RELAXED);
}

void pvq_restore_indices(struct pvq *q, const struct pvq_indices *x)
{
	q->sq_cons = x->sq_cons;
	q->cq_prod = x->cq_prod;
	q->cq_published = x->cq_published;
	q->sq->cons = x->g_sq_cons;
	q->sq->event = x->g_sq_event;
	q->cq->prod = x->g_cq_prod;
	/* The event index may have been left behind: look at the ring after the first completions. */
	q->quiet = true;
}

void pvq_retake(struct pvq *q)
{
	q->inflight++;
	q->taken++;
}
