/*
 * The CPU-bound benchmark kernel (SHA-256 over a buffer, several rounds), in
 * the guest's `cpubench` and the host's native-cpubench from this one source
 * and the same sha256.c: their ratio is the cost of running inside the VM.
 */
#ifndef GK_CPUBENCH_H
#define GK_CPUBENCH_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define CPUBENCH_BYTES (8u << 20)
#define CPUBENCH_ROUNDS 8u

/* Deterministic contents, so both sides hash the same bytes. */
static inline void cpubench_fill(uint8_t *buf, size_t n)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

/* Hashes buf rounds times, chaining each digest into the next round. */
static inline void cpubench_run(const uint8_t *buf, size_t n, unsigned rounds, uint8_t out[32])
{
	struct sha256 s;
	unsigned r;

	for (r = 0; r < rounds; r++) {
		sha256_init(&s);
		if (r)
			sha256_update(&s, out, 32);
		sha256_update(&s, buf, n);
		sha256_final(&s, out);
	}
}

#endif
