/*
 * Command-line parsing: argv -> struct hv_config, with no side effects, so the
 * whole grammar is unit-tested.  `hv run [options] KERNEL [-- GUEST-ARGS...]`.
 */
#ifndef HV_CLI_H
#define HV_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk.h"

#define HV_VERSION_STRING "0.2.0"
#define CLI_MAX_DISKS 8

struct hv_config {
	const char *kernel;
	uint64_t mem;        /* bytes */
	uint64_t timeout_ms; /* 0: none */
	uint64_t io_poll_us; /* --io-poll: I/O thread busy-polls this long (0: never) */
	bool stats;
	bool verbose;
	char cmdline[4096];  /* guest arguments joined by spaces */
	struct disk_spec disk[CLI_MAX_DISKS]; /* --disk, in order: pvblk0, ... */
	unsigned nr_disk;
	struct disk_spec trap_disk[CLI_MAX_DISKS]; /* --trap-disk: trapblk0, ... */
	unsigned nr_trap_disk;
};

enum cli_action {
	CLI_RUN = 0,
	CLI_HELP = 1,
	CLI_VERSION = 2,
};

/*
 * Parses argv.  Returns an enum cli_action, or -EINVAL with a one-line
 * message (no "hv:" prefix, no newline) in err.
 */
int cli_parse(int argc, char *const argv[], struct hv_config *cfg,
	      char *err, size_t errlen);

extern const char cli_usage[];

#endif
