/*
 * Fuzz target: PCI configuration space and MSI-X tables (hv/pci) through
 * hv's port and MMIO buses, on a machine with a PV disk (one MSI-X entry)
 * and a PV NIC (three).  The input is a program of 0xCF8 writes, config data
 * accesses of any width at any port, BAR accesses of any width at any
 * address (in a function's BAR or anywhere) and I/O-thread signals of any
 * entry.  Oracles: ASan and UBSan, and after every step the invariants of
 * PROTOCOL.md §17: a message goes out only from an entry that is unmasked
 * with MSI-X enabled and the function unmasked; a signal to an entry that
 * cannot send leaves its pending bit; an entry that can send owes nothing;
 * the PBA reads the pending bits; each entry's mask and the capability's
 * bits agree with hv's state; BAR 0 decodes exactly where config space says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "fuzz_in.h"
#include "fuzz_vm.h"
#include "pci/pci.h"
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"

#define RAM (256u << 10)
#define BLOCKED (MSIX_S_MASKED | MSIX_S_OFF)

static void die(const char *what, unsigned slot, unsigned entry)
{
	fprintf(stderr, "fuzz: 00:%02x.0 entry %u: %s\n", slot, entry, what);
	abort();
}

static struct pci_func *fn(struct fuzz_vm *f, uint8_t b)
{
	return f->vm->pci->slot[1 + (b & 1)];
}

/* Messages entry i sent since the last look (its irqfd eventfd, read and cleared). */
static uint64_t fired(struct msix *m, unsigned i)
{
	uint64_t v;

	return eventfd_read(m->fd[i], &v) == 0 ? v : 0;
}

static uint16_t cfg16(const struct pci_func *p, unsigned off)
{
	return (uint16_t)(p->cfg[off] | p->cfg[off + 1] << 8);
}

/* The invariants, for every entry of every function; signalled: the entry just signalled. */
static void check(struct fuzz_vm *f, unsigned slot, int signalled)
{
	struct pci_func *p = f->vm->pci->slot[slot];
	struct msix *m = &p->msix;
	uint16_t ctl = cfg16(p, PCI_CFG_MSIX + 2);
	bool off = !(ctl & PCI_MSIX_ENABLE) || (ctl & PCI_MSIX_FMASK);
	uint64_t want_bar = (cfg16(p, PCI_CFG_COMMAND) & PCI_CMD_MEMORY) ? pci_bar0(p) : 0;
	struct io_range *r;
	unsigned i;

	if ((ctl & 0x7ff) + 1u != m->n || m->enabled != !!(ctl & PCI_MSIX_ENABLE) ||
	    m->fmask != !!(ctl & PCI_MSIX_FMASK))
		die("message control and hv's state disagree", slot, 0);
	if (p->bar_mapped && p->bar_mapped != want_bar)
		die("BAR 0 decodes where config space does not say", slot, 0);
	r = p->bar_mapped ? io_bus_find(&f->vm->mmio, p->bar_mapped) : NULL;
	if (p->bar_mapped && (!r || r->opaque != p || r->base != p->bar_mapped))
		die("BAR 0 is not on the MMIO bus", slot, 0);
	for (i = 0; i < m->n; i++) {
		uint32_t s = __atomic_load_n(&m->state[i], __ATOMIC_ACQUIRE);
		uint64_t sent = fired(m, i);
		uint64_t pba = 0;

		if (!!(s & MSIX_S_MASKED) != !!(m->tab[i][3] & MSIX_CTRL_MASKED) ||
		    !!(s & MSIX_S_OFF) != off)
			die("mask state and the table disagree", slot, i);
		if (sent && (s & BLOCKED))
			die("a message went out from an entry that cannot send", slot, i);
		if ((s & MSIX_S_PENDING) && !(s & BLOCKED))
			die("an entry that can send still owes a message", slot, i);
		if ((int)i == signalled && (s & BLOCKED) && !(s & MSIX_S_PENDING))
			die("a signal to a masked entry left no pending bit", slot, i);
		if ((int)i == signalled && !(s & BLOCKED) && sent != 1)
			die("a signal to an unmasked entry sent no message", slot, i);
		msix_bar_io(m, HV_PCI_PBA_OFF + 8 * (i / 64), false, &pba, 8);
		if (!!(pba >> (i % 64) & 1) != !!(s & MSIX_S_PENDING))
			die("the PBA and the pending bit disagree", slot, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned pio_width[4] = { 1, 2, 4, 4 }, mmio_width[4] = { 1, 2, 4, 8 };
	static const struct fuzz_dev devs[] = { { &pvblk_back_kind, "null:65536" },
						{ &pvnet_back_kind, "loop" } };
	struct fuzz_in in = { data, size };
	struct fuzz_vm f;
	unsigned steps;

	fuzz_vm_init(&f, RAM, devs, 2);
	for (steps = 0; fi_left(&in) && steps < 4096; steps++) {
		uint8_t op = fi_u8(&in), b = fi_u8(&in);
		int signalled = -1;
		unsigned slot = 1 + (b & 1);
		uint64_t v, addr;

		switch (op % 4) {
		case 0: /* the address register: a function's register, or any value */
			v = b & 0x80 ? fi_u32(&in)
				     : 0x80000000u | (fuzz_val(&in, 4) & 31) << 11 | (fi_u8(&in) & 0xfc);
			fuzz_vm_pio(&f, HV_PCI_CONF_ADDR, true, &v, 4);
			break;
		case 1: /* 0xCF8..0xCFF, any width */
			v = fi_u32(&in);
			fuzz_vm_pio(&f, (uint16_t)(HV_PCI_CONF_ADDR + (b & 7)), b & 0x20, &v,
				    pio_width[b >> 3 & 3]);
			break;
		case 2: /* BAR 0 of a function, or anywhere */
			addr = b & 0x10 ? fuzz_val(&in, 1ull << 32)
					: pci_bar0(fn(&f, b)) + fuzz_val(&in, HV_PCI_BAR_SIZE);
			v = fi_u64(&in);
			fuzz_vm_mmio(&f, addr, b & 8, &v, mmio_width[b >> 1 & 3]);
			break;
		default: /* the I/O thread completes something */
			signalled = (int)fuzz_val(&in, 4);
			if (msix_signal(&fn(&f, b)->msix, (unsigned)signalled) == -EINVAL &&
			    (unsigned)signalled < fn(&f, b)->msix.n)
				die("a signal to an entry the table has was refused", slot, 0);
			break;
		}
		check(&f, 1, slot == 1 ? signalled : -1);
		check(&f, 2, slot == 2 ? signalled : -1);
	}
	fuzz_vm_destroy(&f);
	return 0;
}
