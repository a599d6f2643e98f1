/*
 * Which kernel hv boots, and how: hv's own (an ELF executable entered in
 * long mode with hv's boot info), or Linux through its PVH entry (a vmlinux)
 * or the 64-bit boot protocol (a bzImage) with x86/linux_boot.c.  One rule
 * for both: the command line is cfg->cmdline; --initrd is Linux's only.
 */
#ifndef HV_GUEST_BOOT_H
#define HV_GUEST_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/cli.h"
#include "core/vm.h"
#include "kvm/elf_load.h"
#include "kvm/kvm.h"
#include "x86/linux_boot.h"

struct guest_boot {
	struct linux_entry lx; /* lx.kind LINUX_NONE: hv's own kernel */
	struct elf_info ki;    /* hv's kernel */
	uint64_t cr3;          /* hv's kernel: its page tables */
};

/*
 * Maps guest RAM (with the PC hole for Linux) and loads the kernel image
 * (size bytes) and cfg's initrd into it.  0, or -errno with a one-line
 * reason in err (no "hv:" prefix): a bad input, status 2.
 */
int guest_boot_load(struct vm *vm, const struct hv_config *cfg, const void *image, size_t size,
		    struct guest_boot *b, char *err, size_t errlen);

/* Once the devices exist: hv's boot info and page tables, or the legacy PC ports Linux uses. */
int guest_boot_finish(struct vm *vm, const struct hv_config *cfg, struct guest_boot *b,
		      char *err, size_t errlen);

/* The vCPU's entry state for the kernel b describes; 0 or -errno and err. */
int guest_boot_vcpu(struct kvm_vm *k, const struct guest_boot *b, char *err, size_t errlen);

/* --verbose: the kernel, the entry used, RAM, what CPUID offers. */
void guest_boot_describe(FILE *f, const struct hv_config *cfg, const struct guest_boot *b,
			 const struct kvm_vm *k);

#endif
