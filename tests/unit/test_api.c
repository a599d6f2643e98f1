/*
 * The control API (hv/api/): the endpoint table against docs/API.md, each
 * endpoint's replies and errors on a real machine model (a null disk, the
 * I/O thread, no KVM), the metrics' two formats (the --stats line parser:
 * test_metrics.c), the command line (--api-sock, hv ctl), and the server on a real Unix
 * socket: mode 0600 whatever the umask, the paths it refuses, a slow
 * client cut off and the next one served, a client that leaves halfway,
 * an oversized request, hv ctl's statuses, the socket removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/ctl.h"
#include "api/metrics.h"
#include "api/server.h"
#include "cjson/cJSON.h"
#include "core/cli.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "kvm/kvm.h"
#include "pv/pvblk_back.h"
#include "suites.h"
#include "ut.h"

struct fixture {
	struct hv_config cfg;
	struct vm *vm;
	struct kvm_vm kvm;
	struct vcpu v;
	struct api api;
};

static void fixture_init(struct fixture *f)
{
	char *const argv[] = { "hv", "run", "--mem", "32M", "--disk", "null:1M", "--api-sock",
			       "/tmp/sock", "--io-poll", "5", "k", "--", "hello", NULL };
	char err[256];

	memset(f, 0, sizeof(*f));
	CU_ASSERT_EQUAL_FATAL(cli_parse(13, argv, &f->cfg, err, sizeof(err)), CLI_RUN);
	f->vm = ut_vm_with(32ull << 20, &pvblk_back_kind, "null:1M");
	f->kvm.run = calloc(1, sizeof(*f->kvm.run));
	f->kvm.vm_stats.fd = f->kvm.vcpu_stats.fd = -1;
	f->v.kvm = &f->kvm;
	f->v.vm = f->vm;
	CU_ASSERT_EQUAL_FATAL(vcpu_prepare_stop(&f->v), 0);
	f->api = (struct api){ &f->cfg, f->vm, &f->v, "/tmp/sock" };
}

static void fixture_free(struct fixture *f)
{
	ut_vm_free(f->vm);
	free(f->kvm.run);
}

/* One raw request through the parser and the table. */
static struct api_reply call(struct fixture *f, const char *raw)
{
	struct api_reply out = { 0 };
	struct http_req r;

	CU_ASSERT_EQUAL_FATAL(http_parse(raw, strlen(raw), &r), 1);
	api_dispatch(&f->api, &r, &out);
	return out;
}

static cJSON *call_json(struct fixture *f, const char *raw, int want_status)
{
	struct api_reply out = call(f, raw);
	cJSON *j;

	CU_ASSERT_EQUAL(out.status, want_status);
	CU_ASSERT_STRING_EQUAL(out.content_type, "application/json");
	j = cJSON_ParseWithLength(out.body, out.len);
	CU_ASSERT_PTR_NOT_NULL(j);
	free(out.body);
	return j;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(i) ? i->valuestring : "(none)";
}

static void test_get_vm(void)
{
	struct fixture f;
	cJSON *j, *c, *d;

	fixture_init(&f);
	j = call_json(&f, "GET /vm HTTP/1.1\r\n\r\n", 200);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "running");
	c = cJSON_GetObjectItemCaseSensitive(j, "config");
	CU_ASSERT_STRING_EQUAL(str(c, "kernel"), "k");
	CU_ASSERT_STRING_EQUAL(str(c, "cmdline"), "hello");
	CU_ASSERT_STRING_EQUAL(str(c, "api_sock"), "/tmp/sock");
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "mem_bytes")), 32 << 20);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "io_poll_us")), 5);
	CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(c, "io_batch")));
	CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "sandbox"), "enabled")));
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "devices"), 1);
	CU_ASSERT_STRING_EQUAL(str(d, "name"), "pvblk0");
	CU_ASSERT_STRING_EQUAL(str(d, "option"), "--disk");
	CU_ASSERT_STRING_EQUAL(str(d, "arg"), "null:1M");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(d, "description"), "null"));
	CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "devices"), 0), "name"),
			       "uart0");
	cJSON_Delete(j);
	fixture_free(&f);
}

static void expect_error(struct fixture *f, const char *raw, int status)
{
	cJSON *j = call_json(f, raw, status);

	CU_ASSERT(strlen(str(j, "error")) > 10);
	cJSON_Delete(j);
}

/* A PUT of body to path, as raw HTTP. */
static const char *put_req(const char *path, const char *body)
{
	static char req[512];

	snprintf(req, sizeof(req), "PUT %s HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", path,
		 strlen(body), body);
	return req;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(i) ? i->valuedouble : -1;
}

/*
 * GET /rate-limits and PUT /rate-limits/{queue}: the setting goes to the
 * queue's handover (not its buckets) and rings its doorbell; bad names and
 * values are refused with the documented statuses.
 */
static void test_rate_limits(void)
{
	static const char *const bad[] = {
		"[]", "{\"x\":1}", "{\"bytes_per_s\":-1}", "{\"bytes_per_s\":1.5}",
		"{\"bytes_per_s\":\"1M\"}", "{\"bytes_burst\":5}", "{\"ops_per_s\":2e12}",
		"{\"ops_per_s\":10,\"ops_burst\":5e9}",
	};
	struct pvblk_back *b = NULL;
	struct fixture f;
	struct rate_set r;
	cJSON *j;
	unsigned i;
	uint64_t kicks;

	fixture_init(&f);
	for (i = 0; i < f.vm->nr_dev; i++)
		if (f.vm->dev[i].kind == &pvblk_back_kind)
			b = f.vm->dev[i].dev;
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	j = call_json(&f, "GET /rate-limits HTTP/1.1\r\n\r\n", 200);
	CU_ASSERT_EQUAL(num(cJSON_GetObjectItemCaseSensitive(j, "pvblk0"), "bytes_per_s"), 0);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 1);
	cJSON_Delete(j);
	expect_error(&f, put_req("/rate-limits/pvblk1", "{}"), 404);
	expect_error(&f, put_req("/rate-limits/pvblk0/rx", "{}"), 404);
	expect_error(&f, put_req("/rate-limits/pvblk0/", "{}"), 404);
	expect_error(&f, put_req("/rate-limits/", "{}"), 404);
	expect_error(&f, "GET /rate-limits/pvblk0 HTTP/1.1\r\n\r\n", 405);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(&f, put_req("/rate-limits/pvblk0", bad[i]), 400);
	CU_ASSERT_FALSE(qlimit_pending(&b->q.rl));
	kicks = __atomic_load_n(&b->q.src.kicks, __ATOMIC_ACQUIRE);
	j = call_json(&f, put_req("/rate-limits/pvblk0",
				  "{\"bytes_per_s\":1048576,\"ops_per_s\":2000,\"bytes_burst\":65536}"),
		      200);
	CU_ASSERT_EQUAL(num(j, "bytes_per_s"), 1048576);
	CU_ASSERT_EQUAL(num(j, "ops_per_s"), 2000);
	CU_ASSERT_EQUAL(num(j, "bytes_burst"), 65536);
	CU_ASSERT_EQUAL(num(j, "ops_burst"), 0);
	cJSON_Delete(j);
	/* Handed over, not applied: the I/O thread's limit is untouched until it serves the queue. */
	CU_ASSERT_TRUE(qlimit_pending(&b->q.rl));
	CU_ASSERT_PTR_NULL(b->q.limit);
	qlimit_get(&b->q.rl, &r);
	CU_ASSERT_EQUAL(r.bytes_per_s, 1048576);
	/* The doorbell rang: the fixture's I/O thread takes it (the queue is detached, so
	 * the setting stays pending); reading the eventfd here would race that thread. */
	CU_ASSERT_TRUE(EVENTUALLY(__atomic_load_n(&b->q.src.kicks, __ATOMIC_ACQUIRE) > kicks));
	j = call_json(&f, "GET /rate-limits HTTP/1.1\r\n\r\n", 200);
	CU_ASSERT_EQUAL(num(cJSON_GetObjectItemCaseSensitive(j, "pvblk0"), "ops_per_s"), 2000);
	cJSON_Delete(j);
	fixture_free(&f);
}

#define PUT(body) "PUT /actions HTTP/1.1\r\nContent-Length: " #body "\r\n\r\n"

static void test_actions(void)
{
	static char req[256];
	struct fixture f;
	cJSON *j;

	fixture_init(&f);
	expect_error(&f, "GET /nowhere HTTP/1.1\r\n\r\n", 404);
	expect_error(&f, "GET /actions HTTP/1.1\r\n\r\n", 405);
	expect_error(&f, "DELETE /vm HTTP/1.1\r\n\r\n", 405);
	expect_error(&f, "PUT /actions HTTP/1.1\r\nContent-Length: 3\r\n\r\n{x}", 400);
	expect_error(&f, "PUT /actions HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]", 400);
	expect_error(&f, "PUT /actions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400);
	snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: 24\r\n\r\n"
				   "{\"action_type\":\"reboot\"}");
	expect_error(&f, req, 400);
	snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: 24\r\n\r\n"
				   "{\"action_type\":\"resume\"}");
	expect_error(&f, req, 409); /* running, not paused */
	snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: 26\r\n\r\n"
				   "{\"action_type\":\"shutdown\"}");
	j = call_json(&f, req, 200);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "exiting");
	cJSON_Delete(j);
	CU_ASSERT_EQUAL(f.v.stop_requested, RUN_SHUTDOWN);
	CU_ASSERT_EQUAL(f.kvm.run->immediate_exit, 1); /* the kick */
	expect_error(&f, req, 409); /* exiting already */
	snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: 23\r\n\r\n"
				   "{\"action_type\":\"pause\"}");
	expect_error(&f, req, 409);
	fixture_free(&f);
}

/* Prometheus text: every sample's family was announced (HELP, TYPE), counters end in _total. */
static void check_prometheus(const char *text)
{
	char family[METRIC_NAME_MAX] = "", type[16] = "";
	const char *line = text;
	unsigned samples = 0;

	while (*line) {
		const char *eol = strchr(line, '\n');
		char name[METRIC_NAME_MAX];
		unsigned long long v;

		CU_ASSERT_PTR_NOT_NULL_FATAL(eol);
		if (!strncmp(line, "# TYPE ", 7)) {
			CU_ASSERT_EQUAL(sscanf(line, "# TYPE %95s %15s", family, type), 2);
		} else if (line[0] != '#') {
			CU_ASSERT_EQUAL(sscanf(line, "%95[a-z0-9_:]", name), 1);
			if (!strcmp(type, "histogram")) { /* family_bucket, _sum, _count */
				size_t n = strlen(family);

				CU_ASSERT(!strncmp(name, family, n) &&
					  (!strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") ||
					   !strcmp(name + n, "_count")));
			} else {
				CU_ASSERT_STRING_EQUAL(name, family);
			}
			CU_ASSERT(strcmp(type, "counter") ||
				  !strcmp(name + strlen(name) - 6, "_total"));
			CU_ASSERT(sscanf(strrchr(line, ' ') + 1, "%llu", &v) == 1);
			samples++;
		}
		line = eol + 1;
	}
	CU_ASSERT(samples > 10);
}

static void test_metrics(void)
{
	struct fixture f;
	struct api_reply out;
	cJSON *j, *fam;

	fixture_init(&f);
	out = call(&f, "GET /metrics HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(out.status, 200);
	CU_ASSERT_STRING_EQUAL(out.content_type, "text/plain; version=0.0.4; charset=utf-8");
	CU_ASSERT_EQUAL_FATAL(strlen(out.body), out.len);
	check_prometheus(out.body);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\nhv_device_requests_total{device=\"pvblk0\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\nhv_exits_total{reason=\"io\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\nhv_hypercalls_total{call=\"exit\"} 0\n"));
	free(out.body);
	j = call_json(&f, "GET /metrics HTTP/1.1\r\nAccept: application/json\r\n\r\n", 200);
	fam = cJSON_GetObjectItem(j, "hv_device_doorbells_total");
	CU_ASSERT_STRING_EQUAL(str(fam, "type"), "counter");
	CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(fam,
		"samples"), 0), "labels"), "device"), "pvblk0");
	cJSON_Delete(j);
	j = call_json(&f, "GET /metrics?format=json HTTP/1.1\r\nAccept: text/plain\r\n\r\n", 200);
	CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(j, "hv_vm_paused"));
	cJSON_Delete(j);
	out = call(&f, "GET /metrics?format=prometheus HTTP/1.1\r\nAccept: application/json\r\n\r\n");
	CU_ASSERT_STRING_EQUAL(out.content_type, "text/plain; version=0.0.4; charset=utf-8");
	free(out.body);
	expect_error(&f, "GET /metrics?format=xml HTTP/1.1\r\n\r\n", 400);
	fixture_free(&f);
}

/* docs/API.md's reference table and api_endpoints[] list the same endpoints. */
static void test_docs_table(void)
{
	FILE *f = fopen("docs/API.md", "r");
	char line[512], method[16], path[128];
	bool seen[64] = { false };
	unsigned i, rows = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_FATAL(api_endpoints_count <= 64);
	while (fgets(line, sizeof(line), f)) {
		bool found = false;

		if (sscanf(line, "| `%15[A-Z]` | `%127[^`]` |", method, path) != 2)
			continue;
		rows++;
		for (i = 0; i < api_endpoints_count; i++)
			if (!strcmp(api_endpoints[i].method, method) &&
			    !strcmp(api_endpoints[i].path, path))
				found = seen[i] = true;
		if (!found)
			fprintf(stderr, "docs/API.md lists %s %s, which hv does not serve\n", method, path);
		CU_ASSERT(found);
	}
	fclose(f);
	for (i = 0; i < api_endpoints_count; i++) {
		if (!seen[i])
			fprintf(stderr, "docs/API.md does not list %s %s\n", api_endpoints[i].method,
				api_endpoints[i].path);
		CU_ASSERT(seen[i]);
	}
	CU_ASSERT_EQUAL(rows, api_endpoints_count);
}

static void test_cli(void)
{
	char *const ctl[] = { "hv", "ctl", "/tmp/s", "pause", NULL };
	char *const ctl_short[] = { "hv", "ctl", "/tmp/s", NULL };
	char *const ctl_snap[] = { "hv", "ctl", "/tmp/s", "snapshot", "/tmp/a b\"c", NULL };
	char *const empty[] = { "hv", "run", "--api-sock=", "k", NULL };
	char long_path[200], opt[220];
	char *const too_long[] = { "hv", "run", opt, "k", NULL };
	struct hv_config c;
	char err[256];

	CU_ASSERT_EQUAL(cli_parse(4, ctl, &c, err, sizeof(err)), CLI_CTL);
	CU_ASSERT_STRING_EQUAL(c.ctl_sock, "/tmp/s");
	CU_ASSERT_STRING_EQUAL(c.ctl_cmd, "pause");
	CU_ASSERT_PTR_NULL(c.ctl_arg);
	CU_ASSERT_EQUAL(cli_parse(5, ctl_snap, &c, err, sizeof(err)), CLI_CTL);
	CU_ASSERT_STRING_EQUAL(c.ctl_arg, "/tmp/a b\"c");
	CU_ASSERT_EQUAL(cli_parse(3, ctl_short, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "hv ctl SOCK COMMAND"));
	CU_ASSERT_EQUAL(cli_parse(4, empty, &c, err, sizeof(err)), -EINVAL);
	memset(long_path, 'a', 108);
	long_path[108] = '\0';
	snprintf(opt, sizeof(opt), "--api-sock=/%s", long_path);
	CU_ASSERT_EQUAL(cli_parse(4, too_long, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 107 bytes"));
	{
		FILE *null = fopen("/dev/null", "w");
		CU_ASSERT_EQUAL(api_ctl("/tmp/s", "reboot", NULL, stdout, null), 2);
		/* snapshot needs its PATH, and the others take none: 2 before connecting. */
		CU_ASSERT_EQUAL(api_ctl("/tmp/s", "snapshot", NULL, stdout, null), 2);
		CU_ASSERT_EQUAL(api_ctl("/tmp/s", "pause", "/x", stdout, null), 2);
		fclose(null);
	}
}

/* ---- the server, on a real socket ------------------------------------------ */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whatever the server sends until it closes, as a string (static). */
static const char *read_reply(int fd)
{
	static char buf[65536];
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* hv ctl's output and status against the server. */
static int ctl(const char *sock, const char *cmd, char **out)
{
	size_t size;
	FILE *o = open_memstream(out, &size), *e = fopen("/dev/null", "w");
	int rc = api_ctl(sock, cmd, NULL, o, e);

	fclose(o);
	fclose(e);
	return rc;
}

static void test_server(void)
{
	char dir[] = "/tmp/hv-ut-api-XXXXXX", path[64], file[64], err[256], *out;
	struct api_server s = { 0 }, s2 = { 0 };
	struct fixture f;
	struct stat st;
	mode_t old;
	double t0;
	int fd;

	fixture_init(&f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	/* Not a socket: refused, and left alone. */
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	close(fd);
	CU_ASSERT_EQUAL(api_server_open(&s, file, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a socket"));
	CU_ASSERT_EQUAL(stat(file, &st), 0);
	unlink(file);
	/* Owner-only whatever the umask. */
	old = umask(0);
	CU_ASSERT_EQUAL_FATAL(api_server_open(&s, path, err, sizeof(err)), 0);
	umask(old);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	s.api = f.api;
	CU_ASSERT_EQUAL_FATAL(api_server_start(&s), 0);
	/* Another hv answering there: refused. */
	CU_ASSERT_EQUAL(api_server_open(&s2, path, err, sizeof(err)), -EADDRINUSE);

	CU_ASSERT_EQUAL(ctl(path, "vm", &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"state\":\"running\""));
	free(out);
	CU_ASSERT_EQUAL(ctl(path, "resume", &out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"error\":\"The VM is not paused.\""));
	free(out);
	CU_ASSERT_EQUAL(ctl(path, "metrics", &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE hv_exits_total counter"));
	free(out);

	/* A client that leaves halfway costs nothing: the next is served. */
	fd = connect_to(path);
	CU_ASSERT(write(fd, "GET /vm HTTP/1.1\r\nHo", 20) == 20);
	close(fd);
	/* Oversized: 431, at once. */
	fd = connect_to(path);
	{
		static char big[HTTP_MAX_REQUEST + 4096];
		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /vm HTTP/1.1\r\nX: ", 21);
		CU_ASSERT(send(fd, big, sizeof(big), MSG_NOSIGNAL | MSG_DONTWAIT) > 0);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(read_reply(fd), "HTTP/1.1 431 "));
	close(fd);
	/* Slow: cut off at the deadline with 408, then the next client is served. */
	t0 = now_s();
	fd = connect_to(path);
	CU_ASSERT(write(fd, "GET /vm HTTP/1.1\r\n", 18) == 18);
	CU_ASSERT_PTR_NOT_NULL(strstr(read_reply(fd), "HTTP/1.1 408 Request Timeout"));
	CU_ASSERT(now_s() - t0 >= API_DEADLINE_MS / 1000.0 - 0.05);
	CU_ASSERT(now_s() - t0 < API_DEADLINE_MS / 1000.0 + 2);
	close(fd);
	CU_ASSERT_EQUAL(ctl(path, "vm", &out), 0);
	free(out);
	/* A client that never reads its reply does not hold the server either. */
	fd = connect_to(path);
	CU_ASSERT(write(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25) == 25);
	CU_ASSERT_EQUAL(ctl(path, "vm", &out), 0);
	free(out);
	close(fd);

	api_server_stop(&s);
	CU_ASSERT_EQUAL(lstat(path, &st), -1); /* removed */
	CU_ASSERT_EQUAL(ctl(path, "vm", &out), 3);
	free(out);
	/* A stale socket (its hv gone, the file left) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	CU_ASSERT_EQUAL(api_server_open(&s2, path, err, sizeof(err)), 0);
	api_server_stop(&s2);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
	rmdir(dir);
	fixture_free(&f);
}

int suite_api(void)
{
	static const CU_TestInfo t[] = {
		{ "GET /vm: state and configuration", test_get_vm },
		{ "PUT /actions and the error replies", test_actions },
		{ "GET /metrics: Prometheus text and JSON", test_metrics },
		{ "docs/API.md lists the endpoint table", test_docs_table },
		{ "GET and PUT /rate-limits", test_rate_limits },
		{ "--api-sock and hv ctl on the command line", test_cli },
		{ "the server on a real socket", test_server },
		CU_TEST_INFO_NULL,
	};
	return add_suite("api", t);
}
