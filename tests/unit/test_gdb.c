/*
 * The gdb stub's protocol (hv/debug): framing of hostile bytes, the command
 * table over a fake target (a flat memory, a register file), the 'g' layout
 * against the target description, breakpoints and the debug registers they
 * become, stop replies.  The KVM side is the integration test's (gdb.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "debug/gdb_cmd.h"
#include "debug/gdb_packet.h"
#include "debug/gdb_regs.h"
#include "suites.h"

#define FAKE_BASE 0x1000
#define FAKE_SIZE 0x2000

struct fake {
	struct gdb_cpu cpu;
	uint8_t mem[FAKE_SIZE];
	unsigned set_cpu_calls;
};

static int f_get(void *t, struct gdb_cpu *c)
{
	*c = ((struct fake *)t)->cpu;
	return 0;
}

static int f_set(void *t, const struct gdb_cpu *c)
{
	((struct fake *)t)->cpu = *c;
	((struct fake *)t)->set_cpu_calls++;
	return 0;
}

static int f_read(void *t, uint64_t gva, void *buf, size_t len)
{
	struct fake *f = t;

	if (gva < FAKE_BASE || gva - FAKE_BASE > FAKE_SIZE || len > FAKE_SIZE - (gva - FAKE_BASE))
		return -EFAULT;
	memcpy(buf, f->mem + (gva - FAKE_BASE), len);
	return 0;
}

static int f_write(void *t, uint64_t gva, const void *buf, size_t len)
{
	struct fake *f = t;

	if (gva < FAKE_BASE || gva - FAKE_BASE > FAKE_SIZE || len > FAKE_SIZE - (gva - FAKE_BASE))
		return -EFAULT;
	memcpy(f->mem + (gva - FAKE_BASE), buf, len);
	return 0;
}

static const struct gdb_target_ops fake_ops = { f_get, f_set, f_read, f_write };

static struct fake fk;
static struct gdb_session ses;
static char reply[GDB_PKT_MAX + 1];

static enum gdb_action cmd(const char *pkt)
{
	size_t n;

	return gdb_cmd(&ses, pkt, strlen(pkt), reply, &n);
}

static void setup(void)
{
	unsigned i;

	memset(&fk, 0, sizeof(fk));
	for (i = 0; i < FAKE_SIZE; i++)
		fk.mem[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(gdb_session_init(&ses, &fake_ops, &fk), 0);
}

/* Feeds s; the last event and, for a packet, its data in out. */
static enum gdb_frame_event feed(struct gdb_framer *f, const char *s, size_t n)
{
	enum gdb_frame_event e = GDB_FR_NONE, last = GDB_FR_NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		e = gdb_frame_feed(f, (uint8_t)s[i]);
		if (e != GDB_FR_NONE)
			last = e;
	}
	return last;
}

static void test_framing(void)
{
	struct gdb_framer f;
	char out[64], big[GDB_PKT_MAX + 16];
	int n;

	gdb_frame_init(&f);
	CU_ASSERT_EQUAL(feed(&f, "$g#67", 5), GDB_FR_PACKET);
	CU_ASSERT_STRING_EQUAL(f.data, "g");
	CU_ASSERT_EQUAL(feed(&f, "$g#68", 5), GDB_FR_BAD);       /* checksum */
	CU_ASSERT_EQUAL(feed(&f, "$g#6x", 5), GDB_FR_BAD);       /* not hex */
	CU_ASSERT_EQUAL(feed(&f, "\x03", 1), GDB_FR_INTR);
	CU_ASSERT_EQUAL(feed(&f, "+", 1), GDB_FR_ACK);
	CU_ASSERT_EQUAL(feed(&f, "-", 1), GDB_FR_NAK);
	CU_ASSERT_EQUAL(feed(&f, "junk", 4), GDB_FR_NONE);       /* noise between packets */
	CU_ASSERT_EQUAL(feed(&f, "$xx$?#3f", 8), GDB_FR_PACKET); /* restart on '$' */
	CU_ASSERT_STRING_EQUAL(f.data, "?");
	/* Inside a packet 0x03 is data, not Ctrl-C */
	CU_ASSERT_EQUAL(feed(&f, "$\x03#03", 5), GDB_FR_PACKET);
	/* Too long: refused whatever the checksum says, and the framer recovers. */
	memset(big, 'a', sizeof(big));
	big[0] = '$';
	CU_ASSERT_EQUAL(feed(&f, big, sizeof(big)), GDB_FR_NONE);
	CU_ASSERT_EQUAL(feed(&f, "#00", 3), GDB_FR_BAD);
	CU_ASSERT_EQUAL(feed(&f, "$g#67", 5), GDB_FR_PACKET);

	n = gdb_frame_encode("OK", 2, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(memcmp(out, "$OK#9a", 6), 0);
	/* '#', '$', '}' and '*' escaped: '}' then the byte xor 0x20 */
	n = gdb_frame_encode("a#b", 3, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(memcmp(out, "$a}\x03" "b#", 6), 0);
	CU_ASSERT_EQUAL(gdb_frame_encode("abc", 3, out, 6), -ENOSPC);
}

static void test_hex(void)
{
	const char *p, *s = "123456789abcdef01";
	uint8_t b[2];
	uint64_t v;

	p = s;
	CU_ASSERT_EQUAL(gdb_hex_u64(&p, s + 16, &v), 0);
	CU_ASSERT_EQUAL(v, 0x123456789abcdef0ull);
	p = s;
	CU_ASSERT_EQUAL(gdb_hex_u64(&p, s + 17, &v), -EINVAL); /* 17 digits overflow */
	p = ",1";
	CU_ASSERT_EQUAL(gdb_hex_u64(&p, p + 2, &v), -EINVAL);
	CU_ASSERT_EQUAL(gdb_hex_decode("0aF0", 4, b, 2), 0);
	CU_ASSERT(b[0] == 0x0a && b[1] == 0xf0);
	CU_ASSERT_EQUAL(gdb_hex_decode("0aF", 3, b, 2), -EINVAL);
	CU_ASSERT_EQUAL(gdb_hex_decode("0g00", 4, b, 2), -EINVAL);
}

static void test_handshake(void)
{
	setup();
	CU_ASSERT_EQUAL(cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"),
			GDB_ACT_REPLY);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "PacketSize=1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "qXfer:features:read+"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "swbreak+"));
	cmd("vMustReplyEmpty");
	CU_ASSERT_STRING_EQUAL(reply, "");
	CU_ASSERT_FALSE(ses.no_ack);
	cmd("QStartNoAckMode");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_TRUE(ses.no_ack);
	cmd("Hg0");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	cmd("?");
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;");
	cmd("qfThreadInfo");
	CU_ASSERT_STRING_EQUAL(reply, "m1");
	cmd("qsThreadInfo");
	CU_ASSERT_STRING_EQUAL(reply, "l");
	cmd("qC");
	CU_ASSERT_STRING_EQUAL(reply, "QC1");
	cmd("qCRC:0,1"); /* not qC */
	CU_ASSERT_STRING_EQUAL(reply, "");
	cmd("qAttached");
	CU_ASSERT_STRING_EQUAL(reply, "1");
	cmd("qTStatus");
	CU_ASSERT_STRING_EQUAL(reply, "");
	cmd("vCont?");
	CU_ASSERT_STRING_EQUAL(reply, "vCont;c;C;s;S");
	CU_ASSERT_EQUAL(cmd("vCont;s:1;c"), GDB_ACT_STEP);
	CU_ASSERT_EQUAL(cmd("vCont;c"), GDB_ACT_CONTINUE);
	CU_ASSERT_EQUAL(cmd("vCont;C05"), GDB_ACT_CONTINUE);
	CU_ASSERT_EQUAL(cmd("vCont;t"), GDB_ACT_REPLY);
	CU_ASSERT_EQUAL(cmd("vCont;"), GDB_ACT_REPLY);
	CU_ASSERT_EQUAL(cmd("c"), GDB_ACT_CONTINUE);
	CU_ASSERT_EQUAL(cmd("s"), GDB_ACT_STEP);
	CU_ASSERT_EQUAL(cmd("D"), GDB_ACT_DETACH);
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(cmd("k"), GDB_ACT_KILL);
	CU_ASSERT_EQUAL(cmd("vKill;1"), GDB_ACT_KILL);
	CU_ASSERT_EQUAL(cmd(""), GDB_ACT_REPLY);
	CU_ASSERT_STRING_EQUAL(reply, "");
}

static void test_target_xml(void)
{
	char xml[GDB_XML_MAX];
	unsigned off, size, i, total = 0;
	int n = gdb_target_xml(xml, sizeof(xml));

	CU_ASSERT(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "name=\"cr3\""));
	CU_ASSERT_EQUAL(gdb_target_xml(xml, 100), -ENOSPC);
	gdb_target_xml(xml, sizeof(xml));
	for (i = 0; i < GDB_NREGS; i++) {
		CU_ASSERT_EQUAL(gdb_reg_span(i, &off, &size), 0);
		CU_ASSERT_EQUAL(off, total);
		total += size;
	}
	CU_ASSERT_EQUAL(total, GDB_REGS_BYTES);
	CU_ASSERT_EQUAL(gdb_reg_span(GDB_NREGS, &off, &size), -EINVAL);

	/* In pieces, as gdb reads it: "m" then "l", the whole text once. */
	setup();
	cmd("qXfer:features:read:target.xml:0,100");
	CU_ASSERT_EQUAL(reply[0], 'm');
	CU_ASSERT_EQUAL(strlen(reply), 0x101);
	CU_ASSERT_EQUAL(strncmp(reply + 1, xml, 0x100), 0);
	snprintf(xml, sizeof(xml), "qXfer:features:read:target.xml:%x,ffb", ses.xml_len - 5);
	cmd(xml);
	CU_ASSERT_STRING_EQUAL(reply, "lrget>");
	snprintf(xml, sizeof(xml), "qXfer:features:read:target.xml:%x,ffb", ses.xml_len);
	cmd(xml);
	CU_ASSERT_STRING_EQUAL(reply, "l");
	cmd("qXfer:features:read:target.xml:zz");
	CU_ASSERT_EQUAL(reply[0], 'E');
}

static void test_registers(void)
{
	uint8_t b[GDB_REGS_BYTES];
	char hex[2 * GDB_REGS_BYTES + 2], set[64];
	unsigned off, size;

	setup();
	fk.cpu.r.rax = 0x1122334455667788ull;
	fk.cpu.r.rip = 0xffffffff81000000ull;
	fk.cpu.r.rflags = 0x246;
	fk.cpu.s.cs.selector = 0x10;
	fk.cpu.s.cr3 = 0x5000;
	fk.cpu.s.fs.base = 0xabc;
	fk.cpu.f.fcw = 0x37f;
	fk.cpu.f.mxcsr = 0x1f80;
	fk.cpu.f.xmm[3][0] = 0x5a;
	cmd("g");
	CU_ASSERT_EQUAL(strlen(reply), 2 * GDB_REGS_BYTES);
	CU_ASSERT_EQUAL(strncmp(reply, "8877665544332211", 16), 0);
	gdb_reg_span(GDB_REG_RIP, &off, &size);
	CU_ASSERT_EQUAL(strncmp(reply + 2 * off, "00000081ffffffff" "46020000", 24), 0);
	cmd("p3d"); /* cr3 */
	CU_ASSERT_STRING_EQUAL(reply, "0050000000000000");
	cmd("p39"); /* fs_base */
	CU_ASSERT_STRING_EQUAL(reply, "bc0a000000000000");
	cmd("p12"); /* cs */
	CU_ASSERT_STRING_EQUAL(reply, "10000000");
	cmd("p2b"); /* xmm3 */
	CU_ASSERT_EQUAL(strncmp(reply, "5a00", 4), 0);
	cmd("p41");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("pzz");
	CU_ASSERT_EQUAL(reply[0], 'E');
	/* An empty x87 stack: every tag empty (11). */
	cmd("p22");
	CU_ASSERT_STRING_EQUAL(reply, "ffff0000");

	/* P: rip written, cs and cr3 shown only */
	cmd("P10=0010000000000000");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(fk.cpu.r.rip, 0x1000);
	cmd("P12=33000000");
	CU_ASSERT_EQUAL(fk.cpu.s.cs.selector, 0x10);
	cmd("P3d=0000000000000000");
	CU_ASSERT_EQUAL(fk.cpu.s.cr3, 0x5000);
	cmd("P10=00");
	CU_ASSERT_EQUAL(reply[0], 'E');
	snprintf(set, sizeof(set), "P%x=00", GDB_NREGS);
	cmd(set);
	CU_ASSERT_EQUAL(reply[0], 'E');

	/* G round trip: what g gave, G takes back unchanged */
	cmd("g");
	hex[0] = 'G';
	memcpy(hex + 1, reply, strlen(reply) + 1);
	fk.set_cpu_calls = 0;
	cmd(hex);
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(fk.set_cpu_calls, 1);
	CU_ASSERT_EQUAL(fk.cpu.r.rax, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(fk.cpu.f.mxcsr, 0x1f80);
	cmd("G00");
	CU_ASSERT_EQUAL(reply[0], 'E');

	/* x87 tags from the abridged word: one valid register at TOP */
	fk.cpu.f.ftwx = 0x80;
	fk.cpu.f.fsw = 7 << 11;
	fk.cpu.f.fpr[0][7] = 0x80; /* integer bit */
	fk.cpu.f.fpr[0][8] = 0xff;
	fk.cpu.f.fpr[0][9] = 0x3f;
	{
		struct gdb_cpu c = fk.cpu;
		gdb_regs_pack(&c, b);
		gdb_reg_span(34, &off, &size);
		CU_ASSERT_EQUAL(b[off] | b[off + 1] << 8, 0x3fff); /* reg 7 valid (00) */
		c.f.ftwx = 0;
		gdb_regs_unpack(&c, b);
		CU_ASSERT_EQUAL(c.f.ftwx, 0x80);
	}
}

static void test_memory(void)
{
	char big[64];

	setup();
	cmd("m1000,4");
	CU_ASSERT_STRING_EQUAL(reply, "00010203");
	cmd("m2ffe,2");
	CU_ASSERT_STRING_EQUAL(reply, "feff");
	cmd("m2fff,2"); /* crosses the end */
	CU_ASSERT_STRING_EQUAL(reply, "E0e");
	cmd("m0,1");
	CU_ASSERT_STRING_EQUAL(reply, "E0e");
	cmd("m1000");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("m1000,4,");
	CU_ASSERT_EQUAL(reply[0], 'E');
	/* Longer than a reply holds: a shorter answer, which gdb takes */
	cmd("m1000,ffffffffffffffff");
	CU_ASSERT_EQUAL(strlen(reply), 2 * GDB_MEM_MAX);
	cmd("M1004,2:aabb");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT(fk.mem[4] == 0xaa && fk.mem[5] == 0xbb);
	cmd("M1004,2:aab");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("M1004,3:aabb");
	CU_ASSERT_EQUAL(reply[0], 'E');
	snprintf(big, sizeof(big), "M1000,%x:00", GDB_MEM_MAX + 1);
	cmd(big);
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("X1000,0:");
	CU_ASSERT_STRING_EQUAL(reply, ""); /* binary writes unsupported: gdb uses M */
}

static void test_breakpoints(void)
{
	uint64_t dr[8];
	struct gdb_stop st = { 5, 3, 0 };

	setup();
	CU_ASSERT_FALSE(gdb_debug_regs(&ses, dr));
	/* Z0: int3 in memory, hidden from reads, kept under writes, gone after z0 */
	cmd("Z0,1010,1");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(fk.mem[0x10], 0xcc);
	CU_ASSERT_TRUE(gdb_swbp_at(&ses, 0x1010));
	cmd("Z0,1010,1"); /* twice: once in memory */
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	cmd("m100f,3");
	CU_ASSERT_STRING_EQUAL(reply, "0f1011");
	cmd("M1010,1:90");
	CU_ASSERT_EQUAL(fk.mem[0x10], 0xcc);
	cmd("z0,1010,1");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(fk.mem[0x10], 0x90);
	cmd("z0,1010,1");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("Z0,10,1"); /* unmapped */
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("Z5,1010,1");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("Z0,1010");
	CU_ASSERT_EQUAL(reply[0], 'E');

	/* Z1..Z4 share DR0..3 */
	cmd("Z1,401000,1");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	cmd("Z2,2000,4");
	cmd("Z3,3000,8");
	cmd("Z4,4000,2");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	cmd("Z2,5000,4");
	CU_ASSERT_STRING_EQUAL(reply, "E1c"); /* ENOSPC: four in use */
	cmd("z2,5000,4");
	CU_ASSERT_STRING_EQUAL(reply, "E02"); /* ENOENT */
	CU_ASSERT_TRUE(gdb_debug_regs(&ses, dr));
	CU_ASSERT_EQUAL(dr[0], 0x401000);
	CU_ASSERT_EQUAL(dr[1], 0x2000);
	/* L0..L3, GE; RW/LEN: 0 exec/1; 01 write/11 (4); 11 rw/10 (8); 11 rw/01 (2) */
	CU_ASSERT_EQUAL(dr[7], 0x55ull | 1 << 9 | 0x0ull << 16 | 0xdull << 20 | 0xbull << 24 |
				       0x7ull << 28);
	cmd("z3,3000,8");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	cmd("Z2,5001,4"); /* misaligned */
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("Z2,5000,3");
	CU_ASSERT_EQUAL(reply[0], 'E');
	cmd("Z2,5000,4");
	CU_ASSERT_STRING_EQUAL(reply, "OK");
	CU_ASSERT_EQUAL(ses.hw[2].addr, 0x5000); /* the freed slot */

	/* Stop replies */
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;swbreak:;");
	st = (struct gdb_stop){ 5, 1, 1 };
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;hwbreak:;");
	st.dr6 = 2;
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;watch:2000;");
	st.dr6 = 4;
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;watch:5000;");
	st.dr6 = 8;
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;awatch:4000;");
	st.dr6 = 1u << 14; /* BS: a single step */
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T05thread:1;");
	st = (struct gdb_stop){ 2, 0, 0 };
	gdb_stop_reply(&ses, &st, reply);
	CU_ASSERT_STRING_EQUAL(reply, "T02thread:1;");
	cmd("?");
	CU_ASSERT_STRING_EQUAL(reply, "T02thread:1;");

	/* Release: memory restored, registers free */
	cmd("Z0,1020,1");
	CU_ASSERT_EQUAL(fk.mem[0x20], 0xcc);
	gdb_session_release(&ses);
	CU_ASSERT_EQUAL(fk.mem[0x20], 0x20);
	CU_ASSERT_FALSE(gdb_swbp_at(&ses, 0x1020));
	CU_ASSERT_FALSE(gdb_debug_regs(&ses, dr));
}

static void test_resume_at(void)
{
	setup();
	CU_ASSERT_EQUAL(cmd("c1234"), GDB_ACT_CONTINUE);
	CU_ASSERT_EQUAL(fk.cpu.r.rip, 0x1234);
	CU_ASSERT_EQUAL(cmd("s1238"), GDB_ACT_STEP);
	CU_ASSERT_EQUAL(fk.cpu.r.rip, 0x1238);
	CU_ASSERT_EQUAL(cmd("cxyz"), GDB_ACT_REPLY);
	CU_ASSERT_EQUAL(reply[0], 'E');
}

int suite_gdb(void)
{
	static const CU_TestInfo t[] = {
		{ "packet framing and encoding", test_framing },
		{ "hex fields", test_hex },
		{ "what gdb 13 sends first", test_handshake },
		{ "target.xml and the g layout", test_target_xml },
		{ "registers: g, G, p, P", test_registers },
		{ "memory: m, M", test_memory },
		{ "breakpoints, debug registers, stop replies", test_breakpoints },
		{ "c and s at an address", test_resume_at },
		CU_TEST_INFO_NULL,
	};
	return add_suite("gdb", t);
}
