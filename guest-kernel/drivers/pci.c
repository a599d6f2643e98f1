/* Bus 0 through ports 0xCF8/0xCFC, and hv's MSI-X tables (pci.h). */
#include "pci.h"

#include "hv_abi.h"
#include "lib.h"
#include "mm.h"
#include "mmio.h"

#define CFG_ENABLE 0x80000000u
#define REG_ID 0x00
#define REG_COMMAND 0x04
#define REG_BAR0 0x10
#define REG_SUBSYS 0x2c
#define REG_CAP_PTR 0x34
#define CMD_MEMORY 0x0002u
#define CAP_MSIX 0x11
#define MSIX_ENABLE (1u << 31) /* message control bit 15, in the capability's dword */
#define MSIX_FMASK (1u << 30)
#define MSI_ADDR_APIC0 0xfee00000u

static void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static uint32_t cfg_addr(unsigned slot, unsigned reg)
{
	return CFG_ENABLE | (slot & 31) << 11 | (reg & 0xfc);
}

uint32_t pci_cfg_rd32(unsigned slot, unsigned reg)
{
	outl(HV_PCI_CONF_ADDR, cfg_addr(slot, reg));
	return inl(HV_PCI_CONF_DATA);
}

void pci_cfg_wr32(unsigned slot, unsigned reg, uint32_t v)
{
	outl(HV_PCI_CONF_ADDR, cfg_addr(slot, reg));
	outl(HV_PCI_CONF_DATA, v);
}

/* The config offset of the function's MSI-X capability, or 0. */
static unsigned msix_cap(unsigned slot)
{
	unsigned p = pci_cfg_rd32(slot, REG_CAP_PTR) & 0xfc, n;

	for (n = 0; p && n < 48; n++) { /* a list that loops ends somewhere */
		uint32_t h = pci_cfg_rd32(slot, p);

		if ((h & 0xff) == CAP_MSIX)
			return p;
		p = (h >> 8) & 0xfc;
	}
	return 0;
}

int pci_find_pv(uint32_t dev_index, struct pci_fn *f)
{
	unsigned slot, cap;
	uint32_t bar;

	for (slot = 0; slot < 32; slot++) {
		if ((pci_cfg_rd32(slot, REG_ID) & 0xffff) != HV_PCI_VENDOR ||
		    pci_cfg_rd32(slot, REG_SUBSYS) != ((uint32_t)dev_index << 16 | HV_PCI_VENDOR))
			continue;
		cap = msix_cap(slot);
		bar = pci_cfg_rd32(slot, REG_BAR0) & ~0xfu;
		if (!cap || !bar) {
			printf("pci: 00:%02x.0 (device %u): no MSI-X capability or BAR 0\n", slot,
			       dev_index);
			return -1;
		}
		if (paging_map_mmio(bar, HV_PCI_BAR_SIZE)) {
			printf("pci: 00:%02x.0: cannot map BAR 0 at 0x%x\n", slot, bar);
			return -1;
		}
		/* hv decodes it from the start; say so anyway, as an OS would. */
		pci_cfg_wr32(slot, REG_COMMAND, pci_cfg_rd32(slot, REG_COMMAND) | CMD_MEMORY);
		f->slot = slot;
		f->bar = (volatile uint8_t *)(uintptr_t)bar;
		f->entries = ((pci_cfg_rd32(slot, cap) >> 16) & 0x7ff) + 1;
		return 0;
	}
	printf("pci: no function for device %u on bus 0\n", dev_index);
	return -1;
}

int pci_msix_route(const struct pci_fn *f, unsigned entry, unsigned vector)
{
	unsigned cap = msix_cap(f->slot), off = entry * 16;

	if (!cap || entry >= f->entries)
		return -1;
	mmio_wr32(f->bar, off, MSI_ADDR_APIC0); /* destination APIC 0, physical */
	mmio_wr32(f->bar, off + 4, 0);
	mmio_wr32(f->bar, off + 8, vector & 0xff); /* fixed delivery, edge */
	mmio_wr32(f->bar, off + 12, 0);            /* unmasked */
	pci_cfg_wr32(f->slot, cap, (pci_cfg_rd32(f->slot, cap) | MSIX_ENABLE) & ~MSIX_FMASK);
	return 0;
}
