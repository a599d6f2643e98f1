/* The one synchronous wait loop (blk_sync.h). */
#include "blk_sync.h"

#include "hv_blk.h"

struct waiter {
	volatile int done;
	uint32_t status;
	uint32_t want; /* the request's bytes (0 for a flush) */
};

static void done(void *arg, uint32_t status, uint32_t bytes)
{
	struct waiter *w = arg;

	/* A success that moved other bytes than asked is none: the buffer cannot be trusted. */
	w->status = status == HV_BLK_S_OK && bytes != w->want ? HV_BLK_S_IOERR : status;
	w->done = 1;
}

uint32_t blk_sync_io(const struct blk_sync_dev *d, uint32_t op, uint64_t sector, void *buf,
		     uint32_t bytes)
{
	struct waiter w = { 0, 0, bytes };

	/*
	 * Full of requests in flight: wait for any completion.  progress is
	 * cleared before the attempt, so one that lands in between is seen.
	 */
	for (;;) {
		*d->progress = 0;
		if (!d->ops->submit(d->drv, op, sector, buf, bytes, done, &w))
			break;
		d->ops->kick(d->drv);
		d->ops->wait(d->drv, d->progress);
	}
	d->ops->kick(d->drv);
	while (!w.done)
		d->ops->wait(d->drv, &w.done);
	return w.status;
}

uint32_t blk_sync_rw(const struct blk_sync_dev *d, uint32_t op, uint64_t sector, void *buf,
		     uint64_t bytes)
{
	uint8_t *p = buf;

	while (bytes) {
		uint32_t n = bytes > d->max_bytes ? d->max_bytes : (uint32_t)bytes;
		uint32_t st = blk_sync_io(d, op, sector, p, n);

		if (st != HV_BLK_S_OK)
			return st;
		p += n;
		bytes -= n;
		sector += n / HV_BLK_SECTOR;
	}
	return HV_BLK_S_OK;
}
