/*
 * The file backend: a raw image file or block device, opened and validated
 * here, read and written through the I/O engine's io_uring straight from
 * guest memory; flush is fdatasync, a FUA write a write with RWF_DSYNC.
 */
#include "backend/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hv_blk.h"
#include "core/util.h"

/* The backend's own state: the open image. */
struct file_disk {
	int fd;
};

static int fd_of(const struct disk *d)
{
	return ((const struct file_disk *)d->priv)->fd;
}

static void set_name(struct disk *d, const char *path)
{
	const char *slash = strrchr(path, '/');

	const char *base = slash && slash[1] ? slash + 1 : path;
	size_t n = strnlen(base, sizeof(d->name) - 1);

	memcpy(d->name, base, n); /* a long name is cut: it is only for messages */
	d->name[n] = '\0';
}

/*
 * O_DIRECT is refused at open by some file systems (EINVAL) and, where the
 * device's logical block is larger than 512 bytes, by the first 512-byte
 * read; guest segments are only 512-aligned, so both mean "buffered".
 */
static bool direct_works(int fd)
{
	void *buf;
	bool ok;

	if (posix_memalign(&buf, 4096, 4096))
		return false;
	ok = pread(fd, buf, HV_BLK_SECTOR, 0) == (ssize_t)HV_BLK_SECTOR;
	free(buf);
	return ok;
}

/* What a path that is no disk image is, for the message. */
static const char *kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISCHR(m) ? "a character device" : S_ISSOCK(m) ? "a socket" : "a special file";
}

static int not_an_image(char *err, size_t errlen, const char *path, mode_t m)
{
	return err_msg(-EINVAL, err, errlen, "%s: %s, not a regular file or block device", path,
		    kind(m));
}

static int file_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen)
{
	/* O_NONBLOCK until the type is known: opening a FIFO read-only would wait for a writer. */
	int flags = (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
	const char *path = spec->path;
	struct file_disk *f;
	struct stat st;
	int fd, rc;

	set_name(d, path);
	f = malloc(sizeof(*f));
	if (!f)
		return err_msg(-ENOMEM, err, errlen, "%s: out of memory", path);
	f->fd = -1;
	d->priv = f;

	fd = open(path, flags | O_DIRECT);
	if (fd >= 0 && direct_works(fd)) {
		d->direct = true;
	} else {
		if (fd >= 0)
			close(fd);
		fd = open(path, flags);
	}
	if (fd < 0) {
		rc = -errno;
		/* A directory (EISDIR) or socket (ENXIO) cannot be opened at all. */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			return not_an_image(err, errlen, path, st.st_mode);
		if (!d->ro && (rc == -EACCES || rc == -EROFS) && access(path, R_OK) == 0)
			return err_msg(rc, err, errlen,
				    "%s: not writable (%s); add ',ro' to attach it read-only",
				    path, strerror(-rc));
		return err_msg(rc, err, errlen, "%s: cannot open: %s", path, strerror(-rc));
	}
	f->fd = fd;
	if (fstat(fd, &st) < 0)
		return err_msg(-errno, err, errlen, "%s: cannot stat: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &d->size) < 0)
			return err_msg(-errno, err, errlen, "%s: cannot read the device size: %s",
				    path, strerror(errno));
	} else {
		return not_an_image(err, errlen, path, st.st_mode);
	}
	/* A file or block device: io_uring must be allowed to wait on it. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return err_msg(-errno, err, errlen, "%s: cannot set up: %s", path, strerror(errno));
	if (d->size == 0)
		return err_msg(-EINVAL, err, errlen, "%s: empty image", path);
	if (d->size % HV_BLK_SECTOR)
		return err_msg(-EINVAL, err, errlen,
			    "%s: size %llu is not a multiple of %u bytes", path,
			    (unsigned long long)d->size, HV_BLK_SECTOR);
	/*
	 * Two writers on one image corrupt it: refuse.  A whole-file OFD lock
	 * (per open, so also between two --disk of one hv) conflicts with
	 * other hv processes and with QEMU's byte-range image locks.
	 */
	struct flock lk = { .l_type = d->ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_OFD_SETLK, &lk) < 0)
		return err_msg(-errno, err, errlen, "%s: in use by another process or disk (%s)",
			    path, strerror(errno));
	return 0;
}

static void file_close(struct disk *d)
{
	struct file_disk *f = d->priv;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static int file_rw(struct ioeng *e, const struct disk *d, enum disk_io io,
		   const struct iovec *iov, unsigned n, uint64_t off, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	if (io == DISK_READ) {
		io_uring_prep_readv(sqe, fd_of(d), iov, n, off);
	} else {
		io_uring_prep_writev(sqe, fd_of(d), iov, n, off);
		/*
		 * The write and its own flush as one: the kernel completes it
		 * only once durable (a FUA write, or a cache flush after it,
		 * on O_DIRECT; written back and synced, buffered).
		 */
		if (io == DISK_WRITE_FUA)
			sqe->rw_flags = RWF_DSYNC;
	}
	ioeng_queue(e, sqe, op);
	return 0;
}

static int file_flush(struct ioeng *e, const struct disk *d, struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, fd_of(d), IORING_FSYNC_DATASYNC);
	ioeng_queue(e, sqe, op);
	return 0;
}

const struct disk_ops disk_file_ops = {
	.name = "file", .open = file_open, .rw = file_rw, .flush = file_flush, .close = file_close,
};
