/*
 * The trace's writer thread: drains the rings into Chrome trace event JSON
 * (ui.perfetto.dev, chrome://tracing), KVM's counters into "C" events once
 * per TRACE_DRAIN_MS, and captured frames into pcap records (trace.h).
 */
#include "trace/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "kvm/kvm.h"

#define OUT_FLUSH (TRACE_OUT_BYTES - 1024) /* one event is far less than the slack */
#define PID 1 /* out_event writes it as a literal */
#define COUNTER_TID 0
#define KVM_EXIT_TID (TRACE_THREADS + 1) /* the first CPU's lane of kvm:kvm_exit events */

/* How each kind is written: its name (NULL: the event's own), phase, what arg means. */
static const struct kind_fmt {
	const char *name;
	char ph;
	const char *arg; /* the arg's key, or NULL */
	bool req;        /* has a queue and a request id */
} kinds[TR_KINDS] = {
	[TR_DOORBELL] = { "doorbell", 'i', NULL, false },
	[TR_TAKE] = { "take", 'i', NULL, true },
	[TR_SQE] = { "sqe", 'i', NULL, true },
	[TR_SUBMIT] = { "io_uring_submit", 'i', "sqes", false },
	[TR_CQE] = { "cqe", 'i', "res", true },
	[TR_POST] = { "post", 'i', "status", true },
	[TR_PUBLISH] = { "publish", 'i', "entries", false },
	[TR_IRQ] = { "irq", 'i', NULL, false },
	[TR_EXIT] = { NULL, 'B', NULL, false },
	[TR_ENTER] = { NULL, 'E', NULL, false },
};

/* The KVM counters sampled, as named in the "C" events: the vCPU's binary statistics. */
static const char *const kvm_counters[] = { "exits", "io_exits", "halt_exits", "irq_exits",
					    "mmio_exits", "irq_injections" };
_Static_assert(ARRAY_SIZE(kvm_counters) + 1 <= ARRAY_SIZE(((struct trace *)0)->last),
	       "struct trace keeps a sample of each counter, and of hv's exits");

static void flush_out(struct trace *t)
{
	int rc = write_full(t->json_fd, t->out, t->out_len);

	if (rc && !t->write_err)
		t->write_err = -rc;
	t->out_len = 0;
}

static void __attribute__((format(printf, 2, 3))) out(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->out_len > OUT_FLUSH)
		flush_out(t);
	va_start(ap, fmt);
	n = vsnprintf(t->out + t->out_len, TRACE_OUT_BYTES - t->out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->out_len += (size_t)n < TRACE_OUT_BYTES - t->out_len ? (size_t)n : 0;
}

/*
 * The hot formatting, by hand: the writer shares the CPU with the guest
 * (a test host VM has one), and printf's cost per event showed in IOPS.
 * An event is far smaller than OUT_FLUSH's slack: out_event flushes first.
 */
static void put(struct trace *t, const char *str)
{
	size_t n = strlen(str);

	memcpy(t->out + t->out_len, str, n);
	t->out_len += n;
}

static void put_u64(struct trace *t, uint64_t v, unsigned min_digits)
{
	char b[20];
	unsigned i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || sizeof(b) - i < min_digits);
	memcpy(t->out + t->out_len, b + i, sizeof(b) - i);
	t->out_len += sizeof(b) - i;
}

static void put_i32(struct trace *t, int32_t v)
{
	if (v < 0)
		put(t, "-");
	put_u64(t, v < 0 ? (uint64_t)-(int64_t)v : (uint64_t)v, 1);
}

/* Microseconds since the trace began, to the nanosecond. */
static void put_ts(struct trace *t, uint64_t ns)
{
	uint64_t rel = ns > t->t0 ? ns - t->t0 : 0;

	put(t, "\"ts\":");
	put_u64(t, rel / 1000, 1);
	put(t, ".");
	put_u64(t, rel % 1000, 3);
}

static void out_ts(struct trace *t, uint64_t ns)
{
	if (t->out_len > OUT_FLUSH)
		flush_out(t);
	put_ts(t, ns);
}

static void out_event(struct trace *t, unsigned tid, struct trace_ring *r, const struct trace_ev *e)
{
	const struct kind_fmt *k = &kinds[e->kind < TR_KINDS ? e->kind : TR_DOORBELL];
	const char ph[2] = { k->ph, '\0' };

	if (k->ph == 'E' && !r->in_exit)
		return; /* the first entry into KVM_RUN closes nothing */
	if (e->kind == TR_SUBMIT && !e->arg)
		return; /* io_uring_enter only to wait: nothing submitted */
	r->in_exit = k->ph == 'B';
	if (t->out_len > OUT_FLUSH)
		flush_out(t);
	put(t, t->events++ ? ",\n{\"ph\":\"" : "{\"ph\":\"");
	put(t, ph);
	put(t, "\",\"pid\":1,\"tid\":");
	put_u64(t, tid, 1);
	put(t, ",");
	put_ts(t, e->ts);
	if (k->ph == 'E') {
		put(t, "}");
		return;
	}
	put(t, ",\"name\":\"");
	put(t, k->name ? k->name : e->name);
	put(t, k->ph == 'i' ? "\",\"s\":\"t\"" : "\"");
	put(t, e->kind == TR_EXIT ? ",\"cat\":\"exit\",\"args\":{" : ",\"cat\":\"io\",\"args\":{");
	if (e->kind == TR_EXIT && !strcmp(e->name, "io")) {
		put(t, "\"port\":"); /* the port of an io exit, and only there */
		put_u64(t, e->arg & 0xffff, 1);
	} else if (e->kind != TR_EXIT && e->name) {
		put(t, "\"queue\":\"");
		put(t, e->name);
		put(t, "\"");
	}
	if (k->req) {
		put(t, ",\"req\":");
		put_u64(t, e->id, 1);
	}
	if (k->arg) {
		put(t, e->name ? ",\"" : "\"");
		put(t, k->arg);
		put(t, "\":");
		put_i32(t, (int32_t)e->arg);
	}
	put(t, "}}");
}

static void drain_ring(struct trace *t, unsigned i)
{
	struct trace_ring *r = &t->ring[i];
	uint32_t tail = r->tail, head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	for (; tail != head; tail++)
		out_event(t, i + 1, r, &r->ev[tail & (TRACE_RING_EVENTS - 1)]);
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
}

/* Counts per interval of the exits KVM handled itself, beside those that reached hv. */
static void sample_counters(struct trace *t)
{
	uint64_t v[ARRAY_SIZE(kvm_counters) + 1], hv, in_kernel;
	unsigned i;

	/*
	 * hv's count first: KVM counts an exit before hv does, so the exits
	 * KVM counted less hv's is never below the in-kernel ones so far.  It
	 * may be above them by an exit on its way to hv, which a later sample
	 * then counts as hv's: the in-kernel count reported only ever grows,
	 * never wraps below zero.
	 */
	hv = t->hv_exits ? __atomic_load_n(t->hv_exits, __ATOMIC_RELAXED) : 0;
	if (!t->kvm_vals || kvm_stats_read(t->kvm, t->kvm_vals))
		return;
	for (i = 0; i < ARRAY_SIZE(kvm_counters); i++)
		v[i] = t->kvm_idx[i] >= 0 ? t->kvm_vals[t->kvm_idx[i]] : 0;
	v[i] = hv;
	in_kernel = v[0] > hv && v[0] - hv > t->in_kernel ? v[0] - hv : t->in_kernel;
	if (t->sampled) {
		out(t, "%s{\"ph\":\"C\",\"pid\":%d,\"tid\":%d,\"name\":\"kvm exits\",",
		    t->events++ ? ",\n" : "", PID, COUNTER_TID);
		out_ts(t, mono_ns());
		out(t, ",\"args\":{\"in_kernel\":%llu,\"to_hv\":%llu",
		    (unsigned long long)(in_kernel - t->in_kernel),
		    (unsigned long long)(v[i] - t->last[i]));
		for (i = 1; i < ARRAY_SIZE(kvm_counters); i++)
			out(t, ",\"%s\":%llu", kvm_counters[i], (unsigned long long)(v[i] - t->last[i]));
		out(t, "}}");
	}
	memcpy(t->last, v, sizeof(v));
	t->in_kernel = in_kernel;
	t->sampled = true;
}

/* One exit the kvm:kvm_exit tracepoint saw: an instant on its CPU's lane. */
static void out_kvm_exit(void *ctx, unsigned cpu, uint64_t ts, const char *name, uint32_t reason)
{
	struct trace *t = ctx;

	out(t, "%s{\"ph\":\"i\",\"pid\":%d,\"tid\":%u,", t->events++ ? ",\n" : "", PID,
	    KVM_EXIT_TID + cpu);
	out_ts(t, ts);
	out(t, ",\"name\":\"%s\",\"s\":\"t\",\"cat\":\"kvm_exit\",\"args\":{\"reason\":%u}}",
	    name ? name : "kvm_exit", reason);
}

/* Captured frames as pcap records; wall-clock time, as tcpdump shows it. */
static void drain_frames(struct trace *t)
{
	struct trace_frames *f = &t->frames;
	uint64_t tail = f->tail, head = __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);

	while (tail != head) {
		uint64_t off = tail & (TRACE_FRAME_BYTES - 1), room = TRACE_FRAME_BYTES - off;
		const struct trace_frame_hdr *h = (const void *)(f->buf + off);
		uint64_t real;
		uint32_t rec[4];

		if (room < sizeof(*h) || h->caplen == TRACE_FRAME_WRAP) {
			tail += room;
			continue;
		}
		real = h->ts + t->real_off;
		rec[0] = (uint32_t)(real / 1000000000ull);
		rec[1] = (uint32_t)(real % 1000000000ull / 1000);
		rec[2] = h->caplen;
		rec[3] = h->len;
		if (!t->write_err && (write_full(t->pcap_fd, rec, sizeof(rec)) ||
				      write_full(t->pcap_fd, h + 1, h->caplen)))
			t->write_err = EIO;
		t->frames_written++;
		tail += sizeof(*h) + ((h->caplen + 7u) & ~7u);
	}
	__atomic_store_n(&f->tail, tail, __ATOMIC_RELEASE);
}

void trace_drain(struct trace *t)
{
	uint32_t i, n = __atomic_load_n(&t->nr_ring, __ATOMIC_ACQUIRE);

	if (t->json_fd >= 0) {
		for (i = 0; i < n && i < TRACE_THREADS; i++)
			drain_ring(t, i);
		sample_counters(t);
		if (t->kx.n)
			trace_kvmexit_drain(&t->kx, out_kvm_exit, t);
		flush_out(t);
	}
	if (t->pcap_fd >= 0)
		drain_frames(t);
}

/* Lanes named for their threads (the first event a ring saw tells whose), then the end. */
int trace_finish_json(struct trace *t)
{
	uint32_t i, n = __atomic_load_n(&t->nr_ring, __ATOMIC_ACQUIRE);
	uint64_t dropped = __atomic_load_n(&t->no_ring, __ATOMIC_RELAXED);

	if (t->json_fd < 0)
		return 0;
	for (i = 0; i < n && i < TRACE_THREADS; i++) {
		uint32_t k = t->ring[i].first_kind;

		out(t, "%s{\"ph\":\"M\",\"pid\":%d,\"tid\":%u,\"name\":\"thread_name\","
		       "\"args\":{\"name\":\"%s\"}}", t->events++ ? ",\n" : "", PID, i + 1,
		    k == TR_EXIT || k == TR_ENTER ? "vCPU" : "I/O");
		if (t->ring[i].in_exit) { /* hv stopped inside an exit's handling */
			out(t, ",\n{\"ph\":\"E\",\"pid\":%d,\"tid\":%u,", PID, i + 1);
			out_ts(t, mono_ns());
			out(t, "}");
		}
		dropped += __atomic_load_n(&t->ring[i].dropped, __ATOMIC_RELAXED);
	}
	out(t, "%s{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\","
	       "\"args\":{\"name\":\"KVM counters (per %d ms)\"}}",
	    t->events++ ? ",\n" : "", PID, COUNTER_TID, TRACE_DRAIN_MS);
	for (i = 0; i < t->kx.ncpu; i++)
		if (t->kx.ring[i])
			out(t, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%u,\"name\":\"thread_name\","
			       "\"args\":{\"name\":\"KVM exits (kvm:kvm_exit), CPU %u\"}}",
			    PID, KVM_EXIT_TID + i, i);
	out(t, "],\n\"displayTimeUnit\":\"ns\",\"otherData\":{\"dropped_events\":%llu}}\n",
	    (unsigned long long)dropped);
	flush_out(t);
	return t->write_err ? -t->write_err : 0;
}

static void *writer(void *arg)
{
	struct trace *t = arg;
	const struct timespec nap = { 0, TRACE_DRAIN_MS * 1000000L };

	t->start_rc = t->on_start ? t->on_start(t->on_start_arg) : 0;
	if (t->start_rc)
		return NULL;
	for (;;) {
		int stop = __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE);

		trace_drain(t);
		if (stop)
			break;
		clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	}
	trace_finish_json(t);
	return NULL;
}

int trace_start(struct trace *t, const struct kvm_stats *kvm, const uint64_t *hv_exits)
{
	int rc;

	unsigned i, j;

	t->kvm = kvm;
	t->hv_exits = hv_exits;
	/* One pread a sample for all counters: the names are looked up once, here. */
	t->kvm_vals = kvm && kvm->n ? calloc(kvm->n, sizeof(*t->kvm_vals)) : NULL;
	for (i = 0; i < ARRAY_SIZE(kvm_counters); i++) {
		t->kvm_idx[i] = -1;
		for (j = 0; t->kvm_vals && j < kvm->n; j++)
			if (!strcmp(kvm->d[j].name, kvm_counters[i]))
				t->kvm_idx[i] = (int)j;
	}
	if (t->json_fd >= 0)
		out(t, "{\"traceEvents\":[\n");
	t->stop = 0;
	__atomic_store_n(&trace_cur, t, __ATOMIC_RELEASE);
	rc = thread_start(&t->tid, writer, t);
	if (rc) {
		__atomic_store_n(&trace_cur, NULL, __ATOMIC_RELEASE);
		return rc;
	}
	t->running = true;
	return 0;
}

void trace_stop(struct trace *t, void *report)
{
	FILE *f = report;
	uint64_t dropped = __atomic_load_n(&t->no_ring, __ATOMIC_RELAXED);
	unsigned i;

	if (!t->running)
		return;
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	pthread_join(t->tid, NULL);
	t->running = false;
	__atomic_store_n(&trace_cur, NULL, __ATOMIC_RELEASE);
	for (i = 0; i < TRACE_THREADS; i++)
		dropped += __atomic_load_n(&t->ring[i].dropped, __ATOMIC_RELAXED);
	if (!f)
		return;
	if (t->start_rc)
		fprintf(f, "hv: trace: the writer thread could not start: %s\n",
			strerror(-t->start_rc));
	if (t->json_fd >= 0)
		fprintf(f, "hv: trace: %llu events written, %llu dropped (a thread's ring of %u "
			   "was full)%s%s\n", (unsigned long long)t->events,
			(unsigned long long)dropped, TRACE_RING_EVENTS,
			t->write_err ? ": write failed: " : "",
			t->write_err ? strerror(t->write_err) : "");
	if (t->json_fd >= 0 && t->kx.n)
		fprintf(f, "hv: trace: kvm:kvm_exit: %llu exits read, %llu lost\n",
			(unsigned long long)t->kx.events, (unsigned long long)t->kx.lost);
	else if (t->json_fd >= 0)
		fprintf(f, "hv: trace: kvm:kvm_exit not read (%s): KVM's counters per %d ms only\n",
			t->kx.why_not, TRACE_DRAIN_MS);
	if (t->pcap_fd >= 0)
		fprintf(f, "hv: pcap %s: %llu frames written, %llu dropped (the %u MiB ring was "
			   "full)\n", t->pcap_nic, (unsigned long long)t->frames_written,
			(unsigned long long)__atomic_load_n(&t->frames.dropped, __ATOMIC_RELAXED),
			TRACE_FRAME_BYTES >> 20);
}
