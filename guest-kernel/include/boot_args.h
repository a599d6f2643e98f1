/*
 * What hv hands the kernel at entry (hv/boot.c writes it): the boot info and
 * the command line, copied out of hv's boot area and split into kernel
 * parameters and the program's argv.  kmain fills one and passes it on.
 */
#ifndef GK_BOOT_ARGS_H
#define GK_BOOT_ARGS_H

#include "hv_abi.h"

#define BOOT_MAX_PARAMS 8 /* KEY=VALUE words */
#define BOOT_MAX_ARGS 16  /* the program's argv, NULL included */

struct boot_args {
	struct hv_boot_info info;
	char cmdline[HV_CMDLINE_MAX]; /* split in place into param[] and argv[] */
	const char *param[BOOT_MAX_PARAMS];
	unsigned nparams;
	char *argv[BOOT_MAX_ARGS];
	int argc;
};

/*
 * Copies bi and its command line into b (hv's boot area is ordinary RAM
 * once the kernel allocates) and splits the line: KEY=VALUE words before
 * the first other word are kernel parameters, the rest is the program's
 * argv.  NULL, or what is wrong with bi.
 */
const char *boot_args_take(struct boot_args *b, const struct hv_boot_info *bi);

/* The value of kernel parameter KEY=VALUE, or NULL. */
const char *boot_args_param(const struct boot_args *b, const char *key);

#endif
