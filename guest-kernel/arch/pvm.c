/*
 * The platform interface on KVM's PVM backend: the kernel runs at hardware
 * CPL 3; privileged operations are PVM hypercalls (SYSCALL in supervisor
 * mode), the interrupt flag lives in the PVCS, events enter at
 * MSR_PVM_EVENT_ENTRY (arch/pvm_entry.S).
 */
#include "lib.h"
#include "platform.h"
#include "pvm.h"

extern volatile uint64_t pvcs[512]; /* arch/pvm_entry.S */
extern char pvm_event_entry[];

#define PVCS_FLAGS pvcs[PVCS_event_flags / 8]
#define IF_BIT (1ull << PVM_EVENT_FLAGS_IF_BIT)
#define IP_BIT (1ull << PVM_EVENT_FLAGS_IP_BIT)

#define STR_(...) #__VA_ARGS__
#define STR(...) STR_(__VA_ARGS__)

struct pvm_hc_ret {
	uint64_t rax, rdx;
};

/* A PVM hypercall: args in rbx, r10; RCX and R11 clobbered; RDMSR returns rdx. */
static inline struct pvm_hc_ret pvm_hc(uint64_t nr, uint64_t a0, uint64_t a1)
{
	register uint64_t r10 asm("r10") = a1;
	uint64_t rdx = 0;

	asm volatile("syscall"
		     : "+a"(nr), "+d"(rdx), "+r"(r10)
		     : "b"(a0)
		     : "rcx", "r11", "memory");
	return (struct pvm_hc_ret){ nr, rdx };
}

struct cpuid {
	uint32_t a, b, c, d;
};

/* CPUID as the PVM hypervisor answers it: `invlpg <magic>; cpuid`. */
static struct cpuid pvm_cpuid(uint32_t leaf)
{
	struct cpuid r;

	asm volatile(".byte " STR(PVM_SYNTHETIC_CPUID_BYTES)
		     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(0)
		     : "memory");
	return r;
}

static bool sig_is(const struct cpuid *r, const char *sig)
{
	char s[12];

	memcpy(s, &r->b, 4);
	memcpy(s + 4, &r->c, 4);
	memcpy(s + 8, &r->d, 4);
	return !memcmp(s, sig, 12);
}

/*
 * Early detection, as the specification orders it: hardware CPL 3 and
 * hardware IF set (other entries stop here), then the KVM and PVM leaves.
 */
static bool pvm_detect(void)
{
	uint16_t cs;
	uint64_t fl;
	struct cpuid r;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("pushfq; popq %0" : "=r"(fl));
	if ((cs & 3) != 3 || !(fl & (1u << 9))) {
		printf("pvm: not PVM (hardware CPL %u, IF %u)\n", cs & 3, (unsigned)(fl >> 9) & 1);
		return false;
	}
	r = pvm_cpuid(KVM_CPUID_SIGNATURE);
	if (!sig_is(&r, "KVMKVMKVM\0\0\0")) {
		printf("pvm: no KVM signature at leaf 0x40000000\n");
		return false;
	}
	r = pvm_cpuid(PVM_CPUID_SIGNATURE);
	if (!sig_is(&r, "PVMPVMPVM\0\0\0") || r.a < PVM_CPUID_FEATURES) {
		printf("pvm: no PVM signature at leaf 0x40000200 (eax %x)\n", r.a);
		return false;
	}
	r = pvm_cpuid(PVM_CPUID_FEATURES);
	if (r.a != PVM_ABI_VERSION) {
		printf("pvm: PVM ABI version %u, this kernel speaks %u\n", r.a, PVM_ABI_VERSION);
		return false;
	}
	return true;
}

uint64_t plat_rdmsr(uint32_t msr)
{
	return pvm_hc(PVM_HC_RDMSR, msr, 0).rdx;
}

void plat_wrmsr(uint32_t msr, uint64_t v)
{
	pvm_hc(PVM_HC_WRMSR, msr, v);
}

bool plat_init(void)
{
	if (!pvm_detect())
		return false;
	PVCS_FLAGS = 0; /* interrupts off until the kernel is ready */
	plat_wrmsr(MSR_PVM_EVENT_ENTRY, (uint64_t)(uintptr_t)pvm_event_entry);
	plat_wrmsr(MSR_PVM_VCPU_STRUCT, (uint64_t)(uintptr_t)pvcs);
	if (plat_rdmsr(MSR_PVM_VCPU_STRUCT) != (uint64_t)(uintptr_t)pvcs ||
	    plat_rdmsr(MSR_PVM_EVENT_ENTRY) != (uint64_t)(uintptr_t)pvm_event_entry) {
		printf("pvm: the hypervisor did not take the PVCS and event entry MSRs\n");
		return false;
	}
	return true;
}

const char *plat_name(void)
{
	return "pvm";
}

void plat_irq_disable(void)
{
	asm volatile("btrq %1, %0" : "+m"(PVCS_FLAGS) : "Ir"(PVM_EVENT_FLAGS_IF_BIT) : "memory");
}

void plat_irq_enable(void)
{
	asm volatile("orq %1, %0" : "+m"(PVCS_FLAGS) : "er"(IF_BIT) : "memory");
	/* An interrupt held back while IF was clear: let the hypervisor deliver it. */
	if (PVCS_FLAGS & IP_BIT)
		pvm_hc(PVM_HC_IRQ_WIN, 0, 0);
}

bool plat_irq_enabled(void)
{
	return PVCS_FLAGS & IF_BIT;
}

void plat_halt(void)
{
	pvm_hc(PVM_HC_IRQ_HLT, 0, 0); /* sti; hlt in one step */
}

void plat_load_pgtbl(uint64_t cr3)
{
	pvm_hc(PVM_HC_LOAD_PGTBL, PVM_LOAD_PGTBL_FLAGS_TLB, cr3);
}

void plat_flush_tlb(void)
{
	pvm_hc(PVM_HC_TLB_FLUSH, 0, 0);
}

void plat_breakpoint(void)
{
	asm volatile("int3" ::: "memory");
}
