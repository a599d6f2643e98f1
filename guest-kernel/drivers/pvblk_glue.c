/*
 * The guest kernel's side of the PV block driver: the pv_os services it
 * needs (page allocator, hypercall, port write, interrupt flag, halt), the
 * discovery of pvblk devices in the boot info and their interrupt vectors.
 * Devices named in the kernel parameter poll=pvblk0,... (or poll=all) run
 * without interrupts.
 */
#include "apic.h"
#include "blkdev.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "pvblk_fe.h"
#include "trap.h"

#define PVBLK_VEC_BASE 0x40
#define PVBLK_QUEUE 64

struct pvdev {
	struct blkdev blk;
	struct pvblk_fe fe;
	uint32_t vector;
	bool dead; /* a reset failed: every request fails with IOERR */
};

static struct pvdev pvdevs[BLKDEV_MAX];
static unsigned npv;

static void *os_dma_alloc(void *ctx, size_t n, uint64_t *pa)
{
	uint64_t p = pmm_alloc_contig(PAGES_FOR(n));

	(void)ctx;
	*pa = p; /* the kernel maps RAM 1:1 */
	return p ? (void *)(uintptr_t)p : NULL;
}

static void os_dma_free(void *ctx, void *p, size_t n)
{
	(void)ctx;
	pmm_free_contig((uint64_t)(uintptr_t)p, PAGES_FOR(n));
}

static uint64_t os_virt_to_phys(void *ctx, const void *p)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)p;
}

static int64_t os_hypercall(void *ctx, uint64_t nr, uint64_t a0, uint64_t a1)
{
	(void)ctx;
	return hv_call2(nr, a0, a1);
}

static void os_notify(void *ctx, uint16_t port, uint32_t value)
{
	(void)ctx;
	asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static uint64_t os_irq_save(void *ctx)
{
	bool on = plat_irq_enabled();

	(void)ctx;
	plat_irq_disable();
	return on;
}

static void os_irq_restore(void *ctx, uint64_t flags)
{
	(void)ctx;
	if (flags)
		plat_irq_enable();
}

static void os_wait(void *ctx, const volatile int *flag)
{
	(void)ctx;
	trap_wait(flag);
}

static const struct pv_os guest_os = {
	.dma_alloc = os_dma_alloc, .dma_free = os_dma_free,
	.virt_to_phys = os_virt_to_phys, .hypercall = os_hypercall,
	.notify = os_notify, .irq_save = os_irq_save, .irq_restore = os_irq_restore,
	.wait = os_wait,
};

static bool on_irq(struct trap_frame *f)
{
	unsigned i;

	for (i = 0; i < npv; i++)
		if (pvdevs[i].vector == f->vector)
			pvblk_fe_interrupt(&pvdevs[i].fe);
	apic_eoi();
	return true;
}

static int pv_submit(struct blkdev *d, uint32_t op, uint64_t sector, void *buf, uint32_t bytes,
		     blk_done_fn fn, void *arg)
{
	struct pvdev *p = d->priv;
	struct hv_blk_req r;

	if (p->dead) {
		fn(arg, HV_BLK_S_IOERR, 0);
		return 0;
	}
	pvblk_fe_prep(&p->fe, &r, op, sector, buf, bytes);
	return pvblk_fe_submit(&p->fe, &r, fn, arg);
}

static void pv_kick(struct blkdev *d)
{
	pvblk_fe_kick(&((struct pvdev *)d->priv)->fe);
}

static void pv_wait(struct blkdev *d, const volatile int *flag)
{
	pvblk_fe_wait(&((struct pvdev *)d->priv)->fe, flag);
}

static void pv_info(struct blkdev *d, char *buf, unsigned len)
{
	struct pvdev *p = d->priv;

	snprintf(buf, len, "%s, queue %u, notify port 0x%x, vector %u", p->fe.polling ? "polling"
				: "interrupts", p->fe.depth, p->fe.port, p->vector);
}

static const struct blkdev_ops pv_ops = { pv_submit, pv_kick, pv_wait, pv_info };

/* poll=all or poll=pvblk0,pvblk2 on the kernel command line. */
static bool wants_polling(const char *name)
{
	const char *p = kernel_param("poll");
	size_t n = strlen(name);

	if (!p)
		return false;
	if (!strcmp(p, "all"))
		return true;
	while (*p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
	return false;
}

void pvblk_probe(void)
{
	unsigned i;

	for (i = 0; i < boot_info.nr_dev && npv < BLKDEV_MAX; i++) {
		const struct hv_dev_desc *desc = &boot_info.dev[i];
		struct pvdev *p = &pvdevs[npv];
		struct pvblk_fe_config cfg = { PVBLK_QUEUE, 0, 0 };
		int rc;

		if (desc->type != HV_DEV_PVBLK)
			continue;
		snprintf(p->blk.name, sizeof(p->blk.name), "pvblk%u", desc->index);
		p->vector = wants_polling(p->blk.name) ? 0 : PVBLK_VEC_BASE + desc->index;
		cfg.vector = p->vector;
		if (p->vector)
			trap_set_handler(p->vector, on_irq);
		rc = pvblk_fe_init(&p->fe, &guest_os, i, desc, &cfg);
		if (rc) {
			printf("pvblk: %s: attach failed (%d)\n", p->blk.name, rc);
			continue;
		}
		p->blk.path = p->vector ? "pv" : "pv-poll";
		p->blk.sectors = p->fe.sectors;
		p->blk.sector_size = p->fe.sector_size;
		p->blk.ro = p->fe.ro;
		p->blk.max_depth = p->fe.depth;
		p->blk.progress = &p->fe.progress;
		p->blk.ops = &pv_ops;
		p->blk.priv = p;
		blkdev_register(&p->blk);
		npv++;
	}
}

int pvblk_reset(struct blkdev *d)
{
	struct pvdev *p = pvblk_fe_of(d) ? d->priv : NULL;
	struct pvblk_fe_config cfg = { PVBLK_QUEUE, 0, 0 };
	uint32_t dev_index;
	int rc;

	bool irq = plat_irq_enabled();

	if (!p)
		return -HV_EINVAL;
	dev_index = p->fe.dev_index;
	cfg.vector = p->vector;
	plat_irq_disable(); /* no completion interrupt may see a half-built driver */
	rc = pvblk_fe_detach(&p->fe);
	if (!rc) {
		rc = pvblk_fe_init(&p->fe, &guest_os, dev_index, &boot_info.dev[dev_index], &cfg);
		p->dead = rc != 0; /* detached and not attached again: fail, never scribble */
	}
	if (irq)
		plat_irq_enable();
	return rc;
}

struct pvblk_fe *pvblk_fe_of(struct blkdev *d)
{
	return d && d->ops == &pv_ops ? &((struct pvdev *)d->priv)->fe : NULL;
}
