/*
 * Each device kind's record in a snapshot (device.h's save and load): the
 * UART's registers, a PV disk's queue (its setup as the guest attached it,
 * hv's ring indices).  The kinds' tables point here, so a device's module
 * stays what it was; the layouts are in docs/SNAPSHOT.md.
 */
#ifndef HV_SNAP_DEV_H
#define HV_SNAP_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "hv_net.h"
#include "hv_ring.h"
#include "trap/trap_transport.h"

struct kvm_vm;
struct pvq;
struct queue_ops;

/* One PV queue: attached or not, and where hv was in its rings. */
struct snap_pvq_rec {
	uint32_t attached;     /* 1: the guest had it attached */
	uint32_t broken;       /* 1: hv had stopped serving it (PVQ_BROKEN) */
	struct hv_queue_setup setup;
	uint32_t sq_cons, cq_prod, cq_published;
	/* the ring control words hv writes in guest memory, as they were */
	uint32_t g_sq_cons, g_sq_event, g_cq_prod;
};

_Static_assert(sizeof(struct snap_pvq_rec) == 72, "snapshot queue record layout (docs/SNAPSHOT.md)");

/*
 * A queue's record, with the I/O thread quiesced (nothing in flight but
 * held: a NIC's RX buffers waiting for frames).  Fills r; 0, or -EBUSY
 * while another request is still in flight.
 */
int snap_pvq_save(const struct pvq *q, struct snap_pvq_rec *r, uint32_t held);
/*
 * Attaches the queue again through attach (the hypercall's own path: checks,
 * ioeventfd doorbell, irqfd MSI route) and puts hv's indices back, so what
 * the guest had published and not yet seen taken is taken after restore.
 * 0 or -errno.
 */
int snap_pvq_load(struct pvq *q, const struct snap_pvq_rec *r, void *dev,
		  const struct queue_ops *ops, struct kvm_vm *kvm);

int uart_snap_save(const void *dev, void *rec, size_t cap, size_t *len);
int uart_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);
int pvblk_snap_save(const void *dev, void *rec, size_t cap, size_t *len);
int pvblk_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);

/*
 * The PV NIC on a tap: both queues, and the RX buffers hv held waiting for
 * frames (posted again to the new tap on restore; a frame that had already
 * landed in one is lost to the restored guest, as on a wire).
 */
#define SNAP_NET_HELD_MAX 16
struct snap_net_rec {
	struct snap_pvq_rec rx, tx;
	uint32_t nr_held, reserved;
	struct hv_net_rxb held[SNAP_NET_HELD_MAX];
};

_Static_assert(sizeof(struct snap_net_rec) == 408, "snapshot NIC record layout (docs/SNAPSHOT.md)");

int pvnet_snap_save(const void *dev, void *rec, size_t cap, size_t *len);
int pvnet_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);

/*
 * A trap device (--trap-disk, --trap-net on a tap): its transport's record,
 * then the one register of its own the guest reads back (the disk's BYTES,
 * the NIC's RX_FRAME).  The NIC's link follows the new tap, as a PV NIC's.
 */
struct snap_trap_rec {
	struct trap_snap_rec tr;
	uint32_t reg, reserved;
};

_Static_assert(sizeof(struct snap_trap_rec) == 160, "snapshot trap device record layout");

int trapblk_snap_save(const void *dev, void *rec, size_t cap, size_t *len);
int trapblk_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);
int trapnet_snap_save(const void *dev, void *rec, size_t cap, size_t *len);
int trapnet_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);

#endif
