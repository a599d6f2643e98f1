/* The guest's CPUID, built from KVM's supported list (see cpuid.h). */
#include "x86/cpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "hv_abi.h"
#include "core/util.h"

/* KVM_FEATURE_* bit numbers (asm/kvm_para.h), named here for the report. */
static const char *const kvm_feature_names[32] = {
	[0] = "clocksource", [1] = "nop-io-delay", [3] = "clocksource2", [4] = "async-pf",
	[5] = "steal-time", [6] = "pv-eoi", [7] = "pv-unhalt", [9] = "pv-tlb-flush",
	[10] = "async-pf-vmexit", [11] = "pv-send-ipi", [12] = "poll-control",
	[13] = "pv-sched-yield", [14] = "async-pf-int", [15] = "msi-ext-dest-id",
	[16] = "hc-map-gpa-range", [17] = "migration-control", [24] = "clocksource-stable",
};

const struct cpuid_hidden cpuid_hidden[] = {
	{ 7, "pv-unhalt", "one vCPU: there is never a halted lock waiter to kick", false },
	{ 16, "hc-map-gpa-range", "hv does not take KVM_HC_MAP_GPA_RANGE exits (no encrypted guests)",
	  false },
	{ 17, "migration-control", "hv does not migrate guests", false },
	{ 6, "pv-eoi", "the PVM backend never marks an interrupt for it (hv's selftest: 20 of 20 "
		       "timer interrupts acknowledged by the EOI write all the same)", true },
};
const unsigned cpuid_hidden_count = ARRAY_SIZE(cpuid_hidden);

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == 0)
			return &c->entries[i];
	return NULL;
}

static int set_leaf(struct kvm_cpuid2 *c, uint32_t max, uint32_t fn, uint32_t a, uint32_t b,
		    uint32_t cx, uint32_t d)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn);

	if (!e) {
		if (c->nent == max)
			return -ENOSPC;
		e = &c->entries[c->nent++];
	}
	*e = (struct kvm_cpuid_entry2){ .function = fn, .eax = a, .ebx = b, .ecx = cx, .edx = d };
	return 0;
}

bool cpuid_hides(const struct cpuid_hidden *h, const struct cpuid_host *host)
{
	return !h->pvm_only || host->pvm;
}

int cpuid_build(struct kvm_cpuid2 *c, uint32_t max, const struct cpuid_host *host)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1);
	uint32_t sig[3];
	unsigned i;
	int rc;

	if (e)
		e->ecx |= CPUID_1_ECX_HYPERVISOR | (host->tsc_deadline ? CPUID_1_ECX_TSC_DEADLINE : 0);
	e = cpuid_find(c, CPUID_KVM_FEATURES);
	if (e)
		for (i = 0; i < cpuid_hidden_count; i++)
			if (cpuid_hides(&cpuid_hidden[i], host))
				e->eax &= ~(1u << cpuid_hidden[i].bit);
	memcpy(sig, CPUID_HV_SIGNATURE, sizeof(sig));
	rc = set_leaf(c, max, CPUID_HV_BASE, CPUID_HV_INFO, sig[0], sig[1], sig[2]);
	if (!rc)
		rc = set_leaf(c, max, CPUID_HV_INFO, HV_ABI_VERSION, HV_HC_PORT, 0, 0);
	return rc;
}

void cpuid_describe(FILE *f, uint32_t feat, const struct cpuid_host *host)
{
	unsigned b, i;

	fputs("hv: CPUID: hypervisor bit set; KVM PV features offered:", f);
	for (b = 0; b < 32; b++) {
		bool hidden = false;
		for (i = 0; i < cpuid_hidden_count; i++)
			hidden |= cpuid_hidden[i].bit == b && cpuid_hides(&cpuid_hidden[i], host);
		if ((feat >> b & 1) && !hidden) {
			if (kvm_feature_names[b])
				fprintf(f, " %s", kvm_feature_names[b]);
			else
				fprintf(f, " bit%u", b);
		}
	}
	fputc('\n', f);
	for (i = 0; i < cpuid_hidden_count; i++)
		if (cpuid_hides(&cpuid_hidden[i], host))
			fprintf(f, "hv: CPUID: hidden %s (%s): %s\n", cpuid_hidden[i].name,
				feat >> cpuid_hidden[i].bit & 1 ? "KVM supports it" : "KVM lacks it too",
				cpuid_hidden[i].why);
	fprintf(f, "hv: CPUID: hv leaf 0x%x signature \"%s\"\n", CPUID_HV_BASE, CPUID_HV_SIGNATURE);
}
