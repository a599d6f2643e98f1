/*
 * Memory: physical pages from the boot-info memory map, the kernel's own 1:1
 * page tables, and a heap on top.
 */
#ifndef GK_MM_H
#define GK_MM_H

#include <stddef.h>
#include <stdint.h>

#include "hv_abi.h"

#define PAGE_SIZE 4096ull

/* 0, or -1 when no usable region holds the allocator's bitmap. */
int pmm_init(const struct hv_boot_info *bi);
/* One zeroed page's physical address (= virtual: 1:1 map), 0 when out. */
uint64_t pmm_alloc(void);
/* n contiguous zeroed pages, 0 when none. */
uint64_t pmm_alloc_contig(uint64_t n);
void pmm_free(uint64_t pa);
/* Frees n pages from pa, as pmm_alloc_contig(n) gave them. */
void pmm_free_contig(uint64_t pa, uint64_t n);
/* Pages that hold bytes. */
#define PAGES_FOR(bytes) (((uint64_t)(bytes) + PAGE_SIZE - 1) / PAGE_SIZE)
uint64_t pmm_free_pages(void);

/* Builds 1:1 tables for all RAM (2 MiB pages) and loads them. */
int paging_init(uint64_t mem_size);
/* Maps [pa, pa+len) 1:1 uncached for device registers; 0 or -1. */
int paging_map_mmio(uint64_t pa, uint64_t len);
/* The page-table entry mapping va (4 KiB or 2 MiB level), or 0. */
uint64_t paging_lookup(uint64_t va);
/* Unmaps / remaps one 4 KiB page (splitting a 2 MiB page), for tests. */
int paging_set_present(uint64_t va, int present);

void heap_init(void);
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);
size_t heap_in_use(void);

#endif
