/* TSC calibration against HV_HC_TIME_NS (host CLOCK_MONOTONIC). */
#include "tsc.h"

#include "hypercall.h"

static uint64_t per_us;

uint64_t tsc_ticks_per_us(void)
{
	uint64_t t0, c0, t1, c1;

	if (per_us)
		return per_us;
	t0 = hv_time_ns();
	c0 = rdtsc();
	do
		t1 = hv_time_ns();
	while (t1 - t0 < 20000000);
	c1 = rdtsc();
	per_us = (c1 - c0) * 1000 / (t1 - t0);
	if (!per_us)
		per_us = 1; /* a TSC slower than 1 MHz: keep arithmetic defined */
	return per_us;
}
