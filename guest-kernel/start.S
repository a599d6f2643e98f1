/*
 * Kernel entry: hv enters here in 64-bit mode with rdi = boot info and a
 * temporary stack in its boot area.  Move to our own stack and go to C.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	call	kmain
1:	jmp	1b

	.section .bss.stack, "aw", @nobits
	.balign 16
boot_stack:
	.skip 65536
boot_stack_top:
