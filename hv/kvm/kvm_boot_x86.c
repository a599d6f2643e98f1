/*
 * The vCPU's state at the first instruction: 64-bit long mode, paging on with
 * hv's 1:1 tables, segments from hv's boot GDT (boot.c), at the kernel's ELF
 * entry with rdi = boot info.  Control-register and EFER bits are set only
 * when the vCPU's CPUID reports the feature: KVM refuses others (a PVM host
 * has no PCID, for one), and a kernel may rely on what CPUID says.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_abi.h"
#include "kvm/boot.h"
#include "kvm/kvm.h"
#include "x86/linux_boot.h"

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

#define CPUID1_EDX_PAE (1u << 6)
#define EXT1_EDX_SYSCALL (1u << 11)
#define EXT1_EDX_NX (1u << 20)
#define EXT1_EDX_LM (1u << 29)

/* The hidden part of a segment register, decoded from its descriptor in gdt. */
static struct kvm_segment seg_from(const uint64_t *gdt, uint16_t sel)
{
	uint64_t d = gdt[sel / 8];
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16);
	struct kvm_segment s = {
		.base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24,
		.selector = sel,
		.type = (d >> 40) & 0xf, .s = (d >> 44) & 1, .dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1, .avl = (d >> 52) & 1, .l = (d >> 53) & 1,
		.db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};

	if (s.s == 0) /* a system descriptor (the TSS) has 64 bits of base */
		s.base |= gdt[sel / 8 + 1] << 32;
	s.limit = s.g ? limit << 12 | 0xfff : limit;
	return s;
}

static struct kvm_segment seg_from_gdt(uint16_t sel)
{
	return seg_from(boot_gdt, sel);
}

/*
 * The MSRs a fresh x86 machine's firmware leaves behind, as Firecracker's
 * boot sets them (arch/x86_64/msr.rs): syscall and sysenter MSRs clear, fast
 * strings on, the MTRRs on with write-back as the default type (without it
 * Linux turns PAT off and maps RAM uncached).
 */
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC 0x10
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MISC_ENABLE_FAST_STRING 1
#define MTRR_ENABLE (1u << 11)
#define MTRR_TYPE_WB 6

static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
	{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 }, { MSR_IA32_SYSENTER_EIP, 0 },
	{ MSR_STAR, 0 }, { MSR_CSTAR, 0 }, { MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 },
	{ MSR_LSTAR, 0 }, { MSR_IA32_TSC, 0 },
	{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	{ MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB },
};
#define NR_BOOT_MSRS (sizeof(boot_msrs) / sizeof(boot_msrs[0]))

static int set_boot_msrs(struct kvm_vm *k, char *err, size_t errlen)
{
	/* struct kvm_msrs ends in a flexible array: the entries follow it in one buffer. */
	union {
		struct kvm_msrs h;
		uint8_t bytes[sizeof(struct kvm_msrs) + NR_BOOT_MSRS * sizeof(struct kvm_msr_entry)];
	} m;
	unsigned i;
	int n;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = NR_BOOT_MSRS;
	for (i = 0; i < NR_BOOT_MSRS; i++) {
		m.h.entries[i].index = boot_msrs[i].index;
		m.h.entries[i].data = boot_msrs[i].data;
	}
	n = ioctl(k->vcpu_fd, KVM_SET_MSRS, &m);
	if (n < 0 || n != (int)NR_BOOT_MSRS) {
		snprintf(err, errlen, "KVM_SET_MSRS: MSR 0x%x refused",
			 n >= 0 && n < (int)NR_BOOT_MSRS ? boot_msrs[n].index : 0);
		return n < 0 ? -errno : -EINVAL;
	}
	return 0;
}

int kvm_vcpu_linux_state(struct kvm_vm *k, const struct linux_entry *e, char *err,
			 size_t errlen)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	int rc = set_boot_msrs(k, err, errlen);

	if (rc)
		return rc;
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -errno;
	}
	s.ds = s.es = s.fs = s.gs = s.ss = seg_from(linux_gdt, LX_SEL_DATA);
	s.tr = seg_from(linux_gdt, LX_SEL_TSS);
	s.ldt = (struct kvm_segment){ .selector = 0, .type = 2, .present = 1, .unusable = 1 };
	s.gdt.base = LX_GDT_GPA;
	s.gdt.limit = sizeof(linux_gdt) - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	memset(&r, 0, sizeof(r));
	r.rip = e->rip;
	r.rflags = 0x2;
	if (e->kind == LINUX_PVH) {
		/* 32-bit protected mode, paging off, ebx = hvm_start_info (PVH ABI). */
		s.cs = seg_from(linux_gdt, LX_SEL_CODE32);
		s.cr0 = CR0_PE | CR0_ET;
		s.cr3 = 0;
		s.cr4 = 0;
		s.efer = 0;
		r.rbx = e->info;
	} else {
		/* 64-bit boot protocol: long mode, 1:1 paging, rsi = the zero page. */
		s.cs = seg_from(linux_gdt, LX_SEL_CODE64);
		s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
		s.cr3 = e->cr3;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
		r.rsi = e->info;
	}
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS (Linux entry state): %s", strerror(errno));
		return -errno;
	}
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int kvm_vcpu_boot_state(struct kvm_vm *k, uint64_t entry, uint64_t boot_info,
			uint64_t cr3, char *err, size_t errlen)
{
	const struct kvm_cpu_features *f = &k->cpu;
	struct kvm_sregs s;
	struct kvm_regs r;

	if (!(f->leaf1_edx & CPUID1_EDX_PAE) || !(f->ext1_edx & EXT1_EDX_LM)) {
		snprintf(err, errlen, "the vCPU's CPUID has no long mode (PAE %s, LM %s): "
			 "hv boots 64-bit kernels only",
			 f->leaf1_edx & CPUID1_EDX_PAE ? "yes" : "no",
			 f->ext1_edx & EXT1_EDX_LM ? "yes" : "no");
		return -ENOTSUP;
	}
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -errno;
	}
	s.cs = seg_from_gdt(HV_BOOT_SEL_CODE);
	s.ds = s.es = s.ss = seg_from_gdt(HV_BOOT_SEL_DATA);
	s.fs = s.gs = (struct kvm_segment){ .selector = 0, .unusable = 1 };
	s.tr = seg_from_gdt(HV_BOOT_SEL_TSS);
	s.ldt = (struct kvm_segment){ .selector = 0, .type = 2, .present = 1, .unusable = 1 };
	s.gdt.base = HV_BOOT_GDT_GPA;
	s.gdt.limit = sizeof(boot_gdt) - 1;
	s.idt.base = 0;
	s.idt.limit = 0; /* any exception before the kernel's own IDT: triple fault */
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	s.cr3 = cr3;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	if (f->ext1_edx & EXT1_EDX_NX)
		s.efer |= EFER_NXE;
	if (f->ext1_edx & EXT1_EDX_SYSCALL)
		s.efer |= EFER_SCE;
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS (64-bit entry state, cr4=%llx efer=%llx): %s",
			 (unsigned long long)s.cr4, (unsigned long long)s.efer, strerror(errno));
		return -errno;
	}
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rdi = boot_info;
	r.rsp = HV_BOOT_STACK_TOP;
	r.rflags = 0x2; /* the always-one bit; IF clear until the kernel has an IDT */
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
