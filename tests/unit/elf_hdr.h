/* The ELF header of an x86-64 executable, for the tests that build kernel images. */
#ifndef HV_TEST_ELF_HDR_H
#define HV_TEST_ELF_HDR_H

#include <elf.h>
#include <string.h>

/* eh for an ET_EXEC x86-64 image with phnum program headers at phoff, entering at entry. */
static inline void ut_elf_header(Elf64_Ehdr *eh, uint64_t entry, uint64_t phoff, unsigned phnum)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = phoff;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)phnum;
}

#endif
