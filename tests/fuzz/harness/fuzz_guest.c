/* The fuzzing guest: its RAM and its end of a queue (fuzz_guest.h). */
#include "fuzz_guest.h"

#include <string.h>

#include "hv_ring.h"

void fuzz_ram_write(struct fuzz_vm *f, struct fuzz_in *in)
{
	uint64_t ram = fuzz_vm_ram_size(f), at = fuzz_val(in, ram);
	size_t len = fi_u8(in);

	if (at < ram)
		fi_bytes(in, fuzz_vm_ram(f) + at, ram - at < len ? ram - at : len);
}

/* Ring sizes a driver would choose, or anything. */
static uint32_t ring_size(struct fuzz_in *in)
{
	static const uint64_t sizes[] = { 2, 4, 8, 16, 32, 64, 256, 4096, 1, 3, 8192, 0 };

	return (uint32_t)fuzz_choose(in, sizes, sizeof(sizes) / sizeof(sizes[0]), 4097);
}

/*
 * HV_HC_QUEUE_ATTACH with a setup built from the input, written where the
 * input says.  One statement per value: the order the input is read in is
 * the encoding (tests/fuzz/seeds.py), and an initializer list has none.
 */
static void attach(struct fuzz_ring *r, struct fuzz_in *in)
{
	uint64_t ram = fuzz_vm_ram_size(r->f), a[HC_NARGS] = { r->dev };
	uint8_t odd = fi_u8(in); /* which fields go wrong on purpose */
	struct hv_queue_setup s = { .msix = 0, .queue = r->queue };

	s.sq_gpa = fuzz_aligned(in, ram, HV_RING_ALIGN);
	s.cq_gpa = fuzz_aligned(in, ram, HV_RING_ALIGN);
	s.sq_size = ring_size(in);
	s.cq_size = ring_size(in);
	if (odd & 1) { /* an MSI-X entry: one the function has, past its table, or none */
		s.msix = (uint32_t)fuzz_val(in, 256);
		if (s.msix == 255)
			s.msix = HV_MSIX_NONE;
	}
	if (odd & 2)
		s.queue = fi_u8(in);
	if (odd & 4)
		s.reserved = fi_u8(in);
	if (odd & 8)
		s.features = fuzz_val(in, 64);
	if (odd & 16)
		a[1] = fuzz_val(in, ram);
	if (odd & 32)
		a[0] = fuzz_val(in, 40);
	/* A setup that straddles the end of RAM is written as far as RAM goes. */
	if (a[1] < ram)
		memcpy(fuzz_vm_ram(r->f) + a[1], &s, ram - a[1] < sizeof(s) ? ram - a[1] : sizeof(s));
	fuzz_vm_hypercall(r->f, HV_HC_QUEUE_ATTACH, a);
}

static void detach(struct fuzz_ring *r, struct fuzz_in *in)
{
	uint64_t a[HC_NARGS] = { r->dev, r->queue };
	uint8_t odd = fi_u8(in);

	if (odd & 1)
		a[0] = fuzz_val(in, 40);
	if (odd & 2)
		a[1] = fuzz_val(in, 4);
	fuzz_vm_hypercall(r->f, HV_HC_QUEUE_DETACH, a);
}

/* The guest's view of its rings, while hv holds them. */
static struct hv_ring_ctl *ring_ctl(struct fuzz_ring *r, bool cq)
{
	if (!r->q->sq)
		return NULL;
	return (struct hv_ring_ctl *)(fuzz_vm_ram(r->f) + (cq ? r->q->setup.cq_gpa
							      : r->q->setup.sq_gpa));
}

/* An entry at prod + ahead (the next one, or one further on). */
static void write_entry(struct fuzz_ring *r, struct fuzz_in *in, uint32_t ahead)
{
	struct hv_ring_ctl *sq = ring_ctl(r, false);
	uint64_t buf[PVQ_MAX_ENTRY / 8];
	uint32_t slot;

	if (!sq)
		return;
	slot = (sq->prod + ahead) & (r->q->setup.sq_size - 1);
	memset(buf, 0, sizeof(buf));
	r->entry(r->f, in, buf, r->q->sq_esize);
	memcpy((uint8_t *)sq + HV_RING_ENTRIES_OFF + (uint64_t)slot * r->q->sq_esize, buf,
	       r->q->sq_esize);
}

static void publish(struct fuzz_ring *r, uint32_t n)
{
	struct hv_ring_ctl *sq = ring_ctl(r, false);

	if (sq)
		hv_ring_store_release(&sq->prod, sq->prod + n);
}

static void doorbell(struct fuzz_ring *r)
{
	uint64_t v = 0;

	fuzz_vm_pio(r->f, r->q->port, true, &v, 4);
}

/* Any index word of either ring, the ones hv writes included, set to anything. */
static void scribble(struct fuzz_ring *r, struct fuzz_in *in)
{
	uint8_t which = fi_u8(in);
	struct hv_ring_ctl *c = ring_ctl(r, which & 1);
	uint32_t *word;

	if (!c)
		return;
	word = (which >> 1) % 3 == 0 ? &c->prod : (which >> 1) % 3 == 1 ? &c->cons : &c->event;
	*word = (uint32_t)fuzz_val(in, 1ull << 32) + (which & 0x80 ? *word : 0);
}

/* Consumes completions as a driver does: all of them, and asks for the next interrupt. */
static void consume(struct fuzz_ring *r)
{
	struct hv_ring_ctl *cq = ring_ctl(r, true);

	if (cq) {
		uint32_t prod = hv_ring_load_acquire(&cq->prod);
		hv_ring_store_release(&cq->cons, prod);
		cq->event = prod;
	}
}

void fuzz_ring_step(struct fuzz_ring *r, uint8_t op, struct fuzz_in *in)
{
	switch (op % FUZZ_RING_OPS) {
	case 0:
		attach(r, in);
		break;
	case 1:
		write_entry(r, in, fi_u8(in) % 8);
		break;
	case 2:
		publish(r, 1 + fi_u8(in) % 8);
		break;
	case 3:
		doorbell(r);
		break;
	case 4:
		scribble(r, in);
		break;
	case 5:
		consume(r);
		break;
	case 6:
		detach(r, in);
		break;
	case 7: /* what a driver does most: one entry, published, doorbell, served */
		write_entry(r, in, 0);
		publish(r, 1);
		doorbell(r);
		fuzz_vm_io(r->f);
		break;
	default: /* a burst: several entries, one doorbell */
		for (uint8_t i = 0, n = fi_u8(in) % 8; i < n; i++)
			write_entry(r, in, i);
		publish(r, fi_u8(in) % 9);
		doorbell(r);
		fuzz_vm_io(r->f);
		break;
	}
}
