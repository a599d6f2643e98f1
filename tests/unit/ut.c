/* Helpers shared by the unit tests (see ut.h). */
#include "ut.h"

#include <CUnit/CUnit.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iothread.h"

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

struct call {
	void (*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	const struct call *c = p;

	c->fn(c->arg);
	return NULL;
}

bool ut_returns_within(void (*fn)(void *), void (*unstick)(void *), void *arg, int seconds)
{
	struct call c = { fn, arg };
	struct timespec ts;
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, trampoline, &c), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	if (pthread_timedjoin_np(t, NULL, &ts) == 0)
		return true;
	unstick(arg);
	pthread_join(t, NULL);
	return false;
}

static void stop(void *it)
{
	iothread_stop(it);
}

/* A thread that missed its stop signal: a second one ends the wait it is stuck in. */
static void stop_again(void *arg)
{
	struct iothread *it = arg;

	eventfd_write(it->stop_fd, 1);
}

void ut_iothread_stop(struct iothread *it)
{
	if (!ut_returns_within(stop, stop_again, it, 5))
		CU_FAIL("iothread_stop did not return within 5 s");
}
