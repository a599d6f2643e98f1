/* Exit counts over a workload for blkbench and netcost (include/exitspan.h). */
#include "exitspan.h"

#include "hypercall.h"
#include "lib.h"

/* JSON names of HV_EXIT_KIND_*, the host's report reads them by these. */
static const char *const kind_name[HV_EXIT_KINDS] = {
	[HV_EXIT_KIND_IO] = "io",
	[HV_EXIT_KIND_MMIO] = "mmio",
	[HV_EXIT_KIND_HALT] = "halt",
	[HV_EXIT_KIND_IRQ] = "irq",
	[HV_EXIT_KIND_IRQ_WINDOW] = "irq_window",
	[HV_EXIT_KIND_EMUL] = "emul",
	[HV_EXIT_KIND_HYPERCALL] = "hypercall",
	[HV_EXIT_KIND_SIGNAL] = "signal",
};

void exit_span_begin(struct hv_exit_count *e0)
{
	hv_exit_count(e0);
}

/* e1 - e0, or -1 when hv could not read the counter. */
static int64_t delta(uint64_t v0, uint64_t v1, uint64_t own)
{
	return v0 == ~0ull || v1 == ~0ull ? -1 : (int64_t)(v1 - v0 - own);
}

void exit_span_end(const struct hv_exit_count *e0, struct exit_span *s)
{
	struct hv_exit_count e1;
	unsigned i;

	hv_exit_count(&e1);
	/* The second read is one port-I/O exit of its own: not the workload's. */
	s->kvm_exits = delta(e0->kvm_exits, e1.kvm_exits, 1);
	s->kvm_irqs = delta(e0->kvm_irqs, e1.kvm_irqs, 0);
	for (i = 0; i < HV_EXIT_KINDS; i++)
		s->kind[i] = delta(e0->kind[i], e1.kind[i], i == HV_EXIT_KIND_IO);
	s->hv_exits = e1.hv_exits - e0->hv_exits - 1;
	s->cpu_ns = e1.cpu_ns - e0->cpu_ns;
}

void exit_span_kinds_json(const struct exit_span *s, char *buf, unsigned len)
{
	unsigned i, n = 0;

	for (i = 0; i < HV_EXIT_KINDS && n < len; i++)
		n += (unsigned)snprintf(buf + n, len - n, "%s\"%s\":%ld", i ? "," : "{",
					kind_name[i], (long)s->kind[i]);
	if (n < len)
		snprintf(buf + n, len - n, "}");
}
