/*
 * The paravirtual block device's backend: one queue per device, attached by
 * the guest with HV_HC_QUEUE_ATTACH.  Doorbells arrive on an eventfd (KVM's
 * ioeventfd on the notify port), requests are copied out of the submission
 * ring, validated and handed to the I/O engine pointing at guest memory;
 * completions go to the completion ring and, unless the guest suppressed
 * them, raise its MSI through an irqfd.  All ring work runs in the I/O thread.
 */
#ifndef HV_PVBLK_BACK_H
#define HV_PVBLK_BACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../protocol/hv_blk.h"
#include "device.h"
#include "disk.h"
#include "guest_mem.h"
#include "iothread.h"

#define PVBLK_DETACH_TIMEOUT_MS 10000

struct kvm_vm;
struct pvblk_back_req;

enum pvblk_state {
	PVBLK_DETACHED = 0,
	PVBLK_ACTIVE = 1,
	PVBLK_BROKEN = 2, /* the guest broke the ring protocol; no more service */
};

struct pvblk_back_stats {
	uint64_t reqs, bad_reqs, io_errors, bytes;
	uint64_t irqs, irqs_suppressed;
};

struct pvblk_back {
	struct disk disk;
	unsigned index;          /* pvblk<index> */
	const struct guest_mem *mem;
	struct io_source src;    /* doorbell */
	int irq_fd;              /* signalled to raise the completion interrupt */
	int irq_gsi;             /* its KVM route while attached, or -1 */
	uint16_t port;
	int state;               /* enum pvblk_state, atomic */
	int detach_req;          /* atomic: the vCPU thread asks the I/O thread to let go */
	int detach_ack;          /* eventfd: the I/O thread has let go */
	int detach_timeout_ms;   /* how long a detach waits for I/O in flight */

	/* the queue, fixed at attach (vCPU thread), then the I/O thread's */
	struct hv_queue_setup setup;
	struct hv_ring_ctl *sq, *cq;
	struct hv_blk_req *sqe;
	struct hv_blk_cpl *cqe;
	uint32_t sq_cons, cq_prod, cq_published, inflight;
	bool stalled;            /* waiting for completion-ring space */
	struct pvblk_back_req *pool, *free;
	struct pvblk_back_stats st;
};

/* The --disk device kind (device.h): the table entry hv's core sees. */
extern const struct device_kind pvblk_back_kind;

/* Sets up device index over an opened disk, doorbell on port; 0 or -errno. */
int pvblk_back_init(struct pvblk_back *b, unsigned index, uint16_t port,
		    const struct guest_mem *mem, const struct disk *disk);
void pvblk_back_destroy(struct pvblk_back *b);

/* The device-table entry the guest enumerates. */
void pvblk_back_desc(const struct pvblk_back *b, struct hv_dev_desc *d);

/*
 * Validates a (copied) queue setup and attaches the queue of dev (a struct
 * pvblk_back; the signature is queue_ops's, device.h): the rings are
 * mapped, the doorbell registered with KVM as an ioeventfd on the notify
 * port and the completion vector routed as an MSI through an irqfd (kvm may
 * be NULL: unit tests drive the eventfds themselves).  Returns the notify
 * port, or -HV_E*.
 */
int64_t pvblk_back_attach(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm);

/*
 * Lets go of the queue (HV_HC_QUEUE_DETACH, also of a broken one): waits
 * for the requests in flight to finish (their completions are dropped),
 * unwires the doorbell and interrupt, and leaves the device ready for a new
 * attach.  0, or -HV_EBUSY if the I/O did not drain within
 * detach_timeout_ms (PVBLK_DETACH_TIMEOUT_MS, 10 s).
 */
int64_t pvblk_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm);

/* Checks one (copied) request; HV_BLK_S_OK and the host iovecs, or the status. */
int pvblk_back_check_req(const struct pvblk_back *b, const struct hv_blk_req *r,
		    struct iovec iov[HV_BLK_MAX_SEG], uint32_t *bytes);

/* The --stats line of one device (a struct pvblk_back). */
void pvblk_back_print_stats(FILE *f, const void *dev);

#endif
