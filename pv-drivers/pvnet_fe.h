/*
 * PV NIC front end (protocol/hv_net.h), OS-neutral like pvblk_fe: keeps the
 * RX queue stocked with buffers and hands each received frame to a callback;
 * queues TX frames from the caller's buffers (no copy) and reports when hv
 * is done with them.  Every entry point takes the OS's interrupt lock; the
 * callbacks run with it held and may call pvnet_fe_send.
 */
#ifndef PVNET_FE_H
#define PVNET_FE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_abi.h"
#include "hv_net.h"
#include "pv_os.h"
#include "pv_ring.h"

#define PVNET_FE_MAX_DEPTH 256

/* A received frame, valid until the callback returns; its buffer is reposted then. */
typedef void (*pvnet_fe_rx_fn)(void *arg, const void *frame, uint32_t len);
/* hv is done with a sent frame's buffers: status is enum hv_net_status. */
typedef void (*pvnet_fe_tx_fn)(void *arg, uint32_t status);

/* One piece of a frame to send: memory the device can reach (virt_to_phys). */
struct pvnet_fe_seg {
	const void *p;
	uint32_t len;
};

struct pvnet_fe_config {
	uint32_t rx_size, tx_size;     /* ring entries, powers of two <= PVNET_FE_MAX_DEPTH */
	uint32_t rx_msix, tx_msix;     /* MSI-X entries (HV_NET_MSIX_*); HV_MSIX_NONE: polled */
	uint32_t start_index;          /* first ring index (tests start near 2^32) */
	pvnet_fe_rx_fn rx;             /* called for every received frame */
	void *rx_arg;
};

struct pvnet_fe_stats {
	uint64_t rx_frames, rx_bytes, rx_errors, tx_frames, tx_bytes, tx_errors;
	uint64_t notifies, rx_interrupts, tx_interrupts, bogus_cpl;
	uint64_t rx_held;        /* buffers kept back: hv said the link is down */
};

struct pvnet_fe_tx_slot {
	pvnet_fe_tx_fn fn;
	void *arg;
	uint32_t next_free;
	bool busy;
};

struct pvnet_fe {
	const struct pv_os *os;
	uint32_t dev_index;      /* position in hv's device table */
	uint16_t unit;           /* pvnet<unit> */
	uint8_t mac[6];
	uint16_t mtu;
	struct pv_ring rx, tx;
	uint16_t rx_port, tx_port;
	bool rx_polled, tx_polled;
	bool rx_bell;            /* RX buffers published, hv's doorbell still owed */
	pvnet_fe_rx_fn rx_fn;
	void *rx_arg;
	/* RX buffers: one per RX slot, buf_len bytes each, in one allocation */
	uint8_t *rx_bufs;
	uint64_t rx_bufs_pa;
	uint32_t buf_len, rx_depth;
	/* TX slots: ids of frames in flight */
	struct pvnet_fe_tx_slot tx_slot[PVNET_FE_MAX_DEPTH];
	uint32_t tx_depth, tx_free, tx_outstanding;
	volatile int progress;   /* set on every RX frame or TX completion */
	struct pvnet_fe_stats st;
};

/*
 * Attaches pvnet device dev_index (a HV_DEV_PVNET entry, desc): allocates
 * RX buffers of MTU + 14 bytes, fills the RX queue with them, attaches both
 * queues.  In interrupt mode the OS routes the MSI-X entries to
 * pvnet_fe_rx_interrupt / pvnet_fe_tx_interrupt.  0 or -HV_E*.
 */
int pvnet_fe_init(struct pvnet_fe *n, const struct pv_os *os, uint32_t dev_index,
		  const struct hv_dev_desc *desc, const struct pvnet_fe_config *cfg);

/*
 * Detaches both queues and frees rings and buffers; frames in flight are
 * dropped, their callbacks run with HV_NET_S_LINK_DOWN.  0 or -HV_E*; n may
 * be initialised again.
 */
int pvnet_fe_detach(struct pvnet_fe *n);

/*
 * Queues one frame of nr (1..HV_NET_MAX_SEG) pieces, 14..MTU+14 bytes in
 * all; the pieces must stay untouched until fn runs.  Nothing reaches hv
 * until pvnet_fe_kick().  0, -HV_EAGAIN while the TX ring is full,
 * -HV_EINVAL for a frame the device would refuse.
 */
int pvnet_fe_send(struct pvnet_fe *n, const struct pvnet_fe_seg *seg, unsigned nr,
		  pvnet_fe_tx_fn fn, void *arg);
/*
 * Publishes queued frames and rings the TX doorbell if hv asked for one;
 * else the RX doorbell if one is owed (poll defers it: a TX doorbell does
 * for both).
 */
void pvnet_fe_kick(struct pvnet_fe *n);

/*
 * Takes received frames (the callback, then the buffer goes back to hv) and
 * TX completions; returns how many of both.  The RX doorbell for the
 * buffers given back waits for the next kick, arm_irqs, poll or wait.
 */
unsigned pvnet_fe_poll(struct pvnet_fe *n);
/*
 * Before sleeping on interrupts: asks hv for one at the next RX (and TX, if
 * not polled) completion; true if one arrived meanwhile (poll again first).
 */
bool pvnet_fe_arm_irqs(struct pvnet_fe *n);
/* The queues' interrupt handlers: take everything, re-enable the interrupt. */
void pvnet_fe_rx_interrupt(struct pvnet_fe *n);
void pvnet_fe_tx_interrupt(struct pvnet_fe *n);

/* Waits for progress: polls, or sleeps until an interrupt. */
void pvnet_fe_wait(struct pvnet_fe *n, const volatile int *flag);

/* True while hv says the link is up (HV_HC_DEV_INFO). */
bool pvnet_fe_link_up(struct pvnet_fe *n);

const char *pvnet_fe_status_name(uint32_t status);

#endif
