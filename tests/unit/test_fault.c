/* Fault rules (hv/fault/fault.c): the --fault grammar, every refusal, and the seeded decisions. */
#include <errno.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "core/cli.h"
#include "fault/fault.h"
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
		{ "disk0:read-error", "--fault: unknown device 'disk0' (pvblkN or trapblkN, N below 8)" },
		{ "pvblk8:read-error", "--fault: unknown device 'pvblk8' (pvblkN or trapblkN, N below 8)" },
		{ "pvblk:read-error", "--fault: unknown device 'pvblk' (pvblkN or trapblkN, N below 8)" },
		{ "pvblk0x:read-error", "--fault: unknown device 'pvblk0x' (pvblkN or trapblkN, N below 8)" },
		{ "pvblk0/1:read-error", "--fault: pvblk0: bad queue '1' (it has one, 0)" },
		{ "pvblk0/:read-error", "--fault: pvblk0: bad queue '' (it has one, 0)" },
		{ "pvblk0:", "--fault: pvblk0: an empty rule" },
		{ "pvblk0:read-error,", "--fault: pvblk0: an empty rule" },
		{ "pvblk0:read-error,,delay=1ms", "--fault: pvblk0: an empty rule" },
		{ "pvblk0:oops", "--fault: pvblk0: unknown rule 'oops' (read-error, write-error, "
				 "flush-error, delay=DUR, torn-write, wrong-len)" },
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
		{ "pvblk0:flush-error@s1-2", "--fault: pvblk0: a flush-error has no sectors: use @p or @n" },
		{ "pvblk0:read-error,read-error,read-error,read-error,read-error,read-error,read-error,"
		  "read-error,read-error", "--fault: pvblk0: at most 8 rules a queue" },
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
	CU_ASSERT_EQUAL(fault_parse(&p, "pvblk0:delay=1ms,delay=1ms,delay=1ms,delay=1ms,delay=1ms",
				    err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fault_parse(&p, "pvblk0:delay=1ms,delay=1ms,delay=1ms,delay=1ms", err,
				    sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--fault: pvblk0: at most 8 rules a queue");
	CU_ASSERT_EQUAL(p.dev[0].nr, 5);
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
				    "flush-error, delay=DUR, torn-write, wrong-len)");
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

static const CU_TestInfo tests[] = {
	{ "grammar", test_grammar },
	{ "every refusal", test_refusals },
	{ "command line and claims", test_cli },
	{ "decisions are pure", test_pure },
	{ "probabilities", test_probability },
	{ "conditions and actions", test_conditions },
	CU_TEST_INFO_NULL,
};

int suite_fault(void)
{
	return add_suite("fault", tests);
}
