/* KVM's feature leaf and steal time (kvm_para.h). */
#include "kvm_para.h"

#include "platform.h"

#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define MSR_KVM_STEAL_TIME 0x4b564d03
#define KVM_MSR_ENABLED 1ull

/* KVM's record: it writes it at each entry after the vCPU was scheduled out. */
struct kvm_steal_time {
	uint64_t steal;
	uint32_t version; /* odd while KVM writes */
	uint32_t flags;
	uint8_t preempted;
	uint8_t pad8[3];
	uint32_t pad[11];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct kvm_steal_time) == 64, "KVM's steal-time record is 64 bytes");

static struct kvm_steal_time steal; /* in RAM mapped 1:1: its address is its GPA */
static bool steal_on;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

bool kvm_para_has(unsigned feature)
{
	uint32_t r[4];

	cpuid(KVM_CPUID_SIGNATURE, r);
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX */
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d || r[0] < KVM_CPUID_FEATURES)
		return false;
	cpuid(KVM_CPUID_FEATURES, r);
	return feature < 32 && (r[0] & (1u << feature));
}

bool kvm_steal_init(void)
{
	if (!kvm_para_has(KVM_FEATURE_STEAL_TIME))
		return false;
	plat_wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)(uintptr_t)&steal | KVM_MSR_ENABLED);
	steal_on = true;
	return true;
}

uint64_t kvm_steal_ns(void)
{
	const volatile struct kvm_steal_time *s = &steal;
	uint32_t v;
	uint64_t ns;

	if (!steal_on)
		return 0;
	do {
		v = s->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ns = s->steal;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != s->version);
	return ns;
}
