/*
 * The guest kernel's glue around the OS-neutral PV NIC front end
 * (pv-drivers/pvnet_fe): finds pvnet devices in the boot info, gives the
 * front end the kernel's services and a receive vector, registers each as
 * a netdev.
 */
#ifndef GK_PVNET_GLUE_H
#define GK_PVNET_GLUE_H

#include <stdint.h>

struct boot_args;
struct netdev;

/*
 * Attaches every HV_DEV_PVNET device in the boot info: received frames by
 * interrupt, TX completions taken when the loop polls or a send finds the
 * ring full.  poll=all or poll=pvnet0,... gives a NIC no interrupt at all:
 * the network loop then polls it without halting.
 */
void pvnet_glue_probe(const struct boot_args *b);

/*
 * For nethostile, which drives the rings itself meanwhile: detach lets go
 * of d's queues (frames in flight are released first where hv answers them;
 * from then on d drops every frame), attach gives d fresh rings.  0 or
 * -HV_E* (-HV_EINVAL: d is not a pvnet device; attach: -HV_EBUSY while
 * attached).  A failed attach leaves d detached.
 */
int pvnet_glue_detach(struct netdev *d);
int pvnet_glue_attach(struct netdev *d);
/* d's position in hv's device table (the queue hypercalls' device), UINT32_MAX if not pvnet. */
uint32_t pvnet_glue_dev_index(struct netdev *d);

#endif
