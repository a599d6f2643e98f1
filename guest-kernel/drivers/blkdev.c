/* The block layer: the device list, request buffers and the synchronous helpers. */
#include "blkdev.h"

#include "lib.h"
#include "mm.h"
#include "pvblk_fe.h"

/* A list, not an array: registration cannot fail, and no limit of its own. */
static struct {
	struct blkdev *first;
	struct blkdev **end; /* where the next device is linked */
} devs = { NULL, &devs.first };

void blkdev_register(struct blkdev *d)
{
	d->next = NULL;
	*devs.end = d;
	devs.end = &d->next;
}

struct blkdev *blkdev_find(const char *name)
{
	struct blkdev *d;

	for (d = devs.first; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct blkdev *blkdev_next(const struct blkdev *d)
{
	return d ? d->next : devs.first;
}

void *blkdev_buf_alloc(uint64_t bytes)
{
	return (void *)(uintptr_t)pmm_alloc_contig(PAGES_FOR(bytes)); /* RAM is mapped 1:1 */
}

void blkdev_buf_free(void *p, uint64_t bytes)
{
	pmm_free_contig((uint64_t)(uintptr_t)p, PAGES_FOR(bytes));
}

/* blk_sync drives a blkdev through its ops: drv is the blkdev itself. */
static int sync_submit(void *drv, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		       blk_sync_done_fn fn, void *arg)
{
	struct blkdev *d = drv;

	return d->ops->submit(d, op, sector, buf, bytes, fn, arg);
}

static void sync_kick(void *drv)
{
	struct blkdev *d = drv;

	d->ops->kick(d);
}

static void sync_wait(void *drv, const volatile int *flag)
{
	struct blkdev *d = drv;

	d->ops->wait(d, flag);
}

static const struct blk_sync_ops sync_ops = { sync_submit, sync_kick, sync_wait };

static struct blk_sync_dev sync_dev(struct blkdev *d)
{
	return (struct blk_sync_dev){ &sync_ops, d, d->progress, HV_BLK_MAX_BYTES };
}

uint32_t blkdev_rw(struct blkdev *d, uint32_t op, uint64_t sector, void *buf, uint64_t bytes)
{
	struct blk_sync_dev s = sync_dev(d);

	return blk_sync_rw(&s, op, sector, buf, bytes);
}

uint32_t blkdev_flush(struct blkdev *d)
{
	struct blk_sync_dev s = sync_dev(d);

	return blk_sync_io(&s, HV_BLK_OP_FLUSH, 0, NULL, 0);
}

const char *blk_status_name(uint32_t status)
{
	return pvblk_fe_status_name(status); /* the statuses are the protocol's */
}
