/*
 * Physical page allocator: a bitmap over RAM, one bit per 4 KiB page, built
 * from the boot-info memory map and kept in the first usable region that
 * holds it (32 KiB per GiB of RAM).  Allocation is a scan from a moving hint.
 */
#include "lib.h"
#include "mm.h"

static uint8_t *used;
static uint64_t npages, nfree, hint;

static inline int test_bit(uint64_t i) { return used[i >> 3] & (1u << (i & 7)); }
static inline void set_bit(uint64_t i) { used[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void clr_bit(uint64_t i) { used[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

int pmm_init(const struct hv_boot_info *bi)
{
	uint64_t map_bytes, map_pages, p;
	uint32_t i, n = bi->nr_mem < HV_BOOT_MAX_MEM ? bi->nr_mem : HV_BOOT_MAX_MEM;

	npages = bi->mem_size / PAGE_SIZE;
	map_bytes = ALIGN_UP((npages + 7) / 8, PAGE_SIZE);
	map_pages = map_bytes / PAGE_SIZE;
	used = NULL;
	for (i = 0; i < n && !used; i++) {
		const struct hv_mem_region *r = &bi->mem[i];
		uint64_t base = ALIGN_UP(r->base, PAGE_SIZE);
		if (r->type == HV_MEM_USABLE && r->base + r->len >= base + map_bytes)
			used = (uint8_t *)(uintptr_t)base;
	}
	if (!used)
		return -1;
	memset(used, 0xff, map_bytes);
	nfree = 0;
	for (i = 0; i < n; i++) {
		const struct hv_mem_region *r = &bi->mem[i];
		uint64_t end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE) / PAGE_SIZE;
		if (r->type != HV_MEM_USABLE)
			continue;
		for (p = ALIGN_UP(r->base, PAGE_SIZE) / PAGE_SIZE; p < end && p < npages; p++, nfree++)
			clr_bit(p);
	}
	/* The bitmap's own pages. */
	for (p = (uint64_t)(uintptr_t)used / PAGE_SIZE; map_pages--; p++, nfree--)
		set_bit(p);
	hint = 0;
	return 0;
}

static uint64_t find_run(uint64_t n)
{
	uint64_t start, p, run = 0;

	for (p = hint, start = hint; p < npages; p++) {
		if (test_bit(p)) {
			run = 0;
			start = p + 1;
			continue;
		}
		if (++run == n)
			return start;
	}
	if (hint) { /* wrap once */
		hint = 0;
		return find_run(n);
	}
	return 0;
}

uint64_t pmm_alloc_contig(uint64_t n)
{
	uint64_t start = n ? find_run(n) : 0, i;

	if (!start)
		return 0; /* page 0 is reserved, so 0 means none */
	for (i = 0; i < n; i++)
		set_bit(start + i);
	nfree -= n;
	hint = start + n;
	memset((void *)(uintptr_t)(start * PAGE_SIZE), 0, n * PAGE_SIZE);
	return start * PAGE_SIZE;
}

uint64_t pmm_alloc(void)
{
	return pmm_alloc_contig(1);
}

void pmm_free(uint64_t pa)
{
	uint64_t p = pa / PAGE_SIZE;

	if (p && p < npages && test_bit(p)) {
		clr_bit(p);
		nfree++;
		if (p < hint)
			hint = p;
	}
}

void pmm_free_contig(uint64_t pa, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		pmm_free(pa + i * PAGE_SIZE);
}

uint64_t pmm_free_pages(void)
{
	return nfree;
}
