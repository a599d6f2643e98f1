/*
 * nethostile PVDEV [--loop]: the guest attacks hv's PV NIC.  It takes the
 * NIC's queues from its driver and drives rings of its own, polled: TX
 * requests the protocol forbids (no or too many segments, segments empty,
 * outside RAM or wrapping, frames too short or too long, offload fields
 * without the feature) and RX buffers hv must refuse (too small, too big,
 * outside RAM, over the NIC's rings), each checked against the status and
 * id hv gives back; then each queue broken with a wild index (hv's --stats
 * shows both "broken").  Last it gives the driver fresh rings and proves
 * the NIC still sends.  With --loop (hv's --net loop) it also checks that
 * frames sent with no buffer posted are dropped (2000 of them: a guest that
 * never reposts), and that frames come back
 * intact into posted buffers (the valid one of 15 segments gathered whole),
 * before and after the attacks.
 */
#include "hv_net.h"
#include "hypercall.h"
#include "lib.h"
#include "lwip/pbuf.h"
#include "mm.h"
#include "netstack.h"
#include "netdev.h"
#include "programs.h"
#include "pv_os_guest.h"
#include "pvnet_fe.h"
#include "pvnet_glue.h"
#include "tally.h"

#define RAW_DEPTH 16
#define ANSWER_NS 2000000000ull /* hv answers a request within this, or never */
#define ST_TIMEOUT 0xffffu      /* no completion came */
#define ST_WRONG_ID 0xfffeu     /* a completion for another request */
#define NEVER_REPOSTED 2000     /* frames sent to a full RX ring: hv's --stats counts the drops */

/* The NIC's two queues, driven by hand. */
struct raw {
	uint32_t dev;
	uint16_t mtu;
	struct pv_ring rx, tx;
	uint16_t rx_port, tx_port;
	uint32_t next_id;
};

static const char *status_name(uint32_t st)
{
	if (st == ST_TIMEOUT)
		return "no answer";
	if (st == ST_WRONG_ID)
		return "wrong id";
	return pvnet_fe_status_name(st);
}

/* Attaches one queue on fresh polled rings; the notify port or -HV_E*. */
static int64_t attach(struct raw *r, struct pv_ring *ring, uint16_t queue)
{
	struct hv_queue_setup *s;
	uint64_t pa;
	int64_t port;

	s = pv_os_guest.dma_alloc(NULL, sizeof(*s), &pa);
	if (!s)
		return -HV_ENOMEM;
	*s = (struct hv_queue_setup){ .sq_gpa = ring->sq_pa, .cq_gpa = ring->cq_pa,
				      .sq_size = RAW_DEPTH, .cq_size = RAW_DEPTH, .queue = queue };
	port = hv_call2(HV_HC_QUEUE_ATTACH, r->dev, pa);
	pv_os_guest.dma_free(NULL, s, sizeof(*s));
	return port;
}

static int raw_open(struct raw *r)
{
	int64_t rx, tx;

	if (pv_ring_alloc(&r->rx, &pv_os_guest, RAW_DEPTH, sizeof(struct hv_net_rxb), RAW_DEPTH,
			  sizeof(struct hv_net_rxc), 0xfffffff0u) ||
	    pv_ring_alloc(&r->tx, &pv_os_guest, RAW_DEPTH, sizeof(struct hv_net_tx), RAW_DEPTH,
			  sizeof(struct hv_net_txc), 0xfffffff8u))
		return -HV_ENOMEM;
	rx = attach(r, &r->rx, HV_NET_Q_RX);
	tx = rx < 0 ? rx : attach(r, &r->tx, HV_NET_Q_TX);
	if (tx < 0)
		return (int)tx;
	r->rx_port = (uint16_t)rx;
	r->tx_port = (uint16_t)tx;
	return 0;
}

static void publish(struct pv_ring *ring, uint16_t port)
{
	if (pv_ring_sq_publish(ring))
		pv_os_guest.notify(NULL, port, 0);
}

/* The next completion on ring, copied into c, within ns; false if none came. */
static bool take(struct pv_ring *ring, void *c, uint32_t size, uint64_t ns)
{
	uint64_t deadline = net_now_ns() + ns;
	const void *e;

	while (!(e = pv_ring_cq_peek(ring))) {
		if (net_now_ns() > deadline)
			return false;
		net_idle(100000); /* hv's I/O thread may share our CPU */
	}
	hv_ring_copy_entry(c, e, size);
	pv_ring_cq_pop(ring);
	return true;
}

/* Sends req as it is (but its id) and returns the status hv answers. */
static uint32_t tx(struct raw *r, struct hv_net_tx *req)
{
	struct hv_net_txc c;

	req->id = ++r->next_id;
	*(struct hv_net_tx *)pv_ring_sq_slot(&r->tx) = *req;
	pv_ring_sq_push(&r->tx);
	publish(&r->tx, r->tx_port);
	if (!take(&r->tx, &c, sizeof(c), ANSWER_NS))
		return ST_TIMEOUT;
	return c.id == req->id ? c.status : ST_WRONG_ID;
}

static void post_rx(struct raw *r, uint64_t gpa, uint32_t len, uint32_t id)
{
	*(struct hv_net_rxb *)pv_ring_sq_slot(&r->rx) = (struct hv_net_rxb){ gpa, len, id };
	pv_ring_sq_push(&r->rx);
	publish(&r->rx, r->rx_port);
}

/* Posts a buffer hv must refuse; the status it answers (with len 0, or ST_WRONG_ID). */
static uint32_t bad_rx(struct raw *r, uint64_t gpa, uint32_t len)
{
	struct hv_net_rxc c;
	uint32_t id = ++r->next_id;

	post_rx(r, gpa, len, id);
	do /* a good buffer posted earlier may be answered first: it is not this check's */
		if (!take(&r->rx, &c, sizeof(c), ANSWER_NS))
			return ST_TIMEOUT;
	while (c.id < id && c.status == HV_NET_S_OK);
	if (c.id != id || c.len)
		return ST_WRONG_ID;
	return c.status;
}

/* A frame of len bytes to ourselves at frame: the first 6 bytes our MAC, then a pattern. */
static void fill_frame(uint8_t *frame, const uint8_t mac[6], unsigned len, uint8_t seed)
{
	unsigned i;

	memcpy(frame, mac, 6);
	for (i = 6; i < len; i++)
		frame[i] = (uint8_t)(seed + i * 7);
}

/* --loop: a valid frame into a posted buffer, compared byte for byte. */
static bool loop_frame(struct raw *r, uint8_t *out, uint8_t *in, const uint8_t mac[6])
{
	struct hv_net_tx req = { .nr_seg = 1 };
	struct hv_net_rxc c;
	uint32_t id = ++r->next_id;

	fill_frame(out, mac, 200, 0x33);
	memset(in, 0, 2048);
	post_rx(r, (uint64_t)(uintptr_t)in, (uint32_t)r->mtu + HV_NET_ETH_HLEN, id);
	req.seg[0] = (struct hv_net_seg){ (uint64_t)(uintptr_t)out, 200, 0 };
	return tx(r, &req) == HV_NET_S_OK && take(&r->rx, &c, sizeof(c), ANSWER_NS) &&
	       c.id == id && c.status == HV_NET_S_OK && c.len == 200 && !memcmp(in, out, 200);
}

static void tx_attacks(struct tally *t, struct raw *r, uint64_t mem, uint64_t pa)
{
	struct hv_net_tx q;
	unsigned i;

#define TX(what, n_, ...)                                                                   \
	(q = (struct hv_net_tx){ .nr_seg = (n_), .seg = { __VA_ARGS__ } },                   \
	 tally_status(t, what, tx(r, &q), HV_NET_S_BADREQ, status_name))
	TX("TX with no segments", 0);
	TX("TX with 16 segments", HV_NET_MAX_SEG + 1, { pa, 64, 0 });
	TX("TX with 65535 segments", 0xffff, { pa, 64, 0 });
	TX("TX zero-length segment", 2, { pa, 0, 0 }, { pa, 64, 0 });
	TX("TX segment outside guest RAM", 1, { mem, 64, 0 });
	TX("TX segment straddling the end of RAM", 1, { mem - 32, 64, 0 });
	TX("TX segment wrapping around 2^64", 1, { ~0ull - 31, 64, 0 });
	TX("TX segment at the 64 GiB MMIO base", 1, { HV_MMIO_BASE, 64, 0 });
	TX("TX segment with reserved bits set", 1, { pa, 64, 1 });
	TX("TX frame of 13 bytes", 1, { pa, 13, 0 });
	TX("TX frame of MTU + 15 bytes", 1, { pa, r->mtu + 15u, 0 });
#undef TX
	q = (struct hv_net_tx){ .nr_seg = HV_NET_MAX_SEG };
	for (i = 0; i < HV_NET_MAX_SEG; i++)
		q.seg[i] = (struct hv_net_seg){ pa + i * 128, 128, 0 };
	tally_status(t, "TX 15 segments over MTU + 14 in all", tx(r, &q), HV_NET_S_BADREQ,
		     status_name);
	q = (struct hv_net_tx){ .nr_seg = 1, .flags = HV_NET_TX_F_CSUM, .seg = { { pa, 64, 0 } } };
	tally_status(t, "TX checksum flag without the feature", tx(r, &q), HV_NET_S_BADREQ,
		     status_name);
	q = (struct hv_net_tx){ .nr_seg = 1, .csum_start = 14, .csum_offset = 16,
				.seg = { { pa, 64, 0 } } };
	tally_status(t, "TX checksum offsets without the feature", tx(r, &q), HV_NET_S_BADREQ,
		     status_name);
	q = (struct hv_net_tx){ .nr_seg = HV_NET_MAX_SEG };
	for (i = 0; i < HV_NET_MAX_SEG; i++)
		q.seg[i] = (struct hv_net_seg){ pa + i * 64, 60, 0 };
	tally_status(t, "TX valid frame of 15 segments", tx(r, &q), HV_NET_S_OK, status_name);
}

/*
 * --loop: the buffer for the valid frame of 15 segments among tx_attacks,
 * posted before them, so the frame never waits on a guest that may be
 * descheduled past hv's grace; its id.
 */
static uint32_t post_gather_buffer(struct raw *r, uint8_t *buf)
{
	uint8_t *in = buf + 4096;

	memset(in, 0, 2048);
	post_rx(r, (uint64_t)(uintptr_t)in, (uint32_t)r->mtu + HV_NET_ETH_HLEN, ++r->next_id);
	return r->next_id;
}

/* That frame came back into that buffer, gathered whole. */
static bool gathered_back(struct raw *r, const uint8_t *buf, uint32_t id)
{
	const uint8_t *in = buf + 4096;
	struct hv_net_rxc c;
	unsigned i;

	if (!take(&r->rx, &c, sizeof(c), ANSWER_NS) || c.id != id || c.status != HV_NET_S_OK ||
	    c.len != HV_NET_MAX_SEG * 60)
		return false;
	for (i = 0; i < HV_NET_MAX_SEG; i++)
		if (memcmp(in + i * 60, buf + i * 64, 60))
			return false;
	return true;
}

static void rx_attacks(struct tally *t, struct raw *r, uint64_t mem, uint64_t pa)
{
	uint32_t full = (uint32_t)r->mtu + HV_NET_ETH_HLEN;

#define RX(what, gpa, len) tally_status(t, what, bad_rx(r, gpa, len), HV_NET_S_BADREQ, status_name)
	RX("RX buffer of MTU + 13 bytes", pa, full - 1);
	RX("RX buffer over 64 KiB", pa, HV_NET_MAX_FRAME + 1);
	RX("RX buffer outside guest RAM", mem, full);
	RX("RX buffer straddling the end of RAM", mem - 64, full);
	RX("RX buffer wrapping around 2^64", ~0ull - 63, full);
	RX("RX buffer over its own submission ring", r->rx.sq_pa, full);
	RX("RX buffer over the RX completion ring", r->rx.cq_pa + 64, full);
	RX("RX buffer over the TX submission ring", r->tx.sq_pa, full);
	RX("RX buffer ending in the TX completion ring", r->tx.cq_pa - full + 1, full);
#undef RX
}

/* Lets hv's I/O thread see a doorbell: it is served asynchronously. */
static void settle(void)
{
	uint64_t end = net_now_ns() + 100000000ull;

	while (net_now_ns() < end)
		net_idle(end - net_now_ns());
}

/* Breaks both queues with wild indices; detaches them. */
static void break_rings(struct tally *t, struct raw *r, uint64_t pa)
{
	/* TX: a producer index 1000 entries past the ring. */
	__atomic_store_n(&r->tx.sq->prod, r->tx.sq_prod + 1000, __ATOMIC_RELEASE);
	pv_os_guest.notify(NULL, r->tx_port, 0);
	/* RX: a completion consumer index 1000 entries ahead of hv's, then a buffer. */
	__atomic_store_n(&r->rx.cq->cons, r->rx.cq_cons + 1000, __ATOMIC_RELEASE);
	post_rx(r, pa, (uint32_t)r->mtu + HV_NET_ETH_HLEN, 0);
	pv_os_guest.notify(NULL, r->rx_port, 0);
	settle();
	tally_true(t, "attaching over the broken TX queue is refused",
		   attach(r, &r->tx, HV_NET_Q_TX) == -HV_EBUSY);
	tally_true(t, "detach the broken TX queue",
		   hv_call2(HV_HC_QUEUE_DETACH, r->dev, HV_NET_Q_TX) == 0);
	tally_true(t, "detach the broken RX queue",
		   hv_call2(HV_HC_QUEUE_DETACH, r->dev, HV_NET_Q_RX) == 0);
	pv_ring_free(&r->rx, &pv_os_guest);
	pv_ring_free(&r->tx, &pv_os_guest);
}

/* The driver's NIC sends (and with loop, receives) one frame after it all. */
static void still_works(struct tally *t, struct netdev *d, bool loop, uint8_t *frame)
{
	uint64_t errors = d->st.tx_errors, rx = d->st.rx_frames;
	uint64_t deadline = net_now_ns() + ANSWER_NS;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, 60, PBUF_REF);

	tally_true(t, "the driver attaches fresh rings", pvnet_glue_attach(d) == 0);
	fill_frame(frame, d->mac, 60, 0x5a);
	if (!p) {
		tally_true(t, "a pbuf for the last frame", false);
		return;
	}
	p->payload = frame;
	tally_true(t, "the driver queues a frame", d->netif.linkoutput(&d->netif, p) == ERR_OK);
	pbuf_free(p);
	while ((netdev_tx_inflight(d) || (loop && d->st.rx_frames == rx)) &&
	       net_now_ns() < deadline)
		net_wait(deadline);
	tally_true(t, "hv sent it", !netdev_tx_inflight(d) && d->st.tx_errors == errors);
	if (loop)
		tally_true(t, "it came back", d->st.rx_frames > rx);
}

int cmd_nethostile(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct netdev *d = argc > 1 ? netdev_find(argv[1]) : NULL;
	bool loop = argc == 3 && !strcmp(argv[2], "--loop");
	struct tally t = { "nethostile", 0 };
	struct raw r = { 0 };
	uint32_t gather_id = 0;
	uint8_t *buf;
	uint64_t pa;

	if (!d || pvnet_glue_dev_index(d) == UINT32_MAX || (argc == 3 && !loop) || argc > 3) {
		printf("usage: nethostile PVDEV [--loop]   (pvnet devices; --loop: hv's --net loop)\n");
		return 2;
	}
	r.dev = pvnet_glue_dev_index(d);
	r.mtu = d->mtu;
	buf = (uint8_t *)(uintptr_t)pmm_alloc_contig(PAGES_FOR(2 * HV_NET_MAX_FRAME));
	if (!buf) {
		printf("nethostile: out of memory\n");
		return 1;
	}
	pa = (uint64_t)(uintptr_t)buf;
	tally_true(&t, "the driver lets go of its queues", pvnet_glue_detach(d) == 0);
	if (raw_open(&r)) {
		tally_true(&t, "attach rings of our own", false);
		printf("nethostile: %d failures\n", t.failures);
		return t.failures;
	}
	if (loop) {
		struct hv_net_tx q = { .nr_seg = 1, .seg = { { pa, 60, 0 } } };
		struct hv_net_rxc c;
		unsigned i, sent = 0;

		/* A guest that never reposts: hv drops and counts, never blocks or grows. */
		fill_frame(buf, d->mac, 60, 1);
		for (i = 0; i < NEVER_REPOSTED; i++)
			sent += tx(&r, &q) == HV_NET_S_OK;
		tally_true(&t, "2000 frames with no RX buffer posted are sent", sent == NEVER_REPOSTED);
		tally_true(&t, "... and dropped (nothing arrives)",
			   !take(&r.rx, &c, sizeof(c), ANSWER_NS / 4));
		tally_true(&t, "a frame comes back into a posted buffer",
			   loop_frame(&r, buf, buf + 4096, d->mac));
	}
	if (loop)
		gather_id = post_gather_buffer(&r, buf);
	tx_attacks(&t, &r, bi->mem_size, pa);
	if (loop)
		tally_true(&t, "the frame of 15 segments comes back whole",
			   gathered_back(&r, buf, gather_id));
	rx_attacks(&t, &r, bi->mem_size, pa);
	if (loop)
		tally_true(&t, "after the attacks a frame still comes back",
			   loop_frame(&r, buf, buf + 4096, d->mac));
	break_rings(&t, &r, pa);
	still_works(&t, d, loop, buf);
	pmm_free_contig(pa, PAGES_FOR(2 * HV_NET_MAX_FRAME));
	printf("nethostile: %d failures\n", t.failures);
	return t.failures;
}
