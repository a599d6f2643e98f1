/*
 * Synchronous block I/O on top of an asynchronous driver: submit (waiting
 * for any completion while the queue is full), kick, wait for this request.
 * One loop for every caller: the guest's block layer (PV and trap disks)
 * and the host unit tests that drive the PV front end, so the loop the
 * tests exercise is the loop the guest runs.  OS-neutral, like pv_os.h.
 */
#ifndef PV_BLK_SYNC_H
#define PV_BLK_SYNC_H

#include <stdint.h>

typedef void (*blk_sync_done_fn)(void *arg, uint32_t status, uint32_t bytes);

struct blk_sync_ops {
	/* Queues one request; 0, or nonzero while the driver's queue is full. */
	int (*submit)(void *drv, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		      blk_sync_done_fn fn, void *arg);
	/* Lets the device see what was queued (a doorbell, or nothing). */
	void (*kick)(void *drv);
	/* Returns once *flag is set or something happened: spin or sleep. */
	void (*wait)(void *drv, const volatile int *flag);
};

struct blk_sync_dev {
	const struct blk_sync_ops *ops;
	void *drv;
	volatile int *progress; /* the driver sets it on every completion */
	uint32_t max_bytes;     /* largest single request */
};

/* One request of at most max_bytes; its HV_BLK_S_* status. */
uint32_t blk_sync_io(const struct blk_sync_dev *d, uint32_t op, uint64_t sector, void *buf,
		     uint32_t bytes);

/* Reads or writes bytes (a multiple of 512) in requests of at most max_bytes. */
uint32_t blk_sync_rw(const struct blk_sync_dev *d, uint32_t op, uint64_t sector, void *buf,
		     uint64_t bytes);

#endif
