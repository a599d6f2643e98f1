/*
 * The paravirtual NIC's backend (protocol/hv_net.h): two queues on pvq, RX
 * (the guest posts empty buffers; hv receives frames from the network
 * backend straight into them) and TX (the guest posts frames; hv sends them
 * from guest memory).  With no buffer posted, frames wait in the backend (a
 * tap's queue) for PVNET_RX_STARVE_MS, time for the guest to give buffers
 * back; after that they are read into a scratch buffer and dropped, counted:
 * hv never blocks or grows for a guest that stops reposting.  The link
 * follows the tap (net_link.h): set down, TX frames complete LINK_DOWN and
 * RX buffers wait; up again, traffic resumes on the same queues; deleted,
 * the link is down for good.  hv keeps running.  All ring work runs in the
 * I/O thread.
 */
#ifndef HV_PVNET_BACK_H
#define HV_PVNET_BACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_net.h"
#include "core/device.h"
#include "core/lathist.h"
#include "backend/net.h"
#include "pv/pvq.h"

#define PVNET_RX_STARVE_MS 100

struct pvnet_back_rx;
struct pvnet_back_tx;

struct pvnet_back_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_bad;
	/*
	 * Buffers given back to the guest with an error status: the link was
	 * down (HV_NET_S_LINK_DOWN; a detach's cancels are not counted), a runt
	 * frame or the host's error (HV_NET_S_IOERR), the engine full so no
	 * receive could start (HV_NET_S_IOERR).
	 */
	uint64_t rx_link_down, rx_runts, rx_errors, rx_engine_full;
	uint64_t tx_frames, tx_bytes, tx_bad, tx_errors;
};

struct pvnet_back {
	unsigned index;          /* pvnet<index> */
	struct net net;
	uint8_t mac[6];
	uint16_t mtu;
	/*
	 * Runs on the thread that noticed (the I/O thread) each time the link
	 * goes down or up, i.e. HV_DEV_F_LINK_UP changes: the PCI function
	 * sends its HV_NET_MSIX_LINK message.  NULL: nobody listening.
	 */
	void (*link_event)(void *ctx);
	void *link_ctx;
	struct pvq rxq, txq;
	pthread_mutex_t ctl;     /* attach and detach, whichever vCPU calls them */
	struct pvnet_back_rx *rx, *rx_free; /* the backend's recv_depth receive slots */
	struct pvnet_back_tx *tx, *tx_free; /* one per TX completion slot, while attached */
	/* dropping what arrives while no buffer is posted, after a grace time */
	uint8_t *scratch;
	struct iovec scratch_iov;
	struct ioeng_op scratch_op, grace_timer_op;
	struct __kernel_timespec grace_timer_ts;
	bool scratch_busy, grace_timer_armed; /* a receive into scratch, the grace timer */
	uint64_t rx_taken, grace_timer_taken; /* buffers taken: in all, and when the timer was armed */
	struct pvnet_back_stats st;
	/*
	 * hv's part of each frame (I/O thread; GET /metrics), by lathist_dir:
	 * TX from taking the request off the ring to writing its completion
	 * entry; RX from reaping the read of a frame into a guest buffer to
	 * writing that buffer's completion entry.
	 */
	struct lathist lat[LATHIST_DIRS];
};

/* The --net device kind (device.h). */
extern const struct device_kind pvnet_back_kind;

/*
 * Sets up device index on an opened backend, its queues' doorbells on
 * rx_port and rx_port + 4; 0 or -errno.  destroy closes the backend too.
 */
int pvnet_back_init(struct pvnet_back *n, unsigned index, uint16_t rx_port,
		    const struct guest_mem *mem, const struct net *net, const uint8_t mac[6]);
void pvnet_back_destroy(struct pvnet_back *n);

/* The I/O thread's sources of n (RX and TX doorbells, the link watch): how many, at most 3. */
#define PVNET_BACK_MAX_SRC 3
unsigned pvnet_back_sources(struct pvnet_back *n, struct io_source *srcs[PVNET_BACK_MAX_SRC]);
void pvnet_back_desc(const struct pvnet_back *n, struct hv_dev_desc *d);

/* queue_ops (device.h): dev is a struct pvnet_back; queue is HV_NET_Q_RX or _TX. */
int64_t pvnet_back_attach(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm);
int64_t pvnet_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm);

/* Snapshots (snap/snap_dev.c): RX slot i's buffer if a receive into it waits for a frame. */
bool pvnet_back_rx_held(const struct pvnet_back *n, unsigned i, const void **buf, uint32_t *len,
			uint32_t *id);
/* Restore: b becomes a held receive again, as if just taken from the RX ring. */
void pvnet_back_rx_repost(struct pvnet_back *n, const struct hv_net_rxb *b);

/* Checks one (copied) TX request; HV_NET_S_OK and the iovecs and length, or the status. */
int pvnet_back_check_tx(const struct pvnet_back *n, const struct hv_net_tx *t,
			struct iovec iov[HV_NET_MAX_SEG], uint32_t *len);

#endif
