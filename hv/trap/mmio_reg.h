/*
 * Register-width rules the trap devices share: a 64-bit register takes one
 * 8-byte access at its offset or two 4-byte halves, as PROTOCOL.md says for
 * every register block.
 */
#ifndef HV_MMIO_REG_H
#define HV_MMIO_REG_H

#include <stdbool.h>
#include <stdint.h>

/* True if an access of size at off hits the 64-bit register reg; *shift: which half. */
static inline bool mmio_reg64(uint64_t off, uint64_t reg, unsigned size, unsigned *shift)
{
	if (size == 8 && off == reg)
		return *shift = 0, true;
	if (size == 4 && (off == reg || off == reg + 4))
		return *shift = (unsigned)(off - reg) * 8, true;
	return false;
}

/* Stores the written bytes (all 8, or one half) into *r. */
static inline void mmio_write64(uint64_t *r, uint64_t v, unsigned size, unsigned shift)
{
	uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift;

	*r = (*r & ~mask) | ((v << shift) & mask);
}

#endif
