/* Hypercall dispatch and argument checking against a real guest-memory map. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "suites.h"
#include "core/vm.h"

struct fixture {
	struct vm *vm;
	int pipe[2];
};

static void setup(struct fixture *f)
{
	f->vm = calloc(1, sizeof(*f->vm));
	CU_ASSERT_FATAL(f->vm != NULL);
	CU_ASSERT_EQUAL_FATAL(pipe2(f->pipe, O_NONBLOCK), 0);
	CU_ASSERT_EQUAL_FATAL(gm_init(&f->vm->mem, 4u << 20), 0);
	CU_ASSERT_EQUAL_FATAL(vm_init_devices(f->vm, f->pipe[1]), 0);
}

static void teardown(struct fixture *f)
{
	vm_destroy_devices(f->vm);
	gm_destroy(&f->vm->mem);
	free(f->vm);
	close(f->pipe[0]);
	close(f->pipe[1]);
}

static int64_t call(struct fixture *f, uint64_t nr, uint64_t a0, uint64_t a1)
{
	const uint64_t a[HC_NARGS] = { a0, a1, 0, 0, 0 };
	return hc_dispatch(f->vm, nr, a);
}

static void test_console(void)
{
	struct fixture f;
	char buf[64] = "";
	ssize_t n;
	setup(&f);
	memcpy(f.vm->mem.host + 0x200000, "hello\n", 6);
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, 0x200000, 6), 6);
	n = read(f.pipe[0], buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(memcmp(buf, "hello\n", 6), 0);
	CU_ASSERT_EQUAL(f.vm->console_hc_bytes, 6);
	/* Outside RAM, straddling its end, wrapping, too long: refused, nothing written. */
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, 4u << 20, 1), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, (4u << 20) - 2, 4), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, UINT64_MAX - 1, 4), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, 0, HV_CONSOLE_WRITE_MAX + 1), -HV_E2BIG);
	CU_ASSERT_EQUAL(call(&f, HV_HC_CONSOLE_WRITE, 0x1000, UINT64_MAX), -HV_E2BIG);
	console_flush(&f.vm->console);
	CU_ASSERT_EQUAL(read(f.pipe[0], buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(f.vm->console_hc_bytes, 6);
	teardown(&f);
}

static void test_exit_time_version(void)
{
	struct fixture f;
	int64_t t1, t2;
	setup(&f);
	CU_ASSERT_EQUAL(call(&f, HV_HC_VERSION, 0, 0), HV_ABI_VERSION);
	t1 = call(&f, HV_HC_TIME_NS, 0, 0);
	t2 = call(&f, HV_HC_TIME_NS, 0, 0);
	CU_ASSERT(t1 > 0 && t2 >= t1);
	CU_ASSERT_FALSE(f.vm->exit_requested);
	CU_ASSERT_EQUAL(call(&f, HV_HC_EXIT, 0x1234, 0), 0);
	CU_ASSERT_TRUE(f.vm->exit_requested);
	CU_ASSERT_EQUAL(f.vm->exit_status, 0x34);
	teardown(&f);
}

static int64_t hc_nop(struct vm *vm, const uint64_t a[HC_NARGS])
{
	(void)vm, (void)a;
	return 0;
}

static void test_unknown(void)
{
	struct fixture f;
	setup(&f);
	CU_ASSERT_EQUAL(call(&f, HV_HC_MAX, 0, 0), -HV_ENOSYS);
	CU_ASSERT_EQUAL(call(&f, 63, 0, 0), -HV_ENOSYS);
	CU_ASSERT_EQUAL(call(&f, 64, 0, 0), -HV_ENOSYS);
	CU_ASSERT_EQUAL(call(&f, UINT64_MAX, 0, 0), -HV_ENOSYS);
	CU_ASSERT_EQUAL(f.vm->hc.bad_calls, 4);
	CU_ASSERT_EQUAL(hc_register(&f.vm->hc, HV_HC_EXIT, hc_nop, "dup"), -EEXIST);
	CU_ASSERT_EQUAL(hc_register(&f.vm->hc, HC_TABLE_SIZE, hc_nop, "big"), -EINVAL);
	teardown(&f);
}

static void test_dev_info(void)
{
	struct fixture f;
	struct hv_dev_desc d;
	setup(&f);
	CU_ASSERT_EQUAL(call(&f, HV_HC_DEV_INFO, 0, 0x3000), 0);
	memcpy(&d, f.vm->mem.host + 0x3000, sizeof(d));
	CU_ASSERT_EQUAL(d.type, HV_DEV_UART);
	CU_ASSERT_EQUAL(d.base, HV_UART_PORT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_DEV_INFO, 1, 0x3000), -HV_ENOENT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_DEV_INFO, UINT64_MAX, 0x3000), -HV_ENOENT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_DEV_INFO, 0, (4u << 20) - 8), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_DEV_INFO, 0, UINT64_MAX - 8), -HV_EFAULT);
	teardown(&f);
}

static uint64_t cpu_ns_now(void)
{
	struct rusage ru;

	CU_ASSERT_EQUAL_FATAL(getrusage(RUSAGE_SELF, &ru), 0);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/*
 * Without KVM: hv's own exit count, ~0 for KVM's exits and interrupts, hv's CPU
 * time; a bad range writes nothing.
 */
static void test_exit_count(void)
{
	const uint64_t mem = 4u << 20;
	struct hv_exit_count c;
	struct fixture f;
	uint64_t before, after;
	uint8_t *tail;

	setup(&f);
	f.vm->hv_exits = 12345;
	before = cpu_ns_now();
	CU_ASSERT_EQUAL(call(&f, HV_HC_EXIT_COUNT, mem - sizeof(c), 0), 0); /* the last bytes of RAM */
	after = cpu_ns_now();
	memcpy(&c, f.vm->mem.host + mem - sizeof(c), sizeof(c));
	CU_ASSERT_EQUAL(c.kvm_exits, ~0ull);
	CU_ASSERT_EQUAL(c.kvm_irqs, ~0ull);
	for (int i = 0; i < HV_EXIT_KINDS; i++)
		CU_ASSERT_EQUAL(c.kind[i], ~0ull); /* no KVM here: unknown, never 0 */
	CU_ASSERT_EQUAL(c.hv_exits, 12345);
	CU_ASSERT(c.cpu_ns > 0 && before <= c.cpu_ns && c.cpu_ns <= after);
	/* Straddling the end of RAM, past it, wrapping: -EFAULT and not a byte written. */
	tail = f.vm->mem.host + mem - 64;
	memset(tail, 0xa5, 64);
	CU_ASSERT_EQUAL(call(&f, HV_HC_EXIT_COUNT, mem - sizeof(c) + 8, 0), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_EXIT_COUNT, mem, 0), -HV_EFAULT);
	CU_ASSERT_EQUAL(call(&f, HV_HC_EXIT_COUNT, UINT64_MAX - 7, 0), -HV_EFAULT);
	for (int i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(tail[i], 0xa5);
	CU_ASSERT_EQUAL(f.vm->hc.e[HV_HC_EXIT_COUNT].calls, 4);
	teardown(&f);
}

int suite_hypercall(void)
{
	static const CU_TestInfo t[] = {
		{ "console write and its bounds", test_console },
		{ "exit, time, version", test_exit_time_version },
		{ "unknown numbers", test_unknown },
		{ "device info", test_dev_info },
		{ "exit count without KVM, and its bounds", test_exit_count },
		CU_TEST_INFO_NULL,
	};
	return add_suite("hypercall", t);
}
