/* blkops: a short script of reads, writes and flushes on one disk, each status printed. */
#include "blkdev.h"
#include "lib.h"
#include "programs.h"
#include "sha256.h"

#define OPS_MAX_SECTORS 2048 /* per step: one 1 MiB buffer */

/* Splits "a:b:c" into up to max numbers; how many, or -1 if one is no number. */
static int fields(const char *s, uint64_t *v, int max)
{
	char tok[24];
	int n = 0;

	while (n < max) {
		unsigned len = 0;

		while (*s && *s != ':' && len < sizeof(tok) - 1)
			tok[len++] = *s++;
		tok[len] = '\0';
		if (parse_u64(tok, &v[n++]))
			return -1;
		if (*s != ':')
			return *s ? -1 : n;
		s++;
	}
	return -1;
}

/*
 * blkops DEV STEP...: runs the steps in order, whatever their statuses, and
 * prints one line per step:
 *   w:SECTOR:COUNT:BYTE   write COUNT sectors of BYTE ("blkops: w ...: STATUS")
 *   r:SECTOR:COUNT        read them, with the SHA-256 of what came back
 *   f                     flush
 * so a test can make hv fail a request (a full file system under the image)
 * and see the guest get the status, and the device serve the next one.
 * Ends with "blkops: N steps: N ok, N failed".  Exit status: 0 once every
 * step has run (the statuses are the result).
 */
int cmd_blkops(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = program_dev_arg(argc, argv, 1, "blkops DEV STEP...");
	uint8_t *buf, digest[32];
	char hex[65], info[160];
	int i, failed = 0;

	(void)bi;
	if (!d)
		return 2;
	buf = blkdev_buf_alloc(OPS_MAX_SECTORS * HV_BLK_SECTOR);
	if (!buf)
		return 1;
	for (i = 2; i < argc; i++) {
		const char *s = argv[i];
		uint64_t v[3] = { 0, 0, 0 };
		int n = s[0] && s[1] == ':' ? fields(s + 2, v, 3) : -1;
		uint32_t st = HV_BLK_S_OK;

		if (!strcmp(s, "f")) {
			st = blkdev_flush(d);
			printf("blkops: f: %s\n", blk_status_name(st));
		} else if (s[0] == 'w' && n == 3 && v[1] && v[1] <= OPS_MAX_SECTORS && v[2] < 256) {
			memset(buf, (int)v[2], v[1] * HV_BLK_SECTOR);
			st = blkdev_rw(d, HV_BLK_OP_WRITE, v[0], buf, v[1] * HV_BLK_SECTOR);
			printf("blkops: w %lu %lu %lu: %s\n", v[0], v[1], v[2], blk_status_name(st));
		} else if (s[0] == 'r' && n == 2 && v[1] && v[1] <= OPS_MAX_SECTORS) {
			struct sha256 h;

			memset(buf, 0, v[1] * HV_BLK_SECTOR);
			st = blkdev_rw(d, HV_BLK_OP_READ, v[0], buf, v[1] * HV_BLK_SECTOR);
			sha256_init(&h);
			sha256_update(&h, buf, v[1] * HV_BLK_SECTOR);
			sha256_final(&h, digest);
			sha256_hex(digest, hex);
			printf("blkops: r %lu %lu: %s %s\n", v[0], v[1], blk_status_name(st),
			       st == HV_BLK_S_OK ? hex : "-");
		} else {
			printf("blkops: bad step '%s' (w:SECTOR:COUNT:BYTE, r:SECTOR:COUNT, f; "
			       "COUNT 1..%u)\n", s, OPS_MAX_SECTORS);
			blkdev_buf_free(buf, OPS_MAX_SECTORS * HV_BLK_SECTOR);
			return 2;
		}
		failed += st != HV_BLK_S_OK;
	}
	blkdev_buf_free(buf, OPS_MAX_SECTORS * HV_BLK_SECTOR);
	d->info(d, info, sizeof(info)); /* the driver's counters: interrupts, recoveries */
	printf("blkops: %s: %s\n", d->name, info);
	printf("blkops: %d steps: %d ok, %d failed\n", argc - 2, argc - 2 - failed, failed);
	return 0;
}
