/* vCPU run loop with table-driven exit dispatch. */
#include "core/vcpu.h"
#include "core/log.h"
#include "core/util.h"
#include "trace/trace.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>

enum { CONTINUE = 0, STOP = 1 };
typedef int (*exit_fn)(struct vcpu *v);

/*
 * The one piece of process-wide state: a signal handler cannot be handed a
 * pointer, so SIGALRM finds the vCPU to stop here.
 */
static struct vcpu *volatile alarm_target;


static void on_alarm(int sig)
{
	struct vcpu *v = alarm_target;

	(void)sig;
	if (v) {
		v->timed_out = 1;
		/* Makes the current or next KVM_RUN return -EINTR at once. */
		v->kvm->run->immediate_exit = 1;
	}
}

static struct timeval tv_ms(uint64_t ms)
{
	return (struct timeval){ .tv_sec = (time_t)(ms / 1000),
				 .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
}

void vcpu_signals_block(sigset_t *old)
{
	sigset_t set;

	/* Not SIGSYS: a forbidden call must still reach the sandbox's reporter. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

int vcpu_arm_timeout(struct vcpu *v, uint64_t ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = tv_ms(ms) };

	if (!ms) { /* disarm */
		alarm_target = NULL;
		return setitimer(ITIMER_REAL, &it, NULL) < 0 ? -errno : 0;
	}
	alarm_target = v;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -errno;
	return 0;
}

/* Only to interrupt KVM_RUN: the flag and immediate_exit were set before it was sent. */
static void on_stop_signal(int sig)
{
	(void)sig;
}

int vcpu_prepare_stop(struct vcpu *v)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	pthread_condattr_t ca;
	int rc;

	v->thread = pthread_self();
	/* Monotonic: a wall-clock step must not stretch a pause's wait. */
	rc = pthread_condattr_init(&ca);
	rc = rc ? rc : pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = rc ? rc : pthread_cond_init(&v->park_cond, &ca);
	if (rc)
		return -rc;
	pthread_condattr_destroy(&ca);
	rc = pthread_mutex_init(&v->park_lock, NULL);
	if (rc)
		return -rc;
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_STOP_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

void vcpu_kick(struct vcpu *v)
{
	/*
	 * A vCPU between two KVM_RUNs leaves its next one at once.  Sequentially
	 * consistent with watch(), which clears immediate_exit and then loads the
	 * request: either it sees the request or this store comes after its clear.
	 */
	__atomic_store_n(&v->kvm->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	/* ...and one inside KVM_RUN (a guest halted, waiting for I/O) is interrupted. */
	pthread_kill(v->thread, VCPU_STOP_SIGNAL);
}

void vcpu_request_stop(struct vcpu *v, enum run_result why)
{
	int none = 0;

	/* The first reason wins (an I/O failure stays one if the quit keys follow). */
	__atomic_compare_exchange_n(&v->stop_requested, &none, (int)why, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	vcpu_kick(v);
	/* A parked vCPU wakes to stop. */
	pthread_mutex_lock(&v->park_lock);
	pthread_cond_broadcast(&v->park_cond);
	pthread_mutex_unlock(&v->park_lock);
}

/* How long vcpu_resume waits to see the vCPU leave its park. */
#define VCPU_RESUME_WAIT_MS 1000

static bool stopping(struct vcpu *v)
{
	return __atomic_load_n(&v->stop_requested, __ATOMIC_SEQ_CST) != 0;
}

static struct timespec ts_after_ms(unsigned ms)
{
	uint64_t t = mono_ns() + (uint64_t)ms * 1000000ull;

	return (struct timespec){ .tv_sec = (time_t)(t / 1000000000ull),
				  .tv_nsec = (long)(t % 1000000000ull) };
}

int vcpu_pause(struct vcpu *v, unsigned timeout_ms, enum vcpu_pauser by)
{
	struct timespec until = ts_after_ms(timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&v->park_lock);
	if (v->ended || stopping(v))
		rc = -ESRCH;
	else if (__atomic_load_n(&v->pause_wanted, __ATOMIC_SEQ_CST))
		rc = -EBUSY;
	if (rc == -EBUSY && by == VCPU_BY_GDB)
		v->pauser = by;
	if (rc) {
		pthread_mutex_unlock(&v->park_lock);
		return rc;
	}
	__atomic_store_n(&v->pause_wanted, 1, __ATOMIC_SEQ_CST);
	v->pauser = by;
	vcpu_kick(v);
	while (!v->parked && !v->ended && !stopping(v) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&v->park_cond, &v->park_lock, &until);
	if (!v->parked) { /* it ended, or is stuck in an exit handler: no pause */
		__atomic_store_n(&v->pause_wanted, 0, __ATOMIC_SEQ_CST);
		rc = rc == ETIMEDOUT ? -ETIMEDOUT : -ESRCH;
	} else {
		rc = 0;
	}
	pthread_mutex_unlock(&v->park_lock);
	return rc;
}

void vcpu_hold(struct vcpu *v)
{
	v->pauser = VCPU_BY_GDB; /* no other thread runs yet */
	__atomic_store_n(&v->pause_wanted, 1, __ATOMIC_SEQ_CST);
	vcpu_kick(v); /* the first KVM_RUN returns at once, to park */
}

int vcpu_call(struct vcpu *v, vcpu_fn fn, void *arg, unsigned timeout_ms)
{
	struct timespec until = ts_after_ms(timeout_ms);
	struct vcpu_call c = { fn, arg, 0, false };
	int rc = 0;

	pthread_mutex_lock(&v->park_lock);
	while (!v->parked && !v->ended && !stopping(v) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&v->park_cond, &v->park_lock, &until);
	if (!v->parked || v->ended || stopping(v)) {
		pthread_mutex_unlock(&v->park_lock);
		return rc == ETIMEDOUT ? -ETIMEDOUT : -ESRCH;
	}
	while (v->call) /* one request at a time */
		pthread_cond_wait(&v->park_cond, &v->park_lock);
	v->call = &c;
	pthread_cond_broadcast(&v->park_cond);
	while (!c.done)
		pthread_cond_wait(&v->park_cond, &v->park_lock);
	pthread_mutex_unlock(&v->park_lock);
	return c.rc;
}

int vcpu_resume(struct vcpu *v, enum vcpu_pauser by)
{
	int rc = 0;

	pthread_mutex_lock(&v->park_lock);
	if (v->ended || stopping(v))
		rc = -ESRCH;
	else if (!v->parked)
		rc = -EBUSY;
	else if (v->pauser == VCPU_BY_GDB && by != VCPU_BY_GDB)
		rc = -EPERM;
	else {
		struct timespec until = ts_after_ms(VCPU_RESUME_WAIT_MS);

		__atomic_store_n(&v->pause_wanted, 0, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&v->park_cond);
		/* Until it is on its way: GET /vm right after says running. */
		while (v->parked && !rc)
			rc = pthread_cond_timedwait(&v->park_cond, &v->park_lock, &until);
		rc = 0;
	}
	pthread_mutex_unlock(&v->park_lock);
	return rc;
}

enum vcpu_state vcpu_state(struct vcpu *v)
{
	enum vcpu_state s;

	pthread_mutex_lock(&v->park_lock);
	s = v->ended || stopping(v) ? VCPU_EXITING : v->parked ? VCPU_PAUSED : VCPU_RUNNING;
	pthread_mutex_unlock(&v->park_lock);
	return s;
}

uint64_t vcpu_paused_ns(struct vcpu *v)
{
	uint64_t ns;

	pthread_mutex_lock(&v->park_lock);
	ns = v->paused_ns + (v->parked ? mono_ns() - v->parked_since_ns : 0);
	pthread_mutex_unlock(&v->park_lock);
	return ns;
}

/*
 * On the vCPU thread, out of KVM_RUN: parks until resumed or stopped.
 * KVM_KVMCLOCK_CTRL first (where KVM has it: -EINVAL when the guest set up
 * no kvmclock) tells the guest the pause was the host's: its watchdog does
 * not report the gap as a soft lockup.  The thread sleeps: paused time is
 * not guest CPU time.  --timeout still ends a paused VM (SIGALRM's flag is
 * looked at every VCPU_WATCH_MS).
 */
static void park(struct vcpu *v)
{
	ioctl(v->kvm->vcpu_fd, KVM_KVMCLOCK_CTRL, 0);
	pthread_mutex_lock(&v->park_lock);
	v->parked_since_ns = mono_ns();
	v->parked = true;
	pthread_cond_broadcast(&v->park_cond);
	for (;;) {
		struct timespec until = ts_after_ms(VCPU_WATCH_MS);

		/* A request taken is served before the vCPU leaves: its caller waits for it. */
		if (v->call) {
			v->call->rc = v->call->fn(v, v->call->arg);
			v->call->done = true;
			v->call = NULL;
			pthread_cond_broadcast(&v->park_cond);
			continue;
		}
		if (!__atomic_load_n(&v->pause_wanted, __ATOMIC_SEQ_CST) || stopping(v) ||
		    v->timed_out)
			break;
		pthread_cond_timedwait(&v->park_cond, &v->park_lock, &until);
	}
	v->parked = false;
	v->paused_ns += mono_ns() - v->parked_since_ns;
	pthread_cond_broadcast(&v->park_cond);
	pthread_mutex_unlock(&v->park_lock);
	vcpu_watch_forget(v); /* its registers may have been set meanwhile */
}

static const char *const exit_names[EXIT_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "kvm_hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_X86_RDMSR] = "rdmsr",
	[KVM_EXIT_X86_WRMSR] = "wrmsr",
};

const char *vcpu_exit_name(unsigned reason)
{
	if (reason < EXIT_REASONS && exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* Vectors whose bit is set in a 256-bit LAPIC register (8 words, 16 bytes apart). */
static void print_vectors(FILE *f, const char *name, const struct kvm_lapic_state *l,
			  unsigned reg)
{
	unsigned w, b;

	fprintf(f, " %s:", name);
	for (w = 0; w < 8; w++) {
		uint32_t bits;
		memcpy(&bits, l->regs + reg + 16 * w, 4);
		for (b = 0; b < 32; b++)
			if (bits >> b & 1)
				fprintf(f, " %u", w * 32 + b);
	}
}

void vcpu_print_state(struct vcpu *v, FILE *f)
{
	static const char *const mp[] = { "runnable", "uninitialized", "init-received",
					  "halted", "sipi-received", "stopped" };
	struct kvm_mp_state ms;
	struct kvm_lapic_state l;
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->kvm->vcpu_fd, KVM_GET_REGS, &r) == 0)
		fprintf(f,
			"hv:   rip=%016llx rsp=%016llx rflags=%016llx\n"
			"hv:   rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
			"hv:   rsi=%016llx rdi=%016llx rbp=%016llx\n",
			r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
			r.rdi, r.rbp);
	if (ioctl(v->kvm->vcpu_fd, KVM_GET_SREGS, &s) == 0)
		fprintf(f, "hv:   cr0=%llx cr2=%llx cr3=%llx cr4=%llx efer=%llx cs=%x\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector);
	if (ioctl(v->kvm->vcpu_fd, KVM_GET_MP_STATE, &ms) == 0 &&
	    ioctl(v->kvm->vcpu_fd, KVM_GET_LAPIC, &l) == 0) {
		fprintf(f, "hv:   vCPU %s; local APIC", ms.mp_state < 6 ? mp[ms.mp_state] : "?");
		print_vectors(f, "pending (IRR)", &l, 0x200);
		print_vectors(f, "in service (ISR)", &l, 0x100);
		fputc('\n', f);
	}
}

static void report(struct vcpu *v, const char *what)
{
	struct kvm_run *run = v->kvm->run;

	console_flush(&v->vm->console);
	fprintf(stderr, "hv: guest failed: %s (exit reason %u, %s)\n", what,
		run->exit_reason, vcpu_exit_name(run->exit_reason));
	vcpu_print_state(v, stderr);
}

/*
 * A hypercall: `outl %eax, %dx` to HV_HC_PORT.  KVM has already stepped past
 * the instruction; the registers come and go through run->s.regs, so the call
 * costs no ioctl beyond the KVM_RUN that resumes the guest.
 */
static void do_hypercall(struct vcpu *v)
{
	struct kvm_run *run = v->kvm->run;
	struct kvm_regs *r = &run->s.regs.regs;
	const uint64_t a[HC_NARGS] = { r->rdi, r->rsi, r->r8, r->r9, r->r10 };

	stat_add(&v->st.hypercalls, 1);
	r->rax = (uint64_t)hc_dispatch(v->vm, r->rax, a);
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static int exit_io(struct vcpu *v)
{
	struct kvm_run *run = v->kvm->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	if (run->io.port == HV_HC_PORT && wr && run->io.size == 4 && run->io.count == 1) {
		do_hypercall(v);
		return v->vm->exit_requested ? STOP : CONTINUE;
	}
	/* String I/O (rep outsb) arrives as count items back to back. */
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		uint64_t val = 0;
		if (wr)
			memcpy(&val, data, run->io.size);
		if (!io_bus_access(&v->vm->pio, run->io.port, wr, &val, run->io.size))
			stat_add(&v->st.unclaimed_pio, 1);
		if (!wr)
			memcpy(data, &val, run->io.size);
	}
	return v->vm->reset_requested ? STOP : CONTINUE;
}

static int exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->kvm->run;
	uint64_t val = 0;
	unsigned len = run->mmio.len;

	if (len > 8) /* KVM never sends more; a bus cannot take it */
		len = 8;
	stat_add(&v->st.mmio_width[len >= 8 ? 3 : len >= 4 ? 2 : len >= 2 ? 1 : 0], 1);
	if (run->mmio.is_write)
		memcpy(&val, run->mmio.data, len);
	if (!io_bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.is_write, &val, len))
		stat_add(&v->st.unclaimed_mmio, 1);
	if (!run->mmio.is_write)
		memcpy(run->mmio.data, &val, len);
	return CONTINUE;
}

static int exit_shutdown(struct vcpu *v)
{
	report(v, "triple fault (the guest could not handle an exception)");
	return STOP;
}

static int exit_hlt(struct vcpu *v)
{
	/* With the in-kernel irqchip KVM sleeps on HLT itself; this one is final. */
	report(v, "halted with no way to wake");
	return STOP;
}

static int exit_fail_entry(struct vcpu *v)
{
	char what[96];

	snprintf(what, sizeof(what), "KVM could not enter the guest (hardware reason 0x%llx)",
		 (unsigned long long)v->kvm->run->fail_entry.hardware_entry_failure_reason);
	report(v, what);
	return STOP;
}

static int exit_internal(struct vcpu *v)
{
	struct kvm_run *run = v->kvm->run;
	char what[160];
	int n = snprintf(what, sizeof(what), "KVM internal error, suberror %u",
			 run->internal.suberror);
	uint32_t i;

	for (i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(what); i++)
		n += snprintf(what + n, sizeof(what) - (size_t)n, " %llx",
			      (unsigned long long)run->internal.data[i]);
	report(v, what);
	return STOP;
}

static int exit_system_event(struct vcpu *v)
{
	report(v, "system event (reset or shutdown request)");
	return STOP;
}

static int exit_unhandled(struct vcpu *v)
{
	report(v, "unhandled exit");
	return STOP;
}

/*
 * A breakpoint, watchpoint or single step of the gdb stub's: it is told,
 * and the vCPU parks until the stub resumes it (serving its requests
 * meanwhile).  Without a stub there is no guest debugging to cause one.
 */
static int exit_debug(struct vcpu *v)
{
	if (!v->on_debug)
		return exit_unhandled(v);
	pthread_mutex_lock(&v->park_lock);
	v->pauser = VCPU_BY_GDB;
	pthread_mutex_unlock(&v->park_lock);
	__atomic_store_n(&v->pause_wanted, 1, __ATOMIC_SEQ_CST);
	v->on_debug(v->debug_arg, v);
	park(v);
	return CONTINUE;
}

/* Linux's poweroff with no ACPI: halted with interrupts off, for good. */
static bool halted_for_good(struct vcpu *v)
{
	struct kvm_mp_state ms;
	struct kvm_regs r;

	if (ioctl(v->kvm->vcpu_fd, KVM_GET_MP_STATE, &ms) < 0)
		goto unseen;
	if (ms.mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (ioctl(v->kvm->vcpu_fd, KVM_GET_REGS, &r) < 0)
		goto unseen;
	return !(r.rflags & (1u << 9));
unseen:
	vcpu_watch_forget(v); /* not looked at: the next tick kicks again */
	return false;
}

/* After a SIGALRM tick: a reason to stop, or RUN_GUEST_EXIT to go on. */
static enum run_result watch(struct vcpu *v)
{
	int stop;

	/* A tick arriving now only costs one more look; a request, see vcpu_request_stop. */
	__atomic_store_n(&v->kvm->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->pause_wanted, __ATOMIC_SEQ_CST))
		park(v);
	stop = __atomic_load_n(&v->stop_requested, __ATOMIC_SEQ_CST);
	if (stop)
		return (enum run_result)stop;
	if (v->timed_out)
		return RUN_TIMEOUT;
	if (v->watch && halted_for_good(v))
		return RUN_POWEROFF;
	return RUN_GUEST_EXIT;
}

static const exit_fn exit_table[EXIT_REASONS] = {
	[KVM_EXIT_IO] = exit_io,
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_HLT] = exit_hlt,
	[KVM_EXIT_SHUTDOWN] = exit_shutdown,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
	[KVM_EXIT_DEBUG] = exit_debug,
};

/* vcpu_run's end, seen by vcpu_pause, vcpu_resume and vcpu_state. */
static enum run_result ended(struct vcpu *v, enum run_result why)
{
	pthread_mutex_lock(&v->park_lock);
	v->ended = true;
	pthread_cond_broadcast(&v->park_cond);
	pthread_mutex_unlock(&v->park_lock);
	return why;
}

static enum run_result run_loop(struct vcpu *v);

enum run_result vcpu_run(struct vcpu *v)
{
	return ended(v, run_loop(v));
}

static enum run_result run_loop(struct vcpu *v)
{
	struct kvm_run *run = v->kvm->run;

	for (;;) {
		unsigned reason;
		exit_fn fn;

		trace_ev(TR_ENTER, NULL, 0, 0);
		int rc = ioctl(v->kvm->vcpu_fd, KVM_RUN, 0);

		v->vm->hv_exits++; /* every return from KVM_RUN, for HV_HC_EXIT_COUNT */
		trace_ev(TR_EXIT, rc < 0 ? "intr" : vcpu_exit_name(run->exit_reason), 0, run->io.port);
		log_drain_pending(&log_stderr); /* the I/O thread's lines: it may not write them */
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				enum run_result why = watch(v);
				stat_add(&v->st.exits[KVM_EXIT_INTR], 1);
				if (why != RUN_GUEST_EXIT)
					return why;
				continue;
			}
			char what[64];

			snprintf(what, sizeof(what), "KVM_RUN: %s", strerror(errno));
			report(v, what);
			return RUN_FATAL;
		}
		reason = run->exit_reason;
		if (reason < EXIT_REASONS)
			stat_add(&v->st.exits[reason], 1);
		fn = reason < EXIT_REASONS && exit_table[reason] ? exit_table[reason]
								  : exit_unhandled;
		if (fn(v) == STOP)
			return v->vm->reset_requested ? RUN_RESET
			       : v->vm->exit_requested ? RUN_GUEST_EXIT : RUN_FATAL;
	}
}
