/*
 * native-cpubench [--json]: the guest's `cpubench` kernel (cpubench.h, and
 * guest-kernel/sha256.c compiled with the guest's code-generation flags) run
 * natively on the host: the baseline for the CPU-bound overhead ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpubench.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int json = argc > 1 && !strcmp(argv[1], "--json");
	uint8_t *buf = malloc(CPUBENCH_BYTES), digest[32];
	char hex[65];
	uint64_t t0, ns;

	if ((argc > 1 && !json) || argc > 2) {
		fprintf(stderr, "usage: native-cpubench [--json]\n");
		return 2;
	}
	if (!buf) {
		fprintf(stderr, "native-cpubench: out of memory\n");
		return 1;
	}
	cpubench_fill(buf, CPUBENCH_BYTES);
	t0 = now_ns();
	cpubench_run(buf, CPUBENCH_BYTES, CPUBENCH_ROUNDS, digest);
	ns = now_ns() - t0;
	sha256_hex(digest, hex);
	if (json)
		printf("{\"path\": \"native\", \"bytes\": %llu, \"ns\": %llu, \"digest\": \"%s\"}\n",
		       (unsigned long long)CPUBENCH_BYTES * CPUBENCH_ROUNDS, (unsigned long long)ns,
		       hex);
	else
		printf("native-cpubench: %u MiB hashed in %.3f ms (%.1f MB/s), digest %s\n",
		       CPUBENCH_BYTES * CPUBENCH_ROUNDS >> 20, ns / 1e6,
		       (double)CPUBENCH_BYTES * CPUBENCH_ROUNDS * 1e3 / (double)ns, hex);
	free(buf);
	return 0;
}
