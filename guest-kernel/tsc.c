/* TSC calibration against HV_HC_TIME_NS (host CLOCK_MONOTONIC). */
#include "tsc.h"

#include "hypercall.h"
#include "lib.h"
#include "trap.h"

static uint64_t per_us;
static int usable = -1; /* -1: not probed yet */
static volatile bool faulted;

static bool on_gp(struct trap_frame *f)
{
	faulted = true;
	f->rip += 2; /* past rdtsc (0f 31) */
	return true;
}

bool tsc_usable(void)
{
	if (usable < 0) {
		trap_set_handler(VEC_GP, on_gp);
		(void)rdtsc();
		trap_set_handler(VEC_GP, NULL);
		usable = !faulted;
		if (!usable)
			printf("tsc: rdtsc faults at CPL 3 here; timing with hv's clock "
			       "(one exit per reading)\n");
	}
	return usable;
}

uint64_t clock_ticks(void)
{
	return tsc_usable() ? rdtsc() : hv_time_ns();
}

uint64_t tsc_ticks_per_us(void)
{
	uint64_t t0, c0, t1, c1;

	if (per_us)
		return per_us;
	if (!tsc_usable())
		return per_us = 1000; /* ticks are nanoseconds */
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
