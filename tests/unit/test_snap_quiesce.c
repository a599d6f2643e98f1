/*
 * The I/O thread's quiesce (what a snapshot of a running VM needs): the
 * thread takes no new signal, lets what is in flight complete, parks, and
 * serves what was signalled meanwhile once resumed; a stop ends it parked.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/util.h"
#include "io/iothread.h"
#include "suites.h"
#include "ut.h"

/* A source whose every kick starts a read of one byte from a pipe: an op counted in flight. */
struct reader {
	struct io_source src;
	int irq_fd, pipe[2];
	uint64_t kicks, done;
	char byte;
	struct ioeng_op op;
};

static void read_done(struct ioeng_op *op, int res)
{
	struct reader *r = container_of(op, struct reader, op);

	(void)res;
	__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
}

static void read_kick(struct io_source *s, struct ioeng *e)
{
	struct reader *r = container_of(s, struct reader, src);
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	__atomic_add_fetch(&r->kicks, 1, __ATOMIC_RELEASE);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, r->pipe[0], &r->byte, 1, 0);
	r->op.cb = read_done;
	ioeng_queue(e, sqe, &r->op);
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

struct quiescer {
	struct iothread *it;
	int rc;
	bool returned;
};

static void *quiesce_thread(void *arg)
{
	struct quiescer *q = arg;

	q->rc = iothread_quiesce(q->it);
	__atomic_store_n(&q->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

static void note_fail(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELEASE);
}

/* failed, if not NULL, counts the thread's engine failures (on_fail). */
static void setup(struct iothread *it, struct reader *r, uint64_t io_poll_ns, int *failed)
{
	CU_ASSERT_EQUAL_FATAL(iothread_init(it), 0);
	CU_ASSERT_EQUAL_FATAL(io_source_open(&r->src, &r->irq_fd), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(r->pipe), 0);
	r->src.kick = read_kick;
	CU_ASSERT_EQUAL_FATAL(iothread_add(it, &r->src), 0);
	it->io_poll_ns = io_poll_ns;
	if (failed) {
		it->on_fail = note_fail;
		it->on_fail_arg = failed;
	}
	CU_ASSERT_EQUAL_FATAL(iothread_start(it), 0);
}

static void teardown(struct iothread *it, struct reader *r)
{
	ut_iothread_stop(it);
	iothread_destroy(it);
	io_source_close(&r->src, &r->irq_fd);
	close(r->pipe[0]);
	close(r->pipe[1]);
}

/*
 * A quiesce waits for the op in flight; parked, a signal is not served;
 * resumed, it is, and the thread goes on as before (twice over).
 */
static void quiesce_waits_then_resumes(uint64_t io_poll_ns)
{
	struct iothread it;
	struct reader r = { .kicks = 0 };
	struct quiescer q = { .it = &it };
	pthread_t t;
	unsigned round;

	setup(&it, &r, io_poll_ns, NULL);
	for (round = 0; round < 2; round++) {
		uint64_t k = load(&r.kicks), d = load(&r.done);

		CU_ASSERT_EQUAL(eventfd_write(r.src.fd, 1), 0);
		CU_ASSERT_TRUE(EVENTUALLY(load(&r.kicks) == k + 1)); /* its read now waits on the pipe */
		q.returned = false;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, quiesce_thread, &q), 0);
		usleep(100000);
		CU_ASSERT_FALSE(__atomic_load_n(&q.returned, __ATOMIC_ACQUIRE)); /* the op is in flight */
		CU_ASSERT_EQUAL(write(r.pipe[1], "x", 1), 1);
		pthread_join(t, NULL);
		CU_ASSERT_EQUAL(q.rc, 0);
		CU_ASSERT_EQUAL(load(&r.done), d + 1); /* completed before the quiesce returned */
		CU_ASSERT_EQUAL(it.eng.inflight, 0);
		/* Parked: a doorbell now is kept, not served. */
		CU_ASSERT_EQUAL(eventfd_write(r.src.fd, 1), 0);
		usleep(100000);
		CU_ASSERT_EQUAL(load(&r.kicks), k + 1);
		iothread_resume(&it);
		CU_ASSERT_TRUE(EVENTUALLY(load(&r.kicks) == k + 2));
		CU_ASSERT_EQUAL(write(r.pipe[1], "y", 1), 1);
		CU_ASSERT_TRUE(EVENTUALLY(load(&r.done) == d + 2));
	}
	teardown(&it, &r);
}

static void test_quiesce_asleep(void) { quiesce_waits_then_resumes(0); }
static void test_quiesce_polling(void) { quiesce_waits_then_resumes(30000000000ull); }

/* A stop ends a parked thread at once; a quiesce of a thread not started is a no-op. */
static void test_stop_parked(void)
{
	struct iothread it;
	struct reader r = { .kicks = 0 };

	CU_ASSERT_EQUAL_FATAL(iothread_init(&it), 0);
	CU_ASSERT_EQUAL(iothread_quiesce(&it), 0);
	iothread_resume(&it);
	iothread_destroy(&it);
	setup(&it, &r, 0, NULL);
	CU_ASSERT_EQUAL(iothread_quiesce(&it), 0);
	CU_ASSERT_EQUAL(eventfd_write(r.src.fd, 1), 0);
	teardown(&it, &r); /* ut_iothread_stop asserts it returns in time */
	CU_ASSERT_EQUAL(load(&r.kicks), 0); /* the doorbell kept while parked was never served */
}

/*
 * A thread that died of an engine error (its ring fd made /dev/null, as in
 * the iothread suite) cannot park: the quiesce says so, it does not hang.
 */
static void test_quiesce_dead_thread(void)
{
	struct iothread it;
	struct reader r = { .kicks = 0 };
	int null_fd, failed = 0;

	setup(&it, &r, 0, &failed);
	null_fd = open("/dev/null", 0);
	CU_ASSERT_FATAL(null_fd >= 0);
	CU_ASSERT_EQUAL_FATAL(dup2(null_fd, it.eng.ring.ring_fd), it.eng.ring.ring_fd);
	close(null_fd);
	/* The thread sleeps in io_uring_enter on the old file: a signal makes it call the new one. */
	CU_ASSERT_EQUAL(eventfd_write(r.src.fd, 1), 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&failed, __ATOMIC_ACQUIRE) == 1));
	CU_ASSERT_EQUAL(iothread_quiesce(&it), -EIO);
	iothread_resume(&it);
	teardown(&it, &r);
}

int suite_snap_quiesce(void)
{
	static const CU_TestInfo tests[] = {
		{ "quiesce waits for I/O in flight, parks, resume serves what came", test_quiesce_asleep },
		{ "the same while busy-polling", test_quiesce_polling },
		{ "a stop ends a parked thread", test_stop_parked },
		{ "a dead thread: quiesce returns -EIO", test_quiesce_dead_thread },
		CU_TEST_INFO_NULL,
	};
	return add_suite("snap_quiesce", tests);
}
