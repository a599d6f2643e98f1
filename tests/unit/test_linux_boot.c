/*
 * Linux's boot structures, read back as the kernel reads them: the MP table
 * (checksums, every entry), the PVH hvm_start_info from a vmlinux-shaped ELF
 * (4- and 8-byte notes, loaded by physical address), the zero page from a
 * bzImage-shaped image, the refusals, and the memory map beside hv's MMIO.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_abi.h"
#include "kvm/guest_mem.h"
#include "elf_hdr.h"
#include "suites.h"
#include "x86/linux_boot.h"
#include "x86/mptable.h"

#define MEM (256ull << 20)

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void check_mptable(unsigned ncpus)
{
	uint8_t buf[MPTABLE_MAX_BYTES], *hdr, *p;
	unsigned i, n;
	int len = mptable_write(buf, sizeof(buf), MPTABLE_GPA, ncpus);

	CU_ASSERT_EQUAL_FATAL(len, (int)mptable_size(ncpus));
	/* The floating pointer: signature, where the table is, its own checksum. */
	CU_ASSERT_EQUAL(memcmp(buf, "_MP_", 4), 0);
	CU_ASSERT_EQUAL(rd32(buf + 4), MPTABLE_GPA + 16);
	CU_ASSERT_EQUAL(buf[8], 1);
	CU_ASSERT_EQUAL(buf[9], 4);
	CU_ASSERT_EQUAL(sum(buf, 16), 0);
	hdr = buf + 16;
	CU_ASSERT_EQUAL(memcmp(hdr, "PCMP", 4), 0);
	CU_ASSERT_EQUAL(rd16(hdr + 4), len - 16);
	CU_ASSERT_EQUAL(sum(hdr, rd16(hdr + 4)), 0);
	CU_ASSERT_EQUAL(rd32(hdr + 36), MPTABLE_LAPIC_ADDR);
	n = rd16(hdr + 34);
	CU_ASSERT_EQUAL(n, ncpus + 1 + 1 + 24 + 2);
	p = hdr + 44;
	for (i = 0; i < ncpus; i++, p += 20) {
		CU_ASSERT_EQUAL(p[0], 0);                       /* processor */
		CU_ASSERT_EQUAL(p[1], i);                       /* APIC id */
		CU_ASSERT_EQUAL(p[3], i == 0 ? 3 : 1);          /* enabled, BSP first */
	}
	CU_ASSERT_EQUAL(p[0], 1);
	CU_ASSERT_EQUAL(memcmp(p + 2, "ISA   ", 6), 0);
	p += 8;
	CU_ASSERT_EQUAL(p[0], 2);                               /* the IOAPIC */
	CU_ASSERT_EQUAL(p[1], ncpus);
	CU_ASSERT_EQUAL(p[3], 1);
	CU_ASSERT_EQUAL(rd32(p + 4), MPTABLE_IOAPIC_ADDR);
	p += 8;
	for (i = 0; i < 24; i++, p += 8) { /* ISA IRQ i on pin i, conforming, no override */
		CU_ASSERT_EQUAL(p[0], 3);
		CU_ASSERT_EQUAL(p[1], 0);
		CU_ASSERT_EQUAL(rd16(p + 2), 0);
		CU_ASSERT_EQUAL(p[4], 0);
		CU_ASSERT_EQUAL(p[5], i);
		CU_ASSERT_EQUAL(p[6], ncpus);
		CU_ASSERT_EQUAL(p[7], i);
	}
	CU_ASSERT(p[0] == 4 && p[1] == 3 && p[6] == 0xff && p[7] == 0); /* LINT0 ExtINT */
	p += 8;
	CU_ASSERT(p[0] == 4 && p[1] == 1 && p[6] == 0xff && p[7] == 1); /* LINT1 NMI */
	p += 8;
	CU_ASSERT_EQUAL(p - buf, len);
}

static void test_mptable(void)
{
	uint8_t small[64];

	check_mptable(1);
	check_mptable(8);
	CU_ASSERT(mptable_size(32) <= MPTABLE_MAX_BYTES);
	CU_ASSERT_EQUAL(mptable_write(small, sizeof(small), MPTABLE_GPA, 1), -ENOSPC);
	CU_ASSERT_EQUAL(mptable_write(small, sizeof(small), MPTABLE_GPA, 0), -EINVAL);
}

/* A vmlinux in miniature: text at a high virtual and a low physical address, a Xen note. */
struct vmlinux {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	uint8_t note[32];
	uint8_t text[256];
	uint8_t percpu[64];
};
#define PADDR 0x1000000u
#define PVH_ENTRY (PADDR + 0x40)

static void make_vmlinux(struct vmlinux *m, unsigned note_bytes)
{
	uint32_t nh[3] = { 4, note_bytes, 18 };
	uint64_t entry = PVH_ENTRY;

	memset(m, 0, sizeof(*m));
	/* e_entry: the 64-bit entry, not hv's to use */
	ut_elf_header(&m->eh, 0xffffffff81000000ull, offsetof(struct vmlinux, ph), 3);
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct vmlinux, text), .p_vaddr = 0xffffffff81000000ull,
		.p_paddr = PADDR, .p_filesz = sizeof(m->text), .p_memsz = 4096 };
	/* .data..percpu: virtual address 0, physical elsewhere */
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = offsetof(struct vmlinux, percpu), .p_vaddr = 0,
		.p_paddr = PADDR + 0x2000, .p_filesz = sizeof(m->percpu), .p_memsz = 4096 };
	m->ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct vmlinux, note),
		.p_filesz = 12 + 4 + 8 };
	memcpy(m->note, nh, sizeof(nh));
	memcpy(m->note + 12, "Xen", 4);
	memcpy(m->note + 16, &entry, note_bytes);
	memset(m->text, 0x90, sizeof(m->text));
	memset(m->percpu, 0xcc, sizeof(m->percpu));
}

static void test_pvh(void)
{
	static const char initrd[] = "initramfs!";
	unsigned bytes[] = { 8, 4 }, i;
	struct guest_mem gm;
	struct linux_entry e;
	struct vmlinux m;
	char err[160];

	for (i = 0; i < 2; i++) {
		uint8_t *si, *mm, *mod;
		make_vmlinux(&m, bytes[i]);
		CU_ASSERT_EQUAL(linux_probe(&m, sizeof(m)), LINUX_PVH);
		CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, MEM), 0);
		CU_ASSERT_EQUAL_FATAL(linux_load(&gm, &m, sizeof(m), initrd, sizeof(initrd),
						 "console=ttyS0", &e, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(e.kind, LINUX_PVH);
		CU_ASSERT_EQUAL(e.rip, PVH_ENTRY);
		CU_ASSERT_EQUAL(e.cr3, 0);
		CU_ASSERT_EQUAL(memcmp(gm.host + PADDR, m.text, sizeof(m.text)), 0);
		CU_ASSERT_EQUAL(gm.host[PADDR + 0x2000], 0xcc);
		si = gm.host + e.info;
		CU_ASSERT_EQUAL(rd32(si), 0x336ec578u);         /* magic */
		CU_ASSERT_EQUAL(rd32(si + 4), 1);               /* version */
		CU_ASSERT_EQUAL(rd32(si + 12), 1);              /* one module: the initrd */
		CU_ASSERT_STRING_EQUAL((char *)gm.host + rd64(si + 24), "console=ttyS0");
		mod = gm.host + rd64(si + 16);
		CU_ASSERT_EQUAL(rd64(mod + 8), sizeof(initrd));
		CU_ASSERT_EQUAL(memcmp(gm.host + rd64(mod), initrd, sizeof(initrd)), 0);
		CU_ASSERT(rd64(mod) >= PADDR + 0x3000 && rd64(mod) % 4096 == 0);
		CU_ASSERT_EQUAL(rd32(si + 48), 3);              /* memmap entries */
		mm = gm.host + rd64(si + 40);
		CU_ASSERT(rd64(mm) == 0 && rd64(mm + 8) == MPTABLE_GPA && rd32(mm + 16) == 1);
		CU_ASSERT(rd64(mm + 24) == MPTABLE_GPA && rd32(mm + 40) == 2);
		CU_ASSERT(rd64(mm + 48) == 0x100000 && rd64(mm + 56) == MEM - 0x100000 &&
			  rd32(mm + 64) == 1);
		CU_ASSERT_EQUAL(memcmp(gm.host + MPTABLE_GPA, "_MP_", 4), 0);
		gm_destroy(&gm);
	}
	/* No note: not Linux (hv's own ELF path takes it). */
	make_vmlinux(&m, 8);
	m.note[8] = 17;
	CU_ASSERT_EQUAL(linux_probe(&m, sizeof(m)), LINUX_NONE);
	/* A note that runs past its segment is not read. */
	make_vmlinux(&m, 8);
	m.ph[2].p_filesz = 20;
	CU_ASSERT_EQUAL(linux_probe(&m, sizeof(m)), LINUX_NONE);
}

/* A bzImage in miniature: one setup sector after the boot sector, then the kernel. */
#define BZ_OFF 1024
#define BZ_KERNEL 4096
static uint8_t bz[BZ_OFF + BZ_KERNEL];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void make_bzimage(uint16_t version)
{
	uint64_t pref = 0x1000000;

	memset(bz, 0, sizeof(bz));
	bz[0x1f1] = 1;                                  /* setup_sects */
	put32(bz + 0x1f4, BZ_KERNEL / 16);              /* syssize */
	bz[0x1fe] = 0x55, bz[0x1ff] = 0xaa;
	bz[0x201] = 0x6a;                               /* header to 0x26c */
	memcpy(bz + 0x202, "HdrS", 4);
	memcpy(bz + 0x206, &version, 2);
	bz[0x211] = 0x01;                               /* LOADED_HIGH */
	put32(bz + 0x22c, 0x7fffffff);                  /* initrd_addr_max */
	bz[0x236] = 0x01;                               /* XLF_KERNEL_64 */
	put32(bz + 0x238, 2047);                        /* cmdline_size */
	memcpy(bz + 0x258, &pref, 8);
	put32(bz + 0x260, 32u << 20);                   /* init_size */
	memset(bz + BZ_OFF, 0xe9, BZ_KERNEL);
}

static void test_zero_page(void)
{
	static const char initrd[] = "initramfs";
	struct guest_mem gm;
	struct linux_entry e;
	char err[160];
	uint8_t *bp;

	make_bzimage(0x020f);
	CU_ASSERT_EQUAL(linux_probe(bz, sizeof(bz)), LINUX_BZIMAGE);
	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, MEM), 0);
	CU_ASSERT_EQUAL_FATAL(linux_load(&gm, bz, sizeof(bz), initrd, sizeof(initrd), "quiet", &e,
					 err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e.kind, LINUX_BZIMAGE);
	CU_ASSERT_EQUAL(e.rip, 0x100200);
	CU_ASSERT(e.cr3 != 0);
	CU_ASSERT_EQUAL(memcmp(gm.host + 0x100000, bz + BZ_OFF, BZ_KERNEL), 0);
	bp = gm.host + e.info;
	CU_ASSERT_EQUAL(memcmp(bp + 0x202, "HdrS", 4), 0);   /* the setup header, copied */
	CU_ASSERT_EQUAL(bp[0x210], 0xff);                    /* type_of_loader */
	CU_ASSERT_STRING_EQUAL((char *)gm.host + rd32(bp + 0x228), "quiet");
	CU_ASSERT_EQUAL(rd32(bp + 0x21c), sizeof(initrd));
	CU_ASSERT_EQUAL(memcmp(gm.host + rd32(bp + 0x218), initrd, sizeof(initrd)), 0);
	CU_ASSERT(rd32(bp + 0x218) >= 0x1000000 + (32u << 20)); /* above where it unpacks */
	CU_ASSERT_EQUAL(bp[0x1e8], 3);                       /* e820 entries */
	CU_ASSERT(rd64(bp + 0x2d0 + 40) == 0x100000 && rd64(bp + 0x2d0 + 48) == MEM - 0x100000 &&
		  rd32(bp + 0x2d0 + 56) == 1);
	gm_destroy(&gm);
}

static void test_refusals(void)
{
	char big[LX_CMDLINE_MAX + 10], err[160];
	struct guest_mem gm;
	struct linux_entry e;
	struct vmlinux m;

	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, MEM), 0);
	make_bzimage(0x0209);
	CU_ASSERT_EQUAL(linux_load(&gm, bz, sizeof(bz), NULL, 0, "", &e, err, sizeof(err)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "2.09"));
	make_bzimage(0x020f);
	CU_ASSERT_EQUAL(linux_load(&gm, bz, BZ_OFF + 100, NULL, 0, "", &e, err, sizeof(err)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	CU_ASSERT_EQUAL(linux_load(&gm, bz, 0x210, NULL, 0, "", &e, err, sizeof(err)), -ENOEXEC);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CU_ASSERT_EQUAL(linux_load(&gm, bz, sizeof(bz), NULL, 0, big, &e, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "command line"));
	make_vmlinux(&m, 8);
	CU_ASSERT_EQUAL(linux_load(&gm, &m, sizeof(m), big, MEM, "", &e, err, sizeof(err)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "initrd"));
	gm_destroy(&gm);
	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, 64 << 20), 0);
	CU_ASSERT_EQUAL(linux_load(&gm, &m, sizeof(m), NULL, 0, "", &e, err, sizeof(err)), -ERANGE);
	gm_destroy(&gm);
}

/* The memory map never reaches hv's device windows; 64G with the hole would. */
static void test_e820_mmio(void)
{
	struct e820 map[LX_E820_MAX];
	struct guest_mem gm;
	struct linux_entry e;
	struct vmlinux m;
	char err[200];
	unsigned n, i;

	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, 63ull << 30), 0);
	n = linux_e820(&gm, map);
	CU_ASSERT_EQUAL(n, 4);
	for (i = 0; i < n; i++) {
		CU_ASSERT(map[i].addr + map[i].size <= HV_MMIO_BASE);
		/* nothing usable in the hole: the IOAPIC and local APIC live there */
		CU_ASSERT(map[i].type != E820_RAM || map[i].addr + map[i].size <= GM_HOLE_START ||
			  map[i].addr >= GM_HIGH_BASE);
	}
	CU_ASSERT_EQUAL(map[3].addr + map[3].size, HV_MMIO_BASE);
	gm_destroy(&gm);
	CU_ASSERT_EQUAL_FATAL(gm_init_pc(&gm, 64ull << 30), 0);
	make_vmlinux(&m, 8);
	CU_ASSERT_EQUAL(linux_load(&gm, &m, sizeof(m), NULL, 0, "", &e, err, sizeof(err)), -ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "63"));
	gm_destroy(&gm);
}

int suite_linux_boot(void)
{
	static const CU_TestInfo t[] = {
		{ "MP table: checksums and every entry, 1 and 8 CPUs", test_mptable },
		{ "PVH: hvm_start_info, 4- and 8-byte notes, load by paddr", test_pvh },
		{ "bzImage: zero page, setup header, e820, initrd", test_zero_page },
		{ "refusals: old protocol, truncated, cmdline, initrd, RAM", test_refusals },
		{ "memory map stays below hv's MMIO windows", test_e820_mmio },
		CU_TEST_INFO_NULL,
	};
	return add_suite("linux_boot", t);
}
