/*
 * The pv_os services of pv_os_guest.h: the page allocator (RAM is mapped
 * 1:1, so a virtual address is the device's address), the hypercall, the
 * doorbell's port write, the interrupt flag and the halt; and the vector
 * choice every PV glue makes.
 */
#include "pv_os_guest.h"

#include "apic.h"
#include "boot_args.h"
#include "hypercall.h"
#include "kvm_para.h"
#include "lib.h"
#include "mm.h"
#include "pci.h"
#include "platform.h"
#include "trap.h"
#include "tsc.h"

static void *os_dma_alloc(void *ctx, size_t n, uint64_t *pa)
{
	uint64_t p = pmm_alloc_contig(PAGES_FOR(n));

	(void)ctx;
	*pa = p; /* the kernel maps RAM 1:1 */
	return p ? (void *)(uintptr_t)p : NULL;
}

static void os_dma_free(void *ctx, void *p, size_t n)
{
	(void)ctx;
	pmm_free_contig((uint64_t)(uintptr_t)p, PAGES_FOR(n));
}

static uint64_t os_virt_to_phys(void *ctx, const void *p)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)p;
}

static int64_t os_hypercall(void *ctx, uint64_t nr, uint64_t a0, uint64_t a1)
{
	(void)ctx;
	return hv_call2(nr, a0, a1);
}

static void os_notify(void *ctx, uint16_t port, uint32_t value)
{
	(void)ctx;
	asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static uint64_t os_irq_save(void *ctx)
{
	bool on = plat_irq_enabled();

	(void)ctx;
	plat_irq_disable();
	return on;
}

static void os_irq_restore(void *ctx, uint64_t flags)
{
	(void)ctx;
	if (flags)
		plat_irq_enable();
}

/* A halt the timer ends within PV_OS_WAIT_TIMEOUT_NS (pv_os.h): a lost interrupt is survived. */
static void os_wait(void *ctx, const volatile int *flag)
{
	(void)ctx;
	plat_irq_disable();
	if (!*flag)
		apic_timer_within_ns(PV_OS_WAIT_TIMEOUT_NS);
	trap_wait(flag);
}

static uint64_t os_now_ns(void *ctx)
{
	(void)ctx;
	return tsc_to_ns(rdtsc(), tsc_ticks_per_us());
}

static uint64_t os_preempted(void *ctx)
{
	(void)ctx;
	return kvm_steal_ns();
}

const struct pv_os pv_os_guest = {
	.dma_alloc = os_dma_alloc, .dma_free = os_dma_free,
	.virt_to_phys = os_virt_to_phys, .hypercall = os_hypercall,
	.notify = os_notify, .irq_save = os_irq_save, .irq_restore = os_irq_restore,
	.wait = os_wait, .now_ns = os_now_ns, .preempted = os_preempted,
};

uint32_t pv_os_guest_vector(const struct boot_args *b, const char *name, uint32_t dev_index,
			    unsigned entry, trap_fn handler, void *ctx)
{
	struct pci_fn f;
	uint32_t v;

	if (boot_args_names(b, "poll", name))
		return 0;
	v = trap_alloc_vector(handler, ctx);
	if (!v) {
		printf("%s: no interrupt vector left: polling\n", name);
		return 0;
	}
	if (pci_find_pv(dev_index, &f) || pci_msix_route(&f, entry, v)) {
		printf("%s: no MSI-X entry %u: polling\n", name, entry);
		trap_set_handler(v, NULL, NULL);
		return 0;
	}
	return v;
}
