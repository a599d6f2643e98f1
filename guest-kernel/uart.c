/*
 * 16550 driver without interrupts: it busy-waits on the line status register
 * before each byte.  Every register access traps to hv (trap-and-emulate).
 */
#include "console.h"
#include "hv_abi.h"

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define COM1 HV_UART_PORT

void uart_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void uart_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20)) /* THR empty */
		;
	outb(COM1, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	/* No CR before LF: hv's stdout is a byte stream, not a terminal line. */
	while (n--)
		uart_putc(*s++);
}
