/* ELF64 loader: validate everything, then copy. */
#include "kvm/elf_load.h"
#include "core/util.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ELF_MAX_PHDRS 64

/* eh: hv's copy of the first sizeof(*eh) of size bytes. */
static int check_ehdr(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return err_msg(-ENOEXEC, err, errlen, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return err_msg(-ENOEXEC, err, errlen, "not a 64-bit ELF file (ELF class %u)",
			    eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return err_msg(-ENOEXEC, err, errlen, "not a little-endian ELF file");
	if (eh->e_machine != EM_X86_64)
		return err_msg(-ENOEXEC, err, errlen, "not an x86-64 ELF file (machine %u)",
			    eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return err_msg(-ENOEXEC, err, errlen,
			    "not an ELF executable (type %u; link it with a fixed address)",
			    eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return err_msg(-ENOEXEC, err, errlen, "bad program header size %u",
			    eh->e_phentsize);
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
		return err_msg(-ENOEXEC, err, errlen, "bad program header count %u",
			    eh->e_phnum);
	if (eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return err_msg(-ENOEXEC, err, errlen, "program headers lie past the end of the file");
	return 0;
}

static int check_load(const Elf64_Phdr *ph, unsigned i, size_t size,
		      const struct guest_mem *gm, uint64_t min_gpa, bool by_paddr,
		      char *err, size_t errlen)
{
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return err_msg(-ENOEXEC, err, errlen,
			    "segment %u: data lies past the end of the file", i);
	if (!by_paddr && ph->p_vaddr != ph->p_paddr)
		return err_msg(-ENOEXEC, err, errlen,
			    "segment %u: virtual address 0x%llx differs from physical 0x%llx "
			    "(hv enters with memory mapped 1:1)", i,
			    (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_paddr);
	if (ph->p_paddr < min_gpa)
		return err_msg(-ERANGE, err, errlen,
			    "segment %u at 0x%llx overlaps hv's boot area below 0x%llx",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)min_gpa);
	if (!gm_range(gm, ph->p_paddr, ph->p_memsz))
		return err_msg(-ERANGE, err, errlen,
			    "segment %u [0x%llx, +0x%llx) does not fit in %llu MiB of guest RAM",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz,
			    (unsigned long long)(gm->size >> 20));
	return 0;
}

/* Xen's ELF note for a PVH kernel's 32-bit physical entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/*
 * The PVH entry from the notes in [off, off + len) of img: 0 and *entry,
 * or -ENOENT.  Every field is bounds-checked against len.
 */
static int find_pvh_note(const uint8_t *img, uint64_t off, uint64_t len, uint64_t *entry)
{
	uint64_t pos = 0;

	while (len - pos >= 12) {
		uint32_t nh[3];
		uint64_t name, desc, next;

		memcpy(nh, img + off + pos, sizeof(nh));
		name = pos + 12;
		desc = name + (((uint64_t)nh[0] + 3) & ~3ull);
		next = desc + (((uint64_t)nh[1] + 3) & ~3ull);
		if (next > len)
			break;
		if (nh[2] == XEN_ELFNOTE_PHYS32_ENTRY && nh[0] == 4 &&
		    !memcmp(img + off + name, "Xen", 4) && (nh[1] == 4 || nh[1] == 8)) {
			/* newer kernels write 4 bytes, older ones (6.1) 8 */
			uint64_t v = 0;
			memcpy(&v, img + off + desc, nh[1]);
			*entry = v;
			return 0;
		}
		pos = next;
	}
	return -ENOENT;
}

int elf_pvh_entry(const void *image, size_t size, uint64_t *entry)
{
	const uint8_t *img = image;
	Elf64_Ehdr eh;
	unsigned i;

	if (size < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, img, sizeof(eh));
	if (check_ehdr(&eh, size, NULL, 0))
		return -ENOEXEC;
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue;
		if (!find_pvh_note(img, ph.p_offset, ph.p_filesz, entry))
			return 0;
	}
	return -ENOENT;
}

static int load(const struct guest_mem *gm, const void *image, size_t size, uint64_t min_gpa,
		bool by_paddr, uint64_t entry, struct elf_info *out, char *err, size_t errlen)
{
	const uint8_t *img = image;
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	struct elf_info info = { .lo = UINT64_MAX, .hi = 0 };
	Elf64_Ehdr ehdr, *eh = &ehdr;
	int entry_ok = 0, nload = 0, rc;
	unsigned i;

	/*
	 * Copy, then validate: the headers may lie at any offset of the file,
	 * and reading an Elf64_Phdr in place at an unaligned one is undefined.
	 */
	if (size < sizeof(ehdr))
		return err_msg(-ENOEXEC, err, errlen, "not an ELF file");
	memcpy(&ehdr, img, sizeof(ehdr));
	rc = check_ehdr(eh, size, err, errlen);
	if (rc)
		return rc;
	memcpy(ph, img + eh->e_phoff, eh->e_phnum * sizeof(ph[0]));

	/* Pass 1: validate every header before touching guest RAM. */
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz)
			return err_msg(-ENOEXEC, err, errlen,
				    "segment %u: file size exceeds memory size", i);
		if (ph[i].p_memsz == 0) /* loads nothing: where it points does not matter */
			continue;
		rc = check_load(&ph[i], i, size, gm, min_gpa, by_paddr, err, errlen);
		if (rc)
			return rc;
		nload++;
		if (ph[i].p_paddr < info.lo)
			info.lo = ph[i].p_paddr;
		if (ph[i].p_paddr + ph[i].p_memsz > info.hi)
			info.hi = ph[i].p_paddr + ph[i].p_memsz;
		if ((ph[i].p_flags & PF_X) && entry >= ph[i].p_paddr &&
		    entry - ph[i].p_paddr < ph[i].p_memsz)
			entry_ok = 1;
	}
	if (!nload)
		return err_msg(-ENOEXEC, err, errlen, "no loadable segment");
	if (!entry_ok)
		return err_msg(-ENOEXEC, err, errlen,
			    "entry point 0x%llx is not inside an executable segment",
			    (unsigned long long)entry);

	/* Pass 2: copy; the ranges were checked above. */
	for (i = 0; i < eh->e_phnum; i++) {
		uint8_t *dst;
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		dst = gm_range(gm, ph[i].p_paddr, ph[i].p_memsz);
		memcpy(dst, img + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
	info.entry = entry;
	*out = info;
	return 0;
}

int elf_load(const struct guest_mem *gm, const void *image, size_t size,
	     uint64_t min_gpa, struct elf_info *out, char *err, size_t errlen)
{
	Elf64_Ehdr eh;

	if (size >= sizeof(eh))
		memcpy(&eh, image, sizeof(eh));
	return load(gm, image, size, min_gpa, false, size >= sizeof(eh) ? eh.e_entry : 0,
		    out, err, errlen);
}

int elf_load_pvh(const struct guest_mem *gm, const void *image, size_t size,
		 uint64_t min_gpa, struct elf_info *out, char *err, size_t errlen)
{
	uint64_t entry;

	if (elf_pvh_entry(image, size, &entry))
		return err_msg(-ENOEXEC, err, errlen, "no PVH entry note");
	return load(gm, image, size, min_gpa, true, entry, out, err, errlen);
}
