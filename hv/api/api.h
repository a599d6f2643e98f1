/*
 * The control API's endpoints (--api-sock): one table of method, path and
 * handler, matched against a parsed request (http.h).  What the handlers
 * see of the VM is struct api; they answer with a status and a body.
 * docs/API.md's reference table is checked against api_endpoints[] by a
 * unit test (tests/unit/test_api.c).
 */
#ifndef HV_API_API_H
#define HV_API_API_H

#include <stddef.h>

#include "api/http.h"

struct hv_config;
struct vcpu;
struct vm;

/* What the API acts on; the pointers outlive the API thread. */
struct api {
	const struct hv_config *cfg; /* what hv run was given */
	struct vm *vm;
	struct vcpu *vcpu;
	const char *sock_path;
};

/* A reply: status, type and a body from malloc (NULL: none). */
struct api_reply {
	int status;
	const char *content_type;
	char *body;
	size_t len;
};

typedef void (*api_fn)(struct api *a, const struct http_req *r, struct api_reply *out);

struct api_endpoint {
	const char *method;
	const char *path;
	api_fn fn;
	const char *summary; /* docs/API.md's table says the same */
};

extern const struct api_endpoint api_endpoints[];
extern const unsigned api_endpoints_count;

/*
 * Answers one request: the endpoint's handler, or 404 (no such path) or
 * 405 (the path, another method).  out->body is the caller's to free.
 */
void api_dispatch(struct api *a, const struct http_req *r, struct api_reply *out);

/* An error reply: status and {"error": "<why>"}. */
void api_error(struct api_reply *out, int status, const char *why);

/* A JSON reply whose body text (from malloc) becomes out's; NULL: 500. */
void api_json(struct api_reply *out, int status, char *json);

#endif
