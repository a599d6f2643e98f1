/*
 * host-durwrite IMAGE SEED [--no-fua]: guest-kernel/programs/durwrite's
 * records, written through hv's real PV disk backend (hypercall handler,
 * I/O thread, io_uring, the image opened as hv opens it) by the guest's
 * real front end on a host thread (tests/lib/pv_host.c), with no VM: hv's
 * kernel has no way to send HV_BLK_OP_WRITE_FUA, this does.  Each batch of
 * 1..16 records is one FUA write and no flush; "durwrite: acked N" once it
 * completed OK, so every record up to N must survive a power cut
 * (tests/integration/durability.sh).  --no-fua sends plain writes instead:
 * the control round, which must lose acknowledged records.  Prints hv's
 * --verbose line for the disk on stderr (the test checks it says O_DIRECT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkworkloads.h"
#include "pv_host.h"
#include "sha256.h"

/* The record format of guest-kernel/programs/durwrite.c (durability-check.py reads it). */
#define DUR_MAGIC "HVDUR001"
#define DUR_MIX 0x9e3779b97f4a7c15ull
#define DUR_BODY 480
#define DUR_MAX_BATCH 16
#define MEM (16ull << 20)

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void record(uint8_t *p, uint64_t k, uint64_t seed)
{
	uint64_t s = seed ^ (k + 1) * DUR_MIX;
	struct sha256 h;

	memcpy(p, DUR_MAGIC, 8);
	put64(p + 8, k);
	put64(p + 16, seed);
	if (!s)
		s = DUR_MIX;
	for (unsigned i = 24; i < DUR_BODY; i += 8)
		put64(p + i, blk_workload_rand(&s));
	sha256_init(&h);
	sha256_update(&h, p, DUR_BODY);
	sha256_final(&h, p + DUR_BODY);
}

int main(int argc, char **argv)
{
	const char *disks[1];
	struct pv_host h;
	struct pvblk_fe fe;
	uint64_t seed, rng, k = 0, n, sectors;
	uint32_t op = HV_BLK_OP_WRITE_FUA, st = HV_BLK_S_OK;
	uint8_t *buf;

	if (argc == 4 && !strcmp(argv[3], "--no-fua"))
		op = HV_BLK_OP_WRITE;
	else if (argc != 3) {
		fprintf(stderr, "usage: host-durwrite IMAGE SEED [--no-fua]\n");
		return 2;
	}
	seed = strtoull(argv[2], NULL, 0);
	disks[0] = argv[1];
	if (pv_host_init(&h, MEM, disks, 1, 0) || pv_host_attach(&h, &fe, 0, 16, 0, 0)) {
		fprintf(stderr, "host-durwrite: %s: cannot set up hv's backend\n", argv[1]);
		return 1;
	}
	pvblk_back_kind.describe(stderr, h.disk[0]);
	fflush(stderr);
	buf = pv_host_alloc(&h, DUR_MAX_BATCH * HV_BLK_SECTOR);
	sectors = h.disk[0]->disk.sectors;
	rng = seed | 1;
	while (buf && k < sectors) {
		n = 1 + blk_workload_rand(&rng) % DUR_MAX_BATCH;
		if (n > sectors - k)
			n = sectors - k;
		for (uint64_t i = 0; i < n; i++)
			record(buf + i * HV_BLK_SECTOR, k + i, seed);
		st = pvblk_fe_rw(&fe, op, k, buf, n * HV_BLK_SECTOR);
		if (st != HV_BLK_S_OK)
			break;
		k += n;
		printf("durwrite: acked %llu\n", (unsigned long long)(k - 1));
		fflush(stdout);
	}
	printf("durwrite: %s after %llu records (%s)\n", st == HV_BLK_S_OK && buf ? "full" : "failed",
	       (unsigned long long)k, op == HV_BLK_OP_WRITE_FUA ? "FUA writes" : "plain writes");
	pv_host_destroy(&h);
	return st == HV_BLK_S_OK && buf ? 0 : 1;
}
