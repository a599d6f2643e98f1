/*
 * Host-native block benchmark: the baseline for the guest's `blkbench`. Same
 * workload names, same figures, issued through io_uring straight to the image
 * file, so pv/native ratios in scripts/bench-blk.sh compare like with like.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blkworkloads.h"

#define MAX_QD 32
#define MIN_IMAGE (1u << 20)

/* The workloads are the guest's (blkworkloads.h); only the file ones run here. */
#define N_WORKLOADS BLK_WORKLOADS_DEFAULT

struct image {
	const char *path;
	int fd;
	uint64_t size;
	bool direct;
};

struct result {
	uint64_t ios;
	double secs, lat_mean_us, lat_p99_us;
	double cpu_us; /* this process's user + system time over the workload */
};

static double cpu_us_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("native-blkbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static const struct blk_workload *find_workload(const char *name)
{
	const struct blk_workload *w = blk_workload_find(name);

	return w && w->file ? w : NULL; /* null-* workloads need a null device */
}

/*
 * EINVAL at open, or a failing 512-byte read, means the FS cannot do O_DIRECT.
 * Any failure here means "try buffered": that open reports real errors.
 */
static int open_direct(const char *path, int flags)
{
	void *buf;
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0)
		return -1;
	if (posix_memalign(&buf, 4096, 4096))
		die(1, "out of memory");
	if (pread(fd, buf, 512, 0) != 512) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

static void image_open(struct image *img, bool buffered, bool writes)
{
	int flags = (writes ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	struct stat st;
	int fd = buffered ? -1 : open_direct(img->path, flags);

	img->direct = fd >= 0;
	if (fd < 0 && (fd = open(img->path, flags)) < 0)
		die(2, "%s: cannot open: %s", img->path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die(1, "%s: cannot stat: %s", img->path, strerror(errno));
	if (S_ISREG(st.st_mode))
		img->size = (uint64_t)st.st_size;
	else if (!S_ISBLK(st.st_mode))
		die(2, "%s: not a regular file or block device", img->path);
	else if (ioctl(fd, BLKGETSIZE64, &img->size) < 0)
		die(1, "%s: cannot read the device size: %s", img->path, strerror(errno));
	if (img->size < MIN_IMAGE)
		die(2, "%s: %llu bytes: the image needs at least 1 MiB", img->path,
		    (unsigned long long)img->size);
	img->fd = fd;
	/* Reads of a hole never reach the disk: the figures would be the kernel's. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_blocks * 512 < img->size)
		fprintf(stderr, "native-blkbench: warning: %s is sparse; fill it from "
			"/dev/urandom for figures that include the disk\n", img->path);
	fprintf(stderr, "native-blkbench: %s: %llu MiB, %s I/O\n", img->path,
		(unsigned long long)(img->size >> 20),
		img->direct ? "direct (O_DIRECT)" : "buffered (page cache)");
}

static uint64_t next_offset(const struct blk_workload *w, const struct image *img,
			    uint64_t *seed, uint64_t *seq)
{
	uint64_t off;

	if (w->random)
		return blk_workload_rand(seed) % (img->size / w->bs) * w->bs;
	if (*seq + w->bs > img->size)
		*seq = 0;
	off = *seq;
	*seq += w->bs;
	return off;
}

static void check_cqe(const struct blk_workload *w, const struct image *img,
		      const struct io_uring_cqe *cqe)
{
	if (cqe->res < 0)
		die(1, "%s: %s: %s failed: %s", img->path, w->name,
		    w->op == HV_BLK_OP_READ ? "read" : "write", strerror(-cqe->res));
	if ((unsigned)cqe->res != w->bs)
		die(1, "%s: %s: short %s: %d of %u bytes", img->path, w->name,
		    w->op == HV_BLK_OP_READ ? "read" : "write", cqe->res, w->bs);
}

/* One workload's state: QD slots, each with its buffer and submit time. */
struct run {
	struct io_uring *ring;
	const struct image *img;
	const struct blk_workload *w;
	void *bufs[MAX_QD];
	uint64_t t_sub[MAX_QD], seed, seq, lat_sum;
	unsigned ready[MAX_QD], pending, inflight;
	uint64_t *lats; /* every request's latency, ns */
	size_t n, cap;
};

static void push_latency(struct run *run, uint64_t ns)
{
	if (run->n == run->cap) {
		run->cap = run->cap ? run->cap * 2 : 65536;
		if (!(run->lats = realloc(run->lats, run->cap * sizeof(*run->lats))))
			die(1, "out of memory for %zu latencies", run->cap);
	}
	run->lats[run->n++] = ns;
	run->lat_sum += ns;
}

/* Issue every slot that completed since the last submit, in one io_uring_submit. */
static void submit_ready(struct run *run)
{
	const struct blk_workload *w = run->w;
	uint64_t t;
	int rc;

	for (unsigned i = 0; i < run->pending; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(run->ring);
		uint64_t off = next_offset(w, run->img, &run->seed, &run->seq);
		unsigned s = run->ready[i];

		if (w->op == HV_BLK_OP_READ)
			io_uring_prep_read(sqe, run->img->fd, run->bufs[s], w->bs, off);
		else
			io_uring_prep_write(sqe, run->img->fd, run->bufs[s], w->bs, off);
		io_uring_sqe_set_data64(sqe, s);
	}
	t = now_ns();
	for (unsigned i = 0; i < run->pending; i++)
		run->t_sub[run->ready[i]] = t;
	if ((rc = io_uring_submit(run->ring)) != (int)run->pending)
		die(1, "io_uring_submit: %s", rc < 0 ? strerror(-rc) : "short submit");
	run->inflight += run->pending;
	run->pending = 0;
}

/* Wait for one completion, take all that are ready; returns the time they were seen. */
static uint64_t reap(struct run *run, uint64_t deadline)
{
	struct io_uring_cqe *cqe;
	uint64_t t;
	int rc;

	if ((rc = io_uring_wait_cqe(run->ring, &cqe)) < 0)
		die(1, "io_uring_wait_cqe: %s", strerror(-rc));
	t = now_ns();
	do {
		unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);

		check_cqe(run->w, run->img, cqe);
		io_uring_cqe_seen(run->ring, cqe);
		run->inflight--;
		push_latency(run, t - run->t_sub[s]);
		if (t < deadline)
			run->ready[run->pending++] = s;
	} while (io_uring_peek_cqe(run->ring, &cqe) == 0);
	return t;
}

static void run_workload(struct io_uring *ring, const struct image *img,
			 const struct blk_workload *w, double secs, struct result *r)
{
	struct run run = { .ring = ring, .img = img, .w = w, .seed = BLK_WORKLOAD_SEED };
	uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(secs * 1e9), t_end = t0;
	double cpu0 = cpu_us_now();
	size_t n;

	for (unsigned i = 0; i < w->qd; i++) {
		if (posix_memalign(&run.bufs[i], 4096, w->bs))
			die(1, "out of memory for I/O buffers");
		memset(run.bufs[i], w->op == HV_BLK_OP_WRITE ? 0xa5 : 0, w->bs);
		run.ready[run.pending++] = i;
	}
	while (run.pending || run.inflight) { /* past the deadline, nothing is pending */
		if (run.pending)
			submit_ready(&run);
		t_end = reap(&run, deadline);
	}
	r->cpu_us = cpu_us_now() - cpu0;
	n = run.n;
	qsort(run.lats, n, sizeof(*run.lats), cmp_u64);
	r->ios = n;
	r->secs = (double)(t_end - t0) / 1e9;
	r->lat_mean_us = n ? (double)run.lat_sum / (double)n / 1e3 : 0;
	/* Nearest rank: the smallest latency at or above 99% of the samples. */
	r->lat_p99_us = n ? (double)run.lats[(n * 99 + 99) / 100 - 1] / 1e3 : 0;
	free(run.lats);
	for (unsigned i = 0; i < w->qd; i++)
		free(run.bufs[i]);
}

static void print_result(const struct blk_workload *w, const struct result *r, bool json,
			 bool direct, bool first)
{
	double iops = r->secs > 0 ? (double)r->ios / r->secs : 0;
	double mbps = iops * w->bs / 1e6;

	if (json)
		printf("%s\n  {\"path\": \"native\", \"workload\": \"%s\", \"ios\": %llu, "
		       "\"iops\": %.1f, \"mbps\": %.2f, \"lat_us_mean\": %.2f, "
		       "\"lat_us_p99\": %.2f, \"cpu_us_per_io\": %.3f, \"direct\": %s}",
		       first ? "[" : ",", w->name, (unsigned long long)r->ios, iops, mbps,
		       r->lat_mean_us, r->lat_p99_us, r->ios ? r->cpu_us / (double)r->ios : 0,
		       direct ? "true" : "false");
	else
		printf("%-18s %10llu %11.1f %9.2f %10.2f %10.2f\n", w->name,
		       (unsigned long long)r->ios, iops, mbps, r->lat_mean_us, r->lat_p99_us);
	fflush(stdout);
}

static noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: native-blkbench [--time SECONDS] [--json] [--buffered] IMAGE [WORKLOAD...]\n"
		"workloads (default: all, in this order):");
	for (size_t i = 0; i < N_WORKLOADS; i++)
		fprintf(status ? stderr : stdout, " %s", blk_workloads[i].name);
	fputc('\n', status ? stderr : stdout);
	exit(status);
}

static double parse_time(const char *s)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno || end == s || *end || !(t > 0) || t > 3600)
		die(2, "--time %s: expected seconds, a number in (0, 3600]", s);
	return t;
}

struct opts {
	double secs;
	bool json, buffered, writes;
	const char *image;
	const struct blk_workload *sel[N_WORKLOADS * 4];
	size_t nsel;
};

static noreturn void bad_arg(const char *arg, const char *what)
{
	fprintf(stderr, "native-blkbench: %s: %s\n", arg, what);
	usage(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--time") && i + 1 < argc)
			o->secs = parse_time(argv[++i]);
		else if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--buffered"))
			o->buffered = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			usage(0);
		else if (!strcmp(argv[i], "--") && ++i)
			break;
		else
			bad_arg(argv[i], "unknown option or missing value");
	}
	if (i >= argc)
		bad_arg("IMAGE", "missing");
	o->image = argv[i++];
	for (; i < argc; i++) {
		if (o->nsel == sizeof(o->sel) / sizeof(o->sel[0]))
			die(2, "too many workloads (at most %zu)", o->nsel);
		if (!(o->sel[o->nsel++] = find_workload(argv[i])))
			bad_arg(argv[i], "unknown workload");
	}
	for (size_t k = 0; !o->nsel && k < N_WORKLOADS; k++)
		o->sel[k] = &blk_workloads[k];
	o->nsel = o->nsel ? o->nsel : N_WORKLOADS;
	for (size_t k = 0; k < o->nsel; k++)
		o->writes |= o->sel[k]->op == HV_BLK_OP_WRITE;
}

int main(int argc, char **argv)
{
	struct opts o = { .secs = 2 };
	struct image img = { 0 };
	struct io_uring ring;
	int rc;

	parse_args(argc, argv, &o);
	img.path = o.image;
	image_open(&img, o.buffered, o.writes);
	if ((rc = io_uring_queue_init(MAX_QD, &ring, 0)) < 0)
		die(1, "io_uring_queue_init: %s", strerror(-rc));
	if (!o.json)
		printf("%-18s %10s %11s %9s %10s %10s\n", "native", "ios", "IOPS", "MB/s",
		       "mean us", "p99 us");
	for (size_t k = 0; k < o.nsel; k++) {
		struct result r;

		run_workload(&ring, &img, o.sel[k], o.secs, &r);
		print_result(o.sel[k], &r, o.json, img.direct, k == 0);
	}
	if (o.json)
		printf("\n]\n");
	io_uring_queue_exit(&ring);
	close(img.fd);
	return 0;
}
