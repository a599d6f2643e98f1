/* PUT /snapshot/create (snap_api.h): the control API's handler and its sandbox rules. */
#include "snap/snap_api.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "cjson/cJSON.h"
#include "core/cli.h"
#include "core/util.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "snap/snapshot.h"

/* The reads snap_create makes (kvm_state.c): state only, nothing that changes the VM. */
static const uint32_t snap_ioctls[] = {
	KVM_CHECK_EXTENSION, KVM_GET_MSR_INDEX_LIST, KVM_GET_MSRS, KVM_GET_CPUID2,
	KVM_GET_TSC_KHZ, KVM_GET_MP_STATE, KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_XSAVE,
	KVM_GET_XSAVE2, KVM_GET_XCRS, KVM_GET_DEBUGREGS, KVM_GET_LAPIC, KVM_GET_VCPU_EVENTS,
	KVM_GET_PIT2, KVM_GET_CLOCK, KVM_GET_IRQCHIP,
};
/* musl's openat adds O_LARGEFILE (the kernel's 0100000 on x86-64); glibc's does not. */
static const uint32_t snap_open_flags[] = { SNAP_OPEN_FLAGS, SNAP_OPEN_FLAGS | 0100000 };

unsigned snap_api_sandbox_rules(struct sandbox_rule rules[SNAP_API_RULES])
{
	rules[0] = (struct sandbox_rule){ .nr = __NR_ioctl, .test = SB_ARG_IN, .arg = 1,
					  .vals = snap_ioctls, .nr_vals = ARRAY_SIZE(snap_ioctls) };
	rules[1] = (struct sandbox_rule){ .nr = __NR_openat, .test = SB_ARG_IN, .arg = 2,
					  .vals = snap_open_flags,
					  .nr_vals = ARRAY_SIZE(snap_open_flags) };
	rules[2] = (struct sandbox_rule){ .nr = __NR_lseek, .test = SB_ANY };
	return SNAP_API_RULES;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* What the VM was booted from: the command line's, or a restored snapshot's record. */
static const struct snap_origin *origin(const struct api *a, struct snap_origin *o)
{
	if (a->vm->origin)
		return a->vm->origin;
	snprintf(o->kernel, sizeof(o->kernel), "%s", a->cfg->kernel ? a->cfg->kernel : "");
	snprintf(o->initrd, sizeof(o->initrd), "%s", a->cfg->initrd ? a->cfg->initrd : "");
	snprintf(o->cmdline, sizeof(o->cmdline), "%s", a->cfg->cmdline);
	return o;
}

void snap_api_create(struct api *a, const struct http_req *r, struct api_reply *out)
{
	cJSON *body = cJSON_ParseWithLength(r->body, r->content_length), *o;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "path");
	char path[4096], err[ERR_MAX];
	struct snap_origin from;
	struct snap_out files;
	struct timespec t0;
	int rc;

	if (!cJSON_IsObject(body) || !cJSON_IsString(p) || !*p->valuestring ||
	    strlen(p->valuestring) >= sizeof(path) - sizeof(SNAP_MEM_SUFFIX)) {
		cJSON_Delete(body);
		return api_error(out, 400, "The body is not {\"path\": \"...\"} with a path.");
	}
	snprintf(path, sizeof(path), "%s", p->valuestring);
	cJSON_Delete(body);
	if (vcpu_state(a->vcpu) != VCPU_PAUSED)
		return api_error(out, 409, "The VM is not paused: PUT /actions pause first.");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snap_out_open(&files, path, err, sizeof(err)))
		return api_error(out, 400, err);
	/*
	 * Every request in flight completes and raises its interrupt, then the
	 * I/O thread parks: the devices' state holds still while it is read.
	 */
	rc = iothread_quiesce(&a->vm->io);
	if (rc) {
		snap_out_close(&files);
		return api_error(out, 500, "The I/O thread has ended: no snapshot.");
	}
	rc = snap_create(a->vm, a->vcpu->kvm, &files, origin(a, &from), err, sizeof(err));
	snap_out_close(&files);
	iothread_resume(&a->vm->io); /* the vCPU stays paused until PUT /actions resume */
	if (rc)
		return api_error(out, 500, err);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddNumberToObject(o, "mem_bytes", (double)a->vm->mem.size);
	cJSON_AddNumberToObject(o, "create_ms", ms_since(&t0));
	cJSON_AddStringToObject(o, "state", "paused");
	api_json(out, 200, o ? cJSON_PrintUnformatted(o) : NULL);
	cJSON_Delete(o);
}
