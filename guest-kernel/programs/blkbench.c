/* blkbench: fixed-time block workloads on any disk, with IOPS, latency and exits per I/O. */
#include "apic.h"
#include "blkdev.h"
#include "blkworkloads.h"
#include "exitspan.h"
#include "hypercall.h"
#include "lib.h"
#include "programs.h"
#include "pvblk_glue.h"
#include "pvblk_fe.h"
#include "tsc.h"

/*
 * Latency histogram: 32 linear sub-buckets per power of two of nanoseconds,
 * so a percentile is within about 3% without storing every sample.
 */
#define HIST_SUB 32
#define HIST_N (64 * HIST_SUB)

struct hist {
	uint32_t b[HIST_N];
	uint64_t n, sum_ns;
};

static unsigned hist_idx(uint64_t v)
{
	unsigned msb;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return (msb - 4) * HIST_SUB + (unsigned)((v >> (msb - 5)) & (HIST_SUB - 1));
}

static uint64_t hist_value(unsigned idx) /* the bucket's lower bound */
{
	unsigned msb;

	if (idx < HIST_SUB)
		return idx;
	msb = idx / HIST_SUB + 4;
	return ((uint64_t)(HIST_SUB + idx % HIST_SUB)) << (msb - 5);
}

static uint64_t hist_pct(const struct hist *h, unsigned pct)
{
	uint64_t want = (h->n * pct + 99) / 100, seen = 0;
	unsigned i;

	for (i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want && want)
			return hist_value(i);
	}
	return 0;
}

struct slot {
	uint8_t *buf;
	uint64_t t0, t1;
	uint32_t status;
	volatile int done;
	bool busy;
};

static volatile int any_done;

static void slot_done(void *arg, uint32_t status, uint32_t bytes)
{
	struct slot *s = arg;

	(void)bytes;
	s->t1 = clock_ticks();
	s->status = status;
	s->done = 1;
	any_done = 1;
}

struct run {
	struct blkdev *d;
	const struct blk_workload *w;
	uint64_t blocks, next_seq, rng;
	struct slot slot[BLK_WORKLOAD_MAX_QD];
	unsigned qd;
	struct hist h;
	uint64_t ios, errors;
};

static uint64_t next_block(struct run *r)
{
	if (!r->w->random)
		return r->next_seq++ % r->blocks;
	return blk_workload_rand(&r->rng) % r->blocks;
}

static void issue(struct run *r, struct slot *s)
{
	uint64_t sector = next_block(r) * (r->w->bs / HV_BLK_SECTOR);

	s->done = 0;
	s->busy = true;
	s->t0 = clock_ticks();
	while (blkdev_submit(r->d, r->w->op, sector, s->buf, r->w->bs, slot_done, s)) {
		blkdev_kick(r->d);
		blkdev_wait(r->d, &any_done);
	}
}

/* Runs one workload for `ticks`; returns the elapsed TSC ticks. */
static uint64_t run_for(struct run *r, uint64_t ticks, uint64_t per_us)
{
	uint64_t start = clock_ticks(), end = start + ticks, now;
	unsigned i, busy = r->qd;

	for (i = 0; i < r->qd; i++)
		issue(r, &r->slot[i]);
	blkdev_kick(r->d);
	while (busy) {
		while (!any_done)
			blkdev_wait(r->d, &any_done);
		any_done = 0;
		now = clock_ticks();
		for (i = 0; i < r->qd; i++) {
			struct slot *s = &r->slot[i];
			uint64_t ns;

			if (!s->busy || !s->done)
				continue;
			s->busy = false;
			/* A TSC that stepped back (vCPU moved between host CPUs) counts 0. */
			ns = (int64_t)(s->t1 - s->t0) > 0 ? tsc_to_ns(s->t1 - s->t0, per_us) : 0;
			r->h.b[hist_idx(ns) < HIST_N ? hist_idx(ns) : HIST_N - 1]++;
			r->h.n++;
			r->h.sum_ns += ns;
			r->ios++;
			r->errors += s->status != HV_BLK_S_OK;
			if (now < end)
				issue(r, s);
			else
				busy--;
		}
		blkdev_kick(r->d);
	}
	return clock_ticks() - start;
}

/* The PV queue's poll window over the span (pv_poll.h), as JSON; {} for other disks. */
static void poll_json(const struct pv_poll *p, const struct pv_poll_stats *s0, char *buf,
		      unsigned len)
{
	if (!p) {
		snprintf(buf, len, "{}");
		return;
	}
	snprintf(buf, len, "{\"cap_ns\":%u,\"window_ns\":%u,\"polls\":%lu,\"paid\":%lu,"
		 "\"unpaid\":%lu,\"missed\":%lu,\"grown\":%lu,\"shrunk\":%lu,\"ns\":%lu}",
		 p->cap_ns, p->window_ns, p->st.polls - s0->polls, p->st.paid - s0->paid,
		 p->st.unpaid - s0->unpaid, p->st.missed - s0->missed, p->st.grown - s0->grown,
		 p->st.shrunk - s0->shrunk, p->st.poll_ns - s0->poll_ns);
}

/* v * 100 as "int.frac" with two decimals. */
static void fixed2(char *buf, unsigned len, uint64_t v100)
{
	snprintf(buf, len, "%lu.%02lu", v100 / 100, v100 % 100);
}

static int bench_one(struct blkdev *d, const struct blk_workload *w, uint64_t ms, bool json)
{
	static struct run r;
	struct hv_exit_count e0;
	struct exit_span x;
	struct apic_eoi_stats eoi0, eoi1;
	const struct pvblk_fe *fe = pvblk_glue_fe(d);
	const struct pv_poll *poll = fe ? &fe->poll : NULL;
	struct pv_poll_stats poll0 = poll ? poll->st : (struct pv_poll_stats){ 0 };
	char polls[192];
	uint64_t per_us = tsc_ticks_per_us(), elapsed_ns, elapsed_us, kvm, mean_ns, p99_ns;
	char iops[24], mbps[24], mean[24], p99[24], xkvm[24], xhv[24], cpu[24], kinds[256];
	unsigned i;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.w = w;
	r.rng = BLK_WORKLOAD_SEED;
	r.blocks = d->sectors * HV_BLK_SECTOR / w->bs;
	r.qd = w->qd < d->max_depth ? w->qd : d->max_depth;
	if (!r.blocks || (w->op == HV_BLK_OP_WRITE && d->ro)) {
		printf("blkbench: %s: %s: skipped (%s)\n", d->name, w->name,
		       r.blocks ? "read-only device" : "device smaller than one block");
		return 0;
	}
	for (i = 0; i < r.qd; i++) {
		r.slot[i].buf = blkdev_buf_alloc(w->bs);
		if (!r.slot[i].buf)
			return 1;
		memset(r.slot[i].buf, 0xa5 ^ (int)i, w->bs);
	}
	/*
	 * The LAPIC timer's calibration (10 ms of time hypercalls, on first
	 * use) happens now, not at the drivers' first wait inside the window:
	 * there its hypercalls would count as the workload's exits.
	 */
	apic_ticks_per_us();
	eoi0 = apic_eoi_stats();
	exit_span_begin(&e0);
	elapsed_ns = tsc_to_ns(run_for(&r, ms * 1000 * per_us, per_us), per_us);
	exit_span_end(&e0, &x);
	eoi1 = apic_eoi_stats();
	for (i = 0; i < r.qd; i++)
		blkdev_buf_free(r.slot[i].buf, w->bs);

	kvm = x.kvm_exits < 0 ? 0 : (uint64_t)x.kvm_exits;
	mean_ns = r.ios ? r.h.sum_ns / r.ios : 0;
	p99_ns = hist_pct(&r.h, 99);
	elapsed_us = elapsed_ns / 1000 ? elapsed_ns / 1000 : 1;
	fixed2(iops, sizeof(iops), r.ios * 100000000ull / elapsed_us); /* no overflow below 1.8e11 I/Os */
	fixed2(mbps, sizeof(mbps), r.ios * w->bs * 100 / elapsed_us);
	fixed2(mean, sizeof(mean), mean_ns / 10);
	fixed2(p99, sizeof(p99), p99_ns / 10);
	fixed2(xkvm, sizeof(xkvm), r.ios ? kvm * 100 / r.ios : 0);
	fixed2(xhv, sizeof(xhv), r.ios ? x.hv_exits * 100 / r.ios : 0);
	fixed2(cpu, sizeof(cpu), r.ios ? x.cpu_ns / 10 / r.ios : 0);
	if (x.kvm_exits < 0)
		snprintf(xkvm, sizeof(xkvm), "-1");
	exit_span_kinds_json(&x, kinds, sizeof(kinds));
	poll_json(poll, &poll0, polls, sizeof(polls));
	/* Exits by kind and interrupts as counts over the workload: the host's
	 * report divides them by ios, as it does for other VMMs' guests. */
	if (json) {
		/* Two calls: printf formats at most 512 bytes at a time; the line is one. */
		printf("blkbench-json: {\"path\":\"%s\",\"workload\":\"%s\",\"device\":\"%s\","
		       "\"qd\":%u,\"ios\":%lu,\"errors\":%lu,\"iops\":%s,\"mbps\":%s,"
		       "\"lat_us_mean\":%s,\"lat_us_p99\":%s,\"exits_per_io\":%s,"
		       "\"hv_exits_per_io\":%s,\"cpu_us_per_io\":%s,\"kvm_exits\":%ld,"
		       "\"kvm_irqs\":%ld,\"kinds\":%s,",
		       d->path, w->name, d->name, r.qd, r.ios, r.errors, iops, mbps, mean, p99, xkvm,
		       xhv, cpu, (long)x.kvm_exits, (long)x.kvm_irqs, kinds);
		printf("\"eoi_pv\":%lu,\"eoi_msr\":%lu,\"poll\":%s}\n",
		       eoi1.by_memory - eoi0.by_memory, eoi1.by_msr - eoi0.by_msr, polls);
	} else {
		printf("%-8s %-18s qd %-2u %9s IOPS %9s MB/s  lat mean %9s us p99 %9s us  "
		       "exits/io %6s (to hv %6s) cpu/io %7s us%s\n",
		       d->path, w->name, r.qd, iops, mbps, mean, p99, xkvm, xhv, cpu,
		       r.errors ? "  ERRORS" : "");
	}
	return r.errors ? 1 : 0;
}

/* "2", "0.5" -> milliseconds; -1 if malformed. */
static int parse_ms(const char *s, uint64_t *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		whole = whole * 10 + (uint64_t)(*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			frac += (uint64_t)(*s - '0') * (scale /= 10);
	if (*s || whole > 3600)
		return -1;
	*ms = whole * 1000 + frac;
	return *ms ? 0 : -1;
}

/*
 * blkbench DEV [--time S] [--json] [WORKLOAD...]: fixed-time block workloads
 * on any block device, with the names and semantics of the host's
 * tests/bench/native-blkbench.c so the two compare line by line.  Latency
 * is timed with the TSC (no exit); exits per I/O come from hv
 * (HV_HC_EXIT_COUNT), read once before and once after each workload.
 */
int cmd_blkbench(const struct hv_boot_info *bi, int argc, char **argv)
{
	const struct blk_workload *sel[BLK_WORKLOADS_N];
	unsigned nsel = 0, i, j;
	struct blkdev *d = argc > 1 ? blkdev_find(argv[1]) : NULL;
	uint64_t ms = 2000;
	bool json = false;
	int fails = 0;

	(void)bi;
	if (!d) {
		printf("usage: blkbench DEV [--time SECONDS] [--json] [WORKLOAD...]\n");
		return 2;
	}
	for (i = 2; i < (unsigned)argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--time") && i + 1 < (unsigned)argc) {
			if (parse_ms(argv[++i], &ms)) {
				printf("blkbench: --time: '%s' is not a number of seconds\n", argv[i]);
				return 2;
			}
		} else {
			const struct blk_workload *w = blk_workload_find(argv[i]);

			if (!w || nsel == ARRAY_SIZE(sel)) {
				printf("blkbench: unknown workload '%s'; workloads:", argv[i]);
				for (j = 0; j < BLK_WORKLOADS_N; j++)
					printf(" %s", blk_workloads[j].name);
				printf("\n");
				return 2;
			}
			sel[nsel++] = w;
		}
	}
	if (!nsel)
		for (; nsel < BLK_WORKLOADS_DEFAULT; nsel++)
			sel[nsel] = &blk_workloads[nsel];
	for (i = 0; i < nsel; i++)
		fails += bench_one(d, sel[i], ms, json);
	return fails ? 1 : 0;
}
