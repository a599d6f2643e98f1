/*
 * What hv hands the kernel at entry (hv/kvm/boot.c writes it): the boot info and
 * the command line, copied out of hv's boot area and split into kernel
 * parameters and the program's argv.  kmain fills one and passes it on.
 */
#ifndef GK_BOOT_ARGS_H
#define GK_BOOT_ARGS_H

#include <stdbool.h>

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
/*
 * For a driver's probe: the next device of type at or after device-table
 * position *pos, which it advances to that device's (the index the queue
 * hypercalls take); NULL after the last.
 *     for (i = 0; (desc = boot_args_dev(b, HV_DEV_PVNET, &i)); i++)
 */
const struct hv_dev_desc *boot_args_dev(const struct boot_args *b, uint16_t type,
					 uint32_t *pos);
/*
 * True when a driver that has `have` devices of kind (at most max, and
 * indices below max: hv's vectors and names assume it) may take desc;
 * otherwise one line, "pvnet: pvnet4: beyond the 4 PV NICs hv offers".
 */
bool boot_args_dev_fits(const struct hv_dev_desc *desc, unsigned have, unsigned max,
			const char *kind, const char *what);
/* True when KEY=all, or KEY=a,b,c lists name (poll=pvblk0,pvnet1). */
bool boot_args_names(const struct boot_args *b, const char *key, const char *name);

#endif
