/*
 * The NIC layer (netdev.h): the registered NICs, each an lwIP Ethernet
 * netif whose output goes to its driver, and the queue of received frames
 * between a driver's poll and lwIP's input.
 */
#include "netdev.h"

#include "lib.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "netstack.h"
#include "netif/ethernet.h"

static struct netdev *first, *last;

struct netdev *netdev_find(const char *name)
{
	struct netdev *d;

	for (d = first; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct netdev *netdev_next(const struct netdev *d)
{
	return d ? d->next : first;
}

struct netdev *netdev_of(struct netif *n)
{
	return n->state;
}

/* lwIP's way out: every frame lwIP sends on this NIC. */
static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	struct netdev *d = n->state;
	err_t e = d->ops->send(d, p);

	if (e == ERR_OK) {
		d->st.tx_frames++;
		d->st.tx_bytes += p->tot_len;
	} else {
		d->st.tx_errors++;
	}
	return e;
}

static err_t netif_setup(struct netif *n)
{
	struct netdev *d = n->state;

	n->name[0] = d->path[0]; /* lwIP's two-letter name: pv0, tr1, ... */
	n->name[1] = d->path[1];
	n->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(n->hwaddr, d->mac, ETH_HWADDR_LEN);
	n->mtu = d->mtu;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	return ERR_OK;
}

int netdev_register(struct netdev *d)
{
	static bool lwip_up;

	if (!lwip_up) { /* on the first NIC: a guest without one never starts lwIP */
		lwip_init();
		lwip_up = true;
	}
	d->rxq_head = d->rxq_tail = 0;
	if (!netif_add(&d->netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, d, netif_setup,
		       ethernet_input))
		return -1;
	netif_set_up(&d->netif);
	netdev_link_changed(d);
	d->next = NULL;
	if (last)
		last->next = d;
	else
		first = d;
	last = d;
	return 0;
}

void netdev_link_changed(struct netdev *d)
{
	if (d->ops->link_up(d))
		netif_set_link_up(&d->netif);
	else
		netif_set_link_down(&d->netif);
}

void netdev_rx_frame(struct netdev *d, const void *frame, uint32_t len)
{
	struct pbuf *p;

	if (d->rxq_tail - d->rxq_head == NETDEV_RXQ || len > 0xffff ||
	    !(p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL))) {
		d->st.rx_dropped++;
		return;
	}
	pbuf_take(p, frame, (u16_t)len);
	d->rxq[d->rxq_tail++ % NETDEV_RXQ] = p;
	d->st.rx_frames++;
	d->st.rx_bytes += len;
}

unsigned netdev_poll(struct netdev *d)
{
	unsigned n = d->ops->poll(d);

	d->look = false;

	/* input may send, and a send may poll: frames queued meanwhile are taken too. */
	while (d->rxq_head != d->rxq_tail) {
		struct pbuf *p = d->rxq[d->rxq_head++ % NETDEV_RXQ];

		if (d->netif.input(p, &d->netif) != ERR_OK)
			pbuf_free(p);
	}
	return n;
}

void netdev_kick(struct netdev *d)
{
	d->ops->kick(d);
}

bool netdev_arm_irq(struct netdev *d)
{
	return d->ops->arm_irq(d) || d->rxq_head != d->rxq_tail;
}

unsigned netdev_tx_inflight(struct netdev *d)
{
	return d->ops->tx_inflight(d);
}

void netdev_irq(struct netdev *d)
{
	d->st.irqs++;
	net_wake();
}

void netdev_mac_str(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
