/* The I/O thread's loop: wait on the ring, dispatch, publish, repeat. */
#include "io/iothread.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void await_signal(struct io_source *s);

/* Runs a source's kick for one signal read (res) and asks for its next one. */
static void serve_signal(struct io_source *s, int res)
{
	s->res = res;
	if (res >= 0 || s->buf) {
		/* Released: whoever sees this count sees all the earlier kicks did. */
		__atomic_fetch_add(&s->kicks, 1, __ATOMIC_RELEASE);
		s->kick(s, &s->it->eng);
		/* The test hook: the ring is unusable from here, as one failed for good. */
		if (s->it->fail_probe)
			s->it->eng.ring.enter_ring_fd = -1;
	}
	if (!s->ended && !s->op.armed)
		await_signal(s);
}

static void on_signal(struct ioeng_op *op, int res)
{
	struct io_source *s = container_of(op, struct io_source, op);

	if (s->it->stopping)
		return;
	/* Quiescing: nothing new is taken; its read is asked again on resume. */
	if (s->it->quiescing && s != &s->it->stop) {
		s->res = res;
		s->deferred = true;
		return;
	}
	serve_signal(s, res);
}

/*
 * Asks for the source's next signals (a watch, or a read of its next
 * message).  With the engine full it is asked again after the next batch
 * (requeue_refused_waits), which frees room: giving up would end the
 * thread and with it the wait for I/O in flight.
 */
static void await_signal(struct io_source *s)
{
	struct ioeng *e = &s->it->eng;

	s->op.cb = on_signal;
	s->wait_refused =
		(s->buf ? ioeng_wait_read(e, s->fd, s->buf, s->buf_len, &s->op)
			: ioeng_watch_fd(e, s->fd, &s->count, &s->op)) != 0;
}

static void requeue_refused_waits(struct iothread *it)
{
	unsigned i;

	for (i = 0; i < it->nr_src; i++)
		if (it->src[i]->wait_refused)
			await_signal(it->src[i]);
}

static void stop_kick(struct io_source *s, struct ioeng *e)
{
	struct iothread *it = s->it;

	(void)e;
	if (__atomic_load_n(&it->stop_req, __ATOMIC_ACQUIRE))
		it->stopping = true;
	else if (__atomic_load_n(&it->quiesce_req, __ATOMIC_ACQUIRE))
		it->quiescing = true;
}

int io_source_open(struct io_source *s, int *irq_fd)
{
	int rc;

	if (irq_fd)
		*irq_fd = -1;
	s->fd = eventfd(0, EFD_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	if (!irq_fd)
		return 0;
	*irq_fd = eventfd(0, EFD_CLOEXEC);
	if (*irq_fd < 0) {
		rc = -errno;
		close(s->fd);
		s->fd = -1;
		return rc;
	}
	return 0;
}

void io_source_close(struct io_source *s, int *irq_fd)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (irq_fd) {
		if (*irq_fd >= 0)
			close(*irq_fd);
		*irq_fd = -1;
	}
}

int iothread_init(struct iothread *it)
{
	memset(it, 0, sizeof(*it));
	it->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (it->stop_fd < 0) {
		it->stop_fd = -1;
		return -errno;
	}
	it->stop.fd = it->stop_fd;
	it->stop.kick = stop_kick;
	pthread_mutex_init(&it->park_lock, NULL);
	pthread_cond_init(&it->park_cond, NULL);
	return iothread_add(it, &it->stop);
}

int iothread_add(struct iothread *it, struct io_source *s)
{
	if (it->nr_src == IOTHREAD_MAX_SRC || it->started)
		return -ENOSPC;
	s->it = it;
	it->src[it->nr_src++] = s;
	return 0;
}

static void publish_all(struct iothread *it)
{
	unsigned i;

	for (i = 0; i < it->nr_src; i++)
		if (it->src[i]->publish)
			it->src[i]->publish(it->src[i], &it->eng);
}


/*
 * Polls up to io_poll_ns for new ring entries or disk completions, taking
 * requests without doorbells meanwhile: a wake-up saved per batch, paid
 * for with CPU.  True if it found work.
 */
static bool poll_for_work(struct iothread *it)
{
	uint64_t deadline = mono_ns() + it->io_poll_ns;
	bool found = false;
	unsigned i;

	do {
		if (ioeng_ready(&it->eng))
			found = true;
		for (i = 0; i < it->nr_src; i++)
			if (it->src[i]->take_work && it->src[i]->take_work(it->src[i], &it->eng))
				found = true;
		if (found)
			return true;
		__builtin_ia32_pause();
	} while (mono_ns() < deadline && !it->stopping && !it->quiescing);
	return false;
}

/* Asks for every doorbell again before sleeping; true if work raced in. */
static bool want_doorbells(struct iothread *it)
{
	bool raced = false;
	unsigned i;

	for (i = 0; i < it->nr_src; i++)
		if (it->src[i]->want_doorbell && it->src[i]->want_doorbell(it->src[i]))
			raced = true;
	return raced;
}

int iothread_step(struct iothread *it, int wait)
{
	int n = ioeng_run(&it->eng, wait);

	if (n < 0)
		return n;
	requeue_refused_waits(it);
	publish_all(it);
	return n;
}

/*
 * ioeng_run retried what can be (EINTR, EAGAIN, EBUSY); anything else
 * leaves the ring unusable, and with it every queue: ending here silently
 * would hang the guest and make each detach wait its full timeout, so the
 * owner is told to end the VM.
 */
static void fail(struct iothread *it, int rc)
{
	it->error = rc;
	if (it->on_fail)
		it->on_fail(it->on_fail_arg);
	else
		log_printf(&log_stderr, "I/O thread: io_uring failed: %s", strerror(-rc));
}

/*
 * Quiesced, nothing in flight, everything published: parks until resumed
 * (or stopped), then serves the signals that came meanwhile.
 */
static void park(struct iothread *it)
{
	unsigned i;

	pthread_mutex_lock(&it->park_lock);
	it->parked = true;
	pthread_cond_broadcast(&it->park_cond);
	while (__atomic_load_n(&it->quiesce_req, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&it->stop_req, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&it->park_cond, &it->park_lock);
	it->parked = false;
	pthread_mutex_unlock(&it->park_lock);
	it->quiescing = false;
	if (__atomic_load_n(&it->stop_req, __ATOMIC_ACQUIRE)) {
		it->stopping = true;
		return;
	}
	for (i = 0; i < it->nr_src; i++)
		if (it->src[i]->deferred) {
			it->src[i]->deferred = false;
			serve_signal(it->src[i], it->src[i]->res);
		}
}

/* The thread is ending: a quiesce waiting for it to park waits no more. */
static void mark_ended(struct iothread *it)
{
	pthread_mutex_lock(&it->park_lock);
	it->ended = true;
	pthread_cond_broadcast(&it->park_cond);
	pthread_mutex_unlock(&it->park_lock);
}

static void *loop(void *arg)
{
	struct iothread *it = arg;
	unsigned i;
	int rc = 0;

	log_queue_this_thread(); /* its lines wait for a thread that may block on stderr */
	it->start_rc = it->on_start ? it->on_start(it->on_start_arg) : 0;
	sem_post(&it->on_start_done);
	if (it->start_rc)
		return NULL;
	for (i = 0; i < it->nr_src; i++)
		await_signal(it->src[i]);
	while (!it->stopping && rc >= 0) {
		if (it->quiescing) {
			if (it->eng.inflight)
				rc = iothread_step(it, 1);
			else
				park(it);
			continue;
		}
		if (it->io_poll_ns) {
			/* A stop taken here must not be followed by a wait: none would end it. */
			rc = iothread_step(it, 0);
			if (rc < 0 || it->stopping)
				break;
			if (it->quiescing)
				continue;
			/*
			 * Where the vCPU shares this CPU, the interrupts just
			 * signalled made it runnable, and a poller that spun on
			 * would hold it off until the scheduler's tick: the
			 * guest's next request, submitted meanwhile without a
			 * doorbell, would wait for it and then ring one.  So
			 * give it the CPU first; with a CPU to itself (nothing
			 * else runnable here) this returns at once.
			 */
			sched_yield();
			if (poll_for_work(it) || want_doorbells(it))
				continue;
		}
		rc = iothread_step(it, 1);
	}
	/* Every write the guest was told about must be in the file before hv exits. */
	while (rc >= 0 && it->eng.inflight)
		rc = iothread_step(it, 1);
	if (rc < 0)
		fail(it, rc);
	mark_ended(it);
	return NULL;
}

int iothread_open(struct iothread *it)
{
	int rc;

	if (it->have_eng)
		return 0;
	/* The ring exists only for VMs with devices to serve (boot cost). */
	rc = ioeng_init(&it->eng, IOTHREAD_DEPTH);
	if (rc)
		return rc;
	it->have_eng = true;
	return 0;
}

int iothread_start(struct iothread *it)
{
	int rc = iothread_open(it);

	if (rc)
		return rc;
	if (sem_init(&it->on_start_done, 0, 0) < 0)
		return -errno;
	it->fail_probe = !!getenv("HV_IO_FAIL_PROBE");
	it->stop_req = it->quiesce_req = it->ended = false;
	rc = thread_start(&it->tid, loop, it);
	if (rc)
		return rc;
	while (sem_wait(&it->on_start_done) < 0 && errno == EINTR)
		;
	if (it->start_rc) {
		pthread_join(it->tid, NULL);
		return it->start_rc;
	}
	it->started = true;
	return 0;
}

void iothread_stop(struct iothread *it)
{
	if (!it->started)
		return;
	__atomic_store_n(&it->stop_req, true, __ATOMIC_RELEASE);
	/* A parked thread wakes for the stop (the lock orders it with park's check). */
	pthread_mutex_lock(&it->park_lock);
	pthread_cond_broadcast(&it->park_cond);
	pthread_mutex_unlock(&it->park_lock);
	if (eventfd_write(it->stop_fd, 1) < 0)
		fprintf(stderr, "hv: cannot stop the I/O thread: %s\n", strerror(errno));
	pthread_join(it->tid, NULL);
	it->started = false;
}

int iothread_quiesce(struct iothread *it)
{
	int rc = 0;

	if (!it->started)
		return 0;
	__atomic_store_n(&it->quiesce_req, true, __ATOMIC_RELEASE);
	if (eventfd_write(it->stop_fd, 1) < 0) {
		rc = -errno;
		iothread_resume(it);
		return rc;
	}
	pthread_mutex_lock(&it->park_lock);
	while (!it->parked && !it->ended)
		pthread_cond_wait(&it->park_cond, &it->park_lock);
	if (!it->parked)
		rc = -EIO;
	pthread_mutex_unlock(&it->park_lock);
	return rc;
}

void iothread_resume(struct iothread *it)
{
	pthread_mutex_lock(&it->park_lock);
	__atomic_store_n(&it->quiesce_req, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&it->park_cond);
	pthread_mutex_unlock(&it->park_lock);
}

void iothread_destroy(struct iothread *it)
{
	iothread_stop(it);
	if (it->have_eng)
		ioeng_exit(&it->eng);
	it->have_eng = false;
	if (it->stop_fd >= 0) {
		close(it->stop_fd);
		pthread_cond_destroy(&it->park_cond);
		pthread_mutex_destroy(&it->park_lock);
	}
	it->stop_fd = -1;
}
