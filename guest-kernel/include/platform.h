/*
 * The guest's CPU layer: event entry, the interrupt flag, idle, page tables
 * and cached translations.  arch/cpu_x86_64.c implements it for long mode at
 * CPL 0; another CPU model is one more file behind this interface.
 */
#ifndef GK_PLATFORM_H
#define GK_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Saved state of an interrupted context, as the event entry builds it: the
 * general registers, CR2, the vector, then the CPU's own frame (error code,
 * or 0 for vectors without one, RIP, CS, RFLAGS, RSP, SS).
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t cr2, vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Called by the platform for every event, with interrupts disabled. */
void trap_dispatch(struct trap_frame *f);

/* Installs the TSS and the event table; false (and a message) if it cannot. */
bool plat_init(void);
const char *plat_name(void);

void plat_irq_enable(void);
void plat_irq_disable(void);
bool plat_irq_enabled(void);
/* Enables interrupts and waits for one, atomically (no lost wake-up). */
void plat_halt(void);

void plat_load_pgtbl(uint64_t cr3);
/* Drops every cached non-global translation, or the one for va. */
void plat_tlb_invalidate(void);
void plat_tlb_invalidate_page(uint64_t va);

uint64_t plat_rdmsr(uint32_t msr);
void plat_wrmsr(uint32_t msr, uint64_t v);

/* Executes an invalid instruction (#UD); a handler must skip its PLAT_UD_LEN bytes. */
#define PLAT_UD_LEN 2
void plat_invalid_insn(void);

/* True if p lies on the dedicated stack of vector's events (#DF, NMI, #MC have one). */
bool plat_on_event_stack(unsigned vector, const void *p);

#endif
