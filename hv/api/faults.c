/* GET /faults and PUT /faults/<device> (faults.h). */
#include "api/faults.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cjson/cJSON.h"
#include "core/vm.h"
#include "fault/fault.h"

#define FAULTS_PREFIX "/faults/"

/* One device's rules (as --fault writes them) and counts; under the plan's lock. */
static cJSON *device_object(const struct fault_dev *d)
{
	cJSON *o = cJSON_CreateObject(), *rules = cJSON_AddArrayToObject(o, "rules");
	unsigned i;

	for (i = 0; rules && i < d->nr; i++) {
		const struct fault_rule *r = &d->rule[i];
		cJSON *x = cJSON_CreateObject();
		char text[96];

		fault_rule_text(r, text, sizeof(text));
		cJSON_AddStringToObject(x, "rule", text);
		cJSON_AddNumberToObject(x, "fired",
					(double)__atomic_load_n(&d->fired[r->action], __ATOMIC_RELAXED));
		cJSON_AddItemToArray(rules, x);
	}
	cJSON_AddBoolToObject(o, "pending", __atomic_load_n(&d->next_ready, __ATOMIC_RELAXED));
	cJSON_AddNumberToObject(o, "requests", (double)__atomic_load_n(&d->seq, __ATOMIC_RELAXED));
	cJSON_AddNumberToObject(o, "interrupts",
				(double)__atomic_load_n(&d->irq_seq, __ATOMIC_RELAXED));
	if (strstr(d->name, "net")) /* a NIC: "requests" are the frames it sent */
		cJSON_AddNumberToObject(o, "received",
					(double)__atomic_load_n(&d->rx_seq, __ATOMIC_RELAXED));
	return o;
}

static cJSON *faults_object(struct fault_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *devs;
	char seed[24];
	unsigned i;

	if (!o)
		return NULL;
	if (!p) {
		cJSON_AddNullToObject(o, "seed");
		cJSON_AddObjectToObject(o, "devices");
		return o;
	}
	/* A string: JSON numbers lose 64-bit seeds. */
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)p->seed);
	cJSON_AddStringToObject(o, "seed", seed);
	devs = cJSON_AddObjectToObject(o, "devices");
	pthread_mutex_lock(&p->lock);
	for (i = 0; devs && i < p->nr; i++)
		if (p->dev[i].claimed)
			cJSON_AddItemToObject(devs, p->dev[i].name, device_object(&p->dev[i]));
	pthread_mutex_unlock(&p->lock);
	return o;
}

void api_get_faults(struct api *a, const struct http_req *r, struct api_reply *out)
{
	cJSON *o = faults_object(a->vm->faults);

	(void)r;
	api_json(out, 200, o ? cJSON_PrintUnformatted(o) : NULL);
	cJSON_Delete(o);
}

void api_put_faults(struct api *a, const struct http_req *r, struct api_reply *out)
{
	const char *name = r->path + strlen(FAULTS_PREFIX);
	cJSON *body = cJSON_ParseWithLength(r->body, r->content_length), *rules, *o;
	char err[512];
	int rc;

	rules = cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "rules") : NULL;
	if (!cJSON_IsString(rules) || cJSON_GetArraySize(body) != 1) {
		cJSON_Delete(body);
		return api_error(out, 400, "The body is {\"rules\": \"RULE[,RULE...]\"} (\"\": none).");
	}
	rc = fault_set_rules(a->vm->faults, name, rules->valuestring, err, sizeof(err));
	cJSON_Delete(body);
	if (rc == -ENODEV)
		return api_error(out, 409, err);
	if (rc)
		return api_error(out, 400, err);
	o = faults_object(a->vm->faults);
	api_json(out, 200, o ? cJSON_PrintUnformatted(o) : NULL);
	cJSON_Delete(o);
}
