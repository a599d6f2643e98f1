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
	return 0;
}

void gm_destroy(struct guest_mem *gm)
{
	if (gm->host)
		munmap(gm->host, gm->size);
	gm->host = NULL;
	gm->size = 0;
}

void *gm_range(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	/* Written so that no sum can overflow: gpa <= size, then len <= size - gpa. */
	if (gpa > gm->size || len > gm->size - gpa)
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
