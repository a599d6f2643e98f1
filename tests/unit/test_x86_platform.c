/*
 * The platform pieces hv hands KVM, checked without KVM: the CPUID builder
 * (hypervisor bit, KVM's leaves kept less the hidden features, hv's leaf)
 * and the GSI routing table (KVM's PIC and IOAPIC defaults beside every MSI,
 * whatever MSIs come and go).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_abi.h"
#include "kvm/kvm.h"
#include "suites.h"
#include "x86/cpuid.h"

#define MAX 8

static struct kvm_cpuid2 *supported(unsigned room)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + room * sizeof(c->entries[0]));

	c->nent = 3;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x00202001, .edx = 0x178bfbff };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_SIGNATURE,
						   .eax = CPUID_KVM_FEATURES, .ebx = 0x4b4d564b };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_FEATURES,
						   .eax = 0x01007fff };
	return c;
}

static void test_cpuid(void)
{
	struct kvm_cpuid2 *c = supported(MAX);
	struct kvm_cpuid_entry2 *e;
	char sig[13] = { 0 };
	unsigned i;

	CU_ASSERT_EQUAL_FATAL(cpuid_build(c, MAX, &(struct cpuid_host){ 0 }), 0);
	e = cpuid_find(c, 1);
	CU_ASSERT_EQUAL(e->ecx, 0x00202001 | CPUID_1_ECX_HYPERVISOR);
	/* With KVM_CAP_TSC_DEADLINE_TIMER: the TSC-deadline bit too, nothing else. */
	CU_ASSERT_EQUAL(cpuid_build(c, MAX, &(struct cpuid_host){ .tsc_deadline = true }), 0);
	CU_ASSERT_EQUAL(cpuid_find(c, 1)->ecx,
			0x00202001 | CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_TSC_DEADLINE);
	cpuid_find(c, 1)->ecx = 0x00202001 | CPUID_1_ECX_HYPERVISOR;
	CU_ASSERT_EQUAL(e->edx, 0x178bfbff);
	e = cpuid_find(c, CPUID_KVM_SIGNATURE);
	CU_ASSERT(e && e->ebx == 0x4b4d564b);
	e = cpuid_find(c, CPUID_KVM_FEATURES);
	CU_ASSERT(e->eax & (1u << 3));  /* clocksource2: kvmclock */
	CU_ASSERT(e->eax & (1u << 6));  /* PV EOI */
	for (i = 0; i < cpuid_hidden_count; i++)
		if (!cpuid_hidden[i].pvm_only)
			CU_ASSERT_FALSE(e->eax & (1u << cpuid_hidden[i].bit));
	e = cpuid_find(c, CPUID_HV_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->eax, CPUID_HV_INFO);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	CU_ASSERT_STRING_EQUAL(sig, CPUID_HV_SIGNATURE);
	e = cpuid_find(c, CPUID_HV_INFO);
	CU_ASSERT(e && e->eax == HV_ABI_VERSION && e->ebx == HV_HC_PORT);
	CU_ASSERT_EQUAL(c->nent, 5);
	/* Built twice (or from a list that already has hv's leaves): replaced, not added. */
	CU_ASSERT_EQUAL(cpuid_build(c, MAX, &(struct cpuid_host){ 0 }), 0);
	CU_ASSERT_EQUAL(c->nent, 5);
	free(c);
	/* No room for hv's leaves: refused, not overrun. */
	c = supported(4);
	CU_ASSERT_EQUAL(cpuid_build(c, 4, &(struct cpuid_host){ 0 }), -ENOSPC);
	free(c);
}

/*
 * --verbose's CPUID lines for host, KVM offering every feature up to bit 14
 * and clocksource-stable: the offered line in offered, the hidden ones in
 * hidden.
 */
static void describe(const struct cpuid_host *host, char *offered, char *hidden, size_t n)
{
	char out[1024] = "", *nl;
	FILE *f = fmemopen(out, sizeof(out), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cpuid_describe(f, 0x01007fff, host);
	fclose(f);
	nl = strchr(out, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	*nl = '\0';
	snprintf(offered, n, "%s ", out); /* a space after the last name too */
	snprintf(hidden, n, "%s", nl + 1);
}

/*
 * On KVM's PVM backend PV EOI is hidden too (it never marks an interrupt
 * for it), and --verbose says so; elsewhere it is offered and not named
 * among the hidden.
 */
static void test_cpuid_pvm(void)
{
	const struct cpuid_host pvm = { .pvm = true }, svm = { 0 };
	struct kvm_cpuid2 *c = supported(MAX);
	char offered[1024], hidden[1024];

	CU_ASSERT_EQUAL_FATAL(cpuid_build(c, MAX, &pvm), 0);
	CU_ASSERT_FALSE(cpuid_find(c, CPUID_KVM_FEATURES)->eax & (1u << 6));
	CU_ASSERT(cpuid_find(c, CPUID_KVM_FEATURES)->eax & (1u << 3)); /* kvmclock stays */
	free(c);
	describe(&pvm, offered, hidden, sizeof(offered));
	CU_ASSERT_PTR_NULL(strstr(offered, " pv-eoi "));
	CU_ASSERT_PTR_NOT_NULL(strstr(offered, " clocksource2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(hidden, "hv: CPUID: hidden pv-eoi (KVM supports it): the PVM backend"));
	describe(&svm, offered, hidden, sizeof(offered));
	CU_ASSERT_PTR_NOT_NULL(strstr(offered, " pv-eoi "));
	CU_ASSERT_PTR_NULL(strstr(hidden, "hidden pv-eoi"));
}

/* Every default route present: GSI i to IOAPIC pin i, GSI 0-15 also to the PICs. */
static void check_defaults(const struct kvm_irq_routing_entry *r, unsigned n)
{
	unsigned gsi, i, ioapic, pic;

	for (gsi = 0; gsi < KVM_IOAPIC_PINS; gsi++) {
		ioapic = pic = 0;
		for (i = 0; i < n; i++) {
			if (r[i].gsi != gsi || r[i].type != KVM_IRQ_ROUTING_IRQCHIP)
				continue;
			if (r[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC && r[i].u.irqchip.pin == gsi)
				ioapic++;
			if (r[i].u.irqchip.irqchip == (gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							       : KVM_IRQCHIP_PIC_SLAVE) &&
			    r[i].u.irqchip.pin == gsi % 8)
				pic++;
		}
		CU_ASSERT_EQUAL(ioapic, 1);
		CU_ASSERT_EQUAL(pic, gsi < KVM_PIC_PINS ? 1u : 0u);
	}
}

static void test_routes(void)
{
	struct kvm_irq_routing_entry r[KVM_MAX_ROUTES];
	struct kvm_vm k;
	unsigned n, i;

	memset(&k, 0, sizeof(k));
	n = kvm_irq_routes(&k, r);
	CU_ASSERT_EQUAL(n, KVM_PIC_PINS + KVM_IOAPIC_PINS);
	check_defaults(r, n);
	/* As queues attach (MSIs added) and detach (removed), the defaults stay. */
	for (i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		k.msi[k.nr_msi++] = (struct kvm_irq_routing_entry){
			.gsi = KVM_MSI_GSI_BASE + i, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = 0xfee00000u, .data = 0x40 + i } };
		n = kvm_irq_routes(&k, r);
		CU_ASSERT_EQUAL(n, KVM_PIC_PINS + KVM_IOAPIC_PINS + k.nr_msi);
		check_defaults(r, n);
		CU_ASSERT_EQUAL(r[n - 1].type, KVM_IRQ_ROUTING_MSI);
		CU_ASSERT_EQUAL(r[n - 1].u.msi.data, 0x40 + i);
	}
	k.nr_msi = 3;
	n = kvm_irq_routes(&k, r);
	check_defaults(r, n);
	k.nr_msi = 0;
	check_defaults(r, kvm_irq_routes(&k, r));
}

int suite_x86_platform(void)
{
	static const CU_TestInfo t[] = {
		{ "CPUID: hypervisor bit, KVM leaves, hidden features, hv leaf", test_cpuid },
		{ "CPUID: PV EOI hidden on the PVM backend, and said", test_cpuid_pvm },
		{ "GSI routes: KVM's defaults beside every MSI", test_routes },
		CU_TEST_INFO_NULL,
	};
	return add_suite("x86_platform", t);
}
