/* Register table: 'g' layout, 'p' numbers and target.xml from one place. */
#include "debug/gdb_regs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define R(m) offsetof(struct gdb_cpu, r.m)
#define S(m) offsetof(struct gdb_cpu, s.m)
#define F(m) offsetof(struct gdb_cpu, f.m)
#define SZ(m) sizeof(((struct gdb_cpu *)0)->m)

enum feat { CORE, SSE, SEGS, CTRL };
enum { RW = 0, RO = 1, FTAG = 2 };

struct reg {
	const char *name, *type;
	uint8_t size;    /* bytes gdb sees */
	uint8_t src;     /* bytes of the KVM field (copied: min of the two) */
	uint16_t off;    /* of the field in struct gdb_cpu */
	uint8_t feat, how;
};

#define GPR(n, f, t) { n, t, 8, 8, R(f), CORE, RW }
#define SEL(n, f) { n, "int32", 4, 2, S(f.selector), CORE, RO }
#define ST(i) { "st" #i, "i387_ext", 10, 10, F(fpr[i]), CORE, RW }
#define XMM(i) { "xmm" #i, "vec128", 16, 16, F(xmm[i]), SSE, RW }
#define CR(n, f) { n, "int64", 8, 8, S(f), CTRL, RO }

static const struct reg regs[GDB_NREGS] = {
	GPR("rax", rax, "int64"), GPR("rbx", rbx, "int64"), GPR("rcx", rcx, "int64"),
	GPR("rdx", rdx, "int64"), GPR("rsi", rsi, "int64"), GPR("rdi", rdi, "int64"),
	GPR("rbp", rbp, "data_ptr"), GPR("rsp", rsp, "data_ptr"),
	GPR("r8", r8, "int64"), GPR("r9", r9, "int64"), GPR("r10", r10, "int64"),
	GPR("r11", r11, "int64"), GPR("r12", r12, "int64"), GPR("r13", r13, "int64"),
	GPR("r14", r14, "int64"), GPR("r15", r15, "int64"),
	GPR("rip", rip, "code_ptr"),
	{ "eflags", "int32", 4, 4, R(rflags), CORE, RW },
	SEL("cs", cs), SEL("ss", ss), SEL("ds", ds), SEL("es", es), SEL("fs", fs), SEL("gs", gs),
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
	{ "fctrl", "int", 4, 2, F(fcw), CORE, RW },
	{ "fstat", "int", 4, 2, F(fsw), CORE, RW },
	{ "ftag", "int", 4, 1, F(ftwx), CORE, FTAG },
	/* 64-bit FXSAVE: the upper halves of the instruction and operand pointers. */
	{ "fiseg", "int", 4, 4, F(last_ip) + 4, CORE, RW },
	{ "fioff", "int", 4, 4, F(last_ip), CORE, RW },
	{ "foseg", "int", 4, 4, F(last_dp) + 4, CORE, RW },
	{ "fooff", "int", 4, 4, F(last_dp), CORE, RW },
	{ "fop", "int", 4, 2, F(last_opcode), CORE, RW },
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	{ "mxcsr", "int", 4, 4, F(mxcsr), SSE, RW },
	{ "fs_base", "int64", 8, 8, S(fs.base), SEGS, RW },
	{ "gs_base", "int64", 8, 8, S(gs.base), SEGS, RW },
	CR("cr0", cr0), CR("cr2", cr2), CR("cr3", cr3), CR("cr4", cr4), CR("cr8", cr8),
	CR("efer", efer),
};

_Static_assert(SZ(f.ftwx) == 1 && SZ(s.cs.selector) == 2, "KVM field sizes");

int gdb_reg_span(unsigned n, unsigned *off, unsigned *size)
{
	unsigned i, o = 0;

	if (n >= GDB_NREGS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		o += regs[i].size;
	*off = o;
	*size = regs[n].size;
	return 0;
}

/*
 * FXSAVE keeps one bit per x87 register (empty or not); gdb shows the full
 * tag word, two bits each, by physical register: valid, zero, special,
 * empty, worked out from the register's contents as the FPU would.
 */
static uint16_t full_tag(const struct kvm_fpu *f)
{
	unsigned top = (f->fsw >> 11) & 7, i;
	uint16_t tag = 0;

	for (i = 0; i < 8; i++) {
		const uint8_t *st = f->fpr[(i - top) & 7];
		uint64_t mant;
		unsigned exp = (unsigned)(st[8] | st[9] << 8) & 0x7fff, t;

		memcpy(&mant, st, 8);
		if (!(f->ftwx >> i & 1))
			t = 3;
		else if (exp == 0x7fff)
			t = 2;
		else if (exp == 0)
			t = mant ? 2 : 1;
		else
			t = mant >> 63 ? 0 : 2;
		tag = (uint16_t)(tag | t << (2 * i));
	}
	return tag;
}

static uint8_t abridged_tag(uint16_t full)
{
	uint8_t t = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		if ((full >> (2 * i) & 3) != 3)
			t = (uint8_t)(t | 1u << i);
	return t;
}

void gdb_regs_pack(const struct gdb_cpu *c, uint8_t out[GDB_REGS_BYTES])
{
	const uint8_t *base = (const uint8_t *)c;
	unsigned i, o = 0;

	for (i = 0; i < GDB_NREGS; i++) {
		const struct reg *g = &regs[i];

		memset(out + o, 0, g->size);
		if (g->how == FTAG) {
			uint16_t t = full_tag(&c->f);
			memcpy(out + o, &t, 2);
		} else {
			memcpy(out + o, base + g->off, g->src < g->size ? g->src : g->size);
		}
		o += g->size;
	}
}

void gdb_regs_unpack(struct gdb_cpu *c, const uint8_t in[GDB_REGS_BYTES])
{
	uint8_t *base = (uint8_t *)c;
	unsigned i, o = 0;

	for (i = 0; i < GDB_NREGS; o += regs[i].size, i++) {
		const struct reg *g = &regs[i];

		if (g->how == RO)
			continue;
		if (g->how == FTAG) {
			uint16_t t;
			memcpy(&t, in + o, 2);
			c->f.ftwx = abridged_tag(t);
		} else if (g->size < g->src) { /* eflags: the upper half stays (zero) */
			memcpy(base + g->off, in + o, g->size);
		} else {
			memcpy(base + g->off, in + o, g->src);
		}
	}
}

static const char *const feat_names[] = {
	[CORE] = "org.gnu.gdb.i386.core", [SSE] = "org.gnu.gdb.i386.sse",
	[SEGS] = "org.gnu.gdb.i386.segments", [CTRL] = "org.hv.x86.control",
};

/* vec128 as gdb's SSE feature needs a named type: hv's own small union. */
static const char vec128_type[] =
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\"><field name=\"v4_int32\" type=\"v4i32\"/>"
	"<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
	"</union>";

int gdb_target_xml(char *xml, size_t cap)
{
	size_t n;
	unsigned i;
	int f = -1;

	n = (size_t)snprintf(xml, cap,
			     "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
			     "<target version=\"1.0\"><architecture>i386:x86-64</architecture>");
	for (i = 0; i < GDB_NREGS && n < cap; i++) {
		const struct reg *g = &regs[i];

		if (g->feat != f) {
			n += (size_t)snprintf(xml + n, cap - n, "%s<feature name=\"%s\">%s",
					      f < 0 ? "" : "</feature>", feat_names[g->feat],
					      g->feat == SSE ? vec128_type : "");
			f = g->feat;
		}
		if (n < cap)
			n += (size_t)snprintf(xml + n, cap - n,
					      "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"/>",
					      g->name, g->size * 8u, g->type, i);
	}
	if (n < cap)
		n += (size_t)snprintf(xml + n, cap - n, "</feature></target>");
	return n < cap ? (int)n : -ENOSPC;
}
