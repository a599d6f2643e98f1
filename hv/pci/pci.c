/* PCI bus 0: configuration mechanism #1, the host bridge, PV functions (pci.h). */
#include "pci/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONF_ENABLE 0x80000000u
#define CONF_RESERVED 0x7f000000u /* bits 30:24: extended registers hv does not have */
#define PCI_MMIO_END 0xfec00000ull /* the IOAPIC: BARs hv places stay below */

static void put(struct pci_func *f, unsigned off, uint32_t v, unsigned size, uint32_t wmask)
{
	unsigned i;

	for (i = 0; i < size; i++) {
		f->cfg[off + i] = (uint8_t)(v >> 8 * i);
		f->wmask[off + i] = (uint8_t)(wmask >> 8 * i);
	}
}

static uint32_t get(const struct pci_func *f, unsigned off, unsigned size)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < size; i++)
		v |= (uint32_t)f->cfg[off + i] << 8 * i;
	return v;
}

/* The header every function has: identity, and the command bits hv lets the guest set. */
static void header(struct pci_func *f, uint16_t device, uint32_t class)
{
	put(f, PCI_CFG_VENDOR, HV_PCI_VENDOR, 2, 0);
	put(f, PCI_CFG_DEVICE, device, 2, 0);
	/* memory space, bus master, parity, SERR, INTx disable: stored, and memory honoured */
	put(f, PCI_CFG_COMMAND, 0, 2, 0x0546);
	put(f, PCI_CFG_CLASS, class, 3, 0);
	put(f, 0x0c, 0, 2, 0xffff); /* cache line size, latency timer: scratch for the OS */
	put(f, PCI_CFG_INT_LINE, 0, 1, 0xff);
}

uint64_t pci_bar0(const struct pci_func *f)
{
	return get(f, PCI_CFG_BAR0, 4) & ~0xfu;
}

static void bar_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct pci_func *f = opaque;

	msix_bar_io(&f->msix, off, is_write, val, size);
}

/* BAR 0 decodes where the guest put it while memory space is on; the MMIO bus follows. */
static void update_bar(struct pci_func *f)
{
	uint64_t want = (get(f, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY) ? pci_bar0(f) : 0;

	if (!f->has_msix || want == f->bar_mapped)
		return;
	if (f->bar_mapped)
		io_bus_unregister(f->mmio, f->bar_mapped);
	f->bar_mapped = 0;
	/* Over another device's window it does not decode (the guest's mistake). */
	if (want && io_bus_register(f->mmio, want, HV_PCI_BAR_SIZE, bar_io, f, "pci-bar") == 0)
		f->bar_mapped = want;
}

static bool touches(unsigned off, unsigned size, unsigned reg, unsigned len)
{
	return off < reg + len && reg < off + size;
}

void pci_cfg_io(struct pci_func *f, unsigned off, bool is_write, uint64_t *val, unsigned size)
{
	unsigned i;

	if (!is_write) {
		uint64_t v = 0;

		/* Bytes past config space read as all ones, like an absent register. */
		for (i = 0; i < size; i++)
			v |= (uint64_t)(off + i < PCI_CFG_SIZE ? f->cfg[off + i] : 0xff) << 8 * i;
		*val = v;
		return;
	}
	for (i = 0; i < size && off + i < PCI_CFG_SIZE; i++) {
		uint8_t m = f->wmask[off + i];

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | ((*val >> 8 * i) & m));
	}
	if (touches(off, size, PCI_CFG_COMMAND, 2) || touches(off, size, PCI_CFG_BAR0, 4))
		update_bar(f);
	if (f->has_msix && touches(off, size, PCI_CFG_MSIX + 2, 2)) {
		uint16_t ctl = (uint16_t)get(f, PCI_CFG_MSIX + 2, 2);

		msix_control(&f->msix, ctl & PCI_MSIX_ENABLE, ctl & PCI_MSIX_FMASK);
	}
}

/* The function addressed by 0xCF8, or NULL: disabled, another bus, absent. */
static struct pci_func *addressed(struct pci_bus *b)
{
	uint32_t a = b->addr;

	if (!(a & CONF_ENABLE) || (a & CONF_RESERVED) || (a >> 16 & 0xff) || (a >> 8 & 7))
		return NULL;
	return b->slot[a >> 11 & 0x1f];
}

static void conf_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct pci_bus *b = opaque;
	struct pci_func *f;

	if (off == 0 && size == 4) { /* the address register */
		if (is_write)
			b->addr = (uint32_t)*val;
		else
			*val = b->addr;
		return;
	}
	/* 0xCF8..0xCFB by bytes or words: not the address register (0xCF9 is a chipset's). */
	f = off >= 4 && off - 4 + size <= 4 ? addressed(b) : NULL;
	if (!f) {
		if (!is_write)
			*val = size >= 8 ? ~0ull : (1ull << 8 * size) - 1;
		return;
	}
	pci_cfg_io(f, (b->addr & 0xfc) + (unsigned)(off - 4), is_write, val, size);
}

int pci_bus_init(struct pci_bus *b, struct io_bus *pio, struct io_bus *mmio)
{
	struct pci_func *host = calloc(1, sizeof(*host));
	int rc;

	if (!host)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->mmio = mmio;
	b->bar_next = HV_PCI_MMIO_BASE;
	/* Linux's pci_sanity_check wants a host bridge (class 0x0600) to trust mechanism #1. */
	header(host, HV_PCI_DEV_HOST, PCI_CLASS_HOST_BRIDGE);
	host->mmio = mmio;
	rc = io_bus_register(pio, HV_PCI_CONF_ADDR, 8, conf_io, b, "pci-config");
	if (rc) {
		free(host);
		return rc;
	}
	b->slot[0] = host;
	return 0;
}

struct pci_func *pci_add_pv(struct pci_bus *b, uint16_t device, uint32_t class,
			    uint16_t subsystem, unsigned msix_entries, int *rc)
{
	struct pci_func *f;
	unsigned slot;

	for (slot = 1; slot < PCI_SLOTS && b->slot[slot]; slot++)
		;
	*rc = -ENOSPC;
	if (slot == PCI_SLOTS || b->bar_next + HV_PCI_BAR_SIZE > PCI_MMIO_END)
		return NULL;
	f = calloc(1, sizeof(*f));
	*rc = f ? msix_init(&f->msix, msix_entries) : -ENOMEM;
	if (*rc) {
		free(f);
		return NULL;
	}
	f->has_msix = true;
	f->mmio = b->mmio;
	header(f, device, class);
	put(f, PCI_CFG_STATUS, PCI_STATUS_CAP_LIST, 2, 0);
	/* BAR 0: 32-bit memory, not prefetchable; writable down to its size (sizing). */
	put(f, PCI_CFG_BAR0, (uint32_t)b->bar_next, 4, ~(HV_PCI_BAR_SIZE - 1u));
	put(f, PCI_CFG_SUBVENDOR, HV_PCI_VENDOR, 2, 0);
	put(f, PCI_CFG_SUBSYSTEM, subsystem, 2, 0);
	put(f, PCI_CFG_CAP_PTR, PCI_CFG_MSIX, 1, 0);
	/* MSI-X: ID, no next, table size - 1, Enable and Function Mask writable. */
	put(f, PCI_CFG_MSIX, PCI_CAP_ID_MSIX, 1, 0);
	put(f, PCI_CFG_MSIX + 2, msix_entries - 1, 2, PCI_MSIX_ENABLE | PCI_MSIX_FMASK);
	put(f, PCI_CFG_MSIX + 4, 0, 4, 0);              /* table: BIR 0, offset 0 */
	put(f, PCI_CFG_MSIX + 8, HV_PCI_PBA_OFF, 4, 0); /* PBA: BIR 0 */
	/* hv places and decodes it: a guest that never writes config space finds it working. */
	put(f, PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2, 0x0546);
	update_bar(f);
	if (!f->bar_mapped) {
		msix_destroy(&f->msix);
		free(f);
		*rc = -EEXIST;
		return NULL;
	}
	b->bar_next += HV_PCI_BAR_SIZE;
	b->slot[slot] = f;
	*rc = 0;
	return f;
}

int pci_wire(struct pci_bus *b, struct kvm_vm *kvm)
{
	unsigned i;
	int rc;

	for (i = 0; i < PCI_SLOTS; i++)
		if (b->slot[i] && b->slot[i]->has_msix) {
			rc = msix_wire(&b->slot[i]->msix, kvm);
			if (rc)
				return rc;
		}
	return 0;
}

void pci_destroy(struct pci_bus *b)
{
	unsigned i;

	for (i = 0; i < PCI_SLOTS; i++) {
		struct pci_func *f = b->slot[i];

		if (!f)
			continue;
		if (f->bar_mapped)
			io_bus_unregister(f->mmio, f->bar_mapped);
		if (f->has_msix)
			msix_destroy(&f->msix);
		free(f);
		b->slot[i] = NULL;
	}
}
