/*
 * hv's queue machinery (pvq) on its own, with the test as the guest and as
 * the device: a guest that refills its ring as fast as hv takes from it,
 * and one that breaks its ring over and over to flood hv's log.  The test
 * calls what the I/O thread would, so it chooses every interleaving.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "pci/msix.h"
#include "pv/pvq.h"
#include "suites.h"
#include "ut.h"
#include "core/util.h"

#define MEM (4ull << 20)
#define SQ_GPA 0x100000ull
#define CQ_GPA 0x200000ull
#define SIZE 8

struct fx {
	struct guest_mem mem;
	struct iothread it; /* never started: only what pvq reads of it */
	struct ioeng eng;   /* no ring: only its room */
	struct pvq q;
	struct log_sink sink; /* the test's log file, when it gives one */
	unsigned taken, refills, refill_max;
};

/*
 * The device's start, and a hostile guest: each entry completes at once (as
 * a bad request does), and the guest marks even unpublished completions
 * consumed and puts a new entry in the ring, refill_max times.
 */
static void refill_start(struct pvq *q, struct ioeng *e, const void *entry)
{
	struct fx *f = container_of(q, struct fx, q);
	const uint8_t cpl[16] = { 0 };

	(void)e, (void)entry;
	f->taken++;
	pvq_complete(q, cpl);
	q->cq->cons = q->cq_prod;
	if (f->refills < f->refill_max) {
		f->refills++;
		q->sq->prod++;
	}
}

static struct hv_ring_ctl *ctl(struct fx *f, uint64_t gpa)
{
	return (struct hv_ring_ctl *)(f->mem.host + gpa);
}

static struct fx *fx_init(FILE *log)
{
	const struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA, .sq_size = SIZE,
					  .cq_size = SIZE, .msix = HV_MSIX_NONE };
	struct fx *f = calloc(1, sizeof(*f));

	CU_ASSERT_FATAL(f && gm_init(&f->mem, MEM) == 0);
	CU_ASSERT_FATAL(iothread_init(&f->it) == 0);
	f->eng.cap = 512;
	CU_ASSERT_FATAL(pvq_init(&f->q, "pvqtest", 0x600, &f->mem, 64, 16, refill_start) == 0);
	CU_ASSERT_FATAL(iothread_add(&f->it, &f->q.src) == 0);
	if (log) {
		CU_ASSERT_FATAL(log_sink_init(&f->sink, fileno(log)) == 0);
		f->q.log.out = &f->sink;
	}
	CU_ASSERT_FATAL(pvq_attach(&f->q, &s, NULL) == 0);
	return f;
}

static void fx_destroy(struct fx *f)
{
	pvq_destroy(&f->q);
	if (f->q.log.out == &f->sink)
		log_sink_destroy(&f->sink);
	iothread_destroy(&f->it);
	gm_destroy(&f->mem);
	free(f);
}

/* True if the queue's doorbell eventfd was signalled (and clears it). */
static bool rang(struct fx *f)
{
	struct pollfd p = { .fd = f->q.src.fd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, 0) == 1 && eventfd_read(f->q.src.fd, &v) == 0 && v > 0;
}

/*
 * One pass over the ring takes at most a ring's worth, however fast the
 * guest refills it, then comes back through its own doorbell: other queues
 * get their turn in between.
 */
static void test_drain_bounded(void)
{
	struct fx *f = fx_init(NULL);

	f->refill_max = 1000;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, SIZE); /* a full ring */
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, SIZE);
	CU_ASSERT_EQUAL(f->q.yields, 1);
	CU_ASSERT_TRUE(rang(f));
	CU_ASSERT_EQUAL(pvq_state(&f->q), PVQ_ACTIVE);
	/* Its completions were published: the guest sees them. */
	CU_ASSERT_EQUAL(ctl(f, CQ_GPA)->prod, SIZE);
	pvq_service(&f->q, &f->eng); /* the next turn: another ring's worth */
	CU_ASSERT_EQUAL(f->taken, 2 * SIZE);
	/* Once the guest stops refilling, a pass ends without yielding. */
	f->refill_max = f->refills;
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2 * SIZE + SIZE);
	CU_ASSERT_EQUAL(f->q.yields, 2);
	/* Fewer than a ring's worth in one pass: no yield. */
	f->refill_max = f->refills + SIZE - 2;
	while (rang(f))
		;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 4 * SIZE - 1);
	CU_ASSERT_EQUAL(f->q.yields, 2);
	CU_ASSERT_FALSE(rang(f));
	fx_destroy(f);
}

/* ---- doorbells the guest need not ring ------------------------------------------ */

/* The device's start for requests that stay in flight (held RX buffers). */
static void hold_start(struct pvq *q, struct ioeng *e, const void *entry)
{
	(void)e, (void)entry;
	container_of(q, struct fx, q)->taken++;
}

/* The guest publishes n entries: true if its event-index test says ring. */
static bool guest_publish(struct fx *f, uint32_t n)
{
	struct hv_ring_ctl *sq = ctl(f, SQ_GPA);
	uint32_t old = sq->prod;

	hv_ring_store_release(&sq->prod, old + n);
	hv_ring_fence();
	return hv_ring_need_event(__atomic_load_n(&sq->event, __ATOMIC_RELAXED), old + n, old);
}

/* One held request completes and the guest consumes it; then the I/O thread's pass. */
static void complete_and_pass(struct fx *f, unsigned n)
{
	const uint8_t cpl[16] = { 0 };

	while (n--)
		pvq_complete(&f->q, cpl);
	f->q.src.publish(&f->q.src, &f->eng);
	ctl(f, CQ_GPA)->cons = f->q.cq_prod;
}

/*
 * quiet_at 1 (a NIC's RX queue): while hv holds any entry it asks
 * for no doorbell and takes the guest's refills after each completion;
 * once it holds none, the next refill rings.  Without it the same guest
 * rings for every refill.
 */
static void test_quiet_when_held(void)
{
	struct fx *f = fx_init(NULL);

	f->q.start = hold_start;
	f->q.quiet_at = 1;
	CU_ASSERT_TRUE(guest_publish(f, 2)); /* nothing held: the first buffers ring */
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2);
	CU_ASSERT_FALSE(guest_publish(f, 1)); /* held: a refill rings nothing */
	complete_and_pass(f, 0);              /* a pass without a completion takes nothing */
	CU_ASSERT_EQUAL(f->taken, 2);
	complete_and_pass(f, 1);              /* after a completion it is taken */
	CU_ASSERT_EQUAL(f->taken, 3);
	CU_ASSERT_EQUAL(ctl(f, SQ_GPA)->cons, 3);
	CU_ASSERT_FALSE(guest_publish(f, 1));
	complete_and_pass(f, 2);              /* one still held after this pass */
	CU_ASSERT_EQUAL(f->taken, 4);
	CU_ASSERT_FALSE(rang(f));
	complete_and_pass(f, 1);              /* none held: the doorbell is asked for again */
	CU_ASSERT_EQUAL(f->q.inflight, 0);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 5);

	/* quiet_at 0: every submission after a drain rings. */
	f->q.quiet_at = 0;
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_TRUE(guest_publish(f, 1)); /* with two in flight */
	CU_ASSERT_EQUAL(f->taken, 6);
	fx_destroy(f);
}

/*
 * quiet_at 2 (a disk): with one request in flight the next rings, with two
 * it rings nothing and is taken after the next completion; while a slow one
 * (a flush) is in flight every submission rings again, so none waits for
 * it.  A guest that trusted the quiet and never rang still gets served:
 * without the pass after each completion this test's requests stay in the
 * ring.
 */
static void test_quiet_at_depth(void)
{
	struct fx *f = fx_init(NULL);

	f->q.start = hold_start;
	f->q.quiet_at = 2;
	CU_ASSERT_TRUE(guest_publish(f, 1));  /* nothing in flight */
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_TRUE(guest_publish(f, 1));  /* one in flight: rings */
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2);
	CU_ASSERT_FALSE(guest_publish(f, 2)); /* two in flight: quiet */
	complete_and_pass(f, 1);              /* the completion's pass takes both */
	CU_ASSERT_EQUAL(f->taken, 4);
	CU_ASSERT_EQUAL(f->q.inflight, 3);
	CU_ASSERT_FALSE(guest_publish(f, 1));
	CU_ASSERT_FALSE(rang(f));
	/* A slow request in flight: the pass that takes the waiting one re-arms. */
	f->q.inflight_slow = 1;
	complete_and_pass(f, 1);
	CU_ASSERT_EQUAL(f->taken, 5);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 6);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	/* It completes: quiet again once the pass after it has run. */
	f->q.inflight_slow = 0;
	complete_and_pass(f, 1);
	CU_ASSERT_EQUAL(f->taken, 7);
	CU_ASSERT_FALSE(guest_publish(f, 1));
	/* Down to one in flight: that pass asks for the next doorbell. */
	complete_and_pass(f, f->q.inflight - 1);
	CU_ASSERT_EQUAL(f->taken, 8);
	CU_ASSERT_EQUAL(f->q.inflight, 2);
	complete_and_pass(f, 1);
	CU_ASSERT_EQUAL(f->q.inflight, 1);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	/*
	 * Below the quiet: a completion makes no pass over the ring (the new
	 * request rang; its doorbell takes it), so depth 1 pays nothing for
	 * the rule.
	 */
	complete_and_pass(f, 1);
	CU_ASSERT_EQUAL(f->taken, 8);
	pvq_service(&f->q, &f->eng); /* the doorbell */
	CU_ASSERT_EQUAL(f->taken, 9);
	fx_destroy(f);
}

/*
 * A queue out of budget with requests in flight: their completions resume
 * it, so its event index stays behind and the guest's further submissions
 * ring nothing.  With nothing in flight the next submission rings.
 */
static void test_stalled_in_flight(void)
{
	struct fx *f = fx_init(NULL);

	f->q.start = hold_start;
	f->q.max_inflight = 2;
	CU_ASSERT_TRUE(guest_publish(f, 3));
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2);
	CU_ASSERT_TRUE(f->q.stalled);
	CU_ASSERT_FALSE(guest_publish(f, 1)); /* two in flight: no doorbell needed */
	complete_and_pass(f, 1);              /* resumed by the completion */
	CU_ASSERT_EQUAL(f->taken, 3);
	complete_and_pass(f, 2);              /* takes the last: the ring is empty, armed */
	CU_ASSERT_EQUAL(f->taken, 4);
	CU_ASSERT_FALSE(f->q.stalled);
	CU_ASSERT_TRUE(guest_publish(f, 1));
	fx_destroy(f);
}

/* True if eventfd fd was signalled (and clears it). */
static bool signalled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, 0) == 1 && eventfd_read(fd, &v) == 0 && v > 0;
}

/* Lets go of the queue as the vCPU and I/O threads would, one after the other. */
static void detach_now(struct fx *f)
{
	f->q.detach_timeout_ms = 0;
	if (pvq_detach(&f->q, NULL) == -HV_EBUSY) {
		pvq_service(&f->q, &f->eng);
		CU_ASSERT_EQUAL(pvq_detach(&f->q, NULL), 0);
	}
}

/*
 * A queue names an MSI-X entry of its device's table: one the table has
 * (or none); its completions signal that entry, held pending while the
 * entry is masked and sent when the guest unmasks it; two queues may share.
 */
static void test_msix_entry(void)
{
	struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA, .sq_size = SIZE,
				    .cq_size = SIZE, .msix = 3 };
	struct fx *f = fx_init(NULL);
	struct msix m;
	uint64_t zero = 0;

	detach_now(f);
	CU_ASSERT_EQUAL(pvq_attach(&f->q, &s, NULL), -HV_EINVAL); /* no table at all */
	CU_ASSERT_EQUAL_FATAL(msix_init(&m, 3), 0);
	f->q.msix = &m;
	CU_ASSERT_EQUAL(pvq_attach(&f->q, &s, NULL), -HV_EINVAL); /* entries 0..2 */
	s.msix = HV_MSIX_NONE - 1;
	CU_ASSERT_EQUAL(pvq_attach(&f->q, &s, NULL), -HV_EINVAL);
	s.msix = 2;
	CU_ASSERT_EQUAL_FATAL(pvq_attach(&f->q, &s, NULL), 0);
	/* One completion, the guest's event index asking for it: MSI-X is off, so pending. */
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 1);
	CU_ASSERT_EQUAL(f->q.irqs, 1);
	CU_ASSERT_TRUE(msix_pending(&m, 2));
	CU_ASSERT_FALSE(signalled(m.fd[2]));
	msix_control(&m, true, false);
	CU_ASSERT_TRUE(msix_pending(&m, 2)); /* the entry itself is still masked */
	msix_bar_io(&m, 2 * MSIX_ENTRY_BYTES + 12, true, &zero, 4);
	CU_ASSERT_FALSE(msix_pending(&m, 2));
	CU_ASSERT_TRUE(signalled(m.fd[2]));
	CU_ASSERT_FALSE(signalled(m.fd[0]) || signalled(m.fd[1]));
	/* Unmasked: the next completion the guest asks for is sent at once. */
	ctl(f, CQ_GPA)->event = ctl(f, CQ_GPA)->prod;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->q.irqs, 2);
	CU_ASSERT_TRUE(signalled(m.fd[2]));
	CU_ASSERT_EQUAL(m.sent, 2);
	detach_now(f);
	msix_destroy(&m);
	fx_destroy(f);
}

/* f's queue attached again on entry 0 of m (a one-entry table), enabled and unmasked. */
static void attach_msix(struct fx *f, struct msix *m)
{
	struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA, .sq_size = SIZE,
				    .cq_size = SIZE, .msix = 0 };
	uint64_t zero = 0;

	CU_ASSERT_EQUAL_FATAL(msix_init(m, 1), 0);
	detach_now(f);
	rang(f); /* the detach's own signal */
	f->q.msix = m;
	CU_ASSERT_EQUAL_FATAL(pvq_attach(&f->q, &s, NULL), 0);
	msix_control(m, true, false);
	msix_bar_io(m, 12, true, &zero, 4); /* entry 0 unmasked: interrupts are sent */
}

/*
 * A queue's interrupt brings a look at the queue it names in then_look (a
 * NIC's TX after its RX): what the guest published there meanwhile is taken
 * without a doorbell, and the look ends asking for one again.  An interrupt
 * the guest's event index suppresses brings no look.
 */
static void test_then_look(void)
{
	struct fx *f = fx_init(NULL), *t = fx_init(NULL);
	struct msix m;

	attach_msix(f, &m);
	f->q.then_look = &t->q;
	pvq_service(&t->q, &t->eng); /* idle: it asks for its doorbell */
	CU_ASSERT_EQUAL(ctl(t, SQ_GPA)->event, t->q.sq_cons);
	/* The guest's two frames, published while the interrupt ran (no doorbell). */
	ctl(t, SQ_GPA)->prod += 2;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->q.irqs, 1);
	CU_ASSERT_EQUAL(t->taken, 2);
	CU_ASSERT_FALSE(rang(t));
	CU_ASSERT_EQUAL(ctl(t, SQ_GPA)->event, t->q.sq_cons); /* asks again */
	CU_ASSERT_FALSE(f->q.looking);
	/* The guest asks for no interrupt now: no look either. */
	ctl(f, CQ_GPA)->event = ctl(f, CQ_GPA)->prod + 100;
	ctl(t, SQ_GPA)->prod += 1;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->q.irqs, 1);
	CU_ASSERT_EQUAL(f->q.irqs_suppressed, 1);
	CU_ASSERT_EQUAL(t->taken, 2);
	detach_now(f);
	msix_destroy(&m);
	fx_destroy(t);
	fx_destroy(f);
}

/* The guest's next request, published once (before the interrupt: see below). */
static void publish_next(struct pvq *q, struct ioeng *e)
{
	struct fx *f = container_of(q, struct fx, q);

	(void)e;
	if (f->refills++ == 0)
		hv_ring_store_release(&q->sq->prod, q->sq->prod + 1);
}

/*
 * A disk's own ring (then_look = itself): the request the guest publishes
 * around a completion's interrupt, without ringing, is taken by the pass
 * after the interrupt.  (The test publishes it just before: a real guest
 * would then have rung, but the pass is what is tested.)
 */
static void test_then_look_self(void)
{
	struct fx *f = fx_init(NULL);
	struct msix m;

	attach_msix(f, &m);
	f->q.then_look = &f->q;
	f->q.quiet_at = 2;
	f->q.idle = publish_next;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2);
	/* The first completion's interrupt; the second's the guest's event index did not ask for. */
	CU_ASSERT_EQUAL(f->q.irqs, 1);
	CU_ASSERT_FALSE(rang(f));
	CU_ASSERT_EQUAL(ctl(f, SQ_GPA)->event, f->q.sq_cons); /* asks again */
	CU_ASSERT_FALSE(f->q.looking);
	f->q.idle = NULL;
	detach_now(f);
	msix_destroy(&m);
	fx_destroy(f);
}

/* The guest's detach of the_detached's queue, as the vCPU thread runs it during the look. */
static struct fx *the_detached;

static void detach_in_look(struct pvq *t, struct ioeng *e)
{
	struct pvq *q = &the_detached->q;

	(void)t, (void)e;
	q->detach_timeout_ms = 0;
	CU_ASSERT_EQUAL(pvq_detach(q, NULL), -HV_EBUSY); /* asked; the I/O thread is busy */
	pvq_service(q, &the_detached->eng);              /* what a NIC's TX pass does first */
	CU_ASSERT_EQUAL(pvq_detach(q, NULL), 0);          /* acked: the rings are gone */
	CU_ASSERT_PTR_NULL(q->sq);
}

/*
 * The guest runs while the interrupt is sent, and may detach a queue then;
 * the look may complete that detach.  Nothing after it touches the queue's
 * rings: a stalled queue's completion pass (on_publish) would read them.
 */
static void test_detach_in_look(void)
{
	struct fx *f = fx_init(NULL), *t = fx_init(NULL);
	const uint8_t cpl[16] = { 0 };
	struct msix m;

	attach_msix(f, &m);
	f->q.then_look = &t->q;
	pvq_service(&t->q, &t->eng); /* idle, asking for its doorbell */
	t->q.pre = detach_in_look;
	the_detached = f;
	/* One completion to publish, on a queue stalled: on_publish would make a pass. */
	f->q.inflight++;
	pvq_complete(&f->q, cpl);
	f->q.stalled = true;
	f->q.src.publish(&f->q.src, &f->eng);
	CU_ASSERT_EQUAL(f->q.irqs, 1);
	CU_ASSERT_EQUAL(pvq_state(&f->q), PVQ_DETACHED);
	CU_ASSERT_FALSE(f->q.looking);
	t->q.pre = NULL;
	msix_destroy(&m);
	fx_destroy(t);
	fx_destroy(f);
}

/* Lines in a log file, and its last line in last. */
static unsigned lines(FILE *log, char *last, size_t n)
{
	char line[256];
	unsigned count = 0;

	fflush(log);
	rewind(log);
	last[0] = 0;
	while (fgets(line, sizeof(line), log)) {
		count++;
		snprintf(last, n, "%s", line);
	}
	return count;
}

/*
 * A guest that breaks its queue and detaches, over and over: hv says so a
 * few times, then counts, and says how many it did not print.
 */
static void test_log_flood(void)
{
	FILE *log = tmpfile();
	char last[256];
	struct fx *f;
	unsigned i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	f = fx_init(log);
	f->q.detach_timeout_ms = 0;
	for (i = 0; i < 100; i++) {
		const struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA,
						  .sq_size = SIZE, .cq_size = SIZE,
						  .msix = HV_MSIX_NONE };
		if (i)
			CU_ASSERT_EQUAL_FATAL(pvq_attach(&f->q, &s, NULL), 0);
		ctl(f, SQ_GPA)->prod += 1000; /* jumps: broken */
		pvq_service(&f->q, &f->eng);
		CU_ASSERT_EQUAL(pvq_state(&f->q), PVQ_BROKEN);
		/* The detach times out once (a message too), then the "I/O thread" lets go. */
		CU_ASSERT_EQUAL(pvq_detach(&f->q, NULL), -HV_EBUSY);
		pvq_service(&f->q, &f->eng);
		CU_ASSERT_EQUAL_FATAL(pvq_detach(&f->q, NULL), 0);
	}
	n = lines(log, last, sizeof(last));
	CU_ASSERT_EQUAL(n, RATELIMIT_BURST);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "pvqtest: queue broken by the guest"));
	CU_ASSERT_EQUAL(f->q.log.suppressed_total, 200 - RATELIMIT_BURST);
	fx_destroy(f); /* says what it dropped */
	n = lines(log, last, sizeof(last));
	CU_ASSERT_EQUAL(n, RATELIMIT_BURST + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "pvqtest: 195 more messages suppressed"));
	fclose(log);
}

/* A new interval prints again, first saying how many were dropped. */
static void test_ratelimit_interval(void)
{
	FILE *log = tmpfile();
	struct log_sink sink;
	struct ratelimit rl;
	char last[256];
	int printed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log_sink_init(&sink, fileno(log)), 0);
	CU_ASSERT_EQUAL_FATAL(ratelimit_init(&rl, &sink, 3, 200), 0);
	for (int i = 0; i < 50; i++)
		printed += ratelimit_log(&rl, "line %d", i);
	CU_ASSERT_EQUAL(printed, 3);
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 3);
	CU_ASSERT_STRING_EQUAL(last, "hv: line 2\n");
	usleep(250000);
	CU_ASSERT_TRUE(ratelimit_log(&rl, "again"));
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 5);
	CU_ASSERT_STRING_EQUAL(last, "hv: again\n");
	rewind(log);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL(fgets(last, sizeof(last), log));
	CU_ASSERT_STRING_EQUAL(last, "hv: 47 similar messages suppressed\n");
	CU_ASSERT_EQUAL(rl.suppressed_total, 47);
	ratelimit_flush(&rl, "x"); /* nothing dropped since: nothing to say */
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 5);
	ratelimit_destroy(&rl);
	log_sink_destroy(&sink);
	fclose(log);
}

/* ---- the log sink: one write per event, the I/O thread never waits on it ---------- */

#define PAD "................................................................" \
	    "................................................................"
#define LINES 3000

struct writer {
	struct ratelimit *rl;
	bool queue_only; /* as the I/O thread */
	char tag;
	unsigned count;
};

static void *write_lines(void *arg)
{
	struct writer *w = arg;

	if (w->queue_only)
		log_queue_this_thread();
	for (w->count = 0; w->count < LINES; w->count++)
		ratelimit_log(w->rl, "%c %u %s", w->tag, w->count, PAD);
	return NULL;
}

/* Reads the pipe's read end into a growing buffer until EOF. */
struct reader {
	int fd;
	char *buf;
	size_t len;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	size_t cap = 0;
	ssize_t n;

	for (;;) {
		if (r->len + 65536 > cap) {
			cap = cap ? 2 * cap : 1 << 20;
			r->buf = realloc(r->buf, cap + 1);
			if (!r->buf)
				return NULL;
		}
		n = read(r->fd, r->buf + r->len, cap - r->len);
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	r->buf[r->len] = 0;
	return NULL;
}

/*
 * Two threads log at once through one limiter into one pipe (as hv's vCPU
 * and I/O threads into stderr): every line arrives whole; the I/O thread's
 * lines are all there, less the ones it counted as dropped.
 */
static void test_log_no_interleave(void)
{
	struct writer a = { .queue_only = true, .tag = 'A' }, b = { .tag = 'B' };
	struct reader r = { 0 };
	struct log_sink sink;
	struct ratelimit rl;
	pthread_t ta, tb, tr;
	unsigned seen[2] = { 0, 0 }, bad = 0;
	int p[2];
	char *line, *save;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	r.fd = p[0];
	CU_ASSERT_EQUAL_FATAL(log_sink_init(&sink, p[1]), 0);
	CU_ASSERT_EQUAL_FATAL(ratelimit_init(&rl, &sink, 1000000, 100000), 0);
	a.rl = b.rl = &rl;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tr, NULL, read_all, &r), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, write_lines, &a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, write_lines, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	log_drain(&sink); /* what A queued after B's last line: hv's end does the same */
	close(p[1]);
	pthread_join(tr, NULL);
	close(p[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.buf);
	for (line = strtok_r(r.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char tag;
		unsigned n;
		int end = 0;

		if (strstr(line, "log lines dropped"))
			continue;
		if (sscanf(line, "hv: %c %u " PAD "%n", &tag, &n, &end) != 2 || line[end] ||
		    (tag != 'A' && tag != 'B')) {
			if (!bad++)
				fprintf(stderr, "\n  a broken line: '%.80s'\n", line);
			continue;
		}
		seen[tag - 'A']++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(seen[1], LINES);
	CU_ASSERT_EQUAL(seen[0] + sink.dropped, LINES);
	free(r.buf);
	ratelimit_destroy(&rl);
	log_sink_destroy(&sink);
}

static bool pipe_empty(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, 0) == 0;
}

struct flood {
	struct log_sink *sink;
	unsigned events;
	int read_fd; /* the pipe's other end, to unstick a writer */
};

static void *flood_queue(void *arg)
{
	struct flood *f = arg;
	unsigned i;

	log_queue_this_thread();
	for (i = 0; i < f->events; i++)
		log_printf(f->sink, "event %u", i);
	return NULL;
}

static void flood_join(void *arg)
{
	pthread_t *t = arg;

	pthread_join(*t, NULL);
}

static void run_flood(void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, flood_queue, arg) == 0)
		flood_join(&t);
}

/* Empties the pipe whose read end (non-blocking) is at arg. */
static void unstick_pipe(void *arg)
{
	char buf[65536];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void unstick_flood(void *arg)
{
	unstick_pipe(&((struct flood *)arg)->read_fd);
}

/*
 * A queue-only thread (the I/O thread) never writes: with the pipe full,
 * where any write would wait, it still returns at once; what does not fit
 * the queue is dropped and counted, and said by the next drain.
 */
static void test_log_queue_full(void)
{
	struct log_sink sink;
	struct flood f = { &sink, LOG_QUEUE_LINES + 5, -1 };
	char buf[LOG_QUEUE_LINES * 64 + 256], *last;
	int p[2], fl;
	ssize_t n, got = 0;
	unsigned count = 0;

	CU_ASSERT_EQUAL_FATAL(pipe2(p, O_CLOEXEC), 0);
	CU_ASSERT_EQUAL(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CU_ASSERT_EQUAL_FATAL(log_sink_init(&sink, p[1]), 0);
	/* Fill the pipe (the test's own, non-blocking for a moment), then block it again. */
	fl = fcntl(p[1], F_GETFL);
	CU_ASSERT_EQUAL(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	while (write(p[1], PAD, sizeof(PAD) - 1) > 0)
		;
	CU_ASSERT_EQUAL(fcntl(p[1], F_SETFL, fl), 0);
	f.read_fd = p[0];
	if (!ut_returns_within(run_flood, unstick_flood, &f, 5))
		CU_FAIL("a queue-only thread waited on a full pipe");
	CU_ASSERT_EQUAL(sink.nr, LOG_QUEUE_LINES);
	CU_ASSERT_EQUAL(sink.dropped, 5);
	/* Nothing of it was written: empty the pipe, and nothing more is there. */
	unstick_pipe(&p[0]);
	CU_ASSERT_TRUE(pipe_empty(p[0]));
	/* A thread that may block writes them out, oldest first, then the count. */
	log_drain(&sink);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	CU_ASSERT(strncmp(buf, "hv: event 0\n", 12) == 0);
	for (last = buf; (last = strchr(last, '\n')) && last[1]; last++)
		count++;
	CU_ASSERT_EQUAL(count, LOG_QUEUE_LINES); /* then the note, the last line */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "hv: event 63\nhv: 5 log lines dropped"));
	CU_ASSERT_EQUAL(sink.nr, 0);
	log_drain(&sink); /* said once */
	CU_ASSERT_TRUE(pipe_empty(p[0]));
	close(p[0]);
	close(p[1]);
	log_sink_destroy(&sink);
}

/* ---- rate limits ---------------------------------------------------------------- */

static unsigned cost_calls;

static uint64_t cost_4k(const void *entry)
{
	(void)entry;
	cost_calls++;
	return 4096;
}

/* Runs the engine until the queue's limit timer is no longer armed (at most 2 s). */
static void wait_limit_timer(struct pvq *q, struct ioeng *e)
{
	unsigned i;

	for (i = 0; i < 200 && q->limit_wait; i++)
		CU_ASSERT(ioeng_run(e, 1) >= 0);
	CU_ASSERT_FALSE(q->limit_wait);
}

/*
 * A limited queue takes its burst (and one more into debt), then stops:
 * the rest waits in the ring, doorbells change nothing, and the timer
 * brings it back when the debt is repaid.  Lifting the limit ends the wait
 * at once.
 */
static void test_limit_admission(void)
{
	struct fx *f = fx_init(NULL);
	const struct rate_set r = { .ops_per_s = 100, .ops_burst = 3 };
	struct ioeng eng;
	uint64_t t0;

	CU_ASSERT_FATAL(ioeng_init(&eng, 64) == 0);
	f->q.cost = cost_4k;
	CU_ASSERT_EQUAL(pvq_set_limit(&f->q, &r), 0);
	CU_ASSERT_TRUE(rang(f)); /* the I/O thread is asked to take it over */
	CU_ASSERT_EQUAL(pvq_set_limit(&f->q, &(struct rate_set){ .ops_burst = 1 }), -EINVAL);
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, SIZE); /* a full ring */
	t0 = mono_ns();
	pvq_service(&f->q, &eng);
	CU_ASSERT_PTR_NOT_NULL(f->q.limit);
	CU_ASSERT_EQUAL(f->taken, 4); /* 3 banked, the 4th at a balance of 0 */
	CU_ASSERT_EQUAL(ctl(f, SQ_GPA)->cons, 4);
	CU_ASSERT_TRUE(f->q.limit_wait);
	CU_ASSERT_EQUAL(qlimit_throttled(&f->q.rl), 1);
	/* The event index stays behind: the guest rings no doorbell for the rest. */
	CU_ASSERT_NOT_EQUAL(ctl(f, SQ_GPA)->event, SIZE);
	pvq_service(&f->q, &eng); /* a doorbell anyway */
	CU_ASSERT_EQUAL(f->taken, 4);
	CU_ASSERT_EQUAL(qlimit_throttled(&f->q.rl), 1);
	/* The debt of one op at 100/s: 10 ms, then one more is admitted (into debt again). */
	CU_ASSERT_EQUAL(ioeng_run(&eng, 1), 1);
	CU_ASSERT(mono_ns() - t0 >= 9000000);
	CU_ASSERT(qlimit_throttled_ns(&f->q.rl) >= 9000000);
	CU_ASSERT_EQUAL(f->taken, 5);
	CU_ASSERT_TRUE(f->q.limit_wait);
	CU_ASSERT_EQUAL(qlimit_throttled(&f->q.rl), 2);
	/* Lifted: the rest is taken at once, the timer cancelled. */
	CU_ASSERT_EQUAL(pvq_set_limit(&f->q, &(struct rate_set){ 0 }), 0);
	pvq_service(&f->q, &eng);
	CU_ASSERT_PTR_NULL(f->q.limit);
	CU_ASSERT_EQUAL(f->taken, SIZE);
	t0 = mono_ns();
	wait_limit_timer(&f->q, &eng);
	CU_ASSERT(mono_ns() - t0 < 9000000); /* cancelled, not waited out */
	ioeng_exit(&eng);
	fx_destroy(f);
}

/* A bytes limit counts the device's cost of each submission. */
static void test_limit_bytes(void)
{
	struct fx *f = fx_init(NULL);
	const struct rate_set r = { .bytes_per_s = 4096 * 1000, .bytes_burst = 8192 };
	struct ioeng eng;

	CU_ASSERT_FATAL(ioeng_init(&eng, 64) == 0);
	f->q.cost = cost_4k;
	cost_calls = 0;
	CU_ASSERT_EQUAL(pvq_set_limit(&f->q, &r), 0);
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, SIZE);
	pvq_service(&f->q, &eng);
	CU_ASSERT_EQUAL(f->taken, 3); /* 8192 banked: two, and a third into debt */
	CU_ASSERT_EQUAL(cost_calls, 3);
	/* 1 ms a request: the rest within a few timer rounds. */
	while (f->taken < SIZE && f->q.limit_wait)
		wait_limit_timer(&f->q, &eng);
	CU_ASSERT_EQUAL(f->taken, SIZE);
	CU_ASSERT(qlimit_throttled(&f->q.rl) >= 1);
	if (f->q.limit_wait)
		wait_limit_timer(&f->q, &eng);
	ioeng_exit(&eng);
	fx_destroy(f);
}

/* Without a limit nothing about limits runs: no cost asked, nothing refused. */
static void test_limit_unset(void)
{
	struct fx *f = fx_init(NULL);

	f->q.cost = cost_4k;
	cost_calls = 0;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, SIZE);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, SIZE);
	CU_ASSERT_EQUAL(cost_calls, 0);
	CU_ASSERT_PTR_NULL(f->q.limit);
	CU_ASSERT_FALSE(f->q.limit_wait);
	CU_ASSERT_EQUAL(qlimit_throttled(&f->q.rl), 0);
	fx_destroy(f);
}

struct setter {
	struct pvq *q;
	int rounds, done;
};

/* The API thread's part: new settings as fast as it can, counters read meanwhile. */
static void *set_limits(void *arg)
{
	struct setter *s = arg;
	int i;

	for (i = 0; i < s->rounds; i++) {
		const struct rate_set r = { .ops_per_s = (uint64_t)(i % 3) * 1000000,
					    .bytes_per_s = (uint64_t)(i % 2) << 30 };
		struct rate_set got;

		CU_ASSERT_EQUAL(pvq_set_limit(s->q, &r), 0);
		qlimit_get(&s->q->rl, &got);
		(void)qlimit_throttled(&s->q->rl);
		(void)qlimit_throttled_ns(&s->q->rl);
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Settings handed over while the I/O thread serves the queue (run under
 * TSan: make build/unit-tests-tsan): the buckets stay the I/O thread's.
 */
static void test_limit_handover(void)
{
	struct fx *f = fx_init(NULL);
	struct setter s = { .q = &f->q, .rounds = 2000 };
	struct rate_set last;
	struct ioeng eng;
	pthread_t t;

	CU_ASSERT_FATAL(ioeng_init(&eng, 64) == 0);
	f->q.cost = cost_4k;
	f->refill_max = ~0u;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, set_limits, &s) == 0);
	while (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE)) {
		if (!f->q.limit_wait)
			hv_ring_store_release(&ctl(f, SQ_GPA)->prod, f->q.sq_cons + 1);
		pvq_service(&f->q, &eng);
		ioeng_run(&eng, 0);
	}
	pthread_join(t, NULL);
	pvq_service(&f->q, &eng); /* takes the last setting over */
	qlimit_get(&f->q.rl, &last);
	CU_ASSERT_FALSE(qlimit_pending(&f->q.rl));
	CU_ASSERT_EQUAL(f->q.limit != NULL, rate_set_on(&last));
	CU_ASSERT_EQUAL(pvq_set_limit(&f->q, &(struct rate_set){ 0 }), 0);
	pvq_service(&f->q, &eng);
	wait_limit_timer(&f->q, &eng);
	ioeng_exit(&eng);
	fx_destroy(f);
}

int suite_pvq(void)
{
	static const CU_TestInfo tests[] = {
		{ "one pass takes a ring's worth, then yields", test_drain_bounded },
		{ "RX-style queue: no doorbell while it holds entries", test_quiet_when_held },
		{ "disk-style queue: no doorbell at depth, every one beside a slow request",
		  test_quiet_at_depth },
		{ "out of budget with requests in flight: no doorbell", test_stalled_in_flight },
		{ "a guest breaking its queue cannot flood the log", test_log_flood },
		{ "a queue signals the MSI-X entry it names", test_msix_entry },
		{ "an interrupt brings a look at the queue it names (then_look)", test_then_look },
		{ "a completion's interrupt brings a pass over its own ring", test_then_look_self },
		{ "a detach the look completes: nothing touches the rings after", test_detach_in_look },
		{ "rate limit: a new interval, the count of dropped lines", test_ratelimit_interval },
		{ "log: two threads' lines never interleave", test_log_no_interleave },
		{ "log: the I/O thread never waits; a full queue drops and counts",
		  test_log_queue_full },
		{ "limit: the burst, then the timer; doorbells change nothing", test_limit_admission },
		{ "limit: bytes are the device's cost of each submission", test_limit_bytes },
		{ "limit: none set, nothing of it runs", test_limit_unset },
		{ "limit: settings handed over while the queue is served", test_limit_handover },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pvq", tests);
}
