/*
 * Fuzz target: hv's command line (hv/core/cli.c with every device kind's
 * argument check: disk and NIC specs, sizes, seconds, MACs).  The input is
 * argv: its arguments separated by NUL bytes, after "hv".  Oracles: ASan
 * and UBSan, and cli_parse's promises: a known action, or -EINVAL with a
 * one-line reason; a run has a kernel, RAM in range and aligned, at most
 * CLI_MAX_DEVS devices, and a command line that fits the guest's page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "fuzz_check.h"
#include "core/util.h"

#define MAX_ARGS 128

static __attribute__((noreturn)) void fail(const char *what)
{
	fprintf(stderr, "fuzz: cli_parse: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 1], err[ERR_MAX] = "";
	struct hv_config *cfg = malloc(sizeof(*cfg));
	size_t at = 0;
	int argc = 1, rc;

	if (!copy || !cfg)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = (char *)"hv";
	while (at <= size && argc < MAX_ARGS) {
		argv[argc++] = copy + at;
		at += strlen(copy + at) + 1;
	}
	argv[argc] = NULL;
	rc = cli_parse(argc, argv, cfg, err, sizeof(err));
	if (rc == -EINVAL) {
		if (!fuzz_one_line(err))
			fail("an error without a one-line reason");
	} else if (rc == CLI_RUN) {
		/* A kernel to boot or a snapshot to restore, never both. */
		if (!cfg->kernel == !cfg->restore || cfg->mem < HV_MEM_MIN || cfg->mem > HV_MEM_MAX ||
		    cfg->mem % HV_MEM_ALIGN || cfg->nr_dev > CLI_MAX_DEVS ||
		    strnlen(cfg->cmdline, sizeof(cfg->cmdline)) >= HV_CMDLINE_MAX)
			fail("a run configuration hv cannot start");
	} else if (rc == CLI_CTL) {
		if (!cfg->ctl_sock || !cfg->ctl_cmd)
			fail("hv ctl without a socket or a command");
	} else if (rc != CLI_HELP && rc != CLI_VERSION) {
		fail("an unknown result");
	}
	free(cfg);
	free(copy);
	return 0;
}
