/*
 * Driver for hv's trap-and-emulate NIC (protocol/hv_trapnet.h):
 * finds the controllers in the boot info and registers each as a netdev.
 */
#ifndef GK_TRAPNET_DRV_H
#define GK_TRAPNET_DRV_H

struct boot_args;

void trapnet_drv_probe(const struct boot_args *b);

#endif
