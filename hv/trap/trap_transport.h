/*
 * The transport under both trap-and-emulate devices, as pvq is under the PV
 * devices (and kvmtool's virtio/mmio.c under virtio/blk.c): the register
 * window on the MMIO bus and its lock, bad-access counting, the register
 * width rules, the interrupt status and enable registers and the MSI behind
 * them (irqfd), and the hand-off of a command the vCPU thread latched to
 * the I/O thread (an eventfd, served as an io_source).  A device supplies a
 * table of its registers and what a command does (struct trap_ops).
 *
 * A command runs on a channel (the block controller has one, the NIC one
 * each way): writing its command register, while the channel is not busy,
 * latches the operands, clears the channel's ISR bit, sets its status to
 * exactly TRAP_ST_BUSY and signals the I/O thread; the I/O thread runs it
 * and ends it with trap_finish(), which sets the result, the ISR bit and
 * the MSI in one critical section, so they change together for the guest.
 */
#ifndef HV_TRAP_TRANSPORT_H
#define HV_TRAP_TRANSPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_abi.h"
#include "io/iothread.h"
#include "kvm/guest_mem.h"
#include "fault/fault_irq.h"
#include "trace/trace.h"

struct vm;
struct kvm_vm;
struct device_kind;

#define TRAP_ST_BUSY (1u << 31) /* a channel's status while its command runs */
#define TRAP_MAX_CHAN 2
#define TRAP_CMD_ANY UINT64_MAX /* a command register that takes any value */

/* What a register is; .arg, .chan and .latch are those of struct trap_reg. */
enum trap_reg_kind {
	TRAP_REG_CONST = 1, /* RO: .arg */
	TRAP_REG_RO,        /* RO: the device's field at offset .arg (TRAP_U32/TRAP_U64) */
	TRAP_REG_RW,        /* RW: the same, stored as written; with .latch, an operand
	                       of .chan's command */
	TRAP_REG_FN,        /* RO: .get(dev) */
	TRAP_REG_CMD,       /* WO: writing .arg (any value: TRAP_CMD_ANY) starts .chan's
	                       command, the value kept at .latch if any; any other value
	                       is a bad access */
	TRAP_REG_STATUS,    /* RO: .chan's status: exactly TRAP_ST_BUSY while its command
	                       runs, then the result */
	TRAP_REG_ISR,       /* RW1C: interrupt status */
	TRAP_REG_IER,       /* RW: interrupt enables, of the bits trap_ops.int_mask names */
	TRAP_REG_VECTOR,    /* RO: the vector the MSI carries */
};

/*
 * One register of a device's window.  A 32-bit register takes 4-byte
 * accesses at its offset; a wide (64-bit) one an 8-byte access at its offset
 * or 4-byte halves at off and off + 4.  Anything else (reserved offsets,
 * read-only registers written, write-only ones read, odd widths) is a bad
 * access: counted, a read yields zero, a write does nothing.
 */
struct trap_reg {
	uint32_t off;
	uint8_t kind; /* enum trap_reg_kind */
	bool wide;
	uint8_t chan;
	uint64_t arg;
	/*
	 * Optional: where the device keeps the value the I/O thread runs the
	 * command with (a field of the register's width), copied as the
	 * command starts: the vCPU writes it only while the channel is not
	 * busy, the I/O thread reads it only while it is.
	 */
	size_t latch;
	uint64_t (*get)(const void *dev);
};

/* A field register's .arg or .latch: the field's offset in the device, of that width. */
#define TRAP_U32(type, field) _Generic(((type *)0)->field, uint32_t: offsetof(type, field))
#define TRAP_U64(type, field) _Generic(((type *)0)->field, uint64_t: offsetof(type, field))

#define TRAP_REGS(table) .regs = (table), .nr_regs = sizeof(table) / sizeof((table)[0])

/*
 * What a device supplies.  Its struct embeds a struct trap_transport as its
 * first member, so the device pointer (void *dev below, and the device
 * table's) is also the transport's.
 */
struct trap_ops {
	size_t size;        /* of the device */
	uint64_t window;    /* bytes of MMIO */
	uint32_t vec_base;  /* instance i raises vector vec_base + i */
	const struct trap_reg *regs; /* TRAP_REGS(table) */
	unsigned nr_regs;
	uint32_t int_mask;  /* the ISR bits there are */

	/*
	 * Opens the backend from what the kind's add parsed of its argument,
	 * and fills the device-table entry but for base, len and irq (the
	 * transport's).  0, or -errno with a reason in err.
	 */
	int (*open)(void *dev, unsigned index, const void *arg, struct hv_dev_desc *d, char *err,
		    size_t errlen);
	void (*close)(void *dev);
	/* Under the lock, as chan's command ends: the device's stats and result registers. */
	void (*finished)(void *dev, unsigned chan, uint32_t result, uint32_t len);
	/* What --verbose and --stats say of the device between the transport's parts. */
	void (*describe)(FILE *f, const void *dev);
	void (*print_stats)(FILE *f, const void *dev);

	/* The channels, up to the first without run; the I/O thread runs channel 0's first. */
	struct trap_chan {
		uint32_t int_bit;    /* the ISR bit its commands' ends set */
		uint32_t idle;       /* its status before any command */
		uint32_t signal_err; /* the result of a command the I/O thread cannot be told of */
		/* I/O thread: run its latched command, which ends with trap_finish(). */
		void (*run)(void *dev, struct ioeng *e);
		/* Optional: "rx", "tx": its queue in --trace is "<device> <name>", else "<device>" */
		const char *name;
	} chan[TRAP_MAX_CHAN];
};

struct trap_stats {
	uint64_t cmds[TRAP_MAX_CHAN]; /* commands started */
	uint64_t busy_writes, bad_accesses, irqs;
};

struct trap_transport {
	const struct trap_ops *ops;
	const struct device_kind *kind;
	unsigned index;           /* <kind name><index> */
	const struct guest_mem *mem;
	uint64_t base;            /* MMIO gpa of the window */
	uint32_t vector;
	struct io_source src;     /* the vCPU thread signals a latched command */
	int irq_fd;               /* signalled to raise the MSI (an irqfd once wired) */

	/*
	 * The device's registers and stats too: under lock, taken by each MMIO
	 * access (any vCPU) and by the I/O thread to take commands and end them.
	 */
	pthread_mutex_t lock;
	uint32_t isr, ier;
	uint32_t status[TRAP_MAX_CHAN];
	unsigned nr_chan;
	uint32_t pending;         /* channels latched and not yet taken: bit c for chan c */
	struct trap_stats st;

	/* --fault rules (the device kind claims them), or NULL: none, one test a command */
	struct fault_dev *fault;
	struct fault_irq fault_irq; /* the interrupt rules' held interrupt (I/O thread) */

	/*
	 * --trace (trace.h): each channel's queue name, and the request id of
	 * the command it runs, its number among the channel's commands (set
	 * by the I/O thread as it takes the command).  qname's last: the
	 * device's own name, for an interrupt of no channel (a link change).
	 */
	char qname[TRAP_MAX_CHAN + 1][24];
	uint64_t run_id[TRAP_MAX_CHAN];
};

/*
 * A --trace stage (TR_SQE, TR_CQE) of the command chan runs, on the I/O
 * thread; the transport traces the others.  One branch when tracing is off.
 */
static inline void trap_trace(const struct trap_transport *tr, unsigned chan, uint32_t kind,
			      uint32_t arg)
{
	trace_ev(kind, tr->qname[chan], tr->run_id[chan], arg);
}

/*
 * The device kind's add: instance index of kind with ops, from what add
 * parsed of its option's argument (for ops->open): its window, its backend,
 * its transport, published with vm_add_device().  0, or -errno and a
 * one-line reason in err.
 */
int trap_create(struct vm *vm, const struct device_kind *kind, const struct trap_ops *ops,
		unsigned index, const void *arg, char *err, size_t errlen);

/* The MMIO handler for a window (an io_bus handler; opaque = the device). */
void trap_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size);

/* I/O thread: ends chan's command with result (len: bytes it moved). */
void trap_finish(struct trap_transport *tr, unsigned chan, uint32_t result, uint32_t len);

/* Sets ISR bits and raises the MSI for those IER enables (a link change). */
void trap_raise(struct trap_transport *tr, uint32_t bits);

/*
 * A trap device's transport in a snapshot (docs/SNAPSHOT.md): interrupt
 * status and enables, each channel's status, the guest-written registers
 * and the operands latched for the I/O thread.  Saved once the I/O thread
 * is quiesced, when a channel still busy has a command the I/O thread has
 * not taken, or a receive waiting for a frame that no request in flight
 * holds: either runs again from its latched operands after a restore.
 */
#define TRAP_SNAP_FIELDS 16
struct trap_snap_rec {
	uint32_t isr, ier;
	uint32_t status[TRAP_MAX_CHAN];
	uint32_t rerun;     /* bit c: channel c's latched command runs again on restore */
	uint32_t nr_fields; /* the RW registers, then the latches, in the table's order */
	uint64_t field[TRAP_SNAP_FIELDS];
};

_Static_assert(sizeof(struct trap_snap_rec) == 152, "snapshot trap record layout");

/* Fills r; 0, or -ENOSPC for a device with more fields than a record holds. */
int trap_snap_save(struct trap_transport *tr, struct trap_snap_rec *r);
/*
 * Puts r back (it is input: bits the device has not, a busy channel that
 * would not run again, another number of fields are -EINVAL) and signals
 * the I/O thread for each channel to run again.  0 or -errno.
 */
int trap_snap_load(struct trap_transport *tr, const struct trap_snap_rec *r);

/* What every trap device kind takes from the transport (device.h): its hooks. */
int trap_wire(void *dev, struct kvm_vm *kvm);
void trap_describe(FILE *f, const void *dev);
void trap_print_stats(FILE *f, const void *dev);
void trap_destroy(void *dev);

#define TRAP_KIND_HOOKS                                                                      \
	.wire = trap_wire, .describe = trap_describe, .print_stats = trap_print_stats,       \
	.destroy = trap_destroy

#endif
