/*
 * ELF loader on good and malformed images.  Guest RAM starts filled with a
 * pattern and is compared whole afterwards: a load must write exactly its
 * segments (file bytes, then zeros up to p_memsz), a refusal nothing.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_abi.h"
#include "kvm/elf_load.h"
#include "elf_hdr.h"
#include "suites.h"

#define MEM (4u << 20)
#define LOAD 0x200000u /* the text segment */
#define DATA 0x203000u /* the data segment of two-segment images: a gap between */
#define FILL 0x5a      /* RAM before the load */

struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[4];
	uint8_t code[64];
	uint8_t data[128];
};

static uint8_t want[MEM]; /* what guest RAM must hold after the load */

/* One text segment (R+X, 64 bytes of code in 4 KiB) and a PT_NOTE. */
static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	ut_elf_header(&m->eh, LOAD + 4, offsetof(struct img, ph), 2);
	m->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct img, code), .p_vaddr = LOAD, .p_paddr = LOAD,
		.p_filesz = sizeof(m->code), .p_memsz = 4096,
	};
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE };
	memset(m->code, 0x90, sizeof(m->code));
	memset(m->data, 0xd0, sizeof(m->data));
}

/*
 * A kernel as linkers lay them out, headers out of address order: data
 * (R+W, 128 bytes then bss to 8 KiB), a zero-size PT_LOAD at an address no
 * segment may use, the text, a PT_NOTE.
 */
static void make_multi(struct img *m)
{
	make(m);
	m->ph[2] = m->ph[0];
	m->ph[3] = m->ph[1];
	m->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = offsetof(struct img, data), .p_vaddr = DATA, .p_paddr = DATA,
		.p_filesz = sizeof(m->data), .p_memsz = 0x2000,
	};
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x1000,
				 .p_paddr = 0x1000 };
	m->eh.e_phnum = 4;
}

static void expect_untouched(void)
{
	memset(want, FILL, sizeof(want));
}

/* A segment at gpa: n bytes, then zeros up to memsz. */
static void expect_seg(uint64_t gpa, const void *bytes, size_t n, size_t memsz)
{
	memcpy(want + gpa, bytes, n);
	memset(want + gpa + n, 0, memsz - n);
}

/* Loads into fresh, filled RAM and checks RAM against want; returns elf_load's result. */
static int load(const void *image, size_t size, struct elf_info *ki, char *err)
{
	struct guest_mem gm;
	int rc;

	CU_ASSERT_EQUAL_FATAL(gm_init(&gm, MEM), 0);
	memset(gm.host, FILL, MEM);
	rc = elf_load(&gm, image, size, HV_BOOT_AREA_END, ki, err, 256);
	CU_ASSERT_EQUAL(memcmp(gm.host, want, MEM), 0);
	gm_destroy(&gm);
	return rc;
}

static void test_good(void)
{
	struct img m;
	struct elf_info ki;
	char err[256];

	make(&m);
	expect_untouched();
	expect_seg(LOAD, m.code, sizeof(m.code), 4096);
	CU_ASSERT_EQUAL(load(&m, sizeof(m), &ki, err), 0);
	CU_ASSERT_EQUAL(ki.entry, LOAD + 4);
	CU_ASSERT_EQUAL(ki.lo, LOAD);
	CU_ASSERT_EQUAL(ki.hi, LOAD + 4096);
}

/* Several PT_LOADs: each copied, each bss zeroed, the gap between them untouched. */
static void test_multi_segment(void)
{
	struct img m;
	struct elf_info ki;
	char err[256] = "";

	make_multi(&m);
	expect_untouched();
	expect_seg(LOAD, m.code, sizeof(m.code), 4096);
	expect_seg(DATA, m.data, sizeof(m.data), 0x2000);
	CU_ASSERT_EQUAL(load(&m, sizeof(m), &ki, err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(ki.entry, LOAD + 4);
	CU_ASSERT_EQUAL(ki.lo, LOAD);      /* the zero-size segment at 0x1000 counts for nothing */
	CU_ASSERT_EQUAL(ki.hi, DATA + 0x2000);
}

/*
 * Headers anywhere: program headers at an odd file offset, and the image at
 * an odd address, load as usual (the loader copies them before reading a
 * field; found by fuzzing: UBSan saw misaligned reads).
 */
static void test_unaligned(void)
{
	uint8_t *f = malloc(1 + sizeof(struct img) + 3);
	struct elf_info ki;
	struct img m;
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	make(&m);
	/* The headers move 3 bytes on: the rest of the file follows them. */
	m.eh.e_phoff += 3;
	m.ph[0].p_offset += 3;
	memcpy(f + 1, &m.eh, sizeof(m.eh));
	memcpy(f + 1 + offsetof(struct img, ph) + 3, m.ph, sizeof(struct img) - offsetof(struct img, ph));
	expect_untouched();
	expect_seg(LOAD, m.code, sizeof(m.code), 4096);
	CU_ASSERT_EQUAL(load(f + 1, sizeof(struct img) + 3, &ki, err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(ki.entry, LOAD + 4);
	free(f);
}

/* At most 64 program headers: the 64th is still read, a 65th refused. */
static void test_phnum_limit(void)
{
	const size_t hdrs = sizeof(Elf64_Ehdr) + 65 * sizeof(Elf64_Phdr);
	uint8_t *f = calloc(1, hdrs + 64);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	struct elf_info ki;
	struct img m;
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	make(&m);
	*eh = m.eh;
	eh->e_phoff = sizeof(*eh);
	for (int i = 0; i < 65; i++)
		ph[i] = (Elf64_Phdr){ .p_type = PT_NOTE };
	ph[63] = m.ph[0]; /* the only loadable segment is the last of 64 */
	ph[63].p_offset = hdrs;
	memset(f + hdrs, 0x90, 64);
	eh->e_phnum = 64;
	expect_untouched();
	expect_seg(LOAD, f + hdrs, 64, 4096);
	CU_ASSERT_EQUAL(load(f, hdrs + 64, &ki, err), 0);
	eh->e_phnum = 65;
	expect_untouched();
	CU_ASSERT_EQUAL(load(f, hdrs + 64, &ki, err), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad program header count 65"));
	free(f);
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
		/* with several segments: a good one first must not be copied either */
		{ "multi-data-past-ram", -ERANGE, "segment 2 [0x3ff000, +0x2000) does not fit" },
		{ "multi-entry-in-data", -ENOEXEC, "entry point 0x203010 is not inside an executable" },
		{ "multi-entry-in-empty", -ENOEXEC, "entry point 0x1000 is not inside an executable" },
		{ "zero-size-only", -ENOEXEC, "no loadable segment" },
		{ "zero-size-filesz", -ENOEXEC, "segment 1: file size exceeds memory size" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct img m;
		struct elf_info ki;
		char err[256] = "";
		const char *w = cases[i].what;
		int rc;

		if (!strncmp(w, "multi-", 6) || !strncmp(w, "zero-size-", 10))
			make_multi(&m);
		else
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
		else if (!strcmp(w, "multi-data-past-ram")) {
			/* text first this time, so the good segment comes before the bad one */
			Elf64_Phdr t = m.ph[0];
			m.ph[0] = m.ph[2];
			m.ph[2] = t;
			m.ph[2].p_paddr = m.ph[2].p_vaddr = MEM - 0x1000;
		}
		else if (!strcmp(w, "multi-entry-in-data")) m.eh.e_entry = DATA + 0x10;
		else if (!strcmp(w, "multi-entry-in-empty")) m.eh.e_entry = 0x1000;
		else if (!strcmp(w, "zero-size-only")) m.ph[0].p_type = m.ph[2].p_type = PT_NULL;
		else if (!strcmp(w, "zero-size-filesz")) m.ph[1].p_filesz = 16;
		expect_untouched();
		rc = load(&m, sizeof(m), &ki, err);
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
	expect_untouched();
	/* Every prefix of a good image is refused, none crashes the loader. */
	for (n = 0; n < offsetof(struct img, code) + 8; n++)
		CU_ASSERT_NOT_EQUAL(load(&m, n, &ki, err), 0);
}

int suite_elf(void)
{
	static const CU_TestInfo t[] = {
		{ "good image loads, bss zeroed", test_good },
		{ "several segments: bss zeroed, gaps untouched", test_multi_segment },
		{ "64 program headers, not 65", test_phnum_limit },
		{ "headers at unaligned offsets and addresses", test_unaligned },
		{ "malformed images refused, RAM untouched", test_bad },
		{ "truncated images refused", test_truncated },
		CU_TEST_INFO_NULL,
	};
	return add_suite("elf_load", t);
}
