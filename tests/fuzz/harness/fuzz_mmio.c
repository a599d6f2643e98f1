/* Register accesses for the trap devices' fuzz targets (fuzz_mmio.h). */
#include "fuzz_mmio.h"

/* The address of the access and its width: mostly a register, sometimes anywhere. */
static uint64_t pick(const struct fuzz_regs *r, struct fuzz_in *in, unsigned *size,
		     uint64_t *bound)
{
	static const unsigned sizes[] = { 4, 8, 4, 1, 4, 2, 4, 8 };
	uint8_t t = fi_u8(in);
	uint64_t off;

	*size = sizes[t & 7];
	if (t & 8) {
		const struct fuzz_reg *g = &r->reg[fi_u8(in) % r->n];
		off = g->off + (t & 16 ? 4 : 0); /* now and then the high half */
		*bound = g->bound;
	} else {
		off = fuzz_val(in, r->window);
		*bound = 0;
	}
	return r->base + off;
}

void fuzz_mmio_write(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in)
{
	unsigned size;
	uint64_t bound, addr = pick(r, in, &size, &bound);
	uint64_t v = fuzz_val(in, bound);

	fuzz_vm_mmio(f, addr, true, &v, size);
}

void fuzz_mmio_read(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in)
{
	unsigned size;
	uint64_t bound, v = 0, addr = pick(r, in, &size, &bound);

	fuzz_vm_mmio(f, addr, false, &v, size);
}

void fuzz_mmio_set(struct fuzz_vm *f, const struct fuzz_regs *r, uint64_t off, unsigned size,
		   uint64_t v)
{
	fuzz_vm_mmio(f, r->base + off, true, &v, size);
}

void fuzz_mmio_run(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in,
		   fuzz_command_fn command)
{
	while (fi_left(in)) {
		uint8_t op = fi_u8(in) % 8;

		if (op < 3)
			fuzz_mmio_write(f, r, in);
		else if (op < 4)
			fuzz_mmio_read(f, r, in);
		else if (op < 5)
			command(f, r, in);
		else if (op < 6)
			fuzz_ram_write(f, in);
		else
			fuzz_vm_io(f);
	}
	fuzz_vm_io(f);
}
