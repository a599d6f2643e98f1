/* blkreattach: a PV disk's queue detached and attached again, then a read. */
#include "blkdev.h"
#include "lib.h"
#include "programs.h"
#include "pvblk_glue.h"

/*
 * blkreattach PVDEV [N]: N times (default 8) lets go of the queue and
 * attaches fresh rings (HV_HC_QUEUE_DETACH, then _ATTACH), printing each
 * result, then reads the first 4 KiB to show the device works.  An attach
 * that fails (hv could not wire it into KVM) must leave nothing behind, so
 * the next one succeeds.
 */
int cmd_blkreattach(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = program_dev_arg(argc, argv, 1, "blkreattach PVDEV [N]");
	uint64_t n = 8, i, failed = 0;
	uint32_t st;
	void *buf;

	(void)bi;
	if (!d)
		return 2;
	if (argc > 3 || (argc == 3 && (parse_u64(argv[2], &n) || !n || n > 1000))) {
		printf("usage: blkreattach PVDEV [N (1..1000)]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		int rc = pvblk_glue_reattach(d);
		failed += rc != 0;
		printf("blkreattach: %s attach %lu: %s (%d)\n", d->name, i + 1,
		       rc ? "failed" : "ok", rc);
	}
	buf = blkdev_buf_alloc(4096);
	if (!buf)
		return 1;
	st = blkdev_rw(d, HV_BLK_OP_READ, 0, buf, 4096);
	blkdev_buf_free(buf, 4096);
	printf("blkreattach: %s: %lu of %lu attaches failed; then a 4 KiB read: %s\n", d->name,
	       failed, n, blk_status_name(st));
	return st == HV_BLK_S_OK ? 0 : 1;
}
