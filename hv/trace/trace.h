/*
 * The I/O timeline (--trace FILE) and packet capture (--pcap NIC:FILE).
 *
 * Hooks on the vCPU and I/O threads record fixed-size events into a ring
 * per thread, preallocated at open: no lock, no system call, no allocation
 * per event (only the vDSO's clock).  A writer thread (trace_writer.c)
 * drains the rings every TRACE_DRAIN_MS into the Chrome trace event JSON
 * that ui.perfetto.dev reads, samples KVM's statistics into counter events,
 * and drains captured frames into a classic pcap file.  A full ring drops
 * the event (or frame) and counts it; trace_stop prints the counts.
 *
 * When neither option is given trace_cur is NULL and every hook is one
 * predictable branch.  trace_cur is the one global: the hooks sit in hot
 * functions of many modules that have no context pointer to carry it in.
 */
#ifndef HV_TRACE_H
#define HV_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "trace/trace_kvmexit.h"

#define TRACE_THREADS 8            /* rings: vCPU, I/O and a few spare */
#define TRACE_RING_EVENTS (1u << 16) /* per thread: 2 MiB */
#define TRACE_FRAME_BYTES (4u << 20) /* captured frames waiting for the writer */
#define TRACE_SNAPLEN 65535u
#define TRACE_DRAIN_MS 10          /* also the counter events' interval */
#define TRACE_OUT_BYTES (256u << 10) /* JSON formatted, waiting for write() */

/* What happened; trace_writer.c's table says how each is written out. */
enum trace_kind {
	TR_DOORBELL = 0, /* queue: a doorbell (or self-signal) read by the I/O thread */
	TR_TAKE,         /* queue, req: a submission copied off the ring */
	TR_SQE,          /* queue, req: its io_uring SQE prepared */
	TR_SUBMIT,       /* arg = SQEs: io_uring_enter submitted the batch */
	TR_CQE,          /* queue, req, arg = result: its completion reaped */
	TR_POST,         /* queue, req, arg = status: its completion entry written */
	TR_PUBLISH,      /* queue, arg = entries: the CQ producer index published */
	TR_IRQ,          /* queue: the completion interrupt (MSI-X) raised */
	TR_EXIT,         /* name = exit reason, arg = port (io): KVM_RUN returned to hv */
	TR_ENTER,        /* back into KVM_RUN */
	TR_KINDS,
};

struct trace_ev {
	uint64_t ts;      /* mono_ns() */
	const char *name; /* a queue's or exit's name: static, or alive until trace_stop */
	uint64_t id;      /* the guest's request id */
	uint32_t kind;
	uint32_t arg;
};

/* One thread's events: it alone writes head, the writer alone tail. */
struct trace_ring {
	struct trace_ev *ev;
	uint32_t head, tail; /* atomic */
	uint64_t dropped;    /* atomic: events that found the ring full */
	uint32_t first_kind; /* names the lane: the vCPU's or the I/O thread's */
	bool in_exit;        /* the writer's: a "B" is open on this lane */
};

/*
 * Captured frames, one producer (the NIC's I/O thread): records of
 * struct trace_frame_hdr then the bytes, 8-aligned; a header with
 * caplen TRACE_FRAME_WRAP (or no room for one) sends the reader to 0.
 */
#define TRACE_FRAME_WRAP UINT32_MAX
struct trace_frame_hdr {
	uint64_t ts;
	uint32_t len, caplen;
};
struct trace_frames {
	uint8_t *buf;
	uint64_t head, tail;  /* atomic, bytes ever written and read */
	uint64_t dropped;     /* atomic */
};

struct kvm_stats;

struct trace {
	int json_fd, pcap_fd;      /* -1: not asked for */
	const void *pcap_dev;      /* the captured NIC's device (vm_device.dev) */
	char pcap_nic[16];
	uint64_t t0, real_off;     /* mono_ns at open; CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t gen;              /* this trace among those opened (trace.c) */
	struct trace_ring ring[TRACE_THREADS];
	uint32_t nr_ring;          /* atomic: rings claimed */
	uint64_t no_ring;          /* atomic: events of threads beyond TRACE_THREADS */
	struct trace_frames frames;
	uint64_t frames_written;

	/* the writer thread */
	pthread_t tid;
	bool running;
	int stop;                  /* atomic */
	int (*on_start)(void *arg); /* first thing on the thread: its sandbox */
	void *on_start_arg;
	int start_rc;
	const struct kvm_stats *kvm;  /* the vCPU's statistics, or NULL */
	const uint64_t *hv_exits;     /* returns from KVM_RUN (vm.h), or NULL */
	uint64_t *kvm_vals;           /* every KVM counter, read in one pread */
	int kvm_idx[8];               /* the sampled counters' places in kvm_vals (-1: none) */
	uint64_t last[8];             /* the counters' previous samples */
	uint64_t in_kernel;           /* KVM's exits less hv's, as far as reported */
	bool sampled;
	char *out;                    /* JSON waiting to be written */
	size_t out_len;
	struct trace_kvmexit kx;      /* every exit, from the kvm:kvm_exit tracepoint (root) */
	uint64_t events;              /* written out */
	int write_err;                /* the first failed write's errno */
};

/* The trace hooks look here: NULL when neither option was given. */
extern struct trace *trace_cur;

void trace_emit(struct trace *t, uint32_t kind, const char *name, uint64_t id, uint32_t arg);
void trace_frame(struct trace *t, const void *dev, const struct iovec *iov, unsigned n,
		 uint32_t len);

/* A hook: one line at its site, one branch when tracing is off. */
static inline void trace_ev(uint32_t kind, const char *name, uint64_t id, uint32_t arg)
{
	struct trace *t = __atomic_load_n(&trace_cur, __ATOMIC_ACQUIRE);

	if (__builtin_expect(t != NULL, 0))
		trace_emit(t, kind, name, id, arg);
}

/* A NIC's frame (either way), captured if dev is the --pcap NIC. */
static inline void trace_pcap(const void *dev, const struct iovec *iov, unsigned n, uint32_t len)
{
	struct trace *t = __atomic_load_n(&trace_cur, __ATOMIC_ACQUIRE);

	if (__builtin_expect(t != NULL, 0) && t->pcap_dev == dev)
		trace_frame(t, dev, iov, n, len);
}

/*
 * Opens what was asked for (either path may be NULL): json_path truncated,
 * pcap_path with its file header; the rings are mapped and populated.
 * 0, or -errno with a one-line reason in err.
 */
int trace_open(struct trace *t, const char *json_path, const char *pcap_path,
	       char *err, size_t errlen);

/* --pcap NIC:FILE: NIC's name and FILE's offset in arg, or -EINVAL. */
int trace_pcap_split(const char *arg, char nic[16], const char **file);

/*
 * Starts the writer thread and sets trace_cur; kvm (the vCPU's statistics)
 * and hv_exits (vm.h), either NULL, feed the counter events.  0 or -errno.
 */
int trace_start(struct trace *t, const struct kvm_stats *kvm, const uint64_t *hv_exits);

/*
 * With every producer stopped: the writer's last drain, the JSON's end,
 * the thread joined, trace_cur cleared; one line on report with the
 * events and frames written and dropped.  Then the files are closed.
 */
void trace_stop(struct trace *t, void *report /* FILE *, or NULL */);

/* Frees what trace_open made (also after a failed open or without a start). */
void trace_close(struct trace *t);

/* The writer's work, also for unit tests without its thread. */
void trace_drain(struct trace *t);
int trace_finish_json(struct trace *t);

#endif
