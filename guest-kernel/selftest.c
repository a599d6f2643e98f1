/*
 * selftest: one line per check, "ok" or "FAIL"; exit status = failures.
 * Exercises event entry and return (breakpoint, page fault, timer interrupt),
 * the allocators, hypercall error paths, and that the CPU is not emulated.
 */
#include "apic.h"
#include "cpuloop.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "trap.h"

static int failures, checks;

static void check(bool ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	printf("selftest: %-4s %s\n", ok ? "ok" : "FAIL", what);
}

static void t_platform(void)
{
	const struct hv_boot_info *bi = &boot_info;
	check(bi->magic == HV_BOOT_MAGIC && bi->nr_mem > 0 && bi->mem_size >= HV_MEM_MIN,
	      "boot info: magic, memory map");
	check(!strcmp(plat_name(), "pvm"), "platform is PVM");
	check(hv_call0(HV_HC_VERSION) == HV_ABI_VERSION, "hypercall: ABI version");
}

static void t_breakpoint(void)
{
	uint64_t before = trap_count(VEC_BP);
	plat_breakpoint();
	check(trap_count(VEC_BP) == before + 1, "exception: breakpoint taken and returned from");
}

/* The page-fault test unmaps one page; the handler maps it back and resumes. */
static volatile uint64_t pf_addr, pf_cr2, pf_err;

static bool on_pf(struct trap_frame *f)
{
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
	trap_set_handler(VEC_PF, on_pf);
	paging_set_present(page, 0);
	*(volatile uint64_t *)(uintptr_t)(page + 8) = 0x1234; /* faults, then retries */
	trap_set_handler(VEC_PF, NULL);
	check(trap_count(VEC_PF) == before + 1 && pf_cr2 == page + 8,
	      "exception: page fault taken with CR2 and returned from");
	check((pf_err & 2) && *(volatile uint64_t *)(uintptr_t)(page + 8) == 0x1234,
	      "exception: page fault error code says write; the write completed");
	kfree((void *)p);
}

static void t_interrupts(void)
{
	uint64_t irqs = apic_timer_irqs(), t0, dt;

	plat_irq_disable();
	check(!plat_irq_enabled(), "interrupt flag: disable");
	plat_irq_enable();
	check(plat_irq_enabled(), "interrupt flag: enable");
	t0 = hv_time_ns();
	sleep_ns(10000000);
	dt = hv_time_ns() - t0;
	check(apic_timer_irqs() > irqs, "timer: x2APIC one-shot interrupt delivered");
	check(dt >= 10000000 && dt < 1000000000ull, "timer: sleep 10 ms lasts 10 ms to 1 s");
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

static void t_hypercall_errors(void)
{
	uint64_t end = boot_info.mem_size;
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
		snprintf(what, sizeof(what), "cpu: %llu-iteration loop %lu us (bound 1 s)",
			 CPULOOP_ITERS, dt / 1000);
		check(dt < 1000000000ull, what);
	}
}

int cmd_selftest(int argc, char **argv)
{
	uint64_t host_ns = 0;
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "host-loop-ns=", 13) || parse_u64(argv[i] + 13, &host_ns)) {
			printf("selftest: bad argument '%s' (want host-loop-ns=N)\n", argv[i]);
			return 2;
		}
	failures = checks = 0;
	t_platform();
	t_breakpoint();
	t_page_fault();
	t_interrupts();
	t_allocators();
	t_hypercall_errors();
	t_not_emulated(host_ns);
	printf("selftest: %d checks, %d failed\n", checks, failures);
	return failures;
}
