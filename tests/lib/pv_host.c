/* The host OS interface for the PV drivers under test (see pv_host.h). */
#include "pv_host.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>

#include "pci/pci.h"

#define DMA_BASE (8ull << 20) /* below: room for hostile tests to aim at */

static void *dma_alloc(void *ctx, size_t n, uint64_t *pa)
{
	struct pv_host *h = ctx;
	uint64_t at = (h->next + 4095) & ~4095ull;

	if (at + n > h->vm->mem.size)
		return NULL;
	h->next = at + n;
	*pa = at;
	memset(h->vm->mem.host + at, 0, n);
	return h->vm->mem.host + at;
}

static void dma_free(void *ctx, void *p, size_t n)
{
	(void)ctx, (void)p, (void)n; /* a test's memory lives as long as the test */
}

static uint64_t virt_to_phys(void *ctx, const void *p)
{
	struct pv_host *h = ctx;

	return (uint64_t)((const uint8_t *)p - h->vm->mem.host);
}

static int64_t hypercall(void *ctx, uint64_t nr, uint64_t a0, uint64_t a1)
{
	struct pv_host *h = ctx;
	const uint64_t a[HC_NARGS] = { a0, a1, 0, 0, 0 };

	return hc_dispatch(h->vm, nr, a);
}

/* KVM's ioeventfd: the write to the notify port becomes an eventfd signal. */
static void notify(void *ctx, uint16_t port, uint32_t value)
{
	struct pv_host *h = ctx;
	unsigned i;

	(void)value;
	for (i = 0; i < h->nr_queue; i++)
		if (h->queue[i].q->port == port)
			eventfd_write(h->queue[i].q->src.fd, 1);
}

static uint64_t irq_save(void *ctx)
{
	(void)ctx;
	return 0;
}

static void irq_restore(void *ctx, uint64_t flags)
{
	(void)ctx, (void)flags;
}

/* An interrupt is an irqfd signal; deliver it to the driver's handler. */
static void wait_irq(void *ctx, const volatile int *flag)
{
	struct pv_host *h = ctx;
	struct pollfd p[PV_HOST_MAX_QUEUES];
	unsigned i, n = h->nr_queue;
	uint64_t v;

	if (*flag)
		return;
	for (i = 0; i < n; i++) {
		const struct pvq *q = h->queue[i].q;

		/* KVM's irqfd: the eventfd of the MSI-X entry the queue names. */
		p[i] = (struct pollfd){ .fd = -1 };
		if (pvq_attached(q) && q->setup.msix != HV_MSIX_NONE)
			p[i] = (struct pollfd){ .fd = q->msix->fd[q->setup.msix], .events = POLLIN };
	}
	if (poll(p, n, 5000) <= 0) {
		h->wait_timeouts++;
		return;
	}
	for (i = 0; i < n; i++)
		if ((p[i].revents & POLLIN) && eventfd_read(p[i].fd, &v) == 0 && h->queue[i].irq) {
			h->irqs++;
			h->queue[i].irq(h->queue[i].fe);
		}
}

static uint64_t now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The kernel took this thread's CPU for another: an involuntary switch. */
static uint64_t preempted(void *ctx)
{
	struct rusage ru;

	(void)ctx;
	return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_nivcsw : 0;
}

static void add_queue(struct pv_host *h, struct pvq *q)
{
	h->queue[h->nr_queue++] = (struct pv_host_queue){ q, NULL, NULL };
}

static struct pv_host_queue *host_queue(struct pv_host *h, const struct pvq *q)
{
	unsigned i;

	for (i = 0; i < h->nr_queue; i++)
		if (h->queue[i].q == q)
			return &h->queue[i];
	return NULL;
}

int pv_host_init(struct pv_host *h, uint64_t mem, const char *const *disks, unsigned n,
		 uint64_t io_poll_ns)
{
	char err[256];
	unsigned i;
	int rc;

	memset(h, 0, sizeof(*h));
	h->vm = calloc(1, sizeof(*h->vm));
	if (!h->vm)
		return -1;
	rc = gm_init(&h->vm->mem, mem);
	if (!rc)
		rc = vm_init_devices(h->vm, 1);
	for (i = 0; !rc && i < n; i++) {
		rc = vm_create_device(h->vm, &pvblk_back_kind, i, disks[i], err, sizeof(err));
		if (!rc) {
			h->disk[h->nr_disk++] = vm_device(h->vm, &pvblk_back_kind, i);
			add_queue(h, &h->disk[i]->q);
		}
	}
	h->vm->io.io_poll_ns = io_poll_ns;
	h->next = DMA_BASE;
	h->os = (struct pv_os){
		.ctx = h, .dma_alloc = dma_alloc, .dma_free = dma_free,
		.virt_to_phys = virt_to_phys, .hypercall = hypercall, .notify = notify,
		.irq_save = irq_save, .irq_restore = irq_restore, .wait = wait_irq,
		.now_ns = now_ns, .preempted = preempted,
	};
	/* With no disks the test adds NICs first, then starts the thread itself. */
	return rc || !n ? rc : pv_host_start(h);
}

int pv_host_start(struct pv_host *h)
{
	return vm_start_io(h->vm);
}

static int add_nic(struct pv_host *h)
{
	struct pvnet_back *n = vm_device(h->vm, &pvnet_back_kind, h->nr_nic);

	if (!n)
		return -ENOENT;
	h->nic[h->nr_nic++] = n;
	add_queue(h, &n->rxq);
	add_queue(h, &n->txq);
	return 0;
}

int pv_host_add_nic(struct pv_host *h, const char *arg)
{
	char err[256];
	int rc = vm_create_device(h->vm, &pvnet_back_kind, h->nr_nic, arg, err, sizeof(err));

	return rc ? rc : add_nic(h);
}

int pv_host_add_nic_on(struct pv_host *h, const struct net *net)
{
	static const uint8_t mac[6] = { 0x02, 0x68, 0x76, 0x00, 0x00, 0x99 };
	struct pvnet_back *n = calloc(1, sizeof(*n));
	struct io_source *srcs[PVNET_BACK_MAX_SRC];
	struct hv_dev_desc d;
	uint16_t port;
	int rc;

	if (!n)
		return -ENOMEM;
	rc = vm_alloc_notify_port(h->vm, &port);
	if (!rc)
		rc = vm_alloc_notify_port(h->vm, &port) ? -ENOSPC : 0;
	if (!rc)
		rc = pvnet_back_init(n, h->nr_nic, (uint16_t)(port - 4), &h->vm->mem, net, mac);
	if (rc) {
		free(n);
		return rc;
	}
	pvnet_back_desc(n, &d);
	rc = vm_add_device(h->vm, &pvnet_back_kind, h->nr_nic, n, &d, srcs,
			   pvnet_back_sources(n, srcs));
	if (rc) {
		pvnet_back_destroy(n);
		free(n);
		return rc;
	}
	pvnet_back_kind.register_hypercalls(&h->vm->hc);
	return add_nic(h);
}

static void blk_irq(void *fe);

/* PV_HOST_HALTPOLL_NS set: each disk's poll window as its waits left it (for benchmarks). */
static void report_poll(const struct pv_host *h)
{
	unsigned i;

	if (!getenv("PV_HOST_HALTPOLL_NS"))
		return;
	for (i = 0; i < h->nr_queue; i++) {
		const struct pvblk_fe *fe = h->queue[i].fe;

		if (h->queue[i].irq != blk_irq || !fe)
			continue;
		fprintf(stderr, "pv_host: pvblk%u poll window %u of %u ns: %llu polls, %llu paid, "
			"%llu unpaid, %llu missed, %llu us polling\n", fe->unit, fe->poll.window_ns,
			fe->poll.cap_ns, (unsigned long long)fe->poll.st.polls,
			(unsigned long long)fe->poll.st.paid, (unsigned long long)fe->poll.st.unpaid,
			(unsigned long long)fe->poll.st.missed,
			(unsigned long long)fe->poll.st.poll_ns / 1000);
	}
}

void pv_host_destroy(struct pv_host *h)
{
	report_poll(h);
	vm_destroy_devices(h->vm);
	gm_destroy(&h->vm->mem);
	free(h->vm);
	h->vm = NULL;
}

/* The device-table index of the device of type and unit. */
static int dev_index(struct pv_host *h, uint16_t type, unsigned unit)
{
	unsigned i;

	for (i = 0; i < h->vm->nr_dev; i++)
		if (h->vm->desc[i].type == type && h->vm->desc[i].index == unit)
			return (int)i;
	return -1;
}

/* A config dword of bus 0's slot, through ports 0xCF8/0xCFC as a guest reaches it. */
static uint32_t cfg_io(struct pv_host *h, unsigned slot, unsigned reg, bool wr, uint32_t v)
{
	uint64_t a = 0x80000000u | slot << 11 | reg, val = v;

	io_bus_access(&h->vm->pio, HV_PCI_CONF_ADDR, true, &a, 4);
	io_bus_access(&h->vm->pio, HV_PCI_CONF_DATA, wr, &val, 4);
	return (uint32_t)val;
}

/*
 * What a guest driver does before it names MSI-X entries: finds the device's
 * function (subsystem ID = its index), unmasks every entry (the message
 * stays 0: there is no KVM to route it) and enables MSI-X.
 */
static int msix_on(struct pv_host *h, int idx)
{
	const struct hv_dev_desc *d = &h->vm->desc[idx];
	uint64_t zero = 0;
	unsigned slot, i;

	for (slot = 1; slot < PCI_SLOTS; slot++)
		if (cfg_io(h, slot, PCI_CFG_SUBVENDOR, false, 0) ==
		    ((uint32_t)idx << 16 | HV_PCI_VENDOR))
			break;
	if (slot == PCI_SLOTS)
		return -HV_ENOENT;
	for (i = 0; i < d->irq; i++)
		io_bus_access(&h->vm->mmio, d->base + 16 * i + 12, true, &zero, 4);
	cfg_io(h, slot, PCI_CFG_MSIX, true, (uint32_t)PCI_MSIX_ENABLE << 16);
	return 0;
}

static void blk_irq(void *fe)
{
	pvblk_fe_interrupt(fe);
}

static void net_rx_irq(void *fe)
{
	pvnet_fe_rx_interrupt(fe);
}

static void net_tx_irq(void *fe)
{
	pvnet_fe_tx_interrupt(fe);
}

int pv_host_attach_nic(struct pv_host *h, struct pvnet_fe *fe, unsigned unit,
		       const struct pvnet_fe_config *cfg)
{
	int idx = dev_index(h, HV_DEV_PVNET, unit);
	struct pv_host_queue *rx, *tx;

	if (idx < 0 || unit >= h->nr_nic)
		return -HV_ENOENT;
	rx = host_queue(h, &h->nic[unit]->rxq);
	tx = host_queue(h, &h->nic[unit]->txq);
	*rx = (struct pv_host_queue){ rx->q, net_rx_irq, fe };
	*tx = (struct pv_host_queue){ tx->q, net_tx_irq, fe };
	if (msix_on(h, idx))
		return -HV_ENOENT;
	return pvnet_fe_init(fe, &h->os, (uint32_t)idx, &h->vm->desc[idx], cfg);
}

int pv_host_attach(struct pv_host *h, struct pvblk_fe *fe, unsigned unit, uint32_t qsize,
		   uint32_t vector, uint32_t start)
{
	const char *cap = getenv("PV_HOST_HALTPOLL_NS"); /* benchmarks: a poll window */
	const struct pvblk_fe_config cfg = { qsize, vector ? 0 : HV_MSIX_NONE, start,
					     cap ? (uint32_t)strtoul(cap, NULL, 10) : 0, false };

	return pv_host_attach_cfg(h, fe, unit, &cfg);
}

int pv_host_attach_cfg(struct pv_host *h, struct pvblk_fe *fe, unsigned unit,
		       const struct pvblk_fe_config *cfg)
{
	int idx = dev_index(h, HV_DEV_PVBLK, unit);
	struct pv_host_queue *q;

	if (idx < 0 || unit >= h->nr_disk)
		return -HV_ENOENT;
	q = host_queue(h, &h->disk[unit]->q);
	*q = (struct pv_host_queue){ q->q, blk_irq, fe };
	if (msix_on(h, idx))
		return -HV_ENOENT;
	return pvblk_fe_init(fe, &h->os, (uint32_t)idx, &h->vm->desc[idx], cfg);
}

void *pv_host_alloc(struct pv_host *h, size_t n)
{
	uint64_t pa;

	return dma_alloc(h, n, &pa);
}
