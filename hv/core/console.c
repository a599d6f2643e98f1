/* Buffered guest console output. */
#include "core/console.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void console_init(struct console *c, int fd)
{
	c->fd = fd;
	c->n = 0;
	c->dev_bytes = 0;
	c->rx = NULL;
	c->rx_opaque = NULL;
	c->rx_room_fd = -1;
}

void console_set_input(struct console *c, console_rx_fn rx, void *opaque, int room_fd)
{
	c->rx = rx;
	c->rx_opaque = opaque;
	c->rx_room_fd = room_fd;
}

void console_flush_sink(void *opaque)
{
	console_flush(opaque);
}

void console_flush(struct console *c)
{
	unsigned off = 0;

	while (off < c->n) {
		ssize_t w = write(c->fd, c->buf + off, c->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* output closed: the guest must not stall on it */
		off += (unsigned)w;
	}
	c->n = 0;
}

void console_put(struct console *c, const char *s, uint64_t len)
{
	while (len) {
		unsigned room = (unsigned)sizeof(c->buf) - c->n;
		unsigned chunk = len < room ? (unsigned)len : room;
		const char *nl = memchr(s, '\n', chunk);

		memcpy(c->buf + c->n, s, chunk);
		c->n += chunk;
		s += chunk;
		len -= chunk;
		if (nl || c->n == sizeof(c->buf))
			console_flush(c);
	}
}

void console_sink(void *opaque, const char *s, unsigned len)
{
	struct console *c = opaque;

	c->dev_bytes += len;
	console_put(c, s, len);
}
