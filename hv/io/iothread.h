/*
 * The I/O thread: serves every PV queue's doorbell and every disk completion
 * from one io_uring, so a burst of requests costs one system call.  Devices
 * register an io_source (an eventfd and two callbacks) before it starts.
 */
#ifndef HV_IOTHREAD_H
#define HV_IOTHREAD_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/ioeng.h"

/* the stop source, 8+8 disks, 4 PV NICs x 3 (two queues, the link), 4 trap NICs x 2 */
#define IOTHREAD_MAX_SRC 40
#define IOTHREAD_DEPTH 256

struct io_source {
	int fd;  /* eventfd; each signal calls kick() in the I/O thread */
	void (*kick)(struct io_source *s, struct ioeng *e);
	/* After every batch of completions: publish them, signal the guest. */
	void (*publish)(struct io_source *s, struct ioeng *e);
	/* Optional, for a thread that polls for work (--io-poll): take new work
	 * without a doorbell (true if any), and, before sleeping, ask for
	 * doorbells again (true if work raced in). */
	bool (*take_work)(struct io_source *s, struct ioeng *e);
	bool (*want_doorbell)(struct io_source *s);
	/*
	 * Optional, for an fd that is no eventfd (a NIC's netlink socket): each
	 * read lands in buf (up to buf_len bytes) instead of count, and kick
	 * runs for every result, errors included, found in res; kick sets
	 * ended to be read no more (an error that would repeat for ever).
	 */
	void *buf;
	uint32_t buf_len;
	int res;
	bool ended;
	/* the thread's */
	uint64_t count; /* an eventfd's counter, where its watch reads it (ioeng_watch_fd) */
	struct ioeng_op op;
	struct iothread *it;
	bool wait_refused; /* its watch or read is not queued yet (engine full) */
	bool deferred; /* signalled while quiescing: served (res kept) on resume */
	uint64_t kicks;
};

struct iothread {
	struct ioeng eng;
	pthread_t tid;
	bool started;
	bool have_eng; /* eng set up (by iothread_start) */
	int stop_fd; /* wakes the thread for a stop or a quiesce (the requests say which) */
	struct io_source stop;
	bool stopping;
	/*
	 * Quiesce (iothread_quiesce): the requests are set by the caller, the
	 * rest is the thread's; parked and ended under park_lock.
	 */
	bool stop_req, quiesce_req;
	bool quiescing;
	bool parked, ended;
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	struct io_source *src[IOTHREAD_MAX_SRC];
	unsigned nr_src;
	int error; /* -errno if the thread died of an engine error */
	uint64_t io_poll_ns; /* poll this long for work before sleeping (--io-poll; 0: never) */
	/*
	 * Optional: runs first on the new thread (hv confines it there); a
	 * nonzero result ends the thread, and iothread_start() returns it.
	 */
	int (*on_start)(void *arg);
	void *on_start_arg;
	int start_rc;
	sem_t on_start_done; /* posted once on_start has run */
	/*
	 * Optional: runs on the thread when it ends for an engine error it
	 * cannot retry (error says which): every queue has stopped answering,
	 * so the owner must end the VM (hv: status 125).  Without it the
	 * thread says so on stderr.
	 */
	void (*on_fail)(void *arg);
	void *on_fail_arg;
	/*
	 * The test hook: with HV_IO_FAIL_PROBE set in the environment, once the
	 * first doorbell is served io_uring_enter gets a bad fd, an engine
	 * error nothing retries (the integration test of on_fail).  It grants
	 * nothing: whoever sets hv's environment could as well kill it.
	 */
	bool fail_probe;
};

/*
 * A device's eventfds: its doorbell (s->fd, served by the I/O thread) and,
 * unless irq_fd is NULL, its interrupt (*irq_fd, bound to an irqfd; a PV
 * queue has none: it signals its MSI-X entry's).  0 or -errno, nothing left
 * open on failure; close is idempotent.
 */
int io_source_open(struct io_source *s, int *irq_fd);
void io_source_close(struct io_source *s, int *irq_fd);

int iothread_init(struct iothread *it);
/* Registers a source; only before iothread_start().  0 or -ENOSPC. */
int iothread_add(struct iothread *it, struct io_source *s);
/*
 * Creates the io_uring, if not yet: before hv drops its privileges, as a
 * host may reserve io_uring to some.  0 or -errno.
 */
int iothread_open(struct iothread *it);
/*
 * One turn of the thread's loop, on the calling thread: submits what is
 * queued, runs completions (waiting for one if wait is set and none is
 * ready), asks again for the doorbell watches the full engine refused, and lets
 * every source publish.  The callbacks run, or -errno: an engine error that
 * ioeng_run could not retry.  The fuzz harness turns it by hand.
 */
int iothread_step(struct iothread *it, int wait);

/* Opens the ring, creates the thread, waits for its on_start; 0 or -errno. */
int iothread_start(struct iothread *it);
/* Stops taking doorbells, waits for every disk op in flight, joins. */
void iothread_stop(struct iothread *it);
/*
 * From another thread: the I/O thread stops serving signals (doorbells,
 * a NIC's link events: each is kept and served on resume), lets every op
 * in flight complete and every source publish (interrupts raised), then
 * parks until iothread_resume().  On return nothing is in flight and the
 * devices' state is the caller's to read (a snapshot).  The thread is not
 * recreated: a sandboxed hv could not.  0 (also for a thread not started),
 * or -EIO if the thread had ended (an engine error).
 */
int iothread_quiesce(struct iothread *it);
/* Lets a quiesced thread go on, serving what was signalled meanwhile first. */
void iothread_resume(struct iothread *it);
void iothread_destroy(struct iothread *it);

#endif
