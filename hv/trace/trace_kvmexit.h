/*
 * --trace's exits that KVM handles in the kernel, one event each, when hv
 * runs as root: the kvm:kvm_exit tracepoint read through perf_event_open,
 * one counting ring a CPU, opened with the trace's files (before the
 * sandbox) and drained by the trace's writer with loads and stores alone
 * (the rings are mmap'd: no system call on its path).  Samples carry the
 * pid, so other processes' guests are left out; their time is
 * CLOCK_MONOTONIC, the trace's clock.  Not root, no tracefs, no tracepoint:
 * nothing opened, the reason kept, and the trace has KVM's 10 ms counters
 * alone, as always.
 */
#ifndef HV_TRACE_KVMEXIT_H
#define HV_TRACE_KVMEXIT_H

#include <stddef.h>
#include <stdint.h>

#define KVMEXIT_CPUS 64
#define KVMEXIT_RING_PAGES 64 /* a CPU's ring, 256 KiB: far more than 10 ms of exits */

struct trace_kvmexit {
	unsigned n;                 /* rings opened: 0 when the tracepoint is not read */
	unsigned ncpu;              /* CPUs tried: ring[i] is CPU i's, NULL if it has none */
	int fd[KVMEXIT_CPUS];
	void *ring[KVMEXIT_CPUS];
	size_t ring_len;
	uint32_t reason_off, isa_off; /* in a sample's raw data; isa_off 0: no field */
	int pid;                    /* hv's */
	uint64_t events, lost;      /* the writer's: exits read, exits the kernel dropped */
	char why_not[96];           /* n == 0: why */
};

/* Opens the rings, or leaves n 0 with why_not set; never fails hv. */
void trace_kvmexit_open(struct trace_kvmexit *k);

/*
 * The writer: every sample since the last drain, in each ring's order, to
 * emit (ts: mono_ns; name: the exit reason's, static; cpu: the ring's).
 */
void trace_kvmexit_drain(struct trace_kvmexit *k,
			 void (*emit)(void *ctx, unsigned cpu, uint64_t ts, const char *name,
				      uint32_t reason),
			 void *ctx);

void trace_kvmexit_close(struct trace_kvmexit *k);

/* An exit reason's name: VMX's basic reasons or SVM's exit codes (isa 1, 2), else NULL. */
const char *trace_kvmexit_name(uint32_t isa, uint32_t reason);

#endif
