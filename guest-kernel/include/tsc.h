/*
 * The guest's cheap clock: the time-stamp counter (no exit at CPL 0 under
 * VMX/SVM), calibrated once against hv's CLOCK_MONOTONIC.
 */
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
/* The current tick count. */
static inline uint64_t clock_ticks(void)
{
	return rdtsc();
}
static inline uint64_t tsc_to_ns(uint64_t ticks, uint64_t per_us)
{
	return ticks / per_us * 1000 + ticks % per_us * 1000 / per_us; /* no overflow */
}

#endif
