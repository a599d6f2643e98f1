/*
 * Kernel entry from the platform's start code: bring-up in order, the
 * drivers, the network's addresses, one program.
 */
#include "apic.h"
#include "boot_args.h"
#include "console.h"
#include "drivers.h"
#include "hypercall.h"
#include "kvm_para.h"
#include "lib.h"
#include "mm.h"
#include "netstack.h"
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
	static struct boot_args args; /* 8 KiB: kept off the boot stack */
	const char *bad;

	uart_init();
	/* Copy what we need first: hv's boot area is ordinary RAM from now on. */
	bad = boot_args_take(&args, bi);
	if (bad)
		die(bad);
	if (!plat_init())
		die("CPU setup failed");
	if (pmm_init(&args.info))
		die("no usable memory for the page allocator");
	if (paging_init(args.info.mem_size))
		die("out of memory building page tables");
	heap_init();
	apic_init();
	apic_pv_eoi_init(!boot_args_param(&args, "pveoi") ||
			 strcmp(boot_args_param(&args, "pveoi"), "off"));
	kvm_steal_init(); /* the poll window's witness of a host that took the CPU */
	plat_irq_enable();
	console_use_hypercall(1);

	drivers_probe(&args);
	net_configure(&args);
	hv_exit(programs_run(&args.info, args.argc, args.argv));
}
