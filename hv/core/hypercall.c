/* Hypercall table and the core calls every guest has. */
#include "core/hypercall.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "kvm/kvm.h"
#include "core/util.h"
#include "core/vm.h"

int hc_register(struct hc_table *t, unsigned nr, hc_fn fn, const char *name)
{
	if (nr >= HC_TABLE_SIZE || !fn)
		return -EINVAL;
	if (t->e[nr].fn) /* a family registers once per kind: the same call is no conflict */
		return t->e[nr].fn == fn ? 0 : -EEXIST;
	t->e[nr] = (struct hc_entry){ fn, name, 0 };
	return 0;
}

int64_t hc_dispatch(struct vm *vm, uint64_t nr, const uint64_t a[HC_NARGS])
{
	struct hc_entry *e;

	/* Counted atomically: every vCPU dispatches through the one table. */
	if (nr >= HC_TABLE_SIZE || !vm->hc.e[nr].fn) {
		__atomic_fetch_add(&vm->hc.bad_calls, 1, __ATOMIC_RELAXED);
		return -HV_ENOSYS;
	}
	e = &vm->hc.e[nr];
	__atomic_fetch_add(&e->calls, 1, __ATOMIC_RELAXED);
	return e->fn(vm, a);
}

static int64_t hc_version(struct vm *vm, const uint64_t a[HC_NARGS])
{
	(void)vm, (void)a;
	return HV_ABI_VERSION;
}

static int64_t hc_console_write(struct vm *vm, const uint64_t a[HC_NARGS])
{
	const char *p;

	if (a[1] > HV_CONSOLE_WRITE_MAX)
		return -HV_E2BIG;
	p = gm_range(&vm->mem, a[0], a[1]);
	if (!p)
		return -HV_EFAULT;
	/* One pass over guest memory: a racing guest can only garble its own text. */
	console_put(&vm->console, p, a[1]);
	vm->console_hc_bytes += a[1];
	return (int64_t)a[1];
}

static int64_t hc_exit(struct vm *vm, const uint64_t a[HC_NARGS])
{
	vm->exit_requested = true;
	vm->exit_status = (int)(a[0] & 0xff);
	return 0;
}

static int64_t hc_time_ns(struct vm *vm, const uint64_t a[HC_NARGS])
{
	(void)vm, (void)a;
	return (int64_t)mono_ns();
}

static int64_t hc_dev_info(struct vm *vm, const uint64_t a[HC_NARGS])
{
	const struct vm_device *d;

	if (a[0] >= vm->nr_dev)
		return -HV_ENOENT;
	d = &vm->dev[a[0]];
	if (d->kind && d->kind->update_desc)
		d->kind->update_desc(d->dev, &vm->desc[a[0]]);
	if (gm_write(&vm->mem, a[1], &vm->desc[a[0]], sizeof(vm->desc[0])))
		return -HV_EFAULT;
	return 0;
}

/* KVM's statistics behind struct hv_exit_count's kind[], by HV_EXIT_KIND_*. */
static const char *const exit_kind_stat[HV_EXIT_KINDS] = {
	[HV_EXIT_KIND_IO] = "io_exits",
	[HV_EXIT_KIND_MMIO] = "mmio_exits",
	[HV_EXIT_KIND_HALT] = "halt_exits",
	[HV_EXIT_KIND_IRQ] = "irq_exits",
	[HV_EXIT_KIND_IRQ_WINDOW] = "irq_window_exits",
	[HV_EXIT_KIND_EMUL] = "insn_emulation",
	[HV_EXIT_KIND_HYPERCALL] = "hypercalls",
	[HV_EXIT_KIND_SIGNAL] = "signal_exits",
};

static int64_t hc_exit_count(struct vm *vm, const uint64_t a[HC_NARGS])
{
	struct hv_exit_count c = { .kvm_exits = ~0ull, .hv_exits = vm->hv_exits,
				   .kvm_irqs = ~0ull };
	struct rusage ru;
	unsigned i;

	memset(c.kind, 0xff, sizeof(c.kind));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		c.cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
			   (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
	if (vm->kvm) {
		kvm_stats_get(&vm->kvm->vcpu_stats, "exits", &c.kvm_exits);
		kvm_stats_get(&vm->kvm->vcpu_stats, "irq_injections", &c.kvm_irqs);
		for (i = 0; i < HV_EXIT_KINDS; i++)
			kvm_stats_get(&vm->kvm->vcpu_stats, exit_kind_stat[i], &c.kind[i]);
	}
	return gm_write(&vm->mem, a[0], &c, sizeof(c)) ? -HV_EFAULT : 0;
}

void hc_register_core(struct hc_table *t)
{
	hc_register(t, HV_HC_VERSION, hc_version, "version");
	hc_register(t, HV_HC_CONSOLE_WRITE, hc_console_write, "console_write");
	hc_register(t, HV_HC_EXIT, hc_exit, "exit");
	hc_register(t, HV_HC_TIME_NS, hc_time_ns, "time_ns");
	hc_register(t, HV_HC_DEV_INFO, hc_dev_info, "dev_info");
	hc_register(t, HV_HC_EXIT_COUNT, hc_exit_count, "exit_count");
}
