/* CLI grammar: every accepted and refused form. */
#include <errno.h>
#include <string.h>

#include "core/cli.h"
#include "pv/pvblk_back.h"
#include "trap/trapblk_dev.h"
#include "core/util.h"
#include "suites.h"

#define ARGV(...) ((char *const[]){ "hv", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "hv", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, err, ...) cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg, err, sizeof(err))

static void test_sizes(void)
{
	uint64_t v;
	CU_ASSERT(parse_size("64M", &v) == 0 && v == 64ull << 20);
	CU_ASSERT(parse_size("1g", &v) == 0 && v == 1ull << 30);
	CU_ASSERT(parse_size("512K", &v) == 0 && v == 512ull << 10);
	CU_ASSERT(parse_size("4096", &v) == 0 && v == 4096);
	CU_ASSERT_EQUAL(parse_size("", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_size("M", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_size("-1M", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_size("12MB", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_size("1T", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_size("99999999999999999999", &v), -ERANGE);
	CU_ASSERT_EQUAL(parse_size("17179869184G", &v), -ERANGE);
}

static void test_seconds(void)
{
	uint64_t ms;
	CU_ASSERT(parse_seconds("10", &ms) == 0 && ms == 10000);
	CU_ASSERT(parse_seconds("0.5", &ms) == 0 && ms == 500);
	CU_ASSERT(parse_seconds("1.0001", &ms) == 0 && ms == 1000);
	CU_ASSERT_EQUAL(parse_seconds("1.", &ms), -EINVAL);
	CU_ASSERT_EQUAL(parse_seconds(".5", &ms), -EINVAL);
	CU_ASSERT_EQUAL(parse_seconds("5s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(parse_seconds("99999999999", &ms), -ERANGE);
}

static void test_run(void)
{
	struct hv_config c;
	char err[256];
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k.elf"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.kernel, "k.elf");
	CU_ASSERT_EQUAL(c.mem, 64ull << 20);
	CU_ASSERT_EQUAL(c.timeout_ms, 0);
	CU_ASSERT_STRING_EQUAL(c.cmdline, "");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--mem", "128M", "--timeout=2.5", "--stats",
			      "--verbose", "k.elf", "--", "sha256", "pvblk0"), CLI_RUN);
	CU_ASSERT_EQUAL(c.mem, 128ull << 20);
	CU_ASSERT_EQUAL(c.timeout_ms, 2500);
	CU_ASSERT_TRUE(c.stats && c.verbose);
	CU_ASSERT_STRING_EQUAL(c.cmdline, "sha256 pvblk0");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k.elf", "--mem=8M"), CLI_RUN);
	CU_ASSERT_EQUAL(c.mem, 8ull << 20);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k.elf", "--", "--mem", "x"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.cmdline, "--mem x");
}

static void test_actions(void)
{
	struct hv_config c;
	char err[256];
	CU_ASSERT_EQUAL(PARSE(&c, err, "--help"), CLI_HELP);
	CU_ASSERT_EQUAL(PARSE(&c, err, "-h"), CLI_HELP);
	CU_ASSERT_EQUAL(PARSE(&c, err, "--version"), CLI_VERSION);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--help"), CLI_HELP);
}

static void test_errors(void)
{
	static const struct { const char *a[4]; const char *msg; } cases[] = {
		{ { "frob" }, "unknown command 'frob'" },
		{ { "run" }, "no KERNEL given" },
		{ { "run", "--bogus", "k" }, "unknown option '--bogus'" },
		{ { "run", "k", "--mem" }, "--mem needs a value" },
		{ { "run", "--mem", "lots", "k" }, "not a size" },
		{ { "run", "--mem", "2M", "k" }, "out of range" },
		{ { "run", "--mem", "65G", "k" }, "out of range" },
		{ { "run", "--mem", "5M", "k" }, "multiple of 2M" },
		{ { "run", "--timeout", "0", "k" }, "positive number of seconds" },
		{ { "run", "--timeout", "-3", "k" }, "positive number of seconds" },
		{ { "run", "k", "extra" }, "unexpected argument 'extra'" },
		{ { "run", "--", "x" }, "no KERNEL given before '--'" },
		{ { "run", "--stats=1", "k" }, "--stats takes no value" },
		{ { "run", "--disk" }, "--disk needs a value" },
		{ { "run", "--trap-disk=", "k" }, "--trap-disk: no image path given" },
		{ { "run", "--no-sandbox=1", "k" }, "--no-sandbox takes no value" },
		{ { "run", "--chroot=", "k" }, "--chroot: no directory given" },
		{ { "run", "--uid", "nobody", "k" }, "--uid: 'nobody' is not UID or UID:GID" },
		{ { "run", "--uid", "1:", "k" }, "--uid: '1:' is not" },
		{ { "run", "--uid", "1:2:3", "k" }, "--uid: '1:2:3' is not" },
		{ { "run", "--uid", "4294967295", "k" }, "--uid: '4294967295' is not" },
		{ { "run", "--uid=-1", "k" }, "--uid: '-1' is not" },
		{ { "run", "--gdb", "1234", "k" }, "--gdb '1234': want tcp:PORT or unix:PATH" },
		{ { "run", "--gdb", "tcp:0", "k" }, "--gdb tcp:0: the port is a number from 1 to 65535" },
		{ { "run", "--gdb", "tcp:65536", "k" }, "the port is a number from 1 to 65535" },
		{ { "run", "--gdb", "tcp:12ab", "k" }, "the port is a number" },
		{ { "run", "--gdb=tcp:", "k" }, "the port is a number" },
		{ { "run", "--gdb", "unix:", "k" }, "--gdb unix:: a socket path is 1 to 107 bytes" },
		{ { "run", "k", "--gdb" }, "--gdb needs a value" },
		/* A reason quoting a newline or an escape stays one line (found by fuzzing). */
		{ { "run", "--mem", "64M\nhv: ok", "k" }, "'64M?hv: ok' is not a size" },
		{ { "\033[2J" }, "unknown command '?[2J'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[6] = { "hv" };
		struct hv_config c;
		char err[256] = "";
		int argc = 1;
		while (argc <= 4 && cases[i].a[argc - 1]) {
			argv[argc] = (char *)cases[i].a[argc - 1];
			argc++;
		}
		CU_ASSERT_EQUAL(cli_parse(argc, argv, &c, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].msg));
		if (!strstr(err, cases[i].msg))
			fprintf(stderr, "\n  case %zu: '%s'\n", i, err);
	}
}

static void test_io_poll_and_disks(void)
{
	struct hv_config c;
	char err[256];

	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--io-poll", "50", "--disk", "a.img,ro",
			      "--trap-disk", "null:1M", "--disk=b.img", "k"), CLI_RUN);
	CU_ASSERT_EQUAL(c.io_poll_us, 50);
	CU_ASSERT_FALSE(c.io_batch);
	/* Device options in command-line order, checked but not opened. */
	CU_ASSERT_EQUAL(c.nr_dev, 3);
	CU_ASSERT_PTR_EQUAL(c.dev[0].kind, &pvblk_back_kind);
	CU_ASSERT_STRING_EQUAL(c.dev[0].arg, "a.img,ro");
	CU_ASSERT_PTR_EQUAL(c.dev[1].kind, &trapblk_dev_kind);
	CU_ASSERT_STRING_EQUAL(c.dev[1].arg, "null:1M");
	CU_ASSERT_PTR_EQUAL(c.dev[2].kind, &pvblk_back_kind);
	CU_ASSERT_STRING_EQUAL(c.dev[2].arg, "b.img");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--io-batch", "k"), CLI_RUN);
	CU_ASSERT_TRUE(c.io_batch);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--io-poll", "-1", "k"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--io-poll: '-1'"));
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--io-poll", "2000000", "k"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--io-poll", "", "k"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--trap-disk", "null:7", "k"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--trap-disk: null size 7"));
}

/* The sandbox is on unless --no-sandbox; --uid's GID defaults to the UID. */
static void test_sandbox_options(void)
{
	struct hv_config c;
	char err[256];

	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k"), CLI_RUN);
	CU_ASSERT_FALSE(c.no_sandbox || c.set_ids);
	CU_ASSERT_PTR_NULL(c.chroot_dir);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--no-sandbox", "--chroot", "/var/empty", "--uid",
			      "65534", "k"), CLI_RUN);
	CU_ASSERT_TRUE(c.no_sandbox && c.set_ids);
	CU_ASSERT_STRING_EQUAL(c.chroot_dir, "/var/empty");
	CU_ASSERT(c.uid == 65534 && c.gid == 65534);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--uid=1000:100", "k"), CLI_RUN);
	CU_ASSERT(c.uid == 1000 && c.gid == 100 && !c.no_sandbox);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--uid", "4294967294:0", "k"), CLI_RUN);
	CU_ASSERT(c.uid == 4294967294u && c.gid == 0);
}

/* Each kind has HV_MAX_DEVS_PER_KIND instances; kinds do not share the count. */
static void test_device_limits(void)
{
	char *argv[2 + 4 * HV_MAX_DEVS_PER_KIND + 4] = { "hv", "run" };
	struct hv_config c;
	char err[256];
	int argc = 2, i;

	for (i = 0; i < HV_MAX_DEVS_PER_KIND; i++) {
		argv[argc++] = "--disk";
		argv[argc++] = "null:1M";
		argv[argc++] = "--trap-disk";
		argv[argc++] = "null:1M";
	}
	argv[argc++] = "k";
	CU_ASSERT_EQUAL(cli_parse(argc, argv, &c, err, sizeof(err)), CLI_RUN);
	CU_ASSERT_EQUAL(c.nr_dev, 2 * HV_MAX_DEVS_PER_KIND);
	argv[argc - 1] = "--trap-disk";
	argv[argc++] = "null:1M";
	argv[argc++] = "k";
	CU_ASSERT_EQUAL(cli_parse(argc, argv, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--trap-disk: at most 8 (trapblk0 to trapblk7)");
}

static void test_long_cmdline(void)
{
	static char big[5000];
	char *argv[] = { "hv", "run", "k", "--", big, NULL };
	struct hv_config c;
	char err[256];
	memset(big, 'a', sizeof(big) - 1);
	CU_ASSERT_EQUAL(cli_parse(5, argv, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "guest arguments exceed"));
}

/* Linux's options: --initrd, and --cmdline as the other way to give the command line. */
static void test_linux_options(void)
{
	struct hv_config c;
	char err[256];
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--initrd", "rd.gz", "vmlinux", "--", "console=ttyS0",
			      "quiet"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.initrd, "rd.gz");
	CU_ASSERT_STRING_EQUAL(c.cmdline, "console=ttyS0 quiet");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--cmdline", "console=ttyS0 quiet", "vmlinux"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.cmdline, "console=ttyS0 quiet");
	CU_ASSERT_PTR_NULL(c.initrd);
	/* "--" with nothing after it keeps --cmdline's line */
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--cmdline=a b", "k", "--"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.cmdline, "a b");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--cmdline", "a", "k", "--", "b"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "give one"));
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--initrd=", "k"), -EINVAL);
}

static void test_gdb(void)
{
	char err[256], path[120];
	struct hv_config c;

	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k"), CLI_RUN);
	CU_ASSERT_PTR_NULL(c.gdb);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--gdb", "tcp:1234", "k"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.gdb, "tcp:1234");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--gdb=unix:/tmp/g.sock", "k"), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(c.gdb, "unix:/tmp/g.sock");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--gdb", "tcp:65535", "k"), CLI_RUN);
	/* 107 bytes fit a socket's path, 108 do not */
	snprintf(path, sizeof(path), "unix:%0107d", 0);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--gdb", path, "k"), CLI_RUN);
	snprintf(path, sizeof(path), "unix:%0108d", 0);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--gdb", path, "k"), -EINVAL);
}

int suite_cli(void)
{
	static const CU_TestInfo t[] = {
		{ "--initrd and --cmdline", test_linux_options },
		{ "sizes", test_sizes },
		{ "seconds", test_seconds },
		{ "run with options and guest args", test_run },
		{ "help and version", test_actions },
		{ "bad arguments", test_errors },
		{ "guest command line too long", test_long_cmdline },
		{ "device limits per kind", test_device_limits },
		{ "--io-poll, --disk, --trap-disk", test_io_poll_and_disks },
		{ "--no-sandbox, --chroot, --uid", test_sandbox_options },
		{ "--gdb", test_gdb },
		CU_TEST_INFO_NULL,
	};
	return add_suite("cli", t);
}
