/*
 * Fuzz target: gm_range() (hv/kvm/guest_mem.c), the one checked way from a
 * guest-physical range to a host pointer, on RAM of any size in both of its
 * layouts: one block from 0, and the PC layout with the hole [3 GiB, 4 GiB)
 * (Linux guests over 3 GiB), whose upper block starts at 4 GiB.  Oracle: a
 * model written from the layout alone.  A range is granted only when it lies
 * inside one block (never in the hole, never wrapping, len 0 at most at a
 * block's end), and then at that block's host offset.  Nothing is mapped:
 * the pointers are compared, never dereferenced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/guest_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static __attribute__((noreturn)) void fail(const char *what, const struct guest_mem *gm,
					   uint64_t gpa, uint64_t len)
{
	fprintf(stderr, "fuzz: gm_range: %s (RAM %llu bytes, %llu low; gpa %#llx len %#llx)\n",
		what, (unsigned long long)gm->size, (unsigned long long)gm->low,
		(unsigned long long)gpa, (unsigned long long)len);
	abort();
}

/* The model: the host offset of [gpa, gpa + len) if one block holds it all, else -1. */
static int64_t model(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct { uint64_t gpa, len, off; } blk[2] = {
		{ 0, gm->low, 0 },
		{ GM_HIGH_BASE, gm->size - gm->low, gm->low },
	};
	unsigned i, n = gm->low == gm->size ? 1 : 2;

	for (i = 0; i < n; i++) {
		if (gpa < blk[i].gpa || gpa - blk[i].gpa > blk[i].len)
			continue;
		if (len > blk[i].len - (gpa - blk[i].gpa))
			return -1;
		return (int64_t)(blk[i].off + (gpa - blk[i].gpa));
	}
	return -1;
}

static uint64_t take64(const uint8_t **p, size_t *left)
{
	uint64_t v = 0;
	size_t n = *left < 8 ? *left : 8;

	memcpy(&v, *p, n);
	*p += n;
	*left -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Never dereferenced: any address serves as the mapping's base. */
	static uint8_t base[1];
	struct guest_mem gm = { .host = base };
	uint64_t ram;

	if (size < 9)
		return 0;
	/* RAM of 2 MiB .. 64 GiB in 2 MiB steps, as --mem allows. */
	ram = ((take64(&data, &size) % (32 * 1024)) + 1) << 21;
	gm.size = ram;
	/* The PC layout only where hv uses it: more RAM than fits below the hole. */
	gm.low = (*data++ & 1) && ram > GM_HOLE_START ? GM_HOLE_START : ram;
	size--;
	while (size >= 16) {
		uint64_t gpa = take64(&data, &size), len = take64(&data, &size);
		uint8_t *p = gm_range(&gm, gpa, len);
		int64_t want = model(&gm, gpa, len);

		if (want < 0 && p)
			fail("a range outside RAM granted", &gm, gpa, len);
		if (want >= 0 && (!p || (uintptr_t)p - (uintptr_t)base != (uint64_t)want))
			fail(p ? "a range at the wrong host address" : "a range inside RAM refused",
			     &gm, gpa, len);
		/* Said again without the model: nothing granted touches the hole. */
		if (p && len && gm.low != gm.size && gpa < GM_HIGH_BASE && gpa + len > GM_HOLE_START)
			fail("a range in the PC hole granted", &gm, gpa, len);
	}
	return 0;
}
