/* flood: the hypercall port, the doorbells or the trap registers hammered for S seconds. */
#include "blkdev.h"
#include "blkworkloads.h"
#include "hv_ring.h"
#include "hv_trapblk.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "mmio.h"
#include "programs.h"
#include "pvblk_fe.h"
#include "pvblk_glue.h"
#include "trapblk_drv.h"

/*
 * A guest that does nothing but make hv work: every access is an exit (or
 * an ioeventfd signal), none of them useful.  hv must answer each one the
 * same way the thousandth time as the first, keep its memory flat (the
 * host samples hv's RSS meanwhile), and leave the devices working: after
 * the flood every disk reads again.  Nothing here writes a disk, so the
 * host also checks the images are unchanged.
 */

enum { HC_CALLS = 24 };

struct hc_call {
	uint64_t nr, a0, a1;
	int64_t want;
};

struct flood {
	uint64_t mem, scratch, rng;
	struct hc_call hc[HC_CALLS];
	unsigned nhc;
	uint16_t bell[HV_MAX_DEVS_PER_KIND]; /* the attached PV disks' notify ports */
	unsigned nbell;
	volatile uint8_t *trap[HV_MAX_DEVS_PER_KIND];
	uint64_t trap_cap[HV_MAX_DEVS_PER_KIND];
	unsigned ntrap;
	uint64_t ops, unexpected;
};

/* ---- the hypercall port ----------------------------------------------------- */

static void hc_add(struct flood *f, uint64_t nr, uint64_t a0, uint64_t a1, int64_t want)
{
	f->hc[f->nhc++] = (struct hc_call){ nr, a0, a1, want };
}

/*
 * Calls with known answers: unknown numbers, ranges outside RAM or wrapping,
 * lengths over the bound, devices that do not exist or have no rings, a
 * second attach of an attached queue, a detach of a queue no disk has.
 * Nothing that succeeds changes hv's state.
 */
static void hc_setup(struct flood *f, const struct hv_boot_info *bi)
{
	uint64_t mem = f->mem, buf = f->scratch;
	uint32_t i, pv = ~0u, uart = ~0u;

	for (i = 0; i < bi->nr_dev; i++) {
		if (bi->dev[i].type == HV_DEV_PVBLK && pv == ~0u)
			pv = i;
		if (bi->dev[i].type == HV_DEV_UART && uart == ~0u)
			uart = i;
	}
	hc_add(f, HV_HC_MAX, 0, 0, -HV_ENOSYS);
	hc_add(f, ~0ull, 0, 0, -HV_ENOSYS);
	hc_add(f, 1ull << 63, 0, 0, -HV_ENOSYS);
	hc_add(f, HV_HC_VERSION, 0, 0, HV_ABI_VERSION);
	hc_add(f, HV_HC_CONSOLE_WRITE, buf, 0, 0);
	hc_add(f, HV_HC_CONSOLE_WRITE, mem, 16, -HV_EFAULT);
	hc_add(f, HV_HC_CONSOLE_WRITE, ~0ull - 7, 16, -HV_EFAULT);
	hc_add(f, HV_HC_CONSOLE_WRITE, buf, HV_CONSOLE_WRITE_MAX + 1, -HV_E2BIG);
	hc_add(f, HV_HC_DEV_INFO, 0, buf, 0);
	hc_add(f, HV_HC_DEV_INFO, 0, mem - 8, -HV_EFAULT);
	hc_add(f, HV_HC_DEV_INFO, bi->nr_dev, buf, -HV_ENOENT);
	hc_add(f, HV_HC_DEV_INFO, ~0ull, buf, -HV_ENOENT);
	hc_add(f, HV_HC_EXIT_COUNT, mem, 0, -HV_EFAULT);
	hc_add(f, HV_HC_QUEUE_ATTACH, bi->nr_dev, buf, -HV_ENOENT);
	if (uart != ~0u) { /* a device without rings */
		hc_add(f, HV_HC_QUEUE_ATTACH, uart, buf, -HV_EINVAL);
		hc_add(f, HV_HC_QUEUE_DETACH, uart, 0, -HV_EINVAL);
	}
	hc_add(f, HV_HC_QUEUE_DETACH, ~0ull, 0, -HV_ENOENT);
	if (pv != ~0u) {
		hc_add(f, HV_HC_QUEUE_ATTACH, pv, buf, -HV_EBUSY);
		hc_add(f, HV_HC_QUEUE_DETACH, pv, 1, -HV_EINVAL);
		hc_add(f, HV_HC_QUEUE_DETACH, pv, 1ull << 32, -HV_EINVAL);
	}
}

static void hc_step(struct flood *f)
{
	const struct hc_call *c = &f->hc[f->ops % f->nhc];
	uint32_t v = 0;

	if (hv_call2(c->nr, c->a0, c->a1) != c->want)
		f->unexpected++;
	/* The port's other uses, which are no hypercall: hv ignores writes, reads all ones. */
	switch (f->ops % 5) {
	case 0:
		asm volatile("outb %b0, %w1" : : "a"(0), "Nd"(HV_HC_PORT));
		break;
	case 1:
		asm volatile("outw %w0, %w1" : : "a"(HV_HC_EXIT), "Nd"(HV_HC_PORT));
		break;
	case 2:
		asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(HV_HC_PORT));
		f->unexpected += v != 0xffffffffu;
		break;
	case 3: { /* rep outsl: several 4-byte writes in one exit, none a hypercall */
		uint64_t src = f->scratch, n = 4;
		asm volatile("rep outsl" : "+S"(src), "+c"(n) : "d"(HV_HC_PORT) : "memory");
		break;
	}
	default:
		break;
	}
	f->ops++;
}

/* ---- the doorbells ---------------------------------------------------------- */

/*
 * Three accesses in four ring an attached queue's doorbell: an ioeventfd,
 * so KVM wakes hv's I/O thread, which finds no new request.  The fourth
 * goes to one of all the notify ports hv could hand out, at 1, 2 or 4
 * bytes: the unattached ones and the odd widths exit to hv as ports
 * nobody claims.
 */
static void bell_step(struct flood *f)
{
	uint64_t n = f->ops;
	uint16_t port = (uint16_t)(HV_NOTIFY_PORT_BASE + 4 * (n / 4 % HV_NOTIFY_PORT_COUNT));
	uint32_t v = (uint32_t)n;

	if (n % 4 != 3 && f->nbell)
		asm volatile("outl %0, %w1" : : "a"(v), "Nd"(f->bell[n % f->nbell]));
	else if (n / 4 % 3 == 0)
		asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
	else if (n / 4 % 3 == 1)
		asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
	else
		asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
	f->ops++;
}

/* ---- the trap controller's registers ---------------------------------------- */

/* Values a register gets: edges, garbage, and sometimes a valid read command. */
static uint64_t pick(struct flood *f, const uint64_t *v, unsigned n)
{
	uint64_t r = blk_workload_rand(&f->rng);

	return r % 4 == 0 ? r : v[r / 4 % n];
}

/*
 * One random register access: three in four at a defined register, the
 * rest anywhere in the window; any width, read or write, with the values a
 * buggy or hostile driver would use.  DMA only ever points at the 1 MiB
 * scratch buffer or outside RAM, and CMD is never WRITE: the flood must not
 * scribble on the guest's own memory or its disk, so that what it checks
 * afterwards means something.
 */
static void trap_step(struct flood *f)
{
	volatile uint8_t *regs;
	uint64_t r = blk_workload_rand(&f->rng), cap, off, v;
	unsigned w = 1u << (r % 4), t = (unsigned)(r >> 2) % f->ntrap;

	regs = f->trap[t];
	cap = f->trap_cap[t];
	off = (r >> 8) % (r >> 40 & 3 ? HV_TRAPBLK_R_VECTOR + 4 : HV_TRAPBLK_WINDOW) &
	      ~(uint64_t)(w - 1);
	if (r >> 20 & 1) {
		switch (w) {
		case 1: v = *(volatile uint8_t *)(regs + off); break;
		case 2: v = *(volatile uint16_t *)(regs + off); break;
		case 4: v = *(volatile uint32_t *)(regs + off); break;
		default: v = *(volatile uint64_t *)(regs + off); break;
		}
		(void)v;
	} else if (off - HV_TRAPBLK_R_DMA < 8) { /* all 8 bytes at once: no half of a valid address */
		const uint64_t dma[] = { f->scratch, f->scratch + 8, f->mem, f->mem + 4096, ~0ull - 511,
					 HV_MMIO_BASE };
		mmio_wr64(regs, HV_TRAPBLK_R_DMA, dma[(r >> 32) % 6]);
	} else if (off == HV_TRAPBLK_R_CMD) {
		const uint64_t cmd[] = { HV_TRAPBLK_CMD_READ, HV_TRAPBLK_CMD_FLUSH,
					 HV_TRAPBLK_CMD_IDENTIFY, 0, 0x77, ~0ull };
		v = pick(f, cmd, 6);
		mmio_wr32(regs, off, (uint32_t)v == HV_TRAPBLK_CMD_WRITE ? 0 : (uint32_t)v);
	} else {
		const uint64_t val[] = { 0, 1, 8, cap - 1, cap, HV_TRAPBLK_MAX_SECTORS + 1, ~0ull };
		v = pick(f, val, 7);
		switch (w) {
		case 1: *(volatile uint8_t *)(regs + off) = (uint8_t)v; break;
		case 2: *(volatile uint16_t *)(regs + off) = (uint16_t)v; break;
		case 4: *(volatile uint32_t *)(regs + off) = (uint32_t)v; break;
		default: *(volatile uint64_t *)(regs + off) = v; break;
		}
	}
	f->ops++;
}

/*
 * Hands the controllers back to their driver: waits out a command still
 * running, acknowledges its completion and turns the interrupt back on.
 * 0, or -1 if one stays busy for 2 s.
 */
static int trap_restore(struct flood *f)
{
	unsigned i;

	for (i = 0; i < f->ntrap; i++) {
		uint64_t deadline = hv_time_ns() + 2000000000ull;

		while (mmio_rd32(f->trap[i], HV_TRAPBLK_R_STATUS) & HV_TRAPBLK_ST_BUSY)
			if (hv_time_ns() > deadline)
				return -1;
		mmio_wr32(f->trap[i], HV_TRAPBLK_R_ISR, HV_TRAPBLK_INT_DONE);
		mmio_wr32(f->trap[i], HV_TRAPBLK_R_IER, HV_TRAPBLK_INT_DONE);
	}
	return 0;
}

/* ---- the program -------------------------------------------------------------- */

struct flooder {
	const char *name;
	void (*step)(struct flood *f);
};

static const struct flooder flooders[] = {
	{ "hypercall", hc_step },
	{ "doorbell", bell_step },
	{ "trap", trap_step },
};

/* Every disk reads its first 4 KiB; the number that did not. */
static unsigned disks_still_work(void)
{
	uint8_t *buf = blkdev_buf_alloc(4096);
	struct blkdev *d;
	unsigned bad = 0;

	for (d = blkdev_next(NULL); d; d = blkdev_next(d)) {
		uint32_t st = buf ? blkdev_rw(d, HV_BLK_OP_READ, 0, buf, 4096) : HV_BLK_S_IOERR;

		printf("flood: after: %s reads: %s\n", d->name, blk_status_name(st));
		bad += st != HV_BLK_S_OK;
	}
	if (buf)
		blkdev_buf_free(buf, 4096);
	return bad;
}

/*
 * flood WHAT SECONDS: WHAT is hypercall, doorbell or trap.  Prints "flood:
 * start" and "flood: end" around the flood (the host samples hv between
 * them), the accesses made and the hypercall answers that were wrong, then
 * reads every disk.  Exit status: 0 if every answer was right and every
 * disk reads.
 */
int cmd_flood(const struct hv_boot_info *bi, int argc, char **argv)
{
	const struct flooder *fl = NULL;
	struct flood f = { .mem = bi->mem_size, .rng = BLK_WORKLOAD_SEED };
	uint64_t secs, t0, deadline, now;
	struct blkdev *d;
	unsigned i, bad;

	for (i = 0; argc == 3 && i < ARRAY_SIZE(flooders); i++)
		if (!strcmp(argv[1], flooders[i].name))
			fl = &flooders[i];
	if (!fl || parse_u64(argv[2], &secs) || !secs || secs > 600) {
		printf("usage: flood hypercall|doorbell|trap SECONDS(1..600)\n");
		return 2;
	}
	/* A valid trap READ at the scratch address may move up to 1 MiB into it. */
	f.scratch = (uint64_t)(uintptr_t)blkdev_buf_alloc(HV_BLK_MAX_BYTES);
	if (!f.scratch)
		return 1;
	/* Touched now, so that DMA into it during the flood adds nothing to hv's RSS. */
	memset((void *)(uintptr_t)f.scratch, 0xa5, HV_BLK_MAX_BYTES);
	hc_setup(&f, bi);
	for (d = blkdev_next(NULL); d; d = blkdev_next(d))
		if (pvblk_glue_fe(d) && f.nbell < HV_MAX_DEVS_PER_KIND)
			f.bell[f.nbell++] = pvblk_glue_fe(d)->port;
		else if (f.ntrap < HV_MAX_DEVS_PER_KIND && (f.trap[f.ntrap] = trapblk_drv_regs(d))) {
			/* DMA still holds the driver's last buffer: aim it at the scratch first. */
			mmio_wr64(f.trap[f.ntrap], HV_TRAPBLK_R_DMA, f.scratch);
			f.trap_cap[f.ntrap++] = d->sectors;
		}
	if (fl->step == trap_step && !f.ntrap) {
		printf("flood: trap needs a trap disk (hv run --trap-disk ...)\n");
		return 2;
	}
	t0 = hv_time_ns();
	deadline = t0 + secs * 1000000000ull;
	printf("flood: start %s for %lu s\n", fl->name, secs);
	do {
		for (i = 0; i < 1024; i++)
			fl->step(&f);
		now = hv_time_ns();
	} while (now < deadline);
	printf("flood: end %s: %lu accesses in %lu ms (%lu per s), %lu wrong answers\n", fl->name,
	       f.ops, (now - t0) / 1000000, f.ops * 1000 / ((now - t0) / 1000000 + 1), f.unexpected);
	if (f.ntrap && trap_restore(&f)) {
		printf("flood: a trap controller stayed busy for 2 s after the flood\n");
		return 1;
	}
	bad = disks_still_work();
	blkdev_buf_free((void *)(uintptr_t)f.scratch, HV_BLK_MAX_BYTES);
	return f.unexpected || bad ? 1 : 0;
}
