/*
 * The trap-and-emulate NIC (protocol/hv_trapnet.h) on the trap transport
 * (trap_transport.h): its registers, and what a send and a receive do.
 * The vCPU thread latches a send or a posted receive buffer; the I/O thread
 * moves the frame with the same network backends as the PV NIC (net.h),
 * then the status, the ISR and the MSI change together.  One frame each
 * way at a time, as simple hardware: frames that arrive with no buffer
 * posted wait in the backend (a tap's queue, which the kernel bounds).
 */
#ifndef HV_TRAPNET_DEV_H
#define HV_TRAPNET_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_trapnet.h"
#include "backend/net.h"
#include "core/device.h"
#include "core/lathist.h"
#include "trap/trap_transport.h"

#define TRAPNET_VEC_BASE 0x70

/* The transport's channels; the I/O thread takes RX first (a frame sent may come back). */
enum trapnet_chan { TRAPNET_RX = 0, TRAPNET_TX = 1, TRAPNET_NR_CHAN = 2 };

struct trapnet_dev_stats {
	uint64_t frames, bytes, bad, errors;
};

struct trapnet_dev {
	struct trap_transport tr; /* first: the device pointer is the transport's */
	struct net net;
	uint8_t mac[6];
	uint16_t mtu;

	/* registers and stats: under tr.lock */
	uint64_t tx_addr, rx_addr;
	uint32_t tx_len, rx_len, rx_frame;
	struct trapnet_dev_stats st[TRAPNET_NR_CHAN];

	/*
	 * The send and the buffer the I/O thread runs, latched at TX_CMD and
	 * RX_CMD (trap_reg.latch): the vCPU writes one only while its status
	 * is not busy, the I/O thread reads it only while it is.
	 */
	uint64_t tx_run_addr, rx_run_addr;
	uint32_t tx_run_len, rx_run_len;
	struct iovec tx_iov, rx_iov;
	struct ioeng_op tx_op, rx_op;
	/*
	 * hv's part of each frame (I/O thread; GET /metrics), by channel: TX
	 * from taking the latched send to its status set, RX from reaping the
	 * read of a frame to its status set.  lat_start: that frame's start
	 * (mono_ns), 0 while none is under way.
	 */
	uint64_t lat_start[TRAPNET_NR_CHAN];
	struct lathist lat[TRAPNET_NR_CHAN];
};

/* The --trap-net device kind (device.h). */
extern const struct device_kind trapnet_dev_kind;

#endif
