/* Disk specs from the command line, and opening an image on its backend. */
#include "backend/disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_blk.h"
#include "core/util.h"

int disk_parse_spec(const char *opt, const char *s, struct disk_spec *spec, char *err,
		   size_t errlen)
{
	size_t n = strlen(s);
	uint64_t size;

	memset(spec, 0, sizeof(*spec));
	if (n >= 3 && !strcmp(s + n - 3, ",ro")) {
		spec->ro = true;
		n -= 3;
	}
	if (n == 0)
		return err_msg(-EINVAL, err, errlen, "%s: no image path given", opt);
	if (n >= sizeof(spec->path))
		return err_msg(-EINVAL, err, errlen, "%s: path longer than %zu bytes", opt,
			    sizeof(spec->path) - 1);
	memcpy(spec->path, s, n);
	spec->path[n] = '\0';
	if (!strncmp(spec->path, "null:", 5)) {
		if (parse_size(spec->path + 5, &size) || size == 0)
			return err_msg(-EINVAL, err, errlen, "%s: '%s' is not a size (try null:1G)",
				    opt, spec->path + 5);
		if (size % 512)
			return err_msg(-EINVAL, err, errlen, "%s: null size %s is not a multiple of 512",
				    opt, spec->path + 5);
		spec->null_size = size;
	}
	return 0;
}

int disk_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->ro = spec->ro;
	if (spec->null_size) {
		if (spec->null_size % HV_BLK_SECTOR)
			return err_msg(-EINVAL, err, errlen,
				    "null:%llu: size is not a multiple of %u bytes",
				    (unsigned long long)spec->null_size, HV_BLK_SECTOR);
		d->ops = &disk_null_ops;
		d->size = spec->null_size;
		snprintf(d->name, sizeof(d->name), "null");
	} else {
		rc = disk_file_open(d, spec->path, err, errlen);
		if (rc) {
			disk_close(d);
			return rc;
		}
	}
	d->sectors = d->size / HV_BLK_SECTOR;
	return 0;
}

int disk_check_arg(const char *opt, const char *arg, char *err, size_t errlen)
{
	struct disk_spec spec;

	return disk_parse_spec(opt, arg, &spec, err, errlen);
}

int disk_open_arg(struct disk *d, const char *opt, const char *arg, char *err, size_t errlen)
{
	struct disk_spec spec;
	int rc = disk_parse_spec(opt, arg, &spec, err, errlen);

	return rc ? rc : disk_open(d, &spec, err, errlen);
}

void disk_desc(const struct disk *d, uint16_t type, unsigned index, struct hv_dev_desc *out)
{
	*out = (struct hv_dev_desc){
		.type = type, .index = (uint16_t)index, .flags = d->ro ? HV_DEV_F_RO : 0,
		.capacity = d->sectors, .sector_size = HV_BLK_SECTOR,
	};
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

const char *disk_mode(const struct disk *d)
{
	if (d->ops != &disk_file_ops)
		return d->ops->name;
	return d->direct ? "O_DIRECT" : "buffered";
}
