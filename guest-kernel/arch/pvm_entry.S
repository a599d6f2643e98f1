/*
 * PVM event entry and return.  PVM delivers an event by saving RIP, RFLAGS,
 * RCX, R11, the vector, error code and CR2 in the PVCS and jumping to
 * MSR_PVM_EVENT_ENTRY (+512 from supervisor mode) without touching the stack.
 * We build a struct trap_frame on the interrupted stack, unlock the PVCS,
 * call trap_dispatch, and return with a same-privilege IRETQ (the guest
 * kernel runs at hardware CPL 3, so IRETQ to CPL 3 does not trap).
 */
#include "pvm.h"

#define IF_MASK (1 << PVM_EVENT_FLAGS_IF_BIT)
/* struct trap_frame offsets (platform.h): 15 GPRs, then these. */
#define TF_VECTOR (15 * 8)
#define TF_ERROR (16 * 8)
#define TF_CR2 (17 * 8)

	.section .text.pvm_entry, "ax"
	.balign 4096
	.globl pvm_event_entry
pvm_event_entry:
	/*
	 * Events from user mode.  This kernel never enters user mode, so none
	 * can arrive; treat one like a supervisor event, which reports it.
	 */
	jmp	pvm_supervisor_entry

	.org pvm_event_entry + PVM_EVENT_ENTRY_SUPERVISOR_OFFSET, 0xcc
	.globl pvm_supervisor_entry
pvm_supervisor_entry:
	/* RCX = this address, R11 = IF|FIXED; the interrupted values are in the PVCS. */
	movq	%rsp, %r11
	andq	$-16, %rsp
	subq	$16, %rsp			/* keep clear of the interrupted frame */
	pushq	$0				/* ss */
	pushq	%r11				/* rsp */
	movl	pvcs + PVCS_eflags(%rip), %ecx
	pushq	%rcx				/* rflags */
	pushq	$0				/* cs */
	pushq	pvcs + PVCS_rip(%rip)		/* rip */
	subq	$24, %rsp			/* cr2, error code, vector: filled below */
	movq	pvcs + PVCS_rcx(%rip), %rcx
	movq	pvcs + PVCS_r11(%rip), %r11
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/*
	 * Take the rest of the event out of the PVCS, then unlock it by
	 * clearing event_vector's high bits in one XCHG: until then any other
	 * event would be a triple fault.
	 */
	movzwl	pvcs + PVCS_event_errcode(%rip), %eax
	movq	%rax, TF_ERROR(%rsp)
	movq	pvcs + PVCS_cr2(%rip), %rax
	movq	%rax, TF_CR2(%rsp)
	xorl	%eax, %eax
	xchgw	%ax, pvcs + PVCS_event_vector(%rip)
	movzbl	%al, %eax
	movq	%rax, TF_VECTOR(%rsp)

	movq	%rsp, %rdi
	subq	$8, %rsp			/* 16-byte alignment at the call */
	call	trap_dispatch
	addq	$8, %rsp

	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$24, %rsp			/* vector, error code, cr2 */

	/*
	 * Stack: rip, cs, rflags, rsp, ss.  Put the current hardware CS and SS
	 * in, so the IRETQ stays at CPL 3; save the three registers the
	 * interrupt-window hypercall may clobber.
	 */
	pushq	%rax
	pushq	%rcx
	pushq	%r11
	movq	%cs, %rax
	movq	%rax, 32(%rsp)
	movq	%ss, %rax
	movq	%rax, 56(%rsp)
	/*
	 * Restore the virtual interrupt flag last.  An interrupt taken from
	 * here on nests on this stack and returns here, which is harmless; if
	 * one was held back while IF was clear, ask for it now.
	 */
	testl	$IF_MASK, 40(%rsp)
	jz	1f
	orq	$IF_MASK, pvcs + PVCS_event_flags(%rip)
	btq	$PVM_EVENT_FLAGS_IP_BIT, pvcs + PVCS_event_flags(%rip)
	jnc	1f
	movl	$PVM_HC_IRQ_WIN, %eax
	syscall
1:	popq	%r11
	popq	%rcx
	popq	%rax
	iretq

	/* The PVCS: one page, registered with MSR_PVM_VCPU_STRUCT. */
	.section .bss.pvcs, "aw", @nobits
	.balign 4096
	.globl pvcs
pvcs:
	.skip 4096
