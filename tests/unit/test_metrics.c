/*
 * GET /metrics' device counters: the --stats line parser (the kinds without
 * a hook), and the counters hook (core/device.h):
 * the PV disk's and NIC's hooks give every counter their --stats line
 * gives, under the same names and with the same values (so dashboards see
 * no change from the line parser they replace), and metrics_gather serves
 * them for a live machine model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "api/api.h"
#include "api/metrics.h"
#include "core/device.h"
#include "core/lathist.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "kvm/kvm.h"
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "suites.h"
#include "ut.h"

static bool has(const struct metrics *ms, const char *name, const char *dev, uint64_t v)
{
	unsigned i;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, name) && !strcmp(ms->m[i].label_val, dev) &&
		    ms->m[i].value == v)
			return true;
	return false;
}

/* The --stats lines of each kind of device, as their print_stats write them. */
static void test_device_lines(void)
{
	struct metrics ms = { 0 };

	CU_ASSERT_EQUAL(metrics_add_device_line(&ms,
		"  pvnet0 (tap0): link up; rx attached, 5 frames, 600 bytes, 1 dropped, 0 bad buffers, "
		"0 link down, 0 runts, 0 errors, 0 engine full, 7 doorbells, 8 interrupts, 2 suppressed; "
		"tx attached, 9 frames, 900 bytes, 0 bad, 0 errors, 3 doorbells, 4 interrupts, "
		"0 suppressed\n"), 0);
	CU_ASSERT(has(&ms, "hv_device_rx_frames_total", "pvnet0", 5));
	CU_ASSERT(has(&ms, "hv_device_rx_bad_buffers_total", "pvnet0", 0));
	CU_ASSERT(has(&ms, "hv_device_rx_doorbells_total", "pvnet0", 7));
	CU_ASSERT(has(&ms, "hv_device_tx_bytes_total", "pvnet0", 900));
	CU_ASSERT(has(&ms, "hv_device_tx_interrupts_total", "pvnet0", 4));
	CU_ASSERT(!has(&ms, "hv_device_link_total", "pvnet0", 0));
	CU_ASSERT_EQUAL(metrics_add_device_line(&ms,
		"  trapblk0 (a.img, file, ro): 12 commands, 4096 bytes, 0 bad, 1 I/O errors, "
		"0 while busy, 2 bad register accesses, 13 interrupts\n"), 0);
	CU_ASSERT(has(&ms, "hv_device_commands_total", "trapblk0", 12));
	CU_ASSERT(has(&ms, "hv_device_i_o_errors_total", "trapblk0", 1));
	CU_ASSERT(has(&ms, "hv_device_bad_register_accesses_total", "trapblk0", 2));
	CU_ASSERT_EQUAL(metrics_add_device_line(&ms,
		"  trapnet0 (loop): link up; rx 3 frames, 180 bytes, 0 dropped, 0 bad, 0 errors; "
		"tx 4 frames, 240 bytes, 0 bad, 0 errors; 0 while busy, 0 bad register accesses, "
		"7 interrupts\n"), 0);
	CU_ASSERT(has(&ms, "hv_device_rx_frames_total", "trapnet0", 3));
	CU_ASSERT(has(&ms, "hv_device_tx_bytes_total", "trapnet0", 240));
	CU_ASSERT(has(&ms, "hv_device_interrupts_total", "trapnet0", 7));
	/* Nothing to take from a line with no counters, or none at all. */
	CU_ASSERT_EQUAL(metrics_add_device_line(&ms, ""), 0);
	CU_ASSERT_EQUAL(metrics_add_device_line(&ms, "  uart0 (16550A): idle\n"), 0);
	metrics_free(&ms);
}

/* The hook and the parsed --stats line agree, counter for counter, both ways. */
static void check_same(const struct device_kind *k, const void *dev, const char *name)
{
	struct dev_counter c[64];
	struct metrics line = { 0 }, hook = { 0 };
	char *text = NULL, full[METRIC_NAME_MAX];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	unsigned i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	k->print_stats(f, dev);
	fclose(f);
	CU_ASSERT_EQUAL(metrics_add_device_line(&line, text), 0);
	free(text);
	n = k->counters(dev, c, 64);
	CU_ASSERT(n > 5 && n < 64);
	CU_ASSERT_EQUAL(k->counters(dev, c, 3), 3); /* cap respected */
	n = k->counters(dev, c, 64);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "hv_device_%s_total", c[i].name);
		CU_ASSERT_EQUAL(metrics_add(&hook, full, "", METRIC_COUNTER, "device", name,
					    c[i].value), 0);
	}
	CU_ASSERT_EQUAL(line.n, hook.n);
	for (i = 0; i < line.n; i++) {
		if (!has(&hook, line.m[i].name, name, line.m[i].value))
			fprintf(stderr, "\n  %s: the hook lacks %s = %llu\n", name, line.m[i].name,
				(unsigned long long)line.m[i].value);
		CU_ASSERT(has(&hook, line.m[i].name, name, line.m[i].value));
	}
	metrics_free(&line);
	metrics_free(&hook);
}

static void *device_of(struct vm *vm, const struct device_kind *k)
{
	unsigned i;

	for (i = 0; i < vm->nr_dev; i++)
		if (vm->dev[i].kind == k)
			return vm->dev[i].dev;
	return NULL;
}

static void test_pvblk_hook(void)
{
	struct vm *vm = ut_vm_with(8ull << 20, &pvblk_back_kind, "null:1M");
	struct pvblk_back *b = device_of(vm, &pvblk_back_kind);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	b->st.reqs = 11, b->st.bytes = 4096 * 11, b->st.bad_reqs = 2, b->st.io_errors = 3;
	b->q.src.kicks = 5, b->q.irqs = 6, b->q.irqs_suppressed = 7;
	b->q.rl.lim.throttled = 8, b->q.rl.lim.throttled_ns = 9000;
	check_same(&pvblk_back_kind, b, "pvblk0");
	ut_vm_free(vm);
}

static void test_pvnet_hook(void)
{
	struct vm *vm = ut_vm_with(8ull << 20, &pvnet_back_kind, "loop");
	struct pvnet_back *n = device_of(vm, &pvnet_back_kind);
	uint64_t *p;
	unsigned i = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	/* Every stats field its own value: a counter read from the wrong field shows. */
	for (p = (uint64_t *)&n->st; p < (uint64_t *)(&n->st + 1); p++)
		*p = 100 * i++;
	n->rxq.src.kicks = 1, n->rxq.irqs = 2, n->rxq.irqs_suppressed = 3;
	n->txq.src.kicks = 4, n->txq.irqs = 5, n->txq.irqs_suppressed = 6;
	n->rxq.rl.lim.throttled = 7, n->rxq.rl.lim.throttled_ns = 8000;
	n->txq.rl.lim.throttled = 9, n->txq.rl.lim.throttled_ns = 10000;
	n->net.lost = 13;
	check_same(&pvnet_back_kind, n, "pvnet0");
	ut_vm_free(vm);
}

/* Whether each of the device's latency histograms has kept set as want. */
static void check_kept(const struct device_kind *k, void *dev, bool want)
{
	unsigned d;

	if (k->latency)
		CU_ASSERT_EQUAL(k->latency(dev)->kept, want);
	for (d = 0; k->frame_latency && d < LATHIST_DIRS; d++)
		CU_ASSERT_EQUAL(k->frame_latency(dev, d)->kept, want);
}

/*
 * Every kind's latency histograms are timed only in a VM whose control API
 * can read them (vm_add_device): the rest of the time no clock is read per
 * request.  Each kind with a histogram, a disk (null:1M) or a NIC (loop).
 */
static void test_kept_with_api(void)
{
	unsigned i, api, covered = 0;
	char err[256];

	for (i = 0; i < device_kinds_count; i++) {
		const struct device_kind *k = device_kinds[i];
		const char *arg;

		if (!k->latency && !k->frame_latency)
			continue;
		CU_ASSERT_PTR_NOT_NULL_FATAL(k->option);
		arg = k->check(k->option, "null:1M", err, sizeof(err)) == 0 ? "null:1M" : "loop";
		for (api = 0; api < 2; api++) {
			struct vm *vm = (api ? ut_vm_with_api : ut_vm_with)(8ull << 20, k, arg);

			check_kept(k, device_of(vm, k), api);
			ut_vm_free(vm);
		}
		covered++;
	}
	CU_ASSERT_EQUAL(covered, 4); /* pvblk, trapblk, pvnet, trapnet */
}

/* hv_metrics_read_seconds: a gauge in nanoseconds, shown as seconds. */
static uint64_t clock_of(const struct metrics *ms)
{
	unsigned i;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, "hv_metrics_read_seconds")) {
			CU_ASSERT(ms->m[i].ns && ms->m[i].type == METRIC_GAUGE);
			return ms->m[i].value;
		}
	CU_FAIL("no hv_metrics_read_seconds");
	return 0;
}

/* metrics_gather serves the hook's values as they are now. */
static void test_gather(void)
{
	struct vm *vm = ut_vm_with(8ull << 20, &pvblk_back_kind, "null:1M");
	struct pvblk_back *b = device_of(vm, &pvblk_back_kind);
	struct kvm_vm kvm = { 0 };
	struct vcpu v = { 0 };
	struct api a = { NULL, vm, &v, "/tmp/none" };
	struct metrics ms = { 0 };
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	kvm.run = calloc(1, sizeof(*kvm.run));
	kvm.vm_stats.fd = kvm.vcpu_stats.fd = -1;
	v.kvm = &kvm;
	v.vm = vm;
	CU_ASSERT_EQUAL_FATAL(vcpu_prepare_stop(&v), 0);
	b->st.reqs = 42;
	b->q.rl.lim.throttled_ns = 5000000;
	CU_ASSERT_EQUAL(metrics_gather(&a, &ms), 0);
	CU_ASSERT(has(&ms, "hv_device_requests_total", "pvblk0", 42));
	CU_ASSERT(has(&ms, "hv_device_throttled_us_total", "pvblk0", 5000));
	CU_ASSERT(has(&ms, "hv_device_request_seconds", "pvblk0", 0)); /* its histogram */
	t0 = clock_of(&ms);
	metrics_free(&ms);
	CU_ASSERT_EQUAL(metrics_gather(&a, &ms), 0);
	CU_ASSERT(t0 > 0 && clock_of(&ms) > t0); /* hv's clock, read at each scrape */
	metrics_free(&ms);
	ut_vm_free(vm);
	free(kvm.run);
}

static const CU_TestInfo tests[] = {
	{ "the --stats line parser, every kind's line", test_device_lines },
	{ "pvblk: counters hook = its --stats line", test_pvblk_hook },
	{ "pvnet: counters hook = its --stats line", test_pvnet_hook },
	{ "metrics_gather serves the hook's counters", test_gather },
	{ "latency histograms timed only with a control API", test_kept_with_api },
	CU_TEST_INFO_NULL,
};

int suite_metrics(void)
{
	return add_suite("metrics", tests);
}
