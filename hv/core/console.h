/*
 * The guest console.  Output: the UART and the console hypercall both write
 * here; buffered, flushed at each newline, when the guest's transmit burst
 * ends and at exit, so a byte-at-a-time UART costs no syscall per byte.
 * Input: the device that takes the console's input (the UART) registers a
 * receiver; console_in.c feeds it from hv's standard input.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stdint.h>

/* Takes up to len input bytes, returns how many it took (see uart_receive). */
typedef unsigned (*console_rx_fn)(void *opaque, const char *buf, unsigned len);

struct console {
	int fd;
	unsigned n;
	char buf[4096];
	uint64_t dev_bytes; /* bytes written by a device (console_sink) */
	console_rx_fn rx;   /* NULL: no device takes input */
	void *rx_opaque;
	int rx_room_fd;     /* readable when rx may take more */
};

void console_init(struct console *c, int fd);
void console_put(struct console *c, const char *s, uint64_t len);
void console_flush(struct console *c);

/* uart_sink_fn-compatible adaptor; opaque is a struct console. */
void console_sink(void *opaque, const char *s, unsigned len);
/* Flushes; opaque is a struct console. */
void console_flush_sink(void *opaque);

/* Registers the device that takes input, and its room eventfd. */
void console_set_input(struct console *c, console_rx_fn rx, void *opaque, int room_fd);

#endif
