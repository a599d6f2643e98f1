/*
 * The 256 IDT entry stubs, the common event entry that builds a struct
 * trap_frame (platform.h) for trap_dispatch, and plat_halt, here because
 * the entry must recognise its HLT.
 */
#define TF_CR2 (15 * 8)  /* after the 15 general registers */
#define TF_RIP (18 * 8)  /* then cr2, vector, error code: the CPU frame starts */

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			(v) == 21 || (v) == 29 || (v) == 30)

/*
 * Each stub is 16 bytes (cpu_x86_64.c computes stub n's address as
 * isr_stubs + 16 * n): it pushes a zero where the CPU pushes no error code,
 * then the vector, and jumps to event_common, which completes the frame on
 * the stack, calls trap_dispatch and returns with IRETQ.
 */
	.section .text.vectors, "ax"
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if !HAS_ERRCODE(vec)
	pushq	$0
	.endif
	pushq	$vec
	jmp	event_common
	.set vec, vec + 1
	.endr

event_common:
	subq	$8, %rsp		/* cr2, filled below */
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
	/* CR2 is only meaningful for #PF, but reading it is cheap and never exits. */
	movq	%cr2, %rax
	movq	%rax, TF_CR2(%rsp)
	/*
	 * An event whose return address is plat_halt's HLT arrived inside STI's
	 * one-instruction shadow, which hardware never allows: QEMU 7.2's
	 * emulated SVM (the test host VM) forgets the shadow across VMRUN, so
	 * KVM can inject there.  Returning to the HLT would sleep through the
	 * wake-up this very event brought; return past it instead.
	 */
	leaq	plat_halt_hlt(%rip), %rax
	cmpq	%rax, TF_RIP(%rsp)
	jne	1f
	incq	TF_RIP(%rsp)		/* HLT is one byte */
1:	cld
	/* 23 words on the CPU's 16-byte aligned frame: realign for the call. */
	movq	%rsp, %rdi
	subq	$8, %rsp
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
	addq	$24, %rsp		/* cr2, vector, error code */
	iretq

/* void plat_halt(void): enable interrupts and wait for one, atomically. */
	.text
	.globl plat_halt
plat_halt:
	sti			/* the next instruction runs before any interrupt */
plat_halt_hlt:
	hlt
	ret
