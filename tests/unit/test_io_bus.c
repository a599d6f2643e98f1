/* io_bus: registration, overlap refusal, lookup, bounds. */
#include <errno.h>

#include "core/io_bus.h"
#include "suites.h"

static uint64_t last_off, last_val;

static void h(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	(void)size;
	last_off = off;
	if (is_write)
		last_val = *val;
	else
		*val = (uint64_t)(uintptr_t)opaque;
}

static void test_register(void)
{
	struct io_bus b = { 0 };
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x100, 8, h, (void *)1, "a"), 0);
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x10, 8, h, (void *)2, "b"), 0);
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x200, 16, h, (void *)3, "c"), 0);
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x104, 8, h, NULL, "overlap"), -EEXIST);
	CU_ASSERT_EQUAL(io_bus_register(&b, 0xf0, 0x20, h, NULL, "covers"), -EEXIST);
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x0, 0, h, NULL, "empty"), -EINVAL);
	CU_ASSERT_EQUAL(io_bus_register(&b, UINT64_MAX - 1, 4, h, NULL, "wraps"), -EINVAL);
	CU_ASSERT_EQUAL(b.n, 3);
	CU_ASSERT(b.r[0].base < b.r[1].base && b.r[1].base < b.r[2].base);
}

static void test_lookup(void)
{
	struct io_bus b = { 0 };
	uint64_t v = 0;
	io_bus_register(&b, 0x100, 8, h, (void *)7, "a");
	io_bus_register(&b, 0x3f8, 8, h, (void *)9, "uart");
	CU_ASSERT_PTR_NULL(io_bus_find(&b, 0xff));
	CU_ASSERT_PTR_NOT_NULL(io_bus_find(&b, 0x107));
	CU_ASSERT_PTR_NULL(io_bus_find(&b, 0x108));
	CU_ASSERT_TRUE(io_bus_access(&b, 0x3fd, false, &v, 1));
	CU_ASSERT_EQUAL(v, 9);
	CU_ASSERT_EQUAL(last_off, 5);
	v = 0x55;
	CU_ASSERT_TRUE(io_bus_access(&b, 0x101, true, &v, 4));
	CU_ASSERT_EQUAL(last_val, 0x55);
	CU_ASSERT_EQUAL(b.r[0].accesses, 1);
}

static void test_unclaimed(void)
{
	struct io_bus b = { 0 };
	uint64_t v = 0;
	io_bus_register(&b, 0x100, 8, h, NULL, "a");
	CU_ASSERT_FALSE(io_bus_access(&b, 0x80, false, &v, 1));
	CU_ASSERT_EQUAL(v, ~0ull);
	/* An access that starts inside but runs past the end is refused whole. */
	CU_ASSERT_FALSE(io_bus_access(&b, 0x106, false, &v, 4));
	CU_ASSERT_EQUAL(b.r[0].accesses, 0);
}

static void test_unregister(void)
{
	struct io_bus b = { 0 };
	uint64_t v = 0;
	io_bus_register(&b, 0x100, 8, h, NULL, "a");
	io_bus_register(&b, 0x200, 8, h, NULL, "b");
	io_bus_register(&b, 0x300, 8, h, NULL, "c");
	CU_ASSERT_EQUAL(io_bus_unregister(&b, 0x200), 0);
	CU_ASSERT_EQUAL(io_bus_unregister(&b, 0x200), -ENOENT);
	CU_ASSERT_EQUAL(b.n, 2);
	CU_ASSERT_FALSE(io_bus_access(&b, 0x200, false, &v, 1));
	CU_ASSERT_TRUE(io_bus_access(&b, 0x300, false, &v, 1));
	CU_ASSERT_EQUAL(io_bus_register(&b, 0x200, 8, h, NULL, "b"), 0); /* the gap is free */
}

int suite_io_bus(void)
{
	static const CU_TestInfo t[] = {
		{ "register keeps order, refuses overlap", test_register },
		{ "lookup and dispatch", test_lookup },
		{ "unclaimed and straddling accesses", test_unclaimed },
		{ "unregister leaves the rest in order", test_unregister },
		CU_TEST_INFO_NULL,
	};
	return add_suite("io_bus", t);
}
