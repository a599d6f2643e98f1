/* PV NIC backend: what RX buffers and TX frames mean; the rings are pvq's. */
#include "pv/pvnet_back.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "pv/queue.h"
#include "core/vm.h"
#include "snap/snap_dev.h"
#include "trace/trace.h"

/* A receive in flight into one guest buffer. */
struct pvnet_back_rx {
	struct ioeng_op op;
	struct pvnet_back *n;
	uint32_t id;
	bool busy;
	struct iovec iov;
	struct pvnet_back_rx *next_free;
};

/* A frame being sent from guest memory. */
struct pvnet_back_tx {
	struct ioeng_op op;
	struct pvnet_back *n;
	uint64_t id;
	uint64_t taken_ns; /* off the ring (lathist_start): its latency's start */
	uint32_t len;
	struct iovec iov[HV_NET_MAX_SEG];
	struct pvnet_back_tx *next_free;
};

static bool link_up(const struct pvnet_back *n)
{
	return net_link_up(n->net.link);
}

/* The backend is gone (a deleted tap): the link is down for good. */
static void link_lost(struct pvnet_back *n)
{
	net_link_lost(n->net.link);
}

static struct ioeng *engine(struct pvnet_back *n)
{
	return &n->rxq.src.it->eng;
}

/*
 * The thread that noticed (the I/O thread): the link went down or up.  The
 * guest hears of it; once up, a RX ring left without buffers while the
 * link was down starts its starvation grace (13.6) as after a doorbell.
 */
static void link_changed(void *ctx, enum net_link_state now)
{
	struct pvnet_back *n = ctx;

	if (n->link_event)
		n->link_event(n->link_ctx);
	if (now == NET_LINK_UP && n->rxq.src.it)
		pvq_service(&n->rxq, engine(n));
}

/* A buffer may not overlap any ring of the NIC: hv would write frames over them. */
static bool overlaps_rings(const struct pvnet_back *n, uint64_t gpa, uint64_t len)
{
	return pvq_overlaps_rings(&n->rxq, gpa, len) || pvq_overlaps_rings(&n->txq, gpa, len);
}

/* ---- RX ------------------------------------------------------------------------ */

/* Gives the buffer of r back to the guest with status and len; r is free again. */
static void rx_give_back(struct pvnet_back *n, struct pvnet_back_rx *r, uint32_t status,
			 uint32_t len)
{
	const struct hv_net_rxc c = { .id = r->id, .status = status, .len = len };

	trace_ev(TR_POST, n->rxq.name, r->id, status);
	r->busy = false;
	r->next_free = n->rx_free;
	n->rx_free = r;
	pvq_complete(&n->rxq, &c);
}

static void rx_done(struct ioeng_op *op, int res)
{
	struct pvnet_back_rx *r = container_of(op, struct pvnet_back_rx, op);
	struct pvnet_back *n = r->n;

	trace_ev(TR_CQE, n->rxq.name, r->id, (uint32_t)res);
	if (res >= HV_NET_MIN_FRAME) {
		/* The frame is read: hv's part of it starts. */
		uint64_t read_ns = lathist_start(&n->lat[LATHIST_RX]);

		trace_pcap(n, &r->iov, 1, (uint32_t)res);
		stat_add(&n->st.rx_frames, 1);
		stat_add(&n->st.rx_bytes, (uint32_t)res);
		pvq_pay(&n->rxq, (uint32_t)res); /* the RX limit: paid as the frame lands */
		rx_give_back(n, r, HV_NET_S_OK, (uint32_t)res);
		lathist_end(&n->lat[LATHIST_RX], read_ns);
		return;
	}
	if (res == -ECANCELED) {
		/* a detach ended it: the guest's doing, no error */
	} else if (net_gone(res)) {
		link_lost(n);
		stat_add(&n->st.rx_link_down, 1);
	} else {
		stat_add(res >= 0 ? &n->st.rx_runts : &n->st.rx_errors, 1);
	}
	rx_give_back(n, r, res == -ECANCELED || net_gone(res) ? HV_NET_S_LINK_DOWN : HV_NET_S_IOERR,
		     0);
}

/* One empty buffer taken from the RX ring (pvq copied it): receive into it. */
static void rx_start(struct pvq *q, struct ioeng *e, const void *entry)
{
	struct pvnet_back *n = container_of(q, struct pvnet_back, rxq);
	const struct hv_net_rxb *b = entry;
	struct hv_net_rxc c = { .id = b->id, .status = HV_NET_S_BADREQ };
	struct pvnet_back_rx *r = n->rx_free; /* pvq keeps to the budget: never NULL */
	void *p = NULL;

	if (b->len >= (uint32_t)n->mtu + HV_NET_ETH_HLEN && b->len <= HV_NET_MAX_FRAME)
		p = gm_range(q->mem, b->gpa, b->len);
	if (!p || overlaps_rings(n, b->gpa, b->len)) {
		stat_add(&n->st.rx_bad, 1);
		pvq_complete(q, &c);
		return;
	}
	/* A link that is only down keeps the buffer waiting: frames come once it is up. */
	if (net_link_state(n->net.link) == NET_LINK_GONE) {
		stat_add(&n->st.rx_link_down, 1);
		c.status = HV_NET_S_LINK_DOWN;
		pvq_complete(q, &c);
		return;
	}
	/* Frames go to the guest's buffers from now: no more dropping into scratch. */
	if (n->scratch_busy)
		net_cancel(e, &n->net, &n->scratch_op);
	n->rx_taken++;
	n->rx_free = r->next_free;
	*r = (struct pvnet_back_rx){ .n = n, .id = b->id, .busy = true,
				     .iov = { p, b->len } };
	r->op.cb = rx_done;
	trace_ev(TR_TAKE, q->name, b->id, 0);
	if (net_recv(e, &n->net, &r->iov, 1, &r->op)) {
		/* The engine is full: this buffer comes back unused. */
		stat_add(&n->st.rx_engine_full, 1);
		rx_give_back(n, r, HV_NET_S_IOERR, 0);
	}
}

bool pvnet_back_rx_held(const struct pvnet_back *n, unsigned i, const void **buf, uint32_t *len,
			uint32_t *id)
{
	if (!n->rx || i >= n->net.ops->recv_depth || !n->rx[i].busy)
		return false;
	*buf = n->rx[i].iov.iov_base, *len = (uint32_t)n->rx[i].iov.iov_len, *id = n->rx[i].id;
	return true;
}

void pvnet_back_rx_repost(struct pvnet_back *n, const struct hv_net_rxb *b)
{
	pvq_retake(&n->rxq);
	rx_start(&n->rxq, engine(n), b);
}

/* Posts a receive into scratch: the next frame is read there, to be dropped. */
static void arm_scratch_recv(struct pvnet_back *n, struct ioeng *e);

static void scratch_done(struct ioeng_op *op, int res)
{
	struct pvnet_back *n = container_of(op, struct pvnet_back, scratch_op);

	n->scratch_busy = false;
	if (res > 0)
		stat_add(&n->st.rx_dropped, 1);
	else if (net_gone(res))
		link_lost(n);
	/*
	 * Still starving: keep dropping.  Not once the guest's buffers are held
	 * (rx_start's cancel can lose the race with a frame): scratch would
	 * compete with them for the next frames.
	 */
	if (res != -ECANCELED && pvq_state(&n->rxq) == PVQ_ACTIVE && !n->rxq.inflight)
		arm_scratch_recv(n, engine(n));
	pvq_service(&n->rxq, engine(n));
}

static void arm_scratch_recv(struct pvnet_back *n, struct ioeng *e)
{
	if (n->scratch_busy || !link_up(n))
		return;
	n->scratch_iov = (struct iovec){ n->scratch, HV_NET_MAX_FRAME };
	n->scratch_op.cb = scratch_done;
	n->scratch_busy = net_recv(e, &n->net, &n->scratch_iov, 1, &n->scratch_op) == 0;
}

static void rx_idle(struct pvq *q, struct ioeng *e);

/* Still no buffer after the grace time: read what arrives into scratch, drop it. */
static void grace_timer_done(struct ioeng_op *op, int res)
{
	struct pvnet_back *n = container_of(op, struct pvnet_back, grace_timer_op);

	n->grace_timer_armed = false;
	if (res == -ECANCELED || pvq_state(&n->rxq) != PVQ_ACTIVE || n->rxq.inflight ||
	    n->rxq.limit_wait)
		return; /* a detach cancelled it, the guest's buffers are held, or hv holds back */
	/*
	 * Buffers came and went since the timer was armed: the dry spell began
	 * later, so it gets a grace of its own before frames are dropped.
	 */
	if (n->rx_taken != n->grace_timer_taken) {
		rx_idle(&n->rxq, engine(n));
		return;
	}
	arm_scratch_recv(n, engine(n));
}

/* Starts the grace timer: frames are dropped only if no buffer comes before it ends. */
static void arm_rx_grace_timer(struct pvnet_back *n, struct ioeng *e)
{
	n->grace_timer_taken = n->rx_taken;
	n->grace_timer_ts = (struct __kernel_timespec){ .tv_nsec = PVNET_RX_STARVE_MS * 1000000ll };
	n->grace_timer_op.cb = grace_timer_done;
	n->grace_timer_armed = ioeng_timeout(e, &n->grace_timer_ts, &n->grace_timer_op) == 0;
}

/*
 * No buffer taken, none in flight.  A guest between two reposts is normal:
 * frames wait in the backend meanwhile (a tap's queue, as for any NIC whose
 * ring ran dry).  Only a guest that gives nothing back for the grace time
 * gets its frames dropped by hv, so the backend's queue cannot stay full.
 */
static void rx_idle(struct pvq *q, struct ioeng *e)
{
	struct pvnet_back *n = container_of(q, struct pvnet_back, rxq);

	/*
	 * Over the RX limit hv takes no buffer on purpose: frames wait in the
	 * tap (whose queue drops what overflows it), none dropped by hv.
	 */
	if (n->scratch_busy || n->grace_timer_armed || !link_up(n) || q->limit_wait)
		return;
	arm_rx_grace_timer(n, e);
}

/* A detach: receives wait for frames that may never come, so end them. */
static void rx_quiesce(struct pvq *q, struct ioeng *e)
{
	struct pvnet_back *n = container_of(q, struct pvnet_back, rxq);
	unsigned i;

	for (i = 0; i < n->net.ops->recv_depth; i++)
		if (n->rx[i].busy)
			net_cancel(e, &n->net, &n->rx[i].op);
	if (n->scratch_busy)
		net_cancel(e, &n->net, &n->scratch_op);
	if (n->grace_timer_armed)
		ioeng_cancel(e, &n->grace_timer_op);
}

/* ---- TX ------------------------------------------------------------------------ */

int pvnet_back_check_tx(const struct pvnet_back *n, const struct hv_net_tx *t,
			struct iovec iov[HV_NET_MAX_SEG], uint32_t *len)
{
	uint64_t total = 0;
	unsigned i;

	*len = 0;
	/* No feature is on, so no offload field may be set. */
	if (t->flags || t->csum_start || t->csum_offset || t->nr_seg == 0 ||
	    t->nr_seg > HV_NET_MAX_SEG)
		return HV_NET_S_BADREQ;
	for (i = 0; i < t->nr_seg; i++) {
		const struct hv_net_seg *s = &t->seg[i];
		void *p = s->len && !s->reserved ? gm_range(n->txq.mem, s->gpa, s->len) : NULL;

		if (!p)
			return HV_NET_S_BADREQ;
		iov[i] = (struct iovec){ p, s->len };
		total += s->len;
	}
	if (total < HV_NET_MIN_FRAME || total > (uint64_t)n->mtu + HV_NET_ETH_HLEN)
		return HV_NET_S_BADREQ;
	*len = (uint32_t)total;
	return HV_NET_S_OK;
}

static void tx_post(struct pvnet_back *n, struct pvnet_back_tx *t, uint32_t status, uint32_t len)
{
	const struct hv_net_txc c = { .id = t->id, .status = status, .len = len };

	if (status == HV_NET_S_OK) {
		stat_add(&n->st.tx_frames, 1);
		stat_add(&n->st.tx_bytes, len);
	} else if (status == HV_NET_S_BADREQ) {
		stat_add(&n->st.tx_bad, 1);
	} else {
		stat_add(&n->st.tx_errors, 1);
	}
	lathist_end(&n->lat[LATHIST_TX], t->taken_ns);
	trace_ev(TR_POST, n->txq.name, t->id, status);
	t->next_free = n->tx_free;
	n->tx_free = t;
	pvq_complete(&n->txq, &c);
}

static void tx_done(struct ioeng_op *op, int res)
{
	struct pvnet_back_tx *t = container_of(op, struct pvnet_back_tx, op);

	trace_ev(TR_CQE, t->n->txq.name, t->id, (uint32_t)res);
	if (res >= 0 && (uint32_t)res == t->len) {
		tx_post(t->n, t, HV_NET_S_OK, t->len);
	} else if (res < 0 && (net_gone(res) || !link_up(t->n))) {
		/* Gone, or refused (EIO) by a tap the watch saw set down meanwhile. */
		if (net_gone(res))
			link_lost(t->n);
		tx_post(t->n, t, HV_NET_S_LINK_DOWN, 0);
	} else {
		tx_post(t->n, t, HV_NET_S_IOERR, res > 0 ? (uint32_t)res : 0);
	}
}

/*
 * Before sending: take the RX buffers the guest gave meanwhile, so a frame
 * that comes straight back (loop, or a quick peer) finds them.
 */
static void tx_pre(struct pvq *q, struct ioeng *e)
{
	pvq_service(&container_of(q, struct pvnet_back, txq)->rxq, e);
}

/* A frame's bytes for the TX limit: its segments' lengths, as the guest wrote them. */
static uint64_t tx_cost(const void *entry)
{
	const struct hv_net_tx *req = entry;

	return pvq_sum_lens(&req->seg[0].len, sizeof(req->seg[0]),
			    req->nr_seg < HV_NET_MAX_SEG ? req->nr_seg : HV_NET_MAX_SEG);
}

/* One frame taken from the TX ring (pvq copied it): check it, send it. */
static void tx_start(struct pvq *q, struct ioeng *e, const void *entry)
{
	struct pvnet_back *n = container_of(q, struct pvnet_back, txq);
	const struct hv_net_tx *req = entry;
	struct pvnet_back_tx *t = n->tx_free; /* one per completion slot: never NULL */
	int status;

	n->tx_free = t->next_free;
	t->id = req->id;
	t->taken_ns = lathist_start(&n->lat[LATHIST_TX]);
	trace_ev(TR_TAKE, q->name, req->id, 0);
	status = pvnet_back_check_tx(n, req, t->iov, &t->len);
	if (status != HV_NET_S_OK) {
		tx_post(n, t, (uint32_t)status, 0);
		return;
	}
	if (!link_up(n)) {
		tx_post(n, t, HV_NET_S_LINK_DOWN, 0);
		return;
	}
	t->op.cb = tx_done;
	trace_pcap(n, t->iov, req->nr_seg, t->len);
	if (net_send(e, &n->net, t->iov, req->nr_seg, &t->op))
		tx_post(n, t, HV_NET_S_IOERR, 0);
	else
		trace_ev(TR_SQE, q->name, t->id, 0);
}

/* ---- setup, attach, detach ------------------------------------------------------- */

int pvnet_back_init(struct pvnet_back *n, unsigned index, uint16_t rx_port,
		    const struct guest_mem *mem, const struct net *net, const uint8_t mac[6])
{
	char name[24];
	unsigned i;
	int rc;

	memset(n, 0, sizeof(*n));
	n->index = index;
	n->net = *net;
	memcpy(n->mac, mac, 6);
	n->mtu = HV_NET_DEFAULT_MTU;
	n->rx = calloc(net->ops->recv_depth, sizeof(*n->rx));
	n->scratch = malloc(HV_NET_MAX_FRAME);
	if (!n->rx || !n->scratch || net_link_alloc(&n->net) ||
	    pthread_mutex_init(&n->ctl, NULL)) {
		free(n->rx);
		free(n->scratch);
		return -ENOMEM;
	}
	for (i = 0; i < net->ops->recv_depth; i++)
		n->rx[i].next_free = i + 1 < net->ops->recv_depth ? &n->rx[i + 1] : NULL;
	n->rx_free = n->rx;
	snprintf(name, sizeof(name), "pvnet%u rx", index);
	rc = pvq_init(&n->rxq, name, rx_port, mem, sizeof(struct hv_net_rxb),
		      sizeof(struct hv_net_rxc), rx_start);
	n->rxq.quiet_at = 1; /* a refill matters only once hv holds no buffer */
	if (!rc) {
		snprintf(name, sizeof(name), "pvnet%u tx", index);
		rc = pvq_init(&n->txq, name, (uint16_t)(rx_port + 4), mem, sizeof(struct hv_net_tx),
			      sizeof(struct hv_net_txc), tx_start);
		if (rc)
			pvq_destroy(&n->rxq);
	}
	if (rc) {
		free(n->rx);
		free(n->scratch);
		pthread_mutex_destroy(&n->ctl);
		return rc;
	}
	snprintf(name, sizeof(name), "pvnet%u", index);
	net_link_bind(n->net.link, name, link_changed, n);
	n->rxq.max_inflight = net->ops->recv_depth;
	n->rxq.idle = rx_idle;
	n->rxq.quiesce = rx_quiesce;
	n->txq.pre = tx_pre;
	n->txq.cost = tx_cost;
	n->rxq.then_look = &n->txq; /* the ACKs for the frames an RX interrupt brings */
	return 0;
}

void pvnet_back_destroy(struct pvnet_back *n)
{
	pvq_destroy(&n->rxq);
	pvq_destroy(&n->txq);
	pthread_mutex_destroy(&n->ctl);
	net_close(&n->net);
	free(n->rx);
	free(n->tx);
	free(n->scratch);
	n->rx = NULL;
	n->tx = NULL;
	n->scratch = NULL;
}

unsigned pvnet_back_sources(struct pvnet_back *n, struct io_source *srcs[PVNET_BACK_MAX_SRC])
{
	struct io_source *link = net_link_source(n->net.link);

	srcs[0] = &n->rxq.src;
	srcs[1] = &n->txq.src;
	srcs[2] = link;
	return link ? 3 : 2;
}

void pvnet_back_desc(const struct pvnet_back *n, struct hv_dev_desc *d)
{
	*d = (struct hv_dev_desc){
		.type = HV_DEV_PVNET, .index = (uint16_t)n->index,
		.flags = link_up(n) ? HV_DEV_F_LINK_UP : 0,
		.base = n->rxq.port, .len = 8, /* the RX and TX notify ports */
	};
	memcpy(d->cfg.net.mac, n->mac, 6);
	d->cfg.net.mtu = n->mtu;
	d->cfg.net.features = 0; /* offers none yet (hv_net.h) */
}

/* Under n->ctl. */
static int64_t attach_locked(struct pvnet_back *n, const struct hv_queue_setup *s,
			     struct kvm_vm *kvm)
{
	struct pvq *q = s->queue == HV_NET_Q_RX ? &n->rxq : &n->txq;
	uint32_t i;
	int rc;

	if (s->queue >= HV_NET_NR_QUEUES || s->features)
		return -HV_EINVAL;
	/* Not while the old TX queue's frames may still point into its slots. */
	if (pvq_attached(q) || (q == &n->txq && n->tx))
		return -HV_EBUSY;
	if (q == &n->txq) {
		/* One frame per completion slot, allocated for a setup known good. */
		rc = pvq_check_setup(q, s);
		if (rc)
			return rc;
		n->tx = calloc(s->cq_size, sizeof(*n->tx));
		if (!n->tx)
			return -HV_ENOMEM;
		for (i = 0; i < s->cq_size; i++) {
			n->tx[i].n = n;
			n->tx[i].next_free = i + 1 < s->cq_size ? &n->tx[i + 1] : NULL;
		}
		n->tx_free = n->tx;
	}
	rc = pvq_attach(q, s, kvm);
	if (rc) {
		if (q == &n->txq) {
			free(n->tx);
			n->tx = n->tx_free = NULL;
		}
		return rc;
	}
	/* RX: serve the ring now, without a doorbell: with no buffer yet, the grace starts. */
	if (q == &n->rxq && eventfd_write(q->src.fd, 1) < 0)
		fprintf(stderr, "hv: pvnet%u: cannot wake the I/O thread\n", n->index);
	return q->port;
}

int64_t pvnet_back_attach(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm)
{
	struct pvnet_back *n = dev;
	int64_t rc;

	pthread_mutex_lock(&n->ctl);
	rc = attach_locked(n, s, kvm);
	pthread_mutex_unlock(&n->ctl);
	return rc;
}

int64_t pvnet_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm)
{
	struct pvnet_back *n = dev;
	int rc;

	if (queue >= HV_NET_NR_QUEUES)
		return -HV_EINVAL;
	pthread_mutex_lock(&n->ctl);
	rc = pvq_detach(queue == HV_NET_Q_RX ? &n->rxq : &n->txq, kvm);
	if (!rc && queue == HV_NET_Q_TX) {
		free(n->tx);
		n->tx = n->tx_free = NULL;
	}
	pthread_mutex_unlock(&n->ctl);
	return rc;
}

/* ---- the device kind: --net ------------------------------------------------------- */

static void update_desc(const void *dev, struct hv_dev_desc *d)
{
	d->flags = link_up(dev) ? HV_DEV_F_LINK_UP : 0;
}

static void describe(FILE *f, const void *dev)
{
	const struct pvnet_back *n = dev;

	fprintf(f, "hv: pvnet%u: %s %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, "
		   "notify ports 0x%x (rx) 0x%x (tx)\n",
		n->index, n->net.ops->name, n->net.name, n->mac[0], n->mac[1], n->mac[2],
		n->mac[3], n->mac[4], n->mac[5], n->mtu, n->rxq.port, n->txq.port);
}

static void print_stats(FILE *f, const void *dev)
{
	const struct pvnet_back *n = dev;
	const struct pvnet_back_stats *s = &n->st;

	fprintf(f, "  pvnet%u (%s): link %s; rx %s, %llu frames, %llu bytes, %llu dropped, "
		   "%llu bad buffers, %llu link down, %llu runts, %llu errors, %llu engine full, "
		   "%llu doorbells, %llu interrupts, %llu suppressed, %llu throttled, "
		   "%llu throttled us; "
		   "tx %s, %llu frames, %llu bytes, %llu bad, %llu errors, %llu doorbells, "
		   "%llu interrupts, %llu suppressed, %llu throttled, %llu throttled us; "
		   "%llu link downs, %llu link ups\n",
		n->index, n->net.name, link_up(n) ? "up" : "down", pvq_state_name(&n->rxq),
		DEV_ULL(s->rx_frames), DEV_ULL(s->rx_bytes),
		(DEV_ULL(s->rx_dropped) + DEV_ULL(n->net.lost)), DEV_ULL(s->rx_bad),
		DEV_ULL(s->rx_link_down), DEV_ULL(s->rx_runts),
		DEV_ULL(s->rx_errors), DEV_ULL(s->rx_engine_full),
		DEV_ULL(n->rxq.src.kicks), DEV_ULL(n->rxq.irqs),
		DEV_ULL(n->rxq.irqs_suppressed),
		(unsigned long long)qlimit_throttled(&n->rxq.rl),
		(unsigned long long)qlimit_throttled_ns(&n->rxq.rl) / 1000, pvq_state_name(&n->txq),
		DEV_ULL(s->tx_frames), DEV_ULL(s->tx_bytes),
		DEV_ULL(s->tx_bad), DEV_ULL(s->tx_errors),
		DEV_ULL(n->txq.src.kicks), DEV_ULL(n->txq.irqs),
		DEV_ULL(n->txq.irqs_suppressed),
		(unsigned long long)qlimit_throttled(&n->txq.rl),
		(unsigned long long)qlimit_throttled_ns(&n->txq.rl) / 1000,
		DEV_ULL(n->net.link->downs),
		DEV_ULL(n->net.link->ups));
}

/* The --stats counters for GET /metrics (device.h), each a relaxed load. */
static unsigned counters(const void *dev, struct dev_counter *out, unsigned cap)
{
	const struct pvnet_back *n = dev;
	const struct pvnet_back_stats *s = &n->st;
	const struct dev_counter c[] = {
		{ "rx_frames", dev_counter_load(&s->rx_frames) },
		{ "rx_bytes", dev_counter_load(&s->rx_bytes) },
		{ "rx_dropped", dev_counter_load(&s->rx_dropped) + dev_counter_load(&n->net.lost) },
		{ "rx_bad_buffers", dev_counter_load(&s->rx_bad) },
		{ "rx_link_down", dev_counter_load(&s->rx_link_down) },
		{ "rx_runts", dev_counter_load(&s->rx_runts) },
		{ "rx_errors", dev_counter_load(&s->rx_errors) },
		{ "rx_engine_full", dev_counter_load(&s->rx_engine_full) },
		{ "rx_doorbells", dev_counter_load(&n->rxq.src.kicks) },
		{ "rx_interrupts", dev_counter_load(&n->rxq.irqs) },
		{ "rx_suppressed", dev_counter_load(&n->rxq.irqs_suppressed) },
		{ "rx_throttled", qlimit_throttled(&n->rxq.rl) },
		{ "rx_throttled_us", qlimit_throttled_ns(&n->rxq.rl) / 1000 },
		{ "tx_frames", dev_counter_load(&s->tx_frames) },
		{ "tx_bytes", dev_counter_load(&s->tx_bytes) },
		{ "tx_bad", dev_counter_load(&s->tx_bad) },
		{ "tx_errors", dev_counter_load(&s->tx_errors) },
		{ "tx_doorbells", dev_counter_load(&n->txq.src.kicks) },
		{ "tx_interrupts", dev_counter_load(&n->txq.irqs) },
		{ "tx_suppressed", dev_counter_load(&n->txq.irqs_suppressed) },
		{ "tx_throttled", qlimit_throttled(&n->txq.rl) },
		{ "tx_throttled_us", qlimit_throttled_ns(&n->txq.rl) / 1000 },
		{ "link_downs", dev_counter_load(&n->net.link->downs) },
		{ "link_ups", dev_counter_load(&n->net.link->ups) },
	};

	return dev_counters_copy(out, cap, c, ARRAY_SIZE(c));
}

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct io_source *srcs[PVNET_BACK_MAX_SRC];
	struct net_spec spec;
	struct pvnet_back *n;
	struct hv_dev_desc d;
	uint8_t mac[6];
	uint16_t rx_port, tx_port;
	struct net net;
	int rc;

	rc = net_parse_spec(pvnet_back_kind.option, arg, &spec, err, errlen);
	if (rc)
		return rc;
	if (vm_alloc_notify_port(vm, &rx_port) || vm_alloc_notify_port(vm, &tx_port))
		return err_msg(-ENOSPC, err, errlen, "pvnet%u: no notify ports left", index);
	rc = net_open(&net, &spec, err, errlen);
	if (rc)
		return rc;
	net_spec_mac(&spec, 0, index, mac);
	n = calloc(1, sizeof(*n));
	rc = n ? pvnet_back_init(n, index, rx_port, &vm->mem, &net, mac) : -ENOMEM;
	if (!rc && (rc = fault_net_claim(vm->faults, "pvnet", index, &n->net))) {
		pvnet_back_destroy(n);
		free(n);
		return err_msg(rc, err, errlen, "pvnet%u: cannot set up: %s", index, strerror(-rc));
	}
	if (!rc && n->net.fault) { /* the interrupt rules, on each queue's interrupts apart */
		n->rxq.fault = n->txq.fault = n->net.fault->f;
		n->txq.fault_irq.queue = HV_NET_Q_TX;
	}
	/* Limits only when asked for: an unlimited queue never looks at one. */
	if (!rc && ((rate_set_on(&spec.rx) && (rc = pvq_set_limit(&n->rxq, &spec.rx))) ||
		    (rate_set_on(&spec.tx) && (rc = pvq_set_limit(&n->txq, &spec.tx))))) {
		pvnet_back_destroy(n);
		free(n);
		return err_msg(rc, err, errlen, "pvnet%u: cannot set up: %s", index, strerror(-rc));
	}
	if (rc) {
		net_close(&net);
		free(n);
		return err_msg(rc, err, errlen, "pvnet%u: cannot set up: %s", index, strerror(-rc));
	}
	pvnet_back_desc(n, &d);
	rc = vm_add_device(vm, &pvnet_back_kind, index, n, &d, srcs, pvnet_back_sources(n, srcs));
	if (rc) {
		pvnet_back_destroy(n);
		free(n);
		return err_msg(rc, err, errlen, "pvnet%u: cannot set up: %s", index, strerror(-rc));
	}
	return 0;
}

static void destroy(void *dev)
{
	pvnet_back_destroy(dev);
	free(dev);
}

/* The queue of a direction a rate limit applies to (PUT /rate-limits/pvnetN/rx|tx). */
static struct pvq *limit_queue(void *dev, const char *dir)
{
	struct pvnet_back *n = dev;

	return !strcmp(dir, "rx") ? &n->rxq : !strcmp(dir, "tx") ? &n->txq : NULL;
}

static const struct queue_ops queue = { pvnet_back_attach, pvnet_back_detach };

static struct lathist *frame_latency(void *dev, unsigned dir)
{
	return dir < LATHIST_DIRS ? &((struct pvnet_back *)dev)->lat[dir] : NULL;
}

const struct device_kind pvnet_back_kind = {
	.name = "pvnet",
	.option = "--net",
	.max = HV_MAX_NICS_PER_KIND,
	.usage = "  --net tap:IFNAME[,mac=XX:XX:XX:XX:XX:XX][,LIMIT...]\n"
		 "                     a PV NIC on an existing tap interface (pvnet0, ...)\n"
		 "  --net loop[,mac=...][,LIMIT...]\n"
		 "                     a PV NIC whose every sent frame comes back received\n"
		 "                     (no network stack: measures the interface).  Repeatable.\n"
		 "                     LIMIT per direction (rx: to the guest, tx: from it):\n"
		 "                     rx-bps=N, rx-pps=N (bytes, frames a second), rx-bps-burst=N,\n"
		 "                     rx-pps-burst=N, and the same with tx-; K/M/G suffixes\n",
	.check = net_check_arg,
	.add = add,
	.update_desc = update_desc,
	.describe = describe,
	.print_stats = print_stats,
	.counters = counters,
	.frame_latency = frame_latency,
	.destroy = destroy,
	.register_hypercalls = queue_register_hypercalls,
	.queue = &queue,
	.save = pvnet_snap_save, /* snap/snap_dev.c */
	.load = pvnet_snap_load,
	.limit_queue = limit_queue,
};
