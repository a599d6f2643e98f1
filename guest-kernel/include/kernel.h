/* Kernel-wide facts and the guest programs' command table. */
#ifndef GK_KERNEL_H
#define GK_KERNEL_H

#include "hv_abi.h"

/* The boot info, copied out of hv's boot area at entry. */
extern struct hv_boot_info boot_info;

struct command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv); /* returns the guest's exit status */
};

/* Runs one command line; 2 and the list of commands for an unknown one. */
int commands_run(int argc, char **argv);

int cmd_selftest(int argc, char **argv);

#endif
