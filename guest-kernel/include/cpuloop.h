/*
 * A fixed CPU-bound loop, built into the guest and into a host tool from this
 * one source, so "is the guest emulated?" compares like with like.
 */
#ifndef GK_CPULOOP_H
#define GK_CPULOOP_H

#include <stdint.h>

#define CPULOOP_ITERS 100000000ull

static inline void cpu_loop(uint64_t n)
{
	asm volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
}

#endif
