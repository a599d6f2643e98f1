/*
 * The control API's fault-injection endpoints (docs/FAULTS.md): GET /faults
 * lists the seed and each device's rules with how often each fired; PUT
 * /faults/<device> replaces a device's rules, handed to the I/O thread
 * (fault_set_rules: the API thread never touches a decision).
 */
#ifndef HV_API_FAULTS_H
#define HV_API_FAULTS_H

#include "api/api.h"

void api_get_faults(struct api *a, const struct http_req *r, struct api_reply *out);
void api_put_faults(struct api *a, const struct http_req *r, struct api_reply *out);

#endif
