/*
 * The trap-and-emulate block controller (protocol/hv_trapblk.h): register
 * accesses arrive as MMIO exits on the vCPU thread, which latches a command
 * and hands it to the I/O thread through an eventfd; the I/O thread runs it
 * on the same engine and images as the PV device, then sets STATUS and ISR
 * and raises the MSI through an irqfd.  Only the guest interface differs.
 */
#ifndef HV_TRAPBLK_DEV_H
#define HV_TRAPBLK_DEV_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_abi.h"
#include "hv_trapblk.h"
#include "core/device.h"
#include "backend/disk.h"
#include "kvm/guest_mem.h"
#include "io/iothread.h"

struct kvm_vm;

#define TRAPBLK_VEC_BASE 0x60

struct trapblk_dev_stats {
	uint64_t cmds, bad_cmds, io_errors, busy_writes, bad_accesses, irqs, bytes;
};

struct trapblk_dev {
	struct disk disk;
	unsigned index;           /* trapblk<index> */
	const struct guest_mem *mem;
	uint64_t base;            /* MMIO gpa of the window */
	uint32_t vector;
	struct io_source src;     /* the vCPU thread signals a latched command */
	int irq_fd;

	/*
	 * Every register below, the latched command and the stats: under lock,
	 * taken by each MMIO access (any vCPU) and by the I/O thread to take a
	 * command and to finish it.  STATUS, ISR and the interrupt change in
	 * one critical section, so they change together for the guest.
	 */
	pthread_mutex_t lock;
	uint64_t sector, dma;
	uint32_t count, ier;
	uint32_t cmd;             /* latched at CMD while not busy */
	uint64_t cmd_sector, cmd_dma;
	uint32_t cmd_count;
	uint32_t status, isr, bytes;
	struct trapblk_dev_stats st;

	/* the I/O thread's copy of the command it runs */
	uint32_t run_cmd, run_count;
	uint64_t run_sector, run_dma;
	struct iovec iov;
	struct ioeng_op op;
};

/* The --trap-disk device kind (device.h): the table entry hv's core sees. */
extern const struct device_kind trapblk_dev_kind;

/* Sets up controller index over an opened disk, registers at base; 0 or -errno. */
int trapblk_dev_init(struct trapblk_dev *t, unsigned index, uint64_t base,
		     const struct guest_mem *mem, const struct disk *disk);
void trapblk_dev_destroy(struct trapblk_dev *t);
void trapblk_dev_desc(const struct trapblk_dev *t, struct hv_dev_desc *d);

/* The MMIO handler for the window (an io_bus handler; opaque = t). */
void trapblk_dev_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size);

/* Routes the completion MSI through an irqfd; 0 or -errno. */
int trapblk_dev_wire(void *dev, struct kvm_vm *kvm);

/* The --stats line of one controller (a struct trapblk_dev). */
void trapblk_dev_print_stats(FILE *f, const void *dev);

#endif
