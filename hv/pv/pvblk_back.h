/*
 * The paravirtual block device's backend: one queue per device (pvq.h does
 * the rings, doorbell and interrupt), attached by the guest with
 * HV_HC_QUEUE_ATTACH.  Each request pvq copies out of the ring is validated
 * here and handed to the disk backend pointing at guest memory; its
 * completion goes back through pvq.  All ring work runs in the I/O thread.
 */
#ifndef HV_PVBLK_BACK_H
#define HV_PVBLK_BACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_blk.h"
#include "core/device.h"
#include "backend/disk.h"
#include "kvm/guest_mem.h"
#include "io/iothread.h"
#include "core/lathist.h"
#include "pv/pvq.h"

struct kvm_vm;
struct pvblk_back_req;

struct pvblk_back_stats {
	uint64_t reqs, bad_reqs, io_errors, bytes;
};

struct pvblk_back {
	struct disk disk;
	unsigned index;          /* pvblk<index> */
	struct pvq q;            /* the one queue: rings, doorbell, interrupt */
	pthread_mutex_t ctl;     /* attach and detach, whichever vCPU calls them */
	struct pvblk_back_req *pool, *free; /* one per completion slot, while attached */
	struct pvblk_back_stats st;
	struct lathist lat;      /* hv's part of each request: taken to completed */
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
 * q.detach_timeout_ms (PVQ_DETACH_TIMEOUT_MS, 10 s).
 */
int64_t pvblk_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm);

/* Checks one (copied) request; HV_BLK_S_OK and the host iovecs, or the status. */
int pvblk_back_check_req(const struct pvblk_back *b, const struct hv_blk_req *r,
		    struct iovec iov[HV_BLK_MAX_SEG], uint32_t *bytes);

/* The --stats line of one device (a struct pvblk_back). */
void pvblk_back_print_stats(FILE *f, const void *dev);

#endif
