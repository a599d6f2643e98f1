/*
 * The guest's cheap clock: the time-stamp counter (no exit at CPL 0 under
 * VMX/SVM), calibrated once against hv's CLOCK_MONOTONIC.
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

/*
 * Reads a counter between two readings of hv's clock, the narrowest of a few
 * tries, and returns it with the midpoint in *ns: a calibration built on such
 * samples is off by at most half a bracket, even if the vCPU was preempted
 * during one try (as it often is in the test host VM).
 */
uint64_t clock_sample(uint64_t (*read)(void), uint64_t *ns);
/* Counter ticks per microsecond over at least window_ns of hv's clock. */
uint64_t clock_rate_per_us(uint64_t (*read)(void), uint64_t window_ns, bool down);

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
