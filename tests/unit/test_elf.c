/* ELF loader on good and malformed images. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "../../protocol/hv_abi.h"
#include "elf_load.h"
#include "suites.h"

#define MEM (8u << 20)
#define LOAD 0x200000u

struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t code[64];
};

static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = LOAD + 4;
	m->eh.e_phoff = offsetof(struct img, ph);
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 2;
	m->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct img, code), .p_vaddr = LOAD, .p_paddr = LOAD,
		.p_filesz = sizeof(m->code), .p_memsz = 4096,
	};
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE };
	memset(m->code, 0x90, sizeof(m->code));
}

static int load(struct img *m, size_t size, struct elf_info *ki, char *err)
{
	struct guest_mem gm;
	int rc;
	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, MEM), 0);
	rc = elf_load(&gm, m, size, HV_BOOT_AREA_END, ki, err, 256);
	if (rc) { /* nothing may have been written on failure */
		size_t i;
		for (i = HV_BOOT_AREA_END; i < MEM; i += 4096)
			CU_ASSERT_EQUAL(gm.host[i], 0);
	} else {
		CU_ASSERT_EQUAL(gm.host[LOAD], 0x90);
		CU_ASSERT_EQUAL(gm.host[LOAD + 100], 0);
	}
	gm_destroy(&gm);
	return rc;
}

static void test_good(void)
{
	struct img m;
	struct elf_info ki;
	char err[256];
	make(&m);
	CU_ASSERT_EQUAL(load(&m, sizeof(m), &ki, err), 0);
	CU_ASSERT_EQUAL(ki.entry, LOAD + 4);
	CU_ASSERT_EQUAL(ki.lo, LOAD);
	CU_ASSERT_EQUAL(ki.hi, LOAD + 4096);
}

/* Each case corrupts a good image one way and expects a refusal naming it. */
static void test_bad(void)
{
	static const struct {
		const char *what;
		int code;
		const char *msg;
	} cases[] = {
		{ "magic", -ENOEXEC, "not an ELF file" },
		{ "class", -ENOEXEC, "not a 64-bit ELF" },
		{ "endian", -ENOEXEC, "little-endian" },
		{ "machine", -ENOEXEC, "not an x86-64" },
		{ "type", -ENOEXEC, "not an ELF executable" },
		{ "phentsize", -ENOEXEC, "program header size" },
		{ "phnum0", -ENOEXEC, "program header count" },
		{ "phoff", -ENOEXEC, "past the end of the file" },
		{ "filesz", -ENOEXEC, "file size exceeds" },
		{ "offset", -ENOEXEC, "past the end of the file" },
		{ "offset-wrap", -ENOEXEC, "past the end of the file" },
		{ "lowaddr", -ERANGE, "overlaps hv's boot area" },
		{ "bigaddr", -ERANGE, "does not fit" },
		{ "wrapaddr", -ERANGE, "does not fit" },
		{ "entry", -ENOEXEC, "entry point" },
		{ "noload", -ENOEXEC, "no loadable segment" },
		{ "vaddr", -ENOEXEC, "differs from physical" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct img m;
		struct elf_info ki;
		char err[256] = "";
		const char *w = cases[i].what;
		size_t size = sizeof(m);
		int rc;

		make(&m);
		if (!strcmp(w, "magic")) m.eh.e_ident[1] = 'X';
		else if (!strcmp(w, "class")) m.eh.e_ident[EI_CLASS] = ELFCLASS32;
		else if (!strcmp(w, "endian")) m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
		else if (!strcmp(w, "machine")) m.eh.e_machine = EM_AARCH64;
		else if (!strcmp(w, "type")) m.eh.e_type = ET_DYN;
		else if (!strcmp(w, "phentsize")) m.eh.e_phentsize = 10;
		else if (!strcmp(w, "phnum0")) m.eh.e_phnum = 0;
		else if (!strcmp(w, "phoff")) m.eh.e_phoff = UINT64_MAX - 8;
		else if (!strcmp(w, "filesz")) m.ph[0].p_filesz = 8192;
		else if (!strcmp(w, "offset")) m.ph[0].p_offset = sizeof(m) - 8;
		else if (!strcmp(w, "offset-wrap")) m.ph[0].p_offset = UINT64_MAX - 16;
		else if (!strcmp(w, "lowaddr")) m.ph[0].p_paddr = m.ph[0].p_vaddr = 0x1000, m.eh.e_entry = 0x1004;
		else if (!strcmp(w, "bigaddr")) m.ph[0].p_paddr = m.ph[0].p_vaddr = MEM - 100;
		else if (!strcmp(w, "wrapaddr")) m.ph[0].p_paddr = m.ph[0].p_vaddr = UINT64_MAX - 100;
		else if (!strcmp(w, "entry")) m.eh.e_entry = LOAD + 8192;
		else if (!strcmp(w, "noload")) m.ph[0].p_type = PT_NULL;
		else if (!strcmp(w, "vaddr")) m.ph[0].p_vaddr = 0xffffffff80000000ull;
		rc = load(&m, size, &ki, err);
		CU_ASSERT_EQUAL(rc, cases[i].code);
		if (!strstr(err, cases[i].msg) || rc != cases[i].code)
			fprintf(stderr, "\n  case %s: rc %d, message '%s'\n", w, rc, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].msg));
	}
}

static void test_truncated(void)
{
	struct img m;
	struct elf_info ki;
	char err[256];
	size_t n;
	make(&m);
	/* Every prefix of a good image is refused, none crashes the loader. */
	for (n = 0; n < offsetof(struct img, code) + 8; n++)
		CU_ASSERT_NOT_EQUAL(load(&m, n, &ki, err), 0);
}

int suite_elf(void)
{
	static const CU_TestInfo t[] = {
		{ "good image loads", test_good },
		{ "malformed images refused", test_bad },
		{ "truncated images refused", test_truncated },
		CU_TEST_INFO_NULL,
	};
	return add_suite("elf_load", t);
}
