/*
 * The one CPUID builder: turns what KVM supports (KVM_GET_SUPPORTED_CPUID)
 * into what the vCPU is given.  Every change hv makes to the guest's CPUID
 * is here, in a table, with its reason:
 *  - leaf 1 ECX[31], the hypervisor bit (Linux uses kvmclock and PV EOI only
 *    when it is set);
 *  - leaf 1 ECX[24], the TSC-deadline timer, when KVM emulates it
 *    (KVM_CAP_TSC_DEADLINE_TIMER): KVM_GET_SUPPORTED_CPUID never reports it,
 *    the VMM sets it (as QEMU and Firecracker do).  Without it Linux
 *    calibrates its LAPIC timer against the PIT;
 *  - KVM's leaves at 0x40000000 kept, less the PV features hv cannot back
 *    or the backend does not (cpuid_hidden[], each with why);
 *  - hv's own signature leaf at CPUID_HV_BASE, which a driver tests before
 *    it touches hv's ports.
 * Pure: unit-tested without KVM.
 */
#ifndef HV_X86_CPUID_H
#define HV_X86_CPUID_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kvm.h>

#define CPUID_HV_BASE 0x40000100u    /* eax: highest hv leaf; ebx ecx edx: signature */
#define CPUID_HV_INFO 0x40000101u    /* eax: guest ABI version; ebx: hypercall port */
#define CPUID_HV_SIGNATURE "hvhvhvhvhvhv" /* 12 bytes in ebx, ecx, edx */
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_KVM_SIGNATURE 0x40000000u
#define CPUID_KVM_FEATURES 0x40000001u

/* A KVM PV feature (CPUID 0x40000001 EAX bit) hv hides, and why. */
struct cpuid_hidden {
	unsigned bit;
	const char *name, *why;
	bool pvm_only; /* hidden only on KVM's PVM backend */
};
extern const struct cpuid_hidden cpuid_hidden[];
extern const unsigned cpuid_hidden_count;

/* What the host's KVM brings beyond its supported CPUID. */
struct cpuid_host {
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER */
	bool pvm;          /* the PVM backend (kvm_detect_backend) */
};

/* True if h is hidden on host. */
bool cpuid_hides(const struct cpuid_hidden *h, const struct cpuid_host *host);

/*
 * Edits c (nent entries of room max) in place: the hypervisor bit, the
 * TSC-deadline bit if host->tsc_deadline, the KVM features hidden on host,
 * hv's leaves (added or replaced).  0 or -ENOSPC.
 */
int cpuid_build(struct kvm_cpuid2 *c, uint32_t max, const struct cpuid_host *host);

/* The entry for (function, index 0) in c, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function);

/*
 * --verbose: the KVM PV features offered, and each hidden one with its
 * reason; feat is KVM's supported CPUID 0x40000001 EAX.
 */
void cpuid_describe(FILE *f, uint32_t feat, const struct cpuid_host *host);

#endif
