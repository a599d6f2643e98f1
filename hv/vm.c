/* Machine-wide setup that needs no KVM: buses, UART, console, hypercalls. */
#include "vm.h"

#include <errno.h>
#include <string.h>

int vm_add_dev(struct vm *vm, const struct hv_dev_desc *d)
{
	if (vm->nr_dev == HV_BOOT_MAX_DEV)
		return -ENOSPC;
	vm->dev[vm->nr_dev++] = *d;
	return 0;
}

static void hc_port_io(void *opaque, uint64_t off, bool is_write, uint64_t *val,
		       unsigned size)
{
	/*
	 * Reached only for accesses the vCPU loop did not take as a hypercall
	 * (reads, or writes of the wrong width): they do nothing.
	 */
	(void)opaque, (void)off, (void)is_write, (void)size;
	if (!is_write)
		*val = ~0ull;
}

int vm_init_devices(struct vm *vm, int console_fd)
{
	struct hv_dev_desc uart = {
		.type = HV_DEV_UART, .base = HV_UART_PORT, .len = HV_UART_LEN,
	};
	int rc;

	console_init(&vm->console, console_fd);
	uart_init(&vm->uart, console_sink, &vm->console);
	hc_register_core(&vm->hc);
	rc = io_bus_register(&vm->pio, HV_UART_PORT, HV_UART_LEN, uart_io,
			     &vm->uart, "uart");
	if (!rc)
		rc = io_bus_register(&vm->pio, HV_HC_PORT, 4, hc_port_io, vm,
				     "hypercall");
	if (!rc)
		rc = vm_add_dev(vm, &uart);
	return rc;
}
