/*
 * The poweroff watch of a Linux guest (struct vcpu's watch): Linux ends in
 * `cli; hlt` with no ACPI, and a vCPU halted in KVM never leaves KVM_RUN,
 * so something must look.  A thread of its own does, every VCPU_WATCH_MS,
 * and kicks the vCPU out of KVM_RUN (vcpu_kick, which looks: vcpu.c's
 * halted_for_good) only while KVM's vCPU statistic "blocking" says it is
 * halted: a busy guest runs on undisturbed, with no exit for the watch.
 * Nor is an idle one kicked again and again in one halt: once a kick has
 * looked (interrupts on, so not the end), the vCPU cannot have changed
 * while KVM's count of HLT exits ("halt_exits") stays where it was, since a
 * vCPU that ran since (an interrupt woke it) halts again through a new
 * HLT.  So a tick kicks a halted vCPU only if it halted again since the
 * last look; a pause forgets the look (gdb or the API may have changed the
 * registers meanwhile).  Where KVM has no "blocking" statistic (before
 * Linux 5.16, or no statistics fd) every tick kicks, as a timer signal to
 * the vCPU thread once did; without "halt_exits", every halted tick does.
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
	bool no_halts;        /* under lock: nor "halt_exits": every halted tick kicks */
	bool looked;          /* under lock: a kick looked at the vCPU in its halt_exits'th halt */
	uint64_t halt_exits;  /* under lock: KVM's count when the last kick looked */
	uint64_t kicks;       /* under lock: ticks that found the vCPU halted (or could not tell) */
	uint64_t spared;      /* under lock: ticks that found it in a halt already looked at */
	uint64_t let_run;     /* under lock: ticks that found it running, and left it */
};

/* Starts v's watch thread if v->watch; 0 or -errno. */
int vcpu_watch_start(struct vcpu *v);

/*
 * No kick after this returns, and the thread touches nothing of v again: it
 * is parked (hv's exit ends it).  Waits at most a tick.  Any thread.
 */
void vcpu_watch_stop(struct vcpu *v);

/*
 * The vCPU may have changed without a new halt (a pause: gdb or the API set
 * its registers): the next tick that finds it halted kicks.  The vCPU
 * thread, after a pause.
 */
void vcpu_watch_forget(struct vcpu *v);

/* One line on what the watch did (--verbose), if it ran. */
void vcpu_watch_report(struct vcpu *v, FILE *out);

#endif
