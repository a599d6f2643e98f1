/*
 * 16550A UART model, trap-and-emulate: the register set a Linux 8250 driver
 * and a polled driver use (THR/RBR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
 * the DLL/DLM divisor latch), a 16-byte receive FIFO, and the interrupts
 * (received data, THR empty) as edges on one line (GSI 4 on a PC).
 * Transmitted bytes go to a sink; received bytes come from uart_receive
 * (hv's console input thread), so the state is under a lock.
 * uart_kind (device.h) adds the one every machine has at 0x3f8.
 */
#ifndef HV_UART_H
#define HV_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO 16
#define UART_GSI 4 /* COM1's ISA interrupt */

typedef void (*uart_sink_fn)(void *opaque, const char *buf, unsigned len);

struct uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* THR-empty interrupt not yet taken by an IIR read */
	bool irq_level;    /* the line as the guest's interrupt controller sees it */
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uart_sink_fn sink;
	void *sink_opaque;
	void (*flush)(void *opaque); /* optional: the guest's transmit burst ended */
	int irq_fd;  /* eventfd bound to the interrupt line (an irqfd), or -1 */
	int room_fd; /* eventfd signalled when received bytes can be taken again, or -1 */
	uint64_t tx_bytes, rx_bytes, irqs;
};

void uart_init(struct uart *u, uart_sink_fn sink, void *opaque);

/* io_bus handler: off is the register number 0..7. */
void uart_io(void *opaque, uint64_t off, bool is_write, uint64_t *val,
	     unsigned size);

/*
 * Puts up to len received bytes into the FIFO; returns how many it took: 0
 * while the FIFO is full or the guest has receive interrupts off (a driver
 * that is not listening would only lose them).  When it takes fewer than
 * len, room_fd is signalled once it may take more.  "Not listening": IER's
 * receive interrupt off, MCR's OUT2 off, or loopback.
 */
unsigned uart_receive(struct uart *u, const char *buf, unsigned len);

struct device_kind;
extern const struct device_kind uart_kind;

#endif
