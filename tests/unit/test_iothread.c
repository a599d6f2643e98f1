/*
 * The I/O thread on its own: a source's eventfd signal runs its kick on the
 * thread, and a stop returns at once whatever the thread is doing, asleep
 * in io_uring or busy-polling (--io-poll).  And the engine's eventfd watch
 * beneath it (ioeng_watch_fd), by multishot poll and by reads.
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
		if (ioeng_wait_read(e, f->sem, &f->buf[f->queued], sizeof(f->buf[0]),
				    &f->ops[f->queued]))
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
 * it), and the thread still hears the next kick, and stops cleanly: its
 * watch stays armed (by_read 0), or its re-arm by a read found the engine
 * full and is retried, not fatal (by_read 1, a kernel before 5.13).
 */
static void engine_full(bool by_read)
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
	CU_ASSERT_EQUAL_FATAL(iothread_open(&it), 0);
	it.eng.watch_by_read = by_read;
	CU_ASSERT_EQUAL_FATAL(iothread_start(&it), 0);
	cap = it.eng.cap;
	CU_ASSERT(cap >= IOTHREAD_DEPTH);
	CU_ASSERT_EQUAL(eventfd_write(f->src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&f->kicks, __ATOMIC_ACQUIRE) == 1));
	usleep(50000);
	/*
	 * Full: the stop source's watch and this source's own in it too (a
	 * watch stays armed; a read's CQE is not yet passed back).
	 */
	CU_ASSERT_EQUAL(f->queued, cap - 2);
	/* By reads, its re-arm found the engine full and was retried once that CQE was passed back. */
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

static void test_engine_full(void) { engine_full(false); }
static void test_engine_full_by_read(void) { engine_full(true); }

struct watcher {
	struct ioeng_op op;
	uint64_t count;
	unsigned seen;
	int res;
};

static void watch_seen(struct ioeng_op *op, int res)
{
	struct watcher *w = (struct watcher *)op;

	w->seen++;
	w->res = res;
}

/* Runs the engine without waiting (the test signals from this thread) until w saw n, or ms. */
static bool seen_by(struct ioeng *e, struct watcher *w, unsigned n, int ms)
{
	for (int i = 0; w->seen < n && i < ms; i++) {
		ioeng_ready(e); /* runs the task work a signal left for this thread */
		if (ioeng_run(e, 0) < 0)
			return false;
		if (w->seen < n)
			usleep(1000);
	}
	return w->seen == n;
}

/*
 * ioeng_watch_fd: one callback per signal, also for a counter already
 * signalled when the watch is armed.  By multishot poll the watch stays
 * armed through 100 signals holding one SQE (the engine's room unchanged:
 * its CQEs but the last free nothing), and the counter is left unread; by
 * reads each callback takes the counter and must be asked again.
 */
static void watch(bool by_read)
{
	struct ioeng e;
	struct watcher w = { .op.cb = watch_seen };
	int fd = eventfd(0, EFD_CLOEXEC); /* blocking: older kernels fail io_uring reads of O_NONBLOCK files */
	unsigned room, i;
	eventfd_t left;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(ioeng_init(&e, 16), 0);
	e.watch_by_read = by_read;
	room = ioeng_room(&e);
	CU_ASSERT_EQUAL(eventfd_write(fd, 1), 0); /* before the watch */
	CU_ASSERT_EQUAL_FATAL(ioeng_watch_fd(&e, fd, &w.count, &w.op), 0);
	for (i = 1; i <= 101; i++) {
		if (i > 1)
			CU_ASSERT_EQUAL(eventfd_write(fd, 1), 0);
		CU_ASSERT_TRUE_FATAL(seen_by(&e, &w, i, 2000));
		CU_ASSERT(w.res > 0);
		CU_ASSERT_EQUAL(w.op.armed, !by_read);
		if (!w.op.armed)
			CU_ASSERT_EQUAL_FATAL(ioeng_watch_fd(&e, fd, &w.count, &w.op), 0);
		CU_ASSERT_EQUAL(ioeng_room(&e), room - 1);
	}
	/* No signal, no callback. */
	CU_ASSERT_FALSE(seen_by(&e, &w, 102, 100));
	CU_ASSERT_EQUAL(w.seen, 101);
	ioeng_exit(&e); /* cancels a pending read: the counter is the test's alone */
	CU_ASSERT_EQUAL(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	if (by_read) {
		CU_ASSERT_EQUAL(w.count, 1);
		CU_ASSERT_EQUAL(eventfd_read(fd, &left), -1); /* every signal was read */
	} else {
		CU_ASSERT_EQUAL(eventfd_read(fd, &left), 0);
		CU_ASSERT_EQUAL(left, 101);
	}
	close(fd);
}

static void test_watch_poll(void) { watch(false); }
static void test_watch_read(void) { watch(true); }

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
		{ "an engine full to its completion ring: the watch still heard", test_engine_full },
		{ "an engine full to its completion ring, by reads: re-arm retried",
		  test_engine_full_by_read },
		{ "an eventfd watch by multishot poll: armed once, counter unread", test_watch_poll },
		{ "an eventfd watch by reads (before Linux 5.13): one read a signal", test_watch_read },
		{ "an io_uring error it cannot retry: the owner is told", test_engine_error },
		CU_TEST_INFO_NULL,
	};
	return add_suite("iothread", tests);
}
