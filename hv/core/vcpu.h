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

enum run_result {
	RUN_GUEST_EXIT = 0, /* the guest called HV_HC_EXIT */
	RUN_TIMEOUT,        /* --timeout expired */
	RUN_FATAL,          /* triple fault, failed entry, unhandled exit */
	RUN_STOPPED,        /* vcpu_request_stop: hv ends the VM (its I/O thread failed) */
};

/* What vcpu_request_stop sends to interrupt KVM_RUN (the sandbox allows it). */
#define VCPU_STOP_SIGNAL SIGUSR1

#define EXIT_REASONS 64 /* KVM_EXIT_* numbers hv counts */

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
	int stop_requested;     /* atomic: set by vcpu_request_stop */
	pthread_t thread;       /* the vCPU thread, once vcpu_prepare_stop ran */
};

/* Runs until the guest exits, times out or fails; reports fatal exits on stderr. */
enum run_result vcpu_run(struct vcpu *v);

/* Registers, run state and the local APIC's pending and in-service vectors. */
void vcpu_print_state(struct vcpu *v, FILE *f);

/* Name of a KVM_EXIT_* reason, for reports and --stats. */
const char *vcpu_exit_name(unsigned reason);

/*
 * On the vCPU thread, before any other thread may call vcpu_request_stop:
 * records the thread and handles VCPU_STOP_SIGNAL.  0 or -errno.
 */
int vcpu_prepare_stop(struct vcpu *v);

/* From another thread: vcpu_run returns RUN_STOPPED, out of KVM_RUN if it is in it. */
void vcpu_request_stop(struct vcpu *v);

/* Arms a timer that stops vcpu_run after ms; 0 disarms it.  0 or -errno. */
int vcpu_arm_timeout(struct vcpu *v, uint64_t ms);

#endif
