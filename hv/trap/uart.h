/*
 * 16550A UART model, trap-and-emulate: enough of the register set for a
 * standard polled driver (THR/RBR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR and
 * the DLL/DLM divisor latch).  Transmitted bytes go to a sink callback.
 */
#ifndef HV_UART_H
#define HV_UART_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*uart_sink_fn)(void *opaque, const char *buf, unsigned len);

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uart_sink_fn sink;
	void *sink_opaque;
	uint64_t tx_bytes;
};

void uart_init(struct uart *u, uart_sink_fn sink, void *opaque);

/* io_bus handler: off is the register number 0..7. */
void uart_io(void *opaque, uint64_t off, bool is_write, uint64_t *val,
	     unsigned size);

#endif
