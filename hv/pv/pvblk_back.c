/* PV block backend: what a block request means; the rings are pvq's. */
#include "pv/pvblk_back.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault.h"
#include "fault/fault_defer.h"
#include "pv/queue.h"
#include "core/vm.h"
#include "snap/snap_dev.h"
#include "trace/trace.h"

/* One request in flight: hv's copy of what the guest asked, and its iovecs. */
struct pvblk_back_req {
	struct ioeng_op op;
	struct pvblk_back *b;
	uint64_t id;
	uint64_t taken_ns; /* for the latency histogram */
	uint32_t bytes;
	bool slow;         /* counted in the queue's inflight_slow */
	struct iovec iov[HV_BLK_MAX_SEG];
	struct pvblk_back_req *next_free;
	struct fault_verdict fv; /* with fault rules: what they made of it */
	struct fault_defer defer;
};

int pvblk_back_check_req(const struct pvblk_back *b, const struct hv_blk_req *r,
		    struct iovec iov[HV_BLK_MAX_SEG], uint32_t *bytes)
{
	uint64_t total = 0;
	uint32_t i;

	*bytes = 0;
	if (r->op > HV_BLK_OP_WRITE_FUA)
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
		p = gm_range(b->q.mem, s->gpa, s->len);
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
	/* Only a well-formed write (FUA or not) is refused for being one: malformed is BADREQ. */
	if (r->op != HV_BLK_OP_READ && b->disk.ro)
		return HV_BLK_S_RO;
	*bytes = (uint32_t)total;
	return HV_BLK_S_OK;
}

static void post(struct pvblk_back *b, struct pvblk_back_req *r, uint32_t status, uint32_t bytes)
{
	const struct hv_blk_cpl c = { .id = r->id, .status = status, .bytes = bytes };

	if (r->slow)
		b->q.inflight_slow--;
	r->next_free = b->free;
	b->free = r;
	lathist_end(&b->lat, r->taken_ns);
	trace_ev(TR_POST, b->q.name, r->id, status);
	if (status == HV_BLK_S_OK)
		b->st.bytes += bytes;
	else if (status == HV_BLK_S_IOERR)
		b->st.io_errors++;
	else
		b->st.bad_reqs++;
	pvq_complete(&b->q, &c);
}

static void io_done(struct ioeng_op *op, int res)
{
	struct pvblk_back_req *r = container_of(op, struct pvblk_back_req, op);

	trace_ev(TR_CQE, r->b->q.name, r->id, (uint32_t)res);
	if (res < 0)
		post(r->b, r, HV_BLK_S_IOERR, 0);
	else if ((uint32_t)res != r->bytes)
		post(r->b, r, HV_BLK_S_IOERR, (uint32_t)res); /* short: past a truncated file */
	else
		post(r->b, r, HV_BLK_S_OK, (uint32_t)res);
}

/* A request a fault rule touched completes here (io_done's work, as the rule bends it). */
static void fault_io_done(struct ioeng_op *op, int res)
{
	struct pvblk_back_req *r = container_of(op, struct pvblk_back_req, op);

	if (fault_defer(&r->defer, op, res))
		return;
	if (res >= 0 && r->fv.torn)
		post(r->b, r, HV_BLK_S_IOERR, (uint32_t)res);
	else if (res >= 0 && r->fv.wrong_len && (uint32_t)res == r->bytes)
		post(r->b, r, HV_BLK_S_OK, fault_wrong_len(r->bytes));
	else
		io_done(op, res);
}

/*
 * r may take long: while it is in flight hv asks for every doorbell, so no
 * new request waits for it (pvq.h, quiet_at).
 */
static void mark_slow(struct pvblk_back *b, struct pvblk_back_req *r)
{
	if (!r->slow) {
		r->slow = true;
		b->q.inflight_slow++;
	}
}

/* Cuts r's segments to bytes; how many are left. */
static unsigned cut_iov(struct iovec *iov, unsigned n, uint32_t bytes)
{
	unsigned i;

	for (i = 0; i < n && bytes; i++) {
		if (iov[i].iov_len > bytes)
			iov[i].iov_len = bytes;
		bytes -= (uint32_t)iov[i].iov_len;
	}
	return i;
}

/*
 * A checked request of a device with fault rules (fault.h): true if they
 * finished it (an error, through the engine so a delay still applies); else
 * it goes on with *nseg segments (fewer for a torn write).
 */
static bool fault_start(struct pvblk_back *b, struct pvblk_back_req *r,
			const struct hv_blk_req *req, struct ioeng *e, unsigned *nseg)
{
	static const enum fault_io io_of[] = {
		[HV_BLK_OP_READ] = FAULT_IO_READ, [HV_BLK_OP_WRITE] = FAULT_IO_WRITE,
		[HV_BLK_OP_FLUSH] = FAULT_IO_FLUSH, [HV_BLK_OP_WRITE_FUA] = FAULT_IO_WRITE,
	};

	if (!fault_disk(b->q.fault, io_of[req->op], req->sector, r->bytes / HV_BLK_SECTOR, &r->fv))
		return false;
	r->op.cb = fault_io_done;
	r->defer.e = e;
	r->defer.ns = r->fv.delay_ns;
	if (r->fv.delay_ns)
		mark_slow(b, r);
	if (r->fv.torn)
		*nseg = cut_iov(r->iov, *nseg, fault_torn_len(r->bytes));
	if (r->fv.error || (r->fv.torn && !*nseg)) {
		ioeng_complete(e, &r->op, -EIO);
		return true;
	}
	return false;
}

/* What each transfer op asks of the disk (a checked request's op indexes it). */
static const enum disk_io disk_io_of[] = {
	[HV_BLK_OP_READ] = DISK_READ,
	[HV_BLK_OP_WRITE] = DISK_WRITE,
	[HV_BLK_OP_WRITE_FUA] = DISK_WRITE_FUA,
};

/* One request taken from the ring (pvq copied it): check it, start its I/O. */
static void start(struct pvq *q, struct ioeng *e, const void *entry)
{
	struct pvblk_back *b = container_of(q, struct pvblk_back, q);
	const struct hv_blk_req *req = entry;
	struct pvblk_back_req *r = b->free; /* pvq never takes more than the pool holds */
	unsigned nseg = req->nr_seg;
	int status, rc;

	b->free = r->next_free;
	b->st.reqs++;
	r->id = req->id;
	r->slow = false;
	r->taken_ns = lathist_start(&b->lat);
	trace_ev(TR_TAKE, q->name, req->id, req->op);
	status = pvblk_back_check_req(b, req, r->iov, &r->bytes);
	if (status != HV_BLK_S_OK) {
		post(b, r, (uint32_t)status, 0);
		return;
	}
	r->op.cb = io_done;
	if (req->op == HV_BLK_OP_FLUSH || req->op == HV_BLK_OP_WRITE_FUA)
		mark_slow(b, r);
	if (b->q.fault && fault_start(b, r, req, e, &nseg))
		return;
	if (req->op == HV_BLK_OP_FLUSH)
		rc = disk_flush(e, &b->disk, &r->op);
	else
		rc = disk_rw(e, &b->disk, disk_io_of[req->op], r->iov, nseg,
			     req->sector * HV_BLK_SECTOR, &r->op);
	if (rc)
		post(b, r, HV_BLK_S_IOERR, 0);
	else
		trace_ev(TR_SQE, q->name, r->id, 0);
}

/* A request's bytes for a rate limit: its segments' lengths, as the guest wrote them. */
static uint64_t req_cost(const void *entry)
{
	const struct hv_blk_req *req = entry;

	return pvq_sum_lens(&req->seg[0].len, sizeof(req->seg[0]),
			    req->nr_seg < HV_BLK_MAX_SEG ? req->nr_seg : HV_BLK_MAX_SEG);
}

int pvblk_back_init(struct pvblk_back *b, unsigned index, uint16_t port,
		    const struct guest_mem *mem, const struct disk *disk)
{
	char name[16];
	int rc;

	memset(b, 0, sizeof(*b));
	b->disk = *disk;
	b->index = index;
	snprintf(name, sizeof(name), "pvblk%u", index);
	rc = -pthread_mutex_init(&b->ctl, NULL);
	if (rc)
		return rc;
	rc = pvq_init(&b->q, name, port, mem, sizeof(struct hv_blk_req),
		      sizeof(struct hv_blk_cpl), start);
	if (rc)
		pthread_mutex_destroy(&b->ctl);
	else {
		b->q.cost = req_cost;
		b->q.quiet_at = 2; /* pvq.h: depth 1 and 2 keep every doorbell ... */
		b->q.then_look = &b->q; /* ... but the one rung from a completion's interrupt */
	}
	return rc;
}

void pvblk_back_destroy(struct pvblk_back *b)
{
	pvq_destroy(&b->q);
	pthread_mutex_destroy(&b->ctl);
	disk_close(&b->disk);
	free(b->pool);
	b->pool = NULL;
}

void pvblk_back_desc(const struct pvblk_back *b, struct hv_dev_desc *d)
{
	disk_desc(&b->disk, HV_DEV_PVBLK, b->index, d);
	d->base = b->q.port;
	d->len = 4;
}

/* Under b->ctl. */
static int64_t attach_locked(struct pvblk_back *b, const struct hv_queue_setup *s,
			     struct kvm_vm *kvm)
{
	uint32_t i;
	int rc;

	/* Not while the old queue's requests may still point into its pool. */
	if (pvq_attached(&b->q) || b->pool)
		return -HV_EBUSY;
	/* A disk has one queue, 0, and offers no features. */
	if (s->queue || s->features)
		return -HV_EINVAL;
	/* A bad setup costs hv nothing: checked before the pool (up to 1 MiB) exists. */
	rc = pvq_check_setup(&b->q, s);
	if (rc)
		return rc;
	/* One request per completion slot: pvq never has more in flight. */
	b->pool = calloc(s->cq_size, sizeof(*b->pool));
	if (!b->pool)
		return -HV_ENOMEM;
	for (i = 0; i < s->cq_size; i++) {
		b->pool[i].b = b;
		b->pool[i].next_free = i + 1 < s->cq_size ? &b->pool[i + 1] : NULL;
	}
	b->free = b->pool;
	rc = pvq_attach(&b->q, s, kvm);
	if (rc) {
		free(b->pool);
		b->pool = b->free = NULL;
		return rc;
	}
	return b->q.port;
}

int64_t pvblk_back_attach(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm)
{
	struct pvblk_back *b = dev;
	int64_t rc;

	pthread_mutex_lock(&b->ctl);
	rc = attach_locked(b, s, kvm);
	pthread_mutex_unlock(&b->ctl);
	return rc;
}

int64_t pvblk_back_detach(void *dev, uint32_t queue, struct kvm_vm *kvm)
{
	struct pvblk_back *b = dev;
	int rc;

	if (queue != 0)
		return -HV_EINVAL;
	pthread_mutex_lock(&b->ctl);
	rc = pvq_detach(&b->q, kvm);
	if (!rc) {
		free(b->pool);
		b->pool = b->free = NULL;
	}
	pthread_mutex_unlock(&b->ctl);
	return rc;
}

void pvblk_back_print_stats(FILE *f, const void *dev)
{
	const struct pvblk_back *b = dev;

	fprintf(f, "  pvblk%u (%s, %s%s): %s, %llu requests, %llu bytes, %llu bad, "
		   "%llu I/O errors, %llu doorbells, %llu interrupts, %llu suppressed, "
		   "%llu throttled, %llu throttled us\n",
		b->index, b->disk.name, disk_mode(&b->disk), b->disk.ro ? ", ro" : "",
		pvq_state_name(&b->q), DEV_ULL(b->st.reqs),
		DEV_ULL(b->st.bytes), DEV_ULL(b->st.bad_reqs),
		DEV_ULL(b->st.io_errors), DEV_ULL(b->q.src.kicks),
		DEV_ULL(b->q.irqs), DEV_ULL(b->q.irqs_suppressed),
		(unsigned long long)qlimit_throttled(&b->q.rl),
		(unsigned long long)qlimit_throttled_ns(&b->q.rl) / 1000);
}

/* The --stats counters for GET /metrics (device.h), each a relaxed load. */
static unsigned counters(const void *dev, struct dev_counter *out, unsigned cap)
{
	const struct pvblk_back *b = dev;
	const struct dev_counter c[] = {
		{ "requests", dev_counter_load(&b->st.reqs) },
		{ "bytes", dev_counter_load(&b->st.bytes) },
		{ "bad", dev_counter_load(&b->st.bad_reqs) },
		{ "i_o_errors", dev_counter_load(&b->st.io_errors) },
		{ "doorbells", dev_counter_load(&b->q.src.kicks) },
		{ "interrupts", dev_counter_load(&b->q.irqs) },
		{ "suppressed", dev_counter_load(&b->q.irqs_suppressed) },
		{ "throttled", qlimit_throttled(&b->q.rl) },
		{ "throttled_us", qlimit_throttled_ns(&b->q.rl) / 1000 },
	};

	return dev_counters_copy(out, cap, c, ARRAY_SIZE(c));
}

/* ---- the device kind: --disk ------------------------------------------------ */

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct pvblk_back *b;
	struct io_source *src;
	struct hv_dev_desc d;
	struct disk_spec spec;
	struct disk disk;
	uint16_t port;
	int rc;

	if (vm_alloc_notify_port(vm, &port))
		return err_msg(-ENOSPC, err, errlen, "pvblk%u: no notify port left", index);
	rc = disk_parse_spec(pvblk_back_kind.option, arg, &spec, err, errlen);
	if (!rc)
		rc = disk_open(&disk, &spec, err, errlen);
	if (rc)
		return rc;
	b = calloc(1, sizeof(*b));
	rc = b ? pvblk_back_init(b, index, port, &vm->mem, &disk) : -ENOMEM;
	if (!rc)
		b->q.fault = fault_claim(vm->faults, "pvblk", index, 0);
	/* A limit only when asked for: an unlimited queue never looks at one. */
	if (!rc && rate_set_on(&spec.rate) && (rc = pvq_set_limit(&b->q, &spec.rate))) {
		pvblk_back_destroy(b);
		free(b);
		return err_msg(rc, err, errlen, "pvblk%u: cannot set up: %s", index, strerror(-rc));
	}
	if (rc) {
		disk_close(&disk);
		free(b);
		return err_msg(rc, err, errlen, "pvblk%u: cannot set up: %s", index, strerror(-rc));
	}
	pvblk_back_desc(b, &d);
	src = &b->q.src;
	rc = vm_add_device(vm, &pvblk_back_kind, index, b, &d, &src, 1);
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
		b->disk.ro ? ", read-only" : "", b->q.port);
}

static void destroy(void *dev)
{
	pvblk_back_destroy(dev);
	free(dev);
}

/* The one queue a rate limit applies to (PUT /rate-limits/pvblkN). */
static struct pvq *limit_queue(void *dev, const char *dir)
{
	return *dir ? NULL : &((struct pvblk_back *)dev)->q;
}

static const struct queue_ops queue = { pvblk_back_attach, pvblk_back_detach };

static struct lathist *latency(void *dev)
{
	return &((struct pvblk_back *)dev)->lat;
}

const struct device_kind pvblk_back_kind = {
	.name = "pvblk",
	.option = "--disk",
	.max = HV_MAX_DEVS_PER_KIND,
	.usage = "  --disk PATH[,ro][,LIMIT...]\n"
		 "                     attach a raw image as the next PV block device (pvblk0,\n"
		 "                     pvblk1, ...); ',ro' refuses guest writes.  Repeatable.\n"
		 "  --disk null:SIZE[,ro][,LIMIT...]\n"
		 "                     a PV block device that completes every request at once\n"
		 "                     without a file (reads return zeros): measures the interface\n"
		 "                     LIMIT: bps=N, iops=N (bytes, requests a second), bps-burst=N,\n"
		 "                     iops-burst=N (default: one second's worth); K/M/G suffixes\n",
	.check = disk_check_arg,
	.add = add,
	.describe = describe,
	.print_stats = pvblk_back_print_stats,
	.counters = counters,
	.latency = latency,
	.destroy = destroy,
	.register_hypercalls = queue_register_hypercalls,
	.queue = &queue,
	.limit_queue = limit_queue,
	.save = pvblk_snap_save, /* snap/snap_dev.c */
	.load = pvblk_snap_load,
};
