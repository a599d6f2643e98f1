/* blkverify: concurrent reads and writes on one disk, checked against a copy in RAM. */
#include "blkdev.h"
#include "lib.h"
#include "programs.h"
#include "sha256.h"

/* One round's requests: the last completion sets all. */
struct vround {
	volatile int done; /* completions so far: also "some progress" for wait */
	volatile int all;
	int target;
};

struct vio {
	struct vround *round;
	uint8_t *buf;
	uint64_t blk;
	int write;
	uint32_t status;
};

static void vio_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct vio *v = arg;

	/* A success that moved other bytes than the 4 KiB asked is an error too. */
	v->status = status == HV_BLK_S_OK && bytes != 4096 ? HV_BLK_S_IOERR : status;
	if (++v->round->done >= v->round->target)
		v->round->all = 1;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/*
 * blkverify DEV [ROUNDS]: reads the device into RAM, then runs rounds of
 * max_depth concurrent 4 KiB requests on distinct random blocks, half
 * writes of fresh data, half reads checked byte for byte against the copy;
 * prints the SHA-256 of the copy, which must equal the image's afterwards.
 */
int cmd_blkverify(const struct hv_boot_info *bi, int argc, char **argv)
{
	enum { BLK = 4096, QD_MAX = 32 };
	struct blkdev *d = program_dev_arg(argc, argv, 1, "blkverify DEV [ROUNDS]");
	uint64_t rounds = 50, bytes, nblk, seed = 0x1234567, r, bad = 0, ios = 0;
	struct vio v[QD_MAX];
	struct vround round;
	unsigned qd, i, j;
	uint8_t *shadow, *used, digest[32];
	struct sha256 s;
	char hex[65];

	(void)bi;
	if (!d)
		return 2;
	if (argc > 2 && parse_u64(argv[2], &rounds))
		return 2;
	bytes = d->sectors * HV_BLK_SECTOR;
	nblk = bytes / BLK;
	qd = d->max_depth < QD_MAX ? d->max_depth : QD_MAX;
	shadow = blkdev_buf_alloc(bytes);
	used = blkdev_buf_alloc(nblk);
	if (!shadow || !used || nblk < 2 * qd) {
		printf("blkverify: %s: needs a device of at least %u KiB and RAM for a copy\n",
		       d->name, 2 * qd * BLK / 1024);
		return 1;
	}
	if (blkdev_rw(d, HV_BLK_OP_READ, 0, shadow, bytes) != HV_BLK_S_OK) {
		printf("blkverify: %s: initial read failed\n", d->name);
		return 1;
	}
	/* For a test that must pause the VM mid-rounds: from here requests are in flight. */
	printf("blkverify: %s: %lu KiB copied, rounds of %u begin\n", d->name, bytes / 1024, qd);
	for (i = 0; i < qd; i++) {
		v[i].round = &round;
		if (!(v[i].buf = blkdev_buf_alloc(BLK))) {
			printf("blkverify: out of memory\n");
			return 1;
		}
	}
	for (r = 0; r < rounds; r++) {
		memset(used, 0, nblk);
		round = (struct vround){ 0, 0, (int)qd };
		for (i = 0; i < qd; i++) {
			do
				v[i].blk = xorshift(&seed) % nblk;
			while (used[v[i].blk]);
			used[v[i].blk] = 1;
			v[i].write = d->ro ? 0 : (int)(xorshift(&seed) & 1);
			if (v[i].write) {
				for (j = 0; j < BLK; j += 8)
					*(uint64_t *)(v[i].buf + j) = xorshift(&seed);
				memcpy(shadow + v[i].blk * BLK, v[i].buf, BLK);
			}
			while (blkdev_submit(d, v[i].write ? HV_BLK_OP_WRITE : HV_BLK_OP_READ,
					   v[i].blk * (BLK / HV_BLK_SECTOR), v[i].buf, BLK,
					   vio_done, &v[i])) {
				blkdev_kick(d);
				blkdev_wait(d, &round.done);
			}
		}
		blkdev_kick(d);
		while (!round.all)
			blkdev_wait(d, &round.all);
		for (i = 0; i < qd; i++) {
			bad += v[i].status != HV_BLK_S_OK;
			if (!v[i].write && memcmp(v[i].buf, shadow + v[i].blk * BLK, BLK))
				bad++;
		}
		ios += qd;
	}
	if (!d->ro && blkdev_flush(d) != HV_BLK_S_OK)
		bad++;
	sha256_init(&s);
	sha256_update(&s, shadow, bytes);
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	printf("blkverify: %s: %lu requests at depth %u, %lu mismatches or errors\n", d->name, ios,
	       qd, bad);
	printf("blkverify-sha256: %s\n", hex);
	return bad ? 1 : 0;
}
