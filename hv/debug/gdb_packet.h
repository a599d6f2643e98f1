/*
 * The GDB remote serial protocol's framing: $data#cs packets, the '+'/'-'
 * acknowledgements and the 0x03 interrupt byte, byte by byte from a socket
 * whose peer is not trusted; and the encoding of replies.  No I/O here.
 */
#ifndef HV_GDB_PACKET_H
#define HV_GDB_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* The largest packet hv takes or sends, data only ("PacketSize" in qSupported). */
#define GDB_PKT_MAX 4096

enum gdb_frame_event {
	GDB_FR_NONE = 0, /* byte taken, nothing complete yet */
	GDB_FR_PACKET,   /* a packet with a good checksum: data, len */
	GDB_FR_BAD,      /* a packet with a bad checksum or too long: answer '-' */
	GDB_FR_INTR,     /* 0x03 between packets: gdb's Ctrl-C */
	GDB_FR_ACK,      /* '+' */
	GDB_FR_NAK,      /* '-': resend the last reply */
};

struct gdb_framer {
	int state;     /* private: where in a packet the next byte falls */
	uint8_t sum;   /* of the data so far */
	uint8_t want;  /* the checksum's first hex digit, shifted */
	int overflow;  /* more than GDB_PKT_MAX bytes of data */
	size_t len;
	char data[GDB_PKT_MAX + 1]; /* NUL-terminated on GDB_FR_PACKET */
};

void gdb_frame_init(struct gdb_framer *f);

/* Takes one byte from the peer; what it completed. */
enum gdb_frame_event gdb_frame_feed(struct gdb_framer *f, uint8_t c);

/*
 * Frames data as $data#cs in out (binary-safe: '$', '#', '}' and '*' are
 * escaped).  The framed length, or -ENOSPC if it does not fit in cap.
 */
int gdb_frame_encode(const char *data, size_t len, char *out, size_t cap);

/* Hex text to bytes: exactly 2*n digits from s; 0 or -EINVAL. */
int gdb_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n);
/* Bytes to 2*n hex digits at out (no NUL). */
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * A hex number of at most 16 digits at *p, before the end e; advances *p.
 * 0, or -EINVAL (no digit, or too many).
 */
int gdb_hex_u64(const char **p, const char *e, uint64_t *v);

#endif
