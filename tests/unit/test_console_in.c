/*
 * hv's standard input to the guest's console device: the quit keys on a
 * terminal, bytes verbatim from a pipe, and a device that takes few bytes at
 * a time losing none of them (the thread waits for room instead).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/console_in.h"
#include "core/vm.h"
#include "suites.h"
#include "ut.h"

static void test_keys(void)
{
	struct console_in ci = { .tty = true };
	const char *in = "a\001\001b\001cx\001x";
	char out[16];
	unsigned n = 0;
	bool quit = false;

	for (; *in && !quit; in++)
		if (console_in_key(&ci, *in, &out[n], &quit))
			n++;
	CU_ASSERT_TRUE(quit);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(memcmp(out, "a\001bcx", 5), 0); /* ^A^A is ^A, ^A c is c */
	ci = (struct console_in){ .tty = false };         /* a pipe: nothing is a key */
	quit = false;
	CU_ASSERT_TRUE(console_in_key(&ci, '\001', &out[0], &quit));
	CU_ASSERT_TRUE(console_in_key(&ci, 'x', &out[1], &quit));
	CU_ASSERT_FALSE(quit);
}

/*
 * A device that takes at most 3 bytes, and every other call none; as
 * uart_receive promises, room is signalled whenever it took fewer than offered.
 */
struct slow_dev {
	char got[4096];
	unsigned n, calls;
	int room_fd;
};

static unsigned slow_rx(void *opaque, const char *buf, unsigned len)
{
	struct slow_dev *d = opaque;
	uint64_t one = 1;
	unsigned take = len < 3 ? len : 3;

	if (d->calls++ % 2)
		take = 0;
	memcpy(d->got + d->n, buf, take);
	d->n += take;
	if (take < len)
		CU_ASSERT_EQUAL(write(d->room_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	return take;
}

static void test_pipe_no_loss(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct slow_dev *d = calloc(1, sizeof(*d));
	struct console_in ci;
	char msg[1000];
	int p[2];
	unsigned i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	d->room_fd = eventfd(0, EFD_NONBLOCK);
	console_init(&vm->console, -1);
	console_set_input(&vm->console, slow_rx, d, d->room_fd);
	CU_ASSERT_EQUAL_FATAL(console_in_init(&ci, vm, p[0]), 0);
	CU_ASSERT_FALSE(ci.tty);
	CU_ASSERT_EQUAL_FATAL(console_in_start(&ci), 0);
	CU_ASSERT_EQUAL(write(p[1], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	close(p[1]); /* EOF: the thread stops reading and parks */
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&ci.parked, __ATOMIC_ACQUIRE)));
	console_in_stop(&ci);
	CU_ASSERT_EQUAL(d->n, sizeof(msg));
	CU_ASSERT_EQUAL(memcmp(d->got, msg, sizeof(msg)), 0);
	/* the thread stays parked for good; its fds stay open with it */
	free(vm);
	free(d);
}

int suite_console_in(void)
{
	static const CU_TestInfo t[] = {
		{ "quit keys on a terminal, verbatim from a pipe", test_keys },
		{ "piped input: a slow device loses nothing", test_pipe_no_loss },
		CU_TEST_INFO_NULL,
	};
	return add_suite("console_in", t);
}
