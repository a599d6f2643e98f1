/* blkhostile and traphostile: the guest attacks hv's two block devices, checks each answer. */
#include "apic.h"
#include "blkdev.h"
#include "hv_trapblk.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "mmio.h"
#include "programs.h"
#include "pvblk_fe.h"
#include "pvblk_glue.h"
#include "tally.h"
#include "trapblk_drv.h"

/*
 * Each program sends what its protocol forbids, checks every status hv
 * gives back, then proves the device still works.  A tally is one run: its
 * name, which starts every line, and its failed checks (the exit status).
 */

/* Starts a run: the name, a zero count, and two pages to aim with. */
static uint8_t *begin(struct tally *t, const char *name)
{
	uint8_t *buf = blkdev_buf_alloc(2 * PAGE_SIZE);

	*t = (struct tally){ name, 0 };
	if (!buf)
		printf("%s: out of memory\n", name);
	return buf;
}

static void check(struct tally *t, const char *what, uint32_t got, uint32_t want)
{
	tally_status(t, what, got, want, blk_status_name);
}

/*
 * One raw request, waited for by blk_sync (the one synchronous loop) with
 * this adapter: blk_sync would build a request from its op, sector and
 * buffer, and these requests are malformed on purpose.
 */
struct raw {
	struct pvblk_fe *fe;
	struct hv_blk_req *r;
};

static int raw_submit(void *drv, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		      blk_sync_done_fn fn, void *arg)
{
	struct raw *x = drv;

	(void)op, (void)sector, (void)buf, (void)bytes; /* all in x->r already */
	return pvblk_fe_submit(x->fe, x->r, fn, arg);
}

static void raw_kick(void *drv)
{
	pvblk_fe_kick(((struct raw *)drv)->fe);
}

static void raw_wait(void *drv, const volatile int *flag)
{
	pvblk_fe_wait(((struct raw *)drv)->fe, flag);
}

static const struct blk_sync_ops raw_ops = { raw_submit, raw_kick, raw_wait };

static uint32_t send(struct pvblk_fe *fe, struct hv_blk_req *r)
{
	struct raw x = { fe, r };
	struct blk_sync_dev s = { &raw_ops, &x, &fe->progress, HV_BLK_MAX_BYTES };
	uint32_t i, bytes = 0;

	/* What a success must report moving (blk_sync checks it): the segments' bytes. */
	for (i = 0; i < r->nr_seg && i < HV_BLK_MAX_SEG; i++)
		bytes += r->seg[i].len;
	return blk_sync_io(&s, r->op, r->sector, NULL, bytes);
}

/*
 * blkhostile PVDEV [RING-PVDEV]: every malformed request the PV protocol
 * forbids, then RING-PVDEV's queue broken with a wild ring index and reset.
 * Its only valid write is 8 sectors of 0x5a at sector 16 (the host checks
 * the image is otherwise unchanged).
 */
int cmd_blkhostile(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = argc > 1 ? blkdev_find(argv[1]) : NULL;
	struct blkdev *victim = argc > 2 ? blkdev_find(argv[2]) : NULL;
	struct pvblk_fe *fe = pvblk_glue_fe(d), *vfe = pvblk_glue_fe(victim);
	uint64_t mem = bi->mem_size, cap, pa;
	struct hv_blk_req r;
	struct tally t;
	uint8_t *buf, *big;
	unsigned i;

	if (!fe || (argc > 2 && !vfe)) {
		printf("usage: blkhostile PVDEV [RING-PVDEV]   (pvblk devices only)\n");
		return 2;
	}
	cap = fe->sectors;
	buf = begin(&t, "blkhostile");
	big = blkdev_buf_alloc(HV_BLK_MAX_BYTES + PAGE_SIZE);
	if (!buf || !big)
		return 1;
	pa = (uint64_t)(uintptr_t)buf;
#define REQ(op_, sec_, n_, ...)                                                          \
	(r = (struct hv_blk_req){ .op = (op_), .sector = (sec_), .nr_seg = (n_),         \
				  .seg = { __VA_ARGS__ } },                              \
	 send(fe, &r))
	check(&t, "write past the last sector", REQ(HV_BLK_OP_WRITE, cap, 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "write straddling the end", REQ(HV_BLK_OP_WRITE, cap - 1, 1, { pa, 1024 }),
	      HV_BLK_S_BADREQ);
	check(&t, "read at sector 2^64-1", REQ(HV_BLK_OP_READ, ~0ull, 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "segment outside guest RAM", REQ(HV_BLK_OP_READ, 0, 1, { mem, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "segment straddling the end of RAM", REQ(HV_BLK_OP_READ, 0, 1, { mem - 512, 1024 }),
	      HV_BLK_S_BADREQ);
	check(&t, "segment wrapping around 2^64", REQ(HV_BLK_OP_READ, 0, 1, { ~0ull - 511, 1024 }),
	      HV_BLK_S_BADREQ);
	check(&t, "segment at a 64 GiB MMIO address", REQ(HV_BLK_OP_READ, 0, 1, { HV_MMIO_BASE, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "zero-length segment", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 0 }), HV_BLK_S_BADREQ);
	check(&t, "unaligned segment address", REQ(HV_BLK_OP_WRITE, 0, 1, { pa + 8, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "unaligned segment length", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 100 }),
	      HV_BLK_S_BADREQ);
	check(&t, "no segments", REQ(HV_BLK_OP_WRITE, 0, 0), HV_BLK_S_BADREQ);
	check(&t, "too many segments", REQ(HV_BLK_OP_WRITE, 0, HV_BLK_MAX_SEG + 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "2^32-1 segments", REQ(HV_BLK_OP_WRITE, 0, 0xffffffffu, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check(&t, "flush with a segment", REQ(HV_BLK_OP_FLUSH, 0, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	check(&t, "unknown operation", REQ(99, 0, 1, { pa, 512 }), HV_BLK_S_UNSUPP);
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .nr_seg = 2 };
	r.seg[0] = (struct hv_blk_seg){ (uint64_t)(uintptr_t)big, HV_BLK_MAX_BYTES, 0 };
	r.seg[1] = (struct hv_blk_seg){ pa, 512, 0 };
	check(&t, "more than 1 MiB in one request", send(fe, &r), HV_BLK_S_BADREQ);
	if (fe->ro) {
		check(&t, "write to a read-only disk", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 512 }),
		      HV_BLK_S_RO);
	} else {
		memset(buf, 0x5a, 4096);
		check(&t, "valid write after all that", REQ(HV_BLK_OP_WRITE, 16, 1, { pa, 4096 }),
		      HV_BLK_S_OK);
	}
	if (vfe) {
		int64_t rc;
		/* Publish an index 1000 entries past the ring, then ring the bell. */
		__atomic_store_n(&vfe->ring.sq->prod, vfe->ring.sq_prod + 1000, __ATOMIC_RELEASE);
		asm volatile("outl %0, %1" : : "a"(0), "Nd"(vfe->port) : "memory");
		/* The doorbell is served asynchronously: give hv's I/O thread time to see it. */
		sleep_ns(100 * 1000 * 1000);
		rc = hv_call2(HV_HC_QUEUE_ATTACH, vfe->dev_index, pa);
		tally_true(&t, "attaching over an attached queue is refused", rc == -HV_EBUSY);
		tally_true(&t, "detach the broken queue, attach new rings", pvblk_glue_reattach(victim) == 0);
		check(&t, "the reset device reads again",
		      blkdev_rw(victim, HV_BLK_OP_READ, 0, buf + 4096, 4096), HV_BLK_S_OK);
	}
	memset(buf, 0, 4096);
	check(&t, "read back after the attacks", REQ(HV_BLK_OP_READ, 16, 1, { pa, 4096 }),
	      HV_BLK_S_OK);
	for (i = 0; i < 4096 && (fe->ro || buf[i] == 0x5a); i++)
		;
	tally_true(&t, "data is what the valid write put there", i == 4096);
	check(&t, "flush", REQ(HV_BLK_OP_FLUSH, 0, 0), HV_BLK_S_OK);
#undef REQ
	printf("blkhostile: %d failures\n", t.failures);
	return t.failures;
}

/*
 * traphostile TRAPDEV: bad register values on the trap controller, each
 * checked against the status it must give, then a normal read.  It programs
 * the registers itself (not through trapblk_drv) to send what no driver would.
 */
struct trapctl {
	volatile uint8_t *regs;
	bool timed_out; /* a command took over 2 s: the controller may still be busy */
};

/* One command straight on the registers; its status, 0xffff after a timeout. */
static uint32_t trap_cmd(struct trapctl *c, uint32_t cmd, uint64_t sector, uint32_t count,
			 uint64_t dma)
{
	volatile uint8_t *regs = c->regs;
	uint64_t deadline;
	uint32_t st;

	if (c->timed_out)
		return 0xffff; /* the controller may still be busy: nothing more is meaningful */
	mmio_wr64(regs, HV_TRAPBLK_R_SECTOR, sector);
	mmio_wr32(regs, HV_TRAPBLK_R_COUNT, count);
	mmio_wr64(regs, HV_TRAPBLK_R_DMA, dma);
	mmio_wr32(regs, HV_TRAPBLK_R_CMD, cmd);
	deadline = hv_time_ns() + 2000000000ull;
	do {
		st = mmio_rd32(regs, HV_TRAPBLK_R_STATUS);
		if (!(st & HV_TRAPBLK_ST_BUSY)) {
			mmio_wr32(regs, HV_TRAPBLK_R_ISR, HV_TRAPBLK_INT_DONE);
			return st & 0xff;
		}
	} while (hv_time_ns() < deadline);
	c->timed_out = true;
	return 0xffff;
}

int cmd_traphostile(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct blkdev *d = argc > 1 ? blkdev_find(argv[1]) : NULL;
	struct trapctl c = { trapblk_drv_regs(d), false };
	uint64_t mem = bi->mem_size, cap, pa;
	struct tally t;
	uint8_t *buf;

	if (!c.regs) {
		printf("usage: traphostile TRAPDEV   (trapblk devices only)\n");
		return 2;
	}
	cap = d->sectors;
	buf = begin(&t, "traphostile");
	if (!buf)
		return 1;
	pa = (uint64_t)(uintptr_t)buf;
	check(&t, "DMA address outside guest RAM", trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 1, mem),
	      HV_BLK_S_BADREQ);
	check(&t, "DMA straddling the end of RAM",
	      trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 2, mem - 512), HV_BLK_S_BADREQ);
	check(&t, "DMA wrapping around 2^64",
	      trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 2, ~0ull - 511), HV_BLK_S_BADREQ);
	check(&t, "DMA into the device's own window",
	      trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 1, HV_MMIO_BASE), HV_BLK_S_BADREQ);
	check(&t, "unaligned DMA address", trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 1, pa + 8),
	      HV_BLK_S_BADREQ);
	check(&t, "zero sectors", trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, 0, pa), HV_BLK_S_BADREQ);
	check(&t, "more sectors than one command may move",
	      trap_cmd(&c, HV_TRAPBLK_CMD_READ, 0, HV_TRAPBLK_MAX_SECTORS + 1, pa),
	      HV_BLK_S_BADREQ);
	check(&t, "sector past the end", trap_cmd(&c, HV_TRAPBLK_CMD_READ, cap, 1, pa),
	      HV_BLK_S_BADREQ);
	check(&t, "sectors straddling the end", trap_cmd(&c, HV_TRAPBLK_CMD_WRITE, cap - 1, 2, pa),
	      HV_BLK_S_BADREQ);
	check(&t, "sector 2^64-1", trap_cmd(&c, HV_TRAPBLK_CMD_READ, ~0ull, 1, pa), HV_BLK_S_BADREQ);
	check(&t, "unknown command", trap_cmd(&c, 0x77, 0, 1, pa), HV_BLK_S_UNSUPP);
	if (d->ro)
		check(&t, "write to a read-only disk", trap_cmd(&c, HV_TRAPBLK_CMD_WRITE, 0, 1, pa),
		      HV_BLK_S_RO);
	check(&t, "IDENTIFY", trap_cmd(&c, HV_TRAPBLK_CMD_IDENTIFY, 0, 0, pa), HV_BLK_S_OK);
	tally_true(&t, "IDENTIFY reports the capacity",
		   ((struct hv_trapblk_identify *)buf)->capacity == cap);
	if (c.timed_out)
		tally_true(&t, "the controller answered every command within 2 s", false);
	else
		check(&t, "a normal read still works", blkdev_rw(d, HV_BLK_OP_READ, 0, buf, 4096),
		      HV_BLK_S_OK);
	printf("traphostile: %d failures\n", t.failures);
	return t.failures;
}
