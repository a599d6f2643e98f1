/*
 * The VM's and vCPU's state as KVM holds it, piece by piece, for snapshots:
 * one table says which ioctl reads and writes each fixed-size piece; the
 * pieces whose size KVM decides (CPUID, MSRs, XSAVE) and the TSC frequency
 * have their own functions.  Which order to read and write them in is the
 * caller's (snap/snapshot.c): KVM's rules are about the order.
 */
#include "kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

enum { ON_VCPU = 0, ON_VM = 1 };

static const struct kvm_state_piece {
	const char *name;
	int on;
	unsigned long get, set;
	size_t size;
	int chip; /* KVM_IRQCHIP_* for the irqchip's three, else -1 */
} pieces[KVM_STATE_COUNT] = {
	[KVM_STATE_MP_STATE] = { "MP state", ON_VCPU, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
				 sizeof(struct kvm_mp_state), -1 },
	[KVM_STATE_REGS] = { "registers", ON_VCPU, KVM_GET_REGS, KVM_SET_REGS,
			     sizeof(struct kvm_regs), -1 },
	[KVM_STATE_SREGS] = { "special registers", ON_VCPU, KVM_GET_SREGS, KVM_SET_SREGS,
			      sizeof(struct kvm_sregs), -1 },
	[KVM_STATE_XCRS] = { "XCRs", ON_VCPU, KVM_GET_XCRS, KVM_SET_XCRS,
			     sizeof(struct kvm_xcrs), -1 },
	[KVM_STATE_DEBUGREGS] = { "debug registers", ON_VCPU, KVM_GET_DEBUGREGS,
				  KVM_SET_DEBUGREGS, sizeof(struct kvm_debugregs), -1 },
	[KVM_STATE_LAPIC] = { "local APIC", ON_VCPU, KVM_GET_LAPIC, KVM_SET_LAPIC,
			      sizeof(struct kvm_lapic_state), -1 },
	[KVM_STATE_VCPU_EVENTS] = { "vCPU events", ON_VCPU, KVM_GET_VCPU_EVENTS,
				    KVM_SET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events), -1 },
	[KVM_STATE_PIT] = { "PIT", ON_VM, KVM_GET_PIT2, KVM_SET_PIT2,
			    sizeof(struct kvm_pit_state2), -1 },
	[KVM_STATE_CLOCK] = { "KVM clock", ON_VM, KVM_GET_CLOCK, KVM_SET_CLOCK,
			      sizeof(struct kvm_clock_data), -1 },
	[KVM_STATE_PIC_MASTER] = { "master PIC", ON_VM, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP,
				   sizeof(struct kvm_irqchip), KVM_IRQCHIP_PIC_MASTER },
	[KVM_STATE_PIC_SLAVE] = { "slave PIC", ON_VM, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP,
				  sizeof(struct kvm_irqchip), KVM_IRQCHIP_PIC_SLAVE },
	[KVM_STATE_IOAPIC] = { "IOAPIC", ON_VM, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP,
			       sizeof(struct kvm_irqchip), KVM_IRQCHIP_IOAPIC },
	[KVM_STATE_CPUID] = { "CPUID", ON_VCPU, KVM_GET_CPUID2, KVM_SET_CPUID2, 0, -1 },
	[KVM_STATE_TSC_KHZ] = { "TSC frequency", ON_VCPU, KVM_GET_TSC_KHZ, KVM_SET_TSC_KHZ,
				0, -1 },
	[KVM_STATE_MSRS] = { "MSRs", ON_VCPU, KVM_GET_MSRS, KVM_SET_MSRS, 0, -1 },
	[KVM_STATE_XSAVE] = { "XSAVE", ON_VCPU, KVM_GET_XSAVE, KVM_SET_XSAVE, 0, -1 },
};

#define MAX_CPUID 256
#define MAX_MSRS 1024

const char *kvm_state_name(unsigned id)
{
	return id < KVM_STATE_COUNT && pieces[id].name ? pieces[id].name : "?";
}

static int fd_of(const struct kvm_vm *k, const struct kvm_state_piece *p)
{
	return p->on == ON_VM ? k->vm_fd : k->vcpu_fd;
}

/* The XSAVE area's size: what KVM_CAP_XSAVE2 reports (AMX makes it larger), else 4 KiB. */
static size_t xsave_size(const struct kvm_vm *k, unsigned long *get)
{
	int n = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	*get = KVM_GET_XSAVE;
	if (n > (int)sizeof(struct kvm_xsave)) {
		*get = KVM_GET_XSAVE2;
		return (size_t)n;
	}
	return sizeof(struct kvm_xsave);
}

/* Every MSR in KVM's index list that KVM_GET_MSRS reads; those it refuses are left out. */
static int get_msrs(const struct kvm_vm *k, void **out, size_t *len)
{
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + MAX_MSRS * sizeof(uint32_t));
	struct kvm_msrs *m = calloc(1, sizeof(*m) + MAX_MSRS * sizeof(struct kvm_msr_entry));
	struct kvm_msrs *req = calloc(1, sizeof(*m) + MAX_MSRS * sizeof(struct kvm_msr_entry));
	uint32_t i, next = 0;
	int rc = 0;

	if (!l || !m || !req) {
		rc = -ENOMEM;
		goto out;
	}
	l->nmsrs = MAX_MSRS;
	if (ioctl(k->sys_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		rc = -errno;
		goto out;
	}
	/* KVM_GET_MSRS stops at the first MSR it cannot read: drop that one, go on after it. */
	while (next < l->nmsrs) {
		int got;

		req->nmsrs = l->nmsrs - next;
		for (i = 0; i < req->nmsrs; i++)
			req->entries[i] = (struct kvm_msr_entry){ .index = l->indices[next + i] };
		got = ioctl(k->vcpu_fd, KVM_GET_MSRS, req);
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		memcpy(&m->entries[m->nmsrs], req->entries, (size_t)got * sizeof(req->entries[0]));
		m->nmsrs += (uint32_t)got;
		next += (uint32_t)got + 1;
	}
out:
	free(l);
	free(req);
	if (rc) {
		free(m);
		return rc;
	}
	*out = m;
	*len = sizeof(*m) + (size_t)m->nmsrs * sizeof(m->entries[0]);
	return 0;
}

static int get_cpuid(const struct kvm_vm *k, void **out, size_t *len)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_CPUID * sizeof(c->entries[0]));

	if (!c)
		return -ENOMEM;
	c->nent = MAX_CPUID;
	if (ioctl(k->vcpu_fd, KVM_GET_CPUID2, c) < 0) {
		int rc = -errno;
		free(c);
		return rc;
	}
	*out = c;
	*len = sizeof(*c) + (size_t)c->nent * sizeof(c->entries[0]);
	return 0;
}

int kvm_state_get(const struct kvm_vm *k, unsigned id, void **out, size_t *len)
{
	const struct kvm_state_piece *p;
	unsigned long get;
	size_t size;
	void *buf;
	int r;

	if (id >= KVM_STATE_COUNT)
		return -EINVAL;
	p = &pieces[id];
	switch (id) {
	case KVM_STATE_MSRS:
		return get_msrs(k, out, len);
	case KVM_STATE_CPUID:
		return get_cpuid(k, out, len);
	case KVM_STATE_TSC_KHZ:
		r = ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);
		if (r <= 0)
			return r < 0 ? -errno : -ENODATA;
		buf = malloc(sizeof(uint32_t));
		if (!buf)
			return -ENOMEM;
		*(uint32_t *)buf = (uint32_t)r;
		*out = buf;
		*len = sizeof(uint32_t);
		return 0;
	case KVM_STATE_XSAVE:
		size = xsave_size(k, &get);
		break;
	default:
		size = p->size;
		get = p->get;
		break;
	}
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	if (p->chip >= 0)
		((struct kvm_irqchip *)buf)->chip_id = (uint32_t)p->chip;
	if (ioctl(fd_of(k, p), get, buf) < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	*out = buf;
	*len = size;
	return 0;
}

/* Is len right for piece id, and the counts inside it too?  (The file is input.) */
static int check_len(const struct kvm_vm *k, unsigned id, const void *buf, size_t len)
{
	unsigned long get;

	switch (id) {
	case KVM_STATE_MSRS: {
		const struct kvm_msrs *m = buf;
		return len >= sizeof(*m) && m->nmsrs <= MAX_MSRS &&
		       len == sizeof(*m) + m->nmsrs * sizeof(m->entries[0]) ? 0 : -EINVAL;
	}
	case KVM_STATE_CPUID: {
		const struct kvm_cpuid2 *c = buf;
		return len >= sizeof(*c) && c->nent <= MAX_CPUID &&
		       len == sizeof(*c) + c->nent * sizeof(c->entries[0]) ? 0 : -EINVAL;
	}
	case KVM_STATE_TSC_KHZ:
		return len == sizeof(uint32_t) ? 0 : -EINVAL;
	case KVM_STATE_XSAVE:
		/* KVM_SET_XSAVE reads as many bytes as this KVM's XSAVE area has. */
		return len == xsave_size(k, &get) ? 0 : -EINVAL;
	default:
		return len == pieces[id].size ? 0 : -EINVAL;
	}
}

int kvm_state_set(const struct kvm_vm *k, unsigned id, const void *buf, size_t len)
{
	const struct kvm_state_piece *p;
	void *copy;
	int r;

	if (id >= KVM_STATE_COUNT || check_len(k, id, buf, len))
		return -EINVAL;
	p = &pieces[id];
	if (id == KVM_STATE_TSC_KHZ) {
		uint32_t khz;
		memcpy(&khz, buf, sizeof(khz));
		/* KVM accepts its own frequency without TSC scaling; another needs scaling. */
		r = ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);
		if (r > 0 && (uint32_t)r == khz)
			return 0;
		return ioctl(k->vcpu_fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0 ? -errno : 0;
	}
	copy = malloc(len); /* aligned for the ioctl's struct, and KVM may write (SET_MSRS) */
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	if (id == KVM_STATE_CLOCK)
		/* The guest's clock goes on from where it stopped: no flag makes KVM add host time. */
		((struct kvm_clock_data *)copy)->flags = 0;
	r = ioctl(fd_of(k, p), p->set, copy);
	if (r < 0)
		r = -errno;
	else if (id == KVM_STATE_MSRS && (uint32_t)r != ((struct kvm_msrs *)copy)->nmsrs)
		/* KVM_SET_MSRS stops at the first it refuses: r is how many it took. */
		r = -EPROTO;
	else
		r = 0;
	free(copy);
	return r;
}
