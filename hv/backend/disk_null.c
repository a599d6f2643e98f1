/*
 * The null backend: no file; reads return zeros, writes vanish, flush has
 * nothing to do.  Every request completes inside the I/O engine at once, so
 * a null disk measures the device interface alone.
 */
#include "backend/disk.h"

#include <string.h>

static int null_rw(struct ioeng *e, const struct disk *d, bool write, const struct iovec *iov,
		   unsigned n, uint64_t off, struct ioeng_op *op)
{
	uint64_t bytes = 0;
	unsigned i;

	(void)d, (void)off;
	for (i = 0; i < n; i++) {
		if (!write)
			memset(iov[i].iov_base, 0, iov[i].iov_len);
		bytes += iov[i].iov_len;
	}
	ioeng_complete(e, op, (int)bytes);
	return 0;
}

static int null_flush(struct ioeng *e, const struct disk *d, struct ioeng_op *op)
{
	(void)d;
	ioeng_complete(e, op, 0);
	return 0;
}

const struct disk_ops disk_null_ops = { "null", null_rw, null_flush };
