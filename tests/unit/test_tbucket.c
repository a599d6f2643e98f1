/* Token buckets (hv/io/tbucket.c): rates, bursts, debt, and the extremes. */
#include <errno.h>

#include <CUnit/CUnit.h>

#include "io/tbucket.h"
#include "suites.h"

#define MS 1000000ull
#define S 1000000000ull

static void test_unlimited(void)
{
	struct tbucket b = { 0 };

	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 0), 0);
	tbucket_take(&b, 1ull << 40);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 1), 0);
	CU_ASSERT_FALSE(tbucket_limited(&b));
}

static void test_bad_settings(void)
{
	struct tbucket b;

	CU_ASSERT_EQUAL(tbucket_set(&b, TBUCKET_RATE_MAX + 1, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(tbucket_set(&b, 1000, TBUCKET_BURST_MAX + 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(tbucket_set(&b, 0, 10, 0), -EINVAL);
	CU_ASSERT_EQUAL(tbucket_set(&b, 0, 0, 0), 0);
	CU_ASSERT_FALSE(tbucket_limited(&b));
}

/* The burst goes at once; then exactly rate per second, debt repaid first. */
static void test_burst_then_rate(void)
{
	struct tbucket b;
	uint64_t t = 5 * S, taken = 0, w;

	CU_ASSERT_EQUAL_FATAL(tbucket_set(&b, 1000, 100, t), 0);
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(tbucket_wait_ns(&b, t), 0);
		tbucket_take(&b, 1);
	}
	/* Balance 0: still admitted (debt model), then in debt by one. */
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, t), 0);
	tbucket_take(&b, 1);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, t), 1 * MS);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, t + MS - 1), 1);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, t + MS), 0);
	/* Ten seconds of callers that take whenever allowed: 10,000 tokens. */
	t += MS;
	for (uint64_t end = t + 10 * S; t < end; t += w) {
		w = tbucket_wait_ns(&b, t);
		if (!w) {
			tbucket_take(&b, 1);
			taken++;
		}
	}
	CU_ASSERT(taken >= 10000 && taken <= 10001);
}

/* A request larger than the burst is admitted and makes the next wait its cost. */
static void test_large_request(void)
{
	struct tbucket b;

	CU_ASSERT_EQUAL_FATAL(tbucket_set(&b, 1000, 10, 0), 0);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 0), 0);
	tbucket_take(&b, 2010);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 0), 2 * S);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 2 * S), 0);
}

/* Idle time banks no more than the burst; a clock going back changes nothing. */
static void test_cap_and_clock(void)
{
	struct tbucket b;

	CU_ASSERT_EQUAL_FATAL(tbucket_set(&b, 1000, 50, 10 * S), 0);
	tbucket_take(&b, 50);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 1000 * S), 0);
	tbucket_take(&b, 51);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 1000 * S), 1 * MS);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 3 * S), 1 * MS); /* earlier: ignored */
}

/* The extremes: the largest rate, burst and costs neither overflow nor wrap. */
static void test_extremes(void)
{
	struct tbucket b;

	CU_ASSERT_EQUAL_FATAL(tbucket_set(&b, TBUCKET_RATE_MAX, 0, 0), 0);
	CU_ASSERT_EQUAL(b.burst, TBUCKET_BURST_MAX);
	for (int i = 0; i < 4; i++)
		tbucket_take(&b, UINT64_MAX);
	CU_ASSERT(b.balance < 0);
	CU_ASSERT(tbucket_wait_ns(&b, 0) > 0);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, UINT64_MAX), 0);
	CU_ASSERT_EQUAL_FATAL(tbucket_set(&b, 1, TBUCKET_BURST_MAX, 0), 0);
	tbucket_take(&b, UINT64_MAX);
	tbucket_take(&b, UINT64_MAX);
	CU_ASSERT_EQUAL(tbucket_wait_ns(&b, 0), TBUCKET_BURST_MAX * S);
}

/* Bytes and operations: the later of the two decides. */
static void test_limit_both(void)
{
	struct tlimit l = { 0 };

	CU_ASSERT_FALSE(tlimit_on(&l));
	CU_ASSERT_EQUAL_FATAL(tbucket_set(&l.bytes, 4096 * 100, 4096, 0), 0);
	CU_ASSERT_EQUAL_FATAL(tbucket_set(&l.ops, 10, 1, 0), 0);
	CU_ASSERT_TRUE(tlimit_on(&l));
	CU_ASSERT_EQUAL(tlimit_wait_ns(&l, 0), 0);
	tlimit_take(&l, 8192);
	/* bytes: 4096 in debt at 409600/s = 10 ms; ops: the burst spent, no debt */
	CU_ASSERT_EQUAL(tlimit_wait_ns(&l, 0), 10 * MS);
	CU_ASSERT_EQUAL(tlimit_wait_ns(&l, 10 * MS), 0);
	tlimit_take(&l, 8192);
	/* bytes: 8192 in debt = 20 ms; ops: 0.1 banked less 1 = 90 ms */
	CU_ASSERT_EQUAL(tlimit_wait_ns(&l, 10 * MS), 90 * MS);
}

static const CU_TestInfo tests[] = {
	{ "unlimited", test_unlimited },
	{ "bad settings", test_bad_settings },
	{ "burst then rate", test_burst_then_rate },
	{ "large request", test_large_request },
	{ "cap and clock", test_cap_and_clock },
	{ "extremes", test_extremes },
	{ "limit both", test_limit_both },
	CU_TEST_INFO_NULL,
};

int suite_tbucket(void)
{
	return add_suite("tbucket", tests);
}
