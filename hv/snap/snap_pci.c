/* PCI functions and their MSI-X tables in a snapshot (snap_pci.h). */
#include "snap/snap_pci.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"

void snap_pci_save(struct snap_writer *w, const struct pci_bus *b)
{
	unsigned s, i;

	for (s = 0; s < PCI_SLOTS; s++) {
		const struct pci_func *f = b->slot[s];
		struct snap_pci_rec r;

		if (!f)
			continue;
		memset(&r, 0, sizeof(r));
		r.slot = s;
		r.n = f->msix.n;
		memcpy(r.cfg, f->cfg, sizeof(r.cfg));
		memcpy(r.tab, f->msix.tab, sizeof(r.tab));
		for (i = 0; i < f->msix.n; i++)
			if (msix_pending(&f->msix, i))
				r.pending |= 1ull << i;
		snapw_add(w, SNAP_SEC_PCI, s, &r, sizeof(r));
	}
}

/*
 * Through the guest's paths, in an order that loses nothing: pending bits
 * first (every entry of a new function is masked, so a signal pends),
 * then config space (the write mask keeps what the guest cannot change;
 * BAR 0 and MSI-X control take effect), then each entry's message and its
 * mask bit last: an entry unmasked with a pending bit sends it, as on
 * hardware.
 */
static void load_func(struct pci_func *f, const struct snap_pci_rec *r)
{
	unsigned i, off, word;
	uint64_t v;

	for (i = 0; i < r->n; i++)
		if (r->pending & (1ull << i))
			msix_signal(&f->msix, i);
	for (off = 0; off < PCI_CFG_SIZE; off += 4) {
		v = (uint32_t)r->cfg[off] | (uint32_t)r->cfg[off + 1] << 8 |
		    (uint32_t)r->cfg[off + 2] << 16 | (uint32_t)r->cfg[off + 3] << 24;
		pci_cfg_io(f, off, true, &v, 4);
	}
	for (i = 0; i < r->n; i++)
		for (word = 0; word < 4; word++) {
			v = r->tab[i][word];
			msix_bar_io(&f->msix, i * MSIX_ENTRY_BYTES + word * 4, true, &v, 4);
		}
}

int snap_pci_load(const struct snap_reader *rd, struct pci_bus *b, char *err, size_t errlen)
{
	unsigned s;

	for (s = 0; s < PCI_SLOTS; s++) {
		struct pci_func *f = b->slot[s];
		struct snap_pci_rec r;
		const void *p;
		size_t len;

		if (!f)
			continue;
		p = snapr_find(rd, SNAP_SEC_PCI, s, &len);
		if (!p || len != sizeof(r))
			return err_msg(-EINVAL, err, errlen, "corrupted snapshot (no PCI function 00:%02x.0)",
				       s);
		memcpy(&r, p, sizeof(r));
		if (r.slot != s || r.n != f->msix.n || (r.n < 64 && r.pending >> r.n))
			return err_msg(-EINVAL, err, errlen,
				       "corrupted snapshot (PCI function 00:%02x.0: %u MSI-X entries, "
				       "this command line's has %u)", s, r.n, f->msix.n);
		load_func(f, &r);
	}
	return 0;
}
