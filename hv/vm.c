/* Machine-wide setup that needs no KVM: buses, UART, console, hypercalls. */
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int vm_add_dev(struct vm *vm, const struct hv_dev_desc *d, const struct vm_queue_ops *queue,
	       void *dev)
{
	if (vm->nr_dev == HV_BOOT_MAX_DEV)
		return -ENOSPC;
	vm->backend[vm->nr_dev] = (struct vm_dev_backend){ queue, dev };
	vm->dev[vm->nr_dev++] = *d;
	return 0;
}

static int64_t pvblk_attach_fn(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm)
{
	return pvblk_back_attach(dev, s, kvm);
}

static int64_t pvblk_detach_fn(void *dev, struct kvm_vm *kvm)
{
	return pvblk_back_detach(dev, kvm);
}

static const struct vm_queue_ops pvblk_queue_ops = { pvblk_attach_fn, pvblk_detach_fn };

/* Opens a disk for device slot n of a kind, if there is such a slot. */
static int open_disk(struct disk *disk, const struct disk_spec *spec, unsigned n,
		     char *err, size_t errlen)
{
	if (n == VM_MAX_DISKS) {
		snprintf(err, errlen, "too many disks (at most %d of a kind)", VM_MAX_DISKS);
		return -ENOSPC;
	}
	return disk_open(disk, spec, err, errlen);
}

/* The device is set up: make it visible to the guest and the I/O thread. */
static int publish_dev(struct vm *vm, const struct hv_dev_desc *d,
		       const struct vm_queue_ops *queue, void *dev, struct io_source *src, const char *kind, unsigned n,
		       char *err, size_t errlen)
{
	int rc = vm_add_dev(vm, d, queue, dev);

	if (!rc)
		rc = iothread_add(&vm->io, src);
	if (rc)
		snprintf(err, errlen, "%s%u: cannot set up: %s", kind, n, strerror(-rc));
	return rc;
}

int vm_add_pvblk(struct vm *vm, const struct disk_spec *spec, char *err, size_t errlen)
{
	struct pvblk_back *b = &vm->pvblk[vm->nr_pvblk];
	struct hv_dev_desc d;
	struct disk disk;
	int rc = open_disk(&disk, spec, vm->nr_pvblk, err, errlen);

	if (rc)
		return rc;
	rc = pvblk_back_init(b, vm->nr_pvblk, &vm->mem, &disk);
	if (rc) {
		disk_close(&disk);
		snprintf(err, errlen, "pvblk%u: cannot set up: %s", vm->nr_pvblk, strerror(-rc));
		return rc;
	}
	pvblk_back_desc(b, &d);
	rc = publish_dev(vm, &d, &pvblk_queue_ops, b, &b->src, "pvblk", vm->nr_pvblk, err, errlen);
	if (rc) {
		pvblk_back_destroy(b);
		return rc;
	}
	vm->nr_pvblk++;
	return 0;
}

int vm_add_trapblk(struct vm *vm, const struct disk_spec *spec, char *err, size_t errlen)
{
	struct trapblk_dev *t = &vm->trapblk[vm->nr_trapblk];
	struct hv_dev_desc d;
	struct disk disk;
	int rc = open_disk(&disk, spec, vm->nr_trapblk, err, errlen);

	if (rc)
		return rc;
	rc = trapblk_dev_init(t, vm->nr_trapblk, &vm->mem, &disk);
	if (rc) {
		disk_close(&disk);
		snprintf(err, errlen, "trapblk%u: cannot set up: %s", vm->nr_trapblk,
			 strerror(-rc));
		return rc;
	}
	trapblk_dev_desc(t, &d);
	rc = io_bus_register(&vm->mmio, t->base, HV_TRAPBLK_WINDOW, trapblk_dev_mmio, t, "trapblk");
	if (rc) {
		snprintf(err, errlen, "trapblk%u: cannot map its window: %s", vm->nr_trapblk,
			 strerror(-rc));
	} else {
		rc = publish_dev(vm, &d, NULL, t, &t->src, "trapblk", vm->nr_trapblk, err,
				 errlen);
		if (rc)
			io_bus_unregister(&vm->mmio, t->base); /* nothing may point at t */
	}
	if (rc) {
		trapblk_dev_destroy(t);
		return rc;
	}
	vm->nr_trapblk++;
	return 0;
}

int vm_wire_kvm(struct vm *vm)
{
	unsigned i;
	int rc;

	for (i = 0; i < vm->nr_trapblk; i++) {
		rc = trapblk_dev_wire(&vm->trapblk[i], vm->kvm);
		if (rc)
			return rc;
	}
	return 0;
}

int vm_start_io(struct vm *vm)
{
	return vm->nr_pvblk || vm->nr_trapblk ? iothread_start(&vm->io) : 0;
}

void vm_destroy_devices(struct vm *vm)
{
	unsigned i;

	iothread_destroy(&vm->io);
	for (i = 0; i < vm->nr_pvblk; i++)
		pvblk_back_destroy(&vm->pvblk[i]);
	for (i = 0; i < vm->nr_trapblk; i++)
		trapblk_dev_destroy(&vm->trapblk[i]);
	vm->nr_pvblk = vm->nr_trapblk = 0;
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

	rc = iothread_init(&vm->io);
	if (rc)
		return rc;
	console_init(&vm->console, console_fd);
	uart_init(&vm->uart, console_sink, &vm->console);
	hc_register_core(&vm->hc);
	rc = io_bus_register(&vm->pio, HV_UART_PORT, HV_UART_LEN, uart_io,
			     &vm->uart, "uart");
	if (!rc)
		rc = io_bus_register(&vm->pio, HV_HC_PORT, 4, hc_port_io, vm,
				     "hypercall-port-misuse");
	if (!rc)
		rc = vm_add_dev(vm, &uart, NULL, NULL);
	return rc;
}
