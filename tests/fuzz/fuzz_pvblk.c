/*
 * Fuzz target: the PV block device (hv/pv/pvblk_back.c on hv/pv/pvq.c) through
 * its ring in guest RAM.  The input is a hostile guest's program: attach
 * with any setup, requests of any op, sector, segment count, addresses and
 * lengths, indices moved sanely or wildly, doorbells, detach and re-attach,
 * RAM rewritten under hv's feet; its first byte picks the disk (null or an
 * image file through io_uring, read-write or read-only).  Oracles: ASan and
 * UBSan, the backend checkers (fuzz_vm.h), and after every turn of the I/O
 * thread no request may be left in flight (a disk request always ends).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_blk.h"
#include "fuzz_guest.h"
#include "pv/pvblk_back.h"

#define RAM (256u << 10)
#define SECTORS 128 /* a 64 KiB disk */

static void blk_entry(struct fuzz_vm *f, struct fuzz_in *in, void *entry, uint32_t esize)
{
	struct hv_blk_req *r = entry;
	uint8_t odd = fi_u8(in);
	uint32_t i;

	(void)esize;
	r->id = fi_u8(in);
	r->op = (uint32_t)fuzz_val(in, HV_BLK_OP_WRITE_FUA + 1);
	r->sector = fuzz_val(in, SECTORS);
	r->nr_seg = (uint32_t)fuzz_val(in, HV_BLK_MAX_SEG + 1);
	r->reserved = odd & 1;
	for (i = 0; i < r->nr_seg && i < HV_BLK_MAX_SEG; i++) {
		r->seg[i].gpa = fuzz_aligned(in, fuzz_vm_ram_size(f), HV_BLK_SEG_ALIGN);
		r->seg[i].len = (uint32_t)fuzz_aligned(in, 8 * HV_BLK_SEG_ALIGN, HV_BLK_SEG_ALIGN);
		r->seg[i].reserved = i == 0 && odd & 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const disks[] = { "null:65536", "null:65536,ro", "memfd:65536",
					     "memfd:65536,ro" };
	struct fuzz_in in = { data, size };
	struct fuzz_dev dev = { &pvblk_back_kind, disks[fi_u8(&in) % 4] };
	struct fuzz_vm f;
	struct fuzz_ring r;
	struct pvq *q;

	fuzz_vm_init(&f, RAM, &dev, 1);
	q = fuzz_vm_queue(&f, &pvblk_back_kind, 0, 0);
	r = (struct fuzz_ring){ &f, fuzz_vm_dev_index(&f, &pvblk_back_kind, 0), 0, q, blk_entry };
	while (fi_left(&in)) {
		uint8_t op = fi_u8(&in);

		if (op < 0xe0)
			fuzz_ring_step(&r, op, &in);
		else if (op < 0xf0)
			fuzz_ram_write(&f, &in);
		else
			fuzz_vm_io(&f);
		/* Only a turn of the I/O thread takes requests, and it waits for them all. */
		if (q->inflight) {
			fprintf(stderr, "fuzz: %u requests never completed\n", q->inflight);
			abort();
		}
	}
	fuzz_vm_destroy(&f);
	return 0;
}
