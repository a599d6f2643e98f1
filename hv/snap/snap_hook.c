/* TEST ONLY (snap_hook.h): HV_SNAPSHOT_TEST=MS:PATH, until the control API is merged. */
#include "snap/snap_hook.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/util.h"
#include "core/vcpu.h"

int snap_hook_init(struct snap_hook *h, char *err, size_t errlen)
{
	const char *env = getenv("HV_SNAPSHOT_TEST");
	char *end;

	memset(h, 0, sizeof(*h));
	h->cancel_fd = -1;
	h->out.state_fd = h->out.mem_fd = -1;
	if (!env)
		return 0;
	h->ms = strtoull(env, &end, 10);
	if (end == env || *end != ':' || !end[1])
		return err_msg(-EINVAL, err, errlen, "HV_SNAPSHOT_TEST: '%s' is not MS:PATH", env);
	h->path = end + 1;
	h->cancel_fd = eventfd(0, EFD_CLOEXEC);
	if (h->cancel_fd < 0)
		return err_msg(-errno, err, errlen, "HV_SNAPSHOT_TEST: eventfd: %s", strerror(errno));
	h->armed = true;
	return snap_out_open(&h->out, h->path, err, errlen);
}

static void *timer(void *arg)
{
	struct snap_hook *h = arg;
	struct pollfd p = { .fd = h->cancel_fd, .events = POLLIN };
	int r;

	while ((r = poll(&p, 1, (int)h->ms)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		__atomic_store_n(&h->fired, 1, __ATOMIC_SEQ_CST);
		vcpu_request_stop(h->v, RUN_QUIT);
	}
	return NULL;
}

int snap_hook_start(struct snap_hook *h, struct vcpu *v)
{
	sigset_t all, old;
	int rc;

	if (!h->armed)
		return 0;
	h->v = v;
	sigfillset(&all); /* signals are the vCPU thread's */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, timer, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	h->started = true;
	return 0;
}

bool snap_hook_stop(struct snap_hook *h)
{
	if (!h->started)
		return false;
	if (eventfd_write(h->cancel_fd, 1) < 0)
		fprintf(stderr, "hv: HV_SNAPSHOT_TEST: cannot stop its timer: %s\n", strerror(errno));
	pthread_join(h->thread, NULL);
	h->started = false;
	if (!__atomic_load_n(&h->fired, __ATOMIC_SEQ_CST)) {
		fprintf(stderr, "hv: HV_SNAPSHOT_TEST: the guest ended before the snapshot\n");
		return false;
	}
	return true;
}

int snap_hook_take(struct snap_hook *h, struct vm *vm, struct kvm_vm *k)
{
	char err[ERR_MAX];

	if (snap_create(vm, k, &h->out, err, sizeof(err))) {
		fprintf(stderr, "hv: snapshot %s: %s\n", h->path, err);
		return 1;
	}
	fprintf(stderr, "hv: snapshot written to %s\n", h->path);
	return 0;
}

void snap_hook_close(struct snap_hook *h)
{
	snap_hook_stop(h);
	snap_out_close(&h->out);
	if (h->cancel_fd >= 0)
		close(h->cancel_fd);
	h->cancel_fd = -1;
}
