/* --trace's in-kernel exits: the kvm:kvm_exit tracepoint through perf_event_open (trace_kvmexit.h). */
#include "trace/trace_kvmexit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

/* Where tracefs may be: its own mount, or inside debugfs. */
static const char *const event_dirs[] = {
	"/sys/kernel/tracing/events/kvm/kvm_exit",
	"/sys/kernel/debug/tracing/events/kvm/kvm_exit",
};

struct exit_name {
	uint32_t isa, reason;
	const char *name;
};

/* KVM_ISA_VMX (1): basic exit reasons; KVM_ISA_SVM (2): exit codes.  The usual ones. */
static const struct exit_name exit_names[] = {
	{ 1, 0, "exception_nmi" }, { 1, 1, "external_interrupt" }, { 1, 2, "triple_fault" },
	{ 1, 7, "interrupt_window" }, { 1, 10, "cpuid" }, { 1, 12, "hlt" }, { 1, 18, "vmcall" },
	{ 1, 28, "cr_access" }, { 1, 30, "io" }, { 1, 31, "msr_read" }, { 1, 32, "msr_write" },
	{ 1, 40, "pause" }, { 1, 44, "apic_access" }, { 1, 45, "eoi_induced" },
	{ 1, 48, "ept_violation" }, { 1, 49, "ept_misconfig" }, { 1, 52, "preemption_timer" },
	{ 1, 56, "apic_write" },
	{ 2, 0x60, "intr" }, { 2, 0x61, "nmi" }, { 2, 0x64, "vintr" }, { 2, 0x72, "cpuid" },
	{ 2, 0x77, "pause" }, { 2, 0x78, "hlt" }, { 2, 0x7b, "io" }, { 2, 0x7c, "msr" },
	{ 2, 0x7f, "shutdown" }, { 2, 0x81, "vmmcall" }, { 2, 0x400, "npf" },
	{ 2, 0x401, "avic_incomplete_ipi" }, { 2, 0x402, "avic_unaccelerated_access" },
};

const char *trace_kvmexit_name(uint32_t isa, uint32_t reason)
{
	for (size_t i = 0; i < ARRAY_SIZE(exit_names); i++)
		if (exit_names[i].isa == isa && exit_names[i].reason == reason)
			return exit_names[i].name;
	return NULL;
}

/* The whole of a small tracefs file, NUL-terminated; 0 or -errno. */
static int read_small(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* A field's offset in the raw record, from the format's "field:TYPE NAME;\toffset:N;". */
static int field_offset(const char *format, const char *field, uint32_t *off)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), " %s;", field);
	p = strstr(format, pat);
	if (!p || !(p = strstr(p, "offset:")) || sscanf(p, "offset:%u;", off) != 1)
		return -ENOENT;
	return 0;
}

static int open_cpu(uint64_t id, unsigned cpu)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(a),
		.config = id,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC, /* mono_ns()'s: the trace's one clock */
	};

	return (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

void trace_kvmexit_open(struct trace_kvmexit *k)
{
	char format[4096], idtext[32];
	const char *dir = NULL;
	long page = sysconf(_SC_PAGESIZE), cpus = sysconf(_SC_NPROCESSORS_CONF);
	unsigned long long id;
	unsigned i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < KVMEXIT_CPUS; i++)
		k->fd[i] = -1;
	k->pid = getpid();
	if (geteuid() != 0) {
		snprintf(k->why_not, sizeof(k->why_not), "hv is not root");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(event_dirs) && !dir; i++)
		if (read_small(event_dirs[i], "id", idtext, sizeof(idtext)) == 0)
			dir = event_dirs[i];
	if (!dir || sscanf(idtext, "%llu", &id) != 1) {
		snprintf(k->why_not, sizeof(k->why_not), "no kvm:kvm_exit in tracefs (not mounted?)");
		return;
	}
	if (read_small(dir, "format", format, sizeof(format)) ||
	    field_offset(format, "exit_reason", &k->reason_off)) {
		snprintf(k->why_not, sizeof(k->why_not), "kvm:kvm_exit has no exit_reason field");
		return;
	}
	if (field_offset(format, "isa", &k->isa_off))
		k->isa_off = 0;
	k->ring_len = (size_t)(1 + KVMEXIT_RING_PAGES) * (size_t)page;
	k->ncpu = cpus > 0 && cpus < KVMEXIT_CPUS ? (unsigned)cpus : KVMEXIT_CPUS;
	for (i = 0; i < k->ncpu; i++) {
		void *r;

		k->fd[i] = open_cpu(id, i);
		if (k->fd[i] < 0) /* an offline CPU: no exits there */
			continue;
		r = mmap(NULL, k->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd[i], 0);
		if (r == MAP_FAILED) {
			close(k->fd[i]);
			k->fd[i] = -1;
			continue;
		}
		k->ring[i] = r;
		k->n++;
	}
	if (!k->n) {
		snprintf(k->why_not, sizeof(k->why_not), "perf_event_open: %s", strerror(errno));
		trace_kvmexit_close(k);
	}
}

/* len bytes at offset pos of a ring's data area of size bytes (a power of two), unwrapped. */
static void copy_out(void *dst, const uint8_t *data, uint64_t size, uint64_t pos, size_t len)
{
	uint64_t off = pos & (size - 1), first = size - off < len ? size - off : len;

	memcpy(dst, data + off, first);
	memcpy((uint8_t *)dst + first, data, len - first);
}

void trace_kvmexit_drain(struct trace_kvmexit *k,
			 void (*emit)(void *ctx, unsigned cpu, uint64_t ts, const char *name,
				      uint32_t reason),
			 void *ctx)
{
	for (unsigned c = 0; c < k->ncpu; c++) {
		struct perf_event_mmap_page *mp = k->ring[c];
		const uint8_t *data;
		uint64_t head, tail;

		if (!mp)
			continue;
		data = (const uint8_t *)mp + mp->data_offset;
		head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
		tail = mp->data_tail;
		while (tail < head) {
			/* A sample: header, pid and tid, time, raw size, raw data. */
			struct {
				struct perf_event_header h;
				uint32_t pid, tid;
				uint64_t time;
				uint32_t size;
				uint8_t raw[256];
			} rec;
			size_t len;

			copy_out(&rec.h, data, mp->data_size, tail, sizeof(rec.h));
			if (rec.h.size < sizeof(rec.h))
				break; /* not a record: stop reading this ring */
			len = rec.h.size < sizeof(rec) ? rec.h.size : sizeof(rec);
			copy_out(&rec, data, mp->data_size, tail, len);
			if (rec.h.type == PERF_RECORD_LOST && len >= sizeof(rec.h) + 16) {
				uint64_t lost;

				memcpy(&lost, (uint8_t *)&rec + sizeof(rec.h) + 8, sizeof(lost));
				k->lost += lost;
			} else if (rec.h.type == PERF_RECORD_SAMPLE && (int)rec.pid == k->pid &&
				   len >= offsetof(__typeof__(rec), raw) + k->reason_off + 4) {
				uint32_t reason, isa = 0;

				memcpy(&reason, rec.raw + k->reason_off, 4);
				if (k->isa_off && len >= offsetof(__typeof__(rec), raw) + k->isa_off + 4)
					memcpy(&isa, rec.raw + k->isa_off, 4);
				emit(ctx, c, rec.time, trace_kvmexit_name(isa, reason), reason);
				k->events++;
			}
			tail += rec.h.size;
		}
		__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	}
}

void trace_kvmexit_close(struct trace_kvmexit *k)
{
	/* A ring has its fd; a struct never opened (all zero) has neither. */
	for (unsigned i = 0; i < KVMEXIT_CPUS; i++) {
		if (!k->ring[i])
			continue;
		munmap(k->ring[i], k->ring_len);
		close(k->fd[i]);
		k->ring[i] = NULL;
		k->fd[i] = -1;
	}
	k->n = 0;
}
