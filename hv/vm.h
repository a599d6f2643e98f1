/*
 * The machine: everything one guest owns on the host side, in one struct
 * that hv's modules receive explicitly (no module keeps state of its own).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "../protocol/hv_abi.h"
#include "console.h"
#include "guest_mem.h"
#include "hypercall.h"
#include "io_bus.h"
#include "uart.h"

struct vm {
	struct guest_mem mem;
	struct io_bus pio;  /* port I/O: UART, hypercall port */
	struct io_bus mmio; /* trapped MMIO windows */
	struct hc_table hc;
	struct console console;
	struct uart uart;

	struct hv_dev_desc dev[HV_BOOT_MAX_DEV]; /* what the guest may enumerate */
	unsigned nr_dev;

	uint64_t console_hc_bytes; /* bytes written through HV_HC_CONSOLE_WRITE */
	bool exit_requested;       /* set by HV_HC_EXIT */
	int exit_status;
};

/*
 * Sets up what every guest has, before KVM is involved: console output to
 * console_fd, the UART, the core hypercalls.  0 or -errno.
 */
int vm_init_devices(struct vm *vm, int console_fd);

/* Adds a device to the table the guest enumerates; 0 or -ENOSPC. */
int vm_add_dev(struct vm *vm, const struct hv_dev_desc *d);

#endif
