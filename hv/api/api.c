/* The control API's endpoint table and handlers. */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/faults.h"
#include "api/limits.h"
#include "api/metrics.h"
#include "cjson/cJSON.h"
#include "core/cli.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "snap/snap_api.h"
#include "snap/snapshot.h"

/* How long PUT /actions pause waits for the vCPU to park. */
#define API_PAUSE_TIMEOUT_MS 2000

void api_error(struct api_reply *out, int status, const char *why)
{
	cJSON *o = cJSON_CreateObject();

	out->status = status;
	out->content_type = "application/json";
	out->body = o && cJSON_AddStringToObject(o, "error", why) ? cJSON_PrintUnformatted(o) : NULL;
	out->len = out->body ? strlen(out->body) : 0;
	cJSON_Delete(o);
}

void api_json(struct api_reply *out, int status, char *json)
{
	if (!json) {
		api_error(out, 500, "hv ran out of memory for the reply.");
		return;
	}
	out->status = status;
	out->content_type = "application/json";
	out->body = json;
	out->len = strlen(json);
}

/* Prints o into out (status) and frees it. */
static void reply_object(struct api_reply *out, int status, cJSON *o)
{
	api_json(out, status, o ? cJSON_PrintUnformatted(o) : NULL);
	cJSON_Delete(o);
}

static const char *const state_names[] = {
	[VCPU_RUNNING] = "running",
	[VCPU_PAUSED] = "paused",
	[VCPU_EXITING] = "exiting",
};

static cJSON *state_object(struct api *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "state", state_names[vcpu_state(a->vcpu)]);
	return o;
}

static cJSON *string_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* A device's --verbose line, trimmed: it names the backend and its mode. */
static cJSON *describe(const struct vm_device *d)
{
	char *text = NULL, *p;
	size_t size = 0, n;
	FILE *f = open_memstream(&text, &size);
	cJSON *s;

	if (!f)
		return cJSON_CreateNull();
	d->kind->describe(f, d->dev);
	fclose(f);
	for (n = text ? strlen(text) : 0; n && (text[n - 1] == '\n' || text[n - 1] == ' '); n--)
		text[n - 1] = '\0';
	p = text ? text + strspn(text, " ") : NULL;
	if (p && !strncmp(p, "hv: ", 4)) /* --verbose's prefix */
		p += 4;
	s = string_or_null(p);
	free(text);
	return s;
}

/* The argument hv run was given for instance index of kind, or NULL (the UART). */
static const char *device_arg(const struct hv_config *cfg, const struct device_kind *k,
			      unsigned index)
{
	unsigned i, seen = 0;

	for (i = 0; i < cfg->nr_dev; i++)
		if (cfg->dev[i].kind == k && seen++ == index)
			return cfg->dev[i].arg;
	return NULL;
}

static cJSON *devices(const struct api *a)
{
	cJSON *arr = cJSON_CreateArray();
	unsigned i;

	for (i = 0; arr && i < a->vm->nr_dev; i++) {
		const struct vm_device *d = &a->vm->dev[i];
		cJSON *o = cJSON_CreateObject();
		char name[48];

		if (!d->kind || !o) {
			cJSON_Delete(o);
			continue;
		}
		snprintf(name, sizeof(name), "%s%u", d->kind->name, d->index);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "kind", d->kind->name);
		cJSON_AddItemToObject(o, "option", string_or_null(d->kind->option));
		cJSON_AddItemToObject(o, "arg", string_or_null(device_arg(a->cfg, d->kind, d->index)));
		cJSON_AddItemToObject(o, "description", describe(d));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* What hv run was given, as JSON: every option with its value (defaults included). */
static cJSON *config(const struct api *a)
{
	const struct hv_config *c = a->cfg;
	cJSON *o = cJSON_CreateObject(), *sb = cJSON_CreateObject();
	/* A restored VM's kernel, cmdline and RAM are its snapshot's, not the command line's. */
	const struct snap_origin *from = a->vm->origin;

	cJSON_AddStringToObject(o, "kernel", from ? from->kernel : c->kernel);
	cJSON_AddItemToObject(o, "restore", string_or_null(c->restore));
	cJSON_AddItemToObject(o, "initrd", string_or_null(from ? (*from->initrd ? from->initrd : NULL)
							      : c->initrd));
	cJSON_AddStringToObject(o, "cmdline", from ? from->cmdline : c->cmdline);
	cJSON_AddNumberToObject(o, "mem_bytes", (double)(c->restore ? a->vm->mem.size : c->mem));
	cJSON_AddNumberToObject(o, "vcpus", 1);
	if (c->timeout_ms)
		cJSON_AddNumberToObject(o, "timeout_s", (double)c->timeout_ms / 1000);
	else
		cJSON_AddNullToObject(o, "timeout_s");
	cJSON_AddNumberToObject(o, "io_poll_us", (double)c->io_poll_us);
	cJSON_AddBoolToObject(o, "io_batch", c->io_batch);
	cJSON_AddBoolToObject(o, "stats", c->stats);
	cJSON_AddBoolToObject(o, "verbose", c->verbose);
	cJSON_AddItemToObject(o, "api_sock", string_or_null(a->sock_path));
	cJSON_AddBoolToObject(sb, "enabled", !c->no_sandbox);
	cJSON_AddItemToObject(sb, "chroot", string_or_null(c->chroot_dir));
	if (c->set_ids) {
		cJSON_AddNumberToObject(sb, "uid", c->uid);
		cJSON_AddNumberToObject(sb, "gid", c->gid);
	} else {
		cJSON_AddNullToObject(sb, "uid");
		cJSON_AddNullToObject(sb, "gid");
	}
	cJSON_AddItemToObject(o, "sandbox", sb);
	cJSON_AddItemToObject(o, "devices", devices(a));
	return o;
}

static void get_vm(struct api *a, const struct http_req *r, struct api_reply *out)
{
	cJSON *o = state_object(a);

	(void)r;
	cJSON_AddNumberToObject(o, "paused_s", (double)vcpu_paused_ns(a->vcpu) / 1e9);
	cJSON_AddItemToObject(o, "config", config(a));
	reply_object(out, 200, o);
}

/* PUT /actions {"action_type": ...}: one action, by name, from a table. */
static int act_pause(struct api *a)
{
	return vcpu_pause(a->vcpu, API_PAUSE_TIMEOUT_MS, VCPU_BY_API);
}

static int act_resume(struct api *a)
{
	return vcpu_resume(a->vcpu, VCPU_BY_API);
}

static int act_shutdown(struct api *a)
{
	if (vcpu_state(a->vcpu) == VCPU_EXITING)
		return -ESRCH;
	vcpu_request_stop(a->vcpu, RUN_SHUTDOWN);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct api *a);
	const char *busy; /* the 409's sentence for -EBUSY */
} actions[] = {
	{ "pause", act_pause, "The VM is paused already." },
	{ "resume", act_resume, "The VM is not paused." },
	{ "shutdown", act_shutdown, "" },
};

static void put_actions(struct api *a, const struct http_req *r, struct api_reply *out)
{
	cJSON *body = cJSON_ParseWithLength(r->body, r->content_length);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "action_type");
	unsigned i;
	int rc;

	if (!body || !cJSON_IsObject(body)) {
		cJSON_Delete(body);
		return api_error(out, 400, "The body is not a JSON object.");
	}
	if (!cJSON_IsString(t)) {
		cJSON_Delete(body);
		return api_error(out, 400, "The body has no \"action_type\" string.");
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(t->valuestring, actions[i].name))
			break;
	cJSON_Delete(body);
	if (i == sizeof(actions) / sizeof(actions[0]))
		return api_error(out, 400, "Unknown action_type: pause, resume or shutdown.");
	rc = actions[i].fn(a);
	if (rc == -EBUSY)
		return api_error(out, 409, actions[i].busy);
	if (rc == -ESRCH)
		return api_error(out, 409, "The VM is exiting.");
	if (rc == -EPERM)
		return api_error(out, 409, "gdb has stopped the vCPU (--gdb): continue it from gdb.");
	if (rc == -ETIMEDOUT)
		return api_error(out, 503, "The vCPU did not stop within 2 s; the VM runs on.");
	if (rc)
		return api_error(out, 500, strerror(-rc));
	reply_object(out, 200, state_object(a));
}

/* ?format=json|prometheus, else Accept, else Prometheus text (what scrapers expect). */
static bool wants_json(const struct http_req *r)
{
	if (!strcmp(r->query, "format=json"))
		return true;
	if (!strcmp(r->query, "format=prometheus"))
		return false;
	return r->accept == HTTP_ACCEPT_JSON;
}

static void get_metrics(struct api *a, const struct http_req *r, struct api_reply *out)
{
	struct metrics ms = { 0 };
	bool json = wants_json(r);
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (r->query[0] && strcmp(r->query, "format=json") && strcmp(r->query, "format=prometheus"))
		return api_error(out, 400, "The query may only be format=json or format=prometheus.");
	rc = metrics_gather(a, &ms);
	if (!rc)
		text = json ? metrics_json(&ms, &len) : metrics_prometheus(&ms, &len);
	metrics_free(&ms);
	if (!text)
		return api_error(out, 500, rc ? strerror(-rc) : "hv ran out of memory for the reply.");
	out->status = 200;
	out->content_type = json ? "application/json" : "text/plain; version=0.0.4; charset=utf-8";
	out->body = text;
	out->len = len;
}

/* One line per endpoint; docs/API.md's table lists the same (tests/unit/test_api.c). */
const struct api_endpoint api_endpoints[] = {
	{ "GET", "/vm", get_vm, "The VM's state and the configuration hv run was given." },
	{ "PUT", "/actions", put_actions, "Pause, resume or shut down the VM." },
	{ "GET", "/metrics", get_metrics, "Counters: Prometheus text, or JSON." },
	{ "PUT", "/snapshot/create", snap_api_create, "On a paused VM: drain I/O, write the snapshot; it stays paused." },
	{ "GET", "/rate-limits", api_get_rate_limits, "Every queue's rate limit and refusals." },
	{ "PUT", "/rate-limits/{queue}", api_put_rate_limit,
	  "A queue's rate limit (pvblkN, pvnetN/rx, pvnetN/tx); 0: unlimited." },
	{ "GET", "/faults", api_get_faults, "The fault seed, each device's rules and how often they fired." },
	{ "PUT", "/faults/{device}", api_put_faults, "Replaces a device's fault rules (docs/FAULTS.md)." },
};
const unsigned api_endpoints_count = sizeof(api_endpoints) / sizeof(api_endpoints[0]);

/* A path, or one ending in "{name}": any non-empty rest after the prefix. */
static bool path_matches(const char *pattern, const char *path)
{
	const char *brace = strchr(pattern, '{');
	size_t n = brace ? (size_t)(brace - pattern) : 0;

	if (!brace)
		return !strcmp(pattern, path);
	return !strncmp(pattern, path, n) && path[n];
}

void api_dispatch(struct api *a, const struct http_req *r, struct api_reply *out)
{
	bool path_known = false;
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < api_endpoints_count; i++) {
		if (!path_matches(api_endpoints[i].path, r->path))
			continue;
		path_known = true;
		if (!strcmp(r->method, api_endpoints[i].method))
			return api_endpoints[i].fn(a, r, out);
	}
	if (path_known)
		api_error(out, 405, "That method is not allowed on this path.");
	else
		api_error(out, 404, "There is no such path (docs/API.md lists them).");
}
