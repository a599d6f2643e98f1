/* The host OS interface for the PV drivers under test (see pv_host.h). */
#include "pv_host.h"


#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

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
	for (i = 0; i < h->nr_disk; i++)
		if (h->disk[i]->q.port == port)
			eventfd_write(h->disk[i]->q.src.fd, 1);
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
	struct pollfd p[HV_MAX_DEVS_PER_KIND];
	unsigned i, n = h->nr_disk;
	uint64_t v;

	if (*flag)
		return;
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = h->disk[i]->q.irq_fd, .events = POLLIN };
	if (poll(p, n, 5000) <= 0) {
		h->wait_timeouts++;
		return;
	}
	for (i = 0; i < n; i++)
		if ((p[i].revents & POLLIN) && eventfd_read(p[i].fd, &v) == 0 && h->fe[i]) {
			h->irqs++;
			pvblk_fe_interrupt(h->fe[i]);
		}
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
		if (!rc)
			h->disk[h->nr_disk++] = vm_device(h->vm, &pvblk_back_kind, i);
	}
	h->vm->io.spin_ns = io_poll_ns;
	if (!rc)
		rc = vm_start_io(h->vm);
	h->next = DMA_BASE;
	h->os = (struct pv_os){
		.ctx = h, .dma_alloc = dma_alloc, .dma_free = dma_free,
		.virt_to_phys = virt_to_phys, .hypercall = hypercall, .notify = notify,
		.irq_save = irq_save, .irq_restore = irq_restore, .wait = wait_irq,
	};
	return rc;
}

void pv_host_destroy(struct pv_host *h)
{
	vm_destroy_devices(h->vm);
	gm_destroy(&h->vm->mem);
	free(h->vm);
	h->vm = NULL;
}

/* The device-table index of pvblk<unit>. */
static int dev_index(struct pv_host *h, unsigned unit)
{
	unsigned i;

	for (i = 0; i < h->vm->nr_dev; i++)
		if (h->vm->desc[i].type == HV_DEV_PVBLK && h->vm->desc[i].index == unit)
			return (int)i;
	return -1;
}

int pv_host_attach(struct pv_host *h, struct pvblk_fe *fe, unsigned unit, uint32_t qsize,
		   uint32_t vector, uint32_t start)
{
	const struct pvblk_fe_config cfg = { qsize, vector, start };
	int idx = dev_index(h, unit);

	if (idx < 0)
		return -HV_ENOENT;
	h->fe[unit] = fe;
	return pvblk_fe_init(fe, &h->os, (uint32_t)idx, &h->vm->desc[idx], &cfg);
}

void *pv_host_alloc(struct pv_host *h, size_t n)
{
	uint64_t pa;

	return dma_alloc(h, n, &pa);
}
