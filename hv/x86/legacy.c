/* Legacy PC ports for Linux guests (see legacy.h). */
#include "x86/legacy.h"

#include <errno.h>
#include <stdlib.h>

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
