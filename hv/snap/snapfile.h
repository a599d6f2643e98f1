/*
 * The snapshot state file's container (docs/SNAPSHOT.md, byte by byte): a
 * header with a magic, the format version and hv's guest ABI version, then
 * section records (type, instance, length, data padded to 8 bytes), then a
 * CRC32C over every byte before it.  The writer builds the file in memory;
 * the reader checks all of it before anyone looks at a section, so a
 * truncated, corrupted, other-version or foreign file is one line of err.
 * It knows nothing of what the sections mean (snapshot.c does).
 */
#ifndef HV_SNAPFILE_H
#define HV_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC "HVSNAP\r\n" /* 8 bytes; the CR LF catches text-mode mangling */
#define SNAP_FORMAT_VERSION 3 /* 2: the PCI functions; 3: Linux (platform, origin), trap devices */
#define SNAP_MAX_BYTES (16u << 20) /* a state file is KiBs; this bounds the reader */
#define SNAP_MAX_SECTIONS 4096

struct snap_hdr {
	char magic[8];
	uint32_t format;      /* SNAP_FORMAT_VERSION */
	uint32_t abi;         /* HV_ABI_VERSION of the hv that wrote it */
	uint64_t total;       /* bytes in the file, header and trailer included */
	uint32_t nr_sections;
	uint32_t hdr_len;     /* sizeof(struct snap_hdr): 32 */
};

struct snap_sec {
	uint32_t type;
	uint32_t inst;        /* which one of its type (a device's table index) */
	uint64_t len;         /* data bytes, without the padding to 8 */
};

struct snap_trailer {
	uint32_t crc;         /* CRC32C (Castagnoli) of bytes [0, total - 8) */
	uint32_t end;         /* SNAP_END */
};

#define SNAP_END 0x444e4553u /* "SEND" */

_Static_assert(sizeof(struct snap_hdr) == 32, "snapshot header layout");
_Static_assert(sizeof(struct snap_sec) == 16, "snapshot section layout");
_Static_assert(sizeof(struct snap_trailer) == 8, "snapshot trailer layout");

/* CRC32C of len bytes, continuing from crc (0 to start). */
uint32_t snap_crc32c(uint32_t crc, const void *p, size_t len);

struct snap_writer {
	uint8_t *buf;
	size_t len, cap;
	unsigned nr;
	int err; /* the first failure: every later call does nothing */
};

void snapw_init(struct snap_writer *w);
/* Appends one section; 0 or -ENOMEM/-E2BIG (also kept in w->err). */
int snapw_add(struct snap_writer *w, uint32_t type, uint32_t inst, const void *data,
	      size_t len);
/* Fills in the header and appends the trailer; the file is w->buf, w->len.  0 or w->err. */
int snapw_finish(struct snap_writer *w);
void snapw_free(struct snap_writer *w);

struct snap_reader {
	const uint8_t *buf;
	size_t len;
	uint32_t nr;
};

/*
 * Checks the whole file in buf (len bytes): magic, format version, ABI
 * version, length, checksum, every section inside the file.  0, or -EINVAL
 * with one line in err ("not an hv snapshot", "truncated", ...).
 */
int snapr_open(struct snap_reader *r, const void *buf, size_t len, char *err, size_t errlen);

/* The data of section (type, inst) and its length, or NULL. */
const void *snapr_find(const struct snap_reader *r, uint32_t type, uint32_t inst, size_t *len);

#endif
