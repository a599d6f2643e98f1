/* The command table: every guest program with its usage line, and the dispatch to one. */
#include "programs.h"

#include "blkdev.h"
#include "lib.h"

struct program {
	const char *name;
	const char *usage;
	program_fn *run;
};

static program_fn cmd_help;

static const struct program programs[] = {
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
	{ "netinfo", "list NICs: MAC, MTU, link, address, driver, counters", cmd_netinfo },
	{ "ping", "ADDR [COUNT] [--interval MS]: ICMP echo, round trip per reply, a summary",
	  cmd_ping },
	{ "udpecho", "PORT [--count N]: echo UDP datagrams (N of them, or for ever)", cmd_udpecho },
	{ "tcpecho", "PORT [--count N]: echo TCP connections (N of them, or for ever)",
	  cmd_tcpecho },
	{ "httpd", "PORT [--count N]: GET / (status page), GET /bytes/N (N pattern bytes)",
	  cmd_httpd },
	{ "iperf", "[-c ADDR] [--count N]: iperf2 server on port 5001, or a 10 s stream to ADDR",
	  cmd_iperf },
	{ "netloop", "DEV N [--window W]: N random frames through hv's loop backend, checked",
	  cmd_netloop },
	{ "nethostile", "PVDEV [--loop]: malformed TX frames, RX buffers and rings; check statuses",
	  cmd_nethostile },
	{ "netcost", "PROG ARGS...: run a network program; its frames, exits, CPU as JSON",
	  cmd_netcost },
	{ "blkops", "DEV STEP...: w:SECTOR:COUNT:BYTE, r:SECTOR:COUNT, f; each status printed",
	  cmd_blkops },
	{ "durwrite", "DEV SEED: checked records, each write flushed, then \"acked N\"",
	  cmd_durwrite },
	{ "flood", "hypercall|doorbell|trap SECONDS: hammer hv, check answers, then the disks",
	  cmd_flood },
	{ "isolate", "MINE OTHER [SECONDS]: mark RAM, scan all RAM and MMIO for another guest",
	  cmd_isolate },
	{ "snapcount", "[STEPS] [WORK]: deterministic lines over time (snapshot tests)",
	  cmd_snapcount },
	{ "snapio", "DEV SECONDS [N]: N reads, a spin, N timed reads (snapshot benchmark)",
	  cmd_snapio },
	{ "exit", "N: exit with status N (0..255)", cmd_exit },
	{ "divzero", "divide by zero (shows the fatal-exception report)", cmd_divzero },
	{ "spin", "loop forever (for --timeout)", cmd_spin },
	{ "help", "list the commands", cmd_help },
};

static int cmd_help(const struct hv_boot_info *bi, int argc, char **argv)
{
	size_t i;

	(void)bi, (void)argc, (void)argv;
	printf("commands:\n");
	for (i = 0; i < ARRAY_SIZE(programs); i++)
		printf("  %-10s %s\n", programs[i].name, programs[i].usage);
	return 0;
}

int programs_run(const struct hv_boot_info *bi, int argc, char **argv)
{
	size_t i;

	if (argc == 0)
		return cmd_demo(bi, 0, argv);
	for (i = 0; i < ARRAY_SIZE(programs); i++)
		if (!strcmp(argv[0], programs[i].name))
			return programs[i].run(bi, argc, argv);
	printf("unknown command '%s'\n", argv[0]);
	cmd_help(bi, 0, argv);
	return 2;
}

struct blkdev *program_dev_arg(int argc, char **argv, int i, const char *usage)
{
	struct blkdev *d;

	if (argc <= i) {
		printf("usage: %s\n", usage);
		return NULL;
	}
	d = blkdev_find(argv[i]);
	if (!d)
		printf("%s: no device '%s' (see blkinfo)\n", argv[0], argv[i]);
	return d;
}
