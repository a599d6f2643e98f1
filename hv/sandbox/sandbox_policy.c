/*
 * The allowlist of each thread, call by call, with the code that needs it.
 * Everything hv opens, maps or creates (files, taps, /dev/kvm, the VM, the
 * vCPU, eventfds, io_uring, the I/O thread) exists before these apply; what
 * is left is serving the guest and tearing down.  Hot calls come first: the
 * filter tests the rules in order.
 */
#include "sandbox/sandbox_policy.h"

#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "core/util.h"

/*
 * vCPU thread ioctls, by request number (the kernel reads the low 32 bits):
 * KVM_RUN; the state report on a fatal exit or --timeout --verbose; and the
 * queue attach/detach hypercalls, which add and remove ioeventfds, irqfds
 * and MSI routes while the guest runs.
 */
static const uint32_t vcpu_ioctls[] = {
	KVM_RUN,
	KVM_IOEVENTFD, KVM_IRQFD, KVM_SET_GSI_ROUTING,
	KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_MP_STATE, KVM_GET_LAPIC,
	KVM_KVMCLOCK_CTRL, /* a pause (the control API): the guest's kvmclock is told */
	/* the gdb stub's requests, which the parked vCPU runs (hv/debug/gdb_vcpu.c) */
	KVM_GET_FPU, KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_FPU, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG,
	TCSETS, /* the console's terminal out of raw mode at exit (console_in.c) */
};

/*
 * Signals a thread may send to a thread (tkill: musl's raise and
 * pthread_kill): SIGABRT, so that abort() ends hv as an abort (6, a core),
 * not as a sandbox stop; and the I/O thread's word to the vCPU thread that
 * the VM must stop (VCPU_STOP_SIGNAL, vcpu.h).
 */
static const uint32_t own_signals[] = { SIGABRT, SIGUSR1 };
/* abort() with SIGABRT blocked (the I/O thread blocks all) resets it to SIG_DFL first. */
static const uint32_t abort_signal[] = { SIGABRT };

#define ANY(n) { .nr = (n), .test = SB_ANY }
/* Memory may be mapped, never made executable: no new code in a confined hv. */
#define NO_EXEC(n) { .nr = (n), .test = SB_ARG_CLEAR, .arg = 2, .mask = PROT_EXEC }

/*
 * What any thread needs: write and writev (console output, eventfd signals
 * to irqfds and the vCPU thread; musl's stdio writes stderr with writev),
 * and what musl itself uses: malloc (mallocng: brk and mmap, mprotect of
 * its metadata areas, madvise and munmap on free), futex (locks,
 * pthread_join, the I/O thread's start handshake), signal returns (the
 * --timeout SIGALRM), restart_syscall (a wait resumed after SIGSTOP and
 * SIGCONT), exit_group (exit, and the SIGSYS reporter itself), and what
 * abort() makes: rt_sigprocmask (musl's raise blocks signals around it,
 * pthread_exit too), tkill of SIGABRT, and rt_sigaction of SIGABRT alone
 * (back to SIG_DFL, where the first raise found it blocked).
 */
#define COMMON                                                                       \
	ANY(__NR_write), ANY(__NR_writev), ANY(__NR_futex),                          \
	ANY(__NR_clock_gettime) /* hc_time_ns, --io-poll: the vDSO's fallback */,    \
	NO_EXEC(__NR_mmap), NO_EXEC(__NR_mprotect), ANY(__NR_munmap), ANY(__NR_madvise), \
	ANY(__NR_brk), ANY(__NR_rt_sigreturn), ANY(__NR_restart_syscall),            \
	ANY(__NR_exit_group), ANY(__NR_rt_sigprocmask),                              \
	{ .nr = __NR_tkill, .test = SB_ARG_IN, .arg = 1, .vals = own_signals,        \
	  .nr_vals = ARRAY_SIZE(own_signals) },                                      \
	{ .nr = __NR_rt_sigaction, .test = SB_ARG_IN, .arg = 0, .vals = abort_signal, \
	  .nr_vals = ARRAY_SIZE(abort_signal) }

/*
 * The console's terminal out of raw mode when a forbidden call stops hv on
 * any thread (sandbox_at_stop, console_in.c), so the shell is left cooked.
 * The vCPU thread has TCSETS in its own ioctl list (its atexit does it too).
 */
static const uint32_t tty_ioctls[] = { TCSETS };
#define TTY_RESTORE                                                                 \
	{ .nr = __NR_ioctl, .test = SB_ARG_IN, .arg = 1, .vals = tty_ioctls,        \
	  .nr_vals = ARRAY_SIZE(tty_ioctls) }

static const struct sandbox_rule vcpu_rules[] = {
	{ .nr = __NR_ioctl, .test = SB_ARG_IN, .arg = 1, .vals = vcpu_ioctls,
	  .nr_vals = ARRAY_SIZE(vcpu_ioctls) },
	COMMON,
	ANY(__NR_read),      /* queue detach: the I/O thread's acknowledgement (eventfd) */
	ANY(__NR_pread64),   /* KVM's statistics fds: HV_HC_EXIT_COUNT, --stats */
	ANY(__NR_getrusage), /* HV_HC_EXIT_COUNT's CPU time, --stats */
	ANY(__NR_mincore),   /* --stats: guest RAM resident */
	ANY(__NR_poll),      /* queue detach waits for the I/O thread's acknowledgement */
	ANY(__NR_setitimer), /* --timeout disarmed at the end */
	ANY(__NR_close),     /* teardown: devices, io_uring, KVM */
};

static const struct sandbox_rule io_rules[] = {
	ANY(__NR_io_uring_enter), /* every disk, tap and doorbell operation (the ring is
				     restricted to hv's opcodes: ioeng.c) */
	COMMON,
	ANY(__NR_exit),           /* the thread's own end */
	ANY(__NR_sched_yield),    /* --io-poll: the CPU to a vCPU that shares it */
	TTY_RESTORE,
};

/*
 * The control API's thread: one connection at a time on the socket it was
 * handed (accept4, poll with its deadline, read, send with MSG_NOSIGNAL,
 * shutdown, close), the metrics (KVM's statistics fds: pread64; hv's CPU
 * time: getrusage; open_memstream's growth: mremap), pause and resume
 * (futex, and the vCPU kick's tkill, in COMMON).  Nothing opens or creates:
 * the socket's removal at exit (unlinkat, newfstatat to check it is still
 * hv's) is allowed only relative to the socket's directory fd, a rule
 * hv/api/server.c adds when it enters (sandbox_enter_with).
 */
static const struct sandbox_rule api_rules[] = {
	ANY(__NR_poll), ANY(__NR_read), ANY(__NR_accept4), ANY(__NR_sendto),
	COMMON,
	ANY(__NR_close), ANY(__NR_shutdown),
	ANY(__NR_pread64), ANY(__NR_getrusage), ANY(__NR_mremap),
	ANY(__NR_exit), /* the thread's own end */
	TTY_RESTORE,
};

/*
 * The trace writer (hv/trace/trace_writer.c): writes to files opened before
 * (write, in COMMON), reads KVM's statistics fd (pread64), naps between
 * drains (clock_nanosleep).
 */
static const struct sandbox_rule trace_rules[] = {
	COMMON,
	ANY(__NR_pread64), ANY(__NR_clock_nanosleep),
	ANY(__NR_exit), /* the thread's own end */
	TTY_RESTORE,
};

/*
 * The gdb stub's thread (--gdb): the connection it was handed, and over
 * TCP the next one (poll, read, sendto with MSG_NOSIGNAL, accept4, close),
 * its eventfds (read); the vCPU kick (tkill, in COMMON) and the parked
 * vCPU's requests (futex).  No ioctl but TTY_RESTORE's: every KVM call is
 * the vCPU thread's.  Nothing opens or creates.
 */
static const struct sandbox_rule gdb_rules[] = {
	ANY(__NR_poll), ANY(__NR_read), ANY(__NR_sendto),
	COMMON,
	ANY(__NR_accept4), ANY(__NR_close),
	ANY(__NR_exit), /* the thread's own end */
	TTY_RESTORE,
};

const struct sandbox_policy sandbox_policies[SANDBOX_THREADS] = {
	[SANDBOX_VCPU] = { "vCPU", "vcpu", vcpu_rules, ARRAY_SIZE(vcpu_rules) },
	[SANDBOX_IO] = { "I/O", "io", io_rules, ARRAY_SIZE(io_rules) },
	[SANDBOX_API] = { "API", "api", api_rules, ARRAY_SIZE(api_rules) },
	[SANDBOX_TRACE] = { "trace", "trace", trace_rules, ARRAY_SIZE(trace_rules) },
	[SANDBOX_GDB] = { "gdb", "gdb", gdb_rules, ARRAY_SIZE(gdb_rules) },
};
