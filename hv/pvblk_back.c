/* PV block backend: attach, drain the submission ring, complete, notify. */
#include "pvblk_back.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm.h"
#include "queue.h"
#include "vm.h"

/* One request in flight: hv's copy of what the guest asked, and its iovecs. */
struct pvblk_back_req {
	struct ioeng_op op;
	struct pvblk_back *b;
	uint64_t id;
	uint32_t bytes;
	struct iovec iov[HV_BLK_MAX_SEG];
	struct pvblk_back_req *next_free;
};

static int load_state(const struct pvblk_back *b)
{
	return __atomic_load_n(&b->state, __ATOMIC_ACQUIRE);
}

/* The guest broke the ring protocol: log once, stop serving this queue only. */
static void queue_broken(struct pvblk_back *b, const char *why, uint32_t have, uint32_t want)
{
	fprintf(stderr, "hv: pvblk%u: queue broken by the guest: %s (%u, expected at most %u)\n",
		b->index, why, have, want);
	__atomic_store_n(&b->state, PVBLK_BROKEN, __ATOMIC_RELEASE);
}

int pvblk_back_check_req(const struct pvblk_back *b, const struct hv_blk_req *r,
		    struct iovec iov[HV_BLK_MAX_SEG], uint32_t *bytes)
{
	uint64_t total = 0;
	uint32_t i;

	*bytes = 0;
	if (r->op > HV_BLK_OP_FLUSH)
		return HV_BLK_S_UNSUPP;
	if (r->reserved)
		return HV_BLK_S_BADREQ;
	if (r->op == HV_BLK_OP_FLUSH)
		return r->nr_seg ? HV_BLK_S_BADREQ : HV_BLK_S_OK;
	if (r->nr_seg == 0 || r->nr_seg > HV_BLK_MAX_SEG)
		return HV_BLK_S_BADREQ;
	for (i = 0; i < r->nr_seg; i++) {
		const struct hv_blk_seg *s = &r->seg[i];
		void *p;

		if (s->len == 0 || s->len > HV_BLK_MAX_BYTES || s->reserved ||
		    s->len % HV_BLK_SEG_ALIGN || s->gpa % HV_BLK_SEG_ALIGN)
			return HV_BLK_S_BADREQ;
		p = gm_range(b->mem, s->gpa, s->len);
		if (!p)
			return HV_BLK_S_BADREQ;
		iov[i].iov_base = p;
		iov[i].iov_len = s->len;
		total += s->len;
	}
	if (total > HV_BLK_MAX_BYTES)
		return HV_BLK_S_BADREQ;
	if (!disk_range_ok(&b->disk, r->sector, total))
		return HV_BLK_S_BADREQ;
	/* Only a well-formed write is refused for being one: malformed is BADREQ. */
	if (r->op == HV_BLK_OP_WRITE && b->disk.ro)
		return HV_BLK_S_RO;
	*bytes = (uint32_t)total;
	return HV_BLK_S_OK;
}

/* Completion-ring entries hv may still promise: unconsumed + in flight < size. */
static bool cq_has_room(struct pvblk_back *b)
{
	uint32_t cons = __atomic_load_n(&b->cq->cons, __ATOMIC_ACQUIRE);
	uint32_t used = b->cq_prod - cons;

	if (used > b->setup.cq_size) {
		queue_broken(b, "completion consumer index out of range", used,
			     b->setup.cq_size);
		return false;
	}
	return used + b->inflight < b->setup.cq_size;
}

static void post(struct pvblk_back *b, struct pvblk_back_req *q, uint32_t status, uint32_t bytes)
{
	struct hv_blk_cpl c = { .id = q->id, .status = status, .bytes = bytes };

	b->inflight--;
	q->next_free = b->free;
	b->free = q;
	if (status == HV_BLK_S_OK)
		b->st.bytes += bytes;
	else if (status == HV_BLK_S_IOERR)
		b->st.io_errors++;
	else
		b->st.bad_reqs++;
	if (load_state(b) != PVBLK_ACTIVE)
		return;
	b->cqe[b->cq_prod & (b->setup.cq_size - 1)] = c;
	b->cq_prod++;
}

static void io_done(struct ioeng_op *op, int res)
{
	struct pvblk_back_req *q = container_of(op, struct pvblk_back_req, op);

	if (res < 0)
		post(q->b, q, HV_BLK_S_IOERR, 0);
	else if ((uint32_t)res != q->bytes)
		post(q->b, q, HV_BLK_S_IOERR, (uint32_t)res); /* short: past a truncated file */
	else
		post(q->b, q, HV_BLK_S_OK, (uint32_t)res);
}

static void start(struct pvblk_back *b, struct ioeng *e, const struct hv_blk_req *r)
{
	struct pvblk_back_req *q = b->free;
	int status, rc;

	b->free = q->next_free;
	b->inflight++;
	b->st.reqs++;
	q->id = r->id;
	status = pvblk_back_check_req(b, r, q->iov, &q->bytes);
	if (status != HV_BLK_S_OK) {
		post(b, q, (uint32_t)status, 0);
		return;
	}
	q->op.cb = io_done;
	if (r->op == HV_BLK_OP_FLUSH)
		rc = disk_flush(e, &b->disk, &q->op);
	else
		rc = disk_rw(e, &b->disk, r->op == HV_BLK_OP_WRITE, q->iov, r->nr_seg,
			      r->sector * HV_BLK_SECTOR, &q->op);
	if (rc)
		post(b, q, HV_BLK_S_IOERR, 0);
}

/*
 * Asks for a doorbell for the next entry, then looks again: true if the
 * guest published one meanwhile (it may not have rung for it).
 */
static bool want_doorbell(struct pvblk_back *b)
{
	__atomic_store_n(&b->sq->event, b->sq_cons, __ATOMIC_RELAXED);
	hv_ring_fence();
	return hv_ring_load_acquire(&b->sq->prod) != b->sq_cons;
}

/* True while the I/O thread should take requests from the queue. */
static bool serving(const struct pvblk_back *b)
{
	return load_state(b) == PVBLK_ACTIVE && !__atomic_load_n(&b->detach_req, __ATOMIC_ACQUIRE);
}

/*
 * Takes every new request; with doorbell, then asks for a doorbell for the
 * next one (and re-checks).  Without (the I/O thread is spinning for work)
 * the event index stays behind, so the guest rings no doorbell meanwhile.
 */
static void drain(struct pvblk_back *b, struct ioeng *e, bool doorbell)
{
	uint32_t mask = b->setup.sq_size - 1;

	for (;;) {
		uint32_t prod = hv_ring_load_acquire(&b->sq->prod);

		if ((uint32_t)(prod - b->sq_cons) > b->setup.sq_size) {
			queue_broken(b, "submission producer index jumped",
				     prod - b->sq_cons, b->setup.sq_size);
			return;
		}
		while (b->sq_cons != prod) {
			struct hv_blk_req r;

			if (!cq_has_room(b)) {
				/*
				 * Only a guest with more than cq_size requests
				 * outstanding gets here.  Completions in flight
				 * resume it (on_publish); failing those, its next
				 * doorbell does: event = prod makes it ring.
				 */
				b->stalled = load_state(b) == PVBLK_ACTIVE;
				hv_ring_store_release(&b->sq->cons, b->sq_cons);
				__atomic_store_n(&b->sq->event, prod, __ATOMIC_RELAXED);
				return;
			}
			/* Copy, then validate: the guest may rewrite the slot at will. */
			hv_ring_copy_entry(&r, &b->sqe[b->sq_cons & mask], sizeof(r));
			b->sq_cons++;
			start(b, e, &r);
		}
		hv_ring_store_release(&b->sq->cons, b->sq_cons);
		if (!doorbell || !want_doorbell(b))
			return;
	}
}

/* Publishes new completions; interrupts only if the guest's event index asks. */
static void publish(struct pvblk_back *b)
{
	uint32_t event;

	if (b->cq_prod == b->cq_published)
		return;
	hv_ring_store_release(&b->cq->prod, b->cq_prod);
	hv_ring_fence();
	event = __atomic_load_n(&b->cq->event, __ATOMIC_RELAXED);
	if (b->setup.vector && hv_ring_need_event(event, b->cq_prod, b->cq_published)) {
		if (eventfd_write(b->irq_fd, 1) == 0)
			b->st.irqs++;
	} else {
		b->st.irqs_suppressed++;
	}
	b->cq_published = b->cq_prod;
}

static void service(struct pvblk_back *b, struct ioeng *e, bool doorbell)
{
	b->stalled = false;
	drain(b, e, doorbell);
	if (load_state(b) == PVBLK_ACTIVE)
		publish(b);
}

/*
 * I/O thread: a detach was asked for.  Once nothing is in flight the queue
 * is the vCPU thread's again; until then completions keep draining.
 */
static bool detaching(struct pvblk_back *b)
{
	if (!__atomic_load_n(&b->detach_req, __ATOMIC_ACQUIRE))
		return false;
	if (b->inflight == 0 && load_state(b) != PVBLK_DETACHED) {
		__atomic_store_n(&b->state, PVBLK_DETACHED, __ATOMIC_RELEASE);
		if (eventfd_write(b->detach_ack, 1) < 0)
			fprintf(stderr, "hv: pvblk%u: cannot acknowledge detach\n", b->index);
	}
	return true;
}

static void on_kick(struct io_source *s, struct ioeng *e)
{
	struct pvblk_back *b = container_of(s, struct pvblk_back, src);

	/* A spinning I/O thread asks for doorbells only before it sleeps. */
	if (!detaching(b) && load_state(b) == PVBLK_ACTIVE)
		service(b, e, s->it->spin_ns == 0);
}

/* Spinning for work: new requests taken without a doorbell; true if there were any. */
static bool on_take_work(struct io_source *s, struct ioeng *e)
{
	struct pvblk_back *b = container_of(s, struct pvblk_back, src);

	if (!serving(b) || hv_ring_load_acquire(&b->sq->prod) == b->sq_cons)
		return false;
	service(b, e, false);
	return true;
}

/* Before the I/O thread sleeps: ask for a doorbell; true if work raced in. */
static bool on_want_doorbell(struct io_source *s)
{
	struct pvblk_back *b = container_of(s, struct pvblk_back, src);

	return serving(b) && want_doorbell(b);
}

static void on_publish(struct io_source *s, struct ioeng *e)
{
	struct pvblk_back *b = container_of(s, struct pvblk_back, src);

	if (detaching(b) || load_state(b) != PVBLK_ACTIVE)
		return;
	publish(b);
	if (b->stalled)
		service(b, e, true);
}

int pvblk_back_init(struct pvblk_back *b, unsigned index, uint16_t port,
		    const struct guest_mem *mem, const struct disk *disk)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->disk = *disk;
	b->index = index;
	b->mem = mem;
	b->port = port;
	b->irq_gsi = -1;
	b->detach_timeout_ms = PVBLK_DETACH_TIMEOUT_MS;
	b->detach_ack = eventfd(0, EFD_CLOEXEC);
	if (b->detach_ack < 0)
		return -errno;
	rc = io_source_open(&b->src, &b->irq_fd);
	if (rc) {
		close(b->detach_ack);
		return rc;
	}
	b->src.kick = on_kick;
	b->src.publish = on_publish;
	b->src.take_work = on_take_work;
	b->src.want_doorbell = on_want_doorbell;
	return 0;
}

void pvblk_back_destroy(struct pvblk_back *b)
{
	io_source_close(&b->src, &b->irq_fd);
	if (b->detach_ack >= 0)
		close(b->detach_ack);
	b->detach_ack = -1;
	disk_close(&b->disk);
	free(b->pool);
	b->pool = NULL;
}

void pvblk_back_desc(const struct pvblk_back *b, struct hv_dev_desc *d)
{
	disk_desc(&b->disk, HV_DEV_PVBLK, b->index, d);
	d->base = b->port;
	d->len = 4;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Everything about a setup the guest can get wrong, before anything changes. */
static int check_setup(const struct pvblk_back *b, const struct hv_queue_setup *s)
{
	uint64_t sq_len, cq_len;

	/* A disk has one queue, 0, and offers no features. */
	if (s->queue || s->reserved || s->features || !hv_ring_size_ok(s->sq_size) || !hv_ring_size_ok(s->cq_size) ||
	    s->cq_size < s->sq_size)
		return -HV_EINVAL;
	if (s->vector && (s->vector < 32 || s->vector > 254))
		return -HV_EINVAL;
	if (s->sq_gpa % HV_RING_ALIGN || s->cq_gpa % HV_RING_ALIGN)
		return -HV_EINVAL;
	sq_len = hv_ring_bytes(s->sq_size, sizeof(struct hv_blk_req));
	cq_len = hv_ring_bytes(s->cq_size, sizeof(struct hv_blk_cpl));
	if (!gm_range(b->mem, s->sq_gpa, sq_len) || !gm_range(b->mem, s->cq_gpa, cq_len))
		return -HV_EFAULT;
	if (ranges_overlap(s->sq_gpa, sq_len, s->cq_gpa, cq_len))
		return -HV_EINVAL;
	return 0;
}

int64_t pvblk_back_attach(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm)
{
	struct pvblk_back *b = dev;
	uint32_t i;
	int rc;

	/* A detach that timed out is still pending: it must be retried, not skipped. */
	if (load_state(b) != PVBLK_DETACHED || __atomic_load_n(&b->detach_req, __ATOMIC_ACQUIRE))
		return -HV_EBUSY;
	rc = check_setup(b, s);
	if (rc)
		return rc;
	b->pool = calloc(s->cq_size, sizeof(*b->pool));
	if (!b->pool)
		return -HV_ENOMEM;
	for (i = 0; i < s->cq_size; i++) {
		b->pool[i].b = b;
		b->pool[i].next_free = i + 1 < s->cq_size ? &b->pool[i + 1] : NULL;
	}
	b->free = b->pool;
	if (kvm) {
		rc = kvm_ioeventfd_pio(kvm, b->port, 4, b->src.fd, true);
		if (!rc && s->vector) {
			b->irq_gsi = kvm_irqfd_msi(kvm, s->vector, b->irq_fd);
			rc = b->irq_gsi < 0 ? b->irq_gsi : 0;
			if (rc) /* leave nothing behind: a later attach may succeed */
				kvm_ioeventfd_pio(kvm, b->port, 4, b->src.fd, false);
		}
		if (rc) {
			fprintf(stderr, "hv: pvblk%u: cannot wire the queue into KVM: %s\n",
				b->index, strerror(-rc));
			free(b->pool);
			b->pool = b->free = NULL;
			return -HV_EIO;
		}
	}
	b->setup = *s;
	b->sq = gm_range(b->mem, s->sq_gpa, sizeof(*b->sq));
	b->cq = gm_range(b->mem, s->cq_gpa, sizeof(*b->cq));
	b->sqe = (struct hv_blk_req *)((uint8_t *)b->sq + HV_RING_ENTRIES_OFF);
	b->cqe = (struct hv_blk_cpl *)((uint8_t *)b->cq + HV_RING_ENTRIES_OFF);
	/* The rings start empty at the indices the guest chose. */
	b->sq_cons = __atomic_load_n(&b->sq->prod, __ATOMIC_RELAXED);
	b->cq_prod = b->cq_published = __atomic_load_n(&b->cq->cons, __ATOMIC_RELAXED);
	b->sq->cons = b->sq->event = b->sq_cons;
	b->cq->prod = b->cq_prod;
	b->inflight = 0;
	/* The I/O thread sees the queue only from here on. */
	__atomic_store_n(&b->state, PVBLK_ACTIVE, __ATOMIC_RELEASE);
	return b->port;
}

int64_t pvblk_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm)
{
	struct pvblk_back *b = dev;
	struct pollfd p = { .fd = b->detach_ack, .events = POLLIN };
	uint64_t v;

	if (queue != 0)
		return -HV_EINVAL;
	if (load_state(b) == PVBLK_DETACHED && !b->pool)
		return 0;
	__atomic_store_n(&b->detach_req, 1, __ATOMIC_RELEASE);
	if (eventfd_write(b->src.fd, 1) < 0 || poll(&p, 1, b->detach_timeout_ms) != 1 ||
	    eventfd_read(b->detach_ack, &v) < 0) {
		fprintf(stderr, "hv: pvblk%u: detach: I/O still in flight after %d ms\n", b->index,
			b->detach_timeout_ms);
		return -HV_EBUSY; /* detach_req stays set: a retry waits again */
	}
	if (kvm) {
		kvm_ioeventfd_pio(kvm, b->port, 4, b->src.fd, false);
		if (b->irq_gsi >= 0)
			kvm_irqfd_msi_remove(kvm, b->irq_gsi, b->irq_fd);
	}
	b->irq_gsi = -1;
	free(b->pool);
	b->pool = b->free = NULL;
	b->sq = b->cq = NULL;
	b->sqe = NULL;
	b->cqe = NULL;
	memset(&b->setup, 0, sizeof(b->setup));
	b->stalled = false;
	/* The I/O thread ignores the device until the next attach. */
	__atomic_store_n(&b->detach_req, 0, __ATOMIC_RELEASE);
	return 0;
}

void pvblk_back_print_stats(FILE *f, const void *dev)
{
	static const char *const state[] = { "detached", "active", "broken" };
	const struct pvblk_back *b = dev;

	fprintf(f, "  pvblk%u (%s, %s%s): %s, %llu requests, %llu bytes, %llu bad, "
		   "%llu I/O errors, %llu doorbells, %llu interrupts, %llu suppressed\n",
		b->index, b->disk.name, disk_mode(&b->disk), b->disk.ro ? ", ro" : "",
		state[load_state(b)], (unsigned long long)b->st.reqs,
		(unsigned long long)b->st.bytes, (unsigned long long)b->st.bad_reqs,
		(unsigned long long)b->st.io_errors, (unsigned long long)b->src.kicks,
		(unsigned long long)b->st.irqs, (unsigned long long)b->st.irqs_suppressed);
}

/* ---- the device kind: --disk ------------------------------------------------ */

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct pvblk_back *b;
	struct hv_dev_desc d;
	struct disk disk;
	uint16_t port;
	int rc;

	if (vm_alloc_notify_port(vm, &port))
		return err_msg(-ENOSPC, err, errlen, "pvblk%u: no notify port left", index);
	rc = disk_open_arg(&disk, pvblk_back_kind.option, arg, err, errlen);
	if (rc)
		return rc;
	b = calloc(1, sizeof(*b));
	rc = b ? pvblk_back_init(b, index, port, &vm->mem, &disk) : -ENOMEM;
	if (rc) {
		disk_close(&disk);
		free(b);
		return err_msg(rc, err, errlen, "pvblk%u: cannot set up: %s", index, strerror(-rc));
	}
	pvblk_back_desc(b, &d);
	rc = vm_add_device(vm, &pvblk_back_kind, index, b, &d, &b->src);
	if (rc) {
		pvblk_back_destroy(b);
		free(b);
		return err_msg(rc, err, errlen, "pvblk%u: cannot set up: %s", index, strerror(-rc));
	}
	return 0;
}

static void describe(FILE *f, const void *dev)
{
	const struct pvblk_back *b = dev;

	fprintf(f, "hv: pvblk%u: %s, %llu sectors, %s%s, notify port 0x%x\n", b->index,
		b->disk.name, (unsigned long long)b->disk.sectors, disk_mode(&b->disk),
		b->disk.ro ? ", read-only" : "", b->port);
}

static void destroy(void *dev)
{
	pvblk_back_destroy(dev);
	free(dev);
}

static const struct queue_ops queue = { pvblk_back_attach, pvblk_back_detach };

const struct device_kind pvblk_back_kind = {
	.name = "pvblk",
	.option = "--disk",
	.usage = "  --disk PATH[,ro]   attach a raw image as the next PV block device (pvblk0,\n"
		 "                     pvblk1, ...); ',ro' refuses guest writes.  Repeatable.\n"
		 "  --disk null:SIZE[,ro]\n"
		 "                     a PV block device that completes every request at once\n"
		 "                     without a file (reads return zeros): measures the interface\n",
	.check = disk_check_arg,
	.add = add,
	.describe = describe,
	.print_stats = pvblk_back_print_stats,
	.destroy = destroy,
	.register_hypercalls = queue_register_hypercalls,
	.queue = &queue,
};
