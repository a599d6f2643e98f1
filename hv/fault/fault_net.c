/* Frames dropped, doubled, held back, corrupted; links flapped (fault_net.h). */
#include "fault/fault_net.h"

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "backend/net.h"
#include "core/util.h"

/* A PV NIC's queues each count and draw their own interrupts (fault_irq_decide). */
_Static_assert(HV_NET_NR_QUEUES <= FAULT_MAX_QUEUES, "a PV NIC's queues fit the fault plan's");

static size_t iov_total(const struct iovec *iov, unsigned cnt)
{
	size_t len = 0;

	while (cnt--)
		len += iov[cnt].iov_len;
	return len;
}

static void tx_go(struct fault_hold *h, struct fault_copy *c, bool late);

int fault_net_claim(struct fault_plan *p, const char *kind, unsigned index, struct net *n)
{
	struct fault_dev *f = fault_claim(p, kind, index, 0);
	unsigned nr_rx = n->ops->recv_depth + 1, i; /* and the PV NIC's scratch receive */
	struct fault_net *fn;

	if (!f)
		return 0;
	fn = calloc(1, sizeof(*fn) + nr_rx * sizeof(fn->rx[0]));
	if (!fn)
		return -ENOMEM;
	fn->f = f;
	fn->link = n->link;
	fn->n = n;
	fn->nr_rx = nr_rx;
	fn->tx_hold = (struct fault_hold){ .fn = fn, .go = tx_go };
	fn->rx_hold = (struct fault_hold){ .fn = fn, .go = fault_net_rx_go };
	for (i = 0; i < nr_rx; i++)
		fn->rx[i].fn = fn;
	n->fault = fn;
	return 0;
}

void fault_net_arm(struct fault_net *fn, struct ioeng_op *op, struct __kernel_timespec *ts,
		   uint64_t ns, ioeng_cb cb)
{
	ts->tv_sec = (long long)(ns / 1000000000u);
	ts->tv_nsec = (long long)(ns % 1000000000u);
	op->cb = cb;
	if (ioeng_timeout(fn->e, ts, op))
		cb(op, -EBUSY); /* no room for the timer: at once */
}

static void flap_over(struct ioeng_op *op, int res)
{
	struct fault_net *fn = container_of(op, struct fault_net, flap);

	(void)res;
	fn->flapping = false;
	net_link_set(fn->link, NET_LINK_UP); /* gone stays gone: net_link_set knows */
}

/* A copy's send completed: a corrupted frame's guest op with it. */
static void copy_sent(struct ioeng_op *op, int res)
{
	struct fault_copy *c = container_of(op, struct fault_copy, op);
	struct ioeng_op *guest = c->guest_op;

	c->busy = false;
	c->guest_op = NULL;
	if (guest)
		guest->cb(guest, res);
}

static void send_copy(struct fault_net *fn, struct fault_copy *c)
{
	c->op.cb = copy_sent;
	if (fn->n->ops->send(fn->e, fn->n, &c->iov, 1, &c->op))
		ioeng_complete(fn->e, &c->op, -EIO);
}

/* A sent frame held for reorder leaves: after the frame that overtook it, or when none came. */
static void tx_go(struct fault_hold *h, struct fault_copy *c, bool late)
{
	(void)late;
	send_copy(h->fn, c);
}

/* h's frame, if any, goes its way. */
static void let_go(struct fault_hold *h, bool late)
{
	struct fault_copy *c = h->c;

	h->c = NULL;
	if (c)
		h->go(h, c, late);
}

void fault_hold_release(struct fault_hold *h)
{
	let_go(h, false);
}

static void hold_over(struct ioeng_op *op, int res)
{
	struct fault_hold *h = container_of(op, struct fault_hold, timer);

	(void)res;
	h->armed = false;
	let_go(h, true);
}

struct fault_copy *fault_hold_take(struct fault_hold *h, const struct iovec *iov,
				   unsigned cnt, size_t len)
{
	struct fault_copy *c;

	/* One reorder at a time: its hold timer is the one. */
	if (h->c || h->armed || !(c = fault_net_copy(h->fn, iov, cnt, len)))
		return NULL;
	h->c = c;
	h->armed = true;
	fault_net_arm(h->fn, &h->timer, &h->ts, FAULT_REORDER_HOLD_NS, hold_over);
	return c;
}

void fault_net_flip(const struct iovec *iov, unsigned cnt, size_t len, uint64_t draw)
{
	size_t off;
	unsigned i;

	if (len <= HV_NET_ETH_HLEN)
		return;
	/* Past the Ethernet header, so the frame still reaches its receiver. */
	off = HV_NET_ETH_HLEN + draw % (len - HV_NET_ETH_HLEN);
	for (i = 0; i < cnt && off >= iov[i].iov_len; i++)
		off -= iov[i].iov_len;
	if (i < cnt)
		((uint8_t *)iov[i].iov_base)[off] ^= (uint8_t)(1u << (draw >> 61));
}

/* NULL also for a frame that does not fit (never: the devices check). */
struct fault_copy *fault_net_copy(struct fault_net *fn, const struct iovec *iov, unsigned cnt,
				  size_t len)
{
	struct fault_copy *c = NULL;
	size_t done = 0, n;
	unsigned i;

	for (i = 0; i < FAULT_NET_COPIES && !c; i++)
		if (!fn->copy[i].busy)
			c = &fn->copy[i];
	for (i = 0; c && i < cnt && done < len; i++) {
		n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		if (n > sizeof(c->buf) - done)
			return NULL;
		memcpy(c->buf + done, iov[i].iov_base, n);
		done += n;
	}
	if (c) {
		c->iov = (struct iovec){ c->buf, done };
		c->busy = true;
	}
	return c;
}

/* What the rules do to one frame; -errno only from the backend's own send. */
static int apply(struct fault_net *fn, const struct fault_frame_verdict *v, struct ioeng *e,
		 struct net *n, const struct iovec *iov, unsigned cnt, struct ioeng_op *op)
{
	struct fault_copy *c;
	int rc;

	if (v->flap_ns && !fn->flapping) {
		fn->flapping = true;
		net_link_set(fn->link, NET_LINK_DOWN);
		fault_net_arm(fn, &fn->flap, &fn->flap_ts, v->flap_ns, flap_over);
	}
	if (v->drop || v->flap_ns) { /* the frame is lost on the way: the guest cannot tell */
		ioeng_complete(e, op, (int)iov_total(iov, cnt));
		return 0;
	}
	if (!v->dup && !v->corrupt) {
		if (!v->reorder || !(c = fault_hold_take(&fn->tx_hold, iov, cnt, SIZE_MAX)))
			return n->ops->send(e, n, iov, cnt, op);
		ioeng_complete(e, op, (int)c->iov.iov_len); /* the guest's buffer is free: hv holds a copy */
		return 0;
	}
	if (!(c = fault_net_copy(fn, iov, cnt, SIZE_MAX)))
		return n->ops->send(e, n, iov, cnt, op);
	if (v->corrupt) {
		fault_net_flip(&c->iov, 1, c->iov.iov_len, v->draw);
		c->guest_op = op;
		send_copy(fn, c);
		return 0;
	}
	rc = n->ops->send(e, n, iov, cnt, op); /* dup: the frame, then the copy */
	if (rc)
		c->busy = false;
	else
		send_copy(fn, c);
	return rc;
}

int fault_net_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		   struct ioeng_op *op)
{
	struct fault_net *fn = n->fault;
	struct fault_copy *held = fn->tx_hold.c;
	struct fault_frame_verdict v;
	int rc;

	fn->e = e;
	rc = fault_frame(fn->f, false, &v) ? apply(fn, &v, e, n, iov, cnt, op)
				    : n->ops->send(e, n, iov, cnt, op);
	if (held && fn->tx_hold.c == held) /* this frame overtook the held one: now it may go */
		fault_hold_release(&fn->tx_hold);
	return rc;
}
