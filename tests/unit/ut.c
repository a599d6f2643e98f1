/* Helpers shared by the unit tests (see ut.h). */
#include "ut.h"

#include <CUnit/CUnit.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/io_bus.h"
#include "io/iothread.h"
#include "core/vm.h"

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

static struct vm *vm_with(uint64_t mem, const struct device_kind *kind, const char *arg,
			  bool api)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	char err[256];

	CU_ASSERT_FATAL(vm && gm_init(&vm->mem, mem) == 0);
	CU_ASSERT_FATAL(vm_init_devices(vm, 1) == 0);
	vm->keep_latency = api;
	CU_ASSERT_FATAL(vm_create_device(vm, kind, 0, arg, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(vm_start_io(vm) == 0);
	return vm;
}

struct vm *ut_vm_with(uint64_t mem, const struct device_kind *kind, const char *arg)
{
	return vm_with(mem, kind, arg, false);
}

struct vm *ut_vm_with_api(uint64_t mem, const struct device_kind *kind, const char *arg)
{
	return vm_with(mem, kind, arg, true);
}

void ut_vm_free(struct vm *vm)
{
	vm_destroy_devices(vm);
	gm_destroy(&vm->mem);
	free(vm);
}

static uint32_t trap_rd(const struct ut_trap_cmd *c, uint64_t off)
{
	uint64_t v = 0;

	io_bus_access(c->mmio, c->base + off, false, &v, 4);
	return (uint32_t)v;
}

static void trap_wr(const struct ut_trap_cmd *c, uint64_t off, uint64_t v)
{
	io_bus_access(c->mmio, c->base + off, true, &v, 4);
}

/* Interrupts raised so far (0 if none): the irqfd's counter, read and reset. */
static uint64_t take_irqs(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, 0) == 1 && eventfd_read(fd, &v) < 0)
		v = 0;
	return v;
}

/* Puts this thread and other on two different CPUs of ours, if we have two; true if so. */
static bool two_cpus(pthread_t other, cpu_set_t *old)
{
	cpu_set_t one;
	int a = -1, b = -1;

	if (pthread_getaffinity_np(pthread_self(), sizeof(*old), old))
		return false;
	for (int i = 0; i < CPU_SETSIZE && b < 0; i++)
		if (CPU_ISSET(i, old))
			*(a < 0 ? &a : &b) = i;
	if (b < 0)
		return false;
	CPU_ZERO(&one);
	CPU_SET(b, &one);
	if (pthread_setaffinity_np(other, sizeof(one), &one))
		return false;
	CPU_ZERO(&one);
	CPU_SET(a, &one);
	return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
}

struct ut_trap_race ut_trap_race(const struct ut_trap_cmd *c, unsigned n)
{
	struct ut_trap_race r = { 0 };
	bool pinned;
	cpu_set_t old;
	uint64_t v;

	pinned = two_cpus(c->io, &old);

	for (r.cmds = 0; r.cmds < n; r.cmds++) {
		time_t deadline = time(NULL) + 5;
		uint32_t isr;

		trap_wr(c, c->cmd, c->cmd_val);
		/* ISR first: its bit for the new command comes only with STATUS done. */
		isr = trap_rd(c, c->isr);
		if ((isr & c->done) && (trap_rd(c, c->status) & c->busy))
			r.stale_done++;
		while (trap_rd(c, c->status) & c->busy)
			if (time(NULL) > deadline)
				CU_FAIL_FATAL("a command stayed busy for 5 s");
		/* At once: the interrupt must have been raised before STATUS went idle. */
		v = take_irqs(c->irq_fd);
		if (!v)
			r.late_irq++;
		r.irqs += v;
		if (!(trap_rd(c, c->isr) & c->done))
			r.no_done++;
		trap_wr(c, c->isr, c->done); /* acknowledge */
	}
	if (pinned) {
		pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
		pthread_setaffinity_np(c->io, sizeof(old), &old);
	}
	usleep(20000); /* one that was late has come by now */
	r.irqs += take_irqs(c->irq_fd);
	CU_ASSERT_EQUAL(r.stale_done, 0);
	CU_ASSERT_EQUAL(r.no_done, 0);
	CU_ASSERT_EQUAL(r.late_irq, 0);
	CU_ASSERT_EQUAL(r.irqs, r.cmds);
	if (r.late_irq || r.stale_done || r.no_done)
		printf("\n    %u of %u commands: %u late interrupts, %u stale ISR bits, "
		       "%u ISR bits missing\n", r.late_irq + r.stale_done + r.no_done, r.cmds,
		       r.late_irq, r.stale_done, r.no_done);
	return r;
}
