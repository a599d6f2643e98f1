/*
 * The poweroff watch of a Linux guest (struct vcpu's watch): Linux ends in
 * `cli; hlt` with no ACPI, and a vCPU halted in KVM never leaves KVM_RUN,
 * so something must look.  A thread of its own does, every VCPU_WATCH_MS,
 * and kicks the vCPU out of KVM_RUN (vcpu_kick, which looks: vcpu.c's
 * halted_for_good) only while KVM's vCPU statistic "blocking" says it is
 * halted: a busy guest runs on undisturbed, with no exit for the watch.
 * Where KVM has no such statistic (before Linux 5.16, or no statistics fd)
 * every tick kicks, as a timer signal to the vCPU thread once did.
 */
#ifndef HV_VCPU_WATCH_H
#define HV_VCPU_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vcpu;

struct vcpu_watch {
	/* set before vcpu_watch_start: the thread's first call (main.c: its sandbox) */
	int (*on_start)(void *arg);
	void *on_start_arg;

	pthread_t tid;
	int stop_fd;          /* eventfd: vcpu_watch_stop */
	bool started;
	pthread_mutex_t lock; /* a kick and the stop: none after vcpu_watch_stop */
	pthread_cond_t done;  /* the thread is parked: it touches nothing of the vCPU again */
	bool stopped, parked; /* under lock */
	bool no_stat;         /* under lock: KVM has no "blocking" statistic: every tick kicks */
	uint64_t kicks;       /* under lock: ticks that found the vCPU halted (or could not tell) */
	uint64_t let_run;     /* under lock: ticks that found it running, and left it */
};

/* Starts v's watch thread if v->watch; 0 or -errno. */
int vcpu_watch_start(struct vcpu *v);

/*
 * No kick after this returns, and the thread touches nothing of v again: it
 * is parked (hv's exit ends it).  Waits at most a tick.  Any thread.
 */
void vcpu_watch_stop(struct vcpu *v);

/* One line on what the watch did (--verbose), if it ran. */
void vcpu_watch_report(struct vcpu *v, FILE *out);

#endif
