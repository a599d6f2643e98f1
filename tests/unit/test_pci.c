/*
 * PCI bus 0 and MSI-X (hv/pci): the test is the guest, through ports
 * 0xCF8/0xCFC and BAR 0 on the buses hv's vCPU loop dispatches from, and
 * the I/O thread, through msix_signal.  Config reads and writes of every
 * width, BAR sizing and moves, entries' mask and pending bits.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "core/vm.h"
#include "pci/pci.h"
#include "pv/pvblk_back.h"
#include "suites.h"

#define BAR0 HV_PCI_MMIO_BASE

struct fx {
	struct io_bus pio, mmio;
	struct pci_bus bus;
	struct pci_func *disk, *nic; /* slots 1 and 2 */
};

static void fx_init(struct fx *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	CU_ASSERT_EQUAL_FATAL(pci_bus_init(&f->bus, &f->pio, &f->mmio), 0);
	f->disk = pci_add_pv(&f->bus, HV_PCI_DEV_PVBLK, PCI_CLASS_STORAGE_OTHER, 1, 1, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->disk);
	f->nic = pci_add_pv(&f->bus, HV_PCI_DEV_PVNET, PCI_CLASS_ETHERNET, 2, 3, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->nic);
}

static void fx_destroy(struct fx *f)
{
	pci_destroy(&f->bus);
	CU_ASSERT_EQUAL(f->mmio.n, 0); /* every BAR's window went with its function */
}

static uint64_t pio(struct fx *f, uint16_t port, bool wr, uint64_t v, unsigned size)
{
	io_bus_access(&f->pio, port, wr, &v, size);
	return v;
}

/* A config access of size at reg (any byte) of bus 0, slot, function 0. */
static uint32_t cfg(struct fx *f, unsigned slot, unsigned reg, bool wr, uint32_t v,
		    unsigned size)
{
	pio(f, HV_PCI_CONF_ADDR, true, 0x80000000u | slot << 11 | (reg & 0xfc), 4);
	return (uint32_t)pio(f, (uint16_t)(HV_PCI_CONF_DATA + (reg & 3)), wr, v, size);
}

static uint32_t rd(struct fx *f, unsigned slot, unsigned reg, unsigned size)
{
	return cfg(f, slot, reg, false, 0, size);
}

static void wr(struct fx *f, unsigned slot, unsigned reg, uint32_t v, unsigned size)
{
	cfg(f, slot, reg, true, v, size);
}

static uint64_t bar(struct fx *f, uint64_t addr, bool w, uint64_t v, unsigned size)
{
	if (!io_bus_access(&f->mmio, addr, w, &v, size))
		return 0xdead; /* nothing decodes there */
	return v;
}

static void test_mechanism(void)
{
	struct fx f;

	fx_init(&f);
	/* The address register reads back what was written (Linux's pci_check_type1). */
	pio(&f, HV_PCI_CONF_ADDR, true, 0x80000000u, 4);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_ADDR, false, 0, 4), 0x80000000u);
	pio(&f, HV_PCI_CONF_ADDR, true, 0x12345678u, 4);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_ADDR, false, 0, 4), 0x12345678u);
	/* Byte accesses at 0xCF8..0xCFB are not the register. */
	pio(&f, HV_PCI_CONF_ADDR + 3, true, 0x01, 1);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_ADDR, false, 0, 4), 0x12345678u);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_ADDR + 1, false, 0, 1), 0xff);
	/* The host bridge, as pci_sanity_check wants it. */
	CU_ASSERT_EQUAL(rd(&f, 0, 0, 4), (uint32_t)HV_PCI_DEV_HOST << 16 | HV_PCI_VENDOR);
	CU_ASSERT_EQUAL(rd(&f, 0, 0x08, 4) >> 8, PCI_CLASS_HOST_BRIDGE);
	CU_ASSERT_EQUAL(rd(&f, 0, PCI_CFG_HEADER, 1), 0);
	/* Absent: other slots, other functions, other buses, the enable bit clear. */
	CU_ASSERT_EQUAL(rd(&f, 3, 0, 4), 0xffffffffu);
	CU_ASSERT_EQUAL(rd(&f, 31, 0, 2), 0xffff);
	pio(&f, HV_PCI_CONF_ADDR, true, 0x80000000u | 1 << 11 | 1 << 8, 4);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_DATA, false, 0, 4), 0xffffffffu);
	pio(&f, HV_PCI_CONF_ADDR, true, 0x80010000u | 1 << 11, 4);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_DATA, false, 0, 4), 0xffffffffu);
	pio(&f, HV_PCI_CONF_ADDR, true, 1 << 11, 4);
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_DATA, false, 0, 4), 0xffffffffu);
	pio(&f, HV_PCI_CONF_ADDR, true, 0x81000000u | 1 << 11, 4); /* extended registers */
	CU_ASSERT_EQUAL(pio(&f, HV_PCI_CONF_DATA, false, 0, 4), 0xffffffffu);
	fx_destroy(&f);
}

static void test_pv_header(void)
{
	struct fx f;

	fx_init(&f);
	CU_ASSERT_EQUAL(rd(&f, 1, 0, 4), (uint32_t)HV_PCI_DEV_PVBLK << 16 | HV_PCI_VENDOR);
	CU_ASSERT_EQUAL(rd(&f, 2, 0, 4), (uint32_t)HV_PCI_DEV_PVNET << 16 | HV_PCI_VENDOR);
	CU_ASSERT_EQUAL(rd(&f, 1, 0x08, 4) >> 8, PCI_CLASS_STORAGE_OTHER);
	CU_ASSERT_EQUAL(rd(&f, 2, 0x08, 4) >> 8, PCI_CLASS_ETHERNET);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_SUBVENDOR, 4), 1u << 16 | HV_PCI_VENDOR);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_SUBSYSTEM, 2), 2);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_INT_PIN, 1), 0); /* no INTx */
	CU_ASSERT(rd(&f, 1, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_CAP_PTR, 1), PCI_CFG_MSIX);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_BAR0, 4), BAR0);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_BAR0, 4), BAR0 + HV_PCI_BAR_SIZE);
	CU_ASSERT(rd(&f, 1, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY); /* hv decodes it from the start */
	/* MSI-X: ID 0x11, last in the list, table size - 1, BIR 0 at 0, PBA at 0x800. */
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_MSIX, 4), 0x11u | (3u - 1) << 16);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_MSIX, 4), 0x11u);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_MSIX + 4, 4), 0);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_MSIX + 8, 4), HV_PCI_PBA_OFF);
	/* BARs 1-5 and the ROM are not there: they size to 0. */
	wr(&f, 1, 0x14, 0xffffffffu, 4);
	CU_ASSERT_EQUAL(rd(&f, 1, 0x14, 4), 0);
	wr(&f, 1, 0x30, 0xffffffffu, 4);
	CU_ASSERT_EQUAL(rd(&f, 1, 0x30, 4), 0);
	fx_destroy(&f);
}

/* Every width at every offset reads what the dwords say; read-only bytes keep their value. */
static void test_widths(void)
{
	uint8_t before[PCI_CFG_SIZE];
	struct fx f;
	unsigned off;

	fx_init(&f);
	for (off = 0; off < PCI_CFG_SIZE; off += 4) {
		uint32_t d = rd(&f, 2, off, 4);

		memcpy(before + off, &d, 4);
		CU_ASSERT_EQUAL(rd(&f, 2, off, 2), d & 0xffff);
		CU_ASSERT_EQUAL(rd(&f, 2, off + 2, 2), d >> 16);
		for (unsigned b = 0; b < 4; b++)
			CU_ASSERT_EQUAL(rd(&f, 2, off + b, 1), (d >> 8 * b) & 0xff);
	}
	/* All ones everywhere, by bytes, except BAR 0, command and MSI-X control. */
	for (off = 0; off < PCI_CFG_SIZE; off++)
		if (off < PCI_CFG_COMMAND || off > PCI_CFG_COMMAND + 1)
			if (off < PCI_CFG_BAR0 || off > PCI_CFG_BAR0 + 3)
				if (off != PCI_CFG_MSIX + 3)
					wr(&f, 2, off, 0xff, 1);
	for (off = 0; off < PCI_CFG_SIZE; off++) {
		uint8_t now = (uint8_t)rd(&f, 2, off, 1);

		if (off == 0x0c || off == 0x0d || off == PCI_CFG_INT_LINE)
			CU_ASSERT_EQUAL(now, 0xff) /* scratch registers for the OS */
		else
			CU_ASSERT_EQUAL(now, before[off]);
	}
	/* A word at 0xCFE: the upper half of the dword only. */
	wr(&f, 2, PCI_CFG_INT_LINE + 2, 0xffff, 2);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_INT_LINE, 4), 0xffu);
	/* Accesses that would cross the dword go nowhere (all ones when read). */
	CU_ASSERT_EQUAL(rd(&f, 2, 3, 2) & 0xffff, 0xffff);
	fx_destroy(&f);
}

static void test_bar(void)
{
	struct fx f;

	fx_init(&f);
	CU_ASSERT_EQUAL(bar(&f, BAR0 + 12, false, 0, 4), MSIX_CTRL_MASKED);
	/* Sizing: all ones reads back the size mask (32-bit memory, not prefetchable). */
	wr(&f, 1, PCI_CFG_COMMAND, 0, 2);
	CU_ASSERT_EQUAL(bar(&f, BAR0 + 12, false, 0, 4), 0xdead); /* decoding off */
	wr(&f, 1, PCI_CFG_BAR0, 0xffffffffu, 4);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_BAR0, 4), ~(HV_PCI_BAR_SIZE - 1u));
	/* Moved, by bytes even, and decoded there once memory space is on. */
	wr(&f, 1, PCI_CFG_BAR0, 0xd0000000u, 4);
	wr(&f, 1, PCI_CFG_BAR0 + 1, 0x50, 1);
	CU_ASSERT_EQUAL(rd(&f, 1, PCI_CFG_BAR0, 4), 0xd0005000u);
	CU_ASSERT_EQUAL(bar(&f, 0xd0005000u + 12, false, 0, 4), 0xdead);
	wr(&f, 1, PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2);
	CU_ASSERT_EQUAL(bar(&f, 0xd0005000u + 12, false, 0, 4), MSIX_CTRL_MASKED);
	CU_ASSERT_EQUAL(bar(&f, BAR0 + 12, false, 0, 4), 0xdead); /* not at the old place */
	/* Onto the NIC's BAR: refused by the bus, so it decodes nowhere. */
	wr(&f, 1, PCI_CFG_BAR0, BAR0 + HV_PCI_BAR_SIZE, 4);
	CU_ASSERT_EQUAL(f.disk->bar_mapped, 0);
	CU_ASSERT_EQUAL(bar(&f, BAR0 + HV_PCI_BAR_SIZE + 16 + 12, false, 0, 4), MSIX_CTRL_MASKED);
	wr(&f, 1, PCI_CFG_BAR0, BAR0, 4);
	CU_ASSERT_EQUAL(f.disk->bar_mapped, BAR0);
	fx_destroy(&f);
}

static bool signalled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, 0) == 1 && eventfd_read(fd, &v) == 0 && v > 0;
}

static void test_msix(void)
{
	const uint64_t nic = BAR0 + HV_PCI_BAR_SIZE;
	struct msix *m;
	struct fx f;

	fx_init(&f);
	m = &f.nic->msix;
	/* Entries start masked; messages are whatever the guest writes. */
	bar(&f, nic + 16, true, 0xfee01000u, 4);
	bar(&f, nic + 20, true, 0x12345678u, 4);
	bar(&f, nic + 24, true, 0x4041, 4);
	CU_ASSERT_EQUAL(bar(&f, nic + 16, false, 0, 8), 0x12345678fee01000ull);
	CU_ASSERT_EQUAL(bar(&f, nic + 28, false, 0, 4), MSIX_CTRL_MASKED);
	/* Not aligned dword or qword: ignored, reads 0.  Past the table: 0. */
	bar(&f, nic + 17, true, 0xff, 1);
	bar(&f, nic + 18, true, 0xffff, 2);
	bar(&f, nic + 20, true, ~0ull, 8); /* qword not 8-aligned */
	CU_ASSERT_EQUAL(bar(&f, nic + 16, false, 0, 4), 0xfee01000u);
	CU_ASSERT_EQUAL(bar(&f, nic + 16, false, 0, 1), 0);
	CU_ASSERT_EQUAL(bar(&f, nic + 3 * 16, false, 0, 4), 0);
	/* MSI-X disabled: a signal sets the pending bit, sends nothing. */
	CU_ASSERT_EQUAL(msix_signal(m, 1), 0);
	CU_ASSERT_EQUAL(msix_signal(m, 3), -EINVAL);
	CU_ASSERT_FALSE(signalled(m->fd[1]));
	CU_ASSERT_EQUAL(bar(&f, nic + HV_PCI_PBA_OFF, false, 0, 8), 2);
	bar(&f, nic + HV_PCI_PBA_OFF, true, 0, 4); /* read-only */
	CU_ASSERT_EQUAL(bar(&f, nic + HV_PCI_PBA_OFF, false, 0, 4), 2);
	/* Unmasked while MSI-X is off: still pending.  Enabled with the function masked: too. */
	bar(&f, nic + 28, true, 0, 4);
	CU_ASSERT_TRUE(msix_pending(m, 1));
	wr(&f, 2, PCI_CFG_MSIX + 2, PCI_MSIX_ENABLE | PCI_MSIX_FMASK, 2);
	CU_ASSERT_TRUE(msix_pending(m, 1));
	CU_ASSERT_FALSE(signalled(m->fd[1]));
	/* Function unmasked: the pending message goes, once. */
	wr(&f, 2, PCI_CFG_MSIX + 3, PCI_MSIX_ENABLE >> 8, 1);
	CU_ASSERT_EQUAL(rd(&f, 2, PCI_CFG_MSIX + 2, 2), PCI_MSIX_ENABLE | 2);
	CU_ASSERT_FALSE(msix_pending(m, 1));
	CU_ASSERT_TRUE(signalled(m->fd[1]));
	CU_ASSERT_FALSE(signalled(m->fd[1]));
	/* Now signals go straight out; entry 0 (still masked) holds its own. */
	msix_signal(m, 1);
	msix_signal(m, 0);
	CU_ASSERT_TRUE(signalled(m->fd[1]));
	CU_ASSERT_FALSE(signalled(m->fd[0]));
	CU_ASSERT_EQUAL(bar(&f, nic + HV_PCI_PBA_OFF, false, 0, 4), 1);
	/* Masked again: two signals, one pending bit, one message on unmask. */
	bar(&f, nic + 28, true, 1, 4);
	msix_signal(m, 1);
	msix_signal(m, 1);
	CU_ASSERT_EQUAL(bar(&f, nic + HV_PCI_PBA_OFF, false, 0, 4), 3);
	bar(&f, nic + 24, true, 0xfffffff1fee00000ull, 8); /* data, and control: still masked */
	CU_ASSERT_EQUAL(bar(&f, nic + 28, false, 0, 4), MSIX_CTRL_MASKED); /* reserved bits 0 */
	CU_ASSERT_EQUAL(bar(&f, nic + 24, false, 0, 4), 0xfee00000u);
	bar(&f, nic + 28, true, 0, 4);
	CU_ASSERT_TRUE(signalled(m->fd[1]));
	CU_ASSERT_EQUAL(m->sent, 3);
	fx_destroy(&f);
}

struct race {
	struct msix *m;
	unsigned signals;
};

static void *signaller(void *arg)
{
	struct race *r = arg;

	for (unsigned i = 0; i < r->signals; i++)
		msix_signal(r->m, 0);
	return NULL;
}

/*
 * The I/O thread signals while the vCPU masks and unmasks: no signal is
 * lost (each is sent or leaves the bit pending, and the unmask sends it),
 * and every message counted went out through the eventfd.
 */
static void test_msix_race(void)
{
	struct race r = { .signals = 200000 };
	struct msix m;
	pthread_t t;
	uint64_t v, got = 0, zero = 0, one = 1;

	CU_ASSERT_EQUAL_FATAL(msix_init(&m, 1), 0);
	msix_control(&m, true, false);
	r.m = &m;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, signaller, &r), 0);
	for (unsigned i = 0; i < 20000; i++) {
		msix_bar_io(&m, 12, true, &one, 4);
		msix_bar_io(&m, 12, true, &zero, 4);
		if (eventfd_read(m.fd[0], &v) == 0)
			got += v;
	}
	pthread_join(t, NULL);
	msix_bar_io(&m, 12, true, &zero, 4);
	if (eventfd_read(m.fd[0], &v) == 0)
		got += v;
	CU_ASSERT_FALSE(msix_pending(&m, 0));
	CU_ASSERT_EQUAL(got, m.sent);
	CU_ASSERT(m.sent > 0 && m.sent <= r.signals);
	CU_ASSERT(m.sent + m.pended >= r.signals); /* each signal sent, or held */
	msix_destroy(&m);
}

/* A route update KVM refuses leaves the table as KVM has it; an unknown GSI is refused. */
static void test_route_set(void)
{
	struct kvm_vm *k = calloc(1, sizeof(*k));
	const struct kvm_msi_msg m = { 0xfee01000u, 0, 0x41 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	k->irq_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	k->vm_fd = -1; /* every KVM ioctl fails */
	k->msi[k->nr_msi++] = (struct kvm_irq_routing_entry){
		.gsi = KVM_MSI_GSI_BASE, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = 0xfee00000u, .data = 0x40 } };
	CU_ASSERT_EQUAL(kvm_msi_route_set(k, KVM_MSI_GSI_BASE + 1, &m), -ENOENT);
	CU_ASSERT_EQUAL(kvm_msi_route_set(k, KVM_MSI_GSI_BASE, &m), -EBADF);
	CU_ASSERT_EQUAL(k->msi[0].u.msi.address_lo, 0xfee00000u);
	CU_ASSERT_EQUAL(k->msi[0].u.msi.data, 0x40);
	CU_ASSERT_EQUAL(k->nr_msi, 1);
	free(k);
}

/*
 * hv's kernel has RAM in one block from 0: with more than 3.5 GiB a PV
 * device's BAR would lie in RAM, so hv refuses the device with a reason.
 * At 3.5 GiB the function is placed, and the table carries its BAR.
 */
static void test_bar_not_in_ram(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, HV_PCI_MMIO_BASE + (2u << 20)), 0);
	CU_ASSERT_EQUAL_FATAL(vm_init_devices(vm, 1), 0);
	CU_ASSERT_EQUAL(vm_create_device(vm, &pvblk_back_kind, 0, "null:1M", err, sizeof(err)),
			-ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pvblk0: a PV device's PCI BAR lies at 0xe0000000, "
				      "inside guest RAM: with hv's kernel, --mem at most 3584M"));
	CU_ASSERT_EQUAL(vm->nr_dev, 1); /* the UART only */
	vm_destroy_devices(vm);
	gm_destroy(&vm->mem);
	memset(vm, 0, sizeof(*vm));
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, HV_PCI_MMIO_BASE), 0);
	CU_ASSERT_EQUAL_FATAL(vm_init_devices(vm, 1), 0);
	CU_ASSERT_EQUAL(vm_create_device(vm, &pvblk_back_kind, 0, "null:1M", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(vm->desc[1].base, HV_PCI_MMIO_BASE);
	CU_ASSERT_EQUAL(vm->desc[1].len, HV_PCI_BAR_SIZE);
	CU_ASSERT_EQUAL(vm->desc[1].irq, 1);
	vm_destroy_devices(vm);
	gm_destroy(&vm->mem);
	free(vm);
}

int suite_pci(void)
{
	static const CU_TestInfo tests[] = {
		{ "mechanism #1: address register, host bridge, absent functions", test_mechanism },
		{ "a PV function's header and MSI-X capability", test_pv_header },
		{ "config space: every width at every offset, read-only bytes", test_widths },
		{ "BAR 0: sizing, moves, memory decoding", test_bar },
		{ "MSI-X: masks, pending bits, the PBA, odd accesses", test_msix },
		{ "MSI-X: signals racing the guest's mask and unmask", test_msix_race },
		{ "an MSI route update KVM refuses changes nothing", test_route_set },
		{ "a PV device's BAR never lies in hv's kernel's RAM", test_bar_not_in_ram },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pci", tests);
}
