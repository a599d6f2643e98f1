/* selftest: one ok/FAIL line per check of what hv and the CPU give the kernel. */
#include "apic.h"
#include "cpuloop.h"
#include "gdt.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "programs.h"
#include "trap.h"
#include "tsc.h"

/*
 * The checks: hv's boot info, event entry and return (invalid opcode, NMI on
 * its IST stack, page fault, timer interrupt), the TSC, the allocators,
 * hypercall error paths, and that the CPU is not emulated.  Exit status:
 * the failed checks.
 */
static int failures, checks;

static void check(bool ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	printf("selftest: %-4s %s\n", ok ? "ok" : "FAIL", what);
}

/* hv's memory map: regions in order, back to back, covering RAM; this code inside KERNEL. */
static void t_boot_info(const struct hv_boot_info *bi)
{
	uint64_t at = 0, me = (uint64_t)(uintptr_t)cmd_selftest;
	bool ordered = bi->nr_mem > 0 && bi->nr_mem <= HV_BOOT_MAX_MEM, mine = false;
	uint32_t i;

	for (i = 0; ordered && i < bi->nr_mem; i++) {
		const struct hv_mem_region *r = &bi->mem[i];
		ordered = r->base == at && r->len > 0;
		at = r->base + r->len;
		if (r->type == HV_MEM_KERNEL && me >= r->base && me < at)
			mine = true;
	}
	check(ordered && at == bi->mem_size, "boot info: memory map covers RAM in order");
	check(mine, "boot info: the running kernel lies in the KERNEL region");
	check(hv_call0(HV_HC_VERSION) == HV_ABI_VERSION, "hypercall: ABI version");
}

/* #UD from ud2: taken through the IDT on the kernel's stack and returned from. */
static volatile uint64_t ud_cs, ud_rip;

static bool on_ud(struct trap_frame *f, void *ctx)
{
	(void)ctx;
	ud_cs = f->cs;
	ud_rip = f->rip;
	f->rip += PLAT_UD_LEN;
	return true;
}

static void t_invalid_opcode(void)
{
	uint64_t before = trap_count(VEC_UD);

	trap_set_handler(VEC_UD, on_ud, NULL);
	plat_invalid_insn();
	trap_set_handler(VEC_UD, NULL, NULL);
	check(trap_count(VEC_UD) == before + 1 && ud_cs == GDT_KCODE &&
		      ud_rip >= (uint64_t)(uintptr_t)plat_invalid_insn,
	      "exception: invalid opcode taken (CS, RIP) and returned from");
}

/* An NMI runs on its own IST stack, whatever the interrupted stack was. */
static volatile bool nmi_on_ist;

static bool on_nmi(struct trap_frame *f, void *ctx)
{
	(void)ctx;
	nmi_on_ist = plat_on_event_stack(VEC_NMI, f);
	return true;
}

static void t_nmi(void)
{
	uint64_t before = trap_count(VEC_NMI), t0 = hv_time_ns();

	trap_set_handler(VEC_NMI, on_nmi, NULL);
	apic_self_nmi();
	while (trap_count(VEC_NMI) == before && hv_time_ns() - t0 < 1000000000ull)
		;
	trap_set_handler(VEC_NMI, NULL, NULL);
	check(trap_count(VEC_NMI) == before + 1 && nmi_on_ist,
	      "exception: self-NMI taken on its IST stack and returned from");
}

/* The TSC runs without exits and agrees with hv's clock. */
static void t_tsc(void)
{
	uint64_t per_us = tsc_ticks_per_us(), t0, c0, c1, ns;

	t0 = hv_time_ns();
	c0 = rdtsc();
	while (hv_time_ns() - t0 < 10000000)
		;
	c1 = rdtsc();
	ns = c1 > c0 ? tsc_to_ns(c1 - c0, per_us) : 0;
	check(per_us >= 1 && per_us < 100000 && ns >= 5000000 && ns <= 20000000,
	      "tsc: rdtsc counts 10 ms of hv's clock as 5 to 20 ms");
}

/* The page-fault test unmaps one page; the handler maps it back and resumes. */
static volatile uint64_t pf_addr, pf_cr2, pf_err;

static bool on_pf(struct trap_frame *f, void *ctx)
{
	(void)ctx;
	if (f->cr2 != pf_addr)
		return false; /* a real fault: let it be fatal */
	pf_cr2 = f->cr2;
	pf_err = f->error_code;
	return paging_set_present(f->cr2, 1) == 0;
}

static void t_page_fault(void)
{
	volatile uint64_t *p = kmalloc(2 * PAGE_SIZE);
	uint64_t page = ALIGN_UP((uint64_t)(uintptr_t)p, PAGE_SIZE);
	uint64_t before = trap_count(VEC_PF);

	pf_addr = page + 8;
	trap_set_handler(VEC_PF, on_pf, NULL);
	paging_set_present(page, 0);
	*(volatile uint64_t *)(uintptr_t)(page + 8) = 0x1234; /* faults, then retries */
	trap_set_handler(VEC_PF, NULL, NULL);
	check(trap_count(VEC_PF) == before + 1 && pf_cr2 == page + 8,
	      "exception: page fault taken with CR2 and returned from");
	check((pf_err & 2) && *(volatile uint64_t *)(uintptr_t)(page + 8) == 0x1234,
	      "exception: page fault error code says write; the write completed");
	kfree((void *)p);
}

static void t_interrupts(void)
{
	uint64_t irqs = apic_timer_irqs(), t0, dt;
	char what[96];

	plat_irq_disable();
	check(!plat_irq_enabled(), "interrupt flag: disable");
	plat_irq_enable();
	check(plat_irq_enabled(), "interrupt flag: enable");
	apic_ticks_per_us(); /* calibrate first: it is not part of the sleep */
	t0 = hv_time_ns();
	sleep_ns(10000000);
	dt = hv_time_ns() - t0;
	check(apic_timer_irqs() > irqs, "timer: x2APIC one-shot interrupt delivered");
	snprintf(what, sizeof(what), "timer: sleep 10 ms lasted %lu us (10 ms to 1 s; %lu ticks/us)",
		 dt / 1000, apic_ticks_per_us());
	check(dt >= 10000000 && dt < 1000000000ull, what);
}

/* Nanoseconds from t0 until the next timer interrupt (others may come meanwhile). */
static uint64_t until_timer_irq(uint64_t t0)
{
	static const volatile int never;
	uint64_t n = apic_timer_irqs();

	for (;;) {
		plat_irq_disable();
		if (apic_timer_irqs() != n)
			break;
		trap_wait(&never); /* returns after an interrupt, enabled */
	}
	plat_irq_enable();
	return hv_time_ns() - t0;
}

/*
 * The bound a wait for a device asks for (apic_timer_within_ns): a sooner
 * one re-arms the timer, a later one keeps the one counting (no register
 * write, no exit).  4 s against 20 ms: either mistake shows as seconds.
 */
static void t_timer_bound(void)
{
	uint64_t t0, dt;
	char what[112];

	t0 = hv_time_ns();
	plat_irq_disable();
	apic_timer_within_ns(4000000000ull);
	apic_timer_within_ns(20000000);
	dt = until_timer_irq(t0);
	snprintf(what, sizeof(what), "timer: a bound of 20 ms after one of 4 s fired in %lu us",
		 dt / 1000);
	check(dt >= 20000000 && dt < 2000000000ull, what);
	t0 = hv_time_ns();
	plat_irq_disable();
	apic_timer_within_ns(20000000);
	apic_timer_within_ns(4000000000ull);
	dt = until_timer_irq(t0);
	snprintf(what, sizeof(what), "timer: a bound of 4 s after one of 20 ms kept it: %lu us",
		 dt / 1000);
	check(dt >= 20000000 && dt < 2000000000ull, what);
}

/*
 * PV EOI, where KVM offers it: negotiated, and the timer's interrupts
 * acknowledged by the memory write.  At most one of 20 by the x2APIC EOI
 * write (an exit): KVM falls back to it when another interrupt is pending
 * as it injects one, which a loaded host makes likelier (pvblk.sh allows
 * the same); without PV EOI every one is.
 */
static void t_pv_eoi(void)
{
	struct apic_eoi_stats e0 = apic_eoi_stats(), e1;
	char what[112];
	int i;

	if (!e0.offered) {
		check(!e0.on, "pv eoi: not offered by the hypervisor, not used");
		return;
	}
	check(e0.on, "pv eoi: offered by KVM and enabled");
	for (i = 0; i < 20; i++)
		sleep_ns(100000);
	e1 = apic_eoi_stats();
	snprintf(what, sizeof(what), "pv eoi: 20 timer interrupts, %lu EOIs by memory, %lu by MSR",
		 e1.by_memory - e0.by_memory, e1.by_msr - e0.by_msr);
	check(e1.by_memory - e0.by_memory + e1.by_msr - e0.by_msr >= 20 &&
	      e1.by_msr - e0.by_msr <= 1, what);
}

static void t_allocators(void)
{
	uint64_t free0 = pmm_free_pages(), a = pmm_alloc(), b = pmm_alloc();
	size_t heap0 = heap_in_use(), i, sizes[] = { 1, 16, 17, 100, 2000, 2048, 5000, 70000 };
	void *blk[ARRAY_SIZE(sizes)];
	bool ok = true;

	check(a && b && a != b && !(a & (PAGE_SIZE - 1)) && pmm_free_pages() == free0 - 2,
	      "page allocator: two distinct aligned pages");
	pmm_free(a);
	pmm_free(b);
	check(pmm_free_pages() == free0, "page allocator: free returns them");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		blk[i] = kmalloc(sizes[i]);
		if (!blk[i])
			ok = false;
		else
			memset(blk[i], (int)i + 1, sizes[i]);
	}
	for (i = 0; ok && i < ARRAY_SIZE(sizes); i++) {
		const uint8_t *p = blk[i];
		size_t j;
		for (j = 0; j < sizes[i]; j++)
			if (p[j] != i + 1)
				ok = false;
	}
	check(ok, "heap: blocks of 1 B to 68 KiB hold their contents");
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		kfree(blk[i]);
	check(heap_in_use() == heap0, "heap: freeing returns every byte");
}

static void t_hypercall_errors(const struct hv_boot_info *bi)
{
	uint64_t end = bi->mem_size;
	struct hv_dev_desc *d = kzalloc(sizeof(*d));

	check(hv_call0(HV_HC_MAX) == -HV_ENOSYS, "hypercall: unknown number -> ENOSYS");
	check(hv_call0(0xffffffffu) == -HV_ENOSYS, "hypercall: huge number -> ENOSYS");
	check(hv_call2(HV_HC_CONSOLE_WRITE, end, 1) == -HV_EFAULT,
	      "hypercall: console write past RAM -> EFAULT");
	check(hv_call2(HV_HC_CONSOLE_WRITE, end - 2, 4) == -HV_EFAULT,
	      "hypercall: console write straddling RAM's end -> EFAULT");
	check(hv_call2(HV_HC_CONSOLE_WRITE, ~0ull - 1, 2) == -HV_EFAULT,
	      "hypercall: console write wrapping around -> EFAULT");
	check(hv_call2(HV_HC_CONSOLE_WRITE, 0x200000, ~0ull) == -HV_E2BIG,
	      "hypercall: console write of 2^64-1 bytes -> E2BIG");
	check(hv_call2(HV_HC_DEV_INFO, 0, (uint64_t)(uintptr_t)d) == 0 && d->type == HV_DEV_UART,
	      "hypercall: device 0 is the UART");
	check(hv_call2(HV_HC_DEV_INFO, 999, (uint64_t)(uintptr_t)d) == -HV_ENOENT,
	      "hypercall: device 999 -> ENOENT");
	check(hv_call2(HV_HC_DEV_INFO, 0, end - 4) == -HV_EFAULT,
	      "hypercall: device info into bad memory -> EFAULT");
	kfree(d);
}

/* Emulation is ~1000x slower; real execution is within a small factor of native. */
static void t_not_emulated(uint64_t host_ns)
{
	char what[128];
	uint64_t t0 = hv_time_ns(), dt;

	cpu_loop(CPULOOP_ITERS);
	dt = hv_time_ns() - t0;
	if (host_ns) {
		snprintf(what, sizeof(what),
			 "cpu: %llu-iteration loop %lu us, host %lu us (bound 10x)",
			 CPULOOP_ITERS, dt / 1000, host_ns / 1000);
		check(dt < 10 * host_ns, what);
	} else {
		/* No reference: 10 s still tells hardware (<1 s) from emulation (minutes). */
		snprintf(what, sizeof(what), "cpu: %llu-iteration loop %lu us (bound 10 s)",
			 CPULOOP_ITERS, dt / 1000);
		check(dt < 10000000000ull, what);
	}
}

int cmd_selftest(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint64_t host_ns = 0;
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "host-loop-ns=", 13) || parse_u64(argv[i] + 13, &host_ns)) {
			printf("selftest: bad argument '%s' (want host-loop-ns=N)\n", argv[i]);
			return 2;
		}
	failures = checks = 0;
	t_boot_info(bi);
	t_invalid_opcode();
	t_nmi();
	t_tsc();
	t_page_fault();
	t_interrupts();
	t_timer_bound();
	t_pv_eoi();
	t_allocators();
	t_hypercall_errors(bi);
	t_not_emulated(host_ns);
	printf("selftest: %d checks, %d failed\n", checks, failures);
	return failures;
}
