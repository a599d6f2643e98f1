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

void fault_net_rx_go(struct fault_hold *h, struct fault_copy *c, bool late)
{
	queue_copy(h->fn, c);
	if (late) /* else the frame that overtook it asks, once it has its own buffer */
		want_buffer(h->fn);
}

/* What the rules make of a frame of len bytes in s's buffer. */
static void apply(struct fault_net *fn, struct fault_rx *s, const struct fault_frame_verdict *v,
		  int len)
{
	struct fault_copy *c;

	if (v->drop) { /* the buffer waits for the next frame */
		if (post(s, fn->e))
			finish(s, -EIO);
		return;
	}
	if (v->corrupt)
		fault_net_flip(s->iov, s->cnt, (size_t)len, v->draw);
	if (v->reorder && fault_hold_take(&fn->rx_hold, s->iov, s->cnt, (size_t)len)) {
		if (post(s, fn->e))
			finish(s, -EIO);
		return;
	}
	if (v->dup && (c = fault_net_copy(fn, s->iov, s->cnt, (size_t)len)))
		queue_copy(fn, c);
	fault_hold_release(&fn->rx_hold); /* this frame overtook the held one, if any: it comes next */
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
		if (res >= HV_NET_ETH_HLEN) /* a frame passed the held one, if any */
			fault_hold_release(&fn->rx_hold);
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
