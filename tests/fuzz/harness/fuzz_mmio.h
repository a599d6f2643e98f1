/*
 * Register programs for the trap devices' fuzz targets: an access of any
 * width at a register the device has (or any offset, in or just past its
 * window), with a value sized to what that register holds, through hv's
 * MMIO bus as the vCPU loop makes it.
 */
#ifndef HV_FUZZ_MMIO_H
#define HV_FUZZ_MMIO_H

#include <stdint.h>

#include "fuzz_guest.h"
#include "fuzz_in.h"
#include "fuzz_vm.h"

/* A register of the device: its offset and the bound its values are judged against. */
struct fuzz_reg {
	uint64_t off;
	uint64_t bound;
};

struct fuzz_regs {
	const struct fuzz_reg *reg;
	unsigned n;
	uint64_t base, window; /* where the window is, and its length */
};

/* Writes a register (or anywhere) with a value from the input. */
void fuzz_mmio_write(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in);

/* Reads a register (or anywhere). */
void fuzz_mmio_read(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in);

/* A whole command as the device's driver programs it (the target's own). */
typedef void (*fuzz_command_fn)(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in);

/*
 * Runs the rest of the input as a register program: writes, reads, whole
 * commands, RAM writes and turns of the I/O thread; then one last turn.
 */
void fuzz_mmio_run(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in,
		   fuzz_command_fn command);

/* Writes register off with v, 4 or 8 bytes wide, as a driver does. */
void fuzz_mmio_set(struct fuzz_vm *f, const struct fuzz_regs *r, uint64_t off, unsigned size,
		   uint64_t v);

#endif
