/*
 * Promises the fuzz targets check beyond the sanitizers' own: what every
 * function that reports with err_msg() (hv/core/util.h) owes its caller.
 */
#ifndef HV_FUZZ_CHECK_H
#define HV_FUZZ_CHECK_H

#include <stdbool.h>

/* A reason hv prints on one line of stderr: not empty, no control characters. */
static inline bool fuzz_one_line(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

#endif
