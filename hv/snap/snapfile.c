/* The snapshot state file's container: writing and checking it (snapfile.h). */
#include "snap/snapfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hv_abi.h"
#include "core/util.h"

uint32_t snap_crc32c(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;
	unsigned k;

	/* Bitwise: a state file is tens of KiB, read once per restore. */
	crc = ~crc;
	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static int reserve(struct snap_writer *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 4096;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (more > SNAP_MAX_BYTES || w->len + more > SNAP_MAX_BYTES)
		return w->err = -E2BIG;
	while (cap < w->len + more)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	p = realloc(w->buf, cap);
	if (!p)
		return w->err = -ENOMEM;
	w->buf = p;
	w->cap = cap;
	return 0;
}

void snapw_init(struct snap_writer *w)
{
	memset(w, 0, sizeof(*w));
	if (!reserve(w, sizeof(struct snap_hdr))) {
		memset(w->buf, 0, sizeof(struct snap_hdr));
		w->len = sizeof(struct snap_hdr);
	}
}

int snapw_add(struct snap_writer *w, uint32_t type, uint32_t inst, const void *data,
	      size_t len)
{
	struct snap_sec s = { type, inst, len };

	if (!w->err && w->nr == SNAP_MAX_SECTIONS)
		w->err = -E2BIG;
	if (reserve(w, sizeof(s) + pad8(len)))
		return w->err;
	memcpy(w->buf + w->len, &s, sizeof(s));
	if (len)
		memcpy(w->buf + w->len + sizeof(s), data, len);
	memset(w->buf + w->len + sizeof(s) + len, 0, pad8(len) - len);
	w->len += sizeof(s) + pad8(len);
	w->nr++;
	return 0;
}

int snapw_finish(struct snap_writer *w)
{
	struct snap_hdr h = { .format = SNAP_FORMAT_VERSION, .abi = HV_ABI_VERSION,
			      .hdr_len = sizeof(struct snap_hdr) };
	struct snap_trailer t = { .end = SNAP_END };

	if (reserve(w, sizeof(t)))
		return w->err;
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.total = w->len + sizeof(t);
	h.nr_sections = w->nr;
	memcpy(w->buf, &h, sizeof(h));
	t.crc = snap_crc32c(0, w->buf, w->len);
	memcpy(w->buf + w->len, &t, sizeof(t));
	w->len += sizeof(t);
	return 0;
}

void snapw_free(struct snap_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* Walks the sections: calls match(type, inst) on each; all inside [hdr, trailer). */
static const struct snap_sec *walk(const struct snap_reader *r, uint32_t type, uint32_t inst,
				   bool any, size_t *count)
{
	size_t off = sizeof(struct snap_hdr), end = r->len - sizeof(struct snap_trailer);
	size_t n = 0;

	while (off < end) {
		struct snap_sec s;

		if (end - off < sizeof(s))
			return NULL;
		memcpy(&s, r->buf + off, sizeof(s));
		if (s.len > end - off - sizeof(s) || pad8(s.len) > end - off - sizeof(s))
			return NULL;
		if (!any && s.type == type && s.inst == inst)
			return (const void *)(r->buf + off);
		off += sizeof(s) + pad8(s.len);
		n++;
	}
	if (count)
		*count = n;
	return any && off == end ? (const void *)r->buf : NULL;
}

int snapr_open(struct snap_reader *r, const void *buf, size_t len, char *err, size_t errlen)
{
	struct snap_hdr h;
	struct snap_trailer t;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(h)) {
		/* Too short to say which: a cut-off snapshot still starts with the magic. */
		if (len >= 6 && !memcmp(buf, SNAP_MAGIC, 6))
			return err_msg(-EINVAL, err, errlen, "truncated snapshot (%zu bytes)", len);
		return err_msg(-EINVAL, err, errlen, "not an hv snapshot (%zu bytes, no header)",
			       len);
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)))
		return err_msg(-EINVAL, err, errlen, "not an hv snapshot (no magic)");
	if (h.format != SNAP_FORMAT_VERSION)
		return err_msg(-EINVAL, err, errlen,
			       "snapshot format version %u, this hv reads version %u", h.format,
			       SNAP_FORMAT_VERSION);
	if (h.abi != HV_ABI_VERSION)
		return err_msg(-EINVAL, err, errlen,
			       "snapshot of a guest on hv ABI version %u, this hv has version %u",
			       h.abi, HV_ABI_VERSION);
	if (h.hdr_len != sizeof(h) || h.total < sizeof(h) + sizeof(t) || h.total > SNAP_MAX_BYTES)
		return err_msg(-EINVAL, err, errlen, "corrupted snapshot (bad header)");
	if (len < h.total)
		return err_msg(-EINVAL, err, errlen,
			       "truncated snapshot (%zu of %llu bytes)", len,
			       (unsigned long long)h.total);
	if (len > h.total)
		return err_msg(-EINVAL, err, errlen,
			       "corrupted snapshot (%zu bytes, the header says %llu)", len,
			       (unsigned long long)h.total);
	memcpy(&t, (const uint8_t *)buf + len - sizeof(t), sizeof(t));
	if (t.end != SNAP_END || t.crc != snap_crc32c(0, buf, len - sizeof(t)))
		return err_msg(-EINVAL, err, errlen, "corrupted snapshot (checksum mismatch)");
	r->buf = buf;
	r->len = len;
	if (!walk(r, 0, 0, true, &n) || n != h.nr_sections) {
		memset(r, 0, sizeof(*r));
		return err_msg(-EINVAL, err, errlen, "corrupted snapshot (bad section records)");
	}
	r->nr = h.nr_sections;
	return 0;
}

const void *snapr_find(const struct snap_reader *r, uint32_t type, uint32_t inst, size_t *len)
{
	const struct snap_sec *s;
	struct snap_sec c;

	if (!r->buf)
		return NULL;
	s = walk(r, type, inst, false, NULL);
	if (!s)
		return NULL;
	memcpy(&c, s, sizeof(c));
	*len = c.len;
	return (const uint8_t *)s + sizeof(c);
}
