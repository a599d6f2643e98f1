/* Device records for snapshots: the UART, the PV disk and its queue (snap_dev.h). */
#include "snap/snap_dev.h"

#include <errno.h>
#include <string.h>

#include "core/device.h"
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "pv/pvq.h"
#include "trap/trapblk_dev.h"
#include "trap/trapnet_dev.h"
#include "trap/uart.h"

int snap_pvq_save(const struct pvq *q, struct snap_pvq_rec *r, uint32_t held)
{
	int st = pvq_state(q);
	struct pvq_indices x;

	memset(r, 0, sizeof(*r));
	if (!q->held && st == PVQ_DETACHED)
		return 0;
	if (q->inflight != held || q->detach_pending)
		return -EBUSY;
	r->attached = 1;
	r->broken = st == PVQ_BROKEN;
	r->setup = q->setup;
	pvq_save_indices(q, &x);
	r->sq_cons = x.sq_cons, r->cq_prod = x.cq_prod, r->cq_published = x.cq_published;
	r->g_sq_cons = x.g_sq_cons, r->g_sq_event = x.g_sq_event, r->g_cq_prod = x.g_cq_prod;
	return 0;
}

int snap_pvq_load(struct pvq *q, const struct snap_pvq_rec *r, void *dev,
		  const struct queue_ops *ops, struct kvm_vm *kvm)
{
	int64_t rc;

	if (!r->attached)
		return 0;
	/* The same checks and wiring as HV_HC_QUEUE_ATTACH (the record is input too). */
	rc = ops->attach(dev, &r->setup, kvm);
	if (rc < 0)
		return -EINVAL;
	/* attach started the rings empty; they were not: hv goes on where it was. */
	pvq_restore_indices(q, &(const struct pvq_indices){ r->sq_cons, r->cq_prod, r->cq_published,
							      r->g_sq_cons, r->g_sq_event,
							      r->g_cq_prod });
	if (r->broken)
		__atomic_store_n(&q->state, PVQ_BROKEN, __ATOMIC_RELEASE);
	return 0;
}

/* ---- the UART: its registers and receive FIFO ---------------------------------- */

struct uart_rec {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, thre_pending;
	uint8_t irq_level, rx_head, rx_count, pad[5];
	uint8_t rx[UART_FIFO];
};

int uart_snap_save(const void *dev, void *rec, size_t cap, size_t *len)
{
	const struct uart *u = dev;
	struct uart_rec r = { u->ier, u->lcr, u->mcr, u->scr, u->fcr, u->dll, u->dlm,
			      u->thre_pending, u->irq_level, (uint8_t)u->rx_head,
			      (uint8_t)u->rx_count, { 0 }, { 0 } };

	if (cap < sizeof(r))
		return -ENOSPC;
	memcpy(r.rx, u->rx, sizeof(r.rx));
	memcpy(rec, &r, sizeof(r));
	*len = sizeof(r);
	return 0;
}

int uart_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm)
{
	struct uart *u = dev;
	struct uart_rec r;

	(void)kvm;
	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, rec, sizeof(r));
	if (r.rx_head >= UART_FIFO || r.rx_count > UART_FIFO)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	u->ier = r.ier, u->lcr = r.lcr, u->mcr = r.mcr, u->scr = r.scr, u->fcr = r.fcr;
	u->dll = r.dll, u->dlm = r.dlm;
	u->thre_pending = r.thre_pending, u->irq_level = r.irq_level;
	u->rx_head = r.rx_head, u->rx_count = r.rx_count;
	memcpy(u->rx, r.rx, sizeof(u->rx));
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* ---- the PV disk: its one queue ---------------------------------------------- */

int pvblk_snap_save(const void *dev, void *rec, size_t cap, size_t *len)
{
	const struct pvblk_back *b = dev;
	struct snap_pvq_rec r;
	int rc;

	if (cap < sizeof(r))
		return -ENOSPC;
	rc = snap_pvq_save(&b->q, &r, 0);
	if (rc)
		return rc;
	memcpy(rec, &r, sizeof(r));
	*len = sizeof(r);
	return 0;
}

int pvblk_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm)
{
	struct pvblk_back *b = dev;
	struct snap_pvq_rec r;

	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, rec, sizeof(r));
	return snap_pvq_load(&b->q, &r, b, pvblk_back_kind.queue, kvm);
}

/* ---- the PV NIC: its two queues and the RX buffers held for frames ----------- */

static uint64_t host_to_gpa(const struct guest_mem *m, const void *p)
{
	uint64_t off = (uint64_t)((const uint8_t *)p - m->host);

	return off < m->low ? off : off - m->low + GM_HIGH_BASE;
}

int pvnet_snap_save(const void *dev, void *rec, size_t cap, size_t *len)
{
	const struct pvnet_back *n = dev;
	struct snap_net_rec r;
	unsigned i;
	int rc;

	if (cap < sizeof(r))
		return -ENOSPC;
	/* Only a tap: the loop backend holds frames of its own that no record keeps. */
	if (strcmp(n->net.ops->name, "tap"))
		return -ENOTSUP;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < n->net.ops->recv_depth; i++) {
		const void *buf;
		uint32_t blen, id;

		if (!pvnet_back_rx_held(n, i, &buf, &blen, &id))
			continue;
		if (r.nr_held == SNAP_NET_HELD_MAX)
			return -ENOSPC;
		r.held[r.nr_held++] = (struct hv_net_rxb){ host_to_gpa(n->rxq.mem, buf), blen, id };
	}
	rc = snap_pvq_save(&n->rxq, &r.rx, r.nr_held);
	if (!rc)
		rc = snap_pvq_save(&n->txq, &r.tx, 0);
	if (rc)
		return rc;
	memcpy(rec, &r, sizeof(r));
	*len = sizeof(r);
	return 0;
}

int pvnet_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm)
{
	struct pvnet_back *n = dev;
	struct snap_net_rec r;
	unsigned i;
	int rc;

	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, rec, sizeof(r));
	if (r.nr_held > SNAP_NET_HELD_MAX || r.nr_held > n->net.ops->recv_depth ||
	    (r.nr_held && !r.rx.attached))
		return -EINVAL;
	rc = snap_pvq_load(&n->rxq, &r.rx, n, pvnet_back_kind.queue, kvm);
	if (!rc)
		rc = snap_pvq_load(&n->txq, &r.tx, n, pvnet_back_kind.queue, kvm);
	/* Each held buffer is checked as a new one would be (it is input too). */
	for (i = 0; !rc && i < r.nr_held; i++)
		pvnet_back_rx_repost(n, &r.held[i]);
	return rc;
}

/* ---- the trap devices: their transport and their own register ---------------- */

static int trap_save(const void *dev, uint32_t reg, void *rec, size_t cap, size_t *len)
{
	struct snap_trap_rec r = { .reg = reg };
	int rc;

	if (cap < sizeof(r))
		return -ENOSPC;
	/* The transport's lock is taken: the record is read as one moment of it. */
	rc = trap_snap_save((struct trap_transport *)dev, &r.tr);
	if (rc)
		return rc;
	memcpy(rec, &r, sizeof(r));
	*len = sizeof(r);
	return 0;
}

static int trap_load(void *dev, uint32_t *reg, const void *rec, size_t len)
{
	struct snap_trap_rec r;
	int rc;

	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, rec, sizeof(r));
	if (r.reserved)
		return -EINVAL;
	rc = trap_snap_load(dev, &r.tr);
	if (!rc)
		*reg = r.reg;
	return rc;
}

int trapblk_snap_save(const void *dev, void *rec, size_t cap, size_t *len)
{
	return trap_save(dev, ((const struct trapblk_dev *)dev)->bytes, rec, cap, len);
}

int trapblk_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm)
{
	(void)kvm;
	return trap_load(dev, &((struct trapblk_dev *)dev)->bytes, rec, len);
}

int trapnet_snap_save(const void *dev, void *rec, size_t cap, size_t *len)
{
	const struct trapnet_dev *t = dev;

	/* Only a tap: the loop backend holds frames of its own that no record keeps. */
	if (strcmp(t->net.ops->name, "tap"))
		return -ENOTSUP;
	return trap_save(dev, t->rx_frame, rec, cap, len);
}

int trapnet_snap_load(void *dev, const void *rec, size_t len, struct kvm_vm *kvm)
{
	(void)kvm;
	return trap_load(dev, &((struct trapnet_dev *)dev)->rx_frame, rec, len);
}
