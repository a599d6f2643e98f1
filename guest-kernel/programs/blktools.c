/* blkinfo, sha256, copy and blkwrite: whole-device and one-shot tools over the block layer. */
#include "blkdev.h"
#include "lib.h"
#include "programs.h"
#include "sha256.h"

#define CHUNK (1u << 20) /* bytes per request for whole-device passes */

int cmd_blkinfo(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d;
	char info[96];

	(void)bi, (void)argc, (void)argv;
	if (!blkdev_next(NULL))
		printf("blkinfo: no block devices (hv run --disk IMAGE ...)\n");
	for (d = blkdev_next(NULL); d; d = blkdev_next(d)) {
		d->info(d, info, sizeof(info));
		printf("%-10s %10lu sectors %8lu MiB  sector %u  %s  path %-7s %s\n", d->name,
		       d->sectors, d->sectors * d->sector_size >> 20, d->sector_size,
		       d->ro ? "ro" : "rw", d->path, info);
	}
	return 0;
}

int cmd_sha256(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = program_dev_arg(argc, argv, 1, "sha256 DEV");
	uint64_t bytes, off;
	struct sha256 s;
	uint8_t digest[32];
	char hex[65];
	uint8_t *buf;

	(void)bi;
	if (!d)
		return 2;
	buf = blkdev_buf_alloc(CHUNK);
	if (!buf)
		return 1;
	bytes = d->sectors * HV_BLK_SECTOR;
	sha256_init(&s);
	for (off = 0; off < bytes; off += CHUNK) {
		uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
		uint32_t st = blkdev_rw(d, HV_BLK_OP_READ, off / HV_BLK_SECTOR, buf, n);

		if (st != HV_BLK_S_OK) {
			printf("sha256: %s: read at byte %lu: %s\n", d->name, off, blk_status_name(st));
			blkdev_buf_free(buf, CHUNK);
			return 1;
		}
		sha256_update(&s, buf, n);
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	printf("%s\n", hex);
	blkdev_buf_free(buf, CHUNK);
	return 0;
}

int cmd_copy(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *src = program_dev_arg(argc, argv, 1, "copy SRC DST");
	struct blkdev *dst = src ? program_dev_arg(argc, argv, 2, "copy SRC DST") : NULL;
	uint64_t bytes, off;
	uint32_t st = HV_BLK_S_OK;
	uint8_t *buf;

	(void)bi;
	if (!dst)
		return 2;
	if (src == dst || dst->sectors < src->sectors) {
		printf("copy: %s (%lu sectors) does not fit %s (%lu sectors)\n", src->name,
		       src->sectors, dst->name, dst->sectors);
		return 2;
	}
	buf = blkdev_buf_alloc(CHUNK);
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
	blkdev_buf_free(buf, CHUNK);
	if (st != HV_BLK_S_OK) {
		printf("copy: %s -> %s failed: %s\n", src->name, dst->name, blk_status_name(st));
		return 1;
	}
	printf("copy: %lu bytes %s -> %s, flushed\n", bytes, src->name, dst->name);
	return 0;
}

/* blkwrite DEV SECTOR COUNT BYTE: one synchronous write, status printed. */
int cmd_blkwrite(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = program_dev_arg(argc, argv, 1, "blkwrite DEV SECTOR COUNT BYTE");
	uint64_t sector, count, byte;
	uint32_t st;
	uint8_t *buf;

	(void)bi;
	if (!d)
		return 2;
	if (argc != 5 || parse_u64(argv[2], &sector) || parse_u64(argv[3], &count) ||
	    parse_u64(argv[4], &byte) || !count || count > 2048 || byte > 255) {
		printf("usage: blkwrite DEV SECTOR COUNT(1..2048) BYTE(0..255)\n");
		return 2;
	}
	buf = blkdev_buf_alloc(count * HV_BLK_SECTOR);
	if (!buf)
		return 1;
	memset(buf, (int)byte, count * HV_BLK_SECTOR);
	st = blkdev_rw(d, HV_BLK_OP_WRITE, sector, buf, count * HV_BLK_SECTOR);
	if (st == HV_BLK_S_OK)
		st = blkdev_flush(d);
	blkdev_buf_free(buf, count * HV_BLK_SECTOR);
	printf("blkwrite: %s sectors %lu..%lu: %s\n", d->name, sector, sector + count - 1,
	       blk_status_name(st));
	return st == HV_BLK_S_OK ? 0 : 1;
}
