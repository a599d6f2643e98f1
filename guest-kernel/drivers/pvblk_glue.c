/*
 * The guest kernel's glue for the PV block front end (pvblk_glue.h): pvblk
 * discovery and completion vectors, on the kernel's pv_os (pv_os_guest.c).
 */
#include "pvblk_glue.h"

#include "apic.h"
#include "blkdev.h"
#include "boot_args.h"
#include "lib.h"
#include "platform.h"
#include "pv_os_guest.h"
#include "pvblk_fe.h"
#include "trap.h"

#define PVBLK_QUEUE 64 /* entries per ring */

struct pvblk_glue {
	struct blkdev blk;
	struct pvblk_fe fe;
	uint32_t dev_index;      /* in the boot info's device table */
	struct hv_dev_desc desc; /* as the boot info gave it: a reattach needs it again */
	uint32_t vector;         /* completion interrupt (MSI-X entry 0); 0: waiters take completions */
};

/* The attached devices, and the poll window's cap every queue gets. */
static struct {
	struct pvblk_glue dev[HV_MAX_DEVS_PER_KIND];
	unsigned n;
	uint32_t poll_cap_ns;
	bool poll_fixed;
} pv;

/*
 * The kernel parameter haltpoll=NS caps the window a waiter polls before it
 * halts (0: never; default PV_POLL_DEFAULT_CAP_NS); haltpoll=NS,fixed pins
 * it there, for tests of the re-arm.
 */
static void poll_param(const struct boot_args *b)
{
	const char *v = boot_args_param(b, "haltpoll");
	char num[24];
	uint64_t ns;
	unsigned i;

	pv.poll_cap_ns = PV_POLL_DEFAULT_CAP_NS;
	if (!v)
		return;
	for (i = 0; v[i] && v[i] != ',' && i + 1 < sizeof(num); i++)
		num[i] = v[i];
	num[i] = 0;
	if (parse_u64(num, &ns) || ns > 100000000 || (v[i] && strcmp(v + i, ",fixed"))) {
		printf("pvblk: haltpoll=%s: want NS (at most 100000000) or NS,fixed\n", v);
		return;
	}
	pv.poll_cap_ns = (uint32_t)ns;
	pv.poll_fixed = v[i] != 0;
}

static bool on_irq(struct trap_frame *f, void *ctx)
{
	(void)f;
	pvblk_fe_interrupt(ctx);
	apic_eoi();
	return true;
}

static void pv_info(const struct blkdev *d, char *buf, unsigned len)
{
	const struct pvblk_glue *g = d->priv;

	snprintf(buf, len, "%s, queue %u, notify port 0x%x, vector %u, poll window %u/%u ns, "
		 "%lu interrupts, %lu recovered by timeout", g->fe.polling ? "polling" : "interrupts",
		 g->fe.depth, g->fe.port, g->vector, g->fe.poll.window_ns, g->fe.poll.cap_ns,
		 g->fe.st.interrupts, g->fe.st.recovered);
}

/* Gives the front end fresh rings on g's queue; 0 or -HV_E*. */
static int attach_queue(struct pvblk_glue *g)
{
	struct pvblk_fe_config cfg = { PVBLK_QUEUE, g->vector ? 0 : HV_MSIX_NONE, 0,
				       pv.poll_cap_ns, pv.poll_fixed };

	return pvblk_fe_init(&g->fe, &pv_os_guest, g->dev_index, &g->desc, &cfg);
}

void pvblk_glue_probe(const struct boot_args *b)
{
	const struct hv_dev_desc *desc;
	uint32_t i;

	poll_param(b);
	for (i = 0; (desc = boot_args_dev(b, HV_DEV_PVBLK, &i)); i++) {
		struct pvblk_glue *g;
		int rc;

		if (!boot_args_dev_fits(desc, pv.n, HV_MAX_DEVS_PER_KIND, "pvblk", "PV disks"))
			continue;
		g = &pv.dev[pv.n];
		memset(g, 0, sizeof(*g));
		snprintf(g->blk.name, sizeof(g->blk.name), "pvblk%u", desc->index);
		g->dev_index = i;
		g->desc = *desc;
		g->vector = pv_os_guest_vector(b, g->blk.name, i, 0, on_irq, &g->fe);
		rc = attach_queue(g);
		if (rc) {
			printf("pvblk: %s: attach failed (%d)\n", g->blk.name, rc);
			if (g->vector)
				trap_set_handler(g->vector, NULL, NULL); /* free for the next */
			continue;
		}
		g->blk.path = g->vector ? "pv" : "pv-poll";
		g->blk.sectors = g->fe.sectors;
		g->blk.sector_size = g->fe.sector_size;
		g->blk.ro = g->fe.ro;
		g->blk.max_depth = g->fe.depth;
		pvblk_fe_sync_dev(&g->fe, &g->blk.io);
		g->blk.info = pv_info;
		g->blk.priv = g;
		blkdev_register(&g->blk);
		pv.n++;
	}
}

static struct pvblk_glue *glue_of(struct blkdev *d)
{
	return d && d->io.ops == &pvblk_fe_blk_ops ? d->priv : NULL;
}

struct pvblk_fe *pvblk_glue_fe(struct blkdev *d)
{
	struct pvblk_glue *g = glue_of(d);

	return g ? &g->fe : NULL;
}

int pvblk_glue_reattach(struct blkdev *d)
{
	struct pvblk_glue *g = glue_of(d);
	bool irq = plat_irq_enabled();
	int rc;

	if (!g)
		return -HV_EINVAL;
	plat_irq_disable(); /* no completion interrupt may see a half-built front end */
	rc = pvblk_fe_detach(&g->fe);
	if (!rc)
		rc = attach_queue(g); /* failed: the front end fails every request */
	if (irq)
		plat_irq_enable();
	return rc;
}
