/* gm_range: the one gate between hv and guest memory. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kvm/guest_mem.h"
#include "suites.h"

static void test_inside(void)
{
	struct guest_mem gm;
	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, 1 << 20), 0);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, 0, 1 << 20), gm.host);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, 4096, 4096), gm.host + 4096);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, (1 << 20) - 1, 1), gm.host + (1 << 20) - 1);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, 1 << 20, 0), gm.host + (1 << 20));
	gm_destroy(&gm);
}

static void test_outside(void)
{
	struct guest_mem gm;
	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, 1 << 20), 0);
	CU_ASSERT_PTR_NULL(gm_range(&gm, 1 << 20, 1));
	CU_ASSERT_PTR_NULL(gm_range(&gm, (1 << 20) - 1, 2));
	CU_ASSERT_PTR_NULL(gm_range(&gm, 0, (1 << 20) + 1));
	CU_ASSERT_PTR_NULL(gm_range(&gm, (1 << 20) + 1, 0));
	CU_ASSERT_PTR_NULL(gm_range(&gm, UINT64_MAX, 1));
	gm_destroy(&gm);
}

static void test_wrap(void)
{
	struct guest_mem gm;
	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, 1 << 20), 0);
	/* gpa + len wraps to a small number: must not pass as "inside". */
	CU_ASSERT_PTR_NULL(gm_range(&gm, 4096, UINT64_MAX - 100));
	CU_ASSERT_PTR_NULL(gm_range(&gm, UINT64_MAX - 10, 20));
	CU_ASSERT_PTR_NULL(gm_range(&gm, 1, UINT64_MAX));
	gm_destroy(&gm);
}

static void test_copy(void)
{
	struct guest_mem gm;
	char buf[8] = "abcdefg";
	char out[8] = { 0 };
	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, 1 << 20), 0);
	CU_ASSERT_EQUAL(gm_write(&gm, 100, buf, 8), 0);
	CU_ASSERT_EQUAL(gm_read(&gm, out, 100, 8), 0);
	CU_ASSERT_STRING_EQUAL(out, "abcdefg");
	CU_ASSERT_EQUAL(gm_write(&gm, (1 << 20) - 4, buf, 8), -EFAULT);
	CU_ASSERT_EQUAL(gm_read(&gm, out, UINT64_MAX - 3, 8), -EFAULT);
	/* A refused write leaves memory untouched. */
	CU_ASSERT_EQUAL(gm.host[(1 << 20) - 4], 0);
	gm_destroy(&gm);
}

/* Linux over 3 GiB: RAM below the hole and from 4 GiB up; the hole is not RAM. */
static void test_pc_hole(void)
{
	struct guest_mem gm;
	struct gm_region r[2];
	uint64_t size = 5ull << 30; /* NORESERVE: only touched pages cost */

	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, size), 0);
	CU_ASSERT_EQUAL(gm_regions(&gm, r), 2);
	CU_ASSERT_EQUAL(r[0].gpa, 0);
	CU_ASSERT_EQUAL(r[0].len, GM_HOLE_START);
	CU_ASSERT_EQUAL(r[1].gpa, GM_HIGH_BASE);
	CU_ASSERT_EQUAL(r[1].len, size - GM_HOLE_START);
	CU_ASSERT_EQUAL(gm_top(&gm), GM_HIGH_BASE + size - GM_HOLE_START);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, GM_HOLE_START - 4096, 4096), gm.host + GM_HOLE_START - 4096);
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, GM_HIGH_BASE, 4096), gm.host + GM_HOLE_START);
	/* The hole, the IOAPIC and LAPIC in it, and ranges crossing into it. */
	CU_ASSERT_PTR_NULL(gm_range(&gm, GM_HOLE_START, 1));
	CU_ASSERT_PTR_NULL(gm_range(&gm, 0xfec00000, 4));
	CU_ASSERT_PTR_NULL(gm_range(&gm, 0xfee00000, 4));
	CU_ASSERT_PTR_NULL(gm_range(&gm, GM_HOLE_START - 8, 16));
	CU_ASSERT_PTR_NULL(gm_range(&gm, GM_HIGH_BASE - 8, 16));
	/* Past the top, and wrapping. */
	CU_ASSERT_PTR_NULL(gm_range(&gm, gm_top(&gm) - 4, 8));
	CU_ASSERT_PTR_NULL(gm_range(&gm, gm_top(&gm), 1));
	CU_ASSERT_PTR_NULL(gm_range(&gm, GM_HIGH_BASE, UINT64_MAX));
	CU_ASSERT_PTR_EQUAL(gm_range(&gm, gm_top(&gm) - 8, 8), gm.host + size - 8);
	gm_destroy(&gm);

	/* At or below the hole's start, one block as before. */
	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, 256 << 20), 0);
	CU_ASSERT_EQUAL(gm_regions(&gm, r), 1);
	CU_ASSERT_EQUAL(gm_top(&gm), 256 << 20);
	CU_ASSERT_PTR_NULL(gm_range(&gm, GM_HIGH_BASE, 1));
	gm_destroy(&gm);
}

int suite_guest_mem(void)
{
	static const CU_TestInfo t[] = {
		{ "PC layout: the hole below 4 GiB is refused", test_pc_hole },
		{ "range inside RAM", test_inside },
		{ "range outside RAM", test_outside },
		{ "range wrapping around", test_wrap },
		{ "checked copies", test_copy },
		CU_TEST_INFO_NULL,
	};
	return add_suite("guest_mem", t);
}
