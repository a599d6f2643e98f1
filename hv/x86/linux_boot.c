/* Linux's PVH and 64-bit boot protocol entries (see linux_boot.h). */
#include "x86/linux_boot.h"

#include <errno.h>
#include <string.h>

#include "hv_abi.h"
#include "core/util.h"
#include "kvm/boot.h"
#include "kvm/elf_load.h"
#include "x86/mptable.h"

#define PAGE 4096ull
#define LX_TSS_GPA (LX_GDT_GPA + 0x80)
#define EBDA_START MPTABLE_GPA /* RAM below it; the MP table's KiB up to 1 MiB reserved */

const uint64_t linux_gdt[LX_GDT_ENTRIES] = {
	[LX_SEL_CODE32 / 8] = DESC(0, 0xfffff, ACC_CODE, FL_G | FL_DB),
	[LX_SEL_CODE64 / 8] = DESC(0, 0xfffff, ACC_CODE, FL_G | FL_L),
	[LX_SEL_DATA / 8] = DESC(0, 0xfffff, ACC_DATA, FL_G | FL_DB),
	[LX_SEL_TSS / 8] = DESC(LX_TSS_GPA, TSS_LIMIT, ACC_TSS_BUSY, 0),
};

/* hvm_start_info version 1 (Xen's public ABI, include/xen/interface/hvm/start_info.h). */
#define HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1 is 56 bytes");
#define PVH_MODLIST_GPA (LX_INFO_GPA + 0x100)
#define PVH_MEMMAP_GPA (LX_INFO_GPA + 0x200)

/* The zero page (struct boot_params) and its setup header, by offset (boot.rst). */
enum {
	BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4, BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8, BP_HDR = 0x1f1, BP_E820_TABLE = 0x2d0,
	HDR_SETUP_SECTS = 0x1f1, HDR_SYSSIZE = 0x1f4, HDR_BOOT_FLAG = 0x1fe, HDR_JUMP = 0x200,
	HDR_HEADER = 0x202, HDR_VERSION = 0x206, HDR_TYPE_OF_LOADER = 0x210,
	HDR_LOADFLAGS = 0x211, HDR_RAMDISK_IMAGE = 0x218, HDR_RAMDISK_SIZE = 0x21c,
	HDR_CMD_LINE_PTR = 0x228, HDR_INITRD_ADDR_MAX = 0x22c, HDR_XLOADFLAGS = 0x236,
	HDR_CMDLINE_SIZE = 0x238, HDR_PREF_ADDRESS = 0x258, HDR_INIT_SIZE = 0x260,
	HDR_END_MIN = 0x264, /* through init_size: every field hv reads */
	BP_SIZE = 4096,
	LOADED_HIGH = 0x01, XLF_KERNEL_64 = 0x01,
	PROTOCOL_MIN = 0x020c, /* 2.12: xloadflags says whether the 64-bit entry exists */
	ENTRY64_OFF = 0x200,
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static bool is_bzimage(const uint8_t *img, size_t size)
{
	return size >= HDR_HEADER + 4 && get16(img + HDR_BOOT_FLAG) == 0xaa55 &&
	       !memcmp(img + HDR_HEADER, "HdrS", 4);
}

enum linux_kind linux_probe(const void *image, size_t size)
{
	uint64_t entry;

	if (is_bzimage(image, size))
		return LINUX_BZIMAGE;
	return elf_pvh_entry(image, size, &entry) ? LINUX_NONE : LINUX_PVH;
}

unsigned linux_e820(const struct guest_mem *gm, struct e820 out[LX_E820_MAX])
{
	struct gm_region r[2];
	unsigned n = 0, nr = gm_regions(gm, r);

	out[n++] = (struct e820){ 0, EBDA_START, E820_RAM };
	out[n++] = (struct e820){ EBDA_START, LX_KERNEL_GPA - EBDA_START, E820_RESERVED };
	out[n++] = (struct e820){ LX_KERNEL_GPA, r[0].len - LX_KERNEL_GPA, E820_RAM };
	if (nr == 2)
		out[n++] = (struct e820){ r[1].gpa, r[1].len, E820_RAM };
	return n;
}

/*
 * The initrd at the top of the low block, page-aligned, below limit and
 * above the kernel's end: 0 and *gpa, or -ENOSPC.
 */
static int place_initrd(const struct guest_mem *gm, size_t n, uint64_t kernel_end,
			uint64_t limit, uint64_t *gpa)
{
	uint64_t top = gm->low < limit ? gm->low : limit;

	top &= ~(PAGE - 1);
	if (n > top || ((top - n) & ~(PAGE - 1)) < kernel_end)
		return -ENOSPC;
	*gpa = (top - n) & ~(PAGE - 1);
	return 0;
}

/* The pieces both entries share: GDT and TSS, command line, MP table, initrd. */
static int common_setup(const struct guest_mem *gm, const void *initrd, size_t initrd_size,
			uint64_t kernel_end, uint64_t initrd_limit, const char *cmdline,
			size_t cmdline_max, struct linux_entry *e, char *err, size_t errlen)
{
	size_t n = strlen(cmdline);

	if (n >= cmdline_max)
		return err_msg(-EINVAL, err, errlen,
			       "the command line is %zu bytes; this kernel takes at most %zu", n,
			       cmdline_max - 1);
	if (initrd && place_initrd(gm, initrd_size, kernel_end, initrd_limit, &e->initrd))
		return err_msg(-ENOSPC, err, errlen,
			       "the initrd (%zu KiB) does not fit in guest RAM beside the kernel "
			       "(raise --mem)", initrd_size >> 10);
	if (initrd) {
		memcpy(gm_range(gm, e->initrd, initrd_size), initrd, initrd_size);
		e->initrd_size = initrd_size;
	}
	memcpy(gm_range(gm, LX_CMDLINE_GPA, n + 1), cmdline, n + 1);
	memset(gm_range(gm, LX_GDT_GPA, PAGE), 0, PAGE);
	memcpy(gm_range(gm, LX_GDT_GPA, sizeof(linux_gdt)), linux_gdt, sizeof(linux_gdt));
	if (mptable_write(gm_range(gm, MPTABLE_GPA, MPTABLE_MAX_BYTES), MPTABLE_MAX_BYTES,
			  MPTABLE_GPA, 1) < 0)
		return err_msg(-ENOSPC, err, errlen, "the MP table does not fit");
	return 0;
}

static int load_pvh(const struct guest_mem *gm, const void *image, size_t size,
		    const void *initrd, size_t initrd_size, const char *cmdline,
		    struct linux_entry *e, char *err, size_t errlen)
{
	struct hvm_start_info si = { .magic = HVM_START_MAGIC, .version = 1 };
	struct hvm_memmap_entry mm[LX_E820_MAX];
	struct e820 map[LX_E820_MAX];
	struct elf_info ki;
	unsigned i, n;
	int rc = elf_load_pvh(gm, image, size, LX_KERNEL_GPA, &ki, err, errlen);

	if (rc)
		return rc;
	e->rip = ki.entry;
	e->lo = ki.lo;
	e->hi = ki.hi;
	rc = common_setup(gm, initrd, initrd_size, (ki.hi + PAGE - 1) & ~(PAGE - 1),
			  UINT64_MAX, cmdline, LX_CMDLINE_MAX, e, err, errlen);
	if (rc)
		return rc;
	n = linux_e820(gm, map);
	for (i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size, map[i].type, 0 };
	memset(gm_range(gm, LX_INFO_GPA, PAGE), 0, PAGE);
	gm_write(gm, PVH_MEMMAP_GPA, mm, n * sizeof(mm[0]));
	si.memmap_paddr = PVH_MEMMAP_GPA;
	si.memmap_entries = n;
	si.cmdline_paddr = LX_CMDLINE_GPA;
	if (initrd) {
		struct hvm_modlist_entry m = { .paddr = e->initrd, .size = initrd_size };
		gm_write(gm, PVH_MODLIST_GPA, &m, sizeof(m));
		si.modlist_paddr = PVH_MODLIST_GPA;
		si.nr_modules = 1;
	}
	gm_write(gm, LX_INFO_GPA, &si, sizeof(si));
	e->info = LX_INFO_GPA;
	e->cr3 = 0;
	return 0;
}

static int load_bzimage(const struct guest_mem *gm, const uint8_t *img, size_t size,
			const void *initrd, size_t initrd_size, const char *cmdline,
			struct linux_entry *e, char *err, size_t errlen)
{
	unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	size_t off = (setup_sects + 1) * 512ull, hdr_end;
	uint64_t pm_size, need, pref, init_size;
	struct e820 map[LX_E820_MAX];
	uint8_t *bp;
	unsigned i, n;
	int rc;

	if (size < HDR_END_MIN)
		return err_msg(-ENOEXEC, err, errlen, "bzImage is truncated: %zu bytes", size);
	e->protocol = get16(img + HDR_VERSION);
	if (e->protocol < PROTOCOL_MIN || !(img[HDR_XLOADFLAGS] & XLF_KERNEL_64) ||
	    !(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return err_msg(-ENOEXEC, err, errlen,
			       "bzImage boot protocol %u.%02u without a 64-bit entry: hv needs "
			       "2.12 or later with XLF_KERNEL_64", e->protocol >> 8,
			       e->protocol & 0xff);
	hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
	if (hdr_end < HDR_END_MIN || hdr_end > BP_SIZE)
		return err_msg(-ENOEXEC, err, errlen, "bzImage setup header is truncated");
	pm_size = (uint64_t)get32(img + HDR_SYSSIZE) * 16;
	if (off >= size || pm_size == 0 || pm_size > size - off)
		return err_msg(-ENOEXEC, err, errlen,
			       "bzImage is truncated: %zu bytes, its header says %llu", size,
			       (unsigned long long)(off + pm_size));
	pm_size = size - off;
	pref = get64(img + HDR_PREF_ADDRESS);
	init_size = get32(img + HDR_INIT_SIZE);
	/* The kernel decompresses itself to pref_address (or a random place above). */
	need = (pref > LX_KERNEL_GPA ? pref : LX_KERNEL_GPA) + init_size;
	if (pm_size > init_size)
		need += pm_size;
	if (need > gm->low || !gm_range(gm, LX_KERNEL_GPA, pm_size))
		return err_msg(-ERANGE, err, errlen,
			       "this kernel needs %llu MiB of RAM to unpack itself (raise --mem)",
			       (unsigned long long)(need >> 20) + 1);
	memcpy(gm_range(gm, LX_KERNEL_GPA, pm_size), img + off, pm_size);
	e->rip = LX_KERNEL_GPA + ENTRY64_OFF;
	e->lo = LX_KERNEL_GPA;
	e->hi = LX_KERNEL_GPA + pm_size;
	/* The kernel avoids the initrd when it picks where to unpack (KASLR or not). */
	rc = common_setup(gm, initrd, initrd_size, need,
			  (uint64_t)get32(img + HDR_INITRD_ADDR_MAX) + 1, cmdline,
			  get32(img + HDR_CMDLINE_SIZE) + 1ull < LX_CMDLINE_MAX
				  ? get32(img + HDR_CMDLINE_SIZE) + 1ull : LX_CMDLINE_MAX,
			  e, err, errlen);
	if (rc)
		return rc;
	bp = gm_range(gm, LX_INFO_GPA, BP_SIZE);
	memset(bp, 0, BP_SIZE);
	memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	bp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
	bp[HDR_LOADFLAGS] |= LOADED_HIGH;
	put32(bp + HDR_CMD_LINE_PTR, LX_CMDLINE_GPA);
	put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)e->initrd);
	put32(bp + HDR_RAMDISK_SIZE, (uint32_t)e->initrd_size);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(e->initrd >> 32));
	put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)e->initrd_size >> 32));
	put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	n = linux_e820(gm, map);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (i = 0; i < n; i++) { /* packed: 8 + 8 + 4 bytes each */
		memcpy(bp + BP_E820_TABLE + 20 * i, &map[i].addr, 8);
		memcpy(bp + BP_E820_TABLE + 20 * i + 8, &map[i].size, 8);
		memcpy(bp + BP_E820_TABLE + 20 * i + 16, &map[i].type, 4);
	}
	e->info = LX_INFO_GPA;
	e->cr3 = boot_page_tables(gm);
	return 0;
}

int linux_load(const struct guest_mem *gm, const void *image, size_t size, const void *initrd,
	       size_t initrd_size, const char *cmdline, struct linux_entry *out, char *err,
	       size_t errlen)
{
	size_t n = strlen(cmdline);

	memset(out, 0, sizeof(*out));
	out->kind = linux_probe(image, size);
	if (n >= LX_CMDLINE_MAX) /* before any loading: the kernel's own limit is checked later */
		return err_msg(-EINVAL, err, errlen,
			       "the command line is %zu bytes; Linux takes at most %u", n,
			       LX_CMDLINE_MAX - 1);
	if (gm->size < LX_MIN_MEM)
		return err_msg(-ERANGE, err, errlen, "Linux needs at least %llu MiB of --mem",
			       LX_MIN_MEM >> 20);
	if (gm_top(gm) > HV_MMIO_BASE)
		return err_msg(-ERANGE, err, errlen,
			       "--mem: RAM above the 4 GiB hole would reach hv's device windows "
			       "at %llu GiB (at most %llu G for Linux)",
			       HV_MMIO_BASE >> 30,
			       (HV_MMIO_BASE - (GM_HIGH_BASE - GM_HOLE_START)) >> 30);
	switch (out->kind) {
	case LINUX_PVH:
		return load_pvh(gm, image, size, initrd, initrd_size, cmdline, out, err, errlen);
	case LINUX_BZIMAGE:
		return load_bzimage(gm, image, size, initrd, initrd_size, cmdline, out, err, errlen);
	default:
		return err_msg(-ENOEXEC, err, errlen, "not a Linux kernel");
	}
}
