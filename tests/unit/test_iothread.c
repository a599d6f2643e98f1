/*
 * The I/O thread on its own: a source's eventfd signal runs its kick on the
 * thread, and a stop returns at once whatever the thread is doing, asleep
 * in io_uring or busy-polling (--io-poll).
 */
#include <errno.h>
#include <sys/eventfd.h>

#include "iothread.h"
#include "suites.h"
#include "ut.h"

struct counter {
	struct io_source src;
	int irq_fd;
	uint64_t kicks;
};

static void count_kick(struct io_source *s, struct ioeng *e)
{
	(void)e;
	__atomic_add_fetch(&((struct counter *)s)->kicks, 1, __ATOMIC_RELEASE);
}

static uint64_t kicks(struct counter *c)
{
	return __atomic_load_n(&c->kicks, __ATOMIC_ACQUIRE);
}

/*
 * Starts a thread with one source, kicks it twice (each heard, also while
 * the thread busy-polls), stops it (within 5 s).
 */
static void kick_then_stop(uint64_t spin_ns)
{
	struct iothread it;
	struct counter c = { .kicks = 0 };

	CU_ASSERT_EQUAL_FATAL(iothread_init(&it), 0);
	CU_ASSERT_EQUAL_FATAL(io_source_open(&c.src, &c.irq_fd), 0);
	c.src.kick = count_kick;
	CU_ASSERT_EQUAL_FATAL(iothread_add(&it, &c.src), 0);
	it.spin_ns = spin_ns;
	CU_ASSERT_EQUAL_FATAL(iothread_start(&it), 0);
	CU_ASSERT_EQUAL(iothread_add(&it, &c.src), -ENOSPC); /* too late once started */
	for (uint64_t n = 1; n <= 2; n++) {
		CU_ASSERT_EQUAL(eventfd_write(c.src.fd, 1), 0);
		CU_ASSERT_TRUE(EVENTUALLY(kicks(&c) == n));
	}
	/* With spin_ns, the thread is now spinning for work, for far longer than this takes. */
	ut_iothread_stop(&it);
	iothread_destroy(&it);
	io_source_close(&c.src, &c.irq_fd);
}

static void test_stop_asleep(void) { kick_then_stop(0); }
static void test_stop_polling(void) { kick_then_stop(30000000000ull); }

int suite_iothread(void)
{
	static const CU_TestInfo tests[] = {
		{ "kicks, then a stop while asleep", test_stop_asleep },
		{ "kicks, then a stop while busy-polling", test_stop_polling },
		CU_TEST_INFO_NULL,
	};
	return add_suite("iothread", tests);
}
