/*
 * The I/O engine: one io_uring owned by one thread, carrying the disk
 * backends' operations (disk.h) straight from guest memory (no bounce
 * buffers) and the eventfd watches that deliver doorbells.  Submissions queue
 * up and go to the kernel in one system call per batch, in ioeng_run(); an
 * operation a backend finishes itself completes inside the engine.
 */
#ifndef HV_IOENG_H
#define HV_IOENG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>

struct ioeng_op;
/* res: bytes transferred or 0 for a flush, or -errno. */
typedef void (*ioeng_cb)(struct ioeng_op *op, int res);

/* Caller-owned, alive until its callback has run. */
struct ioeng_op {
	ioeng_cb cb;
	int res;               /* for inline completions */
	int is_wait;           /* an eventfd read or watch, not a disk op (not in inflight) */
	bool is_watch;         /* an ioeng_watch_fd poll */
	bool armed;            /* a watch that stays armed after this completion */
	struct ioeng_op *next; /* the engine's inline-completion list */
};

/* Completion slots the engine keeps free for cancels, timeouts and one-off ops. */
#define IOENG_RESERVE 32

struct ioeng {
	struct io_uring ring;
	unsigned depth;
	/*
	 * SQEs whose last CQE is not yet reaped and passed back (kernel_ops)
	 * never exceed the completion ring (cap): every SQE brings one CQE,
	 * but a watch (ioeng_watch_fd) one per signal, as many as come
	 * between two reaps.  Were the ring ever full, the kernel would keep
	 * the other CQEs (IORING_FEAT_NODROP) and end the watch
	 * (IORING_CQE_F_MORE clear), which is then asked again (its counter
	 * unread, the new watch fires at once: a spurious kick, no lost one).
	 */
	unsigned cap, kernel_ops;
	unsigned queued;        /* SQEs prepared, not yet submitted */
	unsigned inflight;      /* ops whose callback has not run, eventfd waits excluded */
	struct ioeng_op *done;  /* completed inline, callbacks pending */
	struct ioeng_op **done_tail;
	bool restricted;        /* the ring takes only hv's opcodes (ioeng.c) */
	bool watch_by_read;     /* no multishot poll here: watches read (ioeng_watch_fd) */
};

int ioeng_init(struct ioeng *e, unsigned depth);
void ioeng_exit(struct ioeng *e);

/*
 * The next free SQE (submitting what is queued if the ring is full), or
 * NULL: no SQE, or cap operations the kernel has yet to complete.
 */
struct io_uring_sqe *ioeng_sqe(struct ioeng *e);

/* Operations that may still be started before ioeng_sqe() refuses. */
static inline unsigned ioeng_room(const struct ioeng *e)
{
	return e->cap - e->kernel_ops;
}
/* An SQE the caller prepared goes to the kernel for op: counted in flight. */
void ioeng_queue(struct ioeng *e, struct io_uring_sqe *sqe, struct ioeng_op *op);
/*
 * The same for an operation that may wait for ever (a doorbell or network
 * read): not in flight, so stopping the engine does not wait for it; the
 * ring's exit cancels it.
 */
void ioeng_queue_wait(struct ioeng *e, struct io_uring_sqe *sqe, struct ioeng_op *op);
/* op completes with -ETIME after *ts (which must live until then); a wait, like the above. */
int ioeng_timeout(struct ioeng *e, struct __kernel_timespec *ts, struct ioeng_op *op);
/* Asks the kernel to cancel op: its callback then runs with -ECANCELED (or its result). */
int ioeng_cancel(struct ioeng *e, struct ioeng_op *op);
/* Finishes op with res without the kernel: its callback runs in ioeng_run(). */
void ioeng_complete(struct ioeng *e, struct ioeng_op *op, int res);
/*
 * True when completions are waiting to be reaped; submits what is queued
 * and runs pending task work first if the kernel asked for a transition.
 * For busy-polling.
 */
bool ioeng_ready(struct ioeng *e);

/*
 * Watches eventfd fd: op's callback runs once for each signal (signals
 * that come together count once), res > 0; an error ends the watch (res <
 * 0).  After each callback op->armed says whether the watch is still
 * armed; if not, it must be asked again.  By a multishot poll (Linux 5.13),
 * which leaves the counter alone and stays armed; before, by a read of the
 * counter into *buf, one signal at a time.
 */
int ioeng_watch_fd(struct ioeng *e, int fd, uint64_t *buf, struct ioeng_op *op);
/* The same for any readable fd (a netlink socket's next message): up to len bytes. */
int ioeng_wait_read(struct ioeng *e, int fd, void *buf, unsigned len, struct ioeng_op *op);

/*
 * Submits what is queued and runs callbacks: waits for at least one
 * completion if wait is set and nothing completed inline.  Returns the
 * number of callbacks run, or -errno.
 */
int ioeng_run(struct ioeng *e, int wait);

#endif
