/*
 * Boot structures hv writes into guest RAM before the first instruction:
 * the boot-info block, the command line and 1:1 page tables, all inside
 * [0, HV_BOOT_AREA_END).  Pure guest-memory work, so it is unit-tested.
 */
#ifndef HV_BOOT_H
#define HV_BOOT_H

#include <stdint.h>

#include "kvm/elf_load.h"
#include "core/vm.h"

/* Segment descriptors, shared by hv's boot GDT and Linux's (x86/linux_boot.c). */
/* A segment descriptor: base, 20-bit limit, access byte, flags nibble (G, D/B, L, AVL). */
#define DESC(base, limit, access, flags)                                            \
	(((limit) & 0xffffull) | ((uint64_t)(base) & 0xffffff) << 16 |               \
	 (uint64_t)(access) << 40 | (((limit) >> 16) & 0xfull) << 48 |               \
	 (uint64_t)(flags) << 52 | (((uint64_t)(base) >> 24) & 0xff) << 56)
#define ACC_CODE 0x9b /* present, DPL 0, code, execute/read, accessed */
#define ACC_DATA 0x93 /* present, DPL 0, data, read/write, accessed */
#define ACC_TSS_BUSY 0x8b /* present, DPL 0, busy 64-bit TSS (what TR must hold) */
#define FL_G 0x8
#define FL_DB 0x4
#define FL_L 0x2
#define TSS_LIMIT 0x67 /* 104 bytes: no I/O bitmap */

/*
 * hv's boot GDT, indexed by selector / 8 (hv_abi.h): null, code, data, and a
 * busy TSS in two slots.  boot_setup writes it at HV_BOOT_GDT_GPA; the vCPU's
 * segment registers are decoded from the same entries (kvm_boot_x86.c), so
 * the table and the hidden parts of the registers cannot disagree.
 */
#define BOOT_GDT_ENTRIES 5
#define BOOT_TSS_GPA (HV_BOOT_GDT_GPA + 0x80)
extern const uint64_t boot_gdt[BOOT_GDT_ENTRIES];

/* Bytes of RAM the initial page tables map 1:1 (2 MiB pages). */
#define BOOT_IDMAP_MAX (4ull << 30)

/*
 * Writes boot info (memory map from the kernel's extent ki, devices from vm),
 * command line, the boot GDT and TSS, and page tables.  Returns the gpa of the top-level page table
 * (for CR3), or 0 if the command line is too long.
 */
uint64_t boot_setup(struct vm *vm, const struct elf_info *ki, const char *cmdline);

/*
 * Writes 1:1 page tables (2 MiB pages) over the first min(RAM, 4 GiB) at
 * HV_BOOT_PT_GPA; returns their gpa for CR3.
 */
uint64_t boot_page_tables(const struct guest_mem *gm);

#endif
