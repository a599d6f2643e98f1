/*
 * Driver for hv's trap-and-emulate block controller (protocol/hv_trapblk.h):
 * finds the controllers in the boot info and registers each as a blkdev.
 */
#ifndef GK_TRAPBLK_DRV_H
#define GK_TRAPBLK_DRV_H

#include <stdint.h>

struct blkdev;
struct boot_args;

void trapblk_drv_probe(const struct boot_args *b);

/* The registers behind d, or NULL if d is not a trapblk device (for traphostile). */
volatile uint8_t *trapblk_drv_regs(struct blkdev *d);

#endif
