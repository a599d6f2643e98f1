/* The fuzz targets' fake machine: hv's devices without KVM or threads (fuzz_vm.h). */
#include "fuzz_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv_blk.h"
#include "hv_net.h"
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "trap/trapblk_dev.h"
#include "trap/trapnet_dev.h"
#include "core/util.h"

#define NONE ((size_t)-1)

/*
 * Where each kind keeps what the harness wraps and drives: its backend and
 * its queues.  The harness knows the kinds; hv's core does not.
 */
static const struct layout {
	const struct device_kind *kind;
	size_t disk, net;
	size_t q[2];
} layouts[] = {
	{ &pvblk_back_kind, offsetof(struct pvblk_back, disk), NONE,
	  { offsetof(struct pvblk_back, q), NONE } },
	{ &trapblk_dev_kind, offsetof(struct trapblk_dev, disk), NONE, { NONE, NONE } },
	{ &pvnet_back_kind, NONE, offsetof(struct pvnet_back, net),
	  { offsetof(struct pvnet_back, rxq), offsetof(struct pvnet_back, txq) } },
	{ &trapnet_dev_kind, NONE, offsetof(struct trapnet_dev, net), { NONE, NONE } },
};

/*
 * The machine the checkers judge against.  A backend's ops table carries no
 * context pointer, so the one machine a fuzz run has at a time is found here.
 */
static struct fuzz_vm *checking;

static __attribute__((noreturn, format(printf, 1, 2))) void broken_promise(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: hv broke a promise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static __attribute__((noreturn)) void harness_failed(const char *what, int rc)
{
	fprintf(stderr, "fuzz: harness: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(2);
}

static const struct layout *layout_of(const struct device_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].kind == kind)
			return &layouts[i];
	return NULL;
}

static void *member(const void *dev, size_t off)
{
	return off == NONE ? NULL : (uint8_t *)dev + off;
}

/*
 * What one run hands the next: the I/O engine's io_uring and the guest RAM
 * buffer.  Creating a ring and faulting in fresh RAM cost more than a whole
 * run of most inputs; both are reset before reuse (the ring drained of
 * everything the run left in it, RAM zeroed), so a run still depends on its
 * input alone.
 */
static struct {
	struct ioeng eng;
	bool have_eng;
	uint8_t *ram;
	uint64_t ram_size;
} kept;

/* ---- the checkers ------------------------------------------------------------------ */

static bool in_ram(const void *p, size_t len)
{
	const uint8_t *ram = fuzz_vm_ram(checking), *b = p;

	return len > 0 && b >= ram && (size_t)(b - ram) <= fuzz_vm_ram_size(checking) &&
	       len <= fuzz_vm_ram_size(checking) - (size_t)(b - ram);
}

static uint64_t gpa_of(const void *p)
{
	return (uint64_t)((const uint8_t *)p - fuzz_vm_ram(checking));
}

/* The wrapped backend whose struct disk or struct net is at p. */
static struct fuzz_backend *backend_of(const void *p)
{
	unsigned i;

	for (i = 0; i < checking->nr_be; i++)
		if ((const void *)checking->be[i].disk == p || (const void *)checking->be[i].net == p)
			return &checking->be[i];
	broken_promise("a backend the harness never wrapped");
}

/*
 * The promise every backend call shares: 1 to max segments, each inside
 * guest RAM, address and length multiples of align.  Their total.
 */
static uint64_t checked_iov(const char *name, const struct iovec *iov, unsigned n,
			    unsigned max, uint64_t align)
{
	uint64_t total = 0;
	unsigned i;

	if (n == 0 || n > max)
		broken_promise("%s: %u segments", name, n);
	for (i = 0; i < n; i++) {
		if (!in_ram(iov[i].iov_base, iov[i].iov_len))
			broken_promise("%s: segment %u (%zu bytes) outside guest RAM", name, i,
				       iov[i].iov_len);
		if (gpa_of(iov[i].iov_base) % align || iov[i].iov_len % align)
			broken_promise("%s: unaligned segment %u", name, i);
		total += iov[i].iov_len;
	}
	return total;
}

static int checked_rw(struct ioeng *e, const struct disk *d, enum disk_io io,
		      const struct iovec *iov, unsigned n, uint64_t off, struct ioeng_op *op)
{
	uint64_t total = checked_iov(d->name, iov, n, HV_BLK_MAX_SEG, HV_BLK_SEG_ALIGN);

	if (total > HV_BLK_MAX_BYTES || off % HV_BLK_SECTOR || off > d->size ||
	    total > d->size - off)
		broken_promise("%s: %llu bytes at %llu, outside the %llu-byte image", d->name,
			       (unsigned long long)total, (unsigned long long)off,
			       (unsigned long long)d->size);
	if (io != DISK_READ && d->ro)
		broken_promise("%s: a write to a read-only disk", d->name);
	return backend_of(d)->orig.disk->rw(e, d, io, iov, n, off, op);
}

static int checked_flush(struct ioeng *e, const struct disk *d, struct ioeng_op *op)
{
	return backend_of(d)->orig.disk->flush(e, d, op);
}

static int checked_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
			struct ioeng_op *op)
{
	uint64_t total = checked_iov(n->name, iov, cnt, HV_NET_MAX_SEG, 1);

	if (total < HV_NET_MIN_FRAME || total > HV_NET_DEFAULT_MTU + HV_NET_ETH_HLEN)
		broken_promise("%s: sends a %llu-byte frame", n->name, (unsigned long long)total);
	return backend_of(n)->orig.net->send(e, n, iov, cnt, op);
}

/*
 * True if [gpa, +len) overlaps a ring hv still serves for the queue.  A
 * detach that timed out leaves q->sq set until the guest retries it, but
 * once the I/O thread has acked it (state DETACHED) hv never touches those
 * rings again: that memory is the guest's, and a receive into it is allowed.
 */
static bool on_rings(const struct pvq *q, uint64_t gpa, uint64_t len)
{
	const struct hv_queue_setup *s = &q->setup;
	uint64_t sq_end = s->sq_gpa + hv_ring_bytes(s->sq_size, q->sq_esize);
	uint64_t cq_end = s->cq_gpa + hv_ring_bytes(s->cq_size, q->cq_esize);

	return q->sq && pvq_state(q) != PVQ_DETACHED &&
	       ((gpa < sq_end && s->sq_gpa < gpa + len) ||
			 (gpa < cq_end && s->cq_gpa < gpa + len));
}

static int checked_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
			struct ioeng_op *op)
{
	struct fuzz_backend *be = backend_of(n);
	const struct pvnet_back *pv = be->kind == &pvnet_back_kind ? be->dev : NULL;
	uint64_t gpa;

	if (cnt != 1 || iov[0].iov_len > HV_NET_MAX_FRAME)
		broken_promise("%s: a receive into %u segments, %zu bytes", n->name, cnt,
			       iov[0].iov_len);
	if (pv && iov[0].iov_base == pv->scratch)
		return be->orig.net->recv(e, n, iov, cnt, op); /* frames it drops */
	if (!in_ram(iov[0].iov_base, iov[0].iov_len))
		broken_promise("%s: a receive buffer outside guest RAM", n->name);
	if (iov[0].iov_len < HV_NET_DEFAULT_MTU + HV_NET_ETH_HLEN)
		broken_promise("%s: a %zu-byte receive buffer", n->name, iov[0].iov_len);
	gpa = gpa_of(iov[0].iov_base);
	if (pv && (on_rings(&pv->rxq, gpa, iov[0].iov_len) || on_rings(&pv->txq, gpa, iov[0].iov_len)))
		broken_promise("%s: receives over its own rings", n->name);
	return be->orig.net->recv(e, n, iov, cnt, op);
}

static int checked_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op)
{
	return backend_of(n)->orig.net->cancel(e, n, op);
}

/* Puts the checkers between device dev of kind and its backend. */
static void wrap(struct fuzz_vm *f, const struct device_kind *kind, void *dev)
{
	const struct layout *l = layout_of(kind);
	struct fuzz_backend *be;

	if (!l)
		harness_failed("a device kind the harness does not know", EINVAL);
	be = &f->be[f->nr_be++];
	*be = (struct fuzz_backend){ .dev = dev, .kind = kind, .disk = member(dev, l->disk),
				     .net = member(dev, l->net) };
	if (be->disk) {
		be->orig.disk = be->disk->ops;
		be->checked.disk = *be->disk->ops;
		be->checked.disk.name = "checked";
		be->checked.disk.rw = checked_rw;
		be->checked.disk.flush = checked_flush;
		be->disk->ops = &be->checked.disk;
	} else {
		be->orig.net = be->net->ops;
		be->checked.net = *be->net->ops;
		be->checked.net.send = checked_send;
		be->checked.net.recv = checked_recv;
		be->checked.net.cancel = checked_cancel;
		be->net->ops = &be->checked.net;
	}
}

/* ---- the machine ------------------------------------------------------------------- */

/* "memfd:BYTES[,ro]" becomes a zeroed in-memory file hv opens by path. */
static const char *image_arg(struct fuzz_vm *f, unsigned i, const char *arg, char *buf,
			     size_t len)
{
	char *end;
	unsigned long long bytes;

	if (strncmp(arg, "memfd:", 6))
		return arg;
	bytes = strtoull(arg + 6, &end, 0);
	f->img_fd[i] = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (f->img_fd[i] < 0 || ftruncate(f->img_fd[i], (off_t)bytes) < 0)
		harness_failed("memfd image", errno);
	snprintf(buf, len, "/proc/self/fd/%d%s", f->img_fd[i], end);
	return buf;
}

void fuzz_vm_init(struct fuzz_vm *f, uint64_t ram, const struct fuzz_dev *devs, unsigned n)
{
	unsigned i;
	char err[ERR_MAX], path[64];
	int rc;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < FUZZ_MAX_DEV; i++)
		f->img_fd[i] = -1;
	f->vm = calloc(1, sizeof(*f->vm));
	f->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!f->vm || f->null_fd < 0 || n > FUZZ_MAX_DEV)
		harness_failed("machine", ENOMEM);
	/* Heap, not mmap: ASan's redzones sit on both sides of guest RAM. */
	if (kept.ram_size != ram) {
		free(kept.ram);
		kept.ram = malloc(ram);
		kept.ram_size = kept.ram ? ram : 0;
	}
	if (!kept.ram)
		harness_failed("guest RAM", ENOMEM);
	memset(kept.ram, 0, ram);
	f->vm->mem = (struct guest_mem){ kept.ram, ram, ram }; /* one block: no PC hole */
	rc = vm_init_devices(f->vm, f->null_fd);
	if (rc)
		harness_failed("vm_init_devices", rc);
	checking = f;
	for (i = 0; i < n; i++) {
		const struct device_kind *k = devs[i].kind;
		unsigned unit = 0, j;
		void *dev;

		for (j = 0; j < i; j++)
			unit += devs[j].kind == k;
		rc = vm_create_device(f->vm, k, unit, image_arg(f, i, devs[i].arg, path, sizeof(path)),
				      err, sizeof(err));
		if (rc) {
			fprintf(stderr, "fuzz: harness: %s %s: %s\n", k->option, devs[i].arg, err);
			exit(2);
		}
		dev = vm_device(f->vm, k, unit);
		wrap(f, k, dev);
	}
	/* The I/O thread's engine, run by fuzz_vm_io instead of a thread. */
	if (kept.have_eng) {
		f->vm->io.eng = kept.eng;
		f->vm->io.eng.done_tail = &f->vm->io.eng.done;
		kept.have_eng = false;
	} else {
		rc = ioeng_init(&f->vm->io.eng, IOTHREAD_DEPTH);
		if (rc)
			harness_failed("io_uring", rc);
	}
	f->vm->io.have_eng = true;
	for (i = 1; i < f->vm->io.nr_src; i++)
		if (fcntl(f->vm->io.src[i]->fd, F_SETFL, O_NONBLOCK) < 0)
			harness_failed("eventfd", errno);
	/* A detach hypercall does not wait for a thread that is not there: the next turn acks. */
	for (i = 0; i < f->nr_be; i++) {
		const struct layout *l = layout_of(f->be[i].kind);
		unsigned w;

		for (w = 0; w < 2; w++) {
			struct pvq *q = member(f->be[i].dev, l->q[w]);
			if (q)
				q->detach_timeout_ms = 0;
		}
	}
}

#define DRAIN_TAG 1 /* user data of the harness's own cancel: no struct ioeng_op */

/*
 * Cancels and reaps, without running a callback, every operation a run
 * left in the ring (timeouts hv armed, SQEs it queued last); false if the
 * ring cannot be emptied so, and must go.
 */
static bool drain(struct ioeng *e)
{
	unsigned round;

	if (e->done || e->inflight)
		return false; /* a turn always settles these: something is wrong, start afresh */
	for (round = 0; round < 16; round++) {
		struct io_uring_sqe *sqe = ioeng_sqe(e);
		struct io_uring_cqe *cqe;
		int found = -1;

		if (!sqe)
			return false;
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, DRAIN_TAG);
		if (io_uring_submit_and_wait(&e->ring, 1) < 0)
			return false;
		e->queued = 0;
		while (io_uring_peek_cqe(&e->ring, &cqe) == 0) {
			if (io_uring_cqe_get_data64(cqe) == DRAIN_TAG)
				found = cqe->res;
			io_uring_cqe_seen(&e->ring, cqe);
		}
		if (found == -ENOENT || found == 0)
			return true; /* nothing was left to cancel, and everything cancelled was reaped */
		if (found < 0)
			return false; /* a kernel without IORING_ASYNC_CANCEL_ANY */
	}
	return false;
}

void fuzz_vm_destroy(struct fuzz_vm *f)
{
	unsigned i;

	/* FUZZ_STATS=1 build/fuzz/NAME INPUT: what hv made of one input, as --stats says it. */
	if (getenv("FUZZ_STATS"))
		vm_print_stats(stderr, f->vm);
	/* The ring outlives the devices whose operations it may still hold: empty it first. */
	if (drain(&f->vm->io.eng)) {
		kept.eng = f->vm->io.eng;
		kept.have_eng = true;
		f->vm->io.have_eng = false;
	}
	vm_destroy_devices(f->vm);
	for (i = 0; i < FUZZ_MAX_DEV; i++)
		if (f->img_fd[i] >= 0)
			close(f->img_fd[i]);
	free(f->vm);
	close(f->null_fd);
	checking = NULL;
}

void fuzz_vm_io(struct fuzz_vm *f)
{
	struct iothread *it = &f->vm->io;
	struct pollfd p[IOTHREAD_MAX_SRC];
	unsigned i, round;
	uint64_t v;

	/* One poll for every source, as the thread's one io_uring wait would be. */
	for (i = 0; i < it->nr_src; i++)
		p[i] = (struct pollfd){ .fd = it->src[i] == &it->stop ? -1 : it->src[i]->fd,
					.events = POLLIN };
	if (poll(p, it->nr_src, 0) > 0)
		for (i = 0; i < it->nr_src; i++) {
			struct io_source *s = it->src[i];
			if (p[i].revents & POLLIN && read(s->fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
				s->kicks++;
				s->kick(s, &it->eng);
			}
		}
	/*
	 * The thread's own turns, until nothing hv started is in flight (waits,
	 * like network reads, excepted).
	 */
	for (round = 0; round < 256; round++) {
		int n = iothread_step(it, it->eng.inflight > 0);
		if (n < 0)
			harness_failed("io_uring run", n);
		if (n == 0 && !it->eng.inflight)
			return;
	}
	broken_promise("the I/O engine never settles: %u operations in flight", it->eng.inflight);
}

int64_t fuzz_vm_hypercall(struct fuzz_vm *f, uint64_t nr, const uint64_t a[HC_NARGS])
{
	return hc_dispatch(f->vm, nr, a);
}

/* The queue whose notify port is port, while KVM would have its ioeventfd registered. */
static struct pvq *queue_on_port(struct fuzz_vm *f, uint16_t port)
{
	unsigned i, w;

	for (i = 0; i < f->nr_be; i++)
		for (w = 0; w < 2; w++) {
			struct pvq *q = member(f->be[i].dev, layout_of(f->be[i].kind)->q[w]);
			if (q && q->port == port && pvq_attached(q))
				return q;
		}
	return NULL;
}

void fuzz_vm_pio(struct fuzz_vm *f, uint16_t port, bool is_write, uint64_t *val, unsigned size)
{
	struct pvq *q = is_write && size == 4 ? queue_on_port(f, port) : NULL;

	if (q)
		eventfd_write(q->src.fd, 1);
	else
		io_bus_access(&f->vm->pio, port, is_write, val, size);
}

void fuzz_vm_mmio(struct fuzz_vm *f, uint64_t addr, bool is_write, uint64_t *val, unsigned size)
{
	io_bus_access(&f->vm->mmio, addr, is_write, val, size);
}

uint64_t fuzz_vm_dev_index(const struct fuzz_vm *f, const struct device_kind *kind,
			   unsigned unit)
{
	unsigned i;

	for (i = 0; i < f->vm->nr_dev; i++)
		if (f->vm->dev[i].kind == kind && f->vm->dev[i].index == unit)
			return i;
	return ~0ull;
}

void *fuzz_vm_dev(const struct fuzz_vm *f, const struct device_kind *kind, unsigned unit)
{
	return vm_device(f->vm, kind, unit);
}

struct pvq *fuzz_vm_queue(const struct fuzz_vm *f, const struct device_kind *kind,
			  unsigned unit, unsigned which)
{
	const struct layout *l = layout_of(kind);
	void *dev = vm_device(f->vm, kind, unit);

	return l && dev && which < 2 ? member(dev, l->q[which]) : NULL;
}
