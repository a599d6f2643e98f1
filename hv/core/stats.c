/* Prints hv's and KVM's exit counters side by side. */
#include "core/stats.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* Bytes of guest RAM the host has backed with pages (the guest touched them). */
static uint64_t guest_resident(const struct guest_mem *gm)
{
	enum { CHUNK = 1 << 16 }; /* pages per mincore call */
	unsigned char vec[CHUNK];
	uint64_t off, pages = 0, page = (uint64_t)sysconf(_SC_PAGESIZE);

	for (off = 0; off < gm->size; off += (uint64_t)CHUNK * page) {
		uint64_t len = gm->size - off, n, i;
		if (len > (uint64_t)CHUNK * page)
			len = (uint64_t)CHUNK * page;
		if (mincore(gm->host + off, len, vec))
			return 0;
		n = (len + page - 1) / page;
		for (i = 0; i < n; i++)
			pages += vec[i] & 1;
	}
	return pages * page;
}

/* Nonzero KVM counters, prefixed "kvm "; the vCPU's "exits" counts them all. */
static void print_kvm(FILE *f, const char *scope, const struct kvm_stats *s)
{
	uint64_t *val;
	unsigned i;

	if (s->fd < 0) {
		fprintf(f, "hv: stats: kvm %s: statistics fd unavailable\n", scope);
		return;
	}
	val = calloc(s->n ? s->n : 1, sizeof(*val));
	if (!val || kvm_stats_read(s, val)) {
		fprintf(f, "hv: stats: kvm %s: cannot read statistics\n", scope);
		free(val);
		return;
	}
	for (i = 0; i < s->n; i++)
		if (val[i] && (s->d[i].flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE)
			fprintf(f, "hv: stats: kvm %-5s %-28s %llu\n", scope, s->d[i].name,
				(unsigned long long)val[i]);
	free(val);
}

void stats_print(FILE *f, const struct vcpu *v)
{
	const struct vm *vm = v->vm;
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < EXIT_REASONS; i++)
		total += v->st.exits[i];
	fprintf(f, "hv: stats: KVM backend %s\n", kvm_backend_name(v->kvm->backend));
	fprintf(f, "hv: stats: exits to hv %llu\n", (unsigned long long)total);
	for (i = 0; i < EXIT_REASONS; i++)
		if (v->st.exits[i])
			fprintf(f, "hv: stats: hv  exit  %-28s %llu\n", vcpu_exit_name(i),
				(unsigned long long)v->st.exits[i]);
	fprintf(f, "hv: stats: hv  hypercalls %llu (unknown numbers %llu)\n",
		(unsigned long long)v->st.hypercalls, (unsigned long long)vm->hc.bad_calls);
	for (i = 0; i < HC_TABLE_SIZE; i++)
		if (vm->hc.e[i].calls)
			fprintf(f, "hv: stats: hv  hypercall %-23s %llu\n", vm->hc.e[i].name,
				(unsigned long long)vm->hc.e[i].calls);
	for (i = 0; i < vm->pio.n; i++)
		fprintf(f, "hv: stats: hv  pio   %-28s %llu\n", vm->pio.r[i].name,
			(unsigned long long)vm->pio.r[i].accesses);
	for (i = 0; i < vm->mmio.n; i++)
		fprintf(f, "hv: stats: hv  mmio  %-28s %llu\n", vm->mmio.r[i].name,
			(unsigned long long)vm->mmio.r[i].accesses);
	if (v->st.exits[KVM_EXIT_MMIO])
		fprintf(f, "hv: stats: hv  mmio  widths 1:%llu 2:%llu 4:%llu 8:%llu bytes\n",
			(unsigned long long)v->st.mmio_width[0],
			(unsigned long long)v->st.mmio_width[1],
			(unsigned long long)v->st.mmio_width[2],
			(unsigned long long)v->st.mmio_width[3]);
	if (v->st.unclaimed_pio || v->st.unclaimed_mmio)
		fprintf(f, "hv: stats: hv  unclaimed pio %llu mmio %llu\n",
			(unsigned long long)v->st.unclaimed_pio,
			(unsigned long long)v->st.unclaimed_mmio);
	vm_print_stats(f, vm);
	{
		struct rusage ru;
		uint64_t resident = guest_resident(&vm->mem) >> 10;
		getrusage(RUSAGE_SELF, &ru);
		/* All of hv's threads: the vCPU loop and the I/O thread. */
		fprintf(f, "hv: stats: hv  cpu user %lld us sys %lld us\n",
			(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
			(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
		fprintf(f, "hv: stats: hv  memory peak rss %ld KiB, guest RAM resident %llu KiB, "
			"hv's own %lld KiB\n", ru.ru_maxrss, (unsigned long long)resident,
			(long long)ru.ru_maxrss - (long long)resident);
	}
	print_kvm(f, "vcpu", &v->kvm->vcpu_stats);
	print_kvm(f, "vm", &v->kvm->vm_stats);
}
