/*
 * Where a VM's start spends its time, boot or restore (--verbose prints it
 * before the guest runs; scripts/bench-snapshot.sh compares the two):
 * CLOCK_MONOTONIC marks with names, one line of milliseconds between them.
 */
#ifndef HV_PHASES_H
#define HV_PHASES_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PHASES_MAX 8

struct phases {
	unsigned n;
	const char *name[PHASES_MAX]; /* name[i]: what ran from mark i - 1 to mark i */
	uint64_t ns[PHASES_MAX];
};

static inline void phase_mark(struct phases *p, const char *name)
{
	struct timespec t;

	if (p->n == PHASES_MAX)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	p->name[p->n] = name;
	p->ns[p->n++] = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* "hv: <what> phases (ms): a 1.234, b 0.100; total 1.334" */
static inline void phases_print(FILE *f, const struct phases *p, const char *what)
{
	unsigned i;

	if (p->n < 2)
		return;
	fprintf(f, "hv: %s phases (ms):", what);
	for (i = 1; i < p->n; i++)
		fprintf(f, "%s %s %.3f", i > 1 ? "," : "", p->name[i],
			(double)(p->ns[i] - p->ns[i - 1]) / 1e6);
	fprintf(f, "; total %.3f\n", (double)(p->ns[p->n - 1] - p->ns[0]) / 1e6);
}

#endif
