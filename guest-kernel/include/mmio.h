/*
 * Device registers in an MMIO window, mapped uncached 1:1 (paging_map_mmio):
 * one access per call, of exactly that width; under hv each one is a
 * trapped exit, so drivers count them.
 */
#ifndef GK_MMIO_H
#define GK_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_rd32(volatile uint8_t *regs, unsigned off)
{
	return *(volatile uint32_t *)(regs + off);
}

static inline uint64_t mmio_rd64(volatile uint8_t *regs, unsigned off)
{
	return *(volatile uint64_t *)(regs + off);
}

static inline void mmio_wr32(volatile uint8_t *regs, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(regs + off) = v;
}

static inline void mmio_wr64(volatile uint8_t *regs, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(regs + off) = v;
}

#endif
