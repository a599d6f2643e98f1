/* Each unit-test file registers its CUnit suite in UNIT_SUITES; test_main.c runs them all. */
#ifndef HV_TEST_SUITES_H
#define HV_TEST_SUITES_H

#include <CUnit/CUnit.h>

/*
 * The one list of suites, in run order: a new test file defines
 * suite_<name>() and adds X(<name>) here, nowhere else.
 */
#define UNIT_SUITES(X)                                                       \
	X(guest_mem) X(io_bus) X(elf) X(cli) X(uart) X(hypercall) X(boot)     \
	X(ring) X(pvblk) X(sha256) X(trapblk) X(disk) X(iothread) X(pvnet) \
	X(trapnet) X(pvq) X(vcpus) X(sandbox) X(linux_boot) X(x86_platform) \
	X(console_in) X(pci) X(http) X(api) X(snap) X(snap_quiesce) X(tbucket) X(lathist) \
	X(trace) X(metrics) X(fault) X(gdb) X(vcpu_watch) X(stats)

#define UNIT_SUITE_DECLARE(name) int suite_##name(void);
UNIT_SUITES(UNIT_SUITE_DECLARE)

/* Adds a suite with the given tests; returns 0 or a CUnit error. */
int add_suite(const char *name, const CU_TestInfo *tests);

#endif
