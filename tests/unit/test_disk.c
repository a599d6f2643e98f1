/*
 * Disk images at open: what hv accepts, and the one-line reason it gives
 * for everything else (status 2 in main).  Nothing here may block: a FIFO
 * or device is refused as quickly as a missing file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "trap/trapblk_dev.h"
#include "core/cli.h"
#include "core/util.h"
#include "backend/disk.h"
#include "suites.h"
#include "ut.h"

struct open_job {
	struct disk_spec spec;
	struct disk d;
	char err[512];
	int rc;
};

static void open_job(void *arg)
{
	struct open_job *j = arg;

	j->rc = disk_open(&j->d, &j->spec, j->err, sizeof(j->err));
}

/* A FIFO reader that waits lets go once there is a writer. */
static void open_unstick(void *arg)
{
	struct open_job *j = arg;
	int fd = open(j->spec.path, O_WRONLY | O_NONBLOCK);

	if (fd >= 0)
		close(fd);
}

/* disk_open(spec), which must return within 5 s; the reason goes to err. */
static int open_spec(const char *spec, char *err, size_t errlen)
{
	static struct open_job j;

	memset(&j, 0, sizeof(j));
	CU_ASSERT_EQUAL_FATAL(disk_parse_spec("--disk", spec, &j.spec, err, errlen), 0);
	if (!ut_returns_within(open_job, open_unstick, &j, 5))
		CU_FAIL("disk_open did not return within 5 s");
	if (j.rc == 0)
		disk_close(&j.d);
	snprintf(err, errlen, "%s", j.err);
	return j.rc;
}

/* Refused with -EINVAL and a reason that names what the path is. */
static void refused_as(const char *spec, const char *what)
{
	char err[512] = "";

	CU_ASSERT_EQUAL(open_spec(spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file or block device"));
	if (!strstr(err, what))
		fprintf(stderr, "\n  %s: '%s'\n", spec, err);
}

static void test_spec_grammar(void)
{
	struct disk_spec spec;
	char err[512];

	CU_ASSERT_NOT_EQUAL(disk_parse_spec("--disk", "", &spec, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(disk_parse_spec("--disk", ",ro", &spec, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(disk_parse_spec("--disk", "null:12x", &spec, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(disk_parse_spec("--disk", "null:1000", &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(disk_parse_spec("--disk", "null:1M,ro", &spec, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(spec.ro);
	CU_ASSERT_EQUAL(spec.null_size, 1u << 20);
	CU_ASSERT_PTR_EQUAL(spec.ops, &disk_null_ops);
	CU_ASSERT_EQUAL(disk_parse_spec("--disk", "/a,b/c.img", &spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(spec.path, "/a,b/c.img");
	CU_ASSERT_PTR_EQUAL(spec.ops, &disk_file_ops); /* no prefix: a file */
	CU_ASSERT_FALSE(spec.ro);
}

/* Rate limits on --disk: bps=, iops=, their bursts, K/M/G; bad values refused with one line. */
static void test_spec_limits(void)
{
	static const char *const bad[] = {
		"a.img,bps=", "a.img,bps=x", "a.img,iops=5Q", "a.img,bps=2000G",
		"a.img,bps-burst=1M", "a.img,iops-burst=8", "a.img,iops=1,iops-burst=5G",
	};
	struct disk_spec spec;
	char err[512];
	unsigned i;

	CU_ASSERT_EQUAL(disk_parse_spec("--disk", "a.img,bps=50M,iops=2000,bps-burst=8M,ro",
					&spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(spec.path, "a.img");
	CU_ASSERT_TRUE(spec.ro);
	CU_ASSERT_EQUAL(spec.rate.bytes_per_s, 50ull << 20);
	CU_ASSERT_EQUAL(spec.rate.ops_per_s, 2000);
	CU_ASSERT_EQUAL(spec.rate.bytes_burst, 8ull << 20);
	CU_ASSERT_EQUAL(spec.rate.ops_burst, 0);
	CU_ASSERT_EQUAL(disk_parse_spec("--disk", "null:1M,ro,iops=10,iops-burst=2", &spec, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec.null_size, 1u << 20);
	CU_ASSERT_EQUAL(spec.rate.ops_per_s, 10);
	CU_ASSERT_EQUAL(spec.rate.ops_burst, 2);
	/* Not an option: part of the path. */
	CU_ASSERT_EQUAL(disk_parse_spec("--disk", "/d/x,bpsy=1", &spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(spec.path, "/d/x,bpsy=1");
	CU_ASSERT_FALSE(rate_set_on(&spec.rate));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(disk_parse_spec("--disk", bad[i], &spec, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "--disk: "));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
}

/* A trap disk has no PV queue to limit: its rate options are refused, not ignored. */
static void test_trap_disk_no_rate(void)
{
	char err[256] = "";

	CU_ASSERT_EQUAL(trapblk_dev_kind.check("--trap-disk", "a.img,bps=1M", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--trap-disk: rate limits (bps=, iops=) apply to PV disks (--disk) only");
	CU_ASSERT_EQUAL(trapblk_dev_kind.check("--trap-disk", "null:1M,iops=5", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(trapblk_dev_kind.check("--trap-disk", "a.img,ro", err, sizeof(err)), 0);
}

static void test_open_errors(void)
{
	struct disk_spec spec;
	struct disk d;
	char err[512], path[UT_PATH_MAX];
	int fd;

	CU_ASSERT_EQUAL(open_spec("/nonexistent/x.img", err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.img: cannot open: No such file"));

	ut_image_make(path, "", 0);
	fd = open(path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	disk_parse_spec("--disk", path, &spec, err, sizeof(err));
	CU_ASSERT_EQUAL(disk_open(&d, &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
	CU_ASSERT_EQUAL(ftruncate(fd, 1000), 0);
	CU_ASSERT_EQUAL(disk_open(&d, &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "size 1000 is not a multiple of 512"));
	CU_ASSERT_EQUAL(ftruncate(fd, 4096), 0);
	CU_ASSERT_EQUAL_FATAL(disk_open(&d, &spec, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(d.priv); /* the file backend's own state */
	CU_ASSERT_EQUAL(d.sectors, 8);
	CU_ASSERT_FALSE(d.ro);
	{
		struct disk d2; /* a second writer on the same image is refused */
		CU_ASSERT_EQUAL(disk_open(&d2, &spec, err, sizeof(err)), -EAGAIN);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
	}
	disk_close(&d);
	close(fd);
	unlink(path);
}

/* Root may write anything: its access checks are made as nobody (the fs uid is per thread). */
static void fs_as_nobody(int on)
{
	if (geteuid() == 0)
		setfsuid(on ? 65534 : 0);
}

/* A read-only image without ',ro': refused with the hint to add it; with it, accepted. */
static void test_read_only_hint(void)
{
	char err[512], spec[UT_PATH_MAX + 4], path[UT_PATH_MAX];
	static const uint8_t sector[512];

	ut_image_make(path, sector, sizeof(sector));
	CU_ASSERT_EQUAL(chmod(path, 0444), 0);
	snprintf(spec, sizeof(spec), "%s,ro", path);
	fs_as_nobody(1);
	CU_ASSERT_EQUAL(open(path, O_RDWR), -1); /* the premise: not writable for us */
	CU_ASSERT_EQUAL(open_spec(path, err, sizeof(err)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not writable (Permission denied); add ',ro'"));
	CU_ASSERT_EQUAL(open_spec(spec, err, sizeof(err)), 0);
	fs_as_nobody(0);
	unlink(path);
}

/* A FIFO, devices, a directory, a socket: a clear refusal, at once. */
static void test_not_a_file(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char fifo[UT_PATH_MAX], fifo_ro[UT_PATH_MAX + 4], sock[UT_PATH_MAX];
	int s;

	snprintf(fifo, sizeof(fifo), "/tmp/hv-ut-fifo-%d", getpid());
	snprintf(fifo_ro, sizeof(fifo_ro), "%s,ro", fifo);
	unlink(fifo);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	refused_as(fifo, "a FIFO");
	refused_as(fifo_ro, "a FIFO"); /* a read-only open of a FIFO waits for a writer */
	unlink(fifo);
	refused_as("/dev/null", "a character device");
	refused_as("/dev/zero,ro", "a character device");
	refused_as("/tmp", "a directory");
	refused_as("/tmp,ro", "a directory");

	snprintf(sock, sizeof(sock), "/tmp/hv-ut-sock-%d", getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	refused_as(sock, "a socket");
	close(s);
	unlink(sock);
}

static void note_res(struct ioeng_op *op, int res)
{
	op->res = res;
	op->is_wait = 2; /* done: the test's own mark */
}

/* The SQE disk_rw just prepared (not yet submitted). */
static const struct io_uring_sqe *last_sqe(const struct ioeng *e)
{
	return &e->ring.sq.sqes[(e->ring.sq.sqe_tail - 1) & e->ring.sq.ring_mask];
}

/*
 * A FUA write on the file backend is one io_uring writev with RWF_DSYNC,
 * which the kernel completes only once the data is durable (a plain write
 * has none); on a real file through the real ring, its bytes land.  The
 * null backend completes it as a write.
 */
static void test_write_fua(void)
{
	static const uint8_t zero[64 << 10];
	static const enum disk_io ios[] = { DISK_WRITE, DISK_WRITE_FUA };
	char err[512], path[UT_PATH_MAX];
	struct disk_spec spec;
	struct ioeng_op op;
	struct iovec iov;
	struct ioeng e;
	struct disk d;
	uint8_t *buf = NULL, back[8192];
	unsigned i;
	int fd;

	ut_image_make(path, zero, sizeof(zero));
	CU_ASSERT_EQUAL_FATAL(disk_parse_spec("--disk", path, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(disk_open(&d, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(ioeng_init(&e, 8), 0);
	CU_ASSERT_EQUAL_FATAL(posix_memalign((void **)&buf, 4096, 8192), 0);
	for (i = 0; i < ARRAY_SIZE(ios); i++) {
		memset(buf, 0x5a + (int)i, 8192);
		iov = (struct iovec){ buf, 8192 };
		op = (struct ioeng_op){ .cb = note_res };
		CU_ASSERT_EQUAL(disk_rw(&e, &d, ios[i], &iov, 1, 16384 * (i + 1), &op), 0);
		CU_ASSERT_EQUAL(last_sqe(&e)->opcode, IORING_OP_WRITEV);
		CU_ASSERT_EQUAL(last_sqe(&e)->rw_flags, ios[i] == DISK_WRITE_FUA ? RWF_DSYNC : 0);
		while (op.is_wait != 2 && ioeng_run(&e, 1) >= 0)
			;
		CU_ASSERT_EQUAL(op.res, 8192);
	}
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < ARRAY_SIZE(ios); i++) {
		memset(buf, 0x5a + (int)i, 8192);
		CU_ASSERT_EQUAL(pread(fd, back, sizeof(back), 16384 * (i + 1)), (ssize_t)sizeof(back));
		CU_ASSERT_EQUAL(memcmp(back, buf, sizeof(back)), 0);
	}
	close(fd);
	disk_close(&d);
	unlink(path);

	CU_ASSERT_EQUAL_FATAL(disk_open_arg(&d, "--disk", "null:1M", err, sizeof(err)), 0);
	op = (struct ioeng_op){ .cb = note_res };
	CU_ASSERT_EQUAL(disk_rw(&e, &d, DISK_WRITE_FUA, &iov, 1, 0, &op), 0);
	while (op.is_wait != 2 && ioeng_run(&e, 1) >= 0)
		;
	CU_ASSERT_EQUAL(op.res, 8192);
	disk_close(&d);
	ioeng_exit(&e);
	free(buf);
}

int suite_disk(void)
{
	static const CU_TestInfo tests[] = {
		{ "--disk grammar", test_spec_grammar },
		{ "--disk rate limits", test_spec_limits },
		{ "--trap-disk refuses rate limits", test_trap_disk_no_rate },
		{ "images: missing, empty, odd size, in use", test_open_errors },
		{ "read-only image: the ',ro' hint", test_read_only_hint },
		{ "FIFO, devices, directory, socket: refused, never a hang", test_not_a_file },
		{ "FUA write: RWF_DSYNC through io_uring on a file; null: a write", test_write_fua },
		CU_TEST_INFO_NULL,
	};
	return add_suite("disk", tests);
}
