/* Legacy PC ports for Linux guests (see legacy.h). */
#include "x86/legacy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "x86/cmos.h"
#include "x86/i8042.h"

struct legacy {
	struct i8042 kbd;
	struct cmos rtc;
};

int legacy_add(struct vm *vm)
{
	struct legacy *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	i8042_init(&l->kbd, vm);
	cmos_init(&l->rtc);
	/* 0x60..0x64 in one range: 0x61 (the speaker port) is KVM's PIT's, never seen here. */
	rc = io_bus_register(&vm->pio, I8042_DATA_PORT, 5, i8042_io, &l->kbd, "i8042");
	if (!rc)
		rc = io_bus_register(&vm->pio, CMOS_INDEX_PORT, 2, cmos_io, &l->rtc, "cmos");
	if (rc) {
		io_bus_unregister(&vm->pio, I8042_DATA_PORT);
		free(l);
		return rc;
	}
	vm->platform = l;
	return 0;
}

void legacy_save(const struct vm *vm, struct legacy_rec *r)
{
	const struct legacy *l = vm->platform;

	memset(r, 0, sizeof(*r));
	r->kbd_ctr = l->kbd.ctr, r->kbd_out = l->kbd.out, r->kbd_out_full = l->kbd.out_full;
	r->kbd_pending = l->kbd.pending;
	r->cmos_index = l->rtc.index;
	memcpy(r->cmos_ram, l->rtc.ram, sizeof(r->cmos_ram));
}

int legacy_load(struct vm *vm, const struct legacy_rec *r)
{
	struct legacy *l = vm->platform;

	/* What the ports' own paths can set: an index below 128, a flag, no other bytes. */
	if (r->cmos_index > 0x7f || r->kbd_out_full > 1 || r->pad[0] || r->pad[1] || r->pad[2])
		return -EINVAL;
	l->kbd.ctr = r->kbd_ctr, l->kbd.out = r->kbd_out, l->kbd.out_full = r->kbd_out_full;
	l->kbd.pending = r->kbd_pending;
	l->rtc.index = r->cmos_index;
	memcpy(l->rtc.ram, r->cmos_ram, sizeof(l->rtc.ram));
	return 0;
}
