/*
 * Privilege drop, once hv holds every file, device and descriptor it will
 * use: an optional chroot and user/group change (as Firecracker's jailer
 * does), then no capabilities and no_new_privs.  Runs while hv has one
 * thread, so every thread it starts later inherits the result.
 */
#ifndef HV_SANDBOX_JAIL_H
#define HV_SANDBOX_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sandbox_jail {
	const char *chroot_dir; /* NULL: stay where hv is */
	bool set_ids;           /* become uid/gid, with no supplementary groups */
	uint32_t uid, gid;
	bool drop_all;          /* empty every capability set, set no_new_privs */
};

/*
 * Applies j in the order that keeps each step possible: chroot (needs
 * CAP_SYS_CHROOT), groups, gid, uid, then capabilities and no_new_privs.
 * 0, or -errno with a one-line reason in err; on failure hv must not run
 * the guest (some steps may have been taken).
 */
int sandbox_jail(const struct sandbox_jail *j, char *err, size_t errlen);

#endif
