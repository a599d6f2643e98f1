/* The poweroff watch of a Linux guest: kicks only a halted vCPU (vcpu_watch.h). */
#include "core/vcpu_watch.h"
#include "core/util.h"
#include "core/vcpu.h"
#include "kvm/kvm.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum look { RUNNING, KICK, SPARE };

/* What this tick does with v (under w->lock). */
static enum look look_at(struct vcpu *v)
{
	struct vcpu_watch *w = &v->wd;
	uint64_t blocking = 1, halts = 0;

	if (!w->no_stat && kvm_stats_get(&v->kvm->vcpu_stats, "blocking", &blocking))
		w->no_stat = true;
	if (w->no_stat)
		return KICK;
	if (!blocking)
		return RUNNING;
	if (!w->no_halts && kvm_stats_get(&v->kvm->vcpu_stats, "halt_exits", &halts))
		w->no_halts = true;
	if (w->no_halts)
		return KICK;
	/* Read before the kick, so the look sees this halt or a later one. */
	if (w->looked && halts == w->halt_exits)
		return SPARE;
	w->looked = true;
	w->halt_exits = halts;
	return KICK;
}

/* The thread is done with v: vcpu_watch_stop may return. */
static void parked(struct vcpu_watch *w)
{
	pthread_mutex_lock(&w->lock);
	w->parked = true;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
}

static void *watch_main(void *arg)
{
	struct vcpu *v = arg;
	struct vcpu_watch *w = &v->wd;
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };

	if (w->on_start && w->on_start(w->on_start_arg)) {
		parked(w);
		return NULL; /* unconfined (its filter failed): it may end; hv is ending */
	}
	for (;;) {
		int n = poll(&p, 1, VCPU_WATCH_MS);

		/* A stop, or an error on a fresh eventfd (never): either way the watch is over. */
		if (n > 0 || (n < 0 && errno != EINTR))
			break;
		pthread_mutex_lock(&w->lock);
		if (w->stopped) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		switch (look_at(v)) {
		case KICK:
			w->kicks++;
			vcpu_kick(v);
			break;
		case SPARE:
			w->spared++;
			break;
		case RUNNING:
			w->let_run++;
			break;
		}
		pthread_mutex_unlock(&w->lock);
	}
	/* Parked, never returning: its end needs calls the vCPU's filter does not allow. */
	parked(w);
	for (;;)
		poll(NULL, 0, -1);
	return NULL;
}

int vcpu_watch_start(struct vcpu *v)
{
	struct vcpu_watch *w = &v->wd;
	int rc;

	if (!v->watch)
		return 0;
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return -errno;
	rc = -pthread_mutex_init(&w->lock, NULL);
	if (!rc && (rc = -pthread_cond_init(&w->done, NULL)))
		pthread_mutex_destroy(&w->lock);
	if (rc) {
		close(w->stop_fd);
		return rc;
	}
	/* The vCPU thread's signals stay its own (SIGALRM must interrupt its KVM_RUN). */
	rc = thread_start(&w->tid, watch_main, v);
	w->started = !rc;
	return rc;
}

void vcpu_watch_stop(struct vcpu *v)
{
	struct vcpu_watch *w = &v->wd;
	uint64_t one = 1;

	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopped = true;
	if (write(w->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh eventfd; the flag stops the thread at its next tick */
	}
	while (!w->parked)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void vcpu_watch_forget(struct vcpu *v)
{
	struct vcpu_watch *w = &v->wd;

	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->looked = false;
	pthread_mutex_unlock(&w->lock);
}

void vcpu_watch_report(struct vcpu *v, FILE *out)
{
	struct vcpu_watch *w = &v->wd;
	uint64_t kicks, spared, let_run;
	const char *why = "";

	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	kicks = w->kicks;
	spared = w->spared;
	let_run = w->let_run;
	if (w->no_stat)
		why = " (KVM has no \"blocking\" statistic: every tick looked)";
	else if (w->no_halts)
		why = " (KVM has no \"halt_exits\" statistic: every halted tick looked)";
	pthread_mutex_unlock(&w->lock);
	fprintf(out, "hv: poweroff watch: %llu ticks of %u ms looked at a halted vCPU, %llu found it in a "
		"halt already looked at, %llu left it running%s\n",
		(unsigned long long)kicks, VCPU_WATCH_MS, (unsigned long long)spared,
		(unsigned long long)let_run, why);
}
