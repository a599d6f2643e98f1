/*
 * The control API's rate-limit endpoints: GET /rate-limits lists every
 * queue that can have one with its setting and refusals; PUT
 * /rate-limits/<device>[/rx|tx] hands a new setting to the I/O thread
 * (pvq_set_limit: the API thread never touches a bucket).
 */
#ifndef HV_API_LIMITS_H
#define HV_API_LIMITS_H

#include "api/api.h"

void api_get_rate_limits(struct api *a, const struct http_req *r, struct api_reply *out);
void api_put_rate_limit(struct api *a, const struct http_req *r, struct api_reply *out);

#endif
