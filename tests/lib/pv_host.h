/*
 * A host-side "guest OS" for the PV drivers: their memory is a region of a
 * real hv guest-memory map, their hypercalls go to hv's real dispatcher,
 * their doorbells signal the queue's eventfd (what KVM's ioeventfd does) and
 * their interrupts are hv's irqfd eventfds, read here.  Everything between
 * the driver and the image file is hv's production code.
 */
#ifndef HV_TEST_PV_HOST_H
#define HV_TEST_PV_HOST_H

#include <stdint.h>

#include "pv_os.h"
#include "pvblk_fe.h"
#include "pvblk_back.h"
#include "vm.h"

struct pv_host {
	struct vm *vm;
	struct pv_os os;
	uint64_t next;            /* bump allocator over guest RAM */
	struct pvblk_back *disk[HV_MAX_DEVS_PER_KIND]; /* hv's pvblk0, ... */
	unsigned nr_disk;
	struct pvblk_fe *fe[HV_MAX_DEVS_PER_KIND]; /* by pvblk index, for interrupts */
	uint64_t irqs, wait_timeouts;
};

/* Builds a VM with mem bytes of RAM and the given disks; starts its I/O thread. */
int pv_host_init(struct pv_host *h, uint64_t mem, const char *const *disks, unsigned n,
		 uint64_t io_poll_ns);
void pv_host_destroy(struct pv_host *h);

/* Attaches pvblk unit through the driver; 0 or -HV_E*. */
int pv_host_attach(struct pv_host *h, struct pvblk_fe *fe, unsigned unit, uint32_t qsize,
		   uint32_t vector, uint32_t start);

/* Guest RAM the driver can use for data. */
void *pv_host_alloc(struct pv_host *h, size_t n);

#endif
