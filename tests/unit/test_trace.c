/* The trace rings, the writer's JSON and pcap output, and --trace/--pcap parsing (hv/trace/). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "core/cli.h"
#include "core/util.h"
#include "trace/trace.h"
#include "suites.h"

struct tmp_paths {
	char dir[32], json[64], pcap[64];
};

static void tmp_make(struct tmp_paths *p)
{
	strcpy(p->dir, "/tmp/hv-ut-trace-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(p->dir));
	snprintf(p->json, sizeof(p->json), "%s/t.json", p->dir);
	snprintf(p->pcap, sizeof(p->pcap), "%s/t.pcap", p->dir);
}

static void tmp_remove(const struct tmp_paths *p)
{
	unlink(p->json);
	unlink(p->pcap);
	rmdir(p->dir);
}

/* The whole file, NUL-terminated; *len its bytes. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

/*
 * Occurrences of needle, by hand: the sanitizers' strstr and memmem check
 * the whole rest of the haystack on each call, quadratic over megabytes.
 */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle), i, k;

	for (i = 0; hay[i]; i++) {
		for (k = 0; k < nl && hay[i + k] == needle[k]; k++)
			;
		n += k == nl;
	}
	return n;
}

static void *io_thread_events(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < 100; i++) {
		trace_ev(TR_TAKE, "pvblk0", i, 0);
		trace_ev(TR_POST, "pvblk0", i, 0);
	}
	return NULL;
}

/* Two threads' events come out as two lanes of valid Chrome trace JSON, in each lane's order. */
static void test_json_two_threads(void)
{
	struct trace t = { 0 };
	struct tmp_paths p;
	char err[ERR_MAX];
	pthread_t th;
	char *text;

	tmp_make(&p);
	CU_ASSERT_EQUAL_FATAL(trace_open(&t, p.json, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(trace_start(&t, NULL, NULL), 0);
	trace_ev(TR_ENTER, NULL, 0, 0); /* closes nothing: dropped from the output */
	trace_ev(TR_EXIT, "io", 0, 0x3f8);
	trace_ev(TR_ENTER, NULL, 0, 0);
	trace_ev(TR_EXIT, "mmio", 0, 0); /* still open at the end: closed by the writer */
	CU_ASSERT_EQUAL(pthread_create(&th, NULL, io_thread_events, NULL), 0);
	pthread_join(th, NULL);
	trace_stop(&t, NULL);
	trace_ev(TR_TAKE, "after", 0, 0); /* after the stop: nowhere */
	text = slurp(p.json, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(!strncmp(text, "{\"traceEvents\":[\n", 17));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"dropped_events\":0}}\n"));
	CU_ASSERT_EQUAL(count(text, "\"name\":\"take\""), 100);
	CU_ASSERT_EQUAL(count(text, "\"name\":\"post\""), 100);
	CU_ASSERT_EQUAL(count(text, "\"ph\":\"B\""), 2);
	CU_ASSERT_EQUAL(count(text, "\"ph\":\"E\""), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"name\":\"io\",\"cat\":\"exit\",\"args\":{\"port\":1016}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"args\":{\"queue\":\"pvblk0\",\"req\":99}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"args\":{\"name\":\"vCPU\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"args\":{\"name\":\"I/O\"}"));
	CU_ASSERT_PTR_NULL(strstr(text, "after"));
	/* Lane 2 (the other thread) in order: take 0 comes before take 99. */
	CU_ASSERT(strstr(text, "\"req\":0}") < strstr(text, "\"req\":99}"));
	free(text);
	trace_close(&t);
	tmp_remove(&p);
}

/* A full ring drops and counts; what was in it is written out whole. */
static void test_ring_full_drops(void)
{
	struct trace t = { 0 };
	struct tmp_paths p;
	char err[ERR_MAX];
	char *text;
	uint32_t i;

	tmp_make(&p);
	CU_ASSERT_EQUAL_FATAL(trace_open(&t, p.json, NULL, err, sizeof(err)), 0);
	for (i = 0; i < TRACE_RING_EVENTS + 10; i++)
		trace_emit(&t, TR_IRQ, "q", 0, 0);
	CU_ASSERT_EQUAL(t.ring[0].dropped, 10);
	trace_drain(&t);
	trace_emit(&t, TR_IRQ, "q", 0, 0); /* room again */
	CU_ASSERT_EQUAL(t.ring[0].dropped, 10);
	trace_drain(&t);
	CU_ASSERT_EQUAL(trace_finish_json(&t), 0);
	text = slurp(p.json, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(count(text, "\"name\":\"irq\""), TRACE_RING_EVENTS + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"dropped_events\":10}"));
	free(text);
	trace_close(&t);
	tmp_remove(&p);
}

struct pcap_rec {
	uint32_t sec, usec, caplen, len;
};

/* Frames across the ring's wrap, gathered from iovecs, come out in order, byte for byte. */
static void test_pcap_records(void)
{
	static uint8_t a[9000], b[1000];
	const int dev = 0, other = 0;
	struct trace t = { 0 };
	struct tmp_paths p;
	char err[ERR_MAX];
	size_t len, off;
	uint8_t *file;
	unsigned i, n = 0;
	double last = 0;

	tmp_make(&p);
	CU_ASSERT_EQUAL_FATAL(trace_open(&t, NULL, p.pcap, err, sizeof(err)), 0);
	t.pcap_dev = &dev;
	/* 500 frames of 10000 bytes: 5 MB through a 4 MiB ring, drained as it goes. */
	for (i = 0; i < 500; i++) {
		struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

		memset(a, (int)i, sizeof(a));
		memset(b, (int)~i, sizeof(b));
		trace_frame(&t, &dev, iov, 2, sizeof(a) + sizeof(b));
		if (i % 100 == 99)
			trace_drain(&t);
	}
	(void)other;
	trace_drain(&t);
	CU_ASSERT_EQUAL(t.frames.dropped, 0);
	CU_ASSERT_EQUAL(t.frames_written, 500);
	file = (uint8_t *)slurp(p.pcap, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(*(uint32_t *)file, 0xa1b2c3d4);
	CU_ASSERT_EQUAL(*(uint32_t *)(file + 20), 1); /* LINKTYPE_ETHERNET */
	for (off = 24; off + sizeof(struct pcap_rec) <= len; n++) {
		struct pcap_rec r;
		double ts;

		memcpy(&r, file + off, sizeof(r));
		off += sizeof(r);
		ts = r.sec + r.usec / 1e6;
		CU_ASSERT(ts >= last);
		last = ts;
		if (r.caplen != 10000 || r.len != 10000 || off + r.caplen > len ||
		    file[off] != (uint8_t)n || file[off + 8999] != (uint8_t)n ||
		    file[off + 9000] != (uint8_t)~n || file[off + 9999] != (uint8_t)~n) {
			CU_FAIL("a frame came out wrong");
			break;
		}
		off += r.caplen;
	}
	CU_ASSERT_EQUAL(n, 500);
	CU_ASSERT_EQUAL(off, len);
	free(file);
	trace_close(&t);
	tmp_remove(&p);
}

/* Without a drain the ring fills: the frames that do not fit are dropped and counted. */
static void test_pcap_full_drops(void)
{
	static uint8_t a[60000];
	struct trace t = { 0 };
	struct tmp_paths p;
	char err[ERR_MAX];
	struct iovec iov = { a, sizeof(a) };
	unsigned i, fit = TRACE_FRAME_BYTES / (sizeof(a) + sizeof(struct trace_frame_hdr));

	tmp_make(&p);
	CU_ASSERT_EQUAL_FATAL(trace_open(&t, NULL, p.pcap, err, sizeof(err)), 0);
	for (i = 0; i < fit + 5; i++)
		trace_frame(&t, NULL, &iov, 1, sizeof(a));
	CU_ASSERT_EQUAL(t.frames.dropped, 5);
	trace_drain(&t);
	CU_ASSERT_EQUAL(t.frames_written, fit);
	trace_close(&t);
	tmp_remove(&p);
}

/* The hook captures the chosen NIC's frames only; with tracing off it does nothing. */
static void test_pcap_hook_selects(void)
{
	static uint8_t a[64];
	int nic0 = 0, nic1 = 1;
	struct trace t = { 0 };
	struct tmp_paths p;
	char err[ERR_MAX];
	struct iovec iov = { a, sizeof(a) };

	tmp_make(&p);
	trace_pcap(&nic0, &iov, 1, sizeof(a)); /* off: nothing to touch */
	CU_ASSERT_EQUAL_FATAL(trace_open(&t, NULL, p.pcap, err, sizeof(err)), 0);
	t.pcap_dev = &nic0;
	CU_ASSERT_EQUAL_FATAL(trace_start(&t, NULL, NULL), 0);
	trace_pcap(&nic0, &iov, 1, sizeof(a));
	trace_pcap(&nic1, &iov, 1, sizeof(a));
	trace_ev(TR_TAKE, "q", 0, 0); /* --pcap alone: no timeline, no harm */
	trace_stop(&t, NULL);
	CU_ASSERT_EQUAL(t.frames_written, 1);
	trace_close(&t);
	tmp_remove(&p);
}

static void test_open_errors(void)
{
	struct trace t = { 0 };
	char err[ERR_MAX];

	CU_ASSERT_EQUAL(trace_open(&t, "/nonexistent/dir/t.json", NULL, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "--trace /nonexistent/dir/t.json: cannot create: No such file or "
				    "directory");
	trace_close(&t);
	CU_ASSERT_EQUAL(trace_open(&t, NULL, "/nonexistent/p", err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap /nonexistent/p: cannot create"));
	trace_close(&t);
}

static void test_pcap_split(void)
{
	char nic[16];
	const char *file;

	CU_ASSERT_EQUAL(trace_pcap_split("pvnet0:a:b.pcap", nic, &file), 0);
	CU_ASSERT_STRING_EQUAL(nic, "pvnet0");
	CU_ASSERT_STRING_EQUAL(file, "a:b.pcap");
	CU_ASSERT_EQUAL(trace_pcap_split("pvnet0", nic, &file), -EINVAL);
	CU_ASSERT_EQUAL(trace_pcap_split(":f", nic, &file), -EINVAL);
	CU_ASSERT_EQUAL(trace_pcap_split("pvnet0:", nic, &file), -EINVAL);
	CU_ASSERT_EQUAL(trace_pcap_split("averyveryverylongnic:f", nic, &file), -EINVAL);
}

static void test_cli(void)
{
	char *ok[] = { "hv", "run", "--trace", "t.json", "--pcap=pvnet0:n.pcap", "k", NULL };
	char *bad[] = { "hv", "run", "--pcap", "pvnet0", "k", NULL };
	char *empty[] = { "hv", "run", "--trace=", "k", NULL };
	struct hv_config cfg;
	char err[256];

	CU_ASSERT_EQUAL(cli_parse(6, ok, &cfg, err, sizeof(err)), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(cfg.trace_path, "t.json");
	CU_ASSERT_STRING_EQUAL(cfg.pcap, "pvnet0:n.pcap");
	CU_ASSERT_EQUAL(cli_parse(5, bad, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--pcap: 'pvnet0' is not NIC:FILE (e.g. pvnet0:out.pcap)");
	CU_ASSERT_EQUAL(cli_parse(4, empty, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--trace: no file given");
}

/* The tracepoint's names for both ISAs; as another user than root, nothing opened and why. */
static void test_kvm_exit(void)
{
	struct trace_kvmexit k;

	CU_ASSERT_STRING_EQUAL(trace_kvmexit_name(2, 0x7b), "io");
	CU_ASSERT_STRING_EQUAL(trace_kvmexit_name(1, 30), "io");
	CU_ASSERT_STRING_EQUAL(trace_kvmexit_name(2, 0x400), "npf");
	CU_ASSERT_PTR_NULL(trace_kvmexit_name(2, 30));
	CU_ASSERT_PTR_NULL(trace_kvmexit_name(0, 0x7b));
	trace_kvmexit_open(&k);
	if (geteuid() != 0) {
		CU_ASSERT_EQUAL(k.n, 0);
		CU_ASSERT_STRING_EQUAL(k.why_not, "hv is not root");
	}
	CU_ASSERT(k.n > 0 || k.why_not[0]);
	trace_kvmexit_close(&k);
	CU_ASSERT_EQUAL(k.n, 0);
}

static const CU_TestInfo tests[] = {
	{ "JSON: two threads' lanes, exits as B/E", test_json_two_threads },
	{ "a full event ring drops and counts", test_ring_full_drops },
	{ "pcap: records across the wrap, byte for byte", test_pcap_records },
	{ "pcap: a full frame ring drops and counts", test_pcap_full_drops },
	{ "pcap: only the chosen NIC", test_pcap_hook_selects },
	{ "files that cannot be created", test_open_errors },
	{ "--pcap NIC:FILE split", test_pcap_split },
	{ "--trace and --pcap parsing", test_cli },
	{ "kvm:kvm_exit: names, and no tracepoint without root", test_kvm_exit },
	CU_TEST_INFO_NULL,
};

int suite_trace(void)
{
	return add_suite("trace", tests);
}
