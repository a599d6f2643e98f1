/*
 * The trap-and-emulate block controller (protocol/hv_trapblk.h) on the trap
 * transport (trap_transport.h): its registers, and what a command does.
 * The vCPU thread latches a command at CMD; the I/O thread runs it on the
 * same engine and images as the PV device, then STATUS, ISR and the MSI
 * change together.  Only the guest interface differs from the PV device.
 */
#ifndef HV_TRAPBLK_DEV_H
#define HV_TRAPBLK_DEV_H

#include <stdint.h>

#include "core/lathist.h"
#include "hv_trapblk.h"
#include "backend/disk.h"
#include "fault/fault.h"
#include "fault/fault_defer.h"
#include "core/device.h"
#include "trap/trap_transport.h"

#define TRAPBLK_VEC_BASE 0x60

struct trapblk_dev_stats {
	uint64_t bad_cmds, io_errors, bytes; /* commands: tr.st.cmds[0] */
};

struct trapblk_dev {
	struct trap_transport tr; /* first: the device pointer is the transport's */
	struct disk disk;

	/* registers and stats: under tr.lock */
	uint64_t sector, dma;
	uint32_t count, bytes;
	struct trapblk_dev_stats st;

	/*
	 * The command the I/O thread runs, latched at CMD (trap_reg.latch):
	 * the vCPU writes it only while STATUS is not busy, the I/O thread
	 * reads it only while it is.
	 */
	uint32_t run_cmd, run_count;
	uint64_t run_sector, run_dma;
	struct iovec iov;
	struct ioeng_op op;
	struct fault_verdict fv; /* with --fault rules: what they made of the running command */
	struct fault_defer defer;
	/*
	 * hv's part of each read, write and flush, taken to finished (I/O
	 * thread; GET /metrics); taken_ns 0 from finished to the next take.
	 */
	uint64_t taken_ns;
	struct lathist lat;
};

/* The --trap-disk device kind (device.h): the table entry hv's core sees. */
extern const struct device_kind trapblk_dev_kind;

#endif
