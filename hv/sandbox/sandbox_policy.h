/*
 * The sandbox's allowlists: for each of hv's threads, the system calls it
 * may make once setup is over, with argument checks where a call is allowed
 * only in part (ioctl by request number, mmap without PROT_EXEC).  Pure
 * data: sandbox.c turns a policy into a seccomp BPF program.
 */
#ifndef HV_SANDBOX_POLICY_H
#define HV_SANDBOX_POLICY_H

#include <stdint.h>

enum sandbox_thread {
	SANDBOX_VCPU = 0, /* the main thread: KVM_RUN, exits, hypercalls, the report at the end */
	SANDBOX_IO,       /* the I/O thread: doorbells, io_uring, completions */
	SANDBOX_API,      /* the control API (--api-sock): accept, read, answer, pause */
	SANDBOX_TRACE,    /* --trace, --pcap: drains the rings into the files (hv/trace/) */
	SANDBOX_GDB,      /* the gdb stub (--gdb): read, answer, kick and hand the vCPU requests */
	SANDBOX_THREADS,
};

enum sandbox_arg_test {
	SB_ANY = 0,   /* the call with any arguments */
	SB_ARG_IN,    /* the low 32 bits of argument arg are one of vals */
	SB_ARG_CLEAR, /* the low 32 bits of argument arg have no bit of mask set */
};

struct sandbox_rule {
	int nr; /* __NR_* (x86-64) */
	enum sandbox_arg_test test;
	unsigned arg;         /* 0..5 */
	uint32_t mask;        /* SB_ARG_CLEAR */
	const uint32_t *vals; /* SB_ARG_IN */
	unsigned nr_vals;
};

struct sandbox_policy {
	const char *thread; /* "vCPU", "I/O", "API": for the message on a forbidden call */
	const char *probe;  /* HV_SANDBOX_PROBE value that names this thread (the test hook) */
	const struct sandbox_rule *rules;
	unsigned nr_rules;
};

extern const struct sandbox_policy sandbox_policies[SANDBOX_THREADS];

#endif
