/*
 * hv's PCI functions (PROTOCOL.md, "PCI functions"), as the kernel needs
 * them: configuration mechanism #1 on bus 0, finding a PV device's function
 * by its HV_HC_DEV_INFO index (subsystem ID), and routing an MSI-X entry.
 */
#ifndef GK_PCI_H
#define GK_PCI_H

#include <stdint.h>

struct pci_fn {
	unsigned slot;
	volatile uint8_t *bar;   /* BAR 0, mapped uncached: the MSI-X table */
	unsigned entries;        /* MSI-X table size */
};

/* Config dword at reg of bus 0, slot, function 0 (all ones: nothing there). */
uint32_t pci_cfg_rd32(unsigned slot, unsigned reg);
void pci_cfg_wr32(unsigned slot, unsigned reg, uint32_t v);

/* The function of device dev_index, its BAR mapped; 0, or -1 with a line said. */
int pci_find_pv(uint32_t dev_index, struct pci_fn *f);

/*
 * Entry sends vector to CPU 0's local APIC (fixed, edge), unmasked, and
 * MSI-X is enabled with the function unmasked; 0 or -1 (no such entry).
 */
int pci_msix_route(const struct pci_fn *f, unsigned entry, unsigned vector);

#endif
