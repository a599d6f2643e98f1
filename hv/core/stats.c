/* Prints hv's and KVM's exit counters side by side. */
#include "core/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

int stats_open_rss(void)
{
	return open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
}

/*
 * One line of smaps: a mapping's header (is it guest RAM?) or its Rss
 * (KiB).  False for a mapping only partly in guest RAM (one merged with a
 * neighbour of the same flags): its Rss cannot be split.
 */
static bool smaps_line(const char *line, uintptr_t lo, uintptr_t hi, bool *in_guest,
		       uint64_t *all, uint64_t *guest)
{
	unsigned long start, end, kib;

	if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
		*in_guest = start >= lo && end <= hi;
		return *in_guest || end <= lo || start >= hi;
	}
	if (sscanf(line, "Rss: %lu kB", &kib) == 1) {
		*all += kib;
		if (*in_guest)
			*guest += kib;
	}
	return true;
}

int stats_smaps_rss(int fd, const struct guest_mem *gm, uint64_t *all, uint64_t *guest)
{
	char buf[4096];
	uintptr_t lo = (uintptr_t)gm->host, hi = lo + gm->size;
	size_t have = 0;
	off_t off = 0;
	bool in_guest = false;

	*all = *guest = 0;
	for (;;) {
		ssize_t n = pread(fd, buf + have, sizeof(buf) - 1 - have, off);
		char *line = buf, *nl;

		if (n < 0)
			return -errno;
		if (n == 0)
			return *all ? 0 : -ENODATA;
		off += n;
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = memchr(line, '\n', (size_t)(buf + have - line)))) {
			*nl = 0;
			if (!smaps_line(line, lo, hi, &in_guest, all, guest))
				return -ERANGE;
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		if (have == sizeof(buf) - 1)
			return -E2BIG; /* a line longer than the buffer: not smaps */
		memmove(buf, line, have);
	}
}

/*
 * hv's own memory is its RSS at the end less the guest RAM's: the peak
 * also counts the kernel and initrd files' pages, mapped only while they
 * are copied into guest RAM (tens of MiB for Debian's vmlinux), which says
 * nothing of what a running VM costs.
 */
static void print_memory(FILE *f, const struct vcpu *v, int rss_fd, long peak_kib)
{
	uint64_t all, guest;

	if (rss_fd < 0 || stats_smaps_rss(rss_fd, &v->vm->mem, &all, &guest)) {
		guest = guest_resident(&v->vm->mem) >> 10;
		fprintf(f, "hv: stats: hv  memory rss unknown (peak %ld KiB), guest RAM resident %llu "
			"KiB, hv's own at the peak %lld KiB\n", peak_kib, (unsigned long long)guest,
			(long long)peak_kib - (long long)guest);
		return;
	}
	/* The peak is getrusage's, from the lagging counters: one below the exact RSS is late. */
	if ((long)all > peak_kib)
		peak_kib = (long)all;
	fprintf(f, "hv: stats: hv  memory rss %llu KiB (peak %ld KiB), guest RAM resident %llu KiB, "
		"hv's own %llu KiB\n", (unsigned long long)all, peak_kib,
		(unsigned long long)guest, (unsigned long long)(all - guest));
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

void stats_print(FILE *f, const struct vcpu *v, int rss_fd)
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

		getrusage(RUSAGE_SELF, &ru);
		/* All of hv's threads: the vCPU loop and the I/O thread. */
		fprintf(f, "hv: stats: hv  cpu user %lld us sys %lld us\n",
			(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
			(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
		print_memory(f, v, rss_fd, ru.ru_maxrss);
	}
	print_kvm(f, "vcpu", &v->kvm->vcpu_stats);
	print_kvm(f, "vm", &v->kvm->vm_stats);
}
