/*
 * What lwIP asks of its platform (arch/cc.h, lwipopts.h): the millisecond
 * clock, memory, random numbers and the assertion handler.
 */
#include "lwip/sys.h"

#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "tsc.h"

/* lwIP's timeouts run on this: the TSC, calibrated once against hv's clock. */
u32_t sys_now(void)
{
	return (u32_t)(rdtsc() / (tsc_ticks_per_us() * 1000));
}

void *lwip_port_malloc(size_t n)
{
	return kmalloc(n);
}

void *lwip_port_calloc(size_t count, size_t n)
{
	if (n && count > SIZE_MAX / n)
		return NULL;
	return kzalloc(count * n);
}

void lwip_port_free(void *p)
{
	kfree(p);
}

uint32_t lwip_port_rand(void)
{
	static uint64_t x;

	if (!x)
		x = rdtsc() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 16);
}

void lwip_port_assert(const char *msg, int line, const char *file)
{
	printf("lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	hv_exit(3);
}
