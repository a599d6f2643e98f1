/*
 * PUT /snapshot/create {"path": PATH} (the control API, hv/api): on a
 * paused VM, drains the I/O (stops the I/O thread: every request in flight
 * completes and its interrupt is raised), writes PATH and PATH.mem
 * (snapshot.h), and ends the VM: hv exits 0 once the reply is out.  The
 * API thread opens the files, under its own seccomp filter plus the rules
 * below, after --chroot: PATH is resolved inside the chroot, relative to
 * hv's working directory there.
 */
#ifndef HV_SNAP_API_H
#define HV_SNAP_API_H

#include "api/api.h"
#include "sandbox/sandbox_policy.h"

#define SNAP_API_RULES 3

void snap_api_create(struct api *a, const struct http_req *r, struct api_reply *out);

/*
 * What the API thread may do beyond its own policy for a snapshot (rules
 * for sandbox_enter_with): the KVM state reads, openat with exactly
 * SNAP_OPEN_FLAGS, lseek (holes for RAM never touched).  Returns the count.
 */
unsigned snap_api_sandbox_rules(struct sandbox_rule rules[SNAP_API_RULES]);

#endif
