/*
 * The kernel's own page tables: RAM mapped 1:1 with 2 MiB pages, device
 * windows with 4 KiB uncached pages.  No entry has the U/S bit: the kernel is
 * supervisor code and has no user mode.
 */
#include "lib.h"
#include "mm.h"
#include "platform.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define ADDR_MASK 0x000ffffffffff000ull

static uint64_t *pml4;

static uint64_t *table(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & ADDR_MASK);
}

/* The entry at level (3 = PML4 .. 1 = PT) for va, allocating tables above it. */
static uint64_t *walk(uint64_t va, int level)
{
	uint64_t *t = pml4;
	int l;

	for (l = 4; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			uint64_t pg = pmm_alloc();
			if (!pg)
				return NULL;
			*e = pg | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL; /* a large page is in the way: callers split first */
		}
		t = table(*e);
	}
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

int paging_init(uint64_t mem_size)
{
	uint64_t va;

	pml4 = (uint64_t *)(uintptr_t)pmm_alloc();
	if (!pml4)
		return -1;
	for (va = 0; va < mem_size; va += 2ull << 20) {
		uint64_t *e = walk(va, 2);
		if (!e)
			return -1;
		*e = va | PTE_P | PTE_W | PTE_PS;
	}
	plat_load_pgtbl((uint64_t)(uintptr_t)pml4);
	return 0;
}

int paging_map_mmio(uint64_t pa, uint64_t len)
{
	uint64_t va;

	for (va = ALIGN_DOWN(pa, PAGE_SIZE); va < pa + len; va += PAGE_SIZE) {
		uint64_t *e = walk(va, 1);
		if (!e)
			return -1;
		*e = va | PTE_P | PTE_W | PTE_PCD | PTE_PWT;
	}
	plat_tlb_invalidate();
	return 0;
}

uint64_t paging_lookup(uint64_t va)
{
	uint64_t *t = pml4;
	int l;

	for (l = 4; l >= 1; l--) {
		uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(e & PTE_P) || l == 1 || (l == 2 && (e & PTE_PS)))
			return e;
		t = table(e);
	}
	return 0;
}

/* Replaces the 2 MiB page holding va with a table of 512 4 KiB pages. */
static int split_2m(uint64_t va)
{
	uint64_t *pde = walk(va, 2), *pt, base, i;

	if (!pde)
		return -1;
	if (!(*pde & PTE_PS))
		return 0;
	pt = (uint64_t *)(uintptr_t)pmm_alloc();
	if (!pt)
		return -1;
	base = *pde & ~((2ull << 20) - 1) & ADDR_MASK;
	for (i = 0; i < 512; i++)
		pt[i] = (base + i * PAGE_SIZE) | PTE_P | PTE_W;
	*pde = (uint64_t)(uintptr_t)pt | PTE_P | PTE_W;
	return 0;
}

int paging_set_present(uint64_t va, int present)
{
	uint64_t *e;

	if (split_2m(va))
		return -1;
	e = walk(va, 1);
	if (!e)
		return -1;
	*e = present ? (ALIGN_DOWN(va, PAGE_SIZE) | PTE_P | PTE_W) : 0;
	/* Also drops a 2 MiB translation split_2m replaced. */
	plat_tlb_invalidate_page(va);
	return 0;
}
