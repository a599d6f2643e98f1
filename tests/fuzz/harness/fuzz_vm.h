/*
 * The fake machine the device fuzz targets run: hv's real struct vm with its
 * device table, hypercall table, buses and devices, where KVM is replaced by
 * direct calls and the I/O thread by fuzz_vm_io(), one turn of its loop run
 * on the calling thread, so a run depends on its input alone.  Guest RAM
 * comes from malloc, so ASan's redzones catch any access hv makes past its
 * ends.  Every disk and network backend is wrapped by a checker that aborts
 * when hv hands it memory outside guest RAM, bytes outside the image, a
 * write to a read-only disk or a frame the protocol forbids: what ASan
 * cannot see, because the kernel (io_uring) would do those accesses.
 */
#ifndef HV_FUZZ_VM_H
#define HV_FUZZ_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/disk.h"
#include "backend/net.h"
#include "pv/pvq.h"
#include "core/vm.h"

#define FUZZ_MAX_DEV 8

/*
 * A device to create: a kind and its option argument as on hv's command
 * line, except that a disk argument "memfd:BYTES[,ro]" is a fresh in-memory
 * image file (hv's file backend, io_uring and all).
 */
struct fuzz_dev {
	const struct device_kind *kind;
	const char *arg;
};

/* What the checkers know about one wrapped backend. */
struct fuzz_backend {
	const void *dev;              /* hv's device */
	const struct device_kind *kind;
	struct disk *disk;            /* one of these two */
	struct net *net;
	union {
		const struct disk_ops *disk;
		const struct net_ops *net;
	} orig;                       /* hv's own backend, called after the checks */
	union {
		struct disk_ops disk;
		struct net_ops net;
	} checked;                    /* the table the device now calls */
};

struct fuzz_vm {
	struct vm *vm;
	int null_fd;                  /* the console's sink */
	int img_fd[FUZZ_MAX_DEV];     /* memfd images, or -1 */
	struct fuzz_backend be[FUZZ_MAX_DEV];
	unsigned nr_be;
};

/*
 * Builds a machine with ram bytes of guest RAM and the devices devs[0..n),
 * each the next index of its kind.  Exits the process with a message if
 * anything fails: that is the harness's fault, never the input's.
 */
void fuzz_vm_init(struct fuzz_vm *f, uint64_t ram, const struct fuzz_dev *devs, unsigned n);
void fuzz_vm_destroy(struct fuzz_vm *f);

/*
 * One turn of the I/O thread: every doorbell or command signalled since the
 * last turn is served, then the thread's own step (iothread_step) runs
 * completions and publishes them until nothing is in flight, as the real
 * thread would before sleeping.
 */
void fuzz_vm_io(struct fuzz_vm *f);

/* A hypercall as the vCPU loop makes it; the value for the guest's rax. */
int64_t fuzz_vm_hypercall(struct fuzz_vm *f, uint64_t nr, const uint64_t a[HC_NARGS]);

/*
 * A port access as the vCPU thread and KVM see it: a write to a queue's
 * notify port is its doorbell (KVM's ioeventfd), anything else goes to the
 * port bus.  An MMIO access goes to the MMIO bus.
 */
void fuzz_vm_pio(struct fuzz_vm *f, uint16_t port, bool is_write, uint64_t *val, unsigned size);
void fuzz_vm_mmio(struct fuzz_vm *f, uint64_t addr, bool is_write, uint64_t *val, unsigned size);

/* Device-table index of unit of kind, and hv's device itself; the index is ~0 if absent. */
uint64_t fuzz_vm_dev_index(const struct fuzz_vm *f, const struct device_kind *kind,
			   unsigned unit);
void *fuzz_vm_dev(const struct fuzz_vm *f, const struct device_kind *kind, unsigned unit);

/* Queue which (0, 1) of a device with rings, or NULL. */
struct pvq *fuzz_vm_queue(const struct fuzz_vm *f, const struct device_kind *kind,
			  unsigned unit, unsigned which);

/* Guest RAM. */
static inline uint8_t *fuzz_vm_ram(const struct fuzz_vm *f)
{
	return f->vm->mem.host;
}

static inline uint64_t fuzz_vm_ram_size(const struct fuzz_vm *f)
{
	return f->vm->mem.size;
}

#endif
