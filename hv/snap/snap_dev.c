/* Device records for snapshots: the UART, the PV disk and its queue (snap_dev.h). */
#include "snap/snap_dev.h"

#include <errno.h>
#include <string.h>

#include "core/device.h"
#include "pv/pvblk_back.h"
#include "pv/pvq.h"
#include "trap/uart.h"

int snap_pvq_save(const struct pvq *q, struct snap_pvq_rec *r)
{
	int st = pvq_state(q);

	memset(r, 0, sizeof(*r));
	if (!q->held && st == PVQ_DETACHED)
		return 0;
	if (q->inflight || q->detach_pending)
		return -EBUSY;
	r->attached = 1;
	r->broken = st == PVQ_BROKEN;
	r->setup = q->setup;
	r->sq_cons = q->sq_cons;
	r->cq_prod = q->cq_prod;
	r->cq_published = q->cq_published;
	r->g_sq_cons = __atomic_load_n(&q->sq->cons, __ATOMIC_RELAXED);
	r->g_sq_event = __atomic_load_n(&q->sq->event, __ATOMIC_RELAXED);
	r->g_cq_prod = __atomic_load_n(&q->cq->prod, __ATOMIC_RELAXED);
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
	q->sq_cons = r->sq_cons;
	q->cq_prod = r->cq_prod;
	q->cq_published = r->cq_published;
	q->sq->cons = r->g_sq_cons;
	q->sq->event = r->g_sq_event;
	q->cq->prod = r->g_cq_prod;
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
	rc = snap_pvq_save(&b->q, &r);
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
