/*
 * KVM's paravirtual interface as hv passes it through (CPUID 0x40000000,
 * "KVMKVMKVM"; Linux Documentation/virt/kvm/x86/{cpuid,msr}.rst): which
 * features are offered, and the steal-time record the poll window reads.
 * PV EOI itself lives with the EOI (apic.c).
 */
#ifndef GK_KVM_PARA_H
#define GK_KVM_PARA_H

#include <stdbool.h>
#include <stdint.h>

#define KVM_FEATURE_STEAL_TIME 5
#define KVM_FEATURE_PV_EOI 6

/* True when the hypervisor is KVM and offers feature (KVM_FEATURE_*). */
bool kvm_para_has(unsigned feature);

/* Starts KVM's steal-time record if offered; false if not. */
bool kvm_steal_init(void);
/* Nanoseconds this vCPU was runnable but not running (the host ran something else); 0 if unknown. */
uint64_t kvm_steal_ns(void);

#endif
