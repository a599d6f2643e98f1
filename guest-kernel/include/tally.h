/*
 * The hostile programs' bookkeeping (programs/tally.c): one line per check,
 * "PROG: WHAT ok|FAIL (STATUS)", and a count of the failed ones.
 */
#ifndef GK_TALLY_H
#define GK_TALLY_H

#include <stdbool.h>
#include <stdint.h>

struct tally {
	const char *prog; /* starts every line */
	int failures;
};

/* A status check: got must be want; name turns a status into words. */
void tally_status(struct tally *t, const char *what, uint32_t got, uint32_t want,
		  const char *(*name)(uint32_t status));
/* A yes/no check, for what has no status. */
void tally_true(struct tally *t, const char *what, bool ok);

#endif
