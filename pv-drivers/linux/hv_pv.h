/*
 * The part of hv's Linux PV drivers that the disk and the NIC share
 * (hv_pv_main.c): hv's CPUID signature, the port-I/O hypercall, device
 * descriptors, and a queue: pv-drivers/pv_ring.c's rings in DMA memory,
 * attached to hv with an MSI-X entry, detached and freed.
 */
#ifndef HV_PV_LINUX_H
#define HV_PV_LINUX_H

#include <linux/device.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "hv_abi.h"
#include "pv_os.h"
#include "pv_ring.h"

#define HV_PV_NAME "hv_pv"

/* hv's hypercall (protocol/hv_abi.h's convention): the result, >= 0 or -HV_E*. */
s64 hv_pv_hypercall(u64 nr, u64 a0, u64 a1);

/* HV_HC_DEV_INFO into *out: 0 or -errno (hv's codes are Linux errno numbers). */
int hv_pv_dev_info(u32 index, struct hv_dev_desc *out);

struct hv_pv_queue {
	struct pv_ring ring;
	struct pv_os os;  /* the Linux side of pv_os.h */
	u32 dev_index;    /* HV_HC_DEV_INFO index of the device */
	u16 queue;        /* hv_queue_setup.queue */
	u16 port;         /* notify port, valid while attached */
	bool attached;
};

/* Allocates the rings (zeroed pages): 0 or -errno. */
int hv_pv_queue_init(struct hv_pv_queue *q, u32 sq_size, u32 sq_esize, u32 cq_size, u32 cq_esize);
/*
 * HV_HC_QUEUE_ATTACH as queue `queue` of device dev_index, completions on
 * MSI-X entry msix (armed before hv sees the rings): 0 or -errno.
 */
int hv_pv_queue_attach(struct hv_pv_queue *q, u32 dev_index, u16 queue, u32 msix);
/* HV_HC_QUEUE_DETACH: hv lets go of the rings (no-op when not attached). */
void hv_pv_queue_detach(struct hv_pv_queue *q);
void hv_pv_queue_free(struct hv_pv_queue *q);

/*
 * Publishes pushed entries: true if hv's event index asks for the doorbell,
 * which hv_pv_queue_ring then rings.  Apart, so that a driver publishing
 * under a lock that turns interrupts off rings after dropping it (as
 * virtio_blk kicks outside its queue lock): the doorbell's exit can let
 * hv complete the request before the guest runs again, and a completion
 * interrupt that finds interrupts off costs a second exit (an interrupt
 * window) to be delivered.
 */
static inline bool hv_pv_queue_publish(struct hv_pv_queue *q)
{
	return pv_ring_sq_publish(&q->ring);
}

static inline void hv_pv_queue_ring(struct hv_pv_queue *q)
{
	outl(0, q->port);
}

/* Publishes pushed entries; rings the doorbell only if hv's event index asks. */
static inline void hv_pv_queue_kick(struct hv_pv_queue *q)
{
	if (hv_pv_queue_publish(q))
		hv_pv_queue_ring(q);
}

/*
 * A PV device's PCI function enabled as a bus master with nvec MSI-X vectors
 * (exactly: each names an hv queue's entry): 0 or -errno, nothing left on.
 */
int hv_pv_pci_up(struct pci_dev *pdev, unsigned int nvec);
void hv_pv_pci_down(struct pci_dev *pdev);

/* The drivers, registered by hv_pv_main.c on hv only. */
extern struct pci_driver hv_blk_driver, hv_net_driver;

#endif
