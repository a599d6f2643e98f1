/*
 * The seccomp sandbox: once setup is over, each of hv's threads puts itself
 * under its own allowlist of system calls (sandbox_policy.c), a BPF program
 * written here by hand: hv is a static musl binary and libseccomp's Debian
 * archive is built against glibc.  A call outside the list is not executed:
 * the thread takes SIGSYS and hv exits with SANDBOX_EXIT_STATUS after one
 * line on stderr naming the call and the thread.
 */
#ifndef HV_SANDBOX_H
#define HV_SANDBOX_H

#include <linux/filter.h>

#include "sandbox/sandbox_policy.h"

/* 128 + SIGSYS, what a shell reports for a process SIGSYS killed. */
#define SANDBOX_EXIT_STATUS 159

/* Room for any policy's program: the arch check, each rule's test, the default. */
#define SANDBOX_MAX_INSNS 256

/*
 * Writes policy p as a seccomp BPF program into out (max instructions):
 * the architecture must be x86-64, then the rules in order, then SIGSYS for
 * everything else.  The instruction count, or -E2BIG.
 */
int sandbox_build(const struct sandbox_policy *p, struct sock_filter *out, unsigned max);

/* Installs the process-wide SIGSYS reporter, before any thread enters.  0 or -errno. */
int sandbox_init(void);

/*
 * fn runs in the SIGSYS reporter, on whichever thread was stopped, before
 * hv exits: hv's last words beyond the message.  It must be
 * async-signal-safe and make only calls every thread may make: the
 * console's terminal back out of raw mode (TCSETS, on every list).  One
 * function; set before any thread enters.
 */
void sandbox_at_stop(void (*fn)(void));

/*
 * Puts the calling thread (and threads it creates later) under the
 * allowlist of t, with no_new_privs.  Other threads keep their own: no
 * TSYNC.  0 or -errno (nothing installed).
 */
int sandbox_enter(enum sandbox_thread t);

/* Rules a thread may add to its policy at entry (values known only at run time). */
#define SANDBOX_MAX_EXTRA 6

/*
 * sandbox_enter with extra rules (at most SANDBOX_MAX_EXTRA) tested
 * before t's own: the control API's unlinkat of its socket, relative to
 * the one directory fd it holds.  0 or -errno (-E2BIG: too many).
 */
int sandbox_enter_with(enum sandbox_thread t, const struct sandbox_rule *extra, unsigned nr_extra);

/*
 * The test hook: when the environment variable HV_SANDBOX_PROBE is t's
 * probe name ("vcpu", "io", "api"), the calling thread tries openat("/"), a call
 * no thread may make once confined.  Under the sandbox hv then dies with the
 * message; without (--no-sandbox) the open works and one line on stderr
 * says so.  "vcpu-abort", "io-abort" or "api-abort": that thread calls abort(), which
 * must end hv as an abort (SIGABRT), not as a sandbox stop.  It opens
 * nothing else and grants nothing: whoever sets hv's environment could as
 * well kill it.
 */
void sandbox_probe(enum sandbox_thread t);

#endif
