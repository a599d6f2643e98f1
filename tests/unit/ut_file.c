/* Temporary images and file-size limits for the unit tests (see ut_file.h). */
#include "ut_file.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ut_image_make(char path[UT_PATH_MAX], const void *data, size_t bytes)
{
	int fd;

	snprintf(path, UT_PATH_MAX, "/tmp/hv-ut-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, bytes) == (ssize_t)bytes);
	close(fd);
}

bool ut_file_is(const char *path, const void *want, size_t bytes)
{
	uint8_t *buf = malloc(bytes + 1);
	int fd = open(path, O_RDONLY);
	bool ok;

	/* One byte more than expected must not be there. */
	ok = buf && fd >= 0 && pread(fd, buf, bytes + 1, 0) == (ssize_t)bytes &&
	     !memcmp(buf, want, bytes);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

void ut_fsize_limit_set(struct ut_fsize_limit *l, uint64_t bytes)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct rlimit r;

	CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &l->old) == 0);
	CU_ASSERT_FATAL(sigaction(SIGXFSZ, &ign, &l->old_sig) == 0);
	r = (struct rlimit){ .rlim_cur = bytes, .rlim_max = l->old.rlim_max };
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &r) == 0);
}

void ut_fsize_limit_undo(const struct ut_fsize_limit *l)
{
	CU_ASSERT(setrlimit(RLIMIT_FSIZE, &l->old) == 0);
	CU_ASSERT(sigaction(SIGXFSZ, &l->old_sig, NULL) == 0);
}
