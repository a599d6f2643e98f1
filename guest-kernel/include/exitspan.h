/*
 * What a benchmark program reports of hv's exit counters over a workload
 * (programs/exitspan.c): HV_HC_EXIT_COUNT read once before and once after,
 * less the second read's own exit, so the figures are the workload's alone.
 */
#ifndef GK_EXITSPAN_H
#define GK_EXITSPAN_H

#include <stdint.h>

#include "hv_abi.h"

struct exit_span {
	int64_t kvm_exits;            /* -1: KVM's statistics unreadable */
	int64_t kvm_irqs;             /* -1: unknown */
	int64_t kind[HV_EXIT_KINDS];  /* by HV_EXIT_KIND_*; -1: unknown */
	uint64_t hv_exits;
	uint64_t cpu_ns;
};

/* Starts a span: the first read. */
void exit_span_begin(struct hv_exit_count *e0);
/* Ends it: the second read, and the differences into s. */
void exit_span_end(const struct hv_exit_count *e0, struct exit_span *s);
/* s's kinds as a JSON object, {"io":N,"mmio":N,...}, into buf (len bytes). */
void exit_span_kinds_json(const struct exit_span *s, char *buf, unsigned len);

#endif
