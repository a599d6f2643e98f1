/* 16550A register model; no receive path and no interrupts (polled use). */
#include "trap/uart.h"

#include <string.h>

enum {
	REG_DATA = 0, /* THR on write, RBR on read; DLL when DLAB */
	REG_IER = 1,  /* DLM when DLAB */
	REG_IIR = 2,  /* IIR on read, FCR on write */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define LCR_DLAB 0x80
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define IIR_NONE 0x01 /* no interrupt pending */
#define IIR_FIFO 0xc0 /* FIFOs enabled */
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

void uart_init(struct uart *u, uart_sink_fn sink, void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->sink = sink;
	u->sink_opaque = opaque;
	u->dll = 12; /* 9600 baud, the usual reset divisor */
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA: return dlab ? u->dll : 0; /* nothing ever received */
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR: return IIR_NONE | ((u->fcr & 1) ? IIR_FIFO : 0);
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	/* Output is consumed at once: the transmitter is always empty. */
	case REG_LSR: return LSR_THRE | LSR_TEMT;
	case REG_MSR:
		/* In loopback, MCR's DTR/RTS/OUT1/OUT2 come back as DSR/CTS/RI/DCD. */
		if (u->mcr & MCR_LOOP)
			return (uint8_t)(((u->mcr & 1) << 5) | ((u->mcr & 2) << 3) |
					 ((u->mcr & 4) << 4) | ((u->mcr & 8) << 4));
		return MSR_CTS | MSR_DSR | MSR_DCD;
	default: return u->scr;
	}
}

static void uart_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab) {
			u->dll = v;
		} else if (!(u->mcr & MCR_LOOP)) {
			char c = (char)v;
			u->tx_bytes++;
			u->sink(u->sink_opaque, &c, 1);
		}
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v & 0x0f;
		break;
	case REG_IIR: u->fcr = v; break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_LSR: case REG_MSR: break; /* read-only */
	default: u->scr = v; break;
	}
}

void uart_io(void *opaque, uint64_t off, bool is_write, uint64_t *val,
	     unsigned size)
{
	struct uart *u = opaque;
	unsigned i;

	/* A wide access touches consecutive byte registers, as on the ISA bus. */
	if (is_write) {
		for (i = 0; i < size && off + i < 8; i++)
			uart_write(u, (unsigned)(off + i), (uint8_t)(*val >> (8 * i)));
	} else {
		*val = 0;
		for (i = 0; i < size && off + i < 8; i++)
			*val |= (uint64_t)uart_read(u, (unsigned)(off + i)) << (8 * i);
	}
}
