/*
 * hv's queue machinery (pvq) on its own, with the test as the guest and as
 * the device: a guest that refills its ring as fast as hv takes from it,
 * and one that breaks its ring over and over to flood hv's log.  The test
 * calls what the I/O thread would, so it chooses every interleaving.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pv/pvq.h"
#include "suites.h"
#include "ut.h"
#include "core/util.h"

#define MEM (4ull << 20)
#define SQ_GPA 0x100000ull
#define CQ_GPA 0x200000ull
#define SIZE 8

struct fx {
	struct guest_mem mem;
	struct iothread it; /* never started: only what pvq reads of it */
	struct ioeng eng;   /* no ring: only its room */
	struct pvq q;
	unsigned taken, refills, refill_max;
};

/*
 * The device's start, and a hostile guest: each entry completes at once (as
 * a bad request does), and the guest marks even unpublished completions
 * consumed and puts a new entry in the ring, refill_max times.
 */
static void refill_start(struct pvq *q, struct ioeng *e, const void *entry)
{
	struct fx *f = container_of(q, struct fx, q);
	const uint8_t cpl[16] = { 0 };

	(void)e, (void)entry;
	f->taken++;
	pvq_complete(q, cpl);
	q->cq->cons = q->cq_prod;
	if (f->refills < f->refill_max) {
		f->refills++;
		q->sq->prod++;
	}
}

static struct hv_ring_ctl *ctl(struct fx *f, uint64_t gpa)
{
	return (struct hv_ring_ctl *)(f->mem.host + gpa);
}

static struct fx *fx_init(FILE *log)
{
	const struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA, .sq_size = SIZE,
					  .cq_size = SIZE };
	struct fx *f = calloc(1, sizeof(*f));

	CU_ASSERT_FATAL(f && gm_init(&f->mem, MEM) == 0);
	CU_ASSERT_FATAL(iothread_init(&f->it) == 0);
	f->eng.cap = 512;
	CU_ASSERT_FATAL(pvq_init(&f->q, "pvqtest", 0x600, &f->mem, 64, 16, refill_start) == 0);
	CU_ASSERT_FATAL(iothread_add(&f->it, &f->q.src) == 0);
	if (log)
		f->q.log.out = log;
	CU_ASSERT_FATAL(pvq_attach(&f->q, &s, NULL) == 0);
	return f;
}

static void fx_destroy(struct fx *f)
{
	pvq_destroy(&f->q);
	iothread_destroy(&f->it);
	gm_destroy(&f->mem);
	free(f);
}

/* True if the queue's doorbell eventfd was signalled (and clears it). */
static bool rang(struct fx *f)
{
	struct pollfd p = { .fd = f->q.src.fd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, 0) == 1 && eventfd_read(f->q.src.fd, &v) == 0 && v > 0;
}

/*
 * One pass over the ring takes at most a ring's worth, however fast the
 * guest refills it, then comes back through its own doorbell: other queues
 * get their turn in between.
 */
static void test_drain_bounded(void)
{
	struct fx *f = fx_init(NULL);

	f->refill_max = 1000;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, SIZE); /* a full ring */
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, SIZE);
	CU_ASSERT_EQUAL(f->q.yields, 1);
	CU_ASSERT_TRUE(rang(f));
	CU_ASSERT_EQUAL(pvq_state(&f->q), PVQ_ACTIVE);
	/* Its completions were published: the guest sees them. */
	CU_ASSERT_EQUAL(ctl(f, CQ_GPA)->prod, SIZE);
	pvq_service(&f->q, &f->eng); /* the next turn: another ring's worth */
	CU_ASSERT_EQUAL(f->taken, 2 * SIZE);
	/* Once the guest stops refilling, a pass ends without yielding. */
	f->refill_max = f->refills;
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 2 * SIZE + SIZE);
	CU_ASSERT_EQUAL(f->q.yields, 2);
	/* Fewer than a ring's worth in one pass: no yield. */
	f->refill_max = f->refills + SIZE - 2;
	while (rang(f))
		;
	hv_ring_store_release(&ctl(f, SQ_GPA)->prod, ctl(f, SQ_GPA)->prod + 1);
	pvq_service(&f->q, &f->eng);
	CU_ASSERT_EQUAL(f->taken, 4 * SIZE - 1);
	CU_ASSERT_EQUAL(f->q.yields, 2);
	CU_ASSERT_FALSE(rang(f));
	fx_destroy(f);
}

/* Lines in a log file, and its last line in last. */
static unsigned lines(FILE *log, char *last, size_t n)
{
	char line[256];
	unsigned count = 0;

	fflush(log);
	rewind(log);
	last[0] = 0;
	while (fgets(line, sizeof(line), log)) {
		count++;
		snprintf(last, n, "%s", line);
	}
	return count;
}

/*
 * A guest that breaks its queue and detaches, over and over: hv says so a
 * few times, then counts, and says how many it did not print.
 */
static void test_log_flood(void)
{
	FILE *log = tmpfile();
	char last[256];
	struct fx *f;
	unsigned i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	f = fx_init(log);
	f->q.detach_timeout_ms = 0;
	for (i = 0; i < 100; i++) {
		const struct hv_queue_setup s = { .sq_gpa = SQ_GPA, .cq_gpa = CQ_GPA,
						  .sq_size = SIZE, .cq_size = SIZE };
		if (i)
			CU_ASSERT_EQUAL_FATAL(pvq_attach(&f->q, &s, NULL), 0);
		ctl(f, SQ_GPA)->prod += 1000; /* jumps: broken */
		pvq_service(&f->q, &f->eng);
		CU_ASSERT_EQUAL(pvq_state(&f->q), PVQ_BROKEN);
		/* The detach times out once (a message too), then the "I/O thread" lets go. */
		CU_ASSERT_EQUAL(pvq_detach(&f->q, NULL), -HV_EBUSY);
		pvq_service(&f->q, &f->eng);
		CU_ASSERT_EQUAL_FATAL(pvq_detach(&f->q, NULL), 0);
	}
	n = lines(log, last, sizeof(last));
	CU_ASSERT_EQUAL(n, RATELIMIT_BURST);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "pvqtest: queue broken by the guest"));
	CU_ASSERT_EQUAL(f->q.log.suppressed_total, 200 - RATELIMIT_BURST);
	fx_destroy(f); /* says what it dropped */
	n = lines(log, last, sizeof(last));
	CU_ASSERT_EQUAL(n, RATELIMIT_BURST + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "pvqtest: 195 more messages suppressed"));
	fclose(log);
}

/* A new interval prints again, first saying how many were dropped. */
static void test_ratelimit_interval(void)
{
	FILE *log = tmpfile();
	struct ratelimit rl;
	char last[256];
	int printed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(ratelimit_init(&rl, log, 3, 200), 0);
	for (int i = 0; i < 50; i++)
		printed += ratelimit_log(&rl, "line %d", i);
	CU_ASSERT_EQUAL(printed, 3);
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 3);
	CU_ASSERT_STRING_EQUAL(last, "hv: line 2\n");
	usleep(250000);
	CU_ASSERT_TRUE(ratelimit_log(&rl, "again"));
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 5);
	CU_ASSERT_STRING_EQUAL(last, "hv: again\n");
	rewind(log);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL(fgets(last, sizeof(last), log));
	CU_ASSERT_STRING_EQUAL(last, "hv: 47 similar messages suppressed\n");
	CU_ASSERT_EQUAL(rl.suppressed_total, 47);
	ratelimit_flush(&rl, "x"); /* nothing dropped since: nothing to say */
	CU_ASSERT_EQUAL(lines(log, last, sizeof(last)), 5);
	ratelimit_destroy(&rl);
	fclose(log);
}

int suite_pvq(void)
{
	static const CU_TestInfo tests[] = {
		{ "one pass takes a ring's worth, then yields", test_drain_bounded },
		{ "a guest breaking its queue cannot flood the log", test_log_flood },
		{ "rate limit: a new interval, the count of dropped lines", test_ratelimit_interval },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pvq", tests);
}
