/*
 * The PV block path end to end on the host: the guest driver (pv-drivers/)
 * against hv's real backend (hypercall, I/O thread, io_uring) on real image
 * files.  Only KVM is missing; pv_host.c stands in for the guest OS.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pv_host.h"
#include "suites.h"

#define IMG_SECTORS 2048 /* 1 MiB */
#define IMG_BYTES (IMG_SECTORS * 512)
#define MEM (32ull << 20)
#define VEC 0x40

struct img {
	char path[64];
	uint8_t *data; /* what the file must hold */
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void img_make(struct img *m, size_t bytes)
{
	int fd;
	size_t i;

	snprintf(m->path, sizeof(m->path), "/tmp/hv-ut-XXXXXX");
	fd = mkstemp(m->path);
	CU_ASSERT_FATAL(fd >= 0);
	m->data = malloc(bytes);
	for (i = 0; i < bytes; i++)
		m->data[i] = (uint8_t)rnd();
	CU_ASSERT_EQUAL_FATAL(write(fd, m->data, bytes), (ssize_t)bytes);
	close(fd);
}

/* The file equals what the test expects, byte for byte. */
static int img_matches(const struct img *m, size_t bytes)
{
	uint8_t *buf = malloc(bytes);
	int fd = open(m->path, O_RDONLY), ok;

	ok = fd >= 0 && read(fd, buf, bytes) == (ssize_t)bytes && !memcmp(buf, m->data, bytes);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static void img_drop(struct img *m)
{
	unlink(m->path);
	free(m->data);
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

/* Submits one raw request (hostile or not) and waits for its status. */
static uint32_t raw(struct pvblk_fe *fe, struct hv_blk_req *r)
{
	struct async a = { 0, 0, 0 };
	int spins = 0;

	CU_ASSERT_EQUAL_FATAL(pvblk_fe_submit(fe, r, async_done, &a), 0);
	pvblk_fe_kick(fe);
	while (!a.done && spins++ < 10000)
		pvblk_fe_wait(fe, &a.done);
	CU_ASSERT_TRUE(a.done);
	return a.done ? a.status : 0xdead;
}

static void roundtrip_poll(uint32_t vector, uint32_t start, uint64_t io_poll_ns)
{
	const char *disks[1];
	struct pv_host h;
	struct pvblk_fe fe;
	struct img m;
	uint8_t *buf;

	img_make(&m, IMG_BYTES);
	disks[0] = m.path;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, io_poll_ns), 0);
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
		for (uint32_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rnd();
		memcpy(m.data + sec * 512, buf, n);
		CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_WRITE, sec, buf, n), HV_BLK_S_OK);
	}
	CU_ASSERT_EQUAL(pvblk_fe_flush(&fe), HV_BLK_S_OK);
	CU_ASSERT_TRUE(img_matches(&m, IMG_BYTES));
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	if (vector) {
		CU_ASSERT(h.irqs > 0);
	} else {
		CU_ASSERT_EQUAL(h.vm->pvblk[0].st.irqs, 0); /* polling: never interrupted */
	}
	pv_host_destroy(&h);
	img_drop(&m);
}

static void roundtrip(uint32_t vector, uint32_t start)
{
	roundtrip_poll(vector, start, 0);
}

static void test_roundtrip_irq(void) { roundtrip(VEC, 0); }
/* hv's I/O thread busy-polling (--io-poll): same results, fewer doorbells. */
static void test_roundtrip_iopoll(void) { roundtrip_poll(VEC, 0xfffffff0u, 200000); }
static void test_roundtrip_poll(void) { roundtrip(0, 0); }
static void test_roundtrip_wrap(void) { roundtrip(VEC, 0xfffffffau); }

static void test_attach_checks(void)
{
	const char *disks[1] = { "null:1M" };
	struct hv_queue_setup *s;
	struct pv_host h;
	uint64_t sgpa;
	const uint64_t a_bad_dev[HC_NARGS] = { 99, 0x1000 };
	const uint64_t a_uart[HC_NARGS] = { 0, 0x1000 };

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	s = h.os.dma_alloc(&h, sizeof(*s), &sgpa);
	const uint64_t a[HC_NARGS] = { 1, sgpa };
	const uint64_t a_far[HC_NARGS] = { 1, MEM - 16 };
#define TRY(...) (*s = (struct hv_queue_setup){ __VA_ARGS__ }, hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a))
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 6, 8, VEC, 0), -HV_EINVAL);  /* not 2^n */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 16, 8, VEC, 0), -HV_EINVAL); /* cq < sq */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8192, 8192, VEC, 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100020, 0x200000, 8, 8, VEC, 0), -HV_EINVAL);  /* misaligned */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, 7, 0), -HV_EINVAL);    /* exception vector */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, 255, 0), -HV_EINVAL);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, VEC, 1), -HV_EINVAL);  /* flags */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x100100, 8, 8, VEC, 0), -HV_EINVAL);  /* overlap */
	CU_ASSERT_EQUAL(TRY(MEM - 128, 0x200000, 8, 8, VEC, 0), -HV_EFAULT); /* past RAM */
	CU_ASSERT_EQUAL(TRY(UINT64_MAX - 63, 0x200000, 8, 8, VEC, 0), -HV_EFAULT); /* wraps */
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_far), -HV_EFAULT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_bad_dev), -HV_ENOENT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_ATTACH, a_uart), -HV_EINVAL);
	CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_DETACHED); /* none of that changed it */
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, VEC, 0), HV_NOTIFY_PORT_BASE);
	CU_ASSERT_EQUAL(TRY(0x100000, 0x200000, 8, 8, VEC, 0), -HV_EBUSY);
#undef TRY
	pv_host_destroy(&h);
}

/* Every malformed request gets its status; the image is untouched. */
static void test_hostile_requests(void)
{
	const char *disks[2];
	struct img m, ro;
	struct pv_host h;
	struct pvblk_fe fe, fro;
	struct hv_blk_req r;
	uint8_t *buf;
	char spec[80];
	unsigned i;

	img_make(&m, IMG_BYTES);
	img_make(&ro, IMG_BYTES);
	snprintf(spec, sizeof(spec), "%s,ro", ro.path);
	disks[0] = m.path;
	disks[1] = spec;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 2, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fro, 1, 16, 0, 0), 0);
	CU_ASSERT_TRUE(fro.ro);
	buf = pv_host_alloc(&h, 8192);
	uint64_t pa = h.os.virt_to_phys(&h, buf);

#define REQ(op_, sec_, n_, ...)                                                    \
	(r = (struct hv_blk_req){ .op = (op_), .sector = (sec_), .nr_seg = (n_),   \
				  .seg = { __VA_ARGS__ } },                        \
	 raw(&fe, &r))
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, IMG_SECTORS, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(REQ(HV_BLK_OP_WRITE, IMG_SECTORS - 1, 1, { pa, 1024 }), HV_BLK_S_BADREQ);
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
	/* 14 segments of 1 MiB: each fine, together over the per-request bound. */
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .nr_seg = 2 };
	r.seg[0] = (struct hv_blk_seg){ 0x400000, HV_BLK_MAX_BYTES, 0 };
	r.seg[1] = (struct hv_blk_seg){ 0x400000, 512, 0 };
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_BADREQ);
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .nr_seg = 1, .reserved = 1 };
	r.seg[0] = (struct hv_blk_seg){ pa, 512, 0 };
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_BADREQ);
	/* A write to the read-only disk. */
	memset(buf, 0xee, 4096);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fro, HV_BLK_OP_WRITE, 0, buf, 4096), HV_BLK_S_RO);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fro, HV_BLK_OP_READ, 8, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(buf, ro.data + 4096, 4096), 0);
	/* Multi-segment (scatter) read: the device still works. */
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .sector = 3, .nr_seg = 3 };
	for (i = 0; i < 3; i++)
		r.seg[i] = (struct hv_blk_seg){ pa + 1024 * (2 - i), 512, 0 };
	CU_ASSERT_EQUAL(raw(&fe, &r), HV_BLK_S_OK);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(memcmp(buf + 1024 * (2 - i), m.data + (3 + i) * 512, 512), 0);
#undef REQ
	CU_ASSERT_EQUAL(h.vm->pvblk[0].st.bad_reqs, 16);
	CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_ACTIVE);
	pv_host_destroy(&h);
	CU_ASSERT_TRUE(img_matches(&m, IMG_BYTES));
	CU_ASSERT_TRUE(img_matches(&ro, IMG_BYTES));
	img_drop(&m);
	img_drop(&ro);
}

/* A guest that scribbles ring indices loses its queue, nothing else. */
static void test_hostile_ring(void)
{
	const char *disks[2] = { "null:1M", "null:1M" };
	struct pv_host h;
	struct pvblk_fe a, b;
	uint8_t *buf;
	int i;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 2, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &a, 0, 8, VEC, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &b, 1, 8, VEC, 0), 0);
	buf = pv_host_alloc(&h, 4096);
	a.ring.sq->prod += 1000; /* jumps past the ring */
	h.os.notify(&h, a.port, 0);
	for (i = 0; i < 500 && __atomic_load_n(&h.vm->pvblk[0].state, __ATOMIC_ACQUIRE) !=
				     PVBLK_BROKEN; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_BROKEN);
	memset(buf, 0x55, 4096);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&b, HV_BLK_OP_READ, 0, buf, 4096), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(buf[100], 0); /* the null device reads zeros */
	/* Completion consumer index beyond the producer: that queue breaks too. */
	b.ring.cq->cons += 100;
	{
		struct hv_blk_req r;
		struct async x = { 0, 0, 0 };
		pvblk_fe_prep(&b, &r, HV_BLK_OP_READ, 0, buf, 512);
		CU_ASSERT_EQUAL(pvblk_fe_submit(&b, &r, async_done, &x), 0);
		pvblk_fe_kick(&b);
		for (i = 0; i < 500 && __atomic_load_n(&h.vm->pvblk[1].state, __ATOMIC_ACQUIRE) !=
					     PVBLK_BROKEN; i++)
			usleep(1000);
		CU_ASSERT_EQUAL(h.vm->pvblk[1].state, PVBLK_BROKEN);
		CU_ASSERT_FALSE(x.done);
	}
	pv_host_destroy(&h);
}

/* Detach lets go of a queue, even a broken one; a new attach then works. */
static void test_detach_reattach(void)
{
	const char *disks[1];
	const uint64_t a_bad[HC_NARGS] = { 99 }, a_uart[HC_NARGS] = { 0 };
	struct pv_host h;
	struct pvblk_fe fe;
	struct img m;
	uint8_t *buf;
	int i;

	img_make(&m, IMG_BYTES);
	disks[0] = m.path;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a_bad), -HV_ENOENT);
	CU_ASSERT_EQUAL(hc_dispatch(h.vm, HV_HC_QUEUE_DETACH, a_uart), -HV_EINVAL);
	CU_ASSERT_EQUAL(pvblk_detach(&h.vm->pvblk[0], NULL), 0); /* never attached: fine */
	buf = pv_host_alloc(&h, 8192);
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 8, round == 1 ? 0 : VEC,
						     0xfffffffcu + (uint32_t)round), 0);
		CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, (uint64_t)round, buf, 8192),
				HV_BLK_S_OK);
		CU_ASSERT_EQUAL(memcmp(buf, m.data + round * 512, 8192), 0);
		if (round == 2) { /* break it first: detach must still work */
			fe.ring.sq->prod += 500;
			h.os.notify(&h, fe.port, 0);
			for (i = 0; i < 500 && __atomic_load_n(&h.vm->pvblk[0].state,
							   __ATOMIC_ACQUIRE) != PVBLK_BROKEN; i++)
				usleep(1000);
			CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_BROKEN);
		}
		CU_ASSERT_EQUAL(pvblk_fe_detach(&fe), 0);
		CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_DETACHED);
	}
	/* Detached, the doorbell does nothing and hv touches no ring. */
	h.os.notify(&h, HV_NOTIFY_PORT_BASE, 0);
	usleep(10000);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 7), 0);
	CU_ASSERT_EQUAL(pvblk_fe_rw(&fe, HV_BLK_OP_READ, 0, buf, 4096), HV_BLK_S_OK);
	pv_host_destroy(&h);
	img_drop(&m);
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
	const char *disks[1];
	struct pv_host h;
	struct pvblk_fe fe;
	struct img m;
	struct qd_io io[QD];
	unsigned left, round, i, bad = 0;
	int spins = 0;

	img_make(&m, IMG_BYTES);
	disks[0] = m.path;
	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
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
				for (unsigned j = 0; j < BLK; j++)
					io[i].buf[j] = (uint8_t)rnd();
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
	pv_host_destroy(&h);
	CU_ASSERT_TRUE(img_matches(&m, IMG_BYTES));
	img_drop(&m);
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
 * every boundary): each completes with a defined status, a write never
 * lands unless it was valid, and the queue keeps working.
 */
static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

static void fuzz_done(void *arg, uint32_t status, uint32_t bytes)
{
	unsigned *counts = arg;
	counts[status < 5 ? status : 5]++;
	(void)bytes;
}

static void test_random_requests(void)
{
	const char *disks[1] = { "null:1M" };
	const uint64_t gpas[] = { 0, 512, 0x400000, MEM - 512, MEM - 4096, MEM, MEM + 512,
				  0x400001, UINT64_MAX - 511, UINT64_MAX, 1ull << 63, 0xc00000 };
	/* (Not the rings at 8 MiB: a read into its own ring breaks the queue, by design.) */
	const uint64_t lens[] = { 0, 1, 511, 512, 4096, HV_BLK_MAX_BYTES, HV_BLK_MAX_BYTES + 512,
				  0xffffffffu, 100 };
	const uint64_t secs[] = { 0, 1, IMG_SECTORS - 1, IMG_SECTORS, IMG_SECTORS + 1,
				  UINT64_MAX, UINT64_MAX - 1, 1ull << 55 };
	unsigned counts[6] = { 0 }, i, j, total = 0;
	struct pv_host h;
	struct pvblk_fe fe;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pv_host_attach(&h, &fe, 0, 16, VEC, 0xfffff000u), 0);
	for (i = 0; i < 4000; i++) {
		struct hv_blk_req r = { .op = (uint32_t)(rnd() % 4), .sector = pick(secs, 8),
					.nr_seg = (uint32_t)(rnd() % 17) };
		if (rnd() % 16 == 0)
			r.reserved = rnd();
		for (j = 0; j < HV_BLK_MAX_SEG; j++) {
			r.seg[j].gpa = pick(gpas, sizeof(gpas) / 8);
			r.seg[j].len = (uint32_t)pick(lens, sizeof(lens) / 8);
			r.seg[j].reserved = rnd() % 32 == 0;
		}
		while (pvblk_fe_submit(&fe, &r, fuzz_done, counts)) {
			int flag = 0;
			pvblk_fe_kick(&fe);
			pvblk_fe_wait(&fe, &flag);
			CU_ASSERT_EQUAL_FATAL(h.vm->pvblk[0].state, PVBLK_ACTIVE); /* never hang */
		}
		if (i % 7 == 0)
			pvblk_fe_kick(&fe);
	}
	pvblk_fe_kick(&fe);
	for (j = 0; j < 10000 && fe.outstanding; j++) {
		int flag = 0;
		pvblk_fe_wait(&fe, &flag);
	}
	for (i = 0; i < 6; i++)
		total += counts[i];
	CU_ASSERT_EQUAL(total, 4000);
	CU_ASSERT_EQUAL(counts[5], 0);            /* only defined statuses */
	CU_ASSERT(counts[HV_BLK_S_BADREQ] > 1000); /* most of it is garbage */
	CU_ASSERT(counts[HV_BLK_S_OK] > 10);       /* and some of it is not */
	CU_ASSERT(counts[HV_BLK_S_UNSUPP] > 10);
	CU_ASSERT_EQUAL(h.vm->pvblk[0].state, PVBLK_ACTIVE);
	CU_ASSERT_EQUAL(h.wait_timeouts, 0);
	pv_host_destroy(&h);
}

int suite_pvblk(void)
{
	static const CU_TestInfo tests[] = {
		{ "attach: every bad setup refused, state unchanged", test_attach_checks },
		{ "read/write/flush round trip, interrupts", test_roundtrip_irq },
		{ "read/write/flush round trip, polling", test_roundtrip_poll },
		{ "round trip across the 2^32 index wrap", test_roundtrip_wrap },
		{ "round trip with hv's I/O thread busy-polling", test_roundtrip_iopoll },
		{ "hostile requests: statuses, images unchanged", test_hostile_requests },
		{ "hostile ring indices break only that queue", test_hostile_ring },
		{ "detach (also a broken queue) and attach again", test_detach_reattach },
		{ "depth 32 mixed reads and writes, byte for byte", test_depth32_mixed },
		{ "out-of-order completions matched by id", test_out_of_order },
		{ "4000 structured-random requests", test_random_requests },
		CU_TEST_INFO_NULL,
	};
	return add_suite("pvblk", tests);
}
