/*
 * The legacy PC ports a Linux guest touches and hv answers itself (KVM's
 * irqchip and PIT answer the PICs, the IOAPIC and ports 0x40-0x43/0x61):
 * the keyboard controller (i8042.c: reset and a quick "no keyboard, no
 * mouse") and the CMOS clock (cmos.c).  Added for Linux guests only; hv's
 * own kernel touches none of them.
 */
#ifndef HV_X86_LEGACY_H
#define HV_X86_LEGACY_H

struct vm;

/* Registers the ports on vm->pio; their state is vm->platform.  0 or -errno. */
int legacy_add(struct vm *vm);

#endif
