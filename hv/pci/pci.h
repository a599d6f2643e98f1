/*
 * PCI bus 0 (PROTOCOL.md, "PCI functions"): configuration mechanism #1 at
 * ports 0xCF8 (address) and 0xCFC..0xCFF (data), a host bridge at 00:00.0
 * and one function per PV device in slots 1.., each with a 4 KiB memory
 * BAR 0 holding its MSI-X table (msix.h).  Config space is a byte image
 * with a mask of the bits the guest may write, so every width at every
 * offset is defined; side effects (BAR moves, memory decoding, MSI-X
 * control) follow each write.
 */
#ifndef HV_PCI_H
#define HV_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/io_bus.h"
#include "pci/msix.h"

#define PCI_SLOTS 32
#define PCI_CFG_SIZE 256

/* Config space offsets hv's functions use (PCI Local Bus 3.0, 6.1). */
#define PCI_CFG_VENDOR 0x00
#define PCI_CFG_DEVICE 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS 0x09  /* prog-if, subclass, class: 3 bytes */
#define PCI_CFG_HEADER 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBVENDOR 0x2c
#define PCI_CFG_SUBSYSTEM 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INT_LINE 0x3c
#define PCI_CFG_INT_PIN 0x3d
#define PCI_CFG_MSIX 0x40   /* hv's MSI-X capability */
#define PCI_CMD_MEMORY 0x0002
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSIX_ENABLE 0x8000
#define PCI_MSIX_FMASK 0x4000

#define PCI_CLASS_HOST_BRIDGE 0x060000
#define PCI_CLASS_STORAGE_OTHER 0x018000
#define PCI_CLASS_ETHERNET 0x020000

struct pci_func {
	uint8_t cfg[PCI_CFG_SIZE];   /* what reads return */
	uint8_t wmask[PCI_CFG_SIZE]; /* the bits a write may change */
	struct io_bus *mmio;
	uint64_t bar_mapped;         /* BAR 0 as registered on mmio; 0: not decoded */
	bool has_msix;
	struct msix msix;
};

struct pci_bus {
	uint32_t addr;               /* 0xCF8 as last written */
	struct io_bus *mmio;
	struct pci_func *slot[PCI_SLOTS]; /* NULL: nothing there (reads all ones) */
	uint64_t bar_next;           /* where hv places the next BAR 0 */
};

/*
 * Sets up bus 0 with its host bridge and registers the config ports on pio;
 * BARs will decode on mmio.  0 or -errno.
 */
int pci_bus_init(struct pci_bus *b, struct io_bus *pio, struct io_bus *mmio);

/*
 * Adds a PV device's function in the next free slot: device ID, class,
 * subsystem ID (its HV_HC_DEV_INFO index), msix_entries MSI-X entries; BAR 0
 * placed from HV_PCI_MMIO_BASE and decoded.  The function, or NULL with
 * *rc = -errno.
 */
struct pci_func *pci_add_pv(struct pci_bus *b, uint16_t device, uint32_t class,
			    uint16_t subsystem, unsigned msix_entries, int *rc);

/* BAR 0's address as the guest (or hv) last set it. */
uint64_t pci_bar0(const struct pci_func *f);

/* Wires every function's MSI-X entries into KVM; 0 or -errno. */
int pci_wire(struct pci_bus *b, struct kvm_vm *kvm);

/* Frees the functions; the I/O thread has stopped.  The ports stay registered. */
void pci_destroy(struct pci_bus *b);

/* One config-space access of size bytes at offset off of f (tests and the data port). */
void pci_cfg_io(struct pci_func *f, unsigned off, bool is_write, uint64_t *val, unsigned size);

#endif
