/*
 * The legacy PC ports a Linux guest touches and hv answers itself (KVM's
 * irqchip and PIT answer the PICs, the IOAPIC and ports 0x40-0x43/0x61):
 * the keyboard controller (i8042.c: reset and a quick "no keyboard, no
 * mouse") and the CMOS clock (cmos.c).  Added for Linux guests only; hv's
 * own kernel touches none of them.
 */
#ifndef HV_X86_LEGACY_H
#define HV_X86_LEGACY_H

#include <stdint.h>

struct vm;

/* Registers the ports on vm->pio; their state is vm->platform.  0 or -errno. */
int legacy_add(struct vm *vm);

/*
 * The ports' state in a snapshot (docs/SNAPSHOT.md, the platform record):
 * the keyboard controller's registers and the CMOS index and RAM.  The
 * clock is not in it: it reads the host's time, before and after.
 */
struct legacy_rec {
	uint8_t kbd_ctr, kbd_out, kbd_out_full, kbd_pending;
	uint8_t cmos_index, pad[3];
	uint8_t cmos_ram[128];
};

_Static_assert(sizeof(struct legacy_rec) == 136, "snapshot platform record layout");

/* The state of vm->platform (legacy_add ran) in r. */
void legacy_save(const struct vm *vm, struct legacy_rec *r);
/* Puts r back into vm->platform; -EINVAL for a record the ports could never hold. */
int legacy_load(struct vm *vm, const struct legacy_rec *r);

#endif
