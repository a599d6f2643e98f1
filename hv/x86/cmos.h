/*
 * The PC's CMOS clock (MC146818) at ports 0x70/0x71, as far as Linux reads
 * it with no ACPI: the time of day from the host's clock in BCD, status
 * registers that say "not updating, battery good", and 128 bytes of zeroed
 * CMOS RAM.  Without it every read is an unclaimed 0xff, the update-in-
 * progress bit never clears, and Linux polls thousands of times.
 */
#ifndef HV_X86_CMOS_H
#define HV_X86_CMOS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CMOS_INDEX_PORT 0x70

struct cmos {
	uint8_t index;
	uint8_t ram[128];
	time_t (*now)(time_t *); /* the clock (time(3); a fixed one in tests) */
};

void cmos_init(struct cmos *c);

/* io_bus handler for ports 0x70-0x71 (opaque: struct cmos). */
void cmos_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size);

#endif
