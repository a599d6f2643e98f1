/*
 * Disk images behind hv's block devices.  A device model sees one interface,
 * struct disk_ops (read/write with iovecs, flush, close), with two backends,
 * chosen from one table by the prefix of --disk's argument: a raw file or
 * block device through io_uring (disk_file.c: O_DIRECT when the file system
 * allows it, buffered otherwise; any path without a prefix) and null
 * (disk_null.c, "null:SIZE": every request completes at once, reads return
 * zeros, no file).  A write may ask to be durable when it completes
 * (DISK_WRITE_FUA: RWF_DSYNC on the file; null has nothing to make durable).
 * Each backend keeps its own state behind disk.priv, as
 * kvmtool's struct disk_image_operations.  Opening validates everything a
 * guest request will later be checked against.
 */
#ifndef HV_DISK_H
#define HV_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hv_abi.h"
#include "io/ioeng.h"
#include "io/qlimit.h"

#define DISK_PATH_MAX 4096

struct disk;
struct disk_spec;

/* What disk_rw does. */
enum disk_io {
	DISK_READ = 0,
	DISK_WRITE = 1,
	DISK_WRITE_FUA = 2, /* a write durable when it completes (RWF_DSYNC); not earlier ones */
};

struct disk_ops {
	const char *name;   /* for --verbose and --stats: "file", "null" */
	const char *prefix; /* what selects it in the argument, "null:"; NULL: any other path */
	/* Optional: checks the spec's path (prefix included) without side effects; 0 or -EINVAL. */
	int (*parse)(const char *opt, struct disk_spec *spec, char *err, size_t errlen);
	/* Sets up d (ro already set) from spec: size, name, its private state; 0 or -errno. */
	int (*open)(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen);
	/* Starts a read or write (io) of iov[0..n) at byte offset off; 0 or -EBUSY (ring full). */
	int (*rw)(struct ioeng *e, const struct disk *d, enum disk_io io, const struct iovec *iov,
		  unsigned n, uint64_t off, struct ioeng_op *op);
	/* Makes completed writes durable; 0 or -EBUSY. */
	int (*flush)(struct ioeng *e, const struct disk *d, struct ioeng_op *op);
	/* Frees the private state, also of a failed open; disk_close calls it once. */
	void (*close)(struct disk *d);
};

/*
 * What the command line asked for: `PATH[,OPTION...]` or `null:SIZE[,OPTION...]`,
 * OPTION one of ro, bps=, iops=, bps-burst=, iops-burst= (a rate limit).
 */
struct disk_spec {
	char path[DISK_PATH_MAX];
	bool ro;
	struct rate_set rate; /* the device's rate limit (all 0: none) */
	const struct disk_ops *ops; /* the backend its prefix selects */
	uint64_t null_size; /* the null backend's size in bytes */
};

struct disk {
	const struct disk_ops *ops;
	void *priv;         /* the backend's own state (disk_file.c: its file) */
	uint64_t size;      /* bytes, a multiple of 512 */
	uint64_t sectors;
	bool ro;
	bool direct;        /* opened with O_DIRECT */
	char name[64];      /* for messages: the path's last component, or "null" */
};

/*
 * "PATH[,ro]" or "null:SIZE[,ro]" -> spec, without touching any file; 0 or
 * -EINVAL with a reason in err that names the option opt ("--disk").
 */
int disk_parse_spec(const char *opt, const char *s, struct disk_spec *spec, char *err,
		    size_t errlen);

/* disk_parse_spec without keeping the spec: a device_kind's check. */
int disk_check_arg(const char *opt, const char *arg, char *err, size_t errlen);

/* disk_parse_spec, then disk_open: a block device kind's add. */
int disk_open_arg(struct disk *d, const char *opt, const char *arg, char *err, size_t errlen);

/*
 * Opens and validates: for a file, a regular file or block device, size a
 * non-zero multiple of 512, readable (and writable unless ro), locked against
 * other writers.  0 or -errno with a one-line reason in err.
 */
int disk_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen);
void disk_close(struct disk *d);

/* The two backends (disk_file.c, disk_null.c). */
extern const struct disk_ops disk_file_ops, disk_null_ops;

static inline int disk_rw(struct ioeng *e, const struct disk *d, enum disk_io io,
			  const struct iovec *iov, unsigned n, uint64_t off, struct ioeng_op *op)
{
	return d->ops->rw(e, d, io, iov, n, off, op);
}

static inline int disk_flush(struct ioeng *e, const struct disk *d, struct ioeng_op *op)
{
	return d->ops->flush(e, d, op);
}

/* True when [sector, sector + bytes/512) lies inside the image (no overflow). */
static inline bool disk_range_ok(const struct disk *d, uint64_t sector, uint64_t bytes)
{
	return sector <= d->sectors && bytes / 512 <= d->sectors - sector;
}

/*
 * The guest's device-table entry for a block device on d: type, index and
 * what the disk decides (capacity, sector size, read-only); the device model
 * adds where its registers are.
 */
void disk_desc(const struct disk *d, uint16_t type, unsigned index, struct hv_dev_desc *out);

/* "O_DIRECT", "buffered" or "null", for --verbose. */
const char *disk_mode(const struct disk *d);

#endif
