/* Counters calibrated against HV_HC_TIME_NS (host CLOCK_MONOTONIC). */
#include "tsc.h"

#include "hypercall.h"

static uint64_t per_us;

uint64_t clock_sample(uint64_t (*read)(void), uint64_t *ns)
{
	uint64_t best = ~0ull, value = 0;
	int i;

	for (i = 0; i < 5; i++) {
		uint64_t a = hv_time_ns(), v = read(), b = hv_time_ns();
		if (b - a < best) {
			best = b - a;
			value = v;
			*ns = a + (b - a) / 2;
		}
	}
	return value;
}

uint64_t clock_rate_per_us(uint64_t (*read)(void), uint64_t window_ns, bool down)
{
	uint64_t t0, t1, c0 = clock_sample(read, &t0), c1, rate;

	while (hv_time_ns() - t0 < window_ns)
		;
	c1 = clock_sample(read, &t1);
	rate = (down ? c0 - c1 : c1 - c0) * 1000 / (t1 - t0);
	return rate ? rate : 1; /* under 1 MHz: keep arithmetic defined */
}

static uint64_t read_tsc(void)
{
	return rdtsc();
}

uint64_t tsc_ticks_per_us(void)
{
	if (!per_us)
		per_us = clock_rate_per_us(read_tsc, 20000000, false);
	return per_us;
}
