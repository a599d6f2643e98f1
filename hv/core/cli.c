/* Table-driven parser for hv's command line. */
#include "core/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hv_abi.h"
#include "core/device.h"
#include "core/util.h"
#include "debug/gdb_sock.h"

static const char usage_head[] =
	"usage: hv run [options] KERNEL [-- GUEST-ARGS...]\n"
	"       hv ctl SOCK vm|snapshot PATH|pause|resume|shutdown|metrics|metrics-json\n"
	"       hv --version | --help\n"
	"\n"
	"Runs KERNEL as a guest under KVM: hv's own kernel (an ELF64 executable), or\n"
	"Linux, as a vmlinux (ELF with a PVH entry note) or a bzImage (64-bit boot\n"
	"protocol).  GUEST-ARGS, joined by spaces, become the kernel's command line\n"
	"(or --cmdline STRING; not both), for either kind of kernel.\n"
	"\n"
	"options:\n"
	"  --initrd FILE      Linux: an initramfs, handed to the kernel in RAM\n"
	"  --cmdline STRING   the kernel's command line, as one argument\n"
	"  --mem SIZE         guest RAM (default 64M; suffixes K, M, G; 4M to 64G,\n"
	"                     a multiple of 2M)\n"
	"  --timeout SECONDS  kill the guest after SECONDS (decimal), exit 124\n"
	"  --restore PATH     resume the snapshot PATH (and PATH.mem) instead of booting\n"
	"                     a KERNEL; give the same device options (docs/SNAPSHOT.md)\n";

static const char usage_tail[] =
	"  --io-poll USECS    the I/O thread busy-polls the rings and io_uring this long\n"
	"                     before sleeping, taking requests without doorbells (CPU\n"
	"                     for latency; default 0: see the README's measurements)\n"
	"  --io-batch         the I/O thread as SCHED_BATCH: on a CPU it shares with the\n"
	"                     vCPU, fewer exits at depth, more latency at depth 1\n"
	"  --stats            print exit counts by reason, from hv and KVM, at exit\n"
	"  --verbose          say what hv found and did (KVM backend, layout, devices;\n"
	"                     where the vCPU was at --timeout)\n"
	"  --chroot DIR       after opening its files and devices, hv makes DIR its root\n"
	"                     (needs root or CAP_SYS_CHROOT; paths are opened before)\n"
	"  --uid UID[:GID]    then runs as UID and GID (default GID = UID), numbers, with\n"
	"                     no supplementary groups (needs root)\n"
	"  --no-sandbox       for debugging: no seccomp filters and no privilege drop\n"
	"                     (by default each thread runs under its own allowlist of\n"
	"                     system calls, with no capabilities and no_new_privs; a\n"
	"                     forbidden call stops hv with status 159 and says which)\n"
	"  --fault DEV:RULES  seeded fault injection on a device (repeatable), e.g.\n"
	"                     pvblk0:read-error@p0.01,delay=2ms@n5 (docs/FAULTS.md)\n"
	"  --fault-seed N     the seed of --fault's decisions (default: random, printed)\n"
	"  --api-sock PATH    serve the control API (HTTP/1.1, JSON) on a Unix socket\n"
	"                     at PATH, owner-only (0600): GET /vm, PUT /actions (pause,\n"
	"                     resume, shutdown), GET /metrics (docs/API.md); removed at\n"
	"                     exit.  hv ctl PATH COMMAND is its client: prints the reply,\n"
	"                     exits 1 on an HTTP error\n"
	"  --trace FILE       write an I/O timeline (Chrome trace JSON: ui.perfetto.dev;\n"
	"                     docs/TRACE.md)\n"
	"  --pcap NIC:FILE    capture NIC's frames (pvnet0, trapnet0) into a pcap file\n"
	"  --gdb tcp:PORT|unix:PATH  wait for gdb there (TCP on 127.0.0.1 only)\n"
	"                     before the first instruction; its peer controls the\n"
	"                     guest (docs/GDB.md)\n"
	"  -h, --help         this text\n"
	"\n"
	"console: a Linux guest's ttyS0 is hv's stdin and stdout; on a terminal hv\n"
	"puts it in raw mode while the guest runs: Ctrl-A x quits (status 0), Ctrl-A\n"
	"Ctrl-A sends Ctrl-A.  At the end of piped input hv stops reading.\n"
	"\n"
	"exit status: the guest's own (HV_HC_EXIT), 1 when KVM is unavailable or\n"
	"refuses the VM, 2 for bad usage or input, 124 on --timeout, 125 when the\n"
	"VM fails (triple fault, unhandled exit), 159 on a forbidden system call\n"
	"(the sandbox); Linux: 0 on poweroff or halt, 123 on reboot (and on a\n"
	"panic with panic=-1, which reboots); hv's own 1, 2, 123, 124, 125 and 159 come\n"
	"with a reason on stderr, and a guest status equal to one of them with\n"
	"'hv: guest exited with status N'.\n";

void cli_print_usage(FILE *f)
{
	unsigned i;

	fputs(usage_head, f);
	for (i = 0; i < device_kinds_count; i++)
		fputs(device_kinds[i]->usage, f);
	fputs(usage_tail, f);
}

typedef int (*opt_fn)(struct hv_config *cfg, const char *arg, char *err, size_t errlen);

static int opt_initrd(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return err_msg(-EINVAL, err, errlen, "--initrd: empty file name");
	cfg->initrd = arg;
	return 0;
}

static int opt_cmdline(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (strlen(arg) >= sizeof(cfg->cmdline))
		return err_msg(-EINVAL, err, errlen, "--cmdline exceeds %zu bytes",
			       sizeof(cfg->cmdline) - 1);
	strcpy(cfg->cmdline, arg);
	cfg->has_cmdline = true;
	return 0;
}

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

static int opt_api_sock(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return err_msg(-EINVAL, err, errlen, "--api-sock: no path given");
	if (strlen(arg) > CLI_SOCK_PATH_MAX)
		return err_msg(-EINVAL, err, errlen, "--api-sock: a socket path is at most %d bytes",
			       CLI_SOCK_PATH_MAX);
	cfg->api_sock = arg;
	return 0;
}

static int opt_gdb(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	struct gdb_addr a;

	if (gdb_addr_parse(arg, &a, err, errlen))
		return -EINVAL;
	cfg->gdb = arg;
	return 0;
}

static int opt_chroot(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return err_msg(-EINVAL, err, errlen, "--chroot: no directory given");
	cfg->chroot_dir = arg;
	return 0;
}

/* --trace FILE and --pcap NIC:FILE: the files and the NIC are looked at once devices exist. */
static int opt_trace(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return err_msg(-EINVAL, err, errlen, "--trace: no file given");
	cfg->trace_path = arg;
	return 0;
}

static int opt_pcap(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || !colon[1])
		return err_msg(-EINVAL, err, errlen,
			       "--pcap: '%s' is not NIC:FILE (e.g. pvnet0:out.pcap)", arg);
	cfg->pcap = arg;
	return 0;
}

/* A decimal id below (uid_t)-1, which means "unchanged" to setresuid; *end gets what follows. */
static int parse_id(const char *s, const char **end, uint32_t *id)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && v < UINT32_MAX; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == s || v >= UINT32_MAX)
		return -EINVAL;
	*end = p;
	*id = (uint32_t)v;
	return 0;
}

static int opt_uid(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	const char *p;

	if (parse_id(arg, &p, &cfg->uid))
		goto bad;
	cfg->gid = cfg->uid;
	if (*p == ':' && parse_id(p + 1, &p, &cfg->gid))
		goto bad;
	if (*p)
		goto bad;
	cfg->set_ids = true;
	return 0;
bad:
	return err_msg(-EINVAL, err, errlen,
		       "--uid: '%s' is not UID or UID:GID (decimal numbers below 4294967295)", arg);
}

static int opt_restore(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return err_msg(-EINVAL, err, errlen, "--restore: no snapshot given");
	cfg->restore = arg;
	return 0;
}

static int opt_fault(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	return fault_parse(&cfg->faults, arg, err, errlen);
}

static int opt_fault_seed(struct hv_config *cfg, const char *arg, char *err, size_t errlen)
{
	return fault_parse_seed(&cfg->faults, arg, err, errlen);
}

/* An option is a function of its value, or a flag: a bool of hv_config set to true. */
static const struct cli_opt {
	const char *name;
	bool has_arg;
	opt_fn fn;
	size_t flag; /* offsetof the bool, when fn is NULL */
} opts[] = {
	{ "--mem", true, opt_mem, 0 },
	{ "--initrd", true, opt_initrd, 0 },
	{ "--cmdline", true, opt_cmdline, 0 },
	{ "--timeout", true, opt_timeout, 0 },
	{ "--io-poll", true, opt_io_poll, 0 },
	{ "--io-batch", false, NULL, offsetof(struct hv_config, io_batch) },
	{ "--stats", false, NULL, offsetof(struct hv_config, stats) },
	{ "--verbose", false, NULL, offsetof(struct hv_config, verbose) },
	{ "--no-sandbox", false, NULL, offsetof(struct hv_config, no_sandbox) },
	{ "--chroot", true, opt_chroot, 0 },
	{ "--uid", true, opt_uid, 0 },
	{ "--api-sock", true, opt_api_sock, 0 },
	{ "--gdb", true, opt_gdb, 0 },
	{ "--restore", true, opt_restore, 0 },
	{ "--trace", true, opt_trace, 0 },
	{ "--pcap", true, opt_pcap, 0 },
	{ "--fault", true, opt_fault, 0 },
	{ "--fault-seed", true, opt_fault_seed, 0 },
};

/* The length of a's option name: "--disk=a.img" has the value inline. */
static size_t name_len(const char *a)
{
	const char *eq = strchr(a, '=');

	return eq ? (size_t)(eq - a) : strlen(a);
}

static const struct cli_opt *find_opt(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts); i++)
		if (strlen(opts[i].name) == n && !strncmp(a, opts[i].name, n))
			return &opts[i];
	return NULL;
}

static const struct device_kind *find_kind(const char *a, size_t n)
{
	unsigned i;

	for (i = 0; i < device_kinds_count; i++)
		if (device_kinds[i]->option && strlen(device_kinds[i]->option) == n &&
		    !strncmp(a, device_kinds[i]->option, n))
			return device_kinds[i];
	return NULL;
}

/* A device option: checked now, created in command-line order at run time. */
static int add_device(struct hv_config *cfg, const struct device_kind *k, const char *arg,
		      char *err, size_t errlen)
{
	unsigned i, n = 0;

	for (i = 0; i < cfg->nr_dev; i++)
		n += cfg->dev[i].kind == k;
	if (n == k->max)
		return err_msg(-EINVAL, err, errlen, "%s: at most %u (%s0 to %s%u)", k->option,
			       k->max, k->name, k->name, k->max - 1);
	if (cfg->nr_dev == CLI_MAX_DEVS)
		return err_msg(-EINVAL, err, errlen, "%s: at most %d devices in all", k->option,
			       CLI_MAX_DEVS);
	if (k->check(k->option, arg, err, errlen))
		return -EINVAL;
	cfg->dev[cfg->nr_dev++] = (struct cli_device){ k, arg };
	return 0;
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
	if (!strcmp(argv[1], "ctl")) {
		if (argc != 4 && argc != 5)
			return err_msg(-EINVAL, err, errlen, "usage: hv ctl SOCK COMMAND (COMMAND: vm, "
				       "snapshot PATH, pause, resume, shutdown, metrics, metrics-json)");
		cfg->ctl_sock = argv[2];
		cfg->ctl_cmd = argv[3];
		cfg->ctl_arg = argc == 5 ? argv[4] : NULL;
		return CLI_CTL;
	}
	if (strcmp(argv[1], "run"))
		return err_msg(-EINVAL, err, errlen, "unknown command '%s' (try 'hv --help')", argv[1]);

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *arg;
		const struct cli_opt *o;
		const struct device_kind *k;
		size_t n;

		if (!strcmp(a, "--")) {
			if (!cfg->kernel)
				return err_msg(-EINVAL, err, errlen, "no KERNEL given before '--'");
			if (cfg->restore)
				return err_msg(-EINVAL, err, errlen,
					       "--restore resumes a snapshot: give no KERNEL");
			if (cfg->has_cmdline && i + 1 < argc)
				return err_msg(-EINVAL, err, errlen,
					       "--cmdline and guest arguments after '--': give one");
			if (cfg->has_cmdline)
				return CLI_RUN;
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
		n = name_len(a);
		o = find_opt(a, n);
		k = o ? NULL : find_kind(a, n);
		if (!o && !k)
			return err_msg(-EINVAL, err, errlen, "unknown option '%s' (try 'hv --help')", a);
		arg = a[n] == '=' ? a + n + 1 : NULL;
		if (arg && o && !o->has_arg)
			return err_msg(-EINVAL, err, errlen, "%s takes no value", o->name);
		if (!arg && (k || o->has_arg)) {
			if (i + 1 >= argc)
				return err_msg(-EINVAL, err, errlen, "%s needs a value",
					       k ? k->option : o->name);
			arg = argv[++i];
		}
		if (o && !o->fn) {
			*(bool *)((char *)cfg + o->flag) = true;
			continue;
		}
		rc = k ? add_device(cfg, k, arg, err, errlen) : o->fn(cfg, arg, err, errlen);
		if (rc)
			return rc;
	}
	if (cfg->restore && cfg->kernel)
		return err_msg(-EINVAL, err, errlen, "--restore resumes a snapshot: give no KERNEL");
	if (!cfg->kernel && !cfg->restore)
		return err_msg(-EINVAL, err, errlen, "no KERNEL given (usage: hv run [options] KERNEL)");
	return CLI_RUN;
}
