// SPDX-License-Identifier: GPL-2.0
/*
 * hv's PV NIC (protocol/hv_net.h) as a Linux net_device with NAPI.
 *
 * The rings are allocated and attached when the interface goes up and
 * detached and freed when it goes down (so rmmod detaches, and insmod or
 * ip link set up attaches anew).  RX buffers are skbs' own data, mapped for
 * the device and posted whole (MTU + 14 bytes): hv writes a frame where
 * the stack reads it, and the completion only sets the skb's length (no
 * copy; without RX_MERGE a frame is one buffer).  TX posts the skb's head
 * and page fragments as segments (linearized beyond HV_NET_MAX_SEG) and
 * stops the queue while the ring has no free entry.  One NAPI context
 * serves both queues: either MSI-X entry mutes both completion rings'
 * event indices and schedules it; it re-arms them when it runs dry.  The
 * third entry, HV_NET_MSIX_LINK, rereads the descriptor for the carrier.
 *
 * A lost interrupt leaves completions in a ring with NAPI asleep and the
 * event index behind hv's producer, so hv raises no more either.  Two
 * things end that, as a NIC driver's watchdogs do: a timer every
 * net_poll_ms looks at both completion rings (one load each) and, when a
 * completion has waited a whole period with the consumer unmoved (not an
 * interrupt still on its way), schedules NAPI, whose end re-arms both
 * event indices; and the stack's TX watchdog (ndo_tx_timeout, after
 * HVN_TX_TIMEOUT with the queue stopped) reaps TX completions itself,
 * wakes the queue and schedules NAPI the same way.
 */
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "hv_net.h"
#include "hv_pv.h"

static unsigned int net_ring = 256;
module_param(net_ring, uint, 0444);
MODULE_PARM_DESC(net_ring, "PV NIC: entries of the RX and of the TX ring, a power of two");
static unsigned int net_poll_ms = 1000;
module_param(net_poll_ms, uint, 0644);
MODULE_PARM_DESC(net_poll_ms, "PV NIC: period of the look for completions a lost interrupt left, ms (0: no look; default 1000)");

/* The stack's TX watchdog: a stopped queue this long is looked at (virtio_net's 5 s). */
#define HVN_TX_TIMEOUT (5 * HZ)

struct hvn_tx_slot {
	struct sk_buff *skb; /* NULL while free */
	u16 nr_seg;
	dma_addr_t addr[HV_NET_MAX_SEG];
	u32 len[HV_NET_MAX_SEG];
};

struct hvn_rx_slot {
	struct sk_buff *skb; /* NULL while not posted */
	dma_addr_t addr;
};

struct hvn_priv {
	struct net_device *ndev;
	struct pci_dev *pdev;
	u32 index; /* HV_HC_DEV_INFO index: the PCI subsystem ID */
	u32 ring;  /* entries per ring; also ids per queue */
	u32 rx_buf_len;
	struct napi_struct napi;
	struct hv_pv_queue rx, tx;
	spinlock_t tx_lock; /* the TX ring, its slots and free ids */
	struct hvn_tx_slot *tx_slot;
	u32 *tx_free, tx_nfree;
	struct hvn_rx_slot *rx_slot;
	u32 *rx_free, rx_nfree;
	int irq[HV_NET_MSIX_ENTRIES];
	struct work_struct link_work;
	/* The lost-interrupt look (hvn_look): its timer, and what it saw last time. */
	struct timer_list look;
	bool looking;     /* re-arm it (cleared before deleting it) */
	bool waiting;     /* a completion was waiting at the last look */
	u32 rx_cons, tx_cons;
	/* Counters for ndo_get_stats64: updated by NAPI and xmit, read whole (64-bit). */
	u64 rx_packets, rx_bytes, rx_errors, rx_dropped;
	u64 tx_packets, tx_bytes, tx_errors, tx_dropped;
};

static void hvn_link(struct hvn_priv *p)
{
	struct hv_dev_desc desc;

	if (hv_pv_dev_info(p->index, &desc))
		return;
	if (desc.flags & HV_DEV_F_LINK_UP)
		netif_carrier_on(p->ndev);
	else
		netif_carrier_off(p->ndev);
}

static void hvn_link_work(struct work_struct *w)
{
	hvn_link(container_of(w, struct hvn_priv, link_work));
}

static irqreturn_t hvn_irq_link(int irq, void *data)
{
	struct hvn_priv *p = data;

	schedule_work(&p->link_work);
	return IRQ_HANDLED;
}

/* RX or TX completions: polled by NAPI with both rings' interrupts muted. */
static irqreturn_t hvn_irq_queue(int irq, void *data)
{
	struct hvn_priv *p = data;

	if (napi_schedule_prep(&p->napi)) {
		pv_ring_cq_mute_irq(&p->rx.ring);
		pv_ring_cq_mute_irq(&p->tx.ring);
		__napi_schedule(&p->napi);
	}
	return IRQ_HANDLED;
}

static void hvn_tx_unmap(struct hvn_priv *p, struct hvn_tx_slot *s)
{
	struct device *dev = &p->pdev->dev;
	u16 i;

	for (i = 0; i < s->nr_seg; i++) {
		if (i == 0 && skb_headlen(s->skb))
			dma_unmap_single(dev, s->addr[i], s->len[i], DMA_TO_DEVICE);
		else
			dma_unmap_page(dev, s->addr[i], s->len[i], DMA_TO_DEVICE);
	}
	s->nr_seg = 0;
}

/* Maps the skb's head and fragments into slot s: 0 or -ENOMEM (all undone). */
static int hvn_tx_map(struct hvn_priv *p, struct hvn_tx_slot *s, struct sk_buff *skb)
{
	struct device *dev = &p->pdev->dev;
	unsigned int i, n = 0;

	s->skb = skb;
	s->nr_seg = 0;
	if (skb_headlen(skb)) {
		s->addr[0] = dma_map_single(dev, skb->data, skb_headlen(skb), DMA_TO_DEVICE);
		if (dma_mapping_error(dev, s->addr[0]))
			return -ENOMEM;
		s->len[0] = skb_headlen(skb);
		s->nr_seg = n = 1;
	}
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		if (!skb_frag_size(f))
			continue;
		s->addr[n] = skb_frag_dma_map(dev, f, 0, skb_frag_size(f), DMA_TO_DEVICE);
		if (dma_mapping_error(dev, s->addr[n])) {
			hvn_tx_unmap(p, s);
			return -ENOMEM;
		}
		s->len[n] = skb_frag_size(f);
		s->nr_seg = ++n;
	}
	return n ? 0 : -EINVAL;
}

static netdev_tx_t hvn_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct hvn_priv *p = netdev_priv(ndev);
	struct hvn_tx_slot *s;
	struct hv_net_tx *e;
	u32 id;
	u16 i;

	if (skb_shinfo(skb)->nr_frags + 1 > HV_NET_MAX_SEG && skb_linearize(skb))
		goto drop;
	spin_lock(&p->tx_lock);
	e = pv_ring_sq_slot(&p->tx.ring);
	if (!e || !p->tx_nfree) {
		/* The queue stops before this can happen; hv's completions wake it. */
		netif_stop_queue(ndev);
		spin_unlock(&p->tx_lock);
		return NETDEV_TX_BUSY;
	}
	id = p->tx_free[p->tx_nfree - 1];
	s = &p->tx_slot[id];
	if (hvn_tx_map(p, s, skb)) {
		s->skb = NULL;
		p->tx_dropped++;
		spin_unlock(&p->tx_lock);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	p->tx_nfree--;
	e->id = id;
	e->nr_seg = s->nr_seg;
	e->flags = 0;
	e->csum_start = 0;
	e->csum_offset = 0;
	for (i = 0; i < s->nr_seg; i++)
		e->seg[i] = (struct hv_net_seg){ .gpa = s->addr[i], .len = s->len[i] };
	skb_tx_timestamp(skb);
	pv_ring_sq_push(&p->tx.ring);
	if (!p->tx_nfree || !pv_ring_sq_slot(&p->tx.ring))
		netif_stop_queue(ndev);
	if (!netdev_xmit_more() || netif_queue_stopped(ndev))
		hv_pv_queue_kick(&p->tx);
	spin_unlock(&p->tx_lock);
	return NETDEV_TX_OK;
drop:
	spin_lock(&p->tx_lock);
	p->tx_dropped++;
	spin_unlock(&p->tx_lock);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* Takes TX completions (NAPI, or the watchdog with budget 0): how many. */
static unsigned int hvn_tx_reap(struct hvn_priv *p, int budget)
{
	struct hv_net_txc c;
	struct hvn_tx_slot *s;
	unsigned int n = 0;

	spin_lock(&p->tx_lock);
	while (pv_ring_cq_take(&p->tx.ring, &c, sizeof(c))) {
		if (c.id >= p->ring || !p->tx_slot[c.id].skb) {
			net_err_ratelimited("%s: TX completion for id %llu not in flight\n",
					    p->ndev->name, (unsigned long long)c.id);
			p->tx_errors++;
			continue;
		}
		s = &p->tx_slot[c.id];
		if (c.status == HV_NET_S_OK) {
			p->tx_packets++;
			p->tx_bytes += s->skb->len;
		} else if (c.status == HV_NET_S_LINK_DOWN) {
			p->tx_dropped++;
		} else {
			p->tx_errors++;
		}
		hvn_tx_unmap(p, s);
		napi_consume_skb(s->skb, budget);
		s->skb = NULL;
		p->tx_free[p->tx_nfree++] = (u32)c.id;
		n++;
	}
	if (n && netif_queue_stopped(p->ndev) && pv_ring_sq_slot(&p->tx.ring))
		netif_wake_queue(p->ndev);
	spin_unlock(&p->tx_lock);
	return n;
}

/* Posts an skb for every free RX id (as many as memory allows). */
static void hvn_rx_refill(struct hvn_priv *p)
{
	struct device *dev = &p->pdev->dev;
	struct hv_net_rxb *e;
	bool pushed = false;

	while (p->rx_nfree && (e = pv_ring_sq_slot(&p->rx.ring))) {
		u32 id = p->rx_free[p->rx_nfree - 1];
		struct hvn_rx_slot *s = &p->rx_slot[id];
		struct sk_buff *skb = netdev_alloc_skb_ip_align(p->ndev, p->rx_buf_len);

		if (!skb) {
			p->rx_dropped++;
			break;
		}
		s->addr = dma_map_single(dev, skb->data, p->rx_buf_len, DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, s->addr)) {
			dev_kfree_skb_any(skb);
			p->rx_dropped++;
			break;
		}
		s->skb = skb;
		p->rx_nfree--;
		*e = (struct hv_net_rxb){ .gpa = s->addr, .len = p->rx_buf_len, .id = id };
		pv_ring_sq_push(&p->rx.ring);
		pushed = true;
	}
	if (pushed)
		hv_pv_queue_kick(&p->rx);
}

static int hvn_rx(struct hvn_priv *p, int budget)
{
	struct hv_net_rxc c;
	int done = 0;

	while (done < budget && pv_ring_cq_take(&p->rx.ring, &c, sizeof(c))) {
		struct hvn_rx_slot *s;
		struct sk_buff *skb;

		if (c.id >= p->ring || !p->rx_slot[c.id].skb) {
			net_err_ratelimited("%s: RX completion for id %u not posted\n",
					    p->ndev->name, c.id);
			p->rx_errors++;
			continue;
		}
		s = &p->rx_slot[c.id];
		skb = s->skb;
		s->skb = NULL;
		dma_unmap_single(&p->pdev->dev, s->addr, p->rx_buf_len, DMA_FROM_DEVICE);
		p->rx_free[p->rx_nfree++] = c.id;
		done++;
		if (c.status != HV_NET_S_OK || c.len < HV_NET_MIN_FRAME || c.len > p->rx_buf_len) {
			p->rx_errors++;
			dev_kfree_skb_any(skb);
			continue;
		}
		skb_put(skb, c.len);
		skb->protocol = eth_type_trans(skb, p->ndev);
		p->rx_packets++;
		p->rx_bytes += c.len;
		napi_gro_receive(&p->napi, skb);
	}
	return done;
}

static int hvn_poll(struct napi_struct *napi, int budget)
{
	struct hvn_priv *p = container_of(napi, struct hvn_priv, napi);
	int done;
	bool more;

	hvn_tx_reap(p, budget);
	done = hvn_rx(p, budget);
	hvn_rx_refill(p);
	if (done < budget && napi_complete_done(napi, done)) {
		more = pv_ring_cq_arm_irq(&p->rx.ring);
		spin_lock(&p->tx_lock);
		more |= pv_ring_cq_arm_irq(&p->tx.ring);
		spin_unlock(&p->tx_lock);
		if (more)
			napi_schedule(napi);
	}
	return done;
}

/*
 * The timer's look for a lost interrupt (softirq).  A completion waiting
 * now and at the last look, with neither consumer moved in between, was
 * not announced: NAPI runs, takes it and re-arms the event indices.  The
 * reads race with NAPI harmlessly: a wrong guess costs one empty poll.
 */
static void hvn_look(struct timer_list *t)
{
	struct hvn_priv *p = from_timer(p, t, look);
	u32 rx = READ_ONCE(p->rx.ring.cq_cons), tx = READ_ONCE(p->tx.ring.cq_cons);
	unsigned int ms = READ_ONCE(net_poll_ms);
	bool waiting = ms && (pv_ring_cq_ready(&p->rx.ring) || pv_ring_cq_ready(&p->tx.ring));

	if (waiting && p->waiting && rx == p->rx_cons && tx == p->tx_cons) {
		net_warn_ratelimited("%s: completion found without an interrupt after %u ms: polling\n",
				     p->ndev->name, ms);
		napi_schedule(&p->napi);
		waiting = false;
	}
	p->waiting = waiting;
	p->rx_cons = rx;
	p->tx_cons = tx;
	/* Off (0) still ticks once a second, to see the parameter set again. */
	if (READ_ONCE(p->looking))
		mod_timer(&p->look, jiffies + msecs_to_jiffies(ms ? ms : 1000));
}

/* The stack's watchdog: the TX queue stopped for HVN_TX_TIMEOUT (queues frozen). */
static void hvn_tx_timeout(struct net_device *ndev, unsigned int txqueue)
{
	struct hvn_priv *p = netdev_priv(ndev);
	unsigned int n = hvn_tx_reap(p, 0);

	if (n)
		netdev_warn(ndev, "TX timeout: %u completions found without an interrupt: polling\n", n);
	else
		netdev_warn(ndev, "TX timeout: hv has completed no frame: polling\n");
	napi_schedule(&p->napi);
}

static void hvn_free_bufs(struct hvn_priv *p)
{
	u32 i;

	for (i = 0; i < p->ring; i++) {
		if (p->rx_slot && p->rx_slot[i].skb) {
			dma_unmap_single(&p->pdev->dev, p->rx_slot[i].addr, p->rx_buf_len,
					 DMA_FROM_DEVICE);
			dev_kfree_skb_any(p->rx_slot[i].skb);
		}
		if (p->tx_slot && p->tx_slot[i].skb) {
			hvn_tx_unmap(p, &p->tx_slot[i]);
			dev_kfree_skb_any(p->tx_slot[i].skb);
			p->tx_dropped++;
		}
	}
	kvfree(p->rx_slot);
	kvfree(p->tx_slot);
	kvfree(p->rx_free);
	kvfree(p->tx_free);
	p->rx_slot = NULL;
	p->tx_slot = NULL;
	p->rx_free = p->tx_free = NULL;
}

static int hvn_alloc_bufs(struct hvn_priv *p)
{
	u32 i;

	p->rx_slot = kvcalloc(p->ring, sizeof(*p->rx_slot), GFP_KERNEL);
	p->tx_slot = kvcalloc(p->ring, sizeof(*p->tx_slot), GFP_KERNEL);
	p->rx_free = kvcalloc(p->ring, sizeof(u32), GFP_KERNEL);
	p->tx_free = kvcalloc(p->ring, sizeof(u32), GFP_KERNEL);
	if (!p->rx_slot || !p->tx_slot || !p->rx_free || !p->tx_free)
		return -ENOMEM;
	for (i = 0; i < p->ring; i++)
		p->rx_free[i] = p->tx_free[i] = p->ring - 1 - i;
	p->rx_nfree = p->tx_nfree = p->ring;
	return 0;
}

/* Detaches both queues (hv lets go of every buffer), then frees them. */
static void hvn_down(struct hvn_priv *p)
{
	hv_pv_queue_free(&p->rx);
	hv_pv_queue_free(&p->tx);
	hvn_free_bufs(p);
}

static int hvn_open(struct net_device *ndev)
{
	struct hvn_priv *p = netdev_priv(ndev);
	int err;

	err = hvn_alloc_bufs(p);
	if (!err)
		err = hv_pv_queue_init(&p->rx, p->ring, sizeof(struct hv_net_rxb), p->ring,
				       sizeof(struct hv_net_rxc));
	if (!err)
		err = hv_pv_queue_init(&p->tx, p->ring, sizeof(struct hv_net_tx), p->ring,
				       sizeof(struct hv_net_txc));
	if (err)
		goto fail;
	napi_enable(&p->napi);
	err = hv_pv_queue_attach(&p->rx, p->index, HV_NET_Q_RX, HV_NET_MSIX_RX);
	if (!err)
		err = hv_pv_queue_attach(&p->tx, p->index, HV_NET_Q_TX, HV_NET_MSIX_TX);
	if (err) {
		netdev_err(ndev, "attaching queues: error %d\n", err);
		napi_disable(&p->napi);
		goto fail;
	}
	local_bh_disable();
	hvn_rx_refill(p);
	local_bh_enable();
	hvn_link(p);
	netif_start_queue(ndev);
	napi_schedule(&p->napi);
	p->waiting = false;
	WRITE_ONCE(p->looking, true);
	mod_timer(&p->look, jiffies + msecs_to_jiffies(net_poll_ms ? net_poll_ms : 1000));
	return 0;
fail:
	hvn_down(p);
	return err;
}

static int hvn_stop(struct net_device *ndev)
{
	struct hvn_priv *p = netdev_priv(ndev);

	WRITE_ONCE(p->looking, false);
	del_timer_sync(&p->look); /* it reads the rings hvn_down frees */
	netif_tx_disable(ndev);
	napi_disable(&p->napi);
	hvn_down(p);
	return 0;
}

static void hvn_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *st)
{
	struct hvn_priv *p = netdev_priv(ndev);

	st->rx_packets = READ_ONCE(p->rx_packets);
	st->rx_bytes = READ_ONCE(p->rx_bytes);
	st->rx_errors = READ_ONCE(p->rx_errors);
	st->rx_dropped = READ_ONCE(p->rx_dropped);
	st->tx_packets = READ_ONCE(p->tx_packets);
	st->tx_bytes = READ_ONCE(p->tx_bytes);
	st->tx_errors = READ_ONCE(p->tx_errors);
	st->tx_dropped = READ_ONCE(p->tx_dropped);
}

static const struct net_device_ops hvn_ops = {
	.ndo_open = hvn_open,
	.ndo_stop = hvn_stop,
	.ndo_start_xmit = hvn_xmit,
	.ndo_tx_timeout = hvn_tx_timeout,
	.ndo_get_stats64 = hvn_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void hvn_free_irqs(struct hvn_priv *p)
{
	int i;

	for (i = HV_NET_MSIX_ENTRIES - 1; i >= 0; i--) {
		if (p->irq[i] > 0)
			free_irq(p->irq[i], p);
		p->irq[i] = 0;
		if (i == HV_NET_MSIX_LINK)
			cancel_work_sync(&p->link_work);
	}
}

static int hvn_request_irqs(struct hvn_priv *p)
{
	static const char *const what[HV_NET_MSIX_ENTRIES] = {
		[HV_NET_MSIX_RX] = "rx", [HV_NET_MSIX_TX] = "tx", [HV_NET_MSIX_LINK] = "link",
	};
	int i, err;

	for (i = 0; i < HV_NET_MSIX_ENTRIES; i++) {
		int irq = pci_irq_vector(p->pdev, i);

		err = request_irq(irq, i == HV_NET_MSIX_LINK ? hvn_irq_link : hvn_irq_queue, 0,
				  what[i], p);
		if (err)
			return err;
		p->irq[i] = irq;
	}
	return 0;
}

static int hvn_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hv_dev_desc desc;
	struct net_device *ndev;
	struct hvn_priv *p;
	u32 index = pdev->subsystem_device;
	int err;

	if (!hv_ring_size_ok(net_ring)) {
		dev_err(&pdev->dev, "net_ring=%u is not a power of two in [%u, %u]\n", net_ring,
			HV_RING_MIN, HV_RING_MAX);
		return -EINVAL;
	}
	err = hv_pv_dev_info(index, &desc);
	if (!err && (desc.type != HV_DEV_PVNET || desc.irq < HV_NET_MSIX_ENTRIES))
		err = -ENODEV;
	if (err) {
		dev_err(&pdev->dev, "device %u: no PV NIC descriptor with %u MSI-X entries (%d)\n",
			index, HV_NET_MSIX_ENTRIES, err);
		return err;
	}
	ndev = alloc_etherdev(sizeof(*p));
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, &pdev->dev);
	p = netdev_priv(ndev);
	p->ndev = ndev;
	p->pdev = pdev;
	p->index = index;
	p->ring = net_ring;
	spin_lock_init(&p->tx_lock);
	INIT_WORK(&p->link_work, hvn_link_work);
	timer_setup(&p->look, hvn_look, 0);
	ndev->netdev_ops = &hvn_ops;
	ndev->watchdog_timeo = HVN_TX_TIMEOUT;
	ndev->features = ndev->hw_features = NETIF_F_SG;
	ndev->min_mtu = ETH_MIN_MTU;
	/* RX buffers hold hv's MTU: a larger one could not be received. */
	ndev->max_mtu = desc.cfg.net.mtu ? desc.cfg.net.mtu : HV_NET_DEFAULT_MTU;
	ndev->mtu = ndev->max_mtu;
	p->rx_buf_len = ndev->max_mtu + HV_NET_ETH_HLEN;
	if (is_valid_ether_addr(desc.cfg.net.mac))
		eth_hw_addr_set(ndev, desc.cfg.net.mac);
	else
		eth_hw_addr_random(ndev);
	netif_napi_add(ndev, &p->napi, hvn_poll);
	netif_carrier_off(ndev);

	err = hv_pv_pci_up(pdev, HV_NET_MSIX_ENTRIES);
	if (err)
		goto free;
	err = hvn_request_irqs(p);
	if (err)
		goto irqs;
	pci_set_drvdata(pdev, p);
	err = register_netdev(ndev);
	if (err)
		goto irqs;
	hvn_link(p);
	netdev_info(ndev, "hv PV NIC %u: %pM, MTU %u, link %s\n", desc.index, ndev->dev_addr,
		    ndev->mtu, netif_carrier_ok(ndev) ? "up" : "down");
	return 0;
irqs:
	hvn_free_irqs(p);
	hv_pv_pci_down(pdev);
free:
	netif_napi_del(&p->napi);
	free_netdev(ndev);
	return err;
}

static void hvn_remove(struct pci_dev *pdev)
{
	struct hvn_priv *p = pci_get_drvdata(pdev);

	unregister_netdev(p->ndev); /* stops it: detaches the queues */
	hvn_free_irqs(p);
	hv_pv_pci_down(pdev);
	netif_napi_del(&p->napi);
	free_netdev(p->ndev);
}

static const struct pci_device_id hvn_ids[] = {
	{ PCI_DEVICE(HV_PCI_VENDOR, HV_PCI_DEV_PVNET) },
	{ 0 },
};
MODULE_DEVICE_TABLE(pci, hvn_ids);

struct pci_driver hv_net_driver = {
	.name = "hv_net",
	.id_table = hvn_ids,
	.probe = hvn_probe,
	.remove = hvn_remove,
};
