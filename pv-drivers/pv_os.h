/*
 * What an OS gives hv's PV drivers: memory the device can reach, the
 * hypercall, the doorbell write, interrupt masking and a way to wait.  The
 * guest kernel fills one in (guest-kernel/drivers/pv_os_guest.c), the host unit tests
 * another (tests/unit/), so the same driver source runs in both.  This file
 * and protocol/ are all a PV driver includes.
 */
#ifndef PV_OS_H
#define PV_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pv_os {
	void *ctx;
	/* n bytes, zeroed, physically contiguous, 4 KiB-aligned; *pa its address. */
	void *(*dma_alloc)(void *ctx, size_t n, uint64_t *pa);
	void (*dma_free)(void *ctx, void *p, size_t n);
	/* Guest-physical address of p, which lies in contiguous memory. */
	uint64_t (*virt_to_phys)(void *ctx, const void *p);
	/* The hv hypercall (protocol/hv_abi.h): result in rax. */
	int64_t (*hypercall)(void *ctx, uint64_t nr, uint64_t a0, uint64_t a1);
	/* A 32-bit write to an I/O port: the queue's doorbell. */
	void (*notify)(void *ctx, uint16_t port, uint32_t value);
	/* Mask / restore this CPU's interrupts around ring updates. */
	uint64_t (*irq_save)(void *ctx);
	void (*irq_restore)(void *ctx, uint64_t flags);
	/*
	 * Sleeps until an interrupt has been handled or *flag is non-zero,
	 * without losing a wake-up that races with the check, and for at most
	 * about PV_OS_WAIT_TIMEOUT_NS: a driver whose interrupt was lost looks
	 * at its rings again then (so a caller must expect an early return).
	 */
	void (*wait)(void *ctx, const volatile int *flag);
#define PV_OS_WAIT_TIMEOUT_NS 100000000ull
	/* A monotonic clock, for the poll window (pv_poll.h). */
	uint64_t (*now_ns)(void *ctx);
	/*
	 * A figure that moves whenever the host took this CPU away from the
	 * driver to run something else (KVM's steal time; the thread's
	 * involuntary context switches); constant if the OS cannot tell.
	 */
	uint64_t (*preempted)(void *ctx);
};

#endif
