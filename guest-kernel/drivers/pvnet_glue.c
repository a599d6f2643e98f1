/*
 * The guest kernel's glue for the PV NIC front end (pvnet_glue.h): pvnet
 * discovery, the receive vector, and the netdev operations.  Frames go out
 * zero-copy: each pbuf of a chain is one segment of the TX request, held by
 * a reference until hv completes it.
 */
#include "pvnet_glue.h"

#include "apic.h"
#include "boot_args.h"
#include "lib.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netstack.h"
#include "netdev.h"
#include "pv_os_guest.h"
#include "pvnet_fe.h"
#include "trap.h"

#define PVNET_DEPTH 256 /* entries per ring, both queues */
#define TX_FULL_WAIT_NS 2000000000ull /* a TX ring that stays full this long: drop */
#define LINK_WATCH_MS 1000            /* how often a lost link is asked after */

struct pvnet_glue {
	struct netdev nd;
	struct pvnet_fe fe;
	uint32_t dev_index;      /* in the boot info's device table */
	struct hv_dev_desc desc; /* as the boot info gave it: a reattach needs it again */
	uint32_t vector;         /* receive interrupt (MSI-X entry RX); 0: the loop polls */
	bool dead;               /* detached (nethostile, link lost, a failed attach): drops frames */
	bool link_lost;          /* detached because hv said the link is down: watched */
};

/* The attached NICs. */
static struct {
	struct pvnet_glue dev[HV_MAX_NICS_PER_KIND];
	unsigned n;
} pv;

static bool on_irq(struct trap_frame *f, void *ctx)
{
	(void)f;
	netdev_irq(ctx); /* lwIP runs only in the loop: the handler just wakes it */
	apic_eoi();
	return true;
}

/* The front end's receive callback, inside pvnet_fe_poll: copy, queue for lwIP. */
static void rx_frame(void *arg, const void *frame, uint32_t len)
{
	netdev_rx_frame(&((struct pvnet_glue *)arg)->nd, frame, len);
}

/* hv is done with a frame: its pbuf chain is lwIP's again. */
static void tx_done(void *arg, uint32_t status)
{
	(void)status; /* counted by the front end; pv_poll looks at its counter */
	pbuf_free(arg);
}

/*
 * Queues one frame, waiting while the TX ring is full: completions are
 * taken by polling (TX has no interrupt), between short halts that let
 * hv's I/O thread run when it shares the CPU.  0 or -HV_E*.
 */
static int send_frame(struct pvnet_glue *g, const struct pvnet_fe_seg *seg, unsigned nr,
		      struct pbuf *frame)
{
	uint64_t deadline = 0;
	int rc;

	while ((rc = pvnet_fe_send(&g->fe, seg, nr, tx_done, frame)) == -HV_EAGAIN) {
		pvnet_fe_kick(&g->fe);
		if (pvnet_fe_poll(&g->fe))
			continue;
		if (!deadline)
			deadline = net_now_ns() + TX_FULL_WAIT_NS;
		else if (net_now_ns() > deadline)
			break;
		net_idle(50000);
	}
	return rc;
}

static err_t pv_send(struct netdev *d, struct pbuf *p)
{
	struct pvnet_glue *g = d->priv;
	struct pvnet_fe_seg seg[HV_NET_MAX_SEG];
	struct pbuf *q, *frame = p;
	unsigned nr = 0;
	int rc;

	if (g->dead)
		return ERR_IF;
	for (q = p; q && nr < HV_NET_MAX_SEG; q = q->next)
		if (q->len)
			seg[nr++] = (struct pvnet_fe_seg){ q->payload, q->len };
	for (; q && !q->len; q = q->next)
		;
	if (q) {
		/* More pieces than a request carries: one copy, sent as one segment. */
		frame = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (!frame)
			return ERR_MEM;
		seg[0] = (struct pvnet_fe_seg){ frame->payload, frame->len };
		nr = 1;
	} else {
		pbuf_ref(p); /* lwIP leaves TCP segments alone while referenced */
	}
	rc = send_frame(g, seg, nr, frame);
	if (rc) {
		pbuf_free(frame);
		return rc == -HV_EINVAL ? ERR_ARG : ERR_MEM;
	}
	return ERR_OK;
}

static void pv_kick(struct netdev *d)
{
	struct pvnet_glue *g = d->priv;

	if (!g->dead)
		pvnet_fe_kick(&g->fe);
}

/*
 * While hv's link is down it answers every posted buffer at once, and the
 * front end posts each again: rather than spin on that, let go of the
 * queues and ask hv about the link once a second, attaching when it is up.
 */
static void link_watch(void *arg)
{
	struct pvnet_glue *g = arg;

	if (pvnet_fe_link_up(&g->fe)) {
		g->link_lost = false;
		if (pvnet_glue_attach(&g->nd) == 0)
			return;
		g->link_lost = true;
	}
	sys_timeout(LINK_WATCH_MS, link_watch, g);
}

static void link_lost(struct pvnet_glue *g)
{
	if (pvnet_glue_detach(&g->nd))
		return; /* hv would not let go: keep the queues */
	g->link_lost = true;
	netdev_link_changed(&g->nd);
	sys_timeout(LINK_WATCH_MS, link_watch, g);
}

static unsigned pv_poll(struct netdev *d)
{
	struct pvnet_glue *g = d->priv;
	uint64_t tx_errors = g->fe.st.tx_errors, rx_errors = g->fe.st.rx_errors;
	uint64_t rx_frames = g->fe.st.rx_frames;
	unsigned n;

	if (g->dead)
		return 0;
	n = pvnet_fe_poll(&g->fe);
	/* Frames found after a wait no interrupt ended: their interrupt was lost (or late). */
	if (d->look && g->vector && g->fe.st.rx_frames != rx_frames)
		d->st.recovered++;
	d->st.tx_errors += g->fe.st.tx_errors - tx_errors;
	/* A failed send or receive may mean the link went down: ask hv. */
	if ((g->fe.st.tx_errors != tx_errors || g->fe.st.rx_errors != rx_errors) &&
	    !pvnet_fe_link_up(&g->fe))
		link_lost(g);
	return n;
}

static bool pv_arm_irq(struct netdev *d)
{
	struct pvnet_glue *g = d->priv;

	if (g->dead)
		return false;
	/* Polled: never halt.  Otherwise ask for an interrupt at the next frame. */
	return !g->vector || pvnet_fe_arm_irqs(&g->fe);
}

static unsigned pv_tx_inflight(struct netdev *d)
{
	struct pvnet_glue *g = d->priv;

	return g->dead ? 0 : g->fe.tx_outstanding;
}

static bool pv_link_up(struct netdev *d)
{
	struct pvnet_glue *g = d->priv;

	/* The front end asks hv even while detached: it keeps its device index. */
	return !g->link_lost && pvnet_fe_link_up(&g->fe);
}

static void pv_info(struct netdev *d, char *buf, unsigned len)
{
	struct pvnet_glue *g = d->priv;

	if (g->dead) {
		snprintf(buf, len, "detached");
		return;
	}
	snprintf(buf, len, "%s, rx queue %u, tx queue %u, notify ports 0x%x 0x%x, vector %u",
		 g->vector ? "interrupts" : "polling", g->fe.rx_depth, g->fe.tx_depth,
		 g->fe.rx_port, g->fe.tx_port, g->vector);
}

static const struct netdev_ops pv_ops = {
	pv_send, pv_kick, pv_poll, pv_arm_irq, pv_tx_inflight, pv_link_up, pv_info,
};

/* Gives the front end fresh rings on both of g's queues; 0 or -HV_E*. */
static int attach_queues(struct pvnet_glue *g)
{
	struct pvnet_fe_config cfg = {
		.rx_size = PVNET_DEPTH, .tx_size = PVNET_DEPTH, .rx_msix = g->vector ? HV_NET_MSIX_RX : HV_MSIX_NONE,
		.tx_msix = HV_MSIX_NONE, .rx = rx_frame, .rx_arg = g,
	};

	return pvnet_fe_init(&g->fe, &pv_os_guest, g->dev_index, &g->desc, &cfg);
}

void pvnet_glue_probe(const struct boot_args *b)
{
	const struct hv_dev_desc *desc;
	uint32_t i;

	for (i = 0; (desc = boot_args_dev(b, HV_DEV_PVNET, &i)); i++) {
		struct pvnet_glue *g;
		int rc;

		if (!boot_args_dev_fits(desc, pv.n, HV_MAX_NICS_PER_KIND, "pvnet", "PV NICs"))
			continue;
		g = &pv.dev[pv.n];
		memset(g, 0, sizeof(*g));
		snprintf(g->nd.name, sizeof(g->nd.name), "pvnet%u", desc->index);
		g->dev_index = i;
		g->desc = *desc;
		g->vector = pv_os_guest_vector(b, g->nd.name, i, HV_NET_MSIX_RX, on_irq, &g->nd);
		rc = attach_queues(g);
		if (rc) {
			printf("pvnet: %s: attach failed (%d)\n", g->nd.name, rc);
			if (g->vector)
				trap_set_handler(g->vector, NULL, NULL); /* free for the next */
			continue;
		}
		g->nd.path = g->vector ? "pv" : "pv-poll";
		memcpy(g->nd.mac, g->fe.mac, sizeof(g->nd.mac));
		g->nd.mtu = g->fe.mtu;
		g->nd.rx_depth = g->fe.rx_depth;
		g->nd.ops = &pv_ops;
		g->nd.priv = g;
		if (netdev_register(&g->nd)) {
			printf("pvnet: %s: lwIP refused the interface\n", g->nd.name);
			pvnet_fe_detach(&g->fe);
			if (g->vector)
				trap_set_handler(g->vector, NULL, NULL);
			continue;
		}
		pv.n++;
	}
}

static struct pvnet_glue *glue_of(struct netdev *d)
{
	return d && d->ops == &pv_ops ? d->priv : NULL;
}

int pvnet_glue_detach(struct netdev *d)
{
	struct pvnet_glue *g = glue_of(d);
	uint64_t deadline = net_now_ns() + 1000000000ull;
	int rc;

	if (!g || g->dead)
		return g ? 0 : -HV_EINVAL;
	/* Frames hv still answers come back to lwIP; a detach would drop their pbufs. */
	pvnet_fe_kick(&g->fe);
	while (g->fe.tx_outstanding && net_now_ns() < deadline) {
		if (!pvnet_fe_poll(&g->fe))
			net_idle(100000);
	}
	rc = pvnet_fe_detach(&g->fe);
	if (!rc)
		g->dead = true;
	return rc;
}

int pvnet_glue_attach(struct netdev *d)
{
	struct pvnet_glue *g = glue_of(d);
	int rc;

	if (!g)
		return -HV_EINVAL;
	if (!g->dead)
		return -HV_EBUSY;
	rc = attach_queues(g);
	g->dead = rc != 0;
	if (!rc)
		netdev_link_changed(d);
	return rc;
}

uint32_t pvnet_glue_dev_index(struct netdev *d)
{
	struct pvnet_glue *g = glue_of(d);

	return g ? g->dev_index : UINT32_MAX;
}
