/* CUnit runner for hv's unit tests. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int add_suite(const char *name, const CU_TestInfo *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	int i;

	if (!s)
		return CU_get_error();
	for (i = 0; tests[i].pName; i++)
		if (!CU_add_test(s, tests[i].pName, tests[i].pTestFunc))
			return CU_get_error();
	return 0;
}

int main(void)
{
#define UNIT_SUITE_FN(name) suite_##name,
	int (*const suites[])(void) = { UNIT_SUITES(UNIT_SUITE_FN) };
	unsigned i, failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i]()) {
			fprintf(stderr, "cannot register suite %u\n", i);
			return 1;
		}
	CU_basic_set_mode(CU_BRM_NORMAL);
	/* UT_SUITE=name runs one suite: for working on it, never in CI. */
	if (getenv("UT_SUITE")) {
		CU_pSuite s = CU_get_suite(getenv("UT_SUITE"));
		if (!s) {
			fprintf(stderr, "no suite '%s'\n", getenv("UT_SUITE"));
			return 1;
		}
		CU_basic_run_suite(s);
	} else {
		CU_basic_run_tests();
	}
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
