/*
 * The guest's block layer: every disk, paravirtual (pvblk*) or trapped
 * (trapblk*), behind one asynchronous interface, so the programs (sha256,
 * copy, blkbench, ...) run unchanged on either path.
 */
#ifndef GK_BLKDEV_H
#define GK_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_blk.h"

#define BLKDEV_MAX 16 /* 8 pvblk + 8 trapblk, hv's limits */

/* status: HV_BLK_S_*; runs in interrupt context in interrupt mode. */
typedef void (*blk_done_fn)(void *arg, uint32_t status, uint32_t bytes);

struct blkdev;

struct blkdev_ops {
	/*
	 * Queues a read or write of bytes (a multiple of 512, at most
	 * HV_BLK_MAX_BYTES) at sector, to/from physically contiguous buf, or
	 * a flush (HV_BLK_OP_FLUSH, no buf).  0, or -HV_EAGAIN when full.
	 */
	int (*submit)(struct blkdev *d, uint32_t op, uint64_t sector, void *buf,
		      uint32_t bytes, blk_done_fn fn, void *arg);
	void (*kick)(struct blkdev *d);                          /* start what is queued */
	void (*wait)(struct blkdev *d, const volatile int *flag); /* make progress */
	void (*info)(struct blkdev *d, char *buf, unsigned len); /* driver's details */
};

struct blkdev {
	char name[16];       /* pvblk0, trapblk0, ... */
	const char *path;    /* "pv", "pv-poll", "trap": how requests reach hv */
	uint64_t sectors;
	uint32_t sector_size;
	bool ro;
	unsigned max_depth;  /* requests in flight at most */
	volatile int *progress; /* the driver sets *progress on every completion */
	const struct blkdev_ops *ops;
	void *priv;
};

/* 0, or -1 when the table is full. */
int blkdev_register(struct blkdev *d);
struct blkdev *blkdev_find(const char *name);
unsigned blkdev_count(void);
struct blkdev *blkdev_at(unsigned i);

/* A request someone waits for: blk_wait_done is its completion callback. */
struct blk_wait {
	volatile int done;
	uint32_t status;
	uint32_t bytes;
};
void blk_wait_done(void *arg, uint32_t status, uint32_t bytes);

/* Synchronous helpers: any length (a multiple of 512); HV_BLK_S_* status. */
uint32_t blkdev_rw(struct blkdev *d, uint32_t op, uint64_t sector, void *buf, uint64_t bytes);
uint32_t blkdev_flush(struct blkdev *d);
const char *blk_status_name(uint32_t status);

/* Finds the PV devices in the boot info and attaches them (pvblk.c). */
void pvblk_probe(void);
/* Likewise the trap controllers (trapblk.c), and the registers behind d or NULL. */
void trapblk_probe(void);
volatile uint8_t *trapblk_regs(struct blkdev *d);
struct pvblk_fe;
/* The PV driver behind d, or NULL if d is not a pvblk device. */
struct pvblk_fe *pvblk_fe_of(struct blkdev *d);
/* Detaches d's queue (even a broken one) and attaches fresh rings; 0 or -HV_E*. */
int pvblk_reset(struct blkdev *d);

#endif
