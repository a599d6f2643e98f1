/*
 * The vCPU run loop: KVM_RUN, then one handler per exit reason from a table.
 * Port writes to HV_HC_PORT are hypercalls; other port and MMIO accesses go to
 * the buses; fatal exits end the run with a report.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "kvm/kvm.h"
#include "core/vm.h"
#include "core/vcpu_watch.h"

enum run_result {
	RUN_GUEST_EXIT = 0, /* the guest called HV_HC_EXIT */
	RUN_TIMEOUT,        /* --timeout expired */
	RUN_FATAL,          /* triple fault, failed entry, unhandled exit */
	RUN_STOPPED,        /* vcpu_request_stop: hv ends the VM (its I/O thread failed) */
	RUN_RESET,          /* the guest reset the machine (Linux: reboot, panic=-1) */
	RUN_POWEROFF,       /* the vCPU halted with interrupts off (Linux: poweroff, halt) */
	RUN_QUIT,           /* the console's quit keys */
	RUN_SHUTDOWN,       /* asked to end through the control API (PUT /actions shutdown) */
	RUN_KILLED,         /* gdb's kill (--gdb), or the stub could not start */
};

/*
 * Who paused the vCPU.  gdb's stop is gdb's to end: the control API's
 * resume is refused while gdb holds the vCPU (a breakpoint, a step, Ctrl-C,
 * the hold before the first instruction), or the guest would run on under a
 * debugger that believes it stopped.
 */
enum vcpu_pauser {
	VCPU_BY_API = 1, /* PUT /actions pause */
	VCPU_BY_GDB,     /* the gdb stub (--gdb) */
};

/* What the control API reports: GET /vm's "state". */
enum vcpu_state {
	VCPU_RUNNING = 0,
	VCPU_PAUSED,  /* parked out of KVM_RUN by vcpu_pause, until vcpu_resume */
	VCPU_EXITING, /* a stop was asked for, or vcpu_run returned */
};

/* What vcpu_request_stop sends to interrupt KVM_RUN (the sandbox allows it). */
#define VCPU_STOP_SIGNAL SIGUSR1

/* How often a Linux guest's vCPU is looked at for poweroff. */
#define VCPU_WATCH_MS 100

#define EXIT_REASONS 64 /* KVM_EXIT_* numbers hv counts */

/*
 * Written by the vCPU thread alone with stat_add (util.h: an atomic store,
 * a plain move on x86-64, no locked add); other threads (the control API's
 * metrics) read them with atomic loads.
 */
struct vcpu_stats {
	uint64_t exits[EXIT_REASONS]; /* exits that reached hv, by KVM_EXIT_* */
	uint64_t hypercalls;
	uint64_t unclaimed_pio, unclaimed_mmio;
	uint64_t mmio_width[4]; /* MMIO exits of 1, 2, 4 and 8 bytes: wide stores stay whole */
};

struct vcpu {
	struct kvm_vm *kvm;
	struct vm *vm;
	struct vcpu_stats st;
	volatile int timed_out; /* set from the SIGALRM handler */
	int stop_requested;     /* atomic: the run_result vcpu_request_stop asked for, 0: none */
	pthread_t thread;       /* the vCPU thread, once vcpu_prepare_stop ran */
	/*
	 * Pause: pause_wanted (atomic) is set and the vCPU kicked like a stop;
	 * it parks on park_cond with parked set until pause_wanted is cleared or
	 * a stop is asked for.  park_lock is taken only on pause, resume and
	 * stop requests, never on the run loop's path.
	 */
	int pause_wanted;
	bool parked;        /* under park_lock */
	bool ended;         /* under park_lock: vcpu_run returned */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	uint64_t paused_ns; /* under park_lock: time spent parked, pauses that ended */
	uint64_t parked_since_ns; /* under park_lock, while parked */
	/*
	 * Linux ends in `cli; hlt` with no ACPI, and a halted vCPU never leaves
	 * KVM_RUN: with watch set, a thread kicks it out to look, at most
	 * every VCPU_WATCH_MS, once each time KVM says it halted
	 * (vcpu_watch.h).  hv's own kernel exits by hypercall and is not
	 * watched: no extra exits in its counts.
	 */
	bool watch;
	struct vcpu_watch wd;
	/*
	 * The gdb stub (hv/debug, --gdb), NULL without: on_debug runs on the
	 * vCPU thread at each KVM_EXIT_DEBUG (a breakpoint, a watchpoint, a
	 * single step), then the vCPU parks as for vcpu_pause; call is a
	 * request the parked vCPU runs on its own thread (vcpu_call).
	 */
	void (*on_debug)(void *arg, struct vcpu *v);
	enum vcpu_pauser pauser; /* under park_lock, while paused: who may resume */
	void *debug_arg;
	struct vcpu_call *call; /* under park_lock */
};

/* A function vcpu_call runs on the vCPU thread: 0 or -errno. */
typedef int (*vcpu_fn)(struct vcpu *v, void *arg);

struct vcpu_call {
	vcpu_fn fn;
	void *arg;
	int rc;
	bool done;
};

/* Runs until the guest exits, times out or fails; reports fatal exits on stderr. */
enum run_result vcpu_run(struct vcpu *v);

/* Registers, run state and the local APIC's pending and in-service vectors. */
void vcpu_print_state(struct vcpu *v, FILE *f);

/* Name of a KVM_EXIT_* reason, for reports and --stats. */
const char *vcpu_exit_name(unsigned reason);

/*
 * On the vCPU thread, before any other thread may call vcpu_request_stop,
 * vcpu_pause or vcpu_resume: records the thread, handles VCPU_STOP_SIGNAL,
 * sets up the pause's lock.  0 or -errno.
 */
int vcpu_prepare_stop(struct vcpu *v);

/*
 * From another thread (the I/O thread when it fails, the console's quit
 * keys, the control API's shutdown): vcpu_run returns why (RUN_STOPPED,
 * RUN_QUIT, RUN_SHUTDOWN), out of KVM_RUN if it is in it, or parked.  The
 * first reason asked for wins.  This and vcpu_pause share hv's one vCPU
 * kick.
 */
void vcpu_request_stop(struct vcpu *v, enum run_result why);

/*
 * From another thread (the control API, the gdb stub later): takes the vCPU
 * out of KVM_RUN with the same kick as vcpu_request_stop and waits until it
 * is parked (KVM_KVMCLOCK_CTRL told first, where KVM has it, so the guest
 * does not take the pause for a soft lockup).  The I/O thread goes on
 * completing what is in flight.  0, -EBUSY if paused already, -ESRCH if the
 * VM is ending, -ETIMEDOUT if the vCPU did not park within timeout_ms.
 * gdb pausing a vCPU paused already (-EBUSY) takes the pause over.
 */
int vcpu_pause(struct vcpu *v, unsigned timeout_ms, enum vcpu_pauser by);

/*
 * On the vCPU thread, after vcpu_prepare_stop and before vcpu_run (--gdb):
 * the vCPU parks before the guest's first instruction, as if vcpu_pause had
 * been called, and stays parked until vcpu_resume.
 */
void vcpu_hold(struct vcpu *v);

/*
 * From another thread (the gdb stub): runs fn(v, arg) on the vCPU thread
 * once the vCPU is parked (every vCPU ioctl is issued there) and returns
 * its result.  -ESRCH if the VM is ending, -ETIMEDOUT if the vCPU did not
 * park within timeout_ms.
 */
int vcpu_call(struct vcpu *v, vcpu_fn fn, void *arg, unsigned timeout_ms);

/*
 * Unparks a paused vCPU.  0, -EBUSY if it is not paused, -EPERM if gdb
 * holds it and by is the API, -ESRCH if ending.
 */
int vcpu_resume(struct vcpu *v, enum vcpu_pauser by);

/* Running, paused or exiting; any thread. */
enum vcpu_state vcpu_state(struct vcpu *v);

/* Nanoseconds the vCPU has spent parked so far, the pause under way included (any thread). */
uint64_t vcpu_paused_ns(struct vcpu *v);

/*
 * hv's one vCPU kick, from any thread: the run loop leaves KVM_RUN (or
 * does not enter the next one) and looks at its requests and, with watch,
 * whether the guest halted for good.
 */
void vcpu_kick(struct vcpu *v);

/*
 * Blocks on the calling thread the signals that are the vCPU thread's
 * (SIGALRM must interrupt its KVM_RUN; SIGTERM, SIGHUP and SIGQUIT restore
 * the terminal with a call only its filter allows), so that a thread it
 * creates now inherits them blocked; *old is the mask to restore after.
 */
void vcpu_signals_block(sigset_t *old);

/* Arms a timer that stops vcpu_run after ms; 0 disarms it.  0 or -errno. */
int vcpu_arm_timeout(struct vcpu *v, uint64_t ms);

#endif
