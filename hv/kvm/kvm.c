/* /dev/kvm: VM, memory, irqchip, vCPU, and KVM's binary statistics. */
#include "kvm/kvm.h"
#include "core/util.h"
#include "x86/cpuid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum kvm_backend kvm_detect_backend(void)
{
	static const struct { const char *path; enum kvm_backend b; } mods[] = {
		{ "/sys/module/kvm_pvm", KVM_BACKEND_PVM },
		{ "/sys/module/kvm_intel", KVM_BACKEND_VMX },
		{ "/sys/module/kvm_amd", KVM_BACKEND_SVM },
	};
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		if (!stat(mods[i].path, &st))
			return mods[i].b;
	return KVM_BACKEND_UNKNOWN;
}

const char *kvm_backend_name(enum kvm_backend b)
{
	switch (b) {
	case KVM_BACKEND_PVM:
		return "PVM (kvm_pvm): guest instructions emulated, expect about 1000x slower";
	case KVM_BACKEND_VMX: return "VMX (kvm_intel)";
	case KVM_BACKEND_SVM: return "SVM (kvm_amd)";
	default: return "unknown";
	}
}

static const struct { long cap; const char *what; } required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory slots" },
	{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
	{ KVM_CAP_SYNC_REGS, "sync regs (hypercall registers without extra ioctls)" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit (--timeout)" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd (doorbells)" },
	{ KVM_CAP_IRQFD, "irqfd (completion interrupts)" },
	{ KVM_CAP_IRQ_ROUTING, "GSI routing (MSIs for completion interrupts)" },
	{ KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID" },
};

int kvm_vm_create(struct kvm_vm *k, const struct guest_mem *gm, char *err, size_t errlen)
{
	const char *dev = getenv("HV_KVM_DEV") ? getenv("HV_KVM_DEV") : KVM_DEV_PATH;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct gm_region reg[2];
	unsigned nr = gm_regions(gm, reg);
	size_t i;
	int v;

	memset(k, 0, sizeof(*k));
	k->irq_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER; /* needs no destroy */
	k->vm_fd = k->vcpu_fd = k->vm_stats.fd = k->vcpu_stats.fd = -1;
	k->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return err_msg(-errno, err, errlen,
			    "cannot open %s: %s (hv needs KVM: kvm_intel, kvm_amd or kvm_pvm; "
			    "without it, run under scripts/testvm/run.sh)",
			    dev, strerror(errno));
	k->backend = kvm_detect_backend();
	v = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return err_msg(-ENOTSUP, err, errlen, "KVM API version %d, hv needs %d",
			    v, KVM_API_VERSION);
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return err_msg(-ENOTSUP, err, errlen, "KVM lacks %s", required_caps[i].what);
	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return err_msg(-errno, err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	/* Real-mode bookkeeping VMX insists on; hv never enters real mode. */
	if (k->backend == KVM_BACKEND_VMX &&
	    ioctl(k->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		return err_msg(-errno, err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_msg(-errno, err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* The PIT needs the irqchip first; Linux calibrates against it and uses it
	 * until the local APIC timer runs.  Port 0x61 (speaker) is KVM's too. */
	if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_msg(-errno, err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
	for (i = 0; i < nr; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = (uint32_t)i, .guest_phys_addr = reg[i].gpa, .memory_size = reg[i].len,
			.userspace_addr = (uint64_t)(uintptr_t)reg[i].host,
		};
		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return err_msg(-errno, err, errlen,
				       "KVM_SET_USER_MEMORY_REGION (%llu MiB at 0x%llx): %s",
				       (unsigned long long)(reg[i].len >> 20),
				       (unsigned long long)reg[i].gpa, strerror(errno));
	}
	kvm_stats_open(&k->vm_stats, k->vm_fd); /* optional: --stats says if absent */
	return 0;
}

/* Remembers the feature words the entry state depends on. */
static void note_features(struct kvm_cpu_features *f, const struct kvm_cpuid2 *c)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			f->leaf1_ecx = e->ecx;
			f->leaf1_edx = e->edx;
		} else if (e->function == 0x80000001) {
			f->ext1_edx = e->edx;
		} else if (e->function == CPUID_KVM_FEATURES) {
			f->kvm_features = e->eax;
		}
	}
}

static int set_cpuid(struct kvm_vm *k, char *err, size_t errlen)
{
	enum { MAX_ENT = 256 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENT * sizeof(c->entries[0]));
	int rc = 0;

	if (!c)
		return err_msg(-ENOMEM, err, errlen, "out of memory");
	c->nent = MAX_ENT - 2; /* room for hv's own leaves */
	/* What KVM supports, as the one builder edits it (x86/cpuid.c). */
	if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
		rc = err_msg(-errno, err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	if (!rc) {
		note_features(&k->cpu, c);
		k->cpu.host = (struct cpuid_host){
			.tsc_deadline = ioctl(k->sys_fd, KVM_CHECK_EXTENSION,
					      KVM_CAP_TSC_DEADLINE_TIMER) > 0,
			.pvm = k->backend == KVM_BACKEND_PVM,
		};
		if (cpuid_build(c, MAX_ENT, &k->cpu.host))
			rc = err_msg(-ENOSPC, err, errlen, "CPUID: no room for hv's leaves");
	}
	if (!rc && ioctl(k->vcpu_fd, KVM_SET_CPUID2, c) < 0)
		rc = err_msg(-errno, err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
	return rc;
}

int kvm_vcpu_create(struct kvm_vm *k, char *err, size_t errlen)
{
	int sz;

	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0)
		return err_msg(-errno, err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
	sz = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return err_msg(-EINVAL, err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %d", sz);
	k->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return err_msg(-errno, err, errlen, "mmap kvm_run: %s", strerror(errno));
	}
	k->run_size = (size_t)sz;
	/* KVM fills run->s.regs on every exit; hypercalls read them there. */
	k->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	kvm_stats_open(&k->vcpu_stats, k->vcpu_fd);
	return set_cpuid(k, err, errlen);
}

void kvm_vm_destroy(struct kvm_vm *k)
{
	kvm_stats_close(&k->vcpu_stats);
	kvm_stats_close(&k->vm_stats);
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	k->run = NULL;
	k->vcpu_fd = k->vm_fd = k->sys_fd = -1;
}

int kvm_stats_open(struct kvm_stats *s, int fd)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *buf;
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return s->fd = -1, -errno;
	if (pread(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		goto bad;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	if (h.num_desc > 4096 || h.name_size > 4096)
		goto bad;
	buf = malloc(dsz * h.num_desc);
	s->d = calloc(h.num_desc ? h.num_desc : 1, sizeof(*s->d));
	if (!buf || !s->d ||
	    pread(s->fd, buf, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc)) {
		free(buf);
		goto bad;
	}
	for (i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(buf + i * dsz);
		/* Histograms span several words; hv reports only single counters. */
		if (d->size != 1)
			continue;
		snprintf(s->d[s->n].name, sizeof(s->d[s->n].name), "%.*s",
			 (int)h.name_size, d->name);
		s->d[s->n].flags = d->flags;
		s->d[s->n].offset = d->offset;
		if (d->offset + 8 > s->data_len)
			s->data_len = d->offset + 8;
		s->n++;
	}
	s->data_off = h.data_offset;
	free(buf);
	return 0;
bad:
	kvm_stats_close(s);
	return -EIO;
}

int kvm_stats_read(const struct kvm_stats *s, uint64_t *values)
{
	uint8_t *data;
	unsigned i;

	if (s->fd < 0)
		return -EBADF;
	data = malloc(s->data_len ? s->data_len : 1);
	if (!data)
		return -ENOMEM;
	if (pread(s->fd, data, s->data_len, (off_t)s->data_off) != (ssize_t)s->data_len) {
		free(data);
		return -EIO;
	}
	for (i = 0; i < s->n; i++)
		memcpy(&values[i], data + s->d[i].offset, 8);
	free(data);
	return 0;
}

int kvm_stats_get(const struct kvm_stats *s, const char *name, uint64_t *value)
{
	unsigned i;

	if (s->fd < 0)
		return -EBADF;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->d[i].name, name))
			return pread(s->fd, value, 8, (off_t)(s->data_off + s->d[i].offset)) == 8
				       ? 0 : -EIO;
	return -ENOENT;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->d);
	s->d = NULL;
	s->n = 0;
	s->fd = -1;
}
