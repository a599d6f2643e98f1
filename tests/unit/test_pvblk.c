/*
 * The PV block path end to end on the host: the guest driver (pv-drivers/)
 * against hv's real backend (hypercall, I/O thread, io_uring) on real image
 * files.  Only KVM is missing; pv_host.c stands in for the guest OS.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pv_host.h"
#include "suites.h"
#include "ut.h"

#define IMG_SECTORS 2048 /* 1 MiB */
#define IMG_BYTES (IMG_SECTORS * 512)
#define MEM (32ull << 20)
#define VEC 0x40  /* pv_host_attach: interrupts (MSI-X entry 0, unmasked) */
#define ENTRY 0   /* a disk's one MSI-X entry */
#define SETUP_GPA 0x1000 /* where raw attach calls put their hv_queue_setup */

struct img {
	char path[UT_PATH_MAX];
	uint8_t *data; /* what the file must hold */
	size_t bytes;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void img_make(struct img *m, size_t bytes)
{
	m->bytes = bytes;
	m->data = malloc(bytes);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->data);
	fill_random(m->data, bytes);
	ut_image_make(m->path, m->data, bytes);
}

/* The file equals what the test expects, byte for byte. */
static int img_matches(const struct img *m)
{
	return ut_file_is(m->path, m->data, m->bytes);
}

static void img_drop(struct img *m)
{
	unlink(m->path);
	free(m->data);
}

/* A host with one PV disk over a fresh random image m (IMG_BYTES). */
static void host_with_image(struct pv_host *h, struct img *m, uint64_t io_poll_ns)
{
	const char *disks[1];

	img_make(m, IMG_BYTES);
	disks[0] = m->path;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(h, MEM, disks, 1, io_poll_ns), 0);
}

/* Ends it: every write hv was told of is in the file, which holds what m says. */
static void host_done(struct pv_host *h, struct img *m)
{
	pv_host_destroy(h);
	CU_ASSERT_TRUE(img_matches(m));
	img_drop(m);
}

static int state(struct pv_host *h, unsigned unit)
{
	return __atomic_load_n(&h->disk[unit]->q.state, __ATOMIC_ACQUIRE);
}

struct async {
	int done;
	uint32_t status, bytes;
};

static void async_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct async *a = arg;
	a->done = 1;
	a->status = status;
	a->bytes = bytes;
}

/* Submits one raw request (hostile or not) and waits for its completion. */
static struct async raw_io(struct pvblk_fe *fe, struct hv_blk_req *r)
{
	struct async a = { 0, 0xdead, 0 };
	int spins = 0;

	CU_ASSERT_EQUAL_FATAL(pvblk_fe_submit(fe, r, async_done, &a), 0);
	pvblk_fe_kick(fe);
	while (!a.done && spins++ < 10000)
		pvblk_fe_wait(fe, &a.done);
	CU_ASSERT_TRUE(a.done);
	return a;
}

static uint32_t raw(struct pvblk_fe *fe, struct hv_blk_req *r)
{
	return raw_io(fe, r).status;
}

/* One contiguous read or write; its completion. */
static struct async io1(struct pvblk_fe *fe, uint32_t op, uint64_t sector, void *buf,
			uint32_t bytes)
{
	struct hv_blk_req r;

	pvblk_fe_prep(fe, &r, op, sector, buf, bytes);
	return raw_io(fe, &r);
}

/* A fresh queue setup for raw attach calls, away from the driver's rings. */
static const struct hv_queue_setup fresh = { .sq_gpa = 0x100000, .cq_gpa = 0x200000,
					     .sq_size = 8, .cq_size = 8, .msix = ENTRY };

/* HV_HC_QUEUE_ATTACH of device dev with this setup, as a guest would make it. */
static int64_t attach_raw(struct pv_host *h, uint64_t dev, const struct hv_queue_setup *s)
{
	const uint64_t a[HC_NARGS] = { dev, SETUP_GPA };

	memcpy(h->vm->mem.host + SETUP_GPA, s, sizeof(*s));
	return hc_dispatch(h->vm, HV_HC_QUEUE_ATTACH, a);
}

static void roundtrip_poll(uint32_t vector, uint32_t start, uint64_t io_poll_ns)
{
	struct pv_host h;
	struct pvblk_fe fe;
	struct img m;
	uint8_t *buf;

	host_with_image(&h, &m, io_poll_ns);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 8, vector, start), 0);
	CU_ASSERT_EQUAL(fe.sectors, IMG_SECTORS);
	CU_ASSERT_EQUAL(fe.port, HV_NOTIFY_PORT_BASE);
	buf = pv_host_alloc(&h, IMG_BYTES);
	/* Whole image in one go, then 64 small writes, each checked on the host. */
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, 0, buf, IMG_BYTES), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(buf, m.data, IMG_BYTES), 0);
	for (int i = 0; i < 64; i++) {
		uint64_t sec = rnd() % (IMG_SECTORS - 8);
		uint32_t n = (uint32_t)(1 + rnd() % 8) * 512;
		fill_random(buf, n);
		memcpy(m.data + sec * 512, buf, n);
		CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_WRITE, sec, buf, n), HV_BLK_S_OK);
	}
	CU_ASSERT_EQUAL(pvblk_fe_flush(&fe), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	if (vector) {
		CU_ASSERT(h.irqs > 0);
	} else {
		CU_ASSERT_EQUAL(h.disk[0]->q.irqs, 0); /* polling: never interrupted */
	}
	/*
	 * Doorbells, one request at a time: hv asleep between requests asks for
	 * one each (and hears each), but for a request submitted while hv sent
	 * the last one's interrupt, which its look after the interrupt takes
	 * (pvq.h, then_look).  hv busy-polling for longer than any gap between
	 * two requests sleeps only before the first: it needs one.
	 */
	CU_ASSERT_EQUAL(fe.st.submitted, 66);
	if (io_poll_ns) {
		CU_ASSERT(fe.st.notifies >= 1 && fe.st.notifies * 8 <= fe.st.submitted);
	} else {
		CU_ASSERT(fe.st.notifies >= 1 && fe.st.notifies <= fe.st.submitted);
		CU_ASSERT_EQUAL(h.disk[0]->q.src.kicks, fe.st.notifies);
	}
	ut_iothread_stop(&h.vm->io); /* hv exits while its I/O thread busy-polls */
	host_done(&h, &m);
}

static void roundtrip(uint32_t vector, uint32_t start)
{
	roundtrip_poll(vector, start, 0);
}

static void test_roundtrip_irq(void) { roundtrip(VEC, 0); }
/* hv's I/O thread busy-polling (--io-poll, here 1 s): same results, fewer doorbells. */
static void test_roundtrip_iopoll(void) { roundtrip_poll(VEC, 0xfffffff0u, 1000000000); }
static void test_roundtrip_poll(void) { roundtrip(0, 0); }
static void test_roundtrip_wrap(void) { roundtrip(VEC, 0xfffffffau); }

static void test_attach_checks(void)
{
	const char *disks[1] = { "null:1M" };
	struct pv_host h;
	const uint64_t a_bad_dev[HC_NARGS] = { 99, 0x1000 };
	const uint64_t a_uart[HC_NARGS] = { 0, 0x1000 };
	const uint64_t a_far[HC_NARGS] = { 1, MEM - 16 };
	const uint64_t cq_fit = MEM - hv_ring_bytes(8, sizeof(struct hv_blk_cpl));

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
#define TRY(sq, cq, sqs, cqs, vec, ...) attach_raw(&h, 1, &(struct hv_queue_setup){ \
	.sq_gpa = (sq), .cq_gpa = (cq), .sq_size = (sqs), .cq_size = (cqs), .msix = (vec), \
	__VA_ARGS__ })
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 6, 8, ENTRY, .queue = 0), -HV_EINVAL);  /* not 2^n */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 16, 8, ENTRY, .queue = 0), -HV_EINVAL); /* cq < sq */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8192, 8192, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 1, 2, ENTRY, .queue = 0), -HV_EINVAL);  /* sq below 2 */
	/* The completion ring's size: a power of two in 2..4096, at least sq_size. */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 12, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 2, 0, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 2, 1, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8192, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 0x80000000u, ENTRY, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100020, 0x200000, 8, 8, ENTRY, .queue = 0), -HV_EINVAL);  /* sq misaligned */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200020, 8, 8, ENTRY, .queue = 0), -HV_EINVAL);  /* cq misaligned */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, 1, .queue = 0), -HV_EINVAL);    /* a disk has entry 0 only */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, HV_MSIX_NONE - 1, .queue = 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, ENTRY, .queue = 1), -HV_EINVAL);  /* a disk has queue 0 */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, ENTRY, .reserved = 1), -HV_EINVAL); /* reserved */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, ENTRY, .features = 1), -HV_EINVAL); /* no features */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x100100, 8, 8, ENTRY, .queue = 0), -HV_EINVAL);  /* overlap */
	CU_ASSERT_EQUAL(TRY(MEM - 128, 0x200000, 8, 8, ENTRY, .queue = 0), -HV_EFAULT); /* past RAM */
	CU_ASSERT_EQUAL(TRY(UINT64_MAX - 63, 0x200000, 8, 8, ENTRY, .queue = 0), -HV_EFAULT); /* wraps */
	CU_ASSERT_EQUAL(TRY(0x100000, cq_fit + 64, 8, 8, ENTRY, .queue = 0), -HV_EFAULT); /* cq past RAM */
	CU_ASSERT_EQUAL(TRY(0x100000, MEM, 8, 8, ENTRY, .queue = 0), -HV_EFAULT);
	CU_ASSERT_EQUAL(TRY(0x100000, UINT64_MAX - 63, 8, 8, ENTRY, .queue = 0), -HV_EFAULT); /* cq wraps */
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_far), -HV_EFAULT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_bad_dev), -HV_ENOENT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_uart), -HV_EINVAL);
	CU_ASSERT_EQUAL(h.disk[0]->q.state, PVQ_DETACHED); /* none of that changed it */
	CU_ASSERT_PTR_NULL(h.disk[0]->pool);
	/* A completion ring that ends exactly at the end of RAM is fine. */
	CU_ASSERT_EQUAL(TRY(0x100000, cq_fit, 8, 8, ENTRY, .queue = 0), HV_NOTIFY_PORT_BASE);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, ENTRY, .queue = 0), -HV_EBUSY);
#undef TRY
	pv_host_destroy(&h);
}

/* The device table tells the guest which disks refuse writes. */
static void test_ro_flag(void)
{
	const char *disks[3] = { "null:1M", "null:2M,ro" };
	struct hv_dev_desc d;
	struct pv_host h;
	struct img m;
	char spec[UT_PATH_MAX + 4];

	img_make(&m, 4096);
	snprintf(spec, sizeof(spec), "%s,ro", m.path);
	disks[2] = spec;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 3, 0), 0);
	for (uint64_t i = 1; i <= 3; i++) {
		const uint64_t a[HC_NARGS] = { i, SETUP_GPA };
		CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_DEV_INFO, a), 0);
		memcpy(&d, h.vm->mem.host + SETUP_GPA, sizeof(d));
		CU_ASSERT_EQUAL(d.type, HV_DEV_PVBLK);
		CU_ASSERT_EQUAL(d.index, i - 1);
		CU_ASSERT_EQUAL(d.flags, i == 1 ? 0 : HV_DEV_F_RO);
		CU_ASSERT_EQUAL(d.capacity, i == 1 ? 2048 : i == 2 ? 4096 : 8);
	}
	pv_host_destroy(&h);
	img_drop(&m);
}

/* HV_BLK_MAX_SEG segments at base, scattered in reverse; lens[i] each. */
static void scatter(struct hv_blk_req *r, uint32_t op, uint64_t sector, uint64_t base,
		    const uint32_t lens[HV_BLK_MAX_SEG])
{
	*r = (struct hv_blk_req){ .op = op, .sector = sector, .nr_seg = HV_BLK_MAX_SEG };
	for (unsigned i = 0; i < HV_BLK_MAX_SEG; i++)
		r->seg[i] = (struct hv_blk_seg){ base + (HV_BLK_MAX_SEG - 1 - i) * 0x40000ull,
						 lens[i], 0 };
}

/* The segments of r, in order, hold want (the bytes of the transfer). */
static int segments_hold(struct pv_host *h, const struct hv_blk_req *r, const uint8_t *want)
{
	for (uint32_t i = 0; i < r->nr_seg; want += r->seg[i].len, i++)
		if (memcmp(h->vm->mem.host + r->seg[i].gpa, want, r->seg[i].len))
			return 0;
	return 1;
}

/* What the disk was asked to do: the backend's own ops, with each rw's kind noted. */
static const struct disk_ops *fua_orig;
static enum disk_io fua_last_io = (enum disk_io)-1;

static int noting_rw(struct ioeng *e, const struct disk *d, enum disk_io io,
		     const struct iovec *iov, unsigned n, uint64_t off, struct ioeng_op *op)
{
	fua_last_io = io;
	return fua_orig->rw(e, d, io, iov, n, off, op);
}

/*
 * HV_BLK_OP_WRITE_FUA: the disk is asked for a FUA write (which the file
 * backend makes an io_uring write with RWF_DSYNC: test_disk), the bytes
 * land in the image like a write's, a null disk takes it as a write.
 */
static void test_write_fua(void)
{
	const char *disks[2];
	struct disk_ops noting;
	struct pv_host h;
	struct pvblk_fe fe, fnull;
	struct async a;
	struct img m;
	uint8_t *buf;

	img_make(&m, IMG_BYTES);
	disks[0] = m.path;
	disks[1] = "null:1M";
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 2, 0), 0);
	fua_orig = h.disk[0]->disk.ops;
	noting = *fua_orig;
	noting.rw = noting_rw;
	h.disk[0]->disk.ops = &noting; /* before the I/O thread sees a request */
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fnull, 1, 16, 0, 0), 0);
	buf = pv_host_alloc(&h, 8192);
	fill_random(buf, 8192);
	a = io1(&fe, HV_BLK_OP_WRITE_FUA, 24, buf, 8192);
	CU_ASSERT(a.status == HV_BLK_S_OK && a.bytes == 8192);
	CU_ASSERT_EQUAL(fua_last_io, DISK_WRITE_FUA);
	memcpy(m.data + 24 * 512, buf, 8192);
	a = io1(&fe, HV_BLK_OP_WRITE, 40, buf, 4096);
	CU_ASSERT(a.status == HV_BLK_S_OK && fua_last_io == DISK_WRITE);
	memcpy(m.data + 40 * 512, buf, 4096);
	memset(buf, 0, 8192);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, 24, buf, 8192), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(buf, m.data + 24 * 512, 8192), 0);
	CU_ASSERT_EQUAL(fua_last_io, DISK_READ);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fnull, HV_BLK_OP_WRITE_FUA, 0, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(h.disk[1]->st.bytes, 4096);
	CU_ASSERT_EQUAL(h.disk[0]->st.bad_reqs + h.disk[0]->st.io_errors, 0);
	pv_host_destroy(&h);
	CU_ASSERT_TRUE(img_matches(&m));
	img_drop(&m);
}

/* Every malformed request gets its status; the image is untouched. */
static void test_hostile_requests(void)
{
	enum { SECS = 2 * IMG_SECTORS }; /* room for more than one request's bytes */
	const char *disks[2];
	struct img m, ro;
	struct pv_host h;
	struct pvblk_fe fe, fro;
	struct hv_blk_req r;
	uint32_t lens[HV_BLK_MAX_SEG];
	struct async a;
	uint8_t *buf, *big;
	char spec[80];
	unsigned i;

	img_make(&m, SECS * 512);
	img_make(&ro, IMG_BYTES);
	snprintf(spec, sizeof(spec), "%s,ro", ro.path);
	disks[0] = m.path;
	disks[1] = spec;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 2, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fro, 1, 16, 0, 0), 0);
	CU_ASSERT_FALSE(fe.ro);
	CU_ASSERT_TRUE(fro.ro);
	buf = pv_host_alloc(&h, 8192);
	big = pv_host_alloc(&h, HV_BLK_MAX_SEG * 0x40000);
	uint64_t pa = h.os.virt_to_phys(&h, buf), big_pa = h.os.virt_to_phys(&h, big);

#define REQ(op_, sec_, n_, ...)                                                    \
	(r = (struct hv_blk_req){ .op = (op_), .sector = (sec_), .nr_seg = (n_),   \
				  .seg = { __VA_ARGS__ } },                        \
	 raw(&fe, &r))
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, SECS, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, SECS - 1, 1, { pa, 1024 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_READ, UINT64_MAX, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { MEM, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { MEM - 512, 1024 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_READ, 0, 1, { UINT64_MAX - 511, 1024 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 0 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { pa + 1, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 100 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 0), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, HV_BLK_MAX_SEG + 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 512, 1 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_FLUSH, 0, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(77, 0, 1, { pa, 512 }), HV_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE_FUA + 1, 0, 1, { pa, 512 }), HV_BLK_S_UNSUPP);
	/* A FUA write is checked as a write. */
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE_FUA, SECS, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE_FUA, 0, 0), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE_FUA, 0, 1, { pa + 1, 512 }), HV_BLK_S_BADREQ);
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .nr_seg = 1, .reserved = 1 };
	r.seg[0] = (struct hv_blk_seg){ pa, 512, 0 };
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_BADREQ);
#undef REQ
	/*
	 * HV_BLK_MAX_SEG segments, scattered: exactly HV_BLK_MAX_BYTES in all
	 * is one request, 512 bytes more is not, though every segment is
	 * fine and the image has room for it.
	 */
	for (i = 0; i < HV_BLK_MAX_SEG; i++)
		lens[i] = i < HV_BLK_MAX_SEG - 1 ? 0x10000 : HV_BLK_MAX_BYTES - 0x10000 * i;
	scatter(&r, HV_BLK_OP_READ, 8, big_pa, lens);
	a = raw_io(&fe, &r);
	CU_ASSERT(a.status == HV_BLK_S_OK && a.bytes == HV_BLK_MAX_BYTES);
	CU_ASSERT_TRUE(segments_hold(&h, &r, m.data + 8 * 512));
	fill_random(big, HV_BLK_MAX_SEG * 0x40000);
	scatter(&r, HV_BLK_OP_WRITE, SECS - HV_BLK_MAX_BYTES / 512, big_pa, lens);
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_OK);
	for (i = 0; i < HV_BLK_MAX_SEG; i++) /* what the file must now hold */
		memcpy(m.data + m.bytes - HV_BLK_MAX_BYTES + 0x10000 * i, big + r.seg[i].gpa - big_pa,
		       lens[i]);
	lens[HV_BLK_MAX_SEG - 1] += 512;
	scatter(&r, HV_BLK_OP_WRITE, 0, big_pa, lens);
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_BADREQ);
	for (i = 0; i < HV_BLK_MAX_SEG; i++)
		lens[i] = HV_BLK_MAX_BYTES; /* each the most one request may move */
	scatter(&r, HV_BLK_OP_READ, 0, big_pa, lens);
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_BADREQ);
	/* A write to the read-only disk. */
	memset(buf, 0xee, 4096);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fro, HV_BLK_OP_WRITE, 0, buf, 4096), HV_BLK_S_RO);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fro, HV_BLK_OP_WRITE_FUA, 0, buf, 4096), HV_BLK_S_RO);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fro, HV_BLK_OP_READ, 8, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(buf, ro.data + 4096, 4096), 0);
	CU_ASSERT_EQUAL(h.disk[0]->st.bad_reqs, 21);
	CU_ASSERT_EQUAL(h.disk[1]->st.bad_reqs, 2);
	CU_ASSERT_EQUAL(h.disk[0]->q.state, PVQ_ACTIVE);
	pv_host_destroy(&h);
	CU_ASSERT_TRUE(img_matches(&m));
	CU_ASSERT_TRUE(img_matches(&ro));
	img_drop(&m);
	img_drop(&ro);
}

/* A guest that scribbles ring indices loses its queue, nothing else. */
static void test_hostile_ring(void)
{
	const char *disks[2] = { "null:1M", "null:1M" };
	struct pv_host h;
	struct pvblk_fe a, b;
	struct hv_blk_req r;
	struct async x = { 0, 0, 0 };
	uint64_t kicks;
	uint32_t cq_prod;
	uint8_t *buf;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 2, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &a, 0, 8, VEC, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &b, 1, 8, VEC, 0), 0);
	buf = pv_host_alloc(&h, 4096);
	hv_ring_store_release(&a.ring.sq->prod, a.ring.sq->prod + 1000); /* jumps past the ring */
	h.os.notify(&h, a.port, 0);
	CU_ASSERT_TRUE(EVENTUALLY(state(&h, 0) == PVQ_BROKEN));
	CU_ASSERT_EQUAL(h.disk[0]->st.reqs, 0); /* nothing taken from it */
	memset(buf, 0x55, 4096);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&b, HV_BLK_OP_READ, 0, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(buf[100], 0); /* the null device reads zeros */
	/* Completion consumer index beyond the producer: that queue breaks too. */
	hv_ring_store_release(&b.ring.cq->cons, b.ring.cq->cons + 100);
	cq_prod = hv_ring_load_acquire(&b.ring.cq->prod);
	pvblk_fe_prep(&b, &r, HV_BLK_OP_READ, 0, buf, 512);
	CU_ASSERT_EQUAL(pvblk_fe_submit(&b, &r, async_done, &x), 0);
	pvblk_fe_kick(&b);
	CU_ASSERT_TRUE(EVENTUALLY(state(&h, 1) == PVQ_BROKEN));
	/* All hv did for that doorbell is over once it has heard the next one. */
	kicks = __atomic_load_n(&h.disk[1]->q.src.kicks, __ATOMIC_ACQUIRE);
	h.os.notify(&h, b.port, 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&h.disk[1]->q.src.kicks, __ATOMIC_ACQUIRE) ==
				  kicks + 1));
	/* The request was not taken, nothing was published: there is nothing to complete. */
	CU_ASSERT_EQUAL(h.disk[1]->st.reqs, 1);
	CU_ASSERT_EQUAL(hv_ring_load_acquire(&b.ring.cq->prod), cq_prod);
	CU_ASSERT_EQUAL(pvblk_fe_poll(&b), 0);
	CU_ASSERT_FALSE(x.done);
	/* A broken queue is not attached over: the way back is a detach. */
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), -HV_EBUSY);
	pv_host_destroy(&h);
}

/* Detach lets go of a queue, even a broken one; a new attach then works. */
static void test_detach_reattach(void)
{
	const uint64_t a_bad[HC_NARGS] = { 99 }, a_uart[HC_NARGS] = { 0 };
	struct hv_ring_ctl sq, cq;
	struct pv_host h;
	struct pvblk_fe fe;
	struct pv_ring old = { 0 };
	struct pvblk_back *b;
	struct hv_blk_req r;
	struct img m;
	uint64_t reqs, kicks;
	uint8_t *buf;

	host_with_image(&h, &m, 0);
	b = h.disk[0];
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a_bad), -HV_ENOENT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a_uart), -HV_EINVAL);
	CU_ASSERT_EQUAL(pvblk_back_detach(b, 0, NULL), 0); /* never attached: fine */
	CU_ASSERT_EQUAL(pvblk_back_detach(b, 1, NULL), -HV_EINVAL); /* a disk has queue 0 only */
	buf = pv_host_alloc(&h, 8192);
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 8, round == 1 ? 0 : VEC,
						     0xfffffffcu + (uint32_t)round), 0);
		CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, (uint64_t)round, buf, 8192),
				HV_BLK_S_OK);
		CU_ASSERT_EQUAL(memcmp(buf, m.data + round * 512, 8192), 0);
		if (round == 2) { /* break it first: detach must still work */
			hv_ring_store_release(&fe.ring.sq->prod, fe.ring.sq->prod + 500);
			h.os.notify(&h, fe.port, 0);
			CU_ASSERT_TRUE(EVENTUALLY(state(&h, 0) == PVQ_BROKEN));
		}
		old = fe.ring;
		CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), 0);
		CU_ASSERT_EQUAL(b->q.state, PVQ_DETACHED);
	}
	/*
	 * Detached, the doorbell does nothing: a valid write left in the old
	 * ring is not taken, and hv touches neither ring.  The doorbell is
	 * heard (kicks), then everything hv does next is done after it.
	 */
	reqs = b->st.reqs;
	kicks = __atomic_load_n(&b->q.src.kicks, __ATOMIC_ACQUIRE);
	memset(buf, 0x77, 4096);
	pvblk_fe_prep(&fe, &r, HV_BLK_OP_WRITE, 0, buf, 4096);
	memcpy(old.sqe + (old.sq->prod & 7) * sizeof(r), &r, sizeof(r));
	hv_ring_store_release(&old.sq->prod, old.sq->prod + 1);
	sq = *old.sq;
	cq = *old.cq;
	h.os.notify(&h, HV_NOTIFY_PORT_BASE, 0);
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&b->q.src.kicks, __ATOMIC_ACQUIRE) == kicks + 1));
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 7), 0);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, 0, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(buf, m.data, 4096), 0);
	CU_ASSERT_EQUAL(b->st.reqs, reqs + 1); /* that read only */
	CU_ASSERT_EQUAL(memcmp(&sq, old.sq, sizeof(sq)), 0);
	CU_ASSERT_EQUAL(memcmp(&cq, old.cq, sizeof(cq)), 0);
	host_done(&h, &m);
}

/*
 * A host with pvblk0 (null) attached through fe and its I/O thread
 * stopped: the test plays the I/O thread (io_thread_pass) to choose when
 * it lets go.
 */
static struct pvblk_back *attached_io_stopped(struct pv_host *h, struct pvblk_fe *fe)
{
	const char *disks[1] = { "null:1M" };

	CU_ASSERT_EQUAL_FATAL(pv_host_init(h, MEM, disks, 1, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(h, fe, 0, 8, VEC, 0), 0);
	iothread_stop(&h->vm->io);
	return h->disk[0];
}

/* What the I/O thread does on hearing the queue's doorbell. */
static void io_thread_pass(struct pv_host *h, struct pvblk_back *b)
{
	b->q.src.kick(&b->q.src, &h->vm->io.eng);
}

/*
 * A detach whose I/O does not drain in time stays pending: attach is refused
 * even once the I/O thread has let go, until the detach is called again.
 * The test plays the I/O thread (stopped) to choose when it lets go.
 */
static void test_detach_pending(void)
{
	struct pv_host h;
	struct pvblk_fe fe;
	struct pvblk_back *b = attached_io_stopped(&h, &fe);

	b->q.detach_timeout_ms = 0;
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), -HV_EBUSY); /* nobody answered */
	CU_ASSERT_EQUAL(b->q.state, PVQ_ACTIVE);
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), -HV_EBUSY);
	io_thread_pass(&h, b); /* it hears the doorbell: nothing in flight */
	CU_ASSERT_EQUAL(b->q.state, PVQ_DETACHED);
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), -HV_EBUSY); /* the detach is still pending */
	CU_ASSERT_PTR_NOT_NULL(b->pool);
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), 0); /* called again: it completes */
	CU_ASSERT_PTR_NULL(b->pool);
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), HV_NOTIFY_PORT_BASE);
	CU_ASSERT_EQUAL(b->q.state, PVQ_ACTIVE);
	pv_host_destroy(&h);
}

/* The guest submits one request and rings if its event-index test says so. */
static void submit_one(struct pvblk_fe *fe, uint32_t op, void *buf, struct async *a)
{
	struct hv_blk_req r;

	*a = (struct async){ 0, 0xdead, 0 };
	pvblk_fe_prep(fe, &r, op, 0, buf, op == HV_BLK_OP_FLUSH ? 0 : 4096);
	CU_ASSERT_EQUAL_FATAL(pvblk_fe_submit(fe, &r, async_done, a), 0);
	pvblk_fe_kick(fe);
}

/* The I/O thread's pass after completions: they finish, it publishes (and looks at the ring). */
static void io_thread_reap(struct pv_host *h, struct pvblk_back *b)
{
	CU_ASSERT(ioeng_run(&h->vm->io.eng, 0) >= 0);
	b->q.src.publish(&b->q.src, &h->vm->io.eng);
}

/*
 * At depth hv asks for no doorbell (quiet_at 2): it takes new requests
 * after each completion.  Not while a flush or FUA write is in flight: a
 * read must not wait for one, so it rings.  The test plays the I/O thread
 * (stopped), the null disk completing at the next reap.
 */
static void test_quiet_beside_slow(void)
{
	struct pv_host h;
	struct pvblk_fe fe;
	struct pvblk_back *b = attached_io_stopped(&h, &fe);
	uint8_t *buf = pv_host_alloc(&h, 4096);
	struct async a[8];
	unsigned i;

	/* Two reads: the first rings; two in flight, a third rings nothing. */
	submit_one(&fe, HV_BLK_OP_READ, buf, &a[0]);
	submit_one(&fe, HV_BLK_OP_READ, buf, &a[1]);
	CU_ASSERT_EQUAL(fe.st.notifies, 1);
	io_thread_pass(&h, b);
	CU_ASSERT_EQUAL(b->q.inflight, 2);
	submit_one(&fe, HV_BLK_OP_READ, buf, &a[2]);
	CU_ASSERT_EQUAL(fe.st.notifies, 1);
	io_thread_reap(&h, b); /* the two complete; the third is taken without a doorbell */
	CU_ASSERT_EQUAL(b->q.taken, 3);
	CU_ASSERT_EQUAL(b->q.inflight, 1);
	io_thread_reap(&h, b);
	/* A flush and a FUA write in flight: every read rings. */
	for (i = 3; i < 8; i++) {
		submit_one(&fe, i == 3 ? HV_BLK_OP_FLUSH : i == 4 ? HV_BLK_OP_WRITE_FUA
								   : HV_BLK_OP_READ, buf, &a[i]);
		io_thread_pass(&h, b);
	}
	CU_ASSERT_EQUAL(b->q.inflight, 5);
	CU_ASSERT_EQUAL(b->q.inflight_slow, 2);
	CU_ASSERT_EQUAL(fe.st.notifies, 1 + 5);
	io_thread_reap(&h, b);
	CU_ASSERT_EQUAL(b->q.inflight + b->q.inflight_slow, 0);
	for (i = 0; i < 8; i++) {
		if (!a[i].done)
			pvblk_fe_wait(&fe, &a[i].done);
		CU_ASSERT(a[i].done && a[i].status == HV_BLK_S_OK);
	}
	CU_ASSERT_EQUAL(b->st.reqs, 8);
	pv_host_destroy(&h);
}

/*
 * The detach handshake: the I/O thread owns the request's 1 -> 0 edge and
 * sends exactly one ack per request, so nothing it does after acking can
 * touch a queue attached since.  The test plays the I/O thread (stopped).
 */
static void test_detach_ack_owned(void)
{
	struct pollfd p;
	struct pv_host h;
	struct pvblk_fe fe;
	struct pvblk_back *b = attached_io_stopped(&h, &fe);

	b->q.detach_timeout_ms = 0;
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), -HV_EBUSY);
	CU_ASSERT_EQUAL(__atomic_load_n(&b->q.detach_req, __ATOMIC_ACQUIRE), 1);
	io_thread_pass(&h, b); /* nothing in flight: it lets go */
	CU_ASSERT_EQUAL(b->q.state, PVQ_DETACHED);
	CU_ASSERT_EQUAL(__atomic_load_n(&b->q.detach_req, __ATOMIC_ACQUIRE), 0);
	io_thread_pass(&h, b); /* a later pass: no request, no second ack */
	b->q.src.publish(&b->q.src, &h.vm->io.eng);
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), 0); /* the retry takes the one ack */
	p = (struct pollfd){ .fd = b->q.detach_ack, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);       /* none left for a later detach */
	CU_ASSERT_PTR_NULL(b->pool);
	pv_host_destroy(&h);
}

/*
 * What the old race left behind (the I/O thread, reading a stale request,
 * marked a newly attached queue DETACHED and acked): attach is refused
 * while that queue still holds its pool and KVM wiring, instead of leaking
 * the pool and failing for ever on the ioeventfd; a detach recovers it.
 */
static void test_attach_refused_while_held(void)
{
	struct pv_host h;
	struct pvblk_fe fe;
	struct pvblk_back *b = attached_io_stopped(&h, &fe);
	struct pvblk_back_req *pool = b->pool;

	__atomic_store_n(&b->q.state, PVQ_DETACHED, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(eventfd_write(b->q.detach_ack, 1), 0); /* a stale ack */
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), -HV_EBUSY);
	CU_ASSERT_PTR_EQUAL(b->pool, pool);
	/* A detach does not take the stale ack for its own: it waits for the real one. */
	b->q.detach_timeout_ms = 0;
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), -HV_EBUSY);
	io_thread_pass(&h, b);
	CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), 0);
	CU_ASSERT_PTR_NULL(b->pool);
	CU_ASSERT_EQUAL(attach_raw(&h, 1, &fresh), HV_NOTIFY_PORT_BASE);
	CU_ASSERT_EQUAL(b->q.state, PVQ_ACTIVE);
	pv_host_destroy(&h);
}

/* A guest's raw ring at a fixed place: one 512-byte read of sector 0 per entry. */
#define RAW_SQ 0x100000ull
#define RAW_CQ 0x200000ull
#define RAW_BUF 0x300000ull
static const struct hv_queue_setup raw_setup = { .sq_gpa = RAW_SQ, .cq_gpa = RAW_CQ, .sq_size = 8, .cq_size = 8 };

static struct hv_ring_ctl *raw_ctl(struct pv_host *h, uint64_t gpa)
{
	return (struct hv_ring_ctl *)(h->vm->mem.host + gpa);
}

/* Publishes n more reads on the raw ring and rings its doorbell. */
static void raw_submit(struct pv_host *h, unsigned n)
{
	struct hv_ring_ctl *sq = raw_ctl(h, RAW_SQ);
	uint32_t prod = sq->prod;

	for (unsigned i = 0; i < n; i++, prod++) {
		struct hv_blk_req r = { .id = prod, .op = HV_BLK_OP_READ, .nr_seg = 1,
					.seg = { { RAW_BUF, 512, 0 } } };
		memcpy(h->vm->mem.host + RAW_SQ + HV_RING_ENTRIES_OFF +
		       (prod % raw_setup.sq_size) * sizeof(r), &r, sizeof(r));
	}
	hv_ring_store_release(&sq->prod, prod);
	h->os.notify(h, HV_NOTIFY_PORT_BASE, 0);
}

static uint32_t cq_prod(struct pv_host *h)
{
	return hv_ring_load_acquire(&raw_ctl(h, RAW_CQ)->prod);
}

/* A guest ringing its doorbell without pause, as a hostile one may, while detached too. */
struct hammer {
	struct pv_host *h;
	int stop;
};

static void *hammer(void *arg)
{
	struct hammer *m = arg;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		eventfd_write(m->h->disk[0]->q.src.fd, 1);
		sched_yield();
	}
	return NULL;
}

/* Detach then attach at once, hundreds of times, doorbells all along: every attach serves. */
static void test_quick_reattach(void)
{
	const char *disks[1] = { "null:1M" };
	const uint64_t det[HC_NARGS] = { 1, 0 };
	struct hammer m;
	struct pv_host h;
	pthread_t t;
	unsigned i, bad = 0;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	m = (struct hammer){ &h, 0 };
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, hammer, &m), 0);
	for (i = 0; i < 300 && !bad; i++) {
		uint32_t want = cq_prod(&h) + 1;

		if (attach_raw(&h, 1, &raw_setup) != HV_NOTIFY_PORT_BASE) {
			bad++;
			break;
		}
		raw_submit(&h, 1);
		bad += !EVENTUALLY(cq_prod(&h) == want);
		hv_ring_store_release(&raw_ctl(&h, RAW_CQ)->cons, want); /* consumed */
		bad += hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, det) != 0;
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(i, 300);
	pv_host_destroy(&h);
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	struct timespec ts = { 0, 0 };
	clockid_t c;

	CU_ASSERT_EQUAL(pthread_getcpuclockid(t, &c), 0);
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * --io-poll with a stalled queue (the guest consumes no completion, more
 * requests wait): the I/O thread spins its poll time, then sleeps, instead
 * of taking the waiting entries for work and spinning a CPU for ever; a
 * doorbell after the guest made room resumes the queue.
 */
static void test_iopoll_stalled_sleeps(void)
{
	const char *disks[1] = { "null:1M" };
	struct pv_host h;
	uint64_t cpu;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 5000000), 0); /* 5 ms */
	CU_ASSERT_EQUAL_FATAL(attach_raw(&h, 1, &raw_setup), HV_NOTIFY_PORT_BASE);
	raw_submit(&h, 8);
	CU_ASSERT_TRUE(EVENTUALLY(cq_prod(&h) == 8)); /* the completion ring is full */
	raw_submit(&h, 8);
	usleep(100000);
	cpu = thread_cpu_ns(h.vm->io.tid);
	usleep(1000000);
	cpu = thread_cpu_ns(h.vm->io.tid) - cpu;
	CU_ASSERT(cpu < 100000000ull); /* of 1 s: asleep, not spinning */
	if (cpu >= 100000000ull)
		printf("\n    stalled queue: I/O thread used %llu ms of CPU in 1 s\n",
		       (unsigned long long)(cpu / 1000000));
	CU_ASSERT_EQUAL(hv_ring_load_acquire(&raw_ctl(&h, RAW_SQ)->cons), 8);
	hv_ring_store_release(&raw_ctl(&h, RAW_CQ)->cons, 8); /* room: the next doorbell resumes it */
	h.os.notify(&h, HV_NOTIFY_PORT_BASE, 0);
	CU_ASSERT_TRUE(EVENTUALLY(cq_prod(&h) == 16));
	CU_ASSERT_EQUAL(h.disk[0]->st.bad_reqs, 0);
	ut_iothread_stop(&h.vm->io);
	pv_host_destroy(&h);
}

/*
 * Host I/O that fails or comes back short is IOERR, with the bytes that did
 * move: an image truncated under hv (short and empty reads), a file-size
 * limit (short and refused writes), guest RAM the host may not touch.
 */
static void test_io_errors(void)
{
	const uint64_t end = IMG_SECTORS / 2; /* the image's new end, in sectors */
	struct ut_fsize_limit lim;
	struct pv_host h;
	struct pvblk_fe fe;
	struct async a;
	struct img m;
	uint8_t *buf;

	host_with_image(&h, &m, 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 8, VEC, 0), 0);
	buf = pv_host_alloc(&h, 4096);
	CU_ASSERT_EQUAL_FATAL(truncate(m.path, (off_t)end * 512), 0);
	m.bytes = end * 512;
	memset(buf, 0xee, 4096);
	a = io1(&fe, HV_BLK_OP_READ, end - 4, buf, 4096);
	CU_ASSERT_EQUAL(a.status, HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(a.bytes, 2048);
	CU_ASSERT_EQUAL(memcmp(buf, m.data + m.bytes - 2048, 2048), 0);
	a = io1(&fe, HV_BLK_OP_READ, end + 100, buf, 512);
	CU_ASSERT(a.status == HV_BLK_S_IOERR && a.bytes == 0);

	ut_fsize_limit_set(&lim, m.bytes);
	fill_random(buf, 4096);
	a = io1(&fe, HV_BLK_OP_WRITE, end - 4, buf, 4096);
	CU_ASSERT(a.status == HV_BLK_S_IOERR && a.bytes == 2048);
	memcpy(m.data + m.bytes - 2048, buf, 2048);
	a = io1(&fe, HV_BLK_OP_WRITE, end + 8, buf, 512);
	CU_ASSERT(a.status == HV_BLK_S_IOERR && a.bytes == 0);
	ut_fsize_limit_undo(&lim);

	CU_ASSERT_EQUAL_FATAL(mprotect(buf, 4096, PROT_NONE), 0);
	a = io1(&fe, HV_BLK_OP_READ, 0, buf, 512);
	CU_ASSERT(a.status == HV_BLK_S_IOERR && a.bytes == 0);
	a = io1(&fe, HV_BLK_OP_WRITE, 0, buf, 512);
	CU_ASSERT(a.status == HV_BLK_S_IOERR && a.bytes == 0);
	CU_ASSERT_EQUAL_FATAL(mprotect(buf, 4096, PROT_READ | PROT_WRITE), 0);

	CU_ASSERT_EQUAL(h.disk[0]->st.io_errors, 6);
	CU_ASSERT_EQUAL(h.disk[0]->st.bad_reqs, 0);
	CU_ASSERT_EQUAL(io1(&fe, HV_BLK_OP_READ, 0, buf, 4096).status, HV_BLK_S_OK); /* still serves */
	CU_ASSERT_EQUAL(memcmp(buf, m.data, 4096), 0);
	host_done(&h, &m);
}

/* Depth 32, mixed reads and writes to disjoint blocks, verified byte for byte. */
struct qd_io {
	struct pvblk_fe *fe;
	struct img *m;
	uint8_t *buf;
	uint64_t sector;
	int write, done;
	uint32_t status;
	unsigned *left;
};

static void qd_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct qd_io *io = arg;
	(void)bytes;
	io->done = 1;
	io->status = status;
	(*io->left)--;
}

static void test_depth32_mixed(void)
{
	enum { QD = 32, ROUNDS = 40, BLK = 4096 };
	struct pv_host h;
	struct pvblk_fe fe;
	struct img m;
	struct qd_io io[QD];
	unsigned left, round, i, bad = 0;
	int spins = 0;

	host_with_image(&h, &m, 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, QD, VEC, 0xffffff00u), 0);
	for (i = 0; i < QD; i++)
		io[i].buf = pv_host_alloc(&h, BLK);
	for (round = 0; round < ROUNDS; round++) {
		/* 32 distinct 4 KiB blocks out of 256: no two requests overlap. */
		uint8_t used[IMG_BYTES / BLK] = { 0 };
		left = QD;
		for (i = 0; i < QD; i++) {
			struct hv_blk_req r;
			uint64_t blk;
			do
				blk = rnd() % (IMG_BYTES / BLK);
			while (used[blk]);
			used[blk] = 1;
			io[i] = (struct qd_io){ &fe, &m, io[i].buf, blk * (BLK / 512),
						(int)(rnd() & 1), 0, 0, &left };
			if (io[i].write) {
				fill_random(io[i].buf, BLK);
				memcpy(m.data + blk * BLK, io[i].buf, BLK);
			}
			pvblk_fe_prep(&fe, &r, io[i].write ? HV_BLK_OP_WRITE : HV_BLK_OP_READ,
				      io[i].sector, io[i].buf, BLK);
			CU_ASSERT_EQUAL_FATAL(pvblk_fe_submit(&fe, &r, qd_done, &io[i]), 0);
		}
		pvblk_fe_kick(&fe); /* one doorbell for the batch at most */
		while (left && spins++ < 100000) {
			int flag = 0;
			pvblk_fe_wait(&fe, &flag);
		}
		CU_ASSERT_EQUAL_FATAL(left, 0);
		for (i = 0; i < QD; i++) {
			bad += io[i].status != HV_BLK_S_OK;
			if (!io[i].write)
				bad += memcmp(io[i].buf, m.data + io[i].sector * 512, BLK) != 0;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(fe.st.notifies <= ROUNDS);
	CU_ASSERT_EQUAL(pvblk_fe_flush(&fe), HV_BLK_S_OK);
	host_done(&h, &m);
}

/* The driver matches completions by id, whatever order hv returns them in. */
static void test_out_of_order(void)
{
	const char *disks[1] = { "null:1M" };
	struct pv_host h;
	struct pvblk_fe fe;
	struct async a[8];
	struct hv_blk_req r;
	uint8_t *buf;
	int i;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	/* Attach through hv, then stop its I/O thread: the test plays the backend. */
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 8, 0, 0xfffffffdu), 0);
	iothread_stop(&h.vm->io);
	buf = pv_host_alloc(&h, 512);
	for (i = 0; i < 8; i++) {
		a[i] = (struct async){ 0, 0, 0 };
		pvblk_fe_prep(&fe, &r, HV_BLK_OP_READ, (uint64_t)i, buf, 512);
		CU_ASSERT_EQUAL(pvblk_fe_submit(&fe, &r, async_done, &a[i]), 0);
	}
	CU_ASSERT_EQUAL(pvblk_fe_submit(&fe, &r, async_done, &a[0]), -HV_EAGAIN); /* depth */
	pvblk_fe_kick(&fe);
	/* Complete in reverse, with each status telling which request it was. */
	for (i = 7; i >= 0; i--) {
		const struct hv_blk_req *q = (const void *)(fe.ring.sqe + (uint32_t)(0xfffffffdu + i) % 8 * 256);
		struct hv_blk_cpl *c = (void *)(fe.ring.cqe + (uint32_t)(0xfffffffdu + 7 - i) % 8 * 16);
		*c = (struct hv_blk_cpl){ q->id, (uint32_t)i, (uint32_t)(q->sector * 512) };
	}
	hv_ring_store_release(&fe.ring.cq->prod, 0xfffffffdu + 8);
	CU_ASSERT_EQUAL(pvblk_fe_poll(&fe), 8);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_TRUE(a[i].done);
		CU_ASSERT_EQUAL(a[i].status, (uint32_t)i);
		CU_ASSERT_EQUAL(a[i].bytes, (uint32_t)i * 512);
	}
	CU_ASSERT_EQUAL(fe.outstanding, 0);
	/* A completion for an id nobody issued is counted and dropped. */
	((struct hv_blk_cpl *)(fe.ring.cqe + (uint32_t)(0xfffffffdu + 8) % 8 * 16))->id = 3;
	hv_ring_store_release(&fe.ring.cq->prod, 0xfffffffdu + 9);
	CU_ASSERT_EQUAL(pvblk_fe_poll(&fe), 0);
	CU_ASSERT_EQUAL(fe.st.bogus_cpl, 1);
	pv_host_destroy(&h);
}

/*
 * Thousands of structured-random requests (ops, counts, addresses around
 * every boundary) on a real image.  The test keeps its own model of the
 * rules (PROTOCOL.md section 9) and of what the image and guest RAM must
 * hold: each request gets the status the model says, and at the end both
 * hold exactly what the valid requests put there, so a rejected request
 * touched neither.  Valid requests that could race (overlapping data, one
 * of them writing) are never in flight together: their result has no order.
 */
struct fuzz_io {
	struct hv_blk_req r;
	uint32_t want, got;
	int done;
};

struct fuzz {
	uint8_t *ram, *img;       /* what guest RAM and the image must hold */
	unsigned flight[16], n;   /* valid requests possibly in flight */
	struct fuzz_io *io;
};

static void fuzz_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct fuzz_io *io = arg;

	(void)bytes;
	io->got = status;
	io->done = 1;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

/* The status table of PROTOCOL.md section 9, in its order (a writable disk). */
static uint32_t model_status(const struct hv_blk_req *r, uint64_t sectors)
{
	uint64_t total = 0;

	if (r->op > HV_BLK_OP_WRITE_FUA)
		return HV_BLK_S_UNSUPP;
	if (r->reserved || (r->op == HV_BLK_OP_FLUSH && r->nr_seg))
		return HV_BLK_S_BADREQ;
	if (r->op == HV_BLK_OP_FLUSH)
		return HV_BLK_S_OK;
	if (r->nr_seg == 0 || r->nr_seg > HV_BLK_MAX_SEG)
		return HV_BLK_S_BADREQ;
	for (uint32_t i = 0; i < r->nr_seg; i++) {
		const struct hv_blk_seg *s = &r->seg[i];
		bool in_ram = s->gpa <= MEM && s->len <= MEM - s->gpa;

		if (!s->len || s->len > HV_BLK_MAX_BYTES || s->reserved || !in_ram ||
		    (s->gpa | s->len) % HV_BLK_SEG_ALIGN)
			return HV_BLK_S_BADREQ;
		total += s->len;
	}
	return total <= HV_BLK_MAX_BYTES && r->sector <= sectors &&
			       total / 512 <= sectors - r->sector ? HV_BLK_S_OK : HV_BLK_S_BADREQ;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint64_t req_bytes(const struct hv_blk_req *r)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < r->nr_seg; i++)
		n += r->seg[i].len;
	return r->op == HV_BLK_OP_FLUSH ? 0 : n;
}

/* Two valid requests whose result together depends on their order (x may be y). */
static bool conflict(const struct hv_blk_req *x, const struct hv_blk_req *y)
{
	bool x_rd = x->op == HV_BLK_OP_READ, y_rd = y->op == HV_BLK_OP_READ;

	if (x->op == HV_BLK_OP_FLUSH || y->op == HV_BLK_OP_FLUSH)
		return false;
	if (x != y && (!x_rd || !y_rd) &&
	    overlap(x->sector * 512, req_bytes(x), y->sector * 512, req_bytes(y)))
		return true;
	if (!x_rd && !y_rd) /* both only read guest memory */
		return false;
	for (uint32_t i = 0; i < x->nr_seg; i++)
		for (uint32_t j = 0; j < y->nr_seg; j++)
			if ((x != y || i != j) && overlap(x->seg[i].gpa, x->seg[i].len,
							  y->seg[j].gpa, y->seg[j].len))
				return true;
	return false;
}

/* What a valid request does, done to the model. */
static void model_apply(struct fuzz *z, const struct hv_blk_req *r)
{
	uint64_t off = r->sector * 512;

	for (uint32_t i = 0; i < r->nr_seg && r->op != HV_BLK_OP_FLUSH; i++) {
		const struct hv_blk_seg *s = &r->seg[i];
		if (r->op == HV_BLK_OP_READ)
			memcpy(z->ram + s->gpa, z->img + off, s->len);
		else
			memcpy(z->img + off, z->ram + s->gpa, s->len);
		off += s->len;
	}
}

static void drain_all(struct pvblk_fe *fe, struct fuzz *z)
{
	pvblk_fe_kick(fe);
	for (int j = 0; j < 10000 && fe->outstanding; j++) {
		int flag = 0;
		pvblk_fe_wait(fe, &flag);
	}
	CU_ASSERT_EQUAL_FATAL(fe->outstanding, 0);
	z->n = 0;
}

/* Before a valid request: wait for any in flight it could race with. */
static void fuzz_order(struct pvblk_fe *fe, struct fuzz *z, unsigned k)
{
	unsigned i, n = 0;

	for (i = 0; i < z->n; i++)
		if (!z->io[z->flight[i]].done)
			z->flight[n++] = z->flight[i];
	z->n = n;
	for (i = 0; i < z->n; i++)
		if (conflict(&z->io[k].r, &z->io[z->flight[i]].r)) {
			drain_all(fe, z);
			break;
		}
	z->flight[z->n++] = k;
}

static void test_random_requests(void)
{
	enum { N = 4000 };
	const uint64_t gpas[] = { 0, 512, 0x400000, MEM - 512, MEM - 4096, MEM, MEM + 512,
				  0x400001, UINT64_MAX - 511, UINT64_MAX, 1ull << 63, 0xc00000 };
	/* (Not the rings at 8 MiB: a read into its own ring breaks the queue, by design.) */
	const uint64_t lens[] = { 0, 1, 511, 512, 4096, HV_BLK_MAX_BYTES, HV_BLK_MAX_BYTES + 512,
				  0xffffffffu, 100 };
	const uint64_t secs[] = { 0, 1, IMG_SECTORS - 1, IMG_SECTORS, IMG_SECTORS + 1,
				  UINT64_MAX, UINT64_MAX - 1, 1ull << 55 };
	/* Half the requests are drawn from these, well-formed but for the odd reserved bit. */
	const uint64_t ok_gpas[] = { 0, 512, 0x400000, 0xc00000, MEM - 4096, MEM - 512 };
	const uint64_t ok_lens[] = { 512, 4096, 65536 };
	const uint64_t ok_secs[] = { 0, 1, 100, IMG_SECTORS - 8, IMG_SECTORS - 1 };
	unsigned counts[5] = { 0 }, writes = 0, wrong = 0, differ = 0, j, k;
	struct pv_host h;
	struct pvblk_fe fe;
	struct fuzz z = { 0 };
	struct img m;
	uint64_t harness;

	host_with_image(&h, &m, 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 0xfffff000u), 0);
	/* Guest RAM random, but for the harness's rings at 8 MiB; the model starts equal. */
	harness = (h.next + 4095) & ~4095ull;
	fill_random(h.vm->mem.host, 8ull << 20);
	fill_random(h.vm->mem.host + harness, MEM - harness);
	z.ram = malloc(MEM);
	z.img = m.data;
	z.io = calloc(N, sizeof(*z.io));
	CU_ASSERT_FATAL(z.ram && z.io);
	memcpy(z.ram, h.vm->mem.host, MEM);
	for (k = 0; k < N; k++) {
		struct hv_blk_req *r = &z.io[k].r;
		bool sane = rnd() & 1;
#define PICK(v) (sane ? pick(ok_##v, sizeof(ok_##v) / 8) : pick(v, sizeof(v) / 8))
		*r = (struct hv_blk_req){ .op = (uint32_t)(rnd() % (sane ? 4 : 5)),
					  .sector = PICK(secs),
					  .nr_seg = (uint32_t)(sane ? 1 + rnd() % 3 : rnd() % 17) };
		if (rnd() % 16 == 0)
			r->reserved = rnd();
		for (j = 0; j < HV_BLK_MAX_SEG; j++) {
			r->seg[j].gpa = PICK(gpas);
			r->seg[j].len = (uint32_t)PICK(lens);
			r->seg[j].reserved = rnd() % 32 == 0;
		}
#undef PICK
		z.io[k].want = model_status(r, IMG_SECTORS);
		if (z.io[k].want == HV_BLK_S_OK) {
			/* A read into overlapping segments has no defined result: write instead. */
			if (r->op == HV_BLK_OP_READ && conflict(r, r))
				r->op = HV_BLK_OP_WRITE;
			writes += r->op == HV_BLK_OP_WRITE;
			fuzz_order(&fe, &z, k);
			model_apply(&z, r);
		}
		while (pvblk_fe_submit(&fe, r, fuzz_done, &z.io[k])) {
			int flag = 0;
			pvblk_fe_kick(&fe);
			pvblk_fe_wait(&fe, &flag);
			CU_ASSERT_EQUAL_FATAL(h.disk[0]->q.state, PVQ_ACTIVE); /* never hang */
		}
		if (k % 7 == 0)
			pvblk_fe_kick(&fe);
	}
	drain_all(&fe, &z);
	for (k = 0; k < N; k++) {
		wrong += !z.io[k].done || z.io[k].got != z.io[k].want;
		counts[z.io[k].want]++;
	}
	CU_ASSERT_EQUAL(wrong, 0);                 /* each the status the rules give */
	CU_ASSERT(counts[HV_BLK_S_BADREQ] > 1000); /* most of it is garbage */
	CU_ASSERT(counts[HV_BLK_S_OK] > 400);      /* and much of it is not */
	CU_ASSERT(writes > 150);
	CU_ASSERT(counts[HV_BLK_S_UNSUPP] > 10);
	CU_ASSERT_EQUAL(h.disk[0]->q.state, PVQ_ACTIVE);
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	for (uint64_t p = 0; p < MEM; p += 4096) /* the model matches RAM, but for the harness */
		differ += (p < (8u << 20) || p >= harness) && memcmp(z.ram + p, h.vm->mem.host + p, 4096);
	CU_ASSERT_EQUAL(differ, 0);
	host_done(&h, &m);
	free(z.ram);
	free(z.io);
}

int suite_pvblk(void)
{
	static const CU_TestInfo tests[] = {
		{ "attach: every bad setup refused, state unchanged", test_attach_checks },
		{ "device table: the read-only flag", test_ro_flag },
		{ "read/write/flush round trip, interrupts", test_roundtrip_irq },
		{ "read/write/flush round trip, polling", test_roundtrip_poll },
		{ "round trip across the 2^32 index wrap", test_roundtrip_wrap },
		{ "round trip with hv's I/O thread busy-polling", test_roundtrip_iopoll },
		{ "hostile requests: statuses, images unchanged", test_hostile_requests },
		{ "WRITE_FUA: a FUA write of the disk, on the image; null takes it", test_write_fua },
		{ "hostile ring indices break only that queue", test_hostile_ring },
		{ "no doorbell at depth, every one beside a flush or FUA write", test_quiet_beside_slow },
		{ "detach (also a broken queue) and attach again", test_detach_reattach },
		{ "a timed-out detach stays pending", test_detach_pending },
		{ "detach: the I/O thread clears the request, one ack", test_detach_ack_owned },
		{ "attach refused while the old queue is held", test_attach_refused_while_held },
		{ "detach then attach at once, doorbells all along", test_quick_reattach },
		{ "--io-poll: a stalled queue lets the thread sleep", test_iopoll_stalled_sleeps },
		{ "host I/O errors and short transfers: IOERR", test_io_errors },
		{ "depth 32 mixed reads and writes, byte for byte", test_depth32_mixed },
		{ "out-of-order completions matched by id", test_out_of_order },
		{ "4000 structured-random requests against a model", test_random_requests },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pvblk", tests);
}
