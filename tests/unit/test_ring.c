/*
 * The ring protocol on its own: the guest's pv_ring against a consumer that
 * follows PROTOCOL.md by hand, across the 2^32 wrap, full and empty, with
 * event-index suppression in both directions.
 */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "pv_host.h"
#include "pv_poll.h"
#include "pv_ring.h"
#include "suites.h"

static uint8_t arena[1 << 20] __attribute__((aligned(4096)));
static size_t arena_used;
/* What the ring asked the OS for and gave back; allocations fail after fail_after. */
static size_t asked[4], freed[4];
static unsigned nasked, nfreed, fail_after = ~0u;

static void *a_alloc(void *ctx, size_t n, uint64_t *pa)
{
	void *p;
	(void)ctx;
	if (nasked < 4)
		asked[nasked] = n;
	if (nasked++ >= fail_after)
		return NULL;
	arena_used = (arena_used + 4095) & ~(size_t)4095;
	if (arena_used + n > sizeof(arena))
		return NULL;
	p = arena + arena_used;
	*pa = arena_used;
	arena_used += n;
	memset(p, 0, n);
	return p;
}

static void a_free(void *ctx, void *p, size_t n)
{
	(void)ctx, (void)p;
	if (nfreed < 4)
		freed[nfreed] = n;
	nfreed++;
}

static void arena_reset(void)
{
	arena_used = 0;
	nasked = nfreed = 0;
	fail_after = ~0u;
}

static const struct pv_os os = { .dma_alloc = a_alloc, .dma_free = a_free };

/* The consumer's side of the submission ring, as hv does it. */
static uint32_t consume_all(struct pv_ring *r, uint32_t *cons, uint32_t *seen)
{
	uint32_t prod = hv_ring_load_acquire(&r->sq->prod), n = 0;

	for (; *cons != prod; (*cons)++, n++)
		seen[n] = *(uint32_t *)(r->sqe + (*cons & (r->sq_size - 1)) * r->sq_esize);
	hv_ring_store_release(&r->sq->cons, *cons);
	r->sq->event = *cons;
	return n;
}

static void test_sizes(void)
{
	struct pv_ring r;

	arena_reset();
	CU_ASSERT_EQUAL(pv_ring_alloc(&r, &os, 3, 16, 4, 16, 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(pv_ring_alloc(&r, &os, 8, 16, 4, 16, 0), -HV_EINVAL); /* cq < sq */
	CU_ASSERT_EQUAL(pv_ring_alloc(&r, &os, 1, 16, 1, 16, 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(pv_ring_alloc(&r, &os, 8192, 16, 8192, 16, 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(nasked, 0); /* refused before asking for memory */
	/* Each ring: the 128-byte control block, then its entries; all indices at start. */
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &os, 4, 256, 8, 16, 77), 0);
	CU_ASSERT_EQUAL(nasked, 2);
	CU_ASSERT_EQUAL(asked[0], 128 + 4 * 256);
	CU_ASSERT_EQUAL(asked[1], 128 + 8 * 16);
	CU_ASSERT_PTR_EQUAL(r.sqe, (uint8_t *)r.sq + 128);
	CU_ASSERT_PTR_EQUAL(r.cqe, (uint8_t *)r.cq + 128);
	CU_ASSERT_PTR_EQUAL(r.sq, arena + r.sq_pa);
	CU_ASSERT_PTR_EQUAL(r.cq, arena + r.cq_pa);
	CU_ASSERT(r.sq->prod == 77 && r.sq->cons == 77 && r.sq->event == 77);
	CU_ASSERT(r.cq->prod == 77 && r.cq->cons == 77 && r.cq->event == 77);
	pv_ring_free(&r, &os);
	CU_ASSERT(nfreed == 2 && freed[0] == asked[0] && freed[1] == asked[1]);
	/* No memory for the second ring: -ENOMEM, and the first is given back. */
	arena_reset();
	fail_after = 1;
	CU_ASSERT_EQUAL(pv_ring_alloc(&r, &os, 4, 256, 8, 16, 0), -HV_ENOMEM);
	CU_ASSERT(nfreed == 1 && freed[0] == asked[0]);
	CU_ASSERT_EQUAL(hv_ring_bytes(4, 256), 128 + 1024);
}

/* Fill to full, drain to empty, many times, starting 5 entries before 2^32. */
static void test_wrap_full_empty(void)
{
	struct pv_ring r;
	uint32_t cons = 0xfffffffbu, seen[8], val = 0, expect = 0, round, i, n;

	arena_reset();
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &os, 8, 16, 8, 16, 0xfffffffbu), 0);
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 8; i++) {
			uint32_t *slot = pv_ring_sq_slot(&r);
			CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
			*slot = val++;
			pv_ring_sq_push(&r);
		}
		CU_ASSERT_PTR_NULL(pv_ring_sq_slot(&r)); /* full: 8 of 8 */
		pv_ring_sq_publish(&r);
		n = consume_all(&r, &cons, seen);
		CU_ASSERT_EQUAL(n, 8);
		for (i = 0; i < n; i++)
			CU_ASSERT_EQUAL(seen[i], expect++);
		CU_ASSERT_EQUAL(consume_all(&r, &cons, seen), 0); /* empty */
	}
	CU_ASSERT(r.sq_prod < 0x100u); /* it did wrap */
	CU_ASSERT_EQUAL(r.sq_prod, cons);
}

/* Doorbells only when the consumer asked: one per batch, none while it is busy. */
static void test_sq_event_suppression(void)
{
	struct pv_ring r;
	uint32_t cons = 0xfffffff0u, seen[16], i;

	arena_reset();
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &os, 16, 16, 16, 16, 0xfffffff0u), 0);
	for (i = 0; i < 4; i++) {
		pv_ring_sq_slot(&r);
		pv_ring_sq_push(&r);
	}
	CU_ASSERT_TRUE(pv_ring_sq_publish(&r));   /* consumer idle, event = cons */
	pv_ring_sq_slot(&r);
	pv_ring_sq_push(&r);
	CU_ASSERT_FALSE(pv_ring_sq_publish(&r));  /* it has not caught up: no doorbell */
	CU_ASSERT_FALSE(pv_ring_sq_publish(&r));  /* nothing new: nothing to say */
	CU_ASSERT_EQUAL(consume_all(&r, &cons, seen), 5); /* re-arms event = cons */
	for (i = 0; i < 3; i++) {
		pv_ring_sq_slot(&r);
		pv_ring_sq_push(&r);
	}
	CU_ASSERT_TRUE(pv_ring_sq_publish(&r));
	CU_ASSERT_EQUAL(r.notifies, 2);
	CU_ASSERT_EQUAL(r.publishes, 3);
}

/* The other direction: the test plays hv producing completions. */
static void test_cq_arm(void)
{
	struct pv_ring r;
	uint32_t prod = UINT32_MAX, old;

	arena_reset();
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &os, 4, 16, 4, 16, UINT32_MAX), 0);
	CU_ASSERT_PTR_NULL(pv_ring_cq_peek(&r));
	CU_ASSERT_FALSE(pv_ring_cq_arm_irq(&r)); /* empty: armed, nothing raced */
	old = prod;
	*(uint32_t *)(r.cqe + (prod & 3) * 16) = 42;
	prod++;
	hv_ring_store_release(&r.cq->prod, prod);
	CU_ASSERT_TRUE(hv_ring_need_event(r.cq->event, prod, old)); /* interrupt */
	CU_ASSERT_TRUE(pv_ring_cq_arm_irq(&r)); /* arming now sees the entry: re-poll */
	CU_ASSERT_EQUAL(*(const uint32_t *)pv_ring_cq_peek(&r), 42);
	pv_ring_cq_pop(&r);
	CU_ASSERT_EQUAL(r.cq->cons, 0u); /* wrapped */
	/* Not re-armed: hv's next completion must not interrupt. */
	old = prod++;
	CU_ASSERT_FALSE(hv_ring_need_event(r.cq->event, prod, old));
}

/*
 * Polling with the completion interrupt muted: hv's completions, in batches
 * of any size up to the ring, across the 2^32 wrap, never ask for one; each
 * is taken (copied, released) once; re-arming asks again and sees a raced one.
 */
static void test_cq_take_mute(void)
{
	struct pv_ring r;
	uint32_t prod = UINT32_MAX - 9, old, got[2] = { 0, 0 }, want = 0, batch;

	arena_reset();
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &os, 4, 16, 4, 16, prod), 0);
	CU_ASSERT_FALSE(pv_ring_cq_ready(&r));
	CU_ASSERT_FALSE(pv_ring_cq_take(&r, got, 8));
	pv_ring_cq_mute_irq(&r);
	for (batch = 1; batch <= 4; batch++) {
		uint32_t i;

		old = prod;
		for (i = 0; i < batch; i++, prod++)
			*(uint32_t *)(r.cqe + (prod & 3) * 16) = prod * 7;
		hv_ring_store_release(&r.cq->prod, prod);
		CU_ASSERT_FALSE(hv_ring_need_event(r.cq->event, prod, old)); /* muted */
		CU_ASSERT_TRUE(pv_ring_cq_ready(&r));
		for (i = 0; i < batch; i++, want++) {
			CU_ASSERT_TRUE(pv_ring_cq_take(&r, got, 8));
			CU_ASSERT_EQUAL(got[0], (UINT32_MAX - 9 + want) * 7);
		}
		CU_ASSERT_FALSE(pv_ring_cq_take(&r, got, 8));
		CU_ASSERT_EQUAL(r.cq->cons, prod);
	}
	CU_ASSERT_FALSE(pv_ring_cq_arm_irq(&r)); /* armed again, nothing raced */
	old = prod++;
	hv_ring_store_release(&r.cq->prod, prod);
	CU_ASSERT_TRUE(hv_ring_need_event(r.cq->event, prod, old)); /* interrupts again */
	CU_ASSERT_TRUE(pv_ring_cq_arm_irq(&r)); /* and a re-check sees it */
}

/*
 * The poll window's logic on a simulated CPU: a clock that moves 1 us per
 * look, and a completion that lands lat_ns after the wait starts, either by
 * itself (another CPU produced it) or only by taking this CPU away.
 */
static struct sim {
	uint64_t now, due, preempted;
	bool needs_cpu;          /* one CPU: the producer runs only if it takes ours */
	volatile int flag;
} sim;

static uint64_t sim_now(void *ctx)
{
	(void)ctx;
	return sim.now += 1000;
}

static uint64_t sim_preempted(void *ctx)
{
	(void)ctx;
	return sim.preempted;
}

static bool sim_ready(void *arg)
{
	(void)arg;
	if (sim.now < sim.due)
		return false;
	if (sim.needs_cpu && !sim.flag)
		sim.preempted++; /* the host ran the producer on our CPU: an exit */
	return true;
}

static unsigned sim_take(void *arg)
{
	(void)arg;
	sim.flag = 1;
	return 1;
}

static const struct pv_os sim_os = { .now_ns = sim_now, .preempted = sim_preempted };

/* One wait as pvblk_fe_wait makes it: poll if wanted, else (or then) sleep until due. */
static void sim_wait(struct pv_poll *p, uint64_t lat_ns)
{
	uint64_t start;

	sim.flag = 0;
	sim.due = sim.now + lat_ns;
	if (!pv_poll_wanted(p)) {
		sim.now = sim.due;
		return;
	}
	if (pv_poll_spin(p, &sim_os, sim_ready, sim_take, NULL, &sim.flag, &start))
		return;
	if (sim.now < sim.due)
		sim.now = sim.due; /* asleep until the interrupt */
	pv_poll_slept(p, sim.now - start);
}

static void test_poll_window_adapts(void)
{
	struct pv_poll p;
	uint64_t polls;
	int i;

	/* One CPU: the completion comes only by preempting the poller: to 0. */
	memset(&sim, 0, sizeof(sim));
	sim.needs_cpu = true;
	pv_poll_init(&p, 200000, false);
	CU_ASSERT_EQUAL(p.window_ns, 50000);
	for (i = 0; i < 200; i++)
		sim_wait(&p, 30000);
	CU_ASSERT_EQUAL(p.window_ns, 0);
	CU_ASSERT_EQUAL(p.st.paid, 0);
	CU_ASSERT_TRUE(p.st.unpaid > 0);
	polls = p.st.polls;
	for (i = 0; i < 10000; i++)
		sim_wait(&p, 30000);
	CU_ASSERT_EQUAL(p.window_ns, 0);
	CU_ASSERT_TRUE(p.st.polls - polls <= 8); /* probes, ever rarer */

	/* Another CPU produces it: the window grows from 0 to cover 120 us ... */
	sim.needs_cpu = false;
	for (i = 0; i < 20000 && p.window_ns < 120000; i++)
		sim_wait(&p, 120000);
	CU_ASSERT_TRUE(p.window_ns >= 120000 && p.window_ns <= 200000);
	polls = p.st.paid;
	for (i = 0; i < 100; i++)
		sim_wait(&p, 120000);
	CU_ASSERT_EQUAL(p.st.paid - polls, 100); /* ... and every wait is a poll that paid */
	/* Waits longer than the cap: polling cannot catch them, it shrinks to 0. */
	for (i = 0; i < 100; i++)
		sim_wait(&p, 1000000);
	CU_ASSERT_EQUAL(p.window_ns, 0);

	/* Cap 0: never polls.  Fixed: never adapts. */
	pv_poll_init(&p, 0, false);
	for (i = 0; i < 10; i++)
		sim_wait(&p, 1000);
	CU_ASSERT_EQUAL(p.st.polls, 0);
	pv_poll_init(&p, 20000, true);
	sim.needs_cpu = true;
	for (i = 0; i < 50; i++)
		sim_wait(&p, 5000);
	CU_ASSERT_EQUAL(p.window_ns, 20000);
	CU_ASSERT_EQUAL(p.st.polls, 50);
}

/*
 * The final re-check, through hv's real back end: the completion is
 * published after the waiter's last look and while its interrupt is
 * suppressed, so no interrupt comes for it.  Without the re-check at the
 * re-arm the waiter would halt for ever (here: wait_irq's 5 s, timed out).
 */
static struct {
	struct pvblk_fe *fe;
	unsigned calls;
	bool landed;
} late;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The window's clock: at its first deadline look, ring, wait for hv, say the window is over. */
static uint64_t late_now(void *ctx)
{
	uint64_t t = mono_ns(), end = t + 2000000000u;

	(void)ctx;
	if (late.fe && ++late.calls == 2) {
		pvblk_fe_kick(late.fe);
		while (hv_ring_load_acquire(&late.fe->ring.cq->prod) == late.fe->ring.cq_cons &&
		       mono_ns() < end)
			;
		late.landed = hv_ring_load_acquire(&late.fe->ring.cq->prod) != late.fe->ring.cq_cons;
		return t + 1000000000u;
	}
	return t;
}

static void count_done(void *arg, uint32_t status, uint32_t bytes)
{
	(void)bytes;
	*(volatile int *)arg = status == HV_BLK_S_OK ? 1 : 2;
}

static void test_poll_final_recheck(void)
{
	static const char *const disks[] = { "null:1M" };
	const struct pvblk_fe_config cfg = { 8, 0, 0, 500000, true };
	struct pv_host h;
	struct pvblk_fe fe;
	struct hv_blk_req r;
	volatile int done = 0;
	uint64_t irqs;
	void *buf;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, 16 << 20, disks, 1, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_cfg(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, 4096);
	h.os.now_ns = late_now;
	late.fe = &fe;
	late.calls = 0;
	irqs = h.disk[0]->q.irqs;
	pvblk_fe_prep(&fe, &r, HV_BLK_OP_READ, 0, buf, 4096);
	CU_ASSERT_EQUAL_FATAL(pvblk_fe_submit(&fe, &r, count_done, (void *)&done), 0);
	pvblk_fe_wait(&fe, &done); /* not kicked: the clock rings, mid-window */
	late.fe = NULL;
	CU_ASSERT_TRUE(late.landed);
	CU_ASSERT_EQUAL(done, 1);               /* taken by the re-check ... */
	CU_ASSERT_EQUAL(h.disk[0]->q.irqs, irqs); /* ... as no interrupt came for it */
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	CU_ASSERT_EQUAL(fe.poll.st.polls, 1);
	pv_host_destroy(&h);
}

/*
 * With hv's I/O thread on another CPU, polling pays: synchronous reads are
 * taken by the poller, the CPU kept, and the window stays open.
 */
static void test_poll_pays_on_two_cpus(void)
{
	static const char *const disks[] = { "null:1M" };
	const struct pvblk_fe_config cfg = { 8, 0, 0, 2000000, false };
	struct pv_host h;
	struct pvblk_fe fe;
	void *buf;
	int i, bad = 0;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, 16 << 20, disks, 1, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_cfg(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, 4096);
	for (i = 0; i < 300; i++)
		bad += pvblk_fe_rw(&fe, HV_BLK_OP_READ, (uint64_t)i % 256 * 8, buf, 4096) !=
		       HV_BLK_S_OK;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(fe.poll.st.paid > 0);
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	pv_host_destroy(&h);
}

static void test_need_event(void)
{
	CU_ASSERT_TRUE(hv_ring_need_event(5, 6, 5));
	CU_ASSERT_TRUE(hv_ring_need_event(5, 9, 3));
	CU_ASSERT_FALSE(hv_ring_need_event(5, 5, 3));
	CU_ASSERT_FALSE(hv_ring_need_event(9, 9, 3));
	CU_ASSERT_TRUE(hv_ring_need_event(UINT32_MAX, 2, UINT32_MAX - 1));
	CU_ASSERT_FALSE(hv_ring_need_event(3, 2, UINT32_MAX - 1));
}

int suite_ring(void)
{
	static const CU_TestInfo tests[] = {
		{ "sizes are checked", test_sizes },
		{ "full, empty and the 2^32 wrap", test_wrap_full_empty },
		{ "submission event index suppresses doorbells", test_sq_event_suppression },
		{ "completion event index and re-arm race", test_cq_arm },
		{ "completion take, interrupt muted while polling", test_cq_take_mute },
		{ "poll window: to 0 on one CPU, grows where polling pays", test_poll_window_adapts },
		{ "poll window: the final re-check takes a muted completion", test_poll_final_recheck },
		{ "poll window: pays with hv's I/O thread on another CPU", test_poll_pays_on_two_cpus },
		{ "need_event across the wrap", test_need_event },
		CU_TEST_INFO_NULL,
	};
	return add_suite("ring", tests);
}
