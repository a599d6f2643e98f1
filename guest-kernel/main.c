/* Kernel entry from the platform's start code: bring-up, then one command. */
#include "apic.h"
#include "console.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"

struct hv_boot_info boot_info;

#define MAX_ARGS 16

static char cmdline[HV_CMDLINE_MAX];

static int split_args(char *s, char **argv)
{
	int argc = 0;

	while (*s && argc < MAX_ARGS - 1) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ')
			s++;
	}
	argv[argc] = NULL;
	return argc;
}

static __attribute__((noreturn)) void die(const char *why)
{
	printf("guest-kernel: %s\n", why);
	hv_exit(1);
}

void kmain(const struct hv_boot_info *bi);

void kmain(const struct hv_boot_info *bi)
{
	char *argv[MAX_ARGS];
	int argc;

	uart_init();
	/* Copy what we need first: hv's boot area is ordinary RAM from now on. */
	if (bi->magic != HV_BOOT_MAGIC || bi->version != HV_ABI_VERSION)
		die("bad boot info (magic or version)");
	boot_info = *bi;
	if (boot_info.cmdline_len >= HV_CMDLINE_MAX)
		die("bad boot info (command line length)");
	memcpy(cmdline, (const char *)(uintptr_t)bi->cmdline_gpa, boot_info.cmdline_len);
	cmdline[boot_info.cmdline_len] = '\0';

	if (!plat_init())
		die("no supported platform (this kernel needs KVM's PVM backend)");
	if (pmm_init(&boot_info))
		die("no usable memory for the page allocator");
	if (paging_init(boot_info.mem_size))
		die("out of memory building page tables");
	heap_init();
	apic_init();
	plat_irq_enable();
	console_use_hypercall(1);

	argc = split_args(cmdline, argv);
	hv_exit(commands_run(argc, argv));
}
