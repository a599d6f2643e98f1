/*
 * Driver for hv's trap-and-emulate block controller (trapblk_drv.h): one
 * command at a time, completion by interrupt.  Every register access is a
 * trapped MMIO exit: that cost is what the trap path measures against PV.
 */
#include "trapblk_drv.h"

#include "apic.h"
#include "blkdev.h"
#include "boot_args.h"
#include "hv_trapblk.h"
#include "lib.h"
#include "mm.h"
#include "mmio.h"
#include "platform.h"
#include "pv_os.h"
#include "trap.h"

struct trapblk_drv {
	struct blkdev blk;
	volatile uint8_t *regs;
	uint32_t vector;
	/* the command in flight */
	bool busy;
	blk_done_fn fn;
	void *arg;
	uint64_t irqs, spurious;
	uint64_t recovered; /* commands found done after a wait timed out: a lost interrupt */
	volatile int progress;
};

/* The controllers found. */
static struct {
	struct trapblk_drv dev[HV_MAX_DEVS_PER_KIND];
	unsigned n;
} ctls;

static void complete(struct trapblk_drv *t)
{
	uint32_t isr = mmio_rd32(t->regs, HV_TRAPBLK_R_ISR), st, bytes;
	blk_done_fn fn = t->fn;

	if (!(isr & HV_TRAPBLK_INT_DONE) || !t->busy) {
		t->spurious++;
		return;
	}
	mmio_wr32(t->regs, HV_TRAPBLK_R_ISR, HV_TRAPBLK_INT_DONE); /* acknowledge */
	st = mmio_rd32(t->regs, HV_TRAPBLK_R_STATUS);
	bytes = mmio_rd32(t->regs, HV_TRAPBLK_R_BYTES);
	t->busy = false;
	t->progress = 1;
	fn(t->arg, st & 0xff, bytes);
}

static bool on_irq(struct trap_frame *f, void *ctx)
{
	struct trapblk_drv *t = ctx;

	(void)f;
	t->irqs++;
	complete(t);
	apic_eoi();
	return true;
}

static const uint32_t op_cmd[] = {
	[HV_BLK_OP_READ] = HV_TRAPBLK_CMD_READ,
	[HV_BLK_OP_WRITE] = HV_TRAPBLK_CMD_WRITE,
	[HV_BLK_OP_FLUSH] = HV_TRAPBLK_CMD_FLUSH,
};

/* The ops table (blk_sync.h): drv is the struct trapblk_drv. */
static int trap_submit(void *drv, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		       blk_done_fn fn, void *arg)
{
	struct trapblk_drv *t = drv;
	bool irq = plat_irq_enabled();
	int rc = 0;

	plat_irq_disable();
	if (t->busy) {
		rc = -HV_EAGAIN;
	} else {
		t->busy = true;
		t->fn = fn;
		t->arg = arg;
		if (op != HV_BLK_OP_FLUSH) { /* a flush needs no registers: 3 exits saved */
			mmio_wr64(t->regs, HV_TRAPBLK_R_SECTOR, sector);
			mmio_wr32(t->regs, HV_TRAPBLK_R_COUNT, bytes / HV_BLK_SECTOR);
			/* RAM is mapped 1:1: the buffer's address is its DMA address */
			mmio_wr64(t->regs, HV_TRAPBLK_R_DMA, (uint64_t)(uintptr_t)buf);
		}
		mmio_wr32(t->regs, HV_TRAPBLK_R_CMD, op < ARRAY_SIZE(op_cmd) ? op_cmd[op] : 0);
	}
	if (irq)
		plat_irq_enable();
	return rc;
}

static void trap_kick(void *drv)
{
	(void)drv; /* the CMD write already started it: hardware has no batching */
}

/*
 * Completions come by interrupt; a wait lasts at most PV_OS_WAIT_TIMEOUT_NS
 * (the timer ends it), and a command then found done had its interrupt lost.
 */
static void trap_wait_op(void *drv, const volatile int *flag)
{
	struct trapblk_drv *t = drv;

	plat_irq_disable();
	if (!*flag)
		apic_timer_within_ns(PV_OS_WAIT_TIMEOUT_NS);
	trap_wait(flag);
	if (*flag)
		return;
	plat_irq_disable();
	if (t->busy && mmio_rd32(t->regs, HV_TRAPBLK_R_ISR) & HV_TRAPBLK_INT_DONE) {
		t->recovered++;
		complete(t);
	}
	plat_irq_enable();
}

static const struct blk_sync_ops trap_ops = { trap_submit, trap_kick, trap_wait_op };

static void trap_info(const struct blkdev *d, char *buf, unsigned len)
{
	const struct trapblk_drv *t = d->priv;

	snprintf(buf, len, "MMIO 0x%lx, vector %u, one request at a time, %lu interrupts, "
		 "%lu spurious, %lu recovered by timeout", (uint64_t)(uintptr_t)t->regs, t->vector,
		 t->irqs, t->spurious, t->recovered);
}

void trapblk_drv_probe(const struct boot_args *b)
{
	const struct hv_dev_desc *desc;
	uint32_t i;

	for (i = 0; (desc = boot_args_dev(b, HV_DEV_TRAPBLK, &i)); i++) {
		struct trapblk_drv *t;

		if (!boot_args_dev_fits(desc, ctls.n, HV_MAX_DEVS_PER_KIND, "trapblk",
					"trap disks"))
			continue;
		t = &ctls.dev[ctls.n];
		snprintf(t->blk.name, sizeof(t->blk.name), "trapblk%u", desc->index);
		if (paging_map_mmio(desc->base, desc->len)) {
			printf("trapblk: %s: cannot map its registers\n", t->blk.name);
			continue;
		}
		t->regs = (volatile uint8_t *)(uintptr_t)desc->base;
		if (mmio_rd32(t->regs, HV_TRAPBLK_R_MAGIC) != HV_TRAPBLK_MAGIC ||
		    mmio_rd32(t->regs, HV_TRAPBLK_R_VERSION) != HV_TRAPBLK_VERSION) {
			printf("trapblk: %s: no controller (version %u) at 0x%lx\n", t->blk.name,
			       HV_TRAPBLK_VERSION, desc->base);
			continue;
		}
		t->vector = mmio_rd32(t->regs, HV_TRAPBLK_R_VECTOR);
		if (t->vector != desc->irq || t->vector < 32 || t->vector > 254) {
			printf("trapblk: %s: bad interrupt vector %u\n", t->blk.name, t->vector);
			continue;
		}
		trap_set_handler(t->vector, on_irq, t);
		mmio_wr32(t->regs, HV_TRAPBLK_R_IER, HV_TRAPBLK_INT_DONE);
		t->blk.path = "trap";
		t->blk.sectors = mmio_rd64(t->regs, HV_TRAPBLK_R_CAPACITY);
		t->blk.sector_size = HV_BLK_SECTOR;
		t->blk.ro = mmio_rd32(t->regs, HV_TRAPBLK_R_FLAGS) & HV_TRAPBLK_F_RO;
		t->blk.max_depth = 1;
		t->blk.io = (struct blk_sync_dev){ &trap_ops, t, &t->progress, HV_BLK_MAX_BYTES };
		t->blk.info = trap_info;
		t->blk.priv = t;
		blkdev_register(&t->blk);
		ctls.n++;
	}
}

volatile uint8_t *trapblk_drv_regs(struct blkdev *d)
{
	return d && d->io.ops == &trap_ops ? ((struct trapblk_drv *)d->priv)->regs : NULL;
}
