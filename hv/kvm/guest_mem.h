/*
 * Guest RAM: one host mapping, and the single checked helper through which hv
 * turns guest-physical ranges into host pointers.  Nothing in hv dereferences
 * guest memory without gm_range().
 *
 * RAM is one block from guest-physical 0, or, laid out as a PC (Linux
 * guests over GM_HOLE_START), two: [0, GM_HOLE_START) and the rest from
 * GM_HIGH_BASE up, so the hole below 4 GiB holds the IOAPIC and local APIC
 * and never reads as RAM.  The host mapping stays one block either way.
 */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A guest-physical address: an integer, so host code cannot dereference it. */
typedef uint64_t gpa_t;

#define GM_HOLE_START (3ull << 30) /* the PC hole: 3 GiB .. 4 GiB */
#define GM_HIGH_BASE (4ull << 30)

struct guest_mem {
	uint8_t *host; /* mapping of all size bytes */
	uint64_t size; /* bytes of RAM */
	uint64_t low;  /* bytes at [0, low); the other size - low start at GM_HIGH_BASE */
};

/* One block of RAM as the guest sees it. */
struct gm_region {
	gpa_t gpa;
	uint64_t len;
	uint8_t *host;
};

/* Maps size bytes of zeroed guest RAM, one block from 0; 0 or -errno. */
int gm_init(struct guest_mem *gm, uint64_t size);
/* The same, with the PC hole when size is over GM_HOLE_START; 0 or -errno. */
int gm_init_pc(struct guest_mem *gm, uint64_t size);
void gm_destroy(struct guest_mem *gm);

/* The blocks of RAM in address order (1 or 2); returns how many. */
unsigned gm_regions(const struct guest_mem *gm, struct gm_region out[2]);

/* One past the highest guest-physical RAM address. */
gpa_t gm_top(const struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa + len), or NULL when any byte lies outside RAM
 * (in the hole too) or the range wraps around.  len 0 is valid for gpa <= the
 * end of the block it is in.
 */
void *gm_range(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Copy between guest RAM and host memory; 0 or -EFAULT (nothing copied). */
int gm_read(const struct guest_mem *gm, void *dst, gpa_t src, uint64_t len);
int gm_write(const struct guest_mem *gm, gpa_t dst, const void *src, uint64_t len);

#endif
