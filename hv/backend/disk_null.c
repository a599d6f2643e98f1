/*
 * The null backend: no file; reads return zeros, writes vanish, flush has
 * nothing to do.  Every request completes inside the I/O engine at once, so
 * a null disk measures the device interface alone.
 */
#include "backend/disk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv_blk.h"
#include "core/util.h"

#define PREFIX "null:"

/* "null:SIZE": a size, a multiple of the sector. */
static int null_parse(const char *opt, struct disk_spec *spec, char *err, size_t errlen)
{
	const char *arg = spec->path + strlen(PREFIX);
	uint64_t size;

	if (parse_size(arg, &size) || size == 0)
		return err_msg(-EINVAL, err, errlen, "%s: '%s' is not a size (try null:1G)", opt,
			       arg);
	if (size % HV_BLK_SECTOR)
		return err_msg(-EINVAL, err, errlen, "%s: null size %s is not a multiple of %u",
			       opt, arg, HV_BLK_SECTOR);
	spec->null_size = size;
	return 0;
}

/* No state of its own: the size is all there is. */
static int null_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen)
{
	if (!spec->null_size || spec->null_size % HV_BLK_SECTOR)
		return err_msg(-EINVAL, err, errlen, "null:%llu: size is not a multiple of %u bytes",
			       (unsigned long long)spec->null_size, HV_BLK_SECTOR);
	d->size = spec->null_size;
	snprintf(d->name, sizeof(d->name), "null");
	return 0;
}

/* A FUA write is a write: nothing here is ever more or less durable. */
static int null_rw(struct ioeng *e, const struct disk *d, enum disk_io io,
		   const struct iovec *iov, unsigned n, uint64_t off, struct ioeng_op *op)
{
	uint64_t bytes = 0;
	unsigned i;

	(void)d, (void)off;
	for (i = 0; i < n; i++) {
		if (io == DISK_READ)
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

const struct disk_ops disk_null_ops = {
	.name = "null", .prefix = PREFIX, .parse = null_parse, .open = null_open,
	.rw = null_rw, .flush = null_flush,
};
