/*
 * The seccomp filters: a policy's rules compiled to classic BPF, installed
 * per thread, and the SIGSYS handler that reports a forbidden call.
 * SECCOMP_RET_TRAP, not KILL_PROCESS: the call is refused the same way, and
 * the handler can still say which call and which thread before hv exits.
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

/* x86-64 system call names by number, generated from the kernel's asm/unistd_64.h. */
static const char *const syscall_names[] = {
#include "syscall_names.h"
};

/*
 * The confined thread's role, for the handler: a signal handler cannot be
 * handed a pointer, and each thread has its own.
 */
static __thread const char *thread_role;

/* sandbox_at_stop's function: the handler, again, can be handed no pointer. */
static void (*volatile at_stop)(void);

void sandbox_at_stop(void (*fn)(void))
{
	at_stop = fn;
}

#define DATA_ARCH offsetof(struct seccomp_data, arch)
#define DATA_NR offsetof(struct seccomp_data, nr)
/* Little-endian: an argument's low 32 bits come first. */
#define DATA_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(act) BPF_STMT(BPF_RET | BPF_K, (act))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define JSET(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (jt), (jf))

/* Instructions a rule takes after its system-call test; each ends in a return. */
static unsigned body_len(const struct sandbox_rule *r)
{
	switch (r->test) {
	case SB_ARG_IN:
		return 1 + 2 * r->nr_vals + 1; /* load, (test, allow) per value, trap */
	case SB_ARG_CLEAR:
		return 4; /* load, test, trap, allow */
	default:
		return 1; /* allow */
	}
}

int sandbox_build(const struct sandbox_policy *p, struct sock_filter *out, unsigned max)
{
	unsigned n = 0, i, v;

#define EMIT(ins)                        \
	do {                             \
		if (n == max)            \
			return -E2BIG;   \
		out[n++] = (struct sock_filter)ins; \
	} while (0)

	/*
	 * The ABI first: an int 0x80 from a 64-bit process makes i386 calls,
	 * whose numbers name other calls.  (x32 calls need no test: their
	 * numbers carry bit 30 and so match no rule.)
	 */
	EMIT(LD(DATA_ARCH));
	EMIT(JEQ(AUDIT_ARCH_X86_64, 1, 0));
	EMIT(RET(SECCOMP_RET_TRAP));
	EMIT(LD(DATA_NR));
	for (i = 0; i < p->nr_rules; i++) {
		const struct sandbox_rule *r = &p->rules[i];
		unsigned len = body_len(r);

		/* Jump offsets are 8 bits; every body returns, so A still holds nr after a miss. */
		if (len > 255 || r->arg > 5)
			return -E2BIG;
		EMIT(JEQ((uint32_t)r->nr, 0, len));
		switch (r->test) {
		case SB_ARG_IN:
			EMIT(LD(DATA_ARG_LO(r->arg)));
			for (v = 0; v < r->nr_vals; v++) {
				EMIT(JEQ(r->vals[v], 0, 1));
				EMIT(RET(SECCOMP_RET_ALLOW));
			}
			EMIT(RET(SECCOMP_RET_TRAP));
			break;
		case SB_ARG_CLEAR:
			EMIT(LD(DATA_ARG_LO(r->arg)));
			EMIT(JSET(r->mask, 0, 1));
			EMIT(RET(SECCOMP_RET_TRAP));
			EMIT(RET(SECCOMP_RET_ALLOW));
			break;
		default:
			EMIT(RET(SECCOMP_RET_ALLOW));
			break;
		}
	}
	EMIT(RET(SECCOMP_RET_TRAP));
#undef EMIT
	return (int)n;
}

/* Async-signal-safe string building for the handler: no stdio, no malloc. */
static size_t put(char *buf, size_t n, size_t size, const char *s)
{
	while (*s && n < size)
		buf[n++] = *s++;
	return n;
}

static size_t put_num(char *buf, size_t n, size_t size, unsigned long v)
{
	char digits[24];
	unsigned i = 0;

	do
		digits[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < sizeof(digits));
	while (i && n < size)
		buf[n++] = digits[--i];
	return n;
}

/*
 * Only write and exit_group, both on every thread's list, and at_stop's
 * TCSETS, on every list too: the report itself cannot be refused.  The forbidden call was not executed.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[192];
	size_t n = 0;
	unsigned nr = (unsigned)si->si_syscall;

	(void)sig, (void)uc;
	n = put(buf, n, sizeof(buf), "hv: sandbox: forbidden system call ");
	n = put_num(buf, n, sizeof(buf), nr);
	if (si->si_arch != AUDIT_ARCH_X86_64)
		n = put(buf, n, sizeof(buf), " (not an x86-64 call: another ABI)");
	else if (nr < ARRAY_SIZE(syscall_names) && syscall_names[nr]) {
		n = put(buf, n, sizeof(buf), " (");
		n = put(buf, n, sizeof(buf), syscall_names[nr]);
		n = put(buf, n, sizeof(buf), ")");
	}
	n = put(buf, n, sizeof(buf), " in the ");
	n = put(buf, n, sizeof(buf), thread_role ? thread_role : "unconfined");
	n = put(buf, n, sizeof(buf), " thread; hv stops\n");
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nothing left to tell it with */
	}
	if (at_stop)
		at_stop();
	syscall(SYS_exit_group, SANDBOX_EXIT_STATUS);
}

int sandbox_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

int sandbox_enter(enum sandbox_thread t)
{
	return sandbox_enter_with(t, NULL, 0);
}

int sandbox_enter_with(enum sandbox_thread t, const struct sandbox_rule *extra, unsigned nr_extra)
{
	const struct sandbox_policy *base = &sandbox_policies[t];
	struct sandbox_rule rules[SANDBOX_MAX_EXTRA + 64];
	struct sandbox_policy p = *base;
	struct sock_filter prog[SANDBOX_MAX_INSNS];
	struct sock_fprog fp;
	sigset_t sys;
	int n, rc;

	if (nr_extra) {
		if (nr_extra > SANDBOX_MAX_EXTRA || base->nr_rules > ARRAY_SIZE(rules) - nr_extra)
			return -E2BIG;
		memcpy(rules, extra, nr_extra * sizeof(*extra));
		memcpy(rules + nr_extra, base->rules, base->nr_rules * sizeof(*rules));
		p.rules = rules;
		p.nr_rules = base->nr_rules + nr_extra;
	}
	n = sandbox_build(&p, prog, SANDBOX_MAX_INSNS);
	if (n < 0)
		return n;
	fp = (struct sock_fprog){ .len = (unsigned short)n, .filter = prog };
	/*
	 * A blocked SIGSYS would reset the handler and kill hv without a word
	 * (the I/O thread blocks every signal): this one stays deliverable.
	 */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	rc = pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	if (rc)
		return -rc;
	/* Required to filter without CAP_SYS_ADMIN, and no exec could gain privileges anyway. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	thread_role = sandbox_policies[t].thread;
	/* No SECCOMP_FILTER_FLAG_TSYNC: the filter is this thread's alone. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
		thread_role = NULL;
		return -errno;
	}
	return 0;
}

void sandbox_probe(enum sandbox_thread t)
{
	const char *want = getenv("HV_SANDBOX_PROBE"), *probe = sandbox_policies[t].probe;
	size_t n = strlen(probe);
	long fd;

	if (!want || strncmp(want, probe, n))
		return;
	if (!strcmp(want + n, "-abort"))
		abort();
	if (want[n])
		return;
	fd = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC);
	/* Reached only without the sandbox. */
	fprintf(stderr, "hv: sandbox: probe: openat in the %s thread %s (no sandbox)\n",
		sandbox_policies[t].thread, fd >= 0 ? "succeeded" : "failed");
	if (fd >= 0)
		close((int)fd);
}
