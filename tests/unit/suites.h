/* Each unit-test file registers its CUnit suite here; test_main.c runs them all. */
#ifndef HV_TEST_SUITES_H
#define HV_TEST_SUITES_H

#include <CUnit/CUnit.h>

int suite_guest_mem(void);
int suite_io_bus(void);
int suite_elf(void);
int suite_cli(void);
int suite_uart(void);
int suite_hypercall(void);
int suite_boot(void);
int suite_ring(void);
int suite_pvblk(void);
int suite_sha256(void);
int suite_trapblk(void);
int suite_disk(void);
int suite_iothread(void);

/* Adds a suite with the given tests; returns 0 or a CUnit error. */
int add_suite(const char *name, const CU_TestInfo *tests);

#endif
