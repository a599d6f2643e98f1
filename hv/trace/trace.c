/* The trace's rings and their producers (the hooks), and its files' opening (trace.h). */
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

struct trace *trace_cur;

/*
 * The calling thread's ring, claimed at its first event, and the trace it
 * belongs to by generation: a trace opened later (at the same address, in
 * unit tests) has a new one, so no thread mistakes an old ring for its own.
 */
static __thread struct trace_ring *my_ring;
static __thread uint64_t my_gen;
static uint64_t generations;

static struct trace_ring *claim_ring(struct trace *t, uint32_t kind)
{
	uint32_t i = __atomic_fetch_add(&t->nr_ring, 1, __ATOMIC_RELAXED);

	if (i >= TRACE_THREADS)
		return NULL;
	t->ring[i].first_kind = kind;
	my_ring = &t->ring[i];
	my_gen = t->gen;
	return my_ring;
}

void trace_emit(struct trace *t, uint32_t kind, const char *name, uint64_t id, uint32_t arg)
{
	struct trace_ring *r = my_gen == t->gen ? my_ring : claim_ring(t, kind);
	uint32_t h;

	if (t->json_fd < 0) /* --pcap alone: no timeline */
		return;
	if (!r) {
		__atomic_fetch_add(&t->no_ring, 1, __ATOMIC_RELAXED);
		return;
	}
	h = r->head;
	if (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= TRACE_RING_EVENTS) {
		__atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	r->ev[h & (TRACE_RING_EVENTS - 1)] =
		(struct trace_ev){ .ts = mono_ns(), .name = name, .id = id, .kind = kind, .arg = arg };
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

#define ALIGN8(x) (((x) + 7u) & ~(uint64_t)7u)

void trace_frame(struct trace *t, const void *dev, const struct iovec *iov, unsigned n,
		 uint32_t len)
{
	struct trace_frames *f = &t->frames;
	uint32_t caplen = len < TRACE_SNAPLEN ? len : TRACE_SNAPLEN, done = 0;
	uint64_t rec = sizeof(struct trace_frame_hdr) + ALIGN8(caplen);
	uint64_t off = f->head & (TRACE_FRAME_BYTES - 1), room = TRACE_FRAME_BYTES - off;
	uint64_t need = room < rec ? room + rec : rec;
	struct trace_frame_hdr *h;
	uint8_t *p;
	unsigned i;

	(void)dev;
	if (TRACE_FRAME_BYTES - (f->head - __atomic_load_n(&f->tail, __ATOMIC_ACQUIRE)) < need) {
		__atomic_store_n(&f->dropped, f->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	if (room < rec) { /* no wrapping inside a record: the reader goes to 0 */
		if (room >= sizeof(*h))
			((struct trace_frame_hdr *)(f->buf + off))->caplen = TRACE_FRAME_WRAP;
		off = 0;
	}
	h = (struct trace_frame_hdr *)(f->buf + off);
	p = (uint8_t *)(h + 1);
	for (i = 0; i < n && done < caplen; i++) {
		uint32_t c = iov[i].iov_len < caplen - done ? (uint32_t)iov[i].iov_len : caplen - done;

		memcpy(p + done, iov[i].iov_base, c);
		done += c;
	}
	*h = (struct trace_frame_hdr){ .ts = mono_ns(), .len = len, .caplen = done };
	__atomic_store_n(&f->head, f->head + need, __ATOMIC_RELEASE);
}

int trace_pcap_split(const char *arg, char nic[16], const char **file)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || (size_t)(colon - arg) >= 16 || !colon[1])
		return -EINVAL;
	memcpy(nic, arg, (size_t)(colon - arg));
	nic[colon - arg] = '\0';
	*file = colon + 1;
	return 0;
}

/* Memory the hot path writes without a page fault: populated now. */
static void *map_populated(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The classic pcap file header: microsecond timestamps, Ethernet frames. */
static int write_pcap_header(int fd)
{
	const struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b2c3d4, 2, 4, 0, 0, TRACE_SNAPLEN, 1 /* LINKTYPE_ETHERNET */ };

	return write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -EIO;
}

static int open_out(const char *opt, const char *path, int *fd, char *err, size_t errlen)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0)
		return err_msg(-errno, err, errlen, "%s %s: cannot create: %s", opt, path,
			       strerror(errno));
	return 0;
}

int trace_open(struct trace *t, const char *json_path, const char *pcap_path,
	       char *err, size_t errlen)
{
	struct timespec rt;
	unsigned i;
	int rc;

	t->json_fd = t->pcap_fd = -1;
	t->gen = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
	t->t0 = mono_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	t->real_off = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec - t->t0;
	if (json_path && (rc = open_out("--trace", json_path, &t->json_fd, err, errlen)))
		return rc;
	if (pcap_path && (rc = open_out("--pcap", pcap_path, &t->pcap_fd, err, errlen)))
		return rc;
	if (t->pcap_fd >= 0 && write_pcap_header(t->pcap_fd))
		return err_msg(-EIO, err, errlen, "--pcap %s: cannot write", pcap_path);
	for (i = 0; json_path && i < TRACE_THREADS; i++)
		if (!(t->ring[i].ev = map_populated(TRACE_RING_EVENTS * sizeof(struct trace_ev))))
			return err_msg(-ENOMEM, err, errlen, "--trace: no memory for the event rings");
	if (pcap_path && !(t->frames.buf = map_populated(TRACE_FRAME_BYTES)))
		return err_msg(-ENOMEM, err, errlen, "--pcap: no memory for the frame ring");
	if (!(t->out = map_populated(TRACE_OUT_BYTES)))
		return err_msg(-ENOMEM, err, errlen, "--trace: no memory for the writer");
	if (json_path) /* before the sandbox: tracefs and perf_event_open, root only */
		trace_kvmexit_open(&t->kx);
	return 0;
}

void trace_close(struct trace *t)
{
	unsigned i;

	if (__atomic_load_n(&trace_cur, __ATOMIC_ACQUIRE) == t)
		__atomic_store_n(&trace_cur, NULL, __ATOMIC_RELEASE);
	for (i = 0; i < TRACE_THREADS; i++)
		if (t->ring[i].ev)
			munmap(t->ring[i].ev, TRACE_RING_EVENTS * sizeof(struct trace_ev));
	if (t->frames.buf)
		munmap(t->frames.buf, TRACE_FRAME_BYTES);
	if (t->out)
		munmap(t->out, TRACE_OUT_BYTES);
	free(t->kvm_vals);
	trace_kvmexit_close(&t->kx);
	if (t->json_fd >= 0)
		close(t->json_fd);
	if (t->pcap_fd >= 0)
		close(t->pcap_fd);
	memset(t, 0, sizeof(*t));
	t->json_fd = t->pcap_fd = -1;
}
