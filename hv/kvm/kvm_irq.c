/*
 * ioeventfd doorbells and irqfd-driven MSIs: the two KVM mechanisms that let
 * a PV queue run without the vCPU thread ever seeing a doorbell or raising
 * an interrupt itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm.h"

/* The MSI address of the local APIC with id 0 (vCPU 0), fixed delivery. */
#define MSI_ADDR_APIC0 0xfee00000u

int kvm_ioeventfd_pio(struct kvm_vm *k, uint16_t port, unsigned len, int fd, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = port, .len = len, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static struct kvm_irq_routing_entry irqchip_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	return (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

unsigned kvm_irq_routes(const struct kvm_vm *k, struct kvm_irq_routing_entry *out)
{
	unsigned n = 0, i;

	/* KVM's own default table (irq_comm.c): the PICs for 0-15, the IOAPIC for all 24. */
	for (i = 0; i < KVM_IOAPIC_PINS; i++) {
		if (i < KVM_PIC_PINS)
			out[n++] = irqchip_route(i, i < 8 ? KVM_IRQCHIP_PIC_MASTER
							  : KVM_IRQCHIP_PIC_SLAVE, i % 8);
		out[n++] = irqchip_route(i, KVM_IRQCHIP_IOAPIC, i);
	}
	memcpy(out + n, k->msi, k->nr_msi * sizeof(k->msi[0]));
	return n + k->nr_msi;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: hand it the defaults and every MSI. */
static int set_routing(struct kvm_vm *k)
{
	size_t sz = sizeof(struct kvm_irq_routing) + KVM_MAX_ROUTES * sizeof(k->msi[0]);
	struct kvm_irq_routing *r = calloc(1, sz);
	int rc;

	if (!r)
		return -ENOMEM;
	r->nr = kvm_irq_routes(k, r->entries);
	rc = ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r) < 0 ? -errno : 0;
	free(r);
	return rc;
}

int kvm_irqfd_gsi(struct kvm_vm *k, uint32_t gsi, int fd)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };

	/* The default routes send GSI gsi to IOAPIC pin gsi; no table change needed. */
	return ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

static bool gsi_used(const struct kvm_vm *k, uint32_t gsi)
{
	unsigned i;

	for (i = 0; i < k->nr_msi; i++)
		if (k->msi[i].gsi == gsi)
			return true;
	return false;
}

/* The lowest GSI no route uses: routes come and go with queue attach/detach. */
static uint32_t free_gsi(const struct kvm_vm *k)
{
	uint32_t gsi = KVM_MSI_GSI_BASE;

	while (gsi_used(k, gsi))
		gsi++;
	return gsi;
}

static void drop_route(struct kvm_vm *k, unsigned i)
{
	k->msi[i] = k->msi[--k->nr_msi];
}

static void set_msi(struct kvm_irq_routing_entry *e, const struct kvm_msi_msg *m)
{
	e->u.msi.address_lo = m->address_lo;
	e->u.msi.address_hi = m->address_hi;
	e->u.msi.data = m->data;
}

static int add_msi_locked(struct kvm_vm *k, const struct kvm_msi_msg *m, int fd)
{
	struct kvm_irq_routing_entry *e;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd };
	int rc;

	if (k->nr_msi == KVM_MAX_MSI_ROUTES)
		return -ENOSPC;
	e = &k->msi[k->nr_msi];
	memset(e, 0, sizeof(*e));
	e->gsi = free_gsi(k);
	e->type = KVM_IRQ_ROUTING_MSI;
	set_msi(e, m);
	k->nr_msi++;
	rc = set_routing(k);
	if (rc) {
		k->nr_msi--;
		return rc;
	}
	irqfd.gsi = e->gsi;
	if (ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		rc = -errno;
		drop_route(k, k->nr_msi - 1);
		set_routing(k);
		return rc;
	}
	return (int)irqfd.gsi;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: two callers at once would lose a route. */
int kvm_irqfd_msi_msg(struct kvm_vm *k, const struct kvm_msi_msg *m, int fd)
{
	int rc;

	pthread_mutex_lock(&k->irq_lock);
	rc = add_msi_locked(k, m, fd);
	pthread_mutex_unlock(&k->irq_lock);
	return rc;
}

int kvm_irqfd_msi(struct kvm_vm *k, uint32_t vector, int fd)
{
	const struct kvm_msi_msg m = { MSI_ADDR_APIC0, 0, vector & 0xff }; /* fixed, edge */

	return kvm_irqfd_msi_msg(k, &m, fd);
}

int kvm_msi_route_set(struct kvm_vm *k, int gsi, const struct kvm_msi_msg *m)
{
	struct kvm_irq_routing_entry old;
	unsigned i;
	int rc = -ENOENT;

	pthread_mutex_lock(&k->irq_lock);
	for (i = 0; i < k->nr_msi; i++)
		if (k->msi[i].gsi == (uint32_t)gsi) {
			old = k->msi[i];
			set_msi(&k->msi[i], m);
			rc = set_routing(k);
			if (rc) /* the table stays what KVM has */
				k->msi[i] = old;
			break;
		}
	pthread_mutex_unlock(&k->irq_lock);
	return rc;
}

int kvm_irqfd_msi_remove(struct kvm_vm *k, int gsi, int fd)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = (uint32_t)gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };
	unsigned i;
	int rc;

	pthread_mutex_lock(&k->irq_lock);
	rc = ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
	for (i = 0; i < k->nr_msi; i++)
		if (k->msi[i].gsi == (uint32_t)gsi) {
			drop_route(k, i);
			if (!rc)
				rc = set_routing(k);
			break;
		}
	pthread_mutex_unlock(&k->irq_lock);
	return rc;
}
