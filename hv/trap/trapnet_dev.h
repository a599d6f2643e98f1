/*
 * The trap-and-emulate NIC (protocol/hv_net.h, HV_TRAPNET_*): register
 * accesses arrive as MMIO exits on the vCPU thread, which latches a send or
 * a posted receive buffer and hands it to the I/O thread through an
 * eventfd; the I/O thread moves the frame with the same network backends as
 * the PV NIC (net.h), then sets the status and ISR and raises the MSI.  One
 * frame each way at a time, as simple hardware: frames that arrive with no
 * buffer posted wait in the backend (a tap's queue, which the kernel bounds).
 */
#ifndef HV_TRAPNET_DEV_H
#define HV_TRAPNET_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_net.h"
#include "core/device.h"
#include "kvm/guest_mem.h"
#include "io/iothread.h"
#include "backend/net.h"

#define TRAPNET_VEC_BASE 0x70

struct trapnet_dev_stats {
	uint64_t tx_frames, tx_bytes, tx_bad, tx_errors;
	uint64_t rx_frames, rx_bytes, rx_bad, rx_errors;
	uint64_t busy_writes, bad_accesses, irqs;
};

struct trapnet_dev {
	unsigned index;           /* trapnet<index> */
	const struct guest_mem *mem;
	struct net net;
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t base;            /* MMIO gpa of the window */
	uint32_t vector;
	struct io_source src;     /* the vCPU thread signals a latched command */
	int irq_fd;
	bool link_up;             /* atomic */

	/*
	 * Every register below, the latched operands and the stats: under
	 * lock, taken by each MMIO access (any vCPU) and by the I/O thread to
	 * take a command and to finish it.  A status, its ISR bit and the
	 * interrupt change in one critical section, so together for the guest.
	 */
	pthread_mutex_t lock;
	uint64_t tx_addr, rx_addr;
	uint32_t tx_len, rx_len, ier;
	uint32_t pending;         /* PEND_TX | PEND_RX, for the I/O thread */
	uint64_t tx_cmd_addr, rx_cmd_addr; /* latched while not busy */
	uint32_t tx_cmd_len, rx_cmd_len;
	uint32_t tx_status, rx_status, rx_frame, isr;
	struct trapnet_dev_stats st;

	/* the I/O thread's copies of the operands it runs */
	uint64_t tx_run_addr, rx_run_addr;
	uint32_t tx_run_len, rx_run_len;
	struct iovec tx_iov, rx_iov;
	struct ioeng_op tx_op, rx_op;
};

/* The --trap-net device kind (device.h). */
extern const struct device_kind trapnet_dev_kind;

/* Sets up controller index on an opened backend, registers at base; 0 or -errno. */
int trapnet_dev_init(struct trapnet_dev *t, unsigned index, uint64_t base,
		     const struct guest_mem *mem, const struct net *net, const uint8_t mac[6]);
void trapnet_dev_destroy(struct trapnet_dev *t);
void trapnet_dev_desc(const struct trapnet_dev *t, struct hv_dev_desc *d);

/* The MMIO handler for the window (an io_bus handler; opaque = t). */
void trapnet_dev_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size);

#endif
