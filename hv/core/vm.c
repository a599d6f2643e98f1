/*
 * The machine's device table and the setup every guest shares (buses, UART,
 * console, core hypercalls).  Devices of every kind come and go through the
 * kinds' operations (device.h); nothing here knows a kind by name.
 */
#include "core/vm.h"
#include "core/lathist.h"
#include "core/vcpu.h"
#include "core/util.h"
#include "pci/pci.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>


/* Its histograms are timed: GET /metrics can read them (lathist.h). */
static void keep_latency(const struct device_kind *kind, void *dev)
{
	unsigned d;

	if (kind->latency)
		kind->latency(dev)->kept = true;
	for (d = 0; kind->frame_latency && d < LATHIST_DIRS; d++)
		kind->frame_latency(dev, d)->kept = true;
}

int vm_add_device(struct vm *vm, const struct device_kind *kind, unsigned index, void *dev,
		  const struct hv_dev_desc *d, struct io_source *const *src, unsigned nr_src)
{
	const struct device_pci *pci = device_pci_of(kind);
	struct hv_dev_desc desc = *d;
	unsigned i;
	int rc;

	if (vm->nr_dev == HV_BOOT_MAX_DEV || vm->io.nr_src + nr_src > IOTHREAD_MAX_SRC)
		return -ENOSPC;
	if (pci && gm_range(&vm->mem, HV_PCI_MMIO_BASE, 1))
		return -ERANGE; /* vm_create_device says why */
	if (pci) {
		/* Subsystem ID = the index HV_HC_DEV_INFO and the queue hypercalls take. */
		struct pci_func *f = vm->pci ? pci_add_pv(vm->pci, pci->device, pci->class,
							   (uint16_t)vm->nr_dev, pci->msix_entries,
							   &rc) : NULL;
		if (!f)
			return vm->pci ? rc : -ENODEV;
		pci->bind(dev, &f->msix);
		desc.base = pci_bar0(f);
		desc.len = HV_PCI_BAR_SIZE;
		desc.irq = pci->msix_entries;
	}
	for (i = 0; i < nr_src; i++)
		iothread_add(&vm->io, src[i]); /* cannot fail: room checked above */
	if (vm->keep_latency)
		keep_latency(kind, dev);
	vm->dev[vm->nr_dev] = (struct vm_device){ kind, dev, index };
	vm->desc[vm->nr_dev++] = desc;
	return 0;
}

int vm_create_device(struct vm *vm, const struct device_kind *kind, unsigned index,
		     const char *arg, char *err, size_t errlen)
{
	int rc;

	/* hv's own kernel has RAM in one block from 0: the BARs would lie in it. */
	if (device_pci_of(kind) && gm_range(&vm->mem, HV_PCI_MMIO_BASE, 1))
		return err_msg(-ERANGE, err, errlen, "%s%u: a PV device's PCI BAR lies at 0x%llx, "
			       "inside guest RAM: with hv's kernel, --mem at most %lluM",
			       kind->name, index, HV_PCI_MMIO_BASE, HV_PCI_MMIO_BASE >> 20);
	rc = kind->add(vm, index, arg, err, errlen);

	if (!rc && kind->register_hypercalls)
		kind->register_hypercalls(&vm->hc);
	return rc;
}

void *vm_device(const struct vm *vm, const struct device_kind *kind, unsigned index)
{
	unsigned i;

	for (i = 0; i < vm->nr_dev; i++)
		if (vm->dev[i].kind == kind && vm->dev[i].index == index)
			return vm->dev[i].dev;
	return NULL;
}

int vm_alloc_notify_port(struct vm *vm, uint16_t *port)
{
	if (vm->nr_notify_ports == HV_NOTIFY_PORT_COUNT)
		return -ENOSPC;
	*port = (uint16_t)(HV_NOTIFY_PORT_BASE + 4 * vm->nr_notify_ports++);
	return 0;
}

int vm_alloc_mmio(struct vm *vm, uint64_t len, uint64_t *base)
{
	/* 1 GiB of windows: far more than HV_BOOT_MAX_DEV devices need. */
	if (!vm->mmio_next)
		vm->mmio_next = HV_MMIO_BASE;
	if (len % 4096 || vm->mmio_next + len > HV_MMIO_BASE + (1ull << 30))
		return -ENOSPC;
	*base = vm->mmio_next;
	vm->mmio_next += len;
	return 0;
}

int vm_wire_kvm(struct vm *vm)
{
	unsigned i;
	int rc;

	rc = vm->pci ? pci_wire(vm->pci, vm->kvm) : 0;
	if (rc)
		return rc;
	for (i = 0; i < vm->nr_dev; i++) {
		const struct device_kind *k = vm->dev[i].kind;
		if (k && k->wire) {
			rc = k->wire(vm->dev[i].dev, vm->kvm);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int vm_open_io(struct vm *vm)
{
	return vm->io.nr_src > 1 ? iothread_open(&vm->io) : 0;
}

int vm_start_io(struct vm *vm)
{
	sigset_t old;
	int rc;

	/* The stop source is always there: more means a device needs the thread. */
	if (vm->io.nr_src <= 1)
		return 0;
	vcpu_signals_block(&old); /* process signals are the vCPU thread's */
	rc = iothread_start(&vm->io);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void vm_describe_devices(FILE *f, const struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->nr_dev; i++)
		if (vm->dev[i].kind)
			vm->dev[i].kind->describe(f, vm->dev[i].dev);
}

void vm_print_stats(FILE *f, const struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->nr_dev; i++)
		if (vm->dev[i].kind) {
			fputs("hv: stats: hv ", f);
			vm->dev[i].kind->print_stats(f, vm->dev[i].dev);
		}
	fprintf(f, "hv: stats: hv  console bytes uart %llu hypercall %llu\n",
		(unsigned long long)vm->console.dev_bytes, (unsigned long long)vm->console_hc_bytes);
}

void vm_destroy_devices(struct vm *vm)
{
	unsigned i;

	iothread_destroy(&vm->io);
	for (i = 0; i < vm->nr_dev; i++)
		if (vm->dev[i].kind)
			vm->dev[i].kind->destroy(vm->dev[i].dev);
	vm->nr_dev = 0;
	if (vm->pci) {
		pci_destroy(vm->pci);
		free(vm->pci);
		vm->pci = NULL;
	}
	free(vm->platform);
	vm->platform = NULL;
	free(vm->origin);
	vm->origin = NULL;
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
	char err[128];
	unsigned i;
	int rc;

	rc = iothread_init(&vm->io);
	if (rc)
		return rc;
	console_init(&vm->console, console_fd);
	hc_register_core(&vm->hc);
	rc = io_bus_register(&vm->pio, HV_HC_PORT, 4, hc_port_io, vm, "hypercall-port-misuse");
	vm->pci = rc ? NULL : calloc(1, sizeof(*vm->pci));
	if (!rc)
		rc = vm->pci ? pci_bus_init(vm->pci, &vm->pio, &vm->mmio) : -ENOMEM;
	/* Kinds with no option: one each on every machine, first in the table. */
	for (i = 0; !rc && i < device_kinds_count; i++)
		if (!device_kinds[i]->option)
			rc = vm_create_device(vm, device_kinds[i], 0, NULL, err, sizeof(err));
	return rc;
}
