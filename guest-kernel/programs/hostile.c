/*
 * blkhostile DEV [RING-DEV]: the guest as an attacker of hv's PV block
 * backend.  Sends every malformed request the protocol forbids and checks
 * each status, breaks RING-DEV's queue with a wild ring index, then proves
 * DEV still works.  Its only valid write is 8 sectors of 0x5a at sector 16
 * (the host checks the image is otherwise unchanged).  Exit status: failures.
 */
#include "blkdev.h"
#include "hv_trapblk.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "apic.h"
#include "pvblk_fe.h"

static uint32_t send(struct pvblk_fe *fe, struct hv_blk_req *r)
{
	struct blk_wait h = { 0, 0, 0 };

	if (pvblk_fe_submit(fe, r, blk_wait_done, &h))
		return 0xffff;
	pvblk_fe_kick(fe);
	while (!h.done)
		pvblk_fe_wait(fe, &h.done);
	return h.status;
}

static int failures;
static const char *prog;

/* Starts a hostile program: its name, a zero count, two pages to aim with. */
static uint8_t *begin(const char *name)
{
	uint8_t *buf = (uint8_t *)(uintptr_t)pmm_alloc_contig(2);

	prog = name;
	failures = 0;
	if (!buf)
		printf("%s: out of memory\n", name);
	return buf;
}

static void check(const char *what, uint32_t got, uint32_t want)
{
	printf("%s: %-44s %s (%s)\n", prog, what, got == want ? "ok" : "FAIL",
	       blk_status_name(got));
	failures += got != want;
}

/* A yes/no check, for what has no status. */
static void check_true(const char *what, bool ok)
{
	printf("%s: %-44s %s\n", prog, what, ok ? "ok" : "FAIL");
	failures += !ok;
}

int cmd_blkhostile(int argc, char **argv)
{
	struct blkdev *d = argc > 1 ? blkdev_find(argv[1]) : NULL;
	struct blkdev *victim = argc > 2 ? blkdev_find(argv[2]) : NULL;
	struct pvblk_fe *fe = pvblk_fe_of(d), *vfe = pvblk_fe_of(victim);
	uint64_t mem = boot_info.mem_size, cap, pa;
	struct hv_blk_req r;
	uint8_t *buf, *big;
	unsigned i;

	if (!fe || (argc > 2 && !vfe)) {
		printf("usage: blkhostile PVDEV [RING-PVDEV]   (pvblk devices only)\n");
		return 2;
	}
	cap = fe->sectors;
	buf = begin("blkhostile");
	big = (uint8_t *)(uintptr_t)pmm_alloc_contig(HV_BLK_MAX_BYTES / PAGE_SIZE + 1);
	if (!buf || !big)
		return 1;
	pa = (uint64_t)(uintptr_t)buf;
#define REQ(op_, sec_, n_, ...)                                                          \
	(r = (struct hv_blk_req){ .op = (op_), .sector = (sec_), .nr_seg = (n_),         \
				  .seg = { __VA_ARGS__ } },                              \
	 send(fe, &r))
	check("write past the last sector", REQ(HV_BLK_OP_WRITE, cap, 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check("write straddling the end", REQ(HV_BLK_OP_WRITE, cap - 1, 1, { pa, 1024 }),
	      HV_BLK_S_BADREQ);
	check("read at sector 2^64-1", REQ(HV_BLK_OP_READ, ~0ull, 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check("segment outside guest RAM", REQ(HV_BLK_OP_READ, 0, 1, { mem, 512 }),
	      HV_BLK_S_BADREQ);
	check("segment straddling the end of RAM", REQ(HV_BLK_OP_READ, 0, 1, { mem - 512, 1024 }),
	      HV_BLK_S_BADREQ);
	check("segment wrapping around 2^64", REQ(HV_BLK_OP_READ, 0, 1, { ~0ull - 511, 1024 }),
	      HV_BLK_S_BADREQ);
	check("segment at a 64 GiB MMIO address", REQ(HV_BLK_OP_READ, 0, 1, { HV_MMIO_BASE, 512 }),
	      HV_BLK_S_BADREQ);
	check("zero-length segment", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 0 }), HV_BLK_S_BADREQ);
	check("unaligned segment address", REQ(HV_BLK_OP_WRITE, 0, 1, { pa + 8, 512 }),
	      HV_BLK_S_BADREQ);
	check("unaligned segment length", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 100 }),
	      HV_BLK_S_BADREQ);
	check("no segments", REQ(HV_BLK_OP_WRITE, 0, 0), HV_BLK_S_BADREQ);
	check("too many segments", REQ(HV_BLK_OP_WRITE, 0, HV_BLK_MAX_SEG + 1, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check("2^32-1 segments", REQ(HV_BLK_OP_WRITE, 0, 0xffffffffu, { pa, 512 }),
	      HV_BLK_S_BADREQ);
	check("flush with a segment", REQ(HV_BLK_OP_FLUSH, 0, 1, { pa, 512 }), HV_BLK_S_BADREQ);
	check("unknown operation", REQ(99, 0, 1, { pa, 512 }), HV_BLK_S_UNSUPP);
	r = (struct hv_blk_req){ .op = HV_BLK_OP_READ, .nr_seg = 2 };
	r.seg[0] = (struct hv_blk_seg){ (uint64_t)(uintptr_t)big, HV_BLK_MAX_BYTES, 0 };
	r.seg[1] = (struct hv_blk_seg){ pa, 512, 0 };
	check("more than 1 MiB in one request", send(fe, &r), HV_BLK_S_BADREQ);
	if (fe->ro) {
		check("write to a read-only disk", REQ(HV_BLK_OP_WRITE, 0, 1, { pa, 512 }),
		      HV_BLK_S_RO);
	} else {
		memset(buf, 0x5a, 4096);
		check("valid write after all that", REQ(HV_BLK_OP_WRITE, 16, 1, { pa, 4096 }),
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
		check_true("attaching over an attached queue is refused", rc == -HV_EBUSY);
		check_true("detach the broken queue, attach new rings", pvblk_reset(victim) == 0);
		check("the reset device reads again",
		      blkdev_rw(victim, HV_BLK_OP_READ, 0, buf + 4096, 4096), HV_BLK_S_OK);
	}
	memset(buf, 0, 4096);
	check("read back after the attacks", REQ(HV_BLK_OP_READ, 16, 1, { pa, 4096 }),
	      HV_BLK_S_OK);
	for (i = 0; i < 4096 && (fe->ro || buf[i] == 0x5a); i++)
		;
	check_true("data is what the valid write put there", i == 4096);
	check("flush", REQ(HV_BLK_OP_FLUSH, 0, 0), HV_BLK_S_OK);
#undef REQ
	printf("blkhostile: %d failures\n", failures);
	return failures;
}

/*
 * traphostile TRAPDEV: bad register values on the trap controller, each
 * checked against the status it must give, then a normal read.
 */
static bool timed_out;

static uint32_t trap_cmd(volatile uint8_t *regs, uint32_t cmd, uint64_t sector, uint32_t count,
			 uint64_t dma)
{
	uint64_t deadline;
	uint32_t st;

	if (timed_out)
		return 0xffff; /* the controller may still be busy: nothing more is meaningful */
	*(volatile uint64_t *)(regs + HV_TRAPBLK_R_SECTOR) = sector;
	*(volatile uint32_t *)(regs + HV_TRAPBLK_R_COUNT) = count;
	*(volatile uint64_t *)(regs + HV_TRAPBLK_R_DMA) = dma;
	*(volatile uint32_t *)(regs + HV_TRAPBLK_R_CMD) = cmd;
	deadline = hv_time_ns() + 2000000000ull;
	do {
		st = *(volatile uint32_t *)(regs + HV_TRAPBLK_R_STATUS);
		if (!(st & HV_TRAPBLK_ST_BUSY)) {
			*(volatile uint32_t *)(regs + HV_TRAPBLK_R_ISR) = HV_TRAPBLK_INT_DONE;
			return st & 0xff;
		}
	} while (hv_time_ns() < deadline);
	timed_out = true;
	return 0xffff;
}

int cmd_traphostile(int argc, char **argv)
{
	struct blkdev *d = argc > 1 ? blkdev_find(argv[1]) : NULL;
	volatile uint8_t *regs = trapblk_regs(d);
	uint64_t mem = boot_info.mem_size, cap, pa;
	uint8_t *buf;

	if (!regs) {
		printf("usage: traphostile TRAPDEV   (trapblk devices only)\n");
		return 2;
	}
	cap = d->sectors;
	buf = begin("traphostile");
	if (!buf)
		return 1;
	timed_out = false;
	pa = (uint64_t)(uintptr_t)buf;
	check("DMA address outside guest RAM", trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 1, mem),
	      HV_BLK_S_BADREQ);
	check("DMA straddling the end of RAM",
	      trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 2, mem - 512), HV_BLK_S_BADREQ);
	check("DMA wrapping around 2^64",
	      trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 2, ~0ull - 511), HV_BLK_S_BADREQ);
	check("DMA into the device's own window",
	      trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 1, HV_MMIO_BASE), HV_BLK_S_BADREQ);
	check("unaligned DMA address", trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 1, pa + 8),
	      HV_BLK_S_BADREQ);
	check("zero sectors", trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, 0, pa), HV_BLK_S_BADREQ);
	check("more sectors than one command may move",
	      trap_cmd(regs, HV_TRAPBLK_CMD_READ, 0, HV_TRAPBLK_MAX_SECTORS + 1, pa),
	      HV_BLK_S_BADREQ);
	check("sector past the end", trap_cmd(regs, HV_TRAPBLK_CMD_READ, cap, 1, pa),
	      HV_BLK_S_BADREQ);
	check("sectors straddling the end", trap_cmd(regs, HV_TRAPBLK_CMD_WRITE, cap - 1, 2, pa),
	      HV_BLK_S_BADREQ);
	check("sector 2^64-1", trap_cmd(regs, HV_TRAPBLK_CMD_READ, ~0ull, 1, pa), HV_BLK_S_BADREQ);
	check("unknown command", trap_cmd(regs, 0x77, 0, 1, pa), HV_BLK_S_UNSUPP);
	if (d->ro)
		check("write to a read-only disk", trap_cmd(regs, HV_TRAPBLK_CMD_WRITE, 0, 1, pa),
		      HV_BLK_S_RO);
	check("IDENTIFY", trap_cmd(regs, HV_TRAPBLK_CMD_IDENTIFY, 0, 0, pa), HV_BLK_S_OK);
	check_true("IDENTIFY reports the capacity",
		   ((struct hv_trapblk_identify *)buf)->capacity == cap);
	if (timed_out)
		check_true("the controller answered every command within 2 s", false);
	else
		check("a normal read still works", blkdev_rw(d, HV_BLK_OP_READ, 0, buf, 4096),
		      HV_BLK_S_OK);
	printf("traphostile: %d failures\n", failures);
	return failures;
}
