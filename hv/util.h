/*
 * What every hv module shares: the error-message convention of functions
 * that take (err, errlen), and container_of for callbacks that are handed a
 * member of a larger struct.
 */
#ifndef HV_UTIL_H
#define HV_UTIL_H

#include <stddef.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Formats a one-line reason into err (no "hv:" prefix, no newline) and
 * returns rc, so an error path is one statement: return err_msg(-EINVAL, ...).
 */
int err_msg(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
