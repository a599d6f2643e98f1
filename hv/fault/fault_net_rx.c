/* Received frames dropped, doubled, held back, corrupted (fault_net.h). */
#include "fault/fault_net.h"

#include <errno.h>
#include <string.h>

#include "backend/net.h"
#include "core/util.h"

static struct fault_rx *free_slot(struct fault_net *fn)
{
	unsigned i;

	for (i = 0; i < fn->nr_rx; i++)
		if (!fn->rx[i].busy)
			return &fn->rx[i];
	return NULL;
}

static void rx_got(struct ioeng_op *op, int res);

/* The device's buffer of s goes (back) to the backend. */
static int post(struct fault_rx *s, struct ioeng *e)
{
	s->busy = true;
	s->steal = false;
	s->op.cb = rx_got;
	if (s->fn->n->ops->recv(e, s->fn->n, s->iov, s->cnt, &s->op)) {
		s->busy = false;
		return -EBUSY;
	}
	return 0;
}

/* The device's receive of s ends with res: its callback may post the next at once. */
static void finish(struct fault_rx *s, int res)
{
	s->busy = false;
	s->guest->cb(s->guest, res);
}

/* Copies c (the oldest waiting) into the buffer iov[0..cnt); its length. */
static int fill(struct fault_net *fn, const struct iovec *iov, unsigned cnt)
{
	struct fault_copy *c = fn->rxq[fn->rxq_head];
	size_t done = 0, n;
	unsigned i;

	fn->rxq_head = (fn->rxq_head + 1) % FAULT_NET_COPIES;
	fn->rxq_nr--;
	for (i = 0; i < cnt && done < c->iov.iov_len; i++) {
		n = iov[i].iov_len < c->iov.iov_len - done ? iov[i].iov_len : c->iov.iov_len - done;
		memcpy(iov[i].iov_base, c->buf + done, n);
		done += n;
	}
	c->busy = false;
	return (int)done;
}

/*
 * A copy waits for a buffer: take one back from the backend (cancel it;
 * rx_got fills it).  None posted: the next receive the device posts.
 */
static void want_buffer(struct fault_net *fn)
{
	unsigned i;

	if (!fn->rxq_nr)
		return;
	for (i = 0; i < fn->nr_rx; i++)
		if (fn->rx[i].busy && fn->rx[i].steal)
			return; /* one at a time: it fills one, then asks again */
	for (i = 0; i < fn->nr_rx; i++) {
		struct fault_rx *s = &fn->rx[i];

		if (s->busy && !s->cancelled) {
			s->steal = fn->n->ops->cancel(fn->e, fn->n, &s->op) == 0;
			if (s->steal)
				return;
		}
	}
}

/* c waits for a buffer (after the frames already waiting). */
static void queue_copy(struct fault_net *fn, struct fault_copy *c)
{
	fn->rxq[(fn->rxq_head + fn->rxq_nr++) % FAULT_NET_COPIES] = c;
}

static void release_held(struct fault_net *fn)
{
	if (fn->rx_held)
		queue_copy(fn, fn->rx_held);
	fn->rx_held = NULL;
}

static void hold_over(struct ioeng_op *op, int res)
{
	struct fault_net *fn = container_of(op, struct fault_net, rx_hold);

	(void)res;
	fn->rx_hold_armed = false;
	release_held(fn);
	want_buffer(fn);
}

/* What the rules make of a frame of len bytes in s's buffer. */
static void apply(struct fault_net *fn, struct fault_rx *s, const struct fault_frame_verdict *v,
		  int len)
{
	struct fault_copy *c = NULL;
	struct fault_copy *held = fn->rx_held;

	if (v->drop) { /* the buffer waits for the next frame */
		if (post(s, fn->e))
			finish(s, -EIO);
		return;
	}
	if (v->corrupt)
		fault_net_flip(s->iov, s->cnt, (size_t)len, v->draw);
	/* One reorder at a time: its hold timer is the one. */
	if (v->reorder && !fn->rx_held && !fn->rx_hold_armed &&
	    (c = fault_net_copy(fn, s->iov, s->cnt, (size_t)len))) {
		fn->rx_held = c;
		fn->rx_hold_armed = true;
		fault_net_arm(fn, &fn->rx_hold, &fn->rx_hold_ts, FAULT_REORDER_HOLD_NS, hold_over);
		if (post(s, fn->e))
			finish(s, -EIO);
		return;
	}
	if (v->dup && (c = fault_net_copy(fn, s->iov, s->cnt, (size_t)len)))
		queue_copy(fn, c);
	if (held) /* this frame overtook the held one: it comes next */
		release_held(fn);
	finish(s, len);
	want_buffer(fn);
}

static void rx_got(struct ioeng_op *op, int res)
{
	struct fault_rx *s = container_of(op, struct fault_rx, op);
	struct fault_net *fn = s->fn;
	struct fault_frame_verdict v;
	bool steal = s->steal;

	s->steal = false;
	if (steal && res == -ECANCELED && !s->cancelled) {
		/* Taken back for a copy; gone meanwhile: the buffer waits for a frame again. */
		if (fn->rxq_nr) {
			s->busy = false;
			s->guest->cb(s->guest, fill(fn, s->iov, s->cnt));
		} else if (post(s, fn->e)) {
			finish(s, -EIO);
		}
		want_buffer(fn);
		return;
	}
	if (res < HV_NET_ETH_HLEN || s->cancelled || !fault_frame(fn->f, true, &v)) {
		if (res >= HV_NET_ETH_HLEN && fn->rx_held) /* a frame passed the held one */
			release_held(fn);
		finish(s, res);
		want_buffer(fn);
		return;
	}
	apply(fn, s, &v, res);
}

int fault_net_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		   struct ioeng_op *op)
{
	struct fault_net *fn = n->fault;
	struct fault_rx *s;

	fn->e = e;
	if (fn->rxq_nr) { /* a copy waits: it takes this buffer */
		ioeng_complete(e, op, fill(fn, iov, cnt));
		return 0;
	}
	s = free_slot(fn);
	if (!s)
		return -EBUSY; /* never: a slot per receive the device posts */
	*s = (struct fault_rx){ .fn = fn, .guest = op, .iov = iov, .cnt = cnt };
	return post(s, e);
}

int fault_net_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op)
{
	struct fault_net *fn = n->fault;
	unsigned i;

	for (i = 0; i < fn->nr_rx; i++) {
		struct fault_rx *s = &fn->rx[i];

		if (s->busy && s->guest == op && !s->cancelled) {
			s->cancelled = true;
			/* hv's own cancel is already on its way: it ends the receive */
			return s->steal ? 0 : n->ops->cancel(e, n, &s->op);
		}
	}
	return 0; /* it completed already */
}
