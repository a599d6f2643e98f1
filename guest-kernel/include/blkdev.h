/*
 * The guest's block layer: every disk behind one asynchronous interface,
 * whichever driver moves its requests, so the programs run unchanged on
 * every I/O path.  What only one driver offers is in that driver's header.
 */
#ifndef GK_BLKDEV_H
#define GK_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "blk_sync.h"
#include "hv_blk.h"

/* status: HV_BLK_S_*; runs in interrupt context in interrupt mode. */
typedef blk_sync_done_fn blk_done_fn;

/*
 * A disk.  Its driver's one ops table (blk_sync.h) moves its requests, for
 * the programs and for the synchronous helpers alike: io.ops->submit queues
 * a read or write of bytes (a multiple of 512, at most HV_BLK_MAX_BYTES) at
 * sector, to/from physically contiguous buf, or a flush (HV_BLK_OP_FLUSH,
 * no buf), 0 or -HV_EAGAIN when full; kick hands what was queued to the
 * device (one notification per batch at most); wait is one step towards
 * *flag (takes completions, or sleeps until an interrupt unless *flag is
 * set: callers loop on their flag).  The driver sets *io.progress on every
 * completion.
 */
struct blkdev {
	char name[16];       /* pvblk0, trapblk0, ... */
	const char *path;    /* "pv", "pv-poll", "trap": how requests reach hv */
	uint64_t sectors;
	uint32_t sector_size;
	bool ro;
	unsigned max_depth;  /* requests in flight at most */
	struct blk_sync_dev io;
	void (*info)(const struct blkdev *d, char *buf, unsigned len); /* driver's details */
	void *priv;
	struct blkdev *next; /* the block layer's: registration order */
};

static inline int blkdev_submit(struct blkdev *d, uint32_t op, uint64_t sector, void *buf,
				uint32_t bytes, blk_done_fn fn, void *arg)
{
	return d->io.ops->submit(d->io.drv, op, sector, buf, bytes, fn, arg);
}

static inline void blkdev_kick(struct blkdev *d)
{
	d->io.ops->kick(d->io.drv);
}

static inline void blkdev_wait(struct blkdev *d, const volatile int *flag)
{
	d->io.ops->wait(d->io.drv, flag);
}

/* Adds d to the devices programs can name; d lives as long as the kernel. */
void blkdev_register(struct blkdev *d);
struct blkdev *blkdev_find(const char *name);
/* The device registered after d (the first for NULL), or NULL. */
struct blkdev *blkdev_next(const struct blkdev *d);

/*
 * A buffer requests may point at: physically contiguous, zeroed, in whole
 * pages; NULL when memory is short.  Free it with the same byte count.
 */
void *blkdev_buf_alloc(uint64_t bytes);
void blkdev_buf_free(void *p, uint64_t bytes);

/*
 * Synchronous helpers: any length (a multiple of 512); HV_BLK_S_* status.
 * The loop is pv-drivers' blk_sync, the one the host unit tests exercise.
 */
uint32_t blkdev_rw(struct blkdev *d, uint32_t op, uint64_t sector, void *buf, uint64_t bytes);
uint32_t blkdev_flush(struct blkdev *d);
const char *blk_status_name(uint32_t status);

#endif
