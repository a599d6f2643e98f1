/* The hv hypercall: one `outl` to HV_HC_PORT (protocol/hv_abi.h). */
#ifndef GK_HYPERCALL_H
#define GK_HYPERCALL_H

#include <stdint.h>

#include "hv_abi.h"

static inline int64_t hv_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4)
{
	register uint64_t r8 asm("r8") = a2;
	register uint64_t r9 asm("r9") = a3;
	register uint64_t r10 asm("r10") = a4;
	uint64_t rax = nr;

	asm volatile("outl %%eax, %%dx"
		     : "+a"(rax)
		     : "d"((uint16_t)HV_HC_PORT), "D"(a0), "S"(a1), "r"(r8), "r"(r9), "r"(r10)
		     : "memory");
	return (int64_t)rax;
}

#define hv_call0(nr) hv_call(nr, 0, 0, 0, 0, 0)
#define hv_call1(nr, a) hv_call(nr, a, 0, 0, 0, 0)
#define hv_call2(nr, a, b) hv_call(nr, a, b, 0, 0, 0)

static inline __attribute__((noreturn)) void hv_exit(int status)
{
	for (;;)
		hv_call1(HV_HC_EXIT, (uint64_t)status);
}

static inline uint64_t hv_time_ns(void)
{
	return (uint64_t)hv_call0(HV_HC_TIME_NS);
}

/* hv's exit and CPU counters (HV_HC_EXIT_COUNT); they include this call's own exit. */
static inline void hv_exit_count(struct hv_exit_count *c)
{
	static struct hv_exit_count shared; /* in RAM, where hv can write it */

	hv_call1(HV_HC_EXIT_COUNT, (uint64_t)(uintptr_t)&shared);
	*c = shared;
}

#endif
