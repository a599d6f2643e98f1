/*
 * Kernel console: the UART until the hypercall console is switched on, then
 * the hypercall (one exit per write instead of one per byte).
 */
#ifndef GK_CONSOLE_H
#define GK_CONSOLE_H

#include <stddef.h>

void console_write(const char *s, size_t n);
void console_use_hypercall(int on);

/* The 16550 driver, without interrupts (uart.c). */
void uart_init(void);
void uart_write(const char *s, size_t n);

#endif
