/* Table-driven parser for hv's command line. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../protocol/hv_abi.h"
#include "util.h"

const char cli_usage[] =
	"usage: hv run [options] KERNEL [-- GUEST-ARGS...]\n"
	"       hv --version | --help\n"
	"\n"
	"Runs KERNEL, an ELF64 x86-64 executable, as a guest under KVM.\n"
	"GUEST-ARGS become the guest's command line.\n"
	"\n"
	"options:\n"
	"  --mem SIZE         guest RAM (default 64M; suffixes K, M, G; 4M to 64G,\n"
	"                     a multiple of 2M)\n"
	"  --timeout SECONDS  kill the guest after SECONDS (decimal), exit 124\n"
	"  --disk PATH[,ro]   attach a raw image as the next PV block device (pvblk0,\n"
	"                     pvblk1, ...); ',ro' refuses guest writes.  Repeatable.\n"
	"  --disk null:SIZE[,ro]\n"
	"                     a PV block device that completes every request at once\n"
	"                     without a file (reads return zeros): measures the interface\n"
	"  --trap-disk PATH[,ro] | null:SIZE[,ro]\n"
	"                     the same images behind the trap-and-emulate block\n"
	"                     controller instead (trapblk0, ...: MMIO registers,\n"
	"                     one request at a time).  Repeatable.\n"
	"  --io-poll USECS    the I/O thread busy-polls the rings and io_uring this long\n"
	"                     before sleeping, taking requests without doorbells (CPU\n"
	"                     for latency; default 0: see the README's measurements)\n"
	"  --stats            print exit counts by reason, from hv and KVM, at exit\n"
	"  --verbose          say what hv found and did (KVM backend, layout)\n"
	"  -h, --help         this text\n"
	"\n"
	"exit status: the guest's own (HV_HC_EXIT), 1 when KVM is unavailable or\n"
	"refuses the VM, 2 for bad usage or input,\n"
	"124 on --timeout, 125 when the VM fails (triple fault, unhandled exit).\n";

typedef int (*opt_fn)(struct hv_config *cfg, const char *arg, char *err, size_t errlen);

static int opt_mem(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_size(arg, &v))
		return err_msg(-EINVAL, err, errlen, "--mem: '%s' is not a size (try 64M or 1G)", arg);
	if (v < HV_MEM_MIN || v > HV_MEM_MAX)
		return err_msg(-EINVAL, err, errlen, "--mem: %s is out of range (4M to 64G)", arg);
	if (v % HV_MEM_ALIGN)
		return err_msg(-EINVAL, err, errlen, "--mem: %s is not a multiple of 2M", arg);
	cfg->mem = v;
	return 0;
}

static int opt_timeout(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t ms;

	if (parse_seconds(arg, &ms) || ms == 0)
		return err_msg(-EINVAL, err, errlen,
			    "--timeout: '%s' is not a positive number of seconds", arg);
	cfg->timeout_ms = ms;
	return 0;
}

static int add_disk(struct disk_spec *list, unsigned *n, const char *opt, const char *arg,
		    char *err, size_t errlen)
{
	if (*n == CLI_MAX_DISKS)
		return err_msg(-EINVAL, err, errlen, "%s: at most %d disks", opt, CLI_MAX_DISKS);
	if (disk_parse_spec(opt, arg, &list[*n], err, errlen))
		return -EINVAL;
	(*n)++;
	return 0;
}

static int opt_disk(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	return add_disk(cfg->disk, &cfg->nr_disk, "--disk", arg, err, errlen);
}

static int opt_trap_disk(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	return add_disk(cfg->trap_disk, &cfg->nr_trap_disk, "--trap-disk", arg, err, errlen);
}

static int opt_io_poll(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t us = 0;
	const char *p = arg;

	for (; *p >= '0' && *p <= '9' && us <= 1000000; p++)
		us = us * 10 + (uint64_t)(*p - '0');
	if (p == arg || *p || us > 1000000)
		return err_msg(-EINVAL, err, errlen, "--io-poll: '%s' is not a number of microseconds "
					 "(0 to 1000000)", arg);
	cfg->io_poll_us = us;
	return 0;
}

static int opt_stats(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	cfg->stats = true;
	return 0;
}

static int opt_verbose(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	cfg->verbose = true;
	return 0;
}

static const struct cli_opt {
	const char *name;
	bool has_arg;
	opt_fn fn;
} opts[] = {
	{ "--mem", true, opt_mem },
	{ "--timeout", true, opt_timeout },
	{ "--disk", true, opt_disk },
	{ "--trap-disk", true, opt_trap_disk },
	{ "--io-poll", true, opt_io_poll },
	{ "--stats", false, opt_stats },
	{ "--verbose", false, opt_verbose },
};

static const struct cli_opt *find_opt(const char *a, const char **inline_arg)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t n = strlen(opts[i].name);
		if (strncmp(a, opts[i].name, n))
			continue;
		if (a[n] == '\0') {
			*inline_arg = NULL;
			return &opts[i];
		}
		if (a[n] == '=' && opts[i].has_arg) {
			*inline_arg = a + n + 1;
			return &opts[i];
		}
	}
	return NULL;
}

static int join_guest_args(struct hv_config *cfg, int argc, char *const argv[],
			   int i, char *err, size_t errlen)
{
	size_t used = 0;

	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (used + n + (used ? 1 : 0) >= sizeof(cfg->cmdline))
			return err_msg(-EINVAL, err, errlen, "guest arguments exceed %zu bytes",
				    sizeof(cfg->cmdline) - 1);
		if (used)
			cfg->cmdline[used++] = ' ';
		memcpy(cfg->cmdline + used, argv[i], n);
		used += n;
	}
	cfg->cmdline[used] = '\0';
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

int cli_parse(int argc, char *const argv[], struct hv_config *cfg,
	      char *err, size_t errlen)
{
	int i, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = 64ull << 20;

	if (argc < 2)
		return err_msg(-EINVAL, err, errlen, "no command given (try 'hv --help')");
	if (is_help(argv[1]))
		return CLI_HELP;
	if (!strcmp(argv[1], "--version"))
		return CLI_VERSION;
	if (strcmp(argv[1], "run"))
		return err_msg(-EINVAL, err, errlen, "unknown command '%s' (try 'hv --help')", argv[1]);

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *arg;
		const struct cli_opt *o;

		if (!strcmp(a, "--")) {
			if (!cfg->kernel)
				return err_msg(-EINVAL, err, errlen, "no KERNEL given before '--'");
			return join_guest_args(cfg, argc, argv, i + 1, err, errlen) ? -EINVAL
										   : CLI_RUN;
		}
		if (is_help(a))
			return CLI_HELP;
		if (a[0] != '-' || a[1] == '\0') {
			if (cfg->kernel)
				return err_msg(-EINVAL, err, errlen,
					    "unexpected argument '%s' (guest arguments go after '--')",
					    a);
			cfg->kernel = a;
			continue;
		}
		o = find_opt(a, &arg);
		if (!o)
			return err_msg(-EINVAL, err, errlen, "unknown option '%s' (try 'hv --help')", a);
		if (o->has_arg && !arg) {
			if (i + 1 >= argc)
				return err_msg(-EINVAL, err, errlen, "%s needs a value", o->name);
			arg = argv[++i];
		}
		rc = o->fn(cfg, arg, err, errlen);
		if (rc)
			return rc;
	}
	if (!cfg->kernel)
		return err_msg(-EINVAL, err, errlen, "no KERNEL given (usage: hv run [options] KERNEL)");
	return CLI_RUN;
}
