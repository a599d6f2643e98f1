/* MC146818 time of day and CMOS RAM (see cmos.h). */
#include "x86/cmos.h"

#include <string.h>

enum {
	REG_SEC = 0x00, REG_MIN = 0x02, REG_HOUR = 0x04, REG_WDAY = 0x06, REG_MDAY = 0x07,
	REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
	REG_CENTURY = 0x32,
	A_DIVIDER = 0x26,  /* 32.768 kHz, 1024 Hz; bit 7 (update in progress) clear */
	B_24H = 0x02,      /* 24-hour, BCD, no interrupts */
	D_VALID = 0x80,    /* the battery is good */
};

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

void cmos_init(struct cmos *c)
{
	memset(c, 0, sizeof(*c));
	c->now = time;
}

static uint8_t cmos_read(struct cmos *c, uint8_t reg)
{
	time_t t = c->now(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case REG_SEC: return bcd(tm.tm_sec);
	case REG_MIN: return bcd(tm.tm_min);
	case REG_HOUR: return bcd(tm.tm_hour);
	case REG_WDAY: return bcd(tm.tm_wday + 1);
	case REG_MDAY: return bcd(tm.tm_mday);
	case REG_MON: return bcd(tm.tm_mon + 1);
	case REG_YEAR: return bcd(tm.tm_year % 100);
	case REG_CENTURY: return bcd(19 + tm.tm_year / 100);
	case REG_A: return A_DIVIDER;
	case REG_B: return B_24H;
	case REG_C: return 0;
	case REG_D: return D_VALID;
	default: return c->ram[reg & 0x7f];
	}
}

void cmos_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct cmos *c = opaque;

	(void)size;
	if (off == 0) {
		if (is_write)
			c->index = (uint8_t)(*val & 0x7f); /* bit 7 masks NMIs: nothing to mask */
		else
			*val = 0xff; /* the index port is write-only */
	} else if (is_write) {
		if (c->index > REG_D && c->index != REG_CENTURY)
			c->ram[c->index] = (uint8_t)*val; /* the clock itself is the host's */
	} else {
		*val = cmos_read(c, c->index);
	}
}
