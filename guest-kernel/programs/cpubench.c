/* cpubench [--json]: the CPU-bound kernel of cpubench.h, timed with the TSC. */
#include "cpubench.h"

#include "lib.h"
#include "mm.h"
#include "programs.h"
#include "tsc.h"

int cmd_cpubench(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint64_t pages = PAGES_FOR(CPUBENCH_BYTES), t0, ns, per_us;
	uint8_t *buf = (uint8_t *)(uintptr_t)pmm_alloc_contig(pages), digest[32];
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	char hex[65];

	(void)bi;
	if (!buf) {
		printf("cpubench: needs %u MiB of free RAM\n", CPUBENCH_BYTES >> 20);
		return 1;
	}
	per_us = tsc_ticks_per_us();
	cpubench_fill(buf, CPUBENCH_BYTES);
	t0 = clock_ticks();
	cpubench_run(buf, CPUBENCH_BYTES, CPUBENCH_ROUNDS, digest);
	ns = tsc_to_ns(clock_ticks() - t0, per_us);
	sha256_hex(digest, hex);
	if (json)
		printf("cpubench-json: {\"path\": \"guest\", \"bytes\": %u, \"ns\": %lu, \"digest\": \"%s\"}\n",
		       CPUBENCH_BYTES * CPUBENCH_ROUNDS, ns, hex);
	else
		printf("cpubench: %u MiB hashed in %lu us, digest %s\n",
		       CPUBENCH_BYTES * CPUBENCH_ROUNDS >> 20, ns / 1000, hex);
	pmm_free_contig((uint64_t)(uintptr_t)buf, pages);
	return 0;
}
