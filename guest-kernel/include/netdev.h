/*
 * The guest's network devices: every NIC behind one interface and one lwIP
 * netif, whichever driver moves its frames, so the network programs run
 * unchanged on PV and trap NICs.  Drivers never call lwIP from an interrupt
 * handler: the handler notes the interrupt (netdev_irq) and the network
 * loop (netstack.h) takes frames and completions through ops->poll.
 */
#ifndef GK_NETDEV_H
#define GK_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"

#define NETDEV_RXQ 512 /* received frames waiting for lwIP, per NIC */

struct netdev;

struct netdev_ops {
	/*
	 * Queues frame p (a pbuf chain, 14..MTU+14 bytes) for sending; the
	 * driver takes its own reference (pbuf_ref) if it sends from p's
	 * memory, and drops it when the device is done.  Nothing need reach
	 * the device before kick.  ERR_OK, or ERR_MEM / ERR_IF: dropped.
	 */
	err_t (*send)(struct netdev *d, struct pbuf *p);
	/* Hands what send queued to the device (a doorbell, if the device wants one). */
	void (*kick)(struct netdev *d);
	/*
	 * Takes what the device has done: each received frame to
	 * netdev_rx_frame, each finished send released.  Returns how many.
	 */
	unsigned (*poll)(struct netdev *d);
	/*
	 * Before the loop halts: enables the device's interrupt for its next
	 * received frame; true if work arrived meanwhile (poll, do not halt).
	 */
	bool (*arm_irq)(struct netdev *d);
	/* Frames handed to the device and not yet done with (sent or failed). */
	unsigned (*tx_inflight)(struct netdev *d);
	/* The link state as the device reports it now. */
	bool (*link_up)(struct netdev *d);
	void (*info)(struct netdev *d, char *buf, unsigned len); /* driver's details */
};

struct netdev_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped; /* dropped: no memory or queue full */
	uint64_t tx_frames, tx_bytes, tx_errors;  /* errors: refused, dropped or failed */
	uint64_t irqs;
	uint64_t recovered; /* waits that ended without an interrupt and found work: one lost */
};

struct netdev {
	char name[16];    /* pvnet0, trapnet0, ... */
	const char *path; /* "pv", "trap": how frames reach hv */
	uint8_t mac[6];
	uint16_t mtu;
	unsigned rx_depth; /* receive buffers the device keeps posted: a burst it can take */
	const struct netdev_ops *ops;
	void *priv;
	struct netif netif; /* lwIP's side; netif.state points back here */
	struct netdev_stats st;
	/*
	 * The loop's last wait ended by its timer, not an interrupt: the next
	 * poll looks at the device even if no interrupt said so (a lost one).
	 */
	bool look;
	/* frames taken from the device, not yet given to netif.input */
	struct pbuf *rxq[NETDEV_RXQ];
	uint32_t rxq_head, rxq_tail;
	struct netdev *next; /* registration order */
};

/*
 * Adds d (name, path, mac, mtu, ops, priv filled) to lwIP as an Ethernet
 * netif, administratively up, with no address (net_configure gives one);
 * link as ops->link_up says.  0, or -1 if lwIP refuses it.
 */
int netdev_register(struct netdev *d);
struct netdev *netdev_find(const char *name);
/* The device registered after d (the first for NULL), or NULL. */
struct netdev *netdev_next(const struct netdev *d);
/* The netdev behind an lwIP netif. */
struct netdev *netdev_of(struct netif *n);

/*
 * The network loop's one path to a NIC (netstack_loop.c): netdev_poll runs
 * ops->poll, then gives the frames it queued to lwIP (netif.input, which a
 * program may replace to see raw frames: netloop).  netdev_kick hands the
 * device what lwIP sent; netdev_arm_irq, before a halt, enables its
 * interrupt and says whether work is already waiting (a frame queued for
 * lwIP counts); netdev_tx_inflight counts frames the device still holds.
 */
unsigned netdev_poll(struct netdev *d);
void netdev_kick(struct netdev *d);
bool netdev_arm_irq(struct netdev *d);
unsigned netdev_tx_inflight(struct netdev *d);
/*
 * For ops->poll: copies a received frame into a pbuf and queues it for
 * lwIP (or counts a drop).  Never from an interrupt handler.
 */
void netdev_rx_frame(struct netdev *d, const void *frame, uint32_t len);
/* For interrupt handlers: counts it and wakes the network loop. */
void netdev_irq(struct netdev *d);

/* The link changed (or may have): tells lwIP what ops->link_up says now. */
void netdev_link_changed(struct netdev *d);

/* "52:54:00:12:34:56" into buf (at least 18 bytes). */
void netdev_mac_str(const uint8_t mac[6], char *buf);

#endif
