/* PV NIC front end: RX buffers kept posted, TX frames from the caller's memory. */
#include "pvnet_fe.h"

#define NO_SLOT 0xffffffffu

static bool depth_ok(uint32_t n)
{
	return hv_ring_size_ok(n) && n <= PVNET_FE_MAX_DEPTH;
}

/* Hands RX buffer id (back) to hv: it is not visible until the ring is published. */
static void post_rx(struct pvnet_fe *n, uint32_t id)
{
	struct hv_net_rxb *b = pv_ring_sq_slot(&n->rx);

	/* Never full: a buffer comes back only after hv took its slot. */
	*b = (struct hv_net_rxb){ .gpa = n->rx_bufs_pa + (uint64_t)id * n->buf_len,
				  .len = n->buf_len, .id = id };
	pv_ring_sq_push(&n->rx);
}

static void notify(struct pvnet_fe *n, struct pv_ring *r, uint16_t port)
{
	n->st.notifies++;
	n->os->notify(n->os->ctx, port, r->sq_prod);
}

static void publish(struct pvnet_fe *n, struct pv_ring *r, uint16_t port)
{
	if (pv_ring_sq_publish(r))
		notify(n, r, port);
}

/*
 * Reposted RX buffers are published at once, but the doorbell hv asked for
 * waits for the next kick, arm_irqs, poll or wait: a TX doorbell has hv take
 * new RX buffers too (PROTOCOL.md), so a guest that answers what it received
 * rings once, not twice.
 */
static void publish_rx_deferred(struct pvnet_fe *n)
{
	if (pv_ring_sq_publish(&n->rx))
		n->rx_bell = true;
}

static void ring_rx_bell(struct pvnet_fe *n)
{
	if (n->rx_bell) {
		n->rx_bell = false;
		notify(n, &n->rx, n->rx_port);
	}
}

static void free_all(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;

	if (n->rx_bufs)
		os->dma_free(os->ctx, n->rx_bufs, (size_t)n->rx_depth * n->buf_len);
	n->rx_bufs = 0;
	pv_ring_free(&n->rx, os);
	pv_ring_free(&n->tx, os);
}

int pvnet_fe_init(struct pvnet_fe *n, const struct pv_os *os, uint32_t dev_index,
		  const struct hv_dev_desc *desc, const struct pvnet_fe_config *cfg)
{
	int64_t rx_port, tx_port;
	uint32_t i;
	int rc;

	if (desc->type != HV_DEV_PVNET || !depth_ok(cfg->rx_size) || !depth_ok(cfg->tx_size) ||
	    !cfg->rx)
		return -HV_EINVAL;
	*n = (struct pvnet_fe){ 0 };
	n->os = os;
	n->dev_index = dev_index;
	n->unit = desc->index;
	for (i = 0; i < 6; i++)
		n->mac[i] = desc->cfg.net.mac[i];
	n->mtu = desc->cfg.net.mtu ? desc->cfg.net.mtu : HV_NET_DEFAULT_MTU;
	n->rx_fn = cfg->rx;
	n->rx_arg = cfg->rx_arg;
	n->rx_polled = cfg->rx_msix == HV_MSIX_NONE;
	n->tx_polled = cfg->tx_msix == HV_MSIX_NONE;
	/* Whole cache lines per buffer, so no two buffers share one. */
	n->buf_len = (n->mtu + HV_NET_ETH_HLEN + 63u) & ~63u;
	n->rx_depth = cfg->rx_size;
	n->tx_depth = cfg->tx_size;
	rc = pv_ring_alloc(&n->rx, os, cfg->rx_size, sizeof(struct hv_net_rxb), cfg->rx_size,
			   sizeof(struct hv_net_rxc), cfg->start_index);
	if (!rc)
		rc = pv_ring_alloc(&n->tx, os, cfg->tx_size, sizeof(struct hv_net_tx),
				   cfg->tx_size, sizeof(struct hv_net_txc), cfg->start_index);
	if (!rc) {
		n->rx_bufs = os->dma_alloc(os->ctx, (size_t)n->rx_depth * n->buf_len,
					   &n->rx_bufs_pa);
		rc = n->rx_bufs ? 0 : -HV_ENOMEM;
	}
	if (rc) {
		free_all(n);
		return rc;
	}
	for (i = 0; i < n->tx_depth; i++)
		n->tx_slot[i].next_free = i + 1 < n->tx_depth ? i + 1 : NO_SLOT;
	/*
	 * Buffers are pushed now but published only after the attach: hv takes
	 * the rings as empty at attach and would never look at them otherwise.
	 */
	for (i = 0; i < n->rx_depth; i++)
		post_rx(n, i);
	rx_port = pv_ring_attach(&n->rx, os, dev_index, HV_NET_Q_RX, cfg->rx_msix);
	if (rx_port < 0) {
		free_all(n);
		return (int)rx_port;
	}
	tx_port = pv_ring_attach(&n->tx, os, dev_index, HV_NET_Q_TX, cfg->tx_msix);
	if (tx_port < 0) {
		os->hypercall(os->ctx, HV_HC_QUEUE_DETACH, dev_index, HV_NET_Q_RX);
		free_all(n);
		return (int)tx_port;
	}
	n->rx_port = (uint16_t)rx_port;
	n->tx_port = (uint16_t)tx_port;
	publish(n, &n->rx, n->rx_port);
	return 0;
}

int pvnet_fe_detach(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;
	int64_t rc = os->hypercall(os->ctx, HV_HC_QUEUE_DETACH, n->dev_index, HV_NET_Q_RX);
	uint32_t i;

	if (!rc)
		rc = os->hypercall(os->ctx, HV_HC_QUEUE_DETACH, n->dev_index, HV_NET_Q_TX);
	if (rc)
		return (int)rc;
	/* hv dropped their completions: their buffers are the callers' again. */
	for (i = 0; i < n->tx_depth; i++)
		if (n->tx_slot[i].busy) {
			n->tx_slot[i].busy = false;
			if (n->tx_slot[i].fn)
				n->tx_slot[i].fn(n->tx_slot[i].arg, HV_NET_S_LINK_DOWN);
		}
	free_all(n);
	n->tx_outstanding = 0;
	return 0;
}

int pvnet_fe_send(struct pvnet_fe *n, const struct pvnet_fe_seg *seg, unsigned nr,
		  pvnet_fe_tx_fn fn, void *arg)
{
	const struct pv_os *os = n->os;
	uint64_t flags, total = 0;
	struct hv_net_tx *t;
	uint32_t tag;
	unsigned i;

	if (nr == 0 || nr > HV_NET_MAX_SEG)
		return -HV_EINVAL;
	for (i = 0; i < nr; i++)
		total += seg[i].len;
	if (total < HV_NET_MIN_FRAME || total > (uint64_t)n->mtu + HV_NET_ETH_HLEN)
		return -HV_EINVAL;
	flags = os->irq_save(os->ctx);
	tag = n->tx_free;
	/* Never more in flight than completion slots: hv relies on it. */
	t = tag == NO_SLOT ? 0 : pv_ring_sq_slot(&n->tx);
	if (!t) {
		os->irq_restore(os->ctx, flags);
		return -HV_EAGAIN;
	}
	n->tx_free = n->tx_slot[tag].next_free;
	n->tx_slot[tag] = (struct pvnet_fe_tx_slot){ fn, arg, NO_SLOT, true };
	n->tx_outstanding++;
	*t = (struct hv_net_tx){ .id = tag, .nr_seg = (uint16_t)nr };
	for (i = 0; i < nr; i++) {
		t->seg[i].gpa = os->virt_to_phys(os->ctx, seg[i].p);
		t->seg[i].len = seg[i].len;
	}
	pv_ring_sq_push(&n->tx);
	n->st.tx_frames++;
	n->st.tx_bytes += total;
	os->irq_restore(os->ctx, flags);
	return 0;
}

void pvnet_fe_kick(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;
	uint64_t flags = os->irq_save(os->ctx);

	if (pv_ring_sq_publish(&n->tx)) {
		n->rx_bell = false; /* hv takes RX buffers on this one too */
		notify(n, &n->tx, n->tx_port);
	}
	ring_rx_bell(n);
	os->irq_restore(os->ctx, flags);
}

/* Received frames: each to the callback, its buffer straight back to hv. */
static unsigned take_rx(struct pvnet_fe *n)
{
	struct hv_net_rxc c;
	unsigned count = 0;

	while (pv_ring_cq_take(&n->rx, &c, sizeof(c))) {
		count++;
		if (c.id >= n->rx_depth) {
			n->st.bogus_cpl++;
			continue;
		}
		if (c.status == HV_NET_S_OK && c.len >= HV_NET_MIN_FRAME && c.len <= n->buf_len) {
			n->st.rx_frames++;
			n->st.rx_bytes += c.len;
			n->rx_fn(n->rx_arg, n->rx_bufs + (uint64_t)c.id * n->buf_len, c.len);
		} else {
			n->st.rx_errors++;
		}
		/* With the link down hv would answer at once again: keep it until a re-init. */
		if (c.status == HV_NET_S_LINK_DOWN)
			n->st.rx_held++;
		else
			post_rx(n, c.id);
	}
	if (count)
		publish_rx_deferred(n);
	return count;
}

/* TX completions: the frame's buffers are the caller's again. */
static unsigned take_tx(struct pvnet_fe *n)
{
	struct hv_net_txc c;
	unsigned count = 0;

	while (pv_ring_cq_take(&n->tx, &c, sizeof(c))) {
		struct pvnet_fe_tx_slot *s;

		if (c.id >= n->tx_depth || !n->tx_slot[c.id].busy) {
			n->st.bogus_cpl++;
			continue;
		}
		s = &n->tx_slot[c.id];
		s->busy = false;
		s->next_free = n->tx_free;
		n->tx_free = (uint32_t)c.id;
		n->tx_outstanding--;
		if (c.status != HV_NET_S_OK)
			n->st.tx_errors++;
		if (s->fn)
			s->fn(s->arg, c.status);
		count++;
	}
	return count;
}

unsigned pvnet_fe_poll(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;
	uint64_t flags = os->irq_save(os->ctx);
	unsigned count;

	ring_rx_bell(n); /* the last turn's: nobody kicked since */
	count = take_rx(n) + take_tx(n);
	if (count)
		n->progress = 1;
	os->irq_restore(os->ctx, flags);
	return count;
}

bool pvnet_fe_arm_irqs(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;
	uint64_t flags = os->irq_save(os->ctx);
	bool raced = false;

	ring_rx_bell(n);
	os->irq_restore(os->ctx, flags);

	if (!n->rx_polled)
		raced |= pv_ring_cq_arm_irq(&n->rx);
	if (!n->tx_polled)
		raced |= pv_ring_cq_arm_irq(&n->tx);
	return raced;
}

void pvnet_fe_rx_interrupt(struct pvnet_fe *n)
{
	n->st.rx_interrupts++;
	do
		pvnet_fe_poll(n);
	while (pv_ring_cq_arm_irq(&n->rx));
}

void pvnet_fe_tx_interrupt(struct pvnet_fe *n)
{
	n->st.tx_interrupts++;
	do
		pvnet_fe_poll(n);
	while (pv_ring_cq_arm_irq(&n->tx));
}

void pvnet_fe_wait(struct pvnet_fe *n, const volatile int *flag)
{
	if (n->rx_polled && n->tx_polled) {
		pvnet_fe_poll(n);
	} else {
		uint64_t flags = n->os->irq_save(n->os->ctx);

		ring_rx_bell(n);
		n->os->irq_restore(n->os->ctx, flags);
		n->os->wait(n->os->ctx, flag);
	}
}

bool pvnet_fe_link_up(struct pvnet_fe *n)
{
	const struct pv_os *os = n->os;
	struct hv_dev_desc *d;
	uint64_t pa;
	bool up;

	d = os->dma_alloc(os->ctx, sizeof(*d), &pa);
	if (!d)
		return false;
	up = os->hypercall(os->ctx, HV_HC_DEV_INFO, n->dev_index, pa) == 0 &&
	     (d->flags & HV_DEV_F_LINK_UP);
	os->dma_free(os->ctx, d, sizeof(*d));
	return up;
}

const char *pvnet_fe_status_name(uint32_t status)
{
	static const char *const names[] = {
		[HV_NET_S_OK] = "ok", [HV_NET_S_BADREQ] = "bad request",
		[HV_NET_S_LINK_DOWN] = "link down", [HV_NET_S_IOERR] = "I/O error",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "unknown status";
}
