/* PV block front end: request slots, batching, completion, waiting. */
#include "pvblk_fe.h"

#define NO_SLOT 0xffffffffu

/* False once detached or after a failed attach: the rings are gone. */
static bool attached(const struct pvblk_fe *d)
{
	return d->ring.sq != 0;
}

int pvblk_fe_init(struct pvblk_fe *d, const struct pv_os *os, uint32_t dev_index,
		  const struct hv_dev_desc *desc, const struct pvblk_fe_config *cfg)
{
	int64_t port;
	uint32_t i;
	int rc;

	if (desc->type != HV_DEV_PVBLK || cfg->queue_size > PVBLK_FE_MAX_DEPTH)
		return -HV_EINVAL;
	*d = (struct pvblk_fe){ 0 };
	d->os = os;
	d->dev_index = dev_index;
	d->unit = desc->index;
	d->sectors = desc->capacity;
	d->sector_size = desc->sector_size ? desc->sector_size : HV_BLK_SECTOR;
	d->ro = desc->flags & HV_DEV_F_RO;
	d->polling = cfg->msix == HV_MSIX_NONE;
	pv_poll_init(&d->poll, d->polling || !os->now_ns ? 0 : cfg->poll_cap_ns, cfg->poll_fixed);
	rc = pv_ring_alloc(&d->ring, os, cfg->queue_size, sizeof(struct hv_blk_req),
			   cfg->queue_size, sizeof(struct hv_blk_cpl), cfg->start_index);
	if (rc)
		return rc;
	d->depth = cfg->queue_size;
	for (i = 0; i < d->depth; i++)
		d->slot[i].next_free = i + 1 < d->depth ? i + 1 : NO_SLOT;
	d->free_head = 0;

	port = pv_ring_attach(&d->ring, os, dev_index, 0, cfg->msix);
	if (port < 0) {
		pv_ring_free(&d->ring, os);
		return (int)port;
	}
	d->port = (uint16_t)port;
	return 0;
}

int pvblk_fe_detach(struct pvblk_fe *d)
{
	int64_t rc = d->os->hypercall(d->os->ctx, HV_HC_QUEUE_DETACH, d->dev_index, 0);

	if (rc)
		return (int)rc;
	pv_ring_free(&d->ring, d->os);
	d->outstanding = 0;
	return 0;
}

int pvblk_fe_submit(struct pvblk_fe *d, struct hv_blk_req *r, pvblk_fe_done fn, void *arg)
{
	const struct pv_os *os = d->os;
	uint64_t flags = os->irq_save(os->ctx);
	struct hv_blk_req *slot;
	uint32_t tag = d->free_head;

	if (!attached(d)) { /* detached, or a re-attach failed: fail, never scribble */
		os->irq_restore(os->ctx, flags);
		fn(arg, HV_BLK_S_IOERR, 0);
		return 0;
	}
	/* Never more outstanding than completion slots: hv relies on it. */
	slot = tag == NO_SLOT ? 0 : pv_ring_sq_slot(&d->ring);
	if (!slot) {
		os->irq_restore(os->ctx, flags);
		return -HV_EAGAIN;
	}
	d->free_head = d->slot[tag].next_free;
	d->slot[tag].fn = fn;
	d->slot[tag].arg = arg;
	d->slot[tag].busy = true;
	d->outstanding++;
	r->id = tag;
	*slot = *r;
	pv_ring_sq_push(&d->ring);
	d->st.submitted++;
	os->irq_restore(os->ctx, flags);
	return 0;
}

void pvblk_fe_kick(struct pvblk_fe *d)
{
	const struct pv_os *os = d->os;
	uint64_t flags = os->irq_save(os->ctx);
	bool notify = pv_ring_sq_publish(&d->ring);

	os->irq_restore(os->ctx, flags);
	if (notify) {
		d->st.notifies++;
		os->notify(os->ctx, d->port, d->ring.sq_prod);
	}
}

unsigned pvblk_fe_poll(struct pvblk_fe *d)
{
	const struct pv_os *os = d->os;
	uint64_t flags = os->irq_save(os->ctx);
	struct hv_blk_cpl cpl;
	unsigned n = 0;

	while (attached(d) && pv_ring_cq_take(&d->ring, &cpl, sizeof(cpl))) {
		struct pvblk_fe_slot *s;

		if (cpl.id >= d->depth || !d->slot[cpl.id].busy) {
			d->st.bogus_cpl++;
			continue;
		}
		s = &d->slot[cpl.id];
		s->busy = false;
		s->next_free = d->free_head;
		d->free_head = (uint32_t)cpl.id;
		d->outstanding--;
		d->st.completed++;
		d->progress = 1;
		if (cpl.status != HV_BLK_S_OK)
			d->st.errors++;
		/* The slot is free again: the callback may submit at once. */
		s->fn(s->arg, cpl.status, cpl.bytes);
		n++;
	}
	os->irq_restore(os->ctx, flags);
	return n;
}

/* Takes completions until the ring stays empty with its interrupt armed again. */
static void drain(struct pvblk_fe *d)
{
	do
		pvblk_fe_poll(d);
	while (attached(d) && pv_ring_cq_arm_irq(&d->ring));
}

void pvblk_fe_interrupt(struct pvblk_fe *d)
{
	d->st.interrupts++;
	drain(d);
}

/*
 * After a wait that ended without progress: completions in the ring mean
 * their interrupt was lost (or is late).  Taking them re-arms the event
 * index too, which a lost interrupt left behind: without that hv would
 * suppress every later interrupt as well.
 */
static void recover(struct pvblk_fe *d)
{
	const struct pv_os *os = d->os;
	uint64_t flags = os->irq_save(os->ctx);

	if (attached(d) && pv_ring_cq_ready(&d->ring)) {
		d->st.recovered++;
		drain(d);
	}
	os->irq_restore(os->ctx, flags);
}

static bool cq_ready(void *d)
{
	return pv_ring_cq_ready(&((struct pvblk_fe *)d)->ring);
}

static unsigned cq_take(void *d)
{
	return pvblk_fe_poll(d);
}

void pvblk_fe_wait(struct pvblk_fe *d, const volatile int *flag)
{
	const struct pv_os *os = d->os;
	uint64_t start = 0;
	bool polled;

	if (d->polling) {
		pvblk_fe_poll(d);
		return;
	}
	polled = !*flag && attached(d) && pv_poll_wanted(&d->poll);
	if (polled) {
		unsigned taken = 0;
		bool done;

		pv_ring_cq_mute_irq(&d->ring);
		done = pv_poll_spin(&d->poll, os, cq_ready, cq_take, d, flag, &start);
		/*
		 * The final re-check: a completion published while the interrupt
		 * was suppressed raised none, and none will come for it.
		 */
		while (pv_ring_cq_arm_irq(&d->ring))
			taken += pvblk_fe_poll(d);
		if (done)
			return;
		if (taken || *flag) { /* the re-check caught it: as if a halt had been short */
			pv_poll_slept(&d->poll, os->now_ns(os->ctx) - start);
			return;
		}
	}
	os->wait(os->ctx, flag);
	if (!*flag)
		recover(d);
	if (polled)
		pv_poll_slept(&d->poll, os->now_ns(os->ctx) - start);
}

void pvblk_fe_prep(struct pvblk_fe *d, struct hv_blk_req *r, uint32_t op, uint64_t sector,
		   void *buf, uint32_t bytes)
{
	*r = (struct hv_blk_req){ .op = op, .sector = sector };
	if (op == HV_BLK_OP_FLUSH)
		return;
	r->nr_seg = 1;
	r->seg[0].gpa = d->os->virt_to_phys(d->os->ctx, buf);
	r->seg[0].len = bytes;
}

/* The front end as blk_sync sees it (drv is the pvblk_fe): its one ops table. */
static int sync_submit(void *drv, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		       blk_sync_done_fn fn, void *arg)
{
	struct pvblk_fe *d = drv;
	struct hv_blk_req r;

	pvblk_fe_prep(d, &r, op, sector, buf, bytes);
	return pvblk_fe_submit(d, &r, fn, arg);
}

static void sync_kick(void *drv)
{
	pvblk_fe_kick(drv);
}

static void sync_wait(void *drv, const volatile int *flag)
{
	pvblk_fe_wait(drv, flag);
}

const struct blk_sync_ops pvblk_fe_blk_ops = { sync_submit, sync_kick, sync_wait };

void pvblk_fe_sync_dev(struct pvblk_fe *d, struct blk_sync_dev *s)
{
	*s = (struct blk_sync_dev){ &pvblk_fe_blk_ops, d, &d->progress, HV_BLK_MAX_BYTES };
}

uint32_t pvblk_fe_rw(struct pvblk_fe *d, uint32_t op, uint64_t sector, void *buf,
		     uint64_t bytes)
{
	struct blk_sync_dev s;

	pvblk_fe_sync_dev(d, &s);
	return blk_sync_rw(&s, op, sector, buf, bytes);
}

uint32_t pvblk_fe_flush(struct pvblk_fe *d)
{
	struct blk_sync_dev s;

	pvblk_fe_sync_dev(d, &s);
	return blk_sync_io(&s, HV_BLK_OP_FLUSH, 0, 0, 0);
}

const char *pvblk_fe_status_name(uint32_t status)
{
	static const char *const names[] = {
		[HV_BLK_S_OK] = "ok", [HV_BLK_S_IOERR] = "I/O error",
		[HV_BLK_S_UNSUPP] = "unsupported", [HV_BLK_S_BADREQ] = "bad request",
		[HV_BLK_S_RO] = "read-only",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "unknown status";
}
