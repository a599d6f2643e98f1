/*
 * ELF64 x86-64 kernel loader: validates an executable image completely before
 * copying its PT_LOAD segments into guest RAM.
 */
#ifndef HV_ELF_LOAD_H
#define HV_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/guest_mem.h"

struct elf_info {
	uint64_t entry;
	uint64_t lo, hi; /* lowest and highest (exclusive) gpa the segments use */
};

/*
 * Checks image (size bytes) and loads it into gm.  Every segment must lie in
 * [min_gpa, gm->size).  Returns 0, or -ENOEXEC / -ERANGE with a one-line
 * reason in err (no trailing newline); guest RAM is untouched on error.
 */
int elf_load(const struct guest_mem *gm, const void *image, size_t size,
	     uint64_t min_gpa, struct elf_info *out, char *err, size_t errlen);

/*
 * A Linux vmlinux: the entry of its PVH note (XEN_ELFNOTE_PHYS32_ENTRY, a
 * 4- or 8-byte value).  0, -ENOEXEC (not an x86-64 ELF executable) or
 * -ENOENT (no such note).
 */
int elf_pvh_entry(const void *image, size_t size, uint64_t *entry);

/*
 * As elf_load, for a kernel with a PVH note: segments go to their physical
 * addresses whatever their virtual ones, and out->entry is the PVH entry.
 */
int elf_load_pvh(const struct guest_mem *gm, const void *image, size_t size,
		 uint64_t min_gpa, struct elf_info *out, char *err, size_t errlen);

#endif
