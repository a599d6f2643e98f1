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

#define IOTHREAD_MAX_SRC 40 /* the stop source, 8+8 disks, 4 PV NICs x 2, 4 trap NICs */
#define IOTHREAD_DEPTH 256

struct io_source {
	int fd;  /* eventfd; each signal calls kick() in the I/O thread */
	void (*kick)(struct io_source *s, struct ioeng *e);
	/* After every batch of completions: publish them, signal the guest. */
	void (*publish)(struct io_source *s, struct ioeng *e);
	/* Optional, for a thread that spins for work (--io-poll): take new work
	 * without a doorbell (true if any), and, before sleeping, ask for
	 * doorbells again (true if work raced in). */
	bool (*take_work)(struct io_source *s, struct ioeng *e);
	bool (*want_doorbell)(struct io_source *s);
	/* the thread's */
	uint64_t count;
	struct ioeng_op op;
	struct iothread *it;
	bool rearm;  /* its next signal's read is not queued yet (the engine was full) */
	uint64_t kicks;
};

struct iothread {
	struct ioeng eng;
	pthread_t tid;
	bool started;
	bool have_eng; /* eng set up (by iothread_start) */
	int stop_fd;
	struct io_source stop;
	bool stopping;
	struct io_source *src[IOTHREAD_MAX_SRC];
	unsigned nr_src;
	int error; /* -errno if the thread died of an engine error */
	uint64_t spin_ns; /* spin this long for work before sleeping (--io-poll; 0: never) */
	/*
	 * Optional: runs first on the new thread (hv confines it there); a
	 * nonzero result ends the thread, and iothread_start() returns it.
	 */
	int (*on_start)(void *arg);
	void *on_start_arg;
	int start_rc;
	sem_t on_start_done; /* posted once on_start has run */
};

/*
 * A device's two eventfds: its doorbell (s->fd, served by the I/O thread)
 * and its interrupt (*irq_fd, bound to an irqfd).  0 or -errno, nothing left
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
/* Opens the ring, creates the thread, waits for its on_start; 0 or -errno. */
int iothread_start(struct iothread *it);
/* Stops taking doorbells, waits for every disk op in flight, joins. */
void iothread_stop(struct iothread *it);
void iothread_destroy(struct iothread *it);

#endif
