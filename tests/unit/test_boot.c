/* Boot info and initial page tables as the guest will read them. */
#include <stdlib.h>
#include <string.h>

#include "kvm/boot.h"
#include "suites.h"

static void test_boot_info(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct elf_info ki = { .entry = 0x100010, .lo = 0x100000, .hi = 0x123456 };
	struct hv_boot_info bi;
	uint64_t cr3, total = 0;
	unsigned i;

	CU_ASSERT_FATAL(vm != NULL);
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, 64u << 20), 0);
	CU_ASSERT_EQUAL_FATAL(vm_init_devices(vm, 1), 0);
	cr3 = boot_setup(vm, &ki, "selftest now");
	CU_ASSERT_EQUAL(cr3, HV_BOOT_PT_GPA);
	memcpy(&bi, vm->mem.host + HV_BOOT_INFO_GPA, sizeof(bi));
	CU_ASSERT_EQUAL(bi.magic, HV_BOOT_MAGIC);
	CU_ASSERT_EQUAL(bi.version, HV_ABI_VERSION);
	CU_ASSERT_EQUAL(bi.mem_size, 64u << 20);
	CU_ASSERT_EQUAL(bi.cmdline_len, 12);
	CU_ASSERT_STRING_EQUAL((char *)vm->mem.host + bi.cmdline_gpa, "selftest now");
	CU_ASSERT_EQUAL(bi.nr_dev, 1);
	CU_ASSERT_EQUAL(bi.dev[0].type, HV_DEV_UART);
	/* The map covers RAM exactly, in order, without overlap. */
	for (i = 0; i < bi.nr_mem; i++) {
		CU_ASSERT_EQUAL(bi.mem[i].base, total);
		total += bi.mem[i].len;
	}
	CU_ASSERT_EQUAL(total, 64u << 20);
	CU_ASSERT_EQUAL(bi.mem[0].type, HV_MEM_RESERVED);
	CU_ASSERT_EQUAL(bi.nr_mem, 3); /* reserved, kernel, usable: none below the kernel */
	CU_ASSERT_EQUAL(bi.mem[1].type, HV_MEM_KERNEL);
	CU_ASSERT_EQUAL(bi.mem[1].len, 0x24000);
	CU_ASSERT_EQUAL(bi.mem[2].type, HV_MEM_USABLE);
	vm_destroy_devices(vm);
	gm_destroy(&vm->mem);
	free(vm);
}

/* Walks the tables as the MMU would: every 2 MiB page maps 1:1, no U/S bit. */
static void test_page_tables(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct elf_info ki = { .entry = 0x200000, .lo = 0x200000, .hi = 0x201000 };
	const uint64_t mem = 6ull << 30;
	uint64_t cr3, va;

	CU_ASSERT_FATAL(vm != NULL);
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, mem), 0);
	cr3 = boot_setup(vm, &ki, "");
	for (va = 0; va < BOOT_IDMAP_MAX; va += 2ull << 20) {
		uint64_t *l4 = (uint64_t *)(vm->mem.host + cr3);
		uint64_t *l3 = (uint64_t *)(vm->mem.host + (l4[va >> 39 & 511] & ~0xfffull));
		uint64_t *l2 = (uint64_t *)(vm->mem.host + (l3[va >> 30 & 511] & ~0xfffull));
		uint64_t pte = l2[va >> 21 & 511];
		if ((pte & ~0xfffull) != va || (pte & 0x87) != 0x83) {
			CU_FAIL("bad mapping");
			break;
		}
	}
	/* Only the first 4 GiB are mapped at entry; the guest maps the rest. */
	CU_ASSERT_EQUAL(((uint64_t *)(vm->mem.host + HV_BOOT_PT_GPA + 4096))[4], 0);
	gm_destroy(&vm->mem);
	free(vm);
}

/*
 * The boot GDT as the CPU reads it: written where hv's GDTR points, 64-bit
 * code and flat data at DPL 0, a busy TSS whose base and limit name the
 * zeroed 104 bytes beside it (fields decoded by hand, not by hv's macro).
 */
static void test_boot_gdt(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct elf_info ki = { .entry = 0x200000, .lo = 0x200000, .hi = 0x201000 };
	const uint8_t *page;
	uint64_t code, data, tss, tss_hi, base;
	unsigned i;

	CU_ASSERT_FATAL(vm != NULL);
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, 8u << 20), 0);
	memset(vm->mem.host + HV_BOOT_GDT_GPA, 0xa5, 4096); /* what was there must go */
	CU_ASSERT_NOT_EQUAL(boot_setup(vm, &ki, ""), 0);
	page = vm->mem.host + HV_BOOT_GDT_GPA;
	memcpy(&code, page + HV_BOOT_SEL_CODE, 8);
	memcpy(&data, page + HV_BOOT_SEL_DATA, 8);
	memcpy(&tss, page + HV_BOOT_SEL_TSS, 8);
	memcpy(&tss_hi, page + HV_BOOT_SEL_TSS + 8, 8);
	CU_ASSERT_EQUAL(*(const uint64_t *)page, 0); /* the null descriptor */
	/* access byte: P | DPL 0 | S | type; flags: L for code, D/B for data, G both */
	CU_ASSERT_EQUAL(code >> 40 & 0xff, 0x9b);
	CU_ASSERT_EQUAL(code >> 52 & 0xf, 0xa);
	CU_ASSERT_EQUAL(data >> 40 & 0xff, 0x93);
	CU_ASSERT_EQUAL(data >> 52 & 0xf, 0xc);
	CU_ASSERT_EQUAL(tss >> 40 & 0xff, 0x8b); /* busy 64-bit TSS */
	base = (tss >> 16 & 0xffffff) | (tss >> 56 & 0xff) << 24 | tss_hi << 32;
	CU_ASSERT_EQUAL(base, BOOT_TSS_GPA);
	CU_ASSERT_EQUAL((tss & 0xffff) | (tss >> 48 & 0xf) << 16, 103);
	for (i = 0; i < 104; i++)
		if (vm->mem.host[base + i]) {
			CU_FAIL("the boot TSS is not zeroed");
			break;
		}
	CU_ASSERT_EQUAL(sizeof(boot_gdt), BOOT_GDT_ENTRIES * 8);
	gm_destroy(&vm->mem);
	free(vm);
}

static void test_cmdline_too_long(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct elf_info ki = { .entry = 0x200000, .lo = 0x200000, .hi = 0x201000 };
	char *big = malloc(HV_CMDLINE_MAX + 1);
	memset(big, 'x', HV_CMDLINE_MAX);
	big[HV_CMDLINE_MAX] = 0;
	CU_ASSERT_EQUAL_FATAL(gm_init(&vm->mem, 8u << 20), 0);
	CU_ASSERT_EQUAL(boot_setup(vm, &ki, big), 0);
	gm_destroy(&vm->mem);
	free(big);
	free(vm);
}

int suite_boot(void)
{
	static const CU_TestInfo t[] = {
		{ "boot info and memory map", test_boot_info },
		{ "1:1 page tables", test_page_tables },
		{ "boot GDT and TSS", test_boot_gdt },
		{ "command line too long", test_cmdline_too_long },
		CU_TEST_INFO_NULL,
	};
	return add_suite("boot", t);
}
