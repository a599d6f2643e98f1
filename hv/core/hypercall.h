/*
 * Hypercall dispatch.  A hypercall is one `outl` to HV_HC_PORT (see
 * protocol/hv_abi.h); the vCPU loop hands its registers here and the table
 * indexed by number picks the handler.  Modules register their own calls.
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdint.h>

#include "hv_abi.h"

struct vm;

#define HC_NARGS 5
#define HC_TABLE_SIZE 64

/* Returns the value for the guest's rax: >= 0, or -HV_E*. */
typedef int64_t (*hc_fn)(struct vm *vm, const uint64_t a[HC_NARGS]);

struct hc_entry {
	hc_fn fn;
	const char *name;
	uint64_t calls;
};

struct hc_table {
	struct hc_entry e[HC_TABLE_SIZE];
	uint64_t bad_calls; /* unknown numbers */
};

/* 0 (also when fn already has nr), or -EINVAL (out of table) / -EEXIST (taken). */
int hc_register(struct hc_table *t, unsigned nr, hc_fn fn, const char *name);

/* Registers version, console write, exit, time, device info and exit count. */
void hc_register_core(struct hc_table *t);

/* Runs hypercall nr with args a; unknown numbers yield -HV_ENOSYS. */
int64_t hc_dispatch(struct vm *vm, uint64_t nr, const uint64_t a[HC_NARGS]);

#endif
