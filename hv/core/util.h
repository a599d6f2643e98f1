/*
 * What every hv module shares: the error-message convention of functions
 * that take (err, errlen), number parsing for command-line values, and
 * container_of for callbacks that are handed a member of a larger struct.
 */
#ifndef HV_UTIL_H
#define HV_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/*
 * Adds v to a counter one thread writes and others may read while it runs
 * (with __atomic_load_n): a single writer needs no read-modify-write.
 */
static inline void stat_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELEASE);
}
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Room for any one-line reason: one may quote a whole path (PATH_MAX 4096). */
#define ERR_MAX (4096 + 128)

/*
 * Formats a one-line reason into err (no "hv:" prefix, no newline; control
 * characters from quoted input become '?') and returns rc, so an error path
 * is one statement: return err_msg(-EINVAL, ...).
 */
int err_msg(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* CLOCK_MONOTONIC in ns: through the vDSO, no system call (the I/O thread's path uses it). */
uint64_t mono_ns(void);

/*
 * pthread_create for hv's helper threads (I/O, control API, trace writer,
 * gdb stub): the new thread starts with every signal blocked, the caller's
 * mask untouched.  hv's signals (the --timeout alarm, the vCPU kick, a
 * SIGTERM that restores the terminal) belong to the vCPU thread, and a
 * process-directed one must not be handled on a helper.  SIGSYS stays
 * deliverable: sandbox_enter unblocks it.  0 or -errno.
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/*
 * Writes all len bytes to fd, again after a short write or EINTR, at most
 * 1 GiB a call (a snapshot's RAM can be larger than one write takes).
 * 0, or -errno (-EIO if the kernel took nothing).
 */
int write_full(int fd, const void *p, uint64_t len);

/* "64M" -> 67108864; suffixes K, M, G (powers of 1024).  0 or -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *out);

/* "10", "0.5" -> milliseconds; 0 or -EINVAL/-ERANGE. */
int parse_seconds(const char *s, uint64_t *ms);

/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

#endif
