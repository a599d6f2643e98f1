/*
 * Files for the unit tests: temporary disk images of known content, checked
 * byte for byte afterwards, and a file-size limit that makes the host's own
 * writes come back short or fail (RLIMIT_FSIZE, the real kernel path).
 */
#ifndef HV_TEST_UT_FILE_H
#define HV_TEST_UT_FILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#define UT_PATH_MAX 64

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

#endif
