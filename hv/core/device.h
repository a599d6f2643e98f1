/*
 * Device kinds.  Everything the core needs to know about a kind of device
 * (its command-line option and usage lines, how to add one, its KVM wiring,
 * its --verbose and --stats lines, its teardown, the hypercalls its family
 * brings) sits behind one struct device_kind, and device_kinds[]
 * (devices.c) lists them once.  The CLI, the machine setup, main and stats
 * walk that table and name no kind: a new device touches the core nowhere
 * but the table.
 */
#ifndef HV_DEVICE_H
#define HV_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_abi.h"
#include "hv_ring.h"

struct vm;
struct kvm_vm;
struct pvq;
struct hc_table;

/* A kind whose devices have rings: what HV_HC_QUEUE_ATTACH and _DETACH do. */
/* One counter of a device for GET /metrics: hv_device_<name>_total{device=...}. */
struct dev_counter {
	const char *name; /* "requests", "rx_frames": a queue's start with its name */
	uint64_t value;
};

/* A counter another thread writes (stat_add), read as GET /metrics does. */
static inline uint64_t dev_counter_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * The same load for a --stats line (print_stats): it runs while the device
 * does, for GET /metrics and at the exit, beside the I/O thread's writes.
 */
#define DEV_ULL(counter) ((unsigned long long)dev_counter_load(&(counter)))

/* A counters hook's last step: the first cap of c[n] into out; how many. */
static inline unsigned dev_counters_copy(struct dev_counter *out, unsigned cap,
					 const struct dev_counter *c, unsigned n)
{
	unsigned i;

	for (i = 0; i < n && i < cap; i++)
		out[i] = c[i];
	return i;
}

struct queue_ops {
	/* Validates hv's copy of the setup; the notify port (>= 0) or -HV_E*. */
	int64_t (*attach)(void *dev, const struct hv_queue_setup *s, struct kvm_vm *kvm);
	/* Lets go of one queue's rings (HV_HC_QUEUE_DETACH); 0 or -HV_E*. */
	int64_t (*detach)(void *dev, uint32_t queue, struct kvm_vm *kvm);
};

struct device_kind {
	const char *name;   /* instances are <name>0, <name>1, ... */
	const char *option; /* the option that adds one, e.g. "--disk"; NULL: every
			       machine has one (index 0), added by vm_init_devices */
	unsigned max;       /* instances at most: <name>0 to <name>(max - 1) */
	const char *usage;  /* its lines of hv --help, each ending in '\n' */
	/*
	 * Checks an argument of option opt (the kind's) without side effects, so
	 * the whole command line is refused before anything is opened.  0, or
	 * -EINVAL and a reason in err that names opt.
	 */
	int (*check)(const char *opt, const char *arg, char *err, size_t errlen); /* with option */
	/*
	 * Creates instance index from its argument and publishes it with
	 * vm_add_device().  0, or -errno and a one-line reason in err (no
	 * "hv:" prefix); on failure nothing of it is left behind.
	 */
	int (*add)(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen);
	/* Optional: wiring that needs KVM (MSI routes), once it exists.  0 or -errno. */
	int (*wire)(void *dev, struct kvm_vm *kvm);
	/* Optional: refreshes the live fields of its descriptor (a NIC's link) for the guest. */
	void (*update_desc)(const void *dev, struct hv_dev_desc *d);
	/* One line for --verbose, and the --stats lines (each "hv: stats: ..."). */
	void (*describe)(FILE *f, const void *dev);
	void (*print_stats)(FILE *f, const void *dev);
	/*
	 * Optional: the --stats counters as name/value pairs (at most cap; the
	 * number filled), read from any thread with relaxed atomic loads: what
	 * GET /metrics serves without parsing print_stats's line.
	 */
	unsigned (*counters)(const void *dev, struct dev_counter *out, unsigned cap);
	/*
	 * Optional: its requests' latency in hv (GET /metrics), read from any
	 * thread; kept (timed) only where a control API can read it (vm_add_device).
	 */
	struct lathist *(*latency)(void *dev);
	/* Optional: a NIC's frames' latency in hv, dir an enum lathist_dir (lathist.h). */
	struct lathist *(*frame_latency)(void *dev, unsigned dir);
	/* Frees the device; the I/O thread has stopped by then. */
	void (*destroy)(void *dev);
	/* Optional: registers the hypercalls of the kind's family (idempotent). */
	void (*register_hypercalls)(struct hc_table *t);
	const struct queue_ops *queue; /* NULL: no rings */
	/*
	 * Optional: the queue a rate limit of direction dir applies to ("" for
	 * a device with one queue, "rx" or "tx" for a NIC), or NULL: none.
	 * dir is the rest of the API's path (PUT /rate-limits/<device>[/<dir>]).
	 */
	struct pvq *(*limit_queue)(void *dev, const char *dir);
	/*
	 * Optional: snapshots (snap/snapshot.c, docs/SNAPSHOT.md).  save writes
	 * the device's own record, at most cap bytes (*len: how many), once the
	 * I/O thread has stopped with every request drained; load, on the
	 * device made again from the same option, once KVM exists, puts it back
	 * (queues attach again through queue->attach, as the hypercall does).
	 * A kind without save cannot be snapshotted yet: create says so.
	 * 0, or -errno (load: -EINVAL for a record it cannot take).
	 */
	int (*save)(const void *dev, void *rec, size_t cap, size_t *len);
	int (*load)(void *dev, const void *rec, size_t len, struct kvm_vm *kvm);
};

struct lathist;
struct msix;
/*
 * A kind whose devices are also PCI functions with MSI-X (the PV devices,
 * PROTOCOL.md "PCI functions"): vm_add_device gives each instance its
 * function and hands the device its MSI-X table with bind.
 */
struct device_pci {
	const struct device_kind *kind;
	uint16_t device;       /* HV_PCI_DEV_* */
	uint32_t class;        /* class code: base, subclass, prog-if */
	unsigned msix_entries;
	void (*bind)(void *dev, struct msix *m);
};

/* The PCI identity of kind's devices, or NULL (trap devices, the UART). */
const struct device_pci *device_pci_of(const struct device_kind *kind);

/* Every device kind hv has, in --help order. */
extern const struct device_kind *const device_kinds[];
extern const unsigned device_kinds_count;

/* The kind whose option is opt, or NULL. */
const struct device_kind *device_kind_by_option(const char *opt);

#endif
