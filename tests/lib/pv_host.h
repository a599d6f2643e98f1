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
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "pvnet_fe.h"
#include "core/vm.h"

#define PV_HOST_MAX_QUEUES 16

/* One of hv's queues as the "guest" sees it: its doorbell, its interrupt. */
struct pv_host_queue {
	struct pvq *q;
	void (*irq)(void *fe); /* the driver's handler, once attached */
	void *fe;
};

struct pv_host {
	struct vm *vm;
	struct pv_os os;
	uint64_t next;            /* bump allocator over guest RAM */
	struct pvblk_back *disk[HV_MAX_DEVS_PER_KIND]; /* hv's pvblk0, ... */
	unsigned nr_disk;
	struct pvnet_back *nic[HV_MAX_NICS_PER_KIND];  /* hv's pvnet0, ... */
	unsigned nr_nic;
	struct pv_host_queue queue[PV_HOST_MAX_QUEUES];
	unsigned nr_queue;
	uint64_t irqs, wait_timeouts;
};

/*
 * Builds a VM with mem bytes of RAM and the given disks; starts its I/O
 * thread unless NICs are to be added first (n_defer: call pv_host_start).
 */
int pv_host_init(struct pv_host *h, uint64_t mem, const char *const *disks, unsigned n,
		 uint64_t io_poll_ns);
void pv_host_destroy(struct pv_host *h);

/* Adds pvnet<nr_nic> from an option argument ("loop", "tap:NAME"); 0 or -errno. */
int pv_host_add_nic(struct pv_host *h, const char *arg);
/* Adds a pvnet on a backend the test opened itself (a socketpair as a tap); 0 or -errno. */
int pv_host_add_nic_on(struct pv_host *h, const struct net *net);
/* Starts the I/O thread once every device is there; 0 or -errno. */
int pv_host_start(struct pv_host *h);

/* Attaches pvnet unit through the driver (MSI-X on, as below); 0 or -HV_E*. */
int pv_host_attach_nic(struct pv_host *h, struct pvnet_fe *fe, unsigned unit,
		       const struct pvnet_fe_config *cfg);

/*
 * Attaches pvblk unit through the driver; 0 or -HV_E*.  No poll window
 * unless the environment's PV_HOST_HALTPOLL_NS gives its cap (benchmarks:
 * pv_host_destroy then reports the window); pv_host_attach_cfg sets one.
 * vector nonzero: completions interrupt (MSI-X entry 0); 0: the driver polls.
 * Both unmask the function's MSI-X entries and enable MSI-X first, as a
 * guest's driver does.
 */
int pv_host_attach(struct pv_host *h, struct pvblk_fe *fe, unsigned unit, uint32_t qsize,
		   uint32_t vector, uint32_t start);
int pv_host_attach_cfg(struct pv_host *h, struct pvblk_fe *fe, unsigned unit,
		       const struct pvblk_fe_config *cfg);

/* Guest RAM the driver can use for data. */
void *pv_host_alloc(struct pv_host *h, size_t n);

#endif
