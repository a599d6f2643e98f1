/*
 * The poweroff watch (core/vcpu_watch.c) against statistics of the test's
 * own: KVM's are an fd read with pread at an offset, so a temporary file
 * with "blocking" and "halt_exits" at known offsets stands in for the
 * vCPU's.  A running vCPU is never kicked; a halted one once, and again
 * only once it halted again or a pause made the watch forget; a stopped
 * watch never kicks again; without the statistics every tick kicks.  The
 * kicks land on this thread (vcpu_prepare_stop's: SIGUSR1, a handler that
 * does nothing) and in immediate_exit.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "core/vcpu.h"
#include "kvm/kvm.h"
#include "suites.h"
#include "ut.h"

enum { BLOCKING = 8, HALT_EXITS = 16 }; /* offsets in the statistics */

struct fixture {
	struct kvm_vm kvm;
	struct vcpu v;
	struct kvm_stats_desc_entry d[3];
};

/* A vCPU with statistics "exits", then stat1 at BLOCKING and stat2 at HALT_EXITS, all 0. */
static void fixture_init(struct fixture *f, const char *stat1, const char *stat2)
{
	char path[] = "/tmp/hv-ut-watch-XXXXXX";
	uint64_t zero[3] = { 0, 0, 0 };
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(pwrite(fd, zero, sizeof(zero), 0), (ssize_t)sizeof(zero));
	memset(f, 0, sizeof(*f));
	snprintf(f->d[0].name, sizeof(f->d[0].name), "exits");
	snprintf(f->d[1].name, sizeof(f->d[1].name), "%s", stat1);
	snprintf(f->d[2].name, sizeof(f->d[2].name), "%s", stat2);
	f->d[1].offset = BLOCKING;
	f->d[2].offset = HALT_EXITS;
	f->kvm.run = calloc(1, sizeof(*f->kvm.run));
	f->kvm.vm_stats.fd = -1;
	f->kvm.vcpu_stats = (struct kvm_stats){ .fd = fd, .n = 3, .d = f->d, .data_len = 24 };
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

static void set_stat(struct fixture *f, off_t offset, uint64_t value)
{
	CU_ASSERT_EQUAL(pwrite(f->kvm.vcpu_stats.fd, &value, 8, offset), 8);
}

/* ms of waiting, however often a kick's signal cuts a sleep short. */
static void wait_ms(unsigned ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (mono_ns() < end)
		usleep(1000);
}

/* Takes the kick's mark, as the run loop does (atomic: the watch writes it). */
static uint8_t take_kick(struct fixture *f)
{
	return __atomic_exchange_n(&f->kvm.run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

struct counts {
	uint64_t kicks, spared, let_run;
};

static struct counts counts(struct fixture *f)
{
	struct counts c;

	pthread_mutex_lock(&f->v.wd.lock);
	c = (struct counts){ f->v.wd.kicks, f->v.wd.spared, f->v.wd.let_run };
	pthread_mutex_unlock(&f->v.wd.lock);
	return c;
}

#define TICKS(n) ((n) * VCPU_WATCH_MS + VCPU_WATCH_MS / 2)

/*
 * Waits (at most 5 s: a loaded machine delays ticks) until each count is
 * at least want's; the counts then.
 */
static struct counts await_counts(struct fixture *f, struct counts want)
{
	uint64_t end = mono_ns() + 5000000000ull;
	struct counts c = counts(f);

	while ((c.kicks < want.kicks || c.spared < want.spared || c.let_run < want.let_run) &&
	       mono_ns() < end) {
		usleep(1000);
		c = counts(f);
	}
	return c;
}

/*
 * Running, then halted, halted again, forgotten, then stopped: no kick,
 * one kick for the halt (not one a tick: two more ticks spare it), one
 * for the next halt, one after the pause, none again.
 */
static void test_kicks_each_halt_once(void)
{
	struct fixture f;
	struct counts a, b;

	fixture_init(&f, "blocking", "halt_exits");
	CU_ASSERT_EQUAL_FATAL(vcpu_watch_start(&f.v), 0);
	a = await_counts(&f, (struct counts){ .let_run = 2 });
	CU_ASSERT_EQUAL(a.kicks, 0);
	CU_ASSERT(a.let_run >= 2);
	CU_ASSERT_EQUAL(take_kick(&f), 0);

	set_stat(&f, HALT_EXITS, 1);
	set_stat(&f, BLOCKING, 1); /* blocked in its first halt */
	b = await_counts(&f, (struct counts){ .kicks = 1, .spared = 2 });
	CU_ASSERT_EQUAL(b.kicks, 1);
	CU_ASSERT(b.spared >= 2);
	CU_ASSERT(b.let_run <= a.let_run + 1); /* at most the tick that read it before the write */
	CU_ASSERT_EQUAL(take_kick(&f), 1);

	set_stat(&f, HALT_EXITS, 2); /* it woke, ran and halted again */
	a = await_counts(&f, (struct counts){ .kicks = 2, .spared = b.spared + 2 });
	CU_ASSERT_EQUAL(a.kicks, 2);
	CU_ASSERT(a.spared >= b.spared + 2);
	CU_ASSERT_EQUAL(take_kick(&f), 1);

	vcpu_watch_forget(&f.v); /* a pause: its registers may have changed */
	b = await_counts(&f, (struct counts){ .kicks = 3, .spared = a.spared + 2 });
	CU_ASSERT_EQUAL(b.kicks, 3);
	CU_ASSERT(b.spared >= a.spared + 2);
	CU_ASSERT_EQUAL(take_kick(&f), 1);

	set_stat(&f, HALT_EXITS, 3);
	vcpu_watch_stop(&f.v);
	a = counts(&f);
	wait_ms(TICKS(2));
	b = counts(&f);
	CU_ASSERT_EQUAL(b.kicks, a.kicks);
	CU_ASSERT_EQUAL(b.spared, a.spared);
	CU_ASSERT_EQUAL(take_kick(&f), a.kicks > 3);
	CU_ASSERT_EQUAL(take_kick(&f), 0);
	fixture_free(&f);
}

/*
 * The watch run on a halted vCPU with statistics stat1 and stat2 instead of
 * blocking and halt_exits: every tick kicks, and --verbose says why.
 */
static void check_every_tick_kicks(const char *stat1, const char *stat2, const char *why)
{
	struct fixture f;
	struct counts c;
	char line[256] = "";
	FILE *out;

	fixture_init(&f, stat1, stat2);
	set_stat(&f, BLOCKING, 1);
	CU_ASSERT_EQUAL_FATAL(vcpu_watch_start(&f.v), 0);
	await_counts(&f, (struct counts){ .kicks = 3 });
	vcpu_watch_stop(&f.v);
	c = counts(&f);
	CU_ASSERT(c.kicks >= 3);
	CU_ASSERT_EQUAL(c.spared, 0);
	CU_ASSERT_EQUAL(c.let_run, 0);
	out = fmemopen(line, sizeof(line), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	vcpu_watch_report(&f.v, out);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, why));
	fixture_free(&f);
}

/* A KVM without "blocking" (before 5.16): every tick kicks. */
static void test_no_stat_kicks_each_tick(void)
{
	check_every_tick_kicks("halt_wakeup", "halt_exits",
			       "left it running (KVM has no \"blocking\" statistic");
}

/* "blocking" without "halt_exits": every halted tick kicks. */
static void test_no_halt_exits_kicks_each_halted_tick(void)
{
	check_every_tick_kicks("blocking", "halt_wakeup", "(KVM has no \"halt_exits\" statistic");
}

/* hv's own kernel is not watched: no thread, and stopping it is harmless. */
static void test_unwatched_has_no_thread(void)
{
	struct fixture f;

	fixture_init(&f, "blocking", "halt_exits");
	f.v.watch = false;
	CU_ASSERT_EQUAL(vcpu_watch_start(&f.v), 0);
	CU_ASSERT_FALSE(f.v.wd.started);
	vcpu_watch_stop(&f.v);
	wait_ms(2 * VCPU_WATCH_MS);
	CU_ASSERT_EQUAL(take_kick(&f), 0);
	fixture_free(&f);
}

int suite_vcpu_watch(void)
{
	static const CU_TestInfo t[] = {
		{ "a running vCPU is left alone, a halted one kicked once a halt",
		  test_kicks_each_halt_once },
		{ "without KVM's blocking statistic every tick kicks", test_no_stat_kicks_each_tick },
		{ "without KVM's halt_exits statistic every halted tick kicks",
		  test_no_halt_exits_kicks_each_halted_tick },
		{ "an unwatched vCPU has no watch thread", test_unwatched_has_no_thread },
		CU_TEST_INFO_NULL,
	};
	return add_suite("vcpu_watch", t);
}
