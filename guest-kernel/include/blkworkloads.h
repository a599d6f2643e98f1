/*
 * The block benchmark's workloads: one table for the guest's `blkbench` and
 * the host's native-blkbench and loopback-blkbench, so "the same access
 * pattern" is one definition.  Plain C: builds freestanding and hosted.
 */
#ifndef GK_BLKWORKLOADS_H
#define GK_BLKWORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_blk.h"

struct blk_workload {
	const char *name;
	uint32_t bs;     /* bytes per request */
	unsigned qd;     /* requests in flight */
	uint32_t op;     /* HV_BLK_OP_READ or _WRITE */
	bool random;     /* else sequential */
	bool file;       /* meaningful on a file; false: meant for null devices */
};

static const struct blk_workload blk_workloads[] = {
	{ "randread-4k-qd1", 4096, 1, HV_BLK_OP_READ, true, true },
	{ "randread-4k-qd32", 4096, 32, HV_BLK_OP_READ, true, true },
	{ "seqread-128k-qd8", 131072, 8, HV_BLK_OP_READ, false, true },
	{ "randwrite-4k-qd1", 4096, 1, HV_BLK_OP_WRITE, true, true },
	{ "null-4k-qd1", 4096, 1, HV_BLK_OP_READ, true, false },
};

/*
 * Random offsets come from xorshift64 seeded with BLK_WORKLOAD_SEED, uniform
 * over the whole device; sequential ones wrap at its end.
 */
#define BLK_WORKLOADS_N (sizeof(blk_workloads) / sizeof(blk_workloads[0]))
#define BLK_WORKLOADS_DEFAULT 4 /* the first four: the file workloads */
#define BLK_WORKLOAD_SEED 0x9e3779b97f4a7c15ull
#define BLK_WORKLOAD_MAX_QD 32

static inline uint64_t blk_workload_rand(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* The workload called name, or NULL. */
static inline const struct blk_workload *blk_workload_find(const char *name)
{
	size_t i, j;

	for (i = 0; i < BLK_WORKLOADS_N; i++) {
		const char *w = blk_workloads[i].name;
		for (j = 0; w[j] && w[j] == name[j]; j++)
			;
		if (w[j] == name[j])
			return &blk_workloads[i];
	}
	return NULL;
}

#endif
