/* A keyboard controller with no keyboard: status, CTR, self-test, reset (i8042.h). */
#include "x86/i8042.h"

#include <string.h>

#include "core/vm.h"

enum {
	ST_OUT_FULL = 0x01, /* a byte waits at port 0x60 */
	ST_SYS = 0x04,      /* the self-test passed once */
	ST_UNLOCKED = 0x10, /* the keylock switch is off */
	CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_SELF_TEST = 0xaa,
	CMD_KBD_TEST = 0xab, CMD_AUX_TEST = 0xa9, CMD_AUX_LOOP = 0xd3,
	SELF_TEST_OK = 0x55,
	AUX_TEST_CLOCK_LOW = 0x01, /* "no mouse port": Linux gives up on it at once */
	CTR_DEFAULT = 0x30, /* both ports' clocks off, no interrupts, no translation */
};

static void reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = true;
}

static void command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case I8042_CMD_RESET:
		k->vm->reset_requested = true;
		k->vm->exit_requested = true;
		break;
	case CMD_READ_CTR: reply(k, k->ctr); break;
	case CMD_WRITE_CTR: case CMD_AUX_LOOP: k->pending = cmd; break;
	case CMD_SELF_TEST: reply(k, SELF_TEST_OK); break;
	case CMD_KBD_TEST: reply(k, 0); break;
	case CMD_AUX_TEST: reply(k, AUX_TEST_CLOCK_LOW); break;
	default: break; /* port enables and disables: nothing to do without devices */
	}
}

void i8042_io(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct i8042 *k = opaque;

	(void)size;
	if (off == I8042_CMD_PORT - I8042_DATA_PORT) {
		if (is_write)
			command(k, (uint8_t)*val);
		else
			*val = ST_SYS | ST_UNLOCKED | (k->out_full ? ST_OUT_FULL : 0);
	} else if (off == 0) {
		if (!is_write) {
			*val = k->out;
			k->out_full = false;
		} else if (k->pending == CMD_WRITE_CTR) {
			k->ctr = (uint8_t)*val;
			k->pending = 0;
		} else if (k->pending == CMD_AUX_LOOP) {
			/* An answer at once, and not the echo: no mouse port and no
			 * multiplexer, where silence would cost Linux 10,000 polls each. */
			reply(k, (uint8_t)~*val);
			k->pending = 0;
		} /* else a byte for the keyboard, which is not there */
	} else if (!is_write) {
		*val = 0xff; /* 0x61..0x63 are not the controller's */
	}
}

void i8042_init(struct i8042 *k, struct vm *vm)
{
	memset(k, 0, sizeof(*k));
	k->vm = vm;
	k->ctr = CTR_DEFAULT;
}
