/*
 * pvm-probe: the smallest guest that proves the PVM mechanics hv and the
 * guest kernel build on.  In order, each step printing one line:
 *   1. PVM is detected through the synthetic CPUID;
 *   2. a 10^8-iteration loop runs at native speed (well under 1 s);
 *   3. a page fault enters the event entry, and returns past the access;
 *   4. an x2APIC timer interrupt wakes PVM_HC_IRQ_HLT, enters the event
 *      entry, and returns.
 * Exit status 0 when all pass; 10 + step number at the first failure;
 * 64 + vector for an unexpected event.
 */
#include "hv_abi.h"
#include "pvm.h"

#define FAULT_ADDR 0x40000000	/* above RAM: hv's boot tables leave it unmapped */
#define VEC_PF 14
#define VEC_TIMER 0x20

/* hv hypercall: outl to HV_HC_PORT; number in eax, args in rdi, rsi. */
.macro HVCALL nr
	movl	$\nr, %eax
	movw	$HV_HC_PORT, %dx
	outl	%eax, %dx
.endm

/* PVM hypercall: SYSCALL; number in rax, args in rbx, r10. */
.macro PVMCALL nr
	movl	$\nr, %eax
	syscall
.endm

.macro WRMSR_HC msr, val
	movl	$\msr, %ebx
	movq	\val, %r10
	PVMCALL	PVM_HC_WRMSR
.endm

.macro PUTS label, len
	leaq	\label(%rip), %rdi
	movq	$\len, %rsi
	HVCALL	HV_HC_CONSOLE_WRITE
.endm

.macro FAIL code
	movq	$\code, %rdi
	jmp	exit
.endm

	.text
	.globl _start
_start:
	leaq	stack_top(%rip), %rsp
	PUTS	m_start, m_start_len

	/* 1. Detection: the PVM signature leaf answers "PVMPVMPVM". */
	movl	$PVM_CPUID_SIGNATURE, %eax
	xorl	%ecx, %ecx
	.byte	PVM_SYNTHETIC_CPUID_BYTES
	cmpl	$0x504d5650, %ebx	/* "PVMP" */
	je	1f
	FAIL	11
1:	WRMSR_HC MSR_PVM_EVENT_ENTRY, $event_entry
	leaq	pvcs(%rip), %rax
	movq	%rax, %r10
	movl	$MSR_PVM_VCPU_STRUCT, %ebx
	PVMCALL	PVM_HC_WRMSR
	PUTS	m_detect, m_detect_len

	/* 2. A tight loop: emulation would take minutes, native well under 1 s. */
	HVCALL	HV_HC_TIME_NS
	movq	%rax, %r12
	movq	$100000000, %rcx
2:	decq	%rcx
	jnz	2b
	HVCALL	HV_HC_TIME_NS
	subq	%r12, %rax
	cmpq	$1000000000, %rax
	jb	3f
	FAIL	12
3:	PUTS	m_loop, m_loop_len

	/* 3. Page fault: the handler moves RIP past the faulting load. */
	movq	$FAULT_ADDR, %rax
	movq	(%rax), %rbx
after_fault:
	cmpq	$1, pf_count(%rip)
	je	4f
	FAIL	13
4:	PUTS	m_pf, m_pf_len

	/* 4. Timer interrupt through the in-kernel x2APIC. */
	movl	$0x1b, %ebx			/* IA32_APIC_BASE: read, set EN|EXTD */
	PVMCALL	PVM_HC_RDMSR
	orq	$0xc00, %rdx
	WRMSR_HC 0x1b, %rdx
	WRMSR_HC 0x80f, $0x1ff			/* SVR: enable, spurious 0xff */
	WRMSR_HC 0x83e, $0xb			/* divide by 1 */
	WRMSR_HC 0x832, $VEC_TIMER		/* LVT timer: one-shot */
	WRMSR_HC 0x838, $1000000		/* initial count */
5:	PVMCALL	PVM_HC_IRQ_HLT			/* sti; hlt */
	cmpq	$0, irq_count(%rip)
	je	5b
	PUTS	m_irq, m_irq_len
	xorl	%edi, %edi
exit:
	HVCALL	HV_HC_EXIT
	jmp	exit

/*
 * Event entry.  RSP is the interrupted one; the interrupted RIP, RFLAGS,
 * RCX and R11 are in the PVCS.  Build an IRETQ frame with the current
 * (CPL 3) selectors, save scratch registers, unlock the PVCS, handle, return.
 */
	.balign 4096
event_entry:
	jmp	supervisor_entry
	.org event_entry + PVM_EVENT_ENTRY_SUPERVISOR_OFFSET, 0xcc
supervisor_entry:
	movq	%rsp, %r11
	andq	$-16, %rsp
	subq	$16, %rsp
	movq	%ss, %rcx
	pushq	%rcx				/* ss */
	pushq	%r11				/* rsp */
	movl	pvcs + PVCS_eflags(%rip), %ecx
	pushq	%rcx				/* rflags */
	movq	%cs, %rcx
	pushq	%rcx				/* cs */
	pushq	pvcs + PVCS_rip(%rip)		/* rip: 40(%rsp) after the pushes below */
	pushq	pvcs + PVCS_rcx(%rip)
	pushq	pvcs + PVCS_r11(%rip)
	pushq	%rax
	pushq	%rbx
	pushq	%r10
	xorl	%eax, %eax
	xchgw	%ax, pvcs + PVCS_event_vector(%rip)
	movzbl	%al, %eax
	cmpl	$VEC_PF, %eax
	je	on_pf
	cmpl	$VEC_TIMER, %eax
	je	on_timer
	leaq	64(%rax), %rdi
	jmp	exit
on_pf:
	cmpq	$FAULT_ADDR, pvcs + PVCS_cr2(%rip)
	je	1f
	FAIL	23
1:	incq	pf_count(%rip)
	leaq	after_fault(%rip), %rax
	movq	%rax, 40(%rsp)
	jmp	ret_event
on_timer:
	incq	irq_count(%rip)
	WRMSR_HC 0x80b, $0			/* EOI */
ret_event:
	popq	%r10
	popq	%rbx
	popq	%rax
	popq	%r11
	popq	%rcx
	testl	$(1 << PVM_EVENT_FLAGS_IF_BIT), 16(%rsp)
	jz	2f
	orq	$(1 << PVM_EVENT_FLAGS_IF_BIT), pvcs + PVCS_event_flags(%rip)
2:	iretq

	.data
m_start:	.ascii "pvm-probe: start\n"
	.set m_start_len, . - m_start
m_detect:	.ascii "pvm-probe: ok PVM detected, PVCS and event entry registered\n"
	.set m_detect_len, . - m_detect
m_loop:	.ascii "pvm-probe: ok 10^8-iteration loop under 1 s\n"
	.set m_loop_len, . - m_loop
m_pf:	.ascii "pvm-probe: ok page fault taken and returned from\n"
	.set m_pf_len, . - m_pf
m_irq:	.ascii "pvm-probe: ok timer interrupt taken and returned from\n"
	.set m_irq_len, . - m_irq
pf_count:	.quad 0
irq_count:	.quad 0

	.bss
	.balign 4096
pvcs:	.skip 4096
stack:	.skip 16384
stack_top:
