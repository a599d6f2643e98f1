/* durwrite: self-checking records, each write flushed, then acknowledged on the console. */
#include "blkdev.h"
#include "blkworkloads.h"
#include "lib.h"
#include "programs.h"
#include "sha256.h"

/*
 * The record in sector k (tests/integration/durability-check.py checks its
 * header and checksum on the image after each simulated power cut):
 *   bytes   0..7    DUR_MAGIC
 *   bytes   8..15   k, little-endian
 *   bytes  16..23   the run's seed
 *   bytes  24..479  xorshift64 output from seed ^ (k+1) * DUR_MIX, little-endian
 *   bytes 480..511  SHA-256 of bytes 0..479
 * A sector is either all zero (never written) or a record that checks out;
 * anything else is corruption.
 */
#define DUR_MAGIC "HVDUR001"
#define DUR_MIX 0x9e3779b97f4a7c15ull
#define DUR_BODY 480
#define DUR_MAX_BATCH 16 /* records per write request: 1..16, chosen at random */

static void put64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void record(uint8_t *p, uint64_t k, uint64_t seed)
{
	uint64_t s = seed ^ (k + 1) * DUR_MIX;
	struct sha256 h;
	unsigned i;

	memcpy(p, DUR_MAGIC, 8);
	put64(p + 8, k);
	put64(p + 16, seed);
	if (!s)
		s = DUR_MIX; /* xorshift's one fixed point */
	for (i = 24; i < DUR_BODY; i += 8)
		put64(p + i, blk_workload_rand(&s));
	sha256_init(&h);
	sha256_update(&h, p, DUR_BODY);
	sha256_final(&h, p + DUR_BODY);
}

/*
 * durwrite DEV SEED: from sector 0 on, batches of 1..16 records, each batch
 * one write request and then a flush; "durwrite: acked N" only once both
 * completed OK, so every record up to N must be on the image whatever
 * happens after that line, a power cut included.  Runs until the device is
 * full (or hv is killed).
 */
int cmd_durwrite(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = program_dev_arg(argc, argv, 1, "durwrite DEV SEED");
	uint64_t seed, rng, k = 0, n, i;
	uint32_t st = HV_BLK_S_OK;
	uint8_t *buf;

	(void)bi;
	if (!d)
		return 2;
	if (argc != 3 || parse_u64(argv[2], &seed)) {
		printf("usage: durwrite DEV SEED\n");
		return 2;
	}
	buf = blkdev_buf_alloc(DUR_MAX_BATCH * HV_BLK_SECTOR);
	if (!buf)
		return 1;
	rng = seed | 1;
	printf("durwrite: %s (%s), %lu sectors, seed %lu\n", d->name, d->path, d->sectors, seed);
	while (k < d->sectors) {
		n = 1 + blk_workload_rand(&rng) % DUR_MAX_BATCH;
		if (n > d->sectors - k)
			n = d->sectors - k;
		for (i = 0; i < n; i++)
			record(buf + i * HV_BLK_SECTOR, k + i, seed);
		st = blkdev_rw(d, HV_BLK_OP_WRITE, k, buf, n * HV_BLK_SECTOR);
		if (st == HV_BLK_S_OK)
			st = blkdev_flush(d);
		if (st != HV_BLK_S_OK)
			break;
		k += n;
		printf("durwrite: acked %lu\n", k - 1);
	}
	blkdev_buf_free(buf, DUR_MAX_BATCH * HV_BLK_SECTOR);
	if (st != HV_BLK_S_OK) {
		printf("durwrite: %s: records from %lu: %s\n", d->name, k, blk_status_name(st));
		return 1;
	}
	printf("durwrite: %s full after %lu records\n", d->name, k);
	return 0;
}
