/* The guest programs, chosen by the command line, and the simple ones. */
#include "apic.h"
#include "console.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "platform.h"

static int cmd_hello(int argc, char **argv)
{
	static const char uart_msg[] = "hello from the guest, through the trapped 16550 UART\n";
	(void)argc, (void)argv;
	uart_write(uart_msg, sizeof(uart_msg) - 1);
	printf("hello from the guest, through the console hypercall\n");
	return 0;
}

/* What a trap costs against a hypercall, measured with hv's clock. */
static int cmd_exitcost(int argc, char **argv)
{
	enum { N = 2000 };
	uint64_t t0, t1, t2, i;
	volatile uint8_t sink;

	(void)argc, (void)argv;
	t0 = hv_time_ns();
	for (i = 0; i < N; i++)
		hv_call0(HV_HC_VERSION);
	t1 = hv_time_ns();
	for (i = 0; i < N; i++) {
		uint8_t v;
		asm volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)(HV_UART_PORT + 7)));
		sink = v;
	}
	t2 = hv_time_ns();
	(void)sink;
	printf("exitcost: hypercall %lu ns/call, trapped UART register read %lu ns/access (%d each)\n",
	       (t1 - t0) / N, (t2 - t1) / N, N);
	return 0;
}

static int cmd_exit(int argc, char **argv)
{
	uint64_t status;

	if (argc != 2 || parse_u64(argv[1], &status) || status > 255) {
		printf("exit: want one status, 0..255\n");
		return 2;
	}
	return (int)status;
}

static int cmd_divzero(int argc, char **argv)
{
	uint32_t q, r;

	(void)argc, (void)argv;
	printf("divzero: dividing by zero; expect a divide-error report\n");
	/* In asm: the compiler turns 1 / x into compares and never divides. */
	asm volatile("divl %2" : "=a"(q), "=d"(r) : "r"(0u), "a"(1u), "d"(0u));
	return (int)(q + r);
}

static int cmd_spin(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("spin: looping forever\n");
	for (;;)
		asm volatile("pause");
	__builtin_unreachable();
}

static int cmd_demo(int argc, char **argv)
{
	int failed = cmd_selftest(argc, argv);

	cmd_hello(argc, argv);
	cmd_exitcost(argc, argv);
	return failed;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "demo", "self-test, hello and the exit-cost demo (the default)", cmd_demo },
	{ "selftest", "check exceptions, timer, allocators, hypercall errors [host-loop-ns=N]",
	  cmd_selftest },
	{ "hello", "greet through the UART and the hypercall console", cmd_hello },
	{ "exitcost", "time a hypercall against a trapped register read", cmd_exitcost },
	{ "blkinfo", "list block devices: capacity, flags, driver", cmd_blkinfo },
	{ "sha256", "DEV: SHA-256 of the whole device", cmd_sha256 },
	{ "copy", "SRC DST: copy one device onto another, then flush", cmd_copy },
	{ "blkwrite", "DEV SECTOR COUNT BYTE: write a pattern, print the status", cmd_blkwrite },
	{ "blkverify", "DEV [ROUNDS]: depth-32 mixed reads/writes checked byte for byte",
	  cmd_blkverify },
	{ "blkhostile", "PVDEV [RING-PVDEV]: malformed requests and rings; check statuses",
	  cmd_blkhostile },
	{ "blkreattach", "PVDEV [N]: detach and attach the queue N times, then read",
	  cmd_blkreattach },
	{ "traphostile", "TRAPDEV: bad register values on the trap controller; check statuses",
	  cmd_traphostile },
	{ "blkbench", "DEV [--time S] [--json] [WORKLOAD...]: IOPS, MB/s, latency, exits/io",
	  cmd_blkbench },
	{ "cpubench", "[--json]: SHA-256 over 8 MiB x 8 (CPU-bound; compare native-cpubench)",
	  cmd_cpubench },
	{ "exit", "N: exit with status N (0..255)", cmd_exit },
	{ "divzero", "divide by zero (shows the fatal-exception report)", cmd_divzero },
	{ "spin", "loop forever (for --timeout)", cmd_spin },
	{ "help", "list the commands", cmd_help },
};

static int cmd_help(int argc, char **argv)
{
	size_t i;
	(void)argc, (void)argv;
	printf("commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].usage);
	return 0;
}

int commands_run(int argc, char **argv)
{
	size_t i;

	if (argc == 0)
		return cmd_demo(0, argv);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].run(argc, argv);
	printf("unknown command '%s'\n", argv[0]);
	cmd_help(0, argv);
	return 2;
}
