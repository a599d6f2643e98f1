/* Kernel entry from the platform's start code: bring-up, then one command. */
#include "apic.h"
#include "blkdev.h"
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

/* Kernel parameters: KEY=VALUE words before the command. */
#define MAX_PARAMS 8
static char *params[MAX_PARAMS];
static int nparams;

const char *kernel_param(const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < nparams; i++)
		if (!strncmp(params[i], key, n) && params[i][n] == '=')
			return params[i] + n + 1;
	return NULL;
}

static bool is_param(const char *w)
{
	for (; *w; w++)
		if (*w == '=')
			return true;
	return false;
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
		die("CPU setup failed");
	if (pmm_init(&boot_info))
		die("no usable memory for the page allocator");
	if (paging_init(boot_info.mem_size))
		die("out of memory building page tables");
	heap_init();
	apic_init();
	plat_irq_enable();
	console_use_hypercall(1);

	argc = split_args(cmdline, argv);
	while (argc && nparams < MAX_PARAMS && is_param(argv[0])) {
		params[nparams++] = argv[0];
		argc--;
		memmove(argv, argv + 1, sizeof(argv[0]) * (size_t)(argc + 1));
	}
	pvblk_probe();
	trapblk_probe();
	hv_exit(commands_run(argc, argv));
}
