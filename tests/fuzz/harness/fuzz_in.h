/*
 * Reading a fuzz input as a program: the targets take numbers from the front
 * of the input, one at a time, and an exhausted input reads as zeros, so any
 * byte string is a valid program.  fuzz_val() steers most values towards the
 * edges a bound has (inside, at the end, just past it, near 2^64), where
 * validation bugs live, while still letting any 64-bit value through.
 */
#ifndef HV_FUZZ_IN_H
#define HV_FUZZ_IN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline size_t fi_left(const struct fuzz_in *in)
{
	return in->n;
}

/* Up to len bytes into dst (little-endian numbers), zero-filled past the end. */
static inline void fi_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	in->p += k;
	in->n -= k;
}

static inline uint64_t fi_uint(struct fuzz_in *in, size_t bytes)
{
	uint64_t v = 0;

	fi_bytes(in, &v, bytes);
	return v;
}

static inline uint8_t fi_u8(struct fuzz_in *in)
{
	return (uint8_t)fi_uint(in, 1);
}

static inline uint32_t fi_u32(struct fuzz_in *in)
{
	return (uint32_t)fi_uint(in, 4);
}

static inline uint64_t fi_u64(struct fuzz_in *in)
{
	return fi_uint(in, 8);
}

/*
 * A value judged against bound: one tag byte picks inside [0, bound) (most
 * often), its last values, just past it, a power of two, near 2^64, or any
 * 64-bit value.  bound 0 is taken as 2^64 for "inside".
 */
static inline uint64_t fuzz_val(struct fuzz_in *in, uint64_t bound)
{
	uint8_t t = fi_u8(in);
	uint64_t small = t >> 3;

	switch (t & 7) {
	case 0:
		return small;
	case 1:
	case 2:
		return bound ? fi_u32(in) % bound : fi_u32(in);
	case 3:
		return bound - 1 - small;
	case 4:
		return bound + small;
	case 5:
		return 1ull << (small + (fi_u8(in) & 32)); /* 2^0 .. 2^63 */
	case 6:
		return UINT64_MAX - small;
	default:
		return fi_u64(in);
	}
}

/* Like fuzz_val, rounded down to a multiple of align (a power of two) unless the tag says not. */
static inline uint64_t fuzz_aligned(struct fuzz_in *in, uint64_t bound, uint64_t align)
{
	uint8_t keep = fi_u8(in);
	uint64_t v = fuzz_val(in, bound);

	return keep == 0xff ? v : v & ~(align - 1);
}

/* One of the n values in v (odd tag byte), or else fuzz_val(bound). */
static inline uint64_t fuzz_choose(struct fuzz_in *in, const uint64_t *v, size_t n, uint64_t bound)
{
	uint8_t t = fi_u8(in);

	return t & 1 ? v[(t >> 1) % n] : fuzz_val(in, bound);
}

#endif
