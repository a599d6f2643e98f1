/*
 * The vCPU's state at the first instruction: 64-bit long mode, paging on with
 * hv's 1:1 tables, at the kernel's ELF entry with rdi = boot info.  The values
 * are the ones from which KVM's PVM backend switches the vCPU to PVM
 * supervisor mode at once (DESIGN.md, "The KVM on these machines is PVM"); on
 * VMX/SVM they are an ordinary long-mode entry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../protocol/hv_abi.h"
#include "kvm.h"

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define CR4_PCIDE (1u << 17)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

#define SEL_CODE 0x10
#define SEL_DATA 0x18
#define SEL_TSS 0x20

static const struct kvm_segment code_seg = {
	.base = 0, .limit = 0xffffffff, .selector = SEL_CODE,
	.type = 11 /* execute/read, accessed */, .present = 1, .dpl = 0,
	.db = 0, .s = 1, .l = 1, .g = 1,
};

static const struct kvm_segment data_seg = {
	.base = 0, .limit = 0xffffffff, .selector = SEL_DATA,
	.type = 3 /* read/write, accessed */, .present = 1, .dpl = 0,
	.db = 1, .s = 1, .l = 0, .g = 1,
};

int kvm_vcpu_boot_state(struct kvm_vm *k, uint64_t entry, uint64_t boot_info,
			uint64_t cr3, char *err, size_t errlen)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -errno;
	}
	s.cs = code_seg;
	s.ds = s.es = s.fs = s.gs = s.ss = data_seg;
	s.tr = (struct kvm_segment){
		.base = 0, .limit = 0x67, .selector = SEL_TSS,
		.type = 11 /* busy 64-bit TSS */, .present = 1, .s = 0,
	};
	s.ldt = (struct kvm_segment){ .selector = 0, .type = 2, .unusable = 1 };
	s.gdt.base = 0;
	s.gdt.limit = 0xffff;
	s.idt.base = 0;
	s.idt.limit = 0xffff;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	s.cr3 = cr3;
	s.cr4 = CR4_PAE | CR4_PCIDE;
	s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS (64-bit entry state): %s", strerror(errno));
		return -errno;
	}
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rdi = boot_info;
	r.rsp = HV_BOOT_STACK_TOP;
	r.rflags = 0x202; /* IF and the always-one bit */
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
