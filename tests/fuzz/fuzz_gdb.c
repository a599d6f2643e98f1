/*
 * Fuzz target: the gdb stub's packet framing and command table
 * (hv/debug/gdb_packet.c, gdb_cmd.c, gdb_regs.c), which read whatever the
 * socket's peer sends.  The input is the byte stream; each packet it
 * completes is dispatched over a fake target (a page of memory at 0x1000,
 * a register file).  Oracles: ASan and UBSan; a reply fits GDB_PKT_MAX and
 * always frames; a software breakpoint is only ever where memory is; the
 * hardware slots stay four; a malformed packet changes no register.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/gdb_cmd.h"
#include "debug/gdb_packet.h"
#include "debug/gdb_regs.h"

#define BASE 0x1000
#define SIZE 4096

struct fake {
	struct gdb_cpu cpu;
	uint8_t mem[SIZE];
};

static __attribute__((noreturn)) void fail(const char *what)
{
	fprintf(stderr, "fuzz: gdb: %s\n", what);
	abort();
}

static int in_range(uint64_t gva, size_t len)
{
	return gva >= BASE && gva - BASE <= SIZE && len <= SIZE - (gva - BASE);
}

static int f_get(void *t, struct gdb_cpu *c)
{
	*c = ((struct fake *)t)->cpu;
	return 0;
}

static int f_set(void *t, const struct gdb_cpu *c)
{
	((struct fake *)t)->cpu = *c;
	return 0;
}

static int f_read(void *t, uint64_t gva, void *buf, size_t len)
{
	if (!in_range(gva, len))
		return -EFAULT;
	memcpy(buf, ((struct fake *)t)->mem + (gva - BASE), len);
	return 0;
}

static int f_write(void *t, uint64_t gva, const void *buf, size_t len)
{
	if (!in_range(gva, len))
		return -EFAULT;
	memcpy(((struct fake *)t)->mem + (gva - BASE), buf, len);
	return 0;
}

static const struct gdb_target_ops ops = { f_get, f_set, f_read, f_write };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake fk;
	static struct gdb_session s;
	static struct gdb_framer f;
	static char reply[GDB_PKT_MAX + 1], framed[2 * GDB_PKT_MAX + 8];
	size_t i, n;
	unsigned k;

	memset(&fk, 0, sizeof(fk));
	if (gdb_session_init(&s, &ops, &fk))
		fail("session init");
	gdb_frame_init(&f);
	for (i = 0; i < size; i++) {
		struct gdb_cpu before;

		if (gdb_frame_feed(&f, data[i]) != GDB_FR_PACKET)
			continue;
		if (f.len > GDB_PKT_MAX || f.data[f.len])
			fail("packet longer than the framer holds, or not terminated");
		before = fk.cpu;
		gdb_cmd(&s, f.data, f.len, reply, &n);
		if (n > GDB_PKT_MAX || reply[n])
			fail("reply too long or not terminated");
		if (gdb_frame_encode(reply, n, framed, sizeof(framed)) < 0)
			fail("reply does not frame");
		if (n && reply[0] == 'E' && memcmp(&before, &fk.cpu, sizeof(before)))
			fail("a refused packet changed the registers");
		for (k = 0; k < GDB_MAX_SWBP; k++)
			if (s.sw[k].used && (!in_range(s.sw[k].addr, 1) ||
					     fk.mem[s.sw[k].addr - BASE] != 0xcc))
				fail("software breakpoint outside memory or without int3");
	}
	gdb_session_release(&s);
	for (k = 0; k < GDB_MAX_SWBP; k++)
		if (s.sw[k].used)
			fail("breakpoint left after release");
	return 0;
}
