/* Disk specs from the command line, and opening an image on its backend. */
#include "backend/disk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv_blk.h"
#include "core/util.h"

/* Every backend, by the prefix that selects it; the file backend, with none, last. */
static const struct disk_ops *const backends[] = { &disk_null_ops, &disk_file_ops };

static const struct disk_ops *backend_of(const char *path)
{
	size_t i;

	for (i = 0; i + 1 < ARRAY_SIZE(backends); i++)
		if (!strncmp(path, backends[i]->prefix, strlen(backends[i]->prefix)))
			return backends[i];
	return backends[ARRAY_SIZE(backends) - 1];
}

int disk_parse_spec(const char *opt, const char *s, struct disk_spec *spec, char *err,
		   size_t errlen)
{
	size_t n = strlen(s);
	const char *comma;
	int rc;

	memset(spec, 0, sizeof(*spec));
	/* Options from the end: whatever is not one belongs to the path (which may hold commas). */
	while ((comma = memrchr(s, ',', n))) {
		size_t len = n - (size_t)(comma + 1 - s);

		if (len == 2 && !strncmp(comma + 1, "ro", 2))
			spec->ro = true;
		else if ((rc = rate_set_parse(opt, "", "iops", comma + 1, len, &spec->rate, err,
					      errlen)) < 0)
			return rc;
		else if (rc)
			break;
		n = (size_t)(comma - s);
	}
	rc = rate_set_check_opt(opt, "", "iops", &spec->rate, err, errlen);
	if (rc)
		return rc;
	if (n == 0)
		return err_msg(-EINVAL, err, errlen, "%s: no image path given", opt);
	if (n >= sizeof(spec->path))
		return err_msg(-EINVAL, err, errlen, "%s: path longer than %zu bytes", opt,
			    sizeof(spec->path) - 1);
	memcpy(spec->path, s, n);
	spec->path[n] = '\0';
	spec->ops = backend_of(spec->path);
	return spec->ops->parse ? spec->ops->parse(opt, spec, err, errlen) : 0;
}

int disk_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->ro = spec->ro;
	d->ops = spec->ops ? spec->ops : backend_of(spec->path);
	rc = d->ops->open(d, spec, err, errlen);
	if (rc) {
		disk_close(d);
		return rc;
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
	if (d->ops && d->ops->close)
		d->ops->close(d);
	d->priv = NULL;
}

const char *disk_mode(const struct disk *d)
{
	if (d->ops != &disk_file_ops)
		return d->ops->name;
	return d->direct ? "O_DIRECT" : "buffered";
}
