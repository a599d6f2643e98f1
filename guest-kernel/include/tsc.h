/* The time-stamp counter as a cheap clock (no exit), calibrated against hv's. */
#ifndef GK_TSC_H
#define GK_TSC_H

#include <stdint.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Calibrates once (about 20 ms); returns TSC ticks per microsecond. */
uint64_t tsc_ticks_per_us(void);
/* Nanoseconds since an arbitrary origin, from the TSC. */
uint64_t tsc_ns(void);
static inline uint64_t tsc_to_ns(uint64_t ticks, uint64_t per_us)
{
	return ticks * 1000 / per_us;
}

#endif
