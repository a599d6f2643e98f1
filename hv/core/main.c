/* hv entry point: parse, load, set up KVM, run, report. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api/ctl.h"
#include "api/server.h"
#include "core/cli.h"
#include "core/console_in.h"
#include "core/guest_boot.h"
#include "core/log.h"
#include "kvm/kvm.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_jail.h"
#include "snap/phases.h"
#include "snap/snap_api.h"
#include "snap/snapshot.h"
#include "trace/trace_setup.h"
#include "core/stats.h"
#include "core/util.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "debug/gdb_stub.h"

/* Exit statuses of hv itself (the guest's own status passes through). */
enum {
	HV_EXIT_HOST = 1,     /* KVM unavailable or refused the VM */
	HV_EXIT_USAGE = 2,    /* bad arguments or input files */
	HV_EXIT_RESET = 123,  /* Linux: reboot, or a panic with panic=-1 (a reset, as both) */
	HV_EXIT_TIMEOUT = 124,
	HV_EXIT_FATAL = 125,  /* the guest crashed the VM, or hv could no longer serve it */
	HV_EXIT_SANDBOX = SANDBOX_EXIT_STATUS, /* a forbidden system call (sandbox.c exits) */
};

static bool is_hv_status(int status)
{
	return status == HV_EXIT_HOST || status == HV_EXIT_USAGE || status == HV_EXIT_RESET ||
	       status == HV_EXIT_TIMEOUT ||
	       status == HV_EXIT_FATAL || status == HV_EXIT_SANDBOX;
}

#define KERNEL_MAX_BYTES (256u << 20)

struct image {
	void *p;
	size_t size;
};

static int map_kernel(const char *path, struct image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "hv: %s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "hv: %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > KERNEL_MAX_BYTES) {
		fprintf(stderr, "hv: %s: %s (%lld bytes)\n", path,
			st.st_size ? "too large for a kernel" : "empty file",
			(long long)st.st_size);
		close(fd);
		return -1;
	}
	img->size = (size_t)st.st_size;
	img->p = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img->p == MAP_FAILED) {
		fprintf(stderr, "hv: %s: cannot map: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --restore: the snapshot's RAM instead of a kernel's image (snap/snapshot.h). */
static int prepare_restore(const struct hv_config *cfg, struct vm *vm, struct snap_in *snap)
{
	char err[ERR_MAX];

	if (snap_in_open(snap, cfg->restore, err, sizeof(err)) ||
	    snap_map_memory(snap, vm, err, sizeof(err))) {
		fprintf(stderr, "hv: %s\n", err);
		return -1;
	}
	return 0;
}

/* Everything that can be refused before KVM is touched: input errors, status 2. */
static int prepare(const struct hv_config *cfg, struct vm *vm, struct guest_boot *boot,
		   struct snap_in *snap)
{
	struct image img;
	char err[ERR_MAX];
	struct stat st;
	unsigned i;
	int rc;

	if (cfg->chroot_dir && (stat(cfg->chroot_dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "hv: --chroot %s: not a directory\n", cfg->chroot_dir);
		return -1;
	}
	if (cfg->restore) {
		if (prepare_restore(cfg, vm, snap))
			return -1;
	} else {
		if (map_kernel(cfg->kernel, &img))
			return -1;
		rc = guest_boot_load(vm, cfg, img.p, img.size, boot, err, sizeof(err));
		munmap(img.p, img.size);
		if (rc) {
			fprintf(stderr, "hv: %s: %s\n", cfg->kernel, err);
			return -1;
		}
	}
	rc = vm_init_devices(vm, STDOUT_FILENO);
	if (rc) {
		fprintf(stderr, "hv: cannot set up devices: %s\n", strerror(-rc));
		return -1;
	}
	vm->io.io_poll_ns = cfg->io_poll_us * 1000;
	for (i = 0; i < cfg->nr_dev; i++) {
		const struct device_kind *k = cfg->dev[i].kind;
		unsigned j, index = 0;

		for (j = 0; j < i; j++) /* instances are numbered per kind */
			index += cfg->dev[j].kind == k;
		if (vm_create_device(vm, k, index, cfg->dev[i].arg, err, sizeof(err))) {
			fprintf(stderr, "hv: %s\n", err);
			return -1;
		}
	}
	if (vm->faults && fault_check_claimed(vm->faults, err, sizeof(err))) {
		fprintf(stderr, "hv: %s\n", err);
		return -1;
	}
	if (cfg->verbose)
		vm_describe_devices(stderr, vm);
	if (cfg->restore) {
		if (snap_check_devices(snap, vm, err, sizeof(err))) {
			fprintf(stderr, "hv: --restore %s: %s\n", cfg->restore, err);
			return -1;
		}
	} else if (guest_boot_finish(vm, cfg, boot, err, sizeof(err))) {
		fprintf(stderr, "hv: %s: %s\n", cfg->kernel, err);
		return -1;
	}
	return 0;
}

/*
 * Everything hv will use is open: it drops what it no longer needs while it
 * has one thread, so the I/O thread inherits that.  The I/O thread's ring is
 * created first: a host may allow io_uring only to the privileged.  An hv
 * exit status, 0 to go on.
 */
static int confine(const struct hv_config *cfg, struct vm *vm)
{
	const struct sandbox_jail j = { cfg->chroot_dir, cfg->set_ids, cfg->uid, cfg->gid,
					!cfg->no_sandbox };
	char err[ERR_MAX];
	int rc = vm_open_io(vm);

	if (rc) {
		fprintf(stderr, "hv: cannot set up the I/O thread's io_uring: %s\n", strerror(-rc));
		return HV_EXIT_HOST;
	}
	if (!cfg->no_sandbox && vm->io.have_eng && !vm->io.eng.restricted) {
		fprintf(stderr, "hv: sandbox: this kernel cannot restrict io_uring to hv's operations "
			"(Linux 5.10 can); --no-sandbox runs without the sandbox\n");
		return HV_EXIT_HOST;
	}
	if (sandbox_jail(&j, err, sizeof(err))) {
		fprintf(stderr, "hv: %s\n", err);
		return HV_EXIT_HOST;
	}
	rc = cfg->no_sandbox ? 0 : sandbox_init();
	if (rc) {
		fprintf(stderr, "hv: sandbox: cannot handle SIGSYS: %s\n", strerror(-rc));
		return HV_EXIT_HOST;
	}
	return 0;
}

/* A thread's start under the sandbox: its own filter (and extra rules), then the test hook. */
static int enter_sandbox_with(const struct hv_config *cfg, enum sandbox_thread t,
			      const struct sandbox_rule *extra, unsigned nr_extra)
{
	int rc = cfg->no_sandbox ? 0 : sandbox_enter_with(t, extra, nr_extra);

	if (rc) {
		fprintf(stderr, "hv: sandbox: cannot confine the %s thread with seccomp: %s "
			"(--no-sandbox runs without the sandbox)\n", sandbox_policies[t].thread,
			strerror(-rc));
		return rc;
	}
	sandbox_probe(t);
	return 0;
}

static int enter_sandbox(const struct hv_config *cfg, enum sandbox_thread t)
{
	return enter_sandbox_with(cfg, t, NULL, 0);
}

/* The I/O thread cannot go on (its io_uring failed): the vCPU thread ends the VM. */
static void io_thread_failed(void *arg)
{
	vcpu_request_stop(arg, RUN_STOPPED);
}

/* The console's quit keys: the vCPU thread ends the VM at once, whatever the guest does. */
static void console_quit(void *arg)
{
	vcpu_request_stop(arg, RUN_QUIT);
}

/* First thing on the console input thread: the vCPU thread's filter (read, poll, write). */
static int console_thread_begin(void *arg)
{
	prctl(PR_SET_NAME, "hv-console", 0, 0, 0);
	return enter_sandbox(arg, SANDBOX_VCPU);
}

/* The poweroff watch (vcpu_watch.h): polls, reads KVM's statistics, kicks: the vCPU's calls. */
static int watch_thread_begin(void *arg)
{
	prctl(PR_SET_NAME, "hv-watch", 0, 0, 0);
	return enter_sandbox(arg, SANDBOX_VCPU);
}

/*
 * --io-batch: a SCHED_BATCH thread does not preempt the running task when
 * it wakes, so on a CPU it shares with the vCPU a doorbell no longer stops
 * the guest at once: the guest goes on submitting until it waits (halts),
 * and the thread takes the whole batch.  The raw system call, because
 * musl's sched_setscheduler() is ENOSYS by design.
 */
static int io_thread_sched(const struct hv_config *cfg)
{
	struct sched_param p = { 0 };

	if (!cfg->io_batch)
		return 0;
	if (syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &p) < 0) {
		int e = errno;

		/* Queued, as all of this thread's lines: it never blocks on stderr (log.h). */
		log_printf(&log_stderr, "--io-batch: cannot make the I/O thread SCHED_BATCH: %s",
			   strerror(e));
		return -e;
	}
	if (cfg->verbose)
		log_printf(&log_stderr, "the I/O thread runs as SCHED_BATCH (--io-batch)");
	return 0;
}

/* First thing on the I/O thread: a name for ps and /proc, its policy, then its filter. */
static int io_thread_begin(void *arg)
{
	int rc;

	prctl(PR_SET_NAME, "hv-io", 0, 0, 0);
	rc = io_thread_sched(arg);
	return rc ? rc : enter_sandbox(arg, SANDBOX_IO);
}

/* First thing on the control API's thread: a name, its filter with the socket's removal. */
static int api_thread_begin(struct api_server *s, void *arg)
{
	struct sandbox_rule extra[2 + SNAP_API_RULES];
	unsigned n = api_server_sandbox_rules(s, extra);

	n += snap_api_sandbox_rules(extra + n); /* PUT /snapshot/create */

	prctl(PR_SET_NAME, "hv-api", 0, 0, 0);
	return enter_sandbox_with(arg, SANDBOX_API, extra, n);
}

/* First thing on the trace writer's thread (--trace, --pcap): a name, its filter. */
static int trace_thread_begin(void *arg)
{
	prctl(PR_SET_NAME, "hv-trace", 0, 0, 0);
	return enter_sandbox(arg, SANDBOX_TRACE);
}

/* --trace, --pcap: files hv cannot create, or a NIC it does not have, are bad input. */
static int open_trace(const struct hv_config *cfg, const struct vm *vm, struct trace *tr)
{
	char err[ERR_MAX];

	tr->json_fd = tr->pcap_fd = -1;
	if (!trace_setup(tr, cfg, vm, err, sizeof(err)))
		return 0;
	fprintf(stderr, "hv: %s\n", err);
	return -1;
}

/* First thing on the gdb stub's thread: a name, its filter. */
static int gdb_thread_begin(void *arg)
{
	prctl(PR_SET_NAME, "hv-gdb", 0, 0, 0);
	return enter_sandbox(arg, SANDBOX_GDB);
}

/*
 * --api-sock: the socket exists before the sandbox and --chroot (the API
 * thread opens nothing); a path hv may not take is bad input, status 2.
 */
static int open_api(const struct hv_config *cfg, struct api_server *api)
{
	char err[ERR_MAX];

	if (!cfg->api_sock || !api_server_open(api, cfg->api_sock, err, sizeof(err)))
		return 0;
	fprintf(stderr, "hv: %s\n", err);
	return -1;
}

static int run(struct hv_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_vm kvm;
	struct vcpu v = { 0 };
	struct guest_boot boot = { 0 };
	struct snap_in snap = { .mem_fd = -1 };
	struct phases ph = { 0 };
	struct console_in ci = { .stop_fd = -1 };
	struct api_server api = { .listen_fd = -1, .stop_fd = -1, .dir_fd = -1 };
	struct trace tr = { .json_fd = -1, .pcap_fd = -1 };
	struct gdb_stub gdb = { .listen_fd = -1, .conn_fd = -1, .event_fd = -1, .end_fd = -1 };
	enum run_result res;
	char err[256];
	int status, rss_fd = -1;

	if (!vm) {
		fprintf(stderr, "hv: out of memory\n");
		return HV_EXIT_HOST;
	}
	phase_mark(&ph, "start");
	cfg->faults.any = cfg->api_sock != NULL; /* PUT /faults may give any device rules */
	vm->keep_latency = cfg->api_sock != NULL; /* GET /metrics is the histograms' reader */
	vm->faults = fault_begin(&cfg->faults, stderr);
	/* The socket exists before the sandbox and --chroot: the API thread opens nothing. */
	if (prepare(cfg, vm, &boot, &snap) || (phase_mark(&ph, "files+RAM+devices"), 0) ||
	    open_trace(cfg, vm, &tr) || open_api(cfg, &api)) {
		trace_close(&tr);
		snap_in_close(&snap);
		vm_destroy_devices(vm);
		gm_destroy(&vm->mem);
		free(vm);
		return HV_EXIT_USAGE;
	}
	if (kvm_vm_create(&kvm, &vm->mem, err, sizeof(err)) ||
	    kvm_vcpu_create(&kvm, err, sizeof(err)) || (phase_mark(&ph, "KVM VM+vCPU"), 0) ||
	    (cfg->restore ? snap_restore_kvm(&snap, &kvm, err, sizeof(err))
			  : guest_boot_vcpu(&kvm, &boot, err, sizeof(err)))) {
		fprintf(stderr, "hv: %s\n", err);
		trace_close(&tr);
		snap_in_close(&snap);
		api_server_stop(&api);
		kvm_vm_destroy(&kvm);
		vm_destroy_devices(vm);
		gm_destroy(&vm->mem);
		free(vm);
		return HV_EXIT_HOST;
	}
	if (cfg->verbose) {
		fprintf(stderr, "hv: KVM backend: %s\n", kvm_backend_name(kvm.backend));
		guest_boot_describe(stderr, cfg, &boot, &kvm);
	}
	phase_mark(&ph, "vCPU state");
	vm->kvm = &kvm;
	status = vm_wire_kvm(vm);
	if (status) {
		fprintf(stderr, "hv: cannot route device interrupts through KVM: %s\n",
			strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	status = cfg->restore ? snap_restore_devices(&snap, vm, err, sizeof(err)) : 0;
	snap_in_close(&snap); /* RAM stays mapped: the mapping holds the file */
	phase_mark(&ph, "device wiring");
	if (status) {
		fprintf(stderr, "hv: --restore %s: %s\n", cfg->restore, err);
		status = HV_EXIT_USAGE;
		goto out;
	}

	memset(&v, 0, sizeof(v));
	v.kvm = &kvm;
	v.vm = vm;
	/* Poweroff and the quit keys (vcpu.h); a restored Linux has its platform's ports. */
	v.watch = boot.lx.kind != LINUX_NONE || vm->platform;
	/* Linux reads the console: hv's standard input reaches its UART. */
	status = v.watch ? console_in_init(&ci, vm, STDIN_FILENO) : 0;
	if (status) {
		fprintf(stderr, "hv: cannot set up console input: %s\n", strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	ci.on_start = console_thread_begin;
	ci.on_start_arg = (void *)cfg;
	ci.on_quit = console_quit;
	ci.on_quit_arg = &v;
	v.wd.on_start = watch_thread_begin;
	v.wd.on_start_arg = (void *)cfg;
	/* gdb connects before the sandbox: a unix socket's path can still be removed. */
	if (cfg->gdb && gdb_stub_open(&gdb, cfg->gdb, err, sizeof(err))) {
		fprintf(stderr, "hv: %s\n", err);
		status = HV_EXIT_USAGE;
		goto out;
	}
	if (cfg->stats)
		rss_fd = stats_open_rss(); /* /proc: before the sandbox (and a --chroot) */
	status = confine(cfg, vm);
	if (status)
		goto out;
	vm->io.on_start = io_thread_begin;
	vm->io.on_start_arg = (void *)cfg;
	status = vcpu_prepare_stop(&v);
	if (status) {
		fprintf(stderr, "hv: cannot set up the vCPU's stop signal: %s\n", strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	vm->io.on_fail = io_thread_failed;
	vm->io.on_fail_arg = &v;
	tr.on_start = trace_thread_begin;
	tr.on_start_arg = (void *)cfg;
	if ((cfg->trace_path || cfg->pcap) && (status = trace_start(&tr, kvm.vcpu_stats.fd >= 0 ?
					       &kvm.vcpu_stats : NULL, &vm->hv_exits))) {
		fprintf(stderr, "hv: cannot start the trace writer: %s\n", strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	status = vm_start_io(vm);
	if (status) {
		fprintf(stderr, "hv: cannot start the I/O thread: %s\n", strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	api.api = (struct api){ cfg, vm, &v, cfg->api_sock };
	api.on_start = api_thread_begin;
	api.on_start_arg = (void *)cfg;
	if (cfg->api_sock && api_server_start(&api)) {
		fprintf(stderr, "hv: cannot start the control API's thread\n");
		status = HV_EXIT_HOST;
		goto out;
	}
	gdb.on_start = gdb_thread_begin;
	gdb.on_start_arg = (void *)cfg;
	if (cfg->gdb && gdb_stub_start(&gdb, &v)) {
		fprintf(stderr, "hv: cannot start the gdb stub's thread\n");
		status = HV_EXIT_HOST;
		goto out;
	}
	if (console_in_start(&ci)) {
		fprintf(stderr, "hv: cannot start the console input thread\n");
		status = HV_EXIT_HOST;
		goto out;
	}
	status = vcpu_watch_start(&v);
	if (status) {
		fprintf(stderr, "hv: cannot start the poweroff watch's thread: %s\n", strerror(-status));
		status = HV_EXIT_HOST;
		goto out;
	}
	if (vcpu_arm_timeout(&v, cfg->timeout_ms)) {
		fprintf(stderr, "hv: cannot arm --timeout: %s\n", strerror(errno));
		status = HV_EXIT_HOST;
		goto out;
	}
	phase_mark(&ph, "threads+sandbox");
	if (enter_sandbox(cfg, SANDBOX_VCPU)) {
		vcpu_watch_stop(&v);
		vcpu_arm_timeout(&v, 0);
		status = HV_EXIT_HOST;
		goto out;
	}
	if (cfg->verbose)
		fprintf(stderr, "hv: sandbox: %s\n", cfg->no_sandbox ? "off (--no-sandbox)" :
			"on: each thread under its own seccomp allowlist, io_uring restricted, "
			"no capabilities, no_new_privs");
	if (cfg->verbose)
		phases_print(stderr, &ph, cfg->restore ? "restore" : "boot");
	res = vcpu_run(&v);
	vcpu_watch_stop(&v); /* no kick from now on: the teardown's calls are not interrupted */
	vcpu_arm_timeout(&v, 0);
	if (cfg->verbose)
		vcpu_watch_report(&v, stderr);
	api_server_stop(&api); /* after the reply it was writing, if any; the socket goes */
	console_in_stop(&ci);
	/* Writes in flight land in the images before hv reports and exits. */
	iothread_stop(&vm->io);
	trace_stop(&tr, stderr); /* every event is in: the files end */
	log_drain(&log_stderr); /* what the I/O thread said, before hv's last words */
	console_flush(&vm->console);
	switch (res) {
	case RUN_GUEST_EXIT:
		status = vm->exit_status;
		/* A status hv also uses is marked, so scripts can tell the two apart. */
		if (cfg->verbose || is_hv_status(status))
			fprintf(stderr, "hv: guest exited with status %d\n", status);
		break;
	case RUN_RESET:
		fprintf(stderr, "hv: guest reset the machine (reboot): status %d\n", HV_EXIT_RESET);
		status = HV_EXIT_RESET;
		break;
	case RUN_POWEROFF:
		if (cfg->verbose)
			fprintf(stderr, "hv: guest powered off (halted with interrupts off)\n");
		status = 0;
		break;
	case RUN_QUIT:
		fprintf(stderr, "hv: quit from the console (Ctrl-A x)\n");
		status = 0;
		break;
	case RUN_TIMEOUT:
		fprintf(stderr, "hv: guest killed after --timeout %llu.%03llu s\n",
			(unsigned long long)(cfg->timeout_ms / 1000),
			(unsigned long long)(cfg->timeout_ms % 1000));
		if (cfg->verbose)
			vcpu_print_state(&v, stderr);
		status = HV_EXIT_TIMEOUT;
		break;
	case RUN_SHUTDOWN:
		if (cfg->verbose)
			fprintf(stderr, "hv: shut down through the control API\n");
		status = 0;
		break;
	case RUN_KILLED:
		fprintf(stderr, "hv: the VM was killed from gdb\n");
		status = HV_EXIT_FATAL;
		break;
	case RUN_STOPPED:
		fprintf(stderr, "hv: I/O thread failed (io_uring: %s): the VM is stopped\n",
			strerror(-vm->io.error));
		status = HV_EXIT_FATAL;
		break;
	default:
		status = HV_EXIT_FATAL;
		break;
	}
	gdb_stub_end(&gdb, status); /* gdb hears the guest's status */
	if (cfg->stats)
		stats_print(stderr, &v, rss_fd);
out:
	if (rss_fd >= 0)
		close(rss_fd);
	vcpu_watch_stop(&v); /* before KVM goes: its statistics fd with it */
	gdb_stub_end(&gdb, status);
	api_server_stop(&api);
	console_in_stop(&ci);
	trace_stop(&tr, NULL); /* before the devices: events name their queues */
	vm_destroy_devices(vm);
	trace_close(&tr);
	kvm_vm_destroy(&kvm);
	gm_destroy(&vm->mem);
	free(vm);
	return status;
}

int main(int argc, char **argv)
{
	struct hv_config cfg;
	char err[256];
	int action = cli_parse(argc, argv, &cfg, err, sizeof(err));

	switch (action) {
	case CLI_HELP:
		cli_print_usage(stdout);
		return 0;
	case CLI_VERSION:
		printf("hv %s (guest ABI %u)\n", HV_VERSION_STRING, HV_ABI_VERSION);
		return 0;
	case CLI_RUN:
		return run(&cfg);
	case CLI_CTL:
		return api_ctl(cfg.ctl_sock, cfg.ctl_cmd, cfg.ctl_arg, stdout, stderr);
	default:
		fprintf(stderr, "hv: %s\n", err);
		return HV_EXIT_USAGE;
	}
}
