/*
 * The loop backend: every frame sent is received at once by the oldest
 * receive waiting, copied from the sender's iovecs into the receiver's (the
 * one copy this backend needs, being its own wire); with none waiting, it
 * waits in a bounded queue as in a tap's, and is lost only when that is
 * full.  No kernel network stack, no system call: a NIC's interface cost
 * alone.
 */
#include "backend/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_PARKED 64  /* receives the loop holds */
#define LOOP_QUEUED 256 /* frames it holds while nobody receives, as a tap's queue */

/* The loop's own state. */
struct loop_net {
	/* receives waiting for a frame, oldest first */
	struct loop_parked {
		struct ioeng_op *op;
		const struct iovec *iov;
		unsigned cnt;
	} parked[LOOP_PARKED];
	unsigned nr_parked;
	/* frames sent while no receive was posted, oldest first */
	struct loop_queued {
		uint8_t *data;
		uint32_t len;
	} queued[LOOP_QUEUED];
	unsigned q_head, nr_queued;
};

static int loop_open(struct net *n, const struct net_spec *spec, char *err, size_t errlen)
{
	(void)spec, (void)err, (void)errlen;
	n->priv = calloc(1, sizeof(struct loop_net));
	if (!n->priv)
		return -ENOMEM;
	snprintf(n->name, sizeof(n->name), "loop");
	return 0;
}

static void loop_close(struct net *n)
{
	struct loop_net *l = n->priv;

	for (; l->nr_queued; l->nr_queued--) {
		free(l->queued[l->q_head].data);
		l->q_head = (l->q_head + 1) % LOOP_QUEUED;
	}
	free(l);
}

/* Copies the frame in src into dst; returns the bytes dst took. */
static uint32_t copy_frame(const struct iovec *dst, unsigned dcnt, const struct iovec *src,
			   unsigned scnt)
{
	unsigned di = 0, si = 0;
	size_t doff = 0, soff = 0;
	uint32_t done = 0;

	while (di < dcnt && si < scnt) {
		size_t n = dst[di].iov_len - doff;
		if (src[si].iov_len - soff < n)
			n = src[si].iov_len - soff;
		/* The guest may give overlapping buffers to send from and receive into. */
		memmove((uint8_t *)dst[di].iov_base + doff,
			(const uint8_t *)src[si].iov_base + soff, n);
		done += (uint32_t)n;
		doff += n;
		soff += n;
		if (doff == dst[di].iov_len)
			di++, doff = 0;
		if (soff == src[si].iov_len)
			si++, soff = 0;
	}
	return done;
}

/* Keeps a copy of the frame for the next receive; false if the queue is full. */
static bool enqueue(struct loop_net *n, const struct iovec *iov, unsigned cnt, uint32_t len)
{
	struct loop_queued *q;
	struct iovec to;

	if (n->nr_queued == LOOP_QUEUED)
		return false;
	q = &n->queued[(n->q_head + n->nr_queued) % LOOP_QUEUED];
	q->data = malloc(len);
	if (!q->data)
		return false;
	to = (struct iovec){ q->data, len };
	q->len = copy_frame(&to, 1, iov, cnt);
	n->nr_queued++;
	return true;
}

static int loop_send(struct ioeng *e, struct net *net, const struct iovec *iov, unsigned cnt,
		     struct ioeng_op *op)
{
	struct loop_net *n = net->priv;
	uint32_t len = 0;
	unsigned i;

	for (i = 0; i < cnt; i++)
		len += (uint32_t)iov[i].iov_len;
	if (n->nr_parked) {
		struct loop_parked r = n->parked[0];
		memmove(n->parked, n->parked + 1, --n->nr_parked * sizeof(n->parked[0]));
		ioeng_complete(e, r.op, (int)copy_frame(r.iov, r.cnt, iov, cnt));
	} else if (!enqueue(n, iov, cnt, len)) {
		net->lost++;
	}
	ioeng_complete(e, op, (int)len);
	return 0;
}

static int loop_recv(struct ioeng *e, struct net *net, const struct iovec *iov, unsigned cnt,
		     struct ioeng_op *op)
{
	struct loop_net *n = net->priv;

	if (n->nr_queued) {
		struct loop_queued *q = &n->queued[n->q_head];
		const struct iovec from = { q->data, q->len };

		ioeng_complete(e, op, (int)copy_frame(iov, cnt, &from, 1));
		free(q->data);
		q->data = NULL;
		n->q_head = (n->q_head + 1) % LOOP_QUEUED;
		n->nr_queued--;
		return 0;
	}
	if (n->nr_parked == LOOP_PARKED)
		return -EBUSY;
	n->parked[n->nr_parked++] = (struct loop_parked){ op, iov, cnt };
	return 0;
}

static int loop_cancel(struct ioeng *e, struct net *net, struct ioeng_op *op)
{
	struct loop_net *n = net->priv;
	unsigned i;

	for (i = 0; i < n->nr_parked; i++)
		if (n->parked[i].op == op) {
			memmove(n->parked + i, n->parked + i + 1,
				(--n->nr_parked - i) * sizeof(n->parked[0]));
			ioeng_complete(e, op, -ECANCELED);
			return 0;
		}
	return 0; /* it completed already */
}

/*
 * Parked receives cost nothing: as many as it holds, less one for a NIC's
 * scratch receive, so no frame finds none while buffers are posted.
 */
const struct net_ops net_loop_ops = {
	.name = "loop", .prefix = "loop", .recv_depth = LOOP_PARKED - 1, .open = loop_open,
	.close = loop_close, .send = loop_send, .recv = loop_recv, .cancel = loop_cancel,
};
