/*
 * The machine: everything one guest owns on the host side, in one struct
 * that hv's modules receive explicitly (no module keeps state of its own).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../protocol/hv_abi.h"
#include "console.h"
#include "guest_mem.h"
#include "hypercall.h"
#include "io_bus.h"
#include "iothread.h"
#include "pvblk_back.h"
#include "trapblk_dev.h"
#include "uart.h"

struct kvm_vm;

#define VM_MAX_DISKS 8

/* What a device with queues does on HV_HC_QUEUE_ATTACH / _DETACH. */
struct vm_queue_ops {
	int64_t (*attach)(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm);
	int64_t (*detach)(void *dev, struct kvm_vm *kvm);
};

struct vm {
	struct guest_mem mem;
	struct io_bus pio;  /* port I/O: UART, hypercall port */
	struct io_bus mmio; /* trapped MMIO windows */
	struct hc_table hc;
	struct console console;
	struct uart uart;

	struct hv_dev_desc dev[HV_BOOT_MAX_DEV]; /* what the guest may enumerate */
	struct vm_dev_backend {
		const struct vm_queue_ops *queue; /* NULL: the device has no queues */
		void *dev;
	} backend[HV_BOOT_MAX_DEV];
	unsigned nr_dev;

	struct kvm_vm *kvm; /* NULL until KVM is set up (and in unit tests) */
	struct iothread io;
	struct pvblk_back pvblk[VM_MAX_DISKS];
	unsigned nr_pvblk;
	struct trapblk_dev trapblk[VM_MAX_DISKS];
	unsigned nr_trapblk;

	uint64_t console_hc_bytes; /* bytes written through HV_HC_CONSOLE_WRITE */
	uint64_t hv_exits;         /* returns from KVM_RUN: exits that reached hv */
	bool exit_requested;       /* set by HV_HC_EXIT */
	int exit_status;
};

/*
 * Sets up what every guest has, before KVM is involved: console output to
 * console_fd, the UART, the core hypercalls.  0 or -errno.
 */
int vm_init_devices(struct vm *vm, int console_fd);

/* Adds a device to the table the guest enumerates; 0 or -ENOSPC. */
int vm_add_dev(struct vm *vm, const struct hv_dev_desc *d, const struct vm_queue_ops *queue,
	       void *dev);

/*
 * Opens each disk and adds it as pvblk0, pvblk1, ...; the I/O thread must
 * be initialised.  0, or -errno with a one-line reason in err.
 */
int vm_add_pvblk(struct vm *vm, const struct disk_spec *spec, char *err, size_t errlen);

/* Likewise trapblk0, trapblk1, ... with their MMIO windows. */
int vm_add_trapblk(struct vm *vm, const struct disk_spec *spec, char *err, size_t errlen);

/* Wires devices into KVM once it exists (vm->kvm): MSI routes.  0 or -errno. */
int vm_wire_kvm(struct vm *vm);

/* Starts the I/O thread if any device needs it; 0 or -errno. */
int vm_start_io(struct vm *vm);
/* Stops it after every disk op in flight completed; frees the devices. */
void vm_destroy_devices(struct vm *vm);

#endif
