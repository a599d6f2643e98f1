/*
 * Fuzz target: the trap-and-emulate block controller (hv/trap/trapblk_dev.c)
 * through hv's MMIO bus.  The input is a register program: accesses of any
 * width at any offset, whole commands (SECTOR, COUNT, DMA, CMD) with values
 * at the edges, commands while one runs, interrupt status and enable
 * writes, turns of the I/O thread, RAM rewritten; its first byte picks the
 * disk (null or an image file, read-write or read-only).  Oracles: ASan and
 * UBSan, the backend checkers (fuzz_vm.h), and a command never stays busy
 * past a turn of the I/O thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_trapblk.h"
#include "fuzz_mmio.h"
#include "trap/trapblk_dev.h"

#define RAM (256u << 10)
#define SECTORS 128 /* a 64 KiB disk */

static const struct fuzz_reg regs[] = {
	{ HV_TRAPBLK_R_MAGIC, 0 },     { HV_TRAPBLK_R_VERSION, 0 }, { HV_TRAPBLK_R_CAPACITY, 0 },
	{ HV_TRAPBLK_R_SECTOR, SECTORS }, { HV_TRAPBLK_R_COUNT, 16 }, { HV_TRAPBLK_R_FLAGS, 0 },
	{ HV_TRAPBLK_R_DMA, RAM },     { HV_TRAPBLK_R_CMD, 5 },      { HV_TRAPBLK_R_STATUS, 0 },
	{ HV_TRAPBLK_R_ISR, 2 },       { HV_TRAPBLK_R_IER, 2 },      { HV_TRAPBLK_R_BYTES, 0 },
	{ HV_TRAPBLK_R_VECTOR, 0 },
};

/* A whole command as the guest's driver programs it, then served. */
static void command(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in)
{
	fuzz_mmio_set(f, r, HV_TRAPBLK_R_SECTOR, 8, fuzz_val(in, SECTORS));
	fuzz_mmio_set(f, r, HV_TRAPBLK_R_COUNT, 4, fuzz_val(in, 16));
	fuzz_mmio_set(f, r, HV_TRAPBLK_R_DMA, 8, fuzz_aligned(in, RAM, 512));
	fuzz_mmio_set(f, r, HV_TRAPBLK_R_CMD, 4, fuzz_val(in, 5));
	fuzz_vm_io(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const disks[] = { "null:65536", "null:65536,ro", "memfd:65536",
					     "memfd:65536,ro" };
	struct fuzz_in in = { data, size };
	struct fuzz_dev dev = { &trapblk_dev_kind, disks[fi_u8(&in) % 4] };
	struct trapblk_dev *t;
	struct fuzz_regs r;
	struct fuzz_vm f;

	fuzz_vm_init(&f, RAM, &dev, 1);
	t = fuzz_vm_dev(&f, &trapblk_dev_kind, 0);
	r = (struct fuzz_regs){ regs, sizeof(regs) / sizeof(regs[0]), t->tr.base, HV_TRAPBLK_WINDOW };
	fuzz_mmio_run(&f, &r, &in, command);
	/* Whatever the guest did, its last command ended within that last turn. */
	if (__atomic_load_n(&t->tr.status[0], __ATOMIC_ACQUIRE) & HV_TRAPBLK_ST_BUSY) {
		fprintf(stderr, "fuzz: the controller stays busy\n");
		abort();
	}
	fuzz_vm_destroy(&f);
	return 0;
}
