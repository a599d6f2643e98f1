/* GET /metrics: gathering hv's and KVM's counters, and their two renderings. */
#include "api/metrics.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/api.h"
#include "cjson/cJSON.h"
#include "core/device.h"
#include "core/lathist.h"
#include "core/util.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "kvm/kvm.h"

/* Prometheus names: [a-zA-Z_:][a-zA-Z0-9_:]*; anything else becomes '_', runs of '_' one. */
static void safe_name(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < cap; in++) {
		char c = isalnum((unsigned char)*in) || *in == ':' ? (char)tolower((unsigned char)*in)
								  : '_';
		if (c == '_' && (n == 0 || out[n - 1] == '_'))
			continue;
		out[n++] = c;
	}
	while (n && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

int metrics_add(struct metrics *ms, const char *name, const char *help, enum metric_type t,
		const char *label_key, const char *label_val, uint64_t value)
{
	struct metric *m;

	if (ms->n == ms->cap) {
		unsigned cap = ms->cap ? ms->cap * 2 : 128;
		struct metric *p = realloc(ms->m, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ms->m = p;
		ms->cap = cap;
	}
	m = &ms->m[ms->n];
	memset(m, 0, sizeof(*m));
	safe_name(m->name, sizeof(m->name), name);
	m->help = help;
	m->type = t;
	if (label_key) {
		snprintf(m->label_key, sizeof(m->label_key), "%s", label_key);
		snprintf(m->label_val, sizeof(m->label_val), "%s", label_val);
	}
	m->value = value;
	ms->n++;
	return 0;
}

static int add_ns(struct metrics *ms, const char *name, const char *help, const char *lk,
		  const char *lv, uint64_t ns)
{
	int rc = metrics_add(ms, name, help, METRIC_COUNTER, lk, lv, ns);

	if (!rc)
		ms->m[ms->n - 1].ns = true;
	return rc;
}

int metrics_add_histogram(struct metrics *ms, const char *name, const char *help,
			  const char *label_key, const char *label_val, const struct lathist *h)
{
	struct lathist c;
	uint64_t count = lathist_read(h, &c), cum = 0;
	unsigned i;
	int rc = 0;

	for (i = 0; !rc && i <= LATHIST_BOUNDS; i++) {
		cum += c.n[i];
		rc = metrics_add(ms, name, help, METRIC_HISTOGRAM, label_key, label_val, cum);
		if (rc)
			break;
		ms->m[ms->n - 1].suffix = "_bucket";
		if (i < LATHIST_BOUNDS) /* seconds, exactly: 1e-06 x 2^i */
			snprintf(ms->m[ms->n - 1].le, sizeof(ms->m[0].le), "%.6f",
				 (double)lathist_bound_ns(i) / 1e9);
		else
			snprintf(ms->m[ms->n - 1].le, sizeof(ms->m[0].le), "+Inf");
	}
	rc = rc ? rc : metrics_add(ms, name, help, METRIC_HISTOGRAM, label_key, label_val, c.sum_ns);
	if (!rc) {
		ms->m[ms->n - 1].suffix = "_sum";
		ms->m[ms->n - 1].ns = true;
	}
	rc = rc ? rc : metrics_add(ms, name, help, METRIC_HISTOGRAM, label_key, label_val, count);
	if (!rc)
		ms->m[ms->n - 1].suffix = "_count";
	return rc;
}

int metrics_add_histogram2(struct metrics *ms, const char *name, const char *help,
			   const char *label_key, const char *label_val, const char *label2_key,
			   const char *label2_val, const struct lathist *h)
{
	unsigned i, first = ms->n;
	int rc = metrics_add_histogram(ms, name, help, label_key, label_val, h);

	for (i = first; !rc && i < ms->n; i++) {
		snprintf(ms->m[i].label2_key, sizeof(ms->m[i].label2_key), "%s", label2_key);
		snprintf(ms->m[i].label2_val, sizeof(ms->m[i].label2_val), "%s", label2_val);
	}
	return rc;
}

static const char device_help[] = "A device's counter, as hv run --stats prints it.";

/* One "N words" item of a section; prefix is the section's leading word or "". */
static int device_item(struct metrics *ms, const char *dev, const char *prefix, const char *item)
{
	char name[METRIC_NAME_MAX], words[48];
	unsigned long long v;
	int used = 0;

	if (sscanf(item, "%llu%n", &v, &used) != 1 || !used)
		return 0;
	snprintf(words, sizeof(words), "%s", item + used);
	safe_name(words, sizeof(words), words);
	if (!*words)
		return 0;
	snprintf(name, sizeof(name), "hv_device_%s%s%s_total", prefix, *prefix ? "_" : "", words);
	return metrics_add(ms, name, device_help, METRIC_COUNTER, "device", dev, v);
}

int metrics_add_device_line(struct metrics *ms, const char *line)
{
	char buf[1024], dev[METRIC_LABEL_MAX], *sec, *save_sec = NULL;
	size_t n = 0;
	int depth = 0, rc;

	while (*line == ' ')
		line++;
	if (sscanf(line, "%63[a-z0-9]", dev) != 1)
		return 0;
	line += strlen(dev);
	/* Parenthesised text (backend, mode) holds no counters and commas of its own. */
	for (; *line && *line != '\n' && n + 1 < sizeof(buf); line++) {
		depth += *line == '(';
		if (!depth)
			buf[n++] = *line == ':' ? ',' : *line;
		depth -= depth && *line == ')';
	}
	buf[n] = '\0';
	for (sec = strtok_r(buf, ";", &save_sec); sec; sec = strtok_r(NULL, ";", &save_sec)) {
		char prefix[24] = "", *item, *save_item = NULL;
		bool first = true;

		for (item = strtok_r(sec, ",", &save_item); item;
		     item = strtok_r(NULL, ",", &save_item), first = false) {
			while (*item == ' ')
				item++;
			if (first && isalpha((unsigned char)*item)) {
				/* "rx attached" or "rx 5 frames": "rx" names the section. */
				sscanf(item, "%23[a-zA-Z]", prefix);
				item += strlen(prefix);
				while (*item == ' ')
					item++;
				safe_name(prefix, sizeof(prefix), prefix);
			}
			rc = device_item(ms, dev, prefix, item);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* A kind without a counters hook: its --stats line, captured and taken apart. */
static int device_line(struct metrics *ms, const struct device_kind *k, const void *dev)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int rc = 0;

	if (!f)
		return -ENOMEM;
	k->print_stats(f, dev);
	if (fclose(f) == 0 && text)
		rc = metrics_add_device_line(ms, text);
	free(text);
	return rc;
}

#define DEV_COUNTERS_MAX 64

/* A kind with one: its counters as they are, no text on the way (device.h). */
static int device_counters(struct metrics *ms, const struct device_kind *k, const void *dev,
			   const char *name)
{
	struct dev_counter c[DEV_COUNTERS_MAX];
	unsigned i, n = k->counters(dev, c, DEV_COUNTERS_MAX);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		char full[METRIC_NAME_MAX];

		snprintf(full, sizeof(full), "hv_device_%s_total", c[i].name);
		rc = metrics_add(ms, full, device_help, METRIC_COUNTER, "device", name, c[i].value);
	}
	return rc;
}

static const char *const dir_name[LATHIST_DIRS] = { [LATHIST_RX] = "rx", [LATHIST_TX] = "tx" };

/* A NIC's frame latency, one histogram a direction (labels device and direction). */
static int frame_histograms(struct metrics *ms, const struct device_kind *k, void *dev,
			    const char *name)
{
	unsigned d;
	int rc = 0;

	for (d = 0; d < LATHIST_DIRS && !rc; d++) {
		const struct lathist *h = k->frame_latency(dev, d);

		if (h)
			rc = metrics_add_histogram2(
				ms, "hv_device_frame_seconds",
				"hv's part of each frame: tx from taking it off the ring (registers) "
				"to its completion written, rx from its read reaped to its "
				"completion written.",
				"device", name, "direction", dir_name[d], h);
	}
	return rc;
}

/* Each device's counters and latency histograms. */
static int gather_devices(struct metrics *ms, const struct vm *vm)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < vm->nr_dev && !rc; i++) {
		const struct device_kind *k = vm->dev[i].kind;
		char name[32];

		if (!k)
			continue;
		snprintf(name, sizeof(name), "%s%u", k->name, vm->dev[i].index);
		if (k->counters)
			rc = device_counters(ms, k, vm->dev[i].dev, name);
		else if (k->print_stats)
			rc = device_line(ms, k, vm->dev[i].dev);
		if (!rc && k->latency)
			rc = metrics_add_histogram(ms, "hv_device_request_seconds",
						   "hv's part of each request: from taking it off the "
						   "ring to posting its completion (backend I/O included).",
						   "device", name, k->latency(vm->dev[i].dev));
		if (!rc && k->frame_latency)
			rc = frame_histograms(ms, k, vm->dev[i].dev, name);
	}
	return rc;
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int gather_kvm(struct metrics *ms, const char *scope, const struct kvm_stats *s)
{
	uint64_t *val;
	unsigned i;
	int rc = 0;

	if (s->fd < 0 || !s->n)
		return 0;
	val = calloc(s->n, sizeof(*val));
	if (!val)
		return -ENOMEM;
	if (kvm_stats_read(s, val)) {
		free(val);
		return 0; /* KVM's side unreadable: hv's counters still go out */
	}
	for (i = 0; i < s->n && !rc; i++) {
		bool cum = (s->d[i].flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
		char name[METRIC_NAME_MAX];

		snprintf(name, sizeof(name), "kvm_%s_%s%s", scope, s->d[i].name, cum ? "_total" : "");
		rc = metrics_add(ms, name, cum ? "KVM's binary statistics: a cumulative counter."
					       : "KVM's binary statistics: an instant or peak value.",
				 cum ? METRIC_COUNTER : METRIC_GAUGE, NULL, NULL, val[i]);
	}
	free(val);
	return rc;
}

static int gather_hv(struct metrics *ms, struct api *a)
{
	static const char *const width[4] = { "1", "2", "4", "8" };
	const struct vm *vm = a->vm;
	struct vcpu *v = a->vcpu;
	struct rusage ru;
	unsigned i;
	int rc = 0;

	for (i = 0; i < EXIT_REASONS && !rc; i++) {
		uint64_t n = load(&v->st.exits[i]);
		if (n || strcmp(vcpu_exit_name(i), "?"))
			rc = metrics_add(ms, "hv_exits_total",
					 "Exits from KVM_RUN that reached hv, by KVM_EXIT_* reason.",
					 METRIC_COUNTER, "reason", vcpu_exit_name(i), n);
	}
	rc = rc ? rc : metrics_add(ms, "hv_kvm_run_returns_total", "Returns from KVM_RUN.",
				   METRIC_COUNTER, NULL, NULL, load(&vm->hv_exits));
	for (i = 0; i < HC_TABLE_SIZE && !rc; i++)
		if (vm->hc.e[i].name)
			rc = metrics_add(ms, "hv_hypercalls_total", "Hypercalls, by name.",
					 METRIC_COUNTER, "call", vm->hc.e[i].name,
					 load(&vm->hc.e[i].calls));
	rc = rc ? rc : metrics_add(ms, "hv_hypercalls_unknown_total",
				   "Hypercalls with a number hv does not know.", METRIC_COUNTER,
				   NULL, NULL, load(&vm->hc.bad_calls));
	for (i = 0; i < vm->pio.n && !rc; i++)
		rc = metrics_add(ms, "hv_pio_accesses_total", "Port I/O exits, by device range.",
				 METRIC_COUNTER, "range", vm->pio.r[i].name,
				 load(&vm->pio.r[i].accesses));
	for (i = 0; i < vm->mmio.n && !rc; i++)
		rc = metrics_add(ms, "hv_mmio_accesses_total", "MMIO exits, by device range.",
				 METRIC_COUNTER, "range", vm->mmio.r[i].name,
				 load(&vm->mmio.r[i].accesses));
	for (i = 0; i < 4 && !rc; i++)
		rc = metrics_add(ms, "hv_mmio_width_total", "MMIO exits, by access width in bytes.",
				 METRIC_COUNTER, "bytes", width[i], load(&v->st.mmio_width[i]));
	rc = rc ? rc : metrics_add(ms, "hv_unclaimed_total", "Accesses no device claimed.",
				   METRIC_COUNTER, "space", "pio", load(&v->st.unclaimed_pio));
	rc = rc ? rc : metrics_add(ms, "hv_unclaimed_total", "Accesses no device claimed.",
				   METRIC_COUNTER, "space", "mmio", load(&v->st.unclaimed_mmio));
	rc = rc ? rc : metrics_add(ms, "hv_console_bytes_total", "Guest console output, by path.",
				   METRIC_COUNTER, "path", "uart", load(&vm->console.dev_bytes));
	rc = rc ? rc : metrics_add(ms, "hv_console_bytes_total", "Guest console output, by path.",
				   METRIC_COUNTER, "path", "hypercall", load(&vm->console_hc_bytes));
	rc = rc ? rc : add_ns(ms, "hv_vcpu_paused_seconds_total",
			      "Time the vCPU spent paused through the API.", NULL, NULL,
			      vcpu_paused_ns(v));
	rc = rc ? rc : metrics_add(ms, "hv_vm_paused", "1 while the VM is paused.", METRIC_GAUGE,
				   NULL, NULL, vcpu_state(v) == VCPU_PAUSED);
	if (!rc && getrusage(RUSAGE_SELF, &ru) == 0) {
		rc = add_ns(ms, "hv_cpu_seconds_total", "CPU time of all of hv's threads.", "mode",
			    "user", (uint64_t)ru.ru_utime.tv_sec * 1000000000ull +
					    (uint64_t)ru.ru_utime.tv_usec * 1000ull);
		rc = rc ? rc : add_ns(ms, "hv_cpu_seconds_total", "CPU time of all of hv's threads.",
				      "mode", "system",
				      (uint64_t)ru.ru_stime.tv_sec * 1000000000ull +
					      (uint64_t)ru.ru_stime.tv_usec * 1000ull);
	}
	return rc;
}

/*
 * hv's monotonic clock now, read just before the device counters: a scraper
 * computing rates divides by the difference of two of these, not by its own
 * clock, which also counts however long the request took to be served.
 */
static int gather_clock(struct metrics *ms)
{
	int rc = add_ns(ms, "hv_metrics_read_seconds",
			"hv's monotonic clock when this scrape's device counters were read.", NULL,
			NULL, mono_ns());

	if (!rc)
		ms->m[ms->n - 1].type = METRIC_GAUGE;
	return rc;
}

int metrics_gather(struct api *a, struct metrics *ms)
{
	int rc = gather_hv(ms, a);

	rc = rc ? rc : gather_clock(ms);
	rc = rc ? rc : gather_devices(ms, a->vm);
	if (!rc && a->vm->kvm) {
		rc = gather_kvm(ms, "vcpu", &a->vm->kvm->vcpu_stats);
		rc = rc ? rc : gather_kvm(ms, "vm", &a->vm->kvm->vm_stats);
	}
	if (!rc)
		metrics_sort(ms);
	return rc;
}

void metrics_sort(struct metrics *ms)
{
	struct metric *out = malloc((ms->n ? ms->n : 1) * sizeof(*out));
	bool *done = calloc(ms->n ? ms->n : 1, sizeof(*done));
	unsigned i, j, n = 0;

	if (!out || !done) { /* unsorted: the text format needs families whole, JSON not */
		free(out);
		free(done);
		return;
	}
	/* A family goes where its first sample was gathered, its samples in their order. */
	for (i = 0; i < ms->n; i++) {
		if (done[i])
			continue;
		for (j = i; j < ms->n; j++)
			if (!done[j] && !strcmp(ms->m[i].name, ms->m[j].name)) {
				out[n++] = ms->m[j];
				done[j] = true;
			}
	}
	free(ms->m);
	free(done);
	ms->m = out;
	ms->cap = ms->n;
}

/* A label value in the text format: backslash, quote and newline escaped. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

/* {key="value",...}: the sample's labels, le last; nothing without any. */
static void put_labels(FILE *f, const struct metric *m)
{
	const char *const kv[3][2] = { { m->label_key, m->label_val },
				       { m->label2_key, m->label2_val },
				       { m->le[0] ? "le" : "", m->le } };
	unsigned i, n = 0;

	for (i = 0; i < 3; i++) {
		if (!kv[i][0][0])
			continue;
		fprintf(f, "%s%s=\"", n++ ? "," : "{", kv[i][0]);
		put_label_value(f, kv[i][1]);
		fputc('"', f);
	}
	if (n)
		fputc('}', f);
}

static const char *const type_name[] = {
	[METRIC_COUNTER] = "counter", [METRIC_GAUGE] = "gauge", [METRIC_HISTOGRAM] = "histogram",
};

char *metrics_prometheus(const struct metrics *ms, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	unsigned i;

	if (!f)
		return NULL;
	for (i = 0; i < ms->n; i++) {
		const struct metric *m = &ms->m[i];

		if (!i || strcmp(m->name, ms->m[i - 1].name))
			fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
				type_name[m->type]);
		fprintf(f, "%s%s", m->name, m->suffix ? m->suffix : "");
		put_labels(f, m);
		if (m->ns)
			fprintf(f, " %llu.%09llu\n", (unsigned long long)(m->value / 1000000000ull),
				(unsigned long long)(m->value % 1000000000ull));
		else
			fprintf(f, " %llu\n", (unsigned long long)m->value);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* {"<name>": {"type", "help", "samples": [{"labels": {...}, "value": N}]}, ...} */
char *metrics_json(const struct metrics *ms, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *fam = NULL, *samples = NULL;
	char *text;
	unsigned i;

	for (i = 0; root && i < ms->n; i++) {
		const struct metric *m = &ms->m[i];
		cJSON *s = cJSON_CreateObject(), *labels = cJSON_CreateObject();

		if (!i || strcmp(m->name, ms->m[i - 1].name)) {
			fam = cJSON_AddObjectToObject(root, m->name);
			if (fam) {
				cJSON_AddStringToObject(fam, "type", type_name[m->type]);
				cJSON_AddStringToObject(fam, "help", m->help);
			}
			samples = fam ? cJSON_AddArrayToObject(fam, "samples") : NULL;
		}
		if (!s || !labels || !samples) {
			cJSON_Delete(s);
			cJSON_Delete(labels);
			cJSON_Delete(root);
			return NULL;
		}
		if (m->label_key[0])
			cJSON_AddStringToObject(labels, m->label_key, m->label_val);
		if (m->label2_key[0])
			cJSON_AddStringToObject(labels, m->label2_key, m->label2_val);
		if (m->le[0])
			cJSON_AddStringToObject(labels, "le", m->le);
		cJSON_AddItemToObject(s, "labels", labels);
		if (m->suffix) /* a histogram's sample: which of its series */
			cJSON_AddStringToObject(s, "name", m->suffix + 1);
		cJSON_AddNumberToObject(s, "value",
					m->ns ? (double)m->value / 1e9 : (double)m->value);
		cJSON_AddItemToArray(samples, s);
	}
	text = root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	if (text)
		*len = strlen(text);
	return text;
}

void metrics_free(struct metrics *ms)
{
	free(ms->m);
	ms->m = NULL;
	ms->n = ms->cap = 0;
}
