/*
 * What a snapshot holds and the order of it (snapshot.h, docs/SNAPSHOT.md).
 *
 * Order, after Firecracker's vstate (arch/x86_64/vcpu.rs, vm.rs) and KVM's
 * documentation:
 *  save:    the I/O is drained first (the caller quiesced the I/O thread,
 *           so the last completions' interrupts are in the local APIC), then
 *           the vCPU: MP state first (KVM_GET_MP_STATE runs
 *           kvm_apic_accept_events, which may change the LAPIC), registers,
 *           special registers, XSAVE, XCRs, debug registers, the LAPIC, the
 *           TSC frequency, CPUID, the MSRs, and the vCPU events last (the
 *           other reads may change what is pending); then the VM: PIT, clock,
 *           the PICs and the IOAPIC.
 *  restore: CPUID first (what the vCPU is decides which MSRs and XSAVE
 *           features KVM takes), the TSC frequency before anything reads the
 *           TSC, the VM's PIT, clock and irqchip, then MP state, registers,
 *           special registers (they carry the APIC base: before the LAPIC),
 *           XSAVE, XCRs, debug registers, the LAPIC (before the MSRs: the
 *           TSC deadline MSR only sticks with the LAPIC in that mode), the
 *           MSRs, and the vCPU events last (KVM_SET_REGS clears a pending
 *           exception that the events put back).
 */
#include "snap/snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/vm.h"
#include "kvm/kvm.h"
#include "pci/pci.h"
#include "snap/snap_pci.h"
#include "x86/legacy.h"

#define SNAP_PAGE 4096u

static const unsigned save_order[] = {
	KVM_STATE_MP_STATE, KVM_STATE_REGS, KVM_STATE_SREGS, KVM_STATE_XSAVE,
	KVM_STATE_XCRS, KVM_STATE_DEBUGREGS, KVM_STATE_LAPIC, KVM_STATE_TSC_KHZ,
	KVM_STATE_CPUID, KVM_STATE_MSRS, KVM_STATE_VCPU_EVENTS,
	KVM_STATE_PIT, KVM_STATE_CLOCK, KVM_STATE_PIC_MASTER, KVM_STATE_PIC_SLAVE,
	KVM_STATE_IOAPIC,
};

static const unsigned restore_order[] = {
	KVM_STATE_CPUID, KVM_STATE_TSC_KHZ,
	KVM_STATE_PIT, KVM_STATE_CLOCK, KVM_STATE_PIC_MASTER, KVM_STATE_PIC_SLAVE,
	KVM_STATE_IOAPIC,
	KVM_STATE_MP_STATE, KVM_STATE_REGS, KVM_STATE_SREGS, KVM_STATE_XSAVE,
	KVM_STATE_XCRS, KVM_STATE_DEBUGREGS, KVM_STATE_LAPIC, KVM_STATE_MSRS,
	KVM_STATE_VCPU_EVENTS,
};

_Static_assert(ARRAY_SIZE(save_order) == KVM_STATE_COUNT - 1, "every KVM piece is saved");
_Static_assert(ARRAY_SIZE(restore_order) == KVM_STATE_COUNT - 1, "every KVM piece is restored");

int snap_out_open(struct snap_out *o, const char *path, char *err, size_t errlen)
{
	char mem[4096];

	o->state_fd = o->mem_fd = -1;
	if (snprintf(mem, sizeof(mem), "%s%s", path, SNAP_MEM_SUFFIX) >= (int)sizeof(mem))
		return err_msg(-ENAMETOOLONG, err, errlen, "snapshot %s: path too long", path);
	o->state_fd = openat(AT_FDCWD, path, SNAP_OPEN_FLAGS, 0600);
	if (o->state_fd >= 0)
		o->mem_fd = openat(AT_FDCWD, mem, SNAP_OPEN_FLAGS, 0600);
	if (o->mem_fd < 0) {
		int rc = -errno;
		snap_out_close(o);
		return err_msg(rc, err, errlen, "snapshot %s: cannot create: %s", path,
			       strerror(-rc));
	}
	return 0;
}

void snap_out_close(struct snap_out *o)
{
	if (o->state_fd >= 0)
		close(o->state_fd);
	if (o->mem_fd >= 0)
		close(o->mem_fd);
	o->state_fd = o->mem_fd = -1;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	unsigned i;

	for (i = 0; i < SNAP_PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * RAM, with a hole for every page of zeros (most of a guest's RAM it never
 * touched): the file is as large as RAM and costs only what was written.
 * The last page is written always, so the file has its full length.
 */
static int write_ram(int fd, const struct guest_mem *gm)
{
	uint64_t off = 0, run = 0, size = gm->size;
	int rc;

	while (off < size) {
		uint64_t n = 0;

		while (off + n < size - SNAP_PAGE && page_is_zero(gm->host + off + n))
			n += SNAP_PAGE;
		if (n) {
			if (lseek(fd, (off_t)n, SEEK_CUR) < 0)
				return -errno;
			off += n;
		}
		for (run = 0; off + run < size &&
			      (off + run == size - SNAP_PAGE || !page_is_zero(gm->host + off + run));
		     run += SNAP_PAGE)
			;
		rc = write_full(fd, gm->host + off, run);
		if (rc)
			return rc;
		off += run;
	}
	return 0;
}

int snap_add_machine(struct snap_writer *w, const struct vm *vm, char *err, size_t errlen)
{
	struct snap_vm_rec vr = { vm->mem.size, vm->mem.low, vm->nr_dev, vm->nr_notify_ports,
				  vm->mmio_next, vm->platform ? SNAP_PLATFORM_PC : SNAP_PLATFORM_HV,
				  vm->pci ? vm->pci->addr : 0 };
	uint8_t buf[sizeof(struct snap_dev_rec) + SNAP_DEV_REC_MAX];
	unsigned i;

	for (i = 0; i < vm->nr_dev; i++) {
		const struct vm_device *d = &vm->dev[i];
		struct snap_dev_rec r = { .index = d->index, .desc = vm->desc[i] };
		size_t len = 0;
		int rc;

		if (!d->kind->save)
			return err_msg(-ENOTSUP, err, errlen,
				       "%s%u: this kind of device cannot be snapshotted yet",
				       d->kind->name, d->index);
		snprintf(r.kind, sizeof(r.kind), "%s", d->kind->name);
		if (d->kind->update_desc)
			d->kind->update_desc(d->dev, &r.desc);
		rc = d->kind->save(d->dev, buf + sizeof(r), SNAP_DEV_REC_MAX, &len);
		if (rc)
			return err_msg(rc, err, errlen, "%s%u: cannot save its state: %s",
				       d->kind->name, d->index, strerror(-rc));
		r.rec_len = (uint32_t)len;
		memcpy(buf, &r, sizeof(r));
		snapw_add(w, SNAP_SEC_DEVICE, i, buf, sizeof(r) + len);
	}
	if (vm->pci)
		snap_pci_save(w, vm->pci);
	if (vm->platform) {
		struct legacy_rec lr;

		legacy_save(vm, &lr);
		snapw_add(w, SNAP_SEC_PLATFORM, 0, &lr, sizeof(lr));
	}
	snapw_add(w, SNAP_SEC_VM, 0, &vr, sizeof(vr));
	return 0;
}

int snap_add_origin(struct snap_writer *w, const struct snap_origin *o)
{
	struct snap_origin_hdr h = { (uint32_t)strnlen(o->kernel, SNAP_ORIGIN_MAX - 1),
				     (uint32_t)strnlen(o->initrd, SNAP_ORIGIN_MAX - 1),
				     (uint32_t)strnlen(o->cmdline, SNAP_ORIGIN_MAX - 1), 0 };
	uint8_t *buf = malloc(sizeof(h) + h.kernel_len + h.initrd_len + h.cmdline_len);
	size_t n = sizeof(h);
	int rc;

	if (!buf)
		return w->err = -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + n, o->kernel, h.kernel_len), n += h.kernel_len;
	memcpy(buf + n, o->initrd, h.initrd_len), n += h.initrd_len;
	memcpy(buf + n, o->cmdline, h.cmdline_len), n += h.cmdline_len;
	rc = snapw_add(w, SNAP_SEC_ORIGIN, 0, buf, n);
	free(buf);
	return rc;
}

/* One string of the origin record: below SNAP_ORIGIN_MAX, no NUL inside. */
static int origin_string(char *dst, const uint8_t **p, uint32_t len)
{
	if (len >= SNAP_ORIGIN_MAX || memchr(*p, 0, len))
		return -EINVAL;
	memcpy(dst, *p, len);
	dst[len] = '\0';
	*p += len;
	return 0;
}

int snap_read_origin(const struct snap_reader *r, struct snap_origin *o)
{
	struct snap_origin_hdr h;
	const uint8_t *p;
	size_t len;

	p = snapr_find(r, SNAP_SEC_ORIGIN, 0, &len);
	if (!p || len < sizeof(h))
		return -EINVAL;
	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	if (h.reserved || h.kernel_len >= SNAP_ORIGIN_MAX || h.initrd_len >= SNAP_ORIGIN_MAX ||
	    h.cmdline_len >= SNAP_ORIGIN_MAX ||
	    (uint64_t)h.kernel_len + h.initrd_len + h.cmdline_len != len - sizeof(h))
		return -EINVAL;
	if (origin_string(o->kernel, &p, h.kernel_len) ||
	    origin_string(o->initrd, &p, h.initrd_len) ||
	    origin_string(o->cmdline, &p, h.cmdline_len))
		return -EINVAL;
	return 0;
}

int snap_create(struct vm *vm, struct kvm_vm *k, const struct snap_out *o,
		const struct snap_origin *origin, char *err, size_t errlen)
{
	struct snap_writer w;
	unsigned i;
	int rc;

	snapw_init(&w);
	for (i = 0; i < ARRAY_SIZE(save_order); i++) {
		void *p;
		size_t len;

		rc = kvm_state_get(k, save_order[i], &p, &len);
		if (rc) {
			snapw_free(&w);
			return err_msg(rc, err, errlen, "cannot read the %s from KVM: %s",
				       kvm_state_name(save_order[i]), strerror(-rc));
		}
		snapw_add(&w, save_order[i], 0, p, len);
		free(p);
	}
	rc = snap_add_machine(&w, vm, err, errlen);
	if (!rc)
		snap_add_origin(&w, origin);
	if (!rc) {
		rc = snapw_finish(&w);
		if (rc)
			err_msg(rc, err, errlen, "cannot build the state file: %s", strerror(-rc));
	}
	/*
	 * RAM first: a state file means its RAM was written before it.  No
	 * fsync (the vCPU thread's allowlist has none): a snapshot survives hv,
	 * not a power cut, unless its owner syncs it.
	 */
	if (!rc) {
		rc = write_ram(o->mem_fd, &vm->mem);
		if (!rc)
			rc = write_full(o->state_fd, w.buf, w.len);
		if (rc)
			err_msg(rc, err, errlen, "cannot write the snapshot: %s", strerror(-rc));
	}
	snapw_free(&w);
	return rc;
}

static int read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_msg(-errno, err, errlen, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_msg(-EINVAL, err, errlen, "not a regular file");
	}
	if ((uint64_t)st.st_size > SNAP_MAX_BYTES) {
		close(fd);
		return err_msg(-EINVAL, err, errlen, "not an hv snapshot (%lld bytes: too large)",
			       (long long)st.st_size);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_msg(-ENOMEM, err, errlen, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got; /* a file cut while being read is checked as the shorter one */
	return 0;
}

int snap_in_open(struct snap_in *s, const char *path, char *err, size_t errlen)
{
	char e[ERR_MAX], mem[4096];
	const void *p;
	struct stat st;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	s->mem_fd = -1;
	rc = read_file(path, &s->file, &s->len, e, sizeof(e));
	if (!rc)
		rc = snapr_open(&s->r, s->file, s->len, e, sizeof(e));
	if (rc)
		goto bad;
	p = snapr_find(&s->r, SNAP_SEC_VM, 0, &len);
	if (!p || len != sizeof(s->vm)) {
		rc = err_msg(-EINVAL, e, sizeof(e), "corrupted snapshot (no VM record)");
		goto bad;
	}
	memcpy(&s->vm, p, sizeof(s->vm));
	if (!s->vm.mem_size || s->vm.mem_size % 4096 || s->vm.mem_low > s->vm.mem_size ||
	    s->vm.nr_dev > HV_BOOT_MAX_DEV || s->vm.platform > SNAP_PLATFORM_PC) {
		rc = err_msg(-EINVAL, e, sizeof(e), "corrupted snapshot (bad VM record)");
		goto bad;
	}
	s->origin = malloc(sizeof(*s->origin));
	if (!s->origin || snap_read_origin(&s->r, s->origin)) {
		rc = err_msg(s->origin ? -EINVAL : -ENOMEM, e, sizeof(e), "%s",
			     s->origin ? "corrupted snapshot (bad origin record)" : "out of memory");
		goto bad;
	}
	snprintf(mem, sizeof(mem), "%s%s", path, SNAP_MEM_SUFFIX);
	s->mem_fd = open(mem, O_RDONLY | O_CLOEXEC);
	if (s->mem_fd < 0 || fstat(s->mem_fd, &st) < 0) {
		rc = err_msg(-errno, e, sizeof(e), "its RAM, %s: cannot open: %s", mem,
			     strerror(errno));
		goto bad;
	}
	if ((uint64_t)st.st_size != s->vm.mem_size) {
		rc = err_msg(-EINVAL, e, sizeof(e), "its RAM, %s: %lld bytes, the snapshot has %llu",
			     mem, (long long)st.st_size, (unsigned long long)s->vm.mem_size);
		goto bad;
	}
	return 0;
bad:
	snap_in_close(s);
	return err_msg(rc, err, errlen, "--restore %s: %s", path, e);
}

void snap_in_close(struct snap_in *s)
{
	free(s->file);
	free(s->origin);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	memset(s, 0, sizeof(*s));
	s->mem_fd = -1;
}

/*
 * Gaps between the file's data extents shorter than this are mapped from
 * the file too (its holes read as zeros all the same): a huge page needs
 * 2 MiB of anonymous memory, and fewer mappings cost less.
 */
#define SNAP_MAP_GAP (2ull << 20)
#define SNAP_MAP_MAX 4096 /* mappings at most: the rest of the file is one */

static int map_extent(uint8_t *base, int fd, uint64_t off, uint64_t end)
{
	void *p = mmap(base + off, end - off, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

/* Maps the file's data extents (SEEK_DATA/SEEK_HOLE) over base, privately. */
static int map_data(uint8_t *base, int fd, uint64_t size)
{
	uint64_t pos = 0, start = 0, end = 0;
	unsigned n = 0;
	int rc;

	while (pos < size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), h;
		uint64_t s, e;

		if (d < 0 && errno == ENXIO) /* no data past pos */
			break;
		h = d < 0 ? -1 : lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		s = (uint64_t)d & ~(uint64_t)(SNAP_PAGE - 1);
		e = ((uint64_t)h + SNAP_PAGE - 1) & ~(uint64_t)(SNAP_PAGE - 1);
		e = e < size ? e : size;
		if (end && (s <= end || s - end < SNAP_MAP_GAP || n + 1 >= SNAP_MAP_MAX)) {
			end = e; /* one mapping with the one before */
		} else {
			if (end && (rc = map_extent(base, fd, start, end)))
				return rc;
			n += end != 0;
			start = s;
			end = e;
		}
		pos = e;
	}
	return end ? map_extent(base, fd, start, end) : 0;
}

int snap_map_memory(const struct snap_in *s, struct vm *vm, char *err, size_t errlen)
{
	/*
	 * Anonymous zeroed memory, as a boot maps (so the guest's fresh pages
	 * are the huge pages a booted guest gets, not 4 KiB copies faulted in
	 * from a file), with the file's data mapped over it privately: those
	 * pages fault in from the file as the guest touches them, its writes go
	 * to private copies, and the file is never written.
	 */
	void *p = mmap(NULL, s->vm.mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int rc;

	if (p == MAP_FAILED)
		return err_msg(-errno, err, errlen, "cannot map the snapshot's RAM: %s",
			       strerror(errno));
	rc = map_data(p, s->mem_fd, s->vm.mem_size);
	if (rc) {
		munmap(p, s->vm.mem_size);
		return err_msg(rc, err, errlen, "cannot map the snapshot's RAM: %s", strerror(-rc));
	}
	vm->mem.host = p;
	vm->mem.size = s->vm.mem_size;
	vm->mem.low = s->vm.mem_low;
	return 0;
}

/* The parts of a descriptor the command line decides (the live ones, a NIC's link, not). */
static int desc_differs(const struct hv_dev_desc *a, const struct hv_dev_desc *b)
{
	return a->type != b->type || a->index != b->index ||
	       (a->flags & ~HV_DEV_F_LINK_UP) != (b->flags & ~HV_DEV_F_LINK_UP) ||
	       a->base != b->base || a->len != b->len || a->capacity != b->capacity ||
	       a->irq != b->irq || a->sector_size != b->sector_size ||
	       memcmp(&a->cfg, &b->cfg, sizeof(a->cfg));
}

int snap_check_devices(const struct snap_in *s, const struct vm *vm, char *err, size_t errlen)
{
	unsigned i;

	if (vm->nr_dev != s->vm.nr_dev)
		return err_msg(-EINVAL, err, errlen,
			       "the snapshot has %u devices, this command line makes %u "
			       "(give the same --disk and --net options)",
			       s->vm.nr_dev, vm->nr_dev);
	for (i = 0; i < vm->nr_dev; i++) {
		const struct vm_device *d = &vm->dev[i];
		struct snap_dev_rec r;
		struct hv_dev_desc now = vm->desc[i];
		const void *p;
		size_t len;

		p = snapr_find(&s->r, SNAP_SEC_DEVICE, i, &len);
		if (!p || len < sizeof(r))
			return err_msg(-EINVAL, err, errlen, "corrupted snapshot (no device %u)", i);
		memcpy(&r, p, sizeof(r));
		if (r.rec_len != len - sizeof(r))
			return err_msg(-EINVAL, err, errlen, "corrupted snapshot (device %u)", i);
		r.kind[sizeof(r.kind) - 1] = '\0';
		if (strcmp(r.kind, d->kind->name) || r.index != d->index)
			return err_msg(-EINVAL, err, errlen,
				       "device %u is %s%u in the snapshot, %s%u on this command line",
				       i, r.kind, r.index, d->kind->name, d->index);
		if (d->kind->update_desc)
			d->kind->update_desc(d->dev, &now);
		if (desc_differs(&r.desc, &now))
			return err_msg(-EINVAL, err, errlen,
				       "%s%u differs from the snapshot's (capacity %llu sectors%s "
				       "there, %llu%s here)",
				       r.kind, r.index, (unsigned long long)r.desc.capacity,
				       r.desc.flags & HV_DEV_F_RO ? " ro" : "",
				       (unsigned long long)now.capacity,
				       now.flags & HV_DEV_F_RO ? " ro" : "");
	}
	return 0;
}

int snap_restore_kvm(const struct snap_in *s, struct kvm_vm *k, char *err, size_t errlen)
{
	unsigned i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(restore_order); i++) {
		const void *p;
		size_t len;

		p = snapr_find(&s->r, restore_order[i], 0, &len);
		if (!p)
			return err_msg(-EINVAL, err, errlen, "corrupted snapshot (no %s)",
				       kvm_state_name(restore_order[i]));
		rc = kvm_state_set(k, restore_order[i], p, len);
		if (rc)
			return err_msg(rc, err, errlen, "KVM refused the snapshot's %s: %s",
				       kvm_state_name(restore_order[i]),
				       rc == -EINVAL ? "bad size or contents"
				       : rc == -EPROTO ? "not every MSR taken" : strerror(-rc));
	}
	/* Tells a kvmclock guest it was stopped (no soft-lockup alarm); one without has none. */
	if (ioctl(k->vcpu_fd, KVM_KVMCLOCK_CTRL, 0) < 0 && errno != EINVAL)
		return err_msg(-errno, err, errlen, "KVM_KVMCLOCK_CTRL: %s", strerror(errno));
	return 0;
}

/*
 * A Linux guest's ports, as its boot adds them (guest_boot_finish), with
 * their record; hv's own kernel has none, and a record for it is refused.
 */
static int restore_platform(const struct snap_in *s, struct vm *vm, char *err, size_t errlen)
{
	struct legacy_rec lr;
	const void *p;
	size_t len;
	int rc;

	p = snapr_find(&s->r, SNAP_SEC_PLATFORM, 0, &len);
	if (s->vm.platform == SNAP_PLATFORM_HV)
		return p ? err_msg(-EINVAL, err, errlen, "corrupted snapshot (a platform record "
				   "for hv's kernel)") : 0;
	if (!p || len != sizeof(lr))
		return err_msg(-EINVAL, err, errlen, "corrupted snapshot (no platform record)");
	memcpy(&lr, p, sizeof(lr));
	rc = vm->platform ? 0 : legacy_add(vm);
	if (rc)
		return err_msg(rc, err, errlen, "legacy ports: %s", strerror(-rc));
	if (legacy_load(vm, &lr))
		return err_msg(-EINVAL, err, errlen, "corrupted snapshot (bad platform record)");
	return 0;
}

int snap_restore_devices(const struct snap_in *s, struct vm *vm, char *err, size_t errlen)
{
	unsigned i;

	if (restore_platform(s, vm, err, errlen))
		return -EINVAL;
	/* Before the queues attach: they route their MSI-X entries from the table. */
	if (vm->pci) {
		if (snap_pci_load(&s->r, vm->pci, err, errlen))
			return -EINVAL;
		vm->pci->addr = s->vm.pci_addr;
	}

	for (i = 0; i < vm->nr_dev; i++) {
		const struct vm_device *d = &vm->dev[i];
		const uint8_t *p;
		size_t len;
		int rc;

		p = snapr_find(&s->r, SNAP_SEC_DEVICE, i, &len); /* checked: snap_check_devices */
		if (!p || !d->kind->load)
			return err_msg(-EINVAL, err, errlen, "%s%u: no state to restore",
				       d->kind->name, d->index);
		rc = d->kind->load(d->dev, p + sizeof(struct snap_dev_rec),
				   len - sizeof(struct snap_dev_rec), vm->kvm);
		if (rc)
			return err_msg(rc, err, errlen, "%s%u: cannot restore its state: %s",
				       d->kind->name, d->index,
				       rc == -EINVAL ? "the snapshot's record is bad" : strerror(-rc));
	}
	vm->nr_notify_ports = s->vm.nr_notify_ports;
	vm->mmio_next = s->vm.mmio_next;
	if (s->origin && !vm->origin) {
		vm->origin = malloc(sizeof(*vm->origin));
		if (vm->origin)
			memcpy(vm->origin, s->origin, sizeof(*vm->origin));
	}
	return 0;
}
