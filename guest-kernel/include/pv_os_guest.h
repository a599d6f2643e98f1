/*
 * The guest kernel's struct pv_os (pv-drivers/pv_os.h): the services every
 * PV front end runs on here, and what the block and network glue share.
 */
#ifndef GK_PV_OS_GUEST_H
#define GK_PV_OS_GUEST_H

#include <stdint.h>

#include "pv_os.h"
#include "trap.h"

struct boot_args;

extern const struct pv_os pv_os_guest;

/*
 * The interrupt vector of PV device name (device dev_index): one from
 * trap_alloc_vector, with handler installed for ctx, that MSI-X entry of
 * the device's PCI function now sends (pci.h); or 0 when the kernel
 * parameter poll= names the device (poll=all, or poll=pvblk0,pvnet1), no
 * vector is left or the function is not found: it then gets no interrupt
 * and its waiters poll.
 */
uint32_t pv_os_guest_vector(const struct boot_args *b, const char *name, uint32_t dev_index,
			    unsigned entry, trap_fn handler, void *ctx);

#endif
