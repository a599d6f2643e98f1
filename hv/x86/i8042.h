/*
 * The PC keyboard controller, only as far as Linux uses it on a machine with
 * no keyboard: its status port reads "nothing to read, ready for a command"
 * (so the wait before a reset is one read, not 65,536 port exits of an
 * unclaimed 0xff), the controller-configuration byte and self-test answer
 * (so the i8042 driver gives up at once instead of timing out), and command
 * 0xFE, the reset line: Linux's `reboot=k` and its fallback reboot.  Ports
 * 0x60 and 0x64 (x86/legacy.c registers them); a reset sets
 * vm->reset_requested.
 */
#ifndef HV_X86_I8042_H
#define HV_X86_I8042_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_CMD_RESET 0xfe

struct i8042 {
	struct vm *vm;
	uint8_t ctr;      /* controller configuration byte */
	uint8_t out;      /* the byte port 0x60 returns next */
	bool out_full;
	uint8_t pending;  /* a command waiting for its data byte (0x60), or 0 */
};

/* Sets up k for vm (a reset ends it). */
void i8042_init(struct i8042 *k, struct vm *vm);

/* io_bus handler for both ports (opaque: struct i8042; off: the port - 0x60). */
void i8042_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size);

#endif
