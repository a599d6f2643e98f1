/* GDB remote protocol framing: a byte-at-a-time state machine, bounded. */
#include "debug/gdb_packet.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/util.h"

enum { ST_IDLE = 0, ST_DATA, ST_SUM1, ST_SUM2 };

void gdb_frame_init(struct gdb_framer *f)
{
	memset(f, 0, sizeof(*f));
}

enum gdb_frame_event gdb_frame_feed(struct gdb_framer *f, uint8_t c)
{
	int h;

	switch (f->state) {
	case ST_IDLE:
		if (c == '$') {
			f->state = ST_DATA;
			f->sum = 0;
			f->len = 0;
			f->overflow = 0;
			return GDB_FR_NONE;
		}
		/* Anything else between packets (noise, a resync) is dropped. */
		return c == 0x03 ? GDB_FR_INTR : c == '+' ? GDB_FR_ACK : c == '-' ? GDB_FR_NAK
									       : GDB_FR_NONE;
	case ST_DATA:
		if (c == '#') {
			f->state = ST_SUM1;
			return GDB_FR_NONE;
		}
		if (c == '$') { /* a new packet before the end of this one: start over */
			f->sum = 0;
			f->len = 0;
			f->overflow = 0;
			return GDB_FR_NONE;
		}
		f->sum = (uint8_t)(f->sum + c);
		if (f->len < GDB_PKT_MAX)
			f->data[f->len++] = (char)c;
		else
			f->overflow = 1;
		return GDB_FR_NONE;
	case ST_SUM1:
		h = hex_digit(c);
		f->want = (uint8_t)((h < 0 ? 0 : h) << 4);
		f->state = h < 0 ? ST_IDLE : ST_SUM2;
		return h < 0 ? GDB_FR_BAD : GDB_FR_NONE;
	default:
		h = hex_digit(c);
		f->state = ST_IDLE;
		if (h < 0 || (uint8_t)(f->want | h) != f->sum || f->overflow)
			return GDB_FR_BAD;
		f->data[f->len] = '\0';
		return GDB_FR_PACKET;
	}
}

int gdb_frame_encode(const char *data, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t sum = 0;
	size_t n = 0, i;

	if (cap < 4)
		return -ENOSPC;
	out[n++] = '$';
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)data[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';

		if (n + (esc ? 2 : 1) + 3 > cap)
			return -ENOSPC;
		if (esc) {
			out[n++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return (int)n;
}

int gdb_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n)
{
	size_t i;

	if (slen != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

int gdb_hex_u64(const char **p, const char *e, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d, n = 0;

	while (s < e && (d = hex_digit(*s)) >= 0) {
		if (++n > 16)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}
