/*
 * The gdb stub's target: the vCPU's registers, guest memory by virtual
 * address (KVM_TRANSLATE) and KVM_SET_GUEST_DEBUG, each run on the vCPU
 * thread while it is parked (vcpu_call): no vCPU ioctl from the stub's own.
 */
#ifndef HV_GDB_VCPU_H
#define HV_GDB_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h"
#include "debug/gdb_cmd.h"

/* How long a request waits for the vCPU to park (it is stopped or stopping). */
#define GDB_VCPU_WAIT_MS 5000

/* The operations, with a struct vcpu * as their target. */
extern const struct gdb_target_ops gdb_vcpu_ops;

/*
 * Arms the debug features for the next run: software breakpoints, the
 * debug registers in dr (DR0..3, DR7; NULL: none), a single step that
 * interrupts do not enter.  0 or -errno.
 */
int gdb_vcpu_set_debug(struct vcpu *v, bool sw_bp, const uint64_t *dr, bool step);

#endif
