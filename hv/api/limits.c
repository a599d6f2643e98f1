/* GET /rate-limits and PUT /rate-limits/<device>[/<dir>] (limits.h). */
#include "api/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cjson/cJSON.h"
#include "core/vm.h"
#include "io/qlimit.h"
#include "pv/pvq.h"

#define LIMITS_PREFIX "/rate-limits/"

/* The JSON keys, each with its field of struct rate_set and its maximum. */
static const struct {
	const char *key;
	size_t off;
	uint64_t max;
} fields[] = {
	{ "bytes_per_s", offsetof(struct rate_set, bytes_per_s), TBUCKET_RATE_MAX },
	{ "ops_per_s", offsetof(struct rate_set, ops_per_s), TBUCKET_RATE_MAX },
	{ "bytes_burst", offsetof(struct rate_set, bytes_burst), TBUCKET_BURST_MAX },
	{ "ops_burst", offsetof(struct rate_set, ops_burst), TBUCKET_BURST_MAX },
};

static uint64_t *field(struct rate_set *r, unsigned i)
{
	return (uint64_t *)((char *)r + fields[i].off);
}

/* A queue's setting and what it refused, as JSON. */
static cJSON *limit_object(struct pvq *q)
{
	cJSON *o = cJSON_CreateObject();
	struct rate_set r;
	unsigned i;

	qlimit_get(&q->rl, &r);
	for (i = 0; o && i < sizeof(fields) / sizeof(fields[0]); i++)
		cJSON_AddNumberToObject(o, fields[i].key, (double)*field(&r, i));
	cJSON_AddNumberToObject(o, "throttled", (double)qlimit_throttled(&q->rl));
	cJSON_AddNumberToObject(o, "throttled_s", (double)qlimit_throttled_ns(&q->rl) / 1e9);
	return o;
}

static const char *const dirs[] = { "", "rx", "tx" };

void api_get_rate_limits(struct api *a, const struct http_req *r, struct api_reply *out)
{
	cJSON *o = cJSON_CreateObject();
	unsigned i, j;

	(void)r;
	for (i = 0; o && i < a->vm->nr_dev; i++) {
		const struct vm_device *d = &a->vm->dev[i];

		for (j = 0; d->kind && d->kind->limit_queue && j < sizeof(dirs) / sizeof(dirs[0]);
		     j++) {
			struct pvq *q = d->kind->limit_queue(d->dev, dirs[j]);
			char name[48];

			if (!q)
				continue;
			snprintf(name, sizeof(name), "%s%u%s%s", d->kind->name, d->index,
				 *dirs[j] ? "/" : "", dirs[j]);
			cJSON_AddItemToObject(o, name, limit_object(q));
		}
	}
	api_json(out, 200, o ? cJSON_PrintUnformatted(o) : NULL);
	cJSON_Delete(o);
}

/* The queue path names ("pvblk0", "pvnet0/rx"), or NULL. */
static struct pvq *queue_of(struct api *a, const char *path)
{
	const char *slash = strchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	unsigned i;

	for (i = 0; i < a->vm->nr_dev; i++) {
		const struct vm_device *d = &a->vm->dev[i];
		char name[48];

		if (!d->kind || !d->kind->limit_queue)
			continue;
		snprintf(name, sizeof(name), "%s%u", d->kind->name, d->index);
		if (slash && !slash[1])
			return NULL;
		if (strlen(name) == n && !strncmp(name, path, n))
			return d->kind->limit_queue(d->dev, slash ? slash + 1 : "");
	}
	return NULL;
}

/* The body's settings into *s; NULL, or the 400's sentence. */
static const char *parse_body(const cJSON *body, struct rate_set *s)
{
	const cJSON *it;
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(body))
		return "The body is not a JSON object.";
	cJSON_ArrayForEach(it, body) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (it->string && !strcmp(it->string, fields[i].key))
				break;
		if (i == sizeof(fields) / sizeof(fields[0]))
			return "Unknown key: bytes_per_s, ops_per_s, bytes_burst or ops_burst only.";
		/* Integers only, exactly representable (2^53 is above every maximum). */
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
		    it->valuedouble > (double)fields[i].max ||
		    it->valuedouble != (double)(uint64_t)it->valuedouble)
			return "Each value is a whole number from 0 (unlimited) to the maximum "
			       "(2^40 a second, 2^32 for a burst).";
		*field(s, i) = (uint64_t)it->valuedouble;
	}
	if (rate_set_check(s))
		return "A burst needs its rate.";
	return NULL;
}

void api_put_rate_limit(struct api *a, const struct http_req *r, struct api_reply *out)
{
	struct pvq *q = queue_of(a, r->path + strlen(LIMITS_PREFIX));
	cJSON *body;
	struct rate_set s;
	const char *bad;
	int rc;

	if (!q)
		return api_error(out, 404, "No such queue: pvblkN, or pvnetN/rx or pvnetN/tx "
					   "(GET /rate-limits lists them).");
	body = cJSON_ParseWithLength(r->body, r->content_length);
	bad = parse_body(body, &s);
	cJSON_Delete(body);
	if (bad)
		return api_error(out, 400, bad);
	rc = pvq_set_limit(q, &s);
	if (rc)
		return api_error(out, 500, strerror(-rc));
	body = limit_object(q);
	api_json(out, 200, body ? cJSON_PrintUnformatted(body) : NULL);
	cJSON_Delete(body);
}
