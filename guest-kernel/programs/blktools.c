/*
 * Guest programs over the block layer: blkinfo, sha256, copy, and blkverify
 * (depth-32 mixed reads and writes checked against a copy in RAM).
 */
#include "blkdev.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "sha256.h"

#define CHUNK (1u << 20) /* bytes per request for whole-device passes */

static void *alloc_buf(uint64_t bytes)
{
	return (void *)(uintptr_t)pmm_alloc_contig(PAGES_FOR(bytes));
}

static void free_buf(void *p, uint64_t bytes)
{
	pmm_free_contig((uint64_t)(uintptr_t)p, PAGES_FOR(bytes));
}

/* The device named by argv[i], or a message and NULL. */
static struct blkdev *arg_dev(int argc, char **argv, int i, const char *usage)
{
	struct blkdev *d;

	if (argc <= i) {
		printf("usage: %s\n", usage);
		return NULL;
	}
	d = blkdev_find(argv[i]);
	if (!d)
		printf("%s: no device '%s' (see blkinfo)\n", argv[0], argv[i]);
	return d;
}

int cmd_blkinfo(int argc, char **argv)
{
	unsigned i;
	char info[96];

	(void)argc, (void)argv;
	if (!blkdev_count())
		printf("blkinfo: no block devices (hv run --disk IMAGE ...)\n");
	for (i = 0; i < blkdev_count(); i++) {
		struct blkdev *d = blkdev_at(i);
		d->ops->info(d, info, sizeof(info));
		printf("%-10s %10lu sectors %8lu MiB  sector %u  %s  path %-7s %s\n", d->name,
		       d->sectors, d->sectors * d->sector_size >> 20, d->sector_size,
		       d->ro ? "ro" : "rw", d->path, info);
	}
	return 0;
}

int cmd_sha256(int argc, char **argv)
{
	struct blkdev *d = arg_dev(argc, argv, 1, "sha256 DEV");
	uint64_t bytes, off;
	struct sha256 s;
	uint8_t digest[32];
	char hex[65];
	uint8_t *buf;

	if (!d)
		return 2;
	buf = alloc_buf(CHUNK);
	if (!buf)
		return 1;
	bytes = d->sectors * HV_BLK_SECTOR;
	sha256_init(&s);
	for (off = 0; off < bytes; off += CHUNK) {
		uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
		uint32_t st = blkdev_rw(d, HV_BLK_OP_READ, off / HV_BLK_SECTOR, buf, n);

		if (st != HV_BLK_S_OK) {
			printf("sha256: %s: read at byte %lu: %s\n", d->name, off, blk_status_name(st));
			free_buf(buf, CHUNK);
			return 1;
		}
		sha256_update(&s, buf, n);
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	printf("%s\n", hex);
	free_buf(buf, CHUNK);
	return 0;
}

int cmd_copy(int argc, char **argv)
{
	struct blkdev *src = arg_dev(argc, argv, 1, "copy SRC DST");
	struct blkdev *dst = src ? arg_dev(argc, argv, 2, "copy SRC DST") : NULL;
	uint64_t bytes, off;
	uint32_t st = HV_BLK_S_OK;
	uint8_t *buf;

	if (!dst)
		return 2;
	if (src == dst || dst->sectors < src->sectors) {
		printf("copy: %s (%lu sectors) does not fit %s (%lu sectors)\n", src->name,
		       src->sectors, dst->name, dst->sectors);
		return 2;
	}
	buf = alloc_buf(CHUNK);
	if (!buf)
		return 1;
	bytes = src->sectors * HV_BLK_SECTOR;
	for (off = 0; off < bytes && st == HV_BLK_S_OK; off += CHUNK) {
		uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;

		st = blkdev_rw(src, HV_BLK_OP_READ, off / HV_BLK_SECTOR, buf, n);
		if (st == HV_BLK_S_OK)
			st = blkdev_rw(dst, HV_BLK_OP_WRITE, off / HV_BLK_SECTOR, buf, n);
	}
	if (st == HV_BLK_S_OK)
		st = blkdev_flush(dst);
	free_buf(buf, CHUNK);
	if (st != HV_BLK_S_OK) {
		printf("copy: %s -> %s failed: %s\n", src->name, dst->name, blk_status_name(st));
		return 1;
	}
	printf("copy: %lu bytes %s -> %s, flushed\n", bytes, src->name, dst->name);
	return 0;
}

/* blkwrite DEV SECTOR COUNT BYTE: one synchronous write, status printed. */
int cmd_blkwrite(int argc, char **argv)
{
	struct blkdev *d = arg_dev(argc, argv, 1, "blkwrite DEV SECTOR COUNT BYTE");
	uint64_t sector, count, byte;
	uint32_t st;
	uint8_t *buf;

	if (!d)
		return 2;
	if (argc != 5 || parse_u64(argv[2], &sector) || parse_u64(argv[3], &count) ||
	    parse_u64(argv[4], &byte) || !count || count > 2048 || byte > 255) {
		printf("usage: blkwrite DEV SECTOR COUNT(1..2048) BYTE(0..255)\n");
		return 2;
	}
	buf = alloc_buf(count * HV_BLK_SECTOR);
	if (!buf)
		return 1;
	memset(buf, (int)byte, count * HV_BLK_SECTOR);
	st = blkdev_rw(d, HV_BLK_OP_WRITE, sector, buf, count * HV_BLK_SECTOR);
	if (st == HV_BLK_S_OK)
		st = blkdev_flush(d);
	free_buf(buf, count * HV_BLK_SECTOR);
	printf("blkwrite: %s sectors %lu..%lu: %s\n", d->name, sector, sector + count - 1,
	       blk_status_name(st));
	return st == HV_BLK_S_OK ? 0 : 1;
}

/*
 * blkverify DEV [ROUNDS]: reads the device into RAM, then runs rounds of
 * max_depth concurrent 4 KiB requests on distinct random blocks, half
 * writes of fresh data, half reads checked byte for byte against the copy;
 * prints the SHA-256 of the copy, which must equal the image's afterwards.
 */
struct vio {
	uint8_t *buf;
	uint64_t blk;
	int write;
	volatile int done;
	uint32_t status;
};

static volatile int vdone, vall;
static int vtarget;

static void vio_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct vio *v = arg;

	(void)bytes;
	v->status = status;
	v->done = 1;
	if (++vdone >= vtarget)
		vall = 1;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

int cmd_blkverify(int argc, char **argv)
{
	enum { BLK = 4096, QD_MAX = 64 };
	struct blkdev *d = arg_dev(argc, argv, 1, "blkverify DEV [ROUNDS]");
	uint64_t rounds = 50, bytes, nblk, seed = 0x1234567, r, bad = 0, ios = 0;
	static struct vio v[QD_MAX];
	unsigned qd, i, j;
	uint8_t *shadow, *used, digest[32];
	struct sha256 s;
	char hex[65];

	if (!d)
		return 2;
	if (argc > 2 && parse_u64(argv[2], &rounds))
		return 2;
	bytes = d->sectors * HV_BLK_SECTOR;
	nblk = bytes / BLK;
	qd = d->max_depth < 32 ? d->max_depth : 32;
	shadow = alloc_buf(bytes);
	used = alloc_buf(nblk);
	if (!shadow || !used || nblk < 2 * qd) {
		printf("blkverify: %s: needs a device of at least %u KiB and RAM for a copy\n",
		       d->name, 2 * qd * BLK / 1024);
		return 1;
	}
	if (blkdev_rw(d, HV_BLK_OP_READ, 0, shadow, bytes) != HV_BLK_S_OK) {
		printf("blkverify: %s: initial read failed\n", d->name);
		return 1;
	}
	for (i = 0; i < qd; i++)
		if (!(v[i].buf = alloc_buf(BLK))) {
			printf("blkverify: out of memory\n");
			return 1;
		}
	for (r = 0; r < rounds; r++) {
		memset(used, 0, nblk);
		vdone = vall = 0;
		vtarget = (int)qd;
		for (i = 0; i < qd; i++) {
			do
				v[i].blk = xorshift(&seed) % nblk;
			while (used[v[i].blk]);
			used[v[i].blk] = 1;
			v[i].write = d->ro ? 0 : (int)(xorshift(&seed) & 1);
			v[i].done = 0;
			if (v[i].write) {
				for (j = 0; j < BLK; j += 8)
					*(uint64_t *)(v[i].buf + j) = xorshift(&seed);
				memcpy(shadow + v[i].blk * BLK, v[i].buf, BLK);
			}
			while (d->ops->submit(d, v[i].write ? HV_BLK_OP_WRITE : HV_BLK_OP_READ,
					      v[i].blk * (BLK / HV_BLK_SECTOR), v[i].buf, BLK,
					      vio_done, &v[i])) {
				d->ops->kick(d);
				d->ops->wait(d, &vdone);
			}
		}
		d->ops->kick(d);
		while (!vall)
			d->ops->wait(d, &vall);
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

/*
 * blkreattach PVDEV [N]: N times (default 8) lets go of the queue and
 * attaches fresh rings (HV_HC_QUEUE_DETACH, then _ATTACH), printing each
 * result, then reads the first 4 KiB to show the device works.  An attach
 * that fails (hv could not wire it into KVM) must leave nothing behind, so
 * the next one succeeds.
 */
int cmd_blkreattach(int argc, char **argv)
{
	struct blkdev *d = arg_dev(argc, argv, 1, "blkreattach PVDEV [N]");
	uint64_t n = 8, i, failed = 0;
	uint32_t st;
	void *buf;

	if (!d)
		return 2;
	if (argc > 3 || (argc == 3 && (parse_u64(argv[2], &n) || !n || n > 1000))) {
		printf("usage: blkreattach PVDEV [N (1..1000)]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		int rc = pvblk_reset(d);
		failed += rc != 0;
		printf("blkreattach: %s attach %lu: %s (%d)\n", d->name, i + 1,
		       rc ? "failed" : "ok", rc);
	}
	buf = alloc_buf(4096);
	if (!buf)
		return 1;
	st = blkdev_rw(d, HV_BLK_OP_READ, 0, buf, 4096);
	free_buf(buf, 4096);
	printf("blkreattach: %s: %lu of %lu attaches failed; then a 4 KiB read: %s\n", d->name,
	       failed, n, blk_status_name(st));
	return st == HV_BLK_S_OK ? 0 : 1;
}
