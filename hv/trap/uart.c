/* 16550A register model with a receive FIFO and interrupts (see uart.h). */
#include "trap/uart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/device.h"
#include "core/util.h"
#include "core/vm.h"
#include "kvm/kvm.h"
#include "snap/snap_dev.h"

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
#define LSR_DR 0x01   /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define IER_RDI 0x01  /* received data interrupt */
#define IER_THRI 0x02 /* THR empty interrupt */
#define IIR_NONE 0x01 /* no interrupt pending */
#define IIR_THRE 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0 /* FIFOs enabled */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define MCR_OUT2 0x08 /* on a PC, gates the interrupt line */
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only at its 2^64 - 2 limit: a signal is pending anyway */
	}
}

void uart_init(struct uart *u, uart_sink_fn sink, void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->sink = sink;
	u->sink_opaque = opaque;
	u->dll = 12; /* 9600 baud, the usual reset divisor */
	u->irq_fd = u->room_fd = -1;
}

/*
 * Whether a driver takes received bytes: receive interrupts on, the line
 * gated through (OUT2), not in loopback.  Linux's 8250 probe flips IER on
 * and off and its startup clears the FIFO before it gets here, so bytes
 * handed over earlier would be lost; hv holds them until then.
 */
static bool listening(const struct uart *u)
{
	return (u->ier & IER_RDI) && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
}

/* The highest-priority pending interrupt's IIR code, or IIR_NONE. */
static uint8_t pending(const struct uart *u)
{
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return IIR_THRE;
	return IIR_NONE;
}

/*
 * Drives the line: an edge when it rises.  ISA interrupts are edge-triggered
 * (the MP table says so for every pin), so a level that stays high raises
 * nothing new; the 8250 driver reads IIR until it is clear, which lowers it.
 */
static void update_irq(struct uart *u)
{
	bool level = pending(u) != IIR_NONE;

	if (level && !u->irq_level) {
		stat_add(&u->irqs, 1);
		signal_fd(u->irq_fd);
	}
	u->irq_level = level;
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		if (--u->rx_count == 0)
			signal_fd(u->room_fd);
		return v;
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR:
		v = pending(u);
		if (v == IIR_THRE) /* reading IIR takes the THR-empty interrupt */
			u->thre_pending = false;
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	/* Output is consumed at once: the transmitter is always empty. */
	case REG_LSR: return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
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
			break;
		}
		if (!(u->mcr & MCR_LOOP)) {
			char c = (char)v;
			stat_add(&u->tx_bytes, 1);
			u->sink(u->sink_opaque, &c, 1);
		}
		u->thre_pending = true; /* sent at once: THR is empty again */
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thre_pending = true; /* enabling it with THR empty interrupts at once */
		if (!(v & IER_THRI) && (u->ier & IER_THRI) && u->flush)
			u->flush(u->sink_opaque); /* Linux's 8250 stops TX when its buffer is empty */
		u->ier = v & 0x0f;
		break;
	case REG_IIR:
		u->fcr = v;
		if (v & FCR_CLEAR_RX) {
			u->rx_count = 0;
			signal_fd(u->room_fd);
		}
		break;
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
	bool was_listening;
	unsigned i;

	pthread_mutex_lock(&u->lock);
	was_listening = listening(u);
	/* A wide access touches consecutive byte registers, as on the ISA bus. */
	if (is_write) {
		for (i = 0; i < size && off + i < 8; i++)
			uart_write(u, (unsigned)(off + i), (uint8_t)(*val >> (8 * i)));
	} else {
		*val = 0;
		for (i = 0; i < size && off + i < 8; i++)
			*val |= (uint64_t)uart_read(u, (unsigned)(off + i)) << (8 * i);
	}
	if (!was_listening && listening(u))
		signal_fd(u->room_fd); /* the driver takes bytes now */
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

unsigned uart_receive(struct uart *u, const char *buf, unsigned len)
{
	unsigned n = 0;

	pthread_mutex_lock(&u->lock);
	if (listening(u)) {
		while (n < len && u->rx_count < UART_FIFO) {
			u->rx[(u->rx_head + u->rx_count++) % UART_FIFO] = (uint8_t)buf[n++];
			stat_add(&u->rx_bytes, 1);
		}
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

/* The device: every machine has one COM1, added before any option's device. */

static int uart_add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct hv_dev_desc d = { .type = HV_DEV_UART, .base = HV_UART_PORT, .len = HV_UART_LEN };
	struct uart *u = malloc(sizeof(*u));
	int rc;

	(void)arg;
	if (!u)
		return snprintf(err, errlen, "uart%u: out of memory", index), -ENOMEM;
	uart_init(u, console_sink, &vm->console);
	u->flush = console_flush_sink;
	u->irq_fd = eventfd(0, EFD_CLOEXEC);
	u->room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = u->irq_fd < 0 || u->room_fd < 0 ? -errno : 0;
	if (!rc)
		rc = io_bus_register(&vm->pio, HV_UART_PORT, HV_UART_LEN, uart_io, u, "uart");
	if (!rc)
		rc = vm_add_device(vm, &uart_kind, index, u, &d, NULL, 0);
	if (rc) {
		snprintf(err, errlen, "uart%u: %s", index, strerror(-rc));
		uart_kind.destroy(u);
		return rc;
	}
	console_set_input(&vm->console, (console_rx_fn)uart_receive, u, u->room_fd);
	return 0;
}

static int uart_wire(void *dev, struct kvm_vm *kvm)
{
	struct uart *u = dev;

	return kvm_irqfd_gsi(kvm, UART_GSI, u->irq_fd);
}

static void uart_describe(FILE *f, const void *dev)
{
	(void)dev;
	fprintf(f, "hv: uart0: 16550A at port 0x%x, interrupt GSI %d, console on stdin/stdout\n",
		HV_UART_PORT, UART_GSI);
}

static void uart_print_stats(FILE *f, const void *dev)
{
	const struct uart *u = dev;

	fprintf(f, "uart0 tx %llu rx %llu interrupts %llu\n", DEV_ULL(u->tx_bytes),
		DEV_ULL(u->rx_bytes), DEV_ULL(u->irqs));
}

static void uart_destroy(void *dev)
{
	struct uart *u = dev;

	if (u->irq_fd >= 0)
		close(u->irq_fd);
	if (u->room_fd >= 0)
		close(u->room_fd);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

const struct device_kind uart_kind = {
	.name = "uart",
	.option = NULL, /* not an option: every machine has exactly one */
	.max = 1,
	.usage = "",
	.add = uart_add,
	.wire = uart_wire,
	.describe = uart_describe,
	.print_stats = uart_print_stats,
	.destroy = uart_destroy,
	.save = uart_snap_save, /* snap/snap_dev.c */
	.load = uart_snap_load,
};
