/*
 * The poweroff watch (core/vcpu_watch.c) against statistics of the test's
 * own: KVM's are an fd read with pread at an offset, so a temporary file
 * with "blocking" at a known offset stands in for the vCPU's.  A running
 * vCPU is never kicked, a halted one is each tick, a stopped watch never
 * kicks again, and without the statistic every tick kicks.  The kicks land
 * on this thread (vcpu_prepare_stop's: SIGUSR1, a handler that does nothing)
 * and in immediate_exit.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "core/vcpu.h"
#include "kvm/kvm.h"
#include "suites.h"
#include "ut.h"

struct fixture {
	struct kvm_vm kvm;
	struct vcpu v;
	struct kvm_stats_desc_entry d[2];
};

/* A vCPU with two statistics, "exits" and stat (at offset 8), both 0. */
static void fixture_init(struct fixture *f, const char *stat)
{
	char path[] = "/tmp/hv-ut-watch-XXXXXX";
	uint64_t zero[2] = { 0, 0 };
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(pwrite(fd, zero, sizeof(zero), 0), (ssize_t)sizeof(zero));
	memset(f, 0, sizeof(*f));
	snprintf(f->d[0].name, sizeof(f->d[0].name), "exits");
	snprintf(f->d[1].name, sizeof(f->d[1].name), "%s", stat);
	f->d[1].offset = 8;
	f->kvm.run = calloc(1, sizeof(*f->kvm.run));
	f->kvm.vm_stats.fd = -1;
	f->kvm.vcpu_stats = (struct kvm_stats){ .fd = fd, .n = 2, .d = f->d, .data_len = 16 };
	f->v.kvm = &f->kvm;
	f->v.watch = true;
	CU_ASSERT_EQUAL_FATAL(vcpu_prepare_stop(&f->v), 0);
}

/* The watch's thread parks for good: only the fixture's own pieces go. */
static void fixture_free(struct fixture *f)
{
	close(f->kvm.vcpu_stats.fd);
	free(f->kvm.run);
}

static void set_stat(struct fixture *f, uint64_t value)
{
	CU_ASSERT_EQUAL(pwrite(f->kvm.vcpu_stats.fd, &value, 8, 8), 8);
}

/* ms of waiting, however often a kick's signal cuts a sleep short. */
static void wait_ms(unsigned ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (mono_ns() < end)
		usleep(1000);
}

/* The kick's mark, as the run loop reads it (atomic: the watch writes it). */
static uint8_t kicked(struct fixture *f)
{
	return __atomic_load_n(&f->kvm.run->immediate_exit, __ATOMIC_SEQ_CST);
}

static void counts(struct fixture *f, uint64_t *kicks, uint64_t *let_run)
{
	pthread_mutex_lock(&f->v.wd.lock);
	*kicks = f->v.wd.kicks;
	*let_run = f->v.wd.let_run;
	pthread_mutex_unlock(&f->v.wd.lock);
}

/* Running, then halted, then stopped: no kick, a kick a tick, none again. */
static void test_kicks_only_halted(void)
{
	struct fixture f;
	uint64_t kicks, let_run, k2, l2;

	fixture_init(&f, "blocking");
	CU_ASSERT_EQUAL_FATAL(vcpu_watch_start(&f.v), 0);
	wait_ms(4 * VCPU_WATCH_MS + VCPU_WATCH_MS / 2);
	counts(&f, &kicks, &let_run);
	CU_ASSERT_EQUAL(kicks, 0);
	CU_ASSERT(let_run >= 2);
	CU_ASSERT_EQUAL(kicked(&f), 0);

	set_stat(&f, 1); /* blocked in a halt */
	wait_ms(4 * VCPU_WATCH_MS + VCPU_WATCH_MS / 2);
	counts(&f, &kicks, &l2);
	CU_ASSERT(kicks >= 2);
	CU_ASSERT(l2 <= let_run + 1); /* at most the tick that read it before the write */
	CU_ASSERT_EQUAL(kicked(&f), 1);

	vcpu_watch_stop(&f.v);
	counts(&f, &kicks, &let_run);
	__atomic_store_n(&f.kvm.run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	wait_ms(3 * VCPU_WATCH_MS);
	counts(&f, &k2, &l2);
	CU_ASSERT_EQUAL(k2, kicks);
	CU_ASSERT_EQUAL(l2, let_run);
	CU_ASSERT_EQUAL(kicked(&f), 0);
	fixture_free(&f);
}

/* A KVM without "blocking" (before 5.16): every tick kicks, and the report says why. */
static void test_no_stat_kicks_each_tick(void)
{
	struct fixture f;
	uint64_t kicks, let_run;
	char line[256] = "";
	FILE *out;

	fixture_init(&f, "halt_exits");
	CU_ASSERT_EQUAL_FATAL(vcpu_watch_start(&f.v), 0);
	wait_ms(4 * VCPU_WATCH_MS + VCPU_WATCH_MS / 2);
	vcpu_watch_stop(&f.v);
	counts(&f, &kicks, &let_run);
	CU_ASSERT(kicks >= 2);
	CU_ASSERT_EQUAL(let_run, 0);
	out = fmemopen(line, sizeof(line), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	vcpu_watch_report(&f.v, out);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "left it running (KVM has no \"blocking\" statistic"));
	fixture_free(&f);
}

/* hv's own kernel is not watched: no thread, and stopping it is harmless. */
static void test_unwatched_has_no_thread(void)
{
	struct fixture f;

	fixture_init(&f, "blocking");
	f.v.watch = false;
	CU_ASSERT_EQUAL(vcpu_watch_start(&f.v), 0);
	CU_ASSERT_FALSE(f.v.wd.started);
	vcpu_watch_stop(&f.v);
	wait_ms(2 * VCPU_WATCH_MS);
	CU_ASSERT_EQUAL(kicked(&f), 0);
	fixture_free(&f);
}

int suite_vcpu_watch(void)
{
	static const CU_TestInfo t[] = {
		{ "a running vCPU is left alone, a halted one kicked", test_kicks_only_halted },
		{ "without KVM's blocking statistic every tick kicks", test_no_stat_kicks_each_tick },
		{ "an unwatched vCPU has no watch thread", test_unwatched_has_no_thread },
		CU_TEST_INFO_NULL,
	};
	return add_suite("vcpu_watch", t);
}
