/* Guest side of the ring protocol: the orderings of PROTOCOL.md, "Ordering". */
#include "pv_ring.h"

#include "hv_abi.h"

static void *alloc_ring(const struct pv_os *os, uint32_t n, uint32_t esize, uint64_t *pa)
{
	return os->dma_alloc(os->ctx, (size_t)hv_ring_bytes(n, esize), pa);
}

int pv_ring_alloc(struct pv_ring *r, const struct pv_os *os, uint32_t sq_size,
		  uint32_t sq_esize, uint32_t cq_size, uint32_t cq_esize, uint32_t start)
{
	*r = (struct pv_ring){ 0 };
	if (!hv_ring_size_ok(sq_size) || !hv_ring_size_ok(cq_size) || cq_size < sq_size)
		return -HV_EINVAL;
	/* Sizes first: pv_ring_free needs them to give back a ring allocated alone. */
	r->sq_size = sq_size;
	r->cq_size = cq_size;
	r->sq_esize = sq_esize;
	r->cq_esize = cq_esize;
	r->sq = alloc_ring(os, sq_size, sq_esize, &r->sq_pa);
	r->cq = alloc_ring(os, cq_size, cq_esize, &r->cq_pa);
	if (!r->sq || !r->cq) {
		pv_ring_free(r, os);
		return -HV_ENOMEM;
	}
	r->sqe = (uint8_t *)r->sq + HV_RING_ENTRIES_OFF;
	r->cqe = (uint8_t *)r->cq + HV_RING_ENTRIES_OFF;
	r->sq_prod = r->sq_notified = r->cq_cons = start;
	r->sq->prod = r->sq->cons = r->sq->event = start;
	r->cq->prod = r->cq->cons = r->cq->event = start;
	return 0;
}

void pv_ring_free(struct pv_ring *r, const struct pv_os *os)
{
	if (r->sq)
		os->dma_free(os->ctx, r->sq, (size_t)hv_ring_bytes(r->sq_size, r->sq_esize));
	if (r->cq)
		os->dma_free(os->ctx, r->cq, (size_t)hv_ring_bytes(r->cq_size, r->cq_esize));
	r->sq = r->cq = 0;
}

void *pv_ring_sq_slot(struct pv_ring *r)
{
	uint32_t cons = hv_ring_load_acquire(&r->sq->cons);

	if ((uint32_t)(r->sq_prod - cons) >= r->sq_size)
		return 0;
	return r->sqe + (uint64_t)(r->sq_prod & (r->sq_size - 1)) * r->sq_esize;
}

void pv_ring_sq_push(struct pv_ring *r)
{
	r->sq_prod++;
}

bool pv_ring_sq_publish(struct pv_ring *r)
{
	uint32_t old = r->sq_notified;
	uint32_t event;

	if (r->sq_prod == old)
		return false;
	/* Entries before the index (release), index before reading event (fence). */
	hv_ring_store_release(&r->sq->prod, r->sq_prod);
	hv_ring_fence();
	event = __atomic_load_n(&r->sq->event, __ATOMIC_RELAXED);
	r->sq_notified = r->sq_prod;
	r->publishes++;
	if (!hv_ring_need_event(event, r->sq_prod, old))
		return false;
	r->notifies++;
	return true;
}

int64_t pv_ring_attach(struct pv_ring *r, const struct pv_os *os, uint32_t dev_index,
		       uint16_t queue, uint32_t msix)
{
	struct hv_queue_setup *setup;
	uint64_t pa;
	int64_t port;

	setup = os->dma_alloc(os->ctx, sizeof(*setup), &pa);
	if (!setup)
		return -HV_ENOMEM;
	*setup = (struct hv_queue_setup){
		.sq_gpa = r->sq_pa, .cq_gpa = r->cq_pa, .sq_size = r->sq_size,
		.cq_size = r->cq_size, .msix = msix, .queue = queue,
	};
	if (msix != HV_MSIX_NONE)
		pv_ring_cq_arm_irq(r);
	port = os->hypercall(os->ctx, HV_HC_QUEUE_ATTACH, dev_index, pa);
	os->dma_free(os->ctx, setup, sizeof(*setup));
	return port;
}

const void *pv_ring_cq_peek(struct pv_ring *r)
{
	if (hv_ring_load_acquire(&r->cq->prod) == r->cq_cons)
		return 0;
	return r->cqe + (uint64_t)(r->cq_cons & (r->cq_size - 1)) * r->cq_esize;
}

void pv_ring_cq_pop(struct pv_ring *r)
{
	r->cq_cons++;
	hv_ring_store_release(&r->cq->cons, r->cq_cons);
}

bool pv_ring_cq_take(struct pv_ring *r, void *out, uint32_t bytes)
{
	const void *e = pv_ring_cq_peek(r);

	if (!e)
		return false;
	hv_ring_copy_entry(out, e, bytes);
	pv_ring_cq_pop(r);
	return true;
}

bool pv_ring_cq_ready(struct pv_ring *r)
{
	return hv_ring_load_acquire(&r->cq->prod) != r->cq_cons;
}

void pv_ring_cq_mute_irq(struct pv_ring *r)
{
	/*
	 * hv interrupts when event lies in [old prod, new prod): an event far
	 * behind the consumer never does until the ring has wrapped halfway.
	 */
	__atomic_store_n(&r->cq->event, r->cq_cons - 0x80000000u, __ATOMIC_RELAXED);
}

bool pv_ring_cq_arm_irq(struct pv_ring *r)
{
	__atomic_store_n(&r->cq->event, r->cq_cons, __ATOMIC_RELAXED);
	hv_ring_fence();
	return hv_ring_load_acquire(&r->cq->prod) != r->cq_cons;
}
