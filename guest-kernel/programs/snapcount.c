/*
 * snapcount: output that depends only on the program's own state, over
 * time, for the snapshot tests: a run cut by a snapshot and finished by a
 * restore must print exactly what an uninterrupted run prints.
 */
#include "lib.h"
#include "programs.h"
#include "sha256.h"

#define SNAPCOUNT_BUF (256 * 1024)

/* In RAM, rewritten every step: a restore that lost a page would show. */
static uint8_t buf[SNAPCOUNT_BUF];

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
				buf[k] = (uint8_t)(buf[k] * 31 + d[k & 31] + k);
			sha256_init(&s);
			sha256_update(&s, d, sizeof(d));
			sha256_update(&s, buf, sizeof(buf));
			sha256_final(&s, d);
		}
		sha256_hex(d, hex);
		printf("snapcount %llu/%llu %s\n", (unsigned long long)(i + 1),
		       (unsigned long long)steps, hex);
	}
	printf("snapcount done\n");
	return 0;
}
