/* The stub's requests, executed on the parked vCPU thread. */
#include "debug/gdb_vcpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"
#include "kvm/guest_mem.h"

static int on_get_cpu(struct vcpu *v, void *arg)
{
	struct gdb_cpu *c = arg;
	int fd = v->kvm->vcpu_fd;

	if (ioctl(fd, KVM_GET_REGS, &c->r) || ioctl(fd, KVM_GET_SREGS, &c->s) ||
	    ioctl(fd, KVM_GET_FPU, &c->f))
		return -errno;
	return 0;
}

/* Sregs are written only if gdb changed fs_base or gs_base: the rest is shown, not set. */
static int on_set_cpu(struct vcpu *v, void *arg)
{
	const struct gdb_cpu *c = arg;
	struct kvm_sregs s;
	int fd = v->kvm->vcpu_fd;

	if (ioctl(fd, KVM_SET_REGS, &c->r) || ioctl(fd, KVM_SET_FPU, &c->f) ||
	    ioctl(fd, KVM_GET_SREGS, &s))
		return -errno;
	if (s.fs.base != c->s.fs.base || s.gs.base != c->s.gs.base) {
		s.fs.base = c->s.fs.base;
		s.gs.base = c->s.gs.base;
		if (ioctl(fd, KVM_SET_SREGS, &s))
			return -errno;
	}
	return 0;
}

struct mem_req {
	uint64_t gva;
	uint8_t *buf;
	size_t len;
	bool write;
};

/*
 * Page by page, as the guest's page tables map it now; the whole range or
 * -EFAULT (a page not mapped, or not RAM: never outside guest memory).
 */
static int on_mem(struct vcpu *v, void *arg)
{
	const struct mem_req *m = arg;
	size_t done = 0;

	while (done < m->len) {
		struct kvm_translation t = { .linear_address = m->gva + done };
		size_t chunk = 4096 - (t.linear_address & 4095);
		uint8_t *host;

		if (chunk > m->len - done)
			chunk = m->len - done;
		if (ioctl(v->kvm->vcpu_fd, KVM_TRANSLATE, &t) || !t.valid)
			return -EFAULT;
		host = gm_range(&v->vm->mem, t.physical_address, chunk);
		if (!host)
			return -EFAULT;
		if (m->write)
			memcpy(host, m->buf + done, chunk);
		else
			memcpy(m->buf + done, host, chunk);
		done += chunk;
	}
	return 0;
}

static int get_cpu(void *t, struct gdb_cpu *c)
{
	return vcpu_call(t, on_get_cpu, c, GDB_VCPU_WAIT_MS);
}

static int set_cpu(void *t, const struct gdb_cpu *c)
{
	return vcpu_call(t, on_set_cpu, (void *)c, GDB_VCPU_WAIT_MS);
}

static int read_mem(void *t, uint64_t gva, void *buf, size_t len)
{
	struct mem_req m = { gva, buf, len, false };

	return vcpu_call(t, on_mem, &m, GDB_VCPU_WAIT_MS);
}

static int write_mem(void *t, uint64_t gva, const void *buf, size_t len)
{
	struct mem_req m = { gva, (uint8_t *)buf, len, true };

	return vcpu_call(t, on_mem, &m, GDB_VCPU_WAIT_MS);
}

const struct gdb_target_ops gdb_vcpu_ops = { get_cpu, set_cpu, read_mem, write_mem };

/*
 * KVM_GUESTDBG_BLOCKIRQ (Linux 5.15): a step executes the instruction, not
 * the first of an interrupt handler that became pending meanwhile.  A KVM
 * without it refuses the flag: the step goes on without, as before 5.15.
 */
static int on_set_debug(struct vcpu *v, void *arg)
{
	struct kvm_guest_debug *d = arg;

	if (ioctl(v->kvm->vcpu_fd, KVM_SET_GUEST_DEBUG, d) == 0)
		return 0;
	if (errno != EINVAL || !(d->control & KVM_GUESTDBG_BLOCKIRQ))
		return -errno;
	d->control &= ~(uint32_t)KVM_GUESTDBG_BLOCKIRQ;
	return ioctl(v->kvm->vcpu_fd, KVM_SET_GUEST_DEBUG, d) ? -errno : 0;
}

int gdb_vcpu_set_debug(struct vcpu *v, bool sw_bp, const uint64_t *dr, bool step)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	if (sw_bp)
		d.control |= KVM_GUESTDBG_USE_SW_BP;
	if (dr) {
		d.control |= KVM_GUESTDBG_USE_HW_BP;
		memcpy(d.arch.debugreg, dr, sizeof(d.arch.debugreg));
	}
	if (step)
		d.control |= KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ;
	if (d.control)
		d.control |= KVM_GUESTDBG_ENABLE;
	return vcpu_call(v, on_set_debug, &d, GDB_VCPU_WAIT_MS);
}
