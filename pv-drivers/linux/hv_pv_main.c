// SPDX-License-Identifier: GPL-2.0
/*
 * hv_pv: Linux drivers for hv's paravirtual disk (hv_blk.c) and NIC
 * (hv_net.c) in one module.  This file is what both share: hv's CPUID
 * signature, the hypercall, device descriptors, and queues built on
 * pv-drivers/pv_ring.c through a Linux pv_os (PROTOCOL.md, "Rings").
 *
 * Nothing here touches hv's ports before CPUID leaf 0x40000100 has said
 * "hvhvhvhvhvhv" (PROTOCOL.md: a driver tests the signature first): under
 * another hypervisor or on bare metal the module loads, says in one line
 * that there is no hv, and registers no driver.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/processor.h>

#include "hv_pv.h"

#define HV_CPUID_BASE 0x40000100u
#define HV_CPUID_SIGNATURE "hvhvhvhvhvhv"

/* Registered in this order on hv, unregistered in reverse; none elsewhere. */
static struct pci_driver *const drivers[] = { &hv_blk_driver, &hv_net_driver };
static unsigned int nr_registered;

static bool hv_signature(void)
{
	u32 eax, sig[3];

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	cpuid(HV_CPUID_BASE, &eax, &sig[0], &sig[1], &sig[2]);
	return eax >= HV_CPUID_BASE && !memcmp(sig, HV_CPUID_SIGNATURE, sizeof(sig));
}

/* One `outl %eax, %dx` to HV_HC_PORT; arguments in rdi and rsi. */
s64 hv_pv_hypercall(u64 nr, u64 a0, u64 a1)
{
	register u64 rdi asm("rdi") = a0;
	register u64 rsi asm("rsi") = a1;
	u64 rax = nr;

	asm volatile("outl %%eax, %%dx"
		     : "+a"(rax), "+r"(rdi), "+r"(rsi)
		     : "d"((u16)HV_HC_PORT)
		     : "memory");
	return (s64)rax;
}

int hv_pv_dev_info(u32 index, struct hv_dev_desc *out)
{
	/* kmalloc memory is physically contiguous: one gpa covers it. */
	struct hv_dev_desc *d = kzalloc(sizeof(*d), GFP_KERNEL);
	s64 r;

	if (!d)
		return -ENOMEM;
	r = hv_pv_hypercall(HV_HC_DEV_INFO, index, virt_to_phys(d));
	if (r == 0)
		*out = *d;
	kfree(d);
	return r < 0 ? (int)r : 0;
}

/*
 * pv_os.h for Linux: pv_ring.c uses memory, the hypercall and nothing else.
 * Rings are whole zeroed pages addressed by their physical address, as
 * pv_os.h asks: hv has no IOMMU, the guest-physical address is the device's.
 */
static void *os_dma_alloc(void *ctx, size_t n, uint64_t *pa)
{
	void *p = alloc_pages_exact(n, GFP_KERNEL | __GFP_ZERO);

	if (p)
		*pa = virt_to_phys(p);
	return p;
}

static void os_dma_free(void *ctx, void *p, size_t n)
{
	free_pages_exact(p, n);
}

static uint64_t os_virt_to_phys(void *ctx, const void *p)
{
	return virt_to_phys((void *)p);
}

static int64_t os_hypercall(void *ctx, uint64_t nr, uint64_t a0, uint64_t a1)
{
	return hv_pv_hypercall(nr, a0, a1);
}

static void os_notify(void *ctx, uint16_t port, uint32_t value)
{
	outl(value, port);
}

int hv_pv_queue_init(struct hv_pv_queue *q, u32 sq_size, u32 sq_esize,
		     u32 cq_size, u32 cq_esize)
{
	int err;

	*q = (struct hv_pv_queue){
		.os = {
			.ctx = q,
			.dma_alloc = os_dma_alloc,
			.dma_free = os_dma_free,
			.virt_to_phys = os_virt_to_phys,
			.hypercall = os_hypercall,
			.notify = os_notify,
			/* irq_save, wait, now_ns, preempted: hv's own kernel's
			   polling helpers (pv_poll.c), not used here. */
		},
	};
	err = pv_ring_alloc(&q->ring, &q->os, sq_size, sq_esize, cq_size, cq_esize, 0);
	return err < 0 ? err : 0;
}

int hv_pv_queue_attach(struct hv_pv_queue *q, u32 dev_index, u16 queue, u32 msix)
{
	s64 port = pv_ring_attach(&q->ring, &q->os, dev_index, queue, msix);

	if (port < 0)
		return (int)port;
	if (port > 0xffff)
		return -EPROTO;
	q->dev_index = dev_index;
	q->queue = queue;
	q->port = (u16)port;
	q->attached = true;
	return 0;
}

void hv_pv_queue_detach(struct hv_pv_queue *q)
{
	s64 r;

	if (!q->attached)
		return;
	r = hv_pv_hypercall(HV_HC_QUEUE_DETACH, q->dev_index, q->queue);
	if (r < 0)
		pr_err(HV_PV_NAME ": detaching queue %u of device %u: error %lld\n", q->queue,
		       q->dev_index, r);
	q->attached = false;
}

void hv_pv_queue_free(struct hv_pv_queue *q)
{
	hv_pv_queue_detach(q);
	pv_ring_free(&q->ring, &q->os);
}

int hv_pv_pci_up(struct pci_dev *pdev, unsigned int nvec)
{
	int err = pci_enable_device(pdev);

	if (err)
		return err;
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (!err) {
		err = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
		if (err > 0)
			return 0;
	}
	pci_disable_device(pdev);
	return err ? err : -ENOSPC;
}

void hv_pv_pci_down(struct pci_dev *pdev)
{
	pci_free_irq_vectors(pdev);
	pci_disable_device(pdev);
}

static void hv_pv_unregister(void)
{
	while (nr_registered)
		pci_unregister_driver(drivers[--nr_registered]);
}

static int __init hv_pv_init(void)
{
	s64 version;
	int err;

	if (!hv_signature()) {
		pr_info(HV_PV_NAME ": no hv CPUID signature (leaf 0x40000100): not on hv, no device\n");
		return 0;
	}
	version = hv_pv_hypercall(HV_HC_VERSION, 0, 0);
	if (version != HV_ABI_VERSION) {
		pr_info(HV_PV_NAME ": hv speaks ABI %lld, this driver %d: no device\n", version,
			HV_ABI_VERSION);
		return 0;
	}
	for (nr_registered = 0; nr_registered < ARRAY_SIZE(drivers); nr_registered++) {
		err = pci_register_driver(drivers[nr_registered]);
		if (err) {
			hv_pv_unregister();
			return err;
		}
	}
	return 0;
}

static void __exit hv_pv_exit(void)
{
	hv_pv_unregister();
}

module_init(hv_pv_init);
module_exit(hv_pv_exit);
MODULE_DESCRIPTION("hv paravirtual disk and NIC");
MODULE_LICENSE("GPL");
