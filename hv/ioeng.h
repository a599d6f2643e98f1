/*
 * The I/O engine: one io_uring owned by one thread, carrying disk reads,
 * writes and flushes straight from guest memory (no bounce buffers) and the
 * eventfd reads that deliver doorbells.  Submissions queue up and go to the
 * kernel in one system call per batch, in ioeng_run().  The null backend's
 * requests complete inside the engine without a system call.
 */
#ifndef HV_IOENG_H
#define HV_IOENG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>

#include "disk.h"

struct ioeng_op;
/* res: bytes transferred or 0 for a flush, or -errno. */
typedef void (*ioeng_cb)(struct ioeng_op *op, int res);

/* Caller-owned, alive until its callback has run. */
struct ioeng_op {
	ioeng_cb cb;
	int res;               /* for inline completions */
	int is_wait;           /* an eventfd read, not a disk op (not in inflight) */
	struct ioeng_op *next; /* the engine's inline-completion list */
};

struct ioeng {
	struct io_uring ring;
	unsigned depth;
	unsigned queued;        /* SQEs prepared, not yet submitted */
	unsigned inflight;      /* ops whose callback has not run, eventfd reads excluded */
	struct ioeng_op *done;  /* completed inline, callbacks pending */
	struct ioeng_op **done_tail;
};

int ioeng_init(struct ioeng *e, unsigned depth);
void ioeng_exit(struct ioeng *e);

/* Starts a read or write of iov[0..n) at byte offset off; 0 or -EBUSY (ring full). */
int ioeng_rw(struct ioeng *e, const struct disk *d, int write, const struct iovec *iov,
	     unsigned n, uint64_t off, struct ioeng_op *op);
/* Makes completed writes durable (fdatasync); 0 or -EBUSY. */
int ioeng_flush(struct ioeng *e, const struct disk *d, struct ioeng_op *op);
/*
 * True when completions are waiting to be reaped; submits what is queued
 * and runs pending task work first if the kernel asked for a transition.
 * For busy-polling.
 */
bool ioeng_ready(struct ioeng *e);

/* Reads the 8-byte counter of eventfd fd into *buf when it is signalled. */
int ioeng_wait_fd(struct ioeng *e, int fd, uint64_t *buf, struct ioeng_op *op);

/*
 * Submits what is queued and runs callbacks: waits for at least one
 * completion if wait is set and nothing completed inline.  Returns the
 * number of callbacks run, or -errno.
 */
int ioeng_run(struct ioeng *e, int wait);

#endif
