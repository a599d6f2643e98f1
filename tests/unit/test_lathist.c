/* Latency histograms (hv/core/lathist.c) and their Prometheus rendering (hv/api/metrics.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "api/metrics.h"
#include "core/lathist.h"
#include "suites.h"

/* Each bound is its own bucket's; one ns more is the next's; past the last, +Inf. */
static void test_buckets(void)
{
	CU_ASSERT_EQUAL(lathist_bucket(0), 0);
	CU_ASSERT_EQUAL(lathist_bucket(1000), 0);
	CU_ASSERT_EQUAL(lathist_bucket(1001), 1);
	CU_ASSERT_EQUAL(lathist_bucket(2000), 1);
	CU_ASSERT_EQUAL(lathist_bucket(2001), 2);
	for (unsigned i = 0; i < LATHIST_BOUNDS; i++) {
		CU_ASSERT_EQUAL(lathist_bucket(lathist_bound_ns(i)), i);
		CU_ASSERT_EQUAL(lathist_bucket(lathist_bound_ns(i) + 1), i + 1);
	}
	CU_ASSERT_EQUAL(lathist_bucket(UINT64_MAX), LATHIST_BOUNDS);
}

static void test_add_read(void)
{
	struct lathist h = { 0 }, c;

	lathist_add(&h, 500);
	lathist_add(&h, 1500);
	lathist_add(&h, 1500);
	lathist_add(&h, 10ull * 1000000000ull);
	CU_ASSERT_EQUAL(lathist_read(&h, &c), 4);
	CU_ASSERT_EQUAL(c.n[0], 1);
	CU_ASSERT_EQUAL(c.n[1], 2);
	CU_ASSERT_EQUAL(c.n[LATHIST_BOUNDS], 1);
	CU_ASSERT_EQUAL(c.sum_ns, 500 + 3000 + 10ull * 1000000000ull);
}

/* A histogram nobody can read reads no clock and takes no sample; a kept one times. */
static void test_start_end(void)
{
	struct lathist h = { 0 }, c;
	uint64_t start;

	CU_ASSERT_EQUAL(lathist_start(&h), 0);
	lathist_end(&h, 0);
	CU_ASSERT_EQUAL(lathist_read(&h, &c), 0);
	h.kept = true;
	start = lathist_start(&h);
	CU_ASSERT_NOT_EQUAL_FATAL(start, 0);
	usleep(2000);
	lathist_end(&h, start);
	lathist_end(&h, 0); /* no start (a request hv never took): no sample */
	CU_ASSERT_EQUAL(lathist_read(&h, &c), 1);
	CU_ASSERT(c.sum_ns >= 2000000 && c.sum_ns < 2000000000ull);
}

/* Cumulative buckets ending in +Inf = count, _sum in seconds, one TYPE line. */
static void test_prometheus(void)
{
	struct lathist h = { 0 };
	struct metrics ms = { 0 };
	size_t len = 0;
	char *text;

	lathist_add(&h, 1500);
	lathist_add(&h, 3000000);
	CU_ASSERT_EQUAL_FATAL(metrics_add_histogram(&ms, "hv_device_request_seconds", "help",
						    "device", "pvblk0", &h), 0);
	text = metrics_prometheus(&ms, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# TYPE hv_device_request_seconds histogram\n"));
	CU_ASSERT_PTR_NULL(strstr(strstr(text, "# TYPE") + 1, "# TYPE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
		"hv_device_request_seconds_bucket{device=\"pvblk0\",le=\"0.000001\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
		"hv_device_request_seconds_bucket{device=\"pvblk0\",le=\"0.000002\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
		"hv_device_request_seconds_bucket{device=\"pvblk0\",le=\"0.004096\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
		"hv_device_request_seconds_bucket{device=\"pvblk0\",le=\"+Inf\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_request_seconds_sum{device=\"pvblk0\"} 0.003001500\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_request_seconds_count{device=\"pvblk0\"} 2\n"));
	free(text);
	text = metrics_json(&ms, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"type\":\"histogram\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"le\":\"+Inf\""));
	free(text);
	metrics_free(&ms);
}

/* A NIC's histograms: both labels on every sample, le last; JSON has both. */
static void test_two_labels(void)
{
	struct lathist h = { 0 };
	struct metrics ms = { 0 };
	size_t len = 0;
	char *text;

	lathist_add(&h, 1500);
	CU_ASSERT_EQUAL_FATAL(metrics_add_histogram2(&ms, "hv_device_frame_seconds", "help",
						     "device", "pvnet0", "direction", "tx", &h), 0);
	CU_ASSERT_EQUAL_FATAL(metrics_add_histogram2(&ms, "hv_device_frame_seconds", "help",
						     "device", "pvnet0", "direction", "rx", &h), 0);
	text = metrics_prometheus(&ms, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_frame_seconds_bucket{device=\"pvnet0\","
					    "direction=\"tx\",le=\"0.000002\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_frame_seconds_bucket{device=\"pvnet0\","
					    "direction=\"rx\",le=\"+Inf\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_frame_seconds_sum{device=\"pvnet0\","
					    "direction=\"rx\"} 0.000001500\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "hv_device_frame_seconds_count{device=\"pvnet0\","
					    "direction=\"tx\"} 1\n"));
	free(text);
	text = metrics_json(&ms, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"device\":\"pvnet0\",\"direction\":\"rx\","
					    "\"le\":\"+Inf\"}"));
	free(text);
	metrics_free(&ms);
}

static const CU_TestInfo tests[] = {
	{ "buckets: bounds and the one past", test_buckets },
	{ "add and read", test_add_read },
	{ "timed only when kept: start, end", test_start_end },
	{ "Prometheus and JSON rendering", test_prometheus },
	{ "a second label (a NIC's direction)", test_two_labels },
	CU_TEST_INFO_NULL,
};

int suite_lathist(void)
{
	return add_suite("lathist", tests);
}
