/*
 * The guest's CPU layer: how events (exceptions, interrupts) enter, how the
 * interrupt flag is kept, how to idle, load page tables and flush the TLB.
 * arch/pvm.c implements it for KVM's PVM backend; an IDT-based implementation
 * for VMX/SVM hosts is one more file with the same interface.
 */
#ifndef GK_PLATFORM_H
#define GK_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/* Saved state of an interrupted context, as the event entry builds it. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code, cr2;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Called by the platform for every event, with interrupts disabled. */
void trap_dispatch(struct trap_frame *f);

/* Detects the platform and installs event entry; false if it is not there. */
bool plat_init(void);
const char *plat_name(void);

void plat_irq_enable(void);
void plat_irq_disable(void);
bool plat_irq_enabled(void);
/* Enables interrupts and waits for one, atomically (no lost wake-up). */
void plat_halt(void);

void plat_load_pgtbl(uint64_t cr3);
void plat_flush_tlb(void);

uint64_t plat_rdmsr(uint32_t msr);
void plat_wrmsr(uint32_t msr, uint64_t v);

/* Fires a test event: a breakpoint exception taken and returned from. */
void plat_breakpoint(void);

#endif
