/*
 * loopback-blkbench [--time S] [--poll] IMAGE|null:SIZE [WORKLOAD...]: the
 * guest's PV block driver (pv-drivers/) run as a host thread against hv's
 * real backend (hypercall handler, I/O thread, io_uring, the image), with
 * tests/unit/pv_host.c standing in for KVM's ioeventfd and irqfd.  No VM,
 * so no exits: what it measures is hv's backend, the part of the PV path
 * that a machine without /dev/kvm can measure.  JSON lines like
 * native-blkbench's, path "loopback-pv" or "loopback-pv-poll".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "blkworkloads.h"
#include "pv_host.h"

#define NW BLK_WORKLOADS_N

struct slot {
	uint8_t *buf;
	uint64_t t0, t1;
	int busy, done;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru); /* both threads: the "guest" and hv's I/O thread */
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int any_done;

static void on_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct slot *s = arg;

	(void)bytes;
	if (status != HV_BLK_S_OK) {
		fprintf(stderr, "loopback-blkbench: request failed: %s\n",
			pvblk_fe_status_name(status));
		exit(1);
	}
	s->t1 = now_ns();
	s->done = 1;
	any_done = 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void run(struct pv_host *h, struct pvblk_fe *fe, const struct blk_workload *w, double secs,
		const char *path)
{
	static struct slot slot[BLK_WORKLOAD_MAX_QD];
	uint64_t rng = BLK_WORKLOAD_SEED, seq = 0, blocks = fe->sectors * 512 / w->bs;
	uint64_t *lat = NULL, n = 0, cap = 0, sum = 0, start, end;
	double c0 = cpu_us(), c1;
	unsigned i, busy = w->qd;

	for (i = 0; i < w->qd; i++)
		if (!slot[i].buf)
			slot[i].buf = pv_host_alloc(h, 131072);
	start = now_ns();
	end = start + (uint64_t)(secs * 1e9);
	for (i = 0; i < w->qd; i++)
		slot[i].busy = 0, slot[i].done = 1; /* "completed": the loop issues it */
	any_done = 1;
	while (busy) {
		uint64_t t;
		while (!any_done) {
			int flag = 0;
			pvblk_fe_wait(fe, &flag);
		}
		any_done = 0;
		t = now_ns();
		for (i = 0; i < w->qd; i++) {
			struct slot *s = &slot[i];
			struct hv_blk_req r;
			uint64_t blk;

			if (!s->done)
				continue;
			if (s->busy) {
				if (n == cap) {
					cap = cap ? cap * 2 : 65536;
					lat = realloc(lat, cap * sizeof(*lat));
					if (!lat)
						exit(1);
				}
				lat[n++] = s->t1 - s->t0;
				sum += s->t1 - s->t0;
				s->busy = 0;
			}
			if (t >= end) {
				s->done = 0; /* retired */
				busy--;
				continue;
			}
			if (w->random) {
				blk = blk_workload_rand(&rng) % blocks;
			} else {
				blk = seq++ % blocks;
			}
			pvblk_fe_prep(fe, &r, w->op, blk * (w->bs / 512), s->buf, w->bs);
			s->done = 0;
			s->busy = 1;
			s->t0 = now_ns();
			if (pvblk_fe_submit(fe, &r, on_done, s)) {
				fprintf(stderr, "loopback-blkbench: queue full\n");
				exit(1);
			}
		}
		pvblk_fe_kick(fe);
	}
	c1 = cpu_us();
	qsort(lat, n, sizeof(*lat), cmp_u64);
	{
		double el = (double)(now_ns() - start) / 1e9;
		printf("{\"path\": \"%s\", \"workload\": \"%s\", \"ios\": %llu, \"iops\": %.1f, "
		       "\"mbps\": %.2f, \"lat_us_mean\": %.2f, \"lat_us_p99\": %.2f, "
		       "\"cpu_us_per_io\": %.3f, \"direct\": %s}\n",
		       path, w->name, (unsigned long long)n, n / el, n * (double)w->bs / el / 1e6,
		       n ? sum / (double)n / 1e3 : 0,
		       n ? lat[(n * 99 + 99) / 100 - 1] / 1e3 : 0, n ? (c1 - c0) / (double)n : 0,
		       h->disk[0]->disk.direct ? "true" : "false");
	}
	free(lat);
}

int main(int argc, char **argv)
{
	const struct blk_workload *sel[NW];
	unsigned nsel = 0, i;
	double secs = 2;
	int poll_mode = 0;
	unsigned long long io_poll_us = 0;
	const char *disk = NULL;
	struct pv_host h;
	struct pvblk_fe fe;

	for (i = 1; i < (unsigned)argc; i++) {
		if (!strcmp(argv[i], "--time") && i + 1 < (unsigned)argc) {
			secs = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--io-poll") && i + 1 < (unsigned)argc) {
			io_poll_us = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--poll")) {
			poll_mode = 1;
		} else if (!disk) {
			disk = argv[i];
		} else {
			const struct blk_workload *w = blk_workload_find(argv[i]);

			if (!w || nsel == NW) {
				fprintf(stderr, "loopback-blkbench: unknown workload '%s'\n", argv[i]);
				return 2;
			}
			sel[nsel++] = w;
		}
	}
	if (!disk || secs <= 0) {
		fprintf(stderr, "usage: loopback-blkbench [--time S] [--poll] IMAGE|null:SIZE "
				"[WORKLOAD...]\n");
		return 2;
	}
	if (!nsel)
		for (; nsel < BLK_WORKLOADS_DEFAULT; nsel++)
			sel[nsel] = &blk_workloads[nsel];
	if (pv_host_init(&h, 64ull << 20, &disk, 1, io_poll_us * 1000) ||
	    pv_host_attach(&h, &fe, 0, 32, poll_mode ? 0 : 0x40, 0)) {
		fprintf(stderr, "loopback-blkbench: cannot set up hv's backend on %s\n", disk);
		return 1;
	}
	for (i = 0; i < nsel; i++)
		run(&h, &fe, sel[i], secs, poll_mode ? "loopback-pv-poll" : "loopback-pv");
	pv_host_destroy(&h);
	return 0;
}
