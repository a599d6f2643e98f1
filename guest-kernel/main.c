/* Kernel entry from the platform's start code: bring-up in order, the drivers, one program. */
#include "apic.h"
#include "boot.h"
#include "console.h"
#include "drivers.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "programs.h"

static __attribute__((noreturn)) void die(const char *why)
{
	printf("guest-kernel: %s\n", why);
	hv_exit(1);
}

void kmain(const struct hv_boot_info *bi);

void kmain(const struct hv_boot_info *bi)
{
	static struct boot boot; /* 8 KiB: kept off the boot stack */
	const char *bad;

	uart_init();
	/* Copy what we need first: hv's boot area is ordinary RAM from now on. */
	bad = boot_take(&boot, bi);
	if (bad)
		die(bad);
	if (!plat_init())
		die("CPU setup failed");
	if (pmm_init(&boot.info))
		die("no usable memory for the page allocator");
	if (paging_init(boot.info.mem_size))
		die("out of memory building page tables");
	heap_init();
	apic_init();
	plat_irq_enable();
	console_use_hypercall(1);

	drivers_probe(&boot);
	hv_exit(programs_run(&boot.info, boot.argc, boot.argv));
}
