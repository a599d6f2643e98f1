/* --trace FILE and --pcap NIC:FILE from hv's configuration (trace.h does the work). */
#ifndef HV_TRACE_SETUP_H
#define HV_TRACE_SETUP_H

#include <stddef.h>

#include "trace/trace.h"

struct hv_config;
struct vm;

/*
 * With the devices created: finds the --pcap NIC by hv's name for it
 * (pvnet0, trapnet0) and opens the files (trace_open).  Nothing asked
 * for: 0 and nothing done.  0, or -errno with a one-line reason in err.
 */
int trace_setup(struct trace *t, const struct hv_config *cfg, const struct vm *vm,
		char *err, size_t errlen);

#endif
