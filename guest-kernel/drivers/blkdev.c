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

uint32_t blkdev_rw(struct blkdev *d, uint32_t op, uint64_t sector, void *buf, uint64_t bytes)
{
	return blk_sync_rw(&d->io, op, sector, buf, bytes);
}

uint32_t blkdev_flush(struct blkdev *d)
{
	return blk_sync_io(&d->io, HV_BLK_OP_FLUSH, 0, NULL, 0);
}

const char *blk_status_name(uint32_t status)
{
	return pvblk_fe_status_name(status); /* the statuses are the protocol's */
}
