/*
 * Booting Linux: the two entries hv offers an unmodified kernel, and the
 * boot structures each one reads, written into guest RAM before the first
 * instruction.
 *  - PVH: an ELF vmlinux with a XEN_ELFNOTE_PHYS32_ENTRY note, loaded by
 *    physical address, entered in 32-bit protected mode with paging off and
 *    ebx = an hvm_start_info (version 1: memory map, command line, the
 *    initrd as module 0).
 *  - bzImage: the 64-bit boot protocol (Documentation/x86/boot.rst): the
 *    protected-mode kernel at 1 MiB, entered at +0x200 in long mode with
 *    rsi = the zero page (setup header, e820 table, command line, initrd).
 * Both get the same memory map (linux_e820) and an MP table.  Pure
 * guest-memory work, so it is unit-tested.
 */
#ifndef HV_X86_LINUX_BOOT_H
#define HV_X86_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/guest_mem.h"

/* Guest-physical layout of the boot structures (below 1 MiB, apart from the kernel's). */
#define LX_GDT_GPA 0x1000u       /* linux_gdt[] */
#define LX_INFO_GPA 0x7000u      /* hvm_start_info or the zero page, one page */
#define LX_CMDLINE_GPA 0x20000u  /* the command line */
#define LX_CMDLINE_MAX 2048u     /* x86's COMMAND_LINE_SIZE, the NUL included */
#define LX_KERNEL_GPA 0x100000u  /* where a bzImage's protected-mode kernel goes */
#define LX_MIN_MEM (128ull << 20)

/* linux_gdt[] selectors: flat 32-bit code (PVH), the boot protocol's __BOOT_CS/__BOOT_DS. */
#define LX_SEL_CODE32 0x08
#define LX_SEL_CODE64 0x10
#define LX_SEL_DATA 0x18
#define LX_SEL_TSS 0x20
#define LX_GDT_ENTRIES 6
extern const uint64_t linux_gdt[LX_GDT_ENTRIES];

enum linux_kind {
	LINUX_NONE = 0, /* not Linux: hv's own kernel or nothing */
	LINUX_PVH,
	LINUX_BZIMAGE,
};

/* What the vCPU's entry state needs. */
struct linux_entry {
	enum linux_kind kind;
	uint64_t rip;
	uint64_t info; /* rbx (PVH) or rsi (bzImage) */
	uint64_t cr3;  /* bzImage: hv's 1:1 page tables; PVH: 0 (paging off) */
	uint64_t lo, hi; /* the kernel image in guest RAM, for --verbose */
	uint64_t initrd, initrd_size;
	uint16_t protocol; /* bzImage: boot protocol version */
};

/* The e820 types hv uses. */
#define E820_RAM 1
#define E820_RESERVED 2

struct e820 {
	uint64_t addr, size;
	uint32_t type;
};
#define LX_E820_MAX 4

/* Which entry image offers (an ELF with a PVH note, a bzImage), or LINUX_NONE. */
enum linux_kind linux_probe(const void *image, size_t size);

/* The guest's memory map: RAM below 640 KiB, the MP table's KiB, RAM from 1 MiB, above 4 GiB. */
unsigned linux_e820(const struct guest_mem *gm, struct e820 out[LX_E820_MAX]);

/*
 * Loads kernel image (of kind linux_probe found), the initrd (may be NULL)
 * and the command line into gm, with the boot structures and MP table.
 * 0, or -errno with a one-line reason in err (no "hv:" prefix).
 */
int linux_load(const struct guest_mem *gm, const void *image, size_t size, const void *initrd,
	       size_t initrd_size, const char *cmdline, struct linux_entry *out, char *err,
	       size_t errlen);

#endif
