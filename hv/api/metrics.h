/*
 * GET /metrics: hv's and KVM's counters gathered into samples, rendered as
 * Prometheus text (format 0.0.4) or JSON.  Gathering reads what the vCPU
 * and I/O threads count with loads alone: no lock they take, no system
 * call on their path (KVM's statistics are read from their own fd here).
 */
#ifndef HV_API_METRICS_H
#define HV_API_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api;

#define METRIC_NAME_MAX 96
#define METRIC_LABEL_MAX 64
#define METRIC_LABELS 1

enum metric_type { METRIC_COUNTER = 0, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric {
	char name[METRIC_NAME_MAX]; /* counters end in _total */
	const char *help;
	enum metric_type type;
	char label_key[16];
	char label_val[METRIC_LABEL_MAX]; /* "" with no label */
	char label2_key[16];              /* a second label (a NIC's direction), or "" */
	char label2_val[16];
	uint64_t value;
	bool ns; /* value is nanoseconds, shown as seconds */
	/* histograms: the sample's suffix (_bucket, _sum, _count) and its le label */
	const char *suffix;
	char le[24];
};

struct metrics {
	struct metric *m;
	unsigned n, cap;
};

/* Adds one sample; 0 or -ENOMEM.  Names are made Prometheus-safe. */
int metrics_add(struct metrics *ms, const char *name, const char *help, enum metric_type t,
		const char *label_key, const char *label_val, uint64_t value);

struct lathist;
/*
 * A histogram family in seconds: name_bucket{label,le} cumulative, with
 * le="+Inf", then name_sum and name_count.  0 or -ENOMEM.
 */
int metrics_add_histogram(struct metrics *ms, const char *name, const char *help,
			  const char *label_key, const char *label_val, const struct lathist *h);
/* The same with a second label on every sample (a NIC's direction="rx"). */
int metrics_add_histogram2(struct metrics *ms, const char *name, const char *help,
			   const char *label_key, const char *label_val, const char *label2_key,
			   const char *label2_val, const struct lathist *h);

/*
 * A device's --stats line ("pvblk0 (a.img, file): attached, 3 requests,
 * 4096 bytes, ...; tx ..., 5 frames") as counters: every "N words" item
 * becomes hv_device_<section>_<words>_total{device="pvblk0"}, where a
 * section (split at ';') starting with a word ("rx", "tx") names it.  The
 * line is what print_stats writes: the kinds without a counters hook
 * (device.h) keep one format for --stats and metrics.  0 or -ENOMEM.
 */
int metrics_add_device_line(struct metrics *ms, const char *line);

/* Everything GET /metrics shows, gathered now; 0 or -errno. */
int metrics_gather(struct api *a, struct metrics *ms);

/* Families grouped (each name's samples together), in the order first gathered. */
void metrics_sort(struct metrics *ms);

/* Renderings, from malloc (NULL: out of memory); *len gets the length. */
char *metrics_prometheus(const struct metrics *ms, size_t *len);
char *metrics_json(const struct metrics *ms, size_t *len);

void metrics_free(struct metrics *ms);

#endif
