/*
 * SHA-256 (FIPS 180-4).  Plain C with no dependencies, so the same source
 * builds into the guest and into host tools (the CPU-bound benchmark).
 */
#ifndef GK_SHA256_H
#define GK_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;   /* bytes hashed */
	uint8_t buf[64];
	unsigned used;  /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
