/*
 * Command-line parsing: argv -> struct hv_config, with no side effects, so the
 * whole grammar is unit-tested.  `hv run [options] KERNEL [-- GUEST-ARGS...]`,
 * `hv ctl SOCK COMMAND`.
 */
#ifndef HV_CLI_H
#define HV_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_abi.h"
#include "fault/fault.h"

struct device_kind;

#define HV_VERSION_STRING "0.2.0"
#define CLI_SOCK_PATH_MAX 107 /* a Unix socket's path: sun_path less its NUL */
#define CLI_MAX_DEVS (HV_BOOT_MAX_DEV - 1) /* device options in all: the UART takes one */

/* A device option, in command-line order: the kind and its argument (from argv). */
struct cli_device {
	const struct device_kind *kind;
	const char *arg;
};

struct hv_config {
	const char *kernel;
	const char *restore; /* --restore PATH: a snapshot instead of KERNEL */
	const char *initrd;  /* --initrd FILE (Linux), or NULL */
	bool has_cmdline;    /* --cmdline given: cmdline holds it */
	uint64_t mem;        /* bytes */
	uint64_t timeout_ms; /* 0: none */
	uint64_t io_poll_us; /* --io-poll: I/O thread busy-polls this long (0: never) */
	bool io_batch;       /* --io-batch: the I/O thread is SCHED_BATCH */
	bool stats;
	bool verbose;
	bool no_sandbox;        /* --no-sandbox: no seccomp filters, privileges kept */
	const char *chroot_dir; /* --chroot DIR (from argv), or NULL */
	bool set_ids;           /* --uid UID[:GID] */
	const char *api_sock;   /* --api-sock PATH (from argv), or NULL: no control API */
	const char *trace_path, *pcap; /* --trace FILE, --pcap NIC:FILE (from argv), or NULL */
	const char *gdb;        /* --gdb tcp:PORT|unix:PATH (from argv, checked), or NULL */
	const char *ctl_sock, *ctl_cmd, *ctl_arg; /* hv ctl SOCK COMMAND [PATH] */
	uint32_t uid, gid;
	char cmdline[4096];  /* guest arguments joined by spaces */
	struct cli_device dev[CLI_MAX_DEVS]; /* --disk, --trap-disk, ...: checked, not opened */
	unsigned nr_dev;
	struct fault_plan faults; /* --fault, --fault-seed (docs/FAULTS.md) */
};

enum cli_action {
	CLI_RUN = 0,
	CLI_HELP = 1,
	CLI_VERSION = 2,
	CLI_CTL = 3, /* hv ctl SOCK COMMAND: a client of a running hv's control API */
};

/*
 * Parses argv.  Returns an enum cli_action, or -EINVAL with a one-line
 * message (no "hv:" prefix, no newline) in err.
 */
int cli_parse(int argc, char *const argv[], struct hv_config *cfg,
	      char *err, size_t errlen);

/* hv --help: the core options, each device kind's, exit statuses. */
void cli_print_usage(FILE *f);

#endif
