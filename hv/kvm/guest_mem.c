/* Guest RAM mapping and the checked guest-physical range helper. */
#include "kvm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int gm_init(struct guest_mem *gm, uint64_t size)
{
	/* NORESERVE: a 64 GiB guest costs only the pages it touches. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	gm->host = p;
	gm->size = size;
	gm->low = size;
	return 0;
}

int gm_init_pc(struct guest_mem *gm, uint64_t size)
{
	int rc = gm_init(gm, size);

	if (!rc && size > GM_HOLE_START)
		gm->low = GM_HOLE_START;
	return rc;
}

unsigned gm_regions(const struct guest_mem *gm, struct gm_region out[2])
{
	out[0] = (struct gm_region){ 0, gm->low, gm->host };
	if (gm->low == gm->size)
		return 1;
	out[1] = (struct gm_region){ GM_HIGH_BASE, gm->size - gm->low, gm->host + gm->low };
	return 2;
}

gpa_t gm_top(const struct guest_mem *gm)
{
	return gm->low == gm->size ? gm->size : GM_HIGH_BASE + (gm->size - gm->low);
}

void gm_destroy(struct guest_mem *gm)
{
	if (gm->host)
		munmap(gm->host, gm->size);
	gm->host = NULL;
	gm->size = gm->low = 0;
}

void *gm_range(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	uint64_t base = 0, size = gm->low;

	if (gpa >= GM_HIGH_BASE && gm->low != gm->size) { /* the block above the hole */
		base = GM_HIGH_BASE - gm->low;
		size = gm->size;
	}
	gpa -= base; /* now an offset into the host mapping; the low block's end is size */
	/* Written so that no sum can overflow: gpa <= size, then len <= size - gpa. */
	if (gpa > size || len > size - gpa)
		return NULL;
	return gm->host + gpa;
}

int gm_read(const struct guest_mem *gm, void *dst, gpa_t src, uint64_t len)
{
	const void *p = gm_range(gm, src, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, gpa_t dst, const void *src, uint64_t len)
{
	void *p = gm_range(gm, dst, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
