/*
 * The PV NIC end to end on the host: the guest's front end (pv-drivers/
 * pvnet_fe) against hv's real backend (pvq, the I/O thread, io_uring) on the
 * loop backend and on a socketpair standing in for a tap (the tap backend's
 * code, on a descriptor that keeps frame boundaries as a tap does).  Only
 * KVM is missing; pv_host.c plays the guest OS.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pv_host.h"
#include "suites.h"
#include "ut.h"

#define MEM (32ull << 20)
#define RX_VEC HV_NET_MSIX_RX /* the MSI-X entries the queues signal */
#define TX_VEC HV_NET_MSIX_TX
#define POLL HV_MSIX_NONE
#define MAX_FRAME (HV_NET_DEFAULT_MTU + HV_NET_ETH_HLEN)

/* Frame n: its length and bytes follow from n, so a receiver can check it alone. */
static uint32_t frame_len(uint32_t n)
{
	return HV_NET_MIN_FRAME + (uint32_t)((n * 2654435761u) % (MAX_FRAME - HV_NET_MIN_FRAME + 1));
}

static void frame_fill(uint8_t *p, uint32_t n)
{
	uint32_t len = frame_len(n), i;

	memcpy(p, &n, 4);
	for (i = 4; i < len; i++)
		p[i] = (uint8_t)(n * 31 + i);
}

/*
 * One frame from the wire end fd, waiting at most its SO_RCVTIMEO.  A socket
 * with a timeout returns EINTR, not a restart, when anything interrupts the
 * wait (under TSan, now and then): that is no lost frame, so wait again.
 */
static ssize_t wire_recv(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* What the receiving side saw. */
struct rx_log {
	uint32_t frames, bad, next; /* next: the frame number expected */
	bool in_order;
};

static void rx_check(void *arg, const void *frame, uint32_t len)
{
	struct rx_log *l = arg;
	uint8_t want[MAX_FRAME];
	uint32_t n;

	memcpy(&n, frame, 4);
	frame_fill(want, n);
	if (len != frame_len(n) || memcmp(frame, want, len))
		l->bad++;
	if (n != l->next)
		l->in_order = false;
	l->next = n + 1;
	l->frames++;
}

static void tx_count(void *arg, uint32_t status)
{
	uint32_t *done = arg;

	if (status == HV_NET_S_OK)
		(*done)++;
}

static void host_with_nic(struct pv_host *h, const char *arg, uint64_t io_poll_ns)
{
	CU_ASSERT_EQUAL_FATAL(pv_host_init(h, MEM, NULL, 0, io_poll_ns), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_add_nic(h, arg), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_start(h), 0);
}

/*
 * Sends count frames in windows of window, each window kicked once, and
 * waits for every one to come back; frames live in guest RAM until their
 * TX completion.
 */
static void loop_frames(struct pv_host *h, struct pvnet_fe *fe, struct rx_log *log,
			uint32_t count, uint32_t window)
{
	uint8_t *bufs = pv_host_alloc(h, (size_t)window * MAX_FRAME);
	uint32_t sent = 0, tx_done = 0, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(bufs);
	while (sent < count) {
		uint32_t w = count - sent < window ? count - sent : window;
		for (i = 0; i < w; i++) {
			struct pvnet_fe_seg seg = { bufs + (size_t)i * MAX_FRAME, frame_len(sent) };
			frame_fill(bufs + (size_t)i * MAX_FRAME, sent);
			CU_ASSERT_EQUAL_FATAL(pvnet_fe_send(fe, &seg, 1, tx_count, &tx_done), 0);
			sent++;
		}
		pvnet_fe_kick(fe);
		/* Received frames wake the driver; TX completions are taken as they come. */
		for (i = 0; log->frames < sent && !h->wait_timeouts; i++) {
			fe->progress = 0;
			if (!pvnet_fe_poll(fe))
				pvnet_fe_wait(fe, &fe->progress);
			if (fe->rx_polled && i > 50000000) { /* polling: a bound on the spin */
				h->wait_timeouts++;
				break;
			}
		}
		if (h->wait_timeouts || !EVENTUALLY((pvnet_fe_poll(fe), tx_done == sent)))
			break;
	}
}

static void roundtrip(uint32_t rx_vec, uint32_t tx_vec, uint32_t start, uint64_t io_poll_ns)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 64, 64, rx_vec, tx_vec, start, rx_check, &log };
	struct pv_host h;
	struct pvnet_fe fe;

	host_with_nic(&h, "loop", io_poll_ns);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	CU_ASSERT_TRUE(pvnet_fe_link_up(&fe));
	CU_ASSERT_EQUAL(fe.mtu, HV_NET_DEFAULT_MTU);
	CU_ASSERT_EQUAL(memcmp(fe.mac, (uint8_t[]){ 0x02, 0x68, 0x76, 0, 0, 0 }, 6), 0);
	loop_frames(&h, &fe, &log, 3000, 32);
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	CU_ASSERT_EQUAL(log.frames, 3000);
	CU_ASSERT_EQUAL(log.bad, 0);
	CU_ASSERT_TRUE(log.in_order);
	CU_ASSERT_EQUAL(h.nic[0]->st.rx_frames, 3000);
	CU_ASSERT_EQUAL(h.nic[0]->st.tx_frames, 3000);
	CU_ASSERT_EQUAL(h.nic[0]->st.rx_dropped + h.nic[0]->net.lost, 0);
	/*
	 * A window of 32 frames costs at most two doorbells (its TX, and the RX
	 * buffers given back), not 32 or 64.
	 */
	CU_ASSERT(fe.st.notifies <= 2 * (3000 / 32 + 1) + 4);
	if (rx_vec != POLL) { /* far fewer interrupts than frames, but some */
		CU_ASSERT(h.nic[0]->rxq.irqs > 0 && h.nic[0]->rxq.irqs < 3000);
	} else {
		CU_ASSERT_EQUAL(h.nic[0]->rxq.irqs, 0);
	}
	pv_host_destroy(&h);
}

static void test_loop_irq(void)
{
	roundtrip(RX_VEC, POLL, 0, 0);
}

static void test_loop_poll(void)
{
	roundtrip(POLL, POLL, 0, 0);
}

static void test_loop_tx_irq(void)
{
	roundtrip(RX_VEC, TX_VEC, 0, 0);
}

/* Ring indices run across 2^32 on both queues. */
static void test_index_wrap(void)
{
	roundtrip(RX_VEC, POLL, 0xffffffffu - 500, 0);
}

/* hv's I/O thread polling for work (--io-poll): no doorbells needed meanwhile. */
static void test_io_poll(void)
{
	roundtrip(RX_VEC, POLL, 0, 200000);
}

/*
 * A guest that never gives buffers back: hv fills the ones it has, then
 * reads the rest into scratch and drops them, counted; memory stays put and
 * hv keeps serving once buffers return.
 */
static void test_rx_not_reposted(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 256, POLL, POLL, 0, rx_check, &log };
	uint8_t *buf;
	struct pv_host h;
	struct pvnet_fe fe;
	uint32_t done = 0, i;
	struct pvnet_back *n;

	host_with_nic(&h, "loop", 0);
	n = h.nic[0];
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, 200 * MAX_FRAME);
	for (i = 0; i < 200; i++) {
		struct pvnet_fe_seg seg = { buf + (size_t)i * MAX_FRAME, frame_len(i) };
		frame_fill(buf + (size_t)i * MAX_FRAME, i);
		CU_ASSERT_EQUAL_FATAL(pvnet_fe_send(&fe, &seg, 1, tx_count, &done), 0);
		pvnet_fe_kick(&fe);
		/* The front end is never polled: no buffer goes back to hv. */
		CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&n->st.tx_frames, __ATOMIC_ACQUIRE) > i));
	}
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&n->st.rx_frames, __ATOMIC_ACQUIRE) +
					  __atomic_load_n(&n->st.rx_dropped, __ATOMIC_ACQUIRE) ==
				  200));
	CU_ASSERT_EQUAL(__atomic_load_n(&n->st.rx_frames, __ATOMIC_ACQUIRE), 16);
	CU_ASSERT_EQUAL(__atomic_load_n(&n->st.rx_dropped, __ATOMIC_ACQUIRE), 184);
	CU_ASSERT_EQUAL(n->net.lost, 0);
	/* The 16 are there, intact, and once they are given back traffic flows again. */
	pvnet_fe_poll(&fe);
	CU_ASSERT_EQUAL(log.frames, 16);
	CU_ASSERT_EQUAL(log.bad, 0);
	log = (struct rx_log){ .next = 1000, .in_order = true };
	for (i = 1000; i < 1010; i++) {
		struct pvnet_fe_seg seg = { buf + (size_t)(i - 1000) * MAX_FRAME, frame_len(i) };
		frame_fill(buf + (size_t)(i - 1000) * MAX_FRAME, i);
		CU_ASSERT_EQUAL(pvnet_fe_send(&fe, &seg, 1, tx_count, &done), 0);
	}
	pvnet_fe_kick(&fe);
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe), log.frames == 10)));
	CU_ASSERT_EQUAL(log.bad, 0);
	pv_host_destroy(&h);
}

/* Completions hv has published on r and the driver has not taken. */
static uint32_t cq_ready(struct pv_ring *r)
{
	return __atomic_load_n(&r->cq->prod, __ATOMIC_ACQUIRE) - r->cq_cons;
}

/* Sends depth frames (one per RX buffer) and waits until hv has answered all, untaken. */
static void fill_rx_ring(struct pvnet_fe *fe, uint8_t *buf, uint32_t first, uint32_t depth,
			 uint32_t *done)
{
	uint32_t i;

	for (i = 0; i < depth; i++) {
		struct pvnet_fe_seg seg = { buf + (size_t)i * MAX_FRAME, frame_len(first + i) };
		frame_fill(buf + (size_t)i * MAX_FRAME, first + i);
		CU_ASSERT_EQUAL_FATAL(pvnet_fe_send(fe, &seg, 1, tx_count, done), 0);
	}
	pvnet_fe_kick(fe);
	CU_ASSERT_TRUE_FATAL(EVENTUALLY(cq_ready(&fe->rx) == depth && cq_ready(&fe->tx) == depth));
}

/* A loop NIC attached with cfg (8 RX buffers), and room for 9 frames to send. */
static uint8_t *small_loop_nic(struct pv_host *h, struct pvnet_fe *fe,
			       const struct pvnet_fe_config *cfg)
{
	uint8_t *buf;

	host_with_nic(h, "loop", 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(h, fe, 0, cfg), 0);
	buf = pv_host_alloc(h, 9 * MAX_FRAME);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The grace before hv drops is PVNET_RX_STARVE_MS of dryness since the last
 * buffer hv took, not since the first time the ring ran dry: a ring that
 * runs dry, is refilled and runs dry again within the grace starts a grace
 * of its own.  A frame that arrives then waits; it is dropped only after a
 * whole grace measured from the second dry spell.
 */
static void test_rx_grace_restarts(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 8, 64, POLL, POLL, 0, rx_check, &log };
	struct pvnet_fe_seg seg;
	struct pv_host h;
	struct pvnet_fe fe;
	uint32_t done = 0;
	uint64_t dry, dropped_at;
	struct pvnet_back *n;
	uint8_t *buf;

	buf = small_loop_nic(&h, &fe, &cfg);
	n = h.nic[0];

	fill_rx_ring(&fe, buf, 0, 8, &done); /* dry: hv's grace timer runs */
	usleep(PVNET_RX_STARVE_MS * 1000 * 6 / 10);
	pvnet_fe_poll(&fe);
	pvnet_fe_arm_irqs(&fe); /* the buffers back, taken by hv ... */
	log = (struct rx_log){ .next = 100, .in_order = true };
	fill_rx_ring(&fe, buf, 100, 8, &done); /* ... and filled: dry again */
	dry = mono_ns();
	usleep(PVNET_RX_STARVE_MS * 1000 / 2); /* past the first grace, inside the second */
	seg = (struct pvnet_fe_seg){ buf + 8 * MAX_FRAME, frame_len(200) };
	frame_fill(buf + 8 * MAX_FRAME, 200);
	CU_ASSERT_EQUAL(pvnet_fe_send(&fe, &seg, 1, tx_count, &done), 0);
	pvnet_fe_kick(&fe);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&n->st.rx_dropped, __ATOMIC_ACQUIRE) == 1));
	dropped_at = mono_ns();
	CU_ASSERT_TRUE(dropped_at - dry >= PVNET_RX_STARVE_MS * 1000000ull);
	CU_ASSERT_EQUAL(n->st.rx_frames, 16);
	pv_host_destroy(&h);
}

/*
 * A guest that answers what it received rings once per turn: the RX
 * doorbell owed for the buffers it gave back goes with its TX doorbell,
 * which has hv take them too (the answer comes back into one of them).
 * With nothing to send, kick or arm rings the RX doorbell alone.
 */
static void test_one_doorbell_per_turn(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 8, 64, POLL, POLL, 0, rx_check, &log };
	struct pvnet_fe_seg seg;
	struct pv_host h;
	struct pvnet_fe fe;
	uint32_t done = 0;
	uint64_t bells;
	uint8_t *buf;

	buf = small_loop_nic(&h, &fe, &cfg);

	/* Every buffer filled: hv asked for a doorbell at the next one given back. */
	fill_rx_ring(&fe, buf, 0, 8, &done);
	bells = fe.st.notifies;
	CU_ASSERT_EQUAL(pvnet_fe_poll(&fe), 16);
	CU_ASSERT_EQUAL(log.frames, 8);
	CU_ASSERT_TRUE(fe.rx_bell);
	CU_ASSERT_EQUAL(fe.st.notifies, bells); /* owed, not rung */
	seg = (struct pvnet_fe_seg){ buf + 8 * MAX_FRAME, frame_len(8) };
	frame_fill(buf + 8 * MAX_FRAME, 8);
	CU_ASSERT_EQUAL(pvnet_fe_send(&fe, &seg, 1, tx_count, &done), 0);
	pvnet_fe_kick(&fe);
	CU_ASSERT_EQUAL(fe.st.notifies, bells + 1);
	CU_ASSERT_FALSE(fe.rx_bell);
	/* hv took the buffers on the TX doorbell: the answer is back, never dropped. */
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe), log.frames == 9)));
	CU_ASSERT_EQUAL(h.nic[0]->st.rx_dropped, 0);

	/* Nothing to send: the kick rings RX's doorbell; then arm does. */
	log = (struct rx_log){ .next = 100, .in_order = true };
	fill_rx_ring(&fe, buf, 100, 8, &done);
	pvnet_fe_poll(&fe);
	bells = fe.st.notifies;
	pvnet_fe_kick(&fe);
	CU_ASSERT_EQUAL(fe.st.notifies, bells + 1);
	log = (struct rx_log){ .next = 200, .in_order = true };
	fill_rx_ring(&fe, buf, 200, 8, &done);
	pvnet_fe_poll(&fe);
	bells = fe.st.notifies;
	pvnet_fe_arm_irqs(&fe);
	CU_ASSERT_EQUAL(fe.st.notifies, bells + 1);
	CU_ASSERT_EQUAL(log.frames, 8);
	CU_ASSERT_EQUAL(log.bad, 0);
	CU_ASSERT_TRUE(log.in_order);
	pv_host_destroy(&h);
}

/* Writes a raw TX entry into the ring (as a hostile guest would) and kicks. */
static void raw_tx(struct pvnet_fe *fe, const struct hv_net_tx *t)
{
	struct hv_net_tx *slot = pv_ring_sq_slot(&fe->tx);

	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	*slot = *t;
	pv_ring_sq_push(&fe->tx);
	fe->tx_outstanding++;
	pvnet_fe_kick(fe);
}

/* The status of the next TX completion, taken raw (ids here are not the driver's). */
static uint32_t raw_txc(struct pv_host *h, struct pvnet_fe *fe, uint64_t want_id)
{
	const struct hv_net_txc *c;
	uint32_t status;

	(void)h;
	CU_ASSERT_TRUE_FATAL(EVENTUALLY((c = pv_ring_cq_peek(&fe->tx)) != NULL));
	CU_ASSERT_EQUAL(c->id, want_id);
	status = c->status;
	pv_ring_cq_pop(&fe->tx);
	fe->tx_outstanding--;
	return status;
}

/* Every malformed TX request gets BADREQ; a good one afterwards still goes out. */
static void test_hostile_tx(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, POLL, POLL, 0, rx_check, &log };
	struct pv_host h;
	struct pvnet_fe fe;
	uint8_t *buf;
	uint64_t pa;
	struct {
		const char *what;
		struct hv_net_tx t;
	} bad[] = {
		{ "no segments", { .nr_seg = 0 } },
		{ "16 segments", { .nr_seg = HV_NET_MAX_SEG + 1 } },
		{ "zero length", { .nr_seg = 1, .seg = { { 0, 0, 0 } } } },
		{ "outside RAM", { .nr_seg = 1, .seg = { { MEM, 64, 0 } } } },
		{ "straddling RAM's end", { .nr_seg = 1, .seg = { { MEM - 32, 64, 0 } } } },
		{ "wrapping", { .nr_seg = 1, .seg = { { ~0ull - 15, 64, 0 } } } },
		{ "runt", { .nr_seg = 1, .seg = { { 0, 13, 0 } } } },
		{ "over MTU", { .nr_seg = 2, .seg = { { 0, 1000, 0 }, { 0, 515, 0 } } } },
		{ "huge", { .nr_seg = 1, .seg = { { 0, 0xffffffffu, 0 } } } },
		{ "reserved", { .nr_seg = 1, .seg = { { 0, 64, 1 } } } },
		{ "offload flag", { .nr_seg = 1, .flags = HV_NET_TX_F_CSUM, .seg = { { 0, 64, 0 } } } },
		{ "csum fields", { .nr_seg = 1, .csum_start = 14, .seg = { { 0, 64, 0 } } } },
	};
	unsigned i;

	host_with_nic(&h, "loop", 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, 4096);
	pa = (uint64_t)(buf - h.vm->mem.host);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hv_net_tx t = bad[i].t;
		unsigned s;
		for (s = 0; s < HV_NET_MAX_SEG; s++)
			if (t.seg[s].len && t.seg[s].gpa == 0)
				t.seg[s].gpa = pa; /* in RAM, where only the named flaw is */
		t.id = 100 + i;
		raw_tx(&fe, &t);
		if (raw_txc(&h, &fe, 100 + i) != HV_NET_S_BADREQ)
			CU_FAIL(bad[i].what);
	}
	CU_ASSERT_EQUAL(h.nic[0]->st.tx_bad, sizeof(bad) / sizeof(bad[0]));
	CU_ASSERT_EQUAL(h.nic[0]->st.tx_frames, 0);
	CU_ASSERT_EQUAL(h.nic[0]->st.rx_frames, 0); /* nothing malformed reached the wire */
	/* A frame in 15 scattered pieces is fine. */
	{
		struct hv_net_tx t = { .id = 7, .nr_seg = HV_NET_MAX_SEG };
		for (i = 0; i < HV_NET_MAX_SEG; i++)
			t.seg[i] = (struct hv_net_seg){ pa + i * 100, 10 + i, 0 };
		raw_tx(&fe, &t);
		CU_ASSERT_EQUAL(raw_txc(&h, &fe, 7), HV_NET_S_OK);
	}
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe), log.frames == 1)));
	CU_ASSERT_EQUAL(h.nic[0]->st.tx_frames, 1);
	pv_host_destroy(&h);
}

/*
 * RX buffers hv must refuse: too small for a frame, outside RAM, wrapping,
 * over the NIC's own rings (hv would write frames over them).  Posted on a
 * raw RX queue, as a hostile guest would; each comes back BADREQ at once,
 * and the NIC then works with a proper driver.
 */
static void test_hostile_rx(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, POLL, POLL, 0, rx_check, &log };
	struct pv_host h;
	struct pvnet_fe fe;
	struct pv_ring r;
	struct hv_queue_setup *s;
	uint64_t s_pa, a[HC_NARGS] = { 1, 0 };
	struct hv_net_rxb bad[6];
	uint32_t i, badreq = 0;
	const struct hv_net_rxc *c;

	host_with_nic(&h, "loop", 0);
	CU_ASSERT_EQUAL_FATAL(pv_ring_alloc(&r, &h.os, 16, sizeof(struct hv_net_rxb), 16,
					    sizeof(struct hv_net_rxc), 0), 0);
	s = h.os.dma_alloc(h.os.ctx, sizeof(*s), &s_pa);
	*s = (struct hv_queue_setup){ .sq_gpa = r.sq_pa, .cq_gpa = r.cq_pa, .sq_size = 16,
				      .cq_size = 16, .queue = HV_NET_Q_RX };
	a[1] = s_pa;
	CU_ASSERT_EQUAL_FATAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), HV_NOTIFY_PORT_BASE);
	bad[0] = (struct hv_net_rxb){ r.sq_pa + 4096 * 4, MAX_FRAME - 1, 0 };  /* too small */
	bad[1] = (struct hv_net_rxb){ MEM - 512, MAX_FRAME, 1 };               /* past RAM */
	bad[2] = (struct hv_net_rxb){ ~0ull - 100, MAX_FRAME, 2 };             /* wraps */
	bad[3] = (struct hv_net_rxb){ r.sq_pa, MAX_FRAME, 3 };                  /* its SQ */
	bad[4] = (struct hv_net_rxb){ r.cq_pa - 64, MAX_FRAME, 4 };             /* its CQ */
	bad[5] = (struct hv_net_rxb){ r.sq_pa, HV_NET_MAX_FRAME + 1, 5 };       /* huge */
	for (i = 0; i < 6; i++) {
		*(struct hv_net_rxb *)pv_ring_sq_slot(&r) = bad[i];
		pv_ring_sq_push(&r);
	}
	CU_ASSERT_TRUE(pv_ring_sq_publish(&r)); /* hv asked for this doorbell */
	h.os.notify(h.os.ctx, HV_NOTIFY_PORT_BASE, 0);
	for (i = 0; i < 6; i++) {
		CU_ASSERT_TRUE_FATAL(EVENTUALLY((c = pv_ring_cq_peek(&r)) != NULL));
		CU_ASSERT_EQUAL(c->id, i);
		CU_ASSERT_EQUAL(c->len, 0);
		badreq += c->status == HV_NET_S_BADREQ;
		pv_ring_cq_pop(&r);
	}
	CU_ASSERT_EQUAL(badreq, 6);
	CU_ASSERT_EQUAL(h.nic[0]->st.rx_bad, 6);
	/* The same NIC, detached and given to the real driver, carries frames. */
	a[1] = HV_NET_Q_RX;
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	loop_frames(&h, &fe, &log, 40, 8);
	CU_ASSERT_EQUAL(log.frames, 40);
	CU_ASSERT_EQUAL(log.bad, 0);
	pv_host_destroy(&h);
}

/* A wild producer index breaks that queue only; the NIC's other queue and hv go on. */
static void test_wild_index(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, POLL, POLL, 0, rx_check, &log };
	struct pv_host h;
	struct pvnet_fe fe;

	host_with_nic(&h, "loop", 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	hv_ring_store_release(&fe.tx.sq->prod, fe.tx.sq->prod + 1000);
	h.os.notify(h.os.ctx, fe.tx_port, 0);
	CU_ASSERT_TRUE(EVENTUALLY(pvq_state(&h.nic[0]->txq) == PVQ_BROKEN));
	CU_ASSERT_EQUAL(pvq_state(&h.nic[0]->rxq), PVQ_ACTIVE);
	/* The broken queue can be detached and attached afresh. */
	CU_ASSERT_EQUAL(pvnet_fe_detach(&fe), 0);
	CU_ASSERT_EQUAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	loop_frames(&h, &fe, &log, 50, 8);
	CU_ASSERT_EQUAL(log.frames, 50);
	CU_ASSERT_EQUAL(log.bad, 0);
	pv_host_destroy(&h);
}

/*
 * The tap backend's code on a SOCK_SEQPACKET pair (one frame per message, as
 * a tap): frames the guest sends come out of the peer intact, frames written
 * into the peer arrive in the guest's buffers, both with no copy in hv.
 */
static void test_socketpair_as_tap(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 32, 64, RX_VEC, POLL, 0, rx_check, &log };
	struct net net = { 0 };
	const struct timeval limit = { .tv_sec = 5 }; /* a lost frame fails, never hangs */
	uint8_t *buf, got[MAX_FRAME + 8], want[MAX_FRAME];
	uint32_t done = 0, i, ok = 0;
	struct pv_host h;
	struct pvnet_fe fe;
	int sp[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	CU_ASSERT_EQUAL_FATAL(setsockopt(sp[1], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);
	CU_ASSERT_EQUAL_FATAL(net_tap_adopt(&net, sp[0], "sp"), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_add_nic_on(&h, &net), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_start(&h), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, 64 * MAX_FRAME);
	/*
	 * guest -> wire, in two pieces each, 8 frames a turn: a tap never blocks
	 * a write, but this socket does past net.unix.max_dgram_qlen (10)
	 * datagrams, and blocked writes finish in io_uring's workers in any order.
	 */
	for (i = 0; i < 64; i++) {
		uint8_t *p = buf + (size_t)i * MAX_FRAME;
		struct pvnet_fe_seg seg[2] = { { p, 10 }, { p + 10, frame_len(i) - 10 } };
		uint32_t j;

		frame_fill(p, i);
		CU_ASSERT_EQUAL(pvnet_fe_send(&fe, seg, 2, tx_count, &done), 0);
		if (i % 8 != 7)
			continue;
		pvnet_fe_kick(&fe);
		/*
		 * The turn's 8 frames, each once and intact, in any order: the
		 * writes that blocked finished in io_uring's workers.
		 */
		uint8_t seen = 0;
		for (j = 0; j < 8; j++) {
			ssize_t n = wire_recv(sp[1], got, sizeof(got));
			uint32_t k;

			if (n < 4)
				continue;
			memcpy(&k, got, 4);
			if (k < i - 7 || k > i || (seen & (1u << (k - (i - 7)))))
				continue;
			frame_fill(want, k);
			if (n == (ssize_t)frame_len(k) && !memcmp(got, want, (size_t)n)) {
				seen |= (uint8_t)(1u << (k - (i - 7)));
				ok++;
			}
		}
	}
	CU_ASSERT_EQUAL(ok, 64);
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe), done == 64)));
	/* wire -> guest */
	log = (struct rx_log){ .next = 500, .in_order = true };
	for (i = 500; i < 600; i++) {
		frame_fill(want, i);
		CU_ASSERT_EQUAL(send(sp[1], want, frame_len(i), 0), (ssize_t)frame_len(i));
	}
	while (log.frames < 100 && !h.wait_timeouts)
		pvnet_fe_wait(&fe, &fe.progress), fe.progress = 0;
	CU_ASSERT_EQUAL(log.frames, 100);
	CU_ASSERT_EQUAL(log.bad, 0);
	CU_ASSERT_TRUE(log.in_order);
	pv_host_destroy(&h); /* closes sp[0] */
	close(sp[1]);
}

/* Detach while receives wait on a quiet wire: hv cancels them, the detach completes. */
static void test_detach_quiet_wire(void)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, RX_VEC, POLL, 0, rx_check, &log };
	struct net net = { 0 };
	struct pv_host h;
	struct pvnet_fe fe;
	int sp[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	CU_ASSERT_EQUAL_FATAL(net_tap_adopt(&net, sp[0], "sp"), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_add_nic_on(&h, &net), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_start(&h), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	/* hv has taken its receive depth of buffers (they wait on the quiet wire). */
	CU_ASSERT_TRUE(EVENTUALLY(hv_ring_load_acquire(&fe.rx.sq->cons) == net_tap_ops.recv_depth));
	h.nic[0]->rxq.detach_timeout_ms = 3000;
	CU_ASSERT_EQUAL(pvnet_fe_detach(&fe), 0);
	CU_ASSERT_EQUAL(pvq_state(&h.nic[0]->rxq), PVQ_DETACHED);
	pv_host_destroy(&h);
	close(sp[1]);
}

/* The queue setups hv refuses for a NIC. */
static void test_attach_checks(void)
{
	struct pv_host h;
	struct hv_queue_setup *s;
	uint64_t pa, a[HC_NARGS] = { 1, 0 };

	host_with_nic(&h, "loop", 0);
	s = pv_host_alloc(&h, 4096);
	pa = (uint64_t)((uint8_t *)s - h.vm->mem.host);
	a[1] = pa;
	*s = (struct hv_queue_setup){ .sq_gpa = pa + 1024, .cq_gpa = pa + 2048, .sq_size = 4,
				      .cq_size = 4, .queue = 2 };
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), -HV_EINVAL); /* no queue 2 */
	s->queue = HV_NET_Q_RX;
	s->features = HV_NET_F_TX_CSUM;
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), -HV_EINVAL); /* not offered */
	s->features = 0;
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), HV_NOTIFY_PORT_BASE);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), -HV_EBUSY);
	s->queue = HV_NET_Q_TX;
	s->sq_gpa = pa + 3072 - 128;
	s->cq_gpa = pa + 4096 + 1024;
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a), HV_NOTIFY_PORT_BASE + 4);
	a[1] = 2;
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a), -HV_EINVAL);
	pv_host_destroy(&h);
}

/*
 * The loop backend, alone: a frame sent from memory that overlaps the
 * buffer it is received into (a guest may post them so) arrives whole, as
 * it was sent (found by fuzzing: the copy was a memcpy of overlapping ranges).
 */
static void op_ignore(struct ioeng_op *op, int res)
{
	(void)op, (void)res; /* ioeng_complete kept res in op->res */
}

static void test_loop_overlap(void)
{
	const struct net_spec spec = { .ops = &net_loop_ops };
	struct ioeng_op rx = { .cb = op_ignore }, tx = { .cb = op_ignore };
	uint8_t mem[3 * MAX_FRAME], want[100];
	struct iovec to = { mem + 7, MAX_FRAME }, from = { mem, sizeof(want) };
	struct ioeng e;
	struct net n;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 7);
	memcpy(want, mem, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(ioeng_init(&e, 8), 0);
	CU_ASSERT_EQUAL_FATAL(net_open(&n, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(net_recv(&e, &n, &to, 1, &rx), 0);
	CU_ASSERT_EQUAL(net_send(&e, &n, &from, 1, &tx), 0);
	CU_ASSERT_EQUAL(ioeng_run(&e, 0), 2);
	CU_ASSERT_EQUAL(rx.res, (int)sizeof(want));
	CU_ASSERT_EQUAL(memcmp(mem + 7, want, sizeof(want)), 0);
	net_close(&n);
	ioeng_exit(&e);
}

/*
 * A backend whose every receive ends at once with fake_res: a frame of that
 * many bytes, or that error; FAKE_FULL: it cannot even start (the engine
 * is full).  Only the I/O thread calls it, while the test waits.
 */
#define FAKE_FULL (-100000)
static int fake_res;

static int fake_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		     struct ioeng_op *op)
{
	(void)n, (void)cnt;
	if (fake_res == FAKE_FULL)
		return -EBUSY;
	if (fake_res > 0)
		memset(iov[0].iov_base, 0xab, (size_t)fake_res);
	ioeng_complete(e, op, fake_res);
	return 0;
}

/* The guest's driver got a receive buffer back with status (held, for a link down). */
static bool guest_saw(const struct pvnet_fe *fe, uint32_t status)
{
	return status == HV_NET_S_LINK_DOWN ? fe->st.rx_held > 0 : fe->st.rx_errors > 0;
}

/*
 * Each receive error the guest is told of is counted in --stats, by kind:
 * its counter reaches the buffers the guest got back with that status.
 */
static void rx_error_counted(int res, size_t counter, const char *name, uint32_t status)
{
	struct rx_log log = { .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, RX_VEC, POLL, 0, rx_check, &log };
	const struct net_spec spec = { .ops = &net_loop_ops };
	struct net_ops fake_ops = net_loop_ops;
	const struct pvnet_back_stats *st;
	char err[256], *line = NULL, want[64];
	struct pvnet_fe fe;
	struct pv_host h;
	struct net net;
	size_t len = 0;
	uint64_t n;
	FILE *f;

	fake_res = res;
	fake_ops.recv = fake_recv;
	CU_ASSERT_EQUAL_FATAL(net_open(&net, &spec, err, sizeof(err)), 0);
	net.ops = &fake_ops;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_add_nic_on(&h, &net), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_start(&h), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	st = &h.nic[0]->st;
	n = 0;
	/*
	 * hv counts an error before it publishes the buffer: wait for the
	 * guest's side too, or a poll just before the publish sees nothing.
	 */
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe),
				   (n = __atomic_load_n((const uint64_t *)((const char *)st + counter),
							__ATOMIC_ACQUIRE)) >= 3 &&
					   guest_saw(&fe, status))));
	/* The guest saw them all as errors of that status, no frame. */
	CU_ASSERT_EQUAL(log.frames, 0);
	CU_ASSERT_TRUE(guest_saw(&fe, status));
	/* None counted under another kind. */
	CU_ASSERT_EQUAL(__atomic_load_n(&st->rx_link_down, __ATOMIC_ACQUIRE) +
			__atomic_load_n(&st->rx_runts, __ATOMIC_ACQUIRE) +
			__atomic_load_n(&st->rx_errors, __ATOMIC_ACQUIRE) +
			__atomic_load_n(&st->rx_engine_full, __ATOMIC_ACQUIRE) -
			__atomic_load_n((const uint64_t *)((const char *)st + counter),
					__ATOMIC_ACQUIRE), 0);
	pvnet_fe_detach(&fe);
	/* And --stats says so. */
	f = open_memstream(&line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	vm_print_stats(f, h.vm);
	fclose(f);
	snprintf(want, sizeof(want), " %llu %s,",
		 (unsigned long long)__atomic_load_n((const uint64_t *)((const char *)st + counter),
						     __ATOMIC_ACQUIRE), name);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, want));
	if (!strstr(line, want))
		fprintf(stderr, "\n  no '%s' in: %s\n", want, line);
	free(line);
	pv_host_destroy(&h);
}

static void test_rx_errors_counted(void)
{
	rx_error_counted(10, offsetof(struct pvnet_back_stats, rx_runts), "runts",
			 HV_NET_S_IOERR);
	rx_error_counted(-EIO, offsetof(struct pvnet_back_stats, rx_errors), "errors",
			 HV_NET_S_IOERR);
	rx_error_counted(FAKE_FULL, offsetof(struct pvnet_back_stats, rx_engine_full),
			 "engine full", HV_NET_S_IOERR);
	/* A backend gone (a deleted tap): that receive, then every buffer posted after. */
	rx_error_counted(-ENODEV, offsetof(struct pvnet_back_stats, rx_link_down), "link down",
			 HV_NET_S_LINK_DOWN);
}

/* ---- the link follows the tap ----------------------------------------------------- */

/* One rtnetlink message about interface ifindex, as the kernel sends it. */
static void link_msg(int fd, uint16_t type, int ifindex, unsigned flags)
{
	const struct net_link_req m = {
		.h = { .nlmsg_len = sizeof(m), .nlmsg_type = type },
		.i = { .ifi_index = ifindex, .ifi_flags = flags },
	};

	CU_ASSERT_EQUAL(send(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
}

#define LOWER_UP 0x10000 /* IFF_LOWER_UP: the carrier */

/* What the messages say about one interface: the last word wins, others are ignored. */
static void test_link_parse(void)
{
	struct net_link_req m[3];
	struct {
		struct nlmsghdr h;
		int error;
	} e = { { sizeof(e), NLMSG_ERROR, 0, NET_LINK_SEQ, 0 }, -ENODEV };
	unsigned i;

	for (i = 0; i < 3; i++)
		m[i] = (struct net_link_req){ .h = { sizeof(m[i]), RTM_NEWLINK, 0, 0, 0 },
					      .i = { .ifi_index = 7 } };
	m[0].i.ifi_flags = IFF_UP | LOWER_UP;
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]), 7), NET_LINK_UP);
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]), 8), -1); /* another interface */
	m[0].i.ifi_flags = IFF_UP;                                 /* no carrier */
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]), 7), NET_LINK_DOWN);
	m[0].i.ifi_flags = LOWER_UP | IFF_RUNNING;                 /* set down */
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]), 7), NET_LINK_DOWN);
	/* Several in one read: the last about ifindex 7 counts. */
	m[1].i.ifi_flags = IFF_UP | LOWER_UP;
	m[2].i.ifi_index = 8;
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m), 7), NET_LINK_UP);
	m[2].h.nlmsg_type = RTM_DELLINK;
	m[2].i.ifi_index = 7;
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m), 7), NET_LINK_GONE);
	/* A message cut short still counts if its fixed part is whole; less is nothing. */
	m[0].h.nlmsg_len = 4096;
	m[0].i.ifi_flags = IFF_UP | LOWER_UP;
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]), 7), NET_LINK_UP);
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m[0]) - 1, 7), -1);
	m[0].h.nlmsg_len = 3; /* a length shorter than its header: the read ends */
	CU_ASSERT_EQUAL(net_link_parse(m, sizeof(m), 7), -1);
	CU_ASSERT_EQUAL(net_link_parse(m, 0, 7), -1);
	/* hv's own query refused: the interface no longer exists. */
	CU_ASSERT_EQUAL(net_link_parse(&e, sizeof(e), 7), NET_LINK_GONE);
	e.h.nlmsg_seq = 0; /* somebody else's */
	CU_ASSERT_EQUAL(net_link_parse(&e, sizeof(e), 7), -1);
}

static void count_event(void *ctx)
{
	__atomic_fetch_add((unsigned *)ctx, 1, __ATOMIC_ACQ_REL);
}

static void tx_status(void *arg, uint32_t status)
{
	*(uint32_t *)arg = status;
}

/* Sends frame n from buf and waits for its completion; its status. */
static uint32_t send_one(struct pvnet_fe *fe, uint8_t *buf, uint32_t n)
{
	struct pvnet_fe_seg seg = { buf, frame_len(n) };
	uint32_t status = UINT32_MAX;

	frame_fill(buf, n);
	CU_ASSERT_EQUAL(pvnet_fe_send(fe, &seg, 1, tx_status, &status), 0);
	pvnet_fe_kick(fe);
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(fe), status != UINT32_MAX)));
	return status;
}

/* Frame n came out of the wire end fd, intact (or nothing came: false). */
static bool wire_got(int fd, uint32_t n)
{
	uint8_t got[MAX_FRAME + 8], want[MAX_FRAME];
	ssize_t len = wire_recv(fd, got, sizeof(got));

	frame_fill(want, n);
	return len == (ssize_t)frame_len(n) && !memcmp(got, want, (size_t)len);
}

/*
 * The state machine on the real I/O thread: rtnetlink messages (from a
 * datagram socketpair standing in for the kernel's) take the link down and
 * up; the guest reads it with HV_HC_DEV_INFO, the link callback runs for
 * each change; while down TX completes LINK_DOWN and reaches no wire, RX
 * buffers wait; up again, frames flow both ways on the same queues; a
 * deleted tap is down for good.
 */
static void test_link_follows_tap(void)
{
	struct rx_log log = { .next = 100, .in_order = true };
	struct pvnet_fe_config cfg = { 16, 16, RX_VEC, 0, 0, rx_check, &log };
	const struct timeval limit = { .tv_sec = 5 };
	struct net net = { 0 };
	uint8_t *buf, want[MAX_FRAME];
	unsigned events = 0;
	struct pvnet_back *n;
	char *line = NULL;
	size_t len = 0;
	struct pv_host h;
	struct pvnet_fe fe;
	int sp[2], nl[2];
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, nl), 0);
	CU_ASSERT_EQUAL_FATAL(setsockopt(sp[1], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);
	CU_ASSERT_EQUAL_FATAL(net_tap_adopt(&net, sp[0], "sp"), 0);
	net_link_watch_fd(net.link, nl[0], 7);
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_add_nic_on(&h, &net), 0);
	n = h.nic[0];
	n->link_event = count_event;
	n->link_ctx = &events;
	CU_ASSERT_EQUAL_FATAL(pv_host_start(&h), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach_nic(&h, &fe, 0, &cfg), 0);
	buf = pv_host_alloc(&h, MAX_FRAME);
	CU_ASSERT_TRUE(pvnet_fe_link_up(&fe));
	CU_ASSERT_EQUAL(send_one(&fe, buf, 1), HV_NET_S_OK);
	CU_ASSERT_TRUE(wire_got(sp[1], 1));

	/* Another interface's news changes nothing; the tap without carrier is down. */
	link_msg(nl[1], RTM_NEWLINK, 8, 0);
	link_msg(nl[1], RTM_NEWLINK, 7, IFF_UP);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&events, __ATOMIC_ACQUIRE) == 1));
	CU_ASSERT_FALSE(pvnet_fe_link_up(&fe));
	CU_ASSERT_EQUAL(net.link->downs, 1);
	CU_ASSERT_EQUAL(send_one(&fe, buf, 2), HV_NET_S_LINK_DOWN);
	CU_ASSERT_EQUAL(recv(sp[1], want, sizeof(want), MSG_DONTWAIT), -1);
	/* RX buffers wait: none came back LINK_DOWN, hv still holds its receives. */
	CU_ASSERT_EQUAL(__atomic_load_n(&n->st.rx_link_down, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_EQUAL(fe.st.rx_held, 0);
	CU_ASSERT_EQUAL(hv_ring_load_acquire(&fe.rx.sq->cons), net_tap_ops.recv_depth);
	/* Set down too, then up with carrier: up, no reattach. */
	link_msg(nl[1], RTM_NEWLINK, 7, LOWER_UP);
	link_msg(nl[1], RTM_NEWLINK, 7, IFF_UP | LOWER_UP);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&events, __ATOMIC_ACQUIRE) == 2));
	CU_ASSERT_TRUE(pvnet_fe_link_up(&fe));
	CU_ASSERT_EQUAL(net.link->ups, 1);
	CU_ASSERT_EQUAL(send_one(&fe, buf, 3), HV_NET_S_OK);
	CU_ASSERT_TRUE(wire_got(sp[1], 3));
	frame_fill(want, 100);
	CU_ASSERT_EQUAL(send(sp[1], want, frame_len(100), 0), (ssize_t)frame_len(100));
	CU_ASSERT_TRUE(EVENTUALLY((pvnet_fe_poll(&fe), log.frames == 1)));
	CU_ASSERT_EQUAL(log.bad, 0);

	/* Deleted: down for good, whatever a later message says. */
	link_msg(nl[1], RTM_DELLINK, 7, 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&events, __ATOMIC_ACQUIRE) == 3));
	link_msg(nl[1], RTM_NEWLINK, 7, IFF_UP | LOWER_UP);
	CU_ASSERT_EQUAL(send_one(&fe, buf, 4), HV_NET_S_LINK_DOWN);
	CU_ASSERT_FALSE(pvnet_fe_link_up(&fe));
	CU_ASSERT_EQUAL(__atomic_load_n(&events, __ATOMIC_ACQUIRE), 3);
	CU_ASSERT_EQUAL(net.link->downs, 2);
	pvnet_fe_detach(&fe);
	iothread_stop(&h.vm->io); /* the counters are read at hv's end, as here */
	f = open_memstream(&line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	vm_print_stats(f, h.vm);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "pvnet0 (sp): link down;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "; 2 link downs, 1 link ups"));
	free(line);
	pv_host_destroy(&h); /* closes sp[0] and nl[0] */
	close(sp[1]);
	close(nl[1]);
}

/*
 * One table picks the backend by prefix; each owns its state, which its
 * close frees (frames the loop still holds: LeakSanitizer sees any left).
 */
static void test_backend_table(void)
{
	struct ioeng_op tx[3] = { { .cb = op_ignore }, { .cb = op_ignore }, { .cb = op_ignore } };
	uint8_t frame[60] = { 1 };
	struct iovec from = { frame, sizeof(frame) };
	struct net_spec spec;
	struct ioeng e;
	struct net n;
	char err[256];
	unsigned i;

	CU_ASSERT_EQUAL(net_parse_spec("--net", "tap:hv0,mac=02:00:00:00:00:01", &spec, err,
				       sizeof(err)), 0);
	CU_ASSERT_PTR_EQUAL(spec.ops, &net_tap_ops);
	CU_ASSERT_STRING_EQUAL(spec.ifname, "hv0");
	CU_ASSERT_TRUE(spec.mac_set);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loop", &spec, err, sizeof(err)), 0);
	CU_ASSERT_PTR_EQUAL(spec.ops, &net_loop_ops);
	CU_ASSERT_STRING_EQUAL(spec.ifname, "");
	CU_ASSERT_EQUAL(net_parse_spec("--net", "tap:hv0,tx-bps=10M,rx-pps=1K,mac=02:00:00:00:00:01,"
					"tx-bps-burst=64K", &spec, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(spec.mac_set);
	CU_ASSERT_EQUAL(spec.tx.bytes_per_s, 10ull << 20);
	CU_ASSERT_EQUAL(spec.tx.bytes_burst, 64ull << 10);
	CU_ASSERT_EQUAL(spec.rx.ops_per_s, 1024);
	CU_ASSERT_EQUAL(spec.rx.bytes_per_s, 0);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loop,tx-iops=5", &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loop,rx-bps=", &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loop,rx-pps-burst=5", &spec, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rx-pps-burst= needs rx-pps="));
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loopy", &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "tap:", &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "tap:0123456789abcdef", &spec, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 15 bytes"));

	CU_ASSERT_EQUAL_FATAL(ioeng_init(&e, 8), 0);
	CU_ASSERT_EQUAL(net_parse_spec("--net", "loop", &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(net_open(&n, &spec, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(n.priv);
	CU_ASSERT_STRING_EQUAL(n.name, "loop");
	for (i = 0; i < 3; i++) /* nobody receives: the loop keeps copies */
		CU_ASSERT_EQUAL(net_send(&e, &n, &from, 1, &tx[i]), 0);
	CU_ASSERT_EQUAL(ioeng_run(&e, 0), 3);
	net_close(&n);
	CU_ASSERT_PTR_NULL(n.priv);
	net_close(&n); /* twice is harmless */
	ioeng_exit(&e);
}

int suite_pvnet(void)
{
	static const CU_TestInfo t[] = {
		{ "loop: 3000 frames, RX interrupts", test_loop_irq },
		{ "loop: 3000 frames, polling", test_loop_poll },
		{ "loop: TX completion interrupts too", test_loop_tx_irq },
		{ "ring indices across 2^32", test_index_wrap },
		{ "I/O thread polling for work (--io-poll)", test_io_poll },
		{ "guest that never reposts RX buffers", test_rx_not_reposted },
		{ "RX grace restarts after a refill", test_rx_grace_restarts },
		{ "one doorbell per turn: RX's goes with TX's", test_one_doorbell_per_turn },
		{ "hostile TX requests", test_hostile_tx },
		{ "hostile RX buffers", test_hostile_rx },
		{ "wild ring index", test_wild_index },
		{ "socketpair as a tap, both ways", test_socketpair_as_tap },
		{ "detach with receives waiting", test_detach_quiet_wire },
		{ "attach checks", test_attach_checks },
		{ "loop: sent from memory overlapping the receive buffer", test_loop_overlap },
		{ "backends: one table by prefix, each closes its own state", test_backend_table },
		{ "rx errors (runt, host error, engine full, link down) counted in --stats",
		  test_rx_errors_counted },
		{ "link: what rtnetlink messages say about one interface", test_link_parse },
		{ "link follows the tap: down, up, gone; TX, RX and the event", test_link_follows_tap },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pvnet", t);
}
