/*
 * Times the guest's fixed CPU loop (guest-kernel/include/cpuloop.h) on the
 * host: prints the best of 3 runs in ns, for selftest's host-loop-ns=.
 */
#include <stdio.h>
#include <time.h>

#include "cpuloop.h"

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(void)
{
	unsigned long long best = ~0ull;
	int i;

	for (i = 0; i < 3; i++) {
		unsigned long long t0 = now_ns(), dt;
		cpu_loop(CPULOOP_ITERS);
		dt = now_ns() - t0;
		if (dt < best)
			best = dt;
	}
	printf("%llu\n", best);
	return 0;
}
