/*
 * The guest's cheap clock: the time-stamp counter (no exit), calibrated
 * against hv's.  Should the host forbid rdtsc at CPL 3 (CR4.TSD), the clock
 * falls back to HV_HC_TIME_NS, one exit per reading, and says so.
 */
#ifndef GK_TSC_H
#define GK_TSC_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Calibrates once (about 20 ms); returns clock ticks per microsecond. */
uint64_t tsc_ticks_per_us(void);
/* The current tick count: the TSC, or hv's ns in the fallback. */
uint64_t clock_ticks(void);
/* False when rdtsc faulted and clock_ticks() costs an exit. */
bool tsc_usable(void);
static inline uint64_t tsc_to_ns(uint64_t ticks, uint64_t per_us)
{
	return ticks / per_us * 1000 + ticks % per_us * 1000 / per_us; /* no overflow */
}

#endif
