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

/* The value of kernel parameter KEY=VALUE (before the command), or NULL. */
const char *kernel_param(const char *key);

/* Runs one command line; 2 and the list of commands for an unknown one. */
int commands_run(int argc, char **argv);

int cmd_selftest(int argc, char **argv);
int cmd_blkinfo(int argc, char **argv);
int cmd_sha256(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_blkwrite(int argc, char **argv);
int cmd_blkverify(int argc, char **argv);
int cmd_blkhostile(int argc, char **argv);
int cmd_blkreattach(int argc, char **argv);
int cmd_traphostile(int argc, char **argv);
int cmd_cpubench(int argc, char **argv);
int cmd_blkbench(int argc, char **argv);

#endif
