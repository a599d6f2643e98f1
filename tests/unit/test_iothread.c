/*
 * The I/O thread on its own: a source's eventfd signal runs its kick on the
 * thread, and a stop returns at once whatever the thread is doing, asleep
 * in io_uring or busy-polling (--io-poll).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io/iothread.h"
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
static void kick_then_stop(uint64_t io_poll_ns)
{
	struct iothread it;
	struct counter c = { .kicks = 0 };

	CU_ASSERT_EQUAL_FATAL(iothread_init(&it), 0);
	CU_ASSERT_EQUAL_FATAL(io_source_open(&c.src, &c.irq_fd), 0);
	c.src.kick = count_kick;
	CU_ASSERT_EQUAL_FATAL(iothread_add(&it, &c.src), 0);
	it.io_poll_ns = io_poll_ns;
	CU_ASSERT_EQUAL_FATAL(iothread_start(&it), 0);
	CU_ASSERT_EQUAL(iothread_add(&it, &c.src), -ENOSPC); /* too late once started */
	for (uint64_t n = 1; n <= 2; n++) {
		CU_ASSERT_EQUAL(eventfd_write(c.src.fd, 1), 0);
		CU_ASSERT_TRUE(EVENTUALLY(kicks(&c) == n));
	}
	/* With io_poll_ns, the thread is now polling for work, for far longer than this takes. */
	ut_iothread_stop(&it);
	iothread_destroy(&it);
	io_source_close(&c.src, &c.irq_fd);
}

static void test_stop_asleep(void) { kick_then_stop(0); }
static void test_stop_polling(void) { kick_then_stop(30000000000ull); }

/*
 * A source whose first kick starts operations that wait (eventfd reads of
 * one semaphore eventfd) until the engine refuses more.
 */
struct filler {
	struct io_source src;
	int irq_fd, sem;
	unsigned queued;
	uint64_t kicks, done;
	uint64_t buf[2048];
	struct ioeng_op ops[2048];
};

static void count_done(struct ioeng_op *op, int res);

static void fill_kick(struct io_source *s, struct ioeng *e)
{
	struct filler *f = (struct filler *)s;

	while (!f->kicks && f->queued < 2048) {
		f->ops[f->queued].cb = count_done;
		if (ioeng_wait_fd(e, f->sem, &f->buf[f->queued], &f->ops[f->queued]))
			break;
		f->queued++;
	}
	__atomic_add_fetch(&f->kicks, 1, __ATOMIC_RELEASE);
}

static struct filler *the_filler;

static void count_done(struct ioeng_op *op, int res)
{
	(void)op, (void)res;
	__atomic_add_fetch(&the_filler->done, 1, __ATOMIC_RELEASE);
}

/*
 * The engine never has more operations in the kernel than its completion
 * ring holds (so it cannot overflow, and no kernel refuses a submission for
 * it), and a doorbell re-arm that found it full is retried, not fatal: the
 * thread still hears the next kick, and stops cleanly.
 */
static void test_engine_full(void)
{
	struct filler *f = calloc(1, sizeof(*f));
	struct iothread it;
	unsigned cap;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	the_filler = f;
	f->sem = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	CU_ASSERT_FATAL(f->sem >= 0);
	CU_ASSERT_EQUAL_FATAL(iothread_init(&it), 0);
	CU_ASSERT_EQUAL_FATAL(io_source_open(&f->src, &f->irq_fd), 0);
	f->src.kick = fill_kick;
	CU_ASSERT_EQUAL_FATAL(iothread_add(&it, &f->src), 0);
	CU_ASSERT_EQUAL_FATAL(iothread_start(&it), 0);
	cap = it.eng.cap;
	CU_ASSERT(cap >= IOTHREAD_DEPTH);
	CU_ASSERT_EQUAL(eventfd_write(f->src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&f->kicks, __ATOMIC_ACQUIRE) == 1));
	usleep(50000);
	/* Full: the stop source's read and this source's own (its CQE not yet passed back) in it too. */
	CU_ASSERT_EQUAL(f->queued, cap - 2);
	/* Its re-arm found the engine full and was retried once that CQE was passed back. */
	CU_ASSERT_EQUAL(eventfd_write(f->src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&f->kicks, __ATOMIC_ACQUIRE) == 2));
	CU_ASSERT_EQUAL(it.error, 0);
	/* Every one of them completes, then the thread stops. */
	CU_ASSERT_EQUAL(eventfd_write(f->sem, f->queued), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&f->done, __ATOMIC_ACQUIRE) == f->queued));
	ut_iothread_stop(&it);
	iothread_destroy(&it);
	io_source_close(&f->src, &f->irq_fd);
	close(f->sem);
	free(f);
}

static void note_fail(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELEASE);
}

/*
 * An io_uring error the engine cannot retry (here: its ring fd no longer
 * an io_uring, io_uring_enter says EOPNOTSUPP) ends the thread with the
 * error recorded and its owner told, once: it never ends silently.
 */
static void test_engine_error(void)
{
	struct iothread it;
	struct counter c = { .kicks = 0 };
	int failed = 0, null_fd;

	CU_ASSERT_EQUAL_FATAL(iothread_init(&it), 0);
	CU_ASSERT_EQUAL_FATAL(io_source_open(&c.src, &c.irq_fd), 0);
	c.src.kick = count_kick;
	CU_ASSERT_EQUAL_FATAL(iothread_add(&it, &c.src), 0);
	it.on_fail = note_fail;
	it.on_fail_arg = &failed;
	CU_ASSERT_EQUAL_FATAL(iothread_start(&it), 0);
	CU_ASSERT_EQUAL(eventfd_write(c.src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(kicks(&c) == 1));
	CU_ASSERT_EQUAL(__atomic_load_n(&failed, __ATOMIC_ACQUIRE), 0);
	/* The thread sleeps in io_uring_enter on the old file; its next call meets /dev/null. */
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(null_fd >= 0);
	CU_ASSERT_EQUAL_FATAL(dup2(null_fd, it.eng.ring.ring_fd), it.eng.ring.ring_fd);
	close(null_fd);
	CU_ASSERT_EQUAL(eventfd_write(c.src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&failed, __ATOMIC_ACQUIRE) == 1));
	CU_ASSERT_EQUAL(it.error, -EOPNOTSUPP);
	CU_ASSERT_EQUAL(kicks(&c), 2); /* the kick that woke it was served first */
	ut_iothread_stop(&it); /* joins a thread already ended */
	CU_ASSERT_EQUAL(__atomic_load_n(&failed, __ATOMIC_ACQUIRE), 1);
	iothread_destroy(&it);
	io_source_close(&c.src, &c.irq_fd);
}

int suite_iothread(void)
{
	static const CU_TestInfo tests[] = {
		{ "kicks, then a stop while asleep", test_stop_asleep },
		{ "kicks, then a stop while busy-polling", test_stop_polling },
		{ "an engine full to its completion ring: re-arm retried", test_engine_full },
		{ "an io_uring error it cannot retry: the owner is told", test_engine_error },
		CU_TEST_INFO_NULL,
	};
	return add_suite("iothread", tests);
}
