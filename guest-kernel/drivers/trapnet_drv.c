/*
 * Driver for hv's trap-and-emulate NIC (trapnet_drv.h): one frame each way
 * at a time, through one transmit and one receive buffer of the driver's,
 * completion by interrupt.  Every register access is a trapped MMIO exit:
 * that cost is what the trap path measures against PV, so the driver
 * touches only what it must (the buffer addresses and the receive length
 * are programmed once: the controller latches them at each command).
 */
#include "trapnet_drv.h"

#include "apic.h"
#include "boot_args.h"
#include "hv_trapnet.h"
#include "lib.h"
#include "lwip/pbuf.h"
#include "mm.h"
#include "mmio.h"
#include "netstack.h"
#include "netdev.h"
#include "pv_os.h"
#include "trap.h"

#define TX_WAIT_NS 2000000000ull /* a send still busy after this long: drop the next */

struct trapnet_drv {
	struct netdev nd;
	volatile uint8_t *regs;
	uint32_t vector;
	uint8_t *tx_buf, *rx_buf; /* one frame each, MTU + 14 bytes */
	uint32_t buf_len;
	bool tx_busy;             /* a send is in the controller */
	bool rx_posted;           /* the receive buffer is the controller's */
	volatile int irq;         /* an interrupt came: ISR not read yet */
	uint64_t spurious;
};

/* The controllers found. */
static struct {
	struct trapnet_drv dev[HV_MAX_NICS_PER_KIND];
	unsigned n;
} ctls;

static bool on_irq(struct trap_frame *f, void *ctx)
{
	struct trapnet_drv *t = ctx;

	/* lwIP runs only in the loop: the handler notes the interrupt, no register read. */
	(void)f;
	t->irq = 1;
	netdev_irq(&t->nd);
	apic_eoi();
	return true;
}

static void post_rx(struct trapnet_drv *t)
{
	mmio_wr32(t->regs, HV_TRAPNET_R_RX_CMD, HV_TRAPNET_CMD_POST);
	t->rx_posted = true;
}

/* A frame is in the receive buffer (or the receive failed): hand it up, post again. */
static void take_rx(struct trapnet_drv *t)
{
	uint32_t st = mmio_rd32(t->regs, HV_TRAPNET_R_RX_STATUS) & 0xff;

	t->rx_posted = false;
	if (st == HV_NET_S_OK) {
		uint32_t len = mmio_rd32(t->regs, HV_TRAPNET_R_RX_FRAME);

		if (len >= HV_NET_MIN_FRAME && len <= t->buf_len)
			netdev_rx_frame(&t->nd, t->rx_buf, len);
		else
			t->nd.st.rx_dropped++;
	}
	/* With the link down every post fails at once: wait for ISR.LINK instead. */
	if (st != HV_NET_S_LINK_DOWN)
		post_rx(t);
}

static unsigned trap_poll(struct netdev *d)
{
	struct trapnet_drv *t = d->priv;
	uint32_t isr;
	unsigned n = 0;

	bool irq = t->irq;

	/*
	 * Reading ISR costs an exit: only after an interrupt, or after a wait
	 * that no interrupt ended while the controller holds a command of ours
	 * (its interrupt may have been lost).
	 */
	if (!irq && !(d->look && (t->tx_busy || t->rx_posted)))
		return 0;
	t->irq = 0;
	d->look = false;
	isr = mmio_rd32(t->regs, HV_TRAPNET_R_ISR);
	if (!isr) {
		t->spurious += irq;
		return 0;
	}
	if (!irq)
		d->st.recovered++;
	mmio_wr32(t->regs, HV_TRAPNET_R_ISR, isr); /* acknowledge before reading what it says */
	if (isr & HV_TRAPNET_INT_TX) {
		if ((mmio_rd32(t->regs, HV_TRAPNET_R_TX_STATUS) & 0xff) != HV_NET_S_OK)
			d->st.tx_errors++;
		t->tx_busy = false;
		n++;
	}
	if (isr & HV_TRAPNET_INT_RX) {
		take_rx(t);
		n++;
	}
	if (isr & HV_TRAPNET_INT_LINK) {
		netdev_link_changed(d);
		if (!t->rx_posted && netif_is_link_up(&d->netif))
			post_rx(t);
	}
	return n;
}

/* One frame at a time: waits for the previous send's interrupt (taking receives meanwhile). */
static bool wait_tx_idle(struct trapnet_drv *t)
{
	uint64_t deadline = 0, start = net_now_ns();

	while (t->tx_busy) {
		/* No interrupt for this long: look at ISR anyway (a lost one). */
		t->nd.look |= net_now_ns() - start >= PV_OS_WAIT_TIMEOUT_NS;
		if (trap_poll(&t->nd))
			continue;
		if (!deadline)
			deadline = net_now_ns() + TX_WAIT_NS;
		else if (net_now_ns() > deadline)
			return false;
		net_idle(1000000); /* until the interrupt: the timer only bounds a lost one */
	}
	return true;
}

static err_t trap_send(struct netdev *d, struct pbuf *p)
{
	struct trapnet_drv *t = d->priv;

	if (p->tot_len > t->buf_len)
		return ERR_ARG;
	if (!wait_tx_idle(t))
		return ERR_IF;
	/* Simple DMA hardware takes one contiguous buffer: the one copy of this path. */
	pbuf_copy_partial(p, t->tx_buf, p->tot_len, 0);
	mmio_wr32(t->regs, HV_TRAPNET_R_TX_LEN, p->tot_len);
	mmio_wr32(t->regs, HV_TRAPNET_R_TX_CMD, HV_TRAPNET_CMD_SEND);
	t->tx_busy = true;
	return ERR_OK;
}

static void trap_kick(struct netdev *d)
{
	(void)d; /* the TX_CMD write already started it: hardware has no batching */
}

static bool trap_arm_irq(struct netdev *d)
{
	/* IER stays enabled: every event interrupts; nothing to arm. */
	return ((struct trapnet_drv *)d->priv)->irq;
}

static unsigned trap_tx_inflight(struct netdev *d)
{
	return ((struct trapnet_drv *)d->priv)->tx_busy;
}

static bool trap_link_up(struct netdev *d)
{
	return mmio_rd32(((struct trapnet_drv *)d->priv)->regs, HV_TRAPNET_R_LINK) & 1;
}

static void trap_info(struct netdev *d, char *buf, unsigned len)
{
	struct trapnet_drv *t = d->priv;

	snprintf(buf, len, "MMIO 0x%lx, vector %u, one frame each way at a time",
		 (uint64_t)(uintptr_t)t->regs, t->vector);
}

static const struct netdev_ops trap_ops = {
	trap_send, trap_kick, trap_poll, trap_arm_irq, trap_tx_inflight, trap_link_up, trap_info,
};

/* Maps and checks the register window; false (and a message) if it is no trap NIC. */
static bool find_regs(struct trapnet_drv *t, const struct hv_dev_desc *desc)
{
	if (paging_map_mmio(desc->base, desc->len)) {
		printf("trapnet: %s: cannot map its registers\n", t->nd.name);
		return false;
	}
	t->regs = (volatile uint8_t *)(uintptr_t)desc->base;
	if (mmio_rd32(t->regs, HV_TRAPNET_R_MAGIC) != HV_TRAPNET_MAGIC ||
	    mmio_rd32(t->regs, HV_TRAPNET_R_VERSION) != HV_TRAPNET_VERSION) {
		printf("trapnet: %s: no controller (version %u) at 0x%lx\n", t->nd.name,
		       HV_TRAPNET_VERSION, desc->base);
		return false;
	}
	t->vector = mmio_rd32(t->regs, HV_TRAPNET_R_VECTOR);
	if (t->vector != desc->irq || t->vector < 32 || t->vector > 254) {
		printf("trapnet: %s: bad interrupt vector %u\n", t->nd.name, t->vector);
		return false;
	}
	return true;
}

void trapnet_drv_probe(const struct boot_args *b)
{
	const struct hv_dev_desc *desc;
	uint32_t i;

	for (i = 0; (desc = boot_args_dev(b, HV_DEV_TRAPNET, &i)); i++) {
		struct trapnet_drv *t;
		uint32_t lo, hi, mtu;

		if (!boot_args_dev_fits(desc, ctls.n, HV_MAX_NICS_PER_KIND, "trapnet", "trap NICs"))
			continue;
		t = &ctls.dev[ctls.n];
		memset(t, 0, sizeof(*t));
		snprintf(t->nd.name, sizeof(t->nd.name), "trapnet%u", desc->index);
		if (!find_regs(t, desc))
			continue;
		lo = mmio_rd32(t->regs, HV_TRAPNET_R_MAC_LO);
		hi = mmio_rd32(t->regs, HV_TRAPNET_R_MAC_HI);
		mtu = mmio_rd32(t->regs, HV_TRAPNET_R_MTU);
		if (mtu < 68 || mtu > HV_NET_MAX_FRAME - HV_NET_ETH_HLEN) {
			printf("trapnet: %s: bad MTU %u\n", t->nd.name, mtu);
			continue;
		}
		t->buf_len = mtu + HV_NET_ETH_HLEN;
		t->tx_buf = (uint8_t *)(uintptr_t)pmm_alloc_contig(PAGES_FOR(t->buf_len));
		t->rx_buf = (uint8_t *)(uintptr_t)pmm_alloc_contig(PAGES_FOR(t->buf_len));
		if (!t->tx_buf || !t->rx_buf) {
			printf("trapnet: %s: out of memory\n", t->nd.name);
			continue;
		}
		t->nd.path = "trap";
		t->nd.mac[0] = (uint8_t)lo, t->nd.mac[1] = (uint8_t)(lo >> 8);
		t->nd.mac[2] = (uint8_t)(lo >> 16), t->nd.mac[3] = (uint8_t)(lo >> 24);
		t->nd.mac[4] = (uint8_t)hi, t->nd.mac[5] = (uint8_t)(hi >> 8);
		t->nd.mtu = (uint16_t)mtu;
		t->nd.rx_depth = 1;
		t->nd.ops = &trap_ops;
		t->nd.priv = t;
		/* Addresses and the receive length once: each command latches them. */
		mmio_wr64(t->regs, HV_TRAPNET_R_TX_ADDR, (uint64_t)(uintptr_t)t->tx_buf); /* 1:1 */
		mmio_wr64(t->regs, HV_TRAPNET_R_RX_ADDR, (uint64_t)(uintptr_t)t->rx_buf);
		mmio_wr32(t->regs, HV_TRAPNET_R_RX_LEN, t->buf_len);
		trap_set_handler(t->vector, on_irq, t);
		mmio_wr32(t->regs, HV_TRAPNET_R_IER,
			  HV_TRAPNET_INT_TX | HV_TRAPNET_INT_RX | HV_TRAPNET_INT_LINK);
		ctls.n++;
		if (netdev_register(&t->nd)) {
			printf("trapnet: %s: lwIP refused the interface\n", t->nd.name);
			mmio_wr32(t->regs, HV_TRAPNET_R_IER, 0);
			ctls.n--;
			continue;
		}
		if (netif_is_link_up(&t->nd.netif))
			post_rx(t);
	}
}
