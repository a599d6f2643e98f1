/*
 * The sandbox against the real kernel: each case forks a child that puts
 * itself under one thread's filter and makes calls; the parent reads the
 * child's stderr and exit status.  Also: hv's io_uring refuses opcodes hv
 * does not use, and the privilege drop leaves no capabilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "io/ioeng.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_jail.h"
#include "suites.h"

struct outcome {
	int status; /* exit status, or 1000 + signal */
	char err[512];
};

/* The child's status when a call it expected to pass was refused by the kernel instead. */
#define CHILD_UNEXPECTED 77

/* The child's thread id, taken before its filter applies (gettid is not on any list). */
static pid_t child_tid;

/*
 * Runs fn in a child under thread t's filter (none if t == SANDBOX_THREADS);
 * the child then exits 0 through exit_group, which every filter allows.
 */
static struct outcome confined(enum sandbox_thread t, int (*fn)(void))
{
	struct outcome o = { .status = -1 };
	int p[2], ws;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return o;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		const struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core); /* an abort here leaves no core file */
		child_tid = (pid_t)syscall(SYS_gettid);
		dup2(p[1], STDERR_FILENO);
		if (sandbox_init() || (t < SANDBOX_THREADS && sandbox_enter(t)))
			syscall(SYS_exit_group, 99);
		syscall(SYS_exit_group, fn() ? CHILD_UNEXPECTED : 0);
	}
	close(p[1]);
	while ((n = read(p[0], o.err + got, sizeof(o.err) - 1 - (size_t)got)) > 0)
		got += n;
	o.err[got] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return o;
	o.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
	return o;
}

/* The child died of the sandbox, and its one line names call and thread. */
static void assert_refused(const struct outcome *o, const char *line)
{
	CU_ASSERT_EQUAL(o->status, SANDBOX_EXIT_STATUS);
	CU_ASSERT_PTR_NOT_NULL(strstr(o->err, line));
	if (o->status != SANDBOX_EXIT_STATUS || !strstr(o->err, line))
		fprintf(stderr, "\n  status %d, stderr: %s\n", o->status, o->err);
}

static void assert_allowed(const struct outcome *o)
{
	CU_ASSERT_EQUAL(o->status, 0);
	CU_ASSERT_STRING_EQUAL(o->err, "");
	if (o->status)
		fprintf(stderr, "\n  status %d, stderr: %s\n", o->status, o->err);
}

static int do_openat(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY) < 0;
}

/* What the vCPU thread does while the guest runs: each must pass the filter. */
static int vcpu_calls(void)
{
	char buf[8];
	struct rusage ru;
	void *m;

	/* A bad fd gets EBADF from the kernel: the filter let the call through. */
	if (syscall(SYS_ioctl, -1, KVM_RUN, 0) != -1 || errno != EBADF)
		return -1;
	/* musl passes the request as an int: _IOR numbers arrive sign-extended. */
	if (syscall(SYS_ioctl, -1, (long)(int)KVM_GET_REGS, 0) != -1 || errno != EBADF)
		return -1;
	if (syscall(SYS_ioctl, -1, KVM_IRQFD, 0) != -1 || errno != EBADF)
		return -1;
	if (syscall(SYS_pread64, -1, buf, 8, 0) != -1 || errno != EBADF)
		return -1;
	if (syscall(SYS_getrusage, RUSAGE_SELF, &ru))
		return -1;
	m = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || syscall(SYS_mprotect, m, 4096, PROT_READ) ||
	    syscall(SYS_munmap, m, 4096))
		return -1;
	return syscall(SYS_write, STDERR_FILENO, buf, 0) != 0;
}

static void test_vcpu_allowed(void)
{
	struct outcome o = confined(SANDBOX_VCPU, vcpu_calls);

	assert_allowed(&o);
}

/* Not a KVM request hv makes at run time: refused whatever the fd. */
static int tty_ioctl(void)
{
	struct termios t;

	return syscall(SYS_ioctl, STDIN_FILENO, TCGETS, &t) < 0;
}

static int create_vm_ioctl(void)
{
	return syscall(SYS_ioctl, -1, KVM_CREATE_VM, 0) < 0;
}

static int exec_mmap(void)
{
	return syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0) == -1;
}

static int exec_mprotect(void)
{
	void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED || syscall(SYS_mprotect, m, 4096, PROT_READ | PROT_EXEC);
}

/* The I/O thread has no business with KVM, and the vCPU thread none with io_uring. */
static int kvm_run_ioctl(void)
{
	return syscall(SYS_ioctl, -1, KVM_RUN, 0) < 0;
}

static int uring_enter(void)
{
	return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0) != -1 || errno != EBADF;
}

/* Calls a thread may not make: each stops the child with status 159 and this line. */
static const struct {
	enum sandbox_thread t;
	int (*fn)(void);
	const char *line;
} refusals[] = {
	{ SANDBOX_VCPU, do_openat,
	  "hv: sandbox: forbidden system call 257 (openat) in the vCPU thread; hv stops\n" },
	{ SANDBOX_IO, do_openat, "forbidden system call 257 (openat) in the I/O thread" },
	{ SANDBOX_VCPU, tty_ioctl, "forbidden system call 16 (ioctl) in the vCPU thread" },
	{ SANDBOX_VCPU, create_vm_ioctl, "forbidden system call 16 (ioctl) in the vCPU thread" },
	{ SANDBOX_IO, exec_mmap, "forbidden system call 9 (mmap) in the I/O thread" },
	{ SANDBOX_VCPU, exec_mprotect, "forbidden system call 10 (mprotect) in the vCPU thread" },
	/* The I/O thread has no business with KVM, and the vCPU thread none with io_uring. */
	{ SANDBOX_IO, kvm_run_ioctl, "forbidden system call 16 (ioctl) in the I/O thread" },
	{ SANDBOX_VCPU, uring_enter,
	  "forbidden system call 426 (io_uring_enter) in the vCPU thread" },
};

static void test_refused(void)
{
	unsigned i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct outcome o = confined(refusals[i].t, refusals[i].fn);

		assert_refused(&o, refusals[i].line);
		/* Unconfined, the same child runs to its end: the refusal is the filter's. */
		o = confined(SANDBOX_THREADS, refusals[i].fn);
		CU_ASSERT_NOT_EQUAL(o.status, SANDBOX_EXIT_STATUS);
	}
}

/* The terminal back to cooked (TCSETS) passes every thread's filter: EBADF on a bad fd. */
static int tty_restore(void)
{
	struct termios t = { 0 };

	return syscall(SYS_ioctl, -1, TCSETS, &t) != -1 || errno != EBADF;
}

/* sandbox_at_stop's function, as console_in.c's: one TCSETS, then a word on stderr. */
static void last_words(void)
{
	static const char msg[] = "at_stop ran\n";

	if (tty_restore() || write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		syscall(SYS_exit_group, CHILD_UNEXPECTED);
}

static int stop_with_last_words(void)
{
	sandbox_at_stop(last_words);
	return do_openat();
}

/*
 * Every thread may put the terminal back, and a sandbox stop on any thread
 * runs the at_stop function after its message: a shell is not left raw.
 */
static void test_stop_restores_tty(void)
{
	unsigned t;

	for (t = 0; t < SANDBOX_THREADS; t++) {
		struct outcome o = confined(t, tty_restore);

		assert_allowed(&o);
		o = confined(t, stop_with_last_words);
		assert_refused(&o, "forbidden system call 257 (openat)");
		CU_ASSERT_PTR_NOT_NULL(strstr(o.err, "hv stops\nat_stop ran\n"));
	}
}

/*
 * What musl's abort() does, as raw calls (this binary's libc may make
 * others, glibc's tgkill): raise (block signals, tkill itself, restore);
 * if that did not end it (SIGABRT blocked, as on the I/O thread, which
 * blocks every signal), block all, SIGABRT back to SIG_DFL, tkill again,
 * unblock SIGABRT, at which it is delivered.
 */
struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static int musl_abort_with(int sig, bool io_thread_mask)
{
	uint64_t all = ~0ull, old = 0, abrt = 1ull << (SIGABRT - 1);
	const struct k_sigaction dfl = { .handler = SIG_DFL };

	if (io_thread_mask) /* all but SIGSYS, which sandbox_enter unblocks */
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &(uint64_t){ ~(1ull << (SIGSYS - 1)) },
			NULL, sizeof(all));
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, sizeof(all));
	syscall(SYS_tkill, child_tid, sig);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(old));
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
	syscall(SYS_rt_sigaction, SIGABRT, &dfl, NULL, sizeof(all));
	syscall(SYS_tkill, child_tid, SIGABRT);
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &abrt, NULL, sizeof(abrt));
	return 0; /* not reached */
}

static int musl_abort(void)
{
	return musl_abort_with(SIGABRT, false);
}

static int musl_abort_masked(void)
{
	return musl_abort_with(SIGABRT, true);
}

/* Any other signal to a thread is no business of either thread. */
static int tkill_term(void)
{
	return musl_abort_with(SIGTERM, false);
}

/* abort() in either thread ends the child by SIGABRT, not by the sandbox (159). */
static void test_abort_is_abort(void)
{
	unsigned t;

	for (t = 0; t < SANDBOX_THREADS; t++) {
		struct outcome o = confined(t, t == SANDBOX_IO ? musl_abort_masked : musl_abort);

		CU_ASSERT_EQUAL(o.status, 1000 + SIGABRT);
		if (o.status != 1000 + SIGABRT)
			fprintf(stderr, "\n  %s thread: status %d, stderr: %s\n",
				sandbox_policies[t].thread, o.status, o.err);
		/*
		 * Refused, with SIGSYS blocked as raise blocks it: the kernel then
		 * kills with SIGSYS itself, before the reporter can say a word.
		 */
		o = confined(t, tkill_term);
		CU_ASSERT_EQUAL(o.status, 1000 + SIGSYS);
	}
}

static void test_io_allowed(void)
{
	struct outcome o = confined(SANDBOX_IO, uring_enter);

	assert_allowed(&o);
}

/*
 * int 0x80 from a 64-bit process makes an i386 call: number 20 is getpid
 * there and writev on x86-64, which the filter allows.  The ABI test must
 * catch it first.
 */
static int i386_getpid(void)
{
	long rax = 20;

	__asm__ volatile("int $0x80" : "+a"(rax) : : "memory");
	return rax <= 0;
}

/*
 * Runs a compiled filter on d as the kernel's seccomp would: classic BPF,
 * only the instructions sandbox_build emits (any other fails the test).
 */
static uint32_t run_filter(const struct sock_filter *prog, int len, const struct seccomp_data *d)
{
	uint32_t a = 0, word;
	int pc = 0;

	while (pc >= 0 && pc < len) {
		const struct sock_filter *f = &prog[pc++];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k > sizeof(*d) - 4 || f->k % 4) {
				CU_FAIL("a load outside struct seccomp_data");
				return 0;
			}
			memcpy(&word, (const uint8_t *)d + f->k, 4);
			a = word;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += a & f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			CU_FAIL("an instruction this evaluator does not know");
			return 0;
		}
	}
	CU_FAIL("the program ran off its end");
	return 0;
}

static void test_other_abi(void)
{
	struct sock_filter prog[SANDBOX_MAX_INSNS];
	/* 20: writev on x86-64, allowed to both threads; getpid on i386. */
	struct seccomp_data d = { .nr = 20, .arch = AUDIT_ARCH_X86_64 };
	struct outcome o;
	unsigned t;

	for (t = 0; t < SANDBOX_THREADS; t++) {
		int n = sandbox_build(&sandbox_policies[t], prog, SANDBOX_MAX_INSNS);

		CU_ASSERT_FATAL(n > 0);
		d.arch = AUDIT_ARCH_X86_64;
		CU_ASSERT_EQUAL(run_filter(prog, n, &d), SECCOMP_RET_ALLOW);
		d.arch = AUDIT_ARCH_I386;
		CU_ASSERT_EQUAL(run_filter(prog, n, &d), SECCOMP_RET_TRAP);
		d.nr = __NR_openat;
		d.arch = AUDIT_ARCH_X86_64;
		CU_ASSERT_EQUAL(run_filter(prog, n, &d), SECCOMP_RET_TRAP);
		d.nr = 20;
	}
	/* And through the kernel, where int 0x80 makes i386 calls (the test host VM). */
	o = confined(SANDBOX_THREADS, i386_getpid);
	if (o.status != 0)
		return; /* without IA32 emulation int 0x80 faults: the filter run above stands */
	o = confined(SANDBOX_VCPU, i386_getpid);
	assert_refused(&o, "forbidden system call 20 (not an x86-64 call: another ABI) in the "
			   "vCPU thread");
}

/* Every policy fits its program; a rule whose body cannot be jumped over is refused. */
static void test_build_limits(void)
{
	struct sock_filter prog[SANDBOX_MAX_INSNS];
	static uint32_t many[200];
	const struct sandbox_rule big = { .nr = 16, .test = SB_ARG_IN, .vals = many, .nr_vals = 200 };
	const struct sandbox_policy p = { "test", "test", &big, 1 };
	unsigned t;

	/* SECURITY.md: "under 128 instructions for any thread" */
	for (t = 0; t < SANDBOX_THREADS; t++) {
		int n = sandbox_build(&sandbox_policies[t], prog, SANDBOX_MAX_INSNS);

		CU_ASSERT(n > 0 && n < 128);
	}
	CU_ASSERT_EQUAL(sandbox_build(&p, prog, SANDBOX_MAX_INSNS), -E2BIG);
	CU_ASSERT_EQUAL(sandbox_build(&sandbox_policies[SANDBOX_VCPU], prog, 8), -E2BIG);
}

/* hv's ring runs only the opcodes hv uses: an open through io_uring would bypass seccomp. */
static void test_ring_restricted(void)
{
	struct ioeng e;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	CU_ASSERT_EQUAL_FATAL(ioeng_init(&e, 8), 0);
	CU_ASSERT_TRUE(e.restricted);
	sqe = io_uring_get_sqe(&e.ring);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sqe);
	io_uring_prep_openat(sqe, AT_FDCWD, "/", O_RDONLY, 0);
	CU_ASSERT_EQUAL(io_uring_submit_and_wait(&e.ring, 1), 1);
	if (io_uring_peek_cqe(&e.ring, &cqe) == 0) {
		CU_ASSERT_EQUAL(cqe->res, -EACCES);
		if (cqe->res >= 0)
			close(cqe->res);
		io_uring_cqe_seen(&e.ring, cqe);
	} else {
		CU_FAIL("no completion for the refused openat");
	}
	/* No registration once the ring runs: no new files or buffers behind seccomp's back. */
	CU_ASSERT_EQUAL(io_uring_register_files(&e.ring, (int[]){ 0 }, 1), -EACCES);
	ioeng_exit(&e);
}

static int caps_gone(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	const struct sandbox_jail j = { .drop_all = true };
	char err[256];

	if (sandbox_jail(&j, err, sizeof(err)) || syscall(SYS_capget, &h, d))
		return -1;
	if (d[0].effective | d[0].permitted | d[1].effective | d[1].permitted)
		return -1;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : -1;
}

static void test_drop_all(void)
{
	struct outcome o = confined(SANDBOX_THREADS, caps_gone);

	assert_allowed(&o);
}

int suite_sandbox(void)
{
	static const CU_TestInfo t[] = {
		{ "vCPU thread: its run-time calls pass", test_vcpu_allowed },
		{ "I/O thread: io_uring_enter passes", test_io_allowed },
		{ "forbidden calls stop hv with the message, per thread", test_refused },
		{ "an i386 call through int 0x80 is refused", test_other_abi },
		{ "abort() in either thread is an abort, not a sandbox stop", test_abort_is_abort },
		{ "every thread may restore the terminal, and a stop does", test_stop_restores_tty },
		{ "program size limits", test_build_limits },
		{ "io_uring refuses what hv does not use", test_ring_restricted },
		{ "privilege drop: no capabilities, no_new_privs", test_drop_all },
		CU_TEST_INFO_NULL,
	};
	return add_suite("sandbox", t);
}
