/*
 * Fuzz target: the PV NIC (hv/pv/pvnet_back.c on hv/pv/pvq.c) on the loop
 * backend, so every frame sent comes back into the RX buffers.  The input is
 * a hostile guest's program over both queues: RX buffers and TX frames of any
 * address, length and segment count (offload fields included), indices
 * moved sanely or wildly, doorbells, detach and re-attach of either queue,
 * RAM rewritten under hv's feet, and the RX starvation timer fired at will
 * (time passing, without waiting for it).  Oracles: ASan and UBSan, the
 * backend checkers (fuzz_vm.h), and no frame left in flight on TX after a
 * turn of the I/O thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_net.h"
#include "fuzz_guest.h"
#include "pv/pvnet_back.h"

#define RAM (256u << 10)

static const uint64_t frame_lens[] = { HV_NET_MIN_FRAME, 60, 1514, 1515, 13, 512, 9000 };

static void rx_entry(struct fuzz_vm *f, struct fuzz_in *in, void *entry, uint32_t esize)
{
	static const uint64_t lens[] = { 1514, 2048, 1513, HV_NET_MAX_FRAME, HV_NET_MAX_FRAME + 1 };
	struct hv_net_rxb *b = entry;

	(void)esize;
	b->gpa = fuzz_val(in, fuzz_vm_ram_size(f));
	b->len = (uint32_t)fuzz_choose(in, lens, sizeof(lens) / sizeof(lens[0]), 4096);
	b->id = fi_u8(in);
}

static void tx_entry(struct fuzz_vm *f, struct fuzz_in *in, void *entry, uint32_t esize)
{
	struct hv_net_tx *t = entry;
	uint8_t odd = fi_u8(in);
	unsigned i;

	(void)esize;
	t->id = fi_u8(in);
	t->nr_seg = (uint16_t)fuzz_val(in, HV_NET_MAX_SEG + 1);
	t->flags = odd & 1;
	t->csum_start = odd & 2;
	t->csum_offset = odd & 4;
	for (i = 0; i < t->nr_seg && i < HV_NET_MAX_SEG; i++) {
		t->seg[i].gpa = fuzz_val(in, fuzz_vm_ram_size(f));
		t->seg[i].len = (uint32_t)fuzz_choose(in, frame_lens,
						      sizeof(frame_lens) / sizeof(frame_lens[0]), 2048);
		t->seg[i].reserved = i == 0 && odd & 8;
	}
}

/*
 * The grace time for a guest without RX buffers ran out: the timer hv armed
 * ends now (cancelled: hv does not look at why it ended), and its callback
 * has run before the next step.
 */
static void starve(struct fuzz_vm *f, struct pvnet_back *n)
{
	if (!n->grace_timer_armed || ioeng_cancel(&f->vm->io.eng, &n->grace_timer_op))
		return;
	while (n->grace_timer_armed)
		if (ioeng_run(&f->vm->io.eng, 1) < 0)
			abort();
	fuzz_vm_io(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_dev dev = { &pvnet_back_kind, "loop" };
	struct fuzz_in in = { data, size };
	struct fuzz_ring rx, tx;
	struct pvnet_back *n;
	struct fuzz_vm f;
	uint64_t idx;

	fuzz_vm_init(&f, RAM, &dev, 1);
	n = fuzz_vm_dev(&f, &pvnet_back_kind, 0);
	idx = fuzz_vm_dev_index(&f, &pvnet_back_kind, 0);
	rx = (struct fuzz_ring){ &f, idx, HV_NET_Q_RX, &n->rxq, rx_entry };
	tx = (struct fuzz_ring){ &f, idx, HV_NET_Q_TX, &n->txq, tx_entry };
	while (fi_left(&in)) {
		uint8_t op = fi_u8(&in);

		if (op < 0x70)
			fuzz_ring_step(&rx, op, &in);
		else if (op < 0xe0)
			fuzz_ring_step(&tx, op - 0x70, &in);
		else if (op < 0xf0)
			fuzz_ram_write(&f, &in);
		else if (op < 0xf8)
			fuzz_vm_io(&f);
		else
			starve(&f, n);
		/* The loop backend sends at once: a turn leaves no frame in flight. */
		if (n->txq.inflight) {
			fprintf(stderr, "fuzz: %u frames never sent\n", n->txq.inflight);
			abort();
		}
	}
	fuzz_vm_destroy(&f);
	return 0;
}
