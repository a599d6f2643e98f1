/*
 * Guest console output: the UART and the console hypercall both write here.
 * Buffered, flushed at each newline and at exit, so a byte-at-a-time UART
 * costs no syscall per byte.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stdint.h>

struct console {
	int fd;
	unsigned n;
	char buf[4096];
};

void console_init(struct console *c, int fd);
void console_put(struct console *c, const char *s, uint64_t len);
void console_flush(struct console *c);

/* uart_sink_fn-compatible adaptor; opaque is a struct console. */
void console_sink(void *opaque, const char *s, unsigned len);

#endif
