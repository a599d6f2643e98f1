/* io_uring engine: prepare, batch, submit, dispatch completions. */
#include "io/ioeng.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "core/util.h"
#include "trace/trace.h"

/*
 * The only operations hv puts on its ring.  Work submitted through io_uring
 * is not seen by seccomp, so the ring itself is restricted to these (and no
 * io_uring_register at all once it runs): a confined hv cannot open, connect
 * or splice through it.
 */
static const uint8_t ring_ops[] = {
	IORING_OP_POLL_ADD,     /* doorbell and wake-up eventfds (ioeng_watch_fd) */
	IORING_OP_READ,         /* the same on kernels without multishot poll, a NIC's
				   netlink socket (ioeng_wait_read) */
	IORING_OP_READV,        /* disk reads, tap receives */
	IORING_OP_WRITEV,       /* disk writes, tap sends, a NIC's netlink link query */
	IORING_OP_FSYNC,        /* disk flushes */
	IORING_OP_TIMEOUT,      /* a NIC's wait for receive buffers (ioeng_timeout) */
	IORING_OP_ASYNC_CANCEL, /* a tap receive given up (ioeng_cancel) */
};

/* The ring starts disabled; it runs only with the restrictions in place. */
static int restrict_ring(struct io_uring *ring)
{
	struct io_uring_restriction r[ARRAY_SIZE(ring_ops)];
	unsigned i;
	int rc;

	memset(r, 0, sizeof(r));
	for (i = 0; i < ARRAY_SIZE(ring_ops); i++) {
		r[i].opcode = IORING_RESTRICTION_SQE_OP;
		r[i].sqe_op = ring_ops[i];
	}
	/* No IORING_RESTRICTION_SQE_FLAGS_ALLOWED: hv sets no SQE flags, so none may be. */
	rc = io_uring_register_restrictions(ring, r, ARRAY_SIZE(r));
	return rc < 0 ? rc : io_uring_enable_rings(ring);
}

int ioeng_init(struct ioeng *e, unsigned depth)
{
	/*
	 * Completions that need task work wait for our next system call
	 * instead of an IPI (COOP_TASKRUN), and the kernel flags that in the
	 * ring (TASKRUN_FLAG) so a busy-polling thread knows when to enter.
	 * Kernels before 5.19 refuse those flags, before 5.10 a disabled ring:
	 * each refusal (EINVAL) drops what that kernel lacks.  A ring without
	 * restrictions is reported (e->restricted): the sandbox refuses it.
	 */
	static const unsigned setups[] = {
		IORING_SETUP_R_DISABLED | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_R_DISABLED,
		0,
	};
	unsigned i;
	int rc = -EINVAL;

	memset(e, 0, sizeof(*e));
	e->depth = depth;
	e->done_tail = &e->done;
	for (i = 0; i < ARRAY_SIZE(setups) && rc == -EINVAL; i++)
		rc = io_uring_queue_init(depth, &e->ring, setups[i]);
	if (rc < 0)
		return rc;
	if (setups[i - 1] & IORING_SETUP_R_DISABLED) {
		rc = restrict_ring(&e->ring);
		if (rc < 0) {
			io_uring_queue_exit(&e->ring);
			return rc;
		}
		e->restricted = true;
	}
	e->cap = e->ring.cq.ring_entries;
	return 0;
}

void ioeng_exit(struct ioeng *e)
{
	io_uring_queue_exit(&e->ring);
}

struct io_uring_sqe *ioeng_sqe(struct ioeng *e)
{
	struct io_uring_sqe *sqe;

	if (e->kernel_ops >= e->cap)
		return NULL;
	sqe = io_uring_get_sqe(&e->ring);
	if (!sqe) {
		/* The SQ is full: push it to the kernel and try once more. */
		if (io_uring_submit(&e->ring) >= 0)
			e->queued = 0;
		sqe = io_uring_get_sqe(&e->ring);
	}
	if (sqe) {
		e->queued++;
		e->kernel_ops++;
	}
	return sqe;
}

void ioeng_queue(struct ioeng *e, struct io_uring_sqe *sqe, struct ioeng_op *op)
{
	io_uring_sqe_set_data(sqe, op);
	op->is_wait = 0;
	op->is_watch = 0;
	e->inflight++;
}

void ioeng_queue_wait(struct ioeng *e, struct io_uring_sqe *sqe, struct ioeng_op *op)
{
	(void)e; /* not counted: the point of a wait */
	io_uring_sqe_set_data(sqe, op);
	op->is_wait = 1;
	op->is_watch = 0;
	op->armed = false;
}

int ioeng_timeout(struct ioeng *e, struct __kernel_timespec *ts, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_timeout(sqe, ts, 0, 0);
	ioeng_queue_wait(e, sqe, op);
	return 0;
}

int ioeng_cancel(struct ioeng *e, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel(sqe, op, 0);
	io_uring_sqe_set_data(sqe, NULL); /* its own completion carries nothing to run */
	return 0;
}

void ioeng_complete(struct ioeng *e, struct ioeng_op *op, int res)
{
	op->res = res;
	op->is_wait = 0;
	op->armed = false;
	op->next = NULL;
	*e->done_tail = op;
	e->done_tail = &op->next;
	e->inflight++;
}

int ioeng_wait_read(struct ioeng *e, int fd, void *buf, unsigned len, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, len, 0);
	/* Not counted in inflight: a socket's or eventfd's read may stay pending for ever. */
	ioeng_queue_wait(e, sqe, op);
	return 0;
}

/*
 * A multishot poll, armed once: each signal of the eventfd is one wake-up
 * and so one completion, with no read of the counter and no new SQE, where
 * a read would take both for every doorbell (and the I/O thread's CPU per
 * request decides, where it shares a CPU with the vCPU, whether a doorbell's
 * wake-up preempts the guest or waits for its HLT).  The counter is never
 * read: it grows by one a signal and would take 2^64 of them to fill.  The
 * poll is edge-triggered (no IORING_POLL_ADD_LEVEL), so the POLLIN an unread
 * counter keeps brings no completion by itself.
 */
int ioeng_watch_fd(struct ioeng *e, int fd, uint64_t *buf, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe;

	if (e->watch_by_read)
		return ioeng_wait_read(e, fd, buf, sizeof(*buf), op);
	sqe = ioeng_sqe(e);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	ioeng_queue_wait(e, sqe, op);
	op->is_watch = 1;
	return 0;
}

bool ioeng_ready(struct ioeng *e)
{
	if (e->done)
		return true;
	/* What the last callbacks queued must reach the kernel before its end is awaited. */
	if (e->queued && io_uring_submit(&e->ring) >= 0)
		e->queued = 0;
	/*
	 * Task work to run, or CQEs the kernel holds back because the ring was
	 * full (an eventfd watch that ended there): both need a system call.
	 */
	if (IO_URING_READ_ONCE(*e->ring.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))
		io_uring_get_events(&e->ring);
	return io_uring_cq_ready(&e->ring) > 0;
}

static int run_inline(struct ioeng *e)
{
	struct ioeng_op *op = e->done;
	int n = 0;

	e->done = NULL;
	e->done_tail = &e->done;
	while (op) {
		struct ioeng_op *next = op->next;
		e->inflight--;
		op->cb(op, op->res);
		op = next;
		n++;
	}
	return n;
}

int ioeng_run(struct ioeng *e, int wait)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0, ended = 0;
	int rc, n;

	n = run_inline(e);
	if (e->queued || (wait && !n)) {
		trace_ev(TR_SUBMIT, NULL, 0, e->queued);
		rc = (wait && !n) ? io_uring_submit_and_wait(&e->ring, 1)
				  : io_uring_submit(&e->ring);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			return rc;
		if (rc >= 0)
			e->queued = 0;
	}
	io_uring_for_each_cqe(&e->ring, head, cqe) {
		struct ioeng_op *op = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		/* A watch's completions but its last leave its SQE in the kernel. */
		bool more = cqe->flags & IORING_CQE_F_MORE;

		seen++;
		ended += !more;
		if (!op)
			continue;
		op->armed = more;
		/* Multishot poll is Linux 5.13's: before, the flag is refused. */
		if (op->is_watch && res == -EINVAL && !op->armed)
			e->watch_by_read = true;
		if (!op->is_wait)
			e->inflight--;
		op->cb(op, res);
		n++;
	}
	/* Only now are those CQEs' slots the kernel's again. */
	io_uring_cq_advance(&e->ring, seen);
	e->kernel_ops -= ended;
	return n + run_inline(e);
}
