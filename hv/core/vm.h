/*
 * The machine: everything one guest owns on the host side, in one struct
 * that hv's modules receive explicitly (no module keeps state of its own).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_abi.h"
#include "core/console.h"
#include "core/device.h"
#include "kvm/guest_mem.h"
#include "core/hypercall.h"
#include "core/io_bus.h"
#include "io/iothread.h"

struct fault_plan;
struct kvm_vm;
struct pci_bus;
struct snap_origin;

/* One entry of the device table; the same index as the guest's hv_dev_desc. */
struct vm_device {
	const struct device_kind *kind;
	void *dev;
	unsigned index;                 /* <kind name><index> */
};

struct vm {
	struct guest_mem mem;
	struct io_bus pio;  /* port I/O: UART, hypercall port, Linux's keyboard controller */
	struct io_bus mmio; /* trapped MMIO windows */
	struct hc_table hc;
	struct console console;
	void *platform;     /* state of the legacy PC ports for Linux (x86/legacy.c), or NULL */
	struct pci_bus *pci; /* bus 0: the PV devices' functions (pci/pci.h) */
	struct snap_origin *origin; /* --restore: the kernel and cmdline the snapshot recorded */

	struct hv_dev_desc desc[HV_BOOT_MAX_DEV]; /* what the guest may enumerate */
	struct vm_device dev[HV_BOOT_MAX_DEV];
	unsigned nr_dev;
	unsigned nr_notify_ports; /* handed out from HV_NOTIFY_PORT_BASE upward */
	uint64_t mmio_next;       /* the next free MMIO window, from HV_MMIO_BASE upward */

	struct fault_plan *faults; /* --fault rules devices claim as they are created, or NULL */
	bool keep_latency;         /* a control API (GET /metrics) reads the devices' latency */
	struct kvm_vm *kvm; /* NULL until KVM is set up (and in unit tests) */
	struct iothread io;

	uint64_t console_hc_bytes; /* bytes written through HV_HC_CONSOLE_WRITE */
	uint64_t hv_exits;         /* returns from KVM_RUN: exits that reached hv */
	bool exit_requested;       /* set by HV_HC_EXIT, or a reset */
	bool reset_requested;      /* the guest reset the machine (Linux's reboot) */
	int exit_status;
};

/*
 * Sets up what every guest has, before KVM is involved: console output to
 * console_fd, the devices of the kinds with no option (the UART), the core
 * hypercalls.  0 or -errno.
 */
int vm_init_devices(struct vm *vm, int console_fd);

/*
 * Creates instance index of kind from its option argument (kind->add), and
 * registers its family's hypercalls.  0, or -errno with a one-line reason in
 * err that names the device.
 */
int vm_create_device(struct vm *vm, const struct device_kind *kind, unsigned index,
		     const char *arg, char *err, size_t errlen);

/*
 * For a kind's add: publishes a set-up device as the next table entry, d
 * for the guest and dev for hv; its nr_src event sources join the I/O
 * thread.  A PV device (device_pci_of) also gets its PCI function: d's base,
 * len and irq become BAR 0's and the MSI-X entries'.  0 or -errno; nothing
 * is added on failure.
 */
int vm_add_device(struct vm *vm, const struct device_kind *kind, unsigned index, void *dev,
		  const struct hv_dev_desc *d, struct io_source *const *src, unsigned nr_src);

/* Instance index of kind, or NULL. */
void *vm_device(const struct vm *vm, const struct device_kind *kind, unsigned index);

/* The next free queue notify port; 0 or -ENOSPC. */
int vm_alloc_notify_port(struct vm *vm, uint16_t *port);

/* A device register window of len bytes (a multiple of 4 KiB) above RAM; 0 or -ENOSPC. */
int vm_alloc_mmio(struct vm *vm, uint64_t len, uint64_t *base);

/* Wires devices into KVM once it exists (vm->kvm): MSI routes.  0 or -errno. */
int vm_wire_kvm(struct vm *vm);

/* Creates the I/O thread's io_uring if any device needs it; 0 or -errno. */
int vm_open_io(struct vm *vm);

/* Starts the I/O thread if any device needs it (opening its ring if not yet); 0 or -errno. */
int vm_start_io(struct vm *vm);

/* --verbose: one line per device; --stats: the devices' lines and the console's. */
void vm_describe_devices(FILE *f, const struct vm *vm);
void vm_print_stats(FILE *f, const struct vm *vm);

/* Stops the I/O thread after every disk op in flight completed; frees the devices. */
void vm_destroy_devices(struct vm *vm);

#endif
