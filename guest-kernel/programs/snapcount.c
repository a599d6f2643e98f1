/*
 * Guest programs for snapshots.  snapcount: output that depends only on the
 * program's own state, over time: a run cut by a snapshot and finished by a
 * restore must print exactly what an uninterrupted run prints.  snapio: the
 * first reads after a restore against a warm VM's (scripts/bench-snapshot.sh).
 */
#include "blkdev.h"
#include "lib.h"
#include "programs.h"
#include "sha256.h"
#include "tsc.h"

#define SNAPCOUNT_BUF (256 * 1024)

/* In RAM, rewritten every step: a restore that lost a page would show. */
static uint8_t count_buf[SNAPCOUNT_BUF];

/*
 * snapcount [STEPS] [WORK]: STEPS lines (default 40), each the SHA-256 of a
 * chain through buf, which each step rewrites WORK times (default 8).
 */
int cmd_snapcount(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint64_t steps = 40, work = 8, i, j, k;
	uint8_t d[32] = { 0 };
	struct sha256 s;
	char hex[65];

	(void)bi;
	if ((argc > 1 && parse_u64(argv[1], &steps)) || (argc > 2 && parse_u64(argv[2], &work))) {
		printf("usage: snapcount [STEPS] [WORK]\n");
		return 2;
	}
	for (i = 0; i < steps; i++) {
		for (j = 0; j < work; j++) {
			for (k = 0; k < SNAPCOUNT_BUF; k++)
				count_buf[k] = (uint8_t)(count_buf[k] * 31 + d[k & 31] + k);
			sha256_init(&s);
			sha256_update(&s, d, sizeof(d));
			sha256_update(&s, count_buf, sizeof(count_buf));
			sha256_final(&s, d);
		}
		sha256_hex(d, hex);
		printf("snapcount %llu/%llu %s\n", (unsigned long long)(i + 1),
		       (unsigned long long)steps, hex);
	}
	printf("snapcount done\n");
	return 0;
}

/* Sorts n values (insertion: n is 100 or so). */
static void sort_u64(uint64_t *v, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * snapio DEV SECONDS [N]: N 4 KiB reads (default 100) to warm up, then
 * SECONDS of spinning (a snapshot's moment), then the same N reads again,
 * each timed with the TSC: the second pass's first, median and slowest
 * read and their sum.  Uninterrupted, that pass runs on a warm VM; after a
 * restore, on RAM that faults in from the snapshot as it is touched.
 */
int cmd_snapio(const struct hv_boot_info *bi, int argc, char **argv)
{
	enum { BLK = 4096, MAX_N = 1000 };
	struct blkdev *d = program_dev_arg(argc, argv, 1, "snapio DEV SECONDS [N]");
	static uint64_t t[MAX_N];
	uint64_t secs = 0, n = 100, tpu, i, total = 0, end;
	uint8_t *buf;

	(void)bi;
	if (!d)
		return 2;
	if (argc < 3 || parse_u64(argv[2], &secs) || (argc > 3 && parse_u64(argv[3], &n)) ||
	    !n || n > MAX_N || n * BLK > d->sectors * HV_BLK_SECTOR) {
		printf("usage: snapio DEV SECONDS [N] (N 1..%u, within the device)\n", MAX_N);
		return 2;
	}
	buf = blkdev_buf_alloc(BLK);
	tpu = tsc_ticks_per_us();
	if (!buf || !tpu)
		return 1;
	for (i = 0; i < n; i++)
		if (blkdev_rw(d, HV_BLK_OP_READ, i * (BLK / HV_BLK_SECTOR), buf, BLK) != HV_BLK_S_OK)
			return 1;
	printf("snapio: warm-up done, spinning %llu s\n", (unsigned long long)secs);
	end = rdtsc() + secs * 1000000 * tpu;
	while (rdtsc() < end)
		;
	for (i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		if (blkdev_rw(d, HV_BLK_OP_READ, i * (BLK / HV_BLK_SECTOR), buf, BLK) != HV_BLK_S_OK)
			return 1;
		t[i] = (rdtsc() - t0) * 1000 / tpu; /* ns */
		total += t[i];
	}
	printf("snapio: %llu reads: first %llu ns, ", (unsigned long long)n,
	       (unsigned long long)t[0]);
	sort_u64(t, (unsigned)n);
	printf("median %llu ns, max %llu ns, total %llu ns\n", (unsigned long long)t[n / 2],
	       (unsigned long long)t[n - 1], (unsigned long long)total);
	return 0;
}
