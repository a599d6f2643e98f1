/*
 * Kernel entry: hv enters here in 64-bit mode with rdi = boot info, a
 * temporary stack and a boot GDT in its boot area.  Load our own GDT first,
 * so nothing depends on hv's boot area, then move to our own stack and go to C.
 */
#include "gdt.h"

	.section .text.start, "ax"
	.globl _start
_start:
	lgdt	gdt_desc(%rip)
	movl	$GDT_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	boot_stack_top(%rip), %rsp
	/* Reload CS through a far return: there is no direct far jump in long mode. */
	pushq	$GDT_KCODE
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	xorl	%ebp, %ebp
	call	kmain
2:	hlt
	jmp	2b

	.section .bss.stack, "aw", @nobits
	.balign 16
boot_stack:
	.skip 65536
boot_stack_top:
