/* Fault rules (hv/fault/fault.c): the --fault grammar, every refusal, and the seeded decisions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "api/api.h"
#include "backend/net.h"
#include "core/cli.h"
#include "core/util.h"
#include "core/vm.h"
#include "hv_net.h"
#include "pv/pvnet_back.h"
#include "fault/fault.h"
#include "fault/fault_irq.h"
#include "fault/fault_net.h"
#include "suites.h"

#define ARGV(...) ((char *const[]){ "hv", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "hv", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, err, ...) cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg, err, sizeof(err))

static void test_grammar(void)
{
	struct fault_plan p;
	char err[256];
	const struct fault_rule *r;

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvblk0:read-error@p0.01,delay=2ms@n5,"
					      "write-error@s100-107,flush-error,torn-write@n2,"
					      "wrong-len@p1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(p.nr, 1);
	CU_ASSERT_STRING_EQUAL(p.dev[0].name, "pvblk0");
	CU_ASSERT_EQUAL(p.dev[0].queue, 0);
	CU_ASSERT_EQUAL_FATAL(p.dev[0].nr, 6);
	r = p.dev[0].rule;
	CU_ASSERT(r[0].action == FAULT_READ_ERROR && r[0].when == FAULT_PROB);
	/* 0.01 * 2^64, rounded down */
	CU_ASSERT_EQUAL(r[0].a, 184467440737095516ull);
	CU_ASSERT(r[1].action == FAULT_DELAY && r[1].arg == 2000000 && r[1].when == FAULT_NTH &&
		  r[1].a == 5);
	CU_ASSERT(r[2].action == FAULT_WRITE_ERROR && r[2].when == FAULT_SECTORS && r[2].a == 100 &&
		  r[2].b == 107);
	CU_ASSERT(r[3].action == FAULT_FLUSH_ERROR && r[3].when == FAULT_ALWAYS);
	CU_ASSERT(r[4].action == FAULT_TORN_WRITE && r[4].a == 2);
	CU_ASSERT(r[5].action == FAULT_WRONG_LEN && r[5].when == FAULT_ALWAYS); /* p1 is always */
	/* The same device again adds rules; another device, queue syntax, units. */
	CU_ASSERT_EQUAL(fault_parse(&p, "pvblk0:delay=1s", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.dev[0].nr, 7);
	CU_ASSERT_EQUAL(p.dev[0].rule[6].arg, 1000000000ull);
	CU_ASSERT_EQUAL(fault_parse(&p, "trapblk7/0:delay=500us@p.5,delay=100ns,read-error@p0",
				    err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.nr, 2);
	CU_ASSERT_STRING_EQUAL(p.dev[1].name, "trapblk7");
	CU_ASSERT_EQUAL(p.dev[1].rule[0].arg, 500000);
	CU_ASSERT_EQUAL(p.dev[1].rule[0].a, 1ull << 63);
	CU_ASSERT_EQUAL(p.dev[1].rule[1].arg, 100);
	CU_ASSERT(p.dev[1].rule[2].when == FAULT_PROB && p.dev[1].rule[2].a == 0);
	CU_ASSERT_EQUAL(fault_parse_seed(&p, "18446744073709551615", err, sizeof(err)), 0);
	CU_ASSERT(p.seed_given && p.seed == UINT64_MAX);
}

/* Every refusal: its status and its whole one-line message. */
static void test_refusals(void)
{
	static const struct { const char *arg, *msg; } bad[] = {
		{ "pvblk0", "--fault: 'pvblk0' is not DEVICE:RULE[,RULE...] (e.g. "
			    "pvblk0:read-error@p0.01)" },
		{ "disk0:read-error", "--fault: unknown device 'disk0' (pvblkN, trapblkN, pvnetN or trapnetN; N below 8)" },
		{ "pvblk8:read-error", "--fault: unknown device 'pvblk8' (pvblkN, trapblkN, pvnetN or trapnetN; N below 8)" },
		{ "pvblk:read-error", "--fault: unknown device 'pvblk' (pvblkN, trapblkN, pvnetN or trapnetN; N below 8)" },
		{ "pvnet000000000000000:drop", "--fault: unknown device 'pvnet000000000000000' (pvblkN, trapblkN, pvnetN or trapnetN; N below 8)" },
		{ "pvblk0x:read-error", "--fault: unknown device 'pvblk0x' (pvblkN, trapblkN, pvnetN or trapnetN; N below 8)" },
		{ "pvblk0/1:read-error", "--fault: pvblk0: bad queue '1' (it has one, 0)" },
		{ "pvblk0/:read-error", "--fault: pvblk0: bad queue '' (it has one, 0)" },
		{ "pvblk0:", "--fault: pvblk0: an empty rule" },
		{ "pvblk0:read-error,", "--fault: pvblk0: an empty rule" },
		{ "pvblk0:read-error,,delay=1ms", "--fault: pvblk0: an empty rule" },
		{ "pvnet0:read-error", "--fault: pvnet0: unknown rule 'read-error' (drop, dup, reorder, "
				       "corrupt, link-flap=DUR, rx-drop, rx-dup, rx-reorder, rx-corrupt, "
				       "irq-lost, irq-late=DUR, irq-dup)" },
		{ "trapnet0:rx-flap=1ms", "--fault: trapnet0: unknown rule 'rx-flap' (drop, dup, "
					  "reorder, corrupt, link-flap=DUR, rx-drop, rx-dup, rx-reorder, "
					  "rx-corrupt, irq-lost, irq-late=DUR, irq-dup)" },
		{ "pvnet0:rx-drop@s1-2", "--fault: pvnet0: rx-drop: a frame has no sectors: use @p or @n" },
		{ "pvnet0:rx-dup=1ms", "--fault: pvnet0: rx-dup takes no value" },
		{ "pvblk0:rx-drop", "--fault: pvblk0: unknown rule 'rx-drop' (read-error, write-error, "
				    "flush-error, delay=DUR, torn-write, wrong-len, irq-lost, irq-late=DUR, "
				    "irq-dup)" },
		{ "trapnet0:irq-lost@s1-2", "--fault: trapnet0: irq-lost: an interrupt has no sectors: "
					    "use @p or @n" },
		{ "trapnet1:link-flap", "--fault: trapnet1: link-flap needs a duration "
					"(link-flap=2ms)" },
		{ "pvnet0:drop@s1-2", "--fault: pvnet0: drop: a frame has no sectors: use @p or @n" },
		{ "pvblk0:drop", "--fault: pvblk0: unknown rule 'drop' (read-error, write-error, "
				 "flush-error, delay=DUR, torn-write, wrong-len, irq-lost, irq-late=DUR, "
				 "irq-dup)" },
		{ "pvblk0:oops", "--fault: pvblk0: unknown rule 'oops' (read-error, write-error, "
				 "flush-error, delay=DUR, torn-write, wrong-len, irq-lost, irq-late=DUR, "
				 "irq-dup)" },
		{ "trapblk0:irq-late", "--fault: trapblk0: irq-late needs a duration (irq-late=2ms)" },
		{ "trapblk0:irq-dup=1ms", "--fault: trapblk0: irq-dup takes no value" },
		{ "pvblk0:irq-lost@s0-7", "--fault: pvblk0: irq-lost: an interrupt has no sectors: use "
					  "@p or @n" },
		{ "pvblk0:delay", "--fault: pvblk0: delay needs a duration (delay=2ms)" },
		{ "pvblk0:delay@n1", "--fault: pvblk0: delay needs a duration (delay=2ms)" },
		{ "pvblk0:read-error=1", "--fault: pvblk0: read-error takes no value" },
		{ "pvblk0:delay=", "--fault: pvblk0: bad duration '' (a whole number of ns, us, ms or s; "
				   "at most 10s)" },
		{ "pvblk0:delay=5", "--fault: pvblk0: bad duration '5' (a whole number of ns, us, ms or "
				    "s; at most 10s)" },
		{ "pvblk0:delay=1.5ms", "--fault: pvblk0: bad duration '1.5ms' (a whole number of ns, us, "
					"ms or s; at most 10s)" },
		{ "pvblk0:delay=0ms", "--fault: pvblk0: bad duration '0ms' (a whole number of ns, us, ms "
				      "or s; at most 10s)" },
		{ "pvblk0:delay=10001ms", "--fault: pvblk0: bad duration '10001ms' (a whole number of ns, "
					  "us, ms or s; at most 10s)" },
		{ "pvblk0:delay=2min", "--fault: pvblk0: bad duration '2min' (a whole number of ns, us, "
				       "ms or s; at most 10s)" },
		{ "pvblk0:read-error@", "--fault: pvblk0: bad condition '@' (@pP, @nN or @sA-B)" },
		{ "pvblk0:read-error@x5", "--fault: pvblk0: bad condition '@x5' (@pP, @nN or @sA-B)" },
		{ "pvblk0:read-error@p", "--fault: pvblk0: bad condition '@p' (@pP, @nN or @sA-B)" },
		{ "pvblk0:read-error@p1.5", "--fault: pvblk0: bad probability 'p1.5' (0 to 1, e.g. p0.01)" },
		{ "pvblk0:read-error@p0.1.1", "--fault: pvblk0: bad probability 'p0.1.1' (0 to 1, e.g. "
					      "p0.01)" },
		{ "pvblk0:read-error@p-1", "--fault: pvblk0: bad probability 'p-1' (0 to 1, e.g. p0.01)" },
		{ "pvblk0:read-error@p.", "--fault: pvblk0: bad probability 'p.' (0 to 1, e.g. p0.01)" },
		{ "pvblk0:read-error@p0.0000000000000000001", "--fault: pvblk0: bad probability "
			"'p0.0000000000000000001' (0 to 1, e.g. p0.01)" },
		{ "pvblk0:read-error@n0", "--fault: pvblk0: bad request number 'n0' (n1 is the queue's "
					  "first request)" },
		{ "pvblk0:read-error@n5x", "--fault: pvblk0: bad request number 'n5x' (n1 is the "
					   "queue's first request)" },
		{ "pvblk0:read-error@n99999999999999999999", "--fault: pvblk0: bad request number "
			"'n99999999999999999999' (n1 is the queue's first request)" },
		{ "pvblk0:read-error@s5-2", "--fault: pvblk0: bad sector range 's5-2' (sA-B, A <= B)" },
		{ "pvblk0:read-error@s5", "--fault: pvblk0: bad sector range 's5' (sA-B, A <= B)" },
		{ "pvblk0:read-error@s5-", "--fault: pvblk0: bad sector range 's5-' (sA-B, A <= B)" },
		{ "pvblk0:read-error@s-5", "--fault: pvblk0: bad sector range 's-5' (sA-B, A <= B)" },
		{ "pvblk0:flush-error@s1-2", "--fault: pvblk0: flush-error: a flush has no sectors: use @p or @n" },
		{ "pvblk0:read-error,read-error,read-error,read-error,read-error,read-error,read-error,"
		  "read-error,read-error,read-error,read-error,read-error,read-error,read-error,"
		  "read-error,read-error,read-error", "--fault: pvblk0: at most 16 rules a queue" },
	};
	struct fault_plan p;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		strcpy(err, "unset");
		CU_ASSERT_EQUAL(fault_parse(&p, bad[i].arg, err, sizeof(err)), -EINVAL);
		if (strcmp(err, bad[i].msg))
			fprintf(stderr, "\n  %s: got '%s'\n", bad[i].arg, err);
		CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		CU_ASSERT_EQUAL(p.nr, 0); /* nothing half-added */
	}
	/* Rules across options still count per queue; nine device queues are too many. */
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL(fault_parse(&p, "pvblk0:delay=1ms,delay=1ms,delay=1ms,delay=1ms,delay=1ms,"
				    "delay=1ms,delay=1ms,delay=1ms,delay=1ms,delay=1ms",
				    err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fault_parse(&p, "pvblk0:delay=1ms,delay=1ms,delay=1ms,delay=1ms,delay=1ms,"
				    "delay=1ms,delay=1ms", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--fault: pvblk0: at most 16 rules a queue");
	CU_ASSERT_EQUAL(p.dev[0].nr, 10);
	for (i = 1; i < 8; i++) {
		char a[32];

		snprintf(a, sizeof(a), "%s%zu:delay=1ms", i < 4 ? "pvblk" : "trapblk", i);
		CU_ASSERT_EQUAL(fault_parse(&p, a, err, sizeof(err)), 0);
	}
	CU_ASSERT_EQUAL(fault_parse(&p, "trapblk0:delay=1ms", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--fault: at most 8 device queues");
	CU_ASSERT_EQUAL(fault_parse_seed(&p, "18446744073709551616", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--fault-seed: '18446744073709551616' is not a decimal number "
				    "below 2^64");
	CU_ASSERT_EQUAL(fault_parse_seed(&p, "", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(fault_parse_seed(&p, "-1", err, sizeof(err)), -EINVAL);
}

/* Through the command line: the options reach the config; a device must claim its rules. */
static void test_cli(void)
{
	struct hv_config c;
	char err[256];

	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--fault", "pvblk0:read-error", "--fault-seed=9",
			      "--fault=trapblk1:delay=1ms", "k.elf"), CLI_RUN);
	CU_ASSERT_EQUAL(c.faults.nr, 2);
	CU_ASSERT(c.faults.seed_given && c.faults.seed == 9);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--fault", "pvblk0:nope", "k.elf"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--fault: pvblk0: unknown rule 'nope' (read-error, write-error, "
				    "flush-error, delay=DUR, torn-write, wrong-len, irq-lost, irq-late=DUR, "
				    "irq-dup)");
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--fault-seed", "x", "k.elf"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "k.elf"), CLI_RUN);
	CU_ASSERT_PTR_NULL(fault_begin(&c.faults, stderr)); /* no rules: no plan, no seed drawn */

	CU_ASSERT_EQUAL(PARSE(&c, err, "run", "--fault", "pvblk0:read-error", "--fault",
			      "trapblk1:read-error", "--fault-seed", "5", "k.elf"), CLI_RUN);
	CU_ASSERT_PTR_NULL(fault_claim(NULL, "pvblk", 0, 0));
	CU_ASSERT_PTR_NULL(fault_claim(&c.faults, "pvblk", 1, 0));
	CU_ASSERT_PTR_EQUAL(fault_claim(&c.faults, "pvblk", 0, 0), &c.faults.dev[0]);
	CU_ASSERT_EQUAL(c.faults.dev[0].seed, 5);
	CU_ASSERT_EQUAL(fault_check_claimed(&c.faults, err, sizeof(err)), -ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "--fault: this VM has no trapblk1 (give it a device option)");
	CU_ASSERT_PTR_NOT_NULL(fault_claim(&c.faults, "trapblk", 1, 0));
	CU_ASSERT_EQUAL(fault_check_claimed(&c.faults, err, sizeof(err)), 0);
}

static struct fault_dev *one(struct fault_plan *p, const char *rules, uint64_t seed)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	p->seed = seed;
	CU_ASSERT_EQUAL_FATAL(fault_parse(p, rules, err, sizeof(err)), 0);
	return fault_claim(p, "pvblk", 0, 0);
}

/* A decision is a function of (seed, device, request number, rule) only. */
static void test_pure(void)
{
	struct fault_plan a, b;
	struct fault_dev *fa = one(&a, "pvblk0:read-error@p0.3", 42), *fb;
	struct fault_verdict v;
	bool first[1000];
	unsigned i, same = 0;

	for (i = 0; i < 1000; i++)
		first[i] = fault_disk(fa, FAULT_IO_READ, i, 8, &v);
	/* Another plan, same seed, other sectors (a p rule ignores them): the same decisions. */
	fb = one(&b, "pvblk0:read-error@p0.3", 42);
	for (i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(fault_disk(fb, FAULT_IO_READ, 999 - i, 8, &v), first[i]);
	CU_ASSERT_EQUAL(fb->seq, 1000);
	CU_ASSERT_EQUAL(fault_draw(1, 2, 3, 4), fault_draw(1, 2, 3, 4));
	CU_ASSERT_NOT_EQUAL(fault_draw(1, 2, 3, 4), fault_draw(2, 2, 3, 4));
	CU_ASSERT_NOT_EQUAL(fault_draw(1, 2, 3, 4), fault_draw(1, 3, 3, 4));
	CU_ASSERT_NOT_EQUAL(fault_draw(1, 2, 3, 4), fault_draw(1, 2, 4, 4));
	CU_ASSERT_NOT_EQUAL(fault_draw(1, 2, 3, 4), fault_draw(1, 2, 3, 5));
	/* Another seed decides otherwise (about 42% agree by chance for p = 0.3). */
	fb = one(&b, "pvblk0:read-error@p0.3", 43);
	for (i = 0; i < 1000; i++)
		same += fault_disk(fb, FAULT_IO_READ, 0, 8, &v) == first[i];
	CU_ASSERT(same < 700);
	/* Another device with the same seed decides otherwise too. */
	memset(&b, 0, sizeof(b));
	b.seed = 42;
	{
		char err[256];

		CU_ASSERT_EQUAL_FATAL(fault_parse(&b, "trapblk0:read-error@p0.3", err, sizeof(err)), 0);
	}
	fb = fault_claim(&b, "trapblk", 0, 0);
	for (same = 0, i = 0; i < 1000; i++)
		same += fault_disk(fb, FAULT_IO_READ, 0, 8, &v) == first[i];
	CU_ASSERT(same < 700);
}

/* Probabilities come out right: within 5 sigma over 100,000 requests. */
static void test_probability(void)
{
	static const struct { const char *rule; double p; } cases[] = {
		{ "pvblk0:read-error@p0.5", 0.5 }, { "pvblk0:read-error@p0.01", 0.01 },
		{ "pvblk0:read-error@p0.999", 0.999 }, { "pvblk0:read-error@p0.0001", 0.0001 },
	};
	struct fault_plan p;
	struct fault_verdict v;
	unsigned i, n, hits;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault_dev *f = one(&p, cases[i].rule, 7 + i);
		double want = cases[i].p * 100000, var = want * (1 - cases[i].p), off;

		for (hits = 0, n = 0; n < 100000; n++)
			hits += fault_disk(f, FAULT_IO_READ, 0, 8, &v) && v.error;
		off = hits - want;
		CU_ASSERT(off * off <= 25 * var + 1); /* |off| <= 5 standard deviations */
		CU_ASSERT_EQUAL(f->fired[FAULT_READ_ERROR], hits);
	}
	/* p0 never, p1 always. */
	for (n = 0, hits = 0; n < 1000; n++)
		hits += fault_disk(one(&p, "pvblk0:read-error@p0", n), FAULT_IO_READ, 0, 8, &v);
	CU_ASSERT_EQUAL(hits, 0);
	for (n = 0, hits = 0; n < 1000; n++)
		hits += fault_disk(one(&p, "pvblk0:read-error@p1", n), FAULT_IO_READ, 0, 8, &v);
	CU_ASSERT_EQUAL(hits, 1000);
}

/* Which request each condition picks, and which kinds of request each action touches. */
static void test_conditions(void)
{
	struct fault_plan p;
	struct fault_dev *f = one(&p, "pvblk0:read-error@n3,write-error@s100-107,flush-error,"
				      "delay=3ms@n2,delay=4ms@n2,torn-write@n4,wrong-len@n5", 1);
	struct fault_verdict v;

	/* 1: a write outside 100..107: nothing; a flush-error would not touch a write. */
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_WRITE, 0, 100, &v));
	/* 2: both delays add up, on a read. */
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_READ, 0, 8, &v));
	CU_ASSERT(v.delay_ns == 7000000 && !v.error && !v.torn && !v.wrong_len);
	/* 3: read-error@n3 on a write does nothing; the sector range does (ends touch). */
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_WRITE, 107, 1, &v));
	CU_ASSERT(v.error && !v.delay_ns);
	/* 4: a torn write; 5: wrong length; 6: a read at 100 is not a write. */
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_WRITE, 92, 8, &v));
	CU_ASSERT(v.torn && !v.error);
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_FLUSH, 0, 0, &v));
	CU_ASSERT(v.wrong_len && v.error); /* and the flush-error, every flush */
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_READ, 100, 8, &v));
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_WRITE, 93, 8, &v)); /* 93..100 touches 100 */
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_WRITE, 108, 8, &v));
	CU_ASSERT_EQUAL(f->seq, 8);
	CU_ASSERT_EQUAL(f->fired[FAULT_DELAY], 2);
	CU_ASSERT_EQUAL(f->fired[FAULT_WRITE_ERROR], 2);
	/* A torn write keeps whole sectors, fewer than asked; a wrong length is never right. */
	CU_ASSERT_EQUAL(fault_torn_len(8192), 4096);
	CU_ASSERT_EQUAL(fault_torn_len(1536), 512);
	CU_ASSERT_EQUAL(fault_torn_len(512), 0);
	CU_ASSERT_EQUAL(fault_wrong_len(4096), 3584);
	CU_ASSERT_EQUAL(fault_wrong_len(512), 1024);
	CU_ASSERT_EQUAL(fault_wrong_len(0), 512);
}

/* Interrupts are numbered apart from requests; lost, late and dup each as asked. */
static void test_interrupts(void)
{
	struct fault_plan p;
	struct fault_dev *f = one(&p, "pvblk0:irq-lost@n2,irq-late=3ms@n3,irq-dup@n4,"
				      "read-error@n1", 1);
	struct fault_irq_verdict iv;
	struct fault_verdict v;

	/* Requests do not move the interrupt count, nor interrupts the request count. */
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_READ, 0, 8, &v) && v.error);
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_READ, 0, 8, &v));
	CU_ASSERT_FALSE(fault_irq_decide(f, 0, &iv));
	CU_ASSERT_TRUE(fault_irq_decide(f, 0, &iv));
	CU_ASSERT(iv.lost && !iv.dup && !iv.late_ns);
	CU_ASSERT_TRUE(fault_irq_decide(f, 0, &iv));
	CU_ASSERT(!iv.lost && !iv.dup && iv.late_ns == 3000000);
	CU_ASSERT_TRUE(fault_irq_decide(f, 0, &iv));
	CU_ASSERT(!iv.lost && iv.dup && !iv.late_ns);
	CU_ASSERT_FALSE(fault_irq_decide(f, 0, &iv));
	CU_ASSERT(f->seq == 2 && f->irq_seq == 5);
	CU_ASSERT(f->fired[FAULT_IRQ_LOST] == 1 && f->fired[FAULT_IRQ_LATE] == 1 &&
		  f->fired[FAULT_IRQ_DUP] == 1);
	/* Interrupt rules never touch a request. */
	f = one(&p, "pvblk0:irq-lost,irq-dup,irq-late=1ms", 1);
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_WRITE, 0, 8, &v));
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_FLUSH, 0, 0, &v));
}

/* Frames: each NIC rule on the frame it names; a corruption's place is a pure draw. */
static void test_frames(void)
{
	struct fault_plan p, q;
	char err[256];
	struct fault_frame_verdict v, w;
	struct fault_dev *f, *g;

	memset(&p, 0, sizeof(p));
	p.seed = 3;
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvnet0:drop@n1,dup@n2,reorder@n3,corrupt@n4,"
					      "link-flap=50ms@n5", err, sizeof(err)), 0);
	f = fault_claim(&p, "pvnet", 0, 0);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fault_frame(f, false, &v) && v.drop && !v.dup && !v.reorder && !v.corrupt && !v.flap_ns);
	CU_ASSERT(fault_frame(f, false, &v) && v.dup && !v.drop);
	CU_ASSERT(fault_frame(f, false, &v) && v.reorder && !v.dup);
	CU_ASSERT(fault_frame(f, false, &v) && v.corrupt && !v.reorder);
	CU_ASSERT(fault_frame(f, false, &v) && v.flap_ns == 50000000 && !v.corrupt);
	CU_ASSERT_FALSE(fault_frame(f, false, &v));
	/* The same corruption, bit for bit, from the same seed. */
	memcpy(&q, &p, sizeof(q));
	g = &q.dev[0];
	f->seq = g->seq = 0;
	f->rule[0].when = g->rule[0].when = FAULT_ALWAYS;
	f->rule[0].action = g->rule[0].action = FAULT_CORRUPT;
	for (int i = 0; i < 100; i++) {
		CU_ASSERT(fault_frame(f, false, &v) && fault_frame(g, false, &w) && v.corrupt && v.draw == w.draw);
	}
}

/*
 * Received frames: the rx- rules, numbered apart from the frames sent (each
 * direction's @nN is its own Nth), and the interrupt rules on a NIC.
 */
static void test_rx_frames(void)
{
	struct fault_plan p;
	char err[256], text[64];
	struct fault_frame_verdict v;
	struct fault_irq_verdict iv;
	struct fault_dev *f;

	memset(&p, 0, sizeof(p));
	p.seed = 3;
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "trapnet0:rx-drop@n1,rx-dup@n2,rx-reorder@n3,"
					      "rx-corrupt@n4,drop@n2,irq-lost@n1,irq-late=2ms@n2,"
					      "irq-dup@n3", err, sizeof(err)), 0);
	f = fault_claim(&p, "trapnet", 0, 0);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fault_frame(f, true, &v) && v.drop && !v.dup && !v.reorder && !v.corrupt);
	CU_ASSERT_FALSE(fault_frame(f, false, &v)); /* sent frame 1: no rule */
	CU_ASSERT(fault_frame(f, true, &v) && v.dup && !v.drop);
	CU_ASSERT(fault_frame(f, false, &v) && v.drop); /* sent frame 2: drop */
	CU_ASSERT(fault_frame(f, true, &v) && v.reorder && !v.dup && !v.drop);
	CU_ASSERT(fault_frame(f, true, &v) && v.corrupt && !v.flap_ns &&
		  v.draw == fault_draw(3, f->id, 4, FAULT_MAX_RULES + 3));
	CU_ASSERT_FALSE(fault_frame(f, true, &v));
	CU_ASSERT_EQUAL(f->rx_seq, 5);
	CU_ASSERT_EQUAL(f->seq, 2);
	CU_ASSERT_EQUAL(f->fired[FAULT_RX_DROP], 1);
	CU_ASSERT_EQUAL(f->fired[FAULT_DROP], 1);
	/* The NIC's interrupts, numbered apart again. */
	CU_ASSERT(fault_irq_decide(f, 0, &iv) && iv.lost);
	CU_ASSERT(fault_irq_decide(f, 0, &iv) && iv.late_ns == 2000000 && !iv.lost);
	CU_ASSERT(fault_irq_decide(f, 0, &iv) && iv.dup);
	CU_ASSERT_FALSE(fault_irq_decide(f, 0, &iv));
	fault_rule_text(&f->rule[2], text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "rx-reorder@n3");
	/* Old syntax unchanged: a rule without rx- is on the frames sent. */
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvnet1:corrupt", err, sizeof(err)), 0);
	f = fault_claim(&p, "pvnet", 1, 0);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FALSE(fault_frame(f, true, &v));
	CU_ASSERT(fault_frame(f, false, &v) && v.corrupt);
}

/*
 * A PV NIC's RX and TX queues raise their own interrupts (each its own
 * struct fault_irq, as each pvq has): the interrupt rules count each
 * queue's apart (@nN is that queue's Nth, however the two interleave) and
 * key each draw on the queue too; queue 0 draws as the device itself (a
 * disk's draws are unchanged), and a seed replays both.
 */
static void test_irq_queues(void)
{
	struct fault_irq rx = { .queue = HV_NET_Q_RX }, tx = { .queue = HV_NET_Q_TX };
	struct fault_irq_verdict iv;
	struct fault_plan p, q;
	struct fault_dev *f, *g;
	char err[256];
	unsigned n, differ = 0;
	bool a, b;

	memset(&p, 0, sizeof(p));
	p.seed = 7;
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvnet0:irq-lost@n2,irq-late=1ms@n3", err,
					  sizeof(err)), 0);
	f = fault_claim(&p, "pvnet", 0, 0);
	CU_ASSERT_FATAL(f != NULL);
	/* RX, TX, RX, TX, ...: the second of each is lost, not the second of both. */
	CU_ASSERT_TRUE(fault_irq(f, &rx));
	CU_ASSERT_TRUE(fault_irq(f, &tx));
	CU_ASSERT_FALSE(fault_irq(f, &rx));
	CU_ASSERT_FALSE(fault_irq(f, &tx));
	CU_ASSERT(fault_irq_decide(f, HV_NET_Q_TX, &iv) && iv.late_ns == 1000000 && !iv.lost);
	CU_ASSERT_TRUE(fault_irq(f, &tx));
	CU_ASSERT(fault_irq_decide(f, HV_NET_Q_RX, &iv) && iv.late_ns == 1000000 && !iv.lost);
	CU_ASSERT_FALSE(fault_irq_decide(f, HV_NET_Q_RX, &iv));
	CU_ASSERT(f->irq_qseq[HV_NET_Q_RX] == 4 && f->irq_qseq[HV_NET_Q_TX] == 4);
	CU_ASSERT_EQUAL(f->irq_seq, 8); /* GET /faults' "interrupts": the device's, both queues */
	CU_ASSERT(f->fired[FAULT_IRQ_LOST] == 2 && f->fired[FAULT_IRQ_LATE] == 2);
	CU_ASSERT_FALSE(fault_irq_decide(f, FAULT_MAX_QUEUES, &iv)); /* no such queue */

	/* Draws: queue 0's are the device's; queue 1's its own, and replayed. */
	memset(&p, 0, sizeof(p));
	p.seed = 7;
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvnet0:irq-lost@p0.5", err, sizeof(err)), 0);
	memcpy(&q, &p, sizeof(q));
	f = fault_claim(&p, "pvnet", 0, 0);
	g = fault_claim(&q, "pvnet", 0, 0);
	CU_ASSERT_FATAL(f != NULL && g != NULL);
	CU_ASSERT(f->irq_id[0] == f->id && f->irq_id[1] != f->id);
	for (n = 1; n <= 1000; n++) {
		a = fault_irq_decide(f, HV_NET_Q_RX, &iv) && iv.lost;
		CU_ASSERT_EQUAL(a, fault_draw(7, f->id, n, 0) < p.dev[0].rule[0].a);
		b = fault_irq_decide(f, HV_NET_Q_TX, &iv) && iv.lost;
		CU_ASSERT_EQUAL(b, fault_irq_decide(g, HV_NET_Q_TX, &iv) && iv.lost);
		differ += a != b;
	}
	CU_ASSERT(differ > 400 && differ < 600); /* two independent halves differ half the time */
}

/* A PV NIC made as --net makes it: its RX and TX queues take its rules, each as its own queue. */
static void test_irq_queues_pvnet(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct pvnet_back *n;
	struct fault_plan p;
	char err[256];

	memset(&p, 0, sizeof(p));
	CU_ASSERT_FATAL(vm && gm_init(&vm->mem, 16u << 20) == 0);
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvnet0:irq-lost@n2", err, sizeof(err)), 0);
	vm->faults = &p;
	CU_ASSERT_FATAL(vm_init_devices(vm, 1) == 0);
	CU_ASSERT_FATAL(vm_create_device(vm, &pvnet_back_kind, 0, "loop", err, sizeof(err)) == 0);
	n = vm_device(vm, &pvnet_back_kind, 0);
	CU_ASSERT_FATAL(n != NULL && n->net.fault != NULL);
	CU_ASSERT(n->rxq.fault == n->net.fault->f && n->txq.fault == n->net.fault->f);
	CU_ASSERT_EQUAL(n->rxq.fault_irq.queue, HV_NET_Q_RX);
	CU_ASSERT_EQUAL(n->txq.fault_irq.queue, HV_NET_Q_TX);
	/* RX's first, TX's first, then each one's second: lost. */
	CU_ASSERT_TRUE(fault_irq(n->rxq.fault, &n->rxq.fault_irq));
	CU_ASSERT_TRUE(fault_irq(n->txq.fault, &n->txq.fault_irq));
	CU_ASSERT_FALSE(fault_irq(n->txq.fault, &n->txq.fault_irq));
	CU_ASSERT_FALSE(fault_irq(n->rxq.fault, &n->rxq.fault_irq));
	vm_destroy_devices(vm);
	gm_destroy(&vm->mem);
	free(vm);
}

/*
 * The rx- rules on a real loop backend and io_uring engine, through
 * net_recv as a device calls it: four receives posted, each reposted as it
 * completes (as a device's guest gives buffers back); frames 1.. sent, each
 * 60 bytes of its number past a zero header.  Frame 1 is dropped, 2 comes
 * twice (its copy in a receive hv takes back from the loop), 3 comes after
 * 4, 5 has one bit flipped; a device's cancel still ends its receives.
 */
#define RXT_FRAME 60
#define RXT_MAX 32

struct rxt_buf {
	struct ioeng_op op;
	uint8_t buf[128];
	struct iovec iov;
};

static struct {
	struct ioeng *e;
	struct net *n;
	bool repost;
	unsigned nr, cancelled;
	uint8_t got[RXT_MAX];  /* the frame number each delivery carried */
	unsigned flips[RXT_MAX]; /* bits that differ from what was sent */
} rxt;

static void rxt_got(struct ioeng_op *op, int res)
{
	struct rxt_buf *b = container_of(op, struct rxt_buf, op);
	unsigned i, flips = 0;
	uint8_t k;

	if (res == -ECANCELED) {
		rxt.cancelled++;
		return;
	}
	CU_ASSERT_EQUAL(res, RXT_FRAME);
	if (res != RXT_FRAME || rxt.nr == RXT_MAX)
		return;
	/* Its number: two of its last three bytes agree (one flipped bit changes one byte). */
	k = b->buf[RXT_FRAME - 1] == b->buf[RXT_FRAME - 2] ? b->buf[RXT_FRAME - 1] : b->buf[RXT_FRAME - 3];
	for (i = 0; i < RXT_FRAME; i++)
		flips += (unsigned)__builtin_popcount(b->buf[i] ^ (i < HV_NET_ETH_HLEN ? 0 : k));
	rxt.got[rxt.nr] = k;
	rxt.flips[rxt.nr++] = flips;
	if (rxt.repost)
		CU_ASSERT_EQUAL(net_recv(rxt.e, rxt.n, &b->iov, 1, &b->op), 0);
}

static void rxt_sent(struct ioeng_op *op, int res)
{
	(void)op;
	CU_ASSERT_EQUAL(res, RXT_FRAME);
}

#define RXT_BUFS 4

/*
 * A loop NIC n with rules (a --fault argument) from seed on a new engine e,
 * RXT_BUFS receives posted, reposted as they complete (as a device's guest
 * gives buffers back).
 */
static void rxt_open(struct ioeng *e, struct net *n, struct rxt_buf *b, uint64_t seed,
		     const char *rules)
{
	const struct net_spec spec = { .ops = &net_loop_ops };
	static struct fault_plan p;
	char err[256];
	unsigned i;

	memset(&p, 0, sizeof(p));
	p.seed = seed;
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, rules, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(ioeng_init(e, 16), 0);
	CU_ASSERT_EQUAL_FATAL(net_open(n, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(fault_net_claim(&p, "pvnet", 0, n), 0);
	CU_ASSERT_FATAL(n->fault != NULL);
	memset(&rxt, 0, sizeof(rxt));
	rxt.e = e, rxt.n = n, rxt.repost = true;
	for (i = 0; i < RXT_BUFS; i++) {
		b[i].iov = (struct iovec){ b[i].buf, sizeof(b[i].buf) };
		b[i].op.cb = rxt_got;
		CU_ASSERT_EQUAL(net_recv(e, n, &b[i].iov, 1, &b[i].op), 0);
	}
}

/* A device's cancel ends each of its receives, -ECANCELED; then n and e go. */
static void rxt_close(struct ioeng *e, struct net *n, struct rxt_buf *b)
{
	unsigned i;

	rxt.repost = false;
	for (i = 0; i < RXT_BUFS; i++)
		CU_ASSERT_EQUAL(net_cancel(e, n, &b[i].op), 0);
	while (ioeng_run(e, 0) > 0)
		;
	CU_ASSERT_EQUAL(rxt.cancelled, RXT_BUFS);
	net_close(n);
	ioeng_exit(e);
}

/* Runs e (never blocking) until cond() holds or 2 s passed: whether it held. */
static bool rxt_run_until(struct ioeng *e, bool (*cond)(const void *), const void *arg)
{
	const struct timespec ms = { 0, 1000000 };
	uint64_t end = mono_ns() + 2000000000u;

	while (!cond(arg) && mono_ns() < end) {
		if (ioeng_run(e, 0) <= 0)
			nanosleep(&ms, NULL);
	}
	return cond(arg);
}

static bool rxt_has(const void *want)
{
	return rxt.nr >= *(const unsigned *)want;
}

static bool rxt_hold_idle(const void *h)
{
	return !((const struct fault_hold *)h)->armed;
}

/* Sends frame k (60 bytes of k past a zero header) through n; runs e until it is sent. */
static void rxt_send(struct ioeng *e, struct net *n, uint8_t k)
{
	struct ioeng_op tx = { .cb = rxt_sent };
	uint8_t frame[RXT_FRAME];
	struct iovec iov = { frame, sizeof(frame) };

	memset(frame, 0, HV_NET_ETH_HLEN);
	memset(frame + HV_NET_ETH_HLEN, k, sizeof(frame) - HV_NET_ETH_HLEN);
	CU_ASSERT_EQUAL(net_send(e, n, &iov, 1, &tx), 0);
	while (ioeng_run(e, 0) > 0)
		;
}

static void test_rx_loop(void)
{
	static const uint8_t want[] = { 2, 2, 4, 3, 5, 6, 7, 8 };
	struct rxt_buf b[RXT_BUFS];
	struct ioeng e;
	struct net n;
	unsigned i, k;

	rxt_open(&e, &n, b, 11, "pvnet0:rx-drop@n1,rx-dup@n2,rx-reorder@n3,rx-corrupt@n5");
	for (k = 1; k <= 8; k++)
		rxt_send(&e, &n, (uint8_t)k);
	CU_ASSERT_EQUAL_FATAL(rxt.nr, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(rxt.got, want, sizeof(want)), 0);
	for (i = 0; i < rxt.nr; i++)
		CU_ASSERT_EQUAL(rxt.flips[i], rxt.got[i] == 5 ? 1u : 0u);
	CU_ASSERT_EQUAL(n.fault->f->rx_seq, 8); /* each frame from the backend once; copies are none */
	CU_ASSERT_EQUAL(n.fault->f->fired[FAULT_RX_DUP], 1);
	rxt_close(&e, &n, b);
}

/*
 * reorder and rx-reorder (one held-frame mechanism, fault_hold) on a real
 * loop backend and io_uring engine: sent frame 2 leaves right after 3
 * overtook it; sent frame 5 and received frame 6, with nothing after them,
 * go on only when their 100 ms hold has run out (the received one into a
 * buffer hv takes back from the loop); a new hold waits for the last one's
 * timer.
 */
static void test_reorder_loop(void)
{
	static const uint8_t want[] = { 1, 3, 2, 4, 5, 6 };
	struct rxt_buf b[RXT_BUFS];
	struct ioeng e;
	struct net n;
	uint64_t t0;
	unsigned i, k;

	rxt_open(&e, &n, b, 5, "pvnet0:reorder@n2,reorder@n3,reorder@n5,rx-reorder@n6");
	/* 2 is held, 3 overtakes it (its own reorder refused: one at a time), then 2, 4. */
	for (k = 1; k <= 4; k++)
		rxt_send(&e, &n, (uint8_t)k);
	k = 4;
	CU_ASSERT_FATAL(rxt_run_until(&e, rxt_has, &k));
	CU_ASSERT_EQUAL(memcmp(rxt.got, want, 4), 0);
	CU_ASSERT_FATAL(rxt_run_until(&e, rxt_hold_idle, &n.fault->tx_hold));
	/* 5 is held with nothing to overtake it: it leaves when the hold runs out. */
	t0 = mono_ns();
	rxt_send(&e, &n, 5);
	k = 5;
	CU_ASSERT_FATAL(rxt_run_until(&e, rxt_has, &k));
	CU_ASSERT(mono_ns() - t0 >= FAULT_REORDER_HOLD_NS);
	CU_ASSERT_EQUAL(rxt.got[4], 5);
	/* Received 6 is held; its hold runs out, hv takes a buffer back from the loop for it. */
	t0 = mono_ns();
	rxt_send(&e, &n, 6);
	k = 6;
	CU_ASSERT_FATAL(rxt_run_until(&e, rxt_has, &k));
	CU_ASSERT(mono_ns() - t0 >= FAULT_REORDER_HOLD_NS);
	CU_ASSERT_EQUAL_FATAL(rxt.nr, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(rxt.got, want, sizeof(want)), 0);
	for (i = 0; i < rxt.nr; i++)
		CU_ASSERT_EQUAL(rxt.flips[i], 0);
	CU_ASSERT_EQUAL(n.fault->f->fired[FAULT_REORDER], 3);
	CU_ASSERT_EQUAL(n.fault->f->fired[FAULT_RX_REORDER], 1);
	rxt_close(&e, &n, b);
}

/* A request for api_dispatch: method, path and body. */
static void api_call(struct api *a, const char *method, const char *path, const char *body,
		     struct api_reply *out)
{
	struct http_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.method, sizeof(r.method), "%s", method);
	snprintf(r.path, sizeof(r.path), "%s", path);
	r.body = body;
	r.content_length = strlen(body);
	r.has_length = true;
	api_dispatch(a, &r, out);
}

/*
 * New rules through the API: handed over, taken at the next decision, shown
 * as --fault writes them; bad ones refused with --fault's message.
 */
static void test_api_rules(void)
{
	struct fault_plan p;
	struct vm vm;
	struct api a = { .vm = &vm };
	struct api_reply out;
	struct fault_verdict v;
	struct fault_dev *f;
	char err[256], text[96];

	memset(&vm, 0, sizeof(vm));
	/* Without --fault: an empty listing, and nothing to change. */
	api_call(&a, "GET", "/faults", "", &out);
	CU_ASSERT_EQUAL(out.status, 200);
	CU_ASSERT_STRING_EQUAL(out.body, "{\"seed\":null,\"devices\":{}}");
	free(out.body);
	api_call(&a, "PUT", "/faults/pvblk0", "{\"rules\":\"read-error\"}", &out);
	CU_ASSERT_EQUAL(out.status, 409);
	free(out.body);

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(fault_parse(&p, "pvblk0:read-error@n1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(fault_parse_seed(&p, "18446744073709551615", err, sizeof(err)), 0);
	vm.faults = fault_begin(&p, stderr);
	CU_ASSERT_PTR_EQUAL_FATAL(vm.faults, &p);
	f = fault_claim(&p, "pvblk", 0, 0);
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_READ, 0, 8, &v) && v.error);

	api_call(&a, "PUT", "/faults/pvblk0",
		 "{\"rules\":\"delay=2ms@p0.25,write-error@s8-15,irq-late=1500us@n3\"}", &out);
	CU_ASSERT_EQUAL(out.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\"seed\":\"18446744073709551615\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\"pending\":true"));
	free(out.body);
	CU_ASSERT_EQUAL(f->nr, 1); /* not before the I/O thread's next decision */
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_WRITE, 16, 8, &v));
	CU_ASSERT_EQUAL(f->nr, 3);
	CU_ASSERT_TRUE(fault_disk(f, FAULT_IO_WRITE, 15, 1, &v) && v.error);
	api_call(&a, "GET", "/faults", "", &out);
	CU_ASSERT_EQUAL(out.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "{\"rule\":\"delay=2ms@p0.25\",\"fired\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "{\"rule\":\"write-error@s8-15\",\"fired\":1}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "{\"rule\":\"irq-late=1500us@n3\",\"fired\":0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\"pending\":false,\"requests\":3"));
	free(out.body);

	/* Refusals: --fault's own message; a device without rules; a bad body. */
	api_call(&a, "PUT", "/faults/pvblk0", "{\"rules\":\"delay\"}", &out);
	CU_ASSERT_EQUAL(out.status, 400);
	CU_ASSERT_STRING_EQUAL(out.body, "{\"error\":\"--fault: pvblk0: delay needs a duration "
					 "(delay=2ms)\"}");
	free(out.body);
	api_call(&a, "PUT", "/faults/trapblk0", "{\"rules\":\"\"}", &out);
	CU_ASSERT_EQUAL(out.status, 409);
	free(out.body);
	api_call(&a, "PUT", "/faults/pvblk0", "[]", &out);
	CU_ASSERT_EQUAL(out.status, 400);
	free(out.body);
	api_call(&a, "PUT", "/faults/pvblk0", "{\"rules\":\"\",\"x\":1}", &out);
	CU_ASSERT_EQUAL(out.status, 400);
	free(out.body);
	api_call(&a, "GET", "/faults/pvblk0", "", &out);
	CU_ASSERT_EQUAL(out.status, 405);
	free(out.body);
	/* "" clears them. */
	api_call(&a, "PUT", "/faults/pvblk0", "{\"rules\":\"\"}", &out);
	CU_ASSERT_EQUAL(out.status, 200);
	free(out.body);
	CU_ASSERT_FALSE(fault_disk(f, FAULT_IO_WRITE, 8, 8, &v));
	CU_ASSERT_EQUAL(f->nr, 0);
	fault_rule_text(&(struct fault_rule){ .action = FAULT_LINK_FLAP, .arg = 3000000000ull,
					      .when = FAULT_ALWAYS }, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "link-flap=3s");
	pthread_mutex_destroy(&p.lock);
}

/*
 * With --api-sock (plan.any) every device claims an empty entry, so PUT
 * /faults gives rules to a device hv started without any; nothing is
 * printed at start, a device the VM lacks is still refused.
 */
static void test_api_any_device(void)
{
	struct fault_plan p;
	struct vm vm;
	struct api a = { .vm = &vm };
	struct api_reply out;
	struct fault_frame_verdict v;
	struct fault_dev *f;
	char buf[64] = "";
	FILE *log = fmemopen(buf, sizeof(buf), "w");

	memset(&vm, 0, sizeof(vm));
	memset(&p, 0, sizeof(p));
	p.any = true;
	CU_ASSERT_FATAL(log != NULL);
	vm.faults = fault_begin(&p, log);
	fclose(log);
	CU_ASSERT_PTR_EQUAL_FATAL(vm.faults, &p);
	CU_ASSERT_STRING_EQUAL(buf, ""); /* no rules: nothing to replay yet */
	f = fault_claim(&p, "trapnet", 1, 0);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(f->nr, 0);
	CU_ASSERT_FALSE(fault_frame(f, true, &v));
	api_call(&a, "PUT", "/faults/trapnet1", "{\"rules\":\"rx-drop@n2\"}", &out);
	CU_ASSERT_EQUAL(out.status, 200);
	free(out.body);
	CU_ASSERT(fault_frame(f, true, &v) && v.drop);
	api_call(&a, "GET", "/faults", "", &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.body, "\"trapnet1\":{\"rules\":[{\"rule\":\"rx-drop@n2\","
					       "\"fired\":1}],\"pending\":false,\"requests\":0,"
					       "\"interrupts\":0,\"received\":2}"));
	free(out.body);
	api_call(&a, "PUT", "/faults/pvblk3", "{\"rules\":\"read-error\"}", &out);
	CU_ASSERT_EQUAL(out.status, 409);
	CU_ASSERT_STRING_EQUAL(out.body, "{\"error\":\"pvblk3 takes no rules: this VM has no such "
					 "device, or it has more than 8 with rules\"}");
	free(out.body);
	CU_ASSERT_EQUAL(fault_check_claimed(&p, buf, sizeof(buf)), 0);
	pthread_mutex_destroy(&p.lock);
}

static const CU_TestInfo tests[] = {
	{ "grammar", test_grammar },
	{ "every refusal", test_refusals },
	{ "command line and claims", test_cli },
	{ "decisions are pure", test_pure },
	{ "probabilities", test_probability },
	{ "conditions and actions", test_conditions },
	{ "interrupt rules", test_interrupts },
	{ "NIC rules", test_frames },
	{ "NIC receive and interrupt rules", test_rx_frames },
	{ "NIC interrupt rules per queue", test_irq_queues },
	{ "PV NIC interrupt rules per queue, as --net makes it", test_irq_queues_pvnet },
	{ "NIC receive rules on a loop backend", test_rx_loop },
	{ "NIC reorder rules on a loop backend", test_reorder_loop },
	{ "rules through the control API", test_api_rules },
	{ "any device through the control API", test_api_any_device },
	CU_TEST_INFO_NULL,
};

int suite_fault(void)
{
	return add_suite("fault", tests);
}
