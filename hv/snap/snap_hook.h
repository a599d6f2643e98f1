/*
 * TEST ONLY, until the control API (PUT /snapshot/create) is merged, then
 * deleted: HV_SNAPSHOT_TEST=MS:PATH in the environment makes hv stop the VM
 * MS milliseconds after the guest starts, drain its I/O and write the
 * snapshot PATH (and PATH.mem), then exit 0.  The files are created before
 * hv confines itself (so --chroot does not apply to PATH).  Like
 * HV_IO_FAIL_PROBE it grants nothing: whoever sets hv's environment could
 * as well kill it.
 */
#ifndef HV_SNAP_HOOK_H
#define HV_SNAP_HOOK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snap/snapshot.h"

struct vcpu;

struct snap_hook {
	bool armed;      /* the variable was set */
	bool started;
	int fired;       /* atomic: the timer stopped the vCPU */
	uint64_t ms;
	const char *path;
	struct snap_out out;
	int cancel_fd;   /* eventfd: the VM ended first */
	pthread_t thread;
	struct vcpu *v;
};

/* Reads the variable and creates the files; 0 (armed or not), or -errno and err. */
int snap_hook_init(struct snap_hook *h, char *err, size_t errlen);
/* After vcpu_prepare_stop: starts the timer thread.  0 or -errno. */
int snap_hook_start(struct snap_hook *h, struct vcpu *v);
/* Ends the timer (joins it); true if it fired, so the run ended for the snapshot. */
bool snap_hook_stop(struct snap_hook *h);
/* The vCPU out of KVM_RUN, the I/O thread stopped: writes the snapshot; an hv exit status. */
int snap_hook_take(struct snap_hook *h, struct vm *vm, struct kvm_vm *k);
void snap_hook_close(struct snap_hook *h);

#endif
