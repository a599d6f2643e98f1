/* Boot info, command line, boot GDT and initial page tables. */
#include "kvm/boot.h"

#include <string.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PS (1ull << 7)
#define PAGE 4096ull

const uint64_t boot_gdt[BOOT_GDT_ENTRIES] = {
	[HV_BOOT_SEL_CODE / 8] = DESC(0, 0xfffff, ACC_CODE, FL_G | FL_L),
	[HV_BOOT_SEL_DATA / 8] = DESC(0, 0xfffff, ACC_DATA, FL_G | FL_DB),
	[HV_BOOT_SEL_TSS / 8] = DESC(BOOT_TSS_GPA, TSS_LIMIT, ACC_TSS_BUSY, 0),
	[HV_BOOT_SEL_TSS / 8 + 1] = (uint64_t)BOOT_TSS_GPA >> 32,
};
_Static_assert(BOOT_TSS_GPA + TSS_LIMIT < HV_BOOT_GDT_GPA + 4096 &&
		       HV_BOOT_GDT_GPA + sizeof(boot_gdt) <= BOOT_TSS_GPA,
	       "GDT and TSS share one page of the boot area");

static void add_mem(struct hv_boot_info *bi, uint64_t base, uint64_t end, uint32_t type)
{
	if (end <= base || bi->nr_mem == HV_BOOT_MAX_MEM)
		return;
	bi->mem[bi->nr_mem++] = (struct hv_mem_region){ base, end - base, type, 0 };
}

/*
 * PML4[0] -> PDPT; PDPT[i] -> PD i; each PD maps 1 GiB in 2 MiB pages.  No
 * U/S bit: the kernel runs in supervisor mode (safe under SMEP).
 */
uint64_t boot_page_tables(const struct guest_mem *gm)
{
	uint64_t map = gm->size < BOOT_IDMAP_MAX ? gm->size : BOOT_IDMAP_MAX;
	uint64_t pml4 = HV_BOOT_PT_GPA, pdpt = pml4 + PAGE, pd = pdpt + PAGE;
	uint64_t *l4 = gm_range(gm, pml4, PAGE), *l3 = gm_range(gm, pdpt, PAGE);
	uint64_t addr;

	memset(l4, 0, PAGE);
	memset(l3, 0, PAGE);
	l4[0] = pdpt | PTE_P | PTE_W;
	for (addr = 0; addr < map; addr += 2ull << 20) {
		uint64_t gb = addr >> 30, pd_gpa = pd + gb * PAGE;
		uint64_t *l2 = gm_range(gm, pd_gpa, PAGE);
		if (!(addr & ((1ull << 30) - 1))) {
			memset(l2, 0, PAGE);
			l3[gb] = pd_gpa | PTE_P | PTE_W;
		}
		l2[(addr >> 21) & 511] = addr | PTE_P | PTE_W | PTE_PS;
	}
	return pml4;
}

_Static_assert(HV_BOOT_PT_GPA + (2 + (BOOT_IDMAP_MAX >> 30)) * PAGE <= HV_BOOT_STACK_TOP - 0x10000,
	       "page tables must not meet the boot stack");

uint64_t boot_setup(struct vm *vm, const struct elf_info *ki, const char *cmdline)
{
	struct hv_boot_info *bi = gm_range(&vm->mem, HV_BOOT_INFO_GPA, sizeof(*bi));
	size_t n = strlen(cmdline);
	uint64_t kend = (ki->hi + PAGE - 1) & ~(PAGE - 1);

	if (n >= HV_CMDLINE_MAX)
		return 0;
	memcpy(gm_range(&vm->mem, HV_CMDLINE_GPA, n + 1), cmdline, n + 1);

	memset(bi, 0, sizeof(*bi));
	bi->magic = HV_BOOT_MAGIC;
	bi->version = HV_ABI_VERSION;
	bi->size = sizeof(*bi);
	bi->mem_size = vm->mem.size;
	bi->cmdline_gpa = HV_CMDLINE_GPA;
	bi->cmdline_len = (uint32_t)n;
	add_mem(bi, 0, HV_BOOT_AREA_END, HV_MEM_RESERVED);
	add_mem(bi, HV_BOOT_AREA_END, ki->lo & ~(PAGE - 1), HV_MEM_USABLE);
	add_mem(bi, ki->lo & ~(PAGE - 1), kend, HV_MEM_KERNEL);
	add_mem(bi, kend, vm->mem.size, HV_MEM_USABLE);
	/* The GDT page: the table, then a zeroed TSS (no stack switches at CPL 0). */
	memset(gm_range(&vm->mem, HV_BOOT_GDT_GPA, PAGE), 0, PAGE);
	memcpy(gm_range(&vm->mem, HV_BOOT_GDT_GPA, sizeof(boot_gdt)), boot_gdt, sizeof(boot_gdt));
	bi->nr_dev = vm->nr_dev;
	memcpy(bi->dev, vm->desc, vm->nr_dev * sizeof(vm->desc[0]));
	return boot_page_tables(&vm->mem);
}
