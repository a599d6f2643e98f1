/* GDB remote protocol commands: a dispatch table over a target's operations. */
#include "debug/gdb_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* The reply being built: bounded, the packet's data only. */
struct out {
	char *p;
	size_t n;
};

static void put(struct out *o, const char *s)
{
	size_t l = strlen(s), room = GDB_PKT_MAX - o->n;

	l = l < room ? l : room;
	memcpy(o->p + o->n, s, l);
	o->n += l;
}

static void put_hex(struct out *o, const uint8_t *b, size_t n)
{
	if (o->n + 2 * n > GDB_PKT_MAX)
		n = (GDB_PKT_MAX - o->n) / 2;
	gdb_hex_encode(b, n, o->p + o->n);
	o->n += 2 * n;
}

/* The protocol's errors: "Enn", nn an errno value in hex. */
static enum gdb_action error(struct out *o, int err)
{
	char e[8];

	snprintf(e, sizeof(e), "E%02x", (unsigned)(err < 0 ? -err : err) & 0xff);
	put(o, e);
	return GDB_ACT_REPLY;
}

static enum gdb_action ok(struct out *o)
{
	put(o, "OK");
	return GDB_ACT_REPLY;
}

typedef enum gdb_action (*cmd_fn)(struct gdb_session *s, const char *a, const char *e,
				  struct out *o);

/* "ADDR,LEN" then the end or sep; *p past it. */
static int addr_len(const char **p, const char *e, uint64_t *addr, uint64_t *len)
{
	if (gdb_hex_u64(p, e, addr) || *p >= e || **p != ',')
		return -EINVAL;
	(*p)++;
	return gdb_hex_u64(p, e, len);
}

/* Software breakpoints read as what they replaced: gdb sees the program, not int3. */
static void hide_swbp(const struct gdb_session *s, uint64_t addr, uint8_t *buf, uint64_t len)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used && s->sw[i].addr - addr < len)
			buf[s->sw[i].addr - addr] = s->sw[i].orig;
}

/* A write over a software breakpoint changes what it replaced; int3 stays. */
static void keep_swbp(struct gdb_session *s, uint64_t addr, uint8_t *buf, uint64_t len)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used && s->sw[i].addr - addr < len) {
			s->sw[i].orig = buf[s->sw[i].addr - addr];
			buf[s->sw[i].addr - addr] = 0xcc;
		}
}

static enum gdb_action cmd_read_mem(struct gdb_session *s, const char *a, const char *e,
				    struct out *o)
{
	uint8_t buf[GDB_MEM_MAX];
	uint64_t addr, len;

	if (addr_len(&a, e, &addr, &len) || a != e)
		return error(o, EINVAL);
	if (len > sizeof(buf)) /* a shorter reply is allowed: gdb asks again for the rest */
		len = sizeof(buf);
	if (s->ops->read_mem(s->target, addr, buf, len))
		return error(o, EFAULT);
	hide_swbp(s, addr, buf, len);
	put_hex(o, buf, len);
	return GDB_ACT_REPLY;
}

static enum gdb_action cmd_write_mem(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	uint8_t buf[GDB_MEM_MAX];
	uint64_t addr, len;

	if (addr_len(&a, e, &addr, &len) || a >= e || *a++ != ':' || len > sizeof(buf) ||
	    gdb_hex_decode(a, (size_t)(e - a), buf, len))
		return error(o, EINVAL);
	keep_swbp(s, addr, buf, len);
	if (s->ops->write_mem(s->target, addr, buf, len))
		return error(o, EFAULT);
	return ok(o);
}

static enum gdb_action cmd_read_regs(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	uint8_t b[GDB_REGS_BYTES];
	struct gdb_cpu c;

	if (a != e)
		return error(o, EINVAL);
	if (s->ops->get_cpu(s->target, &c))
		return error(o, EIO);
	gdb_regs_pack(&c, b);
	put_hex(o, b, sizeof(b));
	return GDB_ACT_REPLY;
}

static enum gdb_action cmd_write_regs(struct gdb_session *s, const char *a, const char *e,
				      struct out *o)
{
	uint8_t b[GDB_REGS_BYTES];
	struct gdb_cpu c;

	if (gdb_hex_decode(a, (size_t)(e - a), b, sizeof(b)))
		return error(o, EINVAL);
	if (s->ops->get_cpu(s->target, &c))
		return error(o, EIO);
	gdb_regs_unpack(&c, b);
	return s->ops->set_cpu(s->target, &c) ? error(o, EIO) : ok(o);
}

static enum gdb_action cmd_read_reg(struct gdb_session *s, const char *a, const char *e,
				    struct out *o)
{
	uint8_t b[GDB_REGS_BYTES];
	struct gdb_cpu c;
	unsigned off, size;
	uint64_t n;

	if (gdb_hex_u64(&a, e, &n) || a != e || n >= GDB_NREGS ||
	    gdb_reg_span((unsigned)n, &off, &size))
		return error(o, EINVAL);
	if (s->ops->get_cpu(s->target, &c))
		return error(o, EIO);
	gdb_regs_pack(&c, b);
	put_hex(o, b + off, size);
	return GDB_ACT_REPLY;
}

static enum gdb_action cmd_write_reg(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	uint8_t b[GDB_REGS_BYTES];
	struct gdb_cpu c;
	unsigned off, size;
	uint64_t n;

	if (gdb_hex_u64(&a, e, &n) || a >= e || *a++ != '=' || n >= GDB_NREGS ||
	    gdb_reg_span((unsigned)n, &off, &size))
		return error(o, EINVAL);
	if (s->ops->get_cpu(s->target, &c))
		return error(o, EIO);
	gdb_regs_pack(&c, b);
	if (gdb_hex_decode(a, (size_t)(e - a), b + off, size))
		return error(o, EINVAL);
	gdb_regs_unpack(&c, b);
	return s->ops->set_cpu(s->target, &c) ? error(o, EIO) : ok(o);
}

bool gdb_swbp_at(const struct gdb_session *s, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used && s->sw[i].addr == addr)
			return true;
	return false;
}

static int swbp_insert(struct gdb_session *s, uint64_t addr)
{
	static const uint8_t int3 = 0xcc;
	struct gdb_swbp *free_slot = NULL;
	unsigned i;
	uint8_t orig;

	if (gdb_swbp_at(s, addr)) /* gdb may insert one twice: once is enough */
		return 0;
	for (i = 0; i < GDB_MAX_SWBP && !free_slot; i++)
		if (!s->sw[i].used)
			free_slot = &s->sw[i];
	if (!free_slot)
		return -ENOSPC;
	if (s->ops->read_mem(s->target, addr, &orig, 1) ||
	    s->ops->write_mem(s->target, addr, &int3, 1))
		return -EFAULT;
	*free_slot = (struct gdb_swbp){ addr, orig, true };
	return 0;
}

static int swbp_remove(struct gdb_session *s, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used && s->sw[i].addr == addr) {
			s->sw[i].used = false;
			return s->ops->write_mem(s->target, addr, &s->sw[i].orig, 1) ? -EFAULT : 0;
		}
	return -ENOENT;
}

/* A debug register watches 1, 2, 4 or 8 bytes aligned to their size; executes watch 1. */
static int hwbp_insert(struct gdb_session *s, unsigned type, uint64_t addr, uint64_t len)
{
	unsigned i;

	if (type == GDB_HWBP)
		len = 1;
	else if ((len != 1 && len != 2 && len != 4 && len != 8) || addr & (len - 1))
		return -EINVAL;
	for (i = 0; i < GDB_NR_HWBP; i++)
		if (s->hw[i].used && s->hw[i].addr == addr && s->hw[i].type == type &&
		    s->hw[i].len == len)
			return 0;
	for (i = 0; i < GDB_NR_HWBP; i++)
		if (!s->hw[i].used) {
			s->hw[i] = (struct gdb_hwbp){ addr, (uint8_t)type, (uint8_t)len, true };
			return 0;
		}
	return -ENOSPC;
}

static int hwbp_remove(struct gdb_session *s, unsigned type, uint64_t addr, uint64_t len)
{
	unsigned i;

	for (i = 0; i < GDB_NR_HWBP; i++)
		if (s->hw[i].used && s->hw[i].addr == addr && s->hw[i].type == type &&
		    (type == GDB_HWBP || s->hw[i].len == len)) {
			s->hw[i].used = false;
			return 0;
		}
	return -ENOENT;
}

/* Z/z TYPE,ADDR,KIND: the type was checked to be 0..4. */
static enum gdb_action breakpoint(struct gdb_session *s, const char *a, const char *e,
				  struct out *o, bool insert)
{
	uint64_t addr, kind;
	unsigned type;
	int rc;

	if (e - a < 2 || a[0] < '0' || a[0] > '4' || a[1] != ',')
		return error(o, EINVAL);
	type = (unsigned)(a[0] - '0');
	a += 2;
	if (addr_len(&a, e, &addr, &kind) || a != e)
		return error(o, EINVAL);
	if (type == GDB_SWBP)
		rc = insert ? swbp_insert(s, addr) : swbp_remove(s, addr);
	else
		rc = insert ? hwbp_insert(s, type, addr, kind) : hwbp_remove(s, type, addr, kind);
	return rc ? error(o, rc) : ok(o);
}

static enum gdb_action cmd_insert_bp(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	return breakpoint(s, a, e, o, true);
}

static enum gdb_action cmd_remove_bp(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	return breakpoint(s, a, e, o, false);
}

/* 'c [ADDR]' and 's [ADDR]': resume, at ADDR if given. */
static enum gdb_action resume_at(struct gdb_session *s, const char *a, const char *e,
				 struct out *o, enum gdb_action act)
{
	struct gdb_cpu c;
	uint64_t addr;

	if (a == e)
		return act;
	if (gdb_hex_u64(&a, e, &addr) || a != e)
		return error(o, EINVAL);
	if (s->ops->get_cpu(s->target, &c))
		return error(o, EIO);
	c.r.rip = addr;
	return s->ops->set_cpu(s->target, &c) ? error(o, EIO) : act;
}

static enum gdb_action cmd_continue(struct gdb_session *s, const char *a, const char *e,
				    struct out *o)
{
	return resume_at(s, a, e, o, GDB_ACT_CONTINUE);
}

static enum gdb_action cmd_step(struct gdb_session *s, const char *a, const char *e,
				struct out *o)
{
	return resume_at(s, a, e, o, GDB_ACT_STEP);
}

/*
 * vCont;ACTION[:THREAD][;ACTION...]: one vCPU, so the first action is the
 * one (gdb lists the thread's own first).  Signals are not delivered to the
 * guest: C and S resume as c and s.
 */
static enum gdb_action cmd_vcont(struct gdb_session *s, const char *a, const char *e,
				 struct out *o)
{
	(void)s;
	if (a == e)
		return error(o, EINVAL);
	switch (*a) {
	case 'c':
	case 'C':
		return GDB_ACT_CONTINUE;
	case 's':
	case 'S':
		return GDB_ACT_STEP;
	default:
		return error(o, EINVAL);
	}
}

static enum gdb_action cmd_stop_reason(struct gdb_session *s, const char *a, const char *e,
				       struct out *o)
{
	(void)a;
	(void)e;
	put(o, s->stop);
	return GDB_ACT_REPLY;
}

static enum gdb_action cmd_supported(struct gdb_session *s, const char *a, const char *e,
				     struct out *o)
{
	char b[128];

	(void)s;
	(void)a;
	(void)e;
	snprintf(b, sizeof(b),
		 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;"
		 "vContSupported+", GDB_PKT_MAX);
	put(o, b);
	return GDB_ACT_REPLY;
}

static enum gdb_action cmd_no_ack(struct gdb_session *s, const char *a, const char *e,
				  struct out *o)
{
	(void)a;
	(void)e;
	s->no_ack = true; /* the stub acknowledges this packet itself, then no more */
	return ok(o);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH: "m" more follows, "l" the last part. */
static enum gdb_action cmd_features(struct gdb_session *s, const char *a, const char *e,
				    struct out *o)
{
	uint64_t off, len;

	if (addr_len(&a, e, &off, &len) || a != e)
		return error(o, EINVAL);
	if (off >= (uint64_t)s->xml_len) {
		put(o, "l");
		return GDB_ACT_REPLY;
	}
	/* Room for "m" and the escapes of '*' the encoder may add: the XML has none. */
	if (len > GDB_PKT_MAX - 1)
		len = GDB_PKT_MAX - 1;
	if (len > (uint64_t)s->xml_len - off)
		len = (uint64_t)s->xml_len - off;
	put(o, off + len < (uint64_t)s->xml_len ? "m" : "l");
	memcpy(o->p + o->n, s->xml + off, len);
	o->n += len;
	return GDB_ACT_REPLY;
}

/* Commands whose answer and action do not depend on their arguments. */
#define FIXED(fn, text, act)                                                             \
	static enum gdb_action fn(struct gdb_session *s, const char *a, const char *e,  \
				  struct out *o)                                        \
	{                                                                                \
		(void)s;                                                                 \
		(void)a;                                                                 \
		(void)e;                                                                 \
		put(o, text);                                                            \
		return act;                                                              \
	}

FIXED(cmd_ok, "OK", GDB_ACT_REPLY) /* H (one thread), T (it is alive), qSymbol */
FIXED(cmd_vcont_query, "vCont;c;C;s;S", GDB_ACT_REPLY)
FIXED(cmd_attached, "1", GDB_ACT_REPLY) /* attached: gdb's quit detaches, the guest goes on */
FIXED(cmd_thread_first, "m1", GDB_ACT_REPLY) /* one thread, the vCPU */
FIXED(cmd_thread_next, "l", GDB_ACT_REPLY)
FIXED(cmd_current_thread, "QC1", GDB_ACT_REPLY)
FIXED(cmd_detach, "OK", GDB_ACT_DETACH)
FIXED(cmd_kill, "", GDB_ACT_KILL) /* 'k' has no reply */
FIXED(cmd_vkill, "OK", GDB_ACT_KILL)

/*
 * Longest names first where one is the prefix of another; exact names
 * match the whole packet only (qC is not qCRC).
 */
static const struct cmd {
	const char *name;
	bool exact;
	cmd_fn fn;
} cmds[] = {
	{ "qSupported", false, cmd_supported },
	{ "qXfer:features:read:target.xml:", false, cmd_features },
	{ "QStartNoAckMode", true, cmd_no_ack },
	{ "qfThreadInfo", true, cmd_thread_first },
	{ "qsThreadInfo", true, cmd_thread_next },
	{ "qAttached", false, cmd_attached },
	{ "qSymbol", false, cmd_ok },
	{ "qC", true, cmd_current_thread },
	{ "vCont?", true, cmd_vcont_query },
	{ "vCont;", false, cmd_vcont },
	{ "vKill", false, cmd_vkill },
	{ "?", true, cmd_stop_reason },
	{ "g", true, cmd_read_regs },
	{ "G", false, cmd_write_regs },
	{ "p", false, cmd_read_reg },
	{ "P", false, cmd_write_reg },
	{ "m", false, cmd_read_mem },
	{ "M", false, cmd_write_mem },
	{ "Z", false, cmd_insert_bp },
	{ "z", false, cmd_remove_bp },
	{ "c", false, cmd_continue },
	{ "s", false, cmd_step },
	{ "D", false, cmd_detach },
	{ "k", true, cmd_kill },
	{ "H", false, cmd_ok },
	{ "T", false, cmd_ok },
};

enum gdb_action gdb_cmd(struct gdb_session *s, const char *pkt, size_t len, char *reply,
			size_t *rlen)
{
	struct out o = { reply, 0 };
	enum gdb_action act = GDB_ACT_REPLY;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		size_t n = strlen(cmds[i].name);

		if (len >= n && !memcmp(pkt, cmds[i].name, n) && (!cmds[i].exact || len == n)) {
			act = cmds[i].fn(s, pkt + n, pkt + len, &o);
			break;
		}
	}
	reply[o.n] = '\0';
	*rlen = o.n;
	return act;
}

size_t gdb_stop_reply(struct gdb_session *s, const struct gdb_stop *st, char *reply)
{
	const char *why = "";
	char watch[40] = "";
	unsigned i;

	if (st->exception == 3) {
		why = "swbreak:;";
	} else if (st->exception == 1) {
		/* DR6's B0..B3: the debug register that fired, if one did (not a single step). */
		for (i = 0; i < GDB_NR_HWBP; i++)
			if (st->dr6 >> i & 1 && s->hw[i].used)
				break;
		if (i < GDB_NR_HWBP && s->hw[i].type == GDB_HWBP)
			why = "hwbreak:;";
		else if (i < GDB_NR_HWBP)
			snprintf(watch, sizeof(watch), "%s:%llx;",
				 s->hw[i].type == GDB_WP_WRITE  ? "watch"
				 : s->hw[i].type == GDB_WP_READ ? "rwatch"
								: "awatch",
				 (unsigned long long)s->hw[i].addr);
	}
	snprintf(s->stop, sizeof(s->stop), "T%02xthread:1;%s%s", st->signal & 0xff, why, watch);
	strcpy(reply, s->stop);
	return strlen(reply);
}

/* DR7: L0..L3 enable each slot; RW (00 execute, 01 write, 11 read or write) and LEN per slot. */
bool gdb_debug_regs(const struct gdb_session *s, uint64_t dr[8])
{
	static const uint8_t len_bits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
	bool any = false;
	unsigned i;

	memset(dr, 0, 8 * sizeof(*dr));
	for (i = 0; i < GDB_NR_HWBP; i++) {
		const struct gdb_hwbp *h = &s->hw[i];
		uint64_t rw, len;

		if (!h->used)
			continue;
		/* x86 has no read-only watch: a read watchpoint watches reads and writes. */
		rw = h->type == GDB_HWBP ? 0 : h->type == GDB_WP_WRITE ? 1 : 3;
		len = h->type == GDB_HWBP ? 0 : len_bits[h->len];
		dr[i] = h->addr;
		dr[7] |= 1ull << (2 * i) | rw << (16 + 4 * i) | len << (18 + 4 * i);
		any = true;
	}
	if (any)
		dr[7] |= 1ull << 9; /* GE: exact data breakpoints (legacy, harmless) */
	return any;
}

void gdb_session_release(struct gdb_session *s)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used)
			swbp_remove(s, s->sw[i].addr);
	memset(s->hw, 0, sizeof(s->hw));
}

int gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *target)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->target = target;
	s->xml_len = gdb_target_xml(s->xml, sizeof(s->xml));
	if (s->xml_len < 0)
		return s->xml_len;
	snprintf(s->stop, sizeof(s->stop), "T05thread:1;");
	return 0;
}
