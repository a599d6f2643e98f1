/*
 * Guest RAM: one host mapping, and the single checked helper through which hv
 * turns guest-physical ranges into host pointers.  Nothing in hv dereferences
 * guest memory without gm_range().
 */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* A guest-physical address: an integer, so host code cannot dereference it. */
typedef uint64_t gpa_t;

struct guest_mem {
	uint8_t *host; /* mapping of [0, size) */
	uint64_t size;
};

/* Maps size bytes of zeroed guest RAM; 0 or -errno. */
int gm_init(struct guest_mem *gm, uint64_t size);
void gm_destroy(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa + len), or NULL when any byte lies outside RAM or
 * the range wraps around.  len 0 is valid for gpa <= size.
 */
void *gm_range(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Copy between guest RAM and host memory; 0 or -EFAULT (nothing copied). */
int gm_read(const struct guest_mem *gm, void *dst, gpa_t src, uint64_t len);
int gm_write(const struct guest_mem *gm, gpa_t dst, const void *src, uint64_t len);

#endif
