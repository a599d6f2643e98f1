/*
 * Kernel heap: power-of-two size classes (16 B to 2 KiB) carved from pages,
 * each with a free list; larger blocks take whole pages.  A 16-byte header
 * before each block records its class, so kfree needs no size.
 */
#include "lib.h"
#include "mm.h"

#define MIN_SHIFT 4
#define MAX_SHIFT 11
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define HDR 16
#define BIG 0xffffffffu

struct hdr {
	uint32_t cls; /* size class, or BIG */
	uint32_t magic;
	uint64_t pages; /* for BIG blocks */
};
#define MAGIC 0x68656170u

struct free_blk {
	struct free_blk *next;
};

static struct free_blk *free_list[NCLASS];
static size_t in_use;

void heap_init(void)
{
	memset(free_list, 0, sizeof(free_list));
	in_use = 0;
}

static int refill(unsigned c)
{
	uint64_t pg = pmm_alloc(), sz = 1ull << (c + MIN_SHIFT), off;

	if (!pg)
		return -1;
	for (off = 0; off + sz <= PAGE_SIZE; off += sz) {
		struct free_blk *b = (struct free_blk *)(uintptr_t)(pg + off);
		b->next = free_list[c];
		free_list[c] = b;
	}
	return 0;
}

void *kmalloc(size_t n)
{
	size_t need = n + HDR;
	struct hdr *h;
	unsigned c;

	if (n > (1ull << 40))
		return NULL;
	if (need > (1u << MAX_SHIFT)) {
		uint64_t pages = ALIGN_UP(need, PAGE_SIZE) / PAGE_SIZE;
		uint64_t pa = pmm_alloc_contig(pages);
		if (!pa)
			return NULL;
		h = (struct hdr *)(uintptr_t)pa;
		*h = (struct hdr){ BIG, MAGIC, pages };
		in_use += pages * PAGE_SIZE;
		return (uint8_t *)h + HDR;
	}
	for (c = 0; (1u << (c + MIN_SHIFT)) < need; c++)
		;
	if (!free_list[c] && refill(c))
		return NULL;
	h = (struct hdr *)free_list[c];
	free_list[c] = free_list[c]->next;
	*h = (struct hdr){ c, MAGIC, 0 };
	in_use += 1u << (c + MIN_SHIFT);
	return (uint8_t *)h + HDR;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void kfree(void *p)
{
	struct hdr *h;
	struct free_blk *b;
	unsigned c;

	if (!p)
		return;
	h = (struct hdr *)((uint8_t *)p - HDR);
	if (h->magic != MAGIC) {
		printf("kfree: bad block %p\n", p);
		return;
	}
	h->magic = 0;
	if (h->cls == BIG) {
		in_use -= h->pages * PAGE_SIZE;
		pmm_free_contig((uint64_t)(uintptr_t)h, h->pages);
		return;
	}
	c = h->cls; /* read before the free-list link overwrites it */
	if (c >= NCLASS) {
		printf("kfree: bad class in block %p\n", p);
		return;
	}
	in_use -= 1u << (c + MIN_SHIFT);
	b = (struct free_blk *)h;
	b->next = free_list[c];
	free_list[c] = b;
}

size_t heap_in_use(void)
{
	return in_use;
}
