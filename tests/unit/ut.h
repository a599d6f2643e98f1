/*
 * Helpers shared by the unit tests: temporary disk images of known content,
 * checked byte for byte afterwards; a file-size limit that makes the host's
 * own writes come back short or fail (RLIMIT_FSIZE, the real kernel path);
 * and a time limit that turns a hang into a failure.
 */
#ifndef HV_TEST_UT_H
#define HV_TEST_UT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#define UT_PATH_MAX 64

/* Polls cond (state another thread changes) for up to 5 s; its final value. */
#define EVENTUALLY(cond)                                         \
	({                                                       \
		for (int i_ = 0; !(cond) && i_ < 5000; i_++)     \
			usleep(1000);                            \
		(cond);                                          \
	})

/* Creates /tmp/hv-ut-XXXXXX holding bytes of data; its name goes to path. */
void ut_image_make(char path[UT_PATH_MAX], const void *data, size_t bytes);

/* The file is exactly bytes long and holds want. */
bool ut_file_is(const char *path, const void *want, size_t bytes);

/* While set, no file of this process grows past bytes (SIGXFSZ ignored). */
struct ut_fsize_limit {
	struct rlimit old;
	struct sigaction old_sig;
};
void ut_fsize_limit_set(struct ut_fsize_limit *l, uint64_t bytes);
void ut_fsize_limit_undo(const struct ut_fsize_limit *l);

/*
 * Runs fn(arg) on a thread and waits up to seconds for it to return.  If it
 * does not, unstick(arg) must make it return; it is joined either way.
 * False if it had to be unstuck (the caller reports the hang).
 */
bool ut_returns_within(void (*fn)(void *), void (*unstick)(void *), void *arg, int seconds);

struct iothread;
/* iothread_stop() that must return within 5 s: a test failure, not a stuck suite. */
void ut_iothread_stop(struct iothread *it);

#endif
