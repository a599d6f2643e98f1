/*
 * The PV devices' PCI functions in a snapshot: what each function's guest
 * can change (config space: command, BAR 0, MSI-X Enable and Function
 * Mask; the MSI-X table and pending bits).  Restored through the guest's
 * own paths (config writes, table writes), so BAR 0 decodes where it did
 * and KVM's routes and irqfds follow the restored table.
 */
#ifndef HV_SNAP_PCI_H
#define HV_SNAP_PCI_H

#include <stddef.h>
#include <stdint.h>

#include "hv_abi.h"
#include "pci/pci.h"
#include "snap/snapfile.h"

#define SNAP_SEC_PCI 0x102 /* inst: the function's slot; struct snap_pci_rec */

struct snap_pci_rec {
	uint32_t slot;     /* 00:slot.0 */
	uint32_t n;        /* its MSI-X entries */
	uint64_t pending;  /* bit i: entry i's pending bit */
	uint8_t cfg[PCI_CFG_SIZE];          /* config space as reads return it */
	uint32_t tab[HV_PCI_MSIX_MAX][4];   /* address lo, hi, data, vector control */
};

_Static_assert(sizeof(struct snap_pci_rec) == 1296, "snapshot PCI record layout (docs/SNAPSHOT.md)");

/* One section per function, the host bridge too (the vCPU paused: the table is still). */
void snap_pci_save(struct snap_writer *w, const struct pci_bus *b);
/*
 * Puts every function back before the queues attach again (they route
 * their MSI-X entries).  The functions exist as on the command line, so
 * each must have its record, for the same number of entries.  0, or
 * -EINVAL and one line in err.
 */
int snap_pci_load(const struct snap_reader *r, struct pci_bus *b, char *err, size_t errlen);

#endif
